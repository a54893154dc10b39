use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;

use futures_util::task::AtomicWaker;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use super::Extensions;
use super::connection::Connection;
use super::mrtr::InputRound;
use super::queue::{OutboundQueue, QueueSender};
use crate::era::Era;
use crate::error::{ClientRequestError, ToolError};
use crate::jsonrpc::{Message, RequestId};
use crate::protocol::{
    ClientCapabilities, CreateMessageParams, CreateMessageResult, ElicitAction, ElicitParams, ElicitResult,
    Implementation, InputRequest, ListRootsResult, LoggingLevel, LoggingMessageParams, Meta, ProgressParams,
    ProgressToken, ProtocolVersion, method,
};
use crate::request::RequestFacts;

/// Where a session's outgoing messages go: the transport reads the other end and writes them
/// to the wire (a stdout line, an SSE event, an in-memory queue).
///
/// ```
/// use mcp_connector_core::{Outbound, jsonrpc::Message};
///
/// let (out, mut rx) = Outbound::channel();
/// out.send(Message::notification("notifications/tools/list_changed", None));
/// assert!(rx.try_recv().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Outbound {
    sink: Sink,
}

#[derive(Debug, Clone)]
enum Sink {
    /// [`Outbound::closed`]: nothing is ever delivered.
    Closed,
    Channel(mpsc::UnboundedSender<Message>),
    Queue(QueueSender),
}

impl Outbound {
    /// A new outbound channel and its receiving end.
    pub fn channel() -> (Outbound, mpsc::UnboundedReceiver<Message>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Outbound { sink: Sink::Channel(tx) }, rx)
    }

    /// A new outbound queue and its receiving end: [`Outbound::channel`] for one request's
    /// messages, cheaper to make when most requests send none (see [`OutboundQueue`]).
    ///
    /// ```
    /// use mcp_connector_core::{Outbound, jsonrpc::Message};
    ///
    /// let (out, mut queue) = Outbound::queue();
    /// out.send(Message::notification("notifications/progress", None));
    /// assert!(queue.try_recv().is_some());
    /// ```
    pub fn queue() -> (Outbound, OutboundQueue) {
        let (tx, rx) = OutboundQueue::new();
        (Outbound { sink: Sink::Queue(tx) }, rx)
    }

    /// An outbound that is closed from the start: what a channel whose receiver was dropped
    /// at once would be, without making the channel (a transport has one per request that can
    /// deliver nothing, such as the notifications of a stateless HTTP request).
    ///
    /// ```
    /// use mcp_connector_core::{Outbound, jsonrpc::Message};
    ///
    /// let nowhere = Outbound::closed();
    /// assert!(nowhere.is_closed());
    /// assert!(!nowhere.send(Message::notification("notifications/tools/list_changed", None)));
    /// ```
    pub fn closed() -> Outbound {
        Outbound { sink: Sink::Closed }
    }

    /// Queues a message; `false` when the receiving end is gone.
    pub fn send(&self, message: Message) -> bool {
        match &self.sink {
            Sink::Closed => false,
            Sink::Channel(tx) => tx.send(message).is_ok(),
            Sink::Queue(tx) => tx.send(message),
        }
    }

    /// Whether the receiving end is gone.
    pub fn is_closed(&self) -> bool {
        match &self.sink {
            Sink::Closed => true,
            Sink::Channel(tx) => tx.is_closed(),
            Sink::Queue(tx) => tx.is_closed(),
        }
    }
}

/// What a handler knows about the request it is serving, and how it talks back: progress,
/// logging, cancellation, and requests to the client (elicitation, sampling, roots).
///
/// Cheap to clone. Take it as a parameter of a tool, resource or prompt handler.
///
/// ```
/// use mcp_connector_core::{Context, ToolError, protocol::LoggingLevel};
///
/// async fn import(ctx: Context) -> Result<String, ToolError> {
///     for step in 1..=3u32 {
///         if ctx.is_cancelled() {
///             return Err(ToolError::new("cancelled"));
///         }
///         ctx.progress(step as f64, Some(3.0), Some(&format!("step {step} of 3")));
///     }
///     ctx.log(LoggingLevel::Info, "import finished");
///     Ok("imported".into())
/// }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<ContextInner>,
    /// The key the next input request of this handle is filed under, in a multi round-trip
    /// request; see [`Context::with_input_key`].
    input_key: Option<Arc<str>>,
}

