//! Resources, prompts and completion on the wire (2025-11-25: server/resources,
//! server/prompts, server/utilities/completion).

mod common;

use std::time::Duration;

use mcp_connector_core::testing::TestClient;
use serde_json::json;

#[tokio::test]
async fn resources_and_templates_are_listed_separately() {
    let client = TestClient::connect(common::server()).await;
    let resources = client.list_all("resources/list", "resources").await.unwrap();
    assert_eq!(
        resources,
        vec![
            json!({"uri": "docs://readme", "name": "readme", "mimeType": "text/markdown"}),
            json!({"uri": "img://logo", "name": "logo", "mimeType": "image/png"}),
        ]
    );
    let templates = client.list_all("resources/templates/list", "resourceTemplates").await.unwrap();
    assert_eq!(
        templates,
        vec![json!({"uriTemplate": "tickets://{id}", "name": "ticket", "mimeType": "application/json"})]
    );
}

#[tokio::test]
async fn reading_text_blob_and_template_resources() {
    let client = TestClient::connect(common::server()).await;
    let text = client.request("resources/read", json!({"uri": "docs://readme"})).await.unwrap();
    assert_eq!(text, json!({"contents": [{"uri": "docs://readme", "text": "# Readme"}]}));
    let blob = client.request("resources/read", json!({"uri": "img://logo"})).await.unwrap();
    assert_eq!(
        blob,
        json!({"contents": [{"uri": "img://logo", "mimeType": "image/png", "blob": "iVBORw=="}]})
    );
    let ticket = client.request("resources/read", json!({"uri": "tickets://42"})).await.unwrap();
    assert_eq!(ticket["contents"][0]["text"], r#"{"id":42}"#);
}

#[tokio::test]
async fn a_missing_resource_is_minus_32002_with_the_uri() {
    // server/resources, "Error Handling": resource not found is -32002.
    let client = TestClient::connect(common::server()).await;
    let reply = client
        .send_raw(r#"{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"nothing://here"}}"#)
        .await
        .unwrap();
    assert_eq!(
        reply,
        json!({"jsonrpc":"2.0","id":9,"error":{"code":-32002,"message":"Resource not found: nothing://here","data":{"uri":"nothing://here"}}})
    );
    // A template match whose handler cannot find the item says the same.
    let err = client.request("resources/read", json!({"uri": "tickets://abc"})).await.unwrap_err();
    assert_eq!(err.code, -32002);
}

#[tokio::test]
async fn subscribers_hear_about_updates_and_others_do_not() {
    let server = common::server();
    let subscribed = TestClient::connect(server.clone()).await;
    let other = TestClient::connect(server.clone()).await;
    subscribed.request("resources/subscribe", json!({"uri": "tickets://1"})).await.unwrap();
    server.notify_resource_updated("tickets://1");
    let note =
        subscribed.wait_for_notification("notifications/resources/updated", Duration::from_secs(5)).await;
    assert_eq!(note, Some(json!({"uri": "tickets://1"})));
    assert!(other.notifications("notifications/resources/updated").is_empty());
    subscribed.request("resources/unsubscribe", json!({"uri": "tickets://1"})).await.unwrap();
    server.notify_resource_updated("tickets://1");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(subscribed.notifications("notifications/resources/updated").len(), 1);
}

#[tokio::test]
async fn prompts_list_and_get_with_arguments() {
    let client = TestClient::connect(common::server()).await;
    let prompts = client.list_all("prompts/list", "prompts").await.unwrap();
    assert_eq!(
        prompts,
        vec![json!({
            "name": "triage",
            "description": "Triage a ticket",
            "arguments": [
                {"name": "id", "description": "The ticket", "required": true},
                {"name": "tone", "description": "How to speak", "required": false}
            ]
        })]
    );
    let got =
        client.request("prompts/get", json!({"name": "triage", "arguments": {"id": "7"}})).await.unwrap();
    assert_eq!(
        got,
        json!({"messages": [{"role": "user", "content": {"type": "text", "text": "Triage ticket 7 in a neutral tone."}}]})
    );
}

#[tokio::test]
async fn prompt_errors_are_invalid_params() {
    let client = TestClient::connect(common::server()).await;
    let missing =
        client.request("prompts/get", json!({"name": "triage", "arguments": {}})).await.unwrap_err();
    assert_eq!(missing.code, -32602);
    assert!(missing.message.contains("id"), "{}", missing.message);
    let unknown = client.request("prompts/get", json!({"name": "nope"})).await.unwrap_err();
    assert_eq!((unknown.code, unknown.message.as_str()), (-32602, "Unknown prompt: nope"));
}

#[tokio::test]
async fn completion_for_prompt_arguments_and_template_variables() {
    let client = TestClient::connect(common::server()).await;
    let tone = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "triage"}, "argument": {"name": "tone", "value": "f"}}),
        )
        .await
        .unwrap();
    assert_eq!(tone, json!({"completion": {"values": ["formal", "friendly"], "total": 2, "hasMore": false}}));
    // At most 100 values, with the total and hasMore (server/utilities/completion).
    let ids = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "tickets://{id}"}, "argument": {"name": "id", "value": ""}}),
        )
        .await
        .unwrap();
    assert_eq!(ids["completion"]["values"].as_array().unwrap().len(), 100);
    assert_eq!(
        (ids["completion"]["total"].clone(), ids["completion"]["hasMore"].clone()),
        (json!(150), json!(true))
    );
    // No completer for that argument: an empty answer, not an error.
    let none = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "triage"}, "argument": {"name": "id", "value": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(none["completion"]["values"], json!([]));
    let unknown = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "zzz"}, "argument": {"name": "a", "value": ""}}),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code, -32602);
}

#[tokio::test]
async fn a_handler_can_announce_a_resource_change_through_its_context() {
    use mcp_connector_core::protocol::CallToolResult;
    let server = common::builder()
        .tool(mcp_connector_core::Tool::write("touch").handler(|ctx, _args| async move {
            ctx.server().notify_resource_updated("tickets://5");
            Ok(CallToolResult::text("touched"))
        }))
        .build()
        .unwrap();
    let client = TestClient::connect(server).await;
    client.request("resources/subscribe", json!({"uri": "tickets://5"})).await.unwrap();
    client.call_tool("touch", json!({})).await.unwrap();
    let note = client.wait_for_notification("notifications/resources/updated", Duration::from_secs(5)).await;
    assert_eq!(note, Some(json!({"uri": "tickets://5"})));
}
