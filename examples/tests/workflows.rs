//! The `workflows` connector through the protocol, with the in-memory client: progress,
//! cancellation, the confirmation before the purge, and the runs resource.

// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use examples::workflows::{Workflows, server};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};

/// Steps short enough for tests, long enough to be really asynchronous.
const FAST: Duration = Duration::from_millis(5);

async fn client(workflows: &Workflows) -> TestClient {
    TestClient::connect(server(workflows.clone()).unwrap()).await
}

/// A client that declares elicitation and answers every `elicitation/create` with `answer`,
/// recording the requests it got.
async fn eliciting_client(workflows: &Workflows, answer: Value) -> (TestClient, Arc<Mutex<Vec<Value>>>) {
    eliciting_client_at("2025-11-25", workflows, answer).await
}

/// Both protocol eras: the handshake era, where the question is a request to the client
/// mid-call, and 2026-07-28, where it is an `input_required` result the client answers by
/// retrying the call. The connector's code is the same; so are these tests' expectations.
const ERAS: [&str; 2] = ["2025-11-25", "2026-07-28"];

async fn eliciting_client_at(
    version: &str,
    workflows: &Workflows,
    answer: Value,
) -> (TestClient, Arc<Mutex<Vec<Value>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let client = TestClient::builder(server(workflows.clone()).unwrap())
        .protocol_version(version)
        .capabilities(json!({"elicitation": {}}))
        .on_request(move |method, params| {
            assert_eq!(method, "elicitation/create");
            seen.lock().unwrap().push(params);
            Ok(answer.clone())
        })
        .connect()
        .await;
    (client, asked)
}

fn structured(result: &CallToolResult) -> Value {
    assert!(!result.failed(), "the call failed: {result:?}");
    Value::Object(result.structured_content.clone().unwrap())
}

fn error_text(result: &CallToolResult) -> String {
    assert!(result.failed(), "the call should have failed: {result:?}");
    result.content[0].as_text().unwrap_or_default().to_owned()
}

async fn call(client: &TestClient, tool: &str, args: Value) -> CallToolResult {
    client.call_tool(tool, args).await.unwrap()
}

async fn read_run(client: &TestClient, id: u64) -> Value {
    let read = client.request("resources/read", json!({"uri": format!("runs://{id}")})).await.unwrap();
    let contents = &read["contents"][0];
    assert_eq!(contents["mimeType"], "application/json");
    assert_eq!(contents["uri"], format!("runs://{id}"));
    serde_json::from_str(contents["text"].as_str().unwrap()).unwrap()
}

async fn build(client: &TestClient, target: &str) -> Value {
    structured(&call(client, "start_job", json!({"kind": "build", "target": target})).await)
}

