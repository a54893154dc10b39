use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Content, Icon, Meta};

/// Hints that describe a tool's effect on the world. ChatGPT asks the user to confirm any tool
/// whose `readOnlyHint` is not `true`, so a server built with this crate always sends all four.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolAnnotations {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not change its environment (spec default: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// The tool may destroy or overwrite data (spec default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Repeating a call with the same arguments has no further effect (spec default: false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool reaches an open world of external entities (spec default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// Whether calls to a tool may become tasks (Tasks extension, protocol 2026-07-28).
///
/// The server alone decides when a call becomes a task; the client only says, per request,
/// that it can follow one. A task-capable tool answers a client that said so with a task handle
/// and runs on in the background; the client polls `tasks/get` for the result.
///
/// ```
/// use mcp_connector_core::{TaskSupport, Tool, protocol::CallToolResult};
///
/// let tool = Tool::write("rebuild_index")
///     .task_support(TaskSupport::Optional)
///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("rebuilt")) });
/// assert_eq!(tool.task_support(), TaskSupport::Optional);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskSupport {
    /// Never a task: the call is answered when the handler returns (the default).
    #[default]
    Forbidden,
    /// A task for a client that declared the extension on the request; a plain call for any
    /// other client.
    Optional,
    /// A task for a client that declared the extension on the request. A 2026-07-28 client that
    /// did not gets `-32021` (Missing Required Client Capability) naming the extension, and the
    /// handler does not run (SEP-2663, "Capability Negotiation"). A 2025-11-25 session, where
    /// the extension does not exist, gets a plain call.
    Required,
}

/// How a tool takes part in task-augmented execution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolExecution {
    /// `forbidden` (default), `optional` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_support: Option<TaskSupport>,
}

/// A tool as `tools/list` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDefinition {
    /// Unique name: 1 to 64 characters of `A-Z a-z 0-9 _ - .`.
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments; its root is `type: "object"`.
    pub input_schema: Map<String, Value>,
    /// JSON Schema of `structuredContent`; its root is `type: "object"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Map<String, Value>>,
    /// Behaviour hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
    /// Task support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<ToolExecution>,
    /// Icons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// How the tool may be called (`noauth`, `oauth2` with scopes), as ChatGPT reads it; set by
    /// the auth layer (see [`crate::auth::set_security_schemes`]), which mirrors it in `_meta`.
    #[serde(rename = "securitySchemes", default, skip_serializing_if = "Option::is_none")]
    pub security_schemes: Option<Vec<crate::auth::SecurityScheme>>,
    /// Metadata, such as OpenAI Apps SDK keys.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `tools/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ListToolsResult {
    /// One page of tools.
    pub tools: Vec<ToolDefinition>,
    /// Where the next page starts, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Parameters of `tools/call`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallToolParams {
    /// Which tool.
    pub name: String,
    /// The arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Map<String, Value>>,
    /// Request metadata (`progressToken` lives here).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `tools/call`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CallToolResult {
    /// Unstructured result, for the model.
    pub content: Vec<Content>,
    /// Structured result matching the tool's `outputSchema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Map<String, Value>>,
    /// `true` when the call failed; the content says why, so the model can correct itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
    /// Result metadata; reaches a client UI, not the model.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CallToolResult {
    /// A successful result with one text block.
    pub fn text(text: impl Into<String>) -> Self {
        CallToolResult { content: vec![Content::text(text)], ..Default::default() }
    }

    /// A successful result with the given content.
    pub fn content(content: Vec<Content>) -> Self {
        CallToolResult { content, ..Default::default() }
    }

    /// A failed result whose text tells the model what went wrong.
    ///
    /// ```
    /// # use mcp_connector_core::protocol::CallToolResult;
    /// let r = CallToolResult::error("ticket 9 does not exist");
    /// assert_eq!(r.is_error, Some(true));
    /// ```
    pub fn error(message: impl Into<String>) -> Self {
        CallToolResult { content: vec![Content::text(message)], is_error: Some(true), ..Default::default() }
    }

    /// A structured result: `structuredContent` plus the same JSON as text for older clients.
    pub fn structured(value: Map<String, Value>) -> Self {
        let text = Value::Object(value.clone()).to_string();
        CallToolResult {
            content: vec![Content::text(text)],
            structured_content: Some(value),
            ..Default::default()
        }
    }

    /// Whether the call failed.
    pub fn failed(&self) -> bool {
        self.is_error == Some(true)
    }

    /// `structuredContent` read as a `T`, for tests and for clients of typed tools. A value
    /// `#[tool]` wrapped as `{"result": value}` (a return type whose schema is not a plain
    /// object, such as a `Vec` or an enum) is unwrapped when it does not read as `T` whole.
    /// `Err` when there is no structured content or it does not fit `T`.
    ///
    /// ```
    /// use mcp_connector_core::protocol::CallToolResult;
    /// use serde_json::json;
    ///
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Ticket { id: u32, title: String }
    ///
    /// let result = CallToolResult::structured(json!({"id": 7, "title": "Printer"}).as_object().unwrap().clone());
    /// assert_eq!(result.structured_as::<Ticket>().unwrap(), Ticket { id: 7, title: "Printer".into() });
    /// let listed = CallToolResult::structured(json!({"result": [1, 2]}).as_object().unwrap().clone());
    /// assert_eq!(listed.structured_as::<Vec<u32>>().unwrap(), [1, 2]);
    /// assert!(CallToolResult::text("hi").structured_as::<Ticket>().is_err());
    /// ```
    pub fn structured_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        use serde::de::Error as _;
        let Some(structured) = &self.structured_content else {
            return Err(serde_json::Error::custom("the result has no structuredContent"));
        };
        match T::deserialize(structured) {
            Ok(value) => Ok(value),
            Err(whole) => match structured.get(crate::__private_0_1::WRAPPED_RESULT) {
                Some(wrapped) if structured.len() == 1 => T::deserialize(wrapped),
                _ => Err(whole),
            },
        }
    }
}
