//! Which requests reach the MCP endpoint, on the wire. `serve` hands a request whose path is
//! exactly the endpoint's to the endpoint's service itself, and everything else to the router;
//! these tests send the same raw requests to `serve` and to the same transport's `router()`
//! served plainly with hyper, and compare the answers byte for byte (but the `date` line),
//! across paths (exact, trailing slash, query string, case, percent-encoding, absolute form),
//! methods, Host, Origin and the other routes (health, legacy SSE, 404s).
#![cfg(feature = "http")]

mod http_support;

use std::net::SocketAddr;

use http_support::*;
use mcp_connector_transport::http::HttpTransport;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;

/// Serves `router` the simplest way: hyper's HTTP/1.1 connection, the peer address in
/// `ConnectInfo`, no shortcut.
async fn serve_router(router: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else { return };
            let router = router.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let mut request = request.map(axum::body::Body::new);
                        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        let mut router = router.clone();
                        async move { router.call(request).await }
                    });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    addr
}

/// Sends `request` (a whole HTTP/1.1 request, `Connection: close`) and reads the answer to
/// the end, without its `date` line (the only one that depends on when it was sent).
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the answer within the patience")
        .expect("read");
    let answer = String::from_utf8(answer).expect("a UTF-8 answer");
    answer.split("\r\n").filter(|l| !l.starts_with("date: ")).collect::<Vec<_>>().join("\r\n")
}

/// A request line and headers, then `Host`, `Connection: close` and the body.
fn raw(head: &str, host: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!("{head} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    if !body.is_empty() {
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

const MCP_HEADERS: [&str; 3] = [
    "Accept: application/json, text/event-stream",
    "Content-Type: application/json",
    "MCP-Protocol-Version: 2025-11-25",
];

/// Each case: the request, and the status `serve` must answer it with.
fn cases(mcp: &str) -> Vec<(String, u16)> {
    let call = call_body(1, "echo", json!({"text": "routed"})).to_string();
    let host = "localhost:8000";
    let post = |target: &str| raw(&format!("POST {target}"), host, &MCP_HEADERS, &call);
    let with = |head: &str, extra: &[&str], body: &str| {
        let headers: Vec<&str> = MCP_HEADERS.iter().copied().chain(extra.iter().copied()).collect();
        raw(head, host, &headers, body)
    };
    let mut cases = vec![
        (post(mcp), 200),
        (post(&format!("{mcp}?x=1&y")), 200),
        (post(&format!("http://{host}{mcp}")), 200),
        (post(&format!("{mcp}x")), 404),
        (post(&format!("/{mcp}")), 404),
        (post(&format!("{mcp}/../{}", mcp.trim_start_matches('/'))), 404),
        (with(&format!("GET {mcp}"), &[], ""), 405),
        (with(&format!("DELETE {mcp}"), &[], ""), 405),
        (with(&format!("PUT {mcp}"), &[], &call), 405),
        (with(&format!("HEAD {mcp}"), &[], ""), 405),
        (with(&format!("POST {mcp}"), &["Origin: http://localhost:6274"], &call), 200),
        (with(&format!("POST {mcp}"), &["Origin: http://evil.example"], &call), 403),
        (raw(&format!("POST {mcp}"), "evil.example", &MCP_HEADERS, &call), 403),
        (
            with(
                &format!("OPTIONS {mcp}"),
                &[
                    "Origin: http://localhost:6274",
                    "Access-Control-Request-Method: POST",
                    "Access-Control-Request-Headers: content-type, mcp-protocol-version",
                ],
                "",
            ),
            200,
        ),
        (raw(&format!("POST {mcp}"), host, &["Content-Type: text/plain", MCP_HEADERS[0]], &call), 415),
        (with("GET /healthz", &[], ""), 200),
        (with("POST /messages", &[], &call), 400),
        (with("GET /nowhere", &[], ""), 404),
    ];
    if mcp != "/" {
        // With a trailing slash, or without one: another path.
        let other = if mcp.ends_with('/') { mcp.trim_end_matches('/').to_owned() } else { format!("{mcp}/") };
        cases.push((post(&other), 404));
        cases.push((post(&mcp.to_uppercase()), 404));
        // `%63` is `c`: the router compares paths as sent, and so does the shortcut.
        cases.push((post(&mcp.replacen('c', "%63", 1)), 404));
    }
    cases
}

fn transport(path: &str) -> HttpTransport {
    HttpTransport::new(test_server(&Probe::default()))
        .path(path)
        .legacy_sse(true)
        .health(true)
        .metrics("/metrics")
}

async fn routes_like_the_router(mcp: &str) {
    let served = TestServer::start(transport(mcp)).await;
    let served: SocketAddr = served.base.trim_start_matches("http://").parse().expect("an address");
    let reference = serve_router(transport(mcp).router()).await;
    for (request, status) in cases(mcp) {
        let answer = exchange(served, &request).await;
        let line = answer.lines().next().unwrap_or("");
        assert!(line.starts_with(&format!("HTTP/1.1 {status} ")), "{line}\n{request}");
        assert_eq!(answer, exchange(reference, &request).await, "{request}");
    }
}

#[tokio::test]
async fn serve_routes_the_endpoint_path_exactly_as_the_router() {
    routes_like_the_router("/mcp").await;
}

#[tokio::test]
async fn serve_routes_a_root_or_nested_endpoint_as_the_router() {
    routes_like_the_router("/").await;
    routes_like_the_router("/v1/tenants/mcp").await;
    routes_like_the_router("/mcp/").await;
}

#[tokio::test]
async fn a_handler_sees_the_original_uri_as_under_the_router() {
    // The endpoint hands the request's extensions to handlers; the router puts the URI it was
    // called with there, and so does `serve` for the requests it routes itself.
    use mcp_connector_core::protocol::CallToolResult;
    use mcp_connector_core::{Server, Tool};
    let server = Server::builder("uri", "1.0.0")
        .tool(Tool::read("uri").handler(|ctx, _args| async move {
            let http = ctx.extensions().get::<axum::http::Extensions>();
            let uri = http.and_then(|e| e.get::<axum::extract::OriginalUri>()).map(|u| u.0.to_string());
            Ok(CallToolResult::text(uri.unwrap_or_default()))
        }))
        .build()
        .expect("valid server");
    let served = TestServer::start(HttpTransport::new(server.clone())).await;
    let served: SocketAddr = served.base.trim_start_matches("http://").parse().expect("an address");
    let reference = serve_router(HttpTransport::new(server).router()).await;
    let call = call_body(1, "uri", json!({})).to_string();
    let request = raw("POST /mcp?q=1", "localhost", &MCP_HEADERS, &call);
    let answer = exchange(served, &request).await;
    assert!(answer.contains(r#""text":"/mcp?q=1""#), "{answer}");
    assert_eq!(answer, exchange(reference, &request).await);
}
