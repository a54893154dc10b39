//! The `tickets` connector through the protocol, with the in-memory client; and its
//! durability with the real binary, killed mid-run.

// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

mod support;

use examples::tickets::{Store, server};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};
use support::TempDb;

async fn client() -> TestClient {
    TestClient::connect(server(Store::open(":memory:").expect("in-memory db")).expect("valid server")).await
}

fn structured(result: &CallToolResult) -> Value {
    assert!(!result.failed(), "the call failed: {result:?}");
    Value::Object(result.structured_content.clone().expect("structured content"))
}

fn error_text(result: &CallToolResult) -> String {
    assert!(result.failed(), "the call should have failed: {result:?}");
    result.content[0].as_text().unwrap_or_default().to_owned()
}

async fn call(client: &TestClient, tool: &str, args: Value) -> CallToolResult {
    client.call_tool(tool, args).await.expect("no protocol error")
}

async fn count(client: &TestClient) -> u64 {
    let page = structured(&call(client, "search_tickets", json!({})).await);
    page["total"].as_u64().expect("total")
}

#[tokio::test]
async fn every_tool_declares_its_hints_and_typed_schemas() {
    let client = client().await;
    let tools = client.list_tools().await.unwrap();
    let by_name = |name: &str| tools.iter().find(|t| t["name"] == name).cloned().expect(name);
    // (name, readOnly, destructive, idempotent)
    let expected = [
        ("search_tickets", true, false, true),
        ("show_board", true, false, true),
        ("get_ticket", true, false, true),
        ("create_ticket", false, false, false),
        ("update_ticket", false, true, true),
        ("add_comment", false, false, false),
        ("delete_ticket", false, true, true),
        ("escalate_ticket", false, false, false),
    ];
    assert_eq!(tools.len(), expected.len());
    for (name, read_only, destructive, idempotent) in expected {
        let tool = by_name(name);
        let hints = &tool["annotations"];
        assert_eq!(hints["readOnlyHint"], read_only, "{name}");
        assert_eq!(hints["destructiveHint"], destructive, "{name}");
        assert_eq!(hints["idempotentHint"], idempotent, "{name}");
        assert_eq!(hints["openWorldHint"], false, "{name}: a local database is a closed world");
        assert!(tool["title"].is_string(), "{name} has a title");
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        if name == "delete_ticket" {
            // It answers a preview or the deletion, so it declares no outputSchema; and it takes
            // the confirmation token the preview hands out.
            assert!(tool.get("outputSchema").is_none());
            assert_eq!(tool["inputSchema"]["properties"]["confirmation_token"]["type"], "string");
        } else {
            assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        }
    }
    assert_eq!(by_name("get_ticket")["inputSchema"]["required"], json!(["id"]));
    assert_eq!(by_name("create_ticket")["inputSchema"]["required"], json!(["title"]));
    assert!(by_name("create_ticket")["inputSchema"]["properties"]["idempotency_key"].is_object());
    assert_eq!(
        by_name("update_ticket")["inputSchema"]["properties"]["status"]["enum"],
        json!(["open", "in_progress", "resolved", "closed", null])
    );
    assert!(by_name("get_ticket")["outputSchema"]["properties"]["comments"].is_object());
}

#[tokio::test]
async fn a_fresh_database_is_seeded_once() {
    let db = TempDb::new("seeded");
    let first = Store::open(&db.0).unwrap();
    let client = TestClient::connect(server(first).unwrap()).await;
    assert_eq!(count(&client).await, 5);
    call(&client, "create_ticket", json!({"title": "Sixth"})).await;
    drop(client);
    let again = TestClient::connect(server(Store::open(&db.0).unwrap()).unwrap()).await;
    assert_eq!(count(&again).await, 6, "reopening keeps the data and does not seed again");
}

