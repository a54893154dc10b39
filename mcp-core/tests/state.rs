//! Server-wide state (`ServerBuilder::state`, the `State<T>` extractor) and its separation from
//! what a transport attaches to a request.

use mcp_connector_core::auth::Claims;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Context, Server, State, tool};
use serde_json::json;

#[derive(Clone)]
struct Counter(std::sync::Arc<std::sync::atomic::AtomicU32>);

/// Count a visit.
#[tool(write, destructive = false)]
async fn visit(counter: State<Counter>) -> String {
    let n = counter.0.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    format!("visit {n}")
}

/// Whether the request carries verified claims.
#[tool(read)]
async fn who(ctx: Context) -> String {
    match ctx.extensions().get::<Claims>() {
        Some(claims) => format!("caller {:?}", claims.subject),
        None => "anonymous".to_owned(),
    }
}

#[tokio::test]
async fn handlers_share_state_registered_on_the_builder() {
    let counter = Counter(Default::default());
    let server = Server::builder("s", "1").state(counter.clone()).tool(visit::tool()).build().unwrap();
    let client = TestClient::connect(server).await;
    client.call_tool("visit", json!({})).await.unwrap();
    let second = client.call_tool("visit", json!({})).await.unwrap();
    assert_eq!(second.content[0].as_text(), Some("visit 2"));
    assert_eq!(counter.0.load(std::sync::atomic::Ordering::Relaxed), 2);
}

#[tokio::test]
async fn missing_state_is_a_tool_error_that_names_the_fix() {
    let server = Server::builder("s", "1").tool(visit::tool()).build().unwrap();
    let client = TestClient::connect(server).await;
    let result = client.call_tool("visit", json!({})).await.unwrap();
    assert!(result.failed());
    assert!(result.content[0].as_text().unwrap().contains("ServerBuilder::state"));
}

#[tokio::test]
async fn state_never_poses_as_request_extensions() {
    // A value registered as server state (here, by mistake, a `Claims`) must not make an
    // unauthenticated request look authenticated.
    let claims = Claims { subject: Some("admin".into()), ..Default::default() };
    let server = Server::builder("s", "1").state(claims).tool(who::tool()).build().unwrap();
    let client = TestClient::connect(server).await;
    let result = client.call_tool("who", json!({})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("anonymous"));
}
