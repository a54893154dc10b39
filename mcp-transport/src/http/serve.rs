//! Running the router as a standalone server: the accept loop, the limits that protect it
//! from slow and greedy clients at the connection level, and graceful shutdown.
//!
//! axum's own `serve` has none of the connection limits (a connection that sends half a
//! request header and stalls stays open forever, and near the file-descriptor limit the
//! listener stops accepting anyone), so the transport runs hyper itself:
//!
//! - **header-read timeout**: a connection has that long, from its first byte (or from being
//!   accepted), to send a request's whole header;
//! - **idle timeout**: a keep-alive connection with no request in flight is closed after it;
//! - **connection cap**: beyond it, a connection is answered `503` with `Retry-After` at once
//!   and closed, so the accept loop never stalls and the process keeps file descriptors for
//!   the clients it serves.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, OriginalUri};
use axum::response::Response;
use futures_util::FutureExt;
use futures_util::future::Either;
use futures_util::task::AtomicWaker;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service;

use super::HttpTransport;
use super::config::EndpointService;
use super::limits::Held;

/// The connection-level limits of [`serve_until`], from the transport's options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub(crate) header_read_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_connections: Option<usize>,
}

/// How many over-cap connections are answered at once; beyond that they are closed unanswered
/// (writing the 503 must not itself become the way to exhaust the server).
const MAX_REFUSING: usize = 64;

/// What an over-cap connection gets: a complete HTTP/1.1 response with a JSON-RPC error body,
/// like every other refusal of this transport (`reject.rs`).
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 130\r\n\r\n\
{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Service Unavailable: this server is at its cap on open connections\"}}";

pub(crate) async fn serve_until(
    transport: HttpTransport,
    listener: TcpListener,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let config = &transport.config;
    if !local.ip().is_loopback() && config.hosts.is_loopback_only() {
        tracing::warn!(
            %local,
            "listening beyond loopback while only loopback Host names are allowed: requests that \
             name this server by another host will get 403; add names with HttpTransport::allow_host"
        );
    }
    let token = config.shutdown.clone();
    let grace = config.shutdown_grace;
    let limits = config.connection_limits();
    let gauge = config.metrics.as_ref().map(|m| m.connections.clone());
    let (app, direct) = transport.build();
    tracing::info!(
        %local,
        max_connections = limits.max_connections,
        header_read_timeout_secs = limits.header_read_timeout.map(|d| d.as_secs_f64()),
        idle_timeout_secs = limits.idle_timeout.map(|d| d.as_secs_f64()),
        "serving MCP over streamable HTTP"
    );

    let connections = limits.max_connections.map(|max| Arc::new(Semaphore::new(max)));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let tracker = TaskTracker::new();
    let trigger = token.clone();
    let mut stopped = std::pin::pin!(async move {
        tokio::select! {
            () = signal => {}
            () = trigger.cancelled() => {}
        }
    });
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        let permit = match &connections {
            None => None,
            Some(connections) => match connections.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    if let Ok(slot) = refusing.clone().try_acquire_owned() {
                        tokio::spawn(async move {
                            refuse(stream).await;
                            drop(slot);
                        });
                    }
                    continue;
                }
            },
        };
        let app = app.clone();
        let direct = direct.clone();
        let token = token.clone();
        let gauge = gauge.clone();
        tracker.spawn(async move {
            if let Some(gauge) = &gauge {
                gauge.inc();
            }
            serve_connection(app, direct, stream, peer, limits, token).await;
            if let Some(gauge) = &gauge {
                gauge.dec();
            }
            drop(permit);
        });
    }
    tracing::info!("shutting down: finishing requests in flight, closing streams");
    // Closes GET streams and refuses new sessions; POST streams end after their answer.
    token.cancel();
    drop(listener);
    tracker.close();
    tokio::select! {
        () = tracker.wait() => Ok(()),
        () = tokio::time::sleep(grace) => {
            tracing::warn!(grace_secs = grace.as_secs_f64(), "shutdown grace period over; dropping connections");
            Ok(())
        }
    }
}