#[tokio::test]
async fn create_returns_an_open_ticket_with_defaults() {
    let client = client().await;
    let created =
        call(&client, "create_ticket", json!({"title": "  Printer on fire  ", "body": "Smoke."})).await;
    let ticket = structured(&created);
    assert_eq!(ticket["title"], "Printer on fire");
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["priority"], "medium");
    assert_eq!(ticket["assignee"], Value::Null);
    assert_eq!(ticket["uri"], format!("tickets://{}", ticket["id"]));
    // The text copy is the same JSON, for clients that ignore structuredContent.
    let text: Value = serde_json::from_str(created.content[0].as_text().unwrap()).unwrap();
    assert_eq!(text, ticket);
}

#[tokio::test]
async fn the_same_idempotency_key_twice_creates_one_ticket() {
    let client = client().await;
    let args = json!({"title": "Retry me", "priority": "high", "idempotency_key": "req-42"});
    let first = structured(&call(&client, "create_ticket", args.clone()).await);
    let second = structured(&call(&client, "create_ticket", args).await);
    assert_eq!(first, second, "the retry returns the first ticket");
    assert_eq!(count(&client).await, 6);

    let other =
        call(&client, "create_ticket", json!({"title": "Something else", "idempotency_key": "req-42"})).await;
    assert!(error_text(&other).contains("already used"), "{other:?}");
    assert_eq!(count(&client).await, 6, "a reused key with other fields creates nothing");

    let without_key = json!({"title": "No key"});
    call(&client, "create_ticket", without_key.clone()).await;
    call(&client, "create_ticket", without_key).await;
    assert_eq!(count(&client).await, 8, "without a key, each call creates a ticket");
}

#[tokio::test]
async fn update_changes_only_the_given_fields() {
    let client = client().await;
    let id =
        structured(&call(&client, "create_ticket", json!({"title": "T", "body": "B"})).await)["id"].clone();
    let updated = structured(
        &call(&client, "update_ticket", json!({"id": id, "status": "in_progress", "assignee": "cy"})).await,
    );
    assert_eq!(updated["status"], "in_progress");
    assert_eq!(updated["assignee"], "cy");
    assert_eq!(updated["title"], "T");
    assert_eq!(updated["body"], "B");
    let renamed =
        structured(&call(&client, "update_ticket", json!({"id": id, "title": "T2", "assignee": ""})).await);
    assert_eq!(renamed["title"], "T2");
    assert_eq!(renamed["assignee"], Value::Null, "\"\" unassigns");
    assert_eq!(renamed["status"], "in_progress");
}

#[tokio::test]
async fn a_forbidden_transition_is_a_tool_error_and_changes_nothing() {
    let client = client().await;
    let before = structured(&call(&client, "get_ticket", json!({"id": 1})).await);
    // Ticket 1 is open: it cannot jump to resolved. The other fields must not change either.
    let result = call(
        &client,
        "update_ticket",
        json!({"id": 1, "status": "resolved", "title": "Hijacked", "assignee": "x"}),
    )
    .await;
    let message = error_text(&result);
    assert!(message.contains("cannot move to resolved"), "{message}");
    assert!(message.contains("in_progress, closed"), "the message lists what is allowed: {message}");
    let after = structured(&call(&client, "get_ticket", json!({"id": 1})).await);
    assert_eq!(before, after);

    let closed = error_text(&call(&client, "update_ticket", json!({"id": 5, "status": "open"})).await);
    assert!(closed.contains("closed is final"), "{closed}");
}

#[tokio::test]
async fn writes_to_an_unknown_ticket_are_tool_errors() {
    let client = client().await;
    for (tool, args) in [
        ("get_ticket", json!({"id": 999})),
        ("update_ticket", json!({"id": 999, "status": "closed"})),
        ("add_comment", json!({"id": 999, "body": "hello"})),
        ("delete_ticket", json!({"id": 999})),
    ] {
        let message = error_text(&call(&client, tool, args).await);
        assert!(message.contains("ticket 999 does not exist"), "{tool}: {message}");
    }
    assert_eq!(count(&client).await, 5);
}

