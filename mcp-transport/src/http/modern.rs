//! The modern era over streamable HTTP (protocol 2026-07-28 and later,
//! basic/transports/streamable-http): which POSTs belong to it, the request metadata headers
//! they carry and how those are checked against the body ("Request Metadata", "Server
//! Validation"), and the HTTP statuses its errors map to.
//!
//! A modern request is served statelessly whatever the transport's mode: a fresh
//! [`Session`](mcp_connector_core::Session) per POST, no `Mcp-Session-Id`, no event ids (see
//! `endpoint::Post::modern`).

use std::borrow::Cow;

use axum::http::header::AsHeaderName;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use mcp_connector_core::era::Era;
use mcp_connector_core::jsonrpc::{Message, Notification, RequestId, code};
use mcp_connector_core::protocol::{ProtocolVersion, meta, method};
use mcp_connector_core::request::{ClientRequest, RequestEnvelope};
use mcp_connector_core::{Server, Tool};
use serde_json::{Map, Value, json};

use super::guard::{PROTOCOL_VERSION_HEADER, named_version};
use super::reject::Rejection;

/// The `Mcp-Method` request header (mirrors the body's `method`).
pub(crate) const MCP_METHOD: &str = "mcp-method";
/// The `Mcp-Name` request header (mirrors `params.name`, `params.uri` or `params.taskId`).
pub(crate) const MCP_NAME: &str = "mcp-name";
/// [`MCP_METHOD`] and [`MCP_NAME`] as header names built once (see
/// [`PROTOCOL_VERSION_HEADER`]).
static MCP_METHOD_HEADER: HeaderName = HeaderName::from_static(MCP_METHOD);
static MCP_NAME_HEADER: HeaderName = HeaderName::from_static(MCP_NAME);
/// The prefix of the headers that mirror `x-mcp-header` tool arguments.
const MCP_PARAM: &str = "mcp-param-";

/// The Base64 sentinel of "Value Encoding": `=?base64?{Base64EncodedValue}?=`.
const BASE64_PREFIX: &str = "=?base64?";
const BASE64_SUFFIX: &str = "?=";

/// Whether `MCP-Protocol-Version` names a modern revision (2026-07-28 or later).
pub(crate) fn header_is_modern(headers: &HeaderMap) -> bool {
    is_modern(named_version(headers.get(&PROTOCOL_VERSION_HEADER)).as_ref())
}

/// Whether the version `MCP-Protocol-Version` names ([`named_version`]) is a modern revision.
pub(crate) fn is_modern(named: Option<&ProtocolVersion>) -> bool {
    named.is_some_and(ProtocolVersion::is_modern)
}

/// The era the `MCP-Protocol-Version` header alone names (for what has no `_meta`: responses
/// and batches).
pub(crate) fn header_era(named: Option<&ProtocolVersion>) -> Era {
    if is_modern(named) { Era::Modern } else { Era::Legacy }
}

/// The era a POSTed request is served in: the one its `_meta` chose (the core decided it when
/// the request was decoded: "Versioning and Compatibility", "Backward Compatibility with
/// Initialization-Based Versions"), or modern when the `MCP-Protocol-Version` header (the
/// version it names, read once by the caller) names a modern version and the request is no `initialize`:
/// a modern client that forgot `_meta` must hear so (-32602 in [`check`]), not be served as a
/// 2025 client.
pub(crate) fn era_of(named: Option<&ProtocolVersion>, envelope: &RequestEnvelope) -> Era {
    match envelope.facts.era {
        Era::Modern => Era::Modern,
        Era::Legacy if envelope.method() == method::INITIALIZE => Era::Legacy,
        Era::Legacy => header_era(named),
    }
}

