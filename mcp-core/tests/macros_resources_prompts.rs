//! Wire-level tests of resources written with `#[resource]` and prompts written with
//! `#[prompt]`: what the lists say, what reads and gets return, completion, and the errors.
#![allow(missing_docs)]

use mcp_connector_core::protocol::{GetPromptResult, PromptMessage, ResourceContents};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{
    CompletionRequest, Context, Json, McpError, ResourceRequest, Server, prompt, resource,
};
use serde_json::{Value, json};

#[derive(serde::Serialize)]
struct Ticket {
    id: u32,
    title: String,
}

/// The README.
///
/// What this server is for.
#[resource(uri = "docs://readme", mime_type = "text/markdown", size = 9, icons = "https://x.test/r.png")]
fn readme() -> &'static str {
    "# Tickets"
}

/// A ticket, as JSON.
#[resource(uri = "tickets://{id}", complete(id = ticket_ids))]
async fn ticket(id: u32, _ctx: Context) -> Result<Json<Ticket>, McpError> {
    if id == 0 {
        return Err(McpError::resource_not_found("tickets://0"));
    }
    Ok(Json(Ticket { id, title: format!("Ticket {id}") }))
}

async fn ticket_ids(request: CompletionRequest) -> Result<Vec<String>, McpError> {
    Ok(["1", "12", "2"].into_iter().filter(|id| id.starts_with(&request.value)).map(String::from).collect())
}

/// A page of a ticket's comments.
#[resource(uri = "tickets://{ticket}/comments{?page,per_page}", name = "comments", mime_type = "text/plain")]
fn comments(
    #[arg(rename = "ticket")] id: u32,
    page: Option<u32>,
    #[arg(default = 20)] per_page: u32,
    request: ResourceRequest,
) -> String {
    format!("ticket {id} page {} per {per_page} ({})", page.unwrap_or(1), request.uri)
}

/// Raw bytes.
#[resource(uri = "files:///{+path}", mime_type = "application/octet-stream")]
fn file(path: String) -> Vec<u8> {
    path.into_bytes()
}

/// Several contents at once.
#[resource(uri = "bundle://all")]
fn bundle() -> Vec<ResourceContents> {
    vec![ResourceContents::text("bundle://all/a", "a"), ResourceContents::text("bundle://all/b", "b")]
}

/// Triage a ticket.
///
/// Asks the model to classify a ticket.
#[prompt(title = "Triage", complete(tone = tones))]
fn triage(
    /// The ticket's id.
    id: u32,
    #[arg(description = "How to write it")] tone: Option<String>,
    #[arg(default = 3, rename = "maxSteps")] steps: u8,
) -> Vec<PromptMessage> {
    let tone = tone.unwrap_or_else(|| "neutral".into());
    vec![PromptMessage::user(format!("Triage ticket {id} ({tone}, {steps} steps)"))]
}

async fn tones(request: CompletionRequest) -> Result<Vec<String>, McpError> {
    Ok(["formal", "friendly", "terse"]
        .into_iter()
        .filter(|t| t.starts_with(&request.value))
        .map(String::from)
        .collect())
}

/// Say hi.
#[prompt(name = "greeting")]
async fn greet(name: String) -> Result<GetPromptResult, McpError> {
    if name.is_empty() {
        return Err(McpError::invalid_params("`name` cannot be empty"));
    }
    let mut result = GetPromptResult::new(vec![PromptMessage::user(format!("Say hi to {name}"))]);
    result.description = Some("A greeting".into());
    Ok(result)
}

async fn client() -> TestClient {
    let server = Server::builder("macros", "1.0.0")
        .resource(readme::resource())
        .resource(ticket::resource())
        .resource(comments::resource())
        .resource(file::resource())
        .resource(bundle::resource())
        .prompt(triage::prompt())
        .prompt(greet::prompt())
        .build()
        .expect("valid server");
    TestClient::connect(server).await
}

async fn read(client: &TestClient, uri: &str) -> Result<Value, mcp_connector_core::jsonrpc::ErrorObject> {
    client.request("resources/read", json!({ "uri": uri })).await
}

#[tokio::test]
async fn resources_and_templates_are_listed_from_the_attributes_and_docs() {
    let client = client().await;
    let resources = client.list_all("resources/list", "resources").await.unwrap();
    assert_eq!(
        resources[0],
        json!({
            "uri": "docs://readme",
            "name": "readme",
            "title": "The README",
            "description": "The README.\n\nWhat this server is for.",
            "mimeType": "text/markdown",
            "size": 9,
            "icons": [{ "src": "https://x.test/r.png" }]
        })
    );
    let templates = client.list_all("resources/templates/list", "resourceTemplates").await.unwrap();
    assert_eq!(
        templates,
        json!([
            {
                "uriTemplate": "tickets://{id}",
                "name": "ticket",
                "title": "A ticket, as JSON",
                "description": "A ticket, as JSON."
            },
            {
                "uriTemplate": "tickets://{ticket}/comments{?page,per_page}",
                "name": "comments",
                "title": "A page of a ticket's comments",
                "description": "A page of a ticket's comments.",
                "mimeType": "text/plain"
            },
            {
                "uriTemplate": "files:///{+path}",
                "name": "file",
                "title": "Raw bytes",
                "description": "Raw bytes.",
                "mimeType": "application/octet-stream"
            }
        ])
        .as_array()
        .unwrap()
        .clone()
    );
}

