//! One POSTed request and its answer: `application/json` when the handler just returns,
//! `text/event-stream` when it sends related messages first (progress, logs, requests to the
//! client). Knows nothing about where the [`Session`] came from.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use mcp_connector_core::jsonrpc::{ErrorObject, Message, RequestId, code};
use mcp_connector_core::protocol::ProtocolVersion;
use mcp_connector_core::request::RequestEnvelope;
use mcp_connector_core::{Answered, Extensions, LogClock, Outbound, OutboundQueue, Session};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span};

use super::guard::Accepts;
use super::modern;
use super::reject::Rejection;
use super::session::{Busy, HttpSession, LiveStream};
use super::sse;

/// What the POST carried.
// A single request is the common case by far: boxing it to shrink the rare batch would cost
// an allocation on every POST.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Work {
    /// One request, decoded.
    Single(RequestEnvelope),
    /// A JSON-RPC batch with at least one request in it (protocol 2025-03-26 and older).
    Batch { body: Bytes, ids: Vec<RequestId> },
}

impl Work {
    fn ids(&self) -> Ids {
        match self {
            Work::Single(request) => Ids::One(request.id.clone()),
            Work::Batch { ids, .. } => Ids::Many(ids.clone()),
        }
    }
}

/// The ids of the request(s) an exchange answers; one needs no `Vec`.
enum Ids {
    One(RequestId),
    Many(Vec<RequestId>),
}

impl Ids {
    fn as_slice(&self) -> &[RequestId] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(ids) => ids,
        }
    }
}

/// Where a streamed answer goes.
pub(crate) enum Stream {
    /// Straight to this connection and nowhere else; a client that goes away cancels the
    /// request, since nothing it asked for can reach it any more (stateless mode).
    Ephemeral,
    /// Through the session's event store with event ids, so that a client that loses the
    /// connection can resume with `Last-Event-ID`; the handler keeps running (stateful mode,
    /// as 2025-11-25, basic/transports, item 6 of "Sending Messages to the Server" asks:
    /// disconnection SHOULD NOT be interpreted as cancellation).
    Resumable(Arc<HttpSession>),
}

/// One request to answer.
pub(crate) struct Exchange {
    pub(crate) session: Session,
    pub(crate) work: Work,
    pub(crate) extensions: Extensions,
    pub(crate) accepts: Accepts,
    pub(crate) stream: Stream,
    pub(crate) keep_alive: Option<Duration>,
    /// Extra response headers.
    pub(crate) headers: HeaderMap,
    pub(crate) busy: Option<Busy>,
    pub(crate) span: Span,
    pub(crate) started: LogClock,
    /// A 2026-07-28 request: an error the spec maps to an HTTP status (404 for an unknown
    /// method, 400 for header, capability and version errors) gets it when the answer comes
    /// first, whatever the client accepts.
    pub(crate) modern: bool,
    /// How a stream that only the server can end (`subscriptions/listen`) ends on shutdown.
    /// Boxed: only `subscriptions/listen` has one, and every exchange's future carries this.
    pub(crate) ending: Option<Box<Ending>>,
    /// The metrics' note of this request, when metrics are on: the answer's error code.
    pub(crate) observed: Option<super::metrics::Observed>,
}

/// Ends a long-lived stream when the server shuts down: the server is told to close its
/// subscriptions and answers the request; `farewell` is the final answer sent in its place
/// should it not.
pub(crate) struct Ending {
    pub(crate) shutdown: CancellationToken,
    pub(crate) farewell: Message,
}

/// Cancels the request(s) unless disarmed: dropped with the handler's future when the client
/// disconnects while waiting for a JSON answer.
struct CancelOnDrop {
    session: Session,
    ids: Ids,
    armed: bool,
}

impl CancelOnDrop {
    /// The request answered (or went on elsewhere): dropping this cancels nothing.
    fn disarm(&mut self) {
        self.armed = false;
    }

    fn fire(&mut self) {
        if self.armed {
            tracing::info!("the client went away; cancelling its request");
        }
        self.cancel_now();
    }

