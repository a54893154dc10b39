//! [`HttpTransport`]: the options of the HTTP transport and what builds the router from them.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{Method, header};
use axum::routing::{MethodRouter, get, post};
use mcp_connector_core::Server;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use super::allow::{HostRule, OriginRule};
use super::event_store::{EventStore, InMemoryEventStore};
use super::limits::{self, RateLimit};
use super::session::Sessions;
use super::session_store::SessionStore;
use super::{DEFAULT_PATH, cors, endpoint, front, legacy, serve};

/// The streamable HTTP transport and its options. [`router`](super::router) and
/// [`serve`](super::serve) use the defaults; build one of these to change them.
///
/// | option | default |
/// | --- | --- |
/// | [`path`](Self::path) | `/mcp` |
/// | [`stateful`](Self::stateful) | `false`: every POST stands alone, no `Mcp-Session-Id` |
/// | [`session_idle_timeout`](Self::session_idle_timeout) | 30 minutes (stateful mode) |
/// | [`max_sessions`](Self::max_sessions) | 10 000 (stateful and legacy together) |
/// | [`allow_host`](Self::allow_host) | `localhost`, `127.0.0.1`, `[::1]`, any port |
/// | [`allow_origin`](Self::allow_origin) | `http(s)://localhost`, `127.0.0.1`, `[::1]`, any port |
/// | [`body_limit`](Self::body_limit) | 4 MiB |
/// | [`keep_alive`](Self::keep_alive) | a comment every 15 s on an idle SSE stream |
/// | [`legacy_sse`](Self::legacy_sse) | off |
/// | [`cors`](Self::cors) | on, for the allowed origins only |
/// | [`max_in_flight`](Self::max_in_flight) | 1 024 requests (503 beyond) |
/// | [`rate_limit`](Self::rate_limit) | none |
/// | [`header_read_timeout`](Self::header_read_timeout) | 30 s ([`serve`](Self::serve) only) |
/// | [`body_read_timeout`](Self::body_read_timeout) | 30 s (408 beyond) |
/// | [`idle_timeout`](Self::idle_timeout) | 75 s ([`serve`](Self::serve) only) |
/// | [`max_connections`](Self::max_connections) | 9/10 of the file-descriptor limit ([`serve`](Self::serve) only) |
/// | [`health`](Self::health) | off: no `/healthz`, `/readyz` |
/// | [`metrics`](Self::metrics) | off: no Prometheus metrics |
///
/// ```
/// use std::time::Duration;
/// use mcp_connector_transport::http::HttpTransport;
///
/// let server = mcp_connector_core::Server::builder("tickets", "1.0.0").build().unwrap();
/// let app: axum::Router = HttpTransport::new(server)
///     .stateful(true)
///     .session_idle_timeout(Duration::from_secs(600))
///     .allow_host("mcp.example.com")
///     .legacy_sse(true)
///     .router();
/// # drop(app);
/// ```
#[derive(Clone)]
pub struct HttpTransport {
    pub(crate) server: Server,
    pub(crate) config: Config,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("server", &self.server)
            .field("path", &self.config.path)
            .field("stateful", &self.config.stateful)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) path: String,
    pub(crate) stateful: bool,
    pub(crate) session_idle_timeout: Duration,
    pub(crate) max_sessions: usize,
    pub(crate) hosts: HostRule,
    pub(crate) origins: OriginRule,
    pub(crate) body_limit: usize,
    pub(crate) keep_alive: Option<Duration>,
    pub(crate) legacy_sse: bool,
    pub(crate) cors: bool,
    pub(crate) event_store: Option<Arc<dyn EventStore>>,
    pub(crate) session_store: Option<Arc<dyn SessionStore>>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) header_read_timeout: Option<Duration>,
    pub(crate) body_read_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) health: bool,
    pub(crate) metrics: Option<Arc<super::metrics::Metrics>>,
    #[cfg(feature = "auth")]
    pub(crate) auth: Option<crate::auth::Auth>,
}

