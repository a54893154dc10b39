//! How a client answers what the server asks of it (elicitation, sampling, roots) and hears
//! what it tells (progress, logs, list changes, resource updates).
//!
//! The same handler serves both eras: in 2025-11-25 the server sends `elicitation/create` as a
//! request mid-call; in 2026-07-28 it answers the call `input_required` and the client retries
//! with the answers (basic/patterns/mrtr). The client routes both here.

use serde_json::Value;

use crate::jsonrpc::{ErrorObject, Notification, code};
use crate::protocol::{
    CancelledParams, CreateMessageParams, CreateMessageResult, ElicitParams, ElicitResult, ListRootsResult,
    LoggingMessageParams, ProgressParams, ResourceUpdatedParams, method,
};

/// A notification from the server, decoded.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ServerNotification {
    /// `notifications/progress` (also delivered to the call that asked for it).
    Progress(ProgressParams),
    /// `notifications/message`: a log line.
    Log(LoggingMessageParams),
    /// `notifications/tools/list_changed`.
    ToolsListChanged,
    /// `notifications/prompts/list_changed`.
    PromptsListChanged,
    /// `notifications/resources/list_changed`.
    ResourcesListChanged,
    /// `notifications/resources/updated`.
    ResourceUpdated(ResourceUpdatedParams),
    /// `notifications/cancelled`: the server gave up on a request it sent us.
    Cancelled(CancelledParams),
    /// Anything else, as sent.
    Other(Notification),
}

impl ServerNotification {
    /// Decodes a notification; one whose params do not read as its method's is `Other`.
    ///
    /// ```
    /// use mcp_connector_core::client::ServerNotification;
    /// use mcp_connector_core::jsonrpc::Notification;
    /// let n = Notification { method: "notifications/tools/list_changed".into(), params: None };
    /// assert!(matches!(ServerNotification::decode(n), ServerNotification::ToolsListChanged));
    /// ```
    pub fn decode(notification: Notification) -> Self {
        fn params<T: serde::de::DeserializeOwned>(n: &Notification) -> Option<T> {
            serde_json::from_value(n.params.clone().unwrap_or(Value::Null)).ok()
        }
        let decoded = match notification.method.as_str() {
            method::PROGRESS => params(&notification).map(ServerNotification::Progress),
            method::LOG_MESSAGE => params(&notification).map(ServerNotification::Log),
            method::TOOLS_LIST_CHANGED => Some(ServerNotification::ToolsListChanged),
            method::PROMPTS_LIST_CHANGED => Some(ServerNotification::PromptsListChanged),
            method::RESOURCES_LIST_CHANGED => Some(ServerNotification::ResourcesListChanged),
            method::RESOURCE_UPDATED => params(&notification).map(ServerNotification::ResourceUpdated),
            method::CANCELLED => params(&notification).map(ServerNotification::Cancelled),
            _ => None,
        };
        decoded.unwrap_or(ServerNotification::Other(notification))
    }
}

/// What the client does when the server asks or tells it something. Every method has a
/// default: requests are refused with `-32601` (declare only the capabilities you implement,
/// with [`ClientBuilder::capabilities`](super::ClientBuilder::capabilities)), notifications
/// are ignored.
///
/// ```
/// use mcp_connector_core::client::ClientHandler;
/// use mcp_connector_core::jsonrpc::ErrorObject;
/// use mcp_connector_core::protocol::{ElicitParams, ElicitResult};
///
/// /// Says yes to every question, with the form's defaults.
/// struct Agreeable;
///
/// #[async_trait::async_trait]
/// impl ClientHandler for Agreeable {
///     async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
///         Ok(ElicitResult::accept(params.defaults()))
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait ClientHandler: Send + Sync + 'static {
    /// `elicitation/create`: ask the user.
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        let _ = params;
        Err(not_supported(method::ELICIT))
    }

    /// `sampling/createMessage`: ask the model.
    async fn create_message(&self, params: CreateMessageParams) -> Result<CreateMessageResult, ErrorObject> {
        let _ = params;
        Err(not_supported(method::CREATE_MESSAGE))
    }

    /// `roots/list`: the client's roots.
    async fn list_roots(&self) -> Result<ListRootsResult, ErrorObject> {
        Err(not_supported(method::ROOTS_LIST))
    }

    /// A notification from the server.
    async fn on_notification(&self, notification: ServerNotification) {
        let _ = notification;
    }
}

/// The handler of a client that declares nothing: refuses every request, ignores every
/// notification.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHandler;

impl ClientHandler for NoHandler {}

fn not_supported(method: &str) -> ErrorObject {
    ErrorObject::new(
        code::METHOD_NOT_FOUND,
        format!("Method not found: this client does not handle {method}"),
    )
}

/// Runs one server-to-client request through the handler: the result, or the error to send
/// back (`-32602` when the params do not read, `-32601` for a method no client has).
pub(crate) async fn answer(
    handler: &dyn ClientHandler,
    method_name: &str,
    params: Option<Value>,
) -> Result<Value, ErrorObject> {
    fn read<T: serde::de::DeserializeOwned>(params: Option<Value>) -> Result<T, ErrorObject> {
        serde_json::from_value(params.unwrap_or_else(|| Value::Object(Default::default())))
            .map_err(|e| ErrorObject::new(code::INVALID_PARAMS, format!("Invalid params: {e}")))
    }
    fn write<T: serde::Serialize>(result: T) -> Result<Value, ErrorObject> {
        serde_json::to_value(result).map_err(|e| ErrorObject::new(code::INTERNAL_ERROR, e.to_string()))
    }
    match method_name {
        method::ELICIT => write(handler.elicit(read(params)?).await?),
        method::CREATE_MESSAGE => write(handler.create_message(read(params)?).await?),
        method::ROOTS_LIST => write(handler.list_roots().await?),
        method::PING => Ok(Value::Object(Default::default())),
        other => Err(ErrorObject::new(code::METHOD_NOT_FOUND, format!("Method not found: {other}"))),
    }
}
