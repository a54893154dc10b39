//! An in-process MCP client for unit tests: drive a [`Server`] through the real protocol
//! (JSON-RPC messages, the initialize handshake, notifications, server-to-client requests)
//! without spawning a process or opening a socket.
//!
//! ```
//! use mcp_connector_core::{Server, Tool, protocol::CallToolResult, testing::TestClient};
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = Server::builder("t", "1")
//!     .tool(Tool::read("now").handler(|_c, _a| async { Ok(CallToolResult::text("12:00")) }))
//!     .build()
//!     .unwrap();
//! let client = TestClient::connect(server).await;
//! let tools = client.list_tools().await.unwrap();
//! assert_eq!(tools[0]["name"], "now");
//! let result = client.call_tool("now", json!({})).await.unwrap();
//! assert_eq!(result.content[0].as_text(), Some("12:00"));
//! # });
//! ```

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};

use crate::jsonrpc::{ErrorObject, Message, Request, code};
use crate::protocol::{CallToolResult, ClientCapabilities, ProtocolVersion};
use crate::{Extensions, Outbound, Server, Session};

/// A marker the client sends itself through the server's outbound queue; never on the wire.
const BARRIER: &str = "$test-client/barrier";

type Responder = Arc<dyn Fn(&str, Value) -> Result<Value, ErrorObject> + Send + Sync>;

/// Configures a [`TestClient`] before it connects.
pub struct TestClientBuilder {
    server: Server,
    capabilities: ClientCapabilities,
    protocol_version: String,
    responder: Option<Responder>,
    extensions: Extensions,
}

impl TestClientBuilder {
    /// Capabilities to declare in `initialize` (default: none).
    pub fn capabilities(mut self, capabilities: Value) -> Self {
        self.capabilities = serde_json::from_value(capabilities).unwrap_or_default();
        self
    }

    /// The protocol version to speak (default: 2025-11-25, the newest with the handshake).
    ///
    /// A modern version (2026-07-28) makes [`connect`](Self::connect) skip `initialize` and the
    /// client speak that revision as a real one does: every request carries the version, the
    /// capabilities and the client's identity in `_meta`, and an `input_required` result of
    /// `tools/call`, `prompts/get` or `resources/read` is answered with the
    /// [`on_request`](Self::on_request) handler and retried with `inputResponses` and the
    /// echoed `requestState`, until the result is complete. The same test can then run in
    /// both eras:
    ///
    /// ```
    /// use mcp_connector_core::{Server, Tool, protocol::CallToolResult, testing::TestClient};
    /// use serde_json::json;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = Server::builder("t", "1")
    ///     .tool(Tool::write("wipe").handler(|ctx, _args| async move {
    ///         let form = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}});
    ///         let answer = ctx.elicit("Wipe everything?", form.as_object().cloned().unwrap()).await?;
    ///         Ok(CallToolResult::text(format!("{:?}", answer.action)))
    ///     }))
    ///     .build()
    ///     .unwrap();
    /// for version in ["2025-11-25", "2026-07-28"] {
    ///     let client = TestClient::builder(server.clone())
    ///         .protocol_version(version)
    ///         .capabilities(json!({"elicitation": {}}))
    ///         .on_request(|_method, _params| Ok(json!({"action": "accept", "content": {"ok": true}})))
    ///         .connect()
    ///         .await;
    ///     let result = client.call_tool("wipe", json!({})).await.unwrap();
    ///     assert_eq!(result.content[0].as_text(), Some("Accept"), "{version}");
    /// }
    /// # });
    /// ```
    pub fn protocol_version(mut self, version: &str) -> Self {
        self.protocol_version = version.to_owned();
        self
    }

    /// How the client answers the server's requests (`elicitation/create`,
    /// `sampling/createMessage`, `roots/list`): gets the method and params, returns the result
    /// or an error.
    pub fn on_request(
        mut self,
        responder: impl Fn(&str, Value) -> Result<Value, ErrorObject> + Send + Sync + 'static,
    ) -> Self {
        self.responder = Some(Arc::new(responder));
        self
    }

    /// Values attached to every request, as a transport would attach auth claims.
    pub fn extensions(mut self, extensions: Extensions) -> Self {
        self.extensions = extensions;
        self
    }

