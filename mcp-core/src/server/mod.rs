//! The server: what a connector registers (tools, resources, prompts) and how requests reach
//! them.
//!
//! A [`Server`] is built once and is cheap to clone. A transport opens a [`Session`] per
//! connection (or per HTTP request, when it keeps no sessions) and feeds it messages; the
//! session answers them. Nothing here assumes a long-lived connection: each request is served
//! with its own [`Context`], which carries the protocol version, client capabilities and
//! transport-provided [`Extensions`] (such as auth claims).

mod answer;
mod completion;
mod connection;
mod context;
mod extensions;
mod log_clock;
pub(crate) mod mrtr;
mod pagination;
mod prompt;
mod queue;
mod resource;
pub(crate) mod safe;
mod session;
mod subscriptions;
mod task_mirror;
mod tasks;
mod tool;
mod uri_template;

use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

pub use answer::Answered;
pub use completion::{Completer, CompletionRequest};
pub use connection::SessionState;
pub use context::{Context, FromContext, Outbound, State};
pub use extensions::Extensions;
pub use log_clock::LogClock;
pub use prompt::{Prompt, PromptBuilder, PromptHandler};
pub use queue::OutboundQueue;
pub use resource::{Resource, ResourceBuilder, ResourceHandler, ResourceRequest};
pub use session::Session;
pub use task_mirror::{TaskCommand, TaskMirror, TaskRecord};
pub use tasks::TaskSupport;
pub(crate) use tool::x_mcp_headers;
pub use tool::{Tool, ToolBuilder, ToolHandler, validate_tool_name};
pub use uri_template::UriTemplate;

use self::connection::Connection;
use self::resource::ResourceKind;
use crate::error::BuildError;
use crate::jsonrpc::Message;
use crate::protocol::{
    CacheHint, Icon, Implementation, ListChangedCapability, ResourceUpdatedParams, ResourcesCapability,
    ServerCapabilities, method,
};

/// Something that becomes one tool: a [`Tool`], or what `#[tool]` generates.
pub trait IntoTool {
    /// The tool.
    fn into_tool(self) -> Tool;
}

impl IntoTool for Tool {
    fn into_tool(self) -> Tool {
        self
    }
}

/// Something that becomes several tools: what `#[tools]` generates for an `impl` block, or a
/// `Vec<Tool>`. A `#[tools]` block may declare resources and prompts too (`#[resource]` and
/// `#[prompt]` methods taking `&self`), so one value holds the state of all three;
/// [`ServerBuilder::tools`] registers them together.
pub trait IntoTools {
    /// The tools alone.
    fn into_tools(self) -> Vec<Tool>;

    /// The tools, with the resources and prompts the same value declares. The default is the
    /// tools alone.
    ///
    /// ```
    /// use mcp_connector_core::{IntoTools, Tool, protocol::CallToolResult};
    ///
    /// let tools = vec![Tool::read("ping").description("Answers pong.").handler(|_, _| async {
    ///     Ok(CallToolResult::text("pong"))
    /// })];
    /// let registrations = tools.into_registrations();
    /// assert_eq!(registrations.tools().len(), 1);
    /// assert!(registrations.resources().is_empty() && registrations.prompts().is_empty());
    /// ```
    fn into_registrations(self) -> Registrations
    where
        Self: Sized,
    {
        Registrations::new(self.into_tools(), Vec::new(), Vec::new())
    }
}

/// What one [`IntoTools`] value registers: its tools, resources and prompts.
///
/// ```
/// use mcp_connector_core::{Registrations, Prompt, protocol::{GetPromptResult, PromptMessage}};
///
/// let prompt = Prompt::new("hello").handler(|_, _| async { Ok(GetPromptResult::new(vec![PromptMessage::user("hi")])) });
/// let registrations = Registrations::new(Vec::new(), Vec::new(), vec![prompt]);
/// assert_eq!(registrations.prompts()[0].name(), "hello");
/// ```
#[derive(Default)]
pub struct Registrations {
    tools: Vec<Tool>,
    resources: Vec<Resource>,
    prompts: Vec<Prompt>,
}

impl Registrations {
    /// Tools, resources and prompts registered together.
    pub fn new(tools: Vec<Tool>, resources: Vec<Resource>, prompts: Vec<Prompt>) -> Self {
        Registrations { tools, resources, prompts }
    }

    /// The tools.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The resources and resource templates.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The prompts.
    pub fn prompts(&self) -> &[Prompt] {
        &self.prompts
    }
}

impl IntoTools for Vec<Tool> {
    fn into_tools(self) -> Vec<Tool> {
        self
    }
}

/// Something that becomes a resource: a [`Resource`], or what `#[resource]` generates.
pub trait IntoResource {
    /// The resource.
    fn into_resource(self) -> Resource;
}

impl IntoResource for Resource {
    fn into_resource(self) -> Resource {
        self
    }
}

/// Something that becomes a prompt: a [`Prompt`], or what `#[prompt]` generates.
pub trait IntoPrompt {
    /// The prompt.
    fn into_prompt(self) -> Prompt;
}

impl IntoPrompt for Prompt {
    fn into_prompt(self) -> Prompt {
        self
    }
}

/// Items in registration order with a name index, so `tools/list` is stable and lookups are
/// constant-time.
#[derive(Clone)]
struct Catalog<T> {
    items: Vec<T>,
    index: foldhash::HashMap<String, usize>,
}

