//! Lifecycle and JSON-RPC framing on the wire (2025-11-25: basic/lifecycle, basic/index).

mod common;

use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};

async fn raw(client: &TestClient, text: &str) -> Value {
    client.send_raw(text).await.expect("a reply")
}

#[tokio::test]
async fn initialize_answers_the_clients_supported_version_with_derived_capabilities() {
    let client = TestClient::builder(common::server()).connect_without_initialize();
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":"init-1","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
    )
    .await;
    assert_eq!(
        reply,
        json!({
            "jsonrpc": "2.0",
            "id": "init-1",
            "result": {
                "protocolVersion": "2025-06-18",
                "capabilities": {
                    "logging": {},
                    "completions": {},
                    "prompts": {"listChanged": true},
                    "resources": {"subscribe": true, "listChanged": true},
                    "tools": {"listChanged": true}
                },
                "serverInfo": {"name": "fixture", "version": "1.2.3", "title": "Fixture Server"},
                "instructions": "A server for tests."
            }
        })
    );
    assert_eq!(client.session().protocol_version().as_str(), "2025-06-18");
}

#[tokio::test]
async fn every_supported_version_is_echoed_and_unknown_ones_get_the_newest() {
    // basic/lifecycle, "Version Negotiation": if the server supports the requested version it
    // MUST respond with the same version; otherwise with another version it supports.
    for (asked, answered) in [
        ("2024-11-05", "2024-11-05"),
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("1999-01-01", "2025-11-25"),
        ("2099-12-31", "2025-11-25"),
    ] {
        let client =
            TestClient::builder(common::server()).protocol_version(asked).connect_without_initialize();
        let result = client
            .request(
                "initialize",
                json!({"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
            )
            .await
            .unwrap();
        assert_eq!(result["protocolVersion"], answered, "asked for {asked}");
    }
}

#[tokio::test]
async fn capabilities_name_only_what_was_registered() {
    let server = mcp_connector_core::Server::builder("bare", "0").build().unwrap();
    let client = TestClient::builder(server).connect_without_initialize();
    let result = client
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(result["capabilities"], json!({"logging": {}}));
    // A feature the server did not declare is an unknown method.
    let err = client.request("tools/list", json!({})).await.unwrap_err();
    assert_eq!(err.code, -32601);
}

#[tokio::test]
async fn initialize_with_bad_params_is_invalid_params() {
    let client = TestClient::builder(common::server()).connect_without_initialize();
    let reply =
        raw(&client, r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#).await;
    assert_eq!(reply["error"]["code"], -32602);
    assert_eq!(reply["id"], 1);
}

#[tokio::test]
async fn ping_answers_an_empty_result() {
    let client = TestClient::connect(common::server()).await;
    assert_eq!(
        raw(&client, r#"{"jsonrpc":"2.0","id":42,"method":"ping"}"#).await,
        json!({"jsonrpc":"2.0","id":42,"result":{}})
    );
}

#[tokio::test]
async fn malformed_input_gets_the_json_rpc_error_it_deserves() {
    let client = TestClient::connect(common::server()).await;
    // Not JSON: -32700 with a null id.
    let reply = raw(&client, "{\"jsonrpc\":\"2.0\",").await;
    assert_eq!(reply["error"]["code"], -32700);
    assert_eq!(reply["id"], Value::Null);
    // JSON, but not a request.
    let reply = raw(&client, r#"{"jsonrpc":"2.0","id":3}"#).await;
    assert_eq!((reply["error"]["code"].clone(), reply["id"].clone()), (json!(-32600), json!(3)));
    let reply = raw(&client, r#""just a string""#).await;
    assert_eq!(reply["error"]["code"], -32600);
    let reply = raw(&client, r#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#).await;
    assert_eq!((reply["error"]["code"].clone(), reply["id"].clone()), (json!(-32600), json!(4)));
    // Unknown method.
    let reply = raw(&client, r#"{"jsonrpc":"2.0","id":5,"method":"tools/destroy"}"#).await;
    assert_eq!(reply["error"]["code"], -32601);
    assert_eq!(reply["error"]["message"], "Method not found: tools/destroy");
    // Bad params.
    let reply =
        raw(&client, r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"arguments":{}}}"#).await;
    assert_eq!(reply["error"]["code"], -32602);
    // The session is still fine afterwards.
    assert_eq!(raw(&client, r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).await["result"], json!({}));
}

#[tokio::test]
async fn ids_are_echoed_exactly_as_sent() {
    let client = TestClient::connect(common::server()).await;
    for id in [r#""a-string""#, "0", "-1", "9007199254740993", "18446744073709551615"] {
        let reply =
            client.send_raw(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#)).await.unwrap();
        assert_eq!(serde_json::to_string(&reply["id"]).unwrap(), id);
    }
}

#[tokio::test]
async fn notifications_get_no_reply() {
    let client = TestClient::connect(common::server()).await;
    assert_eq!(client.send_raw(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await, None);
    assert_eq!(client.send_raw(r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#).await, None);
}

#[tokio::test]
async fn batches_are_refused_from_2025_06_18_on() {
    // Batching was removed in 2025-06-18 (changelog); an array is an invalid request.
    let client = TestClient::connect(common::server()).await;
    let reply = raw(&client, r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
    assert_eq!(reply["error"]["code"], -32600);
    assert_eq!(reply["id"], Value::Null);
}

#[tokio::test]
async fn batches_are_answered_per_element_in_2025_03_26() {
    let client = TestClient::builder(common::server()).protocol_version("2025-03-26").connect().await;
    let reply = raw(
        &client,
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"nope"},7]"#,
    )
    .await;
    let answers = reply.as_array().expect("a batch answer is an array");
    assert_eq!(answers.len(), 3, "the notification gets no answer: {reply}");
    assert_eq!(answers[0], json!({"jsonrpc":"2.0","id":1,"result":{}}));
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers[2]["error"]["code"], -32600);
    // An empty batch is itself invalid.
    assert_eq!(raw(&client, "[]").await["error"]["code"], -32600);
}
