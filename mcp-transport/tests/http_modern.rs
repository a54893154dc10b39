//! Streamable HTTP for protocol 2026-07-28 (the "modern" era) beside 2025-11-25, over a real
//! loopback socket: which POSTs are modern, the request metadata headers and their validation,
//! `x-mcp-header`, statuses of modern errors, no sessions and no GET, request-scoped streams,
//! cancellation by closing the stream, and `subscriptions/listen`.
//!
//! Section names refer to the 2026-07-28 spec: `basic/transports/streamable-http` unless
//! another page is named.
#![cfg(feature = "http")]

mod http_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_support::*;
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Server, Tool};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MODERN: &str = "2026-07-28";

/// The `_meta` every modern request carries ("`_meta`" in basic/index).
fn request_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "http-modern-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A modern request: `params` with the per-request `_meta` merged in.
fn modern(id: i64, method: &str, params: Value) -> Value {
    let mut params = params;
    let object = params.as_object_mut().expect("params are an object");
    let meta = object.entry("_meta").or_insert_with(|| json!({}));
    for (key, value) in request_meta().as_object().expect("meta").clone() {
        meta.as_object_mut().expect("_meta is an object").entry(key).or_insert(value);
    }
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn call(id: i64, tool: &str, arguments: Value) -> Value {
    modern(id, "tools/call", json!({"name": tool, "arguments": arguments}))
}

/// The headers a conforming client derives from the body ("Standard Request Headers").
fn standard_headers(body: &Value) -> Vec<(String, String)> {
    let method = body["method"].as_str().expect("a method").to_owned();
    let mut headers = vec![
        ("mcp-protocol-version".to_owned(), MODERN.to_owned()),
        ("mcp-method".to_owned(), method.clone()),
    ];
    let name = match method.as_str() {
        "tools/call" | "prompts/get" => body["params"]["name"].as_str(),
        "resources/read" => body["params"]["uri"].as_str(),
        _ => None,
    };
    if let Some(name) = name {
        headers.push(("mcp-name".to_owned(), name.to_owned()));
    }
    headers
}

/// POSTs a modern request with its standard headers, changed by `overrides` (a `None` value
/// drops the header).
async fn post_modern(url: &str, body: &Value, overrides: &[(&str, Option<&str>)]) -> reqwest::Response {
    let mut headers = standard_headers(body);
    for (name, value) in overrides {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            headers.push(((*name).to_owned(), (*value).to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    post(url, body, &pairs).await
}

/// Status and JSON body of a refused request, with the checks every modern refusal shares:
/// the JSON-RPC error names the request's id.
async fn refused(response: reqwest::Response, status: u16, code: i64, id: i64) -> Value {
    assert_eq!(response.status(), status);
    assert!(content_type(&response).starts_with("application/json"));
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["id"], id, "the error answers the request by its id: {body}");
    body
}

/// What the modern tests observe: the tools of `test_server` plus tools with `x-mcp-header`
/// arguments and one that records its cancellation.
struct Fixture {
    server: Server,
    probe: Probe,
    cancelled: Arc<AtomicBool>,
}

fn fixture() -> Fixture {
    let probe = Probe::default();
    let server = test_server(&probe);
    server
        .add_tool(
            Tool::read("execute_sql")
                .input_schema(json!({
                    "type": "object",
                    "properties": {
                        "region": {"type": "string", "x-mcp-header": "Region"},
                        "limit": {"type": "integer", "x-mcp-header": "Limit"},
                        "dry_run": {"type": "boolean", "x-mcp-header": "Dry-Run"},
                        "options": {
                            "type": "object",
                            "properties": {"tenant": {"type": ["string", "null"], "x-mcp-header": "Tenant"}}
                        },
                        "query": {"type": "string"}
                    }
                }))
                .handler(|_ctx, args| async move { Ok(CallToolResult::text(args["region"].to_string())) }),
        )
        .expect("valid x-mcp-header tool");
    let cancelled = Arc::new(AtomicBool::new(false));
    let flag = cancelled.clone();
    let started = probe.started.clone();
    server
        .add_tool(Tool::read("until_cancelled").handler(move |ctx, _args| {
            let flag = flag.clone();
            let started = started.clone();
            async move {
                // Watch the request's own cancellation token, from outside the handler's future
                // (which is dropped on cancellation).
                let token = ctx.cancellation();
                tokio::spawn(async move {
                    token.cancelled().await;
                    flag.store(true, Ordering::SeqCst);
                });
                ctx.progress(1.0, None, Some("waiting to be cancelled"));
                started.notify_one();
                std::future::pending::<()>().await;
                Ok(CallToolResult::text("unreachable"))
            }
        }))
        .expect("valid tool");
    Fixture { server, probe, cancelled }
}

async fn start(stateful: bool) -> (TestServer, Fixture) {
    let fixture = fixture();
    let transport = HttpTransport::new(fixture.server.clone())
        .stateful(stateful)
        .keep_alive(Some(Duration::from_millis(50)));
    (TestServer::start(transport).await, fixture)
}

async fn flag_set(flag: &AtomicBool) -> bool {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if flag.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A POST written by hand on a raw socket, so that header names and values go out exactly as
/// given (reqwest lowercases names, and the value checks need exact bytes). Returns the status
/// and the body.
async fn raw_post(server: &TestServer, headers: &[(&str, &str)], body: &Value) -> (u16, String) {
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let body = body.to_string();
    let mut request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("read");
    let raw = String::from_utf8(raw).expect("UTF-8 response");
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

// --- Eras: which POSTs are modern, sessions, GET and DELETE ------------------------------------

/// basic/versioning, "Backward Compatibility with Initialization-Based Versions": a request
/// carrying modern per-request `_meta` is served statelessly per 2026-07-28, even by a
/// transport in stateful mode; "Backward Compatibility": an `Mcp-Session-Id` on it is ignored
/// and no session id is minted or echoed.
#[tokio::test]
async fn a_modern_request_needs_and_gets_no_session_in_either_mode() {
    for stateful in [false, true] {
        let (server, _) = start(stateful).await;
        let body = call(1, "echo", json!({"text": "hi"}));
        let response = post_modern(&server.mcp(), &body, &[]).await;
        assert_eq!(response.status(), 200, "stateful: {stateful}");
        assert!(response.headers().get("mcp-session-id").is_none(), "no session id is issued");
        let answer = json_of(response).await;
        assert_eq!(answer["id"], 1);
        assert_eq!(tool_text(&answer), "hi");

        let stray = post_modern(&server.mcp(), &body, &[("mcp-session-id", Some("not-a-session"))]).await;
        assert_eq!(stray.status(), 200, "a stray Mcp-Session-Id is ignored (stateful: {stateful})");
        assert!(stray.headers().get("mcp-session-id").is_none());
        assert_eq!(tool_text(&json_of(stray).await), "hi");
    }
}

/// basic/versioning, same section: an `initialize` request selects legacy semantics, scoped to
/// the session (HTTP); a dual-era server serves both eras on one endpoint.
#[tokio::test]
async fn a_legacy_initialize_still_opens_a_session_beside_modern_requests() {
    let (server, _) = start(true).await;
    let response = post(&server.mcp(), &initialize_body(0, "2025-11-25", json!({})), &[]).await;
    assert_eq!(response.status(), 200);
    let session =
        response.headers().get("mcp-session-id").expect("a session id").to_str().unwrap().to_owned();
    assert_eq!(json_of(response).await["result"]["protocolVersion"], "2025-11-25");

    // The legacy session works as before: a request without its id is refused...
    let without = post(&server.mcp(), &call_body(1, "echo", json!({"text": "a"})), &[]).await;
    assert_eq!(without.status(), 400);
    // ...and one with it is served.
    let legacy = post(
        &server.mcp(),
        &call_body(2, "version", json!({})),
        &[("mcp-session-id", &session), ("mcp-protocol-version", "2025-11-25")],
    )
    .await;
    assert_eq!(tool_text(&json_of(legacy).await), "2025-11-25");

    // A modern request on the same endpoint meanwhile.
    let modern = post_modern(&server.mcp(), &call(3, "echo", json!({"text": "b"})), &[]).await;
    assert_eq!(modern.status(), 200);
    assert_eq!(tool_text(&json_of(modern).await), "b");
}

/// "Backward Compatibility" ("Earlier Streamable HTTP Revisions"): no GET stream and no DELETE
/// in 2026-07-28; the server answers 405. A legacy session's GET stream keeps working.
#[tokio::test]
async fn get_and_delete_naming_a_modern_version_are_405_while_legacy_get_works() {
    for stateful in [false, true] {
        let (server, _) = start(stateful).await;
        let get = client()
            .get(server.mcp())
            .header("accept", "text/event-stream")
            .header("mcp-protocol-version", MODERN)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 405, "stateful: {stateful}");
        assert_eq!(get.headers()["allow"], "POST");
        let delete = client()
            .delete(server.mcp())
            .header("mcp-protocol-version", MODERN)
            .header("mcp-session-id", "x")
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), 405, "stateful: {stateful}");
    }

    let (server, _) = start(true).await;
    let response = post(&server.mcp(), &initialize_body(0, "2025-11-25", json!({})), &[]).await;
    let session = response.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let get = client()
        .get(server.mcp())
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(content_type(&get), "text/event-stream");
}

/// "Security & Endpoint": the Origin (and Host) checks apply to modern requests too: 403.
#[tokio::test]
async fn dns_rebinding_protection_covers_modern_requests() {
    let (server, _) = start(false).await;
    let body = call(1, "echo", json!({"text": "x"}));
    let origin = post_modern(&server.mcp(), &body, &[("origin", Some("http://evil.example"))]).await;
    assert_eq!(origin.status(), 403);
    let host = post_modern(&server.mcp(), &body, &[("host", Some("evil.example"))]).await;
    assert_eq!(host.status(), 403);
    let local = post_modern(&server.mcp(), &body, &[("origin", Some("http://localhost:3000"))]).await;
    assert_eq!(local.status(), 200);
}

/// "Sending Messages", item 5: an accepted notification gets 202 and no body. Item 4: the
/// client sends no responses, and one message per POST.
#[tokio::test]
async fn modern_notifications_get_202_and_responses_or_batches_400() {
    let (server, _) = start(true).await;
    let notification =
        json!({"jsonrpc": "2.0", "method": "notifications/whatever", "params": {"_meta": request_meta()}});
    let response = post(&server.mcp(), &notification, &[("mcp-protocol-version", MODERN)]).await;
    assert_eq!(response.status(), 202);
    assert!(response.bytes().await.unwrap().is_empty());

    let answer = json!({"jsonrpc": "2.0", "id": 9, "result": {}});
    assert_eq!(post(&server.mcp(), &answer, &[("mcp-protocol-version", MODERN)]).await.status(), 400);
    let batch = json!([modern(1, "tools/list", json!({}))]);
    assert_eq!(post(&server.mcp(), &batch, &[("mcp-protocol-version", MODERN)]).await.status(), 400);
}

// --- Request metadata: _meta and the standard headers --------------------------------------

/// basic/index, "`_meta`": a request missing a required per-request field is malformed; the
/// server MUST answer -32602, and on HTTP with 400 Bad Request. The header alone marks the
/// request as modern.
#[tokio::test]
async fn missing_required_meta_fields_are_400_invalid_params() {
    let (server, _) = start(true).await;
    let bare = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {}});
    refused(post_modern(&server.mcp(), &bare, &[]).await, 400, -32602, 5).await;

    let no_params = json!({"jsonrpc": "2.0", "id": 6, "method": "tools/list"});
    refused(post_modern(&server.mcp(), &no_params, &[]).await, 400, -32602, 6).await;

    let no_capabilities = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/list",
        "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN}}
    });
    refused(post_modern(&server.mcp(), &no_capabilities, &[]).await, 400, -32602, 7).await;
}

