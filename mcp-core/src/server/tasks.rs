//! The Tasks extension, `io.modelcontextprotocol/tasks` (SEP-2663), on the server: a
//! `tools/call` of a task-capable tool answered with a task handle, the handler running on in
//! the background, and `tasks/get`, `tasks/update` and `tasks/cancel` to follow it.
//!
//! The extension exists in protocol 2026-07-28 only (SEP-2663, "Backward Compatibility": a
//! 2025-11-25 request proceeds as if the client had declared no task capability). A call becomes
//! a task when the tool is declared task-capable ([`TaskSupport`]), the server advertises the
//! extension, and the request's own `clientCapabilities` declares it ("Capability
//! Negotiation"). The task is in the server's store before the handle is returned ("Task
//! Creation": a `tasks/get` for it resolves at once).
//!
//! Inside a task, `ctx.elicit(...)` and the other requests to the client do not stop the
//! handler as a multi round-trip request does: the ask is filed under a key that is never
//! reused in the task, the task turns `input_required` and lists it in `inputRequests`, and the
//! handler waits until `tasks/update` brings the answer ("Task Update Requests").
//!
//! Tasks are bound to the caller: the `sub` of the verified [`Claims`](crate::auth::Claims) the
//! transport attached, when there are any. Another caller asking for the task is told it does
//! not exist, as for an id that was never issued ("Security Implications").

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::task_mirror::{Mirror, TaskCommand, TaskRecord};
use super::{Context, Extensions, Server, Tool};
use crate::era::Era;
use crate::error::{ClientRequestError, McpError};
use crate::jsonrpc::{ErrorObject, code};
use crate::protocol::{
    CallToolParams, CallToolResult, CreateTaskResult, DetailedTask, GetTaskResult, InputRequest, ResultType,
    ServerCapabilities, SubscriptionsListenParams, TASKS_EXTENSION, Task, TaskAck, TaskParams, TaskStatus,
    UpdateTaskParams, task_method,
};

pub use crate::protocol::TaskSupport;

/// What a tool declares about tasks: whether its calls may become tasks, and whether the task
/// starts before the handler runs or when the handler says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TaskDeclaration {
    pub(crate) support: TaskSupport,
    /// The handler runs inside the request until it calls [`Context::start_task`].
    pub(crate) deferred: bool,
}

/// The server's task settings, from [`ServerBuilder`](crate::ServerBuilder).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskSettings {
    pub(crate) ttl: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) max_tasks: usize,
    /// Advertise the extension even with no task-capable tool registered yet.
    pub(crate) force: bool,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings {
            ttl: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            max_tasks: 1024,
            force: false,
        }
    }
}

/// The capabilities to advertise: the extension, with no settings (SEP-2663: "an empty object
/// indicates support"), when any tool is task-capable or the author asked for it.
pub(crate) fn advertise(capabilities: &mut ServerCapabilities, any_task_tool: bool, settings: &TaskSettings) {
    if any_task_tool || settings.force {
        capabilities.extensions.get_or_insert_with(Map::new).insert(TASKS_EXTENSION.into(), json!({}));
    }
}

/// The capabilities for a 2025-11-25 `initialize` result: the extension is not defined in that
/// revision (SEP-2663, "Backward Compatibility"), so it is not advertised there.
pub(crate) fn legacy_capabilities(capabilities: &ServerCapabilities) -> ServerCapabilities {
    let mut capabilities = capabilities.clone();
    if let Some(extensions) = &mut capabilities.extensions {
        extensions.remove(TASKS_EXTENSION);
        if extensions.is_empty() {
            capabilities.extensions = None;
        }
    }
    capabilities
}

/// Whether the server offers the extension at all.
fn advertised(server: &Server) -> bool {
    server.capabilities().extensions.as_ref().is_some_and(|e| e.contains_key(TASKS_EXTENSION))
}

/// `-32021` naming the extension (SEP-2663, "Capability Negotiation" and "Protocol Errors").
fn missing_extension(why: &str) -> McpError {
    McpError::new(
        code::MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!(
            "Missing required client capability: {why}; declare the `{TASKS_EXTENSION}` extension in `_meta[\"io.modelcontextprotocol/clientCapabilities\"].extensions`"
        ),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { TASKS_EXTENSION: {} } } }))
}

/// How a `tools/call` is served.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    declaration: TaskDeclaration,
}

