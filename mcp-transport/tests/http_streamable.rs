//! Streamable HTTP in its default, stateless mode, over a real loopback socket: statuses,
//! headers, response modes, SSE framing, HTTP hygiene, cancellation on disconnect, embedding
//! and graceful shutdown. Section names refer to the 2025-11-25 spec, basic/transports.
#![cfg(feature = "http")]

mod http_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use http_support::*;
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

async fn start() -> (TestServer, Probe) {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe))).await;
    (server, probe)
}

#[tokio::test]
async fn initialize_is_answered_with_json_and_no_session_header() {
    let (server, _) = start().await;
    let response = post(&server.mcp(), &initialize_body(1, "2025-11-25", json!({})), &[]).await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/json"));
    assert!(response.headers().get("mcp-session-id").is_none(), "stateless mode issues no session");
    let body = json_of(response).await;
    assert_eq!(body["id"], 1);
    assert_eq!(body["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(body["result"]["serverInfo"]["name"], "http-test");
}

/// ChatGPT's tool calls arrive on fresh connections without `Mcp-Session-Id`, after an
/// `initialize` made elsewhere; answering them with 400 breaks the connector.
#[tokio::test]
async fn tool_calls_without_a_session_header_are_served() {
    let (server, _) = start().await;
    let read = post(
        &server.mcp(),
        &call_body(7, "echo", json!({"text": "hi"})),
        &[("mcp-protocol-version", "2025-06-18")],
    )
    .await;
    assert_eq!(read.status(), 200);
    assert_eq!(tool_text(&json_of(read).await), "hi");
    // Without any header at all, too (a stray session id from elsewhere is ignored).
    let write =
        post(&server.mcp(), &call_body(8, "note", json!({"text": "x"})), &[("mcp-session-id", "nope")]).await;
    assert_eq!(write.status(), 200);
    let body = json_of(write).await;
    assert_eq!(body["id"], 8);
    assert_eq!(tool_text(&body), "noted: x");
}

/// "Protocol Version Header": without the header and with no other way to know, the server
/// SHOULD assume 2025-03-26.
#[tokio::test]
async fn the_protocol_version_comes_from_the_header_or_defaults_to_2025_03_26() {
    let (server, _) = start().await;
    let with =
        post(&server.mcp(), &call_body(1, "version", json!({})), &[("mcp-protocol-version", "2025-06-18")])
            .await;
    assert_eq!(tool_text(&json_of(with).await), "2025-06-18");
    let without = post(&server.mcp(), &call_body(2, "version", json!({})), &[]).await;
    assert_eq!(tool_text(&json_of(without).await), "2025-03-26");
}

/// "Protocol Version Header": an invalid or unsupported version MUST get 400 Bad Request.
#[tokio::test]
async fn an_unsupported_protocol_version_header_is_400() {
    let (server, _) = start().await;
    let response =
        post(&server.mcp(), &call_body(1, "echo", json!({})), &[("mcp-protocol-version", "1999-01-01")])
            .await;
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["id"], Value::Null);
    assert_eq!(body["error"]["data"]["requested"], "1999-01-01");
    assert!(body["error"]["data"]["supported"].as_array().is_some_and(|s| s.contains(&json!("2025-11-25"))));
}

/// "Sending Messages to the Server", item 4: notifications and responses that the server
/// accepts MUST get 202 Accepted with no body.
#[tokio::test]
async fn notifications_and_responses_get_202_with_no_body() {
    let (server, _) = start().await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post(&server.mcp(), &initialized, &[("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!(response.status(), 202);
    assert!(response.bytes().await.unwrap().is_empty());
    let answer = json!({"jsonrpc": "2.0", "id": 99, "result": {}});
    let response = post(&server.mcp(), &answer, &[]).await;
    assert_eq!(response.status(), 202);
    assert!(response.bytes().await.unwrap().is_empty());
}

/// "Sending Messages to the Server", item 5: a request is answered with either
/// `text/event-stream` or `application/json`. Related messages make it a stream: each one an
/// SSE `message` event, the response last, then the stream ends.
#[tokio::test]
async fn a_handler_that_sends_progress_is_answered_with_an_sse_stream() {
    let (server, _) = start().await;
    let body = call_with_progress(3, "progress", json!({"steps": 3}), "tok");
    let response = post(&server.mcp(), &body, &[("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    let mut sse = SseReader::new(response);
    for step in 1..=3 {
        let (id, event, data) = sse.next_event().await.expect("a progress event");
        assert_eq!(id, None, "stateless streams cannot be resumed, so their events carry no id");
        assert_eq!(event.as_deref(), Some("message"));
        let message: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(message["method"], "notifications/progress");
        assert_eq!(message["params"]["progressToken"], "tok");
        assert_eq!(message["params"]["progress"], step as f64);
    }
    let (_, response) = sse.next_message().await.expect("the response");
    assert_eq!(response["id"], 3);
    assert_eq!(tool_text(&response), "done");
    assert!(sse.ends().await, "the stream ends after the response");
}

#[tokio::test]
async fn a_handler_that_just_returns_is_answered_with_json() {
    let (server, _) = start().await;
    // Progress requested, but the tool sends none: JSON.
    let response = post(&server.mcp(), &call_with_progress(4, "echo", json!({"text": "a"}), "t"), &[]).await;
    assert!(content_type(&response).starts_with("application/json"));
    assert_eq!(tool_text(&json_of(response).await), "a");
}

#[tokio::test]
async fn a_client_that_accepts_only_sse_always_gets_a_stream() {
    let (server, _) = start().await;
    let response = client()
        .post(server.mcp())
        .header("accept", "text/event-stream")
        .header("content-type", "application/json")
        .body(call_body(5, "echo", json!({"text": "s"})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (_, message) = sse.next_message().await.unwrap();
    assert_eq!(tool_text(&message), "s");
    assert!(sse.ends().await);
}

#[tokio::test]
async fn a_client_that_accepts_only_json_gets_json_even_from_a_streaming_handler() {
    let (server, _) = start().await;
    let response = client()
        .post(server.mcp())
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(call_with_progress(6, "progress", json!({"steps": 2}), "t").to_string())
        .send()
        .await
        .unwrap();
    assert!(content_type(&response).starts_with("application/json"));
    assert_eq!(tool_text(&json_of(response).await), "done");
}

/// Without a session, the client's answer to `elicitation/create` would arrive on another
/// POST that nothing waits for: the handler must fail at once, not hang.
#[tokio::test]
async fn requests_to_the_client_fail_at_once_in_stateless_mode() {
    let (server, _) = start().await;
    let started = std::time::Instant::now();
    let response = post(&server.mcp(), &call_body(1, "ask", json!({})), &[]).await;
    let body = json_of(response).await;
    assert_eq!(body["result"]["isError"], true);
    assert!(tool_text(&body).contains("elicitation failed"), "{body}");
    let response = post(&server.mcp(), &call_body(2, "ask_raw", json!({})), &[]).await;
    assert!(content_type(&response).starts_with("application/json"), "the refused request is not streamed");
    let body = json_of(response).await;
    assert_eq!(body["result"]["isError"], true);
    assert!(tool_text(&body).contains("stateless"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// "Sending Messages to the Server", item 2: the client lists both types; a client that
/// accepts neither gets 406.
#[tokio::test]
async fn an_accept_header_without_json_or_sse_is_406() {
    let (server, _) = start().await;
    let response = client()
        .post(server.mcp())
        .header("accept", "text/html")
        .header("content-type", "application/json")
        .body(call_body(1, "echo", json!({})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 406);
    assert_eq!(json_of(response).await["error"]["code"], -32600);
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let (server, _) = start().await;
    for content_type in [Some("text/plain"), None] {
        let mut request = client()
            .post(server.mcp())
            .header("accept", ACCEPT_BOTH)
            .body(call_body(1, "echo", json!({})).to_string());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
    // Parameters such as charset are fine.
    let response = client()
        .post(server.mcp())
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json; charset=utf-8")
        .body(call_body(1, "echo", json!({"text": "ok"})).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let probe = Probe::default();
    let server = TestServer::start(HttpTransport::new(test_server(&probe)).body_limit(1024)).await;
    let big = "x".repeat(2048);
    let response = post(&server.mcp(), &call_body(1, "echo", json!({"text": big})), &[]).await;
    assert_eq!(response.status(), 413);
    // Chunked, without Content-Length, is cut off at the limit too.
    let chunks = futures_util::stream::iter(
        (0..4).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; 512]))),
    );
    let response = client()
        .post(server.mcp())
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let small = post(&server.mcp(), &call_body(2, "echo", json!({"text": "ok"})), &[]).await;
    assert_eq!(small.status(), 200);
}

#[tokio::test]
async fn malformed_json_is_400_with_a_parse_error() {
    let (server, _) = start().await;
    let response = client()
        .post(server.mcp())
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], -32700);
    assert_eq!(body["id"], Value::Null);
}

/// Batches existed only in 2025-03-26 (and 2024-11-05); since 2025-06-18 the body MUST be a
/// single message ("Sending Messages to the Server", item 3).
#[tokio::test]
async fn batches_are_answered_for_2025_03_26_and_refused_after() {
    let (server, _) = start().await;
    let batch =
        json!([call_body(1, "echo", json!({"text": "a"})), call_body(2, "echo", json!({"text": "b"}))]);
    let old = post(&server.mcp(), &batch, &[("mcp-protocol-version", "2025-03-26")]).await;
    assert_eq!(old.status(), 200);
    let answers = json_of(old).await;
    let mut texts: Vec<&str> = answers.as_array().unwrap().iter().map(tool_text).collect();
    texts.sort();
    assert_eq!(texts, ["a", "b"]);
    let new = post(&server.mcp(), &batch, &[("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!(new.status(), 400);
}

/// "Security Warning", item 1: an invalid Origin MUST get 403; no Origin (non-browser
/// clients) and loopback origins are fine.
#[tokio::test]
async fn a_foreign_origin_is_403_and_loopback_or_absent_origins_pass() {
    let (server, _) = start().await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let response = post(&server.mcp(), &ping, &[("origin", "https://evil.example")]).await;
    assert_eq!(response.status(), 403);
    assert_eq!(json_of(response).await["id"], Value::Null);
    for origin in ["http://localhost:6274", "http://127.0.0.1:3000", "https://[::1]"] {
        let response = post(&server.mcp(), &ping, &[("origin", origin)]).await;
        assert_eq!(response.status(), 200, "{origin}");
    }
    assert_eq!(post(&server.mcp(), &ping, &[]).await.status(), 200);

    let probe = Probe::default();
    let configured =
        TestServer::start(HttpTransport::new(test_server(&probe)).allow_origin("https://chat.example.com"))
            .await;
    let response = post(&configured.mcp(), &ping, &[("origin", "https://chat.example.com")]).await;
    assert_eq!(response.status(), 200);
}

/// The conformance suite's DNS-rebinding scenario: a foreign Host gets a 4xx, localhost is
/// accepted, and deployments behind a proxy can add their name or turn the check off.
#[tokio::test]
async fn a_foreign_host_is_403_unless_allowed() {
    let (server, _) = start().await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let response = post(&server.mcp(), &ping, &[("host", "evil.example")]).await;
    assert_eq!(response.status(), 403);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let localhost = format!("localhost:{port}");
    assert_eq!(post(&server.mcp(), &ping, &[("host", &localhost)]).await.status(), 200);

    let probe = Probe::default();
    let proxied =
        TestServer::start(HttpTransport::new(test_server(&probe)).allow_host("mcp.example.com")).await;
    assert_eq!(post(&proxied.mcp(), &ping, &[("host", "mcp.example.com")]).await.status(), 200);
    assert_eq!(post(&proxied.mcp(), &ping, &[("host", "evil.example")]).await.status(), 403);
    let open = TestServer::start(HttpTransport::new(test_server(&probe)).allow_any_host()).await;
    assert_eq!(post(&open.mcp(), &ping, &[("host", "anything.example")]).await.status(), 200);
}

/// "Listening for Messages from the Server", item 3: GET returns an SSE stream or 405. A
/// stateless server has nothing to send, and no session to DELETE.
#[tokio::test]
async fn get_and_delete_are_405_in_stateless_mode() {
    let (server, _) = start().await;
    let get = client().get(server.mcp()).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    let delete = client().delete(server.mcp()).header("mcp-session-id", "x").send().await.unwrap();
    assert_eq!(delete.status(), 405);
}

#[tokio::test]
async fn other_methods_are_405_with_the_methods_the_endpoint_has() {
    let (server, _) = start().await;
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH] {
        let response = client().request(method.clone(), server.mcp()).send().await.unwrap();
        assert_eq!(response.status(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "POST,GET,HEAD,DELETE", "{method}");
    }
    // HEAD is GET without a body: stateless mode has no GET stream either.
    let head = client().head(server.mcp()).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(head.status(), 405);
    assert_eq!(head.headers()["allow"], "POST");
}

#[tokio::test]
async fn cors_preflight_allows_loopback_origins_and_exposes_the_mcp_headers() {
    let (server, _) = start().await;
    let preflight = client()
        .request(reqwest::Method::OPTIONS, server.mcp())
        .header("origin", "http://localhost:6274")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, mcp-protocol-version, mcp-session-id")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://localhost:6274");
    let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed.contains("mcp-session-id") && allowed.contains("mcp-protocol-version"));
    let response = post(
        &server.mcp(),
        &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        &[("origin", "http://localhost:1")],
    )
    .await;
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap().to_lowercase();
    assert!(exposed.contains("mcp-session-id") && exposed.contains("mcp-protocol-version"), "{exposed}");
    // Both answers depend on the Origin and the preflight headers, and say so to caches
    // (Fetch, "CORS protocol and HTTP caches"); so does one to a request without an Origin.
    let plain = post(&server.mcp(), &json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}), &[]).await;
    for answer in [&preflight, &response, &plain] {
        let vary: Vec<_> =
            answer.headers().get_all("vary").iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
        let vary = vary.join(", ");
        for name in ["origin", "access-control-request-method", "access-control-request-headers"] {
            assert!(vary.contains(name), "Vary `{vary}` lacks {name}");
        }
    }
}

#[tokio::test]
async fn request_headers_reach_handlers_through_extensions() {
    let (server, _) = start().await;
    let response =
        post(&server.mcp(), &call_body(1, "header", json!({"name": "x-test"})), &[("x-test", "42")]).await;
    assert_eq!(tool_text(&json_of(response).await), "42");
}

/// A client that disconnects while waiting for a JSON answer cancels the handler: the answer
/// could never reach it.
#[tokio::test]
async fn a_client_that_disconnects_while_waiting_cancels_the_handler() {
    let (server, probe) = start().await;
    let url = server.mcp();
    let call = tokio::spawn(async move { post(&url, &call_body(1, "wait", json!({})), &[]).await });
    tokio::time::timeout(PATIENCE, probe.started.notified()).await.expect("the tool started");
    call.abort();
    assert!(probe.wait_cancelled().await, "the handler was cancelled");
    assert!(!probe.finished.load(Ordering::SeqCst));
}

/// The same while streaming: in stateless mode nothing can be resumed.
#[tokio::test]
async fn a_client_that_closes_a_stateless_stream_cancels_the_handler() {
    let probe = Probe::default();
    let server = TestServer::start(
        HttpTransport::new(test_server(&probe)).keep_alive(Some(Duration::from_millis(50))),
    )
    .await;
    let response =
        post(&server.mcp(), &call_with_progress(1, "wait", json!({"progress": true}), "t"), &[]).await;
    assert_eq!(content_type(&response), "text/event-stream");
    let mut sse = SseReader::new(response);
    let (_, progress) = sse.next_message().await.unwrap();
    assert_eq!(progress["method"], "notifications/progress");
    drop(sse);
    assert!(probe.wait_cancelled().await, "the handler was cancelled");
}

#[tokio::test]
async fn idle_streams_get_keep_alive_comments() {
    let probe = Probe::default();
    let server = TestServer::start(
        HttpTransport::new(test_server(&probe)).keep_alive(Some(Duration::from_millis(30))),
    )
    .await;
    let body = call_with_progress(1, "progress", json!({"steps": 2, "delay_ms": 150}), "t");
    let mut sse = SseReader::new(post(&server.mcp(), &body, &[]).await);
    let mut comments = 0;
    let mut messages = 0;
    while let Some(frame) = sse.next_frame().await {
        match frame {
            Frame::Comment(text) => {
                assert_eq!(text, "keep-alive");
                comments += 1;
            }
            Frame::Event { .. } => messages += 1,
        }
    }
    assert_eq!(messages, 3, "two progress notifications and the response");
    assert!(comments >= 2, "an idle stream gets keep-alive comments (saw {comments})");
}

/// The router mounts in an existing app, under the app's own layers; what those layers put
/// in the request's extensions reaches handlers.
#[tokio::test]
async fn the_router_embeds_in_an_app_with_its_own_layers() {
    #[derive(Clone)]
    struct Caller(&'static str);

    let probe = Probe::default();
    let server = http_support::test_server(&probe);
    server
        .add_tool(mcp_connector_core::Tool::read("whoami").handler(|ctx, _args| async move {
            let caller = ctx
                .extensions()
                .get::<axum::http::Extensions>()
                .and_then(|e| e.get::<Caller>())
                .map(|c| c.0)
                .unwrap_or("nobody");
            Ok(mcp_connector_core::protocol::CallToolResult::text(caller))
        }))
        .unwrap();
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest("/v1", mcp_connector_transport::http::router(server))
        .layer(axum::middleware::from_fn(
            |mut request: axum::extract::Request, next: axum::middleware::Next| async move {
                request.extensions_mut().insert(Caller("alice"));
                next.run(request).await
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_eq!(client().get(format!("{base}/health")).send().await.unwrap().text().await.unwrap(), "ok");
    let response = post(&format!("{base}/v1/mcp"), &call_body(1, "whoami", json!({})), &[]).await;
    assert_eq!(tool_text(&json_of(response).await), "alice");
}

/// Graceful shutdown: the listener closes, requests in flight get their answers, and
/// `serve_until` returns.
#[tokio::test]
async fn graceful_shutdown_lets_requests_in_flight_finish() {
    let (mut server, probe) = start().await;
    let url = server.mcp();
    let in_flight = tokio::spawn(async move { post(&url, &call_body(1, "wait", json!({})), &[]).await });
    tokio::time::timeout(PATIENCE, probe.started.notified()).await.expect("the tool started");
    server.signal_shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    probe.gate.notify_one();
    let response = in_flight.await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(tool_text(&json_of(response).await), "released");
    let served = tokio::time::timeout(PATIENCE, server.task.take().unwrap()).await.expect("serve returned");
    assert!(served.unwrap().is_ok());
    let refused = client().post(server.mcp()).body("{}").send().await;
    assert!(refused.is_err(), "no new connections after shutdown");
}