/// "Protocol Version Header": every POST MUST carry `MCP-Protocol-Version`, equal to the
/// body's `_meta` version; otherwise 400 with `HeaderMismatch` (-32020).
#[tokio::test]
async fn the_protocol_version_header_must_be_present_and_match_the_body() {
    let (server, _) = start(false).await;
    let body = modern(1, "tools/list", json!({}));
    let missing = post_modern(&server.mcp(), &body, &[("mcp-protocol-version", None)]).await;
    refused(missing, 400, -32020, 1).await;
    let legacy = post_modern(&server.mcp(), &body, &[("mcp-protocol-version", Some("2025-11-25"))]).await;
    refused(legacy, 400, -32020, 1).await;

    let other =
        modern(2, "tools/list", json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0"}}));
    let body = refused(post_modern(&server.mcp(), &other, &[]).await, 400, -32020, 2).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("MCP-Protocol-Version"), "{body}");
}

/// "Protocol Version Header": a version the server does not implement gets 400 and an
/// `UnsupportedProtocolVersionError` (-32022) listing the supported versions.
#[tokio::test]
async fn an_unsupported_version_is_400_with_the_supported_ones() {
    let (server, _) = start(false).await;
    // Named by the header only: refused before any session exists.
    let response =
        post(&server.mcp(), &call_body(1, "echo", json!({})), &[("mcp-protocol-version", "1999-01-01")])
            .await;
    assert_eq!(response.status(), 400);
    let body = json_of(response).await;
    assert_eq!(body["error"]["code"], -32022);
    assert_eq!(body["error"]["data"]["requested"], "1999-01-01");
    assert!(body["error"]["data"]["supported"].as_array().unwrap().contains(&json!(MODERN)));
}

