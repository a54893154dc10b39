//! tools/list and tools/call on the wire (2025-11-25: server/tools).

mod common;

use std::time::Duration;

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{BuildError, Server, Tool};
use serde_json::{Value, json};

#[tokio::test]
async fn tools_list_sends_every_hint_explicitly() {
    let client = TestClient::connect(common::server()).await;
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        ["echo", "fail", "panic", "slow", "log", "structured", "confirm", "ask_model", "roots"]
    );
    assert_eq!(
        tools[0],
        json!({
            "name": "echo",
            "description": "Echo the text back.",
            "inputSchema": {
                "type": "object",
                "properties": { "text": { "type": "string" }, "times": { "type": "integer", "minimum": 1 } },
                "required": ["text"],
                "additionalProperties": false
            },
            "annotations": {
                "readOnlyHint": true,
                "destructiveHint": false,
                "idempotentHint": true,
                "openWorldHint": true
            }
        })
    );
    // A write keeps the spec's defaults for what it did not refine.
    assert_eq!(
        tools[1]["annotations"],
        json!({"readOnlyHint": false, "destructiveHint": true, "idempotentHint": true, "openWorldHint": true})
    );
    assert_eq!(tools[5]["outputSchema"]["required"], json!(["count"]));
    // No arguments still means an object schema.
    assert_eq!(tools[2]["inputSchema"], json!({"type": "object", "properties": {}}));
}

#[tokio::test]
async fn tools_list_pages_with_opaque_cursors() {
    let server = common::builder().page_size(4).build().unwrap();
    let client = TestClient::connect(server).await;
    let first = client.request("tools/list", json!({})).await.unwrap();
    assert_eq!(first["tools"].as_array().unwrap().len(), 4);
    let cursor = first["nextCursor"].as_str().expect("a next cursor").to_owned();
    let second = client.request("tools/list", json!({"cursor": cursor})).await.unwrap();
    assert_eq!(second["tools"][0]["name"], "log");
    let third = client.request("tools/list", json!({"cursor": second["nextCursor"]})).await.unwrap();
    assert_eq!(third["tools"].as_array().unwrap().len(), 1);
    assert!(third.get("nextCursor").is_none(), "the last page has no cursor: {third}");
    assert_eq!(client.list_tools().await.unwrap().len(), 9);
    // server/utilities/pagination: an invalid cursor SHOULD be -32602.
    let err = client.request("tools/list", json!({"cursor": "not-ours"})).await.unwrap_err();
    assert_eq!(err.code, -32602);
}

#[tokio::test]
async fn a_successful_call_returns_content_on_the_wire() {
    let client = TestClient::connect(common::server()).await;
    let reply = client
        .send_raw(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"ab","times":2}}}"#)
        .await
        .unwrap();
    assert_eq!(reply, json!({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"abab"}]}}));
}

#[tokio::test]
async fn an_unknown_tool_is_a_protocol_error() {
    // server/tools, "Error Handling": unknown tools are protocol errors.
    let client = TestClient::connect(common::server()).await;
    let err = client.call_tool("nope", json!({})).await.unwrap_err();
    assert_eq!(err.code, -32602);
    assert_eq!(err.message, "Unknown tool: nope");
}

#[tokio::test]
async fn invalid_arguments_are_a_tool_error_naming_the_field() {
    // 2025-11-25 server/tools: input validation errors are tool execution errors, so the
    // model can correct itself.
    let client = TestClient::connect(common::server()).await;
    let result = client.call_tool("echo", json!({"text": 5})).await.unwrap();
    assert!(result.failed());
    let text = result.content[0].as_text().unwrap();
    assert!(text.starts_with("Invalid arguments for tool `echo`: "), "{text}");
    assert!(text.contains("`text`"), "{text}");
    let result = client.call_tool("echo", json!({})).await.unwrap();
    assert!(result.content[0].as_text().unwrap().contains("missing required field `text`"));
    let result = client.call_tool("echo", json!({"text": "a", "loud": true})).await.unwrap();
    assert!(result.content[0].as_text().unwrap().contains("`loud`"));
    let result = client.call_tool("echo", json!({"text": "a", "times": 0})).await.unwrap();
    assert!(result.failed());
}