    /// Connects: sends `initialize` and `notifications/initialized`; or, at a modern protocol
    /// version, nothing (see [`protocol_version`](Self::protocol_version)).
    ///
    /// # Panics
    /// When the server refuses `initialize`, which is a bug in the server under test.
    pub async fn connect(self) -> TestClient {
        if ProtocolVersion::new(self.protocol_version.as_str()).is_modern() {
            let mut client = self.connect_without_initialize();
            client.modern = true;
            return client;
        }
        let client = self.connect_without_initialize();
        let params = json!({
            "protocolVersion": client.protocol_version,
            "capabilities": client.capabilities,
            "clientInfo": { "name": "mcp-core-test-client", "version": env!("CARGO_PKG_VERSION") }
        });
        let init = client.request("initialize", params).await;
        assert!(init.is_ok(), "the server refused initialize: {init:?}");
        client.notify("notifications/initialized", None).await;
        client
    }

    /// A client that has not initialized, to test what a server does before the handshake.
    pub fn connect_without_initialize(self) -> TestClient {
        let (outbound, rx) = Outbound::channel();
        let session = self.server.session(outbound.clone());
        let received = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let (barrier_tx, barrier_seen) = watch::channel(0i64);
        let pump = tokio::spawn(pump(
            rx,
            session.clone(),
            outbound.clone(),
            self.responder.clone(),
            received.clone(),
            arrived.clone(),
            barrier_tx,
        ));
        TestClient {
            next_barrier: AtomicI64::new(0),
            barrier_seen,
            session,
            outbound,
            next_id: AtomicI64::new(0),
            received,
            arrived,
            capabilities: serde_json::to_value(&self.capabilities).unwrap_or(Value::Null),
            protocol_version: self.protocol_version,
            extensions: self.extensions,
            pump,
            modern: false,
            responder: self.responder,
        }
    }
}

/// An in-process MCP client connected to a [`Server`]. See the [module docs](self).
pub struct TestClient {
    session: Session,
    outbound: Outbound,
    next_id: AtomicI64,
    received: Arc<Mutex<Vec<Message>>>,
    arrived: Arc<Notify>,
    capabilities: Value,
    protocol_version: String,
    extensions: Extensions,
    pump: tokio::task::JoinHandle<()>,
    next_barrier: AtomicI64,
    barrier_seen: watch::Receiver<i64>,
    /// Speaks a modern revision: `_meta` on every request, `input_required` answered.
    modern: bool,
    responder: Option<Responder>,
}

impl Drop for TestClient {
    fn drop(&mut self) {
        self.session.close();
        self.pump.abort();
    }
}

impl TestClient {
    /// A builder to set capabilities, protocol version or request handlers first.
    pub fn builder(server: Server) -> TestClientBuilder {
        TestClientBuilder {
            server,
            capabilities: ClientCapabilities::default(),
            protocol_version: ProtocolVersion::latest().to_string(),
            responder: None,
            extensions: Extensions::new(),
        }
    }

    /// Connects with no capabilities at 2025-11-25 ([`ProtocolVersion::latest`]), the newest
    /// revision with the `initialize` handshake; [`TestClient::builder`] with
    /// [`protocol_version`](TestClientBuilder::protocol_version) picks another (such as
    /// 2026-07-28, the modern revision).
    pub async fn connect(server: Server) -> TestClient {
        Self::builder(server).connect().await
    }

