//! Stateful sessions are bound to the principal that opened them, over a real loopback socket.
//!
//! 2025-11-25, basic/security_best_practices, "Session Hijacking", Mitigation: servers that
//! implement authorization MUST verify all inbound requests and MUST NOT use sessions for
//! authentication; they SHOULD bind session ids to user-specific information. Here a session
//! id presented by anyone but its owner is answered exactly like an unknown one
//! (basic/transports, "Session Management", item 3: 404), for POST, GET and DELETE, and for the
//! legacy HTTP+SSE transport.
#![cfg(feature = "auth")]

mod auth_support;

use auth_support::*;
use mcp_connector_transport::auth::{Auth, StaticTokens};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

const ALICE: &str = "alice-token";
const BOB: &str = "bob-token";

fn tokens() -> StaticTokens {
    StaticTokens::new().user(ALICE, "alice", ["tickets:read", "tickets:write"]).user(
        BOB,
        "bob",
        ["tickets:read", "tickets:write"],
    )
}

/// A stateful connector in mixed mode (anonymous reads allowed, so anonymous sessions exist too),
/// with the legacy transport on. Returns (base, mcp url).
async fn start() -> (String, String) {
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let router = HttpTransport::new(server())
        .stateful(true)
        .legacy_sse(true)
        .auth(Auth::mixed(&resource, tokens()))
        .router();
    serve_on(listener, router);
    (base, resource)
}

fn request(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    session: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut request = client()
        .request(method, url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    request
}

async fn post(url: &str, token: Option<&str>, session: Option<&str>, body: &Value) -> reqwest::Response {
    request(reqwest::Method::POST, url, token, session)
        .header("content-type", "application/json")
        .json(body)
        .send()
        .await
        .expect("POST sent")
}

/// Opens a session as `token` (anonymous when `None`) and returns its id.
async fn open(url: &str, token: Option<&str>) -> String {
    let response = post(url, token, None, &initialize()).await;
    assert_eq!(response.status(), 200);
    let id = response.headers()["mcp-session-id"].to_str().expect("ASCII").to_owned();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(url, token, Some(&id), &initialized).await.status(), 202);
    id
}

/// Status and body bytes, to compare a refusal with the answer for an unknown session.
async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn another_principals_session_is_answered_as_if_it_did_not_exist() {
    let (_, url) = start().await;
    let alice = open(&url, Some(ALICE)).await;
    let unknown =
        answer(post(&url, Some(BOB), Some("0123456789abcdef0123456789abcdef"), &list_tools()).await).await;
    assert_eq!(unknown.0, 404);

    // Bob, with a valid token of his own, names Alice's session: the same 404, byte for byte.
    let call = call("whoami", json!({}));
    assert_eq!(answer(post(&url, Some(BOB), Some(&alice), &call).await).await, unknown);
    // Nor can an anonymous caller use it (mixed mode lets anonymous requests in).
    assert_eq!(answer(post(&url, None, Some(&alice), &list_tools()).await).await, unknown);
    // Nor open its GET stream, nor end it.
    let get =
        request(reqwest::Method::GET, &url, Some(BOB), Some(&alice)).header("accept", "text/event-stream");
    assert_eq!(get.send().await.expect("GET sent").status(), 404);
    let delete = request(reqwest::Method::DELETE, &url, Some(BOB), Some(&alice));
    assert_eq!(delete.send().await.expect("DELETE sent").status(), 404);

    // Alice's session is untouched: her calls work and run as her.
    let response = post(&url, Some(ALICE), Some(&alice), &call).await;
    let result = result(response).await;
    assert_eq!(result["content"][0]["text"], "alice||tickets:read tickets:write");
    // And she, only she, can end it.
    let delete = request(reqwest::Method::DELETE, &url, Some(ALICE), Some(&alice));
    assert_eq!(delete.send().await.expect("DELETE sent").status(), 204);
    assert_eq!(post(&url, Some(ALICE), Some(&alice), &call).await.status(), 404);
}

#[tokio::test]
async fn an_anonymous_session_is_not_adopted_by_a_signed_in_caller() {
    // A signed-in caller taking over an anonymous session would inherit whatever the session
    // carries (its GET stream, its pending requests): it must open its own, as the spec tells
    // clients to on a 404.
    let (_, url) = start().await;
    let anonymous = open(&url, None).await;
    assert_eq!(post(&url, Some(ALICE), Some(&anonymous), &list_tools()).await.status(), 404);
    assert_eq!(post(&url, None, Some(&anonymous), &list_tools()).await.status(), 200);
}

#[tokio::test]
async fn the_same_principal_with_a_fresh_token_keeps_its_session() {
    // Tokens are refreshed during a session; the binding is to the user, not to the token.
    let (listener, base) = listener().await;
    let url = format!("{base}/mcp");
    let tokens = tokens().user("alice-refreshed", "alice", ["tickets:read"]);
    let router = HttpTransport::new(server()).stateful(true).auth(Auth::mixed(&url, tokens)).router();
    serve_on(listener, router);
    let id = open(&url, Some(ALICE)).await;
    assert_eq!(post(&url, Some("alice-refreshed"), Some(&id), &list_tools()).await.status(), 200);
}

#[tokio::test]
async fn a_legacy_sse_connection_takes_messages_only_from_its_owner() {
    let (base, _) = start().await;
    let stream = client()
        .get(format!("{base}/sse"))
        .header("accept", "text/event-stream")
        .bearer_auth(ALICE)
        .send()
        .await
        .expect("GET /sse sent");
    assert_eq!(stream.status(), 200);
    // The first event names the endpoint with the session id.
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk =
            tokio::time::timeout(std::time::Duration::from_secs(5), futures_util::StreamExt::next(&mut body))
                .await
                .expect("endpoint event in time")
                .expect("stream open")
                .expect("chunk");
        text.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
    let endpoint =
        text.lines().find_map(|l| l.strip_prefix("data: ")).expect("endpoint event").trim().to_owned();
    let post_as = |token: &'static str| {
        client()
            .post(format!("{base}{endpoint}"))
            .header("content-type", "application/json")
            .bearer_auth(token)
            .json(&list_tools())
            .send()
    };
    assert_eq!(post_as(BOB).await.expect("sent").status(), 404);
    assert_eq!(post_as(ALICE).await.expect("sent").status(), 202);
}
