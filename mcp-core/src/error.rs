//! The errors a connector author meets.
//!
//! There are two kinds of failure in MCP and they travel differently:
//! - [`ToolError`]: a tool ran and failed. It becomes a tool result with `isError: true` and a
//!   message the model reads, so it can correct its call or tell the user.
//! - [`McpError`]: the request itself was wrong (unknown tool, bad params, missing resource).
//!   It becomes a JSON-RPC error response.

use std::fmt;

use serde_json::Value;

use crate::jsonrpc::{ErrorObject, code};
use crate::protocol::Meta;

/// A tool's failure, reported to the model as a result with `isError: true`.
///
/// Any `std::error::Error` converts into it, so `?` works on database, HTTP or I/O errors inside
/// a handler. Write messages for the model: say what was wrong and what to do instead.
///
/// ```
/// use mcp_connector_core::ToolError;
///
/// fn find(id: u32) -> Result<String, ToolError> {
///     if id == 0 {
///         return Err(ToolError::new("ticket ids start at 1; use search_tickets to find one"));
///     }
///     let n: u32 = "42".parse()?; // any std error converts
///     Ok(format!("ticket {n}"))
/// }
/// assert!(find(0).is_err());
/// ```
pub struct ToolError {
    message: String,
    meta: Option<Meta>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ToolError {
    /// A failure with a message for the model.
    pub fn new(message: impl Into<String>) -> Self {
        ToolError { message: message.into(), meta: None, source: None }
    }

    /// Attach `_meta` to the error result (for example `mcp/www_authenticate`, which makes
    /// ChatGPT start a login flow).
    pub fn with_meta(mut self, meta: Meta) -> Self {
        self.meta = Some(meta);
        self
    }

    /// The message the model will read.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `_meta` attached to the error, if any.
    pub fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref()
    }

    /// The underlying error, when this came from one.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// The `isError: true` result this error becomes.
    pub fn into_result(self) -> crate::protocol::CallToolResult {
        let mut result = crate::protocol::CallToolResult::error(self.message);
        result.meta = self.meta;
        result
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for ToolError {
    fn from(error: E) -> Self {
        ToolError { message: error.to_string(), meta: None, source: Some(Box::new(error)) }
    }
}

impl fmt::Debug for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolError")
            .field("message", &self.message)
            .field("meta", &self.meta)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A protocol-level error: becomes a JSON-RPC error response with `code`.
///
/// ```
/// use mcp_connector_core::McpError;
/// let e = McpError::resource_not_found("tickets://9");
/// assert_eq!(e.code, -32002);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct McpError {
    /// The JSON-RPC error code.
    pub code: i64,
    /// What went wrong.
    pub message: String,
    /// Extra detail.
    pub data: Option<Value>,
}

impl McpError {
    /// An error with any code.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        McpError { code, message: message.into(), data: None }
    }

