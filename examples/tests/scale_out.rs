//! Scale-out on Redis with the real `tickets` binary: two (or three) replica processes started
//! with `--redis`, a real `redis-server` (see `redis_support`), requests over real sockets,
//! straight to one replica or through a small round-robin proxy. Replicas are killed mid-saga,
//! and Redis is stopped and started again.
//!
//! Skipped when `redis-server` is not installed, unless `MCP_INTEROP=required` (CI).
#![allow(clippy::unwrap_used)]

#[path = "../../mcp-transport/tests/redis_support/mod.rs"]
mod redis_support;
mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use redis_support::RedisServer;
use serde_json::{Value, json};
use support::TempDb;

const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";
const STATE_KEY: &str = "scale-out-test-key-0123456789abcdef0123456789";
const MODERN: &str = "2026-07-28";
/// How long a test waits for something that must happen (a generous bound, not a timing claim).
const PATIENCE: Duration = Duration::from_secs(30);

/// One `tickets` replica: `--http 127.0.0.1:0 --stateful --redis URL`, with a static token
/// (`ci`, read and write and admin) and the shared state key.
struct Replica {
    child: Child,
    url: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Replica {
    fn start(db: &TempDb, redis: &str, extra: &[&str]) -> Replica {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickets"))
            .args(["--http", "127.0.0.1:0", "--stateful", "--redis", redis, "--db"])
            .arg(&db.0)
            .args([
                "--tokens-env",
                "TICKETS_TOKENS",
                "--auth-mode",
                "required",
                "--state-key-env",
                "STATE_KEY",
            ])
            .args(extra)
            .env("TICKETS_TOKENS", format!("{TOKEN} ci tickets:read tickets:write tickets:admin"))
            .env("STATE_KEY", STATE_KEY)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
                eprintln!("replica: {line}");
                kept.lock().unwrap().push(line);
            }
        });
        let url = rx.recv_timeout(PATIENCE).expect("the replica prints its URL");
        Replica { child, url, stderr: lines }
    }

    fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").trim_end_matches("/mcp").parse().unwrap()
    }

    fn said(&self, needle: &str) -> usize {
        self.stderr.lock().unwrap().iter().filter(|l| l.contains(needle)).count()
    }

    /// SIGKILL: as abrupt as a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A round-robin HTTP proxy: each request goes to the next replica (one that refuses the
/// connection is skipped, as a load balancer's health check would), whatever connection it
/// came on, and the answer streams back as it comes (SSE included).
struct Proxy {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(backends: Vec<SocketAddr>) -> Proxy {
        use axum::body::Body;
        use axum::extract::Request;
        use axum::response::Response;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let next = Arc::new(AtomicUsize::new(0));
        let upstream = client();
        let forward = move |request: Request| {
            let (backends, next, upstream) = (backends.clone(), next.clone(), upstream.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                for _ in 0..backends.len() {
                    let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
                    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                    let mut outgoing =
                        upstream.request(parts.method.clone(), format!("http://{backend}{path}"));
                    for (name, value) in &parts.headers {
                        outgoing = outgoing.header(name, value);
                    }
                    let Ok(answer) = outgoing.body(body.clone()).send().await else { continue };
                    let mut response = Response::builder().status(answer.status());
                    for (name, value) in answer.headers() {
                        response = response.header(name, value);
                    }
                    return response.body(Body::from_stream(answer.bytes_stream())).unwrap();
                }
                Response::builder().status(502).body(Body::empty()).unwrap()
            }
        };
        let app = axum::Router::new().fallback(forward);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { url, task }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client that opens a new connection for every request (so the proxy spreads them).
fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    /// The JSON-RPC answer (from a JSON body, or the last message of an SSE body).
    body: Value,
}

/// The messages of an SSE body: `(id, data)` pairs.
fn sse_events(text: &str) -> Vec<(Option<String>, String)> {
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut id = None;
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.trim_start().to_owned());
            }
        }
        if id.is_some() || !data.is_empty() {
            events.push((id, data.join("\n")));
        }
    }
    events
}

