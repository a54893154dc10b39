//! Streamable HTTP in stateful mode, over a real loopback socket: session ids, expiry, the
//! cap, DELETE, the GET stream, event ids and resumption, and requests to the client.
//! Section names refer to the 2025-11-25 spec, basic/transports.
#![cfg(feature = "http")]

mod http_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use http_support::*;
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

fn stateful(probe: &Probe) -> HttpTransport {
    HttpTransport::new(test_server(probe)).stateful(true).keep_alive(Some(Duration::from_millis(100)))
}

/// Initializes a session and returns its id.
async fn open_session(server: &TestServer, version: &str, capabilities: Value) -> String {
    let response = post(&server.mcp(), &initialize_body(0, version, capabilities), &[]).await;
    assert_eq!(response.status(), 200);
    let id =
        response.headers().get("mcp-session-id").expect("a session id").to_str().expect("ASCII").to_owned();
    let body = json_of(response).await;
    assert_eq!(body["result"]["protocolVersion"], version);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let ack =
        post(&server.mcp(), &initialized, &[("mcp-session-id", &id), ("mcp-protocol-version", version)])
            .await;
    assert_eq!(ack.status(), 202);
    id
}

fn with_session<'a>(id: &'a str, version: &'a str) -> [(&'a str, &'a str); 2] {
    [("mcp-session-id", id), ("mcp-protocol-version", version)]
}

async fn get_stream(server: &TestServer, id: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = client()
        .get(server.mcp())
        .header("accept", "text/event-stream")
        .header("mcp-session-id", id)
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(last) = last_event_id {
        request = request.header("last-event-id", last);
    }
    tokio::time::timeout(PATIENCE, request.send()).await.expect("GET answered in time").expect("GET sent")
}

/// "Session Management", item 1: the id comes back on the InitializeResult's response, is
/// visible ASCII (0x21-0x7E) and unguessable; item 2: later requests carry it.
#[tokio::test]
async fn initialize_issues_a_random_visible_ascii_session_id() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let a = open_session(&server, "2025-11-25", json!({})).await;
    let b = open_session(&server, "2025-11-25", json!({})).await;
    assert_ne!(a, b);
    assert!(a.len() >= 32 && a.bytes().all(|c| (0x21..=0x7e).contains(&c)), "{a}");
    let response = post(
        &server.mcp(),
        &call_body(1, "echo", json!({"text": "in session"})),
        &with_session(&a, "2025-11-25"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(tool_text(&json_of(response).await), "in session");
}

/// "Session Management", item 2: a server that requires a session SHOULD answer requests
/// without one with 400; item 3: an unknown or ended session MUST get 404.
#[tokio::test]
async fn requests_without_a_session_are_400_and_with_an_unknown_one_404() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let call = call_body(1, "echo", json!({}));
    let missing = post(&server.mcp(), &call, &[("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!(missing.status(), 400);
    assert!(json_of(missing).await["error"]["message"].as_str().unwrap().contains("Mcp-Session-Id"));
    let unknown = post(&server.mcp(), &call, &with_session("0123456789abcdef", "2025-11-25")).await;
    assert_eq!(unknown.status(), 404);
    let get = get_stream(&server, "0123456789abcdef", None).await;
    assert_eq!(get.status(), 404);
}

/// "Session Management", items 3 and 5: DELETE ends the session; afterwards it is 404.
#[tokio::test]
async fn delete_ends_the_session() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let deleted = client().delete(server.mcp()).header("mcp-session-id", &id).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let after = post(&server.mcp(), &call_body(1, "echo", json!({})), &with_session(&id, "2025-11-25")).await;
    assert_eq!(after.status(), 404);
    let again = client().delete(server.mcp()).header("mcp-session-id", &id).send().await.unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_idle_session_expires_after_the_configured_time() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe).session_idle_timeout(Duration::from_millis(200))).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    // Activity keeps it alive: 320 ms in all, never 200 ms idle...
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(80)).await;
        let ok =
            post(&server.mcp(), &call_body(1, "echo", json!({})), &with_session(&id, "2025-11-25")).await;
        assert_eq!(ok.status(), 200);
    }
    // ...and a request in flight longer than the timeout does too.
    let slow =
        post(&server.mcp(), &call_body(2, "slow", json!({"ms": 350})), &with_session(&id, "2025-11-25"))
            .await;
    assert_eq!(slow.status(), 200);
    assert_eq!(tool_text(&json_of(slow).await), "slept", "not cancelled by an expiry");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let gone = post(&server.mcp(), &call_body(3, "echo", json!({})), &with_session(&id, "2025-11-25")).await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn sessions_beyond_the_cap_get_503() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe).max_sessions(2)).await;
    let first = open_session(&server, "2025-11-25", json!({})).await;
    let _second = open_session(&server, "2025-11-25", json!({})).await;
    let third = post(&server.mcp(), &initialize_body(0, "2025-11-25", json!({})), &[]).await;
    assert_eq!(third.status(), 503);
    assert_eq!(third.headers()["retry-after"], "5");
    assert!(third.headers().get("mcp-session-id").is_none());
    assert!(json_of(third).await["error"]["message"].as_str().unwrap().contains("at most 2 sessions"));
    // Ending one makes room.
    client().delete(server.mcp()).header("mcp-session-id", &first).send().await.unwrap();
    open_session(&server, "2025-11-25", json!({})).await;
}

