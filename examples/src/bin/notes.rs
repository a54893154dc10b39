//! A small notes connector: search and read notes, add and delete them, export them with
//! progress, read each note as a resource, and a prompt that asks the model to summarise one.
//!
//! ```text
//! cargo run -p examples --bin notes                                 # MCP on stdin/stdout
//! cargo run -p examples --bin notes -- --http 127.0.0.1:8000        # streamable HTTP at /mcp
//! cargo run -p examples --bin notes -- --http 127.0.0.1:8000 --stateful --legacy-sse
//! ```
//!
//! Over HTTP the server is stateless by default (what ChatGPT needs); `--stateful` adds
//! sessions and resumable streams, `--legacy-sse` the 2024-11-05 HTTP+SSE transport at `/sse`
//! (the flags of `examples::cli`, shared by every example). Logs go to stderr
//! (`RUST_LOG=info` for more).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use clap::Parser;
use examples::cli::{self, Serve};
use mcp_connector_core::protocol::{GetPromptResult, PromptMessage, ResourceContents};
use mcp_connector_core::{Context, Json, McpError, ResourceRequest, Server, ToolError, tools};
use schemars::JsonSchema;
use serde::Serialize;

/// One note.
#[derive(Debug, Clone, Serialize, JsonSchema)]
struct Note {
    /// The note's id, for `get`, `delete_note` and `notes://{id}`.
    id: u64,
    title: String,
    body: String,
}

/// What `search_notes` found.
#[derive(Debug, Serialize, JsonSchema)]
struct SearchResults {
    /// Matching notes, by id.
    notes: Vec<NoteSummary>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct NoteSummary {
    id: u64,
    title: String,
}

/// The notes, shared by the tools, the resource and the prompt.
#[derive(Clone, Default)]
struct Notes {
    inner: Arc<Mutex<BTreeMap<u64, Note>>>,
}

impl Notes {
    fn seeded() -> Self {
        let notes = Notes::default();
        notes.insert("Welcome", "This connector keeps notes in memory.");
        notes.insert("Groceries", "Milk, eggs, coffee.");
        notes
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Note>> {
        // Every write is a single insert or remove, so a poisoned map is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert(&self, title: &str, body: &str) -> Note {
        let mut map = self.lock();
        let id = map.keys().next_back().map_or(1, |last| last + 1);
        let note = Note { id, title: title.to_owned(), body: body.to_owned() };
        map.insert(id, note.clone());
        note
    }
}

#[tools]
impl Notes {
    /// Search notes.
    ///
    /// Finds notes whose title or body contains the query (case-insensitive).
    #[tool(read, open_world = false)]
    async fn search_notes(
        &self,
        /// Text to look for.
        query: String,
    ) -> Json<SearchResults> {
        let query = query.to_lowercase();
        let notes = self
            .lock()
            .values()
            .filter(|n| n.title.to_lowercase().contains(&query) || n.body.to_lowercase().contains(&query))
            .map(|n| NoteSummary { id: n.id, title: n.title.clone() })
            .collect();
        Json(SearchResults { notes })
    }

    /// Add a note.
    ///
    /// Creates a note and returns it with its new id.
    #[tool(write, destructive = false, open_world = false)]
    async fn add_note(&self, title: String, body: String) -> Result<Json<Note>, ToolError> {
        if title.trim().is_empty() {
            return Err(ToolError::new("a note needs a non-empty title"));
        }
        Ok(Json(self.insert(&title, &body)))
    }

    /// Delete a note.
    ///
    /// Deletes a note for good. Use search_notes to find its id.
    #[tool(write, idempotent, open_world = false)]
    async fn delete_note(
        &self,
        /// The id of the note to delete.
        id: u64,
    ) -> Result<String, ToolError> {
        match self.lock().remove(&id) {
            Some(note) => Ok(format!("deleted note {id} ({})", note.title)),
            None => Err(ToolError::new(format!("note {id} does not exist; use search_notes to find ids"))),
        }
    }

    /// Export notes.
    ///
    /// Renders every note as one Markdown document, reporting progress note by note.
    #[tool(read, open_world = false)]
    async fn export_notes(&self, ctx: Context) -> String {
        let notes: Vec<Note> = self.lock().values().cloned().collect();
        let total = notes.len() as f64;
        let mut out = String::new();
        for (done, note) in notes.iter().enumerate() {
            // Progress is reported as each step starts, so the user sees what is being worked
            // on (and the last notification does not race the response: the TypeScript client
            // drops a progress notification that arrives in the same read as its response).
            ctx.progress(done as f64, Some(total), Some(&format!("exporting {}", note.title)));
            // Stands in for slow work (rendering, uploading).
            tokio::time::sleep(Duration::from_millis(20)).await;
            out.push_str(&format!("# {}\n\n{}\n\n", note.title, note.body));
        }
        out
    }

    /// One note as Markdown.
    #[resource(uri = "notes://{id}", mime_type = "text/markdown")]
    async fn note(&self, request: ResourceRequest, id: u64) -> Result<Vec<ResourceContents>, McpError> {
        let note = self.lock().get(&id).cloned().ok_or_else(|| McpError::resource_not_found(&request.uri))?;
        let text = format!("# {}\n\n{}", note.title, note.body);
        Ok(vec![ResourceContents::text(request.uri, text).with_mime_type("text/markdown")])
    }

    /// Summarise a note.
    #[prompt]
    async fn summarize(
        &self,
        /// The id of the note.
        id: String,
    ) -> GetPromptResult {
        let title =
            id.parse().ok().and_then(|id: u64| self.lock().get(&id).map(|n| format!(" (\"{}\")", n.title)));
        GetPromptResult::new(vec![PromptMessage::user(format!(
            "Read notes://{id}{} and summarise it in one sentence.",
            title.unwrap_or_default()
        ))])
    }
}

// One value serves the tools, the resource and the prompt above: it is registered once.
fn build(notes: Notes) -> Result<Server, mcp_connector_core::BuildError> {
    Server::builder("notes", env!("CARGO_PKG_VERSION"))
        .title("Notes")
        .instructions("Keep short notes. Use search_notes to find a note's id before reading or deleting it.")
        .tools(notes)
        .build()
}

/// Serves a small notes connector (search, add, delete, export; a resource per note; a prompt)
/// on stdio, or on streamable HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "notes", version)]
struct Args {
    #[command(flatten)]
    serve: Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    args.serve.run_to_exit("notes", build(Notes::seeded())).await
}
