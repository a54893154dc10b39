//! The conformance fixtures answer as the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server scenarios at 2025-11-25) expects: each test is
//! named after the scenario it stands in for and checks what that scenario checks, through the
//! in-process `TestClient`, so a drift shows up without Node or the HTTP transport.

use std::time::Duration;

use examples::conformance_fixtures::server;
use mcp_core::jsonrpc::{ErrorObject, Message};
use mcp_core::testing::TestClient;
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
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{name} is a fixture and changes nothing");
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
