//! One connection's state and the dispatch of its messages to the server's handlers.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::context::ContextInner;
use super::pagination::page;
use super::resource::ResourceKind;
use super::{CompletionRequest, Context, Extensions, Outbound, Server};
use super::{modern, mrtr, subscriptions, tasks};
use crate::error::{ClientRequestError, McpError};
use crate::jsonrpc::{self, Decoded, ErrorObject, Message, Notification, Request, RequestId, code};
use crate::protocol::{
    CallToolParams, CallToolResult, CancelledParams, ClientCapabilities, CompleteParams, CompleteResult,
    Completion, CompletionReference, GetPromptParams, Implementation, InitializeParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedParams, ProtocolVersion, ReadResourceResult, ResourceParams, SetLevelParams,
    SubscriptionsListenParams, method,
};

/// The state of one connection, and the entry point transports feed messages into.
///
/// Cheap to clone; clones share the state. Feed each incoming message to [`Session::handle`]
/// (or raw bytes to [`Session::handle_frame`]) from its own task, so slow requests do not hold
/// up others: the session is built for concurrent use.
///
/// ```
/// use mcp_core::{Server, Outbound, Extensions, jsonrpc::Message};
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
    shared: Arc<SessionShared>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("protocol_version", &self.shared.protocol_version())
            .finish_non_exhaustive()
    }
}

pub(crate) struct SessionShared {
    server: Server,
    state: Mutex<SessionState>,
    in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    /// The in-flight `subscriptions/listen` requests: they never finish on their own, so the
    /// end of input ends them.
    listening: Mutex<HashSet<RequestId>>,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
    next_request_id: AtomicI64,
    notifications: Outbound,
    input_closed: AtomicBool,
}

#[derive(Default)]
struct SessionState {
    version: Option<ProtocolVersion>,
    capabilities: ClientCapabilities,
    client_info: Option<Implementation>,
    initialized: bool,
    log_level: Option<LoggingLevel>,
    subscriptions: HashSet<String>,
}

