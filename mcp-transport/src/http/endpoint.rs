//! The MCP endpoint: POST, GET and DELETE (2025-11-25, basic/transports, "Streamable HTTP"),
//! for both eras: a POST that is modern (protocol 2026-07-28, see [`super::modern`]) is served
//! statelessly whatever the mode; everything else as 2025-11-25 says.
//!
//! Each handler checks the request, finds or makes the [`Session`] it belongs to, and hands
//! the message to [`Exchange`]; session bookkeeping stays in [`super::session`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use mcp_connector_core::era::Era;
use mcp_connector_core::jsonrpc::{self, Decoded, Message, code};
use mcp_connector_core::protocol::{ClientCapabilities, ProtocolVersion, method};
use mcp_connector_core::request::{ClientRequest, RequestEnvelope};
use mcp_connector_core::{Extensions, LogClock, Outbound, Session};
use tokio::sync::mpsc;
use tracing::{Instrument, Span, field};

use super::event_store::StoredEvent;
use super::exchange::{Ending, Exchange, Stream, Work};
use super::guard::{self, Accepts};
use super::modern;
use super::reject::Rejection;
use super::session::{HttpSession, OpenError, replay_frame};
use super::{LAST_EVENT_ID, MCP_SESSION_ID, SessionId, Shared, sse};

/// What a POST body turned out to be.
// A single request is the common case by far: boxing it to shrink the rare variants would
// cost an allocation on every POST.
#[allow(clippy::large_enum_variant)]
enum Incoming {
    /// One request, decoded once: every check below reads this envelope.
    Request(RequestEnvelope),
    /// Notifications and responses: accepted with 202.
    NoAnswer(Message),
    Batch {
        body: Bytes,
        ids: Vec<jsonrpc::RequestId>,
        first_method: Option<String>,
    },
}

/// Decodes a POST body; `Err` holds the refusal to answer with: 400 with the JSON-RPC error
/// for a body that is no message, and for a modern request that cannot be served at all
/// (`-32022` for an unsupported version, `-32602` for a `_meta` without its required fields;
/// 2026-07-28 basic/index, "_meta" and streamable-http, "Protocol Version Header").
fn classify(body: Bytes) -> Result<Incoming, Rejection> {
    let refuse = |error: jsonrpc::ErrorResponse| {
        let rejection = Rejection::from_error(StatusCode::BAD_REQUEST, error.error);
        match error.id {
            Some(id) => rejection.with_id(id),
            None => rejection,
        }
    };
    if let Some(call) = RequestEnvelope::from_call_frame(&body) {
        return call.map(Incoming::Request).map_err(refuse);
    }
    Ok(match jsonrpc::decode(&body) {
        Decoded::Invalid(error) | Decoded::Single(Err(error)) => {
            return Err(Rejection::from_error(StatusCode::BAD_REQUEST, error.error));
        }
        Decoded::Single(Ok(Message::Request(request))) => {
            Incoming::Request(RequestEnvelope::decode(request).map_err(refuse)?)
        }
        Decoded::Single(Ok(other)) => Incoming::NoAnswer(other),
        Decoded::Batch(items) => {
            let ids = items
                .iter()
                .filter_map(|item| match item {
                    Ok(Message::Request(r)) => Some(r.id.clone()),
                    _ => None,
                })
                .collect();
            let first_method = items.iter().find_map(|i| i.as_ref().ok()?.method().map(str::to_owned));
            Incoming::Batch { body, ids, first_method }
        }
    })
}

/// A span per HTTP request; the JSON-RPC method and tool name are filled in once known.
///
/// Field names follow OpenTelemetry's semantic conventions for MCP and HTTP where they exist
/// (`mcp.method.name`, `gen_ai.tool.name`, `mcp.session.id`, `http.request.method`), and
/// `otel.name` carries the span name those conventions give (`{mcp.method.name} {target}`),
/// which `tracing-opentelemetry` exports as the span's name. `mcp.era` is this SDK's own.
pub(crate) fn request_span(http_method: &str) -> Span {
    tracing::info_span!(
        "mcp.http",
        otel.name = field::Empty,
        http.request.method = http_method,
        mcp.method.name = field::Empty,
        gen_ai.tool.name = field::Empty,
        mcp.era = field::Empty,
        mcp.session.id = field::Empty,
    )
}

/// Records the method (and the tool, prompt or resource it targets) on a request's span.
pub(crate) fn record_method(span: &Span, method: &str, target: Option<&str>) {
    // With no subscriber listening, skip building the span name.
    if span.is_disabled() {
        return;
    }
    span.record("mcp.method.name", method);
    match target {
        Some(target) => span.record("otel.name", format!("{method} {target}").as_str()),
        None => span.record("otel.name", method),
    };
}

fn rejected(span: &Span, started: LogClock, rejection: Rejection) -> Response {
    span.in_scope(|| {
        tracing::info!(status = rejection.status.as_u16(), elapsed_ms = started.elapsed_ms(), "refused")
    });
    rejection.into_response()
}

