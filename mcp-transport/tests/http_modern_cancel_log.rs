//! One test in a binary of its own, because it reads the server's log through a thread-local
//! subscriber (tests running in parallel would race for tracing's per-callsite interest cache):
//! closing a `subscriptions/listen` stream cancels the subscription inside the server.
#![cfg(feature = "http")]

mod http_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_support::*;
use mcp_connector_transport::http::HttpTransport;
use serde_json::json;

/// What the server logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("the log buffer")).into_owned()
    }

    fn has_line_with(&self, all: &[&str]) -> bool {
        self.text().lines().any(|line| all.iter().all(|part| line.contains(part)))
    }
}

/// 2026-07-28, basic/patterns/subscriptions, "Cancellation": the client cancels a subscription
/// by closing the SSE stream; basic/transports/streamable-http, "Cancellation": closing the
/// stream MUST be treated as cancellation of the request. The server's listen request ends as
/// cancelled, with no response.
#[tokio::test]
async fn closing_a_listen_stream_cancels_the_subscription() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded: the server's tasks log through this subscriber.
    let _logging = tracing::subscriber::set_default(subscriber);

    let probe = Probe::default();
    let transport = HttpTransport::new(test_server(&probe)).stateful(true);
    let server = TestServer::start(transport).await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let listen = json!({
        "jsonrpc": "2.0", "id": 41, "method": "subscriptions/listen",
        "params": {"notifications": {"toolsListChanged": true}, "_meta": meta}
    });
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "subscriptions/listen")];
    let response = post(&server.mcp(), &listen, &headers).await;
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (_, ack) = sse.next_message().await.expect("the acknowledgment");
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    drop(sse);

    // The server's own request span (`mcp.request{jsonrpc.request.id=41 mcp.method.name=subscriptions/listen}`) logs that
    // the request ended as cancelled.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !captured
        .has_line_with(&["jsonrpc.request.id=41 mcp.method.name=subscriptions/listen", "cancelled"])
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listen request was not cancelled; the log:\n{}",
            captured.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
