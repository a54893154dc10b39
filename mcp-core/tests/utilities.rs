//! Logging, progress, cancellation and requests to the client (2025-11-25:
//! server/utilities/logging, basic/utilities/progress, basic/utilities/cancellation,
//! client/elicitation, client/sampling, client/roots).

mod common;

use std::time::Duration;

use mcp_connector_core::jsonrpc::{ErrorObject, Message};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Extensions, Outbound};
use serde_json::json;

#[tokio::test]
async fn progress_notifications_carry_the_callers_token() {
    let client = TestClient::connect(common::server()).await;
    let result = client
        .request(
            "tools/call",
            json!({"name": "slow", "arguments": {"ms": 40}, "_meta": {"progressToken": "p-1"}}),
        )
        .await
        .unwrap();
    assert_eq!(result["content"][0]["text"], "done");
    let progress = client.notifications("notifications/progress");
    assert_eq!(progress.len(), 4);
    assert_eq!(
        progress[0],
        json!({"progressToken": "p-1", "progress": 1.0, "total": 4.0, "message": "step 1"})
    );
    assert_eq!(progress[3]["progress"], 4.0);
}

#[tokio::test]
async fn no_progress_without_a_token() {
    let client = TestClient::connect(common::server()).await;
    client.call_tool("slow", json!({"ms": 4})).await.unwrap();
    assert!(client.notifications("notifications/progress").is_empty());
}

#[tokio::test]
async fn cancellation_stops_the_handler_and_sends_no_response() {
    let server = common::server();
    let (outbound, mut rx) = Outbound::channel();
    let session = server.session(outbound.clone());
    let init = json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}});
    session
        .handle(Message::request(0, "initialize", Some(init)), &outbound, Extensions::new())
        .await
        .unwrap();

    let call = Message::request(
        7,
        "tools/call",
        Some(json!({"name": "slow", "arguments": {"ms": 60000}, "_meta": {"progressToken": 1}})),
    );
    let running = {
        let session = session.clone();
        let outbound = outbound.clone();
        tokio::spawn(async move { session.handle(call, &outbound, Extensions::new()).await })
    };
    // Wait until the handler is really running (its first progress notification).
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
    assert_eq!(first.method(), Some("notifications/progress"));
    let cancel =
        Message::notification("notifications/cancelled", Some(json!({"requestId": 7, "reason": "user"})));
    assert!(session.handle(cancel, &outbound, Extensions::new()).await.is_none());
    let response =
        tokio::time::timeout(Duration::from_secs(5), running).await.expect("cancelled promptly").unwrap();
    assert_eq!(response, None, "basic/utilities/cancellation: no response for a cancelled request");
    // The session keeps serving.
    let pong = session.handle(Message::request(8, "ping", None), &outbound, Extensions::new()).await.unwrap();
    assert_eq!(pong.to_value()["result"], json!({}));
}

#[tokio::test]
async fn log_messages_respect_the_level_the_client_set() {
    let client = TestClient::connect(common::server()).await;
    client.call_tool("log", json!({})).await.unwrap();
    assert_eq!(client.notifications("notifications/message").len(), 2, "no level set: everything is sent");
    client.request("logging/setLevel", json!({"level": "warning"})).await.unwrap();
    client.call_tool("log", json!({})).await.unwrap();
    let logs = client.notifications("notifications/message");
    assert_eq!(logs.len(), 3);
    assert_eq!(logs[2], json!({"level": "warning", "data": {"disk": "almost full"}}));
    let bad = client.request("logging/setLevel", json!({"level": "loud"})).await.unwrap_err();
    assert_eq!(bad.code, -32602);
}

#[tokio::test]
async fn elicitation_round_trip_when_the_client_declared_it() {
    let client = TestClient::builder(common::server())
        .capabilities(json!({"elicitation": {}}))
        .on_request(|method, params| {
            assert_eq!(method, "elicitation/create");
            assert_eq!(params["message"], "Really?");
            assert_eq!(params["requestedSchema"]["required"], json!(["ok"]));
            Ok(json!({"action": "accept", "content": {"ok": true}}))
        })
        .connect()
        .await;
    let result = client.call_tool("confirm", json!({})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some(r#"Accept {"ok":true}"#));
    let sent: Vec<Message> =
        client.received().into_iter().filter(|m| matches!(m, Message::Request(_))).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method(), Some("elicitation/create"));
}

#[tokio::test]
async fn elicitation_without_the_capability_is_a_clear_tool_error_and_nothing_is_sent() {
    let client = TestClient::connect(common::server()).await;
    let result = client.call_tool("confirm", json!({})).await.unwrap();
    assert!(result.failed());
    assert!(result.content[0].as_text().unwrap().contains("does not support elicitation"));
    assert!(client.received().is_empty());
}

#[tokio::test]
async fn sampling_with_and_without_the_capability() {
    let with = TestClient::builder(common::server())
        .capabilities(json!({"sampling": {}}))
        .on_request(|method, params| {
            assert_eq!(method, "sampling/createMessage");
            assert_eq!(params["maxTokens"], 20);
            Ok(json!({"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m1"}))
        })
        .connect()
        .await;
    let result = with.call_tool("ask_model", json!({})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some(r#"m1 said Some("hi")"#));
    let without = TestClient::connect(common::server()).await;
    let result = without.call_tool("ask_model", json!({})).await.unwrap();
    assert!(result.content[0].as_text().unwrap().contains("does not support sampling"));
}

#[tokio::test]
async fn roots_with_and_without_the_capability_and_a_client_error() {
    let with = TestClient::builder(common::server())
        .capabilities(json!({"roots": {"listChanged": true}}))
        .on_request(|_, _| Ok(json!({"roots": [{"uri": "file:///a"}, {"uri": "file:///b", "name": "b"}]})))
        .connect()
        .await;
    assert_eq!(
        with.call_tool("roots", json!({})).await.unwrap().content[0].as_text(),
        Some("file:///a,file:///b")
    );
    let without = TestClient::connect(common::server()).await;
    assert!(without.call_tool("roots", json!({})).await.unwrap().failed());
    let refusing = TestClient::builder(common::server())
        .capabilities(json!({"roots": {}}))
        .on_request(|_, _| Err(ErrorObject::new(-32603, "no roots today")))
        .connect()
        .await;
    let result = refusing.call_tool("roots", json!({})).await.unwrap();
    assert!(result.content[0].as_text().unwrap().contains("no roots today"));
}

#[tokio::test]
async fn concurrent_requests_do_not_wait_for_each_other() {
    let client = TestClient::connect(common::server()).await;
    let slow = client.call_tool("slow", json!({"ms": 2000}));
    let quick = async {
        let started = std::time::Instant::now();
        client.request("ping", json!({})).await.unwrap();
        started.elapsed()
    };
    tokio::select! {
        _ = slow => panic!("the slow call finished first"),
        elapsed = quick => assert!(elapsed < Duration::from_millis(1500)),
    }
}