/// Values attached to every message of this HTTP request, for handlers and for later auth
/// layers: the headers (without `Authorization`, when auth is on), whatever the app's own
/// middleware put in the request's extensions, and the session. Moved out of `parts`, not
/// copied: every check that reads them has run by now.
pub(crate) fn extensions_for(parts: &mut Parts, session: Option<&str>) -> Extensions {
    let mut extensions = Extensions::new();
    #[cfg(feature = "auth")]
    crate::auth::attach(parts, &mut extensions);
    extensions.insert(std::mem::take(&mut parts.headers));
    extensions.insert(std::mem::take(&mut parts.extensions));
    if let Some(id) = session {
        extensions.insert(SessionId(id.to_owned()));
    }
    extensions
}

/// POST: one JSON-RPC message (or, before 2025-06-18, a batch).
/// The MCP endpoint as one tower service: POST, GET (and HEAD, a GET without its body) and
/// DELETE go to their handlers, any other method is 405 with the methods the endpoint has,
/// as axum's `MethodRouter` answers.
///
/// Not a `MethodRouter` because the router clones its route's service for every request:
/// cloning this one is one `Arc`, where the `MethodRouter` cloned a boxed service per method
/// (three allocations and their frees per `tools/call` in the callgrind profile).
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) shared: Arc<Shared>,
}

/// The future of every request to the [`Endpoint`]: its handler's future, boxed (the one
/// allocation of the endpoint per request), in the request's span. The span is entered around
/// the box rather than inside it: `.instrument(..)` inside moved the whole handler's future
/// (~1.2 KB for a POST) into the wrapper, and the wrapper into the box, on every request.
pub(crate) type EndpointFuture =
    tracing::instrument::Instrumented<Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>>;

impl tower_service::Service<Request> for Endpoint {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = EndpointFuture;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let shared = State(self.shared.clone());
        let handling: Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>> =
            match *request.method() {
                axum::http::Method::POST => {
                    let span = request_span("POST");
                    let handling: Pin<Box<dyn Future<Output = _> + Send>> =
                        super::exchange::boxed(|| post(shared.0, request, span.clone()));
                    return handling.instrument(span);
                }
                // hyper writes no body in answer to HEAD.
                axum::http::Method::GET | axum::http::Method::HEAD => {
                    Box::pin(async move { Ok(get(shared, request).await) })
                }
                axum::http::Method::DELETE => Box::pin(async move { Ok(delete(shared, request).await) }),
                _ => Box::pin(std::future::ready(Ok((
                    StatusCode::METHOD_NOT_ALLOWED,
                    [(header::ALLOW, HeaderValue::from_static("POST,GET,HEAD,DELETE"))],
                )
                    .into_response()))),
            };
        // GET and DELETE enter their own spans.
        handling.instrument(Span::none())
    }
}

/// POST: one JSON-RPC message (or, before 2025-06-18, a batch), in `span` (the caller enters
/// it around this future).
///
/// Shaped for the size of its future, which every POST builds (in the service's box) and
/// whose inner futures are moved into its await slots, a copy of every byte of each (see
/// `examples/bench/instructions.sh`): not an `async fn`, whose arguments would stay in the
/// future for its whole life beside what is made of them; one await for the body, then every
/// check and decision in [`decide`], synchronously, and the exchange's future made right in
/// its own box. Do not fold `decide` back into this future.
fn post(
    shared: Arc<Shared>,
    request: Request,
    span: Span,
) -> impl Future<Output = Result<Response, Infallible>> + Send {
    let started = LogClock::start();
    let (parts, body) = request.into_parts();
    async move {
        let refused = 'post: {
            let accepts = match checked(&parts.headers) {
                Ok(accepts) => accepts,
                Err(rejection) => break 'post rejection,
            };
            let config = &shared.config;
            let body =
                match guard::read_body(&parts.headers, body, config.body_limit, config.body_read_timeout)
                    .await
                {
                    Ok(body) => body,
                    Err(rejection) => break 'post rejection,
                };
            // The exchange's future runs in a box of its own, made where the exchange is
            // decided (`Exchange::start`). Awaited inline, it sat in this future beside what
            // `decide` returned (which an await in a `match` on it keeps): 1.9 KB in all, past
            // the 1,032 bytes glibc serves from its per-thread cache, so every POST took
            // malloc's slow path (and its consolidation of the fast bins) twice, to allocate
            // and to free. Two boxes of about 0.5 and 0.9 KB cost less than one of 1.9 KB, and
            // `Next` is now a few words: returning it copies nothing large.
            return Ok(match decide(&shared, parts, accepts, body, &span, started) {
                Ok(Next::Run(run)) => run.await,
                Ok(Next::Rare(work)) => match work.await {
                    Ok(response) => response,
                    Err(rejection) => rejected(&span, started, rejection),
                },
                Ok(Next::Answer(response)) => response,
                Err(rejection) => break 'post rejection,
            });
        };
        Ok(rejected(&span, started, refused))
    }
}

/// The checks of a POST that need only its headers: what the client accepts, and a JSON body.
fn checked(headers: &HeaderMap) -> Result<Accepts, Rejection> {
    let accepts = Accepts::from_headers(headers);
    guard::require_json_or_sse(accepts)?;
    guard::require_json_body(headers)?;
    Ok(accepts)
}

