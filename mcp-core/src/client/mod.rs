//! An MCP client: call another server's tools, read its resources, get its prompts, in either
//! protocol era, over any connection.
//!
//! The protocol lives here; connections live in `mcp-transport` (`client::stdio` spawns a
//! server process, `client::http` speaks streamable HTTP and the legacy HTTP+SSE transport).
//! [`memory`] connects to a [`Server`](crate::Server) in the same process, which is what the
//! examples below use.
//!
//! Connecting negotiates the era the way the specification asks a dual-era client to
//! (2026-07-28, basic/versioning, "Backward Compatibility with Initialization-Based
//! Versions"): it probes with `server/discover`; a `DiscoverResult` or a recognised modern
//! error (`-32022` with the versions the server speaks) means the 2026-07-28 era, where every
//! request carries its version, capabilities and identity in `_meta`; any other answer, or
//! none within the probe timeout, means a legacy server, and the client falls back to the
//! `initialize` handshake (2025-11-25).
//!
//! ```
//! use mcp_connector_core::{Server, Tool, client::{Client, memory}, protocol::CallToolResult};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = Server::builder("clock", "1.0")
//!     .tool(Tool::read("now").handler(|_ctx, _args| async { Ok(CallToolResult::text("12:00")) }))
//!     .build()
//!     .unwrap();
//! let client = Client::builder("my-agent", "0.1").connect(memory::connect(server)).await.unwrap();
//! assert_eq!(client.details().era, mcp_connector_core::era::Era::Modern);
//! let tools = client.list_tools().await.unwrap();
//! assert_eq!(tools[0].name, "now");
//! let result = client.call_tool("now", json!({})).await.unwrap();
//! assert_eq!(result.content[0].as_text(), Some("12:00"));
//! # });
//! ```

mod error;
mod handler;
mod headers;
pub mod memory;
mod session;
mod transport;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// The attribute [`ClientHandler`] and [`Transport`] implementations carry (re-exported, so
/// implementing them needs no dependency of your own).
pub use async_trait::async_trait;
pub use error::ClientError;
pub use handler::{ClientHandler, NoHandler, ServerNotification};
pub use transport::{Connection, Incoming, Outgoing, Transport, TransportError};

use crate::era::Era;
use crate::jsonrpc::code;
use crate::protocol::{
    CallToolResult, ClientCapabilities, CompleteResult, CompletionReference, DiscoverResult, GetPromptResult,
    Implementation, InitializeResult, InputRequiredResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, ProgressParams, PromptDefinition, ProtocolVersion,
    ReadResourceResult, ResourceDefinition, ResourceTemplateDefinition, ServerCapabilities, ToolDefinition,
    meta, method,
};
use session::{Inner, Wire};

/// Called with each `notifications/progress` of a call that asked for progress.
pub type ProgressCallback = Arc<dyn Fn(ProgressParams) + Send + Sync>;

/// The modern revisions this client speaks, newest first.
const MODERN_VERSIONS: [&str; 1] = [ProtocolVersion::V2026_07_28];

/// How many `input_required` rounds one call may take before the client gives up.
const MAX_INPUT_ROUNDS: usize = 16;

/// Which era to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EraPreference {
    /// Probe with `server/discover`, fall back to `initialize` (the default).
    #[default]
    Auto,
    /// `initialize` only (a server known to be legacy; saves the probe).
    Legacy,
    /// 2026-07-28 only: fail against a legacy server instead of falling back.
    Modern,
}

/// What connecting learnt about the server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServerDetails {
    /// The era both sides speak.
    pub era: Era,
    /// The protocol version both sides speak.
    pub protocol_version: ProtocolVersion,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// Who the server says it is.
    pub server_info: Option<Implementation>,
    /// How to use the server, for a model's system prompt.
    pub instructions: Option<String>,
    /// Every version the server listed (modern era; the negotiated one in the legacy era).
    pub supported_versions: Vec<String>,
}

