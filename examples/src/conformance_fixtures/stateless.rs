//! The diagnostic fixtures of the suite's protocol 2026-07-28 transport scenarios:
//! `server-stateless` (SEP-2575: per-request capabilities, no requests from the server on a
//! response stream, no logs without a log level, list changes on `subscriptions/listen`) and
//! `http-custom-header-server-validation` (SEP-2243: arguments mirrored into `Mcp-Param-*`
//! headers).
//!
//! They are ordinary tools: what the scenarios check is how the SDK and the HTTP transport
//! serve them.

use std::time::Duration;

use mcp_connector_core::protocol::{
    CallToolResult, CreateMessageParams, GetPromptResult, LoggingLevel, PromptMessage,
};
use mcp_connector_core::{Context, Prompt, ServerBuilder, Tool, ToolError, tool};
use serde_json::{Value, json};

/// The tool `test_trigger_tool_change` adds and removes, to change the tool list.
const DYNAMIC_TOOL: &str = "test_dynamic_tool";
/// The prompt `test_trigger_prompt_change` adds and removes, to change the prompt list.
const DYNAMIC_PROMPT: &str = "test_dynamic_prompt";

/// Adds every fixture of this module to the server.
pub(crate) fn register(builder: ServerBuilder) -> ServerBuilder {
    builder
        .tool(test_missing_capability::tool())
        .tool(test_streaming_elicitation::tool())
        .tool(test_logging_tool::tool())
        .tool(test_trigger_tool_change::tool())
        .tool(test_trigger_prompt_change::tool())
        .tool(custom_headers())
}

/// Ask the client's model to say hello; needs the client's `sampling` capability.
///
/// A 2026-07-28 request that does not declare `sampling` is refused with
/// `MissingRequiredClientCapabilityError` (-32021) naming it (scenario server-stateless).
#[tool(read, closed_world)]
async fn test_missing_capability(ctx: Context) -> Result<String, ToolError> {
    let reply = ctx.create_message(CreateMessageParams::user("Say hello.", 20)).await?;
    Ok(format!("The model said: {}", reply.content.as_text().unwrap_or("(a non-text answer)")))
}

/// Ask the user for a confirmation, reporting progress first.
///
/// In 2026-07-28 the response stream carries the progress notification and then the
/// `input_required` result, never an `elicitation/create` request (scenario server-stateless).
#[tool(read, closed_world)]
async fn test_streaming_elicitation(ctx: Context) -> Result<String, ToolError> {
    ctx.progress(0.0, Some(1.0), Some("Asking the user"));
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Confirmation {
        ok: bool,
    }
    let answer = ctx.with_input_key("confirm").elicit_as::<Confirmation>("Continue?").await?;
    Ok(format!("Confirmed: {}", answer.is_some_and(|a| a.ok)))
}

/// Log three messages while working, at the levels the request asked for.
///
/// A 2026-07-28 request without `_meta["io.modelcontextprotocol/logLevel"]` gets none of them
/// (scenario server-stateless).
#[tool(read, closed_world)]
async fn test_logging_tool(ctx: Context) -> String {
    for (level, step) in [
        (LoggingLevel::Debug, "starting"),
        (LoggingLevel::Info, "working"),
        (LoggingLevel::Warning, "almost done"),
    ] {
        ctx.log_to(level, Some("conformance"), step);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    "Logged three messages (if the request asked for them).".into()
}

/// Change the tool list: add `test_dynamic_tool`, or remove it when it is there.
///
/// Open `subscriptions/listen` streams that asked for `toolsListChanged` hear
/// `notifications/tools/list_changed` (scenario server-stateless).
#[tool(write, idempotent = false, destructive = false, closed_world)]
async fn test_trigger_tool_change(ctx: Context) -> Result<String, ToolError> {
    let server = ctx.server();
    if server.remove_tool(DYNAMIC_TOOL) {
        return Ok(format!("Removed the tool {DYNAMIC_TOOL}."));
    }
    let dynamic = Tool::read(DYNAMIC_TOOL)
        .description("Added by test_trigger_tool_change; answers with a fixed text.")
        .open_world(false)
        .handler(|_ctx, _args| async { Ok(CallToolResult::text("This tool was added at run time.")) });
    server.add_tool(dynamic)?;
    Ok(format!("Added the tool {DYNAMIC_TOOL}."))
}

/// Change the prompt list: add `test_dynamic_prompt`, or remove it when it is there.
///
/// Open `subscriptions/listen` streams that asked for `promptsListChanged` hear
/// `notifications/prompts/list_changed` (scenario server-stateless).
#[tool(write, idempotent = false, destructive = false, closed_world)]
async fn test_trigger_prompt_change(ctx: Context) -> Result<String, ToolError> {
    let server = ctx.server();
    if server.remove_prompt(DYNAMIC_PROMPT) {
        return Ok(format!("Removed the prompt {DYNAMIC_PROMPT}."));
    }
    let dynamic = Prompt::new(DYNAMIC_PROMPT).description("Added by test_trigger_prompt_change").handler(
        |_ctx, _args| async {
            Ok(GetPromptResult::new(vec![PromptMessage::user("This prompt was added at run time.")]))
        },
    );
    server.add_prompt(dynamic)?;
    Ok(format!("Added the prompt {DYNAMIC_PROMPT}."))
}

/// `test_custom_headers`: arguments mirrored into HTTP headers with `x-mcp-header`
/// (2026-07-28, server/tools). A client sends `region` as `Mcp-Param-Region` and `priority` as
/// `Mcp-Param-Priority` too, so a gateway can route on them without reading the body; the
/// streamable HTTP transport checks that each header agrees with the body (scenario
/// http-custom-header-server-validation).
fn custom_headers() -> Tool {
    Tool::read("test_custom_headers")
        .description("Echoes its arguments; `region` and `priority` also travel as Mcp-Param-* headers.")
        .open_world(false)
        .input_schema(json!({
            "type": "object",
            "properties": {
                "region": { "type": "string", "description": "Where to run the query", "x-mcp-header": "Region" },
                "priority": { "type": "integer", "description": "Scheduling priority", "x-mcp-header": "Priority" },
                "query": { "type": "string", "description": "The query (body only)" }
            },
            "required": ["region"]
        }))
        .handler(|_ctx, args| async move {
            let region = args.get("region").and_then(Value::as_str).unwrap_or_default();
            let priority = args.get("priority").map_or_else(|| "unset".to_owned(), Value::to_string);
            Ok(CallToolResult::text(format!("region={region}, priority={priority}")))
        })
}