fn step_statuses(run: &Value) -> Vec<(String, String)> {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn every_tool_declares_its_hints_and_schemas() {
    let client = client(&Workflows::new(FAST)).await;
    let tools = client.list_tools().await.unwrap();
    // (name, readOnly, destructive, idempotent)
    let expected = [
        ("start_job", false, false, false),
        ("purge_cache", false, true, true),
        ("list_runs", true, false, true),
        ("get_run", true, false, true),
    ];
    assert_eq!(tools.len(), expected.len());
    for (name, read_only, destructive, idempotent) in expected {
        let tool = tools.iter().find(|t| t["name"] == name).expect(name);
        let hints = &tool["annotations"];
        assert_eq!(hints["readOnlyHint"], read_only, "{name}");
        assert_eq!(hints["destructiveHint"], destructive, "{name}");
        assert_eq!(hints["idempotentHint"], idempotent, "{name}");
        assert_eq!(hints["openWorldHint"], false, "{name}: jobs on this machine are a closed world");
        assert!(tool["title"].is_string(), "{name} has a title");
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
    }
    let start = tools.iter().find(|t| t["name"] == "start_job").unwrap();
    assert_eq!(start["inputSchema"]["required"], json!(["kind", "target"]));
    assert!(start["outputSchema"]["properties"]["steps"].is_object());
}

#[tokio::test]
async fn a_build_reports_progress_per_step_in_order_with_the_token() {
    let workflows = Workflows::new(FAST);
    let client = client(&workflows).await;
    let result = client
        .request(
            "tools/call",
            json!({
                "name": "start_job",
                "arguments": {"kind": "build", "target": "web"},
                "_meta": {"progressToken": "build-web"}
            }),
        )
        .await
        .unwrap();
    let run = &result["structuredContent"];
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["kind"], "build");
    assert_eq!(run["uri"], "runs://1");

    let progress = client.notifications("notifications/progress");
    let steps = ["fetch", "compile", "test", "package"];
    assert_eq!(progress.len(), steps.len(), "{progress:?}");
    for (i, (note, step)) in progress.iter().zip(steps).enumerate() {
        assert_eq!(note["progressToken"], "build-web");
        assert_eq!(note["progress"], i as f64);
        assert_eq!(note["total"], 4.0);
        let message = note["message"].as_str().unwrap();
        assert!(message.ends_with(&format!("step {} of 4: {step}", i + 1)), "{message}");
    }
    assert_eq!(client.notifications("notifications/message").len(), steps.len(), "one log message per step");

    for (name, status) in step_statuses(run) {
        assert_eq!(status, "done", "{name}");
    }
    assert!(run["steps"].as_array().unwrap().iter().all(|s| s["duration_ms"].as_u64().unwrap() >= 5));
    assert!(run["duration_ms"].as_u64().unwrap() >= 20, "four real steps of 5 ms: {run}");
    assert_eq!(workflows.artifacts()[0].name, "web-1.tar.gz");
}

#[tokio::test]
async fn without_a_progress_token_a_job_sends_no_progress() {
    let workflows = Workflows::new(FAST);
    let client = client(&workflows).await;
    let run = structured(&call(&client, "start_job", json!({"kind": "sync", "target": "customers"})).await);
    assert_eq!(run["status"], "succeeded");
    assert!(client.notifications("notifications/progress").is_empty());
    assert_eq!(
        step_statuses(&run).into_iter().map(|(name, _)| name).collect::<Vec<_>>(),
        [
            "connect",
            "batch 1 of 3 (records 1-50)",
            "batch 2 of 3 (records 51-100)",
            "batch 3 of 3 (records 101-120)",
            "verify"
        ]
    );
    assert_eq!(workflows.synced_records("customers"), 120);
    assert!(run["summary"].as_str().unwrap().contains("120 records copied in 3 batches"));
}

#[tokio::test]
async fn cancelling_mid_job_stops_it_sends_no_response_and_records_cancelled() {
    let workflows = Workflows::new(Duration::from_millis(50));
    let client = client(&workflows).await;
    let started = client.request(
        "tools/call",
        json!({
            "name": "start_job",
            "arguments": {"kind": "build", "target": "api"},
            "_meta": {"progressToken": 9}
        }),
    );
    let cancel = async {
        // Wait until the second step (compile) is under way.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while client.notifications("notifications/progress").len() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "the job never reached its second step");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let running = read_run(&client, 1).await;
        assert_eq!(running["status"], "running");
        assert_eq!(running["steps"][1]["status"], "running");
        // The in-memory client numbers its requests 1, 2, …: initialize was 1, the call is 2
        // (and the resources/read above is 3).
        client.notify("notifications/cancelled", Some(json!({"requestId": 2, "reason": "user"}))).await;
    };
    let (outcome, ()) = tokio::join!(started, cancel);
    let error = outcome.expect_err("a cancelled request gets no response");
    assert!(error.message.contains("no response"), "{error:?}");

    // The job stopped: no further steps, no more progress, no artifact.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(client.notifications("notifications/progress").len(), 2);
    assert!(workflows.artifacts().is_empty());
    let run = read_run(&client, 1).await;
    assert_eq!(run["status"], "cancelled");
    assert_eq!(
        step_statuses(&run),
        [("fetch", "done"), ("compile", "cancelled"), ("test", "skipped"), ("package", "skipped")]
            .map(|(n, s)| (n.to_owned(), s.to_owned()))
    );
    assert!(run["summary"].as_str().unwrap().contains("cancelled"));
    assert!(run["duration_ms"].is_u64());

    // The session keeps serving, and the next run works.
    assert_eq!(build(&client, "api").await["status"], "succeeded");
}