/// Everything a POST's body leads to, decided without awaiting anything: the checks of the
/// message against the headers and the server, then what answers it.
fn decide<'a>(
    shared: &'a Arc<Shared>,
    parts: Parts,
    accepts: Accepts,
    body: Bytes,
    span: &'a Span,
    started: LogClock,
) -> Result<Next<'a>, Rejection> {
    let incoming = classify(body)?;
    let observed = super::metrics::Observed::of(&parts.extensions);
    match &incoming {
        Incoming::Request(envelope) => {
            record_method(span, envelope.method(), envelope.request.name());
            let tool = match &envelope.request {
                ClientRequest::CallTool(call) => Some(call.name.as_str()),
                _ => None,
            };
            if let Some(tool) = tool {
                span.record("gen_ai.tool.name", tool);
            }
            // Metric labels take only names the server knows: a client must not be able to
            // mint a new time series per request with made-up methods or tools. (Looked up
            // only for the metrics: the server finds the tool again when it runs the call.)
            if let Some(observed) = observed {
                let method = match &envelope.request {
                    ClientRequest::Unknown(_) => "_other",
                    _ => envelope.method(),
                };
                let tool =
                    tool.map(|name| if shared.server.tool(name).is_some() { name } else { "_unknown" });
                observed.request(method, tool);
            }
        }
        Incoming::NoAnswer(message) => {
            record_method(span, message.method().unwrap_or("(response)"), None);
            if let (Some(observed), Some(method)) = (observed, message.method()) {
                let known = [
                    method::INITIALIZED,
                    method::CANCELLED,
                    method::PROGRESS,
                    "notifications/roots/list_changed",
                ];
                let method = if known.contains(&method) { method } else { "_other" };
                observed.request(method, None);
            }
        }
        Incoming::Batch { first_method, .. } => {
            record_method(span, &format!("batch: {}", first_method.as_deref().unwrap_or("-")), None);
        }
    }
    // Read once: the era and, for a legacy request, the version both come from it.
    let named = guard::named_version(parts.headers.get(&guard::PROTOCOL_VERSION_HEADER));
    let era = match &incoming {
        Incoming::Request(envelope) => modern::era_of(named.as_ref(), envelope),
        Incoming::NoAnswer(Message::Notification(n)) => modern::era_of_notification(named.as_ref(), n),
        Incoming::NoAnswer(_) | Incoming::Batch { .. } => modern::header_era(named.as_ref()),
    };
    span.record("mcp.era", era.as_str());
    // Checked after decoding only so that the span names the method of a refused request.
    let header_version = match era {
        Era::Modern => {
            if let Incoming::Request(envelope) = &incoming {
                modern::check(&shared.server, &parts.headers, envelope)
                    .map_err(|r| r.with_id(envelope.id.clone()))?;
            }
            None
        }
        Era::Legacy => guard::protocol_version_in(named)?,
    };
    #[cfg(feature = "auth")]
    if let Incoming::Request(envelope) = &incoming
        && let Some(refused) = crate::auth::check_call(&shared.server, &parts, envelope)
    {
        return Ok(Next::Answer(refused));
    }
    let observed = observed.cloned();
    let post = Post { shared, parts, accepts, header_version, span, started, observed };
    if era == Era::Modern {
        post.modern(incoming)
    } else if shared.config.stateful {
        post.stateful(incoming)
    } else {
        post.stateless(incoming)
    }
}

/// What a checked POST leads to. Deciding it is synchronous, so that the future of every
/// POST holds only the box of what it runs: the paths that need more (opening a session, a
/// batch, a notification for a session) are boxed, and so is the common one (one request),
/// in a box made in place where its exchange is decided (see `post`).
enum Next<'a> {
    /// One request to answer: its exchange, running ([`Exchange::start`]).
    Run(super::exchange::Running),
    /// Answered already (202 for a notification that needs no session).
    Answer(Response),
    /// A rarer path with awaits of its own.
    Rare(Pin<Box<dyn Future<Output = Result<Response, Rejection>> + Send + 'a>>),
}

struct Post<'a> {
    shared: &'a Arc<Shared>,
    parts: Parts,
    accepts: Accepts,
    header_version: Option<ProtocolVersion>,
    span: &'a Span,
    started: LogClock,
    /// The metrics' note of this request, when metrics are on (found once, in [`decide`]).
    observed: Option<super::metrics::Observed>,
}

impl<'a> Post<'a> {
    fn exchange(&mut self, session: Session, work: Work, stream: Stream, extensions: Extensions) -> Exchange {
        // A stateful session stays alive while its request runs, however long that is.
        let busy = match &stream {
            Stream::Resumable(http_session) => Some(http_session.busy()),
            Stream::Ephemeral => None,
        };
        Exchange {
            session,
            work,
            extensions,
            accepts: self.accepts,
            stream,
            keep_alive: self.shared.config.keep_alive,
            headers: HeaderMap::new(),
            busy,
            span: self.span.clone(),
            started: self.started,
            modern: false,
            ending: None,
            observed: self.observed.take(),
        }
    }