async fn post(url: &str, session: Option<&str>, body: Value) -> Answer {
    let mut request = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("mcp-protocol-version", "2025-11-25")
        .json(&body);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    answer(request.send().await.unwrap()).await
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let sse =
        headers.get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    let body = if sse {
        sse_events(&text)
            .into_iter()
            .filter_map(|(_, data)| serde_json::from_str::<Value>(&data).ok())
            .rfind(|m| m.get("id").is_some())
            .unwrap_or(Value::Null)
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    Answer { status, headers, body }
}

fn request(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    request(id, "tools/call", json!({"name": tool, "arguments": arguments}))
}

/// A 2026-07-28 request (served statelessly by any replica, stateful mode or not).
async fn post_modern(url: &str, id: u64, method: &str, params: Value) -> reqwest::Response {
    post_modern_with(url, id, method, params, json!({})).await
}

/// [`post_modern`] declaring `capabilities`.
async fn post_modern_with(
    url: &str,
    id: u64,
    method: &str,
    mut params: Value,
    capabilities: Value,
) -> reqwest::Response {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "scale-out-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": capabilities
    });
    // Mcp-Name mirrors the call's target: a tool's name, a task's id.
    let name = params.get("name").or_else(|| params.get("taskId")).and_then(Value::as_str).map(str::to_owned);
    let mut request = client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", method)
        .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    if let Some(name) = name {
        request = request.header("mcp-name", name);
    }
    request.send().await.unwrap()
}

async fn initialize(url: &str) -> String {
    initialize_with(url, json!({})).await
}

async fn initialize_with(url: &str, capabilities: Value) -> String {
    let answer = post(
        url,
        None,
        request(
            0,
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": capabilities, "clientInfo": {"name": "t", "version": "1"}}),
        ),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.headers["mcp-session-id"].to_str().unwrap().to_owned()
}

/// An open SSE stream, read as events arrive.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(url: &str, session: &str, last_event_id: Option<&str>) -> Stream {
        let mut request = client()
            .get(url)
            .header("accept", "text/event-stream")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("mcp-protocol-version", "2025-11-25")
            .header("mcp-session-id", session);
        if let Some(last) = last_event_id {
            request = request.header("last-event-id", last);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        Stream { response, buffer: String::new() }
    }

    /// The next complete event; `None` at the end of the stream.
    async fn next(&mut self) -> Option<(Option<String>, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = sse_events(&block).into_iter().next() {
                    return Some(event);
                }
                continue;
            }
            let chunk =
                tokio::time::timeout(PATIENCE, self.response.chunk()).await.expect("an event in time");
            match chunk.unwrap() {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }

    /// The next event carrying a message (keep-alive comments and priming events skipped).
    async fn next_message(&mut self) -> (String, Value) {
        loop {
            let (id, data) = self.next().await.expect("the stream goes on");
            if let Ok(message) = serde_json::from_str::<Value>(&data) {
                return (id.unwrap_or_default(), message);
            }
        }
    }
}

/// A tool call that succeeded (`isError` absent or false).
fn assert_ok(answer: &Answer) {
    assert!(answer.body["result"].is_object(), "{}", answer.body);
    assert_ne!(answer.body["result"]["isError"], true, "{}", answer.body);
}

fn updated(message: &Value, uri: &str) {
    assert_eq!(message["method"], "notifications/resources/updated", "{message}");
    assert_eq!(message["params"]["uri"], uri, "{message}");
}

struct Cluster {
    redis: RedisServer,
    _db: TempDb,
    a: Replica,
    b: Replica,
}

fn cluster(name: &str, extra: &[&str]) -> Option<Cluster> {
    let redis = RedisServer::start()?;
    let db = TempDb::new(name);
    // One after the other: the first creates and seeds the database.
    let a = Replica::start(&db, &redis.url(), extra);
    let b = Replica::start(&db, &redis.url(), extra);
    Some(Cluster { redis, _db: db, a, b })
}