/// An accept error: a connection that died before it was accepted is nothing; running out of
/// file descriptors (or memory) is, and retrying at once would spin.
async fn accept_failed(error: &io::Error) {
    use io::ErrorKind::*;
    if matches!(error.kind(), ConnectionAborted | ConnectionReset | Interrupted | WouldBlock) {
        return;
    }
    tracing::error!(%error, "cannot accept connections; lower max_connections below the file-descriptor limit");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Answers an over-cap connection with 503 and closes it. What the client sent so far is read
/// (briefly) first, and the connection is drained after the answer: closing a socket with
/// unread bytes resets it, and the client would see a reset instead of the 503.
async fn refuse(mut stream: TcpStream) {
    let mut buf = [0u8; 2048];
    let exchange = async {
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await;
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        while stream.read(&mut buf).await? > 0 {}
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), exchange).await;
}

/// The MCP endpoint's service as the router runs it for the endpoint's path (see
/// `HttpTransport::build`): [`serve_until`] hands it the requests for that path itself.
///
/// The router would only look the path up, record the URI in `OriginalUri`, and box the
/// service's future (~2.5k instructions of a `tools/call` in the callgrind profile); it
/// writes nothing into the answer for a service route (no `Content-Length`, no `Allow`: hyper
/// does what is needed, as for the router). A request for any other path, the endpoint's with
/// a trailing slash included, goes to the router as before.
#[derive(Clone)]
pub(crate) struct Direct<S> {
    pub(crate) path: String,
    pub(crate) service: S,
}

impl Direct<()> {
    /// Whether the router matches `path` as written, and only it: no `{param}`, `{*rest}` or
    /// `:` segment (which axum refuses anyway), nothing it might read as a pattern.
    pub(crate) fn literal(path: &str) -> bool {
        !path.contains(['{', '}', '*', ':'])
    }
}

impl<S: EndpointService> Direct<S> {
    /// Whether the router would hand `request` to the endpoint's route.
    fn serves(&self, request: &axum::extract::Request) -> bool {
        request.uri().path() == self.path
    }

    /// What the router's endpoint route does with `request`: the service's own future, which
    /// hyper holds for the request (and copies whole when it stores it).
    ///
    /// Every service `HttpTransport::build` composes is ready at once (the front, the token
    /// check, the rate limit and the endpoint are always ready), so it is asked here, with a
    /// waker that does nothing, and called at once: an `async` block that awaited readiness
    /// held the request (~240 bytes) and the service beside the service's future, and was
    /// moved on every request. A service that is not ready waits in a box of its own.
    fn call(&self, mut request: axum::extract::Request) -> DirectFuture<S::Future> {
        // The router records the URI it was called with, and the endpoint hands the request's
        // extensions to handlers, which may read it.
        let uri = request.uri().clone();
        request.extensions_mut().insert(OriginalUri(uri));
        let mut service = self.service.clone();
        match service.poll_ready(&mut Context::from_waker(std::task::Waker::noop())) {
            Poll::Ready(Ok(())) => Either::Left(service.call(request)),
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => Either::Right(Box::pin(async move {
                std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                service.call(request).await
            })),
        }
    }
}

/// The future of [`Direct::call`].
type DirectFuture<F> =
    Either<F, Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send + 'static>>>;