    /// Modern (2026-07-28, basic/transports/streamable-http), in either mode: a fresh session
    /// for this one request, which the server answers from its `_meta` alone (no
    /// `initialize`, no `Mcp-Session-Id` read or issued, "Backward Compatibility": an
    /// `Mcp-Session-Id` or `Last-Event-ID` header is ignored). Its notifications (progress,
    /// logs) travel on its own response stream, whose events carry no ids (nothing is
    /// resumable); closing that stream cancels the request ("Cancellation"). A
    /// `subscriptions/listen` stream stays open until the client closes it or the server shuts
    /// down, when it ends with a final result ("Graceful Closure").
    fn modern(mut self, incoming: Incoming) -> Result<Next<'a>, Rejection> {
        let request = match incoming {
            Incoming::Request(envelope) => envelope,
            Incoming::NoAnswer(Message::Notification(notification)) => {
                // 2026-07-28 defines no client notifications over HTTP (closing a stream is the
                // cancellation): accepted and dropped, as there is no session to reach.
                tracing::debug!(method = %notification.method, "a 2026-07-28 notification; nothing to do");
                return Ok(Next::Answer(self.accepted()));
            }
            Incoming::NoAnswer(_) => {
                return Err(Rejection::new(
                    StatusCode::BAD_REQUEST,
                    "Invalid Request: clients send no JSON-RPC responses in protocol 2026-07-28 (the server \
                     asks for input with input_required results instead)",
                ));
            }
            Incoming::Batch { .. } => return Err(Rejection::batch(ProtocolVersion::V2026_07_28)),
        };
        let mut ending = None;
        if matches!(request.request, ClientRequest::Listen(_)) {
            if !self.accepts.sse {
                return Err(Rejection::new(
                    StatusCode::NOT_ACCEPTABLE,
                    "Not Acceptable: subscriptions/listen is answered with a text/event-stream",
                )
                .with_id(request.id.clone()));
            }
            if self.shared.shutdown.is_cancelled() {
                return Err(Rejection::shutting_down().with_id(request.id.clone()));
            }
            ending = Some(Box::new(Ending {
                shutdown: self.shared.shutdown.clone(),
                farewell: modern::listen_farewell(&request.id),
            }));
        }
        // Server-wide notifications reach modern clients through `subscriptions/listen`, which
        // the server serves on the request's own stream: nothing goes to this channel.
        let session = self.shared.server.session(Outbound::closed());
        let extensions = extensions_for(&mut self.parts, None);
        let mut exchange = self.exchange(session, Work::Single(request), Stream::Ephemeral, extensions);
        exchange.modern = true;
        exchange.ending = ending;
        Ok(Next::Run(exchange.start()))
    }

    /// Stateless: a fresh session per POST. No `Mcp-Session-Id` is needed or issued, the
    /// version comes from `MCP-Protocol-Version` (2025-03-26 when absent, as the spec says),
    /// and nothing of the client's `initialize` is known: its capabilities are assumed empty.
    /// A handler's request to the client (elicitation, sampling, roots) therefore fails at
    /// once (`CapabilityMissing` from the typed helpers, `Refused` from `Context::request`, see
    /// `exchange::refused`) instead of waiting for an answer that could only arrive on
    /// another, unrelated POST.
    fn stateless(mut self, incoming: Incoming) -> Result<Next<'a>, Rejection> {
        // Server-wide notifications have nowhere to go without a GET stream.
        let session = self.shared.server.session(Outbound::closed());
        let initialize = matches!(&incoming, Incoming::Request(r) if r.method() == method::INITIALIZE);
        if !initialize {
            let version = self
                .header_version
                .take()
                .unwrap_or_else(|| ProtocolVersion::new(ProtocolVersion::V2025_03_26));
            session.assume_protocol_version(version, ClientCapabilities::default());
        }
        let extensions = extensions_for(&mut self.parts, None);
        match incoming {
            Incoming::Request(request) => Ok(Next::Run(
                self.exchange(session, Work::Single(request), Stream::Ephemeral, extensions).start(),
            )),
            Incoming::NoAnswer(message) => {
                if matches!(message, Message::Response(_) | Message::Error(_)) {
                    tracing::debug!(
                        "a response arrived in stateless mode, where the server sends no requests; ignored"
                    );
                    return Ok(Next::Answer(self.accepted()));
                }
                Ok(Next::Rare(Box::pin(async move {
                    session.handle(message, &Outbound::closed(), extensions).await;
                    Ok(self.accepted())
                })))
            }
            Incoming::Batch { body, ids, .. } => {
                Ok(Next::Rare(Box::pin(self.batch(session, body, ids, Stream::Ephemeral, extensions))))
            }
        }
    }

    /// Stateful: `initialize` opens a session; everything else must name one.
    fn stateful(self, incoming: Incoming) -> Result<Next<'a>, Rejection> {
        let incoming = match incoming {
            Incoming::Request(envelope) if envelope.method() == method::INITIALIZE => {
                return Ok(Next::Rare(Box::pin(self.initialize(envelope))));
            }
            other => other,
        };
        if self.shared.sessions.is_shared() {
            return Ok(Next::Rare(Box::pin(self.replicated(incoming))));
        }
        let http_session = self.require_session()?;
        self.in_session(http_session, incoming)
    }

    /// Stateful with sessions shared by replicas: the session is looked up in the shared
    /// store (it may have been opened, changed or deleted on another replica), and what the
    /// request changed in it is written back before the answer leaves.
    async fn replicated(self, incoming: Incoming) -> Result<Response, Rejection> {
        let sessions = self.shared.sessions.clone();
        let http_session = find_replicated(self.shared, &self.parts.headers, &self.parts.extensions).await?;
        let response = match self.in_session(http_session.clone(), incoming)? {
            Next::Run(run) => run.await,
            Next::Answer(response) => response,
            Next::Rare(work) => work.await?,
        };
        if let Err(error) = sessions.persist(&http_session).await {
            tracing::error!(%error, "the session store failed; other replicas see the session as it was");
            return Err(store_unavailable());
        }
        Ok(response)
    }

    /// A request on a session found.
    fn in_session(
        mut self,
        http_session: Arc<HttpSession>,
        incoming: Incoming,
    ) -> Result<Next<'a>, Rejection> {
        self.span.record("mcp.session.id", http_session.id.as_str());
        let busy = http_session.busy();
        let extensions = extensions_for(&mut self.parts, Some(&http_session.id));
        let session = http_session.core.clone();
        match incoming {
            Incoming::Request(request) => {
                let stream = Stream::Resumable(http_session.clone());
                let exchange = self.exchange(session, Work::Single(request), stream, extensions);
                // The exchange holds the session busy from here on, for as long as it runs.
                drop(busy);
                Ok(Next::Run(exchange.start()))
            }
            Incoming::NoAnswer(message) => Ok(Next::Rare(Box::pin(async move {
                let _busy = busy;
                // Replicas: the request waiting for this answer (or cancelled by it) may run on
                // another replica.
                match self.shared.sessions.forward_if_elsewhere(&http_session, &message).await {
                    Ok(true) => return Ok(self.accepted()),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(%error, "the session store failed; the message reaches this replica only");
                        return Err(store_unavailable());
                    }
                }
                // Responses to the server's own requests (elicitation answers) and client
                // notifications such as `notifications/cancelled` reach the same session.
                session.handle(message, &Outbound::closed(), extensions).await;
                Ok(self.accepted())
            }))),
            Incoming::Batch { body, ids, .. } => Ok(Next::Rare(Box::pin(async move {
                let _busy = busy;
                let stream = Stream::Resumable(http_session.clone());
                self.batch(session, body, ids, stream, extensions).await
            }))),
        }
    }

    async fn initialize(mut self, envelope: RequestEnvelope) -> Result<Response, Rejection> {
        if self.shared.shutdown.is_cancelled() {
            return Err(Rejection::shutting_down());
        }
        let owner = principal(&self.parts.extensions);
        let http_session = self.shared.sessions.open(&self.shared.server, owner).map_err(|e| match e {
            OpenError::Full(max) => {
                tracing::warn!(max, "refused a new session: at the configured maximum");
                Rejection::unavailable(format!(
                    "Service Unavailable: this server holds at most {max} sessions; retry later or end unused sessions with DELETE"
                ))
            }
            OpenError::Random(error) => {
                tracing::error!(%error, "the OS random source failed");
                Rejection::internal("Internal error: cannot make a session id")
            }
        })?;
        self.span.record("mcp.session.id", http_session.id.as_str());
        let extensions = extensions_for(&mut self.parts, Some(&http_session.id));
        let busy = http_session.busy();
        let answer =
            http_session.core.serve(envelope, &Outbound::closed(), extensions).await.map(|m| m.to_value());
        drop(busy);
        let elapsed_ms = self.started.elapsed_ms();
        // `initialize` cannot be cancelled, so an answer always comes.
        let answer = answer.unwrap_or_else(|| {
            let error = jsonrpc::ErrorObject::new(
                code::INTERNAL_ERROR,
                "Internal error: initialize produced no answer",
            );
            Message::error(None, error).to_value()
        });
        if answer.get("result").is_none() {
            // A refused initialize opens nothing.
            self.shared.sessions.remove(&http_session.id);
            tracing::info!(status = 200, elapsed_ms, "initialize refused; no session opened");
            return Ok(one_answer(&answer, self.accepts, HeaderMap::new()));
        }
        if let Err(error) = self.shared.sessions.publish(&http_session).await {
            // A session other replicas cannot find would answer 404 half of the time.
            tracing::error!(%error, "the session store failed; no session opened");
            self.shared.sessions.remove(&http_session.id);
            return Err(store_unavailable());
        }
        tracing::info!(status = 200, elapsed_ms, "session opened");
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(&http_session.id) {
            headers.insert(MCP_SESSION_ID, value);
        }
        Ok(one_answer(&answer, self.accepts, headers))
    }

    /// 400 without `Mcp-Session-Id`, 404 for an unknown or expired one (2025-11-25,
    /// basic/transports, "Session Management", items 2 and 3).
    fn require_session(&self) -> Result<Arc<HttpSession>, Rejection> {
        find_session(self.shared, &self.parts.headers, &self.parts.extensions)
    }

    async fn batch(
        mut self,
        session: Session,
        body: Bytes,
        ids: Vec<jsonrpc::RequestId>,
        stream: Stream,
        extensions: Extensions,
    ) -> Result<Response, Rejection> {
        let version = session.protocol_version();
        if !version.allows_batches() {
            return Err(Rejection::batch(version.as_str()));
        }
        if ids.is_empty() {
            // Notifications and responses only: no answer is owed unless some were invalid.
            let errors = session.handle_frame(&body, &Outbound::closed(), extensions).await;
            return Ok(match errors {
                Some(errors) => (StatusCode::BAD_REQUEST, json_headers(), errors.to_string()).into_response(),
                None => self.accepted(),
            });
        }
        Ok(self.exchange(session, Work::Batch { body, ids }, stream, extensions).run().await)
    }

    fn accepted(&self) -> Response {
        self.span
            .in_scope(|| tracing::info!(status = 202, elapsed_ms = self.started.elapsed_ms(), "accepted"));
        StatusCode::ACCEPTED.into_response()
    }
}