pub(crate) struct ContextInner {
    pub(crate) request_id: RequestId,
    /// What the request said about itself (a legacy request: what its session negotiated).
    pub(crate) facts: RequestFacts,
    pub(crate) connection: Arc<Connection>,
    pub(crate) replies: Outbound,
    pub(crate) cancel: CancelSignal,
    pub(crate) extensions: Extensions,
    pub(crate) last_progress: Mutex<Option<f64>>,
    /// Set for a modern request that may answer `input_required`. Here rather than in an
    /// `Arc` of its own: one allocation a request fewer, and the dispatcher reaches it through
    /// the context it keeps.
    pub(crate) input: Option<InputRound>,
    /// Set for a `tools/call` that may become a task (Tasks extension; see `tasks.rs`).
    pub(crate) task: std::sync::OnceLock<Arc<super::tasks::TaskSlot>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("request_id", &self.inner.request_id).finish_non_exhaustive()
    }
}

/// One request's cancellation: set by `notifications/cancelled`, [`Session::cancel`]
/// (`super::Session::cancel`), the end of the connection or a tool's timeout, and seen by the
/// request's dispatcher, which drops the handler, and by the handler itself.
///
/// A flag and the dispatcher's waker rather than a [`CancellationToken`]: a token is an
/// allocation of its own, and each handle taken or dropped, and each wait on it, locks its
/// tree; on every request, where almost no handler ever looks at cancellation. The token is
/// made only when something asks for one ([`Context::cancellation`], a request to the client,
/// a task); from then on it is cancelled with the flag, and cancelling it cancels the request.
pub(crate) struct CancelSignal {
    cancelled: AtomicBool,
    /// The one waiter the flag wakes: the dispatcher's [`CancelSignal::cancelled`]. Anything
    /// else that waits takes the token.
    waiter: AtomicWaker,
    token: OnceLock<CancellationToken>,
}

impl CancelSignal {
    pub(crate) fn new() -> Self {
        CancelSignal { cancelled: AtomicBool::new(false), waiter: AtomicWaker::new(), token: OnceLock::new() }
    }

    /// Cancels the request. The flag is set before the token is looked at, and
    /// [`CancelSignal::token`] looks at the flag after making the token, each side with a
    /// fence between: a token made while this runs is cancelled by one side or the other.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.waiter.wake();
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// Whether the request was cancelled, by the flag or through its token.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst) || self.token.get().is_some_and(CancellationToken::is_cancelled)
    }

    /// The request's token, made on first use: cancelled already when the request was.
    pub(crate) fn token(&self) -> &CancellationToken {
        let mut made = false;
        let token = self.token.get_or_init(|| {
            made = true;
            CancellationToken::new()
        });
        if made {
            fence(Ordering::SeqCst);
            if self.cancelled.load(Ordering::SeqCst) {
                token.cancel();
            }
            // The dispatcher's wait did not know of the token: woken, it waits on it too, so
            // a handler that cancels its own token ends its request, as it always has.
            self.waiter.wake();
        }
        token
    }

    /// Resolves when the request is cancelled. For the request's dispatcher only: the flag
    /// keeps one waker, so a second waiter would steal the first one's wake-ups.
    pub(crate) fn cancelled(&self) -> Cancelled<'_> {
        Cancelled { signal: self, token: None }
    }
}

/// The future of [`CancelSignal::cancelled`].
pub(crate) struct Cancelled<'a> {
    signal: &'a CancelSignal,
    /// The wait on the token, once there is one (boxed: it is rarely made, and its future is
    /// large and not `Unpin`).
    token: Option<Pin<Box<WaitForCancellationFuture<'a>>>>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.token.is_none() {
            // Registered before the flag and the token are read: a cancel or a token made
            // after the reads wakes this waker.
            this.signal.waiter.register(cx.waker());
            if this.signal.cancelled.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            let Some(token) = this.signal.token.get() else {
                return Poll::Pending;
            };
            // From here the token says it all: the flag's cancel cancels it too.
            this.token = Some(Box::pin(token.cancelled()));
        }
        this.token.as_mut().map_or(Poll::Pending, |wait| wait.as_mut().poll(cx))
    }
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        // The waker would keep the request's task (its memory) alive as long as any handle on
        // the context, which a handler may have passed to work that outlives the request.
        drop(self.signal.waiter.take());
    }
}

