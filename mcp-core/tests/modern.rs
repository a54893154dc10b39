//! Protocol 2026-07-28 ("modern") beside 2025-11-25 ("legacy") on the wire, from the same server
//! value. Each test names the section of `docs/specification/2026-07-28` it pins.

mod common;

use std::time::Duration;

use mcp_connector_core::protocol::{CallToolResult, CreateMessageParams};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Server, Tool};
use serde_json::{Value, json};

const MODERN: &str = "2026-07-28";

/// `_meta` of a modern request: version, capabilities and identity on every request
/// (basic/index, "_meta": per-request protocol fields).
fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "wire-test", "version": "1"},
    })
}

fn modern(mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = meta(capabilities);
    params
}

/// A client that never sends `initialize`: a modern peer.
fn stateless(server: Server) -> TestClient {
    TestClient::builder(server).connect_without_initialize()
}

async fn raw(client: &TestClient, text: &str) -> Value {
    client.send_raw(text).await.expect("a reply")
}

fn server_info() -> Value {
    json!({"name": "fixture", "version": "1.2.3", "title": "Fixture Server"})
}

#[tokio::test]
async fn discover_advertises_versions_capabilities_and_identity() {
    // server/discover: servers MUST implement it; the result is cacheable.
    let client = stateless(common::server());
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":"d-1","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
    )
    .await;
    assert_eq!(
        reply,
        json!({
            "jsonrpc": "2.0",
            "id": "d-1",
            "result": {
                "resultType": "complete",
                "supportedVersions": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"],
                "capabilities": {
                    "logging": {},
                    "completions": {},
                    "prompts": {"listChanged": true},
                    "resources": {"subscribe": true, "listChanged": true},
                    "tools": {"listChanged": true}
                },
                "instructions": "A server for tests.",
                "ttlMs": 0,
                "cacheScope": "private",
                "_meta": {"io.modelcontextprotocol/serverInfo": server_info()}
            }
        })
    );
}

#[tokio::test]
async fn every_modern_result_has_result_type_and_server_info_and_legacy_results_do_not() {
    // basic/index, "Result Responses": the result MUST include `resultType`; servers SHOULD
    // put serverInfo in every result's `_meta`. The 2025-11-25 schema has neither.
    let server = common::server();
    let modern_client = stateless(server.clone());
    let result = modern_client
        .request("tools/call", modern(json!({"name": "echo", "arguments": {"text": "hi"}}), json!({})))
        .await
        .unwrap();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["_meta"]["io.modelcontextprotocol/serverInfo"], server_info());
    assert_eq!(result["content"], json!([{"type": "text", "text": "hi"}]));
    assert!(result.get("ttlMs").is_none(), "tools/call is not cacheable");

    let legacy_client = TestClient::connect(server).await;
    let result =
        legacy_client.request("tools/call", json!({"name": "echo", "arguments": {"text": "hi"}})).await;
    assert_eq!(result.unwrap(), json!({"content": [{"type": "text", "text": "hi"}]}));
}

#[tokio::test]
async fn list_and_read_results_carry_caching_hints_in_the_modern_era() {
    // server/utilities/caching: servers MUST include ttlMs and cacheScope on complete results of
    // tools/list, prompts/list, resources/list, resources/templates/list and resources/read.
    let client = stateless(common::server());
    for method in ["tools/list", "prompts/list", "resources/list", "resources/templates/list"] {
        let result = client.request(method, modern(json!({}), json!({}))).await.unwrap();
        assert_eq!(
            (result["ttlMs"].clone(), result["cacheScope"].clone()),
            (json!(0), json!("private")),
            "{method}"
        );
    }
    let read =
        client.request("resources/read", modern(json!({"uri": "docs://readme"}), json!({}))).await.unwrap();
    assert_eq!(read["cacheScope"], "private");

    // Per server and per resource hints.
    let server = common::builder()
        .cache_hint(mcp_connector_core::protocol::CacheHint::public(Duration::from_secs(60)))
        .resource(
            mcp_connector_core::Resource::new("assets://logo", "logo")
                .cache_hint(mcp_connector_core::protocol::CacheHint::public(Duration::from_secs(3600)))
                .handler(|_ctx, req| async move {
                    Ok(vec![mcp_connector_core::protocol::ResourceContents::text(req.uri, "<svg/>")])
                }),
        )
        .build()
        .unwrap();
    let client = stateless(server);
    let list = client.request("tools/list", modern(json!({}), json!({}))).await.unwrap();
    assert_eq!((list["ttlMs"].clone(), list["cacheScope"].clone()), (json!(60_000), json!("public")));
    let read =
        client.request("resources/read", modern(json!({"uri": "assets://logo"}), json!({}))).await.unwrap();
    assert_eq!(read["ttlMs"], 3_600_000);
}

