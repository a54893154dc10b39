//! The conformance fixtures answer as the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server scenarios at 2025-11-25 and 2026-07-28) expects:
//! each test is named after the scenario it stands in for and checks what that scenario checks,
//! through the in-process `TestClient`, so a drift shows up without Node or the HTTP transport.
//! The 2026-07-28 tests send what the suite's stateless client sends (no `initialize`, the
//! protocol version and capabilities in every request's `_meta`); where a fixture also means
//! something in 2025-11-25 (a tool that asks the client for input), a test checks that era too.

use std::time::Duration;

use examples::conformance_fixtures::server;
use mcp_connector_core::jsonrpc::{ErrorObject, Message};
use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};

/// The capabilities the suite's client declares.
fn suite_capabilities() -> Value {
    json!({ "sampling": {}, "elicitation": {} })
}

async fn client() -> TestClient {
    TestClient::connect(server().expect("the fixtures build")).await
}

/// A client that declares what the suite declares and answers the server's requests with
/// `respond`.
async fn answering_client(
    respond: impl Fn(&str, Value) -> Result<Value, ErrorObject> + Send + Sync + 'static,
) -> TestClient {
    TestClient::builder(server().expect("the fixtures build"))
        .protocol_version("2025-11-25")
        .capabilities(suite_capabilities())
        .on_request(respond)
        .connect()
        .await
}

/// The params of every request the server sent the client with this method.
fn requests_to_client(client: &TestClient, method: &str) -> Vec<Value> {
    client
        .received()
        .into_iter()
        .filter_map(|m| match m {
            Message::Request(r) if r.method == method => Some(r.params.unwrap_or(Value::Null)),
            _ => None,
        })
        .collect()
}

async fn call(client: &TestClient, name: &str, arguments: Value) -> Value {
    client
        .request("tools/call", json!({ "name": name, "arguments": arguments }))
        .await
        .expect("tools/call answers")
}

fn is_base64(s: &str) -> bool {
    !s.is_empty()
        && s.len().is_multiple_of(4)
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[tokio::test]
async fn server_initialize_declares_every_capability_the_scenarios_use() {
    let client = TestClient::builder(server().expect("the fixtures build")).connect_without_initialize();
    let init = client
        .request(
            "initialize",
            json!({
                "protocolVersion": "2025-11-25",
                "capabilities": suite_capabilities(),
                "clientInfo": { "name": "conformance-test-client", "version": "1.0.0" }
            }),
        )
        .await
        .expect("initialize answers");
    assert_eq!(init["protocolVersion"], "2025-11-25");
    assert!(init["serverInfo"]["name"].is_string() && init["serverInfo"]["version"].is_string());
    let caps = &init["capabilities"];
    for capability in ["tools", "resources", "prompts", "logging", "completions"] {
        assert!(caps[capability].is_object(), "capability {capability} missing from {caps}");
    }
    assert_eq!(caps["resources"]["subscribe"], true, "resources-subscribe needs `subscribe: true`");
}

#[tokio::test]
async fn ping_and_logging_set_level_answer_with_an_empty_object() {
    let client = client().await;
    assert_eq!(client.request("ping", json!({})).await.expect("ping"), json!({}));
    assert_eq!(
        client.request("logging/setLevel", json!({ "level": "info" })).await.expect("setLevel"),
        json!({})
    );
}

#[tokio::test]
async fn tools_list_has_every_fixture_with_a_description_and_an_object_schema() {
    let client = client().await;
    let tools = client.list_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    for expected in [
        "test_simple_text",
        "test_image_content",
        "test_audio_content",
        "test_embedded_resource",
        "test_multiple_content_types",
        "test_tool_with_logging",
        "test_tool_with_progress",
        "test_error_handling",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "test_reconnection",
        "json_schema_2020_12_tool",
        "test_input_required_result_elicitation",
        "test_input_required_result_sampling",
        "test_input_required_result_list_roots",
        "test_input_required_result_request_state",
        "test_input_required_result_multiple_inputs",
        "test_input_required_result_multi_round",
        "test_input_required_result_tampered_state",
        "test_input_required_result_capabilities",
        "test_missing_capability",
        "test_streaming_elicitation",
        "test_logging_tool",
        "test_trigger_tool_change",
        "test_trigger_prompt_change",
        "test_custom_headers",
    ] {
        assert!(names.contains(&expected), "tool {expected} missing; got {names:?}");
    }
    for tool in &tools {
        let name = tool["name"].as_str().expect("a name");
        // SEP-986, as the suite's tools-name-format check reads it.
        assert!(
            (1..=64).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-')),
            "tool name {name:?} breaks SEP-986"
        );
        assert!(tool["description"].as_str().is_some_and(|d| !d.is_empty()), "{name} has no description");
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}'s inputSchema root is not an object");
        // The two hooks that change the tool and prompt lists say so; no other fixture
        // changes anything.
        let changes_lists = name.starts_with("test_trigger_");
        assert_eq!(tool["annotations"]["readOnlyHint"], !changes_lists, "{name}'s readOnlyHint");
    }
}

#[tokio::test]
async fn tools_call_simple_text_returns_the_expected_text_even_without_arguments() {
    let client = client().await;
    // The suite omits `arguments` for this call.
    let result = client.request("tools/call", json!({ "name": "test_simple_text" })).await.expect("call");
    assert_eq!(
        result["content"],
        json!([{ "type": "text", "text": "This is a simple text response for testing." }])
    );
    assert!(result.get("isError").is_none_or(|e| e == false));
}

