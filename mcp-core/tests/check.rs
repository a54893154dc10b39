//! The compatibility check on purpose-built connectors: each rule fires on what it is about,
//! names the clients, and says what to change; a connector written the way the docs say has no
//! findings.
#![allow(clippy::unwrap_used)]

use mcp_connector_core::check::{CheckOptions, Client, Impact, Rule};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Json, Server, Tool, ToolError, tool};
use serde_json::json;

fn done() -> Result<CallToolResult, ToolError> {
    Ok(CallToolResult::text("done"))
}

/// A tool built by hand with neither title nor description (`#[tool]` refuses to compile one
/// without a doc comment; the builder API lets it through, and the check finds it).
fn undocumented() -> Tool {
    Tool::read("undocumented").handler(|_, _| async { done() })
}

/// Find tickets
///
/// Finds tickets whose title contains the query.
#[tool(read)]
async fn find_tickets(query: String) -> Result<String, ToolError> {
    Ok(query)
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
enum Outcome {
    Found { id: u32 },
    Missing { reason: String },
}

/// Look up a ticket
///
/// Answers either the ticket's id or why there is none.
#[tool(read)]
async fn look_up(id: u32) -> Result<Json<Outcome>, ToolError> {
    Ok(Json(if id == 0 { Outcome::Missing { reason: "none".into() } } else { Outcome::Found { id } }))
}

#[test]
fn a_connector_written_as_the_docs_say_has_no_findings() {
    let server = Server::builder("tickets", "1").tool(find_tickets::tool()).build().unwrap();
    let report = server.check();
    assert!(report.is_clean(), "{report}");
    assert!(
        report
            .to_string()
            .starts_with("compatibility check: nothing found for ChatGPT, Claude, Cursor, VS Code")
    );
}

#[test]
fn a_tool_without_a_doc_comment_is_found_twice() {
    let server = Server::builder("s", "1").tool(undocumented()).build().unwrap();
    let report = server.check();
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::MissingDescription, Rule::MissingTitle]);
    let description = &report.findings[0];
    assert_eq!(description.subject, "tool `undocumented`");
    assert_eq!(description.clients, Client::ALL);
    assert_eq!(description.impact, Impact::Degraded);
    assert!(description.fix.contains("doc comment"), "{}", description.fix);
    // The report groups findings by client and says what to change.
    let text = report.to_string();
    assert!(text.starts_with("compatibility check: 2 finding(s)"), "{text}");
    assert!(
        text.contains("\nChatGPT:\n  - tool `undocumented` [degraded by ChatGPT, Claude, Cursor, VS Code]"),
        "{text}"
    );
    assert!(text.contains("\nCursor:\n"), "{text}");
}

#[test]
fn a_write_with_hints_left_to_defaults_and_a_name_the_model_apis_refuse() {
    let partial = Tool::write("tickets.close")
        .title("Close")
        .description("Closes a ticket.")
        .handler(|_ctx, _args| async { done() });
    let server = Server::builder("s", "1").tool(partial).build().unwrap();
    let report = server.check();
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&Rule::NameRejected), "{report}");
    let name = report.findings.iter().find(|f| f.rule == Rule::NameRejected).unwrap();
    assert_eq!(name.impact, Impact::Rejected);
    assert_eq!(name.clients, [Client::ChatGpt, Client::Claude]);
    assert!(name.fix.contains("`tickets_search` rather than `tickets.search`"));
}

/// Claude rejects a tool whose `outputSchema` has a top-level `anyOf` or `oneOf` (reported):
/// `build()` refuses it already, so the check never has to.
#[test]
fn an_output_schema_with_a_union_at_its_root_never_gets_to_the_check() {
    let either = Tool::read("look_up_raw")
        .title("Look up")
        .description("Answers the ticket or why there is none.")
        .output_schema(json!({
            "type": "object",
            "oneOf": [{"required": ["id"]}, {"required": ["reason"]}]
        }))
        .handler(|_ctx, _args| async { done() });
    let refused = Server::builder("s", "1").tool(either).build().unwrap_err();
    assert!(refused.to_string().contains("Claude rejects"), "{refused}");
}

/// `#[tool]` puts a return type that is not an object (here an untagged enum) under `result`,
/// so the union is never at the root.
#[test]
fn the_macro_keeps_a_returned_union_off_the_root() {
    let server = Server::builder("s", "1").tool(look_up::tool()).build().unwrap();
    let output = server.tools()[0].definition().output_schema.clone().unwrap();
    assert!(output["properties"]["result"]["anyOf"].is_array(), "{output:?}");
    assert!(server.check().is_clean(), "{}", server.check());
}

#[test]
fn search_and_fetch_in_another_shape_are_found_for_chatgpt() {
    let search = Tool::read("search")
        .title("Search")
        .description("Searches the documents.")
        .input_schema(json!({
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"]
        }))
        .handler(|_ctx, _args| async { done() });
    let server = Server::builder("s", "1").tool(search).build().unwrap();
    let report = server.check();
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::SearchFetchShape], "{report}");
    assert!(report.findings[0].problem.contains("its arguments are [q], not exactly `query`"));
}

#[test]
fn instructions_that_do_not_stand_alone_in_512_characters() {
    let long = "This connector tracks tickets and ".repeat(20);
    let server = Server::builder("s", "1").instructions(long).build().unwrap();
    let rules: Vec<Rule> = server.check().findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::InstructionsCut]);
    let fixed = format!("Tracks tickets: find, create and update them.\n\n{}", "Details. ".repeat(100));
    let server = Server::builder("s", "1").instructions(fixed).build().unwrap();
    assert!(server.check().is_clean());
}

#[test]
fn a_large_tool_list_is_over_the_budget_and_many_tools_are_too_many() {
    let mut builder = Server::builder("s", "1");
    for i in 0..45 {
        builder = builder.tool(
            Tool::read(format!("tool_{i}"))
                .title(format!("Tool {i}"))
                .description("Does one small thing. ".repeat(10))
                .handler(|_ctx, _args| async { done() }),
        );
    }
    let server = builder.build().unwrap();
    let report = server.check_with(&CheckOptions::default().token_budget(1_000));
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, [Rule::ToolListTooLarge, Rule::TooManyTools], "{report}");
    assert!(report.tool_list_tokens > 1_000);
    let too_many = &report.findings[1];
    assert_eq!(too_many.clients, [Client::Cursor]);
    assert_eq!(too_many.impact, Impact::Degraded);
    assert!(
        server.check().findings.iter().all(|f| f.rule == Rule::TooManyTools),
        "within the default budget"
    );
}
