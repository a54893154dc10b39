//! Typed results in tests: `CallToolResult::structured_as` and `TestClient::call`, through the
//! real protocol, for each way a call can end.
#![allow(clippy::unwrap_used)]

use mcp_connector_core::testing::{CallError, TestClient};
use mcp_connector_core::{Json, Server, ToolError, tool};
use serde_json::json;

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, PartialEq)]
struct Contact {
    name: String,
    email: String,
}

/// Find contacts
///
/// Lists the contacts whose name starts with `prefix`.
#[tool(read)]
async fn find_contacts(prefix: String) -> Result<Json<Vec<Contact>>, ToolError> {
    if prefix == "!" {
        return Err(ToolError::new("`!` is not a name; send letters"));
    }
    Ok(Json(vec![Contact { name: format!("{prefix}na"), email: "ana@example.com".into() }]))
}

/// Greet
///
/// Says hello, as text only.
#[tool(read)]
async fn greet(name: String) -> Result<String, ToolError> {
    Ok(format!("hello {name}"))
}

async fn client() -> TestClient {
    let server =
        Server::builder("contacts", "1").tool(find_contacts::tool()).tool(greet::tool()).build().unwrap();
    TestClient::connect(server).await
}

#[tokio::test]
async fn a_wrapped_list_reads_as_its_type() {
    let client = client().await;
    let found: Vec<Contact> = client.call("find_contacts", json!({"prefix": "A"})).await.unwrap();
    assert_eq!(found, [Contact { name: "Ana".into(), email: "ana@example.com".into() }]);
    // The same through the result: the wire form is {"result": [...]}.
    let result = client.call_tool("find_contacts", json!({"prefix": "A"})).await.unwrap();
    assert!(result.structured_content.as_ref().unwrap().contains_key("result"));
    assert_eq!(result.structured_as::<Vec<Contact>>().unwrap().len(), 1);
}

#[tokio::test]
async fn each_way_a_call_fails_says_which() {
    let client = client().await;
    let tool = client.call::<Vec<Contact>>("find_contacts", json!({"prefix": "!"})).await.unwrap_err();
    assert!(matches!(&tool, CallError::Tool(text) if text.contains("not a name")), "{tool}");
    let protocol = client.call::<Vec<Contact>>("no_such_tool", json!({})).await.unwrap_err();
    assert!(matches!(protocol, CallError::Protocol(_)), "{protocol}");
    assert!(protocol.to_string().starts_with("the server refused the call: "), "{protocol}");
    let untyped = client.call::<Contact>("greet", json!({"name": "Ana"})).await.unwrap_err();
    assert!(matches!(untyped, CallError::Structured(_)), "{untyped}");
    assert!(untyped.to_string().contains("no structuredContent"), "{untyped}");
    let wrong = client.call::<Contact>("find_contacts", json!({"prefix": "A"})).await.unwrap_err();
    assert!(matches!(wrong, CallError::Structured(_)), "{wrong}");
}
