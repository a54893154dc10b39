//! The streamable HTTP client against a hand-written server that misbehaves on purpose: a
//! server that takes a request and never answers must not hold a call past its timeout, and
//! the request is abandoned (2026-07-28: closing the request's connection is the
//! cancellation).
#![cfg(feature = "client-http")]
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use mcp_connector_core::client::{CallOptions, Client, ClientError};
use mcp_connector_transport::client::http::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Reads one HTTP/1.1 request (head and a Content-Length body) and returns its JSON body.
async fn read_request(stream: &mut TcpStream) -> Option<Value> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return serde_json::from_slice(&buffer[end + 4..end + 4 + length]).ok();
            }
        }
    }
}

/// A modern server that answers `server/discover` and never answers a `tools/call`; it
/// reports each abandoned call (the client closed the connection) on `closed`.
async fn hanging_server(closed: tokio::sync::mpsc::UnboundedSender<()>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let closed = closed.clone();
            tokio::spawn(async move {
                while let Some(request) = read_request(&mut stream).await {
                    if request["method"] == "tools/call" {
                        // Hold the request; a read of 0 bytes means the client hung up.
                        let mut rest = [0u8; 64];
                        while let Ok(n) = stream.read(&mut rest).await {
                            if n == 0 {
                                break;
                            }
                        }
                        let _ = closed.send(());
                        return;
                    }
                    let result = json!({"resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}});
                    let body = json!({"jsonrpc": "2.0", "id": request["id"], "result": result}).to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout_and_the_request_is_abandoned() {
    let (closed_tx, mut closed) = tokio::sync::mpsc::unbounded_channel();
    let url = hanging_server(closed_tx).await;
    let client = Client::builder("t", "1").connect(HttpConnector::new(url).connect()).await.unwrap();
    let started = Instant::now();
    let options = CallOptions::new().timeout(Duration::from_millis(300));
    let result = client.call_tool_with("hang", json!({}), &options).await;
    assert!(matches!(result, Err(ClientError::Timeout(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout held: {:?}", started.elapsed());
    // The client closed the request's connection: the server sees it go.
    tokio::time::timeout(Duration::from_secs(10), closed.recv()).await.expect("the request was abandoned");
}

/// 2025-11-25 basic/transports, "Session Management": "When a client receives HTTP 404 in
/// response to a request containing an `Mcp-Session-Id`, it MUST start a new session by
/// sending a new `InitializeRequest` without a session ID attached."
#[tokio::test]
async fn an_expired_session_is_replaced_by_a_new_initialize() {
    use mcp_connector_core::client::EraPreference;
    use mcp_connector_core::protocol::CallToolResult;
    use mcp_connector_core::{Server, Tool};

    let server = Server::builder("sessions", "1")
        .tool(Tool::read("echo").handler(|_ctx, _args| async { Ok(CallToolResult::text("echo")) }))
        .build()
        .unwrap();
    let transport = mcp_connector_transport::http::HttpTransport::new(server)
        .stateful(true)
        .session_idle_timeout(Duration::from_millis(200));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    tokio::spawn(transport.serve_until(listener, std::future::pending()));

    let connection = HttpConnector::new(url).standalone_stream(false).connect();
    let client = Client::builder("t", "1").era(EraPreference::Legacy).connect(connection).await.unwrap();
    assert_eq!(client.call_tool("echo", json!({})).await.unwrap().content[0].as_text(), Some("echo"));
    // Idle well past the timeout: the server forgets the session and answers 404.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let renewed = client.call_tool("echo", json!({})).await.unwrap();
    assert_eq!(renewed.content[0].as_text(), Some("echo"));
}