/// 2025-11-25 basic/transports, "Session Management" and "Resumability and Redelivery", with
/// the session's requests spread over two replicas.
#[tokio::test]
async fn a_session_opened_on_one_replica_is_served_resumed_and_deleted_on_the_other() {
    let Some(c) = cluster("scale-sessions", &[]) else { return };
    let (a, b) = (&c.a.url, &c.b.url);
    let session = initialize(a).await;
    // Any replica serves the session's next requests.
    let initialized =
        post(b, Some(&session), json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    assert_eq!(initialized.status, 202);
    let subscribed =
        post(b, Some(&session), request(1, "resources/subscribe", json!({"uri": "tickets://1"}))).await;
    assert_eq!(subscribed.status, 200, "{}", subscribed.body);
    assert_eq!(subscribed.body["result"], json!({}));
    let listed = post(a, Some(&session), request(2, "tools/list", json!({}))).await;
    assert!(listed.body["result"]["tools"].as_array().unwrap().len() > 3, "{}", listed.body);

    // The standalone stream on A hears an update made on B (the subscription was made on B).
    let mut on_a = Stream::open(a, &session, None).await;
    let (primed, data) = on_a.next().await.unwrap();
    assert!(primed.is_some() && data.is_empty(), "the priming event comes first");
    let changed =
        post(b, Some(&session), call(3, "update_ticket", json!({"id": 1, "priority": "high"}))).await;
    assert_ok(&changed);
    let (seen, message) = on_a.next_message().await;
    updated(&message, "tickets://1");
    drop(on_a);

    // Missed while disconnected: an update made on A.
    let changed =
        post(a, Some(&session), call(4, "update_ticket", json!({"id": 1, "priority": "low"}))).await;
    assert_ok(&changed);
    // Resumed on B with Last-Event-ID: exactly the missed event, then the rest live.
    let mut on_b = Stream::open(b, &session, Some(&seen)).await;
    let (missed, message) = on_b.next_message().await;
    updated(&message, "tickets://1");
    assert_ne!(missed, seen);
    let changed = post(a, Some(&session), call(5, "add_comment", json!({"id": 1, "body": "live"}))).await;
    assert_ok(&changed);
    let (live, message) = on_b.next_message().await;
    updated(&message, "tickets://1");
    assert_ne!(live, missed);

    // Deleted on B: gone on A too, and the stream on B ends.
    let deleted = client()
        .delete(b)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(post(a, Some(&session), request(6, "ping", json!({}))).await.status, 404);
    assert_eq!(post(b, Some(&session), request(7, "ping", json!({}))).await.status, 404);
    while on_b.next().await.is_some() {}
}

/// 2026-07-28 basic/patterns/subscriptions: a `subscriptions/listen` stream on one replica
/// hears a change made on the other.
#[tokio::test]
async fn listen_streams_hear_changes_made_on_the_other_replica() {
    let Some(c) = cluster("scale-listen", &[]) else { return };
    let listen = post_modern(
        &c.a.url,
        1,
        "subscriptions/listen",
        json!({"notifications": {"resourceSubscriptions": ["tickets://2"]}}),
    )
    .await;
    assert_eq!(listen.status().as_u16(), 200);
    let mut stream = Stream { response: listen, buffer: String::new() };
    let (_, ack) = stream.next_message().await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged", "{ack}");
    let changed = post_modern(
        &c.b.url,
        2,
        "tools/call",
        json!({"name": "update_ticket", "arguments": {"id": 2, "priority": "high"}}),
    )
    .await;
    let changed = answer(changed).await;
    assert_ok(&changed);
    let (_, message) = stream.next_message().await;
    updated(&message, "tickets://2");
}

/// Safe writes across replicas: a retry is answered from the first result, a confirmation
/// token is used once, whichever replica each call lands on.
#[tokio::test]
async fn retries_and_confirmation_tokens_hold_across_replicas() {
    let Some(c) = cluster("scale-writes", &[]) else { return };
    let (a, b) = (&c.a.url, &c.b.url);
    let (sa, sb) = (initialize(a).await, initialize(b).await);
    // An idempotency key: the second call, on the other replica, replays the first ticket.
    let args = json!({"title": "Disk full", "idempotency_key": "scale-1"});
    let first = post(a, Some(&sa), call(1, "create_ticket", args.clone())).await;
    let again = post(b, Some(&sb), call(2, "create_ticket", args)).await;
    let id = first.body["result"]["structuredContent"]["id"].as_u64().unwrap();
    assert_eq!(again.body["result"]["structuredContent"]["id"], id, "{}", again.body);
    assert!(again.body["result"]["_meta"]["mcp-rust-sdk/replay"].is_object(), "{}", again.body);
    // No key: the same request (same caller, JSON-RPC id and arguments) sent again to the
    // other replica within the retry window is answered from the first result.
    let update = call(3, "update_ticket", json!({"id": id, "status": "in_progress"}));
    let first = post(a, Some(&sa), update.clone()).await;
    assert_ok(&first);
    let retried = post(b, Some(&sb), update).await;
    assert_eq!(retried.body["result"]["structuredContent"], first.body["result"]["structuredContent"]);
    assert!(retried.body["result"]["_meta"]["mcp-rust-sdk/replay"].is_object(), "{}", retried.body);
    // A confirmation token made on A deletes once: on B, and never again on A.
    let preview = post(a, Some(&sa), call(4, "delete_ticket", json!({"id": id}))).await;
    let token = preview.body["result"]["structuredContent"]["confirmation_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a preview with a token: {}", preview.body))
        .to_owned();
    let confirmed =
        post(b, Some(&sb), call(5, "delete_ticket", json!({"id": id, "confirmation_token": token}))).await;
    assert_ok(&confirmed);
    assert_eq!(confirmed.body["result"]["structuredContent"]["id"], id);
    let twice =
        post(a, Some(&sa), call(6, "delete_ticket", json!({"id": id, "confirmation_token": token}))).await;
    assert_eq!(twice.body["result"]["isError"], true, "{}", twice.body);
    assert!(twice.body.to_string().contains("used"), "{}", twice.body);
}

