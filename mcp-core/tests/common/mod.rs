//! A server with one of everything, built by hand with the registration API, for the wire tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use mcp_connector_core::protocol::{
    CallToolResult, CreateMessageParams, GetPromptResult, LoggingLevel, PromptMessage, ResourceContents,
};
use mcp_connector_core::{McpError, Prompt, Resource, Server, ServerBuilder, Tool, ToolError};
use serde_json::{Value, json};

pub fn builder() -> ServerBuilder {
    Server::builder("fixture", "1.2.3")
        .title("Fixture Server")
        .instructions("A server for tests.")
        .tool(
            Tool::read("echo")
                .description("Echo the text back.")
                .input_schema(json!({
                    "type": "object",
                    "properties": { "text": { "type": "string" }, "times": { "type": "integer", "minimum": 1 } },
                    "required": ["text"],
                    "additionalProperties": false
                }))
                .handler(|_ctx, args| async move {
                    let times = args.get("times").and_then(Value::as_u64).unwrap_or(1) as usize;
                    Ok(CallToolResult::text(args["text"].as_str().unwrap_or_default().repeat(times)))
                }),
        )
        .tool(
            Tool::write("fail")
                .description("Always fails.")
                .idempotent(true)
                .handler(|_ctx, _args| async move { Err(ToolError::new("ticket 9 does not exist; search first")) }),
        )
        .tool(Tool::write("panic").handler(|_ctx, _args| async move {
            if true {
                panic!("boom");
            }
            Ok(CallToolResult::text("unreachable"))
        }))
        .tool(
            Tool::read("slow")
                .description("Sleeps for `ms` milliseconds, reporting progress.")
                .handler(|ctx, args| async move {
                    let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(10_000);
                    for step in 1..=4u64 {
                        ctx.progress(step as f64, Some(4.0), Some(&format!("step {step}")));
                        tokio::time::sleep(Duration::from_millis(ms / 4)).await;
                    }
                    Ok(CallToolResult::text("done"))
                }),
        )
        .tool(Tool::read("log").handler(|ctx, _args| async move {
            ctx.log(LoggingLevel::Debug, "a debug line");
            ctx.log(LoggingLevel::Warning, json!({"disk": "almost full"}));
            Ok(CallToolResult::text("logged"))
        }))
        .tool(
            Tool::read("structured")
                .output_schema(json!({
                    "type": "object",
                    "properties": { "count": { "type": "integer" } },
                    "required": ["count"]
                }))
                .handler(|_ctx, args| async move {
                    let mut map = serde_json::Map::new();
                    // `lie: true` makes the handler break its own output schema.
                    let count = if args.get("lie").is_some() { json!("many") } else { json!(3) };
                    map.insert("count".into(), count);
                    Ok(CallToolResult::structured(map))
                }),
        )
        .tool(Tool::write("confirm").handler(|ctx, _args| async move {
            let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
            let answer = ctx.elicit("Really?", schema.as_object().cloned().unwrap_or_default()).await?;
            Ok(CallToolResult::text(format!("{:?} {}", answer.action, json!(answer.content))))
        }))
        .tool(Tool::read("ask_model").handler(|ctx, _args| async move {
            let reply = ctx.create_message(CreateMessageParams::user("Say hi", 20)).await?;
            Ok(CallToolResult::text(format!("{} said {:?}", reply.model, reply.content.as_text())))
        }))
        .tool(Tool::read("roots").handler(|ctx, _args| async move {
            let roots = ctx.list_roots().await?;
            Ok(CallToolResult::text(roots.roots.iter().map(|r| r.uri.clone()).collect::<Vec<_>>().join(",")))
        }))
        .resource(
            Resource::new("docs://readme", "readme")
                .mime_type("text/markdown")
                .handler(|_ctx, req| async move { Ok(vec![ResourceContents::text(req.uri, "# Readme")]) }),
        )
        .resource(
            Resource::new("img://logo", "logo")
                .mime_type("image/png")
                .handler(|_ctx, req| async move {
                    Ok(vec![ResourceContents::blob(req.uri, &[0x89, b'P', b'N', b'G']).with_mime_type("image/png")])
                }),
        )
        .resource(
            Resource::template("tickets://{id}", "ticket")
                .expect("valid template")
                .mime_type("application/json")
                .complete("id", |req| async move {
                    Ok((1..=150).map(|i| i.to_string()).filter(|s| s.starts_with(&req.value)).collect())
                })
                .handler(|_ctx, req| async move {
                    let id: u32 = req
                        .var("id")
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| McpError::resource_not_found(&req.uri))?;
                    Ok(vec![ResourceContents::text(req.uri, json!({"id": id}).to_string())])
                }),
        )
        .prompt(
            Prompt::new("triage")
                .description("Triage a ticket")
                .argument("id", "The ticket", true)
                .argument("tone", "How to speak", false)
                .complete("tone", |req| async move {
                    Ok(["formal", "friendly", "terse"]
                        .into_iter()
                        .filter(|t| t.starts_with(&req.value))
                        .map(String::from)
                        .collect())
                })
                .handler(|_ctx, args| async move {
                    let tone = args.get("tone").cloned().unwrap_or_else(|| "neutral".into());
                    Ok(GetPromptResult::new(vec![PromptMessage::user(format!(
                        "Triage ticket {} in a {tone} tone.",
                        args["id"]
                    ))]))
                }),
        )
}

pub fn server() -> Server {
    builder().build().expect("the fixture server is valid")
}
