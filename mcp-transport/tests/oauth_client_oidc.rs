//! The OAuth client end to end against a real authorization server (oidc-provider, from
//! `interop/oauth`) and this crate's own protected MCP server (`Auth::required` with a
//! `JwtVerifier`): discovery from the 401, dynamic registration, the code flow with PKCE and
//! the resource indicator, a step-up on 403 `insufficient_scope`, and refresh-token rotation.
//! Skips (saying so on stderr) when `interop/oauth/node_modules` is missing, unless
//! `MCP_INTEROP=required`.
#![cfg(all(feature = "auth", feature = "oauth-client"))]

mod auth_support;

use std::sync::Arc;
use std::time::Duration;

use auth_support::{RealIssuer, call, initialize, listener, serve_on, server};
use mcp_connector_transport::auth::{Auth, JwtVerifier};
use mcp_connector_transport::client::oauth::{HeadlessBrowser, InMemoryTokenStore, OAuthClient, TokenStore};
use mcp_connector_transport::client::{Authorizer, Challenge};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

/// One JSON-RPC request the way the HTTP client sends it with an authorizer: the header from
/// `authorization()`, and on a 401 / 403 `insufficient_scope` one `challenge` and one retry.
async fn send(oauth: &OAuthClient, url: &str, body: &Value) -> (u16, Value) {
    let http = reqwest::Client::new();
    let post = |auth: Option<String>| {
        let mut request = http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let mut response = post(oauth.authorization().await.expect("authorization")).await.expect("sent");
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        let values: Vec<String> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        oauth.challenge(&Challenge::refusal(url, status, values)).await.expect("challenge answered");
        response = post(oauth.authorization().await.expect("authorization")).await.expect("sent");
    }
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_step_up_and_refresh_against_oidc_provider() {
    let Some(real) = tokio::task::spawn_blocking(RealIssuer::start).await.expect("start") else {
        return;
    };
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let verifier = JwtVerifier::new(&real.issuer, &resource).leeway(Duration::from_secs(1));
    // Basic use needs `tickets:read`; `close_ticket` needs `tickets:write` (a step-up).
    let auth = Auth::required(&resource, verifier)
        .authorization_server(&real.issuer)
        .scopes_supported(["tickets:read"]);
    serve_on(listener, HttpTransport::new(server()).auth(auth).router());

    let store = Arc::new(InMemoryTokenStore::new());
    let oauth = OAuthClient::builder(&resource)
        .client_name("oauth-client-e2e")
        .token_store(store.clone())
        .build(HeadlessBrowser::new("http://127.0.0.1:9/callback"))
        .expect("client");

    // First contact: 401, discovery, registration, code flow; the retry succeeds.
    let (status, body) = send(&oauth, &resource, &initialize()).await;
    assert_eq!(status, 200, "{body}");
    let first = oauth.tokens().await.expect("store").expect("tokens");
    assert_eq!(first.issuer, real.issuer);
    assert_eq!(first.resource, resource);
    assert!(first.requested_scopes.contains(&"tickets:read".to_owned()), "{:?}", first.requested_scopes);
    assert!(
        first.refresh_token.is_some(),
        "offline_access was offered by the AS and asked for: a refresh token ({:?})",
        first.requested_scopes
    );

    // A read works; the write answers 403 insufficient_scope: step-up with the union.
    let (status, body) = send(&oauth, &resource, &call("whoami", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(&oauth, &resource, &call("close_ticket", json!({"id": 7}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["content"][0]["text"], "ticket 7 closed by alice", "{body}");
    let stepped = oauth.tokens().await.expect("store").expect("tokens");
    for scope in ["tickets:read", "tickets:write"] {
        assert!(stepped.requested_scopes.contains(&scope.to_owned()), "{:?}", stepped.requested_scopes);
    }

    // Refresh: make the held token due, then the next request refreshes it first (grant
    // refresh_token with the same resource, so the new token still has this server as its
    // audience) and the server accepts the new token; the refresh token rotates.
    let mut due = stepped.clone();
    due.expires_at = Some(0);
    store.save_tokens(&resource, Some(&due)).await.expect("store");
    let (status, body) = send(&oauth, &resource, &call("close_ticket", json!({"id": 8}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["content"][0]["text"], "ticket 8 closed by alice", "{body}");
    let refreshed = oauth.tokens().await.expect("store").expect("tokens");
    assert_ne!(refreshed.access_token, stepped.access_token, "a new access token");
    assert!(refreshed.expires_at.is_some_and(|at| at > 0));
    assert!(refreshed.refresh_token.is_some());
    assert_eq!(refreshed.requested_scopes, stepped.requested_scopes, "the grant's scopes are kept");

    // The old refresh token was spent (rotation): using it again fails, and the client,
    // finding it refused, forgets the tokens instead of sending a dead one.
    store.save_tokens(&resource, Some(&due)).await.expect("store");
    assert_eq!(oauth.authorization().await.expect("no error, just no token"), None);
    assert!(oauth.tokens().await.expect("store").is_none());
    drop(real);
}
