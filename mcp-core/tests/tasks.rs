//! The Tasks extension, `io.modelcontextprotocol/tasks` (SEP-2663), on the wire: bytes in,
//! bytes out, through the same dispatcher a transport drives. Each test names the section of
//! `seps/2663-tasks-extension.md` it pins.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use mcp_connector_core::auth::{Claims, ToolGuard};
use mcp_connector_core::protocol::{CallToolResult, LoggingLevel};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Context, Extensions, Server, ServerBuilder, TaskSupport, Tool, ToolError};
use serde_json::{Map, Value, json};

const MODERN: &str = "2026-07-28";
const TASKS: &str = "io.modelcontextprotocol/tasks";

/// `_meta` of a 2026-07-28 request declaring `capabilities`.
fn modern(mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "tasks-wire-test", "version": "1"},
    });
    params
}

/// Capabilities that declare the extension (and elicitation).
fn with_tasks() -> Value {
    json!({"elicitation": {}, "extensions": {TASKS: {}}})
}

fn stateless(server: Server) -> TestClient {
    TestClient::builder(server).connect_without_initialize()
}

fn as_caller(server: Server, subject: &str) -> TestClient {
    let mut extensions = Extensions::new();
    extensions.insert(Claims { subject: Some(subject.into()), ..Claims::default() });
    TestClient::builder(server).extensions(extensions).connect_without_initialize()
}

async fn raw(client: &TestClient, text: &str) -> Value {
    client.send_raw(text).await.expect("a reply")
}

fn form() -> Map<String, Value> {
    json!({"type": "object", "properties": {"ok": {"type": "boolean"}}})
        .as_object()
        .expect("an object")
        .clone()
}

fn builder() -> ServerBuilder {
    Server::builder("tasks-fixture", "1.0.0")
        .task_poll_interval(Duration::from_millis(250))
        .task_ttl(Duration::from_secs(60))
        .tool(Tool::read("greet").handler(|_ctx, args| async move {
            Ok(CallToolResult::text(format!("Hello, {}!", args["name"].as_str().unwrap_or("you"))))
        }))
        .tool(Tool::read("slow").task_support(TaskSupport::Optional).handler(|ctx, args| async move {
            let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(60_000);
            ctx.set_task_status_message("sleeping");
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(CallToolResult::text(format!("slept {ms} ms")))
        }))
        .tool(
            Tool::write("job")
                .task_support(TaskSupport::Required)
                .handler(|_ctx, _args| async move { Ok(CallToolResult::text("job done")) }),
        )
        .tool(
            Tool::write("fails").task_support(TaskSupport::Optional).handler(|_ctx, _args| async move {
                Err(ToolError::new("the backend said no; try tomorrow"))
            }),
        )
        .tool(Tool::write("crash").task_support(TaskSupport::Optional).handler(|_ctx, _args| async move {
            if true {
                panic!("boom");
            }
            Ok(CallToolResult::text("unreachable"))
        }))
        .tool(Tool::write("confirm").task_support(TaskSupport::Optional).handler(|ctx, _args| async move {
            let answer = ctx.elicit("Really delete?", form()).await?;
            Ok(CallToolResult::text(format!(
                "{:?} {}",
                answer.action,
                Value::from(answer.content.unwrap_or_default())
            )))
        }))
        .tool(Tool::write("two_asks").task_support(TaskSupport::Optional).handler(|ctx, _args| async move {
            let first = ctx.with_input_key("first");
            let second = ctx.with_input_key("second");
            let (a, b) = tokio::join!(first.elicit("First?", form()), second.elicit("Second?", form()));
            Ok(CallToolResult::text(format!("{:?} {:?}", a?.action, b?.action)))
        }))
        .tool(Tool::write("deploy").task_support(TaskSupport::Required).defer_task(true).handler(
            |ctx, _args| async move {
                let target = ctx.with_input_key("target").elicit("Where to?", form()).await?;
                let started = ctx.start_task().await;
                let task = ctx.task_id().map(str::to_owned);
                Ok(CallToolResult::text(format!(
                    "deployed {} started={started} task={}",
                    Value::from(target.content.unwrap_or_default()),
                    task.is_some()
                )))
            },
        ))
}

fn server() -> Server {
    builder().build().expect("valid fixtures")
}