    fn cancel_now(&mut self) {
        if std::mem::take(&mut self.armed) {
            for id in self.ids.as_slice() {
                self.session.cancel(id);
            }
        }
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.fire();
    }
}

/// What the handler's task hands back: the answer to one request, or the JSON of a batch's
/// answers.
pub(crate) enum Reply {
    /// The answer to one request, as the handler made it.
    Answer(Answered),
    /// A message the transport made itself (the farewell of a stream only the server ends).
    Message(Message),
    Batch(Value),
}

impl Reply {
    /// The JSON-RPC error code, when the reply is a single error.
    fn error_code(&self) -> Option<i64> {
        match self {
            Reply::Answer(answer) => answer.error_code(),
            Reply::Message(Message::Error(error)) => Some(error.error.code),
            _ => None,
        }
    }

    /// The reply as JSON text, serialised once, straight from the typed answer (not through
    /// a `Value` first: that copy cost as much as the serialisation itself).
    fn to_json(&self) -> String {
        match self {
            Reply::Answer(answer) => answer.to_json(),
            Reply::Message(message) => to_json(message),
            Reply::Batch(answers) => answers.to_string(),
        }
    }

    /// The reply as the body of a JSON response: [`Reply::to_json`]'s text, as bytes, written
    /// without the copies and the UTF-8 check a `String` costs (see [`Answered::to_vec`]).
    fn to_body(&self) -> Vec<u8> {
        match self {
            Reply::Answer(answer) => answer.to_vec(),
            other => other.to_json().into_bytes(),
        }
    }
}