/// A replica killed in the middle of `escalate_ticket`'s saga leaves it to the survivors:
/// exactly one finishes it once the lease runs out.
#[tokio::test]
async fn a_saga_left_by_a_killed_replica_is_recovered_by_exactly_one_survivor() {
    let Some(redis) = RedisServer::start() else { return };
    let db = TempDb::new("scale-saga");
    let lease = ["--saga-lease", "1"];
    let crashing =
        Replica::start(&db, &redis.url(), &["--saga-lease", "1", "--crash-step", "escalate_ticket:2"]);
    let b = Replica::start(&db, &redis.url(), &lease);
    let c2 = Replica::start(&db, &redis.url(), &lease);
    let session = initialize(&crashing.url).await;
    // The replica aborts right after step 2: the request gets no answer.
    let escalate = client()
        .post(&crashing.url)
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", &session)
        .json(&call(1, "escalate_ticket", json!({"id": 3, "to": "dana"})))
        .send()
        .await;
    let crashed = match escalate {
        Err(_) => true,
        Ok(response) => response.text().await.is_err(),
    };
    assert!(crashed, "the replica died mid-saga");
    let recovered = "finished interrupted saga";
    let deadline = Instant::now() + PATIENCE;
    while b.said(recovered) + c2.said(recovered) == 0 {
        assert!(Instant::now() < deadline, "no survivor recovered the saga");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more lease periods: the other survivor never takes it too.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(b.said(recovered) + c2.said(recovered), 1);
    assert_eq!(b.said("(escalate_ticket)") + c2.said("(escalate_ticket)"), 1, "the escalation saga");
}

/// Redis stopped: requests that need it fail fast (503 with Retry-After for a session, a tool
/// error for a safe write), requests that do not need it go on, and the replicas recover by
/// themselves once Redis is back.
#[tokio::test]
async fn with_redis_down_requests_fail_fast_and_the_replicas_recover_by_themselves() {
    let Some(mut c) = cluster("scale-redis-down", &[]) else { return };
    let a = c.a.url.clone();
    let session = initialize(&a).await;
    c.redis.stop();
    let started = Instant::now();
    let refused = post(&a, Some(&session), request(1, "ping", json!({}))).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.headers.contains_key("retry-after"));
    let refused = post(&a, None, request(2, "initialize", json!({
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}
    })))
    .await;
    assert_eq!(refused.status, 503, "a session nobody else could find is not opened");
    // A stateless (2026-07-28) read needs no Redis.
    let search = answer(
        post_modern(&c.b.url, 3, "tools/call", json!({"name": "search_tickets", "arguments": {}})).await,
    )
    .await;
    assert_ok(&search);
    // A retry-safe write does: a tool error that says nothing was changed.
    let write = answer(
        post_modern(
            &c.b.url,
            4,
            "tools/call",
            json!({"name": "create_ticket", "arguments": {"title": "x", "idempotency_key": "down-1"}}),
        )
        .await,
    )
    .await;
    assert_eq!(write.body["result"]["isError"], true, "{}", write.body);
    assert!(write.body.to_string().contains("nothing was changed"), "{}", write.body);
    assert!(started.elapsed() < PATIENCE, "failed fast: {:?}", started.elapsed());

    c.redis.restart();
    // No restart of the replicas: they reconnect by themselves (the old sessions died with
    // Redis's memory; a new one works on both).
    let deadline = Instant::now() + PATIENCE;
    let session = loop {
        let answer = post(&a, None, request(5, "initialize", json!({
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}
        })))
        .await;
        if answer.status == 200 {
            break answer.headers["mcp-session-id"].to_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(post(&c.b.url, Some(&session), request(6, "ping", json!({}))).await.status, 200);
    let write = post(
        &c.b.url,
        Some(&session),
        call(7, "create_ticket", json!({"title": "y", "idempotency_key": "up-1"})),
    )
    .await;
    assert_ok(&write);
}