/// A handle that cancels one request, kept by its connection while the request runs (see
/// `connection.rs`, `InFlight`). It holds the request's context: the connection removes it
/// when the request ends (`session.rs`, `Registered`), which breaks the cycle
/// connection → context → connection.
pub(crate) struct Canceller(Arc<ContextInner>);

impl Canceller {
    pub(crate) fn cancel(&self) {
        self.0.cancel.cancel();
    }
}

impl Context {
    pub(crate) fn new(inner: ContextInner) -> Self {
        Context { inner: Arc::new(inner), input_key: None }
    }

    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.inner.connection
    }

    /// The multi round-trip input round, in a modern request that may ask for input.
    pub(crate) fn input_round(&self) -> Option<&InputRound> {
        self.inner.input.as_ref()
    }

    /// The request's cancellation signal (see [`CancelSignal`]).
    pub(crate) fn cancel_signal(&self) -> &CancelSignal {
        &self.inner.cancel
    }

    /// What the connection keeps to cancel this request by id: a handle on this context,
    /// so registering a request costs one atomic count, no allocation.
    pub(crate) fn canceller(&self) -> Canceller {
        Canceller(self.inner.clone())
    }

    pub(crate) fn task_slot(&self) -> &std::sync::OnceLock<Arc<super::tasks::TaskSlot>> {
        &self.inner.task
    }

    /// The same context, filing its next input request (elicitation, sampling, roots) under
    /// `key` instead of the automatic `elicitation-1`, `sampling-1`, ... Only protocol
    /// 2026-07-28 sees keys (they name the entries of `inputRequests` and `inputResponses`);
    /// in older revisions the request goes to the client as before and the key is unused.
    ///
    /// ```
    /// use mcp_connector_core::{Context, ToolError, tool};
    ///
    /// /// Greet the user by the name they give.
    /// #[tool(read)]
    /// async fn greet(ctx: Context) -> Result<String, ToolError> {
    ///     #[derive(serde::Deserialize, schemars::JsonSchema)]
    ///     struct Name { name: String }
    ///     let name = ctx.with_input_key("user_name").elicit_as::<Name>("What is your name?").await?;
    ///     Ok(format!("Hello, {}!", name.map_or("stranger".into(), |n| n.name)))
    /// }
    /// ```
    pub fn with_input_key(&self, key: impl Into<String>) -> Context {
        let key: String = key.into();
        Context { inner: self.inner.clone(), input_key: Some(key.into()) }
    }

    /// The era this request is spoken in: [`Era::Modern`] (2026-07-28 or later: no session,
    /// and input from the client arrives by retry rather than by a request to it) or
    /// [`Era::Legacy`].
    pub fn era(&self) -> Era {
        self.inner.facts.era
    }

    /// Whether this request is spoken in a modern revision (2026-07-28 or later); the same as
    /// `ctx.era() == Era::Modern`.
    pub fn is_modern(&self) -> bool {
        self.era() == Era::Modern
    }

    /// The id of the request being served.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The request's `_meta`, as the client sent it.
    pub fn meta(&self) -> Option<&Meta> {
        self.inner.facts.meta()
    }

    /// The request's `_meta.progressToken`, when the client asked for progress.
    pub fn progress_token(&self) -> Option<ProgressToken> {
        let token = self.meta()?.get("progressToken")?;
        ProgressToken::deserialize(token).ok()
    }

    /// The protocol revision this request is spoken in.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.facts.protocol_version.clone()
    }

    /// What the client declared it can do: in this request's `_meta` (2026-07-28), or at
    /// `initialize` (older revisions).
    pub fn client_capabilities(&self) -> &ClientCapabilities {
        &self.inner.facts.client_capabilities
    }

    /// Whether the client declared MCP Apps support (the `io.modelcontextprotocol/ui`
    /// extension with `text/html;profile=mcp-app` among its `mimeTypes`), so a tool's UI page
    /// will be shown. A handler need not ask: a [`WithUi`](crate::WithUi) result reads well
    /// everywhere; ask to skip work only a page would use. Clients that render pages without
    /// declaring the extension (some ChatGPT surfaces, stateless HTTP requests of the
    /// 2025-11-25 era, which carry no capabilities) answer `false`.
    ///
    /// ```
    /// use mcp_connector_core::{Context, McpError};
    ///
    /// fn rows_for(ctx: &Context) -> usize {
    ///     if ctx.client_supports_ui() { 500 } else { 20 }
    /// }
    /// # let _ = rows_for;
    /// ```
    pub fn client_supports_ui(&self) -> bool {
        crate::ui::client_supports_ui(self.client_capabilities())
    }

    /// Who the client said it is, when it did.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.inner.facts.client_info.as_deref()
    }

    /// Values the transport attached to this request (auth claims, headers).
    pub fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    /// The server serving this request: a handler can change what it offers
    /// ([`Server::add_resource`](crate::Server::add_resource), ...) or tell subscribers that a
    /// resource changed ([`Server::notify_resource_updated`](crate::Server::notify_resource_updated)).
    ///
    /// ```
    /// use mcp_connector_core::{Context, tool};
    ///
    /// /// Rename the report; clients subscribed to it hear about the change.
    /// #[tool(write, idempotent, destructive = false)]
    /// async fn rename_report(ctx: Context, title: String) -> String {
    ///     ctx.server().notify_resource_updated("reports://current");
    ///     format!("renamed to {title}")
    /// }
    /// ```
    pub fn server(&self) -> &crate::Server {
        self.inner.connection.server()
    }

    /// A value shared with every handler through
    /// [`ServerBuilder::state`](crate::ServerBuilder::state); see [`State`].
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.connection.server().state().get::<T>()
    }

    /// Resolves when the client cancels this request (`notifications/cancelled`) or goes away.
    /// The server also drops the handler's future at that point; this token lets a handler
    /// stop work it started elsewhere (a spawned task, a remote job).
    ///
    /// A token taken after the request was cancelled is cancelled already; cancelling the
    /// token cancels the request.
    ///
    /// ```
    /// use mcp_connector_core::{Context, ToolError};
    ///
    /// async fn export(ctx: Context) -> Result<String, ToolError> {
    ///     let stop = ctx.cancellation();
    ///     tokio::spawn(async move {
    ///         tokio::select! {
    ///             _ = stop.cancelled() => {} // the client cancelled: stop the upload too
    ///             _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
    ///         }
    ///     });
    ///     Ok("export started".into())
    /// }
    /// ```
    pub fn cancellation(&self) -> CancellationToken {
        self.inner.cancel.token().clone()
    }

    /// Whether the client cancelled this request.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Reports progress, when the client asked for it with a `progressToken`; otherwise does
    /// nothing. Values must increase (the spec's rule); a value not above the last is dropped.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = self.progress_token() else {
            return;
        };
        {
            let Ok(mut last) = self.inner.last_progress.lock() else {
                return;
            };
            if last.is_some_and(|l| progress <= l) {
                tracing::debug!(progress, "dropped a progress value that did not increase");
                return;
            }
            *last = Some(progress);
        }
        let params =
            ProgressParams { progress_token: token, progress, total, message: message.map(str::to_owned) };
        self.notify(method::PROGRESS, serde_json::to_value(params).ok());
    }

    /// Sends a log message to the client (`notifications/message`) when `level` is at or above
    /// the level the client asked for: with `logging/setLevel` in older revisions, in this
    /// request's `_meta` (`io.modelcontextprotocol/logLevel`) in 2026-07-28, where a request
    /// that names no level gets no log messages at all. `data` is any serialisable value.
    pub fn log(&self, level: LoggingLevel, data: impl Serialize) {
        self.log_to(level, None, data)
    }

    /// Like [`Context::log`], naming the logger.
    pub fn log_to(&self, level: LoggingLevel, logger: Option<&str>, data: impl Serialize) {
        // The era decides who sets the level: the request itself in 2026-07-28 (none named,
        // no messages), `logging/setLevel` on the session before it (none set, every message).
        let wanted = match self.era() {
            Era::Modern => self.inner.facts.log_level.is_some_and(|min| level >= min),
            Era::Legacy => self.inner.connection.wants_log(level),
        };
        if !wanted {
            return;
        }
        let params = LoggingMessageParams {
            level,
            logger: logger.map(str::to_owned),
            data: serde_json::to_value(data).unwrap_or(Value::Null),
        };
        self.notify(method::LOG_MESSAGE, serde_json::to_value(params).ok());
    }

    /// Sends a notification related to this request (it travels on this request's stream).
    pub fn notify(&self, method: &str, params: Option<Value>) {
        self.send(Message::notification(method, params));
    }

    pub(crate) fn send(&self, message: Message) {
        // Tasks extension: once a call is a task its request has been answered, and progress
        // and log notifications are not sent for tasks (SEP-2663).
        if self.running_task().is_some() {
            return;
        }
        self.inner.replies.send(message);
    }

    /// Asks the user for input through the client (`elicitation/create`, form mode).
    /// `requested_schema` is a flat object schema of primitive fields.
    ///
    /// Without the client's `elicitation` capability this returns
    /// [`ClientRequestError::CapabilityMissing`]; in a 2026-07-28 request the request itself
    /// ends instead, with `MissingRequiredClientCapabilityError` (`-32021`), as that revision
    /// requires. To do without, check [`Context::client_capabilities`] first.
    pub async fn elicit(
        &self,
        message: impl Into<String>,
        requested_schema: Map<String, Value>,
    ) -> Result<ElicitResult, ClientRequestError> {
        if !self.client_capabilities().supports_form_elicitation() {
            return self.capability_missing("elicitation").await;
        }
        let params = ElicitParams {
            mode: None,
            message: message.into(),
            requested_schema: Some(requested_schema),
            elicitation_id: None,
            url: None,
        };
        self.request_as(method::ELICIT, &params).await
    }

    /// Asks the user to fill in a `T` (its JSON Schema becomes the form). Returns
    /// `Ok(Some(value))` when the user accepted, `Ok(None)` when they declined or cancelled.
    pub async fn elicit_as<T: JsonSchema + DeserializeOwned>(
        &self,
        message: impl Into<String>,
    ) -> Result<Option<T>, ClientRequestError> {
        let schema = crate::schema::object_schema_for::<T>()
            .map_err(|e| ClientRequestError::BadResponse(format!("cannot build the form: {e}")))?;
        let result = self.elicit(message, schema).await?;
        if result.action != ElicitAction::Accept {
            return Ok(None);
        }
        let content = Value::Object(result.content.unwrap_or_default());
        serde_json::from_value(content).map(Some).map_err(|e| ClientRequestError::BadResponse(e.to_string()))
    }

    /// Asks the client's model for a completion (`sampling/createMessage`).
    ///
    /// Without the client's `sampling` capability this returns
    /// [`ClientRequestError::CapabilityMissing`]; in a 2026-07-28 request the request itself
    /// ends instead, with `MissingRequiredClientCapabilityError` (`-32021`), as that revision
    /// requires. To do without, check [`Context::client_capabilities`] first.
    pub async fn create_message(
        &self,
        params: CreateMessageParams,
    ) -> Result<CreateMessageResult, ClientRequestError> {
        if self.client_capabilities().sampling.is_none() {
            return self.capability_missing("sampling").await;
        }
        self.request_as(method::CREATE_MESSAGE, &params).await
    }

    /// Asks the client for its roots (`roots/list`).
    ///
    /// Without the client's `roots` capability this returns
    /// [`ClientRequestError::CapabilityMissing`]; in a 2026-07-28 request the request itself
    /// ends instead, with `MissingRequiredClientCapabilityError` (`-32021`), as that revision
    /// requires. To do without, check [`Context::client_capabilities`] first.
    pub async fn list_roots(&self) -> Result<ListRootsResult, ClientRequestError> {
        if self.client_capabilities().roots.is_none() {
            return self.capability_missing("roots").await;
        }
        self.request_as(method::ROOTS_LIST, &serde_json::json!({})).await
    }

    /// Sends any request to the client and waits for its result. Prefer the typed methods,
    /// which check the client's capabilities first.
    ///
    /// In protocol 2026-07-28 there is no request to the client: the answer comes in the
    /// client's retry of this request (multi round-trip requests). When the retry carries it,
    /// this returns it; otherwise the server stops the handler here and answers
    /// `input_required`, and the handler runs again from the top on the retry. Code before the
    /// first input request therefore runs once per round: make changes after the input. In a
    /// call that runs as a task ([`ToolBuilder::task_support`](crate::ToolBuilder::task_support))
    /// the handler is not stopped: the request is listed on the task for `tasks/get`, and this
    /// waits until the client answers it with `tasks/update`.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ClientRequestError> {
        if self.era() == Era::Legacy {
            return self
                .inner
                .connection
                .request_client(method, params, &self.inner.replies, self.inner.cancel.token())
                .await;
        }
        let kind = match method {
            method::ELICIT => "elicitation",
            method::CREATE_MESSAGE => "sampling",
            method::ROOTS_LIST => "roots",
            other => {
                return Err(ClientRequestError::Unsupported(format!(
                    "protocol {} has no `{other}` request from server to client",
                    self.protocol_version()
                )));
            }
        };
        // Tasks extension: in a task the ask waits for `tasks/update` instead.
        if let Some(task) = self.running_task() {
            return task.ask(self.input_key.as_deref(), kind, method, params).await;
        }
        let Some(round) = &self.inner.input else {
            return Err(ClientRequestError::Unsupported(format!(
                "protocol {} lets only tools/call, prompts/get and resources/read ask the client for input",
                self.protocol_version()
            )));
        };
        let key = match &self.input_key {
            Some(key) => key.to_string(),
            None => round.next_key(kind),
        };
        let request = InputRequest { method: method.to_owned(), params: Some(params) };
        if let Some(answer) = round.answer(&key, &request) {
            return Ok(answer.clone());
        }
        round.ask(key, request);
        // The dispatcher sees the ask and drops this handler; it never resumes from here.
        std::future::pending().await
    }

    /// The request needs `capability` and the client did not declare it. In a modern request
    /// that may ask for input this ends the request with `MissingRequiredClientCapabilityError`
    /// (`-32021`), as 2026-07-28 requires (basic/index, "_meta"): the handler is stopped here,
    /// like an ask for input. Anywhere else the handler gets
    /// [`ClientRequestError::CapabilityMissing`] to handle.
    async fn capability_missing<T>(&self, capability: &'static str) -> Result<T, ClientRequestError> {
        // Tasks extension: in a task the request was answered already; the task fails instead.
        if let Some(task) = self.running_task() {
            return task.require(capability).await;
        }
        if let Some(round) = &self.inner.input {
            round.require(capability);
            // The dispatcher sees the need and drops this handler; it never resumes from here.
            return std::future::pending().await;
        }
        Err(ClientRequestError::CapabilityMissing(capability))
    }

    async fn request_as<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, ClientRequestError> {
        let params =
            serde_json::to_value(params).map_err(|e| ClientRequestError::BadResponse(e.to_string()))?;
        let value = self.request(method, params).await?;
        serde_json::from_value(value).map_err(|e| ClientRequestError::BadResponse(e.to_string()))
    }
}

