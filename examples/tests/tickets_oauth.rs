//! The `tickets` example with OAuth, as a deployer runs it: the binary started with
//! `--auth-issuer` pointing at a real authorization server (oidc-provider, from
//! `interop/oauth`), driven the way ChatGPT drives it: an anonymous read, a write answered with
//! a login challenge, discovery from that challenge (RFC 9728, then RFC 8414), dynamic client
//! registration (RFC 7591), the authorization code flow with PKCE S256 and a resource indicator
//! (RFC 8707), then a write with the scoped token and a refused write (`delete_ticket` needs
//! `tickets:admin`). Static tokens from a file, and required mode, without an issuer.
//!
//! Skips (saying so) when `interop/oauth/node_modules` is missing, unless `MCP_INTEROP=required`
//! as in CI.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Served, TempDb, interop_dir};

const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const PROTOCOL: &str = "2025-11-25";
const STATIC_TOKEN: &str = "static-ci-token-0123456789abcdef";

/// oidc-provider on a free loopback port; killed on drop.
struct RealIssuer {
    issuer: String,
    child: Child,
}

impl RealIssuer {
    fn start() -> Option<RealIssuer> {
        let dir = interop_dir().join("oauth");
        let marker = dir.join("node_modules/oidc-provider/package.json");
        if !marker.exists() {
            let required = std::env::var("MCP_INTEROP").is_ok_and(|v| v == "required");
            assert!(!required, "oidc-provider is not installed ({} is missing)", marker.display());
            eprintln!("skipping: {} is missing (run `cd interop/oauth && npm ci`)", marker.display());
            return None;
        }
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("the announcement");
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let announced: Value = serde_json::from_str(&line).expect("one JSON line");
        Some(RealIssuer { issuer: announced["issuer"].as_str().expect("issuer").to_owned(), child })
    }
}

impl Drop for RealIssuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tokens file, removed when dropped.
struct TokensFile(PathBuf);

