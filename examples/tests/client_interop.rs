//! Our client against the official SDKs' servers: a small server on the Python SDK
//! (`interop/python/server.py`, PyPI `mcp`) over stdio and streamable HTTP, and the TypeScript
//! SDK's own example server (`simpleStreamableHttp.js` from npm `@modelcontextprotocol/sdk`,
//! stateful sessions, the 2025-11-25 era). See `support` for how a missing peer is handled.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_connector_core::client::{CallOptions, Client, ClientHandler, EraPreference};
use mcp_connector_core::era::Era;
use mcp_connector_core::jsonrpc::ErrorObject;
use mcp_connector_core::protocol::{ElicitParams, ElicitResult};
use mcp_connector_transport::client::{http::HttpConnector, stdio};
use serde_json::{Value, json};
use support::{interop_dir, node, python};

/// Fills every form with its defaults, or with a name, and remembers the questions.
struct Answering(Arc<Mutex<Vec<String>>>);

#[mcp_connector_core::client::async_trait]
impl ClientHandler for Answering {
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        self.0.lock().unwrap().push(params.message.clone());
        let mut content = params.defaults();
        let properties =
            params.requested_schema.as_ref().and_then(|s| s.get("properties")).and_then(Value::as_object);
        for (name, field) in properties.into_iter().flatten() {
            if !content.contains_key(name) && field.get("type").and_then(Value::as_str) == Some("string") {
                content
                    .insert(name.clone(), json!(if name == "email" { "grace@example.com" } else { "Grace" }));
            }
        }
        Ok(ElicitResult::accept(content))
    }
}

/// A peer server process, killed on drop.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on the port (the peer prints nothing reliable).
async fn wait_for(port: u16) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on port {port} after 30 s");
}

async fn exercise_python(client: &Client, asked: &Arc<Mutex<Vec<String>>>) {
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"add") && names.contains(&"greet_user"), "{names:?}");
    let sum: Value = client.call_tool_as("add", json!({"a": 2, "b": 3})).await.unwrap();
    assert_eq!(sum["total"], 5);
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = steps.clone();
    let options = CallOptions::new().on_progress(move |p| seen.lock().unwrap().push(p.progress));
    let counted = client.call_tool_with("count", json!({"to": 3}), &options).await.unwrap();
    assert_eq!(counted.content[0].as_text(), Some("counted to 3"));
    assert_eq!(*steps.lock().unwrap(), [1.0, 2.0, 3.0]);
    // The Python SDK asks the user only in the handshake era (its `ctx.elicit` has no
    // 2026-07-28 `input_required` path: "no back-channel for server-initiated requests").
    if client.details().era == Era::Legacy {
        let greeted = client.call_tool("greet_user", json!({})).await.unwrap();
        assert_eq!(greeted.content[0].as_text(), Some("Hello, Ada!"), "the form's default was sent");
        assert_eq!(asked.lock().unwrap().as_slice(), ["What is your name?"]);
    }
    let read = client.read_resource("fixture://readme").await.unwrap();
    assert_eq!(read.contents.len(), 1);
    let prompt =
        client.get_prompt("summarize", BTreeMap::from([("topic".into(), "MCP".into())])).await.unwrap();
    assert!(!prompt.messages.is_empty());
}

#[tokio::test]
async fn python_sdk_server_over_stdio() {
    let Some(python) = python() else { return };
    for (era, expected) in [(EraPreference::Auto, Era::Modern), (EraPreference::Legacy, Era::Legacy)] {
        let mut command = tokio::process::Command::new(&python);
        command.arg(interop_dir().join("python/server.py")).arg("stdio");
        let asked = Arc::new(Mutex::new(Vec::new()));
        let client = Client::builder("rust-client", "1")
            .era(era)
            .capabilities(json!({"elicitation": {}}))
            .handler(Answering(asked.clone()))
            .connect(stdio::spawn(command).unwrap())
            .await
            .unwrap();
        assert_eq!(client.details().era, expected, "the Python SDK 2.x speaks both eras");
        assert_eq!(client.details().server_info.unwrap().name, "py-fixture");
        exercise_python(&client, &asked).await;
        client.close().await;
    }
}

#[tokio::test]
async fn python_sdk_server_over_http() {
    let Some(python) = python() else { return };
    let port = free_port();
    let _server = Peer(
        Command::new(python)
            .arg(interop_dir().join("python/server.py"))
            .args(["http", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(port).await;
    for (era, expected) in [(EraPreference::Auto, Era::Modern), (EraPreference::Legacy, Era::Legacy)] {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let client = Client::builder("rust-client", "1")
            .era(era)
            .capabilities(json!({"elicitation": {}}))
            .handler(Answering(asked.clone()))
            .connect(HttpConnector::new(format!("http://127.0.0.1:{port}/mcp")).connect())
            .await
            .unwrap();
        assert_eq!(client.details().era, expected);
        exercise_python(&client, &asked).await;
        client.close().await;
    }
}

#[tokio::test]
async fn typescript_sdk_example_server_over_http_with_sessions() {
    let Some(node) = node() else { return };
    let port = free_port();
    let example = interop_dir()
        .join("node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js");
    let _server = Peer(
        Command::new(node)
            .arg(example)
            .env("MCP_PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(port).await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder("rust-client", "1")
        .capabilities(json!({"elicitation": {}}))
        .handler(Answering(asked.clone()))
        .connect(HttpConnector::new(format!("http://127.0.0.1:{port}/mcp")).connect())
        .await
        .unwrap();
    // The TypeScript SDK 1.x speaks the handshake era only: the probe falls back.
    assert_eq!(client.details().era, Era::Legacy);
    assert_eq!(client.details().server_info.unwrap().name, "simple-streamable-http-server");
    let tools = client.list_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "greet"));
    let hello = client.call_tool("greet", json!({"name": "Rust"})).await.unwrap();
    assert_eq!(hello.content[0].as_text(), Some("Hello, Rust!"));
    // Notifications on the request's SSE stream, then its answer.
    let greetings = client.call_tool("multi-greet", json!({"name": "Rust"})).await.unwrap();
    assert!(!greetings.failed(), "{greetings:?}");
    // The server asks mid-call over the session's stream; the handler answers.
    let info = client.call_tool("collect-user-info", json!({"infoType": "contact"})).await.unwrap();
    assert!(!info.failed(), "{info:?}");
    assert_eq!(asked.lock().unwrap().as_slice(), ["Please provide your contact information"]);
    let resources = client.list_resources().await.unwrap();
    assert!(!resources.is_empty());
    client.close().await;
}
