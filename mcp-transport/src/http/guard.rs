//! The checks every request passes before it reaches a session: Host and Origin (DNS
//! rebinding), Accept, Content-Type, body size and `MCP-Protocol-Version`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::HttpBody;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mcp_connector_core::McpError;
use mcp_connector_core::protocol::ProtocolVersion;

use super::allow::{HostRule, OriginRule};
use super::reject::Rejection;
use super::{MCP_PROTOCOL_VERSION, MCP_SESSION_ID};

/// `MCP-Protocol-Version` as a header name built once: a lookup by `&str` parses (validates
/// and lowercases) the name again on every call, and this header is read on every request.
pub(crate) static PROTOCOL_VERSION_HEADER: HeaderName = HeaderName::from_static(MCP_PROTOCOL_VERSION);

/// The 403 owed to a request whose `Host` or `Origin` is not allowed, if it is one (2025-11-25,
/// basic/transports, "Security Warning": an invalid Origin MUST get 403). `origin` is the
/// request's `Origin` header, which the caller looked up already (the front layer decides CORS
/// by it too).
pub(crate) fn foreign(
    hosts: &HostRule,
    origins: &OriginRule,
    request: &Request,
    origin: Option<&HeaderValue>,
) -> Option<Response> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if let Some(host) = host
        && !hosts.allows(host)
    {
        tracing::warn!(
            host,
            "refused a request whose Host is not allowed (DNS rebinding protection); behind a \
             reverse proxy, add the public name with HttpTransport::allow_host"
        );
        let refusal = Rejection::new(
            StatusCode::FORBIDDEN,
            format!("Forbidden: the Host `{host}` is not allowed by this server"),
        );
        return Some(refusal.into_response());
    }
    if let Some(origin) = origin {
        let origin = origin.to_str().unwrap_or("");
        if !origins.allows(origin) {
            tracing::warn!(origin, "refused a request from an Origin that is not allowed");
            let refusal = Rejection::new(
                StatusCode::FORBIDDEN,
                format!("Forbidden: the Origin `{origin}` is not allowed by this server"),
            );
            return Some(refusal.into_response());
        }
    }
    None
}

/// Which of the two response media types the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accepts {
    pub(crate) json: bool,
    pub(crate) sse: bool,
}

impl Accepts {
    /// Reads `Accept`. No header at all means anything goes (RFC 9110, section 12.5.1); a
    /// range with `q=0` is a refusal.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(header::ACCEPT).iter();
        let Some(first) = values.next() else {
            return Accepts { json: true, sse: true };
        };
        let second = values.next();
        // What clients send in practice, compared whole: parsing it costs more than the rest
        // of this check, and it runs for every request.
        if second.is_none()
            && let Some(known) = Self::common(first.as_bytes())
        {
            return known;
        }
        let mut accepts = Accepts { json: false, sse: false };
        for value in [first].into_iter().chain(second).chain(values) {
            let Ok(value) = value.to_str() else { continue };
            accepts.read(value);
        }
        accepts
    }

    /// The `Accept` values MCP clients send, exactly as they send them.
    fn common(value: &[u8]) -> Option<Accepts> {
        const BOTH: Accepts = Accepts { json: true, sse: true };
        match value {
            b"application/json, text/event-stream"
            | b"text/event-stream, application/json"
            | b"application/json,text/event-stream"
            | b"text/event-stream,application/json"
            | b"*/*" => Some(BOTH),
            b"application/json" => Some(Accepts { json: true, sse: false }),
            b"text/event-stream" => Some(Accepts { json: false, sse: true }),
            _ => None,
        }
    }

    /// Adds what one `Accept` value allows.
    fn read(&mut self, value: &str) {
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            // Media types are case-insensitive; compared in place, as this runs for every
            // request (a lowercased copy per range showed in the profile).
            let is = |name: &str| media.eq_ignore_ascii_case(name);
            if is("*/*") {
                self.json = true;
                self.sse = true;
            } else if is("application/*") || is("application/json") {
                self.json = true;
            } else if is("text/*") || is("text/event-stream") {
                self.sse = true;
            }
        }
    }
}