/// The same, named in `_meta` (and the header): the server answers, the transport gives the
/// status.
#[tokio::test]
async fn an_unsupported_version_in_meta_is_400() {
    let (server, _) = start(false).await;
    let body = modern(
        3,
        "server/discover",
        json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "v999.0.0"}}),
    );
    let response = post_modern(&server.mcp(), &body, &[("mcp-protocol-version", Some("v999.0.0"))]).await;
    let body = refused(response, 400, -32022, 3).await;
    assert_eq!(body["error"]["data"]["requested"], "v999.0.0");
}

/// "Server Validation": a missing `Mcp-Method` or one that differs from the body's `method` is
/// rejected with 400 and -32020. "Case Sensitivity": header values are case-sensitive.
#[tokio::test]
async fn mcp_method_is_required_and_must_equal_the_body_method() {
    for stateful in [false, true] {
        let (server, _) = start(stateful).await;
        let body = modern(11, "tools/list", json!({}));
        refused(post_modern(&server.mcp(), &body, &[("mcp-method", None)]).await, 400, -32020, 11).await;
        let other = post_modern(&server.mcp(), &body, &[("mcp-method", Some("prompts/list"))]).await;
        refused(other, 400, -32020, 11).await;
        let upper = post_modern(&server.mcp(), &body, &[("mcp-method", Some("TOOLS/LIST"))]).await;
        refused(upper, 400, -32020, 11).await;
    }
}

