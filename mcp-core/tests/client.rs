//! The client against a real `Server` over the in-process connection: era negotiation,
//! typed calls, server-to-client requests in both eras, progress and cancellation.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_connector_core::client::{
    CallOptions, Client, ClientError, ClientHandler, EraPreference, ServerNotification, memory,
};
use mcp_connector_core::era::Era;
use mcp_connector_core::jsonrpc::ErrorObject;
use mcp_connector_core::protocol::{CallToolResult, ElicitParams, ElicitResult};
use mcp_connector_core::{CancellationToken, Server, Tool};
use serde_json::json;

fn server() -> Server {
    Server::builder("fixture", "1.0")
        .tool(Tool::read("echo").handler(|_ctx, args| async move {
            Ok(CallToolResult::text(args["text"].as_str().unwrap_or("").to_owned()))
        }))
        .tool(Tool::write("confirm").handler(|ctx, _args| async move {
            let form = json!({"type": "object", "properties": {"ok": {"type": "boolean", "default": true}}});
            let answer = ctx.elicit("Go ahead?", form.as_object().cloned().unwrap_or_default()).await?;
            Ok(CallToolResult::text(format!("{:?}", answer.action)))
        }))
        .tool(Tool::read("slow").handler(|ctx, _args| async move {
            ctx.progress(1.0, Some(2.0), Some("half way"));
            let cancelled = ctx.cancellation();
            tokio::select! {
                () = cancelled.cancelled() => Ok(CallToolResult::text("cancelled")),
                () = tokio::time::sleep(Duration::from_secs(60)) => Ok(CallToolResult::text("done")),
            }
        }))
        .build()
        .expect("a valid server")
}

struct Accepting(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl ClientHandler for Accepting {
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        self.0.lock().unwrap().push(params.message.clone());
        Ok(ElicitResult::accept(params.defaults()))
    }
    async fn on_notification(&self, notification: ServerNotification) {
        if let ServerNotification::Progress(p) = notification {
            self.0.lock().unwrap().push(format!("progress {}", p.progress));
        }
    }
}

#[tokio::test]
async fn auto_negotiation_picks_the_modern_era_from_a_dual_era_server() {
    let client = Client::builder("t", "1").connect(memory::connect(server())).await.unwrap();
    let details = client.details();
    assert_eq!(details.era, Era::Modern);
    assert_eq!(details.protocol_version.as_str(), "2026-07-28");
    assert_eq!(details.server_info.unwrap().name, "fixture");
    let result = client.call_tool("echo", json!({"text": "hi"})).await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("hi"));
}

#[tokio::test]
async fn legacy_preference_runs_the_initialize_handshake() {
    let client = Client::builder("t", "1")
        .era(EraPreference::Legacy)
        .connect(memory::connect(server()))
        .await
        .unwrap();
    assert_eq!(client.details().era, Era::Legacy);
    assert_eq!(client.details().protocol_version.as_str(), "2025-11-25");
    client.ping().await.unwrap();
    let tools = client.list_tools().await.unwrap();
    assert_eq!(tools.len(), 3);
}

#[tokio::test]
async fn elicitation_is_answered_by_the_handler_in_both_eras() {
    for era in [EraPreference::Legacy, EraPreference::Modern] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let client = Client::builder("t", "1")
            .era(era)
            .capabilities(json!({"elicitation": {}}))
            .handler(Accepting(seen.clone()))
            .connect(memory::connect(server()))
            .await
            .unwrap();
        let result = client.call_tool("confirm", json!({})).await.unwrap();
        assert_eq!(result.content[0].as_text(), Some("Accept"), "{era:?}");
        assert!(seen.lock().unwrap().contains(&"Go ahead?".to_owned()), "{era:?}");
    }
}

#[tokio::test]
async fn progress_reaches_the_call_and_cancelling_stops_the_handler() {
    for era in [EraPreference::Legacy, EraPreference::Modern] {
        let client = Client::builder("t", "1").era(era).connect(memory::connect(server())).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let options = CallOptions::new().on_progress(move |p| {
            let _ = tx.send(p.progress);
        });
        let options = options.cancel_on(cancel.clone());
        let call = client.call_tool_with("slow", json!({}), &options);
        let watcher = async {
            assert_eq!(rx.recv().await, Some(1.0));
            cancel.cancel();
        };
        let (result, ()) = tokio::join!(call, watcher);
        assert!(matches!(result, Err(ClientError::Cancelled)), "{era:?}: {result:?}");
    }
}

#[tokio::test]
async fn a_timeout_is_an_error_not_a_hang() {
    let client = Client::builder("t", "1").connect(memory::connect(server())).await.unwrap();
    let options = CallOptions::new().timeout(Duration::from_millis(100));
    let result = client.call_tool_with("slow", json!({}), &options).await;
    assert!(matches!(result, Err(ClientError::Timeout(_))), "{result:?}");
    // The connection still serves other calls.
    assert!(client.call_tool("echo", json!({"text": "still here"})).await.is_ok());
}

#[tokio::test]
async fn unknown_tool_is_a_server_error_and_typed_results_read() {
    let client = Client::builder("t", "1").connect(memory::connect(server())).await.unwrap();
    let err = client.call_tool("nope", json!({})).await.unwrap_err();
    assert!(matches!(err, ClientError::Server(_)), "{err}");
}
