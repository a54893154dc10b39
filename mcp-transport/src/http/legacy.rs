//! The legacy HTTP+SSE transport (protocol 2024-11-05, basic/transports, "HTTP with SSE"),
//! for clients that predate streamable HTTP: `GET /sse` opens a stream whose first event,
//! `endpoint`, names the URL to POST messages to; every answer and server message then
//! travels on that stream as a `message` event. The connection is the session: it ends when
//! the stream closes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mcp_connector_core::jsonrpc::{self, Decoded};
use mcp_connector_core::{Outbound, Session};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::guard::{self, Accepts};
use super::reject::Rejection;
use super::session::{LegacySlot, new_session_id};
use super::{Shared, sse};

/// Where the stream opens.
pub(crate) const SSE_PATH: &str = "/sse";
/// Where messages are posted.
pub(crate) const MESSAGES_PATH: &str = "/messages";

/// One open legacy connection.
struct LegacySession {
    /// The principal that opened the stream (`None`: anonymous); only it may post to it.
    owner: Option<Arc<str>>,
    core: Session,
    /// The stream's channel for server messages; handlers' related messages use it too.
    outbound: Outbound,
    /// Answers, as JSON (a batch's answer is an array), to the stream.
    answers: mpsc::UnboundedSender<Value>,
    /// Handlers still running; the stream waits for them on shutdown.
    tracker: TaskTracker,
}

/// The open legacy connections of one router, by `sessionId`.
#[derive(Default)]
pub(crate) struct Registry {
    map: Mutex<HashMap<String, Arc<LegacySession>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LegacySession>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes the connection from the registry when its stream ends, whatever the reason.
struct Registration {
    shared: Arc<Shared>,
    id: String,
    _slot: LegacySlot,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(session) = self.shared.legacy.lock().remove(&self.id) {
            session.core.close();
            tracing::debug!(session = %self.id, "legacy SSE connection closed");
        }
    }
}

/// `GET /sse`: opens the stream and announces the POST endpoint.
pub(crate) async fn open(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    request: Request,
) -> Response {
    let headers = request.headers();
    let span = tracing::info_span!(
        "mcp.http",
        http.request.method = "GET",
        legacy = true,
        mcp.session.id = tracing::field::Empty
    );
    let _enter = span.enter();
    if let Err(rejection) = guard::require_sse(Accepts::from_headers(headers)) {
        return rejection.into_response();
    }
    if shared.shutdown.is_cancelled() {
        return Rejection::shutting_down().into_response();
    }
    let Some(slot) = shared.sessions.reserve_legacy() else {
        let max = shared.sessions.max();
        tracing::warn!(max, "refused a legacy SSE connection: at the configured maximum");
        return Rejection::unavailable(format!(
            "Service Unavailable: this server holds at most {max} sessions; retry later"
        ))
        .into_response();
    };
    let id = match new_session_id() {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "the OS random source failed");
            return Rejection::internal("Internal error: cannot make a session id").into_response();
        }
    };
    span.record("mcp.session.id", id.as_str());

    let (outbound, mut outbound_rx) = Outbound::channel();
    let (answers, mut answers_rx) = mpsc::unbounded_channel::<Value>();
    let session = Arc::new(LegacySession {
        owner: super::endpoint::principal(request.extensions()),
        core: shared.server.session(outbound.clone()),
        outbound,
        answers,
        tracker: TaskTracker::new(),
    });
    shared.legacy.lock().insert(id.clone(), session.clone());

    // The endpoint event must name a URL the client can reach: keep whatever prefix the
    // router is mounted under (`nest`), and answer `/sse/` with `/messages/`.
    let path = uri.path();
    let (prefix, slash) = match path.strip_suffix('/') {
        Some(p) => (p.strip_suffix(SSE_PATH).unwrap_or(""), "/"),
        None => (path.strip_suffix(SSE_PATH).unwrap_or(""), ""),
    };
    let endpoint = format!("{prefix}{MESSAGES_PATH}{slash}?sessionId={id}");

    let (frames, frames_rx) = mpsc::unbounded_channel::<Bytes>();
    let _ = frames.send(sse::event(None, Some("endpoint"), &endpoint));
    // One writer for the stream. A handler queues its related messages before its answer
    // exists, so preferring the message queue keeps them ahead of the answer.
    tokio::spawn(
        async move {
            loop {
                let json = tokio::select! {
                    biased;
                    Some(message) = outbound_rx.recv() => message.to_value().to_string(),
                    Some(answer) = answers_rx.recv() => answer.to_string(),
                    else => break,
                };
                if frames.send(sse::message(None, &json)).is_err() {
                    break;
                }
            }
        }
        .instrument(span.clone()),
    );

    let shutdown = shared.shutdown.clone();
    let tracker = session.tracker.clone();
    let registration = Registration { shared: shared.clone(), id: id.clone(), _slot: slot };
    drop(session);
    tracing::info!(status = 200, "legacy SSE connection opened");
    let source = sse::Source::new(frames_rx, shared.config.keep_alive)
        .stop_when(async move {
            // On shutdown, answer what is in flight before closing.
            shutdown.cancelled().await;
            tracker.close();
            tracker.wait().await;
        })
        .guard(registration);
    sse::response(source, HeaderMap::new())
}

