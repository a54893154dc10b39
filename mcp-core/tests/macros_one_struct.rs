//! One struct, registered once, serving tools, resources and prompts: `#[resource]` and
//! `#[prompt]` methods taking `&self` inside a `#[tools]` impl block share the value with its
//! `#[tool]` methods. Checked on the wire: what the lists say, and that a write through a tool
//! is what the resource reads and the prompt quotes next (one value, not copies).
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use mcp_connector_core::protocol::PromptMessage;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{CompletionRequest, Context, Json, McpError, ResourceRequest, Server, tools};
use serde_json::{Value, json};

/// Notes kept in memory; every handler below reads or writes this one store.
#[derive(Default)]
struct Notes {
    notes: Mutex<Vec<String>>,
}

impl Notes {
    fn get(&self, id: usize) -> Result<String, McpError> {
        let notes = self.notes.lock().unwrap();
        notes.get(id).cloned().ok_or_else(|| McpError::resource_not_found(&format!("notes://{id}")))
    }
}

#[tools]
impl Notes {
    /// Add a note.
    ///
    /// Returns the new note's id.
    #[tool(write, not_destructive, closed_world)]
    async fn add_note(&self, text: String) -> Json<usize> {
        let mut notes = self.notes.lock().unwrap();
        notes.push(text);
        Json(notes.len() - 1)
    }

    /// Every note, one per line.
    #[resource(uri = "notes://all", mime_type = "text/plain")]
    fn all_notes(&self) -> String {
        self.notes.lock().unwrap().join("\n")
    }

    /// One note, by id.
    #[resource(uri = "notes://{id}", mime_type = "text/plain", complete(id = note_ids))]
    async fn note(&self, id: usize, request: ResourceRequest) -> Result<String, McpError> {
        let text = self.get(id)?;
        Ok(format!("{text} ({})", request.uri))
    }

    /// The note count, shared as `Arc<Self>`.
    #[resource(uri = "notes://count")]
    fn count(self: Arc<Self>) -> String {
        self.notes.lock().unwrap().len().to_string()
    }

    /// Summarize a note.
    #[prompt(title = "Summarize")]
    async fn summarize(&self, id: usize, _ctx: Context) -> Result<Vec<PromptMessage>, McpError> {
        let text = self.get(id).map_err(|_| McpError::invalid_params(format!("no note {id}")))?;
        Ok(vec![PromptMessage::user(format!("Summarize this note: {text}"))])
    }

    /// A prompt that needs no store: an associated function is fine too.
    #[prompt]
    fn greeting(name: String) -> String {
        format!("Say hello to {name}.")
    }
}

async fn note_ids(request: CompletionRequest) -> Result<Vec<String>, McpError> {
    Ok(["0", "1", "10"].into_iter().filter(|id| id.starts_with(&request.value)).map(String::from).collect())
}

async fn connect() -> TestClient {
    let server = Server::builder("notes", "1").tools(Notes::default()).build().unwrap();
    TestClient::connect(server).await
}

async fn read(client: &TestClient, uri: &str) -> Result<Value, mcp_connector_core::jsonrpc::ErrorObject> {
    client.request("resources/read", json!({ "uri": uri })).await
}

#[tokio::test]
async fn one_registration_lists_tools_resources_templates_and_prompts() {
    let client = connect().await;
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["add_note"]);

    let resources = client.list_all("resources/list", "resources").await.unwrap();
    assert_eq!(
        resources,
        [
            json!({"uri": "notes://all", "name": "all_notes", "title": "Every note, one per line",
                   "description": "Every note, one per line.", "mimeType": "text/plain"}),
            json!({"uri": "notes://count", "name": "count", "title": "The note count, shared as `Arc<Self>`",
                   "description": "The note count, shared as `Arc<Self>`."}),
        ]
    );
    let templates = client.list_all("resources/templates/list", "resourceTemplates").await.unwrap();
    assert_eq!(
        templates,
        [json!({"uriTemplate": "notes://{id}", "name": "note", "title": "One note, by id",
                "description": "One note, by id.", "mimeType": "text/plain"})]
    );
    let prompts = client.list_all("prompts/list", "prompts").await.unwrap();
    assert_eq!(
        prompts,
        [
            json!({"name": "summarize", "title": "Summarize", "description": "Summarize a note.",
                   "arguments": [{"name": "id", "required": true}]}),
            json!({"name": "greeting", "title": "A prompt that needs no store: an associated function is fine too",
                   "description": "A prompt that needs no store: an associated function is fine too.",
                   "arguments": [{"name": "name", "required": true}]}),
        ]
    );
}