/// Serves one connection until it closes, stalls past a timeout, or the server shuts down.
async fn serve_connection<S: EndpointService>(
    app: axum::Router,
    direct: Option<Direct<S>>,
    stream: TcpStream,
    peer: SocketAddr,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let busy = requests.begin();
        let mut request = request.map(Body::new);
        // For `ConnectInfo` extractors and the rate limit's anonymous key.
        request.extensions_mut().insert(ConnectInfo(peer));
        let answer = match &direct {
            Some(direct) if direct.serves(&request) => Either::Left(direct.call(request)),
            // Boxed: the router's future holds the request until its first poll, and hyper
            // stores (copies) the future of every request, the endpoint's included, at the
            // size of the larger of the two.
            _ => Either::Right(Box::pin(app.clone().call(request))),
        };
        // Mapped, not awaited in an `async` block, which would hold `answer` twice (as its
        // capture and in its await slot) and copy it from one to the other on its first poll.
        // The request stays "in flight" (no idle or header timeout) until its answer, streams
        // included, has been written. hyper takes any body type: this one is not boxed again
        // into a `Body`.
        answer.map(move |answered| answered.map(|response| response.map(|body| Held::new(body, busy))))
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    // The timeouts and the server's shutdown are watched by a task of their own, which tells
    // this one through `verdict`. Waited on here, in a `select!` beside the connection, they
    // were polled each time the connection was (two or three times per request): a lock on the
    // shutdown token's node, which every connection shares, the timer's entry and `select!`'s
    // own bookkeeping, about 800 instructions per request (`examples/bench/instructions.sh`).
    // Reading the verdict is one atomic load and a waker registration.
    let verdict = Arc::new(Verdict::default());
    let watcher = tokio::spawn(watch(activity, limits, shutdown, verdict.clone()));
    let _watcher = AbortOnDrop(watcher.abort_handle());
    let mut draining = false;
    let ended = std::future::poll_fn(|cx| {
        match verdict.read(cx) {
            Decided::Close(why) => return Poll::Ready(Err(why)),
            Decided::Drain if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
            Decided::Drain | Decided::Serve => {}
        }
        connection.as_mut().poll(cx).map(Ok)
    })
    .await;
    match ended {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%peer, %error, "connection ended with an error"),
        // Dropping the connection closes the socket; no request is in flight.
        Err(why) => tracing::info!(%peer, reason = why.as_str(), "closed a stalled connection"),
    }
}

/// Watches one connection for its timeouts and for the server's shutdown, and tells it
/// through `verdict`: drain on shutdown (finish the requests in flight, then close), close
/// once it stalls, draining or not.
async fn watch(
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
    verdict: Arc<Verdict>,
) {
    let stalled = activity.stalled(limits);
    let mut stalled = std::pin::pin!(stalled);
    tokio::select! {
        why = &mut stalled => return verdict.close(why),
        () = shutdown.cancelled() => verdict.drain(),
    }
    verdict.close(stalled.await);
}

/// What the watcher of a connection has decided, read by the connection each time it is polled.
#[derive(Default)]
struct Verdict {
    /// One of the `VERDICT_*` values; it only ever grows.
    state: AtomicU8,
    /// The connection's task, woken when `state` changes.
    waker: AtomicWaker,
}

const VERDICT_SERVE: u8 = 0;
const VERDICT_DRAIN: u8 = 1;
const VERDICT_CLOSE_HEADER: u8 = 2;
const VERDICT_CLOSE_IDLE: u8 = 3;

/// The connection's side of a [`Verdict`].
enum Decided {
    Serve,
    Drain,
    Close(Stall),
}

impl Verdict {
    fn drain(&self) {
        self.state.fetch_max(VERDICT_DRAIN, Ordering::Release);
        self.waker.wake();
    }

    fn close(&self, why: Stall) {
        let state = match why {
            Stall::HeaderRead => VERDICT_CLOSE_HEADER,
            Stall::Idle => VERDICT_CLOSE_IDLE,
        };
        self.state.fetch_max(state, Ordering::Release);
        self.waker.wake();
    }

    /// The verdict so far; registers `cx` to be woken when it changes. (Registered first, so a
    /// change made between the two cannot be missed.)
    fn read(&self, cx: &Context<'_>) -> Decided {
        self.waker.register(cx.waker());
        match self.state.load(Ordering::Acquire) {
            VERDICT_SERVE => Decided::Serve,
            VERDICT_DRAIN => Decided::Drain,
            VERDICT_CLOSE_HEADER => Decided::Close(Stall::HeaderRead),
            _ => Decided::Close(Stall::Idle),
        }
    }
}

/// Aborts a task when the connection it watches ends, however it ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Which timeout a connection stalled past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    HeaderRead,
    Idle,
}

impl Stall {
    fn as_str(self) -> &'static str {
        match self {
            Stall::HeaderRead => "header-read timeout",
            Stall::Idle => "idle timeout",
        }
    }
}

