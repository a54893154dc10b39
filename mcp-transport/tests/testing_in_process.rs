//! `mcp_connector_transport::testing`: the in-process HTTP client drives the real router (Host checks,
//! auth, sessions, SSE) without a socket, and the test issuer's tokens go through the real JWT
//! verifier: what an author's unit test of an authorized connector looks like, and proof that
//! each helper reports what went over the wire.
#![cfg(feature = "auth")]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mcp_connector_core::auth::Claims;
use mcp_connector_core::{Context, Server, tools};
use mcp_connector_transport::auth::{Auth, StaticTokens, WWW_AUTHENTICATE_META};
use mcp_connector_transport::http::HttpTransport;
use mcp_connector_transport::testing::{AuditLog, HttpTestClient, TestIssuer};
use serde_json::{Value, json};

const RESOURCE: &str = "http://localhost/mcp";

struct Tickets;

#[tools]
impl Tickets {
    /// List the open tickets.
    #[tool(read)]
    async fn list_tickets(&self) -> String {
        "1: printer on fire".into()
    }

    /// Close a ticket.
    #[tool(write, idempotent, scope = "tickets:write")]
    async fn close_ticket(&self, id: u32, claims: Claims) -> String {
        format!("ticket {id} closed by {}", claims.subject.unwrap_or_default())
    }

    /// Export the tickets, reporting progress.
    #[tool(read)]
    async fn export(&self, ctx: Context) -> String {
        ctx.progress(1.0, Some(2.0), Some("half way"));
        "exported".into()
    }
}

fn server() -> Server {
    Server::builder("tickets", "1.0.0").tools(Tickets).build().unwrap()
}

fn mixed(issuer: &TestIssuer) -> HttpTestClient {
    let auth = Auth::mixed(RESOURCE, issuer.verifier(RESOURCE)).authorization_server(issuer.issuer());
    HttpTestClient::new(HttpTransport::new(server()).auth(auth).router())
}

fn text(answer: &mcp_connector_transport::testing::TestResponse) -> String {
    answer.result()["content"][0]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn mixed_mode_lets_reads_through_and_challenges_a_write_inside_the_result() {
    let issuer = TestIssuer::new("https://issuer.test/");
    let client = mixed(&issuer);
    // 2025-11-25 basic/authorization: the metadata is public.
    let metadata = client.get("/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(metadata.status(), 200);
    assert_eq!(metadata.json()["resource"], RESOURCE);
    assert_eq!(metadata.json()["authorization_servers"], json!(["https://issuer.test/"]));

    let listed = client.list_tools().await;
    assert_eq!(listed.status(), 200);
    let schemes = &listed.result()["tools"][1]["securitySchemes"];
    assert_eq!(schemes, &json!([{"type": "oauth2", "scopes": ["tickets:write"]}]));
    assert_eq!(text(&client.call_tool("list_tickets", json!({})).await), "1: printer on fire");

    // Without a token, the write answers a tool error carrying the login challenge.
    let anonymous = client.call_tool("close_ticket", json!({"id": 7})).await;
    assert_eq!(anonymous.status(), 200);
    let result = anonymous.result();
    assert_eq!(result["isError"], true);
    let challenge = result["_meta"][WWW_AUTHENTICATE_META][0].as_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("tickets:write"), "{challenge}");

    // With a token of the issuer carrying the scope: the handler sees the verified subject.
    let token = issuer.token(RESOURCE).subject("alice").scopes(["tickets:write"]).sign();
    let signed_in = client.clone().bearer(token);
    assert_eq!(
        text(&signed_in.call_tool("close_ticket", json!({"id": 7})).await),
        "ticket 7 closed by alice"
    );
}

#[tokio::test]
async fn a_missing_scope_is_a_403_with_the_challenge_and_both_audit_events() {
    let issuer = TestIssuer::new("https://issuer.test/");
    let client = mixed(&issuer);
    let audit = AuditLog::start();

    let reader = issuer.token(RESOURCE).subject("bob").client_id("chatgpt").scopes(["tickets:read"]).sign();
    let refused = client.clone().bearer(reader).call_tool("close_ticket", json!({"id": 7})).await;
    // 2025-11-25 basic/authorization, "Runtime Insufficient Scope Errors": 403 and
    // `error="insufficient_scope"` with the scopes needed.
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.challenge("error").as_deref(), Some("insufficient_scope"));
    let scope = refused.challenge("scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "tickets:write"), "{scope}");
    assert_eq!(
        refused.challenge("resource_metadata").as_deref(),
        Some("http://localhost/.well-known/oauth-protected-resource/mcp")
    );

    let events = audit.events();
    assert_eq!(events.len(), 2, "{events:?}");
    let (denied, refusal) = (&events[0], &events[1]);
    assert_eq!(denied.message(), "write tool call");
    assert_eq!(denied.field("tool"), Some(&json!("close_ticket")));
    assert_eq!(denied.field("subject"), Some(&json!("bob")));
    assert_eq!(denied.field("client"), Some(&json!("chatgpt")));
    assert_eq!(denied.field("outcome"), Some(&json!("denied")));
    let hash = denied.field("args_sha256").and_then(Value::as_str).unwrap();
    assert_eq!(hash.len(), 64, "a hex SHA-256 of the arguments, not the arguments: {hash}");
    assert_eq!(refusal.message(), "token refused");
    assert_eq!(refusal.field("status"), Some(&json!(403)));
    assert_eq!(refusal.field("reason"), Some(&json!("insufficient_scope")));
    assert_eq!(refusal.field("peer"), Some(&json!("127.0.0.1")));

    // Reads are not audited; a successful write is, once.
    let writer = issuer.token(RESOURCE).subject("alice").scopes(["tickets:write"]).sign();
    let writer = client.clone().bearer(writer);
    assert_eq!(writer.call_tool("list_tickets", json!({})).await.status(), 200);
    assert_eq!(writer.call_tool("close_ticket", json!({"id": 8})).await.status(), 200);
    let events = audit.events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[2].field("outcome"), Some(&json!("ok")));
    assert_eq!(events[2].field("subject"), Some(&json!("alice")));
}

