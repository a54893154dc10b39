//! Our own client (`mcp_connector_core::client` over `mcp_connector_transport::client`) against our own examples,
//! run as real processes: `notes` over stdio (the client spawns it) and over streamable HTTP
//! (stateless and `--stateful`), `tickets` over HTTP; each in the era the client negotiates
//! (2026-07-28, probing `server/discover`) and in the legacy era (`initialize`).

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use mcp_connector_core::client::{CallOptions, Client, EraPreference};
use mcp_connector_core::era::Era;
use mcp_connector_transport::client::{http::HttpConnector, legacy_sse::LegacySseConnector, stdio};
use serde_json::{Value, json};
use support::{Served, TempDb};

const NOTES: &str = env!("CARGO_BIN_EXE_notes");
const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

/// Lists, searches, adds, exports with progress, reads a resource and gets a prompt.
async fn exercise_notes(client: &Client) {
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"search_notes") && names.contains(&"add_note"), "{names:?}");
    let search = tools.iter().find(|t| t.name == "search_notes").unwrap();
    assert_eq!(search.annotations.as_ref().unwrap().read_only_hint, Some(true));

    let added: Value =
        client.call_tool_as("add_note", json!({"title": "Client", "body": "from Rust"})).await.unwrap();
    let id = added["id"].as_u64().unwrap();
    let found: Value = client.call_tool_as("search_notes", json!({"query": "from rust"})).await.unwrap();
    let ids: Vec<u64> = found["notes"].as_array().unwrap().iter().filter_map(|n| n["id"].as_u64()).collect();
    assert!(ids.contains(&id), "{found}");

    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let options = CallOptions::new().on_progress(move |p| seen.lock().unwrap().push(p.progress));
    let export = client.call_tool_with("export_notes", json!({}), &options).await.unwrap();
    assert!(export.content[0].as_text().unwrap().contains("# Client"));
    assert!(!progress.lock().unwrap().is_empty(), "no progress notification reached the call");

    let read = client.read_resource(&format!("notes://{id}")).await.unwrap();
    assert_eq!(read.contents.len(), 1);
    let prompts = client.list_prompts().await.unwrap();
    let prompt = &prompts[0];
    let mut arguments = BTreeMap::new();
    for argument in prompt.arguments.iter().flatten() {
        arguments.insert(argument.name.clone(), id.to_string());
    }
    let got = client.get_prompt(&prompt.name, arguments).await.unwrap();
    assert!(!got.messages.is_empty());

    let missing = client.call_tool("delete_note", json!({"id": 999_999})).await.unwrap();
    assert!(missing.failed(), "a tool error is a result with isError, not a protocol error");
}

#[tokio::test]
async fn notes_over_stdio_in_both_eras() {
    for (era, expected) in [(EraPreference::Auto, Era::Modern), (EraPreference::Legacy, Era::Legacy)] {
        let connection = stdio::spawn(tokio::process::Command::new(NOTES)).unwrap();
        let client = Client::builder("client-test", "1").era(era).connect(connection).await.unwrap();
        assert_eq!(client.details().era, expected);
        exercise_notes(&client).await;
        client.close().await;
    }
}

#[tokio::test]
async fn notes_over_http_stateless_and_stateful_in_both_eras() {
    for flags in [&[][..], &["--stateful"][..]] {
        let server = Served::start(NOTES, flags);
        for (era, expected) in [(EraPreference::Auto, Era::Modern), (EraPreference::Legacy, Era::Legacy)] {
            let connection = HttpConnector::new(&server.url).connect();
            let client = Client::builder("client-test", "1").era(era).connect(connection).await.unwrap();
            assert_eq!(client.details().era, expected, "{flags:?}");
            exercise_notes(&client).await;
            client.close().await;
        }
        server.stop();
    }
}

#[tokio::test]
async fn notes_over_the_legacy_http_sse_transport() {
    let server = Served::start(NOTES, &["--stateful", "--legacy-sse"]);
    let connection = LegacySseConnector::new(format!("{}/sse", server.base())).connect().await.unwrap();
    let client =
        Client::builder("client-test", "1").era(EraPreference::Legacy).connect(connection).await.unwrap();
    assert_eq!(client.details().era, Era::Legacy);
    exercise_notes(&client).await;
    client.close().await;
    server.stop();
}

#[tokio::test]
async fn tickets_over_http_create_and_read_back() {
    let db = TempDb::new("rust-client");
    let server = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    let client =
        Client::builder("client-test", "1").connect(HttpConnector::new(&server.url).connect()).await.unwrap();
    let tools = client.list_tools().await.unwrap();
    let create = tools.iter().find(|t| t.name == "create_ticket").unwrap();
    assert_eq!(create.annotations.as_ref().unwrap().read_only_hint, Some(false));
    assert!(create.output_schema.is_some(), "the output schema reaches the client intact");
    let ticket: Value = client
        .call_tool_as("create_ticket", json!({"title": "Printer on fire", "idempotency_key": "k-1"}))
        .await
        .unwrap();
    let again: Value = client
        .call_tool_as("create_ticket", json!({"title": "Printer on fire", "idempotency_key": "k-1"}))
        .await
        .unwrap();
    assert_eq!(ticket["id"], again["id"], "one idempotency key, one ticket");
    client.close().await;
    server.stop();
}
