//! Safe writes on the wire: idempotency keys, the retry window, confirmation (token and
//! elicitation paths) and their failures, through `TestClient` as a client sees them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mcp_connector_core::auth::Claims;
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::safe::{MemoryStore, REPLAY_META, SafeWrites};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{BuildError, Extensions, Server, Tool};
use serde_json::{Value, json};

/// `pay {amount, request_id?}`: counts its runs, optionally after a pause.
fn pay(runs: Arc<AtomicUsize>, pause: Duration) -> Tool {
    Tool::write("pay")
        .input_schema(json!({
            "type": "object",
            "properties": {"amount": {"type": "integer"}, "request_id": {"type": "string"}},
            "required": ["amount"],
            "additionalProperties": false
        }))
        .idempotency_key("request_id")
        .handler(move |_ctx, args| {
            let runs = runs.clone();
            async move {
                tokio::time::sleep(pause).await;
                let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(CallToolResult::text(format!("payment {n} of {}", args["amount"])))
            }
        })
}

/// `note {text}`: a write with no key, for the retry window.
fn note(runs: Arc<AtomicUsize>) -> Tool {
    Tool::write("note")
        .input_schema(json!({"type": "object", "properties": {"text": {"type": "string"}}}))
        .handler(move |_ctx, _args| {
            let runs = runs.clone();
            async move {
                let n = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(CallToolResult::text(format!("note {n}")))
            }
        })
}

fn text(result: &CallToolResult) -> &str {
    result.content[0].as_text().unwrap_or_default()
}

fn replayed(result: &CallToolResult) -> Option<Value> {
    result.meta.as_ref().and_then(|m| m.get(REPLAY_META)).cloned()
}

fn claims(subject: &str) -> Extensions {
    let mut extensions = Extensions::new();
    extensions.insert(Claims { subject: Some(subject.into()), ..Default::default() });
    extensions
}

#[tokio::test]
async fn a_completed_key_returns_the_first_result_without_running_the_handler() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(pay(runs.clone(), Duration::ZERO)).build().unwrap();
    let client = TestClient::connect(server).await;
    let first = client.call_tool("pay", json!({"amount": 5, "request_id": "k1"})).await.unwrap();
    assert_eq!(text(&first), "payment 1 of 5");
    assert_eq!(replayed(&first), None);
    // The same key and arguments, sent in another key order: the first result, marked.
    let again = client.call_tool("pay", json!({"request_id": "k1", "amount": 5})).await.unwrap();
    assert_eq!(text(&again), "payment 1 of 5");
    assert_eq!(replayed(&again), Some(json!({"reason": "idempotency_key"})));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Another key is another payment.
    let other = client.call_tool("pay", json!({"amount": 5, "request_id": "k2"})).await.unwrap();
    assert_eq!(text(&other), "payment 2 of 5");
}