/// "Case Sensitivity": header names are case-insensitive (sent here byte for byte).
#[tokio::test]
async fn header_names_are_case_insensitive() {
    let (server, _) = start(false).await;
    let body = modern(1, "tools/list", json!({}));
    for (version, method) in [("MCP-PROTOCOL-VERSION", "MCP-METHOD"), ("mcp-protocol-version", "mcp-method")]
    {
        let (status, answer) = raw_post(&server, &[(version, MODERN), (method, "tools/list")], &body).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer.contains("\"tools\""), "{answer}");
    }
}

/// "Server Validation": `Mcp-Name` is required for tools/call (and prompts/get,
/// resources/read) and must equal `params.name` (`params.uri`); RFC 9110, section 5.5:
/// whitespace around a field value is not part of it.
#[tokio::test]
async fn mcp_name_is_required_and_must_match_the_body() {
    let (server, _) = start(false).await;
    let body = call(21, "echo", json!({"text": "n"}));
    refused(post_modern(&server.mcp(), &body, &[("mcp-name", None)]).await, 400, -32020, 21).await;
    let wrong = post_modern(&server.mcp(), &body, &[("mcp-name", Some("wrong_tool_name"))]).await;
    let error = refused(wrong, 400, -32020, 21).await;
    assert!(error["error"]["message"].as_str().unwrap().contains("wrong_tool_name"), "{error}");

    let (status, answer) = raw_post(
        &server,
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", "   echo  ")],
        &body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");

    let read = modern(22, "resources/read", json!({"uri": "file:///a.txt"}));
    let mismatch = post_modern(&server.mcp(), &read, &[("mcp-name", Some("file:///b.txt"))]).await;
    refused(mismatch, 400, -32020, 22).await;
    // The Tasks extension (SEP-2663) adds `params.taskId` for tasks/get, tasks/update and
    // tasks/cancel.
    let task = modern(24, "tasks/get", json!({"taskId": "t-1"}));
    refused(post_modern(&server.mcp(), &task, &[("mcp-name", Some("t-2"))]).await, 400, -32020, 24).await;
    refused(post_modern(&server.mcp(), &task, &[]).await, 400, -32020, 24).await;
    let prompt = modern(23, "prompts/get", json!({"name": "greeting"}));
    refused(post_modern(&server.mcp(), &prompt, &[("mcp-name", None)]).await, 400, -32020, 23).await;
}

/// A mirrored header sent twice is malformed, even when both values agree: the server cannot
/// tell which one the client meant ("Server Validation": a malformed header is 400 with
/// -32020). Header names match whatever their case.
#[tokio::test]
async fn a_mirrored_header_sent_twice_is_400_header_mismatch() {
    let (server, _) = start(false).await;
    let body = call(31, "echo", json!({"text": "n"}));
    let standard = [("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", "echo")];
    for (repeated, again) in
        [("mcp-protocol-version", MODERN), ("MCP-METHOD", "tools/call"), ("mcp-name", "echo")]
    {
        let mut headers = standard.to_vec();
        headers.push((repeated, again));
        let (status, answer) = raw_post(&server, &headers, &body).await;
        assert_eq!(status, 400, "{answer}");
        let answer: Value = serde_json::from_str(&answer).expect("a JSON-RPC error");
        assert_eq!(answer["error"]["code"], -32020, "{answer}");
        assert_eq!(answer["id"], 31, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("was sent more than once"), "{message}");
    }
    let (status, answer) = raw_post(&server, &standard, &body).await;
    assert_eq!(status, 200, "{answer}");
}

/// "Value Encoding": a name outside the header-safe set travels as `=?base64?…?=`; the server
/// MUST decode it before comparing.
#[tokio::test]
async fn a_base64_mcp_name_is_decoded_before_comparing() {
    let (server, _) = start(false).await;
    let body = call(31, "echo", json!({"text": "b64"}));
    // "echo"
    let response = post_modern(&server.mcp(), &body, &[("mcp-name", Some("=?base64?ZWNobw==?="))]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(tool_text(&json_of(response).await), "b64");
    let bad = post_modern(&server.mcp(), &body, &[("mcp-name", Some("=?base64?ZWNobw?="))]).await;
    refused(bad, 400, -32020, 31).await;
}

// --- x-mcp-header ----------------------------------------------------------------------------

fn sql(id: i64, arguments: Value) -> Value {
    call(id, "execute_sql", arguments)
}

/// "Custom Headers from Tool Parameters": an argument marked `x-mcp-header: Region` travels in
/// `Mcp-Param-Region` too; the server validates that the header matches the body.
#[tokio::test]
async fn x_mcp_header_arguments_that_match_are_served() {
    let (server, _) = start(false).await;
    let url = server.mcp();
    let plain =
        post_modern(&url, &sql(1, json!({"region": "us-west1"})), &[("mcp-param-region", Some("us-west1"))])
            .await;
    assert_eq!(plain.status(), 200);
    assert_eq!(tool_text(&json_of(plain).await), "\"us-west1\"");

    // "Value Encoding": non-ASCII values travel Base64-encoded ("Hello, 世界").
    let encoded = post_modern(
        &url,
        &sql(2, json!({"region": "Hello, 世界"})),
        &[("Mcp-Param-Region", Some("=?base64?SGVsbG8sIOS4lueVjA==?="))],
    )
    .await;
    assert_eq!(encoded.status(), 200);

    // Without the sentinel a value is literal, even when it looks like Base64.
    let literal =
        post_modern(&url, &sql(3, json!({"region": "SGVsbG8="})), &[("mcp-param-region", Some("SGVsbG8="))])
            .await;
    assert_eq!(literal.status(), 200);

    // Integers compare as numbers, booleans as `true`/`false`, nested properties by their
    // path; absent and null arguments need no header ("Server Behavior for Custom Headers").
    let typed = post_modern(
        &url,
        &sql(4, json!({"limit": 42, "dry_run": true, "options": {"tenant": "acme"}, "query": "q"})),
        &[
            ("mcp-param-limit", Some("42.0")),
            ("mcp-param-dry-run", Some("true")),
            ("mcp-param-tenant", Some("acme")),
        ],
    )
    .await;
    assert_eq!(typed.status(), 200);
    let none = post_modern(&url, &sql(5, json!({"query": "q", "options": {"tenant": null}})), &[]).await;
    assert_eq!(none.status(), 200);
}

/// "Server Behavior for Custom Headers": servers MUST reject with 400 and -32020 a header that
/// does not match the body, a missing header for a value in the body, a value with invalid
/// characters, and (the conformance suite's cases) invalid Base64 inside the sentinel.
#[tokio::test]
async fn x_mcp_header_arguments_that_do_not_match_are_400_header_mismatch() {
    let (server, _) = start(false).await;
    let url = server.mcp();
    let region = |value: &'static str| [("mcp-param-region", Some(value))];
    let body = sql(1, json!({"region": "us-west1"}));
    refused(post_modern(&url, &body, &region("eu-west1")).await, 400, -32020, 1).await;
    refused(post_modern(&url, &body, &[]).await, 400, -32020, 1).await;
    let hello = sql(2, json!({"region": "Hello"}));
    refused(post_modern(&url, &hello, &region("=?base64?SGVsbG8?=")).await, 400, -32020, 2).await;
    refused(post_modern(&url, &hello, &region("=?base64?SGVs!!!bG8=?=")).await, 400, -32020, 2).await;
    // A header for an argument the body does not carry.
    refused(post_modern(&url, &sql(3, json!({"query": "q"})), &region("us-west1")).await, 400, -32020, 3)
        .await;
    // Numbers and booleans compare by value.
    let limit = post_modern(&url, &sql(4, json!({"limit": 42})), &[("mcp-param-limit", Some("41"))]).await;
    refused(limit, 400, -32020, 4).await;
    let dry =
        post_modern(&url, &sql(5, json!({"dry_run": false})), &[("mcp-param-dry-run", Some("False"))]).await;
    refused(dry, 400, -32020, 5).await;

    // Bytes a header value cannot hold (obs-text), sent raw.
    let headers = [
        ("MCP-Protocol-Version", MODERN),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "execute_sql"),
        ("Mcp-Param-Region", "us-w\u{e9}st1"),
    ];
    let (status, answer) = raw_post(&server, &headers, &sql(6, json!({"region": "us-wést1"}))).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("-32020"), "{answer}");
}

