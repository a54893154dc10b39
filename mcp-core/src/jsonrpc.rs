//! JSON-RPC 2.0 messages as MCP uses them: requests, notifications, results and errors.
//!
//! Decoding never panics. Whatever a peer sends, [`decode`] returns either messages or the
//! exact error response the JSON-RPC 2.0 specification asks for (`-32700` with a `null` id for
//! text that is not JSON, `-32600` for JSON that is not a valid message), so a transport can
//! answer a malformed line and keep serving everything else.
//!
//! ```
//! use mcp_connector_core::jsonrpc::{decode, Decoded, Message};
//!
//! let Decoded::Single(Ok(Message::Request(req))) =
//!     decode(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#)
//! else { panic!("a ping is a request") };
//! assert_eq!(req.method, "ping");
//! assert_eq!(serde_json::to_string(&req.id).unwrap(), "7");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value};

/// The JSON-RPC version string every message carries.
pub const JSONRPC_VERSION: &str = "2.0";

/// Error codes defined by JSON-RPC 2.0 and by MCP.
pub mod code {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// MCP (2025-11-25): the requested resource does not exist.
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
    /// MCP (2025-11-25): the request needs the user to complete a URL-mode elicitation first.
    pub const URL_ELICITATION_REQUIRED: i64 = -32042;
    /// MCP (2026-07-28): an HTTP header (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`,
    /// `Mcp-Param-*`) is missing or disagrees with the body.
    pub const HEADER_MISMATCH: i64 = -32020;
    /// MCP (2026-07-28): serving the request needs a capability the client did not declare in
    /// `io.modelcontextprotocol/clientCapabilities`; `data.requiredCapabilities` lists it.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
    /// MCP (2026-07-28): the request's protocol version is not one the server speaks;
    /// `data.supported` lists those it does, `data.requested` echoes the one asked for.
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;
}

/// A request id, kept exactly as the peer sent it (a string, or a number with its original
/// spelling), so the response echoes it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// A numeric id such as `1` or `18446744073709551615`.
    Number(serde_json::Number),
    /// A string id such as `"abc-1"`.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for RequestId {
    fn from(value: i64) -> Self {
        RequestId::Number(value.into())
    }
}

impl From<&str> for RequestId {
    fn from(value: &str) -> Self {
        RequestId::String(value.to_owned())
    }
}

impl From<String> for RequestId {
    fn from(value: String) -> Self {
        RequestId::String(value)
    }
}

/// A request: a method call that expects a response with the same id.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The id the response must carry.
    pub id: RequestId,
    /// The method name, such as `tools/call`.
    pub method: String,
    /// The parameters, when the request has any (an object in MCP).
    pub params: Option<Value>,
}

/// A notification: a one-way message that is never answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method name, such as `notifications/progress`.
    pub method: String,
    /// The parameters, when the notification has any.
    pub params: Option<Value>,
}

/// A successful response to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The id of the request this answers.
    pub id: RequestId,
    /// The result object.
    pub result: Value,
}

/// The `error` member of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One of the codes in [`code`], or an application code.
    pub code: i64,
    /// A short description of the error.
    pub message: String,
    /// Extra information about the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and a message and no data.
    ///
    /// ```
    /// # use mcp_connector_core::jsonrpc::{code, ErrorObject};
    /// let e = ErrorObject::new(code::METHOD_NOT_FOUND, "Method not found: foo");
    /// assert_eq!(e.code, -32601);
    /// ```
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        ErrorObject { code, message: message.into(), data: None }
    }

    /// The same error with `data` attached.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
}

impl fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// An error response. The id is `None` (serialised as `null`) when the request's id could not
/// be read, as for a parse error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    /// The id of the request this answers, when it could be read.
    pub id: Option<RequestId>,
    /// What went wrong.
    pub error: ErrorObject,
}

impl ErrorResponse {
    /// An error response for `id`.
    pub fn new(id: Option<RequestId>, error: ErrorObject) -> Self {
        ErrorResponse { id, error }
    }
}

/// Any JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A successful response.
    Response(Response),
    /// An error response.
    Error(ErrorResponse),
}

impl Message {
    /// A request message.
    pub fn request(id: impl Into<RequestId>, method: impl Into<String>, params: Option<Value>) -> Self {
        Message::Request(Request { id: id.into(), method: method.into(), params })
    }

