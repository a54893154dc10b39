//! A small notes connector on stdio: search and read notes, add and delete them, read each note
//! as a resource, and a prompt that asks the model to summarise one.
//!
//! Run it: `cargo run -p examples --bin notes` (speaks MCP on stdin/stdout; logs on stderr).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use mcp_core::protocol::{CallToolResult, GetPromptResult, PromptMessage, ResourceContents};
use mcp_core::{McpError, Prompt, Resource, Server, Tool, ToolError};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Notes {
    inner: Arc<Mutex<BTreeMap<u64, (String, String)>>>,
}

impl Notes {
    fn seeded() -> Self {
        let notes = Notes::default();
        notes.add("Welcome", "This connector keeps notes in memory.");
        notes.add("Groceries", "Milk, eggs, coffee.");
        notes
    }

    fn add(&self, title: &str, body: &str) -> u64 {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = map.keys().next_back().map_or(1, |last| last + 1);
        map.insert(id, (title.to_owned(), body.to_owned()));
        id
    }

    fn get(&self, id: u64) -> Option<(String, String)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }
}

fn build(notes: Notes) -> Result<Server, mcp_core::BuildError> {
    let (n1, n2, n3, n4) = (notes.clone(), notes.clone(), notes.clone(), notes.clone());
    Server::builder("notes", env!("CARGO_PKG_VERSION"))
        .title("Notes")
        .instructions("Keep short notes. Use search_notes to find a note's id before reading or deleting it.")
        .tool(
            Tool::read("search_notes")
                .title("Search notes")
                .description("Find notes whose title or body contains the query (case-insensitive).")
                .input_schema(json!({
                    "type": "object",
                    "properties": { "query": { "type": "string", "description": "Text to look for" } },
                    "required": ["query"]
                }))
                .handler(move |_ctx, args| {
                    let notes = n1.clone();
                    async move {
                        let query = args["query"].as_str().unwrap_or_default().to_lowercase();
                        let map = notes.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        let hits: Vec<Value> = map
                            .iter()
                            .filter(|(_, (t, b))| {
                                t.to_lowercase().contains(&query) || b.to_lowercase().contains(&query)
                            })
                            .map(|(id, (t, _))| json!({"id": id, "title": t}))
                            .collect();
                        Ok(CallToolResult::text(Value::Array(hits).to_string()))
                    }
                }),
        )
        .tool(
            Tool::write("add_note")
                .title("Add a note")
                .description("Create a note and return its id.")
                .destructive(false)
                .open_world(false)
                .input_schema(json!({
                    "type": "object",
                    "properties": { "title": { "type": "string" }, "body": { "type": "string" } },
                    "required": ["title", "body"]
                }))
                .handler(move |_ctx, args| {
                    let notes = n2.clone();
                    async move {
                        let id = notes.add(
                            args["title"].as_str().unwrap_or_default(),
                            args["body"].as_str().unwrap_or_default(),
                        );
                        Ok(CallToolResult::text(format!("created note {id}")))
                    }
                }),
        )
        .tool(
            Tool::write("delete_note")
                .title("Delete a note")
                .description("Delete a note for good.")
                .idempotent(true)
                .open_world(false)
                .input_schema(json!({
                    "type": "object",
                    "properties": { "id": { "type": "integer", "minimum": 1 } },
                    "required": ["id"]
                }))
                .handler(move |_ctx, args| {
                    let notes = n3.clone();
                    async move {
                        let id = args["id"].as_u64().unwrap_or_default();
                        match notes.inner.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
                            Some(_) => Ok(CallToolResult::text(format!("deleted note {id}"))),
                            None => Err(ToolError::new(format!(
                                "note {id} does not exist; use search_notes to find ids"
                            ))),
                        }
                    }
                }),
        )
        .resource(
            Resource::template("notes://{id}", "note")?
                .description("One note as Markdown")
                .mime_type("text/markdown")
                .handler(move |_ctx, req| {
                    let notes = n4.clone();
                    async move {
                        let note = req.var("id").and_then(|id| id.parse().ok()).and_then(|id| notes.get(id));
                        let (title, body) = note.ok_or_else(|| McpError::resource_not_found(&req.uri))?;
                        Ok(vec![
                            ResourceContents::text(req.uri, format!("# {title}\n\n{body}"))
                                .with_mime_type("text/markdown"),
                        ])
                    }
                }),
        )
        .prompt(
            Prompt::new("summarize")
                .description("Summarise a note")
                .argument("id", "The id of the note", true)
                .handler(|_ctx, args| async move {
                    Ok(GetPromptResult::new(vec![PromptMessage::user(format!(
                        "Read notes://{} and summarise it in one sentence.",
                        args["id"]
                    ))]))
                }),
        )
        .build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // stdout carries the protocol; logs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let server = build(Notes::seeded())?;
    mcp_transport::stdio::serve(server).await?;
    Ok(())
}
