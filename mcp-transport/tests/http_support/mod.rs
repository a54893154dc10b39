//! Shared by the `http_*` tests: a server with tools that stream, wait and ask; a real
//! server on a loopback port; a reqwest client; an SSE reader.
#![allow(dead_code, unreachable_pub)]

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Server, Tool, ToolError};
use mcp_connector_transport::http::HttpTransport;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

/// How long any single wait in these tests may take before it counts as a hang.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// What the tools let a test observe and steer.
#[derive(Clone, Default)]
pub struct Probe {
    /// Set when a `wait` or `two_phase` call starts.
    pub started: Arc<Notify>,
    /// Lets a waiting call go on.
    pub gate: Arc<Notify>,
    /// Set when a waiting call was dropped before it finished (cancelled).
    pub cancelled: Arc<AtomicBool>,
    /// Set when a waiting call finished normally.
    pub finished: Arc<AtomicBool>,
}

struct SetOnDrop {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

impl Probe {
    pub async fn wait_cancelled(&self) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if self.cancelled.load(Ordering::SeqCst) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

/// A server whose tools cover what the transport must carry.
pub fn test_server(probe: &Probe) -> Server {
    let (p1, p2) = (probe.clone(), probe.clone());
    Server::builder("http-test", "1.0.0")
        .tool(Tool::read("echo").handler(|_ctx, args| async move {
            Ok(CallToolResult::text(args.get("text").and_then(Value::as_str).unwrap_or("").to_owned()))
        }))
        .tool(Tool::write("note").handler(|_ctx, args| async move {
            Ok(CallToolResult::text(format!(
                "noted: {}",
                args.get("text").and_then(Value::as_str).unwrap_or("")
            )))
        }))
        .tool(Tool::read("version").handler(|ctx, _args| async move {
            Ok(CallToolResult::text(ctx.protocol_version().to_string()))
        }))
        .tool(Tool::read("header").handler(|ctx, args| async move {
            let name = args.get("name").and_then(Value::as_str).unwrap_or("x-test").to_owned();
            let headers = ctx
                .extensions()
                .get::<axum::http::HeaderMap>()
                .ok_or_else(|| ToolError::new("no headers in the extensions"))?;
            let value = headers.get(name.as_str()).and_then(|v| v.to_str().ok()).unwrap_or("(absent)");
            Ok(CallToolResult::text(value.to_owned()))
        }))
        .tool(Tool::read("progress").handler(|ctx, args| async move {
            let steps = args.get("steps").and_then(Value::as_u64).unwrap_or(3);
            let delay = args.get("delay_ms").and_then(Value::as_u64).unwrap_or(0);
            for step in 1..=steps {
                ctx.progress(step as f64, Some(steps as f64), Some(&format!("step {step}")));
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            Ok(CallToolResult::text("done"))
        }))
        .tool(Tool::read("slow").handler(|_ctx, args| async move {
            let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(200);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(CallToolResult::text("slept"))
        }))
        .tool(Tool::read("wait").handler(move |ctx, args| {
            let probe = p1.clone();
            async move {
                let mut guard = SetOnDrop { flag: probe.cancelled.clone(), armed: true };
                if args.get("progress").and_then(Value::as_bool).unwrap_or(false) {
                    ctx.progress(1.0, None, Some("waiting"));
                }
                probe.started.notify_one();
                probe.gate.notified().await;
                guard.armed = false;
                probe.finished.store(true, Ordering::SeqCst);
                Ok(CallToolResult::text("released"))
            }
        }))
        .tool(Tool::read("two_phase").handler(move |ctx, _args| {
            let probe = p2.clone();
            async move {
                let mut guard = SetOnDrop { flag: probe.cancelled.clone(), armed: true };
                ctx.progress(1.0, Some(2.0), Some("first half"));
                probe.started.notify_one();
                probe.gate.notified().await;
                ctx.progress(2.0, Some(2.0), Some("second half"));
                guard.armed = false;
                probe.finished.store(true, Ordering::SeqCst);
                Ok(CallToolResult::text("finished"))
            }
        }))
        .tool(Tool::write("ask").handler(|ctx, _args| async move {
            let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}});
            let Value::Object(schema) = schema else { unreachable!() };
            match ctx.elicit("Proceed?", schema).await {
                Ok(result) => {
                    Ok(CallToolResult::text(format!("user said {:?}", result.action).to_lowercase()))
                }
                Err(error) => Err(ToolError::new(format!("elicitation failed: {error}"))),
            }
        }))
        .tool(Tool::write("ask_raw").handler(|ctx, _args| async move {
            match ctx.request("roots/list", json!({})).await {
                Ok(value) => Ok(CallToolResult::text(value.to_string())),
                Err(error) => Err(ToolError::new(format!("request failed: {error}"))),
            }
        }))
        .build()
        .expect("valid test server")
}