/// A refused `initialize` (bad params) opens nothing.
#[tokio::test]
async fn a_failed_initialize_opens_no_session() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe).max_sessions(1)).await;
    let bad = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 5}});
    let response = post(&server.mcp(), &bad, &[]).await;
    assert!(response.headers().get("mcp-session-id").is_none());
    let body = json_of(response).await;
    assert_eq!(body["id"], 1);
    assert_eq!(body["error"]["code"], -32602, "the core's own error comes through: {body}");
    open_session(&server, "2025-11-25", json!({})).await;
}

/// "Resumability and Redelivery": events carry ids unique within the session; a stream
/// opens with a priming event (an id and empty data, "Sending Messages to the Server",
/// item 6).
#[tokio::test]
async fn stateful_streams_carry_event_ids_after_a_priming_event() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let body = call_with_progress(1, "progress", json!({"steps": 2}), "t");
    let response = post(&server.mcp(), &body, &with_session(&id, "2025-11-25")).await;
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (priming_id, _, priming_data) = sse.next_event().await.unwrap();
    assert!(priming_id.is_some());
    assert_eq!(priming_data, "");
    let mut ids = vec![priming_id.unwrap()];
    while let Some((event_id, message)) = sse.next_message().await {
        ids.push(event_id.expect("every event has an id"));
        if message.get("id").is_some() {
            assert_eq!(tool_text(&message), "done");
        }
    }
    assert_eq!(ids.len(), 4, "priming, two progress notifications, the response");
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

/// Older clients get no priming event (it is new in 2025-11-25).
#[tokio::test]
async fn clients_of_older_versions_get_no_priming_event() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-06-18", json!({})).await;
    let body = call_with_progress(1, "progress", json!({"steps": 1}), "t");
    let mut sse = SseReader::new(post(&server.mcp(), &body, &with_session(&id, "2025-06-18")).await);
    let (event_id, _, data) = sse.next_event().await.unwrap();
    assert!(event_id.is_some());
    assert!(!data.is_empty(), "the first event is the progress notification");
}

