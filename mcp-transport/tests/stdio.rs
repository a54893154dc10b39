//! The stdio transport, bytes in and bytes out (2025-11-25: basic/transports, "stdio").

// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Server, Tool};
use mcp_connector_transport::stdio::{StdioConfig, serve_with};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn server() -> Server {
    Server::builder("stdio-test", "1")
        .tool(Tool::read("sleep").handler(|_ctx, args| async move {
            let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(CallToolResult::text(format!("slept {ms}")))
        }))
        .tool(Tool::read("chatty").handler(|ctx, _args| async move {
            ctx.progress(1.0, Some(1.0), Some("almost"));
            Ok(CallToolResult::text("said"))
        }))
        .build()
        .expect("a valid server")
}

async fn run(input: &str, config: StdioConfig) -> Vec<Value> {
    let mut output = Vec::new();
    serve_with(server(), input.as_bytes(), &mut output, config).await.expect("serves until end of input");
    let text = String::from_utf8(output).expect("stdout is UTF-8");
    assert!(text.is_empty() || text.ends_with('\n'), "every message ends with a newline");
    text.lines()
        .map(|line| {
            assert!(!line.is_empty());
            serde_json::from_str(line).expect("stdout carries only valid JSON-RPC messages")
        })
        .collect()
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

#[tokio::test]
async fn each_request_line_gets_one_response_line_and_eof_ends_cleanly() {
    let input = format!(
        "{INIT}\n{}\n{}\n",
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":5}}}"#
    );
    let replies = run(&input, StdioConfig::default()).await;
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["result"]["serverInfo"]["name"], "stdio-test");
    assert_eq!(
        replies[1],
        json!({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"slept 5"}]}})
    );
}

#[tokio::test]
async fn garbage_lines_get_errors_and_the_rest_is_still_served() {
    let input =
        format!("{INIT}\nnot json at all\n\n{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}}\r\n");
    let replies = run(&input, StdioConfig::default()).await;
    assert_eq!(replies.len(), 3, "{replies:?}");
    assert!(replies.iter().any(|r| r["error"]["code"] == -32700 && r["id"].is_null()));
    assert!(replies.iter().any(|r| r == &json!({"jsonrpc":"2.0","id":2,"result":{}})));
}

#[tokio::test]
async fn an_oversized_line_is_refused_without_killing_the_process() {
    let big =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#, "x".repeat(5000));
    let input = format!("{big}\n{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}}\n");
    let replies = run(&input, StdioConfig::default().max_message_bytes(1024)).await;
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["error"]["code"], -32600);
    assert!(
        replies[0]["error"]["message"].as_str().unwrap().contains("over this server's limit of 1024 bytes")
    );
    assert_eq!(replies[1], json!({"jsonrpc":"2.0","id":2,"result":{}}));
}

/// What the server writes, line by line.
type Output = tokio::io::Lines<BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>>;

/// A server on an in-memory pipe, driven line by line as a client process would drive it.
struct Piped {
    lines: Output,
    input: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Piped {
    fn start() -> Piped {
        let (client, server_io) = tokio::io::duplex(64 * 1024);
        let (server_read, server_write) = tokio::io::split(server_io);
        let serving = tokio::spawn(serve_with(server(), server_read, server_write, StdioConfig::default()));
        let (client_read, input) = tokio::io::split(client);
        Piped { lines: BufReader::new(client_read).lines(), input, serving }
    }

    async fn send(&mut self, text: &str) {
        self.input.write_all(text.as_bytes()).await.unwrap();
    }

    async fn next_line(&mut self) -> String {
        self.lines.next_line().await.unwrap().unwrap()
    }

    /// Cancels request `id`, closes stdin, and checks that the server exits within two seconds
    /// (`why` says why it must); returns the lines still unread.
    async fn cancel_and_close(mut self, id: &str, why: &str) -> Output {
        let cancel = format!(
            "{{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{{\"requestId\":\"{id}\"}}}}\n"
        );
        self.send(&cancel).await;
        self.input.shutdown().await.unwrap();
        drop(self.input);
        tokio::time::timeout(Duration::from_secs(2), self.serving).await.expect(why).unwrap().unwrap();
        self.lines
    }
}

#[tokio::test]
async fn slow_requests_do_not_block_later_ones() {
    let mut piped = Piped::start();
    let slow = r#"{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"sleep","arguments":{"ms":3000}}}"#;
    piped.send(&format!("{INIT}\n{slow}\n")).await;
    piped.send("{\"jsonrpc\":\"2.0\",\"id\":\"fast\",\"method\":\"ping\"}\n").await;
    let first = piped.next_line().await;
    assert!(first.contains("initialize") || first.contains("protocolVersion"));
    let second: Value = serde_json::from_str(&piped.next_line().await).unwrap();
    assert_eq!(second["id"], "fast", "the ping must overtake the slow call");
    // Cancel the slow call; it gets no response, and closing stdin ends the server.
    let mut rest = piped.cancel_and_close("slow", "exits at end of input").await;
    assert_eq!(rest.next_line().await.unwrap(), None, "no response for the cancelled call");
}

#[tokio::test]
async fn a_requests_notifications_are_written_before_its_response() {
    // The client reads the response as the end of the request; a progress notification that
    // arrives after it is reported by clients as an unknown token. Many calls at once give
    // the writer every chance to reorder.
    let calls: String = (1..=200)
        .map(|i| {
            format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"tools/call\",\"params\":{{\"name\":\"chatty\",\"_meta\":{{\"progressToken\":{i}}}}}}}\n"
            )
        })
        .collect();
    let replies = run(&format!("{INIT}\n{calls}"), StdioConfig::default()).await;
    let mut progressed = std::collections::HashSet::new();
    for reply in replies.iter().filter(|r| r["id"] != 0) {
        if reply["method"] == "notifications/progress" {
            progressed.insert(reply["params"]["progressToken"].as_u64().expect("numeric token"));
        } else {
            let id = reply["id"].as_u64().expect("a response id");
            assert!(progressed.contains(&id), "the response to {id} overtook its progress notification");
        }
    }
    assert_eq!(progressed.len(), 200);
}