/// A transport on a real loopback socket.
pub struct TestServer {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start(transport: HttpTransport) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(transport.serve_until(listener, async move {
            let _ = stopped.await;
        }));
        TestServer { base: format!("http://{addr}"), stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn mcp(&self) -> String {
        self.url("/mcp")
    }

    /// Sends the shutdown signal.
    pub fn signal_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client that never goes through a proxy from the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("reqwest client")
}

pub fn initialize_body(id: i64, version: &str, capabilities: Value) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": capabilities,
            "clientInfo": {"name": "http-test-client", "version": "1"}
        }
    })
}

pub fn call_body(id: i64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

pub fn call_with_progress(id: i64, tool: &str, arguments: Value, token: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": {"progressToken": token}}
    })
}

/// POSTs JSON with the headers a spec-following client sends.
pub async fn post(url: &str, body: &Value, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static(ACCEPT_BOTH));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in extra {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    tokio::time::timeout(PATIENCE, client().post(url).headers(headers).body(body.to_string()).send())
        .await
        .expect("the server answered in time")
        .expect("the request went through")
}

pub async fn json_of(response: reqwest::Response) -> Value {
    let text = tokio::time::timeout(PATIENCE, response.text()).await.expect("body in time").expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The text of the first content item of a tool result inside a JSON-RPC response.
pub fn tool_text(response: &Value) -> &str {
    response["result"]["content"][0]["text"].as_str().unwrap_or_else(|| panic!("no tool text in {response}"))
}

pub fn content_type(response: &reqwest::Response) -> String {
    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// One parsed SSE block.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Event { id: Option<String>, event: Option<String>, data: String },
    Comment(String),
}

/// Reads SSE frames off a response body as they arrive.
pub struct SseReader {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>>,
    buffer: String,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        SseReader { body: Box::pin(response.bytes_stream()), buffer: String::new() }
    }

    /// The next frame, or `None` at the end of the stream (or an error on it).
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse_block(&block));
            }
            match tokio::time::timeout(PATIENCE, self.body.next()).await.expect("an SSE frame in time") {
                Some(Ok(chunk)) => self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8 SSE")),
                _ => return None,
            }
        }
    }

    /// The next event, skipping comments.
    pub async fn next_event(&mut self) -> Option<(Option<String>, Option<String>, String)> {
        loop {
            match self.next_frame().await? {
                Frame::Event { id, event, data } => return Some((id, event, data)),
                Frame::Comment(_) => continue,
            }
        }
    }

    /// The next JSON-RPC message and its event id, skipping comments and priming events.
    pub async fn next_message(&mut self) -> Option<(Option<String>, Value)> {
        loop {
            let (id, _event, data) = self.next_event().await?;
            if data.is_empty() {
                continue;
            }
            let value =
                serde_json::from_str(&data).unwrap_or_else(|e| panic!("bad JSON in SSE ({e}): {data}"));
            return Some((id, value));
        }
    }

    /// Reads to the end of the stream; `true` when it ended cleanly (no error, no timeout).
    pub async fn ends(&mut self) -> bool {
        loop {
            match tokio::time::timeout(PATIENCE, self.body.next()).await {
                Err(_) => return false,
                Ok(None) => return true,
                Ok(Some(Err(_))) => return false,
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
            }
        }
    }
}

fn parse_block(block: &str) -> Frame {
    let mut id = None;
    let mut event = None;
    let mut data: Vec<&str> = Vec::new();
    let mut comments = Vec::new();
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            comments.push(comment.trim().to_owned());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => id = Some(value.to_owned()),
            "event" => event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if id.is_none() && event.is_none() && data.is_empty() {
        return Frame::Comment(comments.join("\n"));
    }
    Frame::Event { id, event, data: data.join("\n") }
}