impl<T> Default for Catalog<T> {
    fn default() -> Self {
        Catalog { items: Vec::new(), index: foldhash::HashMap::default() }
    }
}

impl<T> Catalog<T> {
    fn get(&self, name: &str) -> Option<&T> {
        self.index.get(name).map(|&i| &self.items[i])
    }

    fn insert(&mut self, name: String, item: T) -> Result<(), &T> {
        if let Some(&i) = self.index.get(&name) {
            return Err(&self.items[i]);
        }
        self.index.insert(name, self.items.len());
        self.items.push(item);
        Ok(())
    }

    fn remove(&mut self, name: &str, name_of: impl Fn(&T) -> &str) -> Option<T> {
        let i = self.index.remove(name)?;
        let item = self.items.remove(i);
        self.index = self.items.iter().enumerate().map(|(i, t)| (name_of(t).to_owned(), i)).collect();
        Some(item)
    }
}

/// An MCP server: a set of tools, resources and prompts with the server's identity.
///
/// ```
/// use mcp_connector_core::{Server, Tool, protocol::CallToolResult};
///
/// let server = Server::builder("tickets", "1.0.0")
///     .instructions("Search and update tickets. Use search_tickets before get_ticket.")
///     .tool(Tool::read("ping").description("Check the server is up").handler(|_ctx, _args| async {
///         Ok(CallToolResult::text("pong"))
///     }))
///     .build()
///     .expect("valid server");
/// assert_eq!(server.info().name, "tickets");
/// assert!(server.capabilities().tools.is_some());
/// ```
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("info", &self.inner.info).finish_non_exhaustive()
    }
}

struct ServerInner {
    info: Implementation,
    /// `info` as JSON text, serialised once: every 2026-07-28 result carries it in `_meta`,
    /// written as this text rather than serialised again from a tree each time.
    info_json: Box<serde_json::value::RawValue>,
    /// `{"io.modelcontextprotocol/serverInfo": info}`, the `_meta` of a 2026-07-28 result that
    /// has none of its own, as JSON text written once.
    info_meta_json: Box<serde_json::value::RawValue>,
    instructions: Option<String>,
    capabilities: ServerCapabilities,
    page_size: usize,
    client_request_timeout: Duration,
    /// Swapped whole when a tool is added or removed (under `tools_written`, so that two
    /// changes at once do not lose one): a call reads it without a lock.
    tools: arc_swap::ArcSwap<Catalog<Arc<Tool>>>,
    tools_written: Mutex<()>,
    resources: RwLock<Vec<Resource>>,
    prompts: RwLock<Catalog<Prompt>>,
    sessions: Mutex<Vec<Weak<Connection>>>,
    /// Change events for `subscriptions/listen` streams (2026-07-28); sessions of the older
    /// era hear about changes through `sessions` instead.
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Replicas: called with every change raised here ([`Server::relay_changes`]).
    relay: RwLock<Option<ChangeRelay>>,
    state: Arc<Extensions>,
    cache_hint: CacheHint,
    request_state: mrtr::StateSealer,
    closing: tokio_util::sync::CancellationToken,
    /// Tasks extension: the tasks this server keeps.
    tasks: tasks::TaskStore,
    /// Safe writes: the store and settings, and the guarded calls running now.
    safe: crate::safe::SafeWrites,
    in_flight: safe::InFlight,
}

/// A change a server tells its clients about: a list changed, or a resource was updated. What
/// [`Server::relay_changes`] hands to another replica, which announces it to its own clients
/// with [`Server::apply_change`].
///
/// ```
/// use mcp_connector_core::Change;
///
/// let change = Change::ResourceUpdated("tickets://7".into());
/// let json = serde_json::to_string(&change).unwrap();
/// assert_eq!(json, r#"{"kind":"resource_updated","uri":"tickets://7"}"#);
/// assert_eq!(serde_json::from_str::<Change>(&json).unwrap(), change);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "uri", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// `notifications/tools/list_changed`.
    Tools,
    /// `notifications/prompts/list_changed`.
    Prompts,
    /// `notifications/resources/list_changed`.
    Resources,
    /// `notifications/resources/updated` for this URI.
    ResourceUpdated(String),
}

/// Where this process's own changes go besides its clients (another replica's relay).
type ChangeRelay = Arc<dyn Fn(&Change) + Send + Sync>;

