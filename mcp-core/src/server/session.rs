//! One connection's session: the entry point transports feed messages into, and the dispatch
//! of each decoded request to the server's handlers.
//!
//! A request is decoded once ([`RequestEnvelope::decode`]), its era decided there, and served
//! here by one `match` on [`ClientRequest`]; what differs between the eras is asked of
//! [`Era`].

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::Either;
use serde::Serialize;
use serde_json::{Map, Value};
use tracing::Instrument;

use super::answer::{Answered, Finished, ResultBody};
use super::connection::Connection;
use super::context::ContextInner;
use super::pagination::page;
use super::resource::ResourceKind;
use super::{CompletionRequest, Context, Extensions, Outbound, Server};
use super::{mrtr, subscriptions, tasks};
use crate::era::{self, Era};
use crate::error::McpError;
use crate::jsonrpc::{self, Decoded, Message, Notification, Request, RequestId};
use crate::protocol::{
    CacheHint, CallToolParams, CallToolResult, CancelledParams, ClientCapabilities, CompleteParams,
    CompleteResult, Completion, CompletionReference, GetPromptParams, InitializeParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedParams,
    ProtocolVersion, ReadResourceResult, ResourceParams, method,
};
use crate::request::{ClientRequest, RequestEnvelope};

/// The state of one connection, and the entry point transports feed messages into.
///
/// Cheap to clone; clones share the state. Feed each incoming message to [`Session::handle`]
/// (or raw bytes to [`Session::handle_frame`], or a request a transport already decoded to
/// [`Session::serve`]) from its own task, so slow requests do not hold up others: the session
/// is built for concurrent use. A transport that writes JSON text takes the faster variants:
/// [`Session::handle_frame_json`] for raw bytes, [`Session::answer`] for a decoded request
/// (its [`Answered`] serialises straight to the wire, with no `Value` of the result).
///
/// ```
/// use mcp_connector_core::{Server, Outbound, Extensions, jsonrpc::Message};
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = Server::builder("demo", "1.0").build().unwrap();
/// let (notifications, _rx) = Outbound::channel();
/// let session = server.session(notifications.clone());
/// let reply = session
///     .handle(Message::request(1, "ping", None), &notifications, Extensions::new())
///     .await
///     .unwrap();
/// assert_eq!(reply.to_value(), json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
/// # });
/// ```
#[derive(Clone)]
pub struct Session {
    connection: Arc<Connection>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("protocol_version", &self.connection.protocol_version())
            .finish_non_exhaustive()
    }
}

/// A request's place in its connection's books while it runs: cancellable by id, and, for
/// `subscriptions/listen`, among the streams the end of input ends. Leaves them when dropped,
/// also when a transport drops the request's future half-way (a client that went away).
struct Registered<'a> {
    connection: &'a Connection,
    /// Borrowed from the request being served, which outlives its registration: no copy.
    id: Option<&'a RequestId>,
    listens: bool,
}

impl<'a> Registered<'a> {
    fn new(
        connection: &'a Connection,
        id: &'a RequestId,
        context: &Context,
        cancellable: bool,
        listens: bool,
    ) -> Self {
        if !cancellable && !listens {
            return Registered { connection, id: None, listens };
        }
        if cancellable && let Ok(mut in_flight) = connection.in_flight.lock() {
            in_flight.insert(id.clone(), context.canceller());
        }
        if listens && let Ok(mut listening) = connection.listening.lock() {
            listening.insert(id.clone());
            // Input may have ended while this request was on its way here.
            if connection.input_closed.load(Ordering::Relaxed) {
                context.cancel_signal().cancel();
            }
        }
        Registered { connection, id: Some(id), listens }
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let Some(id) = self.id else {
            return;
        };
        // The entry holds the request's context, which holds the connection: removed here,
        // however the request ends, so that cycle never outlives the request.
        let entry = self.connection.in_flight.lock().ok().and_then(|mut in_flight| in_flight.remove(id));
        drop(entry);
        if self.listens
            && let Ok(mut listening) = self.connection.listening.lock()
        {
            listening.remove(id);
        }
    }
}

/// What a frame gets back: the answer to a `tools/call`, as the handler made it, or the JSON of
/// any other reply (a batch's included).
enum FrameReply {
    Answer(Answered),
    Json(Value),
}

/// A handler's answer before the era finishes it: the result, and the caching hint of the
/// thing read when it has its own (a resource's).
struct Answer {
    body: ResultBody,
    cache: Option<CacheHint>,
}

impl Answer {
    fn of<T: Serialize>(value: T) -> Result<Answer, McpError> {
        Ok(Answer::value(serde_json::to_value(value).map_err(McpError::internal)?))
    }

    fn value(value: Value) -> Answer {
        Answer { body: ResultBody::Value(value), cache: None }
    }

    fn empty() -> Result<Answer, McpError> {
        Ok(Answer::value(Value::Object(Map::new())))
    }
}

impl Session {
    pub(crate) fn new(server: Server, notifications: Outbound) -> Self {
        Session { connection: Arc::new(Connection::new(server, notifications)) }
    }

    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// The server this session serves.
    pub fn server(&self) -> &Server {
        &self.connection.server
    }