#[tokio::test]
async fn tools_list_is_in_registration_order_on_every_call() {
    // changelog, minor change 3: servers SHOULD return tools in a deterministic order.
    let client = stateless(common::server());
    let names = |list: Value| -> Vec<String> {
        list["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
    };
    let first = names(client.request("tools/list", modern(json!({}), json!({}))).await.unwrap());
    let second = names(client.request("tools/list", modern(json!({}), json!({}))).await.unwrap());
    assert_eq!(first, second);
    assert_eq!(first[..3], ["echo", "fail", "panic"]);
}

#[tokio::test]
async fn an_unsupported_version_is_refused_with_the_supported_list() {
    // basic/versioning, "Protocol Version Negotiation": MUST respond with
    // UnsupportedProtocolVersionError listing the versions it supports.
    let client = stateless(common::server());
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
    )
    .await;
    assert_eq!(
        reply,
        json!({
            "jsonrpc": "2.0",
            "id": 7,
            "error": {
                "code": -32022,
                "message": "Unsupported protocol version",
                "data": {
                    "supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"],
                    "requested": "1900-01-01"
                }
            }
        })
    );
}

#[tokio::test]
async fn a_modern_request_without_client_capabilities_is_invalid_params() {
    // basic/index, "_meta": a request missing a required field is malformed; the server MUST
    // reject it with -32602.
    let client = stateless(common::server());
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
    )
    .await;
    assert_eq!(reply["error"]["code"], -32602);
    assert!(reply["error"]["message"].as_str().unwrap().contains("clientCapabilities"));
}

#[tokio::test]
async fn methods_removed_in_the_modern_era_are_not_found_there_and_kept_in_the_legacy_one() {
    // changelog, major change 5: ping and logging/setLevel are removed; 4: subscriptions/listen
    // replaces resources/subscribe.
    let server = common::server();
    let client = stateless(server.clone());
    for method in ["ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "initialize"] {
        let error =
            client.request(method, modern(json!({"level": "info", "uri": "docs://readme"}), json!({}))).await;
        assert_eq!(error.unwrap_err().code, -32601, "{method}");
    }
    let legacy = TestClient::connect(server).await;
    assert_eq!(legacy.request("ping", json!({})).await.unwrap(), json!({}));
    // And the modern-only methods tell a legacy request what it lacks.
    let error = legacy.request("server/discover", json!({})).await.unwrap_err();
    assert_eq!(error.code, -32602);
    assert!(error.message.contains("io.modelcontextprotocol/protocolVersion"), "{}", error.message);
}

#[tokio::test]
async fn resource_not_found_is_invalid_params_in_the_modern_era_and_32002_in_the_legacy_one() {
    // server/resources, "Error Handling" (2026-07-28): -32602; basic/index: MUST NOT emit -32002.
    let server = common::server();
    let client = stateless(server.clone());
    for uri in ["nothing://here", "tickets://not-a-number"] {
        let error =
            client.request("resources/read", modern(json!({"uri": uri}), json!({}))).await.unwrap_err();
        assert_eq!(error.code, -32602, "{uri}");
    }
    let legacy = TestClient::connect(server).await;
    let error = legacy.request("resources/read", json!({"uri": "nothing://here"})).await.unwrap_err();
    assert_eq!(error.code, -32002);
}

