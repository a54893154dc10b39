//! Streamable HTTP for both protocol eras, 2026-07-28 (basic/transports/streamable-http) and
//! 2025-11-25 (basic/transports) with the revisions before it, and, on request, the legacy
//! HTTP+SSE transport of 2024-11-05: how ChatGPT, Claude and the OpenAI Responses API reach a
//! connector.
//!
//! ```no_run
//! use mcp_connector_core::{Server, Tool, protocol::CallToolResult};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = Server::builder("hello", "0.1.0")
//!         .tool(Tool::read("ping").handler(|_ctx, _args| async { Ok(CallToolResult::text("pong")) }))
//!         .build()
//!         .expect("valid server");
//!     // POST/GET/DELETE http://127.0.0.1:8000/mcp, until Ctrl-C or SIGTERM.
//!     mcp_connector_transport::http::serve(server, "127.0.0.1:8000").await
//! }
//! ```
//!
//! # What the endpoint does
//!
//! One endpoint, `/mcp` by default:
//!
//! - **POST** carries one JSON-RPC message. A request is answered with `application/json`
//!   when its handler simply returns; when the handler sends related messages first
//!   (progress, logs, a request to the client) the answer switches to `text/event-stream`:
//!   those messages, then the response, then the end of the stream. Whichever comes first,
//!   the answer or the first related message, decides. A client whose `Accept` lists only
//!   `text/event-stream` always gets a stream; one that lists only `application/json` always
//!   gets JSON (and its handlers cannot send related messages). Notifications and responses
//!   get `202 Accepted` with no body.
//! - **GET** opens an SSE stream for server-initiated messages in stateful mode (405 in
//!   stateless mode, which has none to send), or resumes a stream with `Last-Event-ID`.
//! - **DELETE** ends a stateful session (405 in stateless mode).
//!
//! # Two protocol eras on one endpoint
//!
//! Each POST is served in the era it speaks ("Versioning and Compatibility", 2026-07-28):
//!
//! - **Modern** (2026-07-28): the request carries `io.modelcontextprotocol/protocolVersion` in
//!   its `_meta`, or its `MCP-Protocol-Version` header names 2026-07-28 or later (an
//!   `initialize` without that `_meta` is never modern). It is served statelessly **in either
//!   mode**: a fresh [`Session`](mcp_connector_core::Session) answers it from its `_meta` alone, no
//!   `Mcp-Session-Id` is read or issued, its SSE events carry no ids, and closing its response
//!   stream cancels it. Before it reaches the server the transport checks what the spec asks
//!   ("Server Validation"): `_meta` holds `protocolVersion` and `clientCapabilities` (else 400,
//!   `-32602`); `MCP-Protocol-Version` equals the `_meta` version, `Mcp-Method` equals the
//!   method, `Mcp-Name` equals `params.name` (`tools/call`, `prompts/get`), `params.uri`
//!   (`resources/read`) or `params.taskId` (`tasks/get`, `tasks/update`, `tasks/cancel`), and
//!   every `Mcp-Param-{Name}` header equals the tool argument marked `"x-mcp-header": "{Name}"`
//!   (see [`Tool::header_params`](mcp_connector_core::Tool::header_params)); values in the
//!   `=?base64?…?=` form are decoded first, and surrounding whitespace is not part of a value.
//!   A missing, malformed or different header gets 400 with `HeaderMismatch` (`-32020`).
//!   The server's own answers map to statuses too: `-32601` to 404, `-32021` and `-32022` to
//!   400 (when the answer is sent as JSON, that is before any notification).
//!   `subscriptions/listen` answers with an SSE stream that stays open (with keep-alive
//!   comments) until the client closes it, which cancels it, or the server shuts down, when it
//!   ends with its final result. GET and DELETE naming a modern version get 405: the modern
//!   era has no GET stream and no sessions.
//! - **Legacy** (2025-11-25 and before): everything else, exactly as described below.
//!
//! # Stateless (default) or stateful
//!
//! In stateless mode every POST stands alone: no `Mcp-Session-Id` is issued or needed, the
//! protocol version comes from the `MCP-Protocol-Version` header (2025-03-26 when absent, as
//! the spec says), and any replica behind a load balancer can answer any request. This is
//! what ChatGPT needs: its tool calls arrive on fresh connections, without a session header,
//! after an `initialize` made elsewhere. What a stateless server cannot do is ask the client
//! something mid-request: the answer would arrive on another POST that cannot be matched to
//! the waiting handler. So in stateless mode the client's capabilities are taken as empty:
//! `Context::elicit`, `create_message` and `list_roots` fail at once with
//! `ClientRequestError::CapabilityMissing`, and a raw `Context::request` with
//! `ClientRequestError::Refused` (the transport answers it on the client's behalf rather than
//! let it wait for the timeout). Write handlers that fall back, or use stateful mode for
//! connectors that need elicitation.
//!
//! [`HttpTransport::stateful`] turns sessions on: `initialize` opens one and returns its id in
//! `Mcp-Session-Id` (128 random bits, hex); later requests must carry it (400 without it, 404
//! for an unknown or expired one). Sessions expire after an idle time, at most
//! [`max_sessions`](HttpTransport::max_sessions) exist at once (503 beyond), server-wide
//! notifications (`tools/list_changed`, `resources/updated`) travel on the GET stream, and
//! clients can answer the server's requests (elicitation) by POSTing the response.
//!
//! # Resumption and disconnects
//!
//! In stateful mode every SSE event carries an id and is kept in an [`EventStore`]
//! ([`InMemoryEventStore`] by default). A client whose stream dropped reconnects with `GET`
//! and `Last-Event-ID` and gets what it missed on that stream, then the rest live. Because of
//! that, a client that disconnects from a POST stream does not cancel its request there (the
//! spec says disconnection is not cancellation); the request still ends with the session. In
//! stateless mode nothing can be resumed, so a client that goes away mid-request cancels the
//! handler (its `CancellationToken` fires and its future is dropped). In both modes a client
//! that disconnects while waiting for a JSON answer cancels the request: no event id was ever
//! sent, so it could not come back for the answer.
//!
//! # Hygiene
//!
//! - `Host` and `Origin` are checked against allow-lists (loopback names by default; 403
//!   otherwise) to stop DNS rebinding, in both eras. Requests without `Origin` (every non-browser client)
//!   pass. Behind a reverse proxy or tunnel, add the public name with
//!   [`HttpTransport::allow_host`] or turn the check off with
//!   [`HttpTransport::allow_any_host`].
//! - `MCP-Protocol-Version` naming an unsupported version: 400 with
//!   `UnsupportedProtocolVersion` (`-32022`) and the supported versions. `Accept` with neither
//!   JSON nor SSE: 406. A POST body that is not `application/json`: 415. Over the body limit:
//!   413. Every error status carries a JSON-RPC error in its body, with the request's id when
//!   a modern request is refused and no id otherwise.
//! - SSE responses are written an event at a time, with `Cache-Control: no-cache`,
//!   `X-Accel-Buffering: no` (nginx) and keep-alive comments on idle streams.
//! - CORS answers the allowed origins and exposes `Mcp-Session-Id` and `MCP-Protocol-Version`.
//! - Each HTTP request runs in a `mcp.http` tracing span with the JSON-RPC method, the tool
//!   name, the session, the status and the duration; the core's `mcp.request` span nests in it.
//!
//! Every message handled also carries, in its [`Extensions`](mcp_connector_core::Extensions), the
//! request's [`HeaderMap`](axum::http::HeaderMap), its
//! [`http::Extensions`](axum::http::Extensions) (what your own middleware inserted, such as
//! verified auth claims) and, in stateful mode, the [`SessionId`].
//!
//! # Embedding
//!
//! [`router`] returns an axum [`Router`](axum::Router): merge or nest it in your app and wrap
//! it in your own layers (auth, tracing, rate limits).
//!
//! ```
//! use axum::{Router, routing::get};
//!
//! let server = mcp_connector_core::Server::builder("tickets", "1.0.0").build().unwrap();
//! let app: Router = Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .merge(mcp_connector_transport::http::router(server));
//! # drop(app);
//! ```