#[tokio::test]
async fn the_same_key_with_other_arguments_is_a_tool_error_and_runs_nothing() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(pay(runs.clone(), Duration::ZERO)).build().unwrap();
    let client = TestClient::connect(server).await;
    client.call_tool("pay", json!({"amount": 5, "request_id": "k1"})).await.unwrap();
    let reused = client.call_tool("pay", json!({"amount": 7, "request_id": "k1"})).await.unwrap();
    assert_eq!(reused.is_error, Some(true));
    assert!(
        text(&reused).contains("already used for a call of `pay` with different arguments"),
        "{}",
        text(&reused)
    );
    assert!(text(&reused).contains("Use a new request_id"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_key_of_the_wrong_type_is_an_invalid_arguments_error() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(pay(runs.clone(), Duration::ZERO)).build().unwrap();
    let client = TestClient::connect(server).await;
    let result = client.call_tool("pay", json!({"amount": 5, "request_id": 42})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("request_id"), "{}", text(&result));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn concurrent_duplicates_run_once_and_all_get_the_first_result() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server =
        Server::builder("s", "1").tool(pay(runs.clone(), Duration::from_millis(150))).build().unwrap();
    let client = TestClient::connect(server).await;
    let args = json!({"amount": 3, "request_id": "same"});
    let (a, b, c) = tokio::join!(
        client.call_tool("pay", args.clone()),
        client.call_tool("pay", args.clone()),
        client.call_tool("pay", args.clone()),
    );
    let results = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(runs.load(Ordering::SeqCst), 1, "never two executions");
    for result in &results {
        assert_eq!(text(result), "payment 1 of 3");
    }
    assert_eq!(results.iter().filter(|r| replayed(r).is_some()).count(), 2, "the two duplicates are marked");
}

#[tokio::test]
async fn keys_are_scoped_per_principal() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(pay(runs.clone(), Duration::ZERO)).build().unwrap();
    let alice = TestClient::builder(server.clone()).extensions(claims("alice")).connect().await;
    let alice_again = TestClient::builder(server.clone()).extensions(claims("alice")).connect().await;
    let bob = TestClient::builder(server.clone()).extensions(claims("bob")).connect().await;
    let args = json!({"amount": 1, "request_id": "shared-key"});
    assert_eq!(text(&alice.call_tool("pay", args.clone()).await.unwrap()), "payment 1 of 1");
    // Bob's identical key is his own: his call runs, and he never sees Alice's result.
    let bobs = bob.call_tool("pay", args.clone()).await.unwrap();
    assert_eq!(text(&bobs), "payment 2 of 1");
    assert_eq!(replayed(&bobs), None);
    // Alice on another connection gets her own first result.
    let hers = alice_again.call_tool("pay", args).await.unwrap();
    assert_eq!(text(&hers), "payment 1 of 1");
    assert!(replayed(&hers).is_some());
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

fn call_frame(id: u64, tool: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        .to_string()
}

#[tokio::test]
async fn a_request_sent_again_within_the_window_is_answered_from_the_first() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(note(runs.clone())).build().unwrap();
    let client = TestClient::connect(server).await;
    let first = client.send_raw(&call_frame(41, "note", json!({"text": "hi"}))).await.unwrap();
    let again = client.send_raw(&call_frame(41, "note", json!({"text": "hi"}))).await.unwrap();
    assert_eq!(first["result"]["content"][0]["text"], "note 1");
    assert_eq!(again["result"]["content"][0]["text"], "note 1");
    assert_eq!(again["result"]["_meta"][REPLAY_META], json!({"reason": "retried_request"}));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Another id, or other arguments under the same id, is a new request.
    let new_id = client.send_raw(&call_frame(42, "note", json!({"text": "hi"}))).await.unwrap();
    assert_eq!(new_id["result"]["content"][0]["text"], "note 2");
    let new_args = client.send_raw(&call_frame(41, "note", json!({"text": "other"}))).await.unwrap();
    assert_eq!(new_args["result"]["content"][0]["text"], "note 3");
    assert!(new_args["result"].get("_meta").is_none());
}

#[tokio::test]
async fn a_request_sent_again_after_the_window_runs_again() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1")
        .safe_writes(SafeWrites::in_memory().retry_window(Some(Duration::from_millis(100))))
        .tool(note(runs.clone()))
        .build()
        .unwrap();
    let client = TestClient::connect(server).await;
    client.send_raw(&call_frame(7, "note", json!({}))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let later = client.send_raw(&call_frame(7, "note", json!({}))).await.unwrap();
    assert_eq!(later["result"]["content"][0]["text"], "note 2");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_window_can_be_turned_off_per_tool_and_per_server() {
    let runs = Arc::new(AtomicUsize::new(0));
    let per_tool = Server::builder("s", "1")
        .tool({
            let runs = runs.clone();
            Tool::write("again").retry_window(false).handler(move |_c, _a| {
                let runs = runs.clone();
                async move { Ok(CallToolResult::text(format!("{}", runs.fetch_add(1, Ordering::SeqCst) + 1))) }
            })
        })
        .build()
        .unwrap();
    let client = TestClient::connect(per_tool).await;
    client.send_raw(&call_frame(1, "again", json!({}))).await.unwrap();
    let second = client.send_raw(&call_frame(1, "again", json!({}))).await.unwrap();
    assert_eq!(second["result"]["content"][0]["text"], "2");

    let runs = Arc::new(AtomicUsize::new(0));
    let per_server = Server::builder("s", "1")
        .safe_writes(SafeWrites::in_memory().retry_window(None))
        .tool(note(runs.clone()))
        .build()
        .unwrap();
    let client = TestClient::connect(per_server).await;
    client.send_raw(&call_frame(1, "note", json!({}))).await.unwrap();
    let second = client.send_raw(&call_frame(1, "note", json!({}))).await.unwrap();
    assert_eq!(second["result"]["content"][0]["text"], "note 2");
}

#[tokio::test]
async fn anonymous_callers_on_different_connections_never_share_a_retry() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = Server::builder("s", "1").tool(note(runs.clone())).build().unwrap();
    let one = TestClient::connect(server.clone()).await;
    let two = TestClient::connect(server).await;
    one.send_raw(&call_frame(1, "note", json!({"text": "x"}))).await.unwrap();
    let theirs = two.send_raw(&call_frame(1, "note", json!({"text": "x"}))).await.unwrap();
    assert_eq!(theirs["result"]["content"][0]["text"], "note 2");
}