impl Session {
    pub(crate) fn new(server: Server, notifications: Outbound) -> Self {
        Session {
            shared: Arc::new(SessionShared {
                server,
                state: Mutex::new(SessionState::default()),
                in_flight: Mutex::new(HashMap::new()),
                listening: Mutex::new(HashSet::new()),
                pending: Mutex::new(HashMap::new()),
                next_request_id: AtomicI64::new(0),
                notifications,
                input_closed: AtomicBool::new(false),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<SessionShared> {
        &self.shared
    }

    /// The server this session serves.
    pub fn server(&self) -> &Server {
        &self.shared.server
    }

    /// The negotiated protocol version; before `initialize`, the one the transport assumed
    /// (see [`Session::assume_protocol_version`]) or the newest.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.shared.protocol_version()
    }

    /// Whether `initialize` has been answered on this session.
    pub fn is_initialized(&self) -> bool {
        self.shared.lock_state().version.is_some()
    }

    /// Sets the version for a session that will see no `initialize` (a stateless HTTP request
    /// carries it in its `MCP-Protocol-Version` header instead), with the client capabilities
    /// to assume.
    pub fn assume_protocol_version(&self, version: ProtocolVersion, capabilities: ClientCapabilities) {
        let mut state = self.shared.lock_state();
        state.version = Some(version);
        state.capabilities = capabilities;
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
                self.shared.complete_pending(&response.id, Ok(response.result));
                None
            }
            Message::Error(error) => {
                match error.id {
                    Some(id) => self.shared.complete_pending(&id, Err(error.error)),
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
        match jsonrpc::decode(bytes) {
            Decoded::Invalid(error) => Some(Message::Error(error).to_value()),
            Decoded::Single(Err(error)) => Some(Message::Error(error).to_value()),
            Decoded::Single(Ok(message)) => {
                self.handle(message, replies, extensions).await.map(|m| m.to_value())
            }
            Decoded::Batch(items) => {
                let version = self.protocol_version();
                if !version.allows_batches() {
                    let error = ErrorObject::new(
                        code::INVALID_REQUEST,
                        format!(
                            "Invalid Request: JSON-RPC batches are not supported in protocol version {version}; send one message at a time"
                        ),
                    );
                    return Some(Message::error(None, error).to_value());
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
        if let Ok(in_flight) = self.shared.in_flight.lock() {
            for token in in_flight.values() {
                token.cancel();
            }
        }
        if let Ok(mut pending) = self.shared.pending.lock() {
            pending.clear();
        }
    }

    /// Says that no more input will arrive (stdin reached end of file): requests the server
    /// is waiting on the client for fail at once with [`ClientRequestError::Disconnected`],
    /// `subscriptions/listen` streams end (the client can no longer cancel them), and other
    /// requests already in flight run to completion and still get their responses.
    pub fn end_of_input(&self) {
        self.shared.input_closed.store(true, Ordering::Relaxed);
        let listening: Vec<RequestId> =
            self.shared.listening.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default();
        for id in listening {
            self.cancel(&id);
        }
        if let Ok(mut pending) = self.shared.pending.lock() {
            pending.clear();
        }
    }

    /// Cancels one in-flight request, as `notifications/cancelled` would (for a transport
    /// whose client went away mid-request).
    pub fn cancel(&self, id: &RequestId) {
        if let Some(token) = self.shared.in_flight.lock().ok().and_then(|m| m.get(id).cloned()) {
            token.cancel();
        }
    }

    fn handle_notification(&self, notification: Notification) {
        match notification.method.as_str() {
            method::INITIALIZED => self.shared.lock_state().initialized = true,
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
        let Request { id, method, params } = request;
        // The era comes from the request itself (2026-07-28 "Versioning and Compatibility": a
        // dual-era server selects its behaviour from how the client opens).
        let modern = match modern::classify(params.as_ref()) {
            Ok(modern) => modern,
            Err(error) => return Some(Message::error(Some(id), error.into())),
        };
        let input = match &modern {
            Some(_) if mrtr::supports_input_required(&method) => {
                match self.input_round(&method, params.as_ref(), &extensions) {
                    Ok(round) => Some(Arc::new(round)),
                    Err(error) => return Some(Message::error(Some(id), modern::finish_error(error).into())),
                }
            }
            _ => None,
        };
        let is_modern = modern.is_some();
        let token = CancellationToken::new();
        // The spec forbids cancelling `initialize`, so it is never registered as cancellable.
        if method != method::INITIALIZE
            && let Ok(mut in_flight) = self.shared.in_flight.lock()
        {
            in_flight.insert(id.clone(), token.clone());
        }
        let listens = method == method::SUBSCRIPTIONS_LISTEN;
        if listens && let Ok(mut listening) = self.shared.listening.lock() {
            listening.insert(id.clone());
            // Input may have ended while this request was on its way here.
            if self.shared.input_closed.load(Ordering::Relaxed) {
                token.cancel();
            }
        }
        let span = tracing::info_span!("mcp.request", %id, method = %method, tool = tracing::field::Empty);
        let started = std::time::Instant::now();
        let input_needed = input.as_ref().map(|round| round.needed());
        let context = Context::new(ContextInner {
            request_id: id.clone(),
            meta: params.as_ref().and_then(|p| p.get("_meta")).and_then(|m| m.as_object()).cloned(),
            session: self.shared.clone(),
            replies: replies.clone(),
            cancel: token.clone(),
            extensions,
            last_progress: Mutex::new(None),
            modern,
            input: input.clone(),
            task: Default::default(),
        });
        let work =
            AssertUnwindSafe(self.dispatch(&method, params, context)).catch_unwind().instrument(span.clone());
        let asked = async {
            match &input_needed {
                Some(needed) => needed.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            biased;
            _ = token.cancelled() => None,
            result = work => Some(result),
            // The handler asked for input the request does not carry; it was polled just now
            // (bias), so every ask it made concurrently is recorded too.
            _ = asked => Some(Ok(self.input_required(input.as_deref()))),
        };
        if let Ok(mut in_flight) = self.shared.in_flight.lock() {
            in_flight.remove(&id);
        }
        if listens && let Ok(mut listening) = self.shared.listening.lock() {
            listening.remove(&id);
        }
        let _enter = span.enter();
        let result = match outcome {
            None => {
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "cancelled; no response sent"
                );
                return None;
            }
            Some(Ok(result)) => result,
            Some(Err(panic)) => {
                tracing::error!(panic = panic_message(&panic), "handler panicked");
                Err(McpError::internal("the server hit an internal error while handling this request"))
            }
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        Some(match result {
            Ok(mut value) => {
                tracing::info!(elapsed_ms, "ok");
                if is_modern {
                    modern::finish_result(&mut value, &method, &self.shared.server);
                }
                Message::response(id, value)
            }
            Err(error) => {
                tracing::info!(elapsed_ms, code = error.code, "error");
                let error = if is_modern { modern::finish_error(error) } else { error };
                Message::error(Some(id), error.into())
            }
        })
    }

    /// The input round of a modern request that may answer `input_required`: the answers its
    /// `requestState` (verified) and `inputResponses` carry.
    fn input_round(
        &self,
        method: &str,
        params: Option<&Value>,
        extensions: &Extensions,
    ) -> Result<mrtr::InputRound, McpError> {
        let target = params
            .and_then(|p| p.get("name").or_else(|| p.get("uri")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let principal = extensions.get::<crate::auth::Claims>().and_then(|c| c.subject.clone());
        let binding = mrtr::Binding::new(method, target, params.and_then(|p| p.get("arguments")), principal);
        mrtr::InputRound::start(self.shared.server.request_state(), binding, params)
    }

    fn input_required(&self, round: Option<&mrtr::InputRound>) -> Result<Value, McpError> {
        let Some(round) = round else {
            return Err(McpError::internal("input was asked for outside an input round"));
        };
        to_value(round.input_required(self.shared.server.request_state())?)
    }

    async fn dispatch(&self, method: &str, params: Option<Value>, ctx: Context) -> Result<Value, McpError> {
        let caps = self.shared.server.capabilities();
        let feature = |enabled: bool| {
            if enabled { Ok(()) } else { Err(McpError::method_not_found(method)) }
        };
        if ctx.is_modern() && modern::is_legacy_only(method) {
            return Err(McpError::method_not_found(method));
        }
        if !ctx.is_modern() && modern::is_modern_only(method) {
            return Err(McpError::invalid_params(format!(
                "Invalid params: `{method}` belongs to protocol {} and later; send `_meta[\"{}\"]` and `_meta[\"{}\"]` with it",
                ProtocolVersion::V2026_07_28,
                crate::protocol::meta::PROTOCOL_VERSION,
                crate::protocol::meta::CLIENT_CAPABILITIES,
            )));
        }
        match method {
            method::INITIALIZE => to_value(self.initialize(parse(params)?)),
            method::DISCOVER => to_value(modern::discover(&self.shared.server)),
            method::SUBSCRIPTIONS_LISTEN => {
                tasks::check_listen(&self.shared.server, params.as_ref(), &ctx)?;
                let p: SubscriptionsListenParams = parse(params)?;
                Ok(subscriptions::listen(&self.shared.server, p.notifications, ctx).await)
            }
            method::PING => Ok(Value::Object(Map::new())),
            method::TOOLS_LIST => {
                feature(caps.tools.is_some())?;
                let p: PaginatedParams = parse_or_default(params)?;
                let guard = ctx.extensions().get::<Arc<dyn crate::auth::ToolGuard>>();
                // Page over the shared tools first, so only the page's definitions are copied.
                let all = self.shared.server.tools();
                let (page_of_tools, next_cursor) =
                    page(&all, p.cursor.as_deref(), self.shared.server.page_size())?;
                let tools = page_of_tools
                    .iter()
                    .map(|t| {
                        let mut definition = t.definition.clone();
                        if let Some(guard) = guard {
                            guard.describe(t, &mut definition);
                        }
                        definition
                    })
                    .collect();
                to_value(ListToolsResult { tools, next_cursor, meta: None })
            }
            method::TOOLS_CALL => {
                feature(caps.tools.is_some())?;
                let params: CallToolParams = parse(params)?;
                // ---- Tasks extension (SEP-2663): a task-capable tool may answer with a task.
                if let Some(plan) = tasks::plan(&self.shared.server, &params, &ctx)? {
                    let session = self.clone();
                    let run = move |ctx| Box::pin(async move { session.call_tool(params, ctx).await }) as _;
                    return tasks::call_tool(plan, ctx, run).await;
                }
                // ---- end of the tasks hook.
                to_value(self.call_tool(params, ctx).await?)
            }
            method::RESOURCES_LIST => {
                feature(caps.resources.is_some())?;
                let p: PaginatedParams = parse_or_default(params)?;
                let defs: Vec<_> = self
                    .shared
                    .server
                    .resources_snapshot()
                    .into_iter()
                    .filter_map(|r| match r.kind {
                        ResourceKind::Concrete(d) => Some(d),
                        ResourceKind::Template(..) => None,
                    })
                    .collect();
                let (resources, next_cursor) =
                    page(&defs, p.cursor.as_deref(), self.shared.server.page_size())?;
                to_value(ListResourcesResult { resources, next_cursor, meta: None })
            }
            method::RESOURCE_TEMPLATES_LIST => {
                feature(caps.resources.is_some())?;
                let p: PaginatedParams = parse_or_default(params)?;
                let defs: Vec<_> = self
                    .shared
                    .server
                    .resources_snapshot()
                    .into_iter()
                    .filter_map(|r| match r.kind {
                        ResourceKind::Template(d, _) => Some(d),
                        ResourceKind::Concrete(_) => None,
                    })
                    .collect();
                let (resource_templates, next_cursor) =
                    page(&defs, p.cursor.as_deref(), self.shared.server.page_size())?;
                to_value(ListResourceTemplatesResult { resource_templates, next_cursor, meta: None })
            }
            method::RESOURCES_READ => {
                feature(caps.resources.is_some())?;
                let modern = ctx.is_modern();
                let (result, hint) = self.read_resource(parse(params)?, ctx).await?;
                let mut value = to_value(result)?;
                if let (true, Some(hint), Value::Object(fields)) = (modern, hint, &mut value) {
                    fields.insert("ttlMs".into(), hint.ttl_ms.into());
                    fields.insert("cacheScope".into(), serde_json::json!(hint.scope));
                }
                Ok(value)
            }
            method::RESOURCES_SUBSCRIBE | method::RESOURCES_UNSUBSCRIBE => {
                feature(caps.resources.is_some())?;
                let p: ResourceParams = parse(params)?;
                let mut state = self.shared.lock_state();
                if method == method::RESOURCES_SUBSCRIBE {
                    state.subscriptions.insert(p.uri);
                } else {
                    state.subscriptions.remove(&p.uri);
                }
                Ok(Value::Object(Map::new()))
            }
            method::PROMPTS_LIST => {
                feature(caps.prompts.is_some())?;
                let p: PaginatedParams = parse_or_default(params)?;
                let defs: Vec<_> = self.shared.server.prompts().into_iter().map(|p| p.definition).collect();
                let (prompts, next_cursor) =
                    page(&defs, p.cursor.as_deref(), self.shared.server.page_size())?;
                to_value(ListPromptsResult { prompts, next_cursor, meta: None })
            }
            method::PROMPTS_GET => {
                feature(caps.prompts.is_some())?;
                let p: GetPromptParams = parse(params)?;
                let prompt = self
                    .shared
                    .server
                    .prompt(&p.name)
                    .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {}", p.name)))?;
                let arguments = p.arguments.unwrap_or_default();
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
                        p.name,
                        missing.join(", ")
                    )));
                }
                to_value(prompt.handler.get(ctx, arguments).await?)
            }
            method::COMPLETE => {
                feature(caps.completions.is_some())?;
                to_value(self.complete(parse(params)?).await?)
            }
            method::SET_LEVEL => {
                let p: SetLevelParams = parse(params)?;
                self.shared.lock_state().log_level = Some(p.level);
                Ok(Value::Object(Map::new()))
            }
            // Tasks extension (SEP-2663): tasks/get, tasks/update, tasks/cancel.
            task if tasks::serves(&self.shared.server, task, &ctx) => {
                tasks::handle(&self.shared.server, task, params, &ctx)
            }
            other => Err(McpError::method_not_found(other)),
        }
    }

    fn initialize(&self, params: InitializeParams) -> InitializeResult {
        let version = ProtocolVersion::negotiate(&params.protocol_version);
        {
            let mut state = self.shared.lock_state();
            state.version = Some(version.clone());
            state.capabilities = params.capabilities;
            state.client_info = Some(params.client_info);
        }
        let server = &self.shared.server;
        InitializeResult {
            protocol_version: version,
            capabilities: tasks::legacy_capabilities(server.capabilities()),
            server_info: server.info().clone(),
            instructions: server.instructions().map(str::to_owned),
            meta: None,
        }
    }

    async fn call_tool(&self, params: CallToolParams, ctx: Context) -> Result<CallToolResult, McpError> {
        let tool = self
            .shared
            .server
            .tool(&params.name)
            .ok_or_else(|| McpError::invalid_params(format!("Unknown tool: {}", params.name)))?;
        tracing::Span::current().record("tool", tool.name());
        let arguments = params.arguments.unwrap_or_default();
        // A transport's auth layer (per-tool scopes, audit) runs around the call, before the
        // arguments are even validated.
        let Some(guard) = ctx.extensions().get::<Arc<dyn crate::auth::ToolGuard>>().cloned() else {
            return self.run_tool(&tool, arguments, ctx).await;
        };
        let started = std::time::Instant::now();
        let result = match guard.before(&tool, &ctx, &arguments) {
            Ok(()) => self.run_tool(&tool, arguments.clone(), ctx.clone()).await?,
            Err(refused) => refused.into_result(),
        };
        guard.after(&tool, &ctx, &arguments, &result, started.elapsed());
        Ok(result)
    }

    async fn run_tool(
        &self,
        tool: &super::Tool,
        arguments: Map<String, Value>,
        ctx: Context,
    ) -> Result<CallToolResult, McpError> {
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
        let run = AssertUnwindSafe(tool.handler.call(ctx, arguments)).catch_unwind().await;
        let result = match run {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => {
                tracing::info!(tool = tool.name(), error = %error, "tool returned an error");
                return Ok(error.into_result());
            }
            Err(panic) => {
                tracing::error!(tool = tool.name(), panic = panic_message(&panic), "tool handler panicked");
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

    async fn read_resource(
        &self,
        params: ResourceParams,
        ctx: Context,
    ) -> Result<(ReadResourceResult, Option<crate::protocol::CacheHint>), McpError> {
        let resources = self.shared.server.resources_snapshot();
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
        let contents = resource.handler.read(ctx, request).await?;
        Ok((ReadResourceResult { contents, meta: None }, resource.cache))
    }

    async fn complete(&self, params: CompleteParams) -> Result<CompleteResult, McpError> {
        let completer = match &params.reference {
            CompletionReference::Prompt { name } => {
                let prompt = self
                    .shared
                    .server
                    .prompt(name)
                    .ok_or_else(|| McpError::invalid_params(format!("Unknown prompt: {name}")))?;
                prompt.completers.get(&params.argument.name).cloned()
            }
            CompletionReference::Resource { uri } => {
                let resources = self.shared.server.resources_snapshot();
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

impl SessionShared {
    fn lock_state(&self) -> std::sync::MutexGuard<'_, SessionState> {
        // A panic while holding this lock cannot leave the state half-written (every write is
        // a single assignment), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn server(&self) -> &Server {
        &self.server
    }

    pub(crate) fn protocol_version(&self) -> ProtocolVersion {
        self.lock_state().version.clone().unwrap_or_default()
    }

    pub(crate) fn client_capabilities(&self) -> ClientCapabilities {
        self.lock_state().capabilities.clone()
    }

    pub(crate) fn client_info(&self) -> Option<Implementation> {
        self.lock_state().client_info.clone()
    }

    pub(crate) fn wants_log(&self, level: LoggingLevel) -> bool {
        self.lock_state().log_level.is_none_or(|min| level >= min)
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        self.lock_state().subscriptions.contains(uri)
    }

    /// Whether server-initiated notifications may be sent (after `initialize`).
    pub(crate) fn is_ready(&self) -> bool {
        let state = self.lock_state();
        state.version.is_some() || state.initialized
    }

    pub(crate) fn notify(&self, message: Message) {
        self.notifications.send(message);
    }

    fn complete_pending(&self, id: &RequestId, result: Result<Value, ErrorObject>) {
        let sender = self.pending.lock().ok().and_then(|mut p| p.remove(id));
        match sender {
            Some(sender) => {
                let _ = sender.send(result);
            }
            None => tracing::warn!(%id, "a response arrived for no request the server sent"),
        }
    }

    pub(crate) async fn request_client(
        &self,
        method: &str,
        params: Value,
        replies: &Outbound,
        cancel: &CancellationToken,
    ) -> Result<Value, ClientRequestError> {
        if self.input_closed.load(Ordering::Relaxed) {
            return Err(ClientRequestError::Disconnected);
        }
        let id = RequestId::from(self.next_request_id.fetch_add(1, Ordering::Relaxed) + 1);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.clone(), tx);
        }
        if !replies.send(Message::request(id.clone(), method, Some(params))) {
            self.forget_pending(&id);
            return Err(ClientRequestError::Disconnected);
        }
        let timeout = self.server.client_request_timeout();
        let outcome = tokio::select! {
            answer = tokio::time::timeout(timeout, rx) => answer,
            _ = cancel.cancelled() => {
                self.forget_pending(&id);
                return Err(ClientRequestError::Disconnected);
            }
        };
        match outcome {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(ClientRequestError::Refused(error)),
            Ok(Err(_)) => Err(ClientRequestError::Disconnected),
            Err(_) => {
                self.forget_pending(&id);
                let params = serde_json::json!({ "requestId": id, "reason": "timed out" });
                replies.send(Message::notification(method::CANCELLED, Some(params)));
                Err(ClientRequestError::Timeout(timeout))
            }
        }
    }

    fn forget_pending(&self, id: &RequestId) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(id);
        }
    }
}

/// Validates an object against a schema without copying it: the validator reads a `Value`,
/// so the map is moved in and handed back.
fn validate_object(
    schema: &Value,
    object: Map<String, Value>,
) -> (Map<String, Value>, Result<(), Vec<crate::schema::validate::Violation>>) {
    let value = Value::Object(object);
    let checked = crate::schema::validate::validate(schema, &value);
    match value {
        Value::Object(object) => (object, checked),
        _ => (Map::new(), checked),
    }
}

fn parse<T: DeserializeOwned>(params: Option<Value>) -> Result<T, McpError> {
    let params = params.unwrap_or(Value::Object(Map::new()));
    serde_json::from_value(params).map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))
}

fn parse_or_default<T: DeserializeOwned + Default>(params: Option<Value>) -> Result<T, McpError> {
    match params {
        None => Ok(T::default()),
        some => parse(some),
    }
}

fn to_value<T: Serialize>(value: T) -> Result<Value, McpError> {
    serde_json::to_value(value).map_err(McpError::internal)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".into())
}
