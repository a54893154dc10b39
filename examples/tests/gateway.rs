//! The `gateway` example end to end: `notes` mounted over stdio and `tickets` over streamable
//! HTTP, driven over HTTP by our own client and by the official Python SDK client
//! (`interop/python/gateway_client.py`): namespaced tools with their schemas and hints intact,
//! allow and deny lists, progress and elicitation forwarded, a stopped upstream answered with a
//! clear tool error, and the audit trail of forwarded writes.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_connector_core::client::{CallOptions, Client, ClientHandler};
use mcp_connector_core::jsonrpc::ErrorObject;
use mcp_connector_core::protocol::{ElicitParams, ElicitResult};
use mcp_connector_transport::client::http::HttpConnector;
use serde_json::{Value, json};
use support::{Served, TempDb, python, run_client};

const GATEWAY: &str = env!("CARGO_BIN_EXE_gateway");
const NOTES: &str = env!("CARGO_BIN_EXE_notes");
const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

/// The gateway process, its stderr (logs and the audit trail) kept for the test to read.
struct GatewayProcess {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
    config: PathBuf,
}

impl GatewayProcess {
    fn start(tickets_url: &str, name: &str) -> GatewayProcess {
        let config = std::env::temp_dir().join(format!("gateway-test-{}-{name}.json", std::process::id()));
        let file = json!({
            "call_timeout_secs": 20,
            "connect_timeout_secs": 5,
            "upstreams": [
                {"name": "notes", "command": [NOTES], "deny": ["delete_note"]},
                {"name": "tickets", "url": tickets_url,
                 "allow": ["search_tickets", "get_ticket", "create_ticket", "delete_ticket"]}
            ]
        });
        std::fs::write(&config, file.to_string()).unwrap();
        let mut child = Command::new(GATEWAY)
            .args(["--http", "127.0.0.1:0", "--config"])
            .arg(&config)
            .env("RUST_LOG", std::env::var("GATEWAY_LOG").unwrap_or_else(|_| "warn,mcp::audit=info".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
                eprintln!("gateway: {line}");
                lines.lock().unwrap().push(line);
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(60)).expect("the gateway prints its URL");
        GatewayProcess { child, url, log, config }
    }

    /// The audit events, without the colours of the log format.
    fn audit_lines(&self) -> Vec<String> {
        let plain = |line: &String| {
            let mut out = String::new();
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    chars.by_ref().find(|&c| c == 'm');
                } else {
                    out.push(c);
                }
            }
            out
        };
        self.log.lock().unwrap().iter().map(plain).filter(|l| l.contains("forwarded write")).collect()
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// Accepts every question, remembering it.
struct Accepting(Arc<Mutex<Vec<String>>>);

#[mcp_connector_core::client::async_trait]
impl ClientHandler for Accepting {
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        self.0.lock().unwrap().push(params.message.clone());
        Ok(ElicitResult::accept(params.defaults()))
    }
}

#[tokio::test]
async fn our_client_through_the_gateway() {
    let db = TempDb::new("gateway-rust");
    let tickets = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    let gateway = GatewayProcess::start(&tickets.url, "rust");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder("gateway-test", "1")
        .capabilities(json!({"elicitation": {}}))
        .handler(Accepting(asked.clone()))
        .connect(HttpConnector::new(&gateway.url).connect())
        .await
        .unwrap();

    // Namespaced, filtered, and each tool's schemas and hints exactly as the upstream said.
    let tools = client.list_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "notes.add_note",
            "notes.export_notes",
            "notes.search_notes",
            "tickets.create_ticket",
            "tickets.delete_ticket",
            "tickets.get_ticket",
            "tickets.search_tickets"
        ]
    );
    let direct =
        Client::builder("direct", "1").connect(HttpConnector::new(&tickets.url).connect()).await.unwrap();
    for upstream in direct
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name == "create_ticket" || t.name == "get_ticket")
    {
        let mounted = tools.iter().find(|t| t.name == format!("tickets.{}", upstream.name)).unwrap();
        assert_eq!(mounted.input_schema, upstream.input_schema, "{}", upstream.name);
        assert_eq!(mounted.output_schema, upstream.output_schema, "{}", upstream.name);
        let (a, b) = (mounted.annotations.clone().unwrap(), upstream.annotations.clone().unwrap());
        assert_eq!(
            (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint),
            (b.read_only_hint, b.destructive_hint, b.idempotent_hint, b.open_world_hint),
            "{}",
            upstream.name
        );
    }

    // A forwarded write, and its audit event.
    let ticket: Value =
        client.call_tool_as("tickets.create_ticket", json!({"title": "Via the gateway"})).await.unwrap();
    let id = ticket["id"].as_u64().unwrap();
    let read: Value = client.call_tool_as("tickets.get_ticket", json!({"id": id})).await.unwrap();
    assert_eq!(read["title"], "Via the gateway");

    // Progress from the stdio upstream reaches the caller.
    let progress = Arc::new(Mutex::new(0));
    let counted = progress.clone();
    let options = CallOptions::new().on_progress(move |_| *counted.lock().unwrap() += 1);
    let export = client.call_tool_with("notes.export_notes", json!({}), &options).await.unwrap();
    assert!(!export.failed());
    assert!(*progress.lock().unwrap() > 0, "no progress came through the gateway");

    // The upstream's question reaches the caller's user, and the answer goes back.
    let deleted = client.call_tool("tickets.delete_ticket", json!({"id": id})).await.unwrap();
    assert!(!deleted.failed(), "{deleted:?}");
    let questions = asked.lock().unwrap().clone();
    assert!(questions.iter().any(|q| q.contains(&format!("delete ticket {id}"))), "{questions:?}");

    // Denied and unknown tools are not there.
    assert!(client.call_tool("notes.delete_note", json!({"id": 1})).await.is_err());

    // Every forwarded write is in the audit trail, never with its arguments. The gateway logs
    // before it answers, but its stderr reaches this test through a reader thread: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !gateway.audit_lines().iter().any(|l| l.contains("tickets.delete_ticket"))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let audit = gateway.audit_lines();
    assert!(
        audit.iter().any(|l| l.contains("tickets.create_ticket") && l.contains("outcome=\"ok\"")),
        "{audit:?}"
    );
    assert!(audit.iter().any(|l| l.contains("tickets.delete_ticket")), "{audit:?}");
    assert!(!audit.iter().any(|l| l.contains("Via the gateway")), "arguments leaked into the audit trail");
    assert!(!audit.iter().any(|l| l.contains("export_notes")), "reads are not audited as writes");

    // An upstream that goes away: a clear tool error, quickly, and the rest keeps working.
    tickets.stop();
    let started = std::time::Instant::now();
    let down = client.call_tool("tickets.get_ticket", json!({"id": id})).await.unwrap();
    assert!(down.failed());
    let text = down.content[0].as_text().unwrap();
    assert!(text.contains("`tickets` connector is unavailable"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(15), "a down upstream must not hang the call");
    let notes: Value = client.call_tool_as("notes.search_notes", json!({"query": "welcome"})).await.unwrap();
    assert!(!notes["notes"].as_array().unwrap().is_empty());
    client.close().await;
}

#[test]
fn python_sdk_client_drives_the_gateway_over_http() {
    let Some(python) = python() else { return };
    let db = TempDb::new("gateway-py");
    let tickets = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    let gateway = GatewayProcess::start(&tickets.url, "py");
    run_client(&python, &["python/gateway_client.py", &gateway.url]);
    assert!(gateway.audit_lines().iter().any(|l| l.contains("tickets.create_ticket")));
    drop(gateway);
    tickets.stop();
}