    /// The session on the server's side.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Sends a request and waits for its result or error. A client connected at a modern
    /// version adds the per-request `_meta` fields the request lacks and answers
    /// `input_required` results (see [`TestClientBuilder::protocol_version`]).
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        if !self.modern {
            return self.send_request(method, params).await;
        }
        let mut params = self.stamp(params);
        // A real client gives up at some point too; a server that keeps asking is a bug.
        for _ in 0..10 {
            let result = self.send_request(method, params.clone()).await?;
            if result.get("resultType").and_then(Value::as_str) != Some("input_required") {
                return Ok(result);
            }
            let Some(responder) = &self.responder else {
                return Ok(result);
            };
            let mut responses = serde_json::Map::new();
            if let Some(Value::Object(requests)) = result.get("inputRequests") {
                for (key, request) in requests {
                    let input_method = request.get("method").and_then(Value::as_str).unwrap_or_default();
                    let input_params = request.get("params").cloned().unwrap_or(Value::Null);
                    responses.insert(key.clone(), responder(input_method, input_params)?);
                }
            }
            params["inputResponses"] = Value::Object(responses);
            match result.get("requestState") {
                Some(state) => params["requestState"] = state.clone(),
                None => {
                    if let Value::Object(p) = &mut params {
                        p.remove("requestState");
                    }
                }
            }
        }
        Err(ErrorObject::new(code::INTERNAL_ERROR, "the server asked for input ten times in a row"))
    }

    /// Adds the modern per-request `_meta` fields a request lacks.
    fn stamp(&self, mut params: Value) -> Value {
        if !params.is_object() {
            params = json!({});
        }
        let meta = params.as_object_mut().map(|p| p.entry("_meta").or_insert_with(|| json!({})));
        if let Some(Value::Object(meta)) = meta {
            let defaults = [
                ("io.modelcontextprotocol/protocolVersion", json!(self.protocol_version)),
                ("io.modelcontextprotocol/clientCapabilities", self.capabilities.clone()),
                (
                    "io.modelcontextprotocol/clientInfo",
                    json!({ "name": "mcp-core-test-client", "version": env!("CARGO_PKG_VERSION") }),
                ),
            ];
            for (key, value) in defaults {
                meta.entry(key).or_insert(value);
            }
        }
        params
    }

    async fn send_request(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let message =
            Message::Request(Request { id: id.into(), method: method.to_owned(), params: Some(params) });
        let reply = self.session.handle(message, &self.outbound, self.extensions.clone()).await;
        self.settle().await;
        match reply {
            Some(Message::Response(r)) => Ok(r.result),
            Some(Message::Error(e)) => Err(e.error),
            Some(other) => Err(ErrorObject::new(code::INTERNAL_ERROR, format!("unexpected reply {other:?}"))),
            None => Err(ErrorObject::new(code::INTERNAL_ERROR, "no response (the request was cancelled)")),
        }
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str, params: Option<Value>) {
        let _ = self
            .session
            .handle(Message::notification(method, params), &self.outbound, self.extensions.clone())
            .await;
        self.settle().await;
    }

    /// Sends raw text as one frame, exactly as a transport would, and returns the JSON reply.
    pub async fn send_raw(&self, text: &str) -> Option<Value> {
        let reply = self.session.handle_frame(text.as_bytes(), &self.outbound, self.extensions.clone()).await;
        self.settle().await;
        reply
    }

    /// Waits until every message the server sent before now has been recorded, so that a
    /// test sees a request's notifications as soon as the request returns (a transport keeps
    /// that order on the wire; this makes the in-process client keep it too).
    async fn settle(&self) {
        let mark = self.next_barrier.fetch_add(1, Ordering::Relaxed) + 1;
        let barrier = Message::notification(BARRIER, Some(json!(mark)));
        if !self.outbound.send(barrier) {
            return;
        }
        let mut seen = self.barrier_seen.clone();
        let _ = seen.wait_for(|&s| s >= mark).await;
    }

    /// Calls a tool. `Err` is a protocol error (unknown tool, bad params); a tool's own failure
    /// is `Ok` with `is_error: Some(true)`, as on the wire.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<CallToolResult, ErrorObject> {
        let value = self.request("tools/call", json!({ "name": name, "arguments": arguments })).await?;
        serde_json::from_value(value).map_err(|e| ErrorObject::new(code::INTERNAL_ERROR, e.to_string()))
    }

    /// Calls a tool and reads its `structuredContent` as a `T` (see
    /// [`CallToolResult::structured_as`]): the one-line form of a test of a typed tool. A
    /// protocol error, a tool error (`isError`) and a result that does not read as `T` are each
    /// a [`CallError`] that says which, with the message the server sent.
    ///
    /// ```
    /// use mcp_connector_core::{Json, Server, ToolError, testing::TestClient, tool};
    /// use serde_json::json;
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, PartialEq)]
    /// struct Sum { total: i64 }
    ///
    /// /// Add two numbers
    /// #[tool(read)]
    /// async fn add(a: i64, b: i64) -> Result<Json<Sum>, ToolError> {
    ///     Ok(Json(Sum { total: a + b }))
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = Server::builder("t", "1").tool(add::tool()).build().unwrap();
    /// let client = TestClient::connect(server).await;
    /// let sum: Sum = client.call("add", json!({"a": 2, "b": 3})).await.unwrap();
    /// assert_eq!(sum, Sum { total: 5 });
    /// let refused = client.call::<Sum>("add", json!({"a": "two"})).await.unwrap_err();
    /// assert!(refused.to_string().starts_with("the tool failed: "), "{refused}");
    /// # });
    /// ```
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<T, CallError> {
        let result = self.call_tool(name, arguments).await.map_err(CallError::Protocol)?;
        if result.failed() {
            let text: Vec<&str> = result.content.iter().filter_map(|c| c.as_text()).collect();
            return Err(CallError::Tool(text.join("\n")));
        }
        result.structured_as().map_err(CallError::Structured)
    }

    /// Lists every tool, following `nextCursor` across pages.
    pub async fn list_tools(&self) -> Result<Vec<Value>, ErrorObject> {
        self.list_all("tools/list", "tools").await
    }

    /// Follows `nextCursor` across pages of any `*/list` method and returns all items.
    pub async fn list_all(&self, method: &str, field: &str) -> Result<Vec<Value>, ErrorObject> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let page = self.request(method, params).await?;
            if let Some(Value::Array(page_items)) = page.get(field) {
                items.extend(page_items.iter().cloned());
            }
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(items),
            }
        }
    }

    /// Every message the server sent outside responses so far (notifications, and requests
    /// to the client), oldest first.
    pub fn received(&self) -> Vec<Message> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Notifications received so far with this method, as their params.
    pub fn notifications(&self, method: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter_map(|m| match m {
                Message::Notification(n) if n.method == method => Some(n.params.unwrap_or(Value::Null)),
                _ => None,
            })
            .collect()
    }

    /// Waits until a notification with this method has arrived (at most `timeout`).
    pub async fn wait_for_notification(&self, method: &str, timeout: std::time::Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            if let Some(found) = self.notifications(method).into_iter().next() {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

async fn pump(
    mut rx: mpsc::UnboundedReceiver<Message>,
    session: Session,
    outbound: Outbound,
    responder: Option<Responder>,
    received: Arc<Mutex<Vec<Message>>>,
    arrived: Arc<Notify>,
    barrier: watch::Sender<i64>,
) {
    while let Some(message) = rx.recv().await {
        if let Message::Notification(n) = &message
            && n.method == BARRIER
        {
            let mark = n.params.as_ref().and_then(Value::as_i64).unwrap_or(0);
            barrier.send_modify(|seen| *seen = (*seen).max(mark));
            continue;
        }
        if let Ok(mut r) = received.lock() {
            r.push(message.clone());
        }
        arrived.notify_waiters();
        if let Message::Request(request) = message {
            let reply = match &responder {
                Some(respond) => match respond(&request.method, request.params.unwrap_or(Value::Null)) {
                    Ok(result) => Message::response(request.id, result),
                    Err(error) => Message::error(Some(request.id), error),
                },
                None => Message::error(
                    Some(request.id),
                    ErrorObject::new(
                        code::METHOD_NOT_FOUND,
                        "the test client has no handler for server requests",
                    ),
                ),
            };
            let session = session.clone();
            let outbound = outbound.clone();
            tokio::spawn(async move {
                session.handle(reply, &outbound, Extensions::new()).await;
            });
        }
    }
}

/// Why [`TestClient::call`] got no `T`.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallError {
    /// The server answered with a JSON-RPC error (unknown tool, invalid params).
    Protocol(ErrorObject),
    /// The tool ran and failed (`isError: true`); its text content.
    Tool(String),
    /// The result has no `structuredContent`, or it does not read as the type asked for.
    Structured(serde_json::Error),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Protocol(error) => {
                write!(f, "the server refused the call: {} ({})", error.message, error.code)
            }
            CallError::Tool(text) => write!(f, "the tool failed: {text}"),
            CallError::Structured(error) => {
                write!(f, "the result does not read as the type asked for: {error}")
            }
        }
    }
}

impl std::error::Error for CallError {}