#[tokio::test]
async fn tools_call_image_returns_a_base64_png() {
    let result = call(&client().await, "test_image_content", json!({})).await;
    let image = &result["content"][0];
    assert_eq!(image["type"], "image");
    assert_eq!(image["mimeType"], "image/png");
    let data = image["data"].as_str().expect("data");
    assert!(is_base64(data) && data.starts_with("iVBORw0KGgo"), "not a base64 PNG: {data}");
}

#[tokio::test]
async fn tools_call_audio_returns_a_base64_wav() {
    let result = call(&client().await, "test_audio_content", json!({})).await;
    let audio = &result["content"][0];
    assert_eq!(audio["type"], "audio");
    assert_eq!(audio["mimeType"], "audio/wav");
    let data = audio["data"].as_str().expect("data");
    // "UklGR" is base64 for "RIFF".
    assert!(is_base64(data) && data.starts_with("UklGR"), "not a base64 WAV: {data}");
}

#[tokio::test]
async fn tools_call_embedded_resource_returns_a_text_resource_with_uri_and_mime_type() {
    let result = call(&client().await, "test_embedded_resource", json!({})).await;
    assert_eq!(
        result["content"],
        json!([{
            "type": "resource",
            "resource": {
                "uri": "test://embedded-resource",
                "mimeType": "text/plain",
                "text": "This is an embedded resource content."
            }
        }])
    );
}

#[tokio::test]
async fn tools_call_mixed_content_returns_text_image_and_resource() {
    let result = call(&client().await, "test_multiple_content_types", json!({})).await;
    let types: Vec<&str> =
        result["content"].as_array().expect("content").iter().filter_map(|c| c["type"].as_str()).collect();
    assert_eq!(types, ["text", "image", "resource"]);
    let resource = &result["content"][2]["resource"];
    assert_eq!(resource["uri"], "test://mixed-content-resource");
    assert_eq!(resource["mimeType"], "application/json");
    let text: Value = serde_json::from_str(resource["text"].as_str().expect("text")).expect("JSON text");
    assert_eq!(text, json!({ "test": "data", "value": 123 }));
}

#[tokio::test]
async fn tools_call_with_logging_sends_three_info_messages_during_the_call() {
    let client = client().await;
    client.request("logging/setLevel", json!({ "level": "debug" })).await.expect("setLevel");
    let result = call(&client, "test_tool_with_logging", json!({})).await;
    assert!(result["content"][0]["text"].is_string());
    let logs = client.notifications("notifications/message");
    let data: Vec<&str> = logs.iter().filter_map(|l| l["data"].as_str()).collect();
    assert_eq!(data, ["Tool execution started", "Tool processing data", "Tool execution completed"]);
    assert!(logs.iter().all(|l| l["level"] == "info"), "{logs:?}");
}

#[tokio::test]
async fn logging_set_level_filters_the_fixture_logs() {
    let client = client().await;
    client.request("logging/setLevel", json!({ "level": "warning" })).await.expect("setLevel");
    call(&client, "test_tool_with_logging", json!({})).await;
    assert!(client.notifications("notifications/message").is_empty());
}

#[tokio::test]
async fn tools_call_with_progress_reports_0_50_100_of_100_with_the_request_token() {
    let client = client().await;
    let result = client
        .request(
            "tools/call",
            json!({ "name": "test_tool_with_progress", "arguments": {}, "_meta": { "progressToken": "progress-test-1" } }),
        )
        .await
        .expect("call");
    assert!(result["content"][0]["text"].is_string());
    let progress = client.notifications("notifications/progress");
    assert_eq!(progress.len(), 3, "{progress:?}");
    for (update, expected) in progress.iter().zip([0.0, 50.0, 100.0]) {
        assert_eq!(update["progressToken"], "progress-test-1");
        assert_eq!(update["progress"].as_f64(), Some(expected));
        assert_eq!(update["total"].as_f64(), Some(100.0));
    }
}

#[tokio::test]
async fn tools_call_error_is_a_result_with_is_error_and_a_message() {
    let result = call(&client().await, "test_error_handling", json!({})).await;
    assert_eq!(result["isError"], true);
    assert_eq!(result["content"][0]["text"], "This tool intentionally returns an error for testing");
}

#[tokio::test]
async fn tools_call_sampling_asks_the_client_and_returns_its_answer() {
    let client = answering_client(|method, _params| {
        assert_eq!(method, "sampling/createMessage");
        Ok(json!({
            "role": "assistant",
            "content": { "type": "text", "text": "This is a test response from the client" },
            "model": "test-model",
            "stopReason": "endTurn"
        }))
    })
    .await;
    let result = call(&client, "test_sampling", json!({ "prompt": "Test prompt for sampling" })).await;
    let asked = requests_to_client(&client, "sampling/createMessage");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["maxTokens"], 100);
    assert_eq!(
        asked[0]["messages"],
        json!([{ "role": "user", "content": { "type": "text", "text": "Test prompt for sampling" } }])
    );
    assert_eq!(result["content"][0]["text"], "LLM response: This is a test response from the client");
}

#[tokio::test]
async fn tools_call_sampling_without_the_capability_is_a_tool_error() {
    let result = call(&client().await, "test_sampling", json!({ "prompt": "hi" })).await;
    assert_eq!(result["isError"], true);
}