#[tokio::test]
async fn tokens_the_verifier_must_refuse_are_401s() {
    let issuer = TestIssuer::new("https://issuer.test/");
    let client = mixed(&issuer);
    let audit = AuditLog::start();
    let impostor = TestIssuer::new("https://issuer.test/");
    for (what, token) in [
        ("expired", issuer.token(RESOURCE).scopes(["tickets:write"]).expired().sign()),
        ("another audience", issuer.token("https://other.test/mcp").scopes(["tickets:write"]).sign()),
        ("another key", impostor.token(RESOURCE).scopes(["tickets:write"]).sign()),
        ("not a JWT", "not-a-token".to_owned()),
    ] {
        let answer = client.clone().bearer(token).call_tool("list_tickets", json!({})).await;
        assert_eq!(answer.status(), 401, "{what}: {}", answer.text());
        assert_eq!(answer.challenge("error").as_deref(), Some("invalid_token"), "{what}");
    }
    let reasons: Vec<Value> = audit.events().iter().filter_map(|e| e.field("reason").cloned()).collect();
    assert_eq!(reasons, vec![json!("invalid_token"); 4]);
    // A token that expires within the test's own window is still good now.
    let short = issuer.token(RESOURCE).expires_in(Duration::from_secs(60)).sign();
    assert_eq!(client.clone().bearer(short).list_tools().await.status(), 200);
}

#[tokio::test]
async fn required_mode_refuses_a_request_without_a_token() {
    let tokens = StaticTokens::new().user("secret", "alice", ["tickets:write"]);
    let router = HttpTransport::new(server()).auth(Auth::required(RESOURCE, tokens)).router();
    let client = HttpTestClient::new(router);
    let answer = client.list_tools().await;
    assert_eq!(answer.status(), 401);
    assert!(answer.header("www-authenticate").unwrap().starts_with("Bearer "));
    assert_eq!(client.clone().bearer("secret").list_tools().await.status(), 200);
}

#[tokio::test]
async fn sse_answers_sessions_headers_and_the_host_check() {
    // Stateful: the session id from `initialize` goes back on every later request.
    let router = HttpTransport::new(server()).stateful(true).router();
    let client = HttpTestClient::new(router);
    assert!(client.list_tools().await.status().is_client_error(), "no session yet");
    let init = client.initialize().await;
    assert_eq!(init.status(), 200);
    assert_eq!(init.result()["protocolVersion"], "2025-11-25");
    let session = client.session_id().expect("a stateful server gives a session id");
    assert_eq!(init.header("mcp-session-id"), Some(session.as_str()));
    assert_eq!(client.list_tools().await.result()["tools"].as_array().unwrap().len(), 3);

    // A call that reports progress is answered as an SSE stream: the notification, then the
    // response, each an event.
    let export = client
        .post(json!({"jsonrpc": "2.0", "id": 99, "method": "tools/call",
                     "params": {"name": "export", "arguments": {}, "_meta": {"progressToken": "p1"}}}))
        .await;
    assert!(export.is_sse(), "{:?}", export.headers());
    let messages = export.messages();
    assert_eq!(messages.len(), 2, "{}", export.text());
    assert_eq!(messages[0]["method"], "notifications/progress");
    assert_eq!(messages[0]["params"]["message"], "half way");
    assert_eq!(messages[1]["id"], 99);
    assert_eq!(text(&export), "exported");
    // 2025-11-25 transports: the stream opens with an event that has an id and empty data
    // (so the client can resume); every other event carries one JSON-RPC message.
    let events = export.sse_events();
    assert_eq!(events.len(), 3, "{}", export.text());
    assert!(events[0].id.is_some() && events[0].data.is_empty(), "{:?}", events[0]);
    assert!(events[1..].iter().all(|e| serde_json::from_str::<Value>(&e.data).is_ok()), "{events:?}");

    // The Host allow-list runs in process too (DNS rebinding protection).
    let foreign = client.clone().header("host", "evil.example").list_tools().await;
    assert_eq!(foreign.status(), 403);
    assert!(foreign.text().contains("evil.example"), "{}", foreign.text());
}
