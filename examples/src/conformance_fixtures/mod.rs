//! The fixtures the official MCP conformance suite (npm `@modelcontextprotocol/conformance`)
//! looks for when it tests a server at protocol revisions 2025-11-25 and 2026-07-28: tools,
//! resources, a resource template, prompts and completions with the names and result shapes its
//! server scenarios check. One [`server`] serves both revisions; each request is served in the
//! revision it is spoken in.
//!
//! The `conformance` binary serves [`server`] on stdio or streamable HTTP, and
//! `interop/conformance/run.sh` points the suite at it. This module holds the fixtures of the
//! 2025-11-25 scenarios (which 2026-07-28 keeps), written with the hand-written registration
//! API of `mcp-core` (`Tool::read`, `Resource::new`, `Prompt::new`), so it doubles as a tour of
//! that API: content of every kind, progress, logging, sampling and elicitation from inside a
//! tool. The fixtures only 2026-07-28 scenarios call are in submodules, written with the
//! `#[tool]` and `#[prompt]` macros: `mrtr` (multi round-trip requests: a tool asks for input
//! and the client answers by retrying), `stateless` (the per-request diagnostics of the
//! stateless transport scenarios) and `tasks` (the Tasks extension: tools whose calls become
//! tasks the client polls).
//!
//! ```
//! use mcp_connector_core::testing::TestClient;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = examples::conformance_fixtures::server().expect("the fixtures are valid");
//! let client = TestClient::connect(server).await;
//! let result = client.call_tool("test_simple_text", serde_json::json!({})).await.unwrap();
//! assert_eq!(result.content[0].as_text(), Some("This is a simple text response for testing."));
//! # });
//! ```

use std::time::Duration;

use mcp_connector_core::protocol::{
    CallToolResult, Content, CreateMessageParams, ElicitAction, ElicitResult, GetPromptResult, LoggingLevel,
    PromptMessage, ResourceContents, Role,
};
use mcp_connector_core::{
    BuildError, CompletionRequest, Context, McpError, Prompt, Resource, Server, Tool, ToolError,
};
use serde_json::{Map, Value, json};

mod mrtr;
mod stateless;
mod tasks;

/// A 1x1 red PNG, the smallest real image the image fixtures can return.
const RED_PIXEL_PNG: [u8; 69] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00,
    0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01,
    0x01, 0x00, 0xf7, 0x03, 0x41, 0x43, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
    0x82,
];

/// The pause between the notifications of the logging and progress fixtures: the suite checks
/// that a client receives several notifications spread over one call, not one burst.
const STEP: Duration = Duration::from_millis(50);

/// Builds the conformance fixture server: every tool, resource, template and prompt the
/// suite's 2025-11-25 and 2026-07-28 server scenarios call, under the names they call them by.
///
/// Fails only if a fixture is malformed, which the `conformance_fixtures` test rules out.
pub fn server() -> Result<Server, BuildError> {
    server_with(|builder| builder)
}

/// [`server`], with `configure` applied to the builder last (a task mirror, a request-state
/// key: what replicas of the fixtures share).
pub fn server_with(
    configure: impl FnOnce(mcp_connector_core::ServerBuilder) -> mcp_connector_core::ServerBuilder,
) -> Result<Server, BuildError> {
    let mut builder = Server::builder("mcp-rust-conformance", env!("CARGO_PKG_VERSION"))
        .title("MCP conformance fixtures")
        .instructions(
            "Fixtures for the official MCP conformance suite. Every tool, resource and prompt is \
             named after the scenario that exercises it; none of them touches anything outside \
             this process.",
        );
    for tool in tools() {
        builder = builder.tool(tool);
    }
    for resource in resources()? {
        builder = builder.resource(resource);
    }
    for prompt in prompts() {
        builder = builder.prompt(prompt);
    }
    // The fixtures of the 2026-07-28 scenarios, one module per family.
    let builder = mrtr::register(builder);
    let builder = stateless::register(builder);
    let builder = builder.tools(tasks::tools());
    configure(builder).build()
}

/// A read-only fixture tool: none of them changes anything or reaches past the client.
fn fixture(name: &str, description: &str) -> mcp_connector_core::ToolBuilder {
    Tool::read(name).description(description).open_world(false)
}

