//! Wire-level tests of tools written with `#[tool]` and `#[tools]`: the exact `tools/list`
//! JSON they produce, and what `tools/call` answers.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use mcp_connector_core::protocol::{CallToolResult, Content};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{
    BuildError, CancellationToken, Context, FromContext, Json, Server, ServerBuilder, ToolError, tool, tools,
};
use serde_json::{Value, json};

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Sum {
    total: i64,
}

#[derive(Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Status {
    Open,
    Closed,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Search {
    /// Words to look for.
    query: String,
    #[serde(default)]
    limit: Option<u32>,
}

/// Echo the text back.
///
/// Repeats it `times` times.
#[tool(read)]
async fn echo(
    /// What to echo.
    text: String,
    #[arg(default = 1, description = "How many times")] times: u32,
) -> String {
    text.repeat(times as usize)
}

/// Add two integers.
#[tool(read, closed_world)]
fn add(a: i64, b: i64) -> Json<Sum> {
    Json(Sum { total: a + b })
}

/// List the open ticket ids.
#[tool(read)]
fn open_ids(limit: Option<u32>) -> Json<Vec<u32>> {
    Json((1..=limit.unwrap_or(3)).collect())
}

/// The status of the tracker.
#[tool(read)]
fn tracker_status() -> Json<Status> {
    Json(Status::Open)
}

/// Delete a note for good.
#[tool(write)]
async fn delete_note(id: u32) -> Result<String, ToolError> {
    if id == 0 {
        return Err(ToolError::new("note 0 does not exist; list the notes first"));
    }
    Ok(format!("deleted {id}"))
}

/// Rename a note.
#[tool(
    write,
    idempotent,
    not_destructive,
    name = "notes.rename",
    title = "Rename note",
    scope = "notes:write",
    scope = "notes:read",
    icons = ["https://example.com/rename.png"],
    meta = { "openai/outputTemplate": "ui://widget/note.html", "openai/widgetAccessible": true }
)]
async fn rename_note(id: u32, #[arg(rename = "newTitle")] title: String) -> Result<Json<Sum>, ToolError> {
    if title.is_empty() {
        return Err(ToolError::new("the title cannot be empty"));
    }
    Ok(Json(Sum { total: i64::from(id) }))
}

/// Search with a struct.
#[tool(read)]
async fn search(#[args] search: Search) -> String {
    format!("{}:{}", search.query, search.limit.unwrap_or(10))
}

/// The caller's tenant, from `_meta.tenant`.
struct Tenant(String);

impl FromContext for Tenant {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        ctx.meta()
            .and_then(|m| m.get("tenant"))
            .and_then(Value::as_str)
            .map(|t| Tenant(t.to_owned()))
            .ok_or_else(|| ToolError::new("this tool needs `_meta.tenant`"))
    }
}

/// Who is asking.
#[tool(read)]
async fn whoami(ctx: Context, cancel: CancellationToken, #[ctx] tenant: Tenant) -> String {
    format!("{} {} {}", tenant.0, ctx.request_id(), cancel.is_cancelled())
}

/// A picture and a caption.
#[tool(read)]
fn picture() -> Vec<Content> {
    vec![Content::image(&[1, 2, 3], "image/png"), Content::text("a dot")]
}

#[tool(write, destructive = false, open_world = false, description = "Forgets nothing.")]
fn forget() {}

/// Raw identifiers lose their `r#`.
#[tool(read)]
fn r#type(r#type: String) -> CallToolResult {
    CallToolResult::text(r#type)
}

fn builder() -> ServerBuilder {
    Server::builder("macros", "1.0.0")
        .tool(echo::tool())
        .tool(add::tool())
        .tool(open_ids::tool())
        .tool(tracker_status::tool())
        .tool(delete_note::tool())
        .tool(rename_note::tool())
        .tool(search::tool())
        .tool(whoami::tool())
        .tool(picture::tool())
        .tool(forget::tool())
        .tool(r#type::tool())
}

async fn client() -> TestClient {
    TestClient::connect(builder().build().expect("valid server")).await
}

fn tool<'a>(tools: &'a [Value], name: &str) -> &'a Value {
    tools.iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no tool {name}"))
}

const READ_HINTS: fn(Option<&str>) -> Value = |title| {
    let mut hints = json!({
        "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true
    });
    if let Some(t) = title {
        hints["title"] = json!(t);
    }
    hints
};

#[tokio::test]
async fn tools_list_describes_plain_parameters_docs_and_read_hints() {
    let tools = client().await.list_tools().await.unwrap();
    assert_eq!(
        tool(&tools, "echo"),
        &json!({
            "name": "echo",
            "title": "Echo the text back",
            "description": "Echo the text back.\n\nRepeats it `times` times.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "text": { "type": "string", "description": "What to echo." },
                    "times": {
                        "type": "integer", "minimum": 0,
                        "default": 1, "description": "How many times"
                    }
                },
                "required": ["text"]
            },
            "annotations": READ_HINTS(Some("Echo the text back"))
        })
    );
}

