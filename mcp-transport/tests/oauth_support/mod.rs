//! A scripted authorization server and MCP resource server on loopback for the OAuth client's
//! wire-level tests: every request either receives is logged (method, path, query, form,
//! JSON body, `Authorization` header) in one shared, ordered log, so tests can assert the
//! exact requests the client made and their order.
// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use mcp_connector_transport::client::{AuthorizeError, Authorizer, Challenge};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One request as a server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `as1`, `as2` or `rs`.
    pub server: &'static str,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub json: Option<Value>,
    pub authorization: Option<String>,
}

impl Seen {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    pub fn f(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

/// Access tokens the authorization servers issued, with their scopes, shared with the
/// resource server.
pub type Issued = Arc<Mutex<HashMap<String, Vec<String>>>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssMode {
    Correct,
    Wrong,
    Omit,
    /// The issuer plus a trailing slash: equal after URL normalisation, not as strings.
    Normalized,
}

/// How an authorization server behaves.
#[derive(Debug, Clone)]
pub struct AsConfig {
    /// A path after the origin in the issuer (`/tenant1`), or empty.
    pub issuer_path: String,
    /// Which well-known URL serves the metadata.
    pub metadata_path: String,
    /// An `issuer` to publish instead of the real one.
    pub issuer_override: Option<String>,
    pub registration: bool,
    pub cimd: bool,
    pub auth_methods: Vec<&'static str>,
    pub code_challenge_methods: Option<Vec<&'static str>>,
    pub scopes_supported: Option<Vec<&'static str>>,
    pub iss_supported: Option<bool>,
    pub iss_mode: IssMode,
    pub issue_refresh_tokens: bool,
    pub expires_in: u64,
    /// The token endpoint answers 503 with an HTML page (an outage).
    pub token_endpoint_down: bool,
}

impl Default for AsConfig {
    fn default() -> Self {
        AsConfig {
            issuer_path: String::new(),
            metadata_path: "/.well-known/oauth-authorization-server".into(),
            issuer_override: None,
            registration: true,
            cimd: false,
            auth_methods: vec!["none"],
            code_challenge_methods: Some(vec!["S256"]),
            scopes_supported: None,
            iss_supported: Some(true),
            iss_mode: IssMode::Correct,
            issue_refresh_tokens: true,
            expires_in: 3600,
            token_endpoint_down: false,
        }
    }
}

struct Grant {
    challenge: String,
    scopes: Vec<String>,
    redirect_uri: String,
}

struct AsState {
    name: &'static str,
    origin: String,
    config: Mutex<AsConfig>,
    log: Log,
    issued: Issued,
    codes: Mutex<HashMap<String, Grant>>,
    /// refresh token -> the grant's scopes; removed when used (rotation).
    refresh: Mutex<HashMap<String, Vec<String>>>,
    counter: Mutex<u64>,
}

impl AsState {
    fn issuer(&self) -> String {
        let config = self.config.lock().unwrap();
        format!("{}{}", self.origin, config.issuer_path)
    }
    fn next(&self) -> u64 {
        let mut c = self.counter.lock().unwrap();
        *c += 1;
        *c
    }
}

/// A running authorization server.
#[derive(Clone)]
pub struct AuthServer {
    state: Arc<AsState>,
}

impl AuthServer {
    pub async fn start(name: &'static str, config: AsConfig, log: Log, issued: Issued) -> AuthServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://localhost:{}", listener.local_addr().expect("addr").port());
        let state = Arc::new(AsState {
            name,
            origin,
            config: Mutex::new(config),
            log,
            issued,
            codes: Mutex::default(),
            refresh: Mutex::default(),
            counter: Mutex::default(),
        });
        let router = Router::new().fallback(as_handler).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        AuthServer { state }
    }

    /// The issuer identifier (origin plus the configured path).
    pub fn issuer(&self) -> String {
        self.state.issuer()
    }

    pub fn configure(&self, change: impl FnOnce(&mut AsConfig)) {
        change(&mut self.state.config.lock().unwrap());
    }
}

async fn record(
    log: &Log,
    server: &'static str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Seen {
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| reqwest::Url::parse(&format!("http://x/?{q}")).unwrap().query_pairs().into_owned().collect())
        .unwrap_or_default();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let form = if content_type.starts_with("application/x-www-form-urlencoded") {
        reqwest::Url::parse(&format!("http://x/?{}", String::from_utf8_lossy(body)))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    } else {
        Vec::new()
    };
    let json =
        if content_type.starts_with("application/json") { serde_json::from_slice(body).ok() } else { None };
    let seen = Seen {
        server,
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        form,
        json,
        authorization: headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    log.lock().unwrap().push(seen.clone());
    seen
}

async fn as_handler(State(state): State<Arc<AsState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let seen = record(&state.log, state.name, &parts.method, &parts.uri, &parts.headers, &body).await;
    let config = state.config.lock().unwrap().clone();
    let issuer = state.issuer();
    let prefix = config.issuer_path.clone();
    let path = seen.path.as_str();
    let endpoint = |name: &str| format!("{}{prefix}/{name}", state.origin);

    if seen.method == "GET" && path == config.metadata_path {
        let mut doc = json!({
            "issuer": config.issuer_override.clone().unwrap_or(issuer.clone()),
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": config.auth_methods,
        });
        if config.registration {
            doc["registration_endpoint"] = json!(endpoint("register"));
        }
        if let Some(m) = &config.code_challenge_methods {
            doc["code_challenge_methods_supported"] = json!(m);
        }
        if let Some(s) = &config.scopes_supported {
            doc["scopes_supported"] = json!(s);
        }
        if let Some(i) = config.iss_supported {
            doc["authorization_response_iss_parameter_supported"] = json!(i);
        }
        if config.cimd {
            doc["client_id_metadata_document_supported"] = json!(true);
        }
        return axum::Json(doc).into_response();
    }
    if seen.method == "GET" && path == format!("{prefix}/authorize") {
        let code = format!("code-{}", state.next());
        let scopes = seen.q("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default();
        let redirect_uri = seen.q("redirect_uri").unwrap_or_default().to_owned();
        state.codes.lock().unwrap().insert(
            code.clone(),
            Grant {
                challenge: seen.q("code_challenge").unwrap_or_default().to_owned(),
                scopes,
                redirect_uri: redirect_uri.clone(),
            },
        );
        let mut back = reqwest::Url::parse(&redirect_uri).expect("redirect_uri");
        back.query_pairs_mut().append_pair("code", &code);
        if let Some(s) = seen.q("state") {
            back.query_pairs_mut().append_pair("state", s);
        }
        match config.iss_mode {
            IssMode::Correct => drop(back.query_pairs_mut().append_pair("iss", &issuer)),
            IssMode::Wrong => drop(back.query_pairs_mut().append_pair("iss", "https://evil.example.com")),
            IssMode::Normalized => drop(back.query_pairs_mut().append_pair("iss", &format!("{issuer}/"))),
            IssMode::Omit => {}
        }
        return (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response();
    }
    if seen.method == "POST" && path == format!("{prefix}/register") && config.registration {
        let body = seen.json.clone().unwrap_or_default();
        let method = body["token_endpoint_auth_method"].as_str().unwrap_or("client_secret_basic").to_owned();
        let n = state.next();
        let mut answer = json!({
            "client_id": format!("{}-client-{n}", state.name),
            "client_name": body["client_name"],
            "redirect_uris": body["redirect_uris"],
            "token_endpoint_auth_method": method,
        });
        if method != "none" {
            answer["client_secret"] = json!(format!("secret {n}:é"));
        }
        return (StatusCode::CREATED, axum::Json(answer)).into_response();
    }
    if seen.method == "POST" && path == format!("{prefix}/token") && config.token_endpoint_down {
        return (StatusCode::SERVICE_UNAVAILABLE, "<html>down for maintenance</html>").into_response();
    }
    if seen.method == "POST" && path == format!("{prefix}/token") {
        let error = |e: &str| (StatusCode::BAD_REQUEST, axum::Json(json!({"error": e}))).into_response();
        let scopes = match seen.f("grant_type") {
            Some("authorization_code") => {
                let Some(grant) = state.codes.lock().unwrap().remove(seen.f("code").unwrap_or_default())
                else {
                    return error("invalid_grant");
                };
                let verifier = seen.f("code_verifier").unwrap_or_default();
                let computed =
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
                if computed != grant.challenge || seen.f("redirect_uri") != Some(grant.redirect_uri.as_str())
                {
                    return error("invalid_grant");
                }
                grant.scopes
            }
            Some("refresh_token") => {
                match state.refresh.lock().unwrap().remove(seen.f("refresh_token").unwrap_or_default()) {
                    Some(known) => known,
                    None => return error("invalid_grant"),
                }
            }
            Some("client_credentials") => {
                let basic = seen.authorization.as_deref().is_some_and(|a| a.starts_with("Basic "));
                if !basic && seen.f("client_assertion").is_none() {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"})))
                        .into_response();
                }
                seen.f("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default()
            }
            _ => return error("unsupported_grant_type"),
        };
        let n = state.next();
        let access = format!("{}-at-{n}", state.name);
        state.issued.lock().unwrap().insert(access.clone(), scopes.clone());
        let mut answer =
            json!({"access_token": access, "token_type": "Bearer", "expires_in": config.expires_in});
        if !scopes.is_empty() {
            answer["scope"] = json!(scopes.join(" "));
        }
        if config.issue_refresh_tokens {
            let refresh = format!("{}-rt-{n}", state.name);
            state.refresh.lock().unwrap().insert(refresh.clone(), scopes);
            answer["refresh_token"] = json!(refresh);
        }
        return axum::Json(answer).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// How the MCP (resource) server behaves.
#[derive(Debug, Clone)]
pub struct RsConfig {
    /// Where the metadata is served (`None`: nowhere).
    pub prm_path: Option<String>,
    pub prm_in_header: bool,
    pub scope_in_header: bool,
    /// A `resource` to publish instead of the real MCP URL.
    pub resource_override: Option<String>,
    pub scopes_supported: Option<Vec<&'static str>>,
    /// Scopes every request needs.
    pub required: Vec<&'static str>,
    /// Issuers listed in `authorization_servers`.
    pub authorization_servers: Vec<String>,
    /// Answer every valid token with 403 `insufficient_scope` (a scope no grant satisfies).
    pub never_enough: bool,
}

impl Default for RsConfig {
    fn default() -> Self {
        RsConfig {
            prm_path: Some("/.well-known/oauth-protected-resource/mcp".into()),
            prm_in_header: true,
            scope_in_header: false,
            resource_override: None,
            scopes_supported: None,
            required: Vec::new(),
            authorization_servers: Vec::new(),
            never_enough: false,
        }
    }
}

struct RsState {
    origin: String,
    config: Mutex<RsConfig>,
    log: Log,
    issued: Issued,
    revoked: Mutex<Vec<String>>,
}

/// A running MCP server that demands tokens.
#[derive(Clone)]
pub struct ResourceServer {
    state: Arc<RsState>,
}

impl ResourceServer {
    pub async fn start(config: RsConfig, log: Log, issued: Issued) -> ResourceServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://localhost:{}", listener.local_addr().expect("addr").port());
        let state =
            Arc::new(RsState { origin, config: Mutex::new(config), log, issued, revoked: Mutex::default() });
        let router = Router::new().fallback(rs_handler).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        ResourceServer { state }
    }

    pub fn origin(&self) -> String {
        self.state.origin.clone()
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.state.origin)
    }

    pub fn configure(&self, change: impl FnOnce(&mut RsConfig)) {
        change(&mut self.state.config.lock().unwrap());
    }

    pub fn issued(&self) -> Issued {
        self.state.issued.clone()
    }

    pub fn log(&self) -> Log {
        self.state.log.clone()
    }

    /// Makes the server refuse `token` from now on (as if revoked or expired early).
    pub fn revoke(&self, token: &str) {
        self.state.revoked.lock().unwrap().push(token.to_owned());
    }
}

async fn rs_handler(State(state): State<Arc<RsState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let seen = record(&state.log, "rs", &parts.method, &parts.uri, &parts.headers, &body).await;
    let config = state.config.lock().unwrap().clone();
    let mcp_url = format!("{}/mcp", state.origin);
    let prm_url = config.prm_path.as_ref().map(|p| format!("{}{p}", state.origin));
    if seen.method == "GET" && config.prm_path.as_deref() == Some(seen.path.as_str()) {
        let resource = config.resource_override.clone().unwrap_or_else(|| {
            if config.prm_path.as_deref() == Some("/.well-known/oauth-protected-resource") {
                state.origin.clone()
            } else {
                mcp_url.clone()
            }
        });
        let mut doc = json!({"resource": resource, "authorization_servers": config.authorization_servers});
        if let Some(s) = &config.scopes_supported {
            doc["scopes_supported"] = json!(s);
        }
        return axum::Json(doc).into_response();
    }
    if seen.method == "POST" && seen.path == "/mcp" {
        let challenge = |error: Option<&str>, scope: &[&str]| {
            let mut params = Vec::new();
            if let Some(e) = error {
                params.push(format!("error=\"{e}\""));
            }
            if !scope.is_empty() && (config.scope_in_header || error.is_some()) {
                params.push(format!("scope=\"{}\"", scope.join(" ")));
            }
            if let (true, Some(url)) = (config.prm_in_header, &prm_url) {
                params.push(format!("resource_metadata=\"{url}\""));
            }
            if params.is_empty() { "Bearer".to_owned() } else { format!("Bearer {}", params.join(", ")) }
        };
        let token = seen.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).map(str::to_owned);
        let granted = token
            .as_ref()
            .filter(|t| !state.revoked.lock().unwrap().contains(t))
            .and_then(|t| state.issued.lock().unwrap().get(t).cloned());
        let Some(granted) = granted else {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, challenge(None, &config.required))],
            )
                .into_response();
        };
        if config.never_enough || !config.required.iter().all(|r| granted.iter().any(|g| g == r)) {
            return (
                StatusCode::FORBIDDEN,
                [(header::WWW_AUTHENTICATE, challenge(Some("insufficient_scope"), &config.required))],
            )
                .into_response();
        }
        return axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": {}})).into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

/// What the HTTP client does with an [`Authorizer`] (the contract in AUTHORIZER.md): send
/// with `authorization()`, and on a 401 or a 403 `insufficient_scope` call `challenge` and
/// retry once. Returns the final status.
pub async fn call(authorizer: &dyn Authorizer, url: &str) -> Result<u16, AuthorizeError> {
    let http = reqwest::Client::new();
    let send = |auth: Option<String>| {
        let mut request = http.post(url).json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}));
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        request.send()
    };
    let first = send(authorizer.authorization().await?).await?;
    let status = first.status().as_u16();
    if status != 401 && status != 403 {
        return Ok(status);
    }
    let values: Vec<String> = first
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    authorizer.challenge(&Challenge::refusal(url, status, values)).await?;
    Ok(send(authorizer.authorization().await?).await?.status().as_u16())
}

/// The requests `server` received, as `METHOD path`.
pub fn requests(log: &Log, server: &str) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|s| s.server == server)
        .map(|s| format!("{} {}", s.method, s.path))
        .collect()
}

/// The requests received at `path` (any server).
pub fn at(log: &Log, path: &str) -> Vec<Seen> {
    log.lock().unwrap().iter().filter(|s| s.path.ends_with(path)).cloned().collect()
}

/// An authorization server and a resource server pointing at it.
pub async fn pair(as_config: AsConfig, mut rs_config: RsConfig) -> (AuthServer, ResourceServer, Log) {
    let log: Log = Arc::default();
    let issued: Issued = Arc::default();
    let auth = AuthServer::start("as1", as_config, log.clone(), issued.clone()).await;
    if rs_config.authorization_servers.is_empty() {
        rs_config.authorization_servers = vec![auth.issuer()];
    }
    let rs = ResourceServer::start(rs_config, log.clone(), issued).await;
    (auth, rs, log)
}

/// `application/x-www-form-urlencoded` encoding of one query value.
pub fn urlencode(value: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", &[("v", value)]).unwrap().query().unwrap()[2..].to_owned()
}