fn tools() -> Vec<Tool> {
    vec![
        // tools-call-simple-text
        fixture("test_simple_text", "Returns one text block.").handler(|_ctx, _args| async {
            Ok(CallToolResult::text("This is a simple text response for testing."))
        }),
        // tools-call-image
        fixture("test_image_content", "Returns one image block (a 1x1 PNG).").handler(|_ctx, _args| async {
            Ok(CallToolResult::content(vec![Content::image(&RED_PIXEL_PNG, "image/png")]))
        }),
        // tools-call-audio
        fixture("test_audio_content", "Returns one audio block (a short silent WAV).").handler(|_ctx, _args| async {
            Ok(CallToolResult::content(vec![Content::audio(&silent_wav(), "audio/wav")]))
        }),
        // tools-call-embedded-resource
        fixture("test_embedded_resource", "Returns one embedded text resource.").handler(|_ctx, _args| async {
            let resource = ResourceContents::text("test://embedded-resource", "This is an embedded resource content.")
                .with_mime_type("text/plain");
            Ok(CallToolResult::content(vec![Content::resource(resource)]))
        }),
        // tools-call-mixed-content
        fixture("test_multiple_content_types", "Returns a text, an image and an embedded resource block.").handler(
            |_ctx, _args| async {
                let resource =
                    ResourceContents::text("test://mixed-content-resource", json!({"test": "data", "value": 123}).to_string())
                        .with_mime_type("application/json");
                Ok(CallToolResult::content(vec![
                    Content::text("Multiple content types test:"),
                    Content::image(&RED_PIXEL_PNG, "image/png"),
                    Content::resource(resource),
                ]))
            },
        ),
        // tools-call-with-logging
        fixture("test_tool_with_logging", "Sends three info log messages while it runs, 50 ms apart.").handler(
            |ctx, _args| async move {
                let steps = ["Tool execution started", "Tool processing data", "Tool execution completed"];
                for (i, step) in steps.into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(STEP).await;
                    }
                    ctx.log_to(LoggingLevel::Info, Some("conformance"), step);
                }
                Ok(CallToolResult::text("Tool with logging executed successfully"))
            },
        ),
        // tools-call-with-progress
        fixture("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100, 50 ms apart, when asked to.")
            .handler(|ctx, _args| async move {
                for (i, done) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(STEP).await;
                    }
                    ctx.progress(done, Some(100.0), Some(&format!("Completed step {done} of 100")));
                }
                let token = ctx.progress_token().map(|t| json!(t).to_string());
                Ok(CallToolResult::text(match token {
                    Some(token) => format!("Reported progress for token {token}"),
                    None => "Finished; the request carried no progressToken, so no progress was sent".into(),
                }))
            }),
        // tools-call-error
        fixture("test_error_handling", "Always fails, to show how a tool error reaches the model.").handler(
            |_ctx, _args| async { Err(ToolError::new("This tool intentionally returns an error for testing")) },
        ),
        // server-sse-polling (not scored at 2025-11-25). The reference fixture also closes the
        // request's SSE stream mid-call; a handler cannot ask the transport for that, so this
        // one only waits and answers.
        fixture(
            "test_reconnection",
            "Waits briefly, then answers; used by the SSE polling scenario (SEP-1699).",
        )
        .handler(|_ctx, _args| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(CallToolResult::text("Reconnection test completed successfully."))
        }),
        // tools-call-sampling
        fixture("test_sampling", "Asks the client's model to complete the prompt (sampling/createMessage).")
            .input_schema(json!({
                "type": "object",
                "properties": { "prompt": { "type": "string", "description": "The prompt to send to the model" } },
                "required": ["prompt"]
            }))
            .handler(|ctx, args| async move {
                let prompt = args.get("prompt").and_then(Value::as_str).unwrap_or_default();
                let answer = ctx.create_message(CreateMessageParams::user(prompt, 100)).await?;
                let text = answer.content.as_text().unwrap_or("(the model answered with non-text content)");
                Ok(CallToolResult::text(format!("LLM response: {text}")))
            }),
        // tools-call-elicitation
        fixture("test_elicitation", "Asks the user for a username and an email (elicitation/create).")
            .input_schema(json!({
                "type": "object",
                "properties": { "message": { "type": "string", "description": "The message to show the user" } },
                "required": ["message"]
            }))
            .handler(|ctx, args| async move {
                let message = args.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
                let form = object(json!({
                    "type": "object",
                    "properties": {
                        "username": { "type": "string", "description": "User's response" },
                        "email": { "type": "string", "description": "User's email address" }
                    },
                    "required": ["username", "email"]
                }));
                let answer = ctx.elicit(message, form).await?;
                Ok(CallToolResult::text(format!("User response: {}", describe(&answer))))
            }),
        // elicitation-sep1034-defaults
        fixture("test_elicitation_sep1034_defaults", "Asks for a form whose every field has a default (SEP-1034).")
            .handler(|ctx, _args| async move {
                let form = object(json!({
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "description": "User name", "default": "John Doe" },
                        "age": { "type": "integer", "description": "User age", "default": 30 },
                        "score": { "type": "number", "description": "User score", "default": 95.5 },
                        "status": {
                            "type": "string",
                            "description": "User status",
                            "enum": ["active", "inactive", "pending"],
                            "default": "active"
                        },
                        "verified": { "type": "boolean", "description": "Verification status", "default": true }
                    },
                    "required": []
                }));
                elicitation_completed(&ctx, "Please review and update the form fields with defaults", form).await
            }),
        // elicitation-sep1330-enums
        fixture("test_elicitation_sep1330_enums", "Asks for a form with each of the five enum shapes (SEP-1330).")
            .handler(|ctx, _args| async move {
                let form = object(json!({
                    "type": "object",
                    "properties": {
                        "untitledSingle": {
                            "type": "string",
                            "description": "Pick one",
                            "enum": ["option1", "option2", "option3"]
                        },
                        "titledSingle": {
                            "type": "string",
                            "description": "Pick one",
                            "oneOf": [
                                { "const": "value1", "title": "First Option" },
                                { "const": "value2", "title": "Second Option" },
                                { "const": "value3", "title": "Third Option" }
                            ]
                        },
                        "legacyEnum": {
                            "type": "string",
                            "description": "Pick one (legacy enumNames form)",
                            "enum": ["opt1", "opt2", "opt3"],
                            "enumNames": ["Option One", "Option Two", "Option Three"]
                        },
                        "untitledMulti": {
                            "type": "array",
                            "description": "Pick any",
                            "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
                        },
                        "titledMulti": {
                            "type": "array",
                            "description": "Pick any",
                            "items": {
                                "anyOf": [
                                    { "const": "value1", "title": "First Choice" },
                                    { "const": "value2", "title": "Second Choice" },
                                    { "const": "value3", "title": "Third Choice" }
                                ]
                            }
                        }
                    },
                    "required": []
                }));
                elicitation_completed(&ctx, "Please choose from each kind of list", form).await
            }),
        // json-schema-2020-12 (not scored at 2025-11-25: pending in the suite). The schema
        // must come back from tools/list exactly as written, 2020-12 keywords included.
        fixture("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features")
            .input_schema(json_schema_2020_12())
            .handler(|_ctx, args| async move {
                Ok(CallToolResult::text(format!("Received {}", Value::Object(args))))
            }),
    ]
}