#[tokio::test]
async fn tools_call_elicitation_asks_for_username_and_email_and_reports_the_answer() {
    let client = answering_client(|_method, _params| {
        Ok(json!({ "action": "accept", "content": { "username": "testuser", "email": "test@example.com" } }))
    })
    .await;
    let result =
        call(&client, "test_elicitation", json!({ "message": "Please provide your information" })).await;
    let asked = requests_to_client(&client, "elicitation/create");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["message"], "Please provide your information");
    let schema = &asked[0]["requestedSchema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["properties"]["username"]["type"], "string");
    assert_eq!(schema["properties"]["email"]["type"], "string");
    let text = result["content"][0]["text"].as_str().expect("text");
    assert!(text.starts_with("User response: action=accept") && text.contains("testuser"), "{text}");
}

#[tokio::test]
async fn elicitation_sep1034_defaults_sends_a_default_for_every_primitive_type() {
    let client = answering_client(|_method, _params| Ok(json!({ "action": "decline" }))).await;
    let result = call(&client, "test_elicitation_sep1034_defaults", json!({})).await;
    let asked = requests_to_client(&client, "elicitation/create");
    let properties = &asked[0]["requestedSchema"]["properties"];
    assert_eq!(properties["name"]["type"], "string");
    assert_eq!(properties["name"]["default"], "John Doe");
    assert_eq!(properties["age"]["type"], "integer");
    assert_eq!(properties["age"]["default"], 30);
    assert_eq!(properties["score"]["type"], "number");
    assert_eq!(properties["score"]["default"], 95.5);
    assert_eq!(properties["status"]["type"], "string");
    assert_eq!(properties["status"]["enum"], json!(["active", "inactive", "pending"]));
    assert_eq!(properties["status"]["default"], "active");
    assert_eq!(properties["verified"]["type"], "boolean");
    assert_eq!(properties["verified"]["default"], true);
    assert_eq!(result["content"][0]["text"], "Elicitation completed: action=decline, content={}");
}

#[tokio::test]
async fn elicitation_sep1330_enums_sends_all_five_enum_shapes() {
    let client = answering_client(|_method, _params| Ok(json!({ "action": "cancel" }))).await;
    call(&client, "test_elicitation_sep1330_enums", json!({})).await;
    let asked = requests_to_client(&client, "elicitation/create");
    let p = &asked[0]["requestedSchema"]["properties"];
    let titled = |options: &Value| {
        options.as_array().is_some_and(|o| {
            !o.is_empty() && o.iter().all(|i| i["const"].is_string() && i["title"].is_string())
        })
    };

    assert_eq!(p["untitledSingle"]["type"], "string");
    assert!(p["untitledSingle"]["enum"].is_array());
    assert!(p["untitledSingle"].get("oneOf").is_none() && p["untitledSingle"].get("enumNames").is_none());

    assert_eq!(p["titledSingle"]["type"], "string");
    assert!(titled(&p["titledSingle"]["oneOf"]) && p["titledSingle"].get("enum").is_none());

    assert_eq!(p["legacyEnum"]["type"], "string");
    let (values, names) = (&p["legacyEnum"]["enum"], &p["legacyEnum"]["enumNames"]);
    assert!(values.is_array() && names.as_array().map(Vec::len) == values.as_array().map(Vec::len));

    assert_eq!(p["untitledMulti"]["type"], "array");
    assert_eq!(p["untitledMulti"]["items"]["type"], "string");
    assert!(
        p["untitledMulti"]["items"]["enum"].is_array() && p["untitledMulti"]["items"].get("anyOf").is_none()
    );

    assert_eq!(p["titledMulti"]["type"], "array");
    assert!(titled(&p["titledMulti"]["items"]["anyOf"]) && p["titledMulti"]["items"].get("enum").is_none());
}

#[tokio::test]
async fn json_schema_2020_12_tool_keeps_its_schema_keywords_in_tools_list() {
    let tools = client().await.list_tools().await.expect("tools/list");
    let tool = tools.iter().find(|t| t["name"] == "json_schema_2020_12_tool").expect("the tool");
    assert_eq!(tool["description"], "Tool with JSON Schema 2020-12 features");
    let schema = &tool["inputSchema"];
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["$defs"]["address"]["$anchor"], "addressDef");
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["allOf"][0]["anyOf"].is_array());
    for keyword in ["if", "then", "else"] {
        assert!(schema[keyword].is_object(), "{keyword} was stripped");
    }
}

#[tokio::test]
async fn resources_list_has_the_static_resources_and_templates_list_the_template() {
    let client = client().await;
    let resources = client.list_all("resources/list", "resources").await.expect("resources/list");
    for resource in &resources {
        assert!(
            resource["uri"].is_string()
                && resource["name"].is_string()
                && resource["description"].is_string()
        );
    }
    let uris: Vec<&str> = resources.iter().filter_map(|r| r["uri"].as_str()).collect();
    for expected in ["test://static-text", "test://static-binary", "test://watched-resource"] {
        assert!(uris.contains(&expected), "{expected} missing from {uris:?}");
    }
    let templates = client
        .list_all("resources/templates/list", "resourceTemplates")
        .await
        .expect("resources/templates/list");
    assert!(templates.iter().any(|t| t["uriTemplate"] == "test://template/{id}/data"), "{templates:?}");
}

#[tokio::test]
async fn resources_read_text_returns_text_with_mime_type() {
    let read =
        client().await.request("resources/read", json!({ "uri": "test://static-text" })).await.expect("read");
    assert_eq!(
        read["contents"],
        json!([{
            "uri": "test://static-text",
            "mimeType": "text/plain",
            "text": "This is the content of the static text resource."
        }])
    );
}

