//! A tool past its timeout: the call answers a tool error, and work the handler spawned beyond
//! its own future is told to stop through the request's cancellation token.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Server, Tool};
use serde_json::json;

#[tokio::test]
async fn a_timed_out_call_answers_a_tool_error_and_cancels_what_it_spawned() {
    let stopped = Arc::new(AtomicBool::new(false));
    let seen = stopped.clone();
    let slow = Tool::read("export")
        .title("Export")
        .description("Exports everything, slowly.")
        .timeout(Duration::from_millis(100))
        .handler(move |ctx, _args| {
            let seen = seen.clone();
            async move {
                // Background work that outlives the handler's future unless it is told to stop.
                let cancel = ctx.cancellation();
                tokio::spawn(async move {
                    cancel.cancelled().await;
                    seen.store(true, Ordering::SeqCst);
                });
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(CallToolResult::text("exported"))
            }
        });
    let server = Server::builder("s", "1").tool(slow).build().unwrap();
    let client = TestClient::connect(server).await;
    let result = tokio::time::timeout(Duration::from_secs(10), client.call_tool("export", json!({})))
        .await
        .expect("an answer, not a hang")
        .unwrap();
    assert!(result.failed(), "{result:?}");
    assert!(result.content[0].as_text().unwrap().contains("did not finish within"), "{result:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !stopped.load(Ordering::SeqCst) {
        assert!(tokio::time::Instant::now() < deadline, "the spawned work was never told to stop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The session still serves calls afterwards.
    assert!(client.request("ping", json!({})).await.is_ok());
}
