//! The client's side of one connection: ids, the table of requests awaiting an answer, the
//! task that reads what the server sends, and one round trip of a request (with its
//! cancellation when the caller gives up).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use super::handler::{ClientHandler, ServerNotification, answer};
use super::headers::{HeaderParams, request_headers};
use super::{CallOptions, ClientError, Incoming, Outgoing, ProgressCallback, ServerDetails, Transport};
use crate::era::Era;
use crate::jsonrpc::{Message, RequestId};
use crate::protocol::{ClientCapabilities, Implementation, LoggingLevel, ProgressParams, meta, method};

type Reply = Result<Value, ClientError>;

/// How one message goes on the wire: its era and version (`None` before negotiation).
#[derive(Debug, Clone, Default)]
pub(crate) struct Wire {
    pub(crate) era: Option<Era>,
    pub(crate) version: Option<String>,
}

pub(crate) struct Inner {
    pub(crate) transport: Box<dyn Transport>,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Reply>>>,
    progress: Mutex<HashMap<String, ProgressCallback>>,
    next_id: AtomicI64,
    pub(crate) details: RwLock<Option<ServerDetails>>,
    pub(crate) info: Implementation,
    pub(crate) capabilities: ClientCapabilities,
    pub(crate) handler: Arc<dyn ClientHandler>,
    pub(crate) tool_headers: Mutex<HashMap<String, HeaderParams>>,
    pub(crate) log_level: Mutex<Option<LoggingLevel>>,
    closed: Mutex<Option<String>>,
    reader: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut reader) = self.reader.lock()
            && let Some(reader) = reader.take()
        {
            reader.abort();
        }
    }
}

impl Inner {
    pub(crate) fn start(
        transport: Box<dyn Transport>,
        inbound: mpsc::UnboundedReceiver<Incoming>,
        info: Implementation,
        capabilities: ClientCapabilities,
        handler: Arc<dyn ClientHandler>,
    ) -> Arc<Inner> {
        let inner = Arc::new(Inner {
            transport,
            pending: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            next_id: AtomicI64::new(0),
            details: RwLock::new(None),
            info,
            capabilities,
            handler,
            tool_headers: Mutex::new(HashMap::new()),
            log_level: Mutex::new(None),
            closed: Mutex::new(None),
            reader: Mutex::new(None),
        });
        let reader = tokio::spawn(read(Arc::downgrade(&inner), inbound));
        if let Ok(mut slot) = inner.reader.lock() {
            *slot = Some(reader);
        }
        inner
    }

    /// How a message goes out now: in the negotiated era and version.
    pub(crate) fn wire(&self) -> Wire {
        let details = self.details.read().ok().and_then(|d| d.clone());
        Wire {
            era: details.as_ref().map(|d| d.era),
            version: details.map(|d| d.protocol_version.to_string()),
        }
    }

    fn fail_all(&self, why: &str) {
        if let Ok(mut closed) = self.closed.lock() {
            closed.get_or_insert_with(|| why.to_owned());
        }
        let pending: Vec<_> = self.pending.lock().map(|mut p| p.drain().collect()).unwrap_or_default();
        for (_, waiter) in pending {
            let _ = waiter.send(Err(ClientError::Closed(why.to_owned())));
        }
    }

    fn closed(&self) -> Option<String> {
        self.closed.lock().ok().and_then(|c| c.clone())
    }

    /// Registers a progress callback under a fresh token; the token is released on drop.
    pub(crate) fn progress_token(self: &Arc<Self>, callback: ProgressCallback) -> ProgressRegistration {
        let token = format!("progress-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        if let Ok(mut progress) = self.progress.lock() {
            progress.insert(token.clone(), callback);
        }
        ProgressRegistration { inner: Arc::downgrade(self), token }
    }

    /// Sends a notification in the negotiated era.
    pub(crate) async fn notify(
        &self,
        method_name: &str,
        params: Option<Value>,
        wire: &Wire,
    ) -> Result<(), ClientError> {
        let headers = match wire.era {
            Some(Era::Modern) => request_headers(method_name, params.as_ref(), None),
            _ => Vec::new(),
        };
        let outgoing = Outgoing {
            message: Message::notification(method_name, params),
            era: wire.era,
            protocol_version: wire.version.clone(),
            headers,
        };
        self.transport.send(outgoing).await.map_err(ClientError::from)
    }