#[tokio::test]
async fn resources_read_binary_returns_a_base64_blob_with_mime_type() {
    let read = client()
        .await
        .request("resources/read", json!({ "uri": "test://static-binary" }))
        .await
        .expect("read");
    let content = &read["contents"][0];
    assert_eq!(content["uri"], "test://static-binary");
    assert_eq!(content["mimeType"], "image/png");
    assert!(is_base64(content["blob"].as_str().expect("blob")));
    assert!(content.get("text").is_none());
}

#[tokio::test]
async fn resources_templates_read_substitutes_the_id() {
    let read = client()
        .await
        .request("resources/read", json!({ "uri": "test://template/123/data" }))
        .await
        .expect("read");
    let content = &read["contents"][0];
    assert_eq!(content["uri"], "test://template/123/data");
    assert_eq!(content["mimeType"], "application/json");
    let data: Value = serde_json::from_str(content["text"].as_str().expect("text")).expect("JSON text");
    assert_eq!(data, json!({ "id": "123", "templateTest": true, "data": "Data for ID: 123" }));
}

#[tokio::test]
async fn resources_subscribe_and_unsubscribe_answer_with_an_empty_object() {
    let client = client().await;
    let uri = json!({ "uri": "test://watched-resource" });
    assert_eq!(client.request("resources/subscribe", uri.clone()).await.expect("subscribe"), json!({}));
    assert_eq!(client.request("resources/unsubscribe", uri).await.expect("unsubscribe"), json!({}));
}

#[tokio::test]
async fn resources_subscribe_then_an_update_reaches_the_subscriber() {
    let server = server().expect("the fixtures build");
    let client = TestClient::connect(server.clone()).await;
    client
        .request("resources/subscribe", json!({ "uri": "test://watched-resource" }))
        .await
        .expect("subscribe");
    server.notify_resource_updated("test://watched-resource");
    let update =
        client.wait_for_notification("notifications/resources/updated", Duration::from_secs(5)).await;
    assert_eq!(update, Some(json!({ "uri": "test://watched-resource" })));
}

#[tokio::test]
async fn prompts_list_has_every_fixture_with_a_description() {
    let prompts = client().await.list_all("prompts/list", "prompts").await.expect("prompts/list");
    for prompt in &prompts {
        assert!(prompt["description"].as_str().is_some_and(|d| !d.is_empty()), "{prompt}");
    }
    let names: Vec<&str> = prompts.iter().filter_map(|p| p["name"].as_str()).collect();
    for expected in [
        "test_simple_prompt",
        "test_prompt_with_arguments",
        "test_prompt_with_embedded_resource",
        "test_prompt_with_image",
        "test_input_required_result_prompt",
    ] {
        assert!(names.contains(&expected), "prompt {expected} missing; got {names:?}");
    }
    let with_args = prompts.iter().find(|p| p["name"] == "test_prompt_with_arguments").expect("the prompt");
    assert_eq!(
        with_args["arguments"]
            .as_array()
            .map(|a| a.iter().map(|x| (x["name"].clone(), x["required"].clone())).collect::<Vec<_>>()),
        Some(vec![(json!("arg1"), json!(true)), (json!("arg2"), json!(true))])
    );
}

#[tokio::test]
async fn prompts_get_simple_returns_one_user_text_message() {
    let got =
        client().await.request("prompts/get", json!({ "name": "test_simple_prompt" })).await.expect("get");
    assert_eq!(
        got["messages"],
        json!([{ "role": "user", "content": { "type": "text", "text": "This is a simple prompt for testing." } }])
    );
}

#[tokio::test]
async fn prompts_get_with_args_substitutes_both_arguments() {
    let got = client()
        .await
        .request(
            "prompts/get",
            json!({ "name": "test_prompt_with_arguments", "arguments": { "arg1": "testValue1", "arg2": "testValue2" } }),
        )
        .await
        .expect("get");
    assert_eq!(
        got["messages"][0]["content"]["text"],
        "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
    );
}

#[tokio::test]
async fn prompts_get_embedded_resource_embeds_the_given_uri() {
    let got = client()
        .await
        .request(
            "prompts/get",
            json!({ "name": "test_prompt_with_embedded_resource", "arguments": { "resourceUri": "test://example-resource" } }),
        )
        .await
        .expect("get");
    let first = &got["messages"][0];
    assert_eq!(first["role"], "user");
    assert_eq!(first["content"]["type"], "resource");
    assert_eq!(first["content"]["resource"]["uri"], "test://example-resource");
    assert_eq!(first["content"]["resource"]["mimeType"], "text/plain");
    assert!(first["content"]["resource"]["text"].is_string());
    assert_eq!(got["messages"][1]["content"]["type"], "text");
}

#[tokio::test]
async fn prompts_get_with_image_returns_an_image_message() {
    let got = client()
        .await
        .request("prompts/get", json!({ "name": "test_prompt_with_image" }))
        .await
        .expect("get");
    let image = &got["messages"][0]["content"];
    assert_eq!(image["type"], "image");
    assert_eq!(image["mimeType"], "image/png");
    assert!(is_base64(image["data"].as_str().expect("data")));
    assert_eq!(got["messages"][1]["content"]["type"], "text");
}