/// server/tools, "x-mcp-header": a value breaking the constraints makes the tool definition
/// invalid; the server never serves one as if it were valid.
#[tokio::test]
async fn a_tool_with_an_invalid_x_mcp_header_is_not_served_to_modern_clients() {
    let (server, fixture) = start(false).await;
    let invalid = Tool::read("bad_header")
        .input_schema(json!({"type": "object", "properties": {"n": {"type": "number", "x-mcp-header": "N"}}}))
        .handler(|_ctx, _args| async { Ok(CallToolResult::text("ran")) });
    assert!(invalid.header_params().is_err(), "number parameters cannot be mirrored");
    let refused = fixture.server.add_tool(invalid).unwrap_err();
    assert!(refused.to_string().contains("bad_header"), "{refused}");
    // Never registered, so a modern call finds no such tool.
    let response = post_modern(&server.mcp(), &call(1, "bad_header", json!({"n": 1.5})), &[]).await;
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_object() || body["result"]["isError"] == true, "{body}");
}

// --- Error statuses ------------------------------------------------------------------------

/// "Protocol Version Header": a method the server does not implement gets 404 and -32601.
/// Methods of the legacy era (`initialize`, `ping`, `logging/setLevel`) are unknown to a
/// request that carries modern `_meta` (the conformance suite's server-stateless scenario).
#[tokio::test]
async fn unknown_methods_are_404_method_not_found() {
    let (server, _) = start(true).await;
    for (id, method) in [(1, "unknown/method"), (2, "initialize"), (3, "ping"), (4, "logging/setLevel")] {
        let response = post_modern(&server.mcp(), &modern(id, method, json!({})), &[]).await;
        assert!(response.headers().get("mcp-session-id").is_none());
        refused(response, 404, -32601, id).await;
    }
    // The status holds for a client that accepts only SSE too: the error is all there is.
    let sse_only = post_modern(
        &server.mcp(),
        &modern(5, "unknown/method", json!({})),
        &[("accept", Some("text/event-stream"))],
    )
    .await;
    refused(sse_only, 404, -32601, 5).await;
}