/// Through a round-robin proxy: consecutive requests of one session alternate between the
/// replicas and the session works as with one server.
#[tokio::test]
async fn behind_a_round_robin_proxy_a_session_works_as_with_one_server() {
    let Some(c) = cluster("scale-proxy", &[]) else { return };
    let proxy = Proxy::start(vec![c.a.addr(), c.b.addr()]).await;
    let session = initialize(&proxy.url).await;
    let set =
        post(&proxy.url, Some(&session), request(1, "logging/setLevel", json!({"level": "error"}))).await;
    assert_eq!(set.status, 200, "{}", set.body);
    for id in 2..8 {
        let listed = post(&proxy.url, Some(&session), request(id, "tools/list", json!({}))).await;
        assert_eq!(listed.status, 200, "request {id}: {}", listed.body);
        assert!(listed.body["result"]["tools"].is_array());
    }
    let args = json!({"title": "Through the proxy", "idempotency_key": "proxy-1"});
    let first = post(&proxy.url, Some(&session), call(9, "create_ticket", args.clone())).await;
    let again = post(&proxy.url, Some(&session), call(10, "create_ticket", args)).await;
    assert_eq!(
        again.body["result"]["structuredContent"]["id"],
        first.body["result"]["structuredContent"]["id"]
    );
    // Kill one replica: the proxy sends everything to the survivor, which serves the session.
    let mut c = c;
    c.a.kill();
    for id in 11..14 {
        let answer = post(&proxy.url, Some(&session), request(id, "ping", json!({}))).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}

/// A `conformance` replica (its task fixtures): `--http 127.0.0.1:0 --redis URL --task-lease 1`.
fn conformance_replica(redis: &str) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["--http", "127.0.0.1:0", "--redis", redis, "--task-lease", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("serving MCP on ").nth(1) {
                let _ = tx.send(url.trim().to_owned());
            }
            eprintln!("replica: {line}");
        }
    });
    let url = rx.recv_timeout(PATIENCE).expect("the replica prints its URL");
    Replica { child, url, stderr: Arc::new(Mutex::new(Vec::new())) }
}

const TASKS: &str = "io.modelcontextprotocol/tasks";

/// Starts `slow_compute` as a task on `url`; its id.
async fn start_task(url: &str, id: u64, seconds: f64) -> String {
    let capabilities = json!({"extensions": {TASKS: {}}});
    let params = json!({"name": "slow_compute", "arguments": {"seconds": seconds, "label": "pi"}});
    let created = answer(post_modern_with(url, id, "tools/call", params, capabilities).await).await;
    assert_eq!(created.body["result"]["resultType"], "task", "{}", created.body);
    created.body["result"]["taskId"].as_str().unwrap().to_owned()
}