async fn call(client: &TestClient, params: Value) -> Value {
    client.request("tools/call", modern(params, with_tasks())).await.expect("a result")
}

async fn get(client: &TestClient, task_id: &str) -> Value {
    client.request("tasks/get", modern(json!({"taskId": task_id}), with_tasks())).await.expect("the task")
}

/// Polls `tasks/get` until the task's status is one of `statuses`.
async fn wait_for(client: &TestClient, task_id: &str, statuses: &[&str]) -> Value {
    for _ in 0..400 {
        let task = get(client, task_id).await;
        if statuses.contains(&task["status"].as_str().unwrap_or_default()) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("task {task_id} never reached {statuses:?}");
}

async fn terminal(client: &TestClient, task_id: &str) -> Value {
    wait_for(client, task_id, &["completed", "failed", "cancelled"]).await
}

fn is_iso_8601(value: &Value) -> bool {
    let s = value.as_str().unwrap_or_default();
    s.len() == 24 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b'T' && s.ends_with('Z')
}

#[tokio::test]
async fn the_server_advertises_the_extension_in_discover_only() {
    // "Capability Negotiation": the server declares the extension (an empty object) in its
    // server/discover capabilities. "Backward Compatibility": it is not defined in 2025-11-25,
    // so the legacy initialize result is unchanged.
    let client = stateless(server());
    let discovered = client.request("server/discover", modern(json!({}), json!({}))).await.unwrap();
    assert_eq!(discovered["capabilities"]["extensions"], json!({TASKS: {}}));
    assert!(discovered["capabilities"].get("tasks").is_none(), "no 2025-11-25 `tasks` capability");

    let legacy = TestClient::connect(server()).await;
    let init = legacy
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
        )
        .await
        .unwrap();
    assert!(init["capabilities"].get("extensions").is_none(), "{init}");

    // A server without task-capable tools does not advertise it, unless asked to.
    let plain = stateless(Server::builder("plain", "1").build().unwrap());
    let discovered = plain.request("server/discover", modern(json!({}), json!({}))).await.unwrap();
    assert!(discovered["capabilities"].get("extensions").is_none());
    let forced = Server::builder("later", "1").enable_tasks().build().unwrap();
    assert!(forced.capabilities().extensions.as_ref().unwrap().contains_key(TASKS));
}

#[tokio::test]
async fn a_task_capable_call_returns_a_flat_create_task_result_that_resolves_at_once() {
    // "Task Creation": CreateTaskResult = Result & Task, resultType "task" ("Polymorphic
    // Results": MUST); MUST NOT be returned before tasks/get for it resolves.
    let client = stateless(server());
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":"c-1","method":"tools/call","params":{"name":"slow","arguments":{"ms":60000},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}}}"#,
    )
    .await;
    assert_eq!(reply["id"], "c-1");
    let result = reply["result"].as_object().unwrap();
    let task_id = result["taskId"].as_str().unwrap().to_owned();
    let mut keys: Vec<&str> = result.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["_meta", "createdAt", "lastUpdatedAt", "pollIntervalMs", "resultType", "status", "taskId", "ttlMs"]
    );
    assert_eq!(result["resultType"], "task");
    assert_eq!(result["status"], "working");
    assert_eq!(result["pollIntervalMs"], 250);
    assert!(result["ttlMs"].as_u64().unwrap() >= 60_000);
    assert!(is_iso_8601(&result["createdAt"]) && is_iso_8601(&result["lastUpdatedAt"]), "{result:?}");
    assert_eq!(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "tasks-fixture");
    // "Security Implications": ids are unguessable (122 random bits, UUID v4 form).
    assert_eq!(task_id.len(), 36);

    // No pause: the task exists already ("Task Creation", strong consistency).
    let task = get(&client, &task_id).await;
    assert_eq!(task["taskId"], task_id.as_str());
    assert_eq!(task["resultType"], "complete");
    assert_eq!(task["status"], "working");
    assert_eq!(task["statusMessage"], "sleeping");
    for absent in ["result", "error", "inputRequests", "requestState"] {
        assert!(task.get(absent).is_none(), "{absent} on a working task: {task}");
    }
}