/// `POST /messages?sessionId=…`: one message (or batch) for an open connection; 202 at once,
/// the answer goes to the stream.
pub(crate) async fn message(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let span = tracing::info_span!(
        "mcp.http",
        otel.name = tracing::field::Empty,
        http.request.method = "POST",
        legacy = true,
        mcp.method.name = tracing::field::Empty,
        mcp.session.id = tracing::field::Empty
    );
    let started = mcp_connector_core::LogClock::start();
    let (parts, body) = request.into_parts();
    let result = message_inner(&shared, query, parts, body, &span).instrument(span.clone()).await;
    let _enter = span.enter();
    let elapsed_ms = started.elapsed_ms();
    match result {
        Ok(response) => {
            tracing::info!(status = response.status().as_u16(), elapsed_ms, "accepted");
            response
        }
        Err(rejection) => {
            tracing::info!(status = rejection.status.as_u16(), elapsed_ms, "refused");
            rejection.into_response()
        }
    }
}

async fn message_inner(
    shared: &Arc<Shared>,
    query: HashMap<String, String>,
    mut parts: axum::http::request::Parts,
    body: Body,
    span: &tracing::Span,
) -> Result<Response, Rejection> {
    let Some(id) = query.get("sessionId").or_else(|| query.get("session_id")) else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "Bad Request: missing the sessionId query parameter",
        ));
    };
    span.record("mcp.session.id", id.as_str());
    // Another principal's connection is answered like an unknown one (see `Sessions::get`).
    let principal = super::endpoint::principal(&parts.extensions);
    let session = shared.legacy.lock().get(id).cloned().filter(|s| s.owner == principal);
    let Some(session) = session else {
        return Err(Rejection::new(
            StatusCode::NOT_FOUND,
            "Not Found: no such session (its SSE stream closed); open a new one with GET /sse",
        ));
    };
    if shared.shutdown.is_cancelled() {
        return Err(Rejection::shutting_down());
    }
    guard::require_json_body(&parts.headers)?;
    let body =
        guard::read_body(&parts.headers, body, shared.config.body_limit, shared.config.body_read_timeout)
            .await?;
    if let Decoded::Invalid(error) = jsonrpc::decode(&body) {
        return Err(Rejection::from_error(StatusCode::BAD_REQUEST, error.error));
    }
    if let Decoded::Single(Ok(message)) = jsonrpc::decode(&body)
        && let Some(method) = message.method()
    {
        super::endpoint::record_method(span, method, None);
    }
    let extensions = super::endpoint::extensions_for(&mut parts, Some(id));
    let task_session = session.clone();
    session.tracker.spawn(
        async move {
            let core = &task_session.core;
            if let Some(answer) = core.handle_frame(&body, &task_session.outbound, extensions).await {
                let _ = task_session.answers.send(answer);
            }
        }
        .instrument(span.clone()),
    );
    Ok(StatusCode::ACCEPTED.into_response())
}