#[tokio::test]
async fn bad_arguments_are_tool_errors() {
    let client = client().await;
    for (tool, args) in [
        ("create_ticket", json!({})),
        ("create_ticket", json!({"title": ""})),
        ("create_ticket", json!({"title": "   "})),
        ("create_ticket", json!({"title": "x", "priority": "whenever"})),
        ("update_ticket", json!({"id": 1})),
        ("update_ticket", json!({"id": 1, "status": "done"})),
        ("search_tickets", json!({"limit": 0})),
        ("search_tickets", json!({"cursor": "page-two"})),
        ("add_comment", json!({"id": 1, "body": " "})),
    ] {
        let result = call(&client, tool, args.clone()).await;
        assert!(result.failed(), "{tool} {args} should fail: {result:?}");
    }
    assert_eq!(count(&client).await, 5);
}

#[tokio::test]
async fn comments_are_added_and_closed_tickets_refuse_them() {
    let client = client().await;
    let ticket =
        structured(&call(&client, "add_comment", json!({"id": 1, "body": "Seen on staging too."})).await);
    let comments = ticket["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["author"], "assistant");
    assert_eq!(comments[0]["body"], "Seen on staging too.");
    let message = error_text(&call(&client, "add_comment", json!({"id": 5, "body": "late"})).await);
    assert!(message.contains("closed"), "{message}");
}

#[tokio::test]
async fn search_filters_by_words_status_and_assignee() {
    let client = client().await;
    let ids = |page: Value| -> Vec<u64> {
        page["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap()).collect()
    };
    let search = |args: Value| {
        let client = &client;
        async move { structured(&call(client, "search_tickets", args).await) }
    };
    assert_eq!(ids(search(json!({"query": "VAT portugal"})).await), [2]);
    assert_eq!(ids(search(json!({"query": "vat missing-word"})).await), Vec::<u64>::new());
    assert_eq!(ids(search(json!({"status": "open"})).await), [1, 3]);
    assert_eq!(ids(search(json!({"assignee": "ANA"})).await), [2, 5]);
    assert_eq!(ids(search(json!({"assignee": ""})).await), [1, 3]);
    assert_eq!(ids(search(json!({"query": "100%"})).await), Vec::<u64>::new(), "% is not a wildcard");
}

#[tokio::test]
async fn search_pages_through_every_match() {
    let client = client().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"limit": 2});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = structured(&call(&client, "search_tickets", args).await);
        assert_eq!(page["total"], 5);
        seen.extend(page["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap()));
        match page.get("next_cursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn each_ticket_is_a_resource() {
    let client = client().await;
    let templates = client.request("resources/templates/list", json!({})).await.unwrap();
    assert_eq!(templates["resourceTemplates"][0]["uriTemplate"], "tickets://{id}");
    assert_eq!(templates["resourceTemplates"][0]["mimeType"], "application/json");

    let read = client.request("resources/read", json!({"uri": "tickets://2"})).await.unwrap();
    let contents = &read["contents"][0];
    assert_eq!(contents["mimeType"], "application/json");
    let from_resource: Value = serde_json::from_str(contents["text"].as_str().unwrap()).unwrap();
    let from_tool = structured(&call(&client, "get_ticket", json!({"id": 2})).await);
    assert_eq!(from_resource, from_tool);

    for missing in ["tickets://999", "tickets://abc"] {
        let error = client.request("resources/read", json!({"uri": missing})).await.unwrap_err();
        assert_eq!(error.code, -32002, "{missing}");
    }

    let completion = client
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "tickets://{id}"}, "argument": {"name": "id", "value": "3"}}),
        )
        .await
        .unwrap();
    assert_eq!(completion["completion"]["values"], json!(["3"]));
}

#[tokio::test]
async fn delete_removes_the_ticket_and_its_resource_once_confirmed() {
    let client = client().await;
    let preview = call(&client, "delete_ticket", json!({"id": 2})).await;
    assert!(!preview.failed());
    assert_eq!(count(&client).await, 5, "the first call changes nothing");
    let token = structured(&preview)["confirmation_token"].as_str().unwrap().to_owned();
    let deleted =
        structured(&call(&client, "delete_ticket", json!({"id": 2, "confirmation_token": token})).await);
    assert_eq!(
        deleted,
        json!({"id": 2, "title": "Invoice PDF shows the wrong VAT rate for Portugal", "comments_deleted": 1})
    );
    let error = client.request("resources/read", json!({"uri": "tickets://2"})).await.unwrap_err();
    assert_eq!(error.code, -32002);
    let again = error_text(&call(&client, "delete_ticket", json!({"id": 2})).await);
    assert!(again.contains("does not exist"), "{again}");
    assert_eq!(count(&client).await, 4);
}