/// The era of a POSTed notification: modern when its `_meta` names a version (notifications
/// are not decoded into envelopes; 2026-07-28 defines none a server must act on over HTTP) or
/// the header names a modern one.
pub(crate) fn era_of_notification(named: Option<&ProtocolVersion>, notification: &Notification) -> Era {
    let names_version = notification
        .params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key(meta::PROTOCOL_VERSION));
    if names_version || (notification.method != method::INITIALIZE && is_modern(named)) {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// Checks a modern request before it reaches the server, reading the decoded envelope: the
/// request's `_meta` carries its version (basic/index, "`_meta`": -32602 and 400 without it;
/// the rest of `_meta` was checked when the request was decoded), then every header that
/// mirrors the body (basic/transports/streamable-http, "Server Validation": -32020 and 400
/// when one is missing, malformed or disagrees).
pub(crate) fn check(
    server: &Server,
    headers: &HeaderMap,
    envelope: &RequestEnvelope,
) -> Result<(), Rejection> {
    if envelope.facts.era != Era::Modern {
        return Err(invalid_params(format!(
            "missing required `_meta` field `{}` (every 2026-07-28 request carries its protocol version)",
            meta::PROTOCOL_VERSION
        )));
    }
    let version = envelope.facts.protocol_version.as_str();
    let mirrors = Mirrors::of(headers);

    // "Protocol Version Header": present, and equal to the body's.
    if !mirrors.version.is_exactly(version) {
        let header_version = mirrors.version.required("MCP-Protocol-Version")?;
        if header_version != version {
            return Err(differs("MCP-Protocol-Version", header_version, version));
        }
    }

    // "Standard Request Headers": Mcp-Method on every request; values are case-sensitive.
    let method = envelope.method();
    if !mirrors.method.is_exactly(method) {
        let header_method = mirrors.method.required("Mcp-Method")?;
        if header_method != method {
            return Err(differs("Mcp-Method", header_method, method));
        }
    }

    // Mcp-Name, where the method has a name-shaped field.
    if let Some(source) = envelope.request.name_field() {
        let body = envelope.request.name();
        if body.is_some_and(|body| mirrors.name.is_exactly(body) && !is_sentinel(body)) {
            // Sent as the body has it, not as a Base64 sentinel: nothing to decode.
            return check_call(server, headers, envelope);
        }
        let header = mirrors.name.value("Mcp-Name")?.map(|v| decode(v, "Mcp-Name")).transpose()?;
        match (body, header) {
            (Some(body), Some(header)) if body == header => {}
            (Some(body), Some(header)) => return Err(differs("Mcp-Name", &header, body)),
            (Some(_), None) => {
                return Err(mismatch(format!(
                    "the Mcp-Name header is required for {method} (it mirrors params.{source})"
                )));
            }
            (None, Some(header)) => {
                return Err(mismatch(format!(
                    "Mcp-Name header value '{header}' has no params.{source} in the body to match"
                )));
            }
            // Nothing to mirror: the server answers the malformed params itself.
            (None, None) => {}
        }
    }
    check_call(server, headers, envelope)
}

/// The headers that mirror a `tools/call`'s arguments, for a tool the server has (see
/// [`check_tool_params`]).
///
/// The tool is read in place (`Server::with_tool`): the core takes its own handle on it when it
/// runs the call, and a second one here was two more writes, per call, to a count every thread
/// serving calls shares.
fn check_call(server: &Server, headers: &HeaderMap, envelope: &RequestEnvelope) -> Result<(), Rejection> {
    match &envelope.request {
        ClientRequest::CallTool(call) => server
            .with_tool(&call.name, |tool| check_tool_params(tool, call.arguments.as_ref(), headers))
            .unwrap_or(Ok(())),
        _ => Ok(()),
    }
}

/// "Custom Headers from Tool Parameters": every argument the tool marks with `x-mcp-header`
/// and the call carries (not null) must come with its `Mcp-Param-{Name}` header, equal after
/// decoding; one the call leaves out must come without it.
fn check_tool_params(
    tool: &Tool,
    arguments: Option<&Map<String, Value>>,
    headers: &HeaderMap,
) -> Result<(), Rejection> {
    // Borrowed: a copy of the list would be made on every call only to be read once.
    let params = tool.header_params_ref().map_err(|why| {
        tracing::error!(
            tool = tool.name(),
            %why,
            "a tool's x-mcp-header annotations break the spec; clients drop it"
        );
        Rejection::internal(format!(
            "Internal error: the tool `{}` has invalid x-mcp-header annotations: {why}",
            tool.name()
        ))
    })?;
    for (name, path) in params {
        let display = format!("Mcp-Param-{name}");
        let header = single(headers, format!("{MCP_PARAM}{}", name.to_ascii_lowercase()), &display)?;
        let value = value_at(arguments, path).filter(|v| !v.is_null());
        let argument = path.join(".");
        match (value, header) {
            (None, None) => {}
            (None, Some(header)) => {
                return Err(mismatch(format!(
                    "{display} header value '{header}' has no argument `{argument}` in the body to match"
                )));
            }
            (Some(_), None) => {
                return Err(mismatch(format!(
                    "the {display} header is required: the tool mirrors argument `{argument}` into it"
                )));
            }
            (Some(value), Some(header)) => {
                let decoded = decode(header, &display)?;
                if !same_value(value, &decoded) {
                    return Err(differs(&display, &decoded, &value_text(value)));
                }
            }
        }
    }
    Ok(())
}

/// The argument at `path` (a chain of object keys).
fn value_at<'a>(arguments: Option<&'a Map<String, Value>>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = arguments?.get(first)?;
    for key in rest {
        value = value.as_object()?.get(key)?;
    }
    Some(value)
}