impl Server {
    /// Starts building a server with its name and version (`serverInfo`).
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation {
                name: name.into(),
                version: version.into(),
                title: None,
                description: None,
                icons: None,
                website_url: None,
            },
            instructions: None,
            page_size: 100,
            client_request_timeout: Duration::from_secs(600),
            tools: Vec::new(),
            resources: Vec::new(),
            prompts: Vec::new(),
            force: ForcedCapabilities::default(),
            state: Extensions::new(),
            cache_hint: CacheHint::default(),
            request_state_key: None,
            request_state_ttl: Duration::from_secs(600),
            tasks: tasks::TaskSettings::default(),
            safe: None,
            task_mirror: None,
        }
    }

    /// The server's `serverInfo`.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    pub(crate) fn info_json(&self) -> &serde_json::value::RawValue {
        &self.inner.info_json
    }

    pub(crate) fn info_meta_json(&self) -> &serde_json::value::RawValue {
        &self.inner.info_meta_json
    }

    /// The server's `instructions`.
    pub fn instructions(&self) -> Option<&str> {
        self.inner.instructions.as_deref()
    }

    /// The capabilities the server declares, derived from what was registered.
    pub fn capabilities(&self) -> &ServerCapabilities {
        &self.inner.capabilities
    }

    /// Opens a session: the state of one connection (negotiated version, client capabilities,
    /// log level, subscriptions, in-flight requests). Messages that belong to no request, such
    /// as `notifications/tools/list_changed`, go to `notifications`.
    ///
    /// A session whose `notifications` receiver is already gone (a stateless HTTP request, a
    /// 2026-07-28 request) could never be told anything, so it is not registered for
    /// server-wide notifications at all: it costs no lock on the registry.
    pub fn session(&self, notifications: Outbound) -> Session {
        let listens = !notifications.is_closed();
        let session = Session::new(self.clone(), notifications);
        if listens && let Ok(mut sessions) = self.inner.sessions.lock() {
            sessions.retain(|s| s.strong_count() > 0);
            sessions.push(Arc::downgrade(session.connection()));
        }
        session
    }

    /// Opens a session that carries on where another left off: `state` is what
    /// [`Session::state`] returned, in this process or another one serving the same clients.
    /// Registered for server-wide notifications like [`Server::session`].
    ///
    /// ```
    /// use mcp_connector_core::{Outbound, Server, SessionState};
    /// use mcp_connector_core::protocol::{LoggingLevel, ProtocolVersion};
    ///
    /// let server = Server::builder("demo", "1").build().unwrap();
    /// let state = SessionState {
    ///     protocol_version: Some(ProtocolVersion::new(ProtocolVersion::V2025_11_25)),
    ///     log_level: Some(LoggingLevel::Warning),
    ///     ..SessionState::default()
    /// };
    /// let session = server.restore_session(&state, Outbound::closed());
    /// assert!(session.is_initialized());
    /// assert_eq!(session.state().log_level, Some(LoggingLevel::Warning));
    /// ```
    pub fn restore_session(&self, state: &SessionState, notifications: Outbound) -> Session {
        let session = self.session(notifications);
        session.connection().lock_state().restore(state);
        session
    }

    /// The registered tool called `name`.
    pub fn tool(&self, name: &str) -> Option<Arc<Tool>> {
        self.inner.tools.load().get(name).cloned()
    }

    /// Reads the registered tool called `name` in place, without taking a handle on it: what a
    /// check that only looks at the tool needs. (A handle is one count more on the tool, which
    /// every call shares, so every thread serving calls writes to it.)
    ///
    /// ```
    /// use mcp_connector_core::{Server, Tool, protocol::CallToolResult};
    ///
    /// let server = Server::builder("demo", "1.0")
    ///     .tool(Tool::read("echo").handler(|_ctx, _args| async { Ok(CallToolResult::text("hi")) }))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(server.with_tool("echo", |tool| tool.name().len()), Some(4));
    /// assert_eq!(server.with_tool("nope", |tool| tool.name().len()), None);
    /// ```
    pub fn with_tool<R>(&self, name: &str, read: impl FnOnce(&Tool) -> R) -> Option<R> {
        self.inner.tools.load().get(name).map(|tool| read(tool))
    }

    /// Every registered tool, in registration order.
    pub fn tools(&self) -> Vec<Arc<Tool>> {
        self.inner.tools.load().items.clone()
    }

    /// Changes the tool catalog: a copy changed, then swapped in, one change at a time.
    fn change_tools<R>(&self, change: impl FnOnce(&mut Catalog<Arc<Tool>>) -> R) -> R {
        let _one_at_a_time = self.inner.tools_written.lock().unwrap_or_else(|e| e.into_inner());
        let mut tools = Catalog::clone(&self.inner.tools.load());
        let changed = change(&mut tools);
        self.inner.tools.store(Arc::new(tools));
        changed
    }

    /// Adds a tool at run time and tells connected clients (`notifications/tools/list_changed`).
    pub fn add_tool(&self, tool: impl IntoTool) -> Result<(), BuildError> {
        let mut tool = tool.into_tool();
        check_tool(&tool)?;
        {
            let resources = self.inner.resources.read().map_err(|_| poisoned())?;
            tool.link_ui(|uri| find_ui(&resources, uri))?;
        }
        let name = tool.name().to_owned();
        let origin = tool.origin.clone();
        self.change_tools(|tools| {
            tools.insert(name.clone(), Arc::new(tool)).map_err(|first| BuildError::Duplicate {
                kind: "tool",
                name,
                first: first.origin.clone(),
                second: origin,
            })
        })?;
        self.broadcast(method::TOOLS_LIST_CHANGED, |_| true);
        Ok(())
    }

    /// Removes a tool at run time; tells connected clients when it existed.
    pub fn remove_tool(&self, name: &str) -> bool {
        let removed = self.change_tools(|tools| tools.remove(name, |t: &Arc<Tool>| t.name())).is_some();
        if removed {
            self.broadcast(method::TOOLS_LIST_CHANGED, |_| true);
        }
        removed
    }

    /// Adds a resource or template at run time and tells connected clients.
    pub fn add_resource(&self, resource: impl IntoResource) -> Result<(), BuildError> {
        let resource = resource.into_resource();
        {
            let mut all = self.inner.resources.write().map_err(|_| poisoned())?;
            let resources = with_ui_copies(resource)?;
            for resource in &resources {
                check_resource(&all, resource)?;
            }
            all.extend(resources);
        }
        self.broadcast(method::RESOURCES_LIST_CHANGED, |_| true);
        Ok(())
    }

    /// Removes the resource or template with this URI (or URI template); tells clients.
    pub fn remove_resource(&self, uri: &str) -> bool {
        let removed = self
            .inner
            .resources
            .write()
            .map(|mut all| {
                let before = all.len();
                all.retain(|r| r.uri() != uri);
                before != all.len()
            })
            .unwrap_or(false);
        if removed {
            self.broadcast(method::RESOURCES_LIST_CHANGED, |_| true);
        }
        removed
    }

    /// Adds a prompt at run time and tells connected clients.
    pub fn add_prompt(&self, prompt: impl IntoPrompt) -> Result<(), BuildError> {
        let prompt = prompt.into_prompt();
        {
            let mut prompts = self.inner.prompts.write().map_err(|_| poisoned())?;
            let name = prompt.name().to_owned();
            prompts.insert(name.clone(), prompt).map_err(|_| BuildError::Duplicate {
                kind: "prompt",
                name: name.clone(),
                first: format!("the prompt `{name}`"),
                second: format!("the prompt `{name}`"),
            })?;
        }
        self.broadcast(method::PROMPTS_LIST_CHANGED, |_| true);
        Ok(())
    }

    /// Removes a prompt at run time; tells clients when it existed.
    pub fn remove_prompt(&self, name: &str) -> bool {
        let removed =
            self.inner.prompts.write().ok().and_then(|mut p| p.remove(name, Prompt::name)).is_some();
        if removed {
            self.broadcast(method::PROMPTS_LIST_CHANGED, |_| true);
        }
        removed
    }

    /// Tells every session subscribed to `uri` that it changed
    /// (`notifications/resources/updated`).
    pub fn notify_resource_updated(&self, uri: &str) {
        let change = Change::ResourceUpdated(uri.to_owned());
        self.relay(&change);
        self.announce(change);
    }

    fn broadcast(&self, method: &str, filter: impl Fn(&Connection) -> bool) {
        let change = match method {
            method::TOOLS_LIST_CHANGED => Some(Change::Tools),
            method::PROMPTS_LIST_CHANGED => Some(Change::Prompts),
            method::RESOURCES_LIST_CHANGED => Some(Change::Resources),
            _ => None,
        };
        if let Some(change) = change {
            self.relay(&change);
            // No receiver is the common case (nobody listening), not an error.
            let _ = self.inner.changes.send(change);
        }
        self.broadcast_message(Message::notification(method, None), filter)
    }

    /// Tells this process's clients about `change`: `subscriptions/listen` streams, and
    /// sessions that follow it (a list change reaches every initialized session, a resource
    /// update those subscribed to the resource).
    fn announce(&self, change: Change) {
        let message = match &change {
            Change::Tools => Message::notification(method::TOOLS_LIST_CHANGED, None),
            Change::Prompts => Message::notification(method::PROMPTS_LIST_CHANGED, None),
            Change::Resources => Message::notification(method::RESOURCES_LIST_CHANGED, None),
            Change::ResourceUpdated(uri) => {
                let params = serde_json::to_value(ResourceUpdatedParams { uri: uri.clone() }).ok();
                Message::notification(method::RESOURCE_UPDATED, params)
            }
        };
        let uri = match &change {
            Change::ResourceUpdated(uri) => Some(uri.clone()),
            _ => None,
        };
        let _ = self.inner.changes.send(change);
        self.broadcast_message(message, |s| uri.as_deref().is_none_or(|uri| s.is_subscribed(uri)));
    }

    fn relay(&self, change: &Change) {
        let relay = self.inner.relay.read().ok().and_then(|r| r.clone());
        if let Some(relay) = relay {
            relay(change);
        }
    }

    /// Hands every change raised in this process (list changes, [`notify_resource_updated`])
    /// to `relay` as well, for other replicas of this server to announce to their clients with
    /// [`apply_change`]; changes applied from elsewhere are not handed back. One relay per
    /// server: a second call replaces the first.
    ///
    /// ```
    /// use mcp_connector_core::{Change, Server};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let a = Server::builder("s", "1").enable_resources().build().unwrap();
    /// let b = Server::builder("s", "1").enable_resources().build().unwrap();
    /// let sent = Arc::new(Mutex::new(Vec::new()));
    /// let log = sent.clone();
    /// a.relay_changes(move |change| log.lock().unwrap().push(change.clone()));
    /// a.notify_resource_updated("file:///a");
    /// // The other replica announces it to its own sessions and listen streams.
    /// for change in sent.lock().unwrap().iter() {
    ///     b.apply_change(change);
    /// }
    /// assert_eq!(*sent.lock().unwrap(), vec![Change::ResourceUpdated("file:///a".into())]);
    /// ```
    ///
    /// [`notify_resource_updated`]: Server::notify_resource_updated
    /// [`apply_change`]: Server::apply_change
    pub fn relay_changes(&self, relay: impl Fn(&Change) + Send + Sync + 'static) {
        if let Ok(mut slot) = self.inner.relay.write() {
            *slot = Some(Arc::new(relay));
        }
    }

    /// Announces a change another replica raised to this process's clients, as if it had been
    /// raised here, without relaying it again.
    pub fn apply_change(&self, change: &Change) {
        self.announce(change.clone());
    }

    /// A receiver of every change from now on, for one `subscriptions/listen` stream.
    pub(crate) fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    /// Ends every `subscriptions/listen` stream gracefully: each gets its final result (the
    /// spec's "graceful closure") and no more notifications. Call it when shutting down; the
    /// transports' graceful shutdown does. New subscriptions end at once after this.
    ///
    /// ```
    /// let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// server.close_subscriptions();
    /// ```
    pub fn close_subscriptions(&self) {
        self.inner.closing.cancel();
    }

    pub(crate) fn closing(&self) -> tokio_util::sync::CancellationToken {
        self.inner.closing.clone()
    }

    pub(crate) fn cache_hint(&self) -> CacheHint {
        self.inner.cache_hint
    }

    pub(crate) fn request_state(&self) -> &mrtr::StateSealer {
        &self.inner.request_state
    }

    pub(crate) fn task_store(&self) -> &tasks::TaskStore {
        &self.inner.tasks
    }

    /// The safe-writes settings and store ([`ServerBuilder::safe_writes`]).
    pub fn safe_writes(&self) -> &crate::safe::SafeWrites {
        &self.inner.safe
    }

    pub(crate) fn in_flight(&self) -> &safe::InFlight {
        &self.inner.in_flight
    }

    fn broadcast_message(&self, message: Message, filter: impl Fn(&Connection) -> bool) {
        let sessions: Vec<Arc<Connection>> = match self.inner.sessions.lock() {
            Ok(mut s) => {
                s.retain(|w| w.strong_count() > 0);
                s.iter().filter_map(Weak::upgrade).collect()
            }
            Err(_) => return,
        };
        for session in sessions {
            if session.is_ready() && filter(&session) {
                session.notify(message.clone());
            }
        }
    }

    /// The values given to [`ServerBuilder::state`]. Kept apart from the extensions a
    /// transport attaches to a request, so server state can never pose as, say, the caller's
    /// verified claims.
    pub(crate) fn state(&self) -> &Arc<Extensions> {
        &self.inner.state
    }

    pub(crate) fn page_size(&self) -> usize {
        self.inner.page_size
    }

    pub(crate) fn client_request_timeout(&self) -> Duration {
        self.inner.client_request_timeout
    }

    pub(crate) fn resources_snapshot(&self) -> Vec<Resource> {
        self.inner.resources.read().map(|r| r.clone()).unwrap_or_default()
    }

    pub(crate) fn prompt(&self, name: &str) -> Option<Prompt> {
        self.inner.prompts.read().ok()?.get(name).cloned()
    }

    pub(crate) fn prompts(&self) -> Vec<Prompt> {
        self.inner.prompts.read().map(|p| p.items.clone()).unwrap_or_default()
    }
}