/// A value a handler can ask for by type, in the axum sense: the macros recognise parameters
/// whose type implements `FromContext` and fill them from the request instead of from the
/// arguments. Implement it for your own types (for example a database handle looked up from
/// [`Extensions`], or the caller's claims).
///
/// ```
/// use mcp_connector_core::{Context, FromContext, ToolError};
///
/// struct TenantId(String);
///
/// impl FromContext for TenantId {
///     fn from_context(ctx: &Context) -> Result<Self, ToolError> {
///         ctx.meta()
///             .and_then(|m| m.get("tenant"))
///             .and_then(|v| v.as_str())
///             .map(|s| TenantId(s.to_owned()))
///             .ok_or_else(|| ToolError::new("this tool needs `_meta.tenant`"))
///     }
/// }
/// ```
pub trait FromContext: Sized {
    /// Builds the value from the request, or fails the call with a message for the model.
    fn from_context(ctx: &Context) -> Result<Self, ToolError>;
}

impl FromContext for Context {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        Ok(ctx.clone())
    }
}

impl FromContext for CancellationToken {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        Ok(ctx.cancellation())
    }
}

/// A value shared with every handler through [`ServerBuilder::state`](crate::ServerBuilder::state),
/// taken by type, as axum's `State`. The macros recognise a parameter of type `State<T>`.
///
/// ```
/// use mcp_connector_core::{Server, State, ToolError, tool};
///
/// #[derive(Clone)]
/// struct Db { name: &'static str }
///
/// /// Which database is this?
/// #[tool(read)]
/// async fn which_db(db: State<Db>) -> String {
///     db.0.name.to_owned()
/// }
///
/// let server = Server::builder("s", "1").state(Db { name: "main" }).tool(which_db::tool()).build().unwrap();
/// # let _ = server;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromContext for State<T> {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        ctx.state::<T>().cloned().map(State).ok_or_else(|| {
            ToolError::new(format!(
                "the server has no shared `{}`: register it with ServerBuilder::state",
                std::any::type_name::<T>()
            ))
        })
    }
}