/// A message as JSON text. Our own messages always serialise (every key is a string).
fn to_json(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

type Outcome = Result<Option<Reply>, oneshot::error::RecvError>;

/// An exchange running: its future, in its box (see [`Exchange::start`]).
pub(crate) type Running = Pin<Box<dyn Future<Output = Response> + Send>>;

impl Exchange {
    /// [`Exchange::run`]'s future, made in its box: what a POST awaits. The box is the one
    /// allocation of the exchange's future, and it is made where the exchange is, so that what
    /// travels back to the POST's future is a pointer, not the exchange (~430 bytes) or its
    /// future (~900), each copied whole at every move.
    pub(crate) fn start(self) -> Running {
        boxed(|| self.run())
    }

    /// Runs the request and answers it.
    ///
    /// Not an `async fn`: the set-up runs here, synchronously, and the future returned holds
    /// only what the rest needs. An `async fn` keeps its argument (the whole `Exchange`) for its
    /// whole life beside the fields destructured from it, and every byte of a future is copied
    /// each time it is moved (into its caller's await slot, into a box): this one is moved on
    /// every request (see `examples/bench/instructions.sh`).
    pub(crate) fn run(self) -> impl Future<Output = Response> + Send {
        let Exchange {
            session,
            work,
            extensions,
            accepts,
            stream,
            keep_alive,
            headers,
            busy,
            span,
            started,
            modern,
            ending,
            observed,
        } = self;
        let (replies, mut replies_rx) = Outbound::queue();
        // Requests to the client need a stream to travel on and a session to bring the
        // answer back to; without both they are refused at once (see `refused`).
        let refuse_requests = !accepts.sse || matches!(stream, Stream::Ephemeral);
        let mut cancel = CancelOnDrop { session: session.clone(), ids: work.ids(), armed: true };
        // The handler runs right here, in the connection's own task, for as long as the answer
        // may still be JSON (most requests: no spawn, no cross-thread hand-off). A client that
        // goes away meanwhile drops it, which cancels it, as it should: no event id was ever
        // sent, so it could not come back for the answer. Once the answer turns into a stream,
        // the rest of the handler moves to a task of its own.
        let mut handler = handler(&session, work, replies, extensions, &span);
        async move {
            // JSON unless the handler speaks before it answers ("first one wins"), or the client
            // takes only SSE (then a modern error with a status of its own is still JSON).
            let mut first = Vec::new();
            let mut outcome: Option<Outcome> = None;
            if accepts.json || modern {
                loop {
                    tokio::select! {
                        biased;
                        done = &mut handler => {
                            outcome = Some(Ok(done));
                            break;
                        }
                        // `None` (every sender gone) disables this branch: wait for the answer.
                        Some(message) = replies_rx.recv() => {
                            if refuse_requests && refused(&session, &message).await {
                                continue;
                            }
                            first.push(message);
                            if accepts.sse {
                                break;
                            }
                            // A client that takes only JSON cannot see progress or logs.
                            first.clear();
                        }
                    }
                }
                if outcome.is_some() {
                    // Messages sent just before the answer still need a stream. (Drained here
                    // rather than in the `select!` arm, where the arm's locals would sit beside
                    // those of the select in this future.)
                    while let Some(message) = replies_rx.try_recv() {
                        if !(refuse_requests && refused(&session, &message).await) && accepts.sse {
                            first.push(message);
                        }
                    }
                }
                let has_status =
                    |answer: &Reply| modern && modern::status_of(answer.error_code()) != StatusCode::OK;
                let as_json =
                    |done: &Outcome| accepts.json || matches!(done, Ok(Some(answer)) if has_status(answer));
                if let Some(done) = outcome.take_if(|done| first.is_empty() && as_json(done)) {
                    cancel.disarm();
                    drop(busy);
                    if let (Some(observed), Ok(Some(answer))) = (&observed, &done)
                        && let Some(code) = answer.error_code()
                    {
                        observed.error_code(code);
                    }
                    return json_answer(done, headers, modern, &span, started);
                }
            }
            // The answer is a stream: the handler, unless it already answered, goes on in a task of
            // its own, which outlives this request's future.
            let (done_tx, done_rx) = oneshot::channel::<Option<Reply>>();
            if outcome.is_none() {
                tokio::spawn(async move {
                    let _ = done_tx.send(handler.await);
                });
            }

            // Streaming from here on: the forwarder owns the rest of the exchange.
            let (connection, frames) = mpsc::unbounded_channel::<Bytes>();
            let version = session.protocol_version();
            let sink = match stream {
                Stream::Ephemeral => Sink::Direct(connection),
                Stream::Resumable(http_session) => {
                    cancel.disarm();
                    // Boxed: a rare path whose awaits would otherwise sit in every exchange's
                    // future.
                    Box::pin(stored_sink(http_session, connection, version)).await
                }
            };
            span.in_scope(|| tracing::debug!("answering with an SSE stream"));
            let forward = Forwarder {
                sink,
                first,
                outcome,
                replies_rx: Some(replies_rx),
                refuse_requests,
                done_rx,
                cancel,
                busy,
                started,
                ending,
            };
            tokio::spawn(forward.run().instrument(span));
            sse::response(sse::Source::new(frames, keep_alive), headers)
        }
    }
}

/// The handler's future: the answer to one request or to a batch. Each arm is boxed apart (the
/// box is the one allocation every exchange makes for its handler), so that a single request
/// does not carry the much larger future of a batch (`Session::handle_frame`). A single
/// request's answer is made right in the box with [`boxed`] ([`Session::answer`] borrows
/// nothing), and the box holds that future alone: the span is entered and the answer mapped
/// around the box, not inside it. Wrapped by value in the box (`.map(..).instrument(..)`), the
/// ~1.5 KB answer was made on the stack and copied into the box on every request.
fn handler(
    session: &Session,
    work: Work,
    replies: Outbound,
    extensions: Extensions,
    span: &Span,
) -> impl Future<Output = Option<Reply>> + Send + Unpin + use<> {
    match work {
        Work::Single(envelope) => {
            // As a `dyn` future: the type of `answer`'s future names the session's borrow.
            let answer: Pin<Box<dyn Future<Output = Option<Answered>> + Send>> =
                boxed(|| session.answer(envelope, &replies, extensions));
            futures_util::future::Either::Left(
                answer.instrument(span.clone()).map(|answered| answered.map(Reply::Answer)),
            )
        }
        Work::Batch { body, .. } => {
            let session = session.clone();
            let batch: Pin<Box<dyn Future<Output = Option<Reply>> + Send>> = boxed(|| async move {
                session.handle_frame(&body, &replies, extensions).await.map(Reply::Batch)
            });
            futures_util::future::Either::Right(batch.instrument(span.clone()))
        }
    }
}

/// `Box::pin(make())`, with the box allocated before the future is made. A future's size is
/// that of its largest state, whatever the state it starts in, and every move copies all of
/// it: `Box::pin(make())` made the handler's future on the stack, moved it into its argument,
/// then into the box (two copies of 2.6 KB per request in the release build); made after the
/// allocation, it is copied once.
pub(crate) fn boxed<F: Future + Send + 'static>(make: impl FnOnce() -> F) -> Pin<Box<F>> {
    Box::into_pin(Box::write(Box::new_uninit(), make()))
}

