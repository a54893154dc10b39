//! A gateway: one MCP endpoint in front of several connectors. It mounts each upstream
//! connector (spawned on stdio, or reached over streamable HTTP with its own credentials),
//! lists its tools and serves them under the upstream's name (`tickets.create_ticket`), with
//! their schemas and read/write hints unchanged, filtered by allow and deny lists. A call is
//! forwarded with its progress, its cancellation and the upstream's questions to the user
//! (elicitation, sampling, roots) passed through; an upstream that is down or too slow is a
//! tool error that says so, never a hang; every forwarded write is one `mcp::audit` event.
//!
//! ```
//! use examples::gateway::{Config, Gateway};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let config: Config = serde_json::from_value(serde_json::json!({"upstreams": []})).unwrap();
//! let gateway = Gateway::start(config).await.unwrap();
//! assert!(gateway.server().check().is_clean());
//! # });
//! ```

mod config;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mcp_connector_core::client::{
    CallOptions, Client, ClientError, ClientHandler, Connection, EraPreference,
};
use mcp_connector_core::jsonrpc::{ErrorObject, code};
use mcp_connector_core::protocol::{
    CallToolResult, CreateMessageParams, CreateMessageResult, ElicitParams, ElicitResult, ListRootsResult,
    ToolDefinition, meta,
};
use mcp_connector_core::{Context, Server, Tool, ToolError};
use mcp_connector_transport::client::{BearerToken, http::HttpConnector, stdio};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

pub use config::{Config, UpstreamConfig};

/// The `tracing` target of the audit trail (the transport's own audit events use it too).
pub const AUDIT_TARGET: &str = "mcp::audit";

/// How often an upstream that was down at start is tried again.
const RETRY_DOWN: Duration = Duration::from_secs(10);

/// The gateway: its server (to serve on any transport) and its upstreams.
pub struct Gateway {
    server: Server,
}

impl Gateway {
    /// Connects to every upstream and builds the server with their tools. An upstream that
    /// cannot be reached now is logged, mounted without tools, and tried again every ten
    /// seconds; its tools appear (with `notifications/tools/list_changed`) once it answers.
    pub async fn start(config: Config) -> Result<Gateway, String> {
        config.check()?;
        let mut builder = Server::builder("gateway", env!("CARGO_PKG_VERSION")).instructions(
            "Tools of several connectors behind one endpoint; each tool's name starts with its connector's name.",
        );
        let mut down = Vec::new();
        let mut mounted = Vec::new();
        for settings in config.upstreams.clone() {
            let upstream = Arc::new(Upstream::new(settings, &config));
            match upstream.tools().await {
                Ok(tools) => {
                    for tool in tools {
                        builder = builder.tool(tool);
                    }
                    mounted.push(upstream.name().to_owned());
                }
                Err(error) => {
                    tracing::warn!(upstream = upstream.name(), %error, "upstream is down; its tools will be mounted when it answers");
                    down.push(upstream);
                }
            }
        }
        let server = builder.build().map_err(|e| format!("cannot build the gateway: {e}"))?;
        tracing::info!(?mounted, "gateway mounted its upstreams");
        for upstream in down {
            tokio::spawn(mount_later(server.clone(), upstream));
        }
        Ok(Gateway { server })
    }

    /// The server to serve.
    pub fn server(&self) -> Server {
        self.server.clone()
    }
}

async fn mount_later(server: Server, upstream: Arc<Upstream>) {
    loop {
        tokio::time::sleep(RETRY_DOWN).await;
        if let Ok(tools) = upstream.tools().await {
            for tool in tools {
                if let Err(error) = server.add_tool(tool) {
                    tracing::warn!(upstream = upstream.name(), %error, "cannot mount a tool");
                }
            }
            tracing::info!(upstream = upstream.name(), "upstream is up; its tools are mounted");
            return;
        }
    }
}

/// One upstream connector and the connection to it (made on first use, made again after it
/// failed).
struct Upstream {
    config: UpstreamConfig,
    client: Mutex<Option<Client>>,
    call_timeout: Duration,
    connect_timeout: Duration,
}