/// Whether a decoded header value stands for the body value ("Value Encoding", type
/// conversion): strings as they are, booleans as `true`/`false`, integers compared as numbers
/// (`42.0` equals `42`, as "Server Validation" suggests).
fn same_value(body: &Value, header: &str) -> bool {
    match body {
        Value::String(s) => s == header,
        Value::Bool(b) => header == if *b { "true" } else { "false" },
        Value::Number(n) => {
            let numeric = !header.is_empty()
                && header.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
            if !numeric {
                return false;
            }
            if let (Some(body), Ok(header)) = (n.as_i64(), header.parse::<i64>()) {
                return body == header;
            }
            matches!((n.as_f64(), header.parse::<f64>()), (Some(body), Ok(header)) if body == header)
        }
        _ => false,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The standard headers that mirror the body, found in one pass over the request's headers
/// (looking each up by name hashed the name again each time: ~1k instructions per request).
#[derive(Default)]
struct Mirrors<'h> {
    version: Found<'h>,
    method: Found<'h>,
    name: Found<'h>,
}

impl<'h> Mirrors<'h> {
    fn of(headers: &'h HeaderMap) -> Self {
        let mut mirrors = Mirrors::default();
        for (name, value) in headers {
            let found = if *name == PROTOCOL_VERSION_HEADER {
                &mut mirrors.version
            } else if *name == MCP_METHOD_HEADER {
                &mut mirrors.method
            } else if *name == MCP_NAME_HEADER {
                &mut mirrors.name
            } else {
                continue;
            };
            found.add(value);
        }
        mirrors
    }
}

/// What a request carries of one header: its first value, and whether it came again.
#[derive(Default)]
struct Found<'h> {
    first: Option<&'h HeaderValue>,
    repeated: bool,
}

impl<'h> Found<'h> {
    fn add(&mut self, value: &'h HeaderValue) {
        match self.first {
            None => self.first = Some(value),
            Some(_) => self.repeated = true,
        }
    }