/// "Resumability and Redelivery", item 2: after a dropped POST stream, a GET with
/// `Last-Event-ID` replays what followed on that stream (and nothing from other streams),
/// then continues live. Disconnection is not cancellation ("Sending Messages to the
/// Server", item 6).
#[tokio::test]
async fn a_dropped_post_stream_resumes_with_last_event_id() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let body = call_with_progress(9, "two_phase", json!({}), "tok");
    let mut sse = SseReader::new(post(&server.mcp(), &body, &with_session(&id, "2025-11-25")).await);
    let (primed, _, _) = sse.next_event().await.unwrap();
    let (first_id, first) = sse.next_message().await.unwrap();
    assert_eq!(first["params"]["message"], "first half");
    assert!(primed.is_some());
    drop(sse);

    // Noise on another stream must not leak into the resumed one.
    let other = post(
        &server.mcp(),
        &call_with_progress(10, "progress", json!({"steps": 1}), "x"),
        &with_session(&id, "2025-11-25"),
    )
    .await;
    assert!(SseReader::new(other).ends().await);

    probe.gate.notify_one();
    // The second half and the response happen while nobody listens...
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !probe.finished.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(probe.finished.load(Ordering::SeqCst), "the handler ran to the end");
    assert!(!probe.cancelled.load(Ordering::SeqCst), "disconnection did not cancel it");

    // ...and arrive on resumption, in order, with nothing from before the cursor.
    let resumed = get_stream(&server, &id, first_id.as_deref()).await;
    assert_eq!(resumed.status(), 200);
    assert_eq!(content_type(&resumed), "text/event-stream");
    let mut sse = SseReader::new(resumed);
    let (_, second) = sse.next_message().await.unwrap();
    assert_eq!(second["params"]["message"], "second half");
    assert_eq!(second["params"]["progressToken"], "tok");
    let (_, answer) = sse.next_message().await.unwrap();
    assert_eq!(answer["id"], 9);
    assert_eq!(tool_text(&answer), "finished");
    assert!(sse.ends().await, "a finished stream ends after the replay");
}

/// Resuming a stream that is still running: the replay, then live events on the new
/// connection.
#[tokio::test]
async fn resuming_a_running_stream_continues_live() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let body = call_with_progress(3, "two_phase", json!({}), "tok");
    let mut sse = SseReader::new(post(&server.mcp(), &body, &with_session(&id, "2025-11-25")).await);
    let (primed, _, _) = sse.next_event().await.unwrap();
    drop(sse);
    tokio::time::timeout(PATIENCE, probe.started.notified()).await.unwrap();
    let mut resumed = SseReader::new(get_stream(&server, &id, primed.as_deref()).await);
    let (_, first) = resumed.next_message().await.unwrap();
    assert_eq!(first["params"]["message"], "first half", "replayed");
    probe.gate.notify_one();
    let (_, second) = resumed.next_message().await.unwrap();
    assert_eq!(second["params"]["message"], "second half", "live");
    let (_, answer) = resumed.next_message().await.unwrap();
    assert_eq!(tool_text(&answer), "finished");
    assert!(resumed.ends().await);
}