// --- Streams: notifications, cancellation, subscriptions/listen -------------------------------

/// "Receiving Messages": request-related notifications (progress) precede the response on the
/// request's own SSE stream, which ends after the response; streams are not resumable, so
/// events carry no ids.
#[tokio::test]
async fn progress_streams_on_the_posts_own_response() {
    for stateful in [false, true] {
        let (server, _) = start(stateful).await;
        let body = modern(
            3,
            "tools/call",
            json!({
                "name": "progress", "arguments": {"steps": 2}, "_meta": {"progressToken": "tok"}
            }),
        );
        let response = post_modern(&server.mcp(), &body, &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(content_type(&response), "text/event-stream");
        assert_eq!(response.headers()["x-accel-buffering"], "no");
        assert!(response.headers().get("mcp-session-id").is_none());
        let mut sse = SseReader::new(response);
        for step in 1..=2 {
            let (id, message) = sse.next_message().await.expect("a progress notification");
            assert_eq!(id, None, "no event ids: nothing is resumable (stateful: {stateful})");
            assert_eq!(message["method"], "notifications/progress");
            assert_eq!(message["params"]["progressToken"], "tok");
            assert_eq!(message["params"]["progress"], step as f64);
        }
        let (_, answer) = sse.next_message().await.expect("the response");
        assert_eq!(answer["id"], 3);
        assert_eq!(tool_text(&answer), "done");
        assert!(sse.ends().await, "the response ends the stream");
    }
}

/// "Cancellation": closing the SSE response stream MUST be treated as cancellation of that
/// request, in either mode (no resumption in 2026-07-28).
#[tokio::test]
async fn closing_the_response_stream_cancels_the_request() {
    for stateful in [false, true] {
        let (server, fixture) = start(stateful).await;
        let body = modern(
            1,
            "tools/call",
            json!({
                "name": "until_cancelled", "arguments": {}, "_meta": {"progressToken": 1}
            }),
        );
        let response = post_modern(&server.mcp(), &body, &[]).await;
        assert_eq!(content_type(&response), "text/event-stream");
        let mut sse = SseReader::new(response);
        let (_, progress) = sse.next_message().await.expect("the handler's progress");
        assert_eq!(progress["method"], "notifications/progress");
        drop(sse);
        assert!(
            flag_set(&fixture.cancelled).await,
            "the request's cancellation token fired (stateful: {stateful})"
        );
    }
}

/// The same for a client waiting on a JSON answer that goes away.
#[tokio::test]
async fn a_client_that_disconnects_while_waiting_cancels_the_request() {
    let (server, fixture) = start(true).await;
    let url = server.mcp();
    let waiting = tokio::spawn(async move {
        post_modern(&url, &call(1, "wait", json!({})), &[("accept", Some("application/json"))]).await
    });
    tokio::time::timeout(PATIENCE, fixture.probe.started.notified()).await.expect("the tool started");
    waiting.abort();
    assert!(fixture.probe.wait_cancelled().await, "the handler was cancelled");
    assert!(!fixture.probe.finished.load(Ordering::SeqCst));
}

fn listen(id: i64, filter: Value) -> Value {
    modern(id, "subscriptions/listen", json!({"notifications": filter}))
}

/// basic/patterns/subscriptions: the response to `subscriptions/listen` is an SSE stream that
/// stays open: the acknowledgment first, then the notifications the client opted in to, each
/// tagged with the subscription id (the request's id); keep-alive comments while idle.
#[tokio::test]
async fn subscriptions_listen_streams_change_notifications() {
    let (server, fixture) = start(false).await;
    let response = post_modern(&server.mcp(), &listen(77, json!({"toolsListChanged": true})), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/event-stream");
    assert!(response.headers().get("mcp-session-id").is_none());
    let mut sse = SseReader::new(response);
    let (id, ack) = sse.next_message().await.expect("the acknowledgment");
    assert_eq!(id, None);
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged", "{ack}");
    assert_eq!(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 77);

    // Quiet: keep-alive comments only.
    let mut comments = 0;
    while comments < 2 {
        match sse.next_frame().await.expect("the stream stays open") {
            Frame::Comment(_) => comments += 1,
            Frame::Event { data, .. } => panic!("nothing happened, yet the stream carried {data}"),
        }
    }

    fixture
        .server
        .add_tool(Tool::read("new_tool").handler(|_ctx, _args| async { Ok(CallToolResult::text("new")) }))
        .unwrap();
    let (_, changed) = sse.next_message().await.expect("the change notification");
    assert_eq!(changed["method"], "notifications/tools/list_changed", "{changed}");
    assert_eq!(changed["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 77);
}

/// basic/patterns/subscriptions, "Graceful Closure": when the server ends a subscription (at
/// shutdown) it SHOULD answer the `subscriptions/listen` request with a completion result,
/// then close the stream; shutdown does not wait for the client.
#[tokio::test]
async fn shutdown_ends_a_listen_stream_with_a_final_result() {
    let fixture = fixture();
    let transport = HttpTransport::new(fixture.server.clone()).shutdown_grace(Duration::from_secs(20));
    let mut server = TestServer::start(transport).await;
    let response = post_modern(&server.mcp(), &listen(5, json!({"promptsListChanged": true})), &[]).await;
    let mut sse = SseReader::new(response);
    let (_, ack) = sse.next_message().await.expect("the acknowledgment");
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");

    let started = tokio::time::Instant::now();
    server.signal_shutdown();
    let (_, last) = sse.next_message().await.expect("a final result");
    assert_eq!(last["id"], 5, "{last}");
    assert_eq!(last["result"]["resultType"], "complete", "{last}");
    assert_eq!(last["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 5);
    assert!(sse.ends().await, "then the stream closes");
    let task = server.task.take().unwrap();
    tokio::time::timeout(PATIENCE, task).await.expect("serve_until returned").unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "shutdown did not wait out the grace period");
}

/// A listen stream is only ever an SSE stream: a client that takes only JSON is refused.
#[tokio::test]
async fn listen_needs_a_client_that_accepts_sse() {
    let (server, _) = start(false).await;
    let response = post_modern(
        &server.mcp(),
        &listen(9, json!({"toolsListChanged": true})),
        &[("accept", Some("application/json"))],
    )
    .await;
    refused(response, 406, -32600, 9).await;
}
