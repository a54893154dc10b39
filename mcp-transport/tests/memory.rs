//! The in-memory transport: messages in, messages out, in one process.

use std::time::Duration;

use mcp_connector_core::jsonrpc::Message;
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Server, Tool};
use serde_json::json;

#[tokio::test]
async fn requests_notifications_and_server_requests_flow_both_ways() {
    let server = Server::builder("mem", "1")
        .tool(Tool::write("confirm").handler(|ctx, _args| async move {
            ctx.progress(1.0, None, Some("asking"));
            let answer = ctx
                .request(
                    "elicitation/create",
                    json!({"message": "ok?", "requestedSchema": {"type": "object", "properties": {}}}),
                )
                .await?;
            Ok(CallToolResult::text(answer["action"].as_str().unwrap_or("?").to_owned()))
        }))
        .build()
        .unwrap();
    let mut client = mcp_connector_transport::memory::connect(server);
    let init = json!({"protocolVersion": "2025-11-25", "capabilities": {"elicitation": {}}, "clientInfo": {"name": "m", "version": "1"}});
    client.send(Message::request(1, "initialize", Some(init))).unwrap();
    let reply = client.recv().await.unwrap();
    assert_eq!(reply.to_value()["result"]["protocolVersion"], "2025-11-25");

    client
        .send(Message::request(
            2,
            "tools/call",
            Some(json!({"name": "confirm", "_meta": {"progressToken": "t"}})),
        ))
        .unwrap();
    let progress = client.recv().await.unwrap();
    assert_eq!(progress.method(), Some("notifications/progress"));
    let Message::Request(ask) = client.recv().await.unwrap() else {
        panic!("expected the server's elicitation")
    };
    assert_eq!(ask.method, "elicitation/create");
    client.send(Message::response(ask.id, json!({"action": "decline"}))).unwrap();
    let done = tokio::time::timeout(Duration::from_secs(5), client.recv()).await.unwrap().unwrap();
    assert_eq!(
        done.to_value(),
        json!({"jsonrpc": "2.0", "id": 2, "result": {"content": [{"type": "text", "text": "decline"}]}})
    );
}
