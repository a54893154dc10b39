//! Testing a connector over HTTP without a socket (feature `http`): [`HttpTestClient`] sends
//! requests straight into the real axum router ([`HttpTransport::router`](crate::http::HttpTransport::router)),
//! through every layer a deployed server has (Host and Origin checks, auth, limits), and reads
//! JSON and SSE answers. With the feature `auth`, [`TestIssuer`] mints JWT access tokens with
//! in-process keys for the real [`JwtVerifier`](crate::auth::JwtVerifier), and [`AuditLog`]
//! records the audit events, so an author's unit test can check who may call what.
//!
//! ```
//! use mcp_connector_core::{Server, tools};
//! use mcp_connector_transport::auth::Auth;
//! use mcp_connector_transport::http::HttpTransport;
//! use mcp_connector_transport::testing::{AuditLog, HttpTestClient, TestIssuer};
//!
//! struct Tickets;
//!
//! #[tools]
//! impl Tickets {
//!     /// List tickets.
//!     #[tool(read)]
//!     async fn list_tickets(&self) -> String {
//!         "1: printer on fire".into()
//!     }
//!
//!     /// Close a ticket.
//!     #[tool(write, idempotent, scope = "tickets:write")]
//!     async fn close_ticket(&self, id: u32) -> String {
//!         format!("closed {id}")
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let resource = "http://localhost/mcp";
//! let issuer = TestIssuer::new("https://issuer.test/");
//! let server = Server::builder("tickets", "1.0.0").tools(Tickets).build().unwrap();
//! let router = HttpTransport::new(server).auth(Auth::mixed(resource, issuer.verifier(resource))).router();
//! let client = HttpTestClient::new(router);
//! let audit = AuditLog::start();
//!
//! // Mixed mode: reading needs no token.
//! assert_eq!(client.call_tool("list_tickets", serde_json::json!({})).await.status(), 200);
//!
//! // A token without the tool's scope: 403, and an audit event says why.
//! let reader = issuer.token(resource).subject("bob").scopes(["tickets:read"]).sign();
//! let refused = client.clone().bearer(&reader).call_tool("close_ticket", serde_json::json!({"id": 7})).await;
//! assert_eq!(refused.status(), 403);
//! assert_eq!(refused.challenge("error").as_deref(), Some("insufficient_scope"));
//! let events = audit.events();
//! let refusal = events.iter().find(|e| e.message() == "token refused").unwrap();
//! assert_eq!(refusal.field("reason"), Some(&serde_json::json!("insufficient_scope")));
//!
//! // With the scope, the call goes through, and the write is audited with its subject.
//! let writer = issuer.token(resource).subject("alice").scopes(["tickets:write"]).sign();
//! let closed = client.clone().bearer(&writer).call_tool("close_ticket", serde_json::json!({"id": 7})).await;
//! assert_eq!(closed.result()["content"][0]["text"], "closed 7");
//! let last = audit.events().pop().unwrap();
//! assert_eq!(last.message(), "write tool call");
//! assert_eq!(last.field("subject"), Some(&serde_json::json!("alice")));
//! assert_eq!(last.field("outcome"), Some(&serde_json::json!("ok")));
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower_service::Service;

#[cfg(feature = "auth")]
mod audit_log;
#[cfg(feature = "auth")]
mod issuer;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub use audit_log::{AuditEvent, AuditLog};
#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub use issuer::{TestIssuer, TokenBuilder};

/// An HTTP client that hands each request to an axum router in this process: no socket, no
/// port, the same layers a deployed server runs. Requests name the host `localhost` (which the
/// transport allows by default) and come from the peer `127.0.0.1`.
///
/// Cloning is cheap and shares the session and the request ids, so a clone with another token
/// ([`bearer`](Self::bearer)) stands for the same client signing in.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
/// let router = mcp_connector_transport::http::HttpTransport::new(server).router();
/// let client = mcp_connector_transport::testing::HttpTestClient::new(router);
/// let answer = client.initialize().await;
/// assert_eq!(answer.status(), 200);
/// assert_eq!(answer.result()["serverInfo"]["name"], "s");
/// # }
/// ```
#[derive(Clone)]
pub struct HttpTestClient {
    router: Router,
    path: String,
    protocol_version: String,
    bearer: Option<String>,
    headers: HeaderMap,
    peer: SocketAddr,
    shared: Arc<Shared>,
}

/// What clones of one client share.
#[derive(Default)]
struct Shared {
    next_id: AtomicU64,
    session: std::sync::Mutex<Option<String>>,
}

impl HttpTestClient {
    /// A client of `router`, posting to `/mcp` (the transport's default path) at protocol
    /// 2025-11-25.
    pub fn new(router: Router) -> Self {
        HttpTestClient {
            router,
            path: "/mcp".to_owned(),
            protocol_version: "2025-11-25".to_owned(),
            bearer: None,
            headers: HeaderMap::new(),
            peer: SocketAddr::from(([127, 0, 0, 1], 50_000)),
            shared: Arc::new(Shared { next_id: AtomicU64::new(1), ..Shared::default() }),
        }
    }