    /// The negotiated protocol version; before `initialize`, the one the transport assumed
    /// (see [`Session::assume_protocol_version`]) or the newest.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.connection.protocol_version()
    }

    /// What the session remembers between requests (negotiated version, client capabilities
    /// and info, log level, subscriptions), to keep it where another process can pick it up
    /// with [`Server::restore_session`].
    pub fn state(&self) -> super::SessionState {
        self.connection.lock_state().snapshot()
    }

    /// Replaces what the session remembers with `state` (what another process serving the same
    /// session changed: a log level, a subscription). Requests in flight are untouched.
    ///
    /// ```
    /// use mcp_connector_core::{Outbound, Server, SessionState};
    /// use mcp_connector_core::protocol::LoggingLevel;
    ///
    /// let server = Server::builder("demo", "1").build().unwrap();
    /// let session = server.session(Outbound::closed());
    /// session.set_state(&SessionState { log_level: Some(LoggingLevel::Error), ..Default::default() });
    /// assert_eq!(session.state().log_level, Some(LoggingLevel::Error));
    /// ```
    pub fn set_state(&self, state: &super::SessionState) {
        self.connection.lock_state().restore(state);
    }

    /// Whether the server waits on the client for the answer to its request `id` on this
    /// session (an elicitation, a sampling request): where a transport serving one session from
    /// several processes sends a response the client POSTed to another one.
    ///
    /// ```
    /// use mcp_connector_core::{Outbound, Server, jsonrpc::RequestId};
    ///
    /// let server = Server::builder("demo", "1").build().unwrap();
    /// let session = server.session(Outbound::closed());
    /// assert!(!session.is_waiting_for(&RequestId::from(1)));
    /// ```
    pub fn is_waiting_for(&self, id: &crate::jsonrpc::RequestId) -> bool {
        self.connection.is_waiting_for(id)
    }

    /// Whether `initialize` has been answered on this session.
    pub fn is_initialized(&self) -> bool {
        self.connection.lock_state().version.is_some()
    }

    /// Sets the version for a session that will see no `initialize` (a stateless HTTP request
    /// carries it in its `MCP-Protocol-Version` header instead), with the client capabilities
    /// to assume.
    pub fn assume_protocol_version(&self, version: ProtocolVersion, capabilities: ClientCapabilities) {
        let mut state = self.connection.lock_state();
        state.version = Some(version);
        // No capabilities (what every stateless HTTP request assumes) are shared, not
        // allocated for each request.
        state.capabilities = if super::connection::declares_nothing(&capabilities) {
            crate::request::no_capabilities()
        } else {
            Arc::new(capabilities)
        };
        state.initialized = true;
    }

    /// Handles one message. Returns the response for a request (`None` when the client
    /// cancelled it); `None` for notifications and for responses to the server's own
    /// requests. Messages the handler sends while it runs (progress, logs, requests to the
    /// client) go to `replies`.
    pub async fn handle(
        &self,
        message: Message,
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<Message> {
        match message {
            Message::Request(request) => self.handle_request(request, replies, extensions).await,
            Message::Notification(notification) => {
                self.handle_notification(notification);
                None
            }
            Message::Response(response) => {
                self.connection.complete_pending(&response.id, Ok(response.result));
                None
            }
            Message::Error(error) => {
                match error.id {
                    Some(id) => self.connection.complete_pending(&id, Err(error.error)),
                    None => {
                        tracing::warn!(error = %error.error, "the client reported an error without an id")
                    }
                }
                None
            }
        }
    }

    /// Decodes and handles one frame (a line on stdio, a POST body), batches included, and
    /// returns the JSON to send back, if any. Malformed input yields the JSON-RPC error the
    /// spec asks for; it never panics and never affects other requests.
    pub async fn handle_frame(
        &self,
        bytes: &[u8],
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<Value> {
        match self.handle_any_frame(bytes, replies, extensions).await? {
            FrameReply::Answer(answered) => Some(answered.into_message().to_value()),
            FrameReply::Json(value) => Some(value),
        }
    }

    /// [`Session::handle_frame`], with the reply as JSON text: a `tools/call` answer is
    /// written straight from the handler's result, with no `Value` of it in between (what a
    /// transport that writes lines or bodies wants).
    ///
    /// ```
    /// use mcp_connector_core::{Extensions, Outbound, Server};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// let frame = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    /// let reply = session.handle_frame_json(frame, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    /// assert_eq!(reply, serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    /// # });
    /// ```
    pub async fn handle_frame_json(
        &self,
        bytes: &[u8],
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<String> {
        match self.handle_any_frame(bytes, replies, extensions).await? {
            FrameReply::Answer(answered) => Some(answered.to_json()),
            FrameReply::Json(value) => Some(value.to_string()),
        }
    }

    /// The one path of [`Session::handle_frame`] and [`Session::handle_frame_json`]: a
    /// `tools/call` ([`RequestEnvelope::from_call_frame`]) is answered as the handler made it,
    /// any other frame decoded in full and answered as JSON.
    async fn handle_any_frame(
        &self,
        bytes: &[u8],
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<FrameReply> {
        match RequestEnvelope::from_call_frame(bytes) {
            Some(Ok(envelope)) => self.answer(envelope, replies, extensions).await.map(FrameReply::Answer),
            Some(Err(refused)) => Some(FrameReply::Json(Message::Error(refused).to_value())),
            None => self.handle_general_frame(bytes, replies, extensions).await.map(FrameReply::Json),
        }
    }

    /// Any frame but the `tools/call` [`RequestEnvelope::from_call_frame`] decodes.
    async fn handle_general_frame(
        &self,
        bytes: &[u8],
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<Value> {
        match jsonrpc::decode(bytes) {
            Decoded::Invalid(error) => Some(Message::Error(error).to_value()),
            Decoded::Single(Err(error)) => Some(Message::Error(error).to_value()),
            Decoded::Single(Ok(message)) => {
                self.handle(message, replies, extensions).await.map(|m| m.to_value())
            }
            Decoded::Batch(items) => {
                let version = self.protocol_version();
                if !version.allows_batches() {
                    return Some(Message::Error(jsonrpc::batch_refused(None, version.as_str())).to_value());
                }
                let answers = futures_util::future::join_all(items.into_iter().map(|item| {
                    let extensions = extensions.clone();
                    async move {
                        match item {
                            Err(error) => Some(Message::Error(error)),
                            Ok(message) => self.handle(message, replies, extensions).await,
                        }
                    }
                }))
                .await;
                let answers: Vec<Value> = answers.into_iter().flatten().map(|m| m.to_value()).collect();
                (!answers.is_empty()).then_some(Value::Array(answers))
            }
        }
    }

    /// Cancels every request in flight and fails every request waiting on the client: call it
    /// when the connection is gone.
    pub fn close(&self) {
        if let Ok(in_flight) = self.connection.in_flight.lock() {
            for canceller in in_flight.cancellers() {
                canceller.cancel();
            }
        }
        self.connection.fail_pending();
    }

    /// Says that no more input will arrive (stdin reached end of file): requests the server
    /// is waiting on the client for fail at once with
    /// [`ClientRequestError::Disconnected`](crate::ClientRequestError::Disconnected),
    /// `subscriptions/listen` streams end (the client can no longer cancel them), and other
    /// requests already in flight run to completion and still get their responses.
    pub fn end_of_input(&self) {
        self.connection.input_closed.store(true, Ordering::Relaxed);
        let listening: Vec<RequestId> =
            self.connection.listening.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default();
        for id in listening {
            self.cancel(&id);
        }
        self.connection.fail_pending();
    }

    /// Cancels one in-flight request, as `notifications/cancelled` would (for a transport
    /// whose client went away mid-request).
    pub fn cancel(&self, id: &RequestId) {
        if let Ok(in_flight) = self.connection.in_flight.lock()
            && let Some(canceller) = in_flight.get(id)
        {
            canceller.cancel();
        }
    }

    fn handle_notification(&self, notification: Notification) {
        match notification.method.as_str() {
            method::INITIALIZED => self.connection.lock_state().initialized = true,
            method::CANCELLED => {
                let params: Option<CancelledParams> =
                    notification.params.and_then(|p| serde_json::from_value(p).ok());
                if let Some(id) = params.and_then(|p| p.request_id) {
                    tracing::debug!(%id, "client cancelled a request");
                    self.cancel(&id);
                }
            }
            other => tracing::trace!(method = other, "ignored notification"),
        }
    }

    async fn handle_request(
        &self,
        request: Request,
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<Message> {
        match RequestEnvelope::decode(request) {
            Ok(envelope) => self.serve(envelope, replies, extensions).await,
            Err(refused) => Some(Message::Error(refused)),
        }
    }

    /// Serves one decoded request (see [`RequestEnvelope::decode`]) and returns the response
    /// as a [`Message`], or `None` when the client cancelled the request. A transport that
    /// writes the response as JSON calls [`Session::answer`] instead, which skips building
    /// the result as a `Value`.
    ///
    /// ```
    /// use mcp_connector_core::{Extensions, Outbound, Server, jsonrpc::Message};
    /// use mcp_connector_core::request::RequestEnvelope;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let reply = session.serve(envelope, &Outbound::closed(), Extensions::new()).await;
    /// assert!(matches!(reply, Some(Message::Error(_))));
    /// # });
    /// ```
    pub async fn serve(
        &self,
        envelope: RequestEnvelope,
        replies: &Outbound,
        extensions: Extensions,
    ) -> Option<Message> {
        self.answer(envelope, replies, extensions).await.map(Answered::into_message)
    }

    /// Serves one decoded request (see [`RequestEnvelope::decode`]): the entry point for a
    /// transport that decoded it already, to check headers or scopes against it. Returns the
    /// response, ready to be serialised, or `None` when the client cancelled the request.
    ///
    /// ```
    /// use mcp_connector_core::{Extensions, Outbound, Server};
    /// use mcp_connector_core::request::RequestEnvelope;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// let json = serde_json::to_string(&answered).unwrap();
    /// assert!(json.contains(r#""code":-32601"#), "{json}"); // this server has no tools at all
    /// # });
    /// ```
    ///
    /// The set-up (era, input round, context) runs here, at the call; the returned future holds
    /// only what it needs across its awaits. An `async fn` would keep the whole envelope
    /// beside the parts it is taken apart into, for the life of the request, and every move
    /// of the future (a transport boxes it) would copy both. The future borrows nothing (it
    /// holds a handle on the session), so a transport can box it where it calls this, rather
    /// than in a future of its own that makes it on its first poll: that copied every byte of
    /// it once more.
    ///
    /// ```
    /// use mcp_connector_core::{Extensions, Outbound, Server};
    /// use mcp_connector_core::request::RequestEnvelope;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = Server::builder("demo", "1.0").build().unwrap();
    /// let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// // The session may go before its answer: the future needs no borrow of it.
    /// let answering = server.session(Outbound::closed()).answer(envelope, &Outbound::closed(), Extensions::new());
    /// let answered = tokio::spawn(answering).await.unwrap().unwrap();
    /// assert_eq!(answered.error_code(), Some(-32601));
    /// # });
    /// ```
    pub fn answer(
        &self,
        envelope: RequestEnvelope,
        replies: &Outbound,
        extensions: Extensions,
    ) -> impl Future<Output = Option<Answered>> + Send + 'static {
        let RequestEnvelope { id, request, mut facts } = envelope;
        let era = facts.era;
        if !facts.protocol_version.is_supported() {
            let error = McpError::unsupported_protocol_version(facts.protocol_version.as_str());
            return Either::Left(std::future::ready(Some(Answered::error(id, error.into()))));
        }
        if era == Era::Legacy {
            // A legacy request says nothing about itself: what `initialize` negotiated applies.
            let state = self.connection.lock_state();
            facts.protocol_version = state.version.clone().unwrap_or_default();
            facts.client_capabilities = state.capabilities.clone();
            facts.client_info = state.client_info.clone();
        }
        let method = request.method();
        let input = if era.may_require_input(method) {
            match self.input_round(&request, &facts.input, &extensions) {
                Ok(round) => Some(round),
                Err(error) => {
                    return Either::Left(std::future::ready(Some(Answered::error(
                        id,
                        era.finish_error(error).into(),
                    ))));
                }
            }
        } else {
            None
        };
        // The spec forbids cancelling `initialize`, so it is never registered as cancellable.
        let cancellable = method != method::INITIALIZE;
        let listens = matches!(request, ClientRequest::Listen(_));
        // Decided now, while the method is at hand: the request itself goes to its handler.
        let finish = era.result_finish(method);
        // Field names after OpenTelemetry's semantic conventions for MCP (`jsonrpc.request.id`,
        // `mcp.method.name`, `gen_ai.tool.name`).
        let span = tracing::info_span!(
            "mcp.request",
            jsonrpc.request.id = %id,
            mcp.method.name = %method,
            gen_ai.tool.name = tracing::field::Empty
        );
        let context = Context::new(ContextInner {
            request_id: id.clone(),
            facts,
            connection: self.connection.clone(),
            replies: replies.clone(),
            cancel: super::context::CancelSignal::new(),
            extensions,
            last_progress: Mutex::new(None),
            input,
            task: Default::default(),
        });
        // Owned, not borrowed, so that the future is the transport's to box (see above).
        let this = self.clone();
        Either::Right(async move {
            let started = super::LogClock::start();
            // Registered when first polled, as the request starts to run: it borrows the id.
            let registered = Registered::new(&this.connection, &id, &context, cancellable, listens);
            let input = context.input_round();
            let asked = async {
                match input {
                    Some(round) => round.needed().await,
                    None => std::future::pending().await,
                }
            };
            let outcome = {
                // Pinned where it is made, and wrapped by reference: wrapped by value (in
                // `catch_unwind`, `instrument`, the `select!`), this large future would be copied
                // whole at each wrapping, on every request. Dropped at the end of this block, as
                // the `select!` drops the futures it owns.
                let dispatch = std::pin::pin!(this.dispatch(request, context.clone()));
                let work = AssertUnwindSafe(dispatch).catch_unwind().instrument(span.clone());
                tokio::select! {
                    biased;
                    _ = context.cancel_signal().cancelled() => None,
                    result = work => Some(result),
                    // The handler asked for input the request does not carry; it was polled just
                    // now (bias), so every ask it made concurrently is recorded too.
                    _ = asked => Some(Ok(this.input_required(input))),
                }
            };
            drop(registered);
            let _enter = span.enter();
            let result = match outcome {
                None => {
                    tracing::info!(elapsed_ms = started.elapsed_ms(), "cancelled; no response sent");
                    return None;
                }
                Some(Ok(result)) => result,
                Some(Err(panic)) => {
                    tracing::error!(panic = panic_message(&panic), "handler panicked");
                    Err(McpError::internal("the server hit an internal error while handling this request"))
                }
            };
            let elapsed_ms = started.elapsed_ms();
            Some(match result {
                Ok(Answer { body, cache }) => {
                    tracing::info!(elapsed_ms, "ok");
                    Answered::result(id, Finished::new(body, finish, &this.connection.server, cache))
                }
                Err(error) => {
                    tracing::info!(elapsed_ms, code = error.code, "error");
                    Answered::error(id, era.finish_error(error).into())
                }
            })
        })
    }

    /// The input round of a modern request that may answer `input_required`: the answers its
    /// `requestState` (verified) and `inputResponses` carry.
    fn input_round(
        &self,
        request: &ClientRequest,
        carried: &crate::request::InputCarried,
        extensions: &Extensions,
    ) -> Result<mrtr::InputRound, McpError> {
        let principal = extensions.get::<crate::auth::Claims>().and_then(|c| c.subject.clone());
        let target = request.name().unwrap_or_default();
        let prompt_arguments: Option<Map<String, Value>>;
        let arguments = match request {
            ClientRequest::GetPrompt(params) => {
                prompt_arguments = params
                    .arguments
                    .as_ref()
                    .map(|a| a.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect());
                prompt_arguments.as_ref()
            }
            other => other.tool_arguments(),
        };
        let binding = match (request, carried.arguments_text.as_deref()) {
            // The frame reader's text of the arguments the handler's map was read from: copied
            // now, written canonically only if a state is sealed or opened (see `Binding`).
            (ClientRequest::CallTool(_), Some(text)) => {
                mrtr::Binding::with_text(request.method(), target, text, principal)
            }
            _ => mrtr::Binding::new(request.method(), target, arguments, principal),
        };
        mrtr::InputRound::start(self.connection.server.request_state(), binding, carried)
    }

    fn input_required(&self, round: Option<&mrtr::InputRound>) -> Result<Answer, McpError> {
        let Some(round) = round else {
            return Err(McpError::internal("input was asked for outside an input round"));
        };
        Answer::of(round.input_required(self.connection.server.request_state())?)
    }

    /// Whether the server serves `method` to this request: it exists in the request's era and
    /// the server declared the capability it belongs to. `-32601` (or the era's own refusal)
    /// otherwise, before the params are looked at.
    fn check_served(&self, request: &ClientRequest, ctx: &Context) -> Result<(), McpError> {
        let method = request.method();
        let era = ctx.era();
        if !era.has_method(method) {
            return Err(era.refuse_method(method));
        }
        let caps = self.connection.server.capabilities();
        let declared = match method {
            method::TOOLS_LIST | method::TOOLS_CALL => caps.tools.is_some(),
            method::RESOURCES_LIST
            | method::RESOURCE_TEMPLATES_LIST
            | method::RESOURCES_READ
            | method::RESOURCES_SUBSCRIBE
            | method::RESOURCES_UNSUBSCRIBE => caps.resources.is_some(),
            method::PROMPTS_LIST | method::PROMPTS_GET => caps.prompts.is_some(),
            method::COMPLETE => caps.completions.is_some(),
            // Tasks extension (SEP-2663): only where the server offers it, in the modern era.
            crate::protocol::task_method::GET
            | crate::protocol::task_method::UPDATE
            | crate::protocol::task_method::CANCEL => tasks::serves(&self.connection.server, ctx),
            _ => true,
        };
        if declared { Ok(()) } else { Err(McpError::method_not_found(method)) }
    }

    /// Runs one request's method.
    ///
    /// Methods with large futures (tasks, `subscriptions/listen`, a call that may become a task,
    /// a call the auth layer guards, `prompts/get`, `completion/complete`) are boxed: this
    /// future is as large as its largest arm, and it is built and moved on every request (see
    /// `examples/bench`), so an arm inlined here would cost every request its size, where its
    /// box costs only the request that takes it an allocation (of at most 600 bytes, which
    /// the allocator serves from its per-thread cache). The largest arm is then a plain
    /// `tools/call`'s, and the answer's future, in which this one is pinned, stays under the
    /// 1,032 bytes glibc serves from that cache (see `Session::answer`).
    ///
    /// Not an `async fn`: an `async fn`'s future keeps its arguments twice, as they came in and
    /// as the body's locals (the request's 144 bytes and the context's 24), where an `async
    /// move` block keeps what it captures once.
    // Written out on purpose (see above): the `async fn` clippy suggests is the larger future.
    #[allow(clippy::manual_async_fn)]
    fn dispatch(
        &self,
        request: ClientRequest,
        ctx: Context,
    ) -> impl Future<Output = Result<Answer, McpError>> + Send + '_ {
        async move {
            self.check_served(&request, &ctx)?;
            let server = &self.connection.server;
            match request {
                ClientRequest::Initialize(params) => Answer::of(self.initialize(*params)),
                ClientRequest::Discover => {
                    Answer::of(era::discover(server.capabilities(), server.instructions()))
                }
                ClientRequest::Listen(params) => {
                    tasks::check_listen(server, &params, &ctx)?;
                    Ok(Answer::value(
                        Box::pin(subscriptions::listen(server, params.notifications, ctx)).await,
                    ))
                }
                ClientRequest::Ping => Answer::empty(),
                ClientRequest::ListTools(params) => {
                    let tools = server.tools();
                    let Some(guard) = ctx.extensions().get::<Arc<dyn crate::auth::ToolGuard>>() else {
                        // Nobody adjusts the definitions: the answer writes the ones serialised at
                        // registration.
                        let (tools, next_cursor) =
                            list_page(&tools, &params, server.page_size(), Arc::clone)?;
                        return Ok(Answer { body: ResultBody::Tools { tools, next_cursor }, cache: None });
                    };
                    let (tools, next_cursor) = list_page(&tools, &params, server.page_size(), |t| {
                        let mut definition = t.definition.clone();
                        guard.describe(t, &mut definition);
                        definition
                    })?;
                    Answer::of(ListToolsResult { tools, next_cursor, meta: None })
                }
                ClientRequest::CallTool(params) => {
                    // ---- Tasks extension (SEP-2663): a task-capable tool may answer with a task.
                    // Found once, for the tasks hook and the call (each lookup takes the registry's
                    // lock and an `Arc`).
                    let tool = server.tool(&params.name);
                    if let Some(found) = &tool
                        && let Some(plan) = tasks::plan(server, found, &params, &ctx)?
                    {
                        let session = self.clone();
                        let run = move |ctx| {
                            Box::pin(async move {
                                // The task runs later: the tool as registered then.
                                let tool = session.connection.server.tool(&params.name);
                                session.call_tool(tool, params, ctx).await
                            }) as _
                        };
                        return Ok(Answer::value(Box::pin(tasks::call_tool(plan, ctx, run)).await?));
                    }
                    // ---- end of the tasks hook.
                    // The call's set-up runs here and its run is awaited in this arm, rather than
                    // in a `call_tool` future awaited here: that future was one level more, built
                    // and then copied whole (504 B) twice into this one, on every call.
                    let (tool, arguments, guard) = self.prepare_call(tool, params, &ctx)?;
                    let result = match guard {
                        None => self.run_tool(&tool, arguments, ctx).await?,
                        // Boxed: its future (the run's and the guard's) was the largest arm here.
                        Some(guard) => Box::pin(self.guarded_call(&*guard, &tool, arguments, ctx)).await?,
                    };
                    Ok(Answer { body: ResultBody::Tool(result), cache: None })
                }
                ClientRequest::ListResources(params) => {
                    let resources = server.resources_snapshot();
                    let concrete: Vec<_> = resources
                        .iter()
                        .filter_map(|r| match &r.kind {
                            ResourceKind::Concrete(d) => Some(d),
                            ResourceKind::Template(..) => None,
                        })
                        .collect();
                    let (resources, next_cursor) =
                        list_page(&concrete, &params, server.page_size(), |d| (*d).clone())?;
                    Answer::of(ListResourcesResult { resources, next_cursor, meta: None })
                }
                ClientRequest::ListResourceTemplates(params) => {
                    let resources = server.resources_snapshot();
                    let templates: Vec<_> = resources
                        .iter()
                        .filter_map(|r| match &r.kind {
                            ResourceKind::Template(d, _) => Some(d),
                            ResourceKind::Concrete(_) => None,
                        })
                        .collect();
                    let (resource_templates, next_cursor) =
                        list_page(&templates, &params, server.page_size(), |d| (*d).clone())?;
                    Answer::of(ListResourceTemplatesResult { resource_templates, next_cursor, meta: None })
                }
                ClientRequest::ReadResource(params) => {
                    let (result, cache) = self.read_resource(params, ctx).await?;
                    Ok(Answer { cache, ..Answer::of(result)? })
                }
                ClientRequest::Subscribe(params) => {
                    self.connection.lock_state().subscriptions.insert(params.uri);
                    Answer::empty()
                }
                ClientRequest::Unsubscribe(params) => {
                    self.connection.lock_state().subscriptions.remove(&params.uri);
                    Answer::empty()
                }
                ClientRequest::ListPrompts(params) => {
                    let (prompts, next_cursor) =
                        list_page(&server.prompts(), &params, server.page_size(), |p| p.definition.clone())?;
                    Answer::of(ListPromptsResult { prompts, next_cursor, meta: None })
                }
                ClientRequest::GetPrompt(params) => Answer::of(Box::pin(self.get_prompt(params, ctx)).await?),
                ClientRequest::Complete(params) => Answer::of(Box::pin(self.complete(params)).await?),
                ClientRequest::SetLevel(params) => {
                    self.connection.lock_state().log_level = Some(params.level);
                    Answer::empty()
                }
                ClientRequest::GetTask(params) => {
                    Ok(Answer::value(Box::pin(tasks::get(server, params, &ctx)).await?))
                }
                ClientRequest::UpdateTask(params) => {
                    Ok(Answer::value(Box::pin(tasks::update(server, params, &ctx)).await?))
                }
                ClientRequest::CancelTask(params) => {
                    Ok(Answer::value(Box::pin(tasks::cancel(server, params, &ctx)).await?))
                }
                ClientRequest::Malformed { error, .. } => Err(error),
                ClientRequest::Unknown(method) => Err(McpError::method_not_found(&method)),
            }
        }
    }

    fn initialize(&self, params: InitializeParams) -> InitializeResult {
        let version = ProtocolVersion::negotiate(&params.protocol_version);
        {
            let mut state = self.connection.lock_state();
            state.version = Some(version.clone());
            state.capabilities = Arc::new(params.capabilities);
            state.client_info = Some(Arc::new(params.client_info));
        }
        let server = &self.connection.server;
        InitializeResult {
            protocol_version: version,
            capabilities: tasks::legacy_capabilities(server.capabilities()),
            server_info: server.info().clone(),
            instructions: server.instructions().map(str::to_owned),
            meta: None,
        }
    }

    async fn get_prompt(
        &self,
        params: GetPromptParams,
        ctx: Context,
    ) -> Result<crate::protocol::GetPromptResult, McpError> {
        let prompt = self
            .connection
            .server
            .prompt(&params.name)
            .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", params.name)))?;
        let arguments = params.arguments.unwrap_or_default();
        let missing: Vec<&str> = prompt
            .definition
            .arguments
            .iter()
            .flatten()
            .filter(|a| a.required == Some(true) && !arguments.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(McpError::invalid_params(format!(
                "Prompt `{}` is missing required argument(s): {}",
                params.name,
                missing.join(", ")
            )));
        }
        prompt.handler.get(ctx, arguments).await
    }

    /// A `tools/call` run later, as a task: [`Session::dispatch`] runs a plain call itself.
    /// `tool` is the server's tool of the call's name, when it has one.
    async fn call_tool(
        &self,
        tool: Option<Arc<super::Tool>>,
        params: CallToolParams,
        ctx: Context,
    ) -> Result<CallToolResult, McpError> {
        let (tool, arguments, guard) = self.prepare_call(tool, params, &ctx)?;
        match guard {
            None => self.run_tool(&tool, arguments, ctx).await,
            Some(guard) => self.guarded_call(&*guard, &tool, arguments, ctx).await,
        }
    }

    /// What a `tools/call` needs from its params: the tool (an unknown one is an error), the
    /// arguments, and the transport's auth layer when it has one. Call it where the current
    /// span is the request's: it names the tool there.
    #[allow(clippy::type_complexity)]
    fn prepare_call(
        &self,
        tool: Option<Arc<super::Tool>>,
        params: CallToolParams,
        ctx: &Context,
    ) -> Result<(Arc<super::Tool>, Map<String, Value>, Option<Arc<dyn crate::auth::ToolGuard>>), McpError>
    {
        let CallToolParams { name, arguments, .. } = params;
        let Some(tool) = tool else {
            return Err(McpError::invalid_params(format!("Unknown tool: {name}")));
        };
        tracing::Span::current().record("gen_ai.tool.name", tool.name());
        let guard = ctx.extensions().get::<Arc<dyn crate::auth::ToolGuard>>().cloned();
        Ok((tool, arguments.unwrap_or_default(), guard))
    }

    /// A `tools/call` the transport's auth layer (per-tool scopes, audit) runs around, before
    /// the arguments are even validated.
    async fn guarded_call(
        &self,
        guard: &dyn crate::auth::ToolGuard,
        tool: &super::Tool,
        arguments: Map<String, Value>,
        ctx: Context,
    ) -> Result<CallToolResult, McpError> {
        let started = std::time::Instant::now();
        let result = match guard.before(tool, &ctx, &arguments) {
            Ok(()) => self.run_tool(tool, arguments.clone(), ctx.clone()).await?,
            Err(refused) => refused.into_result(),
        };
        guard.after(tool, &ctx, &arguments, &result, started.elapsed());
        Ok(result)
    }

    /// Runs a plain call's handler: validation, safe writes, the tool's timeout, panics caught.
    ///
    /// Not an `async fn`, for the reason [`Session::dispatch`] gives; the timeout's timer is
    /// boxed, as only tools that declare one pay for it.
    // Written out on purpose (see above): the `async fn` clippy suggests is the larger future.
    #[allow(clippy::manual_async_fn)]
    fn run_tool<'a>(
        &'a self,
        tool: &'a super::Tool,
        arguments: Map<String, Value>,
        ctx: Context,
    ) -> impl Future<Output = Result<CallToolResult, McpError>> + Send + 'a {
        async move {
            // 2025-11-25 (server/tools, "Error Handling"): input validation errors are tool
            // execution errors, so the model sees them and can correct its call.
            let (arguments, checked) = validate_object(&tool.schemas.input, arguments);
            if let Err(violations) = checked {
                let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
                return Ok(CallToolResult::error(format!(
                    "Invalid arguments for tool `{}`: {}",
                    tool.name(),
                    list.join("; ")
                )));
            }
            let task = ctx.task_slot().get().cloned();
            // Safe writes (`server/safe.rs`): replays, idempotency keys, confirmation; a per-tool
            // timeout bounds all of it.
            // Cancelled when the call times out, for work the handler spawned beyond its future.
            // A handle on the context: only a call with a timeout needs it, and it is one atomic
            // count.
            let on_timeout = tool.timeout.is_some().then(|| ctx.clone());
            let handler = AssertUnwindSafe(super::safe::call(tool, ctx, arguments)).catch_unwind();
            let run = match tool.timeout {
                // A call that may become a task is long work by design: no timeout.
                Some(limit) if task.is_none() => match Box::pin(tokio::time::timeout(limit, handler)).await {
                    Ok(run) => run,
                    Err(_) => {
                        tracing::warn!(
                            tool = tool.name(),
                            timeout_ms = limit.as_millis() as u64,
                            "tool call timed out; its handler was stopped"
                        );
                        // The answer below is returned in this same poll of the request's future,
                        // so it still goes out: `serve` only drops a request cancelled while it
                        // waits.
                        if let Some(ctx) = &on_timeout {
                            ctx.cancel_signal().cancel();
                        }
                        return Ok(CallToolResult::error(format!(
                            "The tool `{}` did not finish within {} and was stopped. Try again with a narrower request, or later if the service it depends on is slow.",
                            tool.name(),
                            human(limit)
                        )));
                    }
                },
                _ => handler.await,
            };
            let result = match run {
                Ok(Ok(result)) => result,
                Ok(Err(error)) => {
                    tracing::info!(tool = tool.name(), error = %error, "tool returned an error");
                    return Ok(error.into_result());
                }
                Err(panic) => {
                    tracing::error!(
                        tool = tool.name(),
                        panic = panic_message(&panic),
                        "tool handler panicked"
                    );
                    // Tasks extension: a task that crashed failed with a JSON-RPC error (SEP-2663).
                    if task.is_some_and(|t| t.has_started()) {
                        return Err(McpError::internal("the tool failed with an internal error"));
                    }
                    return Ok(CallToolResult::error(format!(
                        "The tool `{}` failed with an internal error; the server is still running. Retrying with the same arguments will likely fail the same way.",
                        tool.name()
                    )));
                }
            };
            Ok(check_output(tool, result))
        }
    }

    /// Not an `async fn`, for the reason [`Session::dispatch`] gives.
    // Written out on purpose (see above): the `async fn` clippy suggests is the larger future.
    #[allow(clippy::manual_async_fn)]
    fn read_resource(
        &self,
        params: ResourceParams,
        ctx: Context,
    ) -> impl Future<Output = Result<(ReadResourceResult, Option<crate::protocol::CacheHint>), McpError>> + Send + '_
    {
        async move {
            let resources = self.connection.server.resources_snapshot();
            // Concrete resources win over templates that happen to match the same URI.
            let found = resources
                .iter()
                .filter(|r| !r.is_template())
                .chain(resources.iter().filter(|r| r.is_template()))
                .find_map(|r| r.matches(&params.uri).map(|vars| (r, vars)));
            let Some((resource, variables)) = found else {
                return Err(McpError::resource_not_found(&params.uri));
            };
            let request = super::ResourceRequest { uri: params.uri, variables };
            let mut contents = resource.handler.read(ctx, request).await?;
            if let Some(ui) = &resource.ui {
                ui.finish_contents(&mut contents);
            }
            Ok((ReadResourceResult { contents, meta: None }, resource.cache))
        }
    }

    async fn complete(&self, params: CompleteParams) -> Result<CompleteResult, McpError> {
        let completer = match &params.reference {
            CompletionReference::Prompt { name } => {
                let prompt = self
                    .connection
                    .server
                    .prompt(name)
                    .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {name}")))?;
                prompt.completers.get(&params.argument.name).cloned()
            }
            CompletionReference::Resource { uri } => {
                let resources = self.connection.server.resources_snapshot();
                let template = resources
                    .iter()
                    .find(|r| r.is_template() && r.uri() == uri)
                    .ok_or_else(|| McpError::invalid_params(format!("Unknown resource template: {uri}")))?;
                template.completers.get(&params.argument.name).cloned()
            }
        };
        let Some(completer) = completer else {
            return Ok(CompleteResult {
                completion: Completion { values: vec![], total: Some(0), has_more: Some(false) },
                meta: None,
            });
        };
        let request = CompletionRequest {
            argument: params.argument.name,
            value: params.argument.value,
            context: params.context.map(|c| c.arguments).unwrap_or_default(),
        };
        let values = completer.complete(request).await?;
        Ok(CompleteResult { completion: Completion::from_values(values), meta: None })
    }
}

/// One page of a `*/list` result: the items on the page, made into their definitions (only
/// the page's are copied), and the cursor of the next page.
fn list_page<T, D>(
    items: &[T],
    params: &PaginatedParams,
    page_size: usize,
    define: impl Fn(&T) -> D,
) -> Result<(Vec<D>, Option<String>), McpError> {
    let (range, next_cursor) = page(items.len(), params.cursor.as_deref(), page_size)?;
    Ok((items[range].iter().map(define).collect(), next_cursor))
}

/// A tool with an output schema must return `structuredContent` that matches it
/// (2025-11-25, server/tools, "Output Schema"). A handler that breaks that promise is a
/// server bug; the client gets an error result rather than data that lies about its shape.
fn check_output(tool: &super::Tool, mut result: CallToolResult) -> CallToolResult {
    let Some(schema) = &tool.schemas.output else {
        return result;
    };
    if result.failed() {
        return result;
    }
    let Some(structured) = result.structured_content.take() else {
        tracing::error!(
            tool = tool.name(),
            "tool declares an outputSchema but returned no structuredContent"
        );
        return CallToolResult::error(format!(
            "The tool `{}` produced no structured result although it declares an output schema; this is a bug in the server.",
            tool.name()
        ));
    };
    let (structured, checked) = validate_object(schema, structured);
    result.structured_content = Some(structured);
    if let Err(violations) = checked {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        tracing::error!(tool = tool.name(), violations = %list.join("; "), "structuredContent does not match outputSchema");
        return CallToolResult::error(format!(
            "The tool `{}` produced a result that does not match its output schema ({}); this is a bug in the server.",
            tool.name(),
            list.join("; ")
        ));
    }
    result
}

/// Validates an object against a schema without copying it: the validator reads a `Value`,
/// so the map is moved in and handed back.
fn validate_object(
    schema: &crate::schema::validate::Compiled,
    object: Map<String, Value>,
) -> (Map<String, Value>, Result<(), Vec<crate::schema::validate::Violation>>) {
    let value = Value::Object(object);
    let checked = schema.validate(&value);
    match value {
        Value::Object(object) => (object, checked),
        _ => (Map::new(), checked),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".into())
}

/// A duration as a person writes it in a message: `250 ms`, `30 s`, `1.5 s`.
fn human(duration: std::time::Duration) -> String {
    if duration < std::time::Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tool;
    use std::future::Future;
    use std::task::{Context as TaskContext, Poll, Waker};
    use tokio_util::sync::CancellationToken;

    /// A transport may drop a request's future half-way (the HTTP client went away while it
    /// waited for a JSON answer); the request must not stay in the connection's books.
    #[test]
    fn a_request_dropped_half_way_leaves_no_in_flight_entry() {
        let server = Server::builder("s", "1")
            .tool(Tool::read("wait").handler(|_ctx, _args| std::future::pending()))
            .build()
            .unwrap();
        let (notifications, _rx) = Outbound::channel();
        let session = server.session(notifications.clone());
        let call = Message::request(7, "tools/call", Some(serde_json::json!({"name": "wait"})));
        let handles = Arc::strong_count(&session.connection);
        let mut future = Box::pin(session.handle(call, &notifications, Extensions::new()));
        let mut cx = TaskContext::from_waker(Waker::noop());
        assert!(matches!(future.as_mut().poll(&mut cx), Poll::Pending));
        assert_eq!(session.connection.in_flight.lock().unwrap().len(), 1, "registered while it runs");
        drop(future);
        assert!(session.connection.in_flight.lock().unwrap().is_empty(), "gone with its future");
        // The entry held the request's context, which holds the connection: nothing is left.
        assert_eq!(Arc::strong_count(&session.connection), handles, "no handle left behind");
    }

    /// The answer's future is boxed by the HTTP transport on every request. Past 1,032 bytes,
    /// glibc no longer serves a block from its per-thread cache but from its bins, and
    /// consolidates its fast bins first: each request paid that twice (allocating and freeing,
    /// ~600 instructions in the callgrind profile of `examples/bench/instructions.sh`). What
    /// keeps it under: `dispatch`, `run_tool` and `read_resource` written as `async move`
    /// blocks, and the largest rare arms of `dispatch` boxed. A new arm or a larger local that
    /// breaks this should be boxed too.
    #[test]
    fn the_answer_future_fits_the_allocators_thread_cache() {
        let server = Server::builder("s", "1")
            .tool(Tool::read("echo").handler(|_ctx, _args| async { Ok(CallToolResult::text("x")) }))
            .build()
            .unwrap();
        let session = server.session(Outbound::closed());
        let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#;
        let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
        let answering = session.answer(envelope, &Outbound::closed(), Extensions::new());
        let size = std::mem::size_of_val(&answering);
        assert!(size <= 1032, "the answer's future is {size} bytes; keep it within 1,032");
    }

    /// A session with one tool that parks forever and hands out the cancellation token it took.
    fn parking_session(
        seen: Arc<Mutex<Vec<CancellationToken>>>,
    ) -> (Session, Outbound, tokio::sync::mpsc::UnboundedReceiver<Message>) {
        let server = Server::builder("s", "1")
            .tool(Tool::read("park").handler(move |ctx: Context, args: Map<String, Value>| {
                let seen = seen.clone();
                async move {
                    let token = ctx.cancellation();
                    if args.get("cancel_itself") == Some(&Value::Bool(true)) {
                        token.cancel();
                    }
                    seen.lock().unwrap().push(token);
                    ctx.notify("test/parked", None);
                    std::future::pending().await
                }
            }))
            .build()
            .unwrap();
        let (notifications, rx) = Outbound::channel();
        let session = server.session(notifications.clone());
        (session, notifications, rx)
    }

    /// `notifications/cancelled` for a request whose handler waits: no response, and the token
    /// the handler took (made on demand) is cancelled; the entry and its handle are gone.
    #[tokio::test]
    async fn a_cancel_by_id_ends_a_waiting_request_and_its_token() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (session, out, mut rx) = parking_session(seen.clone());
        let handles = Arc::strong_count(&session.connection);
        let call = Message::request(3, "tools/call", Some(serde_json::json!({"name": "park"})));
        let running = tokio::spawn({
            let (session, out) = (session.clone(), out.clone());
            async move { session.handle(call, &out, Extensions::new()).await }
        });
        rx.recv().await.expect("the handler runs");
        let cancel = serde_json::json!({"requestId": 3});
        session.handle(Message::notification(method::CANCELLED, Some(cancel)), &out, Extensions::new()).await;
        assert_eq!(running.await.unwrap(), None, "no response for a cancelled request");
        assert!(seen.lock().unwrap()[0].is_cancelled(), "the handler's token");
        assert!(session.connection.in_flight.lock().unwrap().is_empty());
        assert_eq!(Arc::strong_count(&session.connection), handles, "no handle left behind");
    }

    /// A handler that cancels its own token ends its request, as it did when that token was
    /// the request's only signal.
    #[tokio::test]
    async fn a_handler_that_cancels_its_token_ends_its_request() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (session, out, _rx) = parking_session(seen.clone());
        let call = Message::request(
            4,
            "tools/call",
            Some(serde_json::json!({"name": "park", "arguments": {"cancel_itself": true}})),
        );
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            session.handle(call, &out, Extensions::new()),
        )
        .await
        .expect("ends at once");
        assert_eq!(answer, None);
    }

    /// `Session::close` cancels every request in flight, the first (kept in place) and the
    /// others (in the map).
    #[tokio::test]
    async fn closing_the_session_cancels_every_request() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (session, out, mut rx) = parking_session(seen.clone());
        let running: Vec<_> = (0..3)
            .map(|id| {
                let call = Message::request(id, "tools/call", Some(serde_json::json!({"name": "park"})));
                let (session, out) = (session.clone(), out.clone());
                tokio::spawn(async move { session.handle(call, &out, Extensions::new()).await })
            })
            .collect();
        for _ in 0..3 {
            rx.recv().await.expect("each handler runs");
        }
        session.close();
        for request in running {
            assert_eq!(request.await.unwrap(), None);
        }
        assert!(seen.lock().unwrap().iter().all(CancellationToken::is_cancelled));
        assert!(session.connection.in_flight.lock().unwrap().is_empty());
    }

    /// Stateless HTTP and 2026-07-28 requests get a session whose notifications go nowhere:
    /// it is not registered for server-wide notifications (no lock on the registry).
    #[test]
    fn a_session_nobody_can_notify_is_not_registered() {
        let server = Server::builder("s", "1").build().unwrap();
        let (closed, _) = Outbound::channel();
        let _ephemeral = server.session(closed);
        let _nowhere = server.session(Outbound::closed());
        assert_eq!(server.inner.sessions.lock().unwrap().len(), 0);
        let (open, _rx) = Outbound::channel();
        let _listening = server.session(open);
        assert_eq!(server.inner.sessions.lock().unwrap().len(), 1);
    }
}
