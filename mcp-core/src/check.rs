//! A compatibility check: what ChatGPT, Claude, Cursor and VS Code will reject or use badly in a
//! connector, found before any of them connects.
//!
//! [`Server::check`] reads what the server would announce (its tools, their schemas and hints,
//! its instructions, its UI links) and reports one [`Finding`] per problem: which clients it
//! affects, whether they reject the thing or only use it worse, and what to change. The rules
//! come from the clients' documentation and from problems users reported (see each
//! [`Rule`]). What a client would reject outright and the SDK can rule out is refused earlier
//! and is not repeated here: `build()` refuses an `outputSchema` whose root is not a plain
//! object (Claude rejects a top-level `anyOf`), a tool linked to a UI page that is not
//! registered, and names the spec forbids; at run time a tool that declares an `outputSchema`
//! and returns no `structuredContent` (which Cursor rejects) answers a tool error instead.
//!
//! Run it in a test, so a change that would hurt a client fails CI:
//!
//! ```
//! use mcp_connector_core::protocol::CallToolResult;
//! use mcp_connector_core::{Server, Tool, ToolError};
//!
//! let server = Server::builder("tickets", "1.0.0")
//!     .tool(
//!         Tool::read("find_tickets")
//!             .title("Find tickets")
//!             .description("Finds tickets whose title contains the query.")
//!             .handler(|_ctx, _args| async { Ok::<_, ToolError>(CallToolResult::text("[]")) }),
//!     )
//!     .build()
//!     .unwrap();
//! let report = server.check();
//! assert!(report.is_clean(), "{report}");
//! ```
//!
//! Every example connector in this repository answers `--check` with the same report.

use std::fmt;

use serde_json::Value;

use crate::Server;
use crate::protocol::ToolDefinition;

/// A client whose needs the check knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Client {
    /// ChatGPT (developer mode, apps, deep research) and the OpenAI Responses API.
    ChatGpt,
    /// Claude (claude.ai, Desktop, Code).
    Claude,
    /// Cursor.
    Cursor,
    /// Visual Studio Code's agent mode.
    VsCode,
}

impl Client {
    /// Every client the check knows, in the order reports list them.
    pub const ALL: [Client; 4] = [Client::ChatGpt, Client::Claude, Client::Cursor, Client::VsCode];

    /// The client's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Client::ChatGpt => "ChatGPT",
            Client::Claude => "Claude",
            Client::Cursor => "Cursor",
            Client::VsCode => "VS Code",
        }
    }
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How badly a finding hurts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Impact {
    /// The client refuses the tool (or the whole connector), or a feature will not use it.
    Rejected,
    /// The client uses it, worse: more confirmations, worse tool choice, a slower host.
    Degraded,
}

/// Which rule a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A tool has no description: models choose tools by their descriptions.
    MissingDescription,
    /// A tool has no title: ChatGPT's directory review asks for one, and hosts show it in
    /// confirmations instead of the raw name.
    MissingTitle,
    /// A tool does not say whether it only reads (`readOnlyHint`): ChatGPT treats it as a
    /// write and asks the user to confirm every call; a write without its other hints
    /// (`destructiveHint`, `idempotentHint`, `openWorldHint`) fails ChatGPT's directory review.
    MissingHints,
    /// A tool name outside `^[a-zA-Z0-9_-]{1,64}$`, the function-name rule of the OpenAI and
    /// Anthropic model APIs: the spec allows `.` and `/` and longer names, these hosts do not.
    NameRejected,
    /// The server's `instructions` run past 512 characters without the first 512 standing
    /// alone: ChatGPT reads only that much.
    InstructionsCut,
    /// `tools/list` is larger than the token budget: every definition goes to the model on
    /// every turn, which slows the host down and makes tool choice worse.
    ToolListTooLarge,
    /// More tools than a client takes: Cursor uses about 40 tools across all servers and VS
    /// Code at most 128 per request (both reported).
    TooManyTools,
    /// A `search` or `fetch` tool that does not have the exact shape ChatGPT deep research and
    /// company knowledge call (`{query: string}` and `{id: string}`, read-only).
    SearchFetchShape,
}

/// One thing a client will reject or use badly, and what to change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Finding {
    /// The rule that found it.
    pub rule: Rule,
    /// How badly it hurts.
    pub impact: Impact,
    /// The clients it affects.
    pub clients: Vec<Client>,
    /// What it is about: ``tool `delete_ticket` ``, `the instructions`, `tools/list`.
    pub subject: String,
    /// What is wrong, and why it matters to those clients.
    pub problem: String,
    /// What to change.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let impact = match self.impact {
            Impact::Rejected => "rejected",
            Impact::Degraded => "degraded",
        };
        let clients: Vec<&str> = self.clients.iter().map(|c| c.name()).collect();
        write!(f, "{} [{impact} by {}]: {} Fix: {}", self.subject, clients.join(", "), self.problem, self.fix)
    }
}

