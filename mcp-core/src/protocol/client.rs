//! Requests the server sends to the client: elicitation, sampling, roots.
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Content, Meta, Role};

/// Parameters of a form-mode `elicitation/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ElicitParams {
    /// `form` (default) or `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// What to ask the user.
    pub message: String,
    /// A flat object schema of primitive fields (form mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_schema: Option<Map<String, Value>>,
    /// URL mode: the id of this elicitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elicitation_id: Option<String>,
    /// URL mode: where to send the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl ElicitParams {
    /// The `default` of every field of the requested form that has one (SEP-1034): what a
    /// client fills in for fields the user leaves alone.
    ///
    /// ```
    /// use mcp_connector_core::protocol::ElicitParams;
    /// use serde_json::json;
    /// let params: ElicitParams = serde_json::from_value(json!({
    ///     "message": "Who are you?",
    ///     "requestedSchema": {"type": "object", "properties": {
    ///         "name": {"type": "string", "default": "Ada"},
    ///         "age": {"type": "integer"}
    ///     }}
    /// })).unwrap();
    /// assert_eq!(serde_json::Value::Object(params.defaults()), json!({"name": "Ada"}));
    /// ```
    pub fn defaults(&self) -> Map<String, Value> {
        let properties =
            self.requested_schema.as_ref().and_then(|s| s.get("properties")).and_then(Value::as_object);
        properties
            .into_iter()
            .flatten()
            .filter_map(|(name, field)| Some((name.clone(), field.get("default")?.clone())))
            .collect()
    }
}

/// What the user did with an elicitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// Submitted the form.
    Accept,
    /// Said no.
    Decline,
    /// Dismissed it.
    Cancel,
}

/// Result of `elicitation/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    /// The submitted values, on accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Map<String, Value>>,
}

impl ElicitResult {
    /// The user submitted the form with these values.
    ///
    /// ```
    /// use mcp_connector_core::protocol::{ElicitAction, ElicitResult};
    /// let r = ElicitResult::accept(serde_json::Map::new());
    /// assert_eq!(r.action, ElicitAction::Accept);
    /// assert_eq!(ElicitResult::decline().action, ElicitAction::Decline);
    /// assert_eq!(ElicitResult::cancel().action, ElicitAction::Cancel);
    /// ```
    pub fn accept(content: Map<String, Value>) -> Self {
        ElicitResult { action: ElicitAction::Accept, content: Some(content) }
    }

    /// The user said no.
    pub fn decline() -> Self {
        ElicitResult { action: ElicitAction::Decline, content: None }
    }

    /// The user dismissed the question.
    pub fn cancel() -> Self {
        ElicitResult { action: ElicitAction::Cancel, content: None }
    }
}

/// A message in a sampling conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SamplingMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said (one block; the 2025-11-25 array form is read as its first block).
    pub content: Content,
}

/// Parameters of `sampling/createMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateMessageParams {
    /// The conversation.
    pub messages: Vec<SamplingMessage>,
    /// The most tokens to generate.
    pub max_tokens: u32,
    /// A system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Model preferences, as in the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_preferences: Option<Value>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CreateMessageParams {
    /// One user message asking for at most `max_tokens`.
    pub fn user(text: impl Into<String>, max_tokens: u32) -> Self {
        CreateMessageParams {
            messages: vec![SamplingMessage { role: Role::User, content: Content::text(text) }],
            max_tokens,
            system_prompt: None,
            model_preferences: None,
            temperature: None,
            stop_sequences: None,
            meta: None,
        }
    }
}

/// Result of `sampling/createMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateMessageResult {
    /// Who speaks (the assistant).
    pub role: Role,
    /// What the model said.
    pub content: Content,
    /// Which model answered.
    pub model: String,
    /// Why it stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

impl CreateMessageResult {
    /// The assistant's answer `content`, from `model`.
    ///
    /// ```
    /// use mcp_connector_core::protocol::{Content, CreateMessageResult};
    /// let r = CreateMessageResult::new(Content::text("4"), "gpt-test");
    /// assert_eq!(r.model, "gpt-test");
    /// ```
    pub fn new(content: Content, model: impl Into<String>) -> Self {
        CreateMessageResult { role: Role::Assistant, content, model: model.into(), stop_reason: None }
    }
}

/// A root the client exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    /// A name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Root {
    /// A root at `uri` (a `file://` URI).
    ///
    /// ```
    /// let root = mcp_connector_core::protocol::Root::new("file:///srv/repo");
    /// assert_eq!(root.uri, "file:///srv/repo");
    /// ```
    pub fn new(uri: impl Into<String>) -> Self {
        Root { uri: uri.into(), name: None }
    }
}

/// Result of `roots/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListRootsResult {
    /// The roots.
    pub roots: Vec<Root>,
}

impl ListRootsResult {
    /// These roots.
    ///
    /// ```
    /// use mcp_connector_core::protocol::{ListRootsResult, Root};
    /// assert_eq!(ListRootsResult::new(vec![Root::new("file:///a")]).roots.len(), 1);
    /// ```
    pub fn new(roots: Vec<Root>) -> Self {
        ListRootsResult { roots }
    }
}