#[tokio::test]
async fn a_write_through_a_tool_is_what_the_resources_and_the_prompt_see() {
    let client = connect().await;
    assert_eq!(read(&client, "notes://count").await.unwrap()["contents"][0]["text"], "0");

    let id: usize = client.call("add_note", json!({"text": "buy milk"})).await.unwrap();
    assert_eq!(id, 0);
    let id: usize = client.call("add_note", json!({"text": "call Ada"})).await.unwrap();
    assert_eq!(id, 1);

    let all = read(&client, "notes://all").await.unwrap();
    assert_eq!(
        all["contents"],
        json!([{"uri": "notes://all", "mimeType": "text/plain", "text": "buy milk\ncall Ada"}])
    );
    let one = read(&client, "notes://1").await.unwrap();
    assert_eq!(one["contents"][0]["text"], "call Ada (notes://1)");
    assert_eq!(read(&client, "notes://count").await.unwrap()["contents"][0]["text"], "2");

    let prompt = client.request("prompts/get", json!({"name": "summarize", "arguments": {"id": "0"}})).await;
    assert_eq!(
        prompt.unwrap()["messages"],
        json!([{"role": "user", "content": {"type": "text", "text": "Summarize this note: buy milk"}}])
    );
    let greeting =
        client.request("prompts/get", json!({"name": "greeting", "arguments": {"name": "Ada"}})).await;
    assert_eq!(greeting.unwrap()["messages"][0]["content"]["text"], "Say hello to Ada.");
}

#[tokio::test]
async fn errors_of_methods_are_the_same_as_of_free_functions() {
    let client = connect().await;
    // A missing note: the method's own error (spec server/resources: -32002 resource not found
    // in 2025-11-25).
    let err = read(&client, "notes://7").await.unwrap_err();
    assert_eq!((err.code, err.message.as_str()), (-32002, "Resource not found: notes://7"));
    // A variable that does not parse: the template names no such resource.
    let err = read(&client, "notes://seven").await.unwrap_err();
    assert_eq!(err.code, -32602);
    assert!(err.message.contains("`notes://seven`: variable `id`"), "{err:?}");
    // A prompt argument that does not parse, and the method's own error.
    let err = client.request("prompts/get", json!({"name": "summarize", "arguments": {"id": "x"}})).await;
    assert_eq!(err.unwrap_err().code, -32602);
    let err = client.request("prompts/get", json!({"name": "summarize", "arguments": {"id": "3"}})).await;
    let err = err.unwrap_err();
    assert_eq!((err.code, err.message.as_str()), (-32602, "no note 3"));
    // Completion of a method's template variable.
    let ids = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "notes://{id}"}, "argument": {"name": "id", "value": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(ids["completion"]["values"], json!(["1", "10"]));
}

#[tokio::test]
async fn an_arc_keeps_a_handle_on_the_store() {
    let notes = Arc::new(Notes::default());
    let server = Server::builder("notes", "1").tools(Arc::clone(&notes)).build().unwrap();
    let client = TestClient::connect(server).await;
    let _: usize = client.call("add_note", json!({"text": "from the wire"})).await.unwrap();
    assert_eq!(notes.notes.lock().unwrap().as_slice(), ["from the wire"]);
    assert_eq!(server_resources(&client).await, 2, "the Arc form registers the resources too");
}

async fn server_resources(client: &TestClient) -> usize {
    client.list_all("resources/list", "resources").await.unwrap().len()
}