/// The sink of a resumable stream: the session's stream for this request, attached to the
/// connection and primed.
async fn stored_sink(
    http_session: Arc<HttpSession>,
    connection: mpsc::UnboundedSender<Bytes>,
    version: ProtocolVersion,
) -> Sink {
    let live = http_session.open_stream();
    live.lock().await.attach(connection);
    // Prime the client with an event id before anything else (2025-11-25,
    // "Sending Messages to the Server", item 6); older clients do not expect it.
    if version.at_least(ProtocolVersion::V2025_11_25) {
        live.emit(String::new()).await;
    }
    Sink::Stored { session: http_session, live }
}

fn json_answer(done: Outcome, headers: HeaderMap, modern: bool, span: &Span, started: LogClock) -> Response {
    let elapsed_ms = started.elapsed_ms();
    let _enter = span.enter();
    match done {
        Ok(Some(answer)) => {
            let status = if modern { modern::status_of(answer.error_code()) } else { StatusCode::OK };
            tracing::info!(status = status.as_u16(), elapsed_ms, "answered with JSON");
            // Built by hand rather than from `(status, headers, String)`: that writes a
            // `text/plain` content type only to replace it, and merges an empty header map.
            let mut response = Response::new(axum::body::Body::from(answer.to_body()));
            *response.status_mut() = status;
            if !headers.is_empty() {
                *response.headers_mut() = headers;
            }
            // Made at compile time: `from_static` checks every byte when called at run time.
            let json = const { HeaderValue::from_static("application/json") };
            response.headers_mut().insert(header::CONTENT_TYPE, json);
            response
        }
        Ok(None) => {
            // The client cancelled the request: no response is owed (2025-11-25,
            // basic/utilities/cancellation), and the HTTP exchange still needs an end.
            tracing::info!(status = 202, elapsed_ms, "request cancelled; nothing to answer");
            (StatusCode::ACCEPTED, headers).into_response()
        }
        Err(_) => {
            tracing::error!(status = 500, elapsed_ms, "the request's task ended without an answer");
            Rejection::internal("Internal error: the request was dropped").into_response()
        }
    }
}

/// Answers a handler's request to the client (elicitation, sampling, roots) with an error on
/// the client's behalf when the client could never answer it: in stateless mode its answer
/// would arrive on another POST where nothing waits for it, and a client that takes only JSON
/// has no stream to receive the request on. The handler gets
/// `ClientRequestError::Refused` at once instead of waiting for a timeout.
async fn refused(session: &Session, message: &Message) -> bool {
    let Message::Request(request) = message else {
        return false;
    };
    tracing::debug!(method = %request.method, "refused a request to the client: no way to get its answer back");
    let error = ErrorObject::new(
        code::INVALID_REQUEST,
        format!(
            "`{}` cannot reach the client on this request: the server runs stateless HTTP (or the client \
             accepts only JSON), so the client's answer could not come back; use stateful mode for requests \
             to the client",
            request.method
        ),
    );
    // Boxed: this rare path would otherwise put the whole of `Session::handle` inside every
    // exchange's future, which is moved on each request.
    Box::pin(session.handle(
        Message::error(Some(request.id.clone()), error),
        &Outbound::closed(),
        Extensions::new(),
    ))
    .await;
    true
}