impl Upstream {
    fn new(config: UpstreamConfig, gateway: &Config) -> Upstream {
        Upstream {
            config,
            client: Mutex::new(None),
            call_timeout: Duration::from_secs(gateway.call_timeout_secs),
            connect_timeout: Duration::from_secs(gateway.connect_timeout_secs),
        }
    }

    fn name(&self) -> &str {
        &self.config.name
    }

    fn connection(&self) -> Result<Connection, String> {
        if let Some(command) = &self.config.command {
            let mut process = tokio::process::Command::new(&command[0]);
            process.args(&command[1..]).envs(&self.config.env);
            return stdio::spawn(process).map_err(|e| format!("cannot start {:?}: {e}", command[0]));
        }
        let url = self.config.url.as_deref().unwrap_or_default();
        let mut connector = HttpConnector::new(url);
        if let Some(var) = &self.config.bearer_token_env {
            let token =
                std::env::var(var).map_err(|_| format!("the environment variable {var} is not set"))?;
            connector = connector.authorizer(BearerToken::new(token));
        }
        for (name, value) in &self.config.headers {
            connector = connector.header(name, value);
        }
        Ok(connector.connect())
    }

    /// The connection, connecting first when there is none.
    async fn client(&self) -> Result<Client, String> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let connecting = Client::builder("mcp-gateway", env!("CARGO_PKG_VERSION"))
            .era(EraPreference::Auto)
            .probe_timeout(self.connect_timeout)
            .request_timeout(self.call_timeout)
            .connect(self.connection()?);
        let client = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| format!("no answer within {:?}", self.connect_timeout))?
            .map_err(|e| e.to_string())?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Drops a connection that failed, so the next call makes a new one.
    async fn forget(&self) {
        if let Some(client) = self.client.lock().await.take() {
            tokio::spawn(async move { client.close().await });
        }
    }

    /// The upstream's tools that the lists let through, as gateway tools.
    async fn tools(self: &Arc<Self>) -> Result<Vec<Tool>, String> {
        let client = self.client().await?;
        let listed = match client.list_tools().await {
            Ok(listed) => listed,
            Err(error) => {
                self.forget().await;
                return Err(error.to_string());
            }
        };
        Ok(listed
            .into_iter()
            .filter(|t| self.config.exposes(&t.name))
            .map(|t| forwarded(self.clone(), t))
            .collect())
    }
}

/// The gateway's copy of an upstream tool: same schemas, same hints, a namespaced name.
fn forwarded(upstream: Arc<Upstream>, definition: ToolDefinition) -> Tool {
    let hints = definition.annotations.clone().unwrap_or_default();
    let name = format!("{}.{}", upstream.name(), definition.name);
    let builder = if hints.read_only_hint == Some(true) { Tool::read(&name) } else { Tool::write(&name) };
    // The spec's defaults for hints an upstream left out: destructive, not idempotent, open
    // world. A gateway must not make a tool look safer than its server said it is.
    let mut builder = builder
        .input_schema(Value::Object(definition.input_schema.clone()))
        .destructive(hints.destructive_hint.unwrap_or(true))
        .idempotent(hints.idempotent_hint.unwrap_or(false))
        .open_world(hints.open_world_hint.unwrap_or(true));
    if let Some(output) = &definition.output_schema {
        builder = builder.output_schema(Value::Object(output.clone()));
    }
    if let Some(description) = &definition.description {
        builder = builder.description(description.clone());
    }
    if let Some(title) = definition.title.clone().or(hints.title.clone()) {
        builder = builder.title(title);
    }
    let read_only = hints.read_only_hint == Some(true);
    let tool = definition.name;
    builder.handler(move |ctx, arguments| {
        let upstream = upstream.clone();
        let tool = tool.clone();
        async move { forward(&upstream, &tool, read_only, ctx, arguments).await }
    })
}