    /// The header's value with optional whitespace trimmed (RFC 9110, section 5.5); `None`
    /// when absent. Sent twice, or with bytes a field value cannot hold, it is malformed.
    fn value(&self, display: &str) -> Result<Option<&'h str>, Rejection> {
        let Some(value) = self.first else {
            return Ok(None);
        };
        if self.repeated {
            return Err(mismatch(format!("the {display} header was sent more than once")));
        }
        let value = value.to_str().map_err(|_| {
            mismatch(format!(
                "the {display} header holds characters a header value cannot (use the Base64 sentinel)"
            ))
        })?;
        Ok(Some(trim_ows(value)))
    }

    /// Whether the header was sent once, with exactly the bytes of `expected`, which is ASCII
    /// without whitespace at either end: then [`Found::value`] is `expected`. A `HeaderValue`
    /// holds no control byte but tab and no DEL (`HeaderValue::from_bytes` and the HTTP parser
    /// refuse them), so its ASCII bytes are all ones `to_str` accepts, and there is nothing to
    /// trim. The check of each byte and the trimming are skipped so for almost every modern
    /// request (~250 instructions for the three standard headers); any other case goes the
    /// general way, which says what is wrong.
    fn is_exactly(&self, expected: &str) -> bool {
        let ows = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
        let bytes = expected.as_bytes();
        !self.repeated
            && self.first.is_some_and(|value| value.as_bytes() == bytes)
            && expected.is_ascii()
            && !ows(bytes.first())
            && !ows(bytes.last())
    }

    /// [`Found::value`], and absent is malformed too.
    fn required(&self, display: &str) -> Result<&'h str, Rejection> {
        self.value(display)?.ok_or_else(|| mismatch(format!("the {display} header is required")))
    }
}

/// `value` without the optional whitespace (spaces and tabs) around it, RFC 9110 section 5.5.
/// Byte by byte: `str::trim_matches` with a set of characters decodes and matches each one
/// through the general pattern machinery, a tenth of the header checks of every modern request.
fn trim_ows(value: &str) -> &str {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = value.as_bytes();
    let start = bytes.iter().position(|b| !ows(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ows(b)).map_or(start, |last| last + 1);
    // Both ends are next to ASCII bytes (or at the ends): char boundaries.
    value.get(start..end).unwrap_or_default()
}

/// [`Found::value`] of the header `name`.
fn single<'h>(
    headers: &'h HeaderMap,
    name: impl AsHeaderName,
    display: &str,
) -> Result<Option<&'h str>, Rejection> {
    let mut found = Found::default();
    for value in headers.get_all(name) {
        found.add(value);
    }
    found.value(display)
}

/// Whether `value` has the form of the Base64 sentinel of "Value Encoding" (which
/// [`decode`] decodes).
fn is_sentinel(value: &str) -> bool {
    value.len() >= BASE64_PREFIX.len() + BASE64_SUFFIX.len()
        && value.starts_with(BASE64_PREFIX)
        && value.ends_with(BASE64_SUFFIX)
}

/// Decodes the Base64 sentinel of "Value Encoding" (`=?base64?…?=`, markers case-sensitive);
/// any other value is taken literally. Invalid Base64 or UTF-8 inside the sentinel is a
/// malformed header.
pub(crate) fn decode<'v>(value: &'v str, display: &str) -> Result<Cow<'v, str>, Rejection> {
    let Some(encoded) = value.strip_prefix(BASE64_PREFIX).and_then(|v| v.strip_suffix(BASE64_SUFFIX)) else {
        return Ok(Cow::Borrowed(value));
    };
    let bytes = base64_decode(encoded)
        .ok_or_else(|| mismatch(format!("the {display} header holds invalid Base64 inside =?base64?…?=")))?;
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| mismatch(format!("the {display} header's Base64 value is not UTF-8")))
}

/// Strict standard Base64 (RFC 4648, section 4): padded to a multiple of four, `=` only at
/// the end, no other characters, zero bits after the last byte. The `base64` crate's standard
/// engine decodes exactly that (canonical padding required, trailing bits refused).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn mismatch(detail: impl std::fmt::Display) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, format!("Header mismatch: {detail}"))
        .with_code(code::HEADER_MISMATCH)
}

fn differs(header: &str, header_value: &str, body_value: &str) -> Rejection {
    mismatch(format!("{header} header value '{header_value}' does not match body value '{body_value}'"))
}

fn invalid_params(detail: String) -> Rejection {
    Rejection::new(StatusCode::BAD_REQUEST, format!("Invalid params: {detail}"))
        .with_code(code::INVALID_PARAMS)
}