/// `_meta` of a 2026-07-28 request (basic/index, "_meta": per-request protocol fields).
const MODERN_META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

#[tokio::test]
async fn a_modern_client_needs_no_handshake_and_a_legacy_one_still_gets_it() {
    // 2026-07-28 basic/transports/stdio, "Backward Compatibility": a dual-era client probes
    // with server/discover; a legacy client opens with initialize. One process serves both.
    let input = format!(
        "{}\n{}\n{INIT}\n{}\n",
        format_args!(
            r#"{{"jsonrpc":"2.0","id":"probe","method":"server/discover","params":{{{MODERN_META}}}}}"#
        ),
        format_args!(
            r#"{{"jsonrpc":"2.0","id":"call","method":"tools/call","params":{{"name":"sleep","arguments":{{"ms":1}},{MODERN_META}}}}}"#
        ),
        r#"{"jsonrpc":"2.0","id":"legacy","method":"tools/call","params":{"name":"sleep","arguments":{"ms":1}}}"#,
    );
    let replies = run(&input, StdioConfig::default()).await;
    let by_id =
        |id: &str| replies.iter().find(|r| r["id"] == id).cloned().expect("a reply for every request");
    let probe = by_id("probe");
    assert_eq!(probe["result"]["supportedVersions"][0], "2026-07-28");
    assert_eq!(probe["result"]["resultType"], "complete");
    assert_eq!(
        by_id("call")["result"],
        json!({
            "resultType": "complete",
            "content": [{"type": "text", "text": "slept 1"}],
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "stdio-test", "version": "1"}}
        })
    );
    let init = replies.iter().find(|r| r["id"] == 0).expect("initialize is answered");
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(by_id("legacy")["result"], json!({"content": [{"type": "text", "text": "slept 1"}]}));
}

#[tokio::test]
async fn subscriptions_listen_ends_on_cancellation_and_at_end_of_input() {
    // 2026-07-28 basic/patterns/subscriptions, "Cancellation": on stdio the client cancels
    // with notifications/cancelled; the transport closing ends the subscription too.
    let mut piped = Piped::start();
    for id in ["a", "b"] {
        let listen = format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"subscriptions/listen","params":{{"notifications":{{"toolsListChanged":true}},{MODERN_META}}}}}"#
        );
        piped.send(&format!("{listen}\n")).await;
    }
    let mut acknowledged = Vec::new();
    for _ in 0..2 {
        let ack: Value = serde_json::from_str(&piped.next_line().await).unwrap();
        assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
        assert_eq!(ack["params"]["notifications"], json!({"toolsListChanged": true}));
        acknowledged.push(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"].clone());
    }
    acknowledged.sort_by_key(|v| v.to_string());
    assert_eq!(acknowledged, [json!("a"), json!("b")]);
    // Cancel one; close input with the other still open: the server must still exit.
    let mut rest =
        piped.cancel_and_close("a", "exits at end of input although a subscription was open").await;
    assert_eq!(rest.next_line().await.unwrap(), None, "a cancelled subscription gets no response");
}