#[tokio::test]
async fn triage_embeds_the_ticket() {
    let client = client().await;
    let prompts = client.request("prompts/list", json!({})).await.unwrap();
    assert_eq!(prompts["prompts"][0]["name"], "triage");
    assert_eq!(prompts["prompts"][0]["arguments"][0]["required"], true);
    let prompt =
        client.request("prompts/get", json!({"name": "triage", "arguments": {"id": "1"}})).await.unwrap();
    let embedded = &prompt["messages"][0]["content"];
    assert_eq!(embedded["type"], "resource");
    assert_eq!(embedded["resource"]["uri"], "tickets://1");
    assert!(prompt["messages"][1]["content"]["text"].as_str().unwrap().contains("Triage ticket 1"));
    let error = client
        .request("prompts/get", json!({"name": "triage", "arguments": {"id": "999"}}))
        .await
        .unwrap_err();
    assert_eq!(error.code, -32602);
}

/// One JSON-RPC exchange with a child speaking MCP on stdio: writes `request`, returns the
/// response with the same id (skipping notifications).
fn exchange(stdin: &mut impl Write, stdout: &mut impl BufRead, request: Value) -> Value {
    writeln!(stdin, "{request}").unwrap();
    stdin.flush().unwrap();
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout");
        let message: Value = serde_json::from_str(&line).unwrap();
        if message.get("id") == request.get("id") {
            return message;
        }
    }
}

#[test]
fn a_killed_server_loses_no_acknowledged_write() {
    let db = TempDb::new("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickets"))
        .arg("--db")
        .arg(&db.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "kill-test", "version": "1"}}});
    assert!(exchange(&mut stdin, &mut stdout, init).get("result").is_some());
    writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap();

    let mut acknowledged = Vec::new();
    for i in 1..=20 {
        let call = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
            "name": "create_ticket", "arguments": {"title": format!("durable {i}"), "idempotency_key": format!("k{i}")}}});
        let reply = exchange(&mut stdin, &mut stdout, call);
        assert_eq!(reply["result"]["isError"], Value::Null, "{reply}");
        acknowledged.push(reply["result"]["structuredContent"]["id"].as_u64().unwrap());
    }
    let update = json!({"jsonrpc": "2.0", "id": 100, "method": "tools/call", "params": {
        "name": "update_ticket", "arguments": {"id": acknowledged[0], "status": "in_progress"}}});
    assert_eq!(
        exchange(&mut stdin, &mut stdout, update)["result"]["structuredContent"]["status"],
        "in_progress"
    );

    // SIGKILL: no destructor, no flush, no checkpoint.
    child.kill().unwrap();
    child.wait().unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&db.0).unwrap();
        for (i, id) in acknowledged.iter().enumerate() {
            let ticket = store.get(*id).await.unwrap();
            assert_eq!(ticket.title, format!("durable {}", i + 1));
        }
        assert_eq!(store.get(acknowledged[0]).await.unwrap().status, examples::tickets::Status::InProgress);
        // And the idempotency keys survived too: a retry after the crash creates nothing.
        let client = TestClient::connect(server(store).unwrap()).await;
        let retry = structured(
            &call(&client, "create_ticket", json!({"title": "durable 3", "idempotency_key": "k3"})).await,
        );
        assert_eq!(retry["id"].as_u64(), Some(acknowledged[2]));
        assert_eq!(count(&client).await, 25);
    });
}