#[tokio::test]
async fn tools_list_has_an_output_schema_for_json_results() {
    let tools = client().await.list_tools().await.unwrap();
    let mut hints = READ_HINTS(Some("Add two integers"));
    hints["openWorldHint"] = json!(false);
    assert_eq!(
        tool(&tools, "add"),
        &json!({
            "name": "add",
            "title": "Add two integers",
            "description": "Add two integers.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "a": { "type": "integer" },
                    "b": { "type": "integer" }
                },
                "required": ["a", "b"]
            },
            "outputSchema": {
                "type": "object",
                "properties": { "total": { "type": "integer" } },
                "required": ["total"]
            },
            "annotations": hints
        })
    );
}

#[tokio::test]
async fn a_non_object_output_schema_is_wrapped_in_a_result_property() {
    let tools = client().await.list_tools().await.unwrap();
    assert_eq!(
        tool(&tools, "open_ids")["outputSchema"],
        json!({
            "type": "object",
            "properties": {
                "result": { "type": "array", "items": { "type": "integer", "minimum": 0 } }
            },
            "required": ["result"]
        })
    );
    assert_eq!(
        tool(&tools, "open_ids")["inputSchema"],
        json!({
            "type": "object",
            "properties": { "limit": { "type": ["integer", "null"], "minimum": 0 } }
        }),
        "an Option parameter is not required"
    );
    assert_eq!(
        tool(&tools, "tracker_status")["outputSchema"],
        json!({
            "type": "object",
            "properties": { "result": { "type": "string", "enum": ["open", "closed"] } },
            "required": ["result"]
        })
    );
}

#[tokio::test]
async fn tools_list_shows_write_hints_scopes_icons_meta_and_renames() {
    let tools = client().await.list_tools().await.unwrap();
    assert_eq!(
        tool(&tools, "delete_note")["annotations"],
        json!({
            "title": "Delete a note for good",
            "readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true
        }),
        "a bare `write` sends the spec's defaults explicitly"
    );
    assert_eq!(
        tool(&tools, "notes.rename"),
        &json!({
            "name": "notes.rename",
            "title": "Rename note",
            "description": "Rename a note.",
            "icons": [{ "src": "https://example.com/rename.png" }],
            "_meta": { "openai/outputTemplate": "ui://widget/note.html", "openai/widgetAccessible": true },
            "inputSchema": {
                "type": "object",
                "properties": {
                    "id": { "type": "integer", "minimum": 0 },
                    "newTitle": { "type": "string" }
                },
                "required": ["id", "newTitle"]
            },
            "outputSchema": {
                "type": "object",
                "properties": { "total": { "type": "integer" } },
                "required": ["total"]
            },
            "annotations": {
                "title": "Rename note",
                "readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true
            }
        })
    );
    assert_eq!(
        tool(&tools, "forget"),
        &json!({
            "name": "forget",
            "description": "Forgets nothing.",
            "inputSchema": { "type": "object", "properties": {} },
            "annotations": {
                "readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": false
            }
        }),
        "a description in the attribute and no doc comment: no title; no parameters: an empty object schema"
    );
    let server = builder().build().unwrap();
    assert_eq!(server.tool("notes.rename").unwrap().scopes(), ["notes:write", "notes:read"]);
    assert_eq!(tool(&tools, "type")["inputSchema"]["required"], json!(["type"]));
}

#[tokio::test]
async fn extractors_are_not_in_the_schema_and_args_structs_are_the_whole_schema() {
    let tools = client().await.list_tools().await.unwrap();
    assert_eq!(tool(&tools, "whoami")["inputSchema"], json!({ "type": "object", "properties": {} }));
    assert_eq!(
        tool(&tools, "search")["inputSchema"],
        json!({
            "type": "object",
            "properties": {
                "query": { "type": "string", "description": "Words to look for." },
                "limit": { "type": ["integer", "null"], "minimum": 0, "default": null }
            },
            "required": ["query"]
        })
    );
}

#[tokio::test]
async fn text_results_and_defaults() {
    let client = client().await;
    let result = client.call_tool("echo", json!({"text": "ab", "times": 2})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({"content": [{"type": "text", "text": "abab"}]})
    );
    let result = client.call_tool("echo", json!({"text": "ab"})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("ab"), "`times` defaults to 1");
    let result = client.call_tool("search", json!({"query": "printer"})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("printer:10"));
    let result = client.call_tool("type", json!({"type": "x"})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("x"));
}

