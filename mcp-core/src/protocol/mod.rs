//! MCP wire types for protocol revisions 2025-11-25 (and the older revisions it extends) and
//! 2026-07-28 (the types only that revision has are in `modern`).
//!
//! Every type serialises byte-compatibly with `schema/2025-11-25/schema.ts` of the
//! specification: camelCase field names, optional fields omitted rather than `null`, unknown
//! fields tolerated on input, and `_meta` carried wherever the schema has it.
//!
//! ```
//! use mcp_connector_core::protocol::{Content, CallToolResult};
//!
//! let result = CallToolResult::text("done");
//! assert_eq!(
//!     serde_json::to_value(&result).unwrap(),
//!     serde_json::json!({"content": [{"type": "text", "text": "done"}]})
//! );
//! # let _ = Content::text("x");
//! ```

mod capabilities;
mod client;
mod completion;
mod content;
mod logging;
mod modern;
mod notifications;
mod prompts;
mod resources;
mod tasks;
mod tools;
mod version;

pub use capabilities::*;
pub use client::*;
pub use completion::*;
pub use content::*;
pub use logging::*;
pub use modern::*;
pub use notifications::*;
pub use prompts::*;
pub use resources::*;
pub use tasks::*;
pub use tools::*;
pub use version::*;

/// Free-form `_meta` object, as the schema allows on most types.
pub type Meta = serde_json::Map<String, serde_json::Value>;

/// An opaque pagination cursor.
pub type Cursor = String;

/// Parameters of the `*/list` requests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaginatedParams {
    /// Where the previous page ended, as the server said in `nextCursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}