impl Config {
    pub(crate) fn connection_limits(&self) -> serve::ConnectionLimits {
        serve::ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }
}

/// What the MCP endpoint's protected service stack is, for [`serve`] to hold without naming it.
pub(crate) trait EndpointService:
    tower_service::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> EndpointService for S where
    S: tower_service::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// A small JSON answer (axum's `Json` needs a feature this crate does without).
fn json_status(status: axum::http::StatusCode, body: serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
    response
}

/// `GET /readyz`: ready unless shutting down or the token issuer cannot be reached.
async fn readiness(shared: Arc<Shared>) -> axum::response::Response {
    use axum::http::StatusCode;
    if shared.shutdown.is_cancelled() {
        let body = serde_json::json!({"status": "not ready", "reason": "shutting down"});
        return json_status(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    #[cfg(feature = "auth")]
    if let Some(auth) = &shared.config.auth
        && let Err(error) = auth.verifier.ready().await
    {
        let body = serde_json::json!({"status": "not ready", "reason": error.to_string()});
        return json_status(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    json_status(StatusCode::OK, serde_json::json!({"status": "ready"}))
}

/// What every handler of one router shares.
pub(crate) struct Shared {
    pub(crate) server: Server,
    pub(crate) config: Config,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) legacy: legacy::Registry,
    pub(crate) shutdown: CancellationToken,
}

impl HttpTransport {
    /// The transport for `server`, with the defaults listed above.
    ///
    /// ```
    /// let server = mcp_connector_core::Server::builder("demo", "1.0.0").build().unwrap();
    /// let transport = mcp_connector_transport::http::HttpTransport::new(server);
    /// # drop(transport);
    /// ```
    pub fn new(server: Server) -> Self {
        HttpTransport {
            server,
            config: Config {
                path: DEFAULT_PATH.to_owned(),
                stateful: false,
                session_idle_timeout: Duration::from_secs(30 * 60),
                max_sessions: 10_000,
                hosts: HostRule::loopback(),
                origins: OriginRule::loopback(),
                body_limit: 4 * 1024 * 1024,
                keep_alive: Some(Duration::from_secs(15)),
                legacy_sse: false,
                cors: true,
                event_store: None,
                session_store: None,
                shutdown: CancellationToken::new(),
                shutdown_grace: Duration::from_secs(30),
                max_in_flight: Some(1024),
                rate_limit: None,
                // nginx's `client_header_timeout` is 60 s and Go's servers are often set to
                // 10-30 s: 30 s is generous to slow networks and short for a slowloris.
                header_read_timeout: Some(Duration::from_secs(30)),
                body_read_timeout: Some(Duration::from_secs(30)),
                // Longer than the 60 s idle timeout of the common load balancers (AWS ALB, GCP,
                // nginx upstream keep-alive), so that the balancer, not the server, closes an idle
                // pooled connection: the other order races a request against the close.
                idle_timeout: Some(Duration::from_secs(75)),
                max_connections: Some(serve::default_max_connections()),
                health: false,
                metrics: None,
                #[cfg(feature = "auth")]
                auth: None,
            },
        }
    }

    /// The MCP endpoint's path (default `/mcp`).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).path("/").router();
    /// # drop(app);
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.config.path = if path.starts_with('/') { path } else { format!("/{path}") };
        self
    }

    /// Stateful mode: `initialize` opens a session whose id comes back in `Mcp-Session-Id`;
    /// later requests must carry it (400 without, 404 once it is unknown or expired). Sessions
    /// give server-initiated messages a home (a GET stream), let the server ask the client
    /// things mid-request (elicitation, sampling), and make SSE streams resumable. Sessions
    /// belong to the 2025-11-25 era only: a 2026-07-28 request is served statelessly in
    /// either mode (see the [module docs](super#two-protocol-eras-on-one-endpoint)).
    ///
    /// Off by default: in stateless mode every POST stands alone, which is what ChatGPT needs
    /// (its tool calls arrive without a session header) and what scales behind a load
    /// balancer without sticky sessions.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).stateful(true).router();
    /// # drop(app);
    /// ```
    pub fn stateful(mut self, stateful: bool) -> Self {
        self.config.stateful = stateful;
        self
    }

    /// How long a stateful session may sit idle (no request in flight, no stream open)
    /// before it expires (default 30 minutes).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server)
    ///     .stateful(true)
    ///     .session_idle_timeout(Duration::from_secs(300));
    /// # drop(t);
    /// ```
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.session_idle_timeout = timeout;
        self
    }

    /// The most sessions (stateful and legacy SSE together) open at once (default 10 000).
    /// An `initialize` beyond it gets `503 Service Unavailable` with `Retry-After`.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).stateful(true).max_sessions(100);
    /// # drop(t);
    /// ```
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.config.max_sessions = max;
        self
    }

    /// Also accepts requests whose `Host` is `host`: a name (`mcp.example.com`, any port), a
    /// name and port (`mcp.example.com:8443`), or any subdomain (`*.ngrok-free.app`). Needed
    /// behind a reverse proxy or tunnel that forwards the public `Host`.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server)
    ///     .allow_host("mcp.example.com")
    ///     .allow_host("*.trycloudflare.com");
    /// # drop(t);
    /// ```
    pub fn allow_host(mut self, host: impl AsRef<str>) -> Self {
        self.config.hosts.add(host.as_ref());
        self
    }

    /// Replaces the `Host` allow-list, loopback names included.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).allowed_hosts(["mcp.example.com"]);
    /// # drop(t);
    /// ```
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.config.hosts = HostRule::Only(Vec::new());
        for host in hosts {
            self.config.hosts.add(host.as_ref());
        }
        self
    }

    /// Turns the `Host` check off, for deployments where a proxy in front already pins the
    /// name. Keep the Origin check and authentication on.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).allow_any_host();
    /// # drop(t);
    /// ```
    pub fn allow_any_host(mut self) -> Self {
        self.config.hosts = HostRule::Any;
        self
    }

    /// Also accepts requests whose `Origin` is `origin`: `https://app.example.com` (exactly
    /// that origin), `http://localhost:*` (any port) or `https://*.example.com`. Requests
    /// without an `Origin` (every non-browser client) are never refused for lacking one.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).allow_origin("https://app.example.com");
    /// # drop(t);
    /// ```
    pub fn allow_origin(mut self, origin: impl AsRef<str>) -> Self {
        self.config.origins.add(origin.as_ref());
        self
    }

    /// Replaces the `Origin` allow-list, loopback origins included.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).allowed_origins(["https://app.example.com"]);
    /// # drop(t);
    /// ```
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.config.origins = OriginRule::Only(Vec::new());
        for origin in origins {
            self.config.origins.add(origin.as_ref());
        }
        self
    }

    /// Accepts any `Origin` (and answers CORS for any). Only for servers that authenticate
    /// every request and are not reachable on a loopback address.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).allow_any_origin();
    /// # drop(t);
    /// ```
    pub fn allow_any_origin(mut self) -> Self {
        self.config.origins = OriginRule::Any;
        self
    }

    /// The largest POST body accepted, in bytes (default 4 MiB); larger ones get 413.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).body_limit(1 << 20);
    /// # drop(t);
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// How often an idle SSE stream gets a keep-alive comment (default 15 s; `None` for
    /// never). Proxies close connections that stay silent too long, and the write is how the
    /// server notices a client that went away.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).keep_alive(Some(Duration::from_secs(5)));
    /// # drop(t);
    /// ```
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.config.keep_alive = every.filter(|d| !d.is_zero());
        self
    }

    /// Also serves the legacy HTTP+SSE transport (protocol 2024-11-05) for old clients:
    /// `GET /sse` opens the stream and announces the POST endpoint, `POST /messages?sessionId=…`
    /// carries messages. Off by default.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).legacy_sse(true).router();
    /// # drop(app);
    /// ```
    pub fn legacy_sse(mut self, enabled: bool) -> Self {
        self.config.legacy_sse = enabled;
        self
    }

    /// Answers CORS (preflight included) for the allowed origins, exposing `Mcp-Session-Id`,
    /// `MCP-Protocol-Version` and `WWW-Authenticate` to browser clients (default on). Turn
    /// it off to apply your own CORS layer to the router.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).cors(false);
    /// # drop(t);
    /// ```
    pub fn cors(mut self, enabled: bool) -> Self {
        self.config.cors = enabled;
        self
    }

    /// Where stateful sessions keep SSE events for redelivery (default:
    /// [`InMemoryEventStore`]).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use mcp_connector_transport::http::{HttpTransport, InMemoryEventStore};
    /// let t = HttpTransport::new(server).stateful(true).event_store(InMemoryEventStore::with_capacity(64));
    /// # drop(t);
    /// ```
    pub fn event_store(mut self, store: impl EventStore) -> Self {
        self.config.event_store = Some(Arc::new(store));
        self
    }

    /// Shares stateful sessions with other replicas of this server (see `docs/scale-out.md`):
    /// a request naming a session is served by whichever replica receives it, a session
    /// deleted on one is gone on all, and streams are served from the [`event_store`]
    /// (which must then be shared too), so that a client resumes on any replica. The
    /// shared store is asked on every request of a session: when it cannot be reached, those
    /// requests are answered `503` with `Retry-After`, while stateless and 2026-07-28 requests
    /// go on.
    ///
    /// [`event_store`]: Self::event_store
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use mcp_connector_transport::http::{HttpTransport, InMemoryEventStore, InMemorySessionStore};
    /// let t = HttpTransport::new(server)
    ///     .stateful(true)
    ///     .event_store(InMemoryEventStore::default())
    ///     .session_store(InMemorySessionStore::default());
    /// # drop(t);
    /// ```
    pub fn session_store(mut self, store: impl SessionStore) -> Self {
        self.config.session_store = Some(Arc::new(store));
        self
    }

    /// A token that starts a graceful shutdown of the router when cancelled: GET streams
    /// (standalone and legacy) close once their pending messages are written,
    /// `subscriptions/listen` streams end with their final result (the server's
    /// [`close_subscriptions`](mcp_connector_core::Server::close_subscriptions)), new sessions and
    /// subscriptions are refused, and requests in flight finish. [`serve`](Self::serve) cancels it on
    /// SIGINT/SIGTERM; cancel it yourself when the router is mounted in your own server.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let shutdown = mcp_connector_core::CancellationToken::new();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).shutdown_token(shutdown.clone()).router();
    /// // ... later, in your own shutdown path:
    /// shutdown.cancel();
    /// # drop(app);
    /// ```
    pub fn shutdown_token(mut self, token: CancellationToken) -> Self {
        self.config.shutdown = token;
        self
    }

    /// How long [`serve`](Self::serve) waits for requests in flight after a shutdown signal
    /// before it drops the remaining connections (default 30 s).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).shutdown_grace(Duration::from_secs(5));
    /// # drop(t);
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// The most requests in flight at once (default 1 024; `None` for no cap): POSTs and
    /// DELETEs from arrival until their answer (a stream included) has been written. A request
    /// beyond it gets `503 Service Unavailable` with `Retry-After: 1` at once, without
    /// reaching a handler. GET streams are not counted (see
    /// [`max_sessions`](Self::max_sessions)).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).max_in_flight(Some(256));
    /// # drop(t);
    /// ```
    pub fn max_in_flight(mut self, max: Option<usize>) -> Self {
        self.config.max_in_flight = max;
        self
    }

    /// A per-principal rate limit on the MCP endpoint (default none): see [`RateLimit`]. A
    /// caller over its limit gets `429 Too Many Requests` with `Retry-After`. With auth on, the
    /// limit applies after the token is verified, so that signed-in callers are counted by
    /// who they are.
    ///
    /// ```
    /// use mcp_connector_transport::http::{HttpTransport, RateLimit};
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = HttpTransport::new(server).rate_limit(RateLimit::per_second(10.0).burst(50));
    /// # drop(t);
    /// ```
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.config.rate_limit = Some(limit);
        self
    }

    /// How long a connection may take to send a request's header, from its first byte (or
    /// from being accepted) to the blank line (default 30 s; `None` for no limit). A
    /// connection past it is closed. Applies to [`serve`](Self::serve) and
    /// [`serve_until`](Self::serve_until); an app that serves the [`router`](Self::router)
    /// itself sets its own.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).header_read_timeout(Some(Duration::from_secs(10)));
    /// # drop(t);
    /// ```
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.header_read_timeout = timeout.filter(|d| !d.is_zero());
        self
    }

    /// How long a POST may take to send its body once its header is in (default 30 s; `None`
    /// for no limit). A request past it is answered `408 Request Timeout` and its connection
    /// closed, so that a client that sends a header and then stalls cannot hold a connection
    /// and an in-flight slot for ever. Applies however the router is served.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).body_read_timeout(Some(Duration::from_secs(10)));
    /// # drop(t);
    /// ```
    pub fn body_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.body_read_timeout = timeout.filter(|d| !d.is_zero());
        self
    }

    /// How long a keep-alive connection may sit with no request in flight before it is closed
    /// (default 75 s, longer than the usual load balancer's 60 s; `None` for no limit). For
    /// [`serve`](Self::serve) and [`serve_until`](Self::serve_until).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use std::time::Duration;
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).idle_timeout(Some(Duration::from_secs(120)));
    /// # drop(t);
    /// ```
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout.filter(|d| !d.is_zero());
        self
    }

    /// The most connections open at once (default: nine tenths of the process's
    /// file-descriptor limit on Linux, 1 000 elsewhere; `None` for no cap). A connection
    /// beyond it is answered `503` with `Retry-After: 1` and closed at once, so the server
    /// keeps accepting and never runs out of descriptors for the clients it serves. For
    /// [`serve`](Self::serve) and [`serve_until`](Self::serve_until).
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let t = mcp_connector_transport::http::HttpTransport::new(server).max_connections(Some(2_000));
    /// # drop(t);
    /// ```
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.config.max_connections = max;
        self
    }

    /// Serves `GET /healthz` (liveness: `200 {"status":"ok"}` while the process serves HTTP)
    /// and `GET /readyz` (readiness: `200 {"status":"ready"}`, or `503` with the reason when the
    /// server cannot do its job now: with auth, when the token issuer cannot be reached).
    /// Off by default, so that the paths stay free for an app that mounts the router. Both
    /// answer whatever the `Host` (probes name the server by its address) and without a token.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).health(true).router();
    /// # drop(app);
    /// ```
    pub fn health(mut self, enabled: bool) -> Self {
        self.config.health = enabled;
        self
    }

    /// Serves Prometheus metrics (text format 0.0.4) at `path` (off by default):
    /// `mcp_server_operation_duration_seconds` (a histogram by `mcp_method_name`,
    /// `gen_ai_tool_name` and `error_type`, the JSON-RPC error code or the HTTP status; its
    /// `_count` is the number of requests), `http_server_active_requests`,
    /// `mcp_server_sessions`, `http_server_open_connections` (under [`serve`](Self::serve))
    /// and `mcp_server_auth_refusals_total` by `reason`. Names follow OpenTelemetry's semantic
    /// conventions for MCP and HTTP, as an OpenTelemetry Prometheus exporter writes them. The
    /// path answers whatever the `Host` and without a token: keep it off the public proxy.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let app = mcp_connector_transport::http::HttpTransport::new(server).metrics("/metrics").router();
    /// # drop(app);
    /// ```
    pub fn metrics(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        let path = if path.starts_with('/') { path } else { format!("/{path}") };
        self.config.metrics = Some(super::metrics::Metrics::new(path));
        self
    }

    /// Protects the endpoint as an OAuth 2.1 resource server (feature `auth`): bearer tokens
    /// checked on every request, per-tool scopes, Protected Resource Metadata served at
    /// `/.well-known/oauth-protected-resource` (and its path-suffixed form). See
    /// [`crate::auth`].
    ///
    /// ```
    /// use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let tokens = StaticTokens::new().user("dev-token", "dev", ["tickets:write"]);
    /// let app = mcp_connector_transport::http::HttpTransport::new(server)
    ///     .auth(Auth::required("http://127.0.0.1:8000/mcp", tokens))
    ///     .router();
    /// # drop(app);
    /// ```
    #[cfg(feature = "auth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
    pub fn auth(mut self, auth: crate::auth::Auth) -> Self {
        self.config.auth = Some(auth);
        self
    }

    /// The axum router: the MCP endpoint (and the legacy endpoints when enabled) behind the
    /// Host/Origin checks and CORS. Mount it in your app with `merge` or `nest`, and add
    /// your own layers (auth, tracing, rate limits) around it.
    ///
    /// ```
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// use axum::{Router, routing::get};
    /// let app = Router::new()
    ///     .route("/health", get(|| async { "ok" }))
    ///     .merge(mcp_connector_transport::http::HttpTransport::new(server).router());
    /// # drop(app);
    /// ```
    pub fn router(self) -> Router {
        self.build().0
    }

    /// The [`router`](Self::router), and the service its MCP endpoint route runs, for
    /// [`serve`](Self::serve) to call directly when a request's path is the endpoint's: the
    /// same layers around the same endpoint (sharing their caps, rate limits and sessions),
    /// minus the router's path lookup and the box around every route's future. `None` when the
    /// path is not a plain literal (axum's `{param}` or `*` syntax): then only the router
    /// knows which requests it matches.
    pub(crate) fn build(self) -> (Router, Option<serve::Direct<impl EndpointService>>) {
        let HttpTransport { server, config } = self;
        // Modern clients drop a tool whose `x-mcp-header` annotations break the spec's rules,
        // and this transport refuses to run one for them: say so now rather than at the call.
        for tool in server.tools() {
            if let Err(why) = tool.header_params() {
                tracing::error!(
                    tool = tool.name(),
                    %why,
                    "invalid x-mcp-header annotations: 2026-07-28 clients will not list this tool"
                );
            }
        }
        let store = config.event_store.clone().unwrap_or_else(|| Arc::new(InMemoryEventStore::default()));
        let shutdown = config.shutdown.clone();
        let sessions = Arc::new(Sessions::new(
            config.session_idle_timeout,
            config.max_sessions,
            store,
            shutdown.clone(),
            config.session_store.clone(),
        ));
        let shared =
            Arc::new(Shared { server, config, sessions, legacy: legacy::Registry::default(), shutdown });
        let config = &shared.config;

        // The layer the MCP routes share: the in-flight cap, the Host/Origin check, CORS (see
        // `front`). It is composed statically around each route's service (and not with
        // `Router::layer`, which boxes every route's service and future once more per layer on
        // every request: the load benchmark's profile charged ~5% of a `tools/call` to that).
        let origins = config.origins.clone();
        let cors = config.cors.then(|| {
            CorsLayer::new()
                .allow_origin(AllowOrigin::predicate(move |origin, _| {
                    origin.to_str().is_ok_and(|o| origins.allows(o))
                }))
                .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
                .allow_headers(AllowHeaders::mirror_request())
                .expose_headers(cors::EXPOSED)
                .max_age(Duration::from_secs(600))
                // tower-http builds its `Vary` value anew for every response (a join of the
                // names: ~2.5k instructions of a tools/call); the front adds the same names
                // as one static value instead.
                .vary([])
        });
        let front = front::FrontLayer::new(front::Front {
            in_flight: config.max_in_flight.map(limits::InFlight::new),
            hosts: config.hosts.clone(),
            origins: config.origins.clone(),
            cors,
        });
        // Inside it, on the MCP routes only: the token check, then the rate limit (it needs
        // the verified principal). The metadata routes stay reachable without a token.
        #[cfg(feature = "auth")]
        let auth_state =
            config.auth.clone().map(|auth| crate::auth::AuthState::new(auth, shared.server.clone()));
        #[cfg(feature = "auth")]
        let authenticate = auth_state
            .clone()
            .map(|state| axum::middleware::from_fn_with_state(state, crate::auth::authenticate));
        #[cfg(not(feature = "auth"))]
        let authenticate: Option<tower::layer::util::Identity> = None;
        let protected = ServiceBuilder::new().layer(front.clone()).option_layer(authenticate).option_layer(
            config
                .rate_limit
                .clone()
                .map(|limit| limits::RateLimitLayer { limiter: Arc::new(limits::RateLimiter::new(limit)) }),
        );
        let mcp = |route: MethodRouter<Arc<Shared>>| protected.service(route.with_state(shared.clone()));

        let endpoint = || protected.service(endpoint::Endpoint { shared: shared.clone() });
        // Around the whole router (below) and around `serve`'s direct endpoint alike.
        let metrics = config
            .metrics
            .clone()
            .map(|metrics| super::metrics::MetricsLayer { metrics, shared: shared.clone() });
        // What the router runs for the endpoint's path, metrics layer included, for `serve` to
        // call directly.
        let direct = serve::Direct::literal(&config.path).then(|| serve::Direct {
            path: config.path.clone(),
            service: ServiceBuilder::new().option_layer(metrics.clone()).service(endpoint()),
        });
        let mut router = Router::new().route_service(&config.path, endpoint());
        if config.legacy_sse {
            router = router
                .route_service(legacy::SSE_PATH, mcp(get(legacy::open)))
                .route_service(&format!("{}/", legacy::SSE_PATH), mcp(get(legacy::open)))
                .route_service(legacy::MESSAGES_PATH, mcp(post(legacy::message)))
                .route_service(&format!("{}/", legacy::MESSAGES_PATH), mcp(post(legacy::message)));
        }
        #[cfg(feature = "auth")]
        if let Some(state) = auth_state {
            router = router.merge(
                crate::auth::metadata_routes(state.auth.clone(), shared.server.clone(), &config.path)
                    .layer(front.clone()),
            );
        }
        // Any other path is still answered behind the Host/Origin check and CORS, as before.
        let mut router = router.fallback_service(tower_layer::Layer::layer(
            &front,
            axum::routing::any(|| async { axum::http::StatusCode::NOT_FOUND }),
        ));
        if shared.config.health {
            // Outside the Host check, the auth layer and the caps: probes name the server by
            // its address, carry no token, and must be answered when the server is busiest.
            let ready = shared.clone();
            router = router
                .route(
                    super::HEALTH_PATH,
                    get(|| async {
                        json_status(axum::http::StatusCode::OK, serde_json::json!({"status": "ok"}))
                    }),
                )
                .route(super::READY_PATH, get(move || readiness(ready.clone())));
        }
        let router = match metrics {
            Some(metrics) => router.layer(metrics),
            None => router,
        };
        (router, direct)
    }

    /// Binds `addr` and serves until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let server = mcp_connector_core::Server::builder("tickets", "1.0.0").build().unwrap();
    /// mcp_connector_transport::http::HttpTransport::new(server).stateful(true).serve("127.0.0.1:8000").await
    /// # }
    /// ```
    pub async fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_until(listener, serve::shutdown_signal()).await
    }

    /// Serves on `listener` until `shutdown` resolves (or the
    /// [`shutdown_token`](Self::shutdown_token) is cancelled), then stops accepting
    /// connections, closes GET streams, ends `subscriptions/listen` streams, lets requests in
    /// flight finish for up to the grace period, and returns.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// let server = mcp_connector_core::Server::builder("tickets", "1.0.0").build().unwrap();
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// println!("listening on {}", listener.local_addr()?);
    /// let stop = async { let _ = tokio::signal::ctrl_c().await; };
    /// mcp_connector_transport::http::HttpTransport::new(server).serve_until(listener, stop).await
    /// # }
    /// ```
    pub async fn serve_until(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        serve::serve_until(self, listener, shutdown).await
    }
}