#[tokio::test]
async fn json_results_are_structured_content_with_a_text_copy() {
    let client = client().await;
    let result = client.call_tool("add", json!({"a": 2, "b": 40})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "content": [{ "type": "text", "text": "{\"total\":42}" }],
            "structuredContent": { "total": 42 }
        })
    );
    let result = client.call_tool("open_ids", json!({"limit": 2})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "content": [{ "type": "text", "text": "{\"result\":[1,2]}" }],
            "structuredContent": { "result": [1, 2] }
        })
    );
    let result = client.call_tool("tracker_status", json!({})).await.unwrap();
    assert_eq!(result.structured_content.unwrap(), json!({"result": "open"}).as_object().unwrap().clone());
}

#[tokio::test]
async fn content_and_unit_results() {
    let client = client().await;
    let result = client.call_tool("picture", json!({})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({"content": [
            { "type": "image", "data": "AQID", "mimeType": "image/png" },
            { "type": "text", "text": "a dot" }
        ]})
    );
    let result = client.call_tool("forget", json!({})).await.unwrap();
    assert_eq!(serde_json::to_value(&result).unwrap(), json!({"content": []}));
}

#[tokio::test]
async fn handler_errors_are_tool_results_with_is_error() {
    let client = client().await;
    let result = client.call_tool("delete_note", json!({"id": 0})).await.unwrap();
    assert_eq!(
        serde_json::to_value(&result).unwrap(),
        json!({
            "content": [{ "type": "text", "text": "note 0 does not exist; list the notes first" }],
            "isError": true
        })
    );
    let result = client.call_tool("notes.rename", json!({"id": 1, "newTitle": ""})).await.unwrap();
    assert!(result.failed(), "an Err from a Json tool is an error, not a schema violation");
    assert_eq!(result.content[0].as_text(), Some("the title cannot be empty"));
    assert!(result.structured_content.is_none());
}

/// The text of a failed call, which must name `field`.
async fn error_naming(client: &TestClient, tool: &str, args: Value, field: &str) -> String {
    let result = client.call_tool(tool, args).await.expect("a tool result, not a protocol error");
    assert!(result.failed(), "{tool} should fail: {result:?}");
    let text = result.content[0].as_text().expect("an error text").to_owned();
    assert!(text.contains(&format!("`{field}`")), "{text:?} should name `{field}`");
    text
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_naming_the_field() {
    let client = client().await;
    error_naming(&client, "echo", json!({}), "text").await;
    error_naming(&client, "echo", json!({"text": 3}), "text").await;
    error_naming(&client, "echo", json!({"text": "a", "times": "ten"}), "times").await;
    error_naming(&client, "echo", json!({"text": "a", "times": null}), "times").await;
    error_naming(&client, "notes.rename", json!({"id": 1}), "newTitle").await;
    error_naming(&client, "search", json!({"limit": 3}), "query").await;
    error_naming(&client, "open_ids", json!({"limit": -1}), "limit").await;
    let text = error_naming(&client, "add", json!({"a": "one"}), "a").await;
    assert!(text.contains("`b`"), "every bad argument is reported at once: {text:?}");
}

#[tokio::test]
async fn what_the_schema_allows_but_the_type_refuses_is_a_tool_error_too() {
    // `format: uint32` is not checked by the validator; deserialising is the last line.
    let client = client().await;
    let text = error_naming(&client, "open_ids", json!({"limit": 99_999_999_999u64}), "limit").await;
    assert!(text.starts_with("Invalid arguments for tool `open_ids`: argument `limit`: "), "{text}");
    let text =
        error_naming(&client, "search", json!({"query": "q", "limit": 99_999_999_999u64}), "search").await;
    assert!(text.contains("99999999999"), "{text}");
}

#[tokio::test]
async fn extractors_read_the_request() {
    let client = client().await;
    let reply = client
        .request("tools/call", json!({"name": "whoami", "arguments": {}, "_meta": {"tenant": "acme"}}))
        .await
        .unwrap();
    let text = reply["content"][0]["text"].as_str().unwrap();
    assert!(text.starts_with("acme ") && text.ends_with(" false"), "{text}");
    let result = client.call_tool("whoami", json!({})).await.unwrap();
    assert!(result.failed());
    assert_eq!(result.content[0].as_text(), Some("this tool needs `_meta.tenant`"));
}

#[tokio::test]
async fn a_tool_stays_a_function() {
    assert_eq!(echo("ab".into(), 3).await, "ababab");
    assert_eq!(add(1, 2).0.total, 3);
    assert!(delete_note(0).await.is_err());
    assert_eq!(search(Search { query: "q".into(), limit: Some(1) }).await, "q:1");
}

struct Notes {
    notes: Mutex<Vec<String>>,
    calls: AtomicU32,
}

#[tools]
impl Notes {
    /// Add a note.
    #[tool(write, not_destructive)]
    async fn add_note(&self, text: String) -> Json<Vec<String>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut notes = self.notes.lock().expect("not poisoned");
        notes.push(text);
        Json(notes.clone())
    }

    /// Count the notes.
    #[tool(read)]
    fn count_notes(&self) -> String {
        self.notes.lock().expect("not poisoned").len().to_string()
    }

    /// Count the calls, in the background.
    #[tool(read, name = "calls")]
    async fn count_calls(self: Arc<Self>) -> String {
        let this = Arc::clone(&self);
        tokio::spawn(async move { this.calls.load(Ordering::Relaxed) }).await.expect("joined").to_string()
    }

    /// Needs no state.
    #[tool(read)]
    fn version() -> &'static str {
        "1.0"
    }

    /// Compiled out: neither the method nor its tool exist.
    #[cfg(any())]
    #[tool(read)]
    fn hidden(&self) -> String {
        String::new()
    }

    /// Not a tool.
    fn reset(&self) {
        self.notes.lock().expect("not poisoned").clear();
    }
}