/// The status of a modern answer sent as JSON: 404 for an unknown method
/// (streamable-http, "Protocol Version Header": MUST), 400 for the errors the spec maps to
/// Bad Request (`HeaderMismatch`, `MissingRequiredClientCapability` in basic/index,
/// `UnsupportedProtocolVersion` in "Protocol Version Header"), 200 otherwise.
pub(crate) fn status_of(error_code: Option<i64>) -> StatusCode {
    match error_code {
        Some(code::METHOD_NOT_FOUND) => StatusCode::NOT_FOUND,
        Some(
            code::HEADER_MISMATCH
            | code::MISSING_REQUIRED_CLIENT_CAPABILITY
            | code::UNSUPPORTED_PROTOCOL_VERSION,
        ) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// The final answer to a `subscriptions/listen` the server ends on its own, at shutdown
/// (basic/patterns/subscriptions, "Graceful Closure"), for when the server itself gives none.
pub(crate) fn listen_farewell(id: &RequestId) -> Message {
    let result = json!({ "resultType": "complete", "_meta": { meta::SUBSCRIPTION_ID: id } });
    Message::response(id.clone(), result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn optional_whitespace_is_trimmed_as_str_trim_matches_does() {
        for value in ["", " ", "\t \t", "echo", " echo", "echo\t", " \t e c h o \t ", "é \t", "\u{a0}x\u{a0}"]
        {
            assert_eq!(trim_ows(value), value.trim_matches([' ', '\t']), "{value:?}");
        }
    }

    /// The shortcut for a header sent exactly as the body has it agrees with the general way:
    /// whenever it says yes, the general way finds the header equal to the body (and, for a
    /// name, nothing to decode), for values with whitespace, tabs, bytes a header value holds
    /// but `to_str` refuses, and sentinels.
    #[test]
    fn a_header_sent_as_the_body_has_it_is_taken_as_the_general_way_takes_it() {
        let values: [&[u8]; 13] = [
            b"tools/call",
            b"2026-07-28",
            b"",
            b" echo",
            b"echo\t",
            b"e\tcho",
            b"\xc3\xa9cho",
            b"echo",
            b"=?base64?ZWNobw==?=",
            b"=?base64??=",
            b"=?base64?=",
            b"a b",
            b"\xff",
        ];
        let bodies = [
            "tools/call",
            "2026-07-28",
            "",
            " echo",
            "echo\t",
            "e\tcho",
            "écho",
            "echo",
            "=?base64?ZWNobw==?=",
            "=?base64??=",
            "=?base64?=",
            "a b",
            "\u{7f}",
        ];
        for value in values {
            let header = HeaderValue::from_bytes(value).unwrap();
            for repeated in [false, true] {
                let found = Found { first: Some(&header), repeated };
                for body in bodies {
                    if !found.is_exactly(body) {
                        continue;
                    }
                    let general = found.value("H").ok().flatten();
                    assert_eq!(general, Some(body), "{value:?}");
                    if !is_sentinel(body) {
                        assert_eq!(decode(body, "H").ok().as_deref(), Some(body));
                    }
                }
            }
        }
        assert!(Found { first: Some(&HeaderValue::from_static("echo")), repeated: false }.is_exactly("echo"));
        assert!(!Found { first: Some(&HeaderValue::from_static("echo")), repeated: true }.is_exactly("echo"));
        assert!(!Found::default().is_exactly(""));
        assert!(is_sentinel("=?base64??=") && !is_sentinel("=?base64?=") && !is_sentinel("echo"));
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(base64_decode("SGVsbG8=").as_deref(), Some(&b"Hello"[..]));
        assert_eq!(
            base64_decode("SGVsbG8sIOS4lueVjA==").map(String::from_utf8),
            Some(Ok("Hello, 世界".into()))
        );
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("SGVsbG8"), None, "missing padding");
        assert_eq!(base64_decode("SGVs!!!bG8="), None, "outside the alphabet");
        assert_eq!(base64_decode("SG=sbG8="), None, "padding in the middle");
        assert_eq!(base64_decode("SGVsbG9="), None, "non-zero bits after the last byte");
        assert_eq!(base64_decode("SGVsbA==").as_deref(), Some(&b"Hell"[..]));
    }

    #[test]
    fn the_sentinel_is_decoded_and_anything_else_is_literal() {
        let decoded = |v: &str| decode(v, "Mcp-Name").ok().map(Cow::into_owned);
        assert_eq!(decoded("=?base64?SGVsbG8=?=").as_deref(), Some("Hello"));
        assert_eq!(decoded("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=").as_deref(), Some("=?base64?literal?="));
        assert_eq!(decoded("SGVsbG8=").as_deref(), Some("SGVsbG8="));
        assert_eq!(decoded("=?base64?SGVsbG8=").as_deref(), Some("=?base64?SGVsbG8="));
        assert_eq!(
            decoded("=?BASE64?SGVsbG8=?=").as_deref(),
            Some("=?BASE64?SGVsbG8=?="),
            "markers are case-sensitive"
        );
        assert_eq!(decoded("=?base64?SGVsbG8?="), None);
        assert_eq!(decoded("=?base64?/w==?="), None, "not UTF-8");
    }

    #[test]
    fn header_values_compare_by_the_body_type() {
        assert!(same_value(&json!("us-west1"), "us-west1"));
        assert!(!same_value(&json!("us-west1"), "US-WEST1"));
        assert!(same_value(&json!(42), "42"));
        assert!(same_value(&json!(42), "42.0"));
        assert!(same_value(&json!(-7), "-7"));
        assert!(!same_value(&json!(42), "0x2a"));
        assert!(!same_value(&json!(42), "inf"));
        assert!(same_value(&json!(true), "true"));
        assert!(!same_value(&json!(true), "True"));
        assert!(!same_value(&json!({"a": 1}), "{\"a\":1}"));
    }

    #[test]
    fn eras() {
        let envelope = |method: &str, modern: bool| {
            let params = modern.then(
                || json!({"_meta": {meta::PROTOCOL_VERSION: "2026-07-28", meta::CLIENT_CAPABILITIES: {}}}),
            );
            let request =
                mcp_connector_core::jsonrpc::Request { id: 1.into(), method: method.into(), params };
            RequestEnvelope::decode(request).expect("decodes")
        };
        let mut headers = HeaderMap::new();
        let era_of = |headers: &HeaderMap, envelope: &RequestEnvelope| {
            super::era_of(named_version(headers.get(&PROTOCOL_VERSION_HEADER)).as_ref(), envelope)
        };
        assert_eq!(era_of(&headers, &envelope("tools/list", true)), Era::Modern);
        assert_eq!(era_of(&headers, &envelope("initialize", true)), Era::Modern);
        assert_eq!(era_of(&headers, &envelope("tools/list", false)), Era::Legacy);
        headers.insert(super::super::MCP_PROTOCOL_VERSION, HeaderValue::from_static("2026-07-28"));
        assert_eq!(era_of(&headers, &envelope("tools/list", false)), Era::Modern);
        assert_eq!(
            era_of(&headers, &envelope("initialize", false)),
            Era::Legacy,
            "initialize selects the legacy era"
        );
        headers.insert(super::super::MCP_PROTOCOL_VERSION, HeaderValue::from_static("2025-11-25"));
        assert_eq!(era_of(&headers, &envelope("tools/list", false)), Era::Legacy);
    }

    #[test]
    fn error_statuses() {
        assert_eq!(status_of(Some(-32601)), StatusCode::NOT_FOUND);
        assert_eq!(status_of(Some(-32020)), StatusCode::BAD_REQUEST);
        assert_eq!(status_of(Some(-32021)), StatusCode::BAD_REQUEST);
        assert_eq!(status_of(Some(-32022)), StatusCode::BAD_REQUEST);
        assert_eq!(status_of(Some(-32602)), StatusCode::OK);
        assert_eq!(status_of(None), StatusCode::OK, "a result");
    }
}