#[tokio::test]
async fn failed_calls_are_not_recorded_so_a_retry_runs_again() {
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = {
        let runs = runs.clone();
        Tool::write("flaky")
            .input_schema(json!({"type": "object", "properties": {"key": {"type": "string"}}}))
            .idempotency_key("key")
            .handler(move |_c, _a| {
                let runs = runs.clone();
                async move {
                    if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Err(mcp_connector_core::ToolError::new(
                            "the backend is down; nothing was changed",
                        ));
                    }
                    Ok(CallToolResult::text("done"))
                }
            })
    };
    let client = TestClient::connect(Server::builder("s", "1").tool(tool).build().unwrap()).await;
    let failed = client.call_tool("flaky", json!({"key": "k"})).await.unwrap();
    assert_eq!(failed.is_error, Some(true));
    let retried = client.call_tool("flaky", json!({"key": "k"})).await.unwrap();
    assert_eq!(text(&retried), "done");
    assert_eq!(replayed(&retried), None);
}

#[tokio::test]
async fn reads_are_never_replayed() {
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = {
        let runs = runs.clone();
        Tool::read("count").handler(move |_c, _a| {
            let runs = runs.clone();
            async move { Ok(CallToolResult::text(format!("{}", runs.fetch_add(1, Ordering::SeqCst) + 1))) }
        })
    };
    let client = TestClient::connect(Server::builder("s", "1").tool(tool).build().unwrap()).await;
    client.send_raw(&call_frame(1, "count", json!({}))).await.unwrap();
    let second = client.send_raw(&call_frame(1, "count", json!({}))).await.unwrap();
    assert_eq!(second["result"]["content"][0]["text"], "2");
}

#[test]
fn a_key_argument_that_is_missing_or_not_a_string_fails_the_build() {
    let handler = |_c, _a| async { Ok(CallToolResult::text("x")) };
    let missing =
        Server::builder("s", "1").tool(Tool::write("w").idempotency_key("key").handler(handler)).build();
    let Err(BuildError::InvalidSchema { tool, why }) = missing else { panic!("expected a build error") };
    assert_eq!(tool, "w");
    assert!(why.contains("`key`, which is not a property"), "{why}");
    let number = Server::builder("s", "1")
        .tool(
            Tool::write("w")
                .input_schema(json!({"type": "object", "properties": {"key": {"type": "integer"}}}))
                .idempotency_key("key")
                .handler(handler),
        )
        .build();
    assert!(
        matches!(number, Err(BuildError::InvalidSchema { why, .. }) if why.contains("must be of type string"))
    );
    let on_a_read = Server::builder("s", "1")
        .tool(Tool::read("r").confirm(|_c, _a| async { Ok(String::new()) }).handler(handler))
        .build();
    assert!(
        matches!(on_a_read, Err(BuildError::InvalidSchema { why, .. }) if why.contains("declare the tool `write`"))
    );
}

// ---- Confirmation.

/// `wipe {table}` and `drop {table}`: both confirm; count their runs.
fn confirming(name: &'static str, runs: Arc<AtomicUsize>) -> Tool {
    Tool::write(name)
        .input_schema(json!({
            "type": "object",
            "properties": {"table": {"type": "string"}},
            "required": ["table"],
            "additionalProperties": false
        }))
        .confirm(move |_ctx, args| async move {
            Ok(format!(
                "This will permanently erase every row of table {}.",
                args["table"].as_str().unwrap_or("?")
            ))
        })
        .handler(move |_ctx, args| {
            let runs = runs.clone();
            async move {
                // The handler never sees the token.
                assert!(!args.contains_key("confirmation_token"));
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(CallToolResult::text(format!("{name}: erased {}", args["table"].as_str().unwrap_or("?"))))
            }
        })
}