#[tokio::test]
async fn a_completed_task_inlines_the_tool_result_and_stays_for_its_ttl() {
    // "Task Polling", Response 3: completed carries `result`, the request's own result; the
    // GetTaskResult has resultType "complete".
    let client = stateless(server());
    let created = call(&client, json!({"name": "slow", "arguments": {"ms": 20}})).await;
    let task_id = created["taskId"].as_str().unwrap();
    let done = terminal(&client, task_id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["resultType"], "complete");
    assert_eq!(done["result"], json!({"content": [{"type": "text", "text": "slept 20 ms"}]}));
    assert!(done["lastUpdatedAt"].as_str() >= done["createdAt"].as_str());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(get(&client, task_id).await["status"], "completed");
}

#[tokio::test]
async fn a_tool_error_completes_the_task_and_a_crash_fails_it() {
    // "Task Execution Errors": isError results use `completed`; `failed` is for JSON-RPC errors
    // and MUST carry `error` (and SHOULD a statusMessage).
    let client = stateless(server());
    let created = call(&client, json!({"name": "fails"})).await;
    let done = terminal(&client, created["taskId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"]["isError"], true);
    assert_eq!(done["result"]["content"][0]["text"], "the backend said no; try tomorrow");
    assert!(done.get("error").is_none());

    let created = call(&client, json!({"name": "crash"})).await;
    let failed = terminal(&client, created["taskId"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], -32603);
    assert!(failed["error"]["message"].is_string());
    assert_eq!(failed["statusMessage"], failed["error"]["message"]);
    assert!(failed.get("result").is_none());
}