#[tokio::test]
async fn purge_runs_the_destructive_step_when_the_user_confirms() {
    for era in ERAS {
        purge_confirmed(era).await;
    }
}

async fn purge_confirmed(era: &str) {
    let workflows = Workflows::new(FAST);
    let (client, asked) =
        eliciting_client_at(era, &workflows, json!({"action": "accept", "content": {"confirm": true}})).await;
    build(&client, "web").await;
    build(&client, "api").await;
    assert_eq!(workflows.artifacts().len(), 2);

    let run = structured(&call(&client, "purge_cache", json!({})).await);
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["kind"], "purge_cache");
    assert!(workflows.artifacts().is_empty());
    assert!(run["summary"].as_str().unwrap().contains("deleted 2 artifacts"));

    assert_eq!(workflows.runs().list().runs.len(), 3, "{era}: two builds and one purge, one record each");
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 1, "{era}");
    let message = asked[0]["message"].as_str().unwrap();
    assert!(message.contains("web-1.tar.gz") && message.contains("api-2.tar.gz"), "{message}");
    let schema = &asked[0]["requestedSchema"];
    assert_eq!(schema["properties"]["confirm"]["type"], "boolean");
}

#[tokio::test]
async fn purge_deletes_nothing_when_the_user_declines() {
    for answer in [
        json!({"action": "decline"}),
        json!({"action": "cancel"}),
        json!({"action": "accept", "content": {"confirm": false}}),
    ] {
        for era in ERAS {
            let workflows = Workflows::new(FAST);
            let (client, asked) = eliciting_client_at(era, &workflows, answer.clone()).await;
            build(&client, "web").await;
            let run = structured(&call(&client, "purge_cache", json!({})).await);
            assert_eq!(run["status"], "aborted", "{answer}");
            assert!(run["summary"].as_str().unwrap().contains("not confirmed"), "{answer}: {run}");
            assert_eq!(
                step_statuses(&run),
                [("scan", "done"), ("confirm", "done"), ("delete", "skipped")]
                    .map(|(n, s)| (n.to_owned(), s.to_owned()))
            );
            assert_eq!(workflows.artifacts().len(), 1, "{era} {answer}: nothing destroyed");
            assert_eq!(asked.lock().unwrap().len(), 1);
        }
    }
}

#[tokio::test]
async fn purge_without_elicitation_is_a_clear_refusal() {
    let workflows = Workflows::new(FAST);
    let client = client(&workflows).await;
    build(&client, "web").await;
    let message = error_text(&call(&client, "purge_cache", json!({})).await);
    assert!(message.contains("this client cannot ask for confirmation"), "{message}");
    assert!(message.contains("nothing was deleted"), "{message}");
    assert_eq!(workflows.artifacts().len(), 1);
    assert!(client.received().iter().all(|m| m.method() != Some("elicitation/create")));
    let run = read_run(&client, 2).await;
    assert_eq!(run["status"], "aborted");
    assert_eq!(run["steps"][2]["status"], "skipped");
}

