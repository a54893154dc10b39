//! Every write tool call leaves an audit event (`tracing` target `mcp::audit`) with the tool,
//! who called it, a hash of the arguments, the outcome and the duration; every refused token
//! leaves one with the status and the reason. Never the token.
#![cfg(feature = "auth")]

mod auth_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_support::*;
use mcp_connector_transport::auth::{Auth, StaticTokens};
use mcp_connector_transport::http::HttpTransport;
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn write_calls_are_audited_with_subject_client_argument_hash_outcome_and_no_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_env_filter("mcp::audit=info")
        .init();

    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let tokens = StaticTokens::new().user("writer-secret-token", "alice", ["tickets:write"]).user(
        "reader-secret-token",
        "bob",
        ["tickets:read"],
    );
    serve_on(listener, HttpTransport::new(server()).auth(Auth::mixed(&resource, tokens)).router());

    assert_eq!(
        rpc(&resource, Some("writer-secret-token"), call("close_ticket", json!({"id": 5}))).await.status(),
        200
    );
    assert_eq!(
        rpc(&resource, Some("reader-secret-token"), call("close_ticket", json!({"id": 6}))).await.status(),
        403
    );
    assert_eq!(
        rpc(&resource, None, call("comment", json!({"id": 7, "text": "secret text"}))).await.status(),
        200
    );
    assert_eq!(
        rpc(&resource, Some("writer-secret-token"), call("list_tickets", json!({}))).await.status(),
        200
    );
    assert_eq!(rpc(&resource, Some("guessed-secret-token"), list_tools()).await.status(), 401);
    // Required mode: a request without a token is refused, and audited.
    let (second, base) = auth_support::listener().await;
    let required = format!("{base}/mcp");
    let tokens = StaticTokens::new().user("writer-secret-token", "alice", ["tickets:write"]);
    serve_on(second, HttpTransport::new(server()).auth(Auth::required(&required, tokens)).router());
    assert_eq!(rpc(&required, None, list_tools()).await.status(), 401);

    let log = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let refused: Vec<&str> =
        log.lines().filter(|l| l.contains("mcp::audit") && l.contains("token refused")).collect();
    assert_eq!(refused.len(), 3, "one event per refused token:\n{log}");
    let has = |line: &str, fields: &[&str]| fields.iter().all(|f| line.contains(f));
    assert!(
        has(refused[0], &["status=403", "reason=\"insufficient_scope\"", "tickets:write", "peer="]),
        "{}",
        refused[0]
    );
    assert!(has(refused[1], &["status=401", "reason=\"invalid_token\"", "unknown token"]), "{}", refused[1]);
    assert!(has(refused[2], &["status=401", "reason=\"missing_token\""]), "{}", refused[2]);
    let lines: Vec<&str> =
        log.lines().filter(|l| l.contains("mcp::audit") && l.contains("write tool call")).collect();
    assert_eq!(lines.len(), 3, "one event per write call, none for reads:\n{log}");
    assert!(
        lines[0].contains("tool=\"close_ticket\"")
            && lines[0].contains("subject=\"alice\"")
            && lines[0].contains("outcome=\"ok\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("args_sha256=")
            && lines[0].contains("duration_ms=")
            && lines[0].contains("time_unix_ms="),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("subject=\"bob\"") && lines[1].contains("outcome=\"denied\""), "{}", lines[1]);
    assert!(
        lines[2].contains("tool=\"comment\"")
            && lines[2].contains("subject=\"-\"")
            && lines[2].contains("outcome=\"denied\""),
        "{}",
        lines[2]
    );
    assert!(
        !log.contains("secret-token") && !log.contains("secret text"),
        "no tokens or arguments in the log:\n{log}"
    );
}