fn resources() -> Result<Vec<Resource>, BuildError> {
    Ok(vec![
        // resources-read-text
        Resource::new("test://static-text", "static-text")
            .description("A static text resource")
            .mime_type("text/plain")
            .handler(|_ctx, req| async move {
                Ok(vec![
                    ResourceContents::text(req.uri, "This is the content of the static text resource.")
                        .with_mime_type("text/plain"),
                ])
            }),
        // resources-read-binary
        Resource::new("test://static-binary", "static-binary")
            .description("A static binary resource (a 1x1 PNG)")
            .mime_type("image/png")
            .handler(|_ctx, req| async move {
                Ok(vec![ResourceContents::blob(req.uri, &RED_PIXEL_PNG).with_mime_type("image/png")])
            }),
        // resources-subscribe, resources-unsubscribe
        Resource::new("test://watched-resource", "watched-resource")
            .description("A resource clients may subscribe to")
            .mime_type("text/plain")
            .handler(|_ctx, req| async move {
                Ok(vec![
                    ResourceContents::text(req.uri, "Watched resource content").with_mime_type("text/plain"),
                ])
            }),
        // resources-templates-read
        Resource::template("test://template/{id}/data", "template-data")?
            .description("JSON data for any id")
            .mime_type("application/json")
            .complete("id", |req: CompletionRequest| async move {
                Ok(["1", "2", "3", "123"]
                    .into_iter()
                    .filter(|v| v.starts_with(&req.value))
                    .map(String::from)
                    .collect())
            })
            .handler(|_ctx, req| async move {
                let id = req.var("id").ok_or_else(|| McpError::resource_not_found(&req.uri))?.to_owned();
                let data = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
                Ok(vec![ResourceContents::text(req.uri, data.to_string()).with_mime_type("application/json")])
            }),
    ])
}

