//! What the schema validator does at the server's edges: `build()` and `add_tool` refuse a
//! schema with keywords it would not enforce, and `tools/call` turns `pattern` and `format`
//! violations into `isError` results that name the field.
#![allow(missing_docs)]

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{BuildError, Server, Tool, tool};
use serde_json::{Value, json};

fn tool_with(input: Value) -> Tool {
    Tool::read("t").input_schema(input).handler(|_c, _a| async { Ok(CallToolResult::text("ok")) })
}

fn build_error(input: Value) -> String {
    match Server::builder("s", "1").tool(tool_with(input)).build() {
        Err(e @ BuildError::InvalidSchema { .. }) => e.to_string(),
        Err(other) => panic!("expected InvalidSchema, got {other}"),
        Ok(_) => panic!("the schema should be refused"),
    }
}

#[test]
fn build_refuses_a_keyword_the_validator_would_skip_naming_tool_keyword_and_place() {
    let why = build_error(json!({
        "type": "object",
        "properties": {"ids": {"type": "array", "unevaluatedItems": false}}
    }));
    assert!(why.starts_with("tool \"t\": inputSchema: "), "{why}");
    assert!(why.contains("keyword `unevaluatedItems` is not enforced"), "{why}");
    assert!(why.contains("(at /properties/ids/unevaluatedItems)"), "{why}");
    assert!(why.contains("check the rule in the handler"), "{why}");
}

#[test]
fn build_refuses_an_invalid_pattern() {
    let why = build_error(json!({
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^(?!x)"}}
    }));
    assert!(why.contains("`pattern` \"^(?!x)\" is not a regular expression"), "{why}");
    assert!(why.contains("(at /properties/code/pattern)"), "{why}");
}

#[test]
fn build_refuses_remote_and_dangling_refs_and_malformed_keywords() {
    let why = build_error(json!({
        "type": "object",
        "properties": {
            "a": {"$ref": "https://example.com/a.json"},
            "b": {"$ref": "#/$defs/Missing"},
            "c": {"type": "string", "minLength": "3"}
        }
    }));
    assert!(why.contains("is not followed"), "{why}");
    assert!(why.contains("\"#/$defs/Missing\" does not resolve"), "{why}");
    assert!(why.contains("`minLength` must be a non-negative integer (at /properties/c/minLength)"), "{why}");
}

#[test]
fn build_accepts_annotations_extensions_and_custom_formats() {
    let input = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "T",
        "description": "D",
        "$comment": "c",
        "properties": {
            "phone": {"type": "string", "format": "phone", "examples": ["+1 555"], "x-hint": "E.164"},
            "old": {"type": "integer", "deprecated": true, "readOnly": true, "default": 1},
            "when": {"if": {"type": "string"}, "then": {"format": "date"}}
        }
    });
    assert!(Server::builder("s", "1").tool(tool_with(input)).build().is_ok());
}

#[test]
fn output_schema_problems_say_so() {
    let tool = Tool::read("t")
        .output_schema(
            json!({"type": "object", "properties": {"n": {"type": "integer"}}, "dependencies": {}}),
        )
        .handler(|_c, _a| async { Ok(CallToolResult::text("ok")) });
    let err = Server::builder("s", "1").tool(tool).build().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("outputSchema: keyword `dependencies` is not enforced"), "{err}");
    assert!(err.contains("use `dependentRequired` or `dependentSchemas`"), "{err}");
}

#[test]
fn add_tool_refuses_the_same_schemas() {
    let server = Server::builder("s", "1").build().expect("an empty server builds");
    let err = server.add_tool(tool_with(json!({"type": "object", "$dynamicRef": "#x"}))).unwrap_err();
    assert!(matches!(err, BuildError::InvalidSchema { .. }), "{err}");
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Booking {
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    airport: String,
    #[schemars(extend("format" = "date"))]
    day: String,
    seats: u8,
}

/// Book seats.
#[tool(write)]
async fn book(#[args] booking: Booking) -> String {
    format!("{} {} {}", booking.airport, booking.day, booking.seats)
}

#[tokio::test]
async fn pattern_and_format_violations_are_tool_errors_naming_the_field() {
    let client =
        TestClient::connect(Server::builder("s", "1").tool(book::tool()).build().expect("builds")).await;
    let ok = client.call_tool("book", json!({"airport": "CDG", "day": "2025-06-01", "seats": 2})).await;
    assert!(ok.is_ok_and(|r| !r.failed()));
    let result = client
        .call_tool("book", json!({"airport": "cdg", "day": "June 1st", "seats": 300}))
        .await
        .expect("a tool result, not a protocol error");
    assert!(result.failed());
    let text = result.content[0].as_text().unwrap_or_default().to_owned();
    assert!(text.contains("`airport`: must match the pattern `^[A-Z]{3}$`; got \"cdg\""), "{text}");
    assert!(text.contains("`day`: must be a date in RFC 3339 form (YYYY-MM-DD)"), "{text}");
    assert!(text.contains("`seats`: must be at most 255; got 300"), "{text}");
}
