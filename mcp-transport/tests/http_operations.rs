//! What operators see, over real sockets: `/healthz` and `/readyz` (readiness following the
//! token issuer as it goes down and comes back), and the Prometheus text on the metrics path,
//! parsed and checked after known traffic.
#![cfg(feature = "auth")]

mod auth_support;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use auth_support::*;
use mcp_connector_transport::auth::{Auth, JwtVerifier, StaticTokens};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

/// Serves `transport` with its own server (`serve_until`), as a deployment does; returns the
/// base URL.
async fn serve(make: impl FnOnce(&str) -> HttpTransport) -> String {
    let (listener, base) = listener().await;
    let transport = make(&format!("{base}/mcp"));
    tokio::spawn(transport.serve_until(listener, std::future::pending()));
    base
}

/// Samples of the Prometheus text: `name{labels}` (labels as written) to value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {l}"));
            (name.to_owned(), value.parse::<f64>().unwrap_or_else(|_| panic!("not a number: {l}")))
        })
        .collect()
}

async fn metrics(base: &str) -> (String, HashMap<String, f64>) {
    let response =
        client().get(format!("{base}/metrics")).header("host", "10.1.2.3:9000").send().await.expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = response.text().await.expect("text");
    let parsed = samples(&text);
    (text, parsed)
}

fn operation(method: &str, tool: &str, error: &str) -> String {
    format!(
        "mcp_server_operation_duration_seconds_count{{mcp_method_name=\"{method}\",gen_ai_tool_name=\"{tool}\",error_type=\"{error}\"}}"
    )
}

#[tokio::test]
async fn metrics_count_known_traffic_by_method_tool_and_error() {
    let tokens = StaticTokens::new().user("reader-token-0123456789", "bob", ["tickets:read"]);
    let base = serve(|resource| {
        HttpTransport::new(server()).auth(Auth::mixed(resource, tokens)).metrics("/metrics").health(true)
    })
    .await;
    let mcp = format!("{base}/mcp");
    for _ in 0..3 {
        assert_eq!(rpc(&mcp, None, call("list_tickets", json!({}))).await.status(), 200);
    }
    assert_eq!(rpc(&mcp, None, list_tools()).await.status(), 200);
    // Unknown tools: a JSON-RPC error (-32602) in a 200 answer, labelled `_unknown` so that
    // made-up names cannot create new time series.
    assert_eq!(rpc(&mcp, None, call("no_such_tool", json!({}))).await.status(), 200);
    assert_eq!(rpc(&mcp, None, call("made_up_2", json!({}))).await.status(), 200);
    // An unknown method: labelled `_other`.
    let frobnicate = json!({"jsonrpc": "2.0", "id": 9, "method": "x/frobnicate"});
    assert_eq!(rpc(&mcp, None, frobnicate).await.status(), 200);
    // A token without the write scope: 403 at the scope check, counted as a refusal too.
    assert_eq!(
        rpc(&mcp, Some("reader-token-0123456789"), call("close_ticket", json!({"id": 1}))).await.status(),
        403
    );
    // Unknown tokens: refused before the method is read (refusals only).
    for _ in 0..2 {
        assert_eq!(rpc(&mcp, Some("guessed"), list_tools()).await.status(), 401);
    }
    // Health checks and metadata are not MCP operations.
    assert_eq!(client().get(format!("{base}/healthz")).send().await.expect("sent").status(), 200);

    let (text, m) = metrics(&base).await;
    let get = |key: &str| m.get(key).copied().unwrap_or_else(|| panic!("no {key} in\n{text}"));
    assert_eq!(get(&operation("tools/call", "list_tickets", "")), 3.0);
    assert_eq!(get(&operation("tools/list", "", "")), 1.0);
    assert_eq!(get(&operation("tools/call", "_unknown", "-32602")), 2.0);
    assert_eq!(get(&operation("_other", "", "-32601")), 1.0);
    assert!(!text.contains("no_such_tool") && !text.contains("frobnicate"), "{text}");
    assert_eq!(get(&operation("tools/call", "close_ticket", "403")), 1.0);
    assert_eq!(get("mcp_server_auth_refusals_total{reason=\"invalid_token\"}"), 2.0);
    assert_eq!(get("mcp_server_auth_refusals_total{reason=\"insufficient_scope\"}"), 1.0);
    let operations: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("mcp_server_operation_duration_seconds_count"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(operations, 8.0, "exactly the MCP requests sent:\n{text}");
    // Durations are positive and within the histogram; no request is in flight now but this one.
    let sum = get("mcp_server_operation_duration_seconds_sum{mcp_method_name=\"tools/call\",\
         gen_ai_tool_name=\"list_tickets\",error_type=\"\"}");
    assert!(sum > 0.0 && sum < 5.0, "{sum}");
    assert_eq!(get("http_server_active_requests"), 0.0);
    assert_eq!(get("mcp_server_sessions"), 0.0);
    // This scrape's own connection is open (reqwest keeps the others pooled, so at least one).
    assert!(get("http_server_open_connections") >= 1.0);
    assert!(text.contains("# TYPE mcp_server_operation_duration_seconds histogram"), "{text}");
}

#[tokio::test]
async fn healthz_answers_any_host_and_readyz_follows_the_issuer() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let issuer_url = issuer.url.clone();
    let base = serve(|resource| {
        let verifier = JwtVerifier::new(&issuer_url, resource).fetch_timeout(Duration::from_secs(2));
        HttpTransport::new(server()).auth(Auth::required(resource, verifier)).health(true)
    })
    .await;
    // Probes name the server by its address and carry no token.
    let get = |path: &'static str| {
        let base = base.clone();
        async move {
            let response = client()
                .get(format!("{base}{path}"))
                .header("host", "10.1.2.3:8080")
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    assert_eq!(get("/healthz").await, (200, json!({"status": "ok"})));
    assert_eq!(get("/readyz").await, (200, json!({"status": "ready"})));

    issuer.down.store(true, Ordering::SeqCst);
    let (status, body) = get("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "not ready");
    assert!(body["reason"].as_str().unwrap_or_default().contains("503"), "{body}");
    // Liveness does not depend on the issuer: restarting the process would not help.
    assert_eq!(get("/healthz").await.0, 200);

    issuer.down.store(false, Ordering::SeqCst);
    assert_eq!(get("/readyz").await, (200, json!({"status": "ready"})));
}

#[tokio::test]
async fn without_the_options_there_are_no_health_or_metrics_paths() {
    let base = serve(|_| HttpTransport::new(server())).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(client().get(format!("{base}{path}")).send().await.expect("sent").status(), 404, "{path}");
    }
}