#[tokio::test]
async fn a_handler_error_becomes_is_error_with_its_message() {
    let client = TestClient::connect(common::server()).await;
    let reply = client
        .send_raw(r#"{"jsonrpc":"2.0","id":"f","method":"tools/call","params":{"name":"fail"}}"#)
        .await
        .unwrap();
    assert_eq!(
        reply,
        json!({"jsonrpc":"2.0","id":"f","result":{
            "content":[{"type":"text","text":"ticket 9 does not exist; search first"}],
            "isError":true
        }})
    );
}

#[tokio::test]
async fn a_panicking_handler_is_an_error_result_and_the_server_keeps_serving() {
    let client = TestClient::connect(common::server()).await;
    let result = client.call_tool("panic", json!({})).await.unwrap();
    assert!(result.failed());
    assert!(result.content[0].as_text().unwrap().contains("internal error"));
    let after = client.call_tool("echo", json!({"text": "still here"})).await.unwrap();
    assert_eq!(after.content[0].as_text(), Some("still here"));
}

#[tokio::test]
async fn structured_output_is_checked_against_the_output_schema() {
    let client = TestClient::connect(common::server()).await;
    let ok = client.call_tool("structured", json!({})).await.unwrap();
    assert_eq!(ok.structured_content.unwrap()["count"], 3);
    assert_eq!(ok.content[0].as_text(), Some(r#"{"count":3}"#), "a text copy for older clients");
    let lie = client.call_tool("structured", json!({"lie": true})).await.unwrap();
    assert!(lie.failed(), "a result that breaks the output schema must not reach the client as data");
}

#[test]
fn tool_names_are_checked_when_the_server_is_built() {
    let bad = Server::builder("s", "1")
        .tool(Tool::read("has space").handler(|_c, _a| async { Ok(CallToolResult::text("")) }))
        .build()
        .unwrap_err();
    assert!(matches!(bad, BuildError::InvalidToolName { .. }));
    assert!(bad.to_string().contains("1 to 64 characters"), "{bad}");
    let long = "x".repeat(65);
    assert!(
        Server::builder("s", "1")
            .tool(Tool::read(long).handler(|_c, _a| async { Ok(CallToolResult::text("")) }))
            .build()
            .is_err()
    );
    for good in ["a", "get_user", "DATA_EXPORT_v2", "admin.tools.list", "x-y"] {
        assert!(mcp_connector_core::validate_tool_name(good).is_ok(), "{good}");
    }
}

#[test]
fn duplicate_tool_names_are_refused_naming_both() {
    let err = Server::builder("s", "1")
        .tool(
            Tool::read("same")
                .origin("crate::a::same")
                .handler(|_c, _a| async { Ok(CallToolResult::text("")) }),
        )
        .tool(
            Tool::write("same")
                .origin("crate::b::same")
                .handler(|_c, _a| async { Ok(CallToolResult::text("")) }),
        )
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("crate::a::same") && text.contains("crate::b::same"), "{text}");
}

#[test]
fn non_object_schemas_are_refused_at_build() {
    let err = Server::builder("s", "1")
        .tool(
            Tool::read("list")
                .output_schema(json!({"type": "array"}))
                .handler(|_c, _a| async { Ok(CallToolResult::text("")) }),
        )
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("outputSchema"), "{err}");
}

#[tokio::test]
async fn tools_added_at_run_time_are_announced() {
    let server = common::server();
    let client = TestClient::connect(server.clone()).await;
    server.add_tool(Tool::read("late").handler(|_c, _a| async { Ok(CallToolResult::text("here")) })).unwrap();
    let note = client.wait_for_notification("notifications/tools/list_changed", Duration::from_secs(5)).await;
    assert_eq!(note, Some(Value::Null));
    assert_eq!(client.call_tool("late", json!({})).await.unwrap().content[0].as_text(), Some("here"));
    assert!(server.remove_tool("late"));
    assert_eq!(client.call_tool("late", json!({})).await.unwrap_err().code, -32602);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while client.notifications("notifications/tools/list_changed").len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the removal was not announced");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