#[tokio::test]
async fn cancel_acks_empty_stops_the_handler_and_is_idempotent() {
    // "Task Cancellation": MUST acknowledge with an empty result (resultType "complete"); the
    // task is then observed as cancelled; notifications/cancelled is not the way.
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let server = builder()
        .tool(Tool::read("watched").task_support(TaskSupport::Optional).handler(move |ctx, _args| {
            let flag = flag.clone();
            async move {
                struct SetOnDrop(Arc<AtomicBool>);
                impl Drop for SetOnDrop {
                    fn drop(&mut self) {
                        self.0.store(true, Ordering::SeqCst);
                    }
                }
                let _guard = SetOnDrop(flag);
                ctx.cancellation().cancelled().await;
                Ok(CallToolResult::text("stopped"))
            }
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let created = call(&client, json!({"name": "watched"})).await;
    let task_id = created["taskId"].as_str().unwrap();
    let reply = raw(
        &client,
        &format!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"tasks/cancel","params":{{"taskId":"{task_id}","_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{"extensions":{{"io.modelcontextprotocol/tasks":{{}}}}}}}}}}}}"#
        ),
    )
    .await;
    let ack = reply["result"].as_object().unwrap();
    assert_eq!(ack.keys().collect::<Vec<_>>(), ["_meta", "resultType"], "{reply}");
    assert_eq!(ack["resultType"], "complete");

    let task = get(&client, task_id).await;
    assert_eq!(task["status"], "cancelled");
    assert!(task.get("result").is_none());
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(dropped.load(Ordering::SeqCst), "the handler was not stopped");

    // Again, on a task that has ended: the same ack.
    let again = client.request("tasks/cancel", modern(json!({"taskId": task_id}), with_tasks())).await;
    assert_eq!(again.unwrap()["resultType"], "complete");
    assert_eq!(get(&client, task_id).await["status"], "cancelled");
}

#[tokio::test]
async fn an_unknown_task_id_is_invalid_params_on_every_method() {
    // "Protocol Errors": invalid or nonexistent taskId is -32602 (MUST for tasks/get, SHOULD
    // for tasks/update and tasks/cancel).
    let client = stateless(server());
    for (method, params) in [
        ("tasks/get", json!({"taskId": "no-such-task"})),
        ("tasks/update", json!({"taskId": "no-such-task", "inputResponses": {}})),
        ("tasks/cancel", json!({"taskId": "no-such-task"})),
        ("tasks/get", json!({})),
    ] {
        let error = client.request(method, modern(params, with_tasks())).await.unwrap_err();
        assert_eq!(error.code, -32602, "{method}");
    }
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":70,"method":"tasks/get","params":{"taskId":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}}}"#,
    )
    .await;
    assert_eq!(
        reply,
        json!({"jsonrpc": "2.0", "id": 70, "error": {"code": -32602, "message": "Failed to retrieve task: Task not found"}})
    );
}

#[tokio::test]
async fn another_callers_task_does_not_exist_for_them() {
    // "Security Implications": MUST check on each task request that the client may access the
    // task. The task is bound to the `sub` of the caller's verified claims.
    let server = server();
    let alice = as_caller(server.clone(), "alice");
    let created = call(&alice, json!({"name": "slow", "arguments": {"ms": 60000}})).await;
    let task_id = created["taskId"].as_str().unwrap();
    assert_eq!(get(&alice, task_id).await["status"], "working");

    for intruder in [as_caller(server.clone(), "mallory"), stateless(server.clone())] {
        for (method, params) in [
            ("tasks/get", json!({"taskId": task_id})),
            ("tasks/update", json!({"taskId": task_id, "inputResponses": {}})),
            ("tasks/cancel", json!({"taskId": task_id})),
        ] {
            let error = intruder.request(method, modern(params, with_tasks())).await.unwrap_err();
            assert_eq!(error.code, -32602, "{method}");
            assert!(error.message.contains("Task not found"), "{}", error.message);
        }
    }
    assert_eq!(get(&alice, task_id).await["status"], "working", "the intruder's cancel did nothing");
}

#[tokio::test]
async fn a_client_without_the_extension_gets_no_task() {
    // "Capability Negotiation": MUST NOT return CreateTaskResult to a client that did not
    // include the capability on its request; a tool that cannot run otherwise answers -32021
    // naming the extension. "Protocol Errors": tasks/* from such a client MUST be -32021.
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let server = builder()
        .tool(Tool::write("counted").task_support(TaskSupport::Required).handler(move |_ctx, _args| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(CallToolResult::text("ran")) }
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let plain = client
        .request("tools/call", modern(json!({"name": "slow", "arguments": {"ms": 1}}), json!({})))
        .await;
    let plain = plain.unwrap();
    assert_eq!(plain["resultType"], "complete");
    assert_eq!(plain["content"][0]["text"], "slept 1 ms");
    assert!(plain.get("taskId").is_none());

    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"counted","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}"#,
    )
    .await;
    assert_eq!(reply["error"]["code"], -32021);
    assert_eq!(reply["error"]["data"], json!({"requiredCapabilities": {"extensions": {TASKS: {}}}}));
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the handler must not run");

    for (method, params) in [
        ("tasks/get", json!({"taskId": "gate-test"})),
        ("tasks/update", json!({"taskId": "gate-test", "inputResponses": {}})),
        ("tasks/cancel", json!({"taskId": "gate-test"})),
    ] {
        let error = client.request(method, modern(params, json!({"elicitation": {}}))).await.unwrap_err();
        assert_eq!(error.code, -32021, "{method}");
        assert_eq!(error.data.unwrap(), json!({"requiredCapabilities": {"extensions": {TASKS: {}}}}));
    }

    // Declared on the request, the same tool becomes a task.
    let created = call(&client, json!({"name": "counted"})).await;
    assert_eq!(created["resultType"], "task");
    assert_eq!(
        terminal(&client, created["taskId"].as_str().unwrap()).await["result"]["content"][0]["text"],
        "ran"
    );
}

#[tokio::test]
async fn a_sync_tool_stays_sync_and_the_legacy_task_param_is_ignored() {
    // "Backward Compatibility": the 2025-11-25 `task` parameter on CallToolRequest MUST be
    // ignored; a task-incapable tool returns its plain result.
    let client = stateless(server());
    let result =
        call(&client, json!({"name": "greet", "arguments": {"name": "Ada"}, "task": {"ttl": 60000}})).await;
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["content"][0]["text"], "Hello, Ada!");
    assert!(result.get("taskId").is_none());
}

#[tokio::test]
async fn input_asked_inside_a_task_is_polled_and_answered_with_tasks_update() {
    // "Task Update Requests" and "Task Polling", Response 2: input_required lists every
    // outstanding request in inputRequests; tasks/update answers by key and MUST ack with an
    // empty result; unknown keys are ignored; the task resumes.
    let client = stateless(server());
    let created = call(&client, json!({"name": "confirm"})).await;
    assert!(created.get("inputRequests").is_none(), "CreateTaskResult carries no inputRequests");
    let task_id = created["taskId"].as_str().unwrap();
    let waiting = wait_for(&client, task_id, &["input_required"]).await;
    assert_eq!(
        waiting["inputRequests"],
        json!({"elicitation-1": {"method": "elicitation/create", "params": {"message": "Really delete?", "requestedSchema": form()}}})
    );
    assert!(waiting.get("requestState").is_none());
    // The same snapshot on the next poll (clients deduplicate by key).
    assert_eq!(get(&client, task_id).await["inputRequests"], waiting["inputRequests"]);
    // No request went to the client: the input travels by polling.
    assert!(client.received().iter().all(|m| m.method() != Some("elicitation/create")));

    let ack = client
        .request(
            "tasks/update",
            modern(
                json!({"taskId": task_id, "inputResponses": {"unknown-key": {"ignored": true}}}),
                with_tasks(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(ack["resultType"], "complete");
    assert!(ack.get("taskId").is_none() && ack.get("status").is_none());
    assert_eq!(get(&client, task_id).await["status"], "input_required");

    let answer = json!({"elicitation-1": {"action": "accept", "content": {"ok": true}}});
    let ack = client
        .request("tasks/update", modern(json!({"taskId": task_id, "inputResponses": answer}), with_tasks()))
        .await
        .unwrap();
    assert_eq!(ack["resultType"], "complete");
    let done = terminal(&client, task_id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"]["content"][0]["text"], r#"Accept {"ok":true}"#);
    assert!(done.get("inputRequests").is_none());

    // An answered key is not outstanding any more: answering it again is ignored.
    let late = client
        .request("tasks/update", modern(json!({"taskId": task_id, "inputResponses": answer}), with_tasks()))
        .await;
    assert_eq!(late.unwrap()["resultType"], "complete");
}

#[tokio::test]
async fn partial_answers_leave_the_task_waiting_for_the_rest() {
    // "Task Update Requests": a server MAY accept a strict subset of the outstanding keys; the
    // task stays input_required until the remaining responses arrive.
    let client = stateless(server());
    let created = call(&client, json!({"name": "two_asks"})).await;
    let task_id = created["taskId"].as_str().unwrap();
    let mut waiting = Value::Null;
    for _ in 0..200 {
        waiting = get(&client, task_id).await;
        if waiting["inputRequests"].as_object().is_some_and(|r| r.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(waiting["status"], "input_required");
    let keys: Vec<&String> = waiting["inputRequests"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["first", "second"]);

    let accept = json!({"action": "accept", "content": {"ok": true}});
    client
        .request(
            "tasks/update",
            modern(json!({"taskId": task_id, "inputResponses": {"first": accept}}), with_tasks()),
        )
        .await
        .unwrap();
    let after = get(&client, task_id).await;
    assert_eq!(after["status"], "input_required");
    assert_eq!(after["inputRequests"].as_object().unwrap().keys().collect::<Vec<_>>(), ["second"]);

    let decline = json!({"action": "decline"});
    client
        .request(
            "tasks/update",
            modern(json!({"taskId": task_id, "inputResponses": {"second": decline}}), with_tasks()),
        )
        .await
        .unwrap();
    let done = terminal(&client, task_id).await;
    assert_eq!(done["result"]["content"][0]["text"], "Accept Decline");
}

#[tokio::test]
async fn a_malformed_answer_to_an_outstanding_key_is_invalid_params() {
    let client = stateless(server());
    let created = call(&client, json!({"name": "confirm"})).await;
    let task_id = created["taskId"].as_str().unwrap();
    wait_for(&client, task_id, &["input_required"]).await;
    let error = client
        .request(
            "tasks/update",
            modern(json!({"taskId": task_id, "inputResponses": {"elicitation-1": 12345}}), with_tasks()),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, -32602);
    assert_eq!(get(&client, task_id).await["status"], "input_required");
    let error =
        client.request("tasks/update", modern(json!({"taskId": task_id}), with_tasks())).await.unwrap_err();
    assert_eq!(error.code, -32602, "inputResponses is required");
}

#[tokio::test]
async fn input_the_task_request_did_not_declare_fails_the_task_with_32021() {
    // 2026-07-28 basic/index, "_meta": a request that needs an undeclared capability is -32021;
    // in a task the request was answered already, so the task fails with that error.
    let client = stateless(server());
    let created = client
        .request("tools/call", modern(json!({"name": "confirm"}), json!({"extensions": {TASKS: {}}})))
        .await
        .unwrap();
    let failed = terminal(&client, created["taskId"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], -32021);
    assert_eq!(failed["error"]["data"], json!({"requiredCapabilities": {"elicitation": {}}}));
}

#[tokio::test]
async fn a_deferred_task_gathers_input_by_round_trip_before_the_handle() {
    // "Task Creation" / Rationale "Composition with Multi Round-Trip Requests": servers SHOULD
    // resolve MRTR exchanges synchronously before returning CreateTaskResult; the two phases
    // keep separate state (no requestState on the task, no taskId on the MRTR round).
    let client = stateless(server());
    let first = call(&client, json!({"name": "deploy"})).await;
    assert_eq!(first["resultType"], "input_required");
    assert!(first.get("taskId").is_none());
    assert_eq!(first["inputRequests"]["target"]["method"], "elicitation/create");

    let answer = json!({"target": {"action": "accept", "content": {"ok": true}}});
    let second = call(
        &client,
        json!({"name": "deploy", "inputResponses": answer, "requestState": first["requestState"].clone()}),
    )
    .await;
    assert_eq!(second["resultType"], "task", "{second}");
    assert!(second.get("requestState").is_none() && second.get("inputRequests").is_none());
    let done = terminal(&client, second["taskId"].as_str().unwrap()).await;
    assert_eq!(done["result"]["content"][0]["text"], r#"deployed {"ok":true} started=true task=true"#);
}

#[tokio::test]
async fn a_task_sends_no_progress_or_log_notifications() {
    // "Task Status Notifications": notifications/progress and notifications/message are not
    // supported on tasks.
    let server = builder()
        .tool(Tool::read("chatty").task_support(TaskSupport::Optional).handler(|ctx, _args| async move {
            ctx.progress(1.0, Some(2.0), Some("half"));
            ctx.log(LoggingLevel::Error, "from a task");
            Ok(CallToolResult::text("said nothing"))
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let mut params = modern(json!({"name": "chatty", "_meta": {}}), with_tasks());
    params["_meta"]["progressToken"] = json!("p-1");
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    let created = client.request("tools/call", params).await.unwrap();
    terminal(&client, created["taskId"].as_str().unwrap()).await;
    assert!(client.notifications("notifications/progress").is_empty());
    assert!(client.notifications("notifications/message").is_empty());
}

#[tokio::test]
async fn a_finished_task_is_dropped_after_its_ttl() {
    // "Task Polling": servers MAY delete a task once its TTL has elapsed; "Protocol Errors": an
    // expired task is reported like an unknown one.
    let server = builder().task_ttl(Duration::from_millis(300)).build().unwrap();
    let client = stateless(server);
    let created = call(&client, json!({"name": "slow", "arguments": {"ms": 1}})).await;
    let task_id = created["taskId"].as_str().unwrap();
    let done = terminal(&client, task_id).await;
    let kept = done["ttlMs"].as_u64().unwrap();
    assert!(kept >= 300, "ttlMs counts from creation and covers the wait: {kept}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let error =
        client.request("tasks/get", modern(json!({"taskId": task_id}), with_tasks())).await.unwrap_err();
    assert_eq!(error.code, -32602);
}

#[tokio::test]
async fn a_full_store_runs_optional_tools_plainly_and_refuses_required_ones() {
    let server = builder().max_tasks(1).build().unwrap();
    let client = stateless(server);
    let busy = call(&client, json!({"name": "slow", "arguments": {"ms": 60000}})).await;
    assert_eq!(busy["resultType"], "task");
    let plain = call(&client, json!({"name": "slow", "arguments": {"ms": 1}})).await;
    assert_eq!(plain["resultType"], "complete");
    assert_eq!(plain["content"][0]["text"], "slept 1 ms");
    let error = client.request("tools/call", modern(json!({"name": "job"}), with_tasks())).await.unwrap_err();
    assert_eq!(error.code, -32603);
}

#[tokio::test]
async fn removed_and_reserved_methods_are_not_found() {
    // "Backward Compatibility": tasks/result is removed (MUST be -32601); tasks/list is gone.
    let client = stateless(server());
    for method in ["tasks/result", "tasks/list"] {
        let error = client.request(method, modern(json!({"taskId": "x"}), with_tasks())).await.unwrap_err();
        assert_eq!(error.code, -32601, "{method}");
    }
}

#[tokio::test]
async fn listening_for_task_notifications_needs_the_extension() {
    // "Task Status Notifications": a client requesting them without the extension MUST get
    // -32021.
    let client = stateless(server());
    let error = client
        .request("subscriptions/listen", modern(json!({"notifications": {"taskIds": ["t"]}}), json!({})))
        .await
        .unwrap_err();
    assert_eq!(error.code, -32021);
    assert_eq!(error.data.unwrap(), json!({"requiredCapabilities": {"extensions": {TASKS: {}}}}));
}

#[tokio::test]
async fn legacy_requests_are_unaffected() {
    // "Backward Compatibility": the extension is not defined in 2025-11-25; requests proceed as
    // if the client had declared no task capability, even when it names the extension.
    let legacy = TestClient::builder(server())
        .capabilities(json!({"extensions": {TASKS: {}}, "elicitation": {}}))
        .protocol_version("2025-11-25")
        .connect()
        .await;
    let result = legacy.request("tools/call", json!({"name": "slow", "arguments": {"ms": 1}})).await.unwrap();
    assert_eq!(result, json!({"content": [{"type": "text", "text": "slept 1 ms"}]}));
    let result = legacy.request("tools/call", json!({"name": "job"})).await.unwrap();
    assert_eq!(result, json!({"content": [{"type": "text", "text": "job done"}]}));
    for method in ["tasks/get", "tasks/cancel", "tasks/update"] {
        let error = legacy.request(method, json!({"taskId": "x", "inputResponses": {}})).await.unwrap_err();
        assert_eq!(error.code, -32601, "{method}");
    }
    // Nothing about tasks in the tool definitions, in either era.
    let tools = legacy.list_tools().await.unwrap();
    assert!(tools.iter().all(|t| t.get("execution").is_none()), "{tools:?}");
    let modern_client = stateless(server());
    let listed = modern_client.request("tools/list", modern(json!({}), with_tasks())).await.unwrap();
    assert!(listed["tools"].as_array().unwrap().iter().all(|t| t.get("execution").is_none()));
}

#[tokio::test]
async fn a_call_the_auth_layer_refuses_is_refused_on_the_request_not_in_a_task() {
    // The refusal (a login challenge, say) must reach the client on its request.
    struct SignInFirst;
    impl ToolGuard for SignInFirst {
        fn before(&self, _tool: &Tool, _ctx: &Context, _args: &Map<String, Value>) -> Result<(), ToolError> {
            Err(ToolError::new("sign in first"))
        }
    }
    let mut extensions = Extensions::new();
    extensions.insert::<Arc<dyn ToolGuard>>(Arc::new(SignInFirst));
    let client = TestClient::builder(server()).extensions(extensions).connect_without_initialize();
    let result = call(&client, json!({"name": "job"})).await;
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["isError"], true);
    assert_eq!(result["content"][0]["text"], "sign in first");
}

#[tokio::test]
async fn arguments_that_break_the_schema_are_refused_on_the_request_not_in_a_task() {
    // The model learns about a malformed call at once (an isError result it can act on), not
    // from a task it would have to poll. A well-formed call to the same tool is a task.
    let server = builder()
        .tool(
            Tool::read("typed")
                .task_support(TaskSupport::Optional)
                .input_schema(json!({
                    "type": "object",
                    "properties": {"ms": {"type": "integer"}},
                    "required": ["ms"]
                }))
                .handler(|_ctx, _args| async move { Ok(CallToolResult::text("ran")) }),
        )
        .build()
        .unwrap();
    let client = stateless(server);
    let refused = call(&client, json!({"name": "typed", "arguments": {"ms": "soon"}})).await;
    assert_eq!(refused["resultType"], "complete", "{refused}");
    assert_eq!(refused["isError"], true);
    assert!(refused["content"][0]["text"].as_str().unwrap().contains("ms"), "{refused}");
    assert!(refused.get("taskId").is_none());

    let accepted = call(&client, json!({"name": "typed", "arguments": {"ms": 5}})).await;
    assert_eq!(accepted["resultType"], "task", "{accepted}");
}