/// `tasks/get` on `url` until the task's status is `status`; the task.
async fn task_until(url: &str, task: &str, status: &str) -> Value {
    let capabilities = json!({"extensions": {TASKS: {}}});
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = answer(
            post_modern_with(url, 90, "tasks/get", json!({"taskId": task}), capabilities.clone()).await,
        )
        .await;
        let result = got.body["result"].clone();
        assert!(result.is_object(), "{}", got.body);
        if result["status"] == status {
            return result;
        }
        assert!(Instant::now() < deadline, "the task never became {status}: {result}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SEP-2663 tasks across replicas: `tasks/get` and `tasks/cancel` answered by the replica that
/// does not run the task, and a task whose replica was killed ends `failed` once its lease runs
/// out, saying why.
#[tokio::test]
async fn tasks_are_followed_and_cancelled_from_the_other_replica_and_fail_when_their_runner_dies() {
    let Some(redis) = RedisServer::start() else { return };
    let mut a = conformance_replica(&redis.url());
    let b = conformance_replica(&redis.url());
    let capabilities = json!({"extensions": {TASKS: {}}});
    // Created on A, followed on B to its result.
    let quick = start_task(&a.url, 1, 0.3).await;
    let done = task_until(&b.url, &quick, "completed").await;
    assert!(done["result"]["content"][0]["text"].as_str().unwrap().contains("Computed pi"), "{done}");
    // Created on A, cancelled from B: A stops it.
    let long = start_task(&a.url, 2, 600.0).await;
    let working = task_until(&b.url, &long, "working").await;
    assert_eq!(working["taskId"], long.as_str());
    let ack = answer(
        post_modern_with(&b.url, 3, "tasks/cancel", json!({"taskId": long}), capabilities.clone()).await,
    )
    .await;
    assert!(ack.body["result"].is_object(), "{}", ack.body);
    task_until(&a.url, &long, "cancelled").await;
    task_until(&b.url, &long, "cancelled").await;
    // An unknown id is unknown on every replica (-32602).
    let unknown = answer(
        post_modern_with(&b.url, 4, "tasks/get", json!({"taskId": "no-such-task"}), capabilities.clone())
            .await,
    )
    .await;
    assert_eq!(unknown.body["error"]["code"], -32602, "{}", unknown.body);
    // Created on A, A killed: once the lease runs out, B reports it failed and why.
    let orphan = start_task(&a.url, 5, 600.0).await;
    task_until(&b.url, &orphan, "working").await;
    a.kill();
    let failed = task_until(&b.url, &orphan, "failed").await;
    assert!(
        failed["statusMessage"].as_str().unwrap().contains("stopped before the task finished"),
        "{failed}"
    );
    assert_eq!(failed["error"]["code"], -32603, "{failed}");
}

/// The official conformance suite's 2025-11-25 server scenarios through the round-robin proxy,
/// against two stateful `conformance` replicas sharing one Redis: consecutive requests of one
/// session (and an elicitation's answer) land on different replicas.
#[tokio::test]
async fn the_conformance_suite_passes_through_a_proxy_in_front_of_two_replicas() {
    let suite = support::interop_dir().join("conformance/node_modules/.bin/conformance");
    if !suite.exists() {
        assert!(
            std::env::var("MCP_INTEROP").map_or(true, |v| v != "required"),
            "the conformance suite is not installed ({} is missing)",
            suite.display()
        );
        eprintln!("skipping: the conformance suite is not installed (interop/conformance: npm ci)");
        return;
    }
    let Some(redis) = RedisServer::start() else { return };
    let a = conformance_replica(&redis.url());
    let b = conformance_replica(&redis.url());
    let proxy = Proxy::start(vec![a.addr(), b.addr()]).await;
    let script = support::interop_dir().join("conformance/run.sh");
    let status = tokio::process::Command::new("bash")
        .arg(script)
        .env("CONFORMANCE_URL", &proxy.url)
        .env("CONFORMANCE_REQUIREMENTS", "2025-11-25")
        .status()
        .await
        .unwrap();
    assert!(status.success(), "the conformance suite failed through the proxy: {status}");
}

/// 2025-11-25 client/elicitation over a session served by two replicas: `delete_ticket` on A asks
/// the user on its POST stream, the client's answer is POSTed to B, and A (which waits for it)
/// gets it and deletes.
#[tokio::test]
async fn an_answer_posted_to_the_other_replica_reaches_the_request_waiting_for_it() {
    let Some(c) = cluster("scale-elicit", &[]) else { return };
    let session = initialize_with(&c.a.url, json!({"elicitation": {"form": {}}})).await;
    let initialized =
        post(&c.b.url, Some(&session), json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    assert_eq!(initialized.status, 202);
    let response = client()
        .post(&c.a.url)
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", &session)
        .json(&call(1, "delete_ticket", json!({"id": 4})))
        .send()
        .await
        .unwrap();
    let mut stream = Stream { response, buffer: String::new() };
    let (_, ask) = stream.next_message().await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    let answer = json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {}}});
    assert_eq!(post(&c.b.url, Some(&session), answer).await.status, 202);
    let (_, result) = stream.next_message().await;
    assert_eq!(result["id"], 1, "{result}");
    assert_ne!(result["result"]["isError"], true, "{result}");
    assert_eq!(result["result"]["structuredContent"]["id"], 4, "deleted after the answer: {result}");
}