/// The principal the auth layer verified for this request (`None`: anonymous or no auth), to
/// which stateful sessions are bound.
pub(crate) fn principal(extensions: &axum::http::Extensions) -> Option<Arc<str>> {
    #[cfg(feature = "auth")]
    return crate::auth::principal(extensions);
    #[cfg(not(feature = "auth"))]
    {
        let _ = extensions;
        None
    }
}

/// The session named by `Mcp-Session-Id`, when it exists and belongs to the request's
/// principal: another principal's session is answered 404 like an unknown one.
fn find_session(
    shared: &Shared,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Result<Arc<HttpSession>, Rejection> {
    let Some(id) = guard::session_id(headers) else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "Bad Request: this server keeps sessions; send the Mcp-Session-Id header you got from initialize",
        ));
    };
    shared.sessions.get(id, principal(extensions).as_deref()).ok_or_else(unknown_session)
}

/// [`find_session`] with sessions shared by replicas: 503 when the shared store cannot be
/// reached (nothing can tell whether the session exists).
async fn find_replicated(
    shared: &Shared,
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
) -> Result<Arc<HttpSession>, Rejection> {
    if !shared.sessions.is_shared() {
        return find_session(shared, headers, extensions);
    }
    let Some(id) = guard::session_id(headers) else {
        return find_session(shared, headers, extensions);
    };
    match shared.sessions.find_shared(&shared.server, id, principal(extensions).as_deref()).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(unknown_session()),
        Err(error) => {
            tracing::error!(%error, "the session store failed");
            Err(store_unavailable())
        }
    }
}