/// Decides whether a `tools/call` may become a task: `Ok(None)` for a plain call, `Err` when the
/// tool requires a task and the request cannot have one.
pub(crate) fn plan(
    server: &Server,
    tool: &Tool,
    params: &CallToolParams,
    ctx: &Context,
) -> Result<Option<Plan>, McpError> {
    let declaration = tool.task;
    if declaration.support == TaskSupport::Forbidden || ctx.era() != Era::Modern || !advertised(server) {
        return Ok(None);
    }
    if !ctx.client_capabilities().supports_extension(TASKS_EXTENSION) {
        // SEP-2663, "Capability Negotiation": MUST NOT return a task to a client that did not
        // include the capability on its request; MUST answer -32021 when the request cannot be
        // served without one.
        return match declaration.support {
            TaskSupport::Required => {
                Err(missing_extension(&format!("the tool `{}` runs only as a task", tool.name())))
            }
            _ => Ok(None),
        };
    }
    // Arguments that do not match the input schema are refused at once, as a plain call: the
    // model gets its `isError` result on this request and can correct the call, instead of a
    // task handle it must poll only to learn the call was malformed.
    let arguments = Value::Object(params.arguments.clone().unwrap_or_default());
    if tool.schemas.input.validate(&arguments).is_err() {
        return Ok(None);
    }
    // A call the auth layer refuses is refused at once, as a plain call, so the client sees
    // the refusal (a login challenge, say) on its request rather than in a task.
    if let Some(guard) = ctx.extensions().get::<Arc<dyn crate::auth::ToolGuard>>() {
        let no_arguments = Map::new();
        if guard.before(tool, ctx, params.arguments.as_ref().unwrap_or(&no_arguments)).is_err() {
            return Ok(None);
        }
    }
    Ok(Some(Plan { declaration }))
}

/// Runs a `tools/call` that may become a task. `run` is the whole call (guard, validation,
/// handler) as a plain call would run it.
pub(crate) async fn call_tool(
    plan: Plan,
    ctx: Context,
    run: impl FnOnce(Context) -> BoxFuture<'static, Result<CallToolResult, McpError>>,
) -> Result<Value, McpError> {
    let server = ctx.server().clone();
    let slot = Arc::new(TaskSlot {
        server,
        owner: principal(ctx.extensions()),
        cancel: ctx.cancellation(),
        entry: OnceLock::new(),
        creating: Mutex::new(()),
        started: CancellationToken::new(),
    });
    let _ = ctx.task_slot().set(slot.clone());
    let mut work = run(ctx);
    if !plan.declaration.deferred {
        return match slot.start() {
            Some(entry) => {
                mirrored(&slot.server, &entry).await?;
                Ok(handoff(work, entry))
            }
            None if plan.declaration.support == TaskSupport::Required => Err(slot.busy()),
            // Full: an optional task is served as a plain call.
            None => to_value(work.await?),
        };
    }
    // The handler runs here, inside the request (where it may ask for input by multi
    // round-trip), until it calls `Context::start_task`.
    loop {
        if let Some(entry) = slot.entry.get() {
            mirrored(&slot.server, entry).await?;
            return Ok(handoff(work, entry.clone()));
        }
        tokio::select! {
            biased;
            outcome = &mut work => {
                return match slot.entry.get() {
                    Some(entry) => {
                        entry.finish(outcome);
                        mirrored(&slot.server, entry).await?;
                        Ok(created(entry))
                    }
                    // It finished before it asked for a task: a plain result.
                    None => to_value(outcome?),
                };
            }
            _ = slot.started.cancelled() => {}
        }
    }
}

/// Replicas: writes a task just created where the other replicas read it, before its handle
/// goes out (a `tasks/get` on any replica resolves at once), and keeps it there, renewing the
/// lease while it runs. A task that cannot be written is cancelled: a handle the other
/// replicas would answer "not found" for is worse than an error now.
async fn mirrored(server: &Server, entry: &Arc<TaskEntry>) -> Result<(), McpError> {
    let Some(mirror) = server.task_store().mirror.as_ref() else {
        return Ok(());
    };
    server.task_store().listen_for_commands(server);
    let keep_for = server.task_store().ttl + mirror.lease;
    if let Err(error) = mirror.store.publish(&entry.id, &entry.record(mirror.lease), keep_for).await {
        entry.cancel();
        return Err(McpError::internal(format!(
            "the task could not be recorded where every replica of this server finds it ({error}); it was not started"
        )));
    }
    let (changed, mut on_change) = tokio::sync::watch::channel(());
    let _ = entry.changed.set(changed);
    let (entry, store, lease) = (entry.clone(), mirror.store.clone(), mirror.lease);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = on_change.changed() => if changed.is_err() { return },
                // Renew the lease well before it runs out.
                () = tokio::time::sleep(lease / 3) => {}
            }
            let record = entry.record(lease);
            let ended = record.task.task.status.is_terminal();
            if let Err(error) = store.publish(&entry.id, &record, keep_for).await {
                tracing::warn!(%error, task_id = %entry.id, "cannot update the task's record for the other replicas");
            }
            if ended {
                return;
            }
        }
    });
    Ok(())
}