impl FromContext for Extensions {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        Ok(ctx.extensions().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Wake, Waker};

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(wait: &mut Pin<&mut Cancelled<'_>>, waker: &Arc<Count>) -> Poll<()> {
        let waker = Waker::from(waker.clone());
        wait.as_mut().poll(&mut std::task::Context::from_waker(&waker))
    }

    #[test]
    fn a_request_cancelled_before_its_wait_is_polled_ends_at_the_first_poll() {
        let signal = CancelSignal::new();
        signal.cancel();
        assert!(signal.is_cancelled());
        let mut wait = std::pin::pin!(signal.cancelled());
        assert_eq!(poll(&mut wait, &Arc::default()), Poll::Ready(()));
    }

    #[test]
    fn a_cancel_while_waiting_wakes_the_wait() {
        let signal = CancelSignal::new();
        let waker = Arc::new(Count::default());
        let mut wait = std::pin::pin!(signal.cancelled());
        assert_eq!(poll(&mut wait, &waker), Poll::Pending);
        assert!(!signal.is_cancelled());
        signal.cancel();
        assert_eq!(waker.0.load(Ordering::SeqCst), 1, "woken once");
        assert_eq!(poll(&mut wait, &waker), Poll::Ready(()));
    }

    #[test]
    fn a_token_taken_before_or_after_the_cancel_sees_it() {
        let before = CancelSignal::new();
        let token = before.token().clone();
        before.cancel();
        assert!(token.is_cancelled());

        let after = CancelSignal::new();
        after.cancel();
        assert!(after.token().is_cancelled(), "made after the cancel, cancelled at once");
    }