/// Where a connection is between requests, for its timeouts.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No request in flight and nothing of the next one read, since then.
    Idle(Instant),
    /// Reading a request's header, since then (a new connection starts here).
    Head(Instant),
    /// This many requests in flight: no timeout applies (their handlers and streams have
    /// their own lifetimes).
    Busy(usize),
}

/// A connection's phase, updated by its reads and its requests, watched by `stalled`.
///
/// Nothing wakes the watcher when the phase changes: it reads the phase again at the earlier of
/// the deadline of the phase it saw and the shorter of the two timeouts from now. Any phase
/// that began after a check has its deadline at least that shorter timeout after the check, so
/// none is missed or overrun, and a request costs a lock or two instead of waking the watcher
/// and re-arming its timer twice (about 2k instructions per request in the callgrind profile).
struct Activity {
    phase: Mutex<Phase>,
}

impl Activity {
    fn new() -> Self {
        Activity { phase: Mutex::new(Phase::Head(Instant::now())) }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived: an idle connection starts a request header.
    fn read(&self) {
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// A request's header was read; the connection is busy until the guard drops.
    fn begin(self: &Arc<Self>) -> Busy {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            Phase::Idle(_) | Phase::Head(_) => Phase::Busy(1),
        };
        Busy(self.clone())
    }

    /// Resolves, with the reason, once the connection has stalled past one of its timeouts.
    async fn stalled(&self, limits: ConnectionLimits) -> Stall {
        let ConnectionLimits { header_read_timeout, idle_timeout, .. } = limits;
        let recheck = match (header_read_timeout, idle_timeout) {
            (None, None) => return std::future::pending().await,
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
        };
        loop {
            let phase = *self.phase();
            let deadline = match phase {
                Phase::Head(since) => header_read_timeout.map(|t| (since + t, Stall::HeaderRead)),
                Phase::Idle(since) => idle_timeout.map(|t| (since + t, Stall::Idle)),
                Phase::Busy(_) => None,
            };
            let now = Instant::now();
            match deadline {
                Some((at, why)) if at <= now => return why,
                // A request header, once begun, only ends in a request: its deadline stands.
                Some((at, _)) if matches!(phase, Phase::Head(_)) => tokio::time::sleep_until(at).await,
                // Idle or busy, a header may begin at any moment: look again within `recheck`.
                Some((at, _)) => tokio::time::sleep_until(at.min(now + recheck)).await,
                None => tokio::time::sleep_until(now + recheck).await,
            }
        }
    }
}

/// A request in flight on a connection; when the last one ends, the connection is idle.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        *phase = match *phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        };
    }
}

/// The socket, reporting its reads to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The default cap on open connections: nine tenths of the process's file-descriptor limit
/// (the rest for the listener, logs, outgoing calls), read from `/proc/self/limits` on Linux;
/// 1 000 elsewhere or when it cannot be read.
pub(crate) fn default_max_connections() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
            let soft = line.trim_start_matches("Max open files").split_whitespace().next()?;
            soft.parse::<usize>().ok()
        })
        .map_or(1_000, |soft| (soft / 10 * 9).clamp(16, 100_000))
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM (what container runtimes send): the
/// signal [`HttpTransport::serve`](super::HttpTransport::serve) stops on, for callers of
/// [`serve_until`](super::HttpTransport::serve_until) that bind their own listener.
///
/// ```no_run
/// # async fn run(server: mcp_connector_core::Server) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// eprintln!("listening on http://{}/mcp", listener.local_addr()?);
/// mcp_connector_transport::http::HttpTransport::new(server)
///     .serve_until(listener, mcp_connector_transport::http::shutdown_signal())
///     .await
/// # }
/// ```
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_response_whose_length_matches() {
        let text = std::str::from_utf8(REFUSAL).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .expect("content-length")
            .parse()
            .expect("a number");
        assert_eq!(length, body.len());
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["error"]["code"], -32600);
    }

    #[test]
    fn the_default_connection_cap_is_below_the_descriptor_limit() {
        let cap = default_max_connections();
        assert!((16..=100_000).contains(&cap), "{cap}");
    }
}