/// 406 unless the client accepts JSON or SSE (2025-11-25, basic/transports, "Sending Messages
/// to the Server", item 2: clients list both; we answer either way as long as one works).
pub(crate) fn require_json_or_sse(accepts: Accepts) -> Result<(), Rejection> {
    if accepts.json || accepts.sse {
        Ok(())
    } else {
        Err(Rejection::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: the client must accept application/json or text/event-stream",
        ))
    }
}

/// 406 unless the client accepts SSE (a GET stream).
pub(crate) fn require_sse(accepts: Accepts) -> Result<(), Rejection> {
    if accepts.sse {
        Ok(())
    } else {
        Err(Rejection::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: the client must accept text/event-stream",
        ))
    }
}

/// 415 unless the body is declared as JSON.
pub(crate) fn require_json_body(headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: the body must be sent with Content-Type application/json",
        ));
    };
    // What clients send, compared whole before anything is parsed.
    if value.as_bytes() == b"application/json" {
        return Ok(());
    }
    let essence = value.to_str().ok().map(|v| v.split(';').next().unwrap_or("").trim());
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case("application/json") => Ok(()),
        Some(other) => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Unsupported Media Type: expected Content-Type application/json, got `{}`",
                other.to_ascii_lowercase()
            ),
        )),
        None => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: the body must be sent with Content-Type application/json",
        )),
    }
}

/// Reads the whole body, never holding more than `limit` bytes: 413 beyond it; 408 when it
/// does not arrive within `timeout`.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Option<std::time::Duration>,
) -> Result<Bytes, Rejection> {
    let too_large = || {
        Rejection::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: this server accepts messages of at most {limit} bytes"),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut reading = Reading { body, limit, first: None, rest: Vec::new() };
    // The timer is armed only when the body is not all there on the first look: hyper has
    // usually read a small body along with the header, and a timer set and cancelled on
    // every request showed in the profile.
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let read = std::future::poll_fn(|cx| {
        if let Poll::Ready(read) = reading.poll(cx) {
            return Poll::Ready(read);
        }
        let Some(timeout) = timeout else { return Poll::Pending };
        let timer = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(ReadError::TimedOut(timeout))),
            Poll::Pending => Poll::Pending,
        }
    });
    match read.await {
        Ok(bytes) => Ok(bytes),
        Err(ReadError::TooLarge) => Err(too_large()),
        Err(ReadError::TimedOut(timeout)) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "a request body stalled; answered 408");
            let mut refusal = Rejection::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "Request Timeout: the request body did not arrive within {} s; send it at once, after the header",
                    timeout.as_secs_f64()
                ),
            );
            // The rest of the body may still come: this connection cannot carry another
            // request.
            refusal.close_connection = true;
            Err(refusal)
        }
        Err(ReadError::Body(error)) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("Bad Request: could not read the request body: {error}"),
        )),
    }
}

/// Why a body could not be read.
enum ReadError {
    TooLarge,
    TimedOut(std::time::Duration),
    Body(axum::Error),
}

/// A body being read: its first data frame is kept as it came (one frame is the common case,
/// and then the answer is that frame's bytes, not a copy); later frames are appended to a copy.
struct Reading {
    body: Body,
    limit: usize,
    first: Option<Bytes>,
    rest: Vec<u8>,
}

impl Reading {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Bytes, ReadError>> {
        loop {
            // A body known to be complete is not polled again (hyper knows it from
            // Content-Length): one poll less per request.
            if self.first.is_some() && self.body.is_end_stream() {
                return Poll::Ready(Ok(self.take()));
            }
            let frame = match std::task::ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => return Poll::Ready(Ok(self.take())),
                Some(Err(error)) => return Poll::Ready(Err(ReadError::Body(error))),
                Some(Ok(frame)) => frame,
            };
            // Trailers carry nothing a JSON-RPC message needs.
            let Ok(data) = frame.into_data() else { continue };
            // Once a second frame came, `rest` holds the first one too.
            let held = if self.rest.is_empty() {
                self.first.as_ref().map_or(0, Bytes::len)
            } else {
                self.rest.len()
            };
            if data.len() > self.limit - held {
                return Poll::Ready(Err(ReadError::TooLarge));
            }
            match &self.first {
                None => self.first = Some(data),
                Some(first) => {
                    if self.rest.is_empty() {
                        self.rest.extend_from_slice(first);
                    }
                    self.rest.extend_from_slice(&data);
                }
            }
        }
    }

    /// Everything read.
    fn take(&mut self) -> Bytes {
        if self.rest.is_empty() {
            self.first.take().unwrap_or_default()
        } else {
            Bytes::from(std::mem::take(&mut self.rest))
        }
    }
}