/// "Listening for Messages from the Server": server-initiated notifications travel on the
/// GET stream, which also resumes from `Last-Event-ID`.
#[tokio::test]
async fn the_get_stream_carries_server_notifications_and_resumes() {
    let probe = Probe::default();
    let server = test_server(&probe);
    let http = TestServer::start(HttpTransport::new(server.clone()).stateful(true)).await;
    let id = open_session(&http, "2025-11-25", json!({})).await;
    let response = get_stream(&http, &id, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (primed, _, data) = sse.next_event().await.unwrap();
    assert_eq!(data, "");
    server
        .add_tool(
            mcp_connector_core::Tool::read("added_1")
                .handler(|_c, _a| async { Ok(mcp_connector_core::protocol::CallToolResult::text("1")) }),
        )
        .unwrap();
    let (seen_id, changed) = sse.next_message().await.unwrap();
    assert_eq!(changed["method"], "notifications/tools/list_changed");
    drop(sse);

    // Missed while disconnected...
    server
        .add_tool(
            mcp_connector_core::Tool::read("added_2")
                .handler(|_c, _a| async { Ok(mcp_connector_core::protocol::CallToolResult::text("2")) }),
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // ...and replayed from the last id seen, not from the priming one.
    let mut sse = SseReader::new(get_stream(&http, &id, seen_id.as_deref()).await);
    let (replayed_id, replayed) = sse.next_message().await.unwrap();
    assert_eq!(replayed["method"], "notifications/tools/list_changed");
    assert_ne!(replayed_id, seen_id);
    assert_ne!(replayed_id, primed);
}

/// A Last-Event-ID the server does not know opens a fresh stream rather than failing.
#[tokio::test]
async fn an_unknown_last_event_id_opens_a_fresh_stream() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let response = get_stream(&server, &id, Some("p999-999")).await;
    assert_eq!(response.status(), 200);
    let mut sse = SseReader::new(response);
    let (primed, _, data) = sse.next_event().await.unwrap();
    assert!(primed.unwrap().starts_with("g-"));
    assert_eq!(data, "");
}

/// Elicitation: the request to the client travels on the POST's stream, the client POSTs
/// its answer with the session header (202), and the tool's result follows on the stream.
#[tokio::test]
async fn elicitation_round_trips_through_a_second_post() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({"elicitation": {}})).await;
    let response =
        post(&server.mcp(), &call_body(5, "ask", json!({})), &with_session(&id, "2025-11-25")).await;
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (_, ask) = sse.next_message().await.unwrap();
    assert_eq!(ask["method"], "elicitation/create");
    assert_eq!(ask["params"]["message"], "Proceed?");
    let answer =
        json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {"ok": true}}});
    let accepted = post(&server.mcp(), &answer, &with_session(&id, "2025-11-25")).await;
    assert_eq!(accepted.status(), 202);
    let (_, result) = sse.next_message().await.unwrap();
    assert_eq!(result["id"], 5);
    assert_eq!(tool_text(&result), "user said accept");
}

/// The client cancels with `notifications/cancelled` on the same session.
#[tokio::test]
async fn a_cancelled_notification_cancels_the_request() {
    let probe = Probe::default();
    let server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let url = server.mcp();
    let headers_id = id.clone();
    let call = tokio::spawn(async move {
        post(&url, &call_body(42, "wait", json!({})), &with_session(&headers_id, "2025-11-25")).await
    });
    tokio::time::timeout(PATIENCE, probe.started.notified()).await.unwrap();
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 42}});
    assert_eq!(post(&server.mcp(), &cancel, &with_session(&id, "2025-11-25")).await.status(), 202);
    assert!(probe.wait_cancelled().await);
    let response = tokio::time::timeout(PATIENCE, call).await.unwrap().unwrap();
    assert_eq!(response.status(), 202, "no response is owed for a cancelled request");
}

/// Graceful shutdown closes open GET streams cleanly, and requests in flight still finish.
#[tokio::test]
async fn shutdown_closes_get_streams_and_finishes_requests_in_flight() {
    let probe = Probe::default();
    let mut server = TestServer::start(stateful(&probe)).await;
    let id = open_session(&server, "2025-11-25", json!({})).await;
    let mut stream = SseReader::new(get_stream(&server, &id, None).await);
    stream.next_event().await.unwrap();
    // The POST's headers arrive with its first progress event: the request is in flight.
    let body = call_with_progress(1, "progress", json!({"steps": 3, "delay_ms": 100}), "t");
    let mut answer = SseReader::new(post(&server.mcp(), &body, &with_session(&id, "2025-11-25")).await);
    server.signal_shutdown();
    assert!(stream.ends().await, "the GET stream closed cleanly");
    let mut last = Value::Null;
    while let Some((_, message)) = answer.next_message().await {
        last = message;
    }
    assert_eq!(tool_text(&last), "done");
    let served = tokio::time::timeout(PATIENCE, server.task.take().unwrap()).await.expect("serve returned");
    assert!(served.unwrap().is_ok());
}