#[tokio::test]
async fn completion_complete_suggests_values_for_the_prompt_argument() {
    let client = client().await;
    let complete = |value: &str| {
        client.request(
            "completion/complete",
            json!({
                "ref": { "type": "ref/prompt", "name": "test_prompt_with_arguments" },
                "argument": { "name": "arg1", "value": value }
            }),
        )
    };
    // What the suite sends: any array of values passes.
    let result = complete("test").await.expect("complete");
    assert!(result["completion"]["values"].is_array(), "{result}");
    assert_eq!(
        complete("par").await.expect("complete")["completion"]["values"],
        json!(["paris", "park", "party"])
    );
}

#[tokio::test]
async fn completion_complete_suggests_template_ids() {
    let result = client()
        .await
        .request(
            "completion/complete",
            json!({
                "ref": { "type": "ref/resource", "uri": "test://template/{id}/data" },
                "argument": { "name": "id", "value": "12" }
            }),
        )
        .await
        .expect("complete");
    assert_eq!(result["completion"]["values"], json!(["123"]));
}

#[tokio::test]
async fn test_reconnection_answers_after_a_short_wait() {
    let result = call(&client().await, "test_reconnection", json!({})).await;
    assert!(result["content"][0]["text"].is_string());
    assert!(result.get("isError").is_none_or(|e| e == false));
}

// --- 2026-07-28 ---------------------------------------------------------------------------

/// The protocol revision the suite's stateless client speaks.
const MODERN: &str = "2026-07-28";

/// What the suite's stateless client declares on every request unless a scenario says
/// otherwise (`DEFAULT_CLIENT_CAPABILITIES` in its `connection/stateless.ts`).
fn modern_capabilities() -> Value {
    json!({ "sampling": {}, "elicitation": {}, "roots": { "listChanged": true } })
}

/// `params` with the `_meta` every 2026-07-28 request carries.
fn modern(mut params: Value, capabilities: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": { "name": "conformance-test-client", "version": "1.0.0" },
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    params
}

/// A 2026-07-28 client: no `initialize`, no session.
fn stateless_client() -> TestClient {
    TestClient::builder(server().expect("the fixtures build")).connect_without_initialize()
}

/// `tools/call` in 2026-07-28 with the suite's default capabilities; `extra` adds
/// `inputResponses`, `requestState` or `arguments`.
async fn modern_call(client: &TestClient, name: &str, extra: Value) -> Result<Value, ErrorObject> {
    let mut params = json!({ "name": name, "arguments": {} });
    if let (Value::Object(params), Value::Object(extra)) = (&mut params, extra) {
        params.extend(extra);
    }
    client.request("tools/call", modern(params, modern_capabilities())).await
}

/// The suite's answers (`mockElicitResponse`, `mockSamplingResponse`, `mockListRootsResponse`).
fn accept(content: Value) -> Value {
    json!({ "action": "accept", "content": content })
}
fn sampled(text: &str) -> Value {
    json!({ "role": "assistant", "content": { "type": "text", "text": text }, "model": "test-model", "stopReason": "endTurn" })
}
fn test_roots() -> Value {
    json!({ "roots": [{ "uri": "file:///test/root", "name": "Test Root" }] })
}