    /// A notification message.
    pub fn notification(method: impl Into<String>, params: Option<Value>) -> Self {
        Message::Notification(Notification { method: method.into(), params })
    }

    /// A success response.
    pub fn response(id: RequestId, result: Value) -> Self {
        Message::Response(Response { id, result })
    }

    /// An error response.
    pub fn error(id: Option<RequestId>, error: ErrorObject) -> Self {
        Message::Error(ErrorResponse { id, error })
    }

    /// The method name of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(r) => Some(&r.method),
            Message::Notification(n) => Some(&n.method),
            _ => None,
        }
    }

    /// The message as a JSON value.
    pub fn to_value(&self) -> Value {
        // Serialising our own types into a Value cannot fail: all keys are strings.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads a message from a JSON value, or the error response to send back.
    pub fn from_value(value: Value) -> Result<Message, ErrorResponse> {
        let Value::Object(mut obj) = value else {
            return Err(invalid(None, "a JSON-RPC message must be a JSON object"));
        };
        // Read the id first so that every later complaint can be addressed to it.
        let id = match obj.remove("id") {
            None => None,
            Some(Value::String(s)) => Some(RequestId::String(s)),
            Some(Value::Number(n)) => Some(RequestId::Number(n)),
            Some(Value::Null) => {
                // An error response to an unreadable request carries id null.
                if obj.contains_key("error") && !obj.contains_key("method") {
                    return error_response(None, obj);
                }
                return Err(invalid(None, "`id` must be a string or an integer, not null"));
            }
            Some(_) => return Err(invalid(None, "`id` must be a string or an integer")),
        };
        match obj.get("jsonrpc") {
            Some(Value::String(v)) if v == JSONRPC_VERSION => {}
            _ => return Err(invalid(id, "`jsonrpc` must be exactly \"2.0\"")),
        }
        if let Some(method) = obj.remove("method") {
            let Value::String(method) = method else {
                return Err(invalid(id, "`method` must be a string"));
            };
            let params = match obj.remove("params") {
                None => None,
                Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
                Some(_) => {
                    return Err(invalid(id, "`params` must be an object or an array"));
                }
            };
            return Ok(match id {
                Some(id) => Message::Request(Request { id, method, params }),
                None => Message::Notification(Notification { method, params }),
            });
        }
        if let Some(result) = obj.remove("result") {
            let Some(id) = id else {
                return Err(invalid(None, "a response must carry the request's `id`"));
            };
            return Ok(Message::Response(Response { id, result }));
        }
        if obj.contains_key("error") {
            return error_response(id, obj);
        }
        Err(invalid(id, "a JSON-RPC message needs `method` (request or notification), `result` or `error`"))
    }
}

fn error_response(id: Option<RequestId>, mut obj: Map<String, Value>) -> Result<Message, ErrorResponse> {
    let error = obj.remove("error").unwrap_or(Value::Null);
    match serde_json::from_value::<ErrorObject>(error) {
        Ok(error) => Ok(Message::Error(ErrorResponse { id, error })),
        Err(_) => Err(invalid(id, "`error` must be an object with an integer `code` and a string `message`")),
    }
}

/// The refusal of a JSON-RPC batch in a protocol revision that removed them (2025-06-18 and
/// later; see [`ProtocolVersion::allows_batches`](crate::protocol::ProtocolVersion::allows_batches)):
/// `-32600`, naming the revision. Every transport answers a batch it cannot take with this.
///
/// ```
/// let refusal = mcp_connector_core::jsonrpc::batch_refused(None, "2025-11-25");
/// assert_eq!(refusal.error.code, -32600);
/// assert!(refusal.error.message.contains("2025-11-25"));
/// ```
pub fn batch_refused(id: Option<RequestId>, version: &str) -> ErrorResponse {
    invalid(
        id,
        &format!(
            "JSON-RPC batches are not supported in protocol version {version}; send one message at a time"
        ),
    )
}

fn invalid(id: Option<RequestId>, why: &str) -> ErrorResponse {
    ErrorResponse::new(id, ErrorObject::new(code::INVALID_REQUEST, format!("Invalid Request: {why}")))
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("jsonrpc", JSONRPC_VERSION)?;
        match self {
            Message::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("result", &r.result)?;
            }
            Message::Error(e) => {
                map.serialize_entry("id", &e.id)?;
                map.serialize_entry("error", &e.error)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Message::from_value(value).map_err(|e| serde::de::Error::custom(e.error.message))
    }
}