#[tokio::test]
async fn reading_parses_the_variables_into_typed_parameters() {
    let client = client().await;
    assert_eq!(
        read(&client, "docs://readme").await.unwrap(),
        json!({"contents": [{ "uri": "docs://readme", "mimeType": "text/markdown", "text": "# Tickets" }]})
    );
    assert_eq!(
        read(&client, "tickets://7").await.unwrap(),
        json!({"contents": [{
            "uri": "tickets://7", "mimeType": "application/json", "text": "{\"id\":7,\"title\":\"Ticket 7\"}"
        }]})
    );
    let page = read(&client, "tickets://7/comments?page=2").await.unwrap();
    assert_eq!(page["contents"][0]["text"], "ticket 7 page 2 per 20 (tickets://7/comments?page=2)");
    let page = read(&client, "tickets://7/comments").await.unwrap();
    assert_eq!(page["contents"][0]["text"], "ticket 7 page 1 per 20 (tickets://7/comments)");
    let page = read(&client, "tickets://7/comments?per_page=5").await.unwrap();
    assert_eq!(page["contents"][0]["text"], "ticket 7 page 1 per 5 (tickets://7/comments?per_page=5)");
    assert_eq!(
        read(&client, "files:///a/b.txt").await.unwrap(),
        json!({"contents": [{ "uri": "files:///a/b.txt", "mimeType": "application/octet-stream", "blob": "YS9iLnR4dA==" }]})
    );
    assert_eq!(read(&client, "bundle://all").await.unwrap()["contents"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_variable_that_does_not_parse_is_invalid_params_naming_it() {
    let client = client().await;
    let err = read(&client, "tickets://seven").await.unwrap_err();
    assert_eq!(err.code, -32602);
    assert_eq!(
        err.message,
        "Invalid resource URI `tickets://seven`: variable `id`: invalid digit found in string"
    );
    let err = read(&client, "tickets://7/comments?page=x").await.unwrap_err();
    assert!(err.message.contains("variable `page`"), "{}", err.message);
    let err = read(&client, "tickets://0").await.unwrap_err();
    assert_eq!(err.code, -32002, "the handler's own McpError travels as is");
}

#[tokio::test]
async fn prompts_are_listed_with_their_arguments() {
    let client = client().await;
    let prompts = client.list_all("prompts/list", "prompts").await.unwrap();
    assert_eq!(
        prompts,
        json!([
            {
                "name": "triage",
                "title": "Triage",
                "description": "Triage a ticket.\n\nAsks the model to classify a ticket.",
                "arguments": [
                    { "name": "id", "description": "The ticket's id.", "required": true },
                    { "name": "tone", "description": "How to write it", "required": false },
                    { "name": "maxSteps", "required": false }
                ]
            },
            {
                "name": "greeting",
                "title": "Say hi",
                "description": "Say hi.",
                "arguments": [{ "name": "name", "required": true }]
            }
        ])
        .as_array()
        .unwrap()
        .clone()
    );
}

#[tokio::test]
async fn getting_a_prompt_parses_its_arguments() {
    let client = client().await;
    let get = |args: Value| client.request("prompts/get", json!({"name": "triage", "arguments": args}));
    assert_eq!(
        get(json!({"id": "7"})).await.unwrap(),
        json!({"messages": [{ "role": "user", "content": { "type": "text", "text": "Triage ticket 7 (neutral, 3 steps)" } }]})
    );
    let result = get(json!({"id": "7", "tone": "terse", "maxSteps": "5"})).await.unwrap();
    assert_eq!(result["messages"][0]["content"]["text"], "Triage ticket 7 (terse, 5 steps)");
    let err = get(json!({"id": "seven"})).await.unwrap_err();
    assert_eq!(err.code, -32602);
    assert_eq!(err.message, "Invalid argument `id` for prompt `triage`: invalid digit found in string");
    let err = get(json!({})).await.unwrap_err();
    assert!(err.message.contains("id"), "{}", err.message);

    let result =
        client.request("prompts/get", json!({"name": "greeting", "arguments": {"name": "Ada"}})).await;
    assert_eq!(result.unwrap()["description"], "A greeting");
    let err = client.request("prompts/get", json!({"name": "greeting", "arguments": {"name": ""}})).await;
    assert_eq!(err.unwrap_err().message, "`name` cannot be empty");
}

#[tokio::test]
async fn completers_are_attached_to_variables_and_arguments() {
    let client = client().await;
    let complete = |reference: Value, name: &str, value: &str| {
        client.request(
            "completion/complete",
            json!({"ref": reference, "argument": {"name": name, "value": value}}),
        )
    };
    let ids = complete(json!({"type": "ref/resource", "uri": "tickets://{id}"}), "id", "1").await.unwrap();
    assert_eq!(ids["completion"]["values"], json!(["1", "12"]));
    let tones = complete(json!({"type": "ref/prompt", "name": "triage"}), "tone", "f").await.unwrap();
    assert_eq!(tones["completion"]["values"], json!(["formal", "friendly"]));
}

#[tokio::test]
async fn resources_and_prompts_stay_functions() {
    assert_eq!(readme(), "# Tickets");
    assert_eq!(file("x".into()), b"x");
    assert_eq!(triage(1, None, 2)[0].content.as_text(), Some("Triage ticket 1 (neutral, 2 steps)"));
}