fn poisoned() -> BuildError {
    BuildError::InvalidSchema {
        tool: String::new(),
        why: "the server's registry lock was poisoned by a panic".into(),
    }
}

fn check_tool(tool: &Tool) -> Result<(), BuildError> {
    validate_tool_name(tool.name())
        .map_err(|why| BuildError::InvalidToolName { name: tool.name().to_owned(), why })?;
    let object_root = |schema: &serde_json::Map<String, serde_json::Value>| {
        schema.get("type").and_then(|t| t.as_str()) == Some("object")
    };
    if !object_root(&tool.definition.input_schema) {
        return Err(BuildError::InvalidSchema {
            tool: tool.name().to_owned(),
            why: "inputSchema must have `\"type\": \"object\"` at its root (2025-11-25, server/tools)".into(),
        });
    }
    if let Some(out) = &tool.definition.output_schema {
        if !object_root(out) {
            return Err(BuildError::InvalidSchema {
                tool: tool.name().to_owned(),
                why: "outputSchema must have `\"type\": \"object\"` at its root; wrap the value in a struct"
                    .into(),
            });
        }
        if out.contains_key("anyOf") || out.contains_key("oneOf") {
            return Err(BuildError::InvalidSchema {
                tool: tool.name().to_owned(),
                why: "outputSchema has a top-level anyOf/oneOf, which Claude rejects; wrap the enum in a struct field".into(),
            });
        }
    }
    // A keyword the validator would skip must not pass for a checked constraint.
    crate::schema::check_tool_schemas(&tool.definition.input_schema, tool.definition.output_schema.as_ref())
        .map_err(|why| BuildError::InvalidSchema { tool: tool.name().to_owned(), why })?;
    // 2026-07-28 server/tools, "x-mcp-header": clients drop a tool whose annotations break the
    // rules, so break them at build time rather than in front of a user.
    tool.header_params().map_err(|why| BuildError::InvalidSchema { tool: tool.name().to_owned(), why })?;
    safe::check_tool(tool)?;
    Ok(())
}