#[tokio::test]
async fn purge_of_an_empty_cache_asks_nothing() {
    let workflows = Workflows::new(FAST);
    let (client, asked) =
        eliciting_client(&workflows, json!({"action": "accept", "content": {"confirm": true}})).await;
    let run = structured(&call(&client, "purge_cache", json!({})).await);
    assert_eq!(run["status"], "succeeded");
    assert!(run["summary"].as_str().unwrap().contains("already empty"));
    assert!(asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn runs_are_listed_read_and_served_as_resources() {
    let workflows = Workflows::new(FAST);
    let client = client(&workflows).await;
    build(&client, "web").await;
    call(&client, "start_job", json!({"kind": "sync", "target": "orders"})).await;

    let list = structured(&call(&client, "list_runs", json!({})).await);
    let runs = list["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0]["id"].as_u64(), runs[0]["kind"].as_str()), (Some(2), Some("sync")), "newest first");
    assert_eq!(runs[1]["uri"], "runs://1");

    let got = structured(&call(&client, "get_run", json!({"id": 1})).await);
    let resource = read_run(&client, 1).await;
    assert_eq!(got, resource, "get_run and runs://{{id}} show the same record");
    assert_eq!(resource["target"], "web");
    assert!(
        resource["log"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"] == "wrote web-1.tar.gz to the build cache")
    );

    let templates = client.request("resources/templates/list", json!({})).await.unwrap();
    let template = &templates["resourceTemplates"][0];
    assert_eq!(template["uriTemplate"], "runs://{id}");
    assert_eq!(template["mimeType"], "application/json");

    let missing = client.request("resources/read", json!({"uri": "runs://99"})).await.unwrap_err();
    assert_eq!(missing.code, -32002);
    let message = error_text(&call(&client, "get_run", json!({"id": 99})).await);
    assert!(message.contains("run 99 does not exist"), "{message}");
}

#[tokio::test]
async fn bad_arguments_are_tool_errors() {
    let workflows = Workflows::new(FAST);
    let client = client(&workflows).await;
    for args in [
        json!({"kind": "deploy", "target": "web"}),
        json!({"kind": "build"}),
        json!({"kind": "build", "target": "  "}),
        json!({"kind": "build", "target": "../etc"}),
    ] {
        let result = call(&client, "start_job", args.clone()).await;
        assert!(result.failed(), "{args} should fail: {result:?}");
    }
    assert!(structured(&call(&client, "list_runs", json!({})).await)["runs"].as_array().unwrap().is_empty());
}

/// `_meta` of a 2026-07-28 request from a client that can elicit.
fn modern(mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
    });
    params
}

#[tokio::test]
async fn in_2026_07_28_the_purge_asks_by_round_trip_records_one_run_and_never_applies_a_stale_yes() {
    let workflows = Workflows::new(FAST);
    let legacy = client(&workflows).await;
    build(&legacy, "web").await;
    let modern_client = TestClient::builder(server(workflows.clone()).unwrap()).connect_without_initialize();
    let purge = || modern(json!({"name": "purge_cache", "arguments": {}}));

    let first = modern_client.request("tools/call", purge()).await.unwrap();
    assert_eq!(first["resultType"], "input_required");
    let question = first["inputRequests"]["elicitation-1"]["params"]["message"].as_str().unwrap().to_owned();
    assert!(question.contains("web-1.tar.gz") && !question.contains("api"), "{question}");
    assert_eq!(purge_runs(&workflows), 0, "asking records no run");

    // Another artifact appears before the user's "yes" comes back: the yes was given to a
    // question that did not list it, so the purge asks again and deletes nothing.
    build(&legacy, "api").await;
    let yes = json!({"elicitation-1": {"action": "accept", "content": {"confirm": true}}});
    let mut retry = purge();
    retry["inputResponses"] = yes.clone();
    retry["requestState"] = first["requestState"].clone();
    let again = modern_client.request("tools/call", retry).await.unwrap();
    assert_eq!(again["resultType"], "input_required");
    assert!(again["inputRequests"]["elicitation-1"]["params"]["message"].as_str().unwrap().contains("api-"));
    assert_eq!(workflows.artifacts().len(), 2, "nothing deleted on a stale answer");

    let mut retry = purge();
    retry["inputResponses"] = yes;
    retry["requestState"] = again["requestState"].clone();
    let done = modern_client.request("tools/call", retry).await.unwrap();
    assert_eq!(done["structuredContent"]["status"], "succeeded", "{done}");
    assert!(workflows.artifacts().is_empty());
    assert_eq!(purge_runs(&workflows), 1, "one purge, one run record, however many rounds it took");
}

fn purge_runs(workflows: &Workflows) -> usize {
    workflows
        .runs()
        .list()
        .runs
        .into_iter()
        .filter(|r| r.kind == examples::workflows::RunKind::PurgeCache)
        .count()
}