    /// One request, one answer. A modern request gets the per-request `_meta` (2026-07-28
    /// basic/index, "`_meta`": protocol version and client capabilities are required, the
    /// client's identity recommended) and its metadata headers.
    pub(crate) async fn round_trip(
        self: &Arc<Self>,
        method_name: &str,
        params: Value,
        options: &CallOptions,
        progress_token: Option<&str>,
        wire: &Wire,
    ) -> Result<Value, ClientError> {
        if let Some(why) = self.closed() {
            return Err(ClientError::Closed(why));
        }
        let id = RequestId::from(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let mut params = match params {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(ClientError::Decode(format!("request params must be an object, not {other}")));
            }
        };
        let needs_meta = wire.era == Some(Era::Modern) || progress_token.is_some() || options.meta.is_some();
        if needs_meta {
            let entry = params.entry("_meta").or_insert_with(|| json!({}));
            if let Value::Object(request_meta) = entry {
                if let Some(extra) = &options.meta {
                    for (k, v) in extra {
                        request_meta.insert(k.clone(), v.clone());
                    }
                }
                if let Some(token) = progress_token {
                    request_meta.insert("progressToken".into(), json!(token));
                }
                if wire.era == Some(Era::Modern) {
                    self.stamp(request_meta, wire);
                }
            }
        }
        let params = Value::Object(params);
        let headers = match wire.era {
            Some(Era::Modern) => {
                let tool = params.get("name").and_then(Value::as_str);
                let known = self.tool_headers.lock().ok().and_then(|t| t.get(tool?).cloned());
                request_headers(method_name, Some(&params), known.as_ref())
            }
            _ => Vec::new(),
        };
        let (tx, rx) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.clone(), tx);
        }
        let mut guard = Pending { inner: self.clone(), id: id.clone(), wire: wire.clone(), armed: true };
        let outgoing = Outgoing {
            message: Message::request(id, method_name, Some(params)),
            era: wire.era,
            protocol_version: wire.version.clone(),
            headers,
        };
        // Sending is inside the timeout and the cancellation too: over HTTP a JSON answer
        // arrives within `send`, so a server that never answers must not hold the call there.
        let exchange = async {
            self.transport.send(outgoing).await?;
            match rx.await {
                Ok(reply) => reply,
                Err(_) => {
                    Err(ClientError::Closed(self.closed().unwrap_or_else(|| "the client was dropped".into())))
                }
            }
        };
        let cancelled = async {
            match &options.cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let reply = tokio::select! {
            reply = exchange => reply,
            () = cancelled => return Err(ClientError::Cancelled),
            () = sleep(options.timeout) => return Err(ClientError::Timeout(options.timeout.unwrap_or_default())),
        };
        guard.forget();
        reply
    }

    fn stamp(&self, request_meta: &mut Map<String, Value>, wire: &Wire) {
        if let Some(version) = &wire.version {
            request_meta.insert(meta::PROTOCOL_VERSION.into(), json!(version));
        }
        request_meta
            .entry(meta::CLIENT_CAPABILITIES)
            .or_insert_with(|| serde_json::to_value(&self.capabilities).unwrap_or_else(|_| json!({})));
        request_meta
            .entry(meta::CLIENT_INFO)
            .or_insert_with(|| serde_json::to_value(&self.info).unwrap_or_default());
        if let Some(level) = self.log_level.lock().ok().and_then(|l| *l) {
            request_meta.entry(meta::LOG_LEVEL).or_insert_with(|| json!(level));
        }
    }
}

async fn sleep(timeout: Option<std::time::Duration>) {
    match timeout {
        Some(t) => tokio::time::sleep(t).await,
        None => std::future::pending().await,
    }
}

/// A request awaiting its answer. Dropped before the answer (the caller's future was dropped,
/// cancelled or timed out), it tells the server: `notifications/cancelled`
/// (basic/utilities/cancellation), unless the transport cancels by its own means.
struct Pending {
    inner: Arc<Inner>,
    id: RequestId,
    wire: Wire,
    armed: bool,
}