fn prompts() -> Vec<Prompt> {
    vec![
        // prompts-get-simple
        Prompt::new("test_simple_prompt").description("A prompt without arguments").handler(
            |_ctx, _args| async {
                Ok(GetPromptResult::new(vec![PromptMessage::user("This is a simple prompt for testing.")]))
            },
        ),
        // prompts-get-with-args, completion-complete (argument `arg1`)
        Prompt::new("test_prompt_with_arguments")
            .description("A prompt that repeats its two arguments")
            .argument("arg1", "First test argument", true)
            .argument("arg2", "Second test argument", true)
            .complete("arg1", |req: CompletionRequest| async move {
                Ok(["paris", "park", "party", "test", "testing"]
                    .into_iter()
                    .filter(|v| v.starts_with(&req.value))
                    .map(String::from)
                    .collect())
            })
            .handler(|_ctx, args| async move {
                let arg = |name: &str| args.get(name).cloned().unwrap_or_default();
                Ok(GetPromptResult::new(vec![PromptMessage::user(format!(
                    "Prompt with arguments: arg1='{}', arg2='{}'",
                    arg("arg1"),
                    arg("arg2")
                ))]))
            }),
        // prompts-get-embedded-resource
        Prompt::new("test_prompt_with_embedded_resource")
            .description("A prompt that embeds the resource it is given")
            .argument("resourceUri", "URI of the resource to embed", true)
            .handler(|_ctx, args| async move {
                let uri = args.get("resourceUri").cloned().unwrap_or_default();
                let resource = ResourceContents::text(uri, "Embedded resource content for testing.")
                    .with_mime_type("text/plain");
                Ok(GetPromptResult::new(vec![
                    PromptMessage::new(Role::User, Content::resource(resource)),
                    PromptMessage::user("Please process the embedded resource above."),
                ]))
            }),
        // prompts-get-with-image
        Prompt::new("test_prompt_with_image").description("A prompt with an image").handler(
            |_ctx, _args| async {
                Ok(GetPromptResult::new(vec![
                    PromptMessage::new(Role::User, Content::image(&RED_PIXEL_PNG, "image/png")),
                    PromptMessage::user("Please analyze the image above."),
                ]))
            },
        ),
    ]
}

/// Runs a form elicitation and reports what the user did, as the SEP-1034 and SEP-1330
/// fixtures do.
async fn elicitation_completed(
    ctx: &Context,
    message: &str,
    form: Map<String, Value>,
) -> Result<CallToolResult, ToolError> {
    let answer = ctx.elicit(message, form).await?;
    Ok(CallToolResult::text(format!("Elicitation completed: {}", describe(&answer))))
}

fn describe(answer: &ElicitResult) -> String {
    let action = match answer.action {
        ElicitAction::Accept => "accept",
        ElicitAction::Decline => "decline",
        ElicitAction::Cancel => "cancel",
    };
    let content = Value::Object(answer.content.clone().unwrap_or_default());
    format!("action={action}, content={content}")
}

/// The object inside a `json!` literal that is known to be an object.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The input schema of `json_schema_2020_12_tool`: the keywords SEP-1613 and SEP-2106 say a
/// server must pass through untouched (`$schema`, `$defs` with an `$anchor`, `allOf`/`anyOf`,
/// `if`/`then`/`else`, `additionalProperties`).
fn json_schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" }
        },
        "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "additionalProperties": false
    })
}

/// A valid WAV file holding one silent 16-bit mono sample at 8 kHz: a RIFF header, a `fmt `
/// chunk and a two-byte `data` chunk.
fn silent_wav() -> Vec<u8> {
    const SAMPLE_RATE: u32 = 8_000;
    const CHANNELS: u16 = 1;
    const BITS: u16 = 16;
    let block_align = CHANNELS * BITS / 8;
    let samples: [u8; 2] = [0, 0];
    let mut wav = Vec::with_capacity(46);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // size of the PCM `fmt ` chunk
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&CHANNELS.to_le_bytes());
    wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    wav.extend_from_slice(&(SAMPLE_RATE * u32::from(block_align)).to_le_bytes());
    wav.extend_from_slice(&block_align.to_le_bytes());
    wav.extend_from_slice(&BITS.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    wav
}