fn column_ids(board: &Value, status: &str) -> Vec<u64> {
    let columns = board["columns"].as_array().unwrap();
    let column = columns.iter().find(|c| c["status"] == status).unwrap();
    column["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn the_board_shows_the_tickets_that_are_not_closed_by_status() {
    let client = client().await;
    let result = call(&client, "show_board", json!({})).await;
    let board = structured(&result);
    let statuses: Vec<&str> =
        board["columns"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["open", "in_progress", "resolved"]);
    assert_eq!(column_ids(&board, "open"), [1, 3]);
    assert_eq!(column_ids(&board, "in_progress"), [2]);
    assert_eq!(column_ids(&board, "resolved"), [4]);
    // The model reads a summary; the page alone gets the workflow and the filters.
    assert_eq!(result.content[0].as_text(), Some("Ticket board: 2 open, 1 in progress, 1 resolved."));
    let meta = result.meta.clone().unwrap();
    assert_eq!(meta["transitions"]["open"], json!(["in_progress", "closed"]));
    assert_eq!(meta["transitions"]["closed"], json!([]));
    assert_eq!(meta["filters"], json!({}));

    let filtered = call(&client, "show_board", json!({"assignee": "ana", "include_closed": true})).await;
    let board = structured(&filtered);
    assert_eq!(column_ids(&board, "in_progress"), [2]);
    assert_eq!(column_ids(&board, "closed"), [5]);
    assert!(column_ids(&board, "open").is_empty());
    assert_eq!(filtered.meta.unwrap()["filters"], json!({"assignee": "ana", "include_closed": true}));

    // A move the page makes is an ordinary update_ticket; the next board shows it.
    call(&client, "update_ticket", json!({"id": 1, "status": "in_progress"})).await;
    let board = structured(&call(&client, "show_board", json!({})).await);
    assert_eq!(column_ids(&board, "in_progress"), [1, 2]);
}

#[tokio::test]
async fn show_board_links_the_board_page_in_both_eras() {
    for version in ["2025-11-25", "2026-07-28"] {
        let server = server(Store::open(":memory:").unwrap()).unwrap();
        let client = TestClient::builder(server).protocol_version(version).connect().await;
        let tools = client.list_tools().await.unwrap();
        let board = tools.iter().find(|t| t["name"] == "show_board").unwrap();
        assert_eq!(
            board["_meta"],
            json!({
                "ui": {"resourceUri": "ui://tickets/board"},
                "ui/resourceUri": "ui://tickets/board",
                "openai/outputTemplate": "ui://tickets/board.skybridge",
                "openai/widgetAccessible": true,
                "openai/toolInvocation/invoking": "Loading the board…",
                "openai/toolInvocation/invoked": "Board ready"
            }),
            "{version}"
        );
        let read = client.request("resources/read", json!({"uri": "ui://tickets/board"})).await.unwrap();
        let page = &read["contents"][0];
        assert_eq!(page["mimeType"], "text/html;profile=mcp-app", "{version}");
        assert_eq!(
            page["_meta"],
            json!({
                "ui": {"prefersBorder": true},
                "openai/widgetCSP": {"connect_domains": [], "resource_domains": []},
                "openai/widgetPrefersBorder": true,
                "openai/widgetDescription": "Tickets by status, with buttons that move them along the workflow"
            }),
            "{version}"
        );
        let copy =
            client.request("resources/read", json!({"uri": "ui://tickets/board.skybridge"})).await.unwrap();
        assert_eq!(copy["contents"][0]["mimeType"], "text/html+skybridge", "{version}");
        assert_eq!(copy["contents"][0]["text"], page["text"], "{version}");
    }
}

#[tokio::test]
async fn the_board_page_is_self_contained() {
    let client = client().await;
    let read = client.request("resources/read", json!({"uri": "ui://tickets/board"})).await.unwrap();
    let html = read["contents"][0]["text"].as_str().unwrap().to_ascii_lowercase();
    assert!(html.starts_with("<!doctype html>"));
    // Nothing from the network: it declares no CSP domain, so a host would block it anyway.
    for outside in ["http://", "https://", "//cdn", " src=", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "the page loads something from outside: {outside}");
    }
}