/// 503 with `Retry-After` when the store shared by replicas cannot be reached: the request
/// needs it, and retrying once it is back will work.
fn store_unavailable() -> Rejection {
    Rejection::unavailable(
        "Service Unavailable: the session store shared by this server's replicas cannot be reached; retry shortly",
    )
}

fn unknown_session() -> Rejection {
    Rejection::new(
        StatusCode::NOT_FOUND,
        "Not Found: no such session (it ended or expired); send a new initialize without Mcp-Session-Id",
    )
}

/// 405 for GET and DELETE in the modern era (2026-07-28, basic/transports/streamable-http,
/// "Backward Compatibility": there is no GET stream and there are no sessions to end; change
/// notifications come on a `subscriptions/listen` POST).
fn modern_method_not_allowed(http_method: &str) -> Rejection {
    Rejection::method_not_allowed(
        "POST",
        format!(
            "Method Not Allowed: protocol 2026-07-28 has no {http_method} on the MCP endpoint; POST \
             subscriptions/listen for change notifications"
        ),
    )
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

/// An answer known in full: JSON, or one SSE event for a client that takes only SSE.
fn one_answer(answer: &serde_json::Value, accepts: Accepts, extra: HeaderMap) -> Response {
    if accepts.json {
        let mut headers = json_headers();
        headers.extend(extra);
        return (StatusCode::OK, headers, answer.to_string()).into_response();
    }
    let (frames, rx) = mpsc::unbounded_channel();
    let _ = frames.send(sse::message(None, &answer.to_string()));
    drop(frames);
    sse::response(sse::Source::new(rx, None), extra)
}

/// GET: the standalone SSE stream of a stateful session, or the resumption of any of its
/// streams with `Last-Event-ID` (2025-11-25, basic/transports, "Listening for Messages from
/// the Server" and "Resumability and Redelivery"). 405 in stateless mode, which has nothing to
/// send outside a POST.
pub(crate) async fn get(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let span = request_span("GET");
    let started = LogClock::start();
    let (parts, _) = request.into_parts();
    match get_inner(&shared, &parts, &span).instrument(span.clone()).await {
        Ok(response) => response,
        Err(rejection) => rejected(&span, started, rejection),
    }
}

async fn get_inner(shared: &Arc<Shared>, parts: &Parts, span: &Span) -> Result<Response, Rejection> {
    let headers = &parts.headers;
    if modern::header_is_modern(headers) {
        return Err(modern_method_not_allowed("GET"));
    }
    if !shared.config.stateful {
        return Err(Rejection::method_not_allowed(
            "POST",
            "Method Not Allowed: this server is stateless and sends nothing outside a POST's answer",
        ));
    }
    guard::require_sse(Accepts::from_headers(headers))?;
    guard::protocol_version(headers)?;
    let http_session = find_replicated(shared, headers, &parts.extensions).await?;
    span.record("mcp.session.id", http_session.id.as_str());
    let (connection, frames) = mpsc::unbounded_channel::<Bytes>();
    let source = sse::Source::new(frames, shared.config.keep_alive).guard(http_session.busy());
    let closed = http_session.closed.clone();
    let shutdown = shared.shutdown.clone();
    // The standalone stream closes on shutdown; a resumed request's stream runs until its
    // answer, like the POST it continues ("in-flight requests finish").
    let standalone_stop = async move {
        tokio::select! {
            () = closed.cancelled() => {}
            () = shutdown.cancelled() => {}
        }
    };

    let last_event_id = headers.get(LAST_EVENT_ID).and_then(|v| v.to_str().ok());
    if shared.sessions.is_shared() {
        return replicated_get(shared, &http_session, last_event_id, connection, source, standalone_stop)
            .await;
    }
    if let Some(last) = last_event_id {
        match resume(&http_session, last, &connection).await {
            Some(Resumed::Standalone) => {
                tracing::info!(status = 200, last_event_id = last, "resuming the standalone stream");
                return Ok(sse::response(source.stop_when(standalone_stop), HeaderMap::new()));
            }
            Some(Resumed::Request) => {
                tracing::info!(status = 200, last_event_id = last, "resuming a request's stream");
                let closed = http_session.closed.clone();
                let source = source.stop_when(async move { closed.cancelled().await });
                return Ok(sse::response(source, HeaderMap::new()));
            }
            None => {
                tracing::info!(last_event_id = last, "unknown Last-Event-ID; opening a fresh stream instead")
            }
        }
    }
    let standalone = http_session.standalone().clone();
    standalone.lock().await.attach(connection);
    if http_session.core.protocol_version().at_least(ProtocolVersion::V2025_11_25) {
        standalone.emit(String::new()).await;
    }
    tracing::info!(status = 200, "opened the standalone stream");
    Ok(sse::response(source.stop_when(standalone_stop), HeaderMap::new()))
}

/// GET with sessions shared by replicas: what the client missed and then everything new on
/// the stream comes from the shared event store, whichever replica wrote it (the replica
/// running a request, or the one that raises a session's notifications), so that the stream
/// can be opened or resumed on any replica.
async fn replicated_get(
    shared: &Arc<Shared>,
    http_session: &Arc<HttpSession>,
    last_event_id: Option<&str>,
    connection: mpsc::UnboundedSender<Bytes>,
    source: sse::Source,
    standalone_stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Response, Rejection> {
    let from = match last_event_id {
        Some(last) => match events_after(http_session, last).await {
            Some(missed) => {
                let standalone = stream_of(last) == Some(STANDALONE_STREAM);
                tracing::info!(
                    status = 200,
                    last_event_id = last,
                    standalone,
                    "resuming a stream from the shared store"
                );
                let mut last = last.to_owned();
                for event in &missed {
                    let _ = connection.send(replay_frame(event));
                    last.clone_from(&event.id);
                    if !standalone && ends_request_stream(event) {
                        // The request was answered: its stream is complete.
                        return Ok(sse::response(source, HeaderMap::new()));
                    }
                }
                Some((last, standalone))
            }
            None => {
                tracing::info!(last_event_id = last, "unknown Last-Event-ID; opening a fresh stream instead");
                None
            }
        },
        None => None,
    };
    let (from, standalone) = match from {
        Some(from) => from,
        None => {
            // A fresh standalone stream: the priming event (2025-11-25) is also where following
            // the store starts; before 2025-11-25 an event is stored but not sent.
            let Some(primed) = http_session.standalone().emit_with_id(String::new()).await else {
                return Err(Rejection::internal("Internal error: cannot start the stream"));
            };
            if http_session.core.protocol_version().at_least(ProtocolVersion::V2025_11_25) {
                let _ = connection.send(sse::event(Some(&primed), None, ""));
            }
            tracing::info!(status = 200, "opened the standalone stream");
            (primed, true)
        }
    };
    let follower = Follower {
        sessions: shared.sessions.clone(),
        server: shared.server.clone(),
        session: http_session.clone(),
        last: from,
        request_stream: !standalone,
        connection,
    };
    let closed = http_session.closed.clone();
    let source = if standalone {
        source.stop_when(standalone_stop)
    } else {
        source.stop_when(async move { closed.cancelled().await })
    };
    tokio::spawn(follower.run());
    Ok(sse::response(source, HeaderMap::new()))
}

/// The standalone stream's name in event ids (see `session.rs`).
const STANDALONE_STREAM: &str = "g";

fn stream_of(event_id: &str) -> Option<&str> {
    event_id.split_once('-').map(|(stream, _)| stream)
}

/// Whether a stored event is the answer that ends a request's stream.
fn ends_request_stream(event: &StoredEvent) -> bool {
    serde_json::from_str::<serde_json::Value>(&event.data)
        .ok()
        .and_then(|v| v.as_object().map(|o| o.get("method").is_none() && o.contains_key("id")))
        .unwrap_or(false)
}

/// How often a stream served from the shared store looks for new events.
const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(100);
/// Every this many looks, the follower also checks the session still exists (and keeps it
/// alive while the stream is open, as a local stream does).
const TOUCH_EVERY: u32 = 20;

/// Writes what a stream gets in the shared store to one connection, from `last` on.
struct Follower {
    sessions: Arc<super::session::Sessions>,
    server: mcp_connector_core::Server,
    session: Arc<HttpSession>,
    last: String,
    request_stream: bool,
    connection: mpsc::UnboundedSender<Bytes>,
}

impl Follower {
    async fn run(mut self) {
        let _busy = self.session.busy();
        let mut looks = 0u32;
        loop {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
                () = self.connection.closed() => return,
                () = self.session.closed.cancelled() => return,
            }
            looks = looks.wrapping_add(1);
            if looks.is_multiple_of(TOUCH_EVERY) {
                match self.sessions.find_shared(&self.server, &self.session.id, self.session_owner()).await {
                    Ok(Some(_)) => {}
                    // Deleted on some replica: the stream ends.
                    Ok(None) => return,
                    Err(error) => tracing::warn!(%error, "the session store failed; the stream goes on"),
                }
            }
            let events = match self.session.store().events_after(&self.session.id, &self.last).await {
                Ok(Some(events)) => events,
                // Evicted (the client fell too far behind): the client resumes or starts over.
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, "the event store failed; the stream waits for it");
                    continue;
                }
            };
            for event in events {
                if self.connection.send(replay_frame(&event)).is_err() {
                    return;
                }
                self.last = event.id.clone();
                if self.request_stream && ends_request_stream(&event) {
                    return;
                }
            }
        }
    }

    fn session_owner(&self) -> Option<&str> {
        self.session.owner()
    }
}

