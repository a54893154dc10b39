//! Shared by the `auth_*` tests: a connector with read, scoped write and claims-reading tools;
//! a fake issuer (metadata, JWKS, introspection) on loopback; JWT minting with fixed test keys;
//! the real oidc-provider authorization server from `interop/oauth`.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_connector_core::auth::Claims;
use mcp_connector_core::{Server, ToolError, tools};
use serde_json::{Value, json};

pub const PROTOCOL: &str = "2025-11-25";

/// The connector under test.
pub struct Tickets;

#[tools]
impl Tickets {
    /// List the open tickets.
    #[tool(read)]
    async fn list_tickets(&self) -> String {
        "ticket 1: printer on fire".into()
    }

    /// Close a ticket.
    #[tool(write, idempotent, scope = "tickets:write")]
    async fn close_ticket(&self, id: u32, claims: Claims) -> Result<String, ToolError> {
        Ok(format!("ticket {id} closed by {}", claims.subject.as_deref().unwrap_or("?")))
    }

    /// Add a comment to a ticket (a write without a scope).
    #[tool(write, not_destructive)]
    async fn comment(&self, id: u32, text: String) -> String {
        format!("commented on {id}: {text}")
    }

    /// Who is calling, as the verified claims say.
    #[tool(read)]
    async fn whoami(&self, claims: Claims) -> String {
        format!(
            "{}|{}|{}",
            claims.subject.unwrap_or_default(),
            claims.client_id.unwrap_or_default(),
            claims.scopes.join(" ")
        )
    }
}

pub fn server() -> Server {
    Server::builder("tickets", "1.0.0").tools(Tickets).build().expect("valid server")
}

/// Serves `router` on a free loopback port; returns `http://127.0.0.1:PORT`.
pub async fn spawn(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A free loopback port, for a server whose canonical URL must be known before it starts.
pub async fn listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, format!("http://{addr}"))
}

pub fn serve_on(listener: tokio::net::TcpListener, router: Router) {
    tokio::spawn(async move { axum::serve(listener, router).await });
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// POSTs one JSON-RPC message to `url` with an optional bearer token.
pub async fn rpc(url: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", PROTOCOL)
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

pub fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "auth-test", "version": "1"}
    }})
}

pub fn list_tools() -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
}

pub fn call(tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

/// The `result` of a JSON answer.
pub async fn result(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "expected 200");
    let body: Value = response.json().await.expect("JSON body");
    body.get("result").cloned().unwrap_or_else(|| panic!("no result in {body}"))
}

pub fn www_authenticate(response: &reqwest::Response) -> String {
    response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A parameter of a `Bearer` challenge.
pub fn param(challenge: &str, name: &str) -> Option<String> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

// ---- keys and tokens ----

fn key_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/auth_support/keys").join(name)
}

/// A signing key of the test issuer.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
}

impl SigningKey {
    pub fn rsa() -> Self {
        let pem = std::fs::read(key_path("rsa.pem")).expect("rsa.pem");
        Self {
            kid: "rsa-1".into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_pem(&pem).expect("rsa key"),
        }
    }

    pub fn ec() -> Self {
        let pem = std::fs::read(key_path("ec.pem")).expect("ec.pem");
        Self {
            kid: "ec-1".into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(&pem).expect("ec key"),
        }
    }

    pub fn ec_rotated() -> Self {
        let pem = std::fs::read(key_path("ec-rotated.pem")).expect("ec-rotated.pem");
        Self {
            kid: "ec-2".into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(&pem).expect("ec key"),
        }
    }

    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).expect("public JWK");
        jwk.common.key_id = Some(self.kid.clone());
        jwk
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signed")
    }
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

/// Access token claims for `aud`, valid for five minutes.
pub fn claims(issuer: &str, aud: &str, scope: &str) -> Value {
    json!({
        "iss": issuer, "aud": aud, "sub": "alice", "client_id": "chatgpt",
        "scope": scope, "iat": now(), "exp": now() + 300, "jti": "t1"
    })
}

// ---- a fake issuer ----

