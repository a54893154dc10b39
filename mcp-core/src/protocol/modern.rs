//! Wire types that exist only in the "modern" era (protocol 2026-07-28 and later): per-request
//! `_meta` keys, `server/discover`, `resultType`, multi round-trip requests, caching hints and
//! `subscriptions/listen`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ClientCapabilities, Implementation, LoggingLevel, Meta, ServerCapabilities};

/// The reserved `_meta` keys of 2026-07-28 (`basic/index`, "`_meta`").
pub mod meta {
    /// Request: the protocol version the request is spoken in (required).
    pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// Request: the client's name and version (optional).
    pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
    /// Request: the client capabilities that apply to this request (required).
    pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// Request: the lowest log level the server may emit for this request; no
    /// `notifications/message` at all without it.
    pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    /// Result: the server's name and version.
    pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
    /// Notification and result on a `subscriptions/listen` stream: the id of that request.
    pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
}

/// What a modern request says about itself in `_meta`.
///
/// ```
/// use mcp_connector_core::protocol::RequestMeta;
/// use serde_json::json;
///
/// let meta = json!({
///     "io.modelcontextprotocol/protocolVersion": "2026-07-28",
///     "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
///     "io.modelcontextprotocol/logLevel": "info"
/// });
/// let meta: RequestMeta = serde_json::from_value(meta).unwrap();
/// assert_eq!(meta.protocol_version, "2026-07-28");
/// assert!(meta.client_capabilities.elicitation.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestMeta {
    /// `io.modelcontextprotocol/protocolVersion`.
    #[serde(rename = "io.modelcontextprotocol/protocolVersion")]
    pub protocol_version: String,
    /// `io.modelcontextprotocol/clientCapabilities`.
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities")]
    pub client_capabilities: ClientCapabilities,
    /// `io.modelcontextprotocol/clientInfo`.
    #[serde(rename = "io.modelcontextprotocol/clientInfo", default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<Implementation>,
    /// `io.modelcontextprotocol/logLevel`.
    #[serde(rename = "io.modelcontextprotocol/logLevel", default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LoggingLevel>,
}

/// A result's `resultType` (2026-07-28, `basic/index`, "ResultType").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResultType {
    /// The request is done; the result holds its answer.
    Complete,
    /// The server needs input from the client first ([`InputRequiredResult`]).
    InputRequired,
    /// The server will finish the request in the background: the result is a task handle
    /// ([`CreateTaskResult`](super::CreateTaskResult)); Tasks extension, SEP-2663.
    Task,
}

/// Who may keep a cached result (`cacheScope`, 2026-07-28 `server/utilities/caching`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CacheScope {
    /// Nothing caller-specific: any cache, shared ones included, may keep it.
    Public,
    /// Only caches bound to the same authorization context may keep it.
    Private,
}

/// The caching hints (`ttlMs`, `cacheScope`) put on list, read and discover results.
///
/// ```
/// use mcp_connector_core::protocol::{CacheHint, CacheScope};
/// use std::time::Duration;
///
/// let hint = CacheHint::public(Duration::from_secs(300));
/// assert_eq!(hint.ttl_ms, 300_000);
/// assert_eq!(hint.scope, CacheScope::Public);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheHint {
    /// How long the client may treat the result as fresh, in milliseconds.
    pub ttl_ms: u64,
    /// Who may keep it.
    pub scope: CacheScope,
}

impl CacheHint {
    /// Fresh for `ttl`, shareable across callers.
    pub fn public(ttl: std::time::Duration) -> Self {
        CacheHint { ttl_ms: ttl.as_millis().try_into().unwrap_or(u64::MAX), scope: CacheScope::Public }
    }

    /// Fresh for `ttl`, only for the same caller.
    pub fn private(ttl: std::time::Duration) -> Self {
        CacheHint { ttl_ms: ttl.as_millis().try_into().unwrap_or(u64::MAX), scope: CacheScope::Private }
    }
}

impl Default for CacheHint {
    /// Immediately stale, and private: the hint that can never leak one caller's view to
    /// another or serve stale data. Raise it per server or per resource when that is safe.
    fn default() -> Self {
        CacheHint { ttl_ms: 0, scope: CacheScope::Private }
    }
}

/// The result of `server/discover`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiscoverResult {
    /// Every protocol version the server speaks, newest first.
    pub supported_versions: Vec<String>,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// Guidance for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// One request the server needs the client to answer before it can finish (an entry of
/// `inputRequests`): `elicitation/create`, `sampling/createMessage` or `roots/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InputRequest {
    /// The client method to run.
    pub method: String,
    /// Its parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// `resultType: "input_required"`: the request cannot finish until the client answers
/// `inputRequests` and retries with `inputResponses` and the echoed `requestState`
/// (2026-07-28, `basic/patterns/mrtr`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputRequiredResult {
    /// Always [`ResultType::InputRequired`].
    pub result_type: ResultType,
    /// The requests to answer, by server-chosen key (sorted, so the bytes are deterministic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<BTreeMap<String, InputRequest>>,
    /// Opaque state the client must echo on the retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Which change notifications a `subscriptions/listen` stream carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionFilter {
    /// `notifications/tools/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_list_changed: Option<bool>,
    /// `notifications/prompts/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts_list_changed: Option<bool>,
    /// `notifications/resources/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources_list_changed: Option<bool>,
    /// `notifications/resources/updated` for these URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_subscriptions: Option<Vec<String>>,
    /// `notifications/tasks` for these task ids (Tasks extension, SEP-2663). Kept as sent: the
    /// server sends no task notifications, and only checks that the client declared the
    /// extension before asking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_ids: Option<Value>,
}

/// Parameters of `subscriptions/listen`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionsListenParams {
    /// What the client wants to hear about.
    pub notifications: SubscriptionFilter,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}