/// A resource, checked when it is a UI page, followed by its `text/html+skybridge` copy when
/// the page asks for one.
fn with_ui_copies(mut resource: Resource) -> Result<Vec<Resource>, BuildError> {
    let Some(ui) = resource.ui.clone() else { return Ok(vec![resource]) };
    let uri = resource.uri().to_owned();
    if resource.is_template() {
        return Err(BuildError::InvalidUi {
            item: format!("UI resource {uri:?}"),
            why: "a UI page is one concrete `ui://` URI, not a template; pass data to it through the tool result".into(),
        });
    }
    ui.check(&uri)?;
    if let ResourceKind::Concrete(definition) = &mut resource.kind {
        crate::ui::merge_meta(&mut definition.meta, (*ui.content_meta).clone());
    }
    if !ui.meta_wants_skybridge() {
        return Ok(vec![resource]);
    }
    let mut copy = resource.clone();
    let copy_uri = crate::ui::ResourceUi::skybridge_uri(&uri);
    if let ResourceKind::Concrete(definition) = &mut copy.kind {
        definition.uri = copy_uri;
        definition.mime_type = Some(crate::ui::SKYBRIDGE_MIME_TYPE.to_owned());
        // The copy is for ChatGPT alone: MCP Apps' `_meta.ui` stays on the page itself.
        if let Some(meta) = &mut definition.meta {
            meta.remove("ui");
        }
    }
    copy.ui = Some(Arc::new(ui.skybridge_copy()));
    Ok(vec![resource, copy])
}