/// What [`Server::check`] found.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Every finding, in the order of the server's tools, then server-wide ones.
    pub findings: Vec<Finding>,
    /// The estimated size of `tools/list` in tokens (its JSON length / 4).
    pub tool_list_tokens: usize,
}

impl Report {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings that affect `client`.
    pub fn for_client(&self, client: Client) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.clients.contains(&client))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clean() {
            return write!(
                f,
                "compatibility check: nothing found for {} (tools/list ≈ {} tokens)",
                Client::ALL.map(Client::name).join(", "),
                self.tool_list_tokens
            );
        }
        writeln!(
            f,
            "compatibility check: {} finding(s) (tools/list ≈ {} tokens)",
            self.findings.len(),
            self.tool_list_tokens
        )?;
        for client in Client::ALL {
            let mine: Vec<&Finding> = self.for_client(client).collect();
            if mine.is_empty() {
                continue;
            }
            writeln!(f, "\n{client}:")?;
            for finding in mine {
                writeln!(f, "  - {finding}")?;
            }
        }
        Ok(())
    }
}

/// Settings of the check.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The most tokens `tools/list` may take (estimated as its JSON length / 4). Default 8,000:
    /// hosts give tool definitions a share of the model's context on every turn, and a few
    /// connectors of this size already fill it.
    pub token_budget: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions { token_budget: 8_000 }
    }
}

impl CheckOptions {
    /// Sets the token budget of `tools/list`.
    ///
    /// ```
    /// let options = mcp_connector_core::check::CheckOptions::default().token_budget(2_000);
    /// assert_eq!(options.token_budget, 2_000);
    /// ```
    pub fn token_budget(mut self, tokens: usize) -> Self {
        self.token_budget = tokens;
        self
    }
}

/// How many characters of `instructions` ChatGPT reads.
const INSTRUCTIONS_SHOWN: usize = 512;
/// Cursor's reported limit on tools across all servers.
const CURSOR_TOOLS: usize = 40;
/// VS Code's limit on tools per request.
const VS_CODE_TOOLS: usize = 128;

impl Server {
    /// Checks the server against what ChatGPT, Claude, Cursor and VS Code need, with the default
    /// [`CheckOptions`]. See [the module](crate::check).
    ///
    /// ```
    /// use mcp_connector_core::protocol::CallToolResult;
    /// use mcp_connector_core::{Server, Tool, ToolError, check::Rule};
    ///
    /// let server = Server::builder("s", "1")
    ///     .tool(Tool::write("wipe").handler(|_ctx, _args| async { Ok::<_, ToolError>(CallToolResult::text("done")) }))
    ///     .build()
    ///     .unwrap();
    /// let report = server.check();
    /// assert!(report.findings.iter().any(|f| f.rule == Rule::MissingDescription));
    /// println!("{report}");
    /// ```
    pub fn check(&self) -> Report {
        self.check_with(&CheckOptions::default())
    }

    /// [`check`](Self::check) with other settings.
    pub fn check_with(&self, options: &CheckOptions) -> Report {
        let tools = self.tools();
        let mut findings = Vec::new();
        for tool in &tools {
            check_tool(&tool.definition, &mut findings);
        }
        if let Some(instructions) = self.instructions() {
            check_instructions(instructions, &mut findings);
        }
        let listed: Vec<&serde_json::value::RawValue> = tools.iter().map(|t| &*t.schemas.listed).collect();
        let tool_list_tokens = serde_json::to_string(&listed).map_or(0, |json| json.len() / 4);
        if tool_list_tokens > options.token_budget {
            findings.push(Finding {
                rule: Rule::ToolListTooLarge,
                impact: Impact::Degraded,
                clients: Client::ALL.to_vec(),
                subject: "tools/list".into(),
                problem: format!(
                    "the {} tool definitions take about {tool_list_tokens} tokens, over the budget of {}; hosts send them to the model on every turn, which slows the host and blurs tool choice.",
                    tools.len(),
                    options.token_budget
                ),
                fix: "shorten the longest descriptions (the first sentence matters most), merge tools that differ by one argument, or split the connector by audience.".into(),
            });
        }
        if tools.len() > CURSOR_TOOLS {
            let over_vs_code = tools.len() > VS_CODE_TOOLS;
            findings.push(Finding {
                rule: Rule::TooManyTools,
                impact: if over_vs_code { Impact::Rejected } else { Impact::Degraded },
                clients: if over_vs_code { vec![Client::Cursor, Client::VsCode] } else { vec![Client::Cursor] },
                subject: "tools/list".into(),
                problem: format!(
                    "{} tools: Cursor uses about {CURSOR_TOOLS} across all its servers{} (reported).",
                    tools.len(),
                    if over_vs_code { format!(" and VS Code at most {VS_CODE_TOOLS} per request") } else { String::new() }
                ),
                fix: "offer fewer, broader tools (one tool with an `action` argument instead of one per action), or serve several connectors.".into(),
            });
        }
        Report { findings, tool_list_tokens }
    }
}

