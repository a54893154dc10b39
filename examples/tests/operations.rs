//! The examples answer `/healthz` (and `/readyz`) always, and Prometheus metrics at `/metrics`
//! only with `--metrics`, over a real socket.

mod support;

use support::{Served, TempDb};

const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("sent");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

#[tokio::test]
async fn healthz_always_and_metrics_with_the_flag() {
    let db = TempDb::new("ops-plain");
    let plain = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    assert_eq!(get(&format!("{}/healthz", plain.base())).await, (200, r#"{"status":"ok"}"#.to_owned()));
    assert_eq!(get(&format!("{}/readyz", plain.base())).await, (200, r#"{"status":"ready"}"#.to_owned()));
    assert_eq!(get(&format!("{}/metrics", plain.base())).await.0, 404);
    plain.stop();

    let db = TempDb::new("ops-metrics");
    let measured = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str(), "--metrics".as_ref()]);
    let call = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "search_tickets", "arguments": {"query": ""}}});
    let answer = reqwest::Client::new()
        .post(&measured.url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&call)
        .send()
        .await
        .expect("sent");
    assert_eq!(answer.status(), 200);
    let (status, text) = get(&format!("{}/metrics", measured.base())).await;
    assert_eq!(status, 200);
    let line = "mcp_server_operation_duration_seconds_count{mcp_method_name=\"tools/call\",\
                gen_ai_tool_name=\"search_tickets\",error_type=\"\"} 1";
    assert!(text.lines().any(|l| l == line), "{text}");
    measured.stop();
}