/// What one frame of input (a line on stdio, a POST body on HTTP) turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// One message, or the error response owed for it.
    Single(Result<Message, ErrorResponse>),
    /// A JSON array of messages (a batch); each element decoded on its own.
    Batch(Vec<Result<Message, ErrorResponse>>),
    /// Nothing usable: not JSON (`-32700`) or an empty batch (`-32600`).
    Invalid(ErrorResponse),
}

/// Decodes one frame of bytes. Never panics.
///
/// ```
/// use mcp_connector_core::jsonrpc::{decode, Decoded, code};
///
/// let Decoded::Invalid(err) = decode(b"{not json") else { unreachable!() };
/// assert_eq!(err.error.code, code::PARSE_ERROR);
/// assert!(err.id.is_none());
/// ```
pub fn decode(bytes: &[u8]) -> Decoded {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Decoded::Invalid(ErrorResponse::new(
                None,
                ErrorObject::new(code::PARSE_ERROR, format!("Parse error: {e}")),
            ));
        }
    };
    match value {
        Value::Array(items) if items.is_empty() => {
            Decoded::Invalid(invalid(None, "an empty batch is not a valid request"))
        }
        Value::Array(items) => Decoded::Batch(items.into_iter().map(Message::from_value).collect()),
        other => Decoded::Single(Message::from_value(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn single(text: &str) -> Result<Message, ErrorResponse> {
        match decode(text.as_bytes()) {
            Decoded::Single(m) => m,
            other => panic!("expected a single message, got {other:?}"),
        }
    }

    #[test]
    fn request_ids_round_trip_byte_for_byte() {
        for raw in [
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":-3,"method":"ping"}"#,
        ] {
            let msg = single(raw).unwrap();
            assert_eq!(serde_json::to_string(&msg).unwrap(), raw);
        }
    }

    #[test]
    fn classification_of_each_message_kind() {
        assert!(matches!(single(r#"{"jsonrpc":"2.0","method":"x"}"#), Ok(Message::Notification(_))));
        assert!(matches!(single(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#), Ok(Message::Response(_))));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"m"}}"#),
            Ok(Message::Error(_))
        ));
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"m"}}"#),
            Ok(Message::Error(ErrorResponse { id: None, .. }))
        ));
    }

    #[test]
    fn invalid_requests_keep_the_id_when_it_is_readable() {
        let err = single(r#"{"jsonrpc":"1.0","id":5,"method":"ping"}"#).unwrap_err();
        assert_eq!(err.error.code, code::INVALID_REQUEST);
        assert_eq!(err.id, Some(RequestId::from(5)));
        let err = single(r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#).unwrap_err();
        assert_eq!(err.id, None);
        let err = single(r#"{"jsonrpc":"2.0","id":2,"method":3}"#).unwrap_err();
        assert_eq!(err.id, Some(RequestId::from(2)));
        let err = single(r#"{"jsonrpc":"2.0","id":2,"method":"x","params":"s"}"#).unwrap_err();
        assert_eq!(err.error.code, code::INVALID_REQUEST);
        let err = single("1").unwrap_err();
        assert_eq!(err.error.code, code::INVALID_REQUEST);
        let err = single(r#"{"jsonrpc":"2.0","id":1}"#).unwrap_err();
        assert_eq!(err.error.code, code::INVALID_REQUEST);
    }

    #[test]
    fn parse_errors_and_empty_batches() {
        let Decoded::Invalid(e) = decode(b"\xff\xfe") else { panic!() };
        assert_eq!(e.error.code, code::PARSE_ERROR);
        let Decoded::Invalid(e) = decode(b"[]") else { panic!() };
        assert_eq!(e.error.code, code::INVALID_REQUEST);
        let Decoded::Batch(items) = decode(br#"[{"jsonrpc":"2.0","method":"a"}, 3]"#) else { panic!() };
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }

    #[test]
    fn error_response_serialises_null_id() {
        let msg = Message::error(None, ErrorObject::new(code::PARSE_ERROR, "Parse error"));
        assert_eq!(
            msg.to_value(),
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})
        );
    }
}