impl TokensFile {
    fn new(name: &str, text: &str) -> TokensFile {
        let path = std::env::temp_dir().join(format!("tickets-tokens-{}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("tokens file");
        TokensFile(path)
    }
}

impl Drop for TokensFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn rpc(url: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL)
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

fn call(tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

async fn result(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    body.get("result").cloned().unwrap_or_else(|| panic!("no result: {body}"))
}

fn param(challenge: &str, name: &str) -> Option<String> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

fn new_ticket(title: &str) -> Value {
    json!({"title": title, "body": "made by the OAuth test", "idempotency_key": title})
}

/// From a mixed-mode login challenge to the authorization server's endpoints.
async fn discover(challenge: &str, resource: &str) -> Value {
    let metadata_url = param(challenge, "resource_metadata").expect("resource_metadata");
    let prm: Value = client().get(&metadata_url).send().await.expect("PRM").json().await.expect("JSON");
    assert_eq!(prm["resource"], json!(resource));
    assert_eq!(prm["scopes_supported"], json!(["tickets:read", "tickets:write", "tickets:admin"]));
    let issuer = prm["authorization_servers"][0].as_str().expect("an authorization server").to_owned();
    for url in [
        format!("{issuer}/.well-known/oauth-authorization-server"),
        format!("{issuer}/.well-known/openid-configuration"),
    ] {
        let response = client().get(&url).send().await.expect("AS metadata");
        if response.status() == 200 {
            let meta: Value = response.json().await.expect("JSON");
            assert!(
                meta["code_challenge_methods_supported"]
                    .as_array()
                    .is_some_and(|m| m.contains(&json!("S256")))
            );
            return meta;
        }
    }
    panic!("no authorization server metadata at {issuer}");
}

async fn register(meta: &Value) -> String {
    let response = client()
        .post(meta["registration_endpoint"].as_str().expect("registration_endpoint"))
        .json(&json!({
            "client_name": "tickets-oauth-test", "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"], "response_types": ["code"],
        }))
        .send()
        .await
        .expect("registration");
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.expect("JSON")["client_id"].as_str().expect("client_id").to_owned()
}

/// Authorization code with PKCE S256 and `resource`; login and consent are automatic there.
async fn authorize(issuer: &str, meta: &Value, client_id: &str, scope: &str, resource: &str) -> String {
    let verifier = "tickets-oauth-test-verifier-".repeat(3);
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url =
        reqwest::Url::parse(meta["authorization_endpoint"].as_str().expect("endpoint")).expect("URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("resource", resource)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "s");
    let mut next = url.to_string();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let code = loop {
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let response = client().get(&next).header("cookie", jar.join("; ")).send().await.expect("step");
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap_or_default().split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        assert!(response.status().is_redirection(), "{} at {next}", response.status());
        let location = response.headers()["location"].to_str().expect("location").to_owned();
        if location.starts_with(REDIRECT_URI) {
            let back = reqwest::Url::parse(&location).expect("redirect");
            break back.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
        }
        next = if location.starts_with('/') { format!("{issuer}{location}") } else { location };
    };
    let response = client()
        .post(meta["token_endpoint"].as_str().expect("token_endpoint"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", client_id),
            ("code_verifier", &verifier),
            ("resource", resource),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.expect("JSON")["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_with_auth_issuer_against_oidc_provider() {
    let Some(real) = tokio::task::spawn_blocking(RealIssuer::start).await.expect("start") else { return };
    let db = TempDb::new("oauth");
    let tokens = TokensFile::new("oauth", &format!("{STATIC_TOKEN} ci tickets:read tickets:write\n"));
    let served = Served::start(
        TICKETS,
        &[
            "--db".as_ref(),
            db.0.as_os_str(),
            "--auth-issuer".as_ref(),
            real.issuer.as_ref(),
            "--tokens-file".as_ref(),
            tokens.0.as_os_str(),
        ],
    );
    let url = served.url.clone();

    // Mixed mode (the default): reads are anonymous.
    let found = result(rpc(&url, None, call("search_tickets", json!({"query": ""}))).await).await;
    assert_ne!(found["isError"], json!(true), "{found}");
    // A write without a token answers a login challenge in `_meta` (ChatGPT's mixed auth).
    let refused = result(rpc(&url, None, call("create_ticket", new_ticket("anonymous"))).await).await;
    assert_eq!(refused["isError"], json!(true));
    let challenge = refused["_meta"]["mcp/www_authenticate"][0].as_str().expect("a challenge").to_owned();

    // Discovery, registration, PKCE: a token for this resource with read and write.
    let meta = discover(&challenge, &url).await;
    let client_id = register(&meta).await;
    let token = authorize(&real.issuer, &meta, &client_id, "openid tickets:read tickets:write", &url).await;

    // A write with the scoped token.
    let created =
        result(rpc(&url, Some(&token), call("create_ticket", new_ticket("with oauth"))).await).await;
    assert_ne!(created["isError"], json!(true), "{created}");
    let id = created["structuredContent"]["id"].as_u64().expect("the new ticket's id");
    // A refused write: deleting needs tickets:admin, which this token lacks.
    let response = rpc(&url, Some(&token), call("delete_ticket", json!({"id": id}))).await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"].to_str().expect("challenge").to_owned();
    assert_eq!(param(&challenge, "error").as_deref(), Some("insufficient_scope"));
    assert!(param(&challenge, "scope").unwrap_or_default().contains("tickets:admin"), "{challenge}");
    // With tickets:admin granted, the delete goes through.
    let admin = authorize(&real.issuer, &meta, &client_id, "openid tickets:admin", &url).await;
    let deleted = result(rpc(&url, Some(&admin), call("delete_ticket", json!({"id": id}))).await).await;
    assert_ne!(deleted["isError"], json!(true), "{deleted}");

    // The static token from the file works beside the issuer's tokens.
    let created =
        result(rpc(&url, Some(STATIC_TOKEN), call("create_ticket", new_ticket("static"))).await).await;
    assert_ne!(created["isError"], json!(true), "{created}");
    assert_eq!(
        rpc(&url, Some("not-a-token"), call("search_tickets", json!({"query": ""}))).await.status(),
        401
    );
    served.stop();
    drop(real);
}

#[tokio::test]
async fn tickets_in_required_mode_with_static_tokens_only() {
    let db = TempDb::new("required");
    let tokens = TokensFile::new("required", &format!("# CI\n{STATIC_TOKEN} ci tickets:read\n"));
    let served = Served::start(
        TICKETS,
        &[
            "--db".as_ref(),
            db.0.as_os_str(),
            "--tokens-file".as_ref(),
            tokens.0.as_os_str(),
            "--auth-mode".as_ref(),
            "required".as_ref(),
        ],
    );
    let url = served.url.clone();
    let response = rpc(&url, None, call("search_tickets", json!({"query": ""}))).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().expect("challenge").to_owned();
    let base = url.trim_end_matches("/mcp");
    assert_eq!(
        param(&challenge, "resource_metadata").as_deref(),
        Some(format!("{base}/.well-known/oauth-protected-resource/mcp").as_str())
    );
    let found =
        result(rpc(&url, Some(STATIC_TOKEN), call("search_tickets", json!({"query": ""}))).await).await;
    assert_ne!(found["isError"], json!(true), "{found}");
    // Read-only token: a write is refused with 403.
    assert_eq!(rpc(&url, Some(STATIC_TOKEN), call("create_ticket", new_ticket("x"))).await.status(), 403);
    served.stop();
}

#[test]
fn a_bad_tokens_file_stops_the_server_at_start_without_printing_the_token() {
    let db = TempDb::new("bad-tokens");
    let tokens = TokensFile::new("bad", "short-secret\n");
    let output = Command::new(TICKETS)
        .args(["--http", "127.0.0.1:0", "--db"])
        .arg(&db.0)
        .arg("--tokens-file")
        .arg(&tokens.0)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("entry 1: write `TOKEN SUBJECT [SCOPE...]`"), "{stderr}");
    assert!(!stderr.contains("short-secret"), "{stderr}");
}