#[tokio::test]
async fn log_messages_follow_the_requests_own_log_level() {
    // server/utilities/logging: servers MUST NOT emit notifications/message for requests that
    // did not include io.modelcontextprotocol/logLevel.
    let client = stateless(common::server());
    client.request("tools/call", modern(json!({"name": "log"}), json!({}))).await.unwrap();
    assert!(client.notifications("notifications/message").is_empty());

    let mut params = modern(json!({"name": "log"}), json!({}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("warning");
    client.request("tools/call", params).await.unwrap();
    let logs = client.notifications("notifications/message");
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["level"], "warning");
}

#[tokio::test]
async fn the_same_elicit_call_is_a_request_to_the_client_in_legacy_and_a_round_trip_in_modern() {
    // basic/patterns/mrtr: the server answers InputRequiredResult with inputRequests and
    // requestState; the client retries with inputResponses and the echoed state.
    let client = stateless(common::server());
    let caps = json!({"elicitation": {}});
    let first = client.request("tools/call", modern(json!({"name": "confirm"}), caps.clone())).await.unwrap();
    assert_eq!(first["resultType"], "input_required");
    assert_eq!(first["inputRequests"]["elicitation-1"]["method"], "elicitation/create");
    assert_eq!(first["inputRequests"]["elicitation-1"]["params"]["message"], "Really?");
    let state = first["requestState"].as_str().expect("a requestState").to_owned();
    assert!(first.get("content").is_none());
    // Nothing was sent to the client as a request: there is no channel for one.
    assert!(client.received().iter().all(|m| m.method() != Some("elicitation/create")));

    let retry = modern(
        json!({
            "name": "confirm",
            "inputResponses": {"elicitation-1": {"action": "accept", "content": {"ok": true}}},
            "requestState": state,
        }),
        caps,
    );
    let done = client.request("tools/call", retry).await.unwrap();
    assert_eq!(done["resultType"], "complete");
    assert_eq!(done["content"][0]["text"], r#"Accept {"ok":true}"#);
}

#[tokio::test]
async fn a_missing_answer_is_asked_for_again_not_an_error() {
    // basic/patterns/mrtr, "Error Handling": SHOULD respond with a new InputRequiredResult.
    let client = stateless(common::server());
    let caps = json!({"elicitation": {}});
    let retry =
        modern(json!({"name": "confirm", "inputResponses": {"wrong_key": {"action": "accept"}}}), caps);
    let again = client.request("tools/call", retry).await.unwrap();
    assert_eq!(again["resultType"], "input_required");
    assert!(again["inputRequests"].get("elicitation-1").is_some());
}

#[tokio::test]
async fn tampered_or_misplaced_request_state_is_refused() {
    // basic/patterns/mrtr, "Server Requirements" 4 and 5: treat requestState as attacker
    // controlled, reject state that fails verification, bind it to the originating request.
    let client = stateless(common::server());
    let caps = json!({"elicitation": {}});
    let first = client.request("tools/call", modern(json!({"name": "confirm"}), caps.clone())).await.unwrap();
    let state = first["requestState"].as_str().unwrap().to_owned();
    let mut tampered = state.clone().into_bytes();
    tampered[3] = if tampered[3] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let answer = json!({"elicitation-1": {"action": "accept", "content": {"ok": true}}});
    let error = client
        .request(
            "tools/call",
            modern(
                json!({"name": "confirm", "inputResponses": answer, "requestState": tampered}),
                caps.clone(),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, -32602);
    assert!(error.message.contains("requestState"), "{}", error.message);

    // The genuine state presented on another tool's call.
    let error = client
        .request(
            "tools/call",
            modern(json!({"name": "echo", "arguments": {"text": "x"}, "requestState": state}), caps),
        )
        .await
        .unwrap_err();
    assert!(error.message.contains("different request"), "{}", error.message);
}

#[tokio::test]
async fn input_the_request_has_no_capability_for_is_a_missing_capability_error() {
    // basic/patterns/mrtr: servers MUST NOT send inputRequests the client has not declared.
    // basic/index, "_meta": if processing a request requires a capability the client did not
    // declare, the server MUST return MissingRequiredClientCapabilityError (-32021) whose
    // data.requiredCapabilities lists the missing capabilities (a ClientCapabilities object).
    let client = stateless(common::server());
    let reply = raw(
        &client,
        r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"confirm","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":{}}}}}"#,
    )
    .await;
    assert_eq!(reply["id"], 9);
    assert_eq!(reply["error"]["code"], -32021);
    assert_eq!(reply["error"]["data"], json!({"requiredCapabilities": {"elicitation": {}}}));
    assert!(reply.get("result").is_none());

    // Every capability a handler needed at once is named, even beside an ask it could make.
    let server = common::builder()
        .tool(Tool::read("everything").handler(|ctx, _args| async move {
            let (reply, roots) =
                tokio::join!(ctx.create_message(CreateMessageParams::user("Hi", 20)), ctx.list_roots());
            Ok(CallToolResult::text(format!("{} {}", reply?.model, roots?.roots.len())))
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let error = client
        .request("tools/call", modern(json!({"name": "everything"}), json!({"roots": {}})))
        .await
        .unwrap_err();
    assert_eq!(error.code, -32021);
    assert_eq!(error.data.unwrap(), json!({"requiredCapabilities": {"sampling": {}}}));

    // In the legacy era the handler gets the error (CapabilityMissing) and answers with it.
    let legacy = TestClient::connect(common::server()).await;
    let result = legacy.request("tools/call", json!({"name": "confirm"})).await.unwrap();
    assert_eq!(result["isError"], true);
    assert!(result["content"][0]["text"].as_str().unwrap().contains("elicitation"));
}

#[tokio::test]
async fn concurrent_asks_are_requested_together() {
    let server = common::builder()
        .tool(Tool::read("both").handler(|ctx, _args| async move {
            let keyed = ctx.with_input_key("capital");
            let (reply, roots) = tokio::join!(
                keyed.create_message(CreateMessageParams::user("Capital of France?", 20)),
                ctx.list_roots()
            );
            let reply = reply?;
            let roots = roots?;
            Ok(CallToolResult::text(format!("{} / {}", reply.model, roots.roots.len())))
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let caps = json!({"sampling": {}, "roots": {}});
    let first = client.request("tools/call", modern(json!({"name": "both"}), caps.clone())).await.unwrap();
    let keys: Vec<&String> = first["inputRequests"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["capital", "roots-1"]);
    let answers = json!({
        "capital": {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"},
        "roots-1": {"roots": [{"uri": "file:///a"}]},
    });
    let state = first["requestState"].clone();
    let done = client
        .request(
            "tools/call",
            modern(json!({"name": "both", "inputResponses": answers, "requestState": state}), caps),
        )
        .await
        .unwrap();
    assert_eq!(done["content"][0]["text"], "m / 1");
}

#[tokio::test]
async fn multi_round_answers_accumulate_in_the_request_state() {
    let server = common::builder()
        .tool(Tool::write("two_steps").handler(|ctx, _args| async move {
            let form = json!({"type": "object", "properties": {"v": {"type": "string"}}})
                .as_object()
                .cloned()
                .unwrap();
            let a = ctx.with_input_key("step1").elicit("first?", form.clone()).await?;
            let b = ctx.with_input_key("step2").elicit("second?", form).await?;
            Ok(CallToolResult::text(format!("{} {}", json!(a.content), json!(b.content))))
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let caps = json!({"elicitation": {}});
    let r1 = client.request("tools/call", modern(json!({"name": "two_steps"}), caps.clone())).await.unwrap();
    assert!(r1["inputRequests"].get("step1").is_some());
    let r2 = client
        .request(
            "tools/call",
            modern(
                json!({"name": "two_steps", "inputResponses": {"step1": {"action": "accept", "content": {"v": "a"}}}, "requestState": r1["requestState"]}),
                caps.clone(),
            ),
        )
        .await
        .unwrap();
    assert_eq!(r2["resultType"], "input_required");
    assert!(r2["inputRequests"].get("step2").is_some());
    // Round 3 carries only the second answer; the first comes back from the state.
    let r3 = client
        .request(
            "tools/call",
            modern(
                json!({"name": "two_steps", "inputResponses": {"step2": {"action": "accept", "content": {"v": "b"}}}, "requestState": r2["requestState"]}),
                caps,
            ),
        )
        .await
        .unwrap();
    assert_eq!(r3["content"][0]["text"], r#"{"v":"a"} {"v":"b"}"#);
}

#[tokio::test]
async fn capabilities_come_from_each_request_not_from_the_handshake() {
    // basic/index, "Statelessness": servers MUST NOT rely on prior requests to establish
    // capabilities. A session initialized without sampling still serves a modern request that
    // declares it.
    let client = TestClient::connect(common::server()).await;
    let result =
        client.request("tools/call", modern(json!({"name": "ask_model"}), json!({"sampling": {}}))).await;
    assert_eq!(result.unwrap()["resultType"], "input_required");
}

#[tokio::test]
async fn subscriptions_listen_acknowledges_then_streams_only_what_was_asked_tagged_with_its_id() {
    // basic/patterns/subscriptions: acknowledgement first, every message tagged with
    // io.modelcontextprotocol/subscriptionId (the request's id), nothing not requested,
    // graceful closure answers the request.
    let server = common::server();
    let client = stateless(server.clone());
    let listen = client.request(
        "subscriptions/listen",
        modern(
            json!({"notifications": {"toolsListChanged": true, "resourceSubscriptions": ["docs://readme"]}}),
            json!({}),
        ),
    );
    let changes = async {
        client
            .wait_for_notification("notifications/subscriptions/acknowledged", Duration::from_secs(5))
            .await;
        server
            .add_prompt(mcp_connector_core::Prompt::new("later").handler(|_ctx, _args| async move {
                Ok(mcp_connector_core::protocol::GetPromptResult::new(vec![]))
            }))
            .unwrap();
        server
            .add_tool(Tool::read("late").handler(|_ctx, _args| async move { Ok(CallToolResult::text("x")) }))
            .unwrap();
        server.notify_resource_updated("docs://other");
        server.notify_resource_updated("docs://readme");
        client.wait_for_notification("notifications/resources/updated", Duration::from_secs(5)).await;
        server.close_subscriptions();
    };
    let (result, ()) = tokio::join!(listen, changes);
    let result = result.unwrap();
    let id = json!(1);
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["_meta"]["io.modelcontextprotocol/subscriptionId"], id);

    let seen: Vec<(String, Value)> = client
        .received()
        .into_iter()
        .filter_map(|m| match m {
            mcp_connector_core::jsonrpc::Message::Notification(n) => {
                Some((n.method, n.params.unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    let methods: Vec<&str> = seen.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        methods,
        [
            "notifications/subscriptions/acknowledged",
            "notifications/tools/list_changed",
            "notifications/resources/updated"
        ]
    );
    for (_, params) in &seen {
        assert_eq!(params["_meta"]["io.modelcontextprotocol/subscriptionId"], id);
    }
    assert_eq!(
        seen[0].1["notifications"],
        json!({"toolsListChanged": true, "resourceSubscriptions": ["docs://readme"]})
    );
    assert_eq!(seen[2].1["uri"], "docs://readme");
}

#[tokio::test]
async fn an_answer_counts_only_for_the_question_it_was_given_to() {
    // A "yes" to "delete a?" must not delete `b` that appeared before the retry: the state
    // records what was asked, and a changed question is asked again.
    use std::sync::{Arc, Mutex};
    let files = Arc::new(Mutex::new(vec!["a".to_owned()]));
    let listed = files.clone();
    let server = common::builder()
        .tool(Tool::write("delete_all").handler(move |ctx, _args| {
            let files = listed.clone();
            async move {
                let doomed = files.lock().unwrap().clone();
                let form = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}});
                let answer = ctx
                    .elicit(format!("Delete {}?", doomed.join(", ")), form.as_object().cloned().unwrap())
                    .await?;
                Ok(CallToolResult::text(format!("{:?}: deleted {}", answer.action, doomed.join(", "))))
            }
        }))
        .build()
        .unwrap();
    let client = stateless(server);
    let caps = json!({"elicitation": {}});
    let yes = json!({"elicitation-1": {"action": "accept", "content": {"ok": true}}});
    let first =
        client.request("tools/call", modern(json!({"name": "delete_all"}), caps.clone())).await.unwrap();
    assert_eq!(first["inputRequests"]["elicitation-1"]["params"]["message"], "Delete a?");

    files.lock().unwrap().push("b".into());
    let retry = modern(
        json!({"name": "delete_all", "inputResponses": yes, "requestState": first["requestState"]}),
        caps.clone(),
    );
    let again = client.request("tools/call", retry).await.unwrap();
    assert_eq!(again["resultType"], "input_required", "the stale yes was applied: {again}");
    assert_eq!(again["inputRequests"]["elicitation-1"]["params"]["message"], "Delete a, b?");

    let retry = modern(
        json!({"name": "delete_all", "inputResponses": yes, "requestState": again["requestState"]}),
        caps,
    );
    let done = client.request("tools/call", retry).await.unwrap();
    assert_eq!(done["content"][0]["text"], "Accept: deleted a, b");
}

#[test]
fn a_tool_whose_x_mcp_header_breaks_the_rules_does_not_build() {
    // server/tools, "x-mcp-header": allowed on string, integer and boolean properties only.
    let bad = Tool::read("bad")
        .input_schema(
            json!({"type": "object", "properties": {"amount": {"type": "number", "x-mcp-header": "Amount"}}}),
        )
        .handler(|_ctx, _args| async move { Ok(CallToolResult::text("x")) });
    let error = Server::builder("s", "1").tool(bad).build().unwrap_err();
    assert!(error.to_string().contains("x-mcp-header") || error.to_string().contains("number"), "{error}");
    let good = Tool::read("good")
        .input_schema(
            json!({"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}}),
        )
        .handler(|_ctx, _args| async move { Ok(CallToolResult::text("x")) });
    assert!(Server::builder("s", "1").tool(good).build().is_ok());
}