fn confirm_server(runs: &Arc<AtomicUsize>, safe: SafeWrites) -> Server {
    Server::builder("s", "1")
        .safe_writes(safe)
        .tool(confirming("wipe", runs.clone()))
        .tool(confirming("drop", runs.clone()))
        .build()
        .unwrap()
}

async fn preview(client: &TestClient, tool: &str, table: &str) -> (CallToolResult, String) {
    let first = client.call_tool(tool, json!({"table": table})).await.unwrap();
    let token = first.structured_content.as_ref().unwrap()["confirmation_token"].as_str().unwrap().to_owned();
    (first, token)
}

#[tokio::test]
async fn the_schema_gains_an_optional_confirmation_token_and_loses_its_output_schema() {
    let runs = Arc::new(AtomicUsize::new(0));
    let client = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let tools = client.list_tools().await.unwrap();
    let schema = &tools[0]["inputSchema"];
    assert_eq!(schema["properties"]["confirmation_token"]["type"], "string");
    assert_eq!(schema["required"], json!(["table"]));
    assert!(tools[0].get("outputSchema").is_none());
}

#[tokio::test]
async fn without_a_way_to_ask_the_first_call_changes_nothing_and_returns_a_preview_and_token() {
    let runs = Arc::new(AtomicUsize::new(0));
    let client = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let (first, token) = preview(&client, "wipe", "orders").await;
    assert_eq!(runs.load(Ordering::SeqCst), 0, "nothing changed");
    assert_ne!(first.is_error, Some(true));
    let structured = first.structured_content.clone().unwrap();
    assert_eq!(structured["confirmation_required"], true);
    assert_eq!(structured["preview"], "This will permanently erase every row of table orders.");
    assert!(text(&first).contains("This will permanently erase every row of table orders."));
    assert!(text(&first).contains(&token), "the token is in the text the model reads");
    assert!(text(&first).contains("ask whether to go ahead"));
    // The call that carries it runs the tool.
    let done =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(text(&done), "wipe: erased orders");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_token_is_usable_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    // No retry window: the second call with the same token must meet the token check.
    let client = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory().retry_window(None))).await;
    let (_, token) = preview(&client, "wipe", "orders").await;
    client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    let reused =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(reused.is_error, Some(true));
    assert!(text(&reused).contains("already used"), "{}", text(&reused));
    assert!(text(&reused).contains("Call `wipe` again without confirmation_token"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_confirmed_call_sent_again_by_the_transport_gets_its_first_result() {
    let runs = Arc::new(AtomicUsize::new(0));
    let client = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let (_, token) = preview(&client, "wipe", "orders").await;
    let frame = call_frame(99, "wipe", json!({"table": "orders", "confirmation_token": token}));
    let first = client.send_raw(&frame).await.unwrap();
    let again = client.send_raw(&frame).await.unwrap();
    assert_eq!(first["result"]["content"][0]["text"], "wipe: erased orders");
    assert_eq!(again["result"]["content"][0]["text"], "wipe: erased orders");
    assert_eq!(again["result"]["_meta"][REPLAY_META]["reason"], "retried_request");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn tokens_for_other_arguments_another_tool_or_altered_are_refused() {
    let runs = Arc::new(AtomicUsize::new(0));
    let client = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let (_, token) = preview(&client, "wipe", "orders").await;
    let other_args =
        client.call_tool("wipe", json!({"table": "users", "confirmation_token": token})).await.unwrap();
    assert_eq!(other_args.is_error, Some(true));
    assert!(text(&other_args).contains("issued for different arguments"), "{}", text(&other_args));
    let other_tool =
        client.call_tool("drop", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(other_tool.is_error, Some(true));
    assert!(text(&other_tool).contains("issued for the tool `wipe`, not `drop`"), "{}", text(&other_tool));
    // Flip one character of the payload: the seal no longer verifies.
    let mut forged: Vec<char> = token.chars().collect();
    forged[3] = if forged[3] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let altered =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": forged})).await.unwrap();
    assert!(text(&altered).contains("not issued by this server or was altered"), "{}", text(&altered));
    for malformed in ["", "garbage", "a.b", "...."] {
        let r = client
            .call_tool("wipe", json!({"table": "orders", "confirmation_token": malformed}))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true), "{malformed:?}");
        assert!(text(&r).contains("not issued by this server"), "{malformed:?}: {}", text(&r));
    }
    let wrong_type =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": 7})).await.unwrap();
    assert_eq!(wrong_type.is_error, Some(true));
    assert_eq!(runs.load(Ordering::SeqCst), 0, "nothing changed");
    // The genuine token still works afterwards: refusals did not use it up.
    let done =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(text(&done), "wipe: erased orders");
}

#[tokio::test]
async fn a_token_from_another_server_key_is_refused() {
    let runs = Arc::new(AtomicUsize::new(0));
    let one = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let two = TestClient::connect(confirm_server(&runs, SafeWrites::in_memory())).await;
    let (_, token) = preview(&one, "wipe", "orders").await;
    let refused =
        two.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert!(text(&refused).contains("not issued by this server or was altered"));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let runs = Arc::new(AtomicUsize::new(0));
    let safe = SafeWrites::in_memory().confirmation_ttl(Duration::from_secs(1));
    let client = TestClient::connect(confirm_server(&runs, safe)).await;
    let (_, token) = preview(&client, "wipe", "orders").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(late.is_error, Some(true));
    assert!(text(&late).contains("has expired"), "{}", text(&late));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_token_issued_to_one_user_is_refused_for_another() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = confirm_server(&runs, SafeWrites::in_memory());
    let alice = TestClient::builder(server.clone()).extensions(claims("alice")).connect().await;
    let bob = TestClient::builder(server).extensions(claims("bob")).connect().await;
    let (_, token) = preview(&alice, "wipe", "orders").await;
    let refused =
        bob.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert!(text(&refused).contains("issued to a different user"), "{}", text(&refused));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[test]
fn the_confirmation_ttl_is_at_most_ten_minutes() {
    let safe = SafeWrites::new(MemoryStore::new()).confirmation_ttl(Duration::from_secs(3600));
    assert!(format!("{safe:?}").contains("confirmation_ttl: 600s"));
}

/// 2025-11-25 client/elicitation: a client that declares `elicitation` is asked; 2026-07-28
/// (basic/patterns/mrtr): the ask travels as an `input_required` result and the retry.
#[tokio::test]
async fn a_client_that_can_be_asked_is_asked_through_elicitation_in_both_eras() {
    for version in ["2025-11-25", "2026-07-28"] {
        for (action, runs_expected) in [("accept", 1), ("decline", 0), ("cancel", 0)] {
            let runs = Arc::new(AtomicUsize::new(0));
            let asked = Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
            let seen = asked.clone();
            let client = TestClient::builder(confirm_server(&runs, SafeWrites::in_memory()))
                .protocol_version(version)
                .capabilities(json!({"elicitation": {}}))
                .on_request(move |method, params| {
                    assert_eq!(method, "elicitation/create");
                    seen.lock().unwrap().push(params);
                    Ok(json!({"action": action}))
                })
                .connect()
                .await;
            let result = client.call_tool("wipe", json!({"table": "orders"})).await.unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), runs_expected, "{version} {action}");
            let question = asked.lock().unwrap()[0].clone();
            assert!(
                question["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("This will permanently erase every row of table orders."),
                "{question}"
            );
            assert!(question["requestedSchema"]["properties"].is_object());
            match action {
                "accept" => assert_eq!(text(&result), "wipe: erased orders"),
                _ => {
                    assert!(text(&result).contains("nothing was changed"), "{}", text(&result));
                    assert!(result.structured_content.is_none(), "no token when the user said no");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_modern_request_without_elicitation_gets_the_token_path() {
    let runs = Arc::new(AtomicUsize::new(0));
    let client = TestClient::builder(confirm_server(&runs, SafeWrites::in_memory()))
        .protocol_version("2026-07-28")
        .connect()
        .await;
    let (_, token) = preview(&client, "wipe", "orders").await;
    let done =
        client.call_tool("wipe", json!({"table": "orders", "confirmation_token": token})).await.unwrap();
    assert_eq!(text(&done), "wipe: erased orders");
}

#[tokio::test]
async fn a_preview_that_fails_is_the_calls_error_and_changes_nothing() {
    let runs = Arc::new(AtomicUsize::new(0));
    let tool = {
        let runs = runs.clone();
        Tool::write("remove")
            .confirm(|_c, _a| async {
                Err(mcp_connector_core::ToolError::new("item 9 does not exist; search first"))
            })
            .handler(move |_c, _a| {
                let runs = runs.clone();
                async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(CallToolResult::text("removed"))
                }
            })
    };
    let client = TestClient::connect(Server::builder("s", "1").tool(tool).build().unwrap()).await;
    let result = client.call_tool("remove", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert_eq!(text(&result), "item 9 does not exist; search first");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

// ---- The macros: `idempotency_key`, `retry_window` and `confirm` on `#[tool]`.

mod macros {
    use super::*;
    use mcp_connector_core::{Json, ToolError, tool, tools};
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Order {
        item: String,
        /// Any unique string; reuse it when retrying.
        #[serde(default)]
        #[allow(dead_code)] // The SDK reads it; the handler has no use for it.
        order_key: Option<String>,
    }

    #[derive(Serialize, JsonSchema)]
    struct Placed {
        number: usize,
        item: String,
    }

    struct Shop {
        placed: AtomicUsize,
        deleted: AtomicUsize,
    }

    #[tools]
    impl Shop {
        /// Place an order.
        #[tool(write, not_destructive, idempotency_key = "order_key")]
        async fn place_order(&self, #[args] order: Order) -> Result<Json<Placed>, ToolError> {
            let number = self.placed.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Json(Placed { number, item: order.item }))
        }

        /// Delete an order.
        #[tool(write, destructive, confirm = delete_preview)]
        async fn delete_order(&self, number: u64) -> Result<String, ToolError> {
            self.deleted.fetch_add(1, Ordering::SeqCst);
            Ok(format!("deleted order {number}"))
        }

        async fn delete_preview(&self, number: u64) -> Result<String, ToolError> {
            if number == 0 {
                return Err(ToolError::new("there is no order 0"));
            }
            Ok(format!(
                "This will permanently delete order {number} ({} placed so far).",
                self.placed.load(Ordering::SeqCst)
            ))
        }

        /// Ring a bell, every time.
        #[tool(write, retry_window = false)]
        async fn ring(&self) -> String {
            "ring".into()
        }
    }

    /// Erase everything.
    #[tool(write, destructive, confirm = erase_preview)]
    async fn erase(scope: String) -> String {
        format!("erased {scope}")
    }

    async fn erase_preview(scope: String) -> String {
        format!("This will erase all of {scope}.")
    }

    #[tokio::test]
    async fn the_attributes_make_the_same_tools_as_the_builder() {
        let shop = Shop { placed: AtomicUsize::new(0), deleted: AtomicUsize::new(0) };
        let server = Server::builder("shop", "1").tools(shop).tool(erase::tool()).build().unwrap();
        assert_eq!(server.tool("place_order").unwrap().idempotency_key(), Some("order_key"));
        assert!(server.tool("delete_order").unwrap().confirms());
        let client = TestClient::connect(server).await;

        let first = client.call_tool("place_order", json!({"item": "tea", "order_key": "o1"})).await.unwrap();
        let again = client.call_tool("place_order", json!({"item": "tea", "order_key": "o1"})).await.unwrap();
        assert_eq!(first.structured_content.as_ref().unwrap()["number"], 1);
        assert_eq!(again.structured_content, first.structured_content);
        assert!(replayed(&again).is_some());

        let refused = client.call_tool("delete_order", json!({"number": 0})).await.unwrap();
        assert_eq!(text(&refused), "there is no order 0");
        let (preview_result, token) = preview_of(&client, "delete_order", json!({"number": 1})).await;
        assert_eq!(
            preview_result.structured_content.unwrap()["preview"],
            "This will permanently delete order 1 (1 placed so far)."
        );
        let done = client
            .call_tool("delete_order", json!({"number": 1, "confirmation_token": token}))
            .await
            .unwrap();
        assert_eq!(text(&done), "deleted order 1");

        let (_, token) = preview_of(&client, "erase", json!({"scope": "logs"})).await;
        let done =
            client.call_tool("erase", json!({"scope": "logs", "confirmation_token": token})).await.unwrap();
        assert_eq!(text(&done), "erased logs");

        let frame = call_frame(5, "ring", json!({}));
        client.send_raw(&frame).await.unwrap();
        let second = client.send_raw(&frame).await.unwrap();
        assert!(second["result"].get("_meta").is_none(), "ring opted out of the retry window");
    }

    async fn preview_of(client: &TestClient, tool: &str, args: Value) -> (CallToolResult, String) {
        let first = client.call_tool(tool, args).await.unwrap();
        let token =
            first.structured_content.as_ref().unwrap()["confirmation_token"].as_str().unwrap().to_owned();
        (first, token)
    }
}