fn check_tool(tool: &ToolDefinition, findings: &mut Vec<Finding>) {
    let subject = format!("tool `{}`", tool.name);
    let mut find = |rule, impact, clients: &[Client], problem: String, fix: String| {
        findings.push(Finding {
            rule,
            impact,
            clients: clients.to_vec(),
            subject: subject.clone(),
            problem,
            fix,
        });
    };
    if tool.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
        find(
            Rule::MissingDescription,
            Impact::Degraded,
            &Client::ALL,
            "it has no description, and models choose tools by their descriptions.".into(),
            "write a doc comment on the handler (`/// Finds tickets by title.`), or `.description(\"...\")` on the builder: what it does, when to use it, what it returns.".into(),
        );
    }
    let title = tool.title.as_deref().or_else(|| tool.annotations.as_ref()?.title.as_deref());
    if title.is_none_or(|t| t.trim().is_empty()) {
        find(
            Rule::MissingTitle,
            Impact::Degraded,
            &[Client::ChatGpt, Client::Claude],
            "it has no title: hosts show the raw name in confirmations, and ChatGPT's directory review asks for one.".into(),
            "start the doc comment with a short first line (`/// Find tickets`), which becomes the title, or `.title(\"...\")` on the builder.".into(),
        );
    }
    let hints = tool.annotations.as_ref();
    match hints.and_then(|h| h.read_only_hint) {
        None => find(
            Rule::MissingHints,
            Impact::Degraded,
            &[Client::ChatGpt],
            "it does not say whether it only reads (readOnlyHint), so ChatGPT treats it as a write and asks the user to confirm every call.".into(),
            "declare it with `#[tool(read)]` or `#[tool(write)]` (`Tool::read` / `Tool::write`), which set every hint.".into(),
        ),
        Some(false) => {
            let missing: Vec<&str> = [
                ("destructiveHint", hints.and_then(|h| h.destructive_hint)),
                ("idempotentHint", hints.and_then(|h| h.idempotent_hint)),
                ("openWorldHint", hints.and_then(|h| h.open_world_hint)),
            ]
            .into_iter()
            .filter(|(_, set)| set.is_none())
            .map(|(name, _)| name)
            .collect();
            if !missing.is_empty() {
                find(
                    Rule::MissingHints,
                    Impact::Degraded,
                    &[Client::ChatGpt],
                    format!("a write without {}: ChatGPT's directory review wants every hint set, and hosts assume the worst case for a missing one.", missing.join(", ")),
                    "set them explicitly: `#[tool(write, destructive = false, idempotent, closed_world)]` or `.destructive(..)`, `.idempotent(..)`, `.open_world(..)` on the builder.".into(),
                );
            }
        }
        Some(true) => {}
    }
    let name_ok = (1..=64).contains(&tool.name.len())
        && tool.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !name_ok {
        find(
            Rule::NameRejected,
            Impact::Rejected,
            &[Client::ChatGpt, Client::Claude],
            "its name is valid MCP but not a valid function name for the OpenAI and Anthropic model APIs (^[a-zA-Z0-9_-]{1,64}$), so these hosts cannot offer it to the model.".into(),
            "use letters, digits, `_` and `-` only, at most 64 characters (`tickets_search` rather than `tickets.search`).".into(),
        );
    }
    let shape = match tool.name.as_str() {
        "search" => Some((
            "query",
            "search takes exactly {query: string} and returns one text item whose JSON is {\"results\": [{\"id\", \"title\", \"url\"}]}",
        )),
        "fetch" => Some((
            "id",
            "fetch takes exactly {id: string} and returns one text item whose JSON is {\"id\", \"title\", \"text\", \"url\", \"metadata\"}",
        )),
        _ => None,
    };
    if let Some((argument, contract)) = shape
        && let Some(why) = search_fetch_problem(tool, argument)
    {
        find(
            Rule::SearchFetchShape,
            Impact::Rejected,
            &[Client::ChatGpt],
            format!(
                "{why}; ChatGPT deep research and company knowledge call it only in the exact shape ({contract})."
            ),
            format!(
                "take one required string argument `{argument}` and nothing else, and declare the tool read-only; see examples/src/bin/knowledge.rs."
            ),
        );
    }
}