/// Per-call options: timeout, progress, cancellation, extra `_meta`.
///
/// ```
/// use std::time::Duration;
/// use mcp_connector_core::client::CallOptions;
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(30))
///     .on_progress(|p| eprintln!("{}/{:?}", p.progress, p.total));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    progress: Option<ProgressCallback>,
    cancel: Option<crate::CancellationToken>,
    meta: Option<Map<String, Value>>,
    handler: Option<Arc<dyn ClientHandler>>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("meta", &self.meta)
            .field("handler", &self.handler.is_some())
            .finish()
    }
}

impl CallOptions {
    /// The client's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives up (and cancels the request on the server) after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Asks for progress (`_meta.progressToken`) and hands each notification to `callback`.
    pub fn on_progress(mut self, callback: impl Fn(ProgressParams) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Cancels the request (`notifications/cancelled`, or closing its HTTP stream in the
    /// modern era) when `token` is cancelled; the call returns [`ClientError::Cancelled`].
    pub fn cancel_on(mut self, token: crate::CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Extra `_meta` entries for the request (for example a forwarded idempotency key). In
    /// the modern era an entry here wins over the client's own (a gateway forwards its
    /// caller's `clientCapabilities` this way).
    pub fn meta(mut self, entries: Map<String, Value>) -> Self {
        self.meta = Some(entries);
        self
    }

    /// Who answers this call's input requests (2026-07-28 `input_required`) instead of the
    /// client's [`handler`](ClientBuilder::handler): a gateway hands each call's questions to
    /// the user of the call that caused them.
    pub fn handler(mut self, handler: impl ClientHandler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }
}

/// Configures a [`Client`] before it connects.
pub struct ClientBuilder {
    info: Implementation,
    capabilities: ClientCapabilities,
    handler: Arc<dyn ClientHandler>,
    era: EraPreference,
    probe_timeout: Duration,
    request_timeout: Option<Duration>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("info", &self.info)
            .field("capabilities", &self.capabilities)
            .field("era", &self.era)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Capabilities to declare (default: none). Declare only what the
    /// [`handler`](Self::handler) implements: a server asks only for what was declared.
    ///
    /// ```
    /// use mcp_connector_core::client::Client;
    /// let builder = Client::builder("agent", "1").capabilities(serde_json::json!({"elicitation": {}}));
    /// # let _ = builder;
    /// ```
    pub fn capabilities(mut self, capabilities: Value) -> Self {
        self.capabilities = serde_json::from_value(capabilities).unwrap_or_default();
        self
    }

    /// What answers the server's requests and hears its notifications.
    pub fn handler(mut self, handler: impl ClientHandler) -> Self {
        self.handler = Arc::new(handler);
        self
    }

    /// Which era to speak (default [`EraPreference::Auto`]).
    pub fn era(mut self, era: EraPreference) -> Self {
        self.era = era;
        self
    }

    /// How long the `server/discover` probe waits before taking silence for a legacy server
    /// (default 10 s; stdio servers of the legacy era may not answer a request before
    /// `initialize`).
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// The timeout of every request that sets none itself (default: none).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Connects and negotiates the era (see the [module docs](self)).
    pub async fn connect(self, connection: Connection) -> Result<Client, ClientError> {
        let inner = Inner::start(
            connection.transport,
            connection.inbound,
            self.info,
            self.capabilities,
            self.handler,
        );
        let client = Client { inner, request_timeout: self.request_timeout };
        let probe = CallOptions::new().timeout(self.probe_timeout);
        match self.era {
            EraPreference::Legacy => client.initialize().await?,
            EraPreference::Modern => client.discover_era(&probe, false).await?,
            EraPreference::Auto => client.discover_era(&probe, true).await?,
        }
        Ok(client)
    }
}

/// A connection to one MCP server. Cheap to clone; calls may run concurrently.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    request_timeout: Option<Duration>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("details", &self.inner.details.read().ok()).finish()
    }
}

impl Client {
    /// A builder for a client that calls itself `name` `version` (`clientInfo`).
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            info: Implementation {
                name: name.into(),
                version: version.into(),
                title: None,
                description: None,
                icons: None,
                website_url: None,
            },
            capabilities: ClientCapabilities::default(),
            handler: Arc::new(NoHandler),
            era: EraPreference::Auto,
            probe_timeout: Duration::from_secs(10),
            request_timeout: None,
        }
    }

    /// What connecting learnt about the server.
    pub fn details(&self) -> ServerDetails {
        self.inner.details.read().ok().and_then(|d| d.clone()).unwrap_or_else(|| ServerDetails {
            era: Era::Legacy,
            protocol_version: ProtocolVersion::latest(),
            capabilities: ServerCapabilities::default(),
            server_info: None,
            instructions: None,
            supported_versions: Vec::new(),
        })
    }

    /// The modern probe: `server/discover` at our newest version.
    async fn discover_era(&self, probe: &CallOptions, fall_back: bool) -> Result<(), ClientError> {
        let mut version = MODERN_VERSIONS[0].to_owned();
        for _ in 0..2 {
            let wire = Wire { era: Some(Era::Modern), version: Some(version.clone()) };
            let answer = self.inner.round_trip(method::DISCOVER, json!({}), probe, None, &wire).await;
            match answer {
                Ok(result) => match serde_json::from_value::<DiscoverResult>(result.clone()) {
                    Ok(discovered) => {
                        if let Some(chosen) = pick_modern(&discovered.supported_versions) {
                            self.set_details(ServerDetails {
                                era: Era::Modern,
                                protocol_version: ProtocolVersion::new(chosen),
                                capabilities: discovered.capabilities,
                                server_info: server_info(&result),
                                instructions: discovered.instructions,
                                supported_versions: discovered.supported_versions,
                            });
                            return Ok(());
                        }
                        if fall_back {
                            return self.initialize().await;
                        }
                        return Err(ClientError::UnsupportedVersion {
                            server: discovered.supported_versions,
                        });
                    }
                    // Not a DiscoverResult: a legacy server answering whatever it answers.
                    Err(_) if fall_back => return self.initialize().await,
                    Err(e) => return Err(ClientError::Decode(format!("server/discover: {e}"))),
                },
                // A recognised modern error: the server is modern; retry at a version it
                // speaks (basic/versioning, "Protocol Version Negotiation").
                Err(ClientError::Server(e)) if e.code == code::UNSUPPORTED_PROTOCOL_VERSION => {
                    let supported = supported_of(&e.data);
                    match pick_modern(&supported) {
                        Some(chosen) => version = chosen.to_owned(),
                        None if fall_back
                            && supported.iter().any(|v| ProtocolVersion::HANDSHAKE.contains(&v.as_str())) =>
                        {
                            return self.initialize().await;
                        }
                        None => return Err(ClientError::UnsupportedVersion { server: supported }),
                    }
                }
                Err(ClientError::Server(e))
                    if e.code == code::HEADER_MISMATCH
                        || e.code == code::MISSING_REQUIRED_CLIENT_CAPABILITY =>
                {
                    return Err(ClientError::Server(e));
                }
                Err(ClientError::Closed(why)) => return Err(ClientError::Closed(why)),
                Err(other) if fall_back => {
                    tracing::debug!(error = %other, "server/discover failed; falling back to initialize");
                    return self.initialize().await;
                }
                Err(other) => return Err(other),
            }
        }
        Err(ClientError::UnsupportedVersion { server: vec![version] })
    }

    /// The legacy handshake (2025-11-25 basic/lifecycle): `initialize`, then
    /// `notifications/initialized`.
    async fn initialize(&self) -> Result<(), ClientError> {
        let params = json!({
            "protocolVersion": ProtocolVersion::V2025_11_25,
            "capabilities": self.inner.capabilities,
            "clientInfo": self.inner.info,
        });
        let options = CallOptions { timeout: self.request_timeout, ..CallOptions::default() };
        let result =
            self.inner.round_trip(method::INITIALIZE, params, &options, None, &Wire::default()).await?;
        let init: InitializeResult =
            serde_json::from_value(result).map_err(|e| ClientError::Decode(format!("initialize: {e}")))?;
        let version = init.protocol_version.to_string();
        // "If the client does not support the version in the server's response, it SHOULD
        // disconnect."
        if !ProtocolVersion::HANDSHAKE.contains(&version.as_str()) {
            return Err(ClientError::UnsupportedVersion { server: vec![version] });
        }
        self.set_details(ServerDetails {
            era: Era::Legacy,
            protocol_version: init.protocol_version,
            capabilities: init.capabilities,
            server_info: Some(init.server_info),
            instructions: init.instructions,
            supported_versions: vec![version],
        });
        self.inner.notify(method::INITIALIZED, None, &self.inner.wire()).await
    }

    fn set_details(&self, details: ServerDetails) {
        if let Ok(mut slot) = self.inner.details.write() {
            *slot = Some(details);
        }
    }

    /// Sends a request and returns its result: the one door every typed call goes through.
    /// In the modern era it answers `input_required` results with the
    /// [`handler`](ClientBuilder::handler) and retries with `inputResponses` and the echoed
    /// `requestState` (basic/patterns/mrtr), retries once at a version the server lists when
    /// it answers `-32022`, and re-reads `tools/list` once when a `tools/call` is refused for
    /// its `Mcp-Param-*` headers (`-32020`, "Custom Headers from Tool Parameters").
    ///
    /// ```
    /// # use mcp_connector_core::{Server, client::{Client, CallOptions, memory}};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let server = Server::builder("s", "1").build().unwrap();
    /// let client = Client::builder("agent", "1").connect(memory::connect(server)).await.unwrap();
    /// let discovered = client.request("server/discover", serde_json::json!({}), &CallOptions::new()).await.unwrap();
    /// assert!(discovered["supportedVersions"].is_array());
    /// # });
    /// ```
    pub async fn request(
        &self,
        method_name: &str,
        params: Value,
        options: &CallOptions,
    ) -> Result<Value, ClientError> {
        let mut options = options.clone();
        if options.timeout.is_none() {
            options.timeout = self.request_timeout;
        }
        let registration = options.progress.clone().map(|callback| self.inner.progress_token(callback));
        let token = registration.as_ref().map(|r| r.token.as_str());
        let mut params = params;
        let mut version_retried = false;
        let mut tools_reread = false;
        let mut session_renewed = false;
        for _ in 0..MAX_INPUT_ROUNDS {
            let wire = self.inner.wire();
            let modern = wire.era == Some(Era::Modern);
            match self.inner.round_trip(method_name, params.clone(), &options, token, &wire).await {
                Err(ClientError::Server(e))
                    if modern && e.code == code::UNSUPPORTED_PROTOCOL_VERSION && !version_retried =>
                {
                    version_retried = true;
                    let supported = supported_of(&e.data);
                    let Some(chosen) = pick_modern(&supported) else {
                        return Err(ClientError::UnsupportedVersion { server: supported });
                    };
                    if let Ok(mut details) = self.inner.details.write()
                        && let Some(details) = details.as_mut()
                    {
                        details.protocol_version = ProtocolVersion::new(chosen);
                    }
                }
                // 2025-11-25 streamable HTTP, "Session Management": on a 404 to a request with
                // a session id the client MUST start a new session with a new `initialize`.
                Err(ClientError::Transport(e))
                    if e.session_expired && !session_renewed && method_name != method::INITIALIZE =>
                {
                    session_renewed = true;
                    tracing::info!("the server forgot the session; starting a new one");
                    Box::pin(self.initialize()).await?;
                }
                Err(ClientError::Server(e))
                    if modern
                        && e.code == code::HEADER_MISMATCH
                        && method_name == method::TOOLS_CALL
                        && !tools_reread =>
                {
                    tools_reread = true;
                    // Boxed: `list_tools` goes through this method too.
                    Box::pin(self.list_tools()).await?;
                }
                Ok(result)
                    if modern
                        && result.get("resultType").and_then(Value::as_str) == Some("input_required") =>
                {
                    let input: InputRequiredResult = serde_json::from_value(result)
                        .map_err(|e| ClientError::Decode(format!("input_required result: {e}")))?;
                    let handler = options.handler.clone().unwrap_or_else(|| self.inner.handler.clone());
                    let mut responses = Map::new();
                    for (key, request) in input.input_requests.unwrap_or_default() {
                        let answer = handler::answer(handler.as_ref(), &request.method, request.params)
                            .await
                            .map_err(ClientError::Server)?;
                        responses.insert(key, answer);
                    }
                    let Value::Object(fields) = &mut params else {
                        return Err(ClientError::Decode("request params must be an object".into()));
                    };
                    fields.insert("inputResponses".into(), Value::Object(responses));
                    match input.request_state {
                        Some(state) => fields.insert("requestState".into(), Value::String(state)),
                        None => fields.remove("requestState"),
                    };
                }
                other => return other,
            }
        }
        Err(ClientError::Decode(format!("the server asked for input {MAX_INPUT_ROUNDS} times in a row")))
    }

    async fn typed<T: DeserializeOwned>(&self, method_name: &str, params: Value) -> Result<T, ClientError> {
        let result = self.request(method_name, params, &CallOptions::new()).await?;
        serde_json::from_value(result).map_err(|e| ClientError::Decode(format!("{method_name}: {e}")))
    }

    /// Sends a notification (legacy era; the modern era defines none a client sends over
    /// HTTP).
    pub async fn notify(&self, method_name: &str, params: Option<Value>) -> Result<(), ClientError> {
        self.inner.notify(method_name, params, &self.inner.wire()).await
    }

    /// `ping` (legacy era; removed in 2026-07-28, where it is `-32601`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        self.request(method::PING, json!({}), &CallOptions::new()).await.map(|_| ())
    }

    /// `server/discover` (modern era).
    pub async fn discover(&self) -> Result<DiscoverResult, ClientError> {
        self.typed(method::DISCOVER, json!({})).await
    }

    /// One page of `tools/list`. Tools whose `x-mcp-header` annotations break the spec's rules
    /// are left out (2026-07-28 server/tools: clients MUST reject them), with a warning; the
    /// others' annotations are remembered for the `Mcp-Param-*` headers of their calls.
    pub async fn list_tools_page(&self, cursor: Option<&str>) -> Result<ListToolsResult, ClientError> {
        let mut page: ListToolsResult = self.typed(method::TOOLS_LIST, cursor_params(cursor)).await?;
        let mut known = Vec::new();
        page.tools.retain(|tool| match crate::server::x_mcp_headers(&tool.input_schema) {
            Ok(annotations) => {
                known.push((tool.name.clone(), annotations));
                true
            }
            Err(why) => {
                tracing::warn!(tool = %tool.name, %why, "left out a tool with invalid x-mcp-header annotations");
                false
            }
        });
        if let Ok(mut headers) = self.inner.tool_headers.lock() {
            headers.extend(known);
        }
        Ok(page)
    }

    /// Every tool, following `nextCursor` across pages (see [`list_tools_page`](Self::list_tools_page)).
    pub async fn list_tools(&self) -> Result<Vec<ToolDefinition>, ClientError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_tools_page(cursor.as_deref()).await?;
            tools.extend(page.tools);
            match page.next_cursor {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(tools),
            }
        }
    }

    /// Calls a tool. `Err` is a protocol or connection failure; a tool's own failure is `Ok`
    /// with `is_error: Some(true)`, as on the wire.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<CallToolResult, ClientError> {
        self.call_tool_with(name, arguments, &CallOptions::new()).await
    }

    /// [`call_tool`](Self::call_tool) with per-call options (progress, timeout,
    /// cancellation).
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: Value,
        options: &CallOptions,
    ) -> Result<CallToolResult, ClientError> {
        let params = json!({"name": name, "arguments": arguments});
        let result = self.request(method::TOOLS_CALL, params, options).await?;
        serde_json::from_value(result).map_err(|e| ClientError::Decode(format!("tools/call: {e}")))
    }

    /// Calls a tool and reads its `structuredContent` as a `T`; a tool error is
    /// [`ClientError::Tool`] with its text.
    pub async fn call_tool_as<T: DeserializeOwned>(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<T, ClientError> {
        let result = self.call_tool(name, arguments).await?;
        if result.failed() {
            let text: Vec<&str> = result.content.iter().filter_map(|c| c.as_text()).collect();
            return Err(ClientError::Tool(text.join("\n")));
        }
        result.structured_as().map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Every resource, across pages.
    pub async fn list_resources(&self) -> Result<Vec<ResourceDefinition>, ClientError> {
        self.list_all(method::RESOURCES_LIST, |page: ListResourcesResult| (page.resources, page.next_cursor))
            .await
    }

    /// Every resource template, across pages.
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplateDefinition>, ClientError> {
        self.list_all(method::RESOURCE_TEMPLATES_LIST, |page: ListResourceTemplatesResult| {
            (page.resource_templates, page.next_cursor)
        })
        .await
    }

    /// Reads a resource.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, ClientError> {
        self.typed(method::RESOURCES_READ, json!({"uri": uri})).await
    }

    /// `resources/subscribe` (legacy era; updates arrive as
    /// [`ServerNotification::ResourceUpdated`]).
    pub async fn subscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.request(method::RESOURCES_SUBSCRIBE, json!({"uri": uri}), &CallOptions::new()).await.map(|_| ())
    }

    /// `resources/unsubscribe` (legacy era).
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.request(method::RESOURCES_UNSUBSCRIBE, json!({"uri": uri}), &CallOptions::new())
            .await
            .map(|_| ())
    }

    /// Every prompt, across pages.
    pub async fn list_prompts(&self) -> Result<Vec<PromptDefinition>, ClientError> {
        self.list_all(method::PROMPTS_LIST, |page: ListPromptsResult| (page.prompts, page.next_cursor)).await
    }

    /// Gets a prompt with these argument values.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: BTreeMap<String, String>,
    ) -> Result<GetPromptResult, ClientError> {
        self.typed(method::PROMPTS_GET, json!({"name": name, "arguments": arguments})).await
    }

    /// `completion/complete`: values for argument `argument` of `reference`, given what was
    /// typed so far.
    pub async fn complete(
        &self,
        reference: CompletionReference,
        argument: &str,
        value: &str,
    ) -> Result<CompleteResult, ClientError> {
        let params = json!({"ref": reference, "argument": {"name": argument, "value": value}});
        self.typed(method::COMPLETE, params).await
    }

    /// The least severe log level to receive: `logging/setLevel` in the legacy era; in the
    /// modern era, where that method was removed, every later request carries it in
    /// `_meta["io.modelcontextprotocol/logLevel"]`.
    pub async fn set_level(&self, level: LoggingLevel) -> Result<(), ClientError> {
        if self.details().era == Era::Modern {
            if let Ok(mut slot) = self.inner.log_level.lock() {
                *slot = Some(level);
            }
            return Ok(());
        }
        self.request(method::SET_LEVEL, json!({"level": level}), &CallOptions::new()).await.map(|_| ())
    }

    /// Ends the connection (HTTP: `DELETE` of the session; stdio: the child's stdin closes).
    pub async fn close(&self) {
        self.inner.transport.close().await;
    }

    async fn list_all<P: DeserializeOwned, T>(
        &self,
        method_name: &str,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Result<Vec<T>, ClientError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page: P = self.typed(method_name, cursor_params(cursor.as_deref())).await?;
            let (page_items, next) = split(page);
            items.extend(page_items);
            match next {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }
}

fn cursor_params(cursor: Option<&str>) -> Value {
    match cursor {
        Some(c) => json!({"cursor": c}),
        None => json!({}),
    }
}

/// The newest modern version both sides speak.
fn pick_modern(server: &[String]) -> Option<&'static str> {
    MODERN_VERSIONS.into_iter().find(|ours| server.iter().any(|theirs| theirs == ours))
}

/// `data.supported` of an `UnsupportedProtocolVersion` error.
fn supported_of(data: &Option<Value>) -> Vec<String> {
    data.as_ref()
        .and_then(|d| d.get("supported"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}

/// The server's identity in a `server/discover` result: `_meta` (2026-07-28), or the body
/// field some servers still send.
fn server_info(result: &Value) -> Option<Implementation> {
    let info =
        result.get("_meta").and_then(|m| m.get(meta::SERVER_INFO)).or_else(|| result.get("serverInfo"))?;
    serde_json::from_value(info.clone()).ok()
}