/// Moves the rest of the call to the background and returns the task handle.
fn handoff(work: BoxFuture<'static, Result<CallToolResult, McpError>>, entry: Arc<TaskEntry>) -> Value {
    let handle = created(&entry);
    let span = tracing::info_span!("mcp.task", task_id = %entry.id);
    tokio::spawn(
        async move {
            let cancel = entry.cancel.clone();
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                outcome = AssertUnwindSafe(work).catch_unwind() => Some(outcome),
            };
            match outcome {
                None => entry.cancelled(),
                Some(Ok(outcome)) => entry.finish(outcome),
                Some(Err(_)) => {
                    tracing::error!("the task panicked");
                    entry.finish(Err(McpError::internal(
                        "the server hit an internal error while running this task",
                    )))
                }
            }
            tracing::info!(status = ?entry.status(), "task ended");
        }
        .instrument(span),
    );
    handle
}

fn created(entry: &TaskEntry) -> Value {
    to_value(CreateTaskResult::new(entry.task())).unwrap_or_else(|_| json!({}))
}

/// What a task-eligible call carries in its context: enough to create the task, and the task
/// once it exists.
pub(crate) struct TaskSlot {
    server: Server,
    owner: Option<String>,
    cancel: CancellationToken,
    entry: OnceLock<Arc<TaskEntry>>,
    creating: Mutex<()>,
    /// Fires when the task is created.
    started: CancellationToken,
}

impl TaskSlot {
    /// Creates the task (once); `None` when the store is full.
    fn start(&self) -> Option<Arc<TaskEntry>> {
        let _creating = self.creating.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = self.entry.get() {
            return Some(entry.clone());
        }
        let entry = self.server.task_store().create(self.owner.clone(), self.cancel.clone())?;
        let _ = self.entry.set(entry.clone());
        self.started.cancel();
        Some(entry)
    }

    /// Whether the call has become a task.
    pub(crate) fn has_started(&self) -> bool {
        self.entry.get().is_some()
    }

    fn busy(&self) -> McpError {
        McpError::internal(format!(
            "the server is already keeping as many tasks as it can ({}); retry later",
            self.server.task_store().max
        ))
    }
}

impl Context {
    /// The task this call runs as, once it is one.
    pub(crate) fn running_task(&self) -> Option<&Arc<TaskEntry>> {
        self.task_slot().get()?.entry.get()
    }

    /// Turns this call into a task now, for a tool declared with
    /// [`ToolBuilder::defer_task`](crate::ToolBuilder::defer_task): the client gets the task
    /// handle, and the handler goes on in the background. Before this call the handler runs
    /// inside the `tools/call` request, where `ctx.elicit(...)` is answered by multi round-trip
    /// (SEP-2663, "Task Creation": servers SHOULD resolve those exchanges before creating the
    /// task); after it, input requests go through `tasks/get` and `tasks/update`.
    ///
    /// Returns whether the call is now a task. `false` when it cannot be one: the tool is not
    /// task-capable, the request is not 2026-07-28 or did not declare the extension, or the
    /// server keeps as many tasks as it can. The handler then simply goes on as a plain call.
    /// Calling it again, or in a task that started with the call, returns `true`.
    ///
    /// ```
    /// use mcp_connector_core::{Context, ToolError, tool};
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Target { environment: String }
    ///
    /// /// Deploy the current build.
    /// #[tool(write, idempotent, task = "required", defer_task)]
    /// async fn deploy(ctx: Context) -> Result<String, ToolError> {
    ///     // Asked inside the request: the client answers and retries the call.
    ///     let target = ctx.with_input_key("target").elicit_as::<Target>("Deploy where?").await?;
    ///     let Some(target) = target else { return Ok("not deployed".into()) };
    ///     // From here on the client polls a task.
    ///     ctx.start_task().await;
    ///     ctx.set_task_status_message(format!("deploying to {}", target.environment));
    ///     tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    ///     Ok(format!("deployed to {}", target.environment))
    /// }
    /// # let _ = deploy::tool();
    /// ```
    pub async fn start_task(&self) -> bool {
        let Some(slot) = self.task_slot().get() else {
            return false;
        };
        if slot.start().is_none() {
            tracing::warn!("the task store is full; the call goes on without a task");
            return false;
        }
        // Let the dispatcher answer with the task handle before the handler goes on.
        tokio::task::yield_now().await;
        true
    }