/// The keys of a result's `inputRequests`, with the method of each.
fn input_requests(result: &Value) -> Vec<(String, String)> {
    assert_eq!(result["resultType"], "input_required", "{result}");
    result["inputRequests"]
        .as_object()
        .expect("inputRequests")
        .iter()
        .map(|(key, request)| (key.clone(), request["method"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn text_of(result: &Value) -> &str {
    assert_eq!(result["resultType"], "complete", "{result}");
    result["content"][0]["text"].as_str().expect("a text block")
}

/// A 2025-11-25 client declaring the suite's capabilities plus roots, answering every request
/// from the server the way the suite's mocks do.
async fn legacy_answering_client() -> TestClient {
    TestClient::builder(server().expect("the fixtures build"))
        .protocol_version("2025-11-25")
        .capabilities(json!({ "sampling": {}, "elicitation": {}, "roots": {} }))
        .on_request(|method, params| match method {
            "elicitation/create" => {
                let fields = params["requestedSchema"]["properties"].as_object().cloned().unwrap_or_default();
                Ok(accept(match () {
                    _ if fields.contains_key("name") => json!({ "name": "Alice" }),
                    _ if fields.contains_key("color") => json!({ "color": "blue" }),
                    _ if fields.contains_key("ok") => json!({ "ok": true }),
                    _ => json!({ "context": "test context" }),
                }))
            }
            "sampling/createMessage" => Ok(sampled("The capital of France is Paris.")),
            "roots/list" => Ok(test_roots()),
            other => panic!("unexpected request {other}"),
        })
        .connect()
        .await
}

#[tokio::test]
async fn input_required_result_basic_elicitation_asks_under_user_name_then_greets() {
    let client = stateless_client();
    let r1 = modern_call(&client, "test_input_required_result_elicitation", json!({})).await.unwrap();
    // input-required-result-result-type: resultType is explicit.
    assert_eq!(input_requests(&r1), [("user_name".to_owned(), "elicitation/create".to_owned())]);
    let asked = &r1["inputRequests"]["user_name"]["params"];
    assert_eq!(asked["message"], "What is your name?");
    assert_eq!(asked["requestedSchema"]["type"], "object");
    assert_eq!(asked["requestedSchema"]["properties"]["name"]["type"], "string");
    assert_eq!(asked["requestedSchema"]["required"], json!(["name"]));
    assert!(r1["requestState"].is_string());
    // Nothing went to the client as a request: there is no session to send one on.
    assert!(client.received().iter().all(|m| !matches!(m, Message::Request(_))));

    let r2 = modern_call(
        &client,
        "test_input_required_result_elicitation",
        json!({ "inputResponses": { "user_name": accept(json!({ "name": "Alice" })) }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r2), "Hello, Alice!");
}

#[tokio::test]
async fn input_required_result_fixtures_ask_the_client_directly_in_2025_11_25() {
    let client = legacy_answering_client().await;
    let greeting = call(&client, "test_input_required_result_elicitation", json!({})).await;
    assert_eq!(greeting["content"][0]["text"], "Hello, Alice!");
    let asked = requests_to_client(&client, "elicitation/create");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["message"], "What is your name?");

    let capital = call(&client, "test_input_required_result_sampling", json!({})).await;
    assert!(capital["content"][0]["text"].as_str().unwrap().contains("Paris"), "{capital}");
    let roots = call(&client, "test_input_required_result_list_roots", json!({})).await;
    assert_eq!(roots["content"][0]["text"], "The client's roots: file:///test/root");
    let all = call(&client, "test_input_required_result_multiple_inputs", json!({})).await;
    assert!(all["content"][0]["text"].as_str().unwrap().contains("Alice"), "{all}");
    let rounds = call(&client, "test_input_required_result_multi_round", json!({})).await;
    assert_eq!(rounds["content"][0]["text"], "Alice's favorite color is blue.");
    let prompt = client
        .request("prompts/get", json!({ "name": "test_input_required_result_prompt" }))
        .await
        .expect("prompts/get");
    assert!(prompt["messages"][0]["content"]["text"].as_str().unwrap().contains("test context"));
    // Every input came by a request to the client, none by a retry.
    assert_eq!(requests_to_client(&client, "roots/list").len(), 2);
    assert!(prompt.get("resultType").is_none(), "2025-11-25 results have no resultType");
}

#[tokio::test]
async fn input_required_result_basic_sampling_asks_under_capital_question() {
    let client = stateless_client();
    let r1 = modern_call(&client, "test_input_required_result_sampling", json!({})).await.unwrap();
    assert_eq!(input_requests(&r1), [("capital_question".to_owned(), "sampling/createMessage".to_owned())]);
    let asked = &r1["inputRequests"]["capital_question"]["params"];
    assert_eq!(asked["maxTokens"], 100);
    assert_eq!(
        asked["messages"],
        json!([{ "role": "user", "content": { "type": "text", "text": "What is the capital of France?" } }])
    );
    let r2 = modern_call(
        &client,
        "test_input_required_result_sampling",
        json!({ "inputResponses": { "capital_question": sampled("The capital of France is Paris.") }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r2), "The model (test-model) answered: The capital of France is Paris.");
}

#[tokio::test]
async fn input_required_result_basic_list_roots_asks_under_client_roots() {
    let client = stateless_client();
    let r1 = modern_call(&client, "test_input_required_result_list_roots", json!({})).await.unwrap();
    assert_eq!(input_requests(&r1), [("client_roots".to_owned(), "roots/list".to_owned())]);
    assert_eq!(r1["inputRequests"]["client_roots"]["params"], json!({}));
    let r2 = modern_call(
        &client,
        "test_input_required_result_list_roots",
        json!({ "inputResponses": { "client_roots": test_roots() }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r2), "The client's roots: file:///test/root");
}

#[tokio::test]
async fn input_required_result_request_state_round_trips_and_a_tampered_one_is_refused() {
    let client = stateless_client();
    for tool in ["test_input_required_result_request_state", "test_input_required_result_tampered_state"] {
        let r1 = modern_call(&client, tool, json!({})).await.unwrap();
        let (key, method) = input_requests(&r1).remove(0);
        assert_eq!(method, "elicitation/create");
        let state = r1["requestState"].as_str().expect("a requestState").to_owned();
        let answer = json!({ key.clone(): accept(json!({ "ok": true })) });

        // input-required-result-tampered-state: the suite appends to the state.
        let tampered = modern_call(
            &client,
            tool,
            json!({ "inputResponses": answer, "requestState": format!("{state}-TAMPERED") }),
        )
        .await
        .expect_err("a tampered state is refused");
        assert_eq!(tampered.code, -32602, "{tampered:?}");

        let r2 = modern_call(&client, tool, json!({ "inputResponses": answer, "requestState": state }))
            .await
            .unwrap();
        let text = text_of(&r2);
        if tool.ends_with("request_state") {
            assert_eq!(key, "confirm");
            assert_eq!(r1["inputRequests"]["confirm"]["params"]["message"], "Please confirm");
            assert_eq!(text, "state-ok: confirmed");
        } else {
            assert_eq!(text, "Confirmed: true");
        }
    }
}

#[tokio::test]
async fn input_required_result_multiple_input_requests_asks_all_three_in_one_round() {
    let client = stateless_client();
    let r1 = modern_call(&client, "test_input_required_result_multiple_inputs", json!({})).await.unwrap();
    assert_eq!(
        input_requests(&r1),
        [
            ("client_roots".to_owned(), "roots/list".to_owned()),
            ("greeting".to_owned(), "sampling/createMessage".to_owned()),
            ("user_name".to_owned(), "elicitation/create".to_owned()),
        ]
    );
    assert_eq!(r1["inputRequests"]["greeting"]["params"]["maxTokens"], 50);
    let answers = json!({
        "user_name": accept(json!({ "name": "Alice" })),
        "greeting": sampled("Hello there!"),
        "client_roots": test_roots(),
    });
    let r2 = modern_call(
        &client,
        "test_input_required_result_multiple_inputs",
        json!({ "inputResponses": answers, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r2), "Hello there! Alice. The client's roots: file:///test/root");
}

#[tokio::test]
async fn input_required_result_multi_round_asks_step1_then_step2_with_a_new_state() {
    let client = stateless_client();
    let tool = "test_input_required_result_multi_round";
    let r1 = modern_call(&client, tool, json!({})).await.unwrap();
    assert_eq!(input_requests(&r1), [("step1".to_owned(), "elicitation/create".to_owned())]);
    assert_eq!(r1["inputRequests"]["step1"]["params"]["message"], "Step 1: What is your name?");
    let r2 = modern_call(
        &client,
        tool,
        json!({ "inputResponses": { "step1": accept(json!({ "name": "Alice" })) }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(input_requests(&r2), [("step2".to_owned(), "elicitation/create".to_owned())]);
    assert_eq!(r2["inputRequests"]["step2"]["params"]["message"], "Step 2: What is your favorite color?");
    assert_ne!(r2["requestState"], r1["requestState"], "the state carries the first answer");
    // The last round carries only the second answer; the first comes back from the state.
    let r3 = modern_call(
        &client,
        tool,
        json!({ "inputResponses": { "step2": accept(json!({ "color": "blue" })) }, "requestState": r2["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r3), "Alice's favorite color is blue.");
}

#[tokio::test]
async fn input_required_result_missing_extra_and_invalid_input_responses() {
    let client = stateless_client();
    let tool = "test_input_required_result_elicitation";
    // missing-input-response: a wrong key is asked for again, not an error.
    let wrong = modern_call(
        &client,
        tool,
        json!({ "inputResponses": { "wrong_key": accept(json!({ "data": "wrong" })) } }),
    )
    .await
    .unwrap();
    assert_eq!(input_requests(&wrong), [("user_name".to_owned(), "elicitation/create".to_owned())]);
    // ignore-extra-params: unknown keys beside the right one are ignored.
    let extra = modern_call(
        &client,
        tool,
        json!({ "inputResponses": {
            "user_name": accept(json!({ "name": "Alice" })),
            "unknown_extra_key": accept(json!({ "foo": "bar" })),
            "another_unexpected": accept(json!({ "baz": 123 })),
        } }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&extra), "Hello, Alice!");
    // validate-input: a response that is not an object is refused; null means none.
    let invalid =
        modern_call(&client, tool, json!({ "inputResponses": { "user_name": 12345 } })).await.unwrap_err();
    assert_eq!(invalid.code, -32602);
    let null = modern_call(&client, tool, json!({ "inputResponses": null })).await.unwrap();
    assert_eq!(null["resultType"], "input_required");
}

#[tokio::test]
async fn input_required_result_capability_check_asks_only_what_the_request_declares() {
    let client = stateless_client();
    let tool = "test_input_required_result_capabilities";
    let call_with = |capabilities: Value, extra: Value| {
        let mut params = json!({ "name": tool, "arguments": {} });
        if let (Value::Object(params), Value::Object(extra)) = (&mut params, extra) {
            params.extend(extra);
        }
        client.request("tools/call", modern(params, capabilities))
    };
    // Sampling only: the model is asked, the user is not.
    let r1 = call_with(json!({ "sampling": {} }), json!({})).await.unwrap();
    assert_eq!(input_requests(&r1), [("model_answer".to_owned(), "sampling/createMessage".to_owned())]);
    let r2 = call_with(
        json!({ "sampling": {} }),
        json!({ "inputResponses": { "model_answer": sampled("Paris") }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&r2), "The model answered: Paris (not confirmed: the client cannot show forms)");
    // With elicitation too, the user is asked to confirm in a second round.
    let both = json!({ "sampling": {}, "elicitation": {} });
    let r1 = call_with(both.clone(), json!({})).await.unwrap();
    let r2 = call_with(
        both.clone(),
        json!({ "inputResponses": { "model_answer": sampled("Paris") }, "requestState": r1["requestState"] }),
    )
    .await
    .unwrap();
    assert_eq!(input_requests(&r2), [("user_confirmation".to_owned(), "elicitation/create".to_owned())]);
}

#[tokio::test]
async fn input_required_result_non_tool_request_prompts_get_asks_under_user_context() {
    let client = stateless_client();
    let get = |extra: Value| {
        let mut params = json!({ "name": "test_input_required_result_prompt" });
        if let (Value::Object(params), Value::Object(extra)) = (&mut params, extra) {
            params.extend(extra);
        }
        client.request("prompts/get", modern(params, modern_capabilities()))
    };
    let r1 = get(json!({})).await.unwrap();
    assert_eq!(input_requests(&r1), [("user_context".to_owned(), "elicitation/create".to_owned())]);
    assert_eq!(
        r1["inputRequests"]["user_context"]["params"]["message"],
        "What context should the prompt use?"
    );
    let r2 = get(json!({ "inputResponses": { "user_context": accept(json!({ "context": "test context" })) }, "requestState": r1["requestState"] }))
        .await
        .unwrap();
    assert_eq!(r2["resultType"], "complete");
    assert_eq!(
        r2["messages"][0]["content"]["text"],
        "Answer the next question with this context in mind: test context"
    );
}

#[tokio::test]
async fn input_required_result_unsupported_methods_list_results_are_complete() {
    let client = stateless_client();
    for method in ["tools/list", "prompts/list"] {
        let result = client.request(method, modern(json!({}), modern_capabilities())).await.unwrap();
        assert_eq!(result["resultType"], "complete", "{method}");
    }
}

#[tokio::test]
async fn server_stateless_missing_capability_is_32021_in_2026_and_a_tool_error_in_2025() {
    let modern_client = stateless_client();
    let error = modern_client
        .request(
            "tools/call",
            modern(json!({ "name": "test_missing_capability", "arguments": {} }), json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(error.code, -32021);
    assert_eq!(error.data, Some(json!({ "requiredCapabilities": { "sampling": {} } })));
    // Declared: the model is asked, by retry.
    let asked = modern_call(&modern_client, "test_missing_capability", json!({})).await.unwrap();
    assert_eq!(input_requests(&asked), [("sampling-1".to_owned(), "sampling/createMessage".to_owned())]);

    let legacy = call(&client().await, "test_missing_capability", json!({})).await;
    assert_eq!(legacy["isError"], true);
}

#[tokio::test]
async fn server_stateless_streaming_elicitation_sends_no_request_to_the_client() {
    let client = stateless_client();
    let mut params = modern(
        json!({ "name": "test_streaming_elicitation", "arguments": {} }),
        json!({ "elicitation": {} }),
    );
    params["_meta"]["progressToken"] = json!("p-1");
    let result = client.request("tools/call", params).await.unwrap();
    assert_eq!(input_requests(&result), [("confirm".to_owned(), "elicitation/create".to_owned())]);
    let received = client.received();
    assert!(received.iter().all(|m| !matches!(m, Message::Request(_))), "{received:?}");
    assert_eq!(client.notifications("notifications/progress").len(), 1);
}

#[tokio::test]
async fn server_stateless_logging_tool_logs_only_when_the_request_names_a_level() {
    let client = stateless_client();
    modern_call(&client, "test_logging_tool", json!({})).await.unwrap();
    assert!(client.notifications("notifications/message").is_empty());
    let mut params = modern(json!({ "name": "test_logging_tool", "arguments": {} }), json!({}));
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("info");
    client.request("tools/call", params).await.unwrap();
    let levels: Vec<Value> =
        client.notifications("notifications/message").iter().map(|m| m["level"].clone()).collect();
    assert_eq!(levels, [json!("info"), json!("warning")]);
}

#[tokio::test]
async fn server_stateless_trigger_hooks_change_the_lists_and_listeners_hear_it() {
    let server = server().expect("the fixtures build");
    let listener = TestClient::builder(server.clone()).connect_without_initialize();
    let caller = TestClient::builder(server).connect_without_initialize();
    let listen = listener.request(
        "subscriptions/listen",
        modern(json!({ "notifications": { "toolsListChanged": true } }), json!({})),
    );
    let triggers = async {
        listener
            .wait_for_notification("notifications/subscriptions/acknowledged", Duration::from_secs(5))
            .await
            .expect("acknowledged");
        // A prompt change is not what this stream asked for; a tool change is.
        modern_call(&caller, "test_trigger_prompt_change", json!({})).await.unwrap();
        modern_call(&caller, "test_trigger_tool_change", json!({})).await.unwrap();
        listener
            .wait_for_notification("notifications/tools/list_changed", Duration::from_secs(5))
            .await
            .expect("tools/list_changed");
        listener.session().server().close_subscriptions();
    };
    let (listened, ()) = tokio::join!(listen, triggers);
    assert_eq!(listened.unwrap()["resultType"], "complete");
    assert!(listener.notifications("notifications/prompts/list_changed").is_empty());

    let tools = caller.request("tools/list", modern(json!({}), json!({}))).await.unwrap();
    assert!(tools["tools"].as_array().unwrap().iter().any(|t| t["name"] == "test_dynamic_tool"));
    let prompts = caller.request("prompts/list", modern(json!({}), json!({}))).await.unwrap();
    assert!(prompts["prompts"].as_array().unwrap().iter().any(|p| p["name"] == "test_dynamic_prompt"));
    // Called again, each hook undoes its change.
    modern_call(&caller, "test_trigger_tool_change", json!({})).await.unwrap();
    let tools = caller.request("tools/list", modern(json!({}), json!({}))).await.unwrap();
    assert!(tools["tools"].as_array().unwrap().iter().all(|t| t["name"] != "test_dynamic_tool"));
}

#[tokio::test]
async fn http_custom_header_server_validation_has_a_string_argument_mirrored_into_a_header() {
    let client = stateless_client();
    let tools = client.request("tools/list", modern(json!({}), json!({}))).await.unwrap();
    let tool = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "test_custom_headers")
        .expect("listed");
    let region = &tool["inputSchema"]["properties"]["region"];
    assert_eq!((region["type"].clone(), region["x-mcp-header"].clone()), (json!("string"), json!("Region")));
    let server = server().expect("the fixtures build");
    let headers =
        server.tool("test_custom_headers").expect("registered").header_params().expect("valid annotations");
    assert_eq!(headers.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["Priority", "Region"]);
    let result = modern_call(
        &client,
        "test_custom_headers",
        json!({ "arguments": { "region": "Hello", "priority": 2 } }),
    )
    .await
    .unwrap();
    assert_eq!(text_of(&result), "region=Hello, priority=2");
}
