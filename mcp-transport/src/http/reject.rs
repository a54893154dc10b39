//! HTTP error responses. Each carries a JSON-RPC error response in its body (the spec allows
//! one: 2025-11-25, basic/transports, "Sending Messages to the Server", item 4), so that
//! clients which surface the body show the reason, not just the status. Its id is the
//! request's when the refusal concerns a request whose id was read, `null` otherwise.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mcp_connector_core::jsonrpc::{ErrorObject, Message, RequestId, code};
use serde_json::Value;

/// A refused HTTP request.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    code: i64,
    message: String,
    id: Option<RequestId>,
    data: Option<Value>,
    allow: Option<&'static str>,
    retry_after: Option<u32>,
    /// Sends `Connection: close`: the connection cannot carry another request (the rest of
    /// a stalled body may still arrive on it).
    pub(crate) close_connection: bool,
}

impl Rejection {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Rejection {
            status,
            code: code::INVALID_REQUEST,
            message: message.into(),
            id: None,
            data: None,
            allow: None,
            retry_after: None,
            close_connection: false,
        }
    }

    pub(crate) fn with_code(mut self, code: i64) -> Self {
        self.code = code;
        self
    }

    /// Answers the request with this id (modern clients match errors to requests by id).
    pub(crate) fn with_id(mut self, id: RequestId) -> Self {
        self.id = Some(id);
        self
    }

    pub(crate) fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Asks the client to wait this many seconds before retrying (503).
    pub(crate) fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 500 with `-32603`: the server failed, not the request (a broken random source, a task
    /// that ended without an answer). The message says what failed; nothing of the request is
    /// blamed.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Rejection::new(StatusCode::INTERNAL_SERVER_ERROR, message).with_code(code::INTERNAL_ERROR)
    }

    /// 503 with `Retry-After: 5`: the server cannot take the request now (at its session
    /// limit, a token issuer unreachable) and the same request may well succeed shortly.
    pub(crate) fn unavailable(message: impl Into<String>) -> Self {
        Rejection::new(StatusCode::SERVICE_UNAVAILABLE, message).retry_after(5)
    }

    /// 503 while the server shuts down gracefully: requests in flight finish, new ones go
    /// elsewhere (another replica, or this one once it is back).
    pub(crate) fn shutting_down() -> Self {
        Rejection::unavailable("Service Unavailable: the server is shutting down")
    }

    /// 405 with the `Allow` header HTTP requires.
    pub(crate) fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> Self {
        Rejection { allow: Some(allow), ..Rejection::new(StatusCode::METHOD_NOT_ALLOWED, message) }
    }

    /// 400 for a JSON-RPC batch in a revision that has none (2025-06-18 and later), with the
    /// core's one wording of that refusal.
    pub(crate) fn batch(version: &str) -> Self {
        Rejection::from_error(
            StatusCode::BAD_REQUEST,
            mcp_connector_core::jsonrpc::batch_refused(None, version).error,
        )
    }

    /// The body for a JSON-RPC error the decoder produced (parse error, invalid request).
    pub(crate) fn from_error(status: StatusCode, error: ErrorObject) -> Self {
        Rejection { data: error.data, ..Rejection::new(status, error.message).with_code(error.code) }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut error = ErrorObject::new(self.code, self.message);
        error.data = self.data;
        let body = Message::error(self.id, error).to_value().to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(allow) = self.allow {
            headers.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.close_connection {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