/// An authorization server stand-in: RFC 8414 metadata, a JWKS that tests can rotate, and an
/// introspection endpoint answering from a table.
#[derive(Clone, Default)]
pub struct Issuer {
    pub url: String,
    pub keys: Arc<Mutex<Vec<Jwk>>>,
    pub jwks_fetches: Arc<AtomicUsize>,
    pub introspection: Arc<Mutex<HashMap<String, Value>>>,
    pub introspection_auth: Arc<Mutex<Vec<String>>>,
    /// Introspection requests answered.
    pub introspections: Arc<AtomicUsize>,
    /// While set, the metadata and JWKS answer 503 (an outage).
    pub down: Arc<std::sync::atomic::AtomicBool>,
    /// How long the JWKS takes to answer, in milliseconds.
    pub jwks_delay_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Issuer {
    pub async fn start(keys: &[SigningKey]) -> Issuer {
        let (listener, url) = listener().await;
        let issuer = Issuer { url, ..Issuer::default() };
        *issuer.keys.lock().expect("lock") = keys.iter().map(SigningKey::jwk).collect();
        let router = Router::new()
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .route("/jwks", get(jwks))
            .route("/introspect", post(introspect))
            .with_state(issuer.clone());
        serve_on(listener, router);
        issuer
    }

    /// The same issuer over HTTPS, with a certificate for `127.0.0.1` and `localhost` signed
    /// by a CA made for this test. Returns the issuer (its URL is `https://127.0.0.1:PORT`)
    /// and the CA certificate in PEM, for clients that should trust it.
    pub async fn start_tls(keys: &[SigningKey]) -> (Issuer, String) {
        let tls = TestCa::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("https://{}", listener.local_addr().expect("addr"));
        let issuer = Issuer { url, ..Issuer::default() };
        *issuer.keys.lock().expect("lock") = keys.iter().map(SigningKey::jwk).collect();
        let router = Router::new()
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .route("/jwks", get(jwks))
            .route("/introspect", post(introspect))
            .with_state(issuer.clone());
        let acceptor = tls.acceptor();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (acceptor, router) = (acceptor.clone(), router.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA aborts the handshake: nothing to serve.
                    let Ok(stream) = acceptor.accept(stream).await else { return };
                    let service =
                        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let mut router = router.clone();
                            async move {
                                tower_service::Service::call(&mut router, request.map(axum::body::Body::new))
                                    .await
                            }
                        });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        });
        (issuer, tls.ca_pem)
    }

    pub fn publish(&self, key: &SigningKey) {
        self.keys.lock().expect("lock").push(key.jwk());
    }
}

async fn metadata(State(issuer): State<Issuer>) -> Result<Json<Value>, axum::http::StatusCode> {
    if issuer.down.load(Ordering::SeqCst) {
        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(Json(json!({
        "issuer": issuer.url,
        "jwks_uri": format!("{}/jwks", issuer.url),
        "introspection_endpoint": format!("{}/introspect", issuer.url),
        "code_challenge_methods_supported": ["S256"],
    })))
}

async fn jwks(State(issuer): State<Issuer>) -> Result<Json<JwkSet>, axum::http::StatusCode> {
    issuer.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let delay = issuer.jwks_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if issuer.down.load(Ordering::SeqCst) {
        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(Json(JwkSet { keys: issuer.keys.lock().expect("lock").clone() }))
}

async fn introspect(
    State(issuer): State<Issuer>,
    headers: axum::http::HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        issuer.introspection_auth.lock().expect("lock").push(auth.to_owned());
    }
    issuer.introspections.fetch_add(1, Ordering::SeqCst);
    let token = form.get("token").cloned().unwrap_or_default();
    let answer = issuer.introspection.lock().expect("lock").get(&token).cloned();
    Json(answer.unwrap_or_else(|| json!({"active": false})))
}

/// A certificate authority made for one test, and a server certificate it signed for
/// `127.0.0.1` and `localhost`.
pub struct TestCa {
    pub ca_pem: String,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: rustls_pki_types::PrivateKeyDer<'static>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer as CaIssuer, KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "mcp-transport test CA");
        ca.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let ca_issuer = CaIssuer::new(ca, ca_key);
        let server_key = KeyPair::generate().expect("server key");
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).expect("params");
        server.distinguished_name.push(DnType::CommonName, "test issuer");
        let server_cert = server.signed_by(&server_key, &ca_issuer).expect("server certificate");
        TestCa {
            ca_pem: ca_cert.pem(),
            chain: vec![server_cert.der().clone()],
            key: rustls_pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        }
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(self.chain.clone(), self.key.clone_key())
        .expect("server certificate and key");
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))
    }
}

// ---- the real authorization server ----

fn oauth_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/oauth")
}

/// oidc-provider from `interop/oauth`, on a free loopback port; killed on drop.
pub struct RealIssuer {
    pub issuer: String,
    child: Child,
}

impl RealIssuer {
    /// Starts it, or returns `None` after saying why when it is not installed (a failure
    /// instead when `MCP_INTEROP=required`, as in CI).
    pub fn start() -> Option<RealIssuer> {
        let marker = oauth_dir().join("node_modules/oidc-provider/package.json");
        if !marker.exists() {
            let required = std::env::var("MCP_INTEROP").is_ok_and(|v| v == "required");
            assert!(
                !required,
                "oidc-provider is not installed ({} is missing); run `cd interop/oauth && npm ci`",
                marker.display()
            );
            eprintln!(
                "skipping the end-to-end OAuth test: {} is missing (run `cd interop/oauth && npm ci`)",
                marker.display()
            );
            return None;
        }
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(oauth_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut reader, &mut line).expect("first line");
        // Keep draining its stdout, so that a later write does not fail with EPIPE.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let announced: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("bad announcement {line:?}"));
        let issuer = announced["issuer"].as_str().expect("issuer").to_owned();
        Some(RealIssuer { issuer, child })
    }
}

impl Drop for RealIssuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
