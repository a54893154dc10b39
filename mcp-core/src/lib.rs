//! # mcp-core
//!
//! The Model Context Protocol for Rust connector authors: protocol types, JSON-RPC framing and
//! a server with tools, resources, prompts, completion, logging, progress, cancellation and
//! pagination. No sockets: a transport (`mcp-transport`: stdio, streamable HTTP, in-memory)
//! feeds messages to a [`Session`] and writes back what it answers.
//!
//! ```
//! use mcp_connector_core::{Server, Tool, protocol::CallToolResult, testing::TestClient};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = Server::builder("hello", "0.1.0")
//!     .tool(
//!         Tool::read("greet")
//!             .description("Say hello to someone.")
//!             .input_schema(json!({
//!                 "type": "object",
//!                 "properties": { "name": { "type": "string" } },
//!                 "required": ["name"]
//!             }))
//!             .handler(|_ctx, args| async move {
//!                 Ok(CallToolResult::text(format!("Hello, {}!", args["name"].as_str().unwrap_or("you"))))
//!             }),
//!     )
//!     .build()
//!     .unwrap();
//!
//! let client = TestClient::connect(server).await;
//! let result = client.call_tool("greet", json!({"name": "Ada"})).await.unwrap();
//! assert_eq!(result.content[0].as_text(), Some("Hello, Ada!"));
//! # });
//! ```
//!
//! Most authors write tools with the `#[tool]` and `#[tools]` macros (re-exported here from
//! `mcp-macros` with the default `macros` feature) rather than by hand.
//!
//! Writes are made safe by [`safe`]: idempotency keys and a retry window, confirmation that
//! works on every client, and sagas with a durable journal (in memory, or in SQLite with the
//! `sqlite` feature).

// docs.rs builds with `--cfg docsrs` on nightly, where `doc(cfg)` marks feature-gated items
// "Available on crate feature X only"; stable rustdoc (1.95) does not have it yet.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod check;
pub mod client;
pub mod era;
pub mod error;
pub mod jsonrpc;
pub mod protocol;
pub mod request;
pub mod safe;
pub mod schema;
mod server;
pub mod testing;
pub mod ui;

mod base64;
mod canonical;
mod output;
mod shared;

/// What the macros' generated code calls (not for hand-written code). The crate's version is in
/// the name, so a `mcp-macros` from another release than this `mcp-core` fails to compile with
/// an error naming this module instead of a puzzling type mismatch inside generated code.
#[doc(hidden)]
#[path = "__private/mod.rs"]
pub mod __private_0_1;

pub use error::{BuildError, ClientRequestError, McpError, ToolError};
pub use output::{IntoCallToolResult, Json};
pub use server::{
    Answered, Change, Completer, CompletionRequest, Context, Extensions, FromContext, IntoPrompt,
    IntoResource, IntoTool, IntoTools, LogClock, Outbound, OutboundQueue, Prompt, PromptBuilder,
    PromptHandler, Registrations, Resource, ResourceBuilder, ResourceHandler, ResourceRequest, Server,
    ServerBuilder, Session, SessionState, State, TaskCommand, TaskMirror, TaskRecord, TaskSupport, Tool,
    ToolBuilder, ToolHandler, UriTemplate, validate_tool_name,
};
pub use ui::WithUi;

/// `CancellationToken`, as handed out by [`Context::cancellation`].
pub use tokio_util::sync::CancellationToken;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use mcp_connector_macros::{prompt, resource, tool, tools};