/// The version the client names in `MCP-Protocol-Version`, if any; 400 when it names one this
/// server does not speak (2025-11-25, basic/transports, "Protocol Version Header"), with the
/// `UnsupportedProtocolVersionError` code and data of 2026-07-28 (streamable-http, "Protocol
/// Version Header"), which a dual-era client recognises as a modern server's answer.
pub(crate) fn protocol_version(headers: &HeaderMap) -> Result<Option<ProtocolVersion>, Rejection> {
    protocol_version_in(named_version(headers.get(&PROTOCOL_VERSION_HEADER)))
}

/// The version an `MCP-Protocol-Version` value names, read once per request: the era and the
/// version both come from it. A value that is not text names the empty version, which no
/// server speaks.
pub(crate) fn named_version(value: Option<&HeaderValue>) -> Option<ProtocolVersion> {
    value.map(|value| ProtocolVersion::new(value.to_str().unwrap_or("").trim()))
}

/// [`protocol_version`] of the version the header names ([`named_version`]), for a caller that
/// has read it already.
pub(crate) fn protocol_version_in(
    named: Option<ProtocolVersion>,
) -> Result<Option<ProtocolVersion>, Rejection> {
    let Some(version) = named else {
        return Ok(None);
    };
    if version.is_supported() {
        return Ok(Some(version));
    }
    let requested = version.as_str();
    let error = McpError::unsupported_protocol_version(requested);
    let mut rejection = Rejection::new(
        StatusCode::BAD_REQUEST,
        format!("Bad Request: unsupported MCP-Protocol-Version `{requested}`"),
    )
    .with_code(error.code);
    if let Some(data) = error.data {
        rejection = rejection.with_data(data);
    }
    Err(rejection)
}

/// The `Mcp-Session-Id` header, if present and readable.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<&str> {
    headers.get(MCP_SESSION_ID).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accepts(value: Option<&str>) -> Accepts {
        let mut headers = HeaderMap::new();
        if let Some(v) = value {
            headers.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        Accepts::from_headers(&headers)
    }

    #[test]
    fn accept_header_parsing() {
        assert_eq!(accepts(None), Accepts { json: true, sse: true });
        assert_eq!(accepts(Some("application/json, text/event-stream")), Accepts { json: true, sse: true });
        assert_eq!(accepts(Some("text/event-stream")), Accepts { json: false, sse: true });
        assert_eq!(accepts(Some("Application/JSON; charset=utf-8")), Accepts { json: true, sse: false });
        assert_eq!(accepts(Some("*/*;q=0.8")), Accepts { json: true, sse: true });
        assert_eq!(accepts(Some("text/html, application/json;q=0")), Accepts { json: false, sse: false });
        assert_eq!(accepts(Some("text/*")), Accepts { json: false, sse: true });
        assert_eq!(accepts(Some("application/json")), Accepts { json: true, sse: false });
    }

    #[test]
    fn the_common_accept_values_read_as_the_parser_reads_them() {
        for value in [
            "application/json, text/event-stream",
            "text/event-stream, application/json",
            "application/json,text/event-stream",
            "text/event-stream,application/json",
            "*/*",
            "application/json",
            "text/event-stream",
        ] {
            let mut parsed = Accepts { json: false, sse: false };
            parsed.read(value);
            assert_eq!(Accepts::common(value.as_bytes()), Some(parsed), "{value}");
        }
    }

    #[test]
    fn several_accept_headers_add_up() {
        let mut headers = HeaderMap::new();
        headers.append(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.append(header::ACCEPT, HeaderValue::from_static("text/event-stream"));
        assert_eq!(Accepts::from_headers(&headers), Accepts { json: true, sse: true });
    }

    #[test]
    fn a_content_type_is_compared_without_case_or_parameters() {
        let check = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            require_json_body(&headers).map_err(|r| r.status)
        };
        assert_eq!(check("application/json"), Ok(()));
        assert_eq!(check("Application/JSON; charset=utf-8"), Ok(()));
        assert_eq!(check("text/plain"), Err(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        assert_eq!(
            require_json_body(&HeaderMap::new()).map_err(|r| r.status),
            Err(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        );
    }
}
