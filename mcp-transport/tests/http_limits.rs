//! Slow and greedy clients, over real loopback sockets: the header-read, body-read and idle
//! timeouts close stalled connections while a normal client is served, the connection cap answers 503 at once
//! instead of hanging, the in-flight cap answers 503 with Retry-After, and rate limits answer
//! 429 per principal or per (forwarded) address.
#![cfg(feature = "http")]

mod http_support;

use std::time::{Duration, Instant};

use http_support::*;
use mcp_connector_transport::http::{HttpTransport, RateLimit};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn transport(probe: &Probe) -> HttpTransport {
    HttpTransport::new(test_server(probe))
}

fn addr_of(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// A raw request for `echo`, with keep-alive (HTTP/1.1's default).
fn raw_call(host: &str) -> Vec<u8> {
    let body = call_body(1, "echo", json!({"text": "raw"})).to_string();
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nAccept: application/json, text/event-stream\r\n\
         Content-Type: application/json\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Waits until the server closes `stream` (EOF or reset); `None` when it is still open after
/// `within`. Whatever the server sent before closing is returned.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one HTTP response (head and a Content-Length body) from a kept-alive connection.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buf))
            .await
            .expect("answer in time")
            .expect("read");
        assert!(n > 0, "closed before the answer: {}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn connections_that_stall_in_their_header_are_closed_while_a_normal_client_is_served() {
    let probe = Probe::default();
    let header = Duration::from_millis(400);
    let server = TestServer::start(
        transport(&probe).header_read_timeout(Some(header)).idle_timeout(Some(Duration::from_secs(30))),
    )
    .await;
    let addr = addr_of(&server);
    // 40 slowloris connections: half a request header each, then nothing; and 10 that connect
    // and never send a byte.
    let mut stalled = Vec::new();
    for i in 0..50 {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        if i < 40 {
            stream.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.expect("write");
        }
        stalled.push(stream);
    }
    let started = Instant::now();
    // A normal client is served meanwhile.
    let response = post(&server.mcp(), &call_body(1, "echo", json!({"text": "served"})), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(tool_text(&json_of(response).await), "served");
    for stream in &mut stalled {
        let closed = closed_within(stream, PATIENCE).await;
        assert!(closed.is_some(), "a stalled connection is still open after {:?}", started.elapsed());
    }
    let elapsed = started.elapsed();
    // Closed by the timeout, not before it, and not long after it.
    assert!(elapsed >= header - Duration::from_millis(100), "closed too early: {elapsed:?}");
    assert!(elapsed < header + Duration::from_secs(3), "closed too late: {elapsed:?}");
}

/// A client that sends a whole header and then stalls in its body: answered 408 and closed
/// after the body-read timeout, while a normal client is served meanwhile (the stalled request
/// holds no in-flight slot for ever).
#[tokio::test]
async fn a_request_whose_body_stalls_is_answered_408_and_closed() {
    let probe = Probe::default();
    let limit = Duration::from_millis(400);
    let server =
        TestServer::start(transport(&probe).body_read_timeout(Some(limit)).max_in_flight(Some(1))).await;
    let addr = addr_of(&server);
    let mut stalled = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json, text/event-stream\r\n\
         Content-Type: application/json\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: 100\r\n\r\n{{\"jsonrpc\""
    );
    stalled.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let answer = closed_within(&mut stalled, PATIENCE).await.expect("closed after the body timeout");
    let elapsed = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
    assert!(elapsed >= limit - Duration::from_millis(100), "too early: {elapsed:?}");
    assert!(elapsed < limit + Duration::from_secs(3), "too late: {elapsed:?}");
    // The one in-flight slot is free again.
    let response = post(&server.mcp(), &call_body(2, "echo", json!({"text": "served"})), &[]).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let probe = Probe::default();
    let server = TestServer::start(
        transport(&probe)
            .header_read_timeout(Some(Duration::from_millis(300)))
            .idle_timeout(Some(Duration::from_millis(1500))),
    )
    .await;
    let addr = addr_of(&server);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&raw_call(&addr)).await.expect("write");
    let answer = read_response(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let idle_from = Instant::now();
    // Past the header timeout the connection is still usable: idle is not a stalled header.
    tokio::time::sleep(Duration::from_millis(800)).await;
    stream.write_all(&raw_call(&addr)).await.expect("write");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    let idle_from_second = Instant::now();
    assert!(idle_from_second.duration_since(idle_from) >= Duration::from_millis(800));
    // Then idle past the idle timeout: closed.
    let closed = closed_within(&mut stream, PATIENCE).await.expect("closed after the idle timeout");
    assert!(closed.is_empty(), "nothing more was sent: {}", String::from_utf8_lossy(&closed));
    let idle = idle_from_second.elapsed();
    assert!(idle >= Duration::from_millis(1400), "closed before the idle timeout: {idle:?}");
}

/// Shutdown drains every connection, idle keep-alive ones included: a connection with no
/// request in flight is closed at once, not left open until its idle timeout or the end of the
/// grace period, and `serve_until` returns as soon as the last one is closed.
#[tokio::test]
async fn shutdown_closes_an_idle_keep_alive_connection_at_once() {
    let probe = Probe::default();
    let mut server = TestServer::start(
        transport(&probe).idle_timeout(Some(Duration::from_secs(60))).shutdown_grace(Duration::from_secs(60)),
    )
    .await;
    let addr = addr_of(&server);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&raw_call(&addr)).await.expect("write");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    server.signal_shutdown();
    let closed =
        closed_within(&mut stream, PATIENCE).await.expect("closed by the shutdown, not the timeouts");
    assert!(closed.is_empty(), "nothing more was sent: {}", String::from_utf8_lossy(&closed));
    let served =
        tokio::time::timeout(PATIENCE, server.task.take().unwrap()).await.expect("serve_until returned");
    assert!(served.unwrap().is_ok());
}

/// The watcher re-reads a connection's phase on a timer rather than being woken on every
/// change (`serve.rs`, `Activity`): a header begun on a connection that was idle gets the
/// header-read timeout from when it began, not what remained of the (longer) idle timeout.
#[tokio::test]
async fn a_header_begun_on_an_idle_connection_is_held_to_the_header_timeout() {
    let probe = Probe::default();
    let header = Duration::from_millis(300);
    let server = TestServer::start(
        transport(&probe).header_read_timeout(Some(header)).idle_timeout(Some(Duration::from_secs(30))),
    )
    .await;
    let addr = addr_of(&server);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(&raw_call(&addr)).await.expect("write");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Idle a while (well within the idle timeout), then start a header and stall in it.
    tokio::time::sleep(Duration::from_millis(450)).await;
    stream.write_all(b"POST /mcp HTTP/1.1\r\nHost: ").await.expect("write");
    let began = Instant::now();
    closed_within(&mut stream, Duration::from_secs(5)).await.expect("closed by the header timeout");
    let stalled = began.elapsed();
    assert!(stalled >= Duration::from_millis(250), "closed before the header timeout: {stalled:?}");
    assert!(stalled < Duration::from_millis(1500), "held to the idle timeout instead: {stalled:?}");
}

#[tokio::test]
async fn a_request_in_flight_is_not_cut_by_the_connection_timeouts() {
    let probe = Probe::default();
    let server = TestServer::start(
        transport(&probe)
            .header_read_timeout(Some(Duration::from_millis(200)))
            .idle_timeout(Some(Duration::from_millis(200))),
    )
    .await;
    let response = post(&server.mcp(), &call_body(1, "slow", json!({"ms": 900})), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(tool_text(&json_of(response).await), "slept");
}

#[tokio::test]
async fn beyond_the_connection_cap_a_connection_gets_503_at_once_and_the_cap_frees_up() {
    let probe = Probe::default();
    let server = TestServer::start(
        transport(&probe).max_connections(Some(2)).header_read_timeout(Some(Duration::from_secs(30))),
    )
    .await;
    let addr = addr_of(&server);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream.write_all(&raw_call(&addr)).await.expect("write");
        assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
        held.push(stream);
    }
    let started = Instant::now();
    let mut third = TcpStream::connect(&addr).await.expect("the listener still accepts");
    third.write_all(&raw_call(&addr)).await.expect("write");
    let answer = closed_within(&mut third, PATIENCE).await.expect("answered and closed");
    let answer = String::from_utf8(answer).expect("ASCII");
    assert!(started.elapsed() < Duration::from_secs(2), "not at once: {:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: 1\r\n"), "{answer}");
    let body: serde_json::Value =
        serde_json::from_str(answer.split_once("\r\n\r\n").expect("body").1).expect("JSON");
    assert_eq!(body["error"]["code"], -32600);
    // The held connections still work, and once one closes a new one is served.
    held[0].write_all(&raw_call(&addr)).await.expect("write");
    assert!(read_response(&mut held[0]).await.starts_with("HTTP/1.1 200"));
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let response = client()
            .post(server.mcp())
            .header("accept", ACCEPT_BOTH)
            .header("content-type", "application/json")
            .body(call_body(2, "echo", json!({"text": "again"})).to_string())
            .send()
            .await
            .expect("sent");
        if response.status() == 200 {
            break;
        }
        // The server notices the closed connection a moment later.
        assert_eq!(response.status(), 503);
        assert!(Instant::now() < deadline, "the cap never freed up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn beyond_the_in_flight_cap_a_request_gets_503_with_retry_after_without_reaching_a_handler() {
    let probe = Probe::default();
    let server = TestServer::start(transport(&probe).max_in_flight(Some(1))).await;
    let url = server.mcp();
    let waiting = tokio::spawn(async move { post(&url, &call_body(1, "wait", json!({})), &[]).await });
    tokio::time::timeout(PATIENCE, probe.started.notified()).await.expect("the first call started");
    let started = Instant::now();
    let refused = post(&server.mcp(), &call_body(2, "echo", json!({"text": "x"})), &[]).await;
    assert!(started.elapsed() < Duration::from_secs(1), "not at once");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body = json_of(refused).await;
    assert!(body["error"]["message"].as_str().expect("message").contains("maximum of 1 requests"), "{body}");
    // GET is not a request in flight: it gets the stateless server's own answer (405), not 503.
    let get = client().get(server.mcp()).header("accept", "text/event-stream").send().await.expect("sent");
    assert_eq!(get.status(), 405);
    probe.gate.notify_one();
    let first = waiting.await.expect("task");
    assert_eq!(first.status(), 200);
    assert_eq!(tool_text(&json_of(first).await), "released");
    // The place is given back once the answer is written.
    let again = post(&server.mcp(), &call_body(3, "echo", json!({"text": "y"})), &[]).await;
    assert_eq!(again.status(), 200);
}

#[tokio::test]
async fn rate_limits_answer_429_per_forwarded_address() {
    let probe = Probe::default();
    let limit = RateLimit::per_second(0.5).burst(2).forwarded_header("x-forwarded-for");
    let server = TestServer::start(transport(&probe).rate_limit(limit)).await;
    let call = call_body(1, "echo", json!({"text": "x"}));
    // The proxy appends the client's address last; what the client wrote before is not trusted.
    let from = |client: &'static str| [("x-forwarded-for", client)];
    for _ in 0..2 {
        assert_eq!(post(&server.mcp(), &call, &from("203.0.113.9, 10.0.0.1")).await.status(), 200);
    }
    let limited = post(&server.mcp(), &call, &from("198.51.100.1, 10.0.0.1")).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    assert_eq!(json_of(limited).await["error"]["code"], -32600);
    // Another address has its own bucket.
    assert_eq!(post(&server.mcp(), &call, &from("10.0.0.2")).await.status(), 200);
}

#[tokio::test]
async fn rate_limits_key_anonymous_callers_by_peer_address() {
    let probe = Probe::default();
    let server = TestServer::start(transport(&probe).rate_limit(RateLimit::per_second(0.5).burst(1))).await;
    let call = call_body(1, "echo", json!({"text": "x"}));
    assert_eq!(post(&server.mcp(), &call, &[]).await.status(), 200);
    // Same peer (127.0.0.1), whatever a header says when no forwarded header is configured.
    let limited = post(&server.mcp(), &call, &[("x-forwarded-for", "10.9.9.9")]).await;
    assert_eq!(limited.status(), 429);
}

/// Tools with a timeout: one built by hand, one by the macro.
struct Slow;

#[mcp_connector_core::tools]
impl Slow {
    /// Sleeps for `ms` milliseconds, but may run for 200 ms at most.
    #[tool(read, timeout = "200ms")]
    async fn nap(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        "rested".into()
    }
}

#[tokio::test]
async fn a_tool_past_its_timeout_is_stopped_and_answers_a_tool_error() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use mcp_connector_core::protocol::CallToolResult;
    use mcp_connector_core::{Server, Tool};

    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let server = Server::builder("timeouts", "1.0.0")
        .tool(Tool::read("stuck").timeout(Duration::from_millis(300)).handler(move |_ctx, _args| {
            let guard = SetOnDrop(flag.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(CallToolResult::text("never"))
            }
        }))
        .tools(Slow)
        .build()
        .expect("valid server");
    let server = TestServer::start(HttpTransport::new(server)).await;

    let started = Instant::now();
    let response = post(&server.mcp(), &call_body(1, "stuck", json!({})), &[]).await;
    let elapsed = started.elapsed();
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    // A tool error the model can read (2025-11-25, server/tools, "Error Handling"), not a
    // protocol error.
    assert_eq!(body["result"]["isError"], true, "{body}");
    let text = tool_text(&body);
    assert!(text.contains("`stuck` did not finish within 300 ms"), "{text}");
    assert!(elapsed >= Duration::from_millis(280) && elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(dropped.load(Ordering::SeqCst), "the handler's future was dropped");

    // The macro's `timeout = "200ms"`: a short nap finishes, a long one is stopped.
    let quick = json_of(post(&server.mcp(), &call_body(2, "nap", json!({"ms": 10})), &[]).await).await;
    assert_ne!(quick["result"]["isError"], true, "{quick}");
    assert_eq!(tool_text(&quick), "rested");
    let long = json_of(post(&server.mcp(), &call_body(3, "nap", json!({"ms": 5000})), &[]).await).await;
    assert_eq!(long["result"]["isError"], true, "{long}");
    assert!(tool_text(&long).contains("within 200 ms"), "{long}");
}