/// What keeps a `search` or `fetch` tool from the shape ChatGPT calls, if anything.
fn search_fetch_problem(tool: &ToolDefinition, argument: &str) -> Option<String> {
    let properties = tool.input_schema.get("properties").and_then(Value::as_object);
    let names: Vec<&str> = properties.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
    if names != [argument] {
        return Some(format!("its arguments are [{}], not exactly `{argument}`", names.join(", ")));
    }
    let is_string =
        properties.and_then(|p| p.get(argument)).and_then(|s| s.get("type")).and_then(Value::as_str)
            == Some("string");
    if !is_string {
        return Some(format!("`{argument}` is not a string"));
    }
    let required = tool.input_schema.get("required").and_then(Value::as_array);
    if !required.is_some_and(|r| r.iter().any(|v| v.as_str() == Some(argument))) {
        return Some(format!("`{argument}` is not required"));
    }
    if tool.annotations.as_ref().and_then(|h| h.read_only_hint) != Some(true) {
        return Some("it is not declared read-only".into());
    }
    None
}

/// The first 512 characters of `instructions` must read complete on their own: a paragraph (or
/// the whole text) must end within them.
fn check_instructions(instructions: &str, findings: &mut Vec<Finding>) {
    if instructions.chars().count() <= INSTRUCTIONS_SHOWN {
        return;
    }
    let shown: String = instructions.chars().take(INSTRUCTIONS_SHOWN).collect();
    let first_paragraph_ends = shown.find("\n\n").is_some();
    if !first_paragraph_ends {
        findings.push(Finding {
            rule: Rule::InstructionsCut,
            impact: Impact::Degraded,
            clients: vec![Client::ChatGpt],
            subject: "the instructions".into(),
            problem: format!(
                "they are {} characters long and no paragraph ends within the first {INSTRUCTIONS_SHOWN}, which is all ChatGPT reads: it gets a cut sentence.",
                instructions.chars().count()
            ),
            fix: format!(
                "open with a paragraph of at most {INSTRUCTIONS_SHOWN} characters that says what the connector is for and when to use it, then a blank line, then the details."
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ToolAnnotations;
    use serde_json::{Map, json};

    fn schema(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn definition(name: &str) -> ToolDefinition {
        let mut tool: ToolDefinition =
            serde_json::from_value(json!({"name": name, "inputSchema": {"type": "object"}})).unwrap();
        tool.title = Some("A title".into());
        tool.description = Some("Does one thing.".into());
        tool.annotations = Some(ToolAnnotations { read_only_hint: Some(true), ..Default::default() });
        tool
    }

    fn rules(tool: &ToolDefinition) -> Vec<Rule> {
        let mut findings = Vec::new();
        check_tool(tool, &mut findings);
        findings.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn a_complete_read_tool_has_no_findings() {
        assert_eq!(rules(&definition("find_tickets")), vec![]);
    }

    #[test]
    fn names_outside_the_model_apis_rule_are_found() {
        for bad in ["tickets.search", "tickets/search", &"x".repeat(65)] {
            assert_eq!(rules(&definition(bad)), vec![Rule::NameRejected], "{bad}");
        }
        assert_eq!(rules(&definition(&"x".repeat(64))), vec![]);
    }

    #[test]
    fn search_and_fetch_must_have_their_exact_shape() {
        let mut search = definition("search");
        search.input_schema = schema(json!({
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"]
        }));
        assert_eq!(rules(&search), vec![]);
        search.input_schema = schema(json!({
            "type": "object",
            "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["query"]
        }));
        assert_eq!(rules(&search), vec![Rule::SearchFetchShape]);
        let mut fetch = definition("fetch");
        fetch.input_schema = schema(json!({"type": "object", "properties": {"id": {"type": "integer"}}}));
        assert_eq!(rules(&fetch), vec![Rule::SearchFetchShape]);
    }

    #[test]
    fn instructions_must_stand_alone_in_their_first_512_characters() {
        let mut findings = Vec::new();
        check_instructions(&"word ".repeat(200), &mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, Rule::InstructionsCut);
        let mut findings = Vec::new();
        check_instructions(&format!("A tracker for tickets.\n\n{}", "detail ".repeat(200)), &mut findings);
        check_instructions("short", &mut findings);
        assert!(findings.is_empty());
    }
}
