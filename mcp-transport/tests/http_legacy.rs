//! The legacy HTTP+SSE transport (2024-11-05, basic/transports, "HTTP with SSE") over a real
//! loopback socket.
#![cfg(feature = "http")]

mod http_support;

use std::time::Duration;

use http_support::*;
use mcp_connector_transport::http::HttpTransport;
use serde_json::json;

async fn open(url: &str) -> SseReader {
    let response =
        tokio::time::timeout(PATIENCE, client().get(url).header("accept", "text/event-stream").send())
            .await
            .expect("answered in time")
            .expect("GET sent");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/event-stream");
    SseReader::new(response)
}

/// "When a client connects, the server MUST send an `endpoint` event containing a URI for
/// the client to use for sending messages"; server messages are `message` events.
#[tokio::test]
async fn the_stream_announces_the_endpoint_and_carries_the_answers() {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe)).legacy_sse(true)).await;
    let mut sse = open(&server.url("/sse")).await;
    let (_, event, endpoint) = sse.next_event().await.unwrap();
    assert_eq!(event.as_deref(), Some("endpoint"));
    assert!(endpoint.starts_with("/messages?sessionId="), "{endpoint}");
    let post_url = server.url(&endpoint);

    let accepted = post(&post_url, &initialize_body(1, "2024-11-05", json!({})), &[]).await;
    assert_eq!(accepted.status(), 202);
    let (_, init) = sse.next_message().await.unwrap();
    assert_eq!(init["id"], 1);
    assert_eq!(init["result"]["protocolVersion"], "2024-11-05");
    post(&post_url, &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), &[]).await;

    post(&post_url, &call_with_progress(2, "progress", json!({"steps": 2}), "t"), &[]).await;
    let (_, p1) = sse.next_message().await.unwrap();
    let (_, p2) = sse.next_message().await.unwrap();
    assert_eq!(
        (p1["method"].as_str(), p2["method"].as_str()),
        (Some("notifications/progress"), Some("notifications/progress"))
    );
    let (_, result) = sse.next_message().await.unwrap();
    assert_eq!(result["id"], 2, "the answer comes after its progress");
    assert_eq!(tool_text(&result), "done");

    // 2024-11-05 allows batches.
    let batch =
        json!([call_body(3, "echo", json!({"text": "a"})), call_body(4, "note", json!({"text": "b"}))]);
    assert_eq!(post(&post_url, &batch, &[]).await.status(), 202);
    let (_, answers) = sse.next_message().await.unwrap();
    assert_eq!(answers.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_legacy_transport_is_off_by_default() {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe))).await;
    let response =
        client().get(server.url("/sse")).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn posts_without_or_with_an_unknown_session_are_refused() {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe)).legacy_sse(true)).await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    assert_eq!(post(&server.url("/messages"), &ping, &[]).await.status(), 400);
    assert_eq!(post(&server.url("/messages?sessionId=nope"), &ping, &[]).await.status(), 404);
    // A closed stream ends its session.
    let mut sse = open(&server.url("/sse")).await;
    let (_, _, endpoint) = sse.next_event().await.unwrap();
    drop(sse);
    let url = server.url(&endpoint);
    let mut status = 0;
    for _ in 0..50 {
        status = post(&url, &ping, &[]).await.status().as_u16();
        if status == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 404);
}

/// Older deep-research setups use URLs ending in `/sse/`; the router may be nested under a
/// prefix. The announced endpoint must be reachable either way.
#[tokio::test]
async fn the_endpoint_keeps_the_mount_prefix_and_trailing_slash() {
    let probe = Probe::default();
    let app = axum::Router::new()
        .nest("/connector", HttpTransport::new(test_server(&probe)).legacy_sse(true).router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut sse = open(&format!("{base}/connector/sse/")).await;
    let (_, _, endpoint) = sse.next_event().await.unwrap();
    assert!(endpoint.starts_with("/connector/messages/?sessionId="), "{endpoint}");
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping"});
    assert_eq!(post(&format!("{base}{endpoint}"), &ping, &[]).await.status(), 202);
    let (_, pong) = sse.next_message().await.unwrap();
    assert_eq!(pong, json!({"jsonrpc": "2.0", "id": 7, "result": {}}));
}

/// The 2024-11-05 transport carries the same Origin requirement.
#[tokio::test]
async fn a_foreign_origin_cannot_open_a_legacy_stream() {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe)).legacy_sse(true)).await;
    let response = client()
        .get(server.url("/sse"))
        .header("accept", "text/event-stream")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

/// Legacy connections count against the session cap.
#[tokio::test]
async fn legacy_connections_count_against_the_cap() {
    let probe = Probe::default();
    let server =
        TestServer::start(HttpTransport::new(test_server(&probe)).legacy_sse(true).max_sessions(1)).await;
    let mut first = open(&server.url("/sse")).await;
    first.next_event().await.unwrap();
    let second = client().get(server.url("/sse")).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(second.status(), 503);
}

/// On shutdown the stream answers what is in flight, then closes.
#[tokio::test]
async fn shutdown_answers_in_flight_requests_then_closes_the_stream() {
    let probe = Probe::default();
    let mut server = TestServer::start(HttpTransport::new(test_server(&probe)).legacy_sse(true)).await;
    let mut sse = open(&server.url("/sse")).await;
    let (_, _, endpoint) = sse.next_event().await.unwrap();
    assert_eq!(
        post(&server.url(&endpoint), &call_body(1, "slow", json!({"ms": 200})), &[]).await.status(),
        202
    );
    server.signal_shutdown();
    let (_, answer) = sse.next_message().await.expect("the answer before the end");
    assert_eq!(tool_text(&answer), "slept");
    assert!(sse.ends().await);
}