    /// `-32602 Invalid params`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(code::INVALID_PARAMS, message)
    }

    /// `-32601 Method not found`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(code::METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }

    /// `-32603 Internal error`, from anything printable (the text reaches the client: keep
    /// secrets out of it).
    pub fn internal(error: impl fmt::Display) -> Self {
        Self::new(code::INTERNAL_ERROR, error.to_string())
    }

    /// `-32002 Resource not found`, with the URI in `data` as the spec shows.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::new(code::RESOURCE_NOT_FOUND, format!("Resource not found: {uri}"))
            .with_data(serde_json::json!({ "uri": uri }))
    }

    /// `-32022 Unsupported protocol version` (2026-07-28, "Versioning"): `data.supported` lists
    /// every revision this SDK speaks, newest first, and `data.requested` echoes `requested`.
    ///
    /// ```
    /// use mcp_connector_core::McpError;
    /// let e = McpError::unsupported_protocol_version("1999-01-01");
    /// assert_eq!(e.code, -32022);
    /// assert_eq!(e.data.unwrap()["supported"][0], "2026-07-28");
    /// ```
    pub fn unsupported_protocol_version(requested: &str) -> Self {
        let supported = crate::era::supported_versions();
        Self::new(code::UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version")
            .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
    }

    /// The same error with `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// A failed request to the client, in a resource or prompt handler (which fail with JSON-RPC
/// errors): an answer of the wrong shape is the client's fault (`-32602`), anything else
/// (refused, gone, timed out, not supported here) is `-32603` with the reason.
///
/// ```
/// use mcp_connector_core::{ClientRequestError, McpError};
///
/// let e: McpError = ClientRequestError::BadResponse("missing `action`".into()).into();
/// assert_eq!(e.code, -32602);
/// let e: McpError = ClientRequestError::Disconnected.into();
/// assert_eq!(e.code, -32603);
/// ```
impl From<ClientRequestError> for McpError {
    fn from(e: ClientRequestError) -> Self {
        match e {
            ClientRequestError::BadResponse(_) => McpError::invalid_params(e.to_string()),
            other => McpError::internal(other),
        }
    }
}

impl From<McpError> for ErrorObject {
    fn from(e: McpError) -> Self {
        ErrorObject { code: e.code, message: e.message, data: e.data }
    }
}

impl From<ErrorObject> for McpError {
    fn from(e: ErrorObject) -> Self {
        McpError { code: e.code, message: e.message, data: e.data }
    }
}

/// Why a server could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A tool name breaks the spec's rules.
    #[error(
        "invalid tool name {name:?}: {why}; tool names are 1 to 64 characters of A-Z, a-z, 0-9, '_', '-' and '.'"
    )]
    InvalidToolName {
        /// The name.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// Two tools, resources, templates or prompts share a name.
    #[error("duplicate {kind} {name:?}: registered by {first} and again by {second}; names must be unique")]
    Duplicate {
        /// `tool`, `prompt`, `resource` or `resource template`.
        kind: &'static str,
        /// The shared name.
        name: String,
        /// Where the first came from (its handler's description).
        first: String,
        /// Where the second came from.
        second: String,
    },
    /// A schema that the spec does not allow.
    #[error("tool {tool:?}: {why}")]
    InvalidSchema {
        /// The tool.
        tool: String,
        /// What is wrong.
        why: String,
    },
    /// A URI template that cannot be parsed.
    #[error("resource template {template:?}: {why}")]
    InvalidUriTemplate {
        /// The template.
        template: String,
        /// What is wrong.
        why: String,
    },
    /// An MCP Apps declaration that hosts could not use: a UI resource outside `ui://`, a
    /// malformed CSP origin, a tool showing a page that is not registered.
    #[error("{item}: {why}")]
    InvalidUi {
        /// The resource or tool, such as `tool "show_board"`.
        item: String,
        /// What is wrong and how to fix it.
        why: String,
    },
    /// The key given to
    /// [`ServerBuilder::request_state_key`](crate::ServerBuilder::request_state_key) cannot seal
    /// multi round-trip state safely.
    #[error("request state key: {why}")]
    InvalidRequestStateKey {
        /// What is wrong.
        why: String,
    },
}

/// Why a request from the server to the client (elicitation, sampling, roots) failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientRequestError {
    /// The client did not declare the capability at initialization.
    #[error(
        "the client does not support {0}: it did not declare the `{0}` capability, so the server must not send this request"
    )]
    CapabilityMissing(&'static str),
    /// The client answered with a JSON-RPC error.
    #[error("the client refused the request: {0}")]
    Refused(ErrorObject),
    /// The client's answer was not of the expected shape.
    #[error("the client's answer could not be read: {0}")]
    BadResponse(String),
    /// The connection closed before an answer came.
    #[error("the client disconnected before answering")]
    Disconnected,
    /// No answer in time.
    #[error("the client did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The transport cannot carry server-to-client requests for this request (for example a
    /// stateless HTTP POST without a stream).
    #[error("this transport cannot send requests to the client here: {0}")]
    Unsupported(String),
}