    /// A handler that cancels the token it took cancels its request, as when the token was
    /// the request's only signal: the wait, pending before the token existed, is woken by the
    /// token's making and then follows the token.
    #[test]
    fn cancelling_the_token_cancels_the_request() {
        let signal = CancelSignal::new();
        let waker = Arc::new(Count::default());
        let mut wait = std::pin::pin!(signal.cancelled());
        assert_eq!(poll(&mut wait, &waker), Poll::Pending);
        let token = signal.token().clone();
        assert_eq!(waker.0.load(Ordering::SeqCst), 1, "woken to wait on the new token");
        assert_eq!(poll(&mut wait, &waker), Poll::Pending);
        token.cancel();
        assert!(signal.is_cancelled());
        assert_eq!(poll(&mut wait, &waker), Poll::Ready(()));
    }

    /// The wait gives its waker back when dropped: a context that outlives its request must
    /// not keep the request's task alive.
    #[test]
    fn a_dropped_wait_lets_go_of_its_waker() {
        let signal = CancelSignal::new();
        let waker = Arc::new(Count::default());
        {
            let mut wait = std::pin::pin!(signal.cancelled());
            assert_eq!(poll(&mut wait, &waker), Poll::Pending);
            assert_eq!(Arc::strong_count(&waker), 2, "the signal holds the waker while waited on");
        }
        assert_eq!(Arc::strong_count(&waker), 1);
        signal.cancel();
        assert_eq!(waker.0.load(Ordering::SeqCst), 0, "nobody to wake");
    }
}