impl Pending {
    fn forget(&mut self) {
        self.armed = false;
        if let Ok(mut pending) = self.inner.pending.lock() {
            pending.remove(&self.id);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.forget();
        if self.inner.closed().is_some() {
            return;
        }
        if self.inner.transport.cancel(&self.id, self.wire.era) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let inner = self.inner.clone();
        let id = self.id.clone();
        let wire = self.wire.clone();
        runtime.spawn(async move {
            let params = json!({"requestId": id, "reason": "the client gave up on the request"});
            let _ = inner.notify(method::CANCELLED, Some(params), &wire).await;
        });
    }
}

/// Releases a progress token when the call that registered it ends.
pub(crate) struct ProgressRegistration {
    inner: Weak<Inner>,
    pub(crate) token: String,
}

impl Drop for ProgressRegistration {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade()
            && let Ok(mut progress) = inner.progress.lock()
        {
            progress.remove(&self.token);
        }
    }
}

/// Reads everything the server sends until the connection closes.
async fn read(inner: Weak<Inner>, mut inbound: mpsc::UnboundedReceiver<Incoming>) {
    // Notifications reach the handler in order, on their own task: a slow handler must not
    // hold up the answers behind them.
    let (notifications, mut queue) =
        mpsc::unbounded_channel::<(Arc<dyn ClientHandler>, ServerNotification)>();
    tokio::spawn(async move {
        while let Some((handler, notification)) = queue.recv().await {
            handler.on_notification(notification).await;
        }
    });
    while let Some(incoming) = inbound.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        match incoming {
            Incoming::Message(Message::Response(response)) => {
                complete(&inner, &response.id, Ok(response.result))
            }
            Incoming::Message(Message::Error(error)) => match error.id {
                Some(id) => complete(&inner, &id, Err(ClientError::Server(error.error))),
                None => tracing::warn!(error = %error.error, "the server sent an error without an id"),
            },
            Incoming::Failed { id, error } => complete(&inner, &id, Err(ClientError::Transport(error))),
            Incoming::Message(Message::Notification(notification)) => {
                let notification = ServerNotification::decode(notification);
                if let ServerNotification::Progress(progress) = &notification {
                    deliver_progress(&inner, progress);
                }
                let _ = notifications.send((inner.handler.clone(), notification));
            }
            Incoming::Message(Message::Request(request)) => {
                let inner = inner.clone();
                tokio::spawn(async move {
                    let reply = match answer(inner.handler.as_ref(), &request.method, request.params).await {
                        Ok(result) => Message::response(request.id, result),
                        Err(error) => Message::error(Some(request.id), error),
                    };
                    let wire = inner.wire();
                    let outgoing = Outgoing {
                        message: reply,
                        era: wire.era,
                        protocol_version: wire.version,
                        headers: Vec::new(),
                    };
                    if let Err(error) = inner.transport.send(outgoing).await {
                        tracing::warn!(%error, "could not answer the server's request");
                    }
                });
            }
            Incoming::Closed(why) => {
                inner.fail_all(&why);
                return;
            }
        }
    }
    if let Some(inner) = inner.upgrade() {
        inner.fail_all("the connection ended");
    }
}

fn complete(inner: &Inner, id: &RequestId, reply: Reply) {
    let waiter = inner.pending.lock().ok().and_then(|mut p| p.remove(id));
    match waiter {
        Some(waiter) => {
            let _ = waiter.send(reply);
        }
        None => tracing::debug!(%id, "an answer to no pending request (cancelled or duplicate)"),
    }
}

fn deliver_progress(inner: &Inner, progress: &ProgressParams) {
    let token = match &progress.progress_token {
        crate::protocol::ProgressToken::String(s) => s.clone(),
        crate::protocol::ProgressToken::Number(n) => n.to_string(),
    };
    let callback = inner.progress.lock().ok().and_then(|p| p.get(&token).cloned());
    if let Some(callback) = callback {
        callback(progress.clone());
    }
}