/// What [`Tool::link_ui`] asks of the registered resources about `uri`.
fn find_ui(resources: &[Resource], uri: &str) -> Option<Option<bool>> {
    let resource = resources.iter().find(|r| !r.is_template() && r.uri() == uri)?;
    Some(resource.ui.as_ref().map(|ui| ui.meta_wants_skybridge()))
}

fn check_resource(existing: &[Resource], new: &Resource) -> Result<(), BuildError> {
    if let Some(first) = existing.iter().find(|r| r.uri() == new.uri()) {
        let kind = if new.is_template() { "resource template" } else { "resource" };
        return Err(BuildError::Duplicate {
            kind,
            name: new.uri().to_owned(),
            first: format!("`{}`", first.name()),
            second: format!("`{}`", new.name()),
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
struct ForcedCapabilities {
    tools: bool,
    resources: bool,
    prompts: bool,
}

/// Builds a [`Server`]; see [`Server::builder`].
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    page_size: usize,
    client_request_timeout: Duration,
    tools: Vec<Tool>,
    resources: Vec<Resource>,
    prompts: Vec<Prompt>,
    force: ForcedCapabilities,
    state: Extensions,
    cache_hint: CacheHint,
    request_state_key: Option<Vec<u8>>,
    request_state_ttl: Duration,
    tasks: tasks::TaskSettings,
    safe: Option<crate::safe::SafeWrites>,
    task_mirror: Option<task_mirror::Mirror>,
}

impl ServerBuilder {
    /// Display name of the server.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// What the server does (`serverInfo.description`).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.info.description = Some(description.into());
        self
    }

    /// The server's home page (`serverInfo.websiteUrl`).
    pub fn website_url(mut self, url: impl Into<String>) -> Self {
        self.info.website_url = Some(url.into());
        self
    }

    /// Icons for the server.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.info.icons = Some(icons);
        self
    }

    /// Instructions for the model on how to use the server. ChatGPT shows only the first 512
    /// characters in some places: make them stand alone.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Registers a tool.
    pub fn tool(mut self, tool: impl IntoTool) -> Self {
        self.tools.push(tool.into_tool());
        self
    }

    /// Registers several tools: a `Vec<Tool>`, or a value whose `impl` block is annotated with
    /// `#[tools]`, together with the `#[resource]` and `#[prompt]` methods of that block, so
    /// one value (a store, a client) serves all three and is registered once.
    pub fn tools(mut self, tools: impl IntoTools) -> Self {
        let Registrations { tools, resources, prompts } = tools.into_registrations();
        self.tools.extend(tools);
        self.resources.extend(resources);
        self.prompts.extend(prompts);
        self
    }

    /// Registers a resource or resource template.
    pub fn resource(mut self, resource: impl IntoResource) -> Self {
        self.resources.push(resource.into_resource());
        self
    }

    /// Registers a prompt.
    pub fn prompt(mut self, prompt: impl IntoPrompt) -> Self {
        self.prompts.push(prompt.into_prompt());
        self
    }

    /// How many items one `*/list` page holds (default 100).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// How long a request to the client (elicitation, sampling, roots) may wait for its
    /// answer (default 10 minutes: a person may be filling in a form).
    pub fn client_request_timeout(mut self, timeout: Duration) -> Self {
        self.client_request_timeout = timeout;
        self
    }

    /// Shares a value with every handler: a database pool, an HTTP client, a store. Handlers
    /// take it with a [`State<T>`](crate::State) parameter, or [`Context::state`]. It is
    /// separate from what a transport attaches to each request ([`Context::extensions`]).
    ///
    /// ```
    /// use mcp_connector_core::{Server, State, resource, protocol::ResourceContents, McpError, ResourceRequest};
    ///
    /// #[derive(Clone)]
    /// struct Greeting(&'static str);
    ///
    /// /// Today's greeting.
    /// #[resource(uri = "greeting://today", mime_type = "text/plain")]
    /// async fn greeting(greeting: State<Greeting>, request: ResourceRequest) -> Result<Vec<ResourceContents>, McpError> {
    ///     Ok(vec![ResourceContents::text(request.uri, greeting.0.0)])
    /// }
    ///
    /// let server = Server::builder("hello", "1").state(Greeting("hi")).resource(greeting::resource()).build().unwrap();
    /// # let _ = server;
    /// ```
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Declares the tools capability even with no tool registered yet, for servers that add
    /// tools at run time.
    pub fn enable_tools(mut self) -> Self {
        self.force.tools = true;
        self
    }

    /// Declares the resources capability even with no resource registered yet.
    pub fn enable_resources(mut self) -> Self {
        self.force.resources = true;
        self
    }

    /// Declares the prompts capability even with no prompt registered yet.
    pub fn enable_prompts(mut self) -> Self {
        self.force.prompts = true;
        self
    }

    /// The caching hint (`ttlMs`, `cacheScope`) on `tools/list`, `prompts/list`,
    /// `resources/list`, `resources/templates/list`, `resources/read` and `server/discover`
    /// results in protocol 2026-07-28 (the spec requires one on each). The default,
    /// [`CacheHint::default`], is "immediately stale, private": safe for any server. A resource
    /// can carry its own ([`ResourceBuilder::cache_hint`]).
    ///
    /// ```
    /// use mcp_connector_core::{Server, protocol::CacheHint};
    /// use std::time::Duration;
    ///
    /// let server = Server::builder("catalog", "1.0")
    ///     .cache_hint(CacheHint::public(Duration::from_secs(60)))
    ///     .build()
    ///     .unwrap();
    /// # let _ = server;
    /// ```
    pub fn cache_hint(mut self, hint: CacheHint) -> Self {
        self.cache_hint = hint;
        self
    }

    /// The key that seals `requestState` in multi round-trip requests (2026-07-28): a client
    /// echoes the state back, so the server signs it (HMAC-SHA256) and refuses anything it did
    /// not sign. Without this call the key is drawn at random when the server is built, which
    /// is right for one process; give every replica behind a load balancer the same key (at
    /// least 32 random bytes, kept secret) so a retry may land on any of them.
    ///
    /// ```
    /// use mcp_connector_core::Server;
    ///
    /// let key = std::env::var("MCP_STATE_KEY").unwrap_or_else(|_| "x".repeat(32));
    /// let server = Server::builder("replicated", "1.0").request_state_key(key).build().unwrap();
    /// # let _ = server;
    /// ```
    pub fn request_state_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.request_state_key = Some(key.into());
        self
    }

    /// How long a `requestState` stays valid (default ten minutes): a retry that comes later
    /// is refused, and the client starts the request afresh.
    pub fn request_state_ttl(mut self, ttl: Duration) -> Self {
        self.request_state_ttl = ttl;
        self
    }

    /// How long the server keeps a task (Tasks extension, 2026-07-28) after it last changed
    /// (default one hour): a finished task's result, or a task waiting for input, is dropped
    /// after that and `tasks/get` no longer finds it. A task that is still working is kept.
    /// The `ttlMs` clients see counts from the task's creation to that moment.
    pub fn task_ttl(mut self, ttl: Duration) -> Self {
        self.tasks.ttl = ttl;
        self
    }

    /// How often clients should poll a task (`pollIntervalMs`; default one second).
    pub fn task_poll_interval(mut self, interval: Duration) -> Self {
        self.tasks.poll_interval = interval;
        self
    }

    /// How many tasks the server keeps at once (default 1024). When the store is full the
    /// oldest finished task makes room; when every task is still live, a call to a
    /// [`TaskSupport::Optional`] tool runs as a plain call and a call to a
    /// [`TaskSupport::Required`] one fails with `-32603`.
    ///
    /// ```
    /// use mcp_connector_core::{Server, TaskSupport, Tool, protocol::CallToolResult};
    /// use std::time::Duration;
    ///
    /// let server = Server::builder("reports", "1.0")
    ///     .tool(
    ///         Tool::read("export_report")
    ///             .task_support(TaskSupport::Required)
    ///             .handler(|_ctx, _args| async { Ok(CallToolResult::text("exported")) }),
    ///     )
    ///     .max_tasks(100)
    ///     .task_ttl(Duration::from_secs(15 * 60))
    ///     .task_poll_interval(Duration::from_secs(2))
    ///     .build()
    ///     .unwrap();
    /// assert!(server.capabilities().extensions.as_ref().unwrap().contains_key("io.modelcontextprotocol/tasks"));
    /// ```
    pub fn max_tasks(mut self, max: usize) -> Self {
        self.tasks.max_tasks = max.max(1);
        self
    }

    /// Advertises the Tasks extension even with no task-capable tool registered yet, for a
    /// server that adds such tools at run time (the extension is otherwise advertised only when
    /// a tool given to the builder is task-capable, and without it no call becomes a task).
    pub fn enable_tasks(mut self) -> Self {
        self.tasks.force = true;
        self
    }

    /// How the server keeps writes safe: where idempotency records, used confirmation tokens
    /// and the saga journal live, the retry window, and the saga definitions (see
    /// [`crate::safe`]). Without this call: [`SafeWrites::in_memory`](crate::safe::SafeWrites::in_memory).
    ///
    /// ```
    /// use mcp_connector_core::Server;
    /// use mcp_connector_core::safe::{MemoryStore, SafeWrites};
    ///
    /// let server = Server::builder("s", "1")
    ///     .safe_writes(SafeWrites::new(MemoryStore::with_capacity(1_000)).retry_window(None))
    ///     .build()
    ///     .unwrap();
    /// assert!(server.safe_writes().store().as_ref() as *const _ as *const u8 != std::ptr::null());
    /// ```
    pub fn safe_writes(mut self, safe: crate::safe::SafeWrites) -> Self {
        self.safe = Some(safe);
        self
    }

    /// Mirrors this server's tasks where the other replicas of the server read them (see
    /// [`TaskMirror`]): `tasks/get`, `tasks/update` and `tasks/cancel` then work on any
    /// replica, and a task whose replica died is reported `failed` once `lease` passes without
    /// the runner renewing it (it renews it every third of `lease`). Without a mirror, tasks
    /// live in the process that runs them.
    ///
    /// ```
    /// use mcp_connector_core::{Server, TaskCommand, TaskMirror, TaskRecord, safe::StoreResult};
    /// use std::time::Duration;
    ///
    /// struct Nowhere;
    /// #[async_trait::async_trait]
    /// impl TaskMirror for Nowhere {
    ///     async fn publish(&self, _: &str, _: &TaskRecord, _: Duration) -> StoreResult<()> { Ok(()) }
    ///     async fn load(&self, _: &str) -> StoreResult<Option<TaskRecord>> { Ok(None) }
    ///     async fn send(&self, _: &str, _: TaskCommand) -> StoreResult<()> { Ok(()) }
    /// }
    /// let server = Server::builder("s", "1").task_mirror(Nowhere, Duration::from_secs(10)).build().unwrap();
    /// # let _ = server;
    /// ```
    pub fn task_mirror(mut self, mirror: impl TaskMirror, lease: Duration) -> Self {
        self.task_mirror = Some(task_mirror::Mirror { store: Arc::new(mirror), lease });
        self
    }

    /// Checks every registration and builds the server. Fails on an invalid tool name, a tool
    /// whose schema root is not an object, or two items with the same name, naming both.
    pub fn build(self) -> Result<Server, BuildError> {
        let mut resources: Vec<Resource> = Vec::new();
        for resource in self.resources {
            for resource in with_ui_copies(resource)? {
                check_resource(&resources, &resource)?;
                resources.push(resource);
            }
        }
        let mut tools = Catalog::default();
        for mut tool in self.tools {
            check_tool(&tool)?;
            tool.link_ui(|uri| find_ui(&resources, uri))?;
            let name = tool.name().to_owned();
            let second = tool.origin.clone();
            if let Err(first) = tools.insert(name.clone(), Arc::new(tool)) {
                return Err(BuildError::Duplicate {
                    kind: "tool",
                    name,
                    first: first.origin.clone(),
                    second,
                });
            }
        }
        let mut prompts = Catalog::default();
        for prompt in self.prompts {
            let name = prompt.name().to_owned();
            if prompts.insert(name.clone(), prompt).is_err() {
                return Err(BuildError::Duplicate {
                    kind: "prompt",
                    name: name.clone(),
                    first: format!("the first prompt `{name}`"),
                    second: format!("the second prompt `{name}`"),
                });
            }
        }
        let has_completions = resources
            .iter()
            .any(|r| !r.completers.is_empty() && matches!(r.kind, ResourceKind::Template(..)))
            || prompts.items.iter().any(|p: &Prompt| !p.completers.is_empty());
        let list_changed = || Some(ListChangedCapability { list_changed: Some(true) });
        let any_task_tool = tools.items.iter().any(|t| t.task.support != TaskSupport::Forbidden);
        let mut capabilities = ServerCapabilities {
            experimental: None,
            logging: Some(Default::default()),
            completions: has_completions.then(Default::default),
            prompts: (self.force.prompts || !prompts.items.is_empty()).then(list_changed).flatten(),
            resources: (self.force.resources || !resources.is_empty())
                .then_some(ResourcesCapability { subscribe: Some(true), list_changed: Some(true) }),
            tools: (self.force.tools || !tools.items.is_empty()).then(list_changed).flatten(),
            extensions: None,
        };
        tasks::advertise(&mut capabilities, any_task_tool, &self.tasks);
        // MCP Apps (`io.modelcontextprotocol/ui`): advertised once the server has a page to show.
        if resources.iter().any(Resource::is_ui) {
            capabilities
                .extensions
                .get_or_insert_with(serde_json::Map::new)
                .insert(crate::ui::EXTENSION.into(), serde_json::json!({}));
        }
        let request_state = mrtr::StateSealer::new(self.request_state_key, self.request_state_ttl)?;
        Ok(Server {
            inner: Arc::new(ServerInner {
                // An `Implementation` always serialises (every key is a string).
                info_json: serde_json::value::to_raw_value(&self.info).expect("serverInfo serialises"),
                info_meta_json: serde_json::value::to_raw_value(
                    &serde_json::json!({ crate::protocol::meta::SERVER_INFO: &self.info }),
                )
                .expect("serverInfo serialises"),
                info: self.info,
                instructions: self.instructions,
                capabilities,
                page_size: self.page_size,
                client_request_timeout: self.client_request_timeout,
                tools: arc_swap::ArcSwap::from_pointee(tools),
                tools_written: Mutex::new(()),
                resources: RwLock::new(resources),
                prompts: RwLock::new(prompts),
                sessions: Mutex::new(Vec::new()),
                changes: tokio::sync::broadcast::channel(256).0,
                relay: RwLock::new(None),
                state: Arc::new(self.state),
                cache_hint: self.cache_hint,
                request_state,
                closing: tokio_util::sync::CancellationToken::new(),
                tasks: tasks::TaskStore::new(&self.tasks, self.task_mirror),
                safe: self.safe.unwrap_or_else(crate::safe::SafeWrites::in_memory),
                in_flight: safe::InFlight::default(),
            }),
        })
    }
}