    /// The id of the task this call runs as, once it is one.
    pub fn task_id(&self) -> Option<&str> {
        self.running_task().map(|t| t.id.as_str())
    }

    /// In a task, sets the `statusMessage` clients see on `tasks/get` (what the task is doing:
    /// "compiling 3 of 10"); elsewhere does nothing. Progress and log notifications have no
    /// stream to travel on once a call is a task (SEP-2663), so this is how a task reports
    /// progress.
    pub fn set_task_status_message(&self, message: impl Into<String>) {
        if let Some(task) = self.running_task() {
            task.set_message(message.into());
        }
    }
}

/// The `sub` of the caller's verified claims, when there are any.
fn principal(extensions: &Extensions) -> Option<String> {
    extensions.get::<crate::auth::Claims>().and_then(|c| c.subject.clone())
}

/// The server's tasks: in memory, bounded, each kept for its time to live; mirrored for the
/// other replicas when a [`TaskMirror`](super::TaskMirror) is set.
pub(crate) struct TaskStore {
    tasks: Mutex<HashMap<String, Arc<TaskEntry>>>,
    ttl: Duration,
    poll_interval: Duration,
    max: usize,
    pub(crate) mirror: Option<Mirror>,
    listening: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for TaskStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskStore").field("ttl", &self.ttl).field("max", &self.max).finish_non_exhaustive()
    }
}