mod allow;
mod config;
mod cors;
mod endpoint;
mod event_store;
mod exchange;
mod front;
mod guard;
mod legacy;
mod limits;
mod metrics;
mod modern;
pub(crate) mod reject;
mod serve;
mod session;
mod session_store;
mod sse;

use std::io;

use mcp_connector_core::Server;
use tokio::net::ToSocketAddrs;

pub use config::HttpTransport;
pub use event_store::{EventStore, EventStoreError, InMemoryEventStore, StoredEvent};
pub use limits::RateLimit;
pub use serve::shutdown_signal;
pub use session_store::{InMemorySessionStore, SessionEvent, SessionRecord, SessionStore, SessionStoreError};

/// The attribute for implementing [`EventStore`] (re-exported from the `async-trait` crate).
pub use async_trait::async_trait;

pub(crate) use config::Shared;

/// The response extension that tells the metrics why the auth layer refused a request.
#[cfg(feature = "auth")]
pub(crate) fn metrics_refusal(reason: &'static str) -> metrics::AuthRefusal {
    metrics::AuthRefusal(reason)
}

/// The liveness path [`HttpTransport::health`] serves: `200` while the process serves HTTP.
///
/// ```
/// assert_eq!(mcp_connector_transport::http::HEALTH_PATH, "/healthz");
/// ```
pub const HEALTH_PATH: &str = "/healthz";