enum Sink {
    Direct(mpsc::UnboundedSender<Bytes>),
    Stored { session: Arc<HttpSession>, live: Arc<LiveStream> },
}

impl Sink {
    async fn emit(&self, data: String) {
        match self {
            Sink::Direct(connection) => {
                let _ = connection.send(sse::message(None, &data));
            }
            Sink::Stored { live, .. } => live.emit(data).await,
        }
    }

    /// Resolves when the client can no longer receive anything from this stream.
    async fn gone(&self) {
        match self {
            Sink::Direct(connection) => connection.closed().await,
            Sink::Stored { .. } => std::future::pending().await,
        }
    }

    async fn finish(self) {
        if let Sink::Stored { session, live } = self {
            live.finish().await;
            session.close_stream(&live);
        }
    }
}

/// Moves a streamed exchange from the handler to the client: related messages in order, then
/// the answer, then the end of the stream.
struct Forwarder {
    sink: Sink,
    first: Vec<Message>,
    outcome: Option<Outcome>,
    replies_rx: Option<OutboundQueue>,
    refuse_requests: bool,
    done_rx: oneshot::Receiver<Option<Reply>>,
    cancel: CancelOnDrop,
    busy: Option<Busy>,
    started: LogClock,
    ending: Option<Box<Ending>>,
}

impl Forwarder {
    async fn run(mut self) {
        for message in std::mem::take(&mut self.first) {
            self.sink.emit(to_json(&message)).await;
        }
        let shutdown = self.ending.as_ref().map(|e| e.shutdown.clone());
        let outcome = match self.outcome.take() {
            Some(outcome) => outcome,
            None => loop {
                let next = async {
                    match self.replies_rx.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                };
                let shutting_down = async {
                    match &shutdown {
                        Some(token) => token.cancelled().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    done = &mut self.done_rx => break done,
                    message = next => match message {
                        Some(message) => {
                            if !(self.refuse_requests && refused(&self.cancel.session, &message).await) {
                                self.sink.emit(to_json(&message)).await;
                            }
                        }
                        None => self.replies_rx = None,
                    },
                    () = self.sink.gone() => {
                        self.cancel.fire();
                        tracing::info!(
                            elapsed_ms = self.started.elapsed_ms(),
                            "the client closed the stream before the answer"
                        );
                        return;
                    }
                    () = shutting_down => break self.end_for_shutdown().await,
                }
            },
        };
        if let Some(mut rx) = self.replies_rx.take() {
            while let Some(message) = rx.try_recv() {
                if !(self.refuse_requests && refused(&self.cancel.session, &message).await) {
                    self.sink.emit(to_json(&message)).await;
                }
            }
        }
        self.cancel.armed = false;
        let elapsed_ms = self.started.elapsed_ms();
        match outcome {
            Ok(Some(answer)) => {
                self.sink.emit(answer.to_json()).await;
                tracing::info!(status = 200, elapsed_ms, "answered on an SSE stream");
            }
            Ok(None) => tracing::info!(status = 200, elapsed_ms, "request cancelled; stream closed"),
            Err(_) => tracing::error!(elapsed_ms, "the request's task ended without an answer"),
        }
        // After the response the stream ends (2025-11-25, "Sending Messages to the Server").
        self.sink.finish().await;
        drop(self.busy.take());
    }

    /// The server is shutting down under a stream only it can end: the server closes its
    /// subscriptions, so the handler answers with its final result (2026-07-28,
    /// basic/patterns/subscriptions, "Graceful Closure": a successful response, then the stream
    /// closes). Should it not answer promptly, the request is cancelled and the farewell sent
    /// in its place.
    async fn end_for_shutdown(&mut self) -> Outcome {
        tracing::info!("shutting down; ending a stream that only the server ends");
        self.cancel.session.server().close_subscriptions();
        if let Ok(done) = tokio::time::timeout(Duration::from_secs(1), &mut self.done_rx).await
            && !matches!(done, Ok(None))
        {
            return done;
        }
        self.cancel.cancel_now();
        Ok(self.ending.take().map(|e| Reply::Message(e.farewell)))
    }
}