impl TaskStore {
    pub(crate) fn new(settings: &TaskSettings, mirror: Option<Mirror>) -> Self {
        TaskStore {
            tasks: Mutex::new(HashMap::new()),
            ttl: settings.ttl,
            poll_interval: settings.poll_interval,
            max: settings.max_tasks.max(1),
            mirror,
            listening: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Replicas: applies the commands other replicas send for the tasks this one runs (once
    /// per server, from its first task on).
    fn listen_for_commands(&self, server: &Server) {
        if self.listening.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let Some(mut commands) = self.mirror.as_ref().and_then(|m| m.store.commands()) else {
            return;
        };
        let server = server.clone();
        tokio::spawn(async move {
            while let Some((id, command)) = commands.recv().await {
                let task = server.task_store().lock().get(&id).cloned();
                let Some(task) = task else { continue };
                match command {
                    TaskCommand::Cancel => task.cancel(),
                    TaskCommand::Update { responses } => {
                        if let Err(error) = task.update(responses) {
                            tracing::warn!(%error, task_id = %id, "a replica sent answers this task cannot take");
                        }
                    }
                }
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<TaskEntry>>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a new task. When the store is full, the expired tasks go first, then the oldest
    /// finished one; `None` when every task is still live.
    fn create(&self, owner: Option<String>, cancel: CancellationToken) -> Option<Arc<TaskEntry>> {
        let id = new_task_id()?;
        let mut tasks = self.lock();
        purge(&mut tasks);
        if tasks.len() >= self.max {
            let oldest_done = tasks
                .values()
                .filter(|t| t.status().is_terminal())
                .min_by_key(|t| t.state().updated)
                .map(|t| t.id.clone());
            match oldest_done {
                Some(id) => {
                    tasks.remove(&id);
                }
                None => return None,
            }
        }
        let now = Instant::now();
        let wall = SystemTime::now();
        let entry = Arc::new(TaskEntry {
            id: id.clone(),
            owner,
            created: now,
            created_wall: wall,
            ttl: self.ttl,
            poll_interval: self.poll_interval,
            cancel,
            changed: OnceLock::new(),
            state: Mutex::new(TaskState {
                status: TaskStatus::Working,
                message: None,
                updated: now,
                updated_wall: wall,
                outstanding: BTreeMap::new(),
                issued: HashSet::new(),
                counters: HashMap::new(),
                result: None,
                error: None,
            }),
        });
        tasks.insert(id, entry.clone());
        Some(entry)
    }

    /// The task `id`, when it exists, has not expired and belongs to `owner`. Another caller's
    /// task is reported exactly as an unknown one.
    fn find(&self, id: &str, owner: &Option<String>) -> Option<Arc<TaskEntry>> {
        let mut tasks = self.lock();
        purge(&mut tasks);
        tasks.get(id).filter(|t| &t.owner == owner).cloned()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Drops expired tasks, stopping any that still wait for input.
fn purge(tasks: &mut HashMap<String, Arc<TaskEntry>>) {
    let now = Instant::now();
    tasks.retain(|_, task| {
        let keep = !task.expired(now);
        if !keep {
            task.cancel.cancel();
        }
        keep
    });
}

/// An unguessable task id: a UUID v4, 122 random bits from the OS (SEP-2663, "Security
/// Implications": task ids MUST NOT be enumerable or guessable).
fn new_task_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    if let Err(e) = getrandom::fill(&mut bytes) {
        tracing::error!(error = %e, "no random bytes for a task id");
        return None;
    }
    Some(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

/// One task.
pub(crate) struct TaskEntry {
    id: String,
    owner: Option<String>,
    created: Instant,
    created_wall: SystemTime,
    ttl: Duration,
    poll_interval: Duration,
    /// The call's cancellation token: `tasks/cancel` fires it and the handler is dropped.
    cancel: CancellationToken,
    state: Mutex<TaskState>,
    /// Replicas: told of every change, so the mirror gets it.
    changed: OnceLock<tokio::sync::watch::Sender<()>>,
}

struct TaskState {
    status: TaskStatus,
    message: Option<String>,
    updated: Instant,
    updated_wall: SystemTime,
    /// The requests waiting on the client, by key, with where their answer goes.
    outstanding: BTreeMap<String, Pending>,
    /// Every key this task ever issued: none is used twice.
    issued: HashSet<String>,
    counters: HashMap<&'static str, usize>,
    result: Option<Map<String, Value>>,
    error: Option<ErrorObject>,
}

struct Pending {
    request: InputRequest,
    answer: oneshot::Sender<Value>,
}

impl TaskState {
    fn touch(&mut self) {
        self.updated = Instant::now();
        self.updated_wall = SystemTime::now();
    }

    /// A key for the next request: the handler's own (see `Context::with_input_key`) or
    /// `elicitation-1`, `sampling-1`, ...; suffixed when the task used it before, since a key
    /// names one request over the whole task (SEP-2663, "Task Update Requests").
    fn key(&mut self, wanted: Option<&str>, kind: &'static str) -> String {
        let base = match wanted {
            Some(key) => key.to_owned(),
            None => {
                let n = self.counters.entry(kind).or_insert(0);
                *n += 1;
                format!("{kind}-{n}")
            }
        };
        let mut key = base.clone();
        let mut n = 1;
        while self.issued.contains(&key) {
            n += 1;
            key = format!("{base}-{n}");
        }
        self.issued.insert(key.clone());
        key
    }
}

impl TaskEntry {
    fn state(&self) -> std::sync::MutexGuard<'_, TaskState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replicas: the mirror writes the new state (nothing without a mirror).
    fn changed(&self) {
        if let Some(changed) = self.changed.get() {
            let _ = changed.send(());
        }
    }

    /// The task as the other replicas read it, vouched for until `lease` from now.
    fn record(&self, lease: Duration) -> TaskRecord {
        TaskRecord {
            owner: self.owner.clone(),
            task: self.detailed(),
            lease_until: now_millis().saturating_add(millis(lease)),
        }
    }

    fn status(&self) -> TaskStatus {
        self.state().status
    }

    /// Finished tasks and tasks waiting for input go `ttl` after their last change; a task
    /// that is working does not expire.
    fn expired(&self, now: Instant) -> bool {
        let state = self.state();
        state.status != TaskStatus::Working && now.saturating_duration_since(state.updated) > self.ttl
    }

    /// The task's metadata. `ttlMs` counts from creation to the moment the task may go:
    /// `ttl` after its last change, or after now while it works.
    fn task(&self) -> Task {
        let state = self.state();
        self.task_locked(&state)
    }

    fn task_locked(&self, state: &TaskState) -> Task {
        let anchor = if state.status == TaskStatus::Working { Instant::now() } else { state.updated };
        let kept = anchor.saturating_duration_since(self.created) + self.ttl;
        Task {
            task_id: self.id.clone(),
            status: state.status,
            status_message: state.message.clone(),
            created_at: timestamp(self.created_wall),
            last_updated_at: timestamp(state.updated_wall),
            ttl_ms: Some(millis(kept)),
            poll_interval_ms: Some(millis(self.poll_interval).max(1)),
        }
    }

    /// The task with what its status brings (SEP-2663, "Task Polling", "Response" 1 to 5).
    fn detailed(&self) -> DetailedTask {
        let state = self.state();
        let input_requests = (state.status == TaskStatus::InputRequired).then(|| {
            state.outstanding.iter().map(|(key, pending)| (key.clone(), pending.request.clone())).collect()
        });
        DetailedTask {
            task: self.task_locked(&state),
            input_requests,
            result: state.result.clone().filter(|_| state.status == TaskStatus::Completed),
            error: state.error.clone().filter(|_| state.status == TaskStatus::Failed),
        }
    }

    fn set_message(&self, message: String) {
        {
            let mut state = self.state();
            if state.status.is_terminal() {
                return;
            }
            state.message = Some(message);
            state.touch();
        }
        self.changed();
    }

    /// Files a request to the client and waits for `tasks/update` to answer it.
    pub(crate) async fn ask(
        &self,
        key: Option<&str>,
        kind: &'static str,
        method: &str,
        params: Value,
    ) -> Result<Value, ClientRequestError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.state();
            if state.status.is_terminal() {
                return Err(ClientRequestError::Disconnected);
            }
            let key = state.key(key, kind);
            let request = InputRequest { method: method.to_owned(), params: Some(params) };
            state.outstanding.insert(key, Pending { request, answer: tx });
            state.status = TaskStatus::InputRequired;
            state.touch();
        }
        self.changed();
        tokio::select! {
            answer = rx => answer.map_err(|_| ClientRequestError::Disconnected),
            _ = self.cancel.cancelled() => Err(ClientRequestError::Disconnected),
        }
    }

    /// The handler needed a client capability the request did not declare: in a 2026-07-28
    /// request that is `-32021`, so the task fails with it. Never returns; the handler is
    /// dropped.
    pub(crate) async fn require<T>(&self, capability: &'static str) -> T {
        let error = McpError::new(
            code::MISSING_REQUIRED_CLIENT_CAPABILITY,
            format!(
                "Server requires the {capability} client capability for this task; declare it in `_meta[\"io.modelcontextprotocol/clientCapabilities\"]` when calling the tool"
            ),
        )
        .with_data(json!({ "requiredCapabilities": { capability: {} } }));
        self.finish(Err(error));
        self.cancel.cancel();
        std::future::pending().await
    }

    /// Hands the client's answers to the requests waiting for them; keys that are not
    /// outstanding are ignored (SEP-2663, "Task Update Requests": SHOULD ignore; MAY accept a
    /// partial set, the task staying `input_required` until the rest arrive).
    fn update(&self, responses: Map<String, Value>) -> Result<(), McpError> {
        let mut state = self.state();
        if let Some((key, _)) =
            responses.iter().find(|(key, value)| state.outstanding.contains_key(*key) && !value.is_object())
        {
            return Err(McpError::invalid_params(format!(
                "Invalid inputResponses: the response for `{key}` must be an object (an ElicitResult, CreateMessageResult or ListRootsResult)"
            )));
        }
        let mut answered = false;
        for (key, value) in responses {
            if let Some(pending) = state.outstanding.remove(&key) {
                answered = true;
                let _ = pending.answer.send(value);
            }
        }
        if answered {
            if state.outstanding.is_empty() && state.status == TaskStatus::InputRequired {
                state.status = TaskStatus::Working;
            }
            state.touch();
            drop(state);
            self.changed();
        }
        Ok(())
    }

    /// `tasks/cancel`: a task that has not ended is cancelled now and its handler dropped.
    fn cancel(&self) {
        {
            let mut state = self.state();
            if !state.status.is_terminal() {
                state.status = TaskStatus::Cancelled;
                state.message = Some("The task was cancelled at the client's request.".into());
                state.outstanding.clear();
                state.touch();
            }
        }
        self.cancel.cancel();
        self.changed();
    }

    /// The call's token fired (cancellation, expiry): the task ends `cancelled` unless it
    /// already ended.
    fn cancelled(&self) {
        {
            let mut state = self.state();
            if state.status.is_terminal() {
                return;
            }
            state.status = TaskStatus::Cancelled;
            state.outstanding.clear();
            state.touch();
        }
        self.changed();
    }

    /// Records how the call ended: `completed` with its result (a tool result with
    /// `isError: true` included), or `failed` with the JSON-RPC error (SEP-2663, "Task
    /// Execution Errors"). A task that already ended keeps its end.
    fn finish(&self, outcome: Result<CallToolResult, McpError>) {
        let outcome = outcome.and_then(|result| match serde_json::to_value(result) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(McpError::internal("the tool result is not an object")),
            Err(e) => Err(McpError::internal(e)),
        });
        let mut state = self.state();
        if state.status.is_terminal() {
            return;
        }
        match outcome {
            Ok(result) => {
                state.status = TaskStatus::Completed;
                state.result = Some(result);
            }
            Err(error) => {
                let error = Era::Modern.finish_error(error);
                state.status = TaskStatus::Failed;
                state.message = Some(error.message.clone());
                state.error = Some(error.into());
            }
        }
        state.outstanding.clear();
        state.touch();
        drop(state);
        self.changed();
    }
}

/// Whether this extension's methods (`tasks/get`, `tasks/update`, `tasks/cancel`) are served
/// to the request: a 2026-07-28 request to a server that advertises the extension. Anything
/// else gets them as unknown methods (`-32601`; SEP-2663: `tasks/result` and `tasks/list` are
/// gone, and 2025-11-25 has no such extension).
pub(crate) fn serves(server: &Server, ctx: &Context) -> bool {
    ctx.era() == Era::Modern && advertised(server)
}

/// SEP-2663, "Protocol Errors": MUST return -32021 to non-declaring clients issuing
/// tasks/get, tasks/update and tasks/cancel.
fn require_declared(method: &str, ctx: &Context) -> Result<Option<String>, McpError> {
    if !ctx.client_capabilities().supports_extension(TASKS_EXTENSION) {
        return Err(missing_extension(&format!("`{method}` belongs to the tasks extension")));
    }
    Ok(principal(ctx.extensions()))
}

/// SEP-2663, "Protocol Errors": an invalid or unknown taskId is -32602 (MUST for tasks/get,
/// SHOULD for the others).
fn not_found(verb: &str) -> McpError {
    McpError::invalid_params(format!("Failed to {verb} task: Task not found"))
}

/// `tasks/get`.
pub(crate) async fn get(server: &Server, params: TaskParams, ctx: &Context) -> Result<Value, McpError> {
    let owner = require_declared(task_method::GET, ctx)?;
    let task = match server.task_store().find(&params.task_id, &owner) {
        Some(task) => task.detailed(),
        None => remote(server, &params.task_id, &owner, "retrieve").await?.task,
    };
    to_value(GetTaskResult { result_type: ResultType::Complete, task, meta: None })
}

/// `tasks/update`.
pub(crate) async fn update(
    server: &Server,
    params: UpdateTaskParams,
    ctx: &Context,
) -> Result<Value, McpError> {
    let owner = require_declared(task_method::UPDATE, ctx)?;
    match server.task_store().find(&params.task_id, &owner) {
        Some(task) => task.update(params.input_responses)?,
        None => {
            let record = remote(server, &params.task_id, &owner, "update").await?;
            if let Some((key, _)) = params.input_responses.iter().find(|(key, value)| {
                record.task.input_requests.as_ref().is_some_and(|r| r.contains_key(*key))
                    && !value.is_object()
            }) {
                return Err(McpError::invalid_params(format!(
                    "Invalid inputResponses: the response for `{key}` must be an object (an ElicitResult, CreateMessageResult or ListRootsResult)"
                )));
            }
            if !record.task.task.status.is_terminal() {
                send(server, &params.task_id, TaskCommand::Update { responses: params.input_responses })
                    .await?;
            }
        }
    }
    to_value(TaskAck::default())
}

/// `tasks/cancel`: idempotent, a task that already ended is acknowledged the same way.
pub(crate) async fn cancel(server: &Server, params: TaskParams, ctx: &Context) -> Result<Value, McpError> {
    let owner = require_declared(task_method::CANCEL, ctx)?;
    match server.task_store().find(&params.task_id, &owner) {
        Some(task) => task.cancel(),
        None => {
            let record = remote(server, &params.task_id, &owner, "cancel").await?;
            if !record.task.task.status.is_terminal() {
                send(server, &params.task_id, TaskCommand::Cancel).await?;
            }
        }
    }
    to_value(TaskAck::default())
}

/// Replicas: a task another replica runs (or ran), from the mirror; one whose runner died is
/// reported failed. Not found like an unknown id when there is no mirror, no such task, or the
/// task is another caller's.
async fn remote(
    server: &Server,
    id: &str,
    owner: &Option<String>,
    verb: &str,
) -> Result<TaskRecord, McpError> {
    let Some(mirror) = server.task_store().mirror.as_ref() else {
        return Err(not_found(verb));
    };
    let record = mirror.store.load(id).await.map_err(|error| {
        McpError::internal(format!(
            "the tasks of this server's replicas cannot be read now ({error}); retry shortly"
        ))
    })?;
    let Some(mut record) = record.filter(|r| &r.owner == owner) else {
        return Err(not_found(verb));
    };
    if record.runner_gone(now_millis()) {
        // The runner stopped renewing its lease: it died, and the task with it.
        let message = "The server instance running this task stopped before the task finished (its lease \
                       expired); the task did not complete. Call the tool again to retry."
            .to_owned();
        record.task.task.status = TaskStatus::Failed;
        record.task.task.status_message = Some(message.clone());
        record.task.input_requests = None;
        record.task.error = Some(ErrorObject::new(code::INTERNAL_ERROR, message));
        let keep_for = server.task_store().ttl;
        if let Err(error) = mirror.store.publish(id, &record, keep_for).await {
            tracing::warn!(%error, task_id = id, "cannot record that the task's runner is gone");
        }
    }
    Ok(record)
}

async fn send(server: &Server, id: &str, command: TaskCommand) -> Result<(), McpError> {
    let Some(mirror) = server.task_store().mirror.as_ref() else {
        return Ok(());
    };
    mirror.store.send(id, command).await.map_err(|error| {
        McpError::internal(format!(
            "the replica running this task cannot be reached now ({error}); retry shortly"
        ))
    })
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(millis).unwrap_or(0)
}

/// `subscriptions/listen` asking for `notifications/tasks` (`notifications.taskIds`) from a
/// client that did not declare the extension: `-32021` (SEP-2663, "Task Status
/// Notifications"). This server sends no task notifications, so a declaring client is simply
/// not acknowledged for any task id.
pub(crate) fn check_listen(
    server: &Server,
    params: &SubscriptionsListenParams,
    ctx: &Context,
) -> Result<(), McpError> {
    let asks = params.notifications.task_ids.as_ref().is_some_and(|ids| !ids.is_null());
    if asks && advertised(server) && !ctx.client_capabilities().supports_extension(TASKS_EXTENSION) {
        return Err(missing_extension("task status notifications belong to the tasks extension"));
    }
    Ok(())
}

fn to_value<T: Serialize>(value: T) -> Result<Value, McpError> {
    serde_json::to_value(value).map_err(McpError::internal)
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

/// An instant as ISO 8601 / RFC 3339 in UTC, to the millisecond: `2026-07-28T10:30:00.000Z`.
fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn timestamps_are_rfc_3339_utc() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_millis(951_782_400_123); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.123Z");
        let later = UNIX_EPOCH + Duration::from_secs(1_785_234_600); // 2026-07-28T10:30:00Z
        assert_eq!(timestamp(later), "2026-07-28T10:30:00.000Z");
    }

    #[test]
    fn task_ids_are_random_uuids() {
        let a = new_task_id().unwrap();
        let b = new_task_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    fn store(max: usize, ttl: Duration) -> TaskStore {
        TaskStore::new(&TaskSettings { ttl, max_tasks: max, ..TaskSettings::default() }, None)
    }

    #[test]
    fn a_full_store_drops_the_oldest_finished_task_and_refuses_when_all_are_live() {
        let store = store(2, Duration::from_secs(60));
        let first = store.create(None, CancellationToken::new()).unwrap();
        let second = store.create(None, CancellationToken::new()).unwrap();
        assert!(store.create(None, CancellationToken::new()).is_none(), "both are working");
        first.finish(Ok(CallToolResult::text("done")));
        let third = store.create(None, CancellationToken::new()).unwrap();
        assert_eq!(store.len(), 2);
        assert!(store.find(&first.id, &None).is_none());
        assert!(store.find(&second.id, &None).is_some());
        assert!(store.find(&third.id, &None).is_some());
    }

    #[test]
    fn finished_tasks_expire_after_their_ttl_and_working_ones_do_not() {
        let store = store(8, Duration::ZERO);
        let done = store.create(None, CancellationToken::new()).unwrap();
        let working = store.create(None, CancellationToken::new()).unwrap();
        done.finish(Ok(CallToolResult::text("done")));
        std::thread::sleep(Duration::from_millis(2));
        assert!(store.find(&done.id, &None).is_none());
        assert!(store.find(&working.id, &None).is_some());
    }

    #[test]
    fn a_task_belongs_to_its_caller() {
        let store = store(8, Duration::from_secs(60));
        let task = store.create(Some("alice".into()), CancellationToken::new()).unwrap();
        assert!(store.find(&task.id, &Some("alice".into())).is_some());
        assert!(store.find(&task.id, &Some("mallory".into())).is_none());
        assert!(store.find(&task.id, &None).is_none());
    }

    #[test]
    fn keys_are_never_reused_within_a_task() {
        let store = store(8, Duration::from_secs(60));
        let task = store.create(None, CancellationToken::new()).unwrap();
        let mut state = task.state();
        assert_eq!(state.key(None, "elicitation"), "elicitation-1");
        assert_eq!(state.key(Some("name"), "elicitation"), "name");
        assert_eq!(state.key(Some("name"), "elicitation"), "name-2");
        assert_eq!(state.key(Some("elicitation-2"), "elicitation"), "elicitation-2");
        assert_eq!(state.key(None, "elicitation"), "elicitation-2-2");
    }

    #[test]
    fn the_end_of_a_task_is_final() {
        let store = store(8, Duration::from_secs(60));
        let task = store.create(None, CancellationToken::new()).unwrap();
        task.cancel();
        task.finish(Ok(CallToolResult::text("late")));
        let detailed = task.detailed();
        assert_eq!(detailed.task.status, TaskStatus::Cancelled);
        assert!(detailed.result.is_none());
    }
}