/// The readiness path [`HttpTransport::health`] serves: `200` when the server can do its job
/// (with auth, the token issuer answers), `503` otherwise.
///
/// ```
/// assert_eq!(mcp_connector_transport::http::READY_PATH, "/readyz");
/// ```
pub const READY_PATH: &str = "/readyz";

/// The MCP endpoint's default path.
///
/// ```
/// assert_eq!(mcp_connector_transport::http::DEFAULT_PATH, "/mcp");
/// ```
pub const DEFAULT_PATH: &str = "/mcp";

/// Where [`serve`] examples bind: loopback only (2025-11-25, basic/transports, "Security
/// Warning": servers running locally SHOULD bind only to localhost).
///
/// ```
/// let addr: std::net::SocketAddr = mcp_connector_transport::http::DEFAULT_ADDR.parse().unwrap();
/// assert!(addr.ip().is_loopback());
/// ```
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// The session header (HTTP header names are case-insensitive; the spec writes
/// `MCP-Session-Id`).
///
/// ```
/// let mut headers = axum::http::HeaderMap::new();
/// headers.insert(mcp_connector_transport::http::MCP_SESSION_ID, "3f9a".parse().unwrap());
/// assert_eq!(headers["Mcp-Session-Id"], "3f9a");
/// ```
pub const MCP_SESSION_ID: &str = "mcp-session-id";

/// The protocol version header (`MCP-Protocol-Version`).
///
/// ```
/// let mut headers = axum::http::HeaderMap::new();
/// headers.insert(mcp_connector_transport::http::MCP_PROTOCOL_VERSION, "2025-11-25".parse().unwrap());
/// assert_eq!(headers["MCP-Protocol-Version"], "2025-11-25");
/// ```
pub const MCP_PROTOCOL_VERSION: &str = "mcp-protocol-version";

/// The SSE resumption header (`Last-Event-ID`).
///
/// ```
/// let mut headers = axum::http::HeaderMap::new();
/// headers.insert(mcp_connector_transport::http::LAST_EVENT_ID, "p1-3".parse().unwrap());
/// assert_eq!(headers["Last-Event-ID"], "p1-3");
/// ```
pub const LAST_EVENT_ID: &str = "last-event-id";

/// The stateful session a message arrived on, in the message's
/// [`Extensions`](mcp_connector_core::Extensions) (stateful mode and legacy SSE only).
///
/// ```
/// use mcp_connector_core::{Context, ToolError};
/// use mcp_connector_transport::http::SessionId;
///
/// fn session_of(ctx: &Context) -> Result<String, ToolError> {
///     ctx.extensions()
///         .get::<SessionId>()
///         .map(|id| id.as_str().to_owned())
///         .ok_or_else(|| ToolError::new("this tool needs a session"))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(pub(crate) String);

impl SessionId {
    /// The id, as sent in `Mcp-Session-Id` (or the legacy `sessionId` parameter). See
    /// [`SessionId`] for how a handler reads it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The MCP endpoint for `server` with the default options (stateless, `/mcp`, loopback
/// Host/Origin allow-lists), as an axum [`Router`](axum::Router) to mount in your app. See
/// [`HttpTransport`] for the options.
///
/// ```
/// let server = mcp_connector_core::Server::builder("demo", "1.0.0").build().unwrap();
/// let app: axum::Router = mcp_connector_transport::http::router(server);
/// # drop(app);
/// ```
pub fn router(server: Server) -> axum::Router {
    HttpTransport::new(server).router()
}

/// Serves `server` on `addr` with the default options until SIGINT or SIGTERM, then shuts
/// down gracefully: it stops accepting connections, closes GET streams, ends
/// `subscriptions/listen` streams with their final result, lets requests in flight finish (up
/// to 30 s) and returns.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let server = mcp_connector_core::Server::builder("demo", "1.0.0").build().unwrap();
/// mcp_connector_transport::http::serve(server, mcp_connector_transport::http::DEFAULT_ADDR).await
/// # }
/// ```
pub async fn serve(server: Server, addr: impl ToSocketAddrs) -> io::Result<()> {
    HttpTransport::new(server).serve(addr).await
}