fn notes() -> Notes {
    Notes { notes: Mutex::new(Vec::new()), calls: AtomicU32::new(0) }
}

#[tokio::test]
async fn tools_impls_share_state() {
    let shared = Arc::new(notes());
    let server = Server::builder("notes", "1").tools(Arc::clone(&shared)).build().unwrap();
    let names: Vec<String> = server.tools().iter().map(|t| t.name().to_owned()).collect();
    assert_eq!(names, ["add_note", "count_notes", "calls", "version"]);
    let client = TestClient::connect(server).await;

    let result = client.call_tool("add_note", json!({"text": "milk"})).await.unwrap();
    assert_eq!(result.structured_content.unwrap()["result"], json!(["milk"]));
    client.call_tool("add_note", json!({"text": "eggs"})).await.unwrap();
    let count = client.call_tool("count_notes", json!({})).await.unwrap();
    assert_eq!(count.content[0].as_text(), Some("2"));
    assert_eq!(shared.notes.lock().unwrap().len(), 2, "the server shares the value we kept");
    let calls = client.call_tool("calls", json!({})).await.unwrap();
    assert_eq!(calls.content[0].as_text(), Some("2"));
    assert_eq!(client.call_tool("version", json!({})).await.unwrap().content[0].as_text(), Some("1.0"));

    shared.reset();
    assert_eq!(shared.count_notes(), "0", "methods stay callable");

    let tools = client.list_tools().await.unwrap();
    assert_eq!(
        tool(&tools, "add_note")["annotations"],
        json!({
            "title": "Add a note",
            "readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": true
        })
    );
}

#[tokio::test]
async fn tools_by_value_and_duplicates_across_registrations() {
    let server = Server::builder("notes", "1").tools(notes()).build().unwrap();
    assert_eq!(server.tools().len(), 4);

    /// Counts notes.
    #[tool(read)]
    fn count_notes() -> String {
        String::new()
    }
    let err = Server::builder("notes", "1").tools(notes()).tool(count_notes::tool()).build().unwrap_err();
    let BuildError::Duplicate { name, first, second, .. } = &err else { panic!("{err:?}") };
    assert_eq!(name, "count_notes");
    assert!(first.contains("Notes::count_notes"), "{first}");
    assert!(second.contains("count_notes"), "{second}");
}

/// Query a region's database.
#[tool(read)]
async fn regional_query(
    /// Which region's database.
    #[arg(header = "Region")]
    region: String,
    /// The query.
    sql: String,
) -> String {
    format!("{region}: {sql}")
}

/// Charge an amount.
#[tool(write, destructive = false, idempotent = false)]
async fn charge(#[arg(header = "Amount")] amount: f64) -> String {
    format!("charged {amount}")
}

#[tokio::test]
async fn arg_header_marks_the_property_with_x_mcp_header() {
    // 2026-07-28 server/tools, "x-mcp-header": the annotation sits in the property's schema.
    let client =
        TestClient::connect(Server::builder("s", "1").tool(regional_query::tool()).build().unwrap()).await;
    let tools = client.list_tools().await.unwrap();
    assert_eq!(
        tools[0]["inputSchema"]["properties"]["region"],
        json!({"type": "string", "description": "Which region's database.", "x-mcp-header": "Region"})
    );
    assert!(tools[0]["inputSchema"]["properties"]["sql"].get("x-mcp-header").is_none());
}

#[test]
fn arg_header_on_a_number_is_refused_when_the_server_is_built() {
    // Numbers cannot be mirrored (their text form is ambiguous); the spec allows string,
    // integer and boolean only.
    let error = Server::builder("s", "1").tool(charge::tool()).build().unwrap_err();
    assert!(matches!(error, BuildError::InvalidSchema { .. }), "{error}");
}