/// Forwards one call: progress back to the caller, the caller's cancellation to the
/// upstream, the upstream's questions to the caller's user, one audit event for a write.
async fn forward(
    upstream: &Upstream,
    tool: &str,
    read_only: bool,
    ctx: Context,
    arguments: Map<String, Value>,
) -> Result<CallToolResult, ToolError> {
    let started = Instant::now();
    let name = format!("{}.{tool}", upstream.name());
    let outcome = call(upstream, tool, &ctx, arguments.clone()).await;
    if !read_only {
        let label = match &outcome {
            Ok(result) if result.failed() => "error",
            Ok(_) => "ok",
            Err(_) => "unavailable",
        };
        audit(&name, upstream.name(), &ctx, &arguments, label, started.elapsed());
    }
    outcome.or_else(|why| Ok(CallToolResult::error(why)))
}

async fn call(
    upstream: &Upstream,
    tool: &str,
    ctx: &Context,
    arguments: Map<String, Value>,
) -> Result<CallToolResult, String> {
    let name = upstream.name();
    let client = upstream
        .client()
        .await
        .map_err(|e| format!("the `{name}` connector is unavailable ({e}); try again later"))?;
    let progress = ctx.clone();
    let mut forwarded_meta = Map::new();
    // Modern upstreams learn what the caller's client can do, per call.
    if let Ok(capabilities) = serde_json::to_value(ctx.client_capabilities()) {
        forwarded_meta.insert(meta::CLIENT_CAPABILITIES.into(), capabilities);
    }
    let options = CallOptions::new()
        .timeout(upstream.call_timeout)
        .cancel_on(ctx.cancellation())
        .on_progress(move |p| progress.progress(p.progress, p.total, p.message.as_deref()))
        .meta(forwarded_meta)
        .handler(AskTheCaller(ctx.clone()));
    match client.call_tool_with(tool, Value::Object(arguments), &options).await {
        Ok(result) => Ok(result),
        Err(ClientError::Server(error)) => Err(format!("`{name}` refused the call: {}", error.message)),
        Err(ClientError::Timeout(after)) => {
            Err(format!("`{name}` did not answer within {after:?}; the call was cancelled there"))
        }
        Err(ClientError::Cancelled) => Err("the call was cancelled".into()),
        Err(error @ (ClientError::Closed(_) | ClientError::Transport(_))) => {
            upstream.forget().await;
            Err(format!("the `{name}` connector is unavailable ({error}); try again later"))
        }
        Err(error) => Err(format!("`{name}`: {error}")),
    }
}

/// Hands an upstream's questions to the user of the call that caused them.
struct AskTheCaller(Context);

fn refused(error: impl std::fmt::Display) -> ErrorObject {
    ErrorObject::new(code::INVALID_REQUEST, format!("the gateway's caller could not answer: {error}"))
}

#[mcp_connector_core::client::async_trait]
impl ClientHandler for AskTheCaller {
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        let schema = params.requested_schema.clone().unwrap_or_default();
        self.0.elicit(params.message, schema).await.map_err(refused)
    }

    async fn create_message(&self, params: CreateMessageParams) -> Result<CreateMessageResult, ErrorObject> {
        self.0.create_message(params).await.map_err(refused)
    }

    async fn list_roots(&self) -> Result<ListRootsResult, ErrorObject> {
        self.0.list_roots().await.map_err(refused)
    }
}

/// One audit event for a forwarded write: when, which tool of which upstream, who (from the
/// verified token, when the gateway has auth), a SHA-256 of the arguments (never the
/// arguments), the outcome and how long it took.
fn audit(
    tool: &str,
    upstream: &str,
    ctx: &Context,
    arguments: &Map<String, Value>,
    outcome: &str,
    elapsed: Duration,
) {
    let claims = ctx.extensions().get::<mcp_connector_core::auth::Claims>();
    let subject = claims.and_then(|c| c.subject.as_deref()).unwrap_or("-");
    let client = claims.and_then(|c| c.client_id.as_deref()).unwrap_or("-");
    let time_unix_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let digest = Sha256::digest(serde_json::to_vec(arguments).unwrap_or_default());
    let args_sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    tracing::info!(
        target: AUDIT_TARGET,
        time_unix_ms,
        tool,
        upstream,
        subject,
        client,
        args_sha256 = %args_sha256,
        outcome,
        duration_ms = elapsed.as_millis() as u64,
        "forwarded write"
    );
}