    /// Posts MCP messages to this path instead (set with `HttpTransport::path`).
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router).path("/api/mcp");
    /// # drop(client);
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The `MCP-Protocol-Version` sent, and the version `initialize` asks for.
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router).protocol_version("2025-06-18");
    /// # drop(client);
    /// ```
    pub fn protocol_version(mut self, version: impl Into<String>) -> Self {
        self.protocol_version = version.into();
        self
    }

    /// Sends `Authorization: Bearer <token>` on every request from now on.
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router);
    /// let signed_in = client.clone().bearer("a-token");
    /// # drop(signed_in);
    /// ```
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// Sends no `Authorization` header from now on.
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let anonymous = mcp_connector_transport::testing::HttpTestClient::new(router).bearer("t").anonymous();
    /// # drop(anonymous);
    /// ```
    pub fn anonymous(mut self) -> Self {
        self.bearer = None;
        self
    }

    /// Sends this header on every request (such as `Origin`, or `Host` to test the allow-list).
    ///
    /// # Panics
    /// When `name` or `value` is not a valid header name or value (a bug in the test).
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router).header("origin", "https://chatgpt.com");
    /// # drop(client);
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::try_from(name).unwrap_or_else(|e| panic!("header name {name:?}: {e}"));
        let value = HeaderValue::try_from(value).unwrap_or_else(|e| panic!("header value {value:?}: {e}"));
        self.headers.insert(name, value);
        self
    }

    /// The address the router sees the requests come from (`ConnectInfo`, which audit events
    /// and rate limits read); `127.0.0.1` by default.
    ///
    /// ```
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router).peer("192.0.2.7:4000".parse().unwrap());
    /// # drop(client);
    /// ```
    pub fn peer(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    /// The `Mcp-Session-Id` the server gave (stateful servers), sent back on later requests.
    pub fn session_id(&self) -> Option<String> {
        self.shared.session.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Sends any request as it is, adding only the peer address: for methods, paths and
    /// headers the helpers below do not cover. The whole body is read, so a stream the server
    /// keeps open (a `GET` of the standalone SSE stream) would not return: test those over a
    /// socket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use axum::{body::Body, http::Request};
    /// # let router = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build().unwrap()).router();
    /// let client = mcp_connector_transport::testing::HttpTestClient::new(router);
    /// let request = Request::post("/mcp").header("host", "evil.example").body(Body::from("{}")).unwrap();
    /// assert_eq!(client.send(request).await.status(), 403);
    /// # }
    /// ```
    pub async fn send(&self, mut request: Request<Body>) -> TestResponse {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let mut router = self.router.clone();
        // A `Router` is always ready and its error type is `Infallible`.
        let response =
            match std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut router, cx)).await {
                Ok(()) => router.call(request).await,
                Err(never) => match never {},
            };
        let response = match response {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => panic!("the response body failed while being read: {error}"),
        };
        TestResponse { status: parts.status, headers: parts.headers, body }
    }

    /// POSTs one JSON-RPC message (or batch) to the MCP endpoint with the headers a client
    /// sends: `Accept` for JSON and SSE, `Content-Type`, `MCP-Protocol-Version`, the session id
    /// once there is one, the bearer token when set. Remembers a session id the answer gives.
    pub async fn post(&self, message: Value) -> TestResponse {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .header(header::HOST, "localhost")
            .header(header::ACCEPT, "application/json, text/event-stream")
            .header(header::CONTENT_TYPE, "application/json")
            .header("mcp-protocol-version", &self.protocol_version);
        if let Some(session) = self.session_id() {
            request = request.header("mcp-session-id", session);
        }
        if let Some(token) = &self.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let mut request = match request.body(Body::from(message.to_string())) {
            Ok(request) => request,
            Err(error) => panic!("cannot build the request (check `path` and the headers): {error}"),
        };
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
        let response = self.send(request).await;
        if let Some(session) = response.header("mcp-session-id") {
            *self.shared.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(session.to_owned());
        }
        response
    }

    /// A `GET` of `path` with the client's headers (the metadata at
    /// `/.well-known/oauth-protected-resource`, a health check).
    pub async fn get(&self, path: &str) -> TestResponse {
        let mut request = Request::get(path).header(header::HOST, "localhost");
        if let Some(token) = &self.bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let mut request = match request.body(Body::empty()) {
            Ok(request) => request,
            Err(error) => panic!("cannot build the request for {path:?}: {error}"),
        };
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
        self.send(request).await
    }

    /// Sends a request with a fresh id and returns the answer.
    pub async fn request(&self, method: &str, params: Value) -> TestResponse {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await
    }

    /// Sends a notification (the server answers `202 Accepted`).
    pub async fn notify(&self, method: &str, params: Value) -> TestResponse {
        self.post(json!({"jsonrpc": "2.0", "method": method, "params": params})).await
    }

    /// `initialize` at the client's protocol version, then `notifications/initialized` when it
    /// succeeded; returns the `initialize` answer. A stateless server (the default) needs no
    /// handshake, so the other helpers work without it.
    pub async fn initialize(&self) -> TestResponse {
        let params = json!({
            "protocolVersion": self.protocol_version,
            "capabilities": {},
            "clientInfo": {"name": "mcp-transport-test-client", "version": env!("CARGO_PKG_VERSION")}
        });
        let answer = self.request("initialize", params).await;
        if answer.status().is_success() && answer.message().is_some_and(|m| m.get("result").is_some()) {
            self.notify("notifications/initialized", json!({})).await;
        }
        answer
    }

    /// `tools/list`.
    pub async fn list_tools(&self) -> TestResponse {
        self.request("tools/list", json!({})).await
    }

    /// `tools/call` of `name` with `arguments`.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> TestResponse {
        self.request("tools/call", json!({"name": name, "arguments": arguments})).await
    }
}