/// Which stream a `Last-Event-ID` resumed.
enum Resumed {
    Standalone,
    Request,
}

/// Replays what followed `last` on its stream and, when that stream is still running,
/// attaches the connection to it. `None` when the id is unknown (never issued, evicted).
async fn resume(
    http_session: &HttpSession,
    last: &str,
    connection: &mpsc::UnboundedSender<Bytes>,
) -> Option<Resumed> {
    let replay = |events: Vec<StoredEvent>| {
        for event in &events {
            let _ = connection.send(replay_frame(event));
        }
    };
    let live = http_session.live_stream_of(last);
    let kind = match &live {
        Some(live) if Arc::ptr_eq(live, http_session.standalone()) => Resumed::Standalone,
        _ => Resumed::Request,
    };
    match live {
        Some(live) => {
            // Under the stream's lock: nothing is emitted between the replay and the attach.
            let mut state = live.lock().await;
            replay(events_after(http_session, last).await?);
            state.attach(connection.clone());
        }
        // The stream already ended: replay, then the connection closes.
        None => replay(events_after(http_session, last).await?),
    }
    Some(kind)
}

async fn events_after(http_session: &HttpSession, last: &str) -> Option<Vec<StoredEvent>> {
    match http_session.store().events_after(&http_session.id, last).await {
        Ok(events) => events,
        Err(error) => {
            tracing::warn!(%error, "the event store failed; cannot replay");
            None
        }
    }
}

/// DELETE: ends a stateful session (2025-11-25, basic/transports, "Session Management", item
/// 5); 405 in stateless mode, where there is nothing to end.
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let span = request_span("DELETE");
    let started = LogClock::start();
    match delete_inner(&shared, &parts, &span).instrument(span.clone()).await {
        Ok(response) => response,
        Err(rejection) => rejected(&span, started, rejection),
    }
}

async fn delete_inner(shared: &Shared, parts: &Parts, span: &Span) -> Result<Response, Rejection> {
    let headers = &parts.headers;
    if modern::header_is_modern(headers) {
        return Err(modern_method_not_allowed("DELETE"));
    }
    if !shared.config.stateful {
        return Err(Rejection::method_not_allowed(
            "POST",
            "Method Not Allowed: this server is stateless; there is no session to end",
        ));
    }
    let http_session = find_replicated(shared, headers, &parts.extensions).await?;
    span.record("mcp.session.id", http_session.id.as_str());
    if let Err(error) = shared.sessions.delete(&http_session.id).await {
        tracing::error!(%error, "the session store failed; the session was not deleted");
        return Err(store_unavailable());
    }
    tracing::info!(status = 204, "session deleted by the client");
    Ok(StatusCode::NO_CONTENT.into_response())
}