/// An answer, read whole: status, headers and body, with readers for JSON and SSE bodies.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// One Server-Sent Event of an SSE body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field (empty for the default `message`).
    pub event: String,
    /// The `id:` field, when there is one.
    pub id: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// All headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// One header's value as text, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the body is an SSE stream (`Content-Type: text/event-stream`).
    pub fn is_sse(&self) -> bool {
        self.header("content-type").is_some_and(|t| t.starts_with("text/event-stream"))
    }

    /// The events of an SSE body, in order (none for another body).
    pub fn sse_events(&self) -> Vec<SseEvent> {
        if !self.is_sse() {
            return Vec::new();
        }
        parse_sse(&self.text())
    }

    /// The JSON-RPC messages of the body: the JSON value (each element of a batch), or the
    /// `data` of each SSE event that holds JSON (progress and log notifications, then the
    /// response).
    pub fn messages(&self) -> Vec<Value> {
        if self.is_sse() {
            return self.sse_events().iter().filter_map(|e| serde_json::from_str(&e.data).ok()).collect();
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Array(batch)) => batch,
            Ok(value) => vec![value],
            Err(_) => Vec::new(),
        }
    }

    /// The JSON-RPC response among [`messages`](Self::messages) (the last message with an
    /// `id` and a `result` or `error`).
    pub fn message(&self) -> Option<Value> {
        self.messages().into_iter().rev().find(|m| m.get("id").is_some() && m.get("method").is_none())
    }

    /// The body as JSON (not SSE): a JSON error document, the metadata, a health answer.
    ///
    /// # Panics
    /// When the body is not JSON, with the status and the body in the message.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {} {}", self.status, self.text()))
    }

    /// The `result` of the JSON-RPC response.
    ///
    /// # Panics
    /// When there is no response with a `result` (an HTTP error, a JSON-RPC error), with the
    /// status and the body in the message, so a failing test says what came back.
    pub fn result(&self) -> Value {
        match self.message().and_then(|m| m.get("result").cloned()) {
            Some(result) => result,
            None => panic!("no JSON-RPC result in the answer: {} {}", self.status, self.text()),
        }
    }

    /// The `error` of the JSON-RPC response, if it is one.
    pub fn error(&self) -> Option<Value> {
        self.message().and_then(|m| m.get("error").cloned())
    }

    /// A parameter of the `WWW-Authenticate: Bearer ...` challenge, such as `error`, `scope`
    /// or `resource_metadata`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let auth = Auth::required("http://localhost/mcp", StaticTokens::new());
    /// let router = mcp_connector_transport::http::HttpTransport::new(server).auth(auth).router();
    /// let answer = mcp_connector_transport::testing::HttpTestClient::new(router).list_tools().await;
    /// assert_eq!(answer.status(), 401);
    /// assert_eq!(
    ///     answer.challenge("resource_metadata").as_deref(),
    ///     Some("http://localhost/.well-known/oauth-protected-resource/mcp")
    /// );
    /// # }
    /// ```
    pub fn challenge(&self, name: &str) -> Option<String> {
        let challenge = self.header("www-authenticate")?;
        let needle = format!("{name}=\"");
        let start = challenge.find(&needle)? + needle.len();
        let rest = &challenge[start..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

/// Splits an SSE body into events (the WHATWG rules that matter here: `field: value` lines,
/// `:` comments, blank lines end an event, one leading space of a value dropped).
fn parse_sse(text: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    let mut current = SseEvent::default();
    let mut data: Vec<&str> = Vec::new();
    let mut has_fields = false;
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            if has_fields {
                current.data = data.join("\n");
                events.push(std::mem::take(&mut current));
                data.clear();
                has_fields = false;
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        has_fields = true;
        match field {
            "event" => current.event = value.to_owned(),
            "id" => current.id = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if has_fields {
        current.data = data.join("\n");
        events.push(current);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_bodies_split_into_events() {
        let body = ": comment\nid: 1\nevent: message\ndata: {\"a\":1}\n\ndata: line one\r\ndata:line two\n\nid: 3\ndata: last";
        let events = parse_sse(body);
        assert_eq!(
            events,
            [
                SseEvent { event: "message".into(), id: Some("1".into()), data: "{\"a\":1}".into() },
                SseEvent { event: String::new(), id: None, data: "line one\nline two".into() },
                SseEvent { event: String::new(), id: Some("3".into()), data: "last".into() },
            ]
        );
        assert!(parse_sse(": only a comment\n\n").is_empty());
    }
}
