use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::TaskSupport;
use crate::Context;
use crate::error::ToolError;
use crate::protocol::{CallToolResult, Icon, Meta, ToolAnnotations, ToolDefinition};
use crate::schema::validate::Compiled;

/// What runs when a tool is called: takes the request context and the (already validated)
/// arguments, returns a result or a [`ToolError`].
///
/// Any `Fn(Context, Map<String, Value>) -> impl Future<Output = Result<CallToolResult, ToolError>>`
/// is a handler; implement the trait yourself for handlers that carry state.
pub trait ToolHandler: Send + Sync + 'static {
    /// Runs the tool.
    fn call(
        &self,
        ctx: Context,
        arguments: Map<String, Value>,
    ) -> BoxFuture<'static, Result<CallToolResult, ToolError>>;
}

impl<F, Fut> ToolHandler for F
where
    F: Fn(Context, Map<String, Value>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<CallToolResult, ToolError>> + Send + 'static,
{
    fn call(
        &self,
        ctx: Context,
        arguments: Map<String, Value>,
    ) -> BoxFuture<'static, Result<CallToolResult, ToolError>> {
        Box::pin(self(ctx, arguments))
    }
}

/// A tool: its definition (name, schemas, hints) and its handler.
///
/// The macros (`#[tool]`) build these for you. Build one by hand to register tools at run time:
/// start from [`Tool::read`] or [`Tool::write`] (every tool must say which, because clients
/// such as ChatGPT ask the user to confirm writes), refine, then give the handler.
///
/// ```
/// use mcp_connector_core::{Tool, protocol::CallToolResult};
/// use serde_json::json;
///
/// let tool = Tool::write("close_ticket")
///     .description("Close a ticket.")
///     .idempotent(true)
///     .destructive(false)
///     .input_schema(json!({
///         "type": "object",
///         "properties": { "id": { "type": "integer" } },
///         "required": ["id"]
///     }))
///     .handler(|_ctx, args| async move {
///         Ok(CallToolResult::text(format!("closed {}", args["id"])))
///     });
/// assert_eq!(tool.definition().annotations.as_ref().unwrap().read_only_hint, Some(false));
/// ```
#[derive(Clone)]
pub struct Tool {
    pub(crate) definition: ToolDefinition,
    pub(crate) handler: Arc<dyn ToolHandler>,
    pub(crate) scopes: Vec<String>,
    pub(crate) origin: String,
    /// The schemas as JSON values, built once: every call validates against them.
    pub(crate) schemas: Arc<ToolSchemas>,
    /// Whether calls may become tasks (Tasks extension).
    pub(crate) task: super::tasks::TaskDeclaration,
    /// The tool's link to a UI page and its visibility (MCP Apps), resolved at build.
    pub(crate) ui: Option<crate::ui::ToolUi>,
    /// How long a call may run; see [`ToolBuilder::timeout`].
    pub(crate) timeout: Option<std::time::Duration>,
    /// Safe writes: idempotency key, retry window, confirmation (see `server/safe.rs`).
    pub(crate) safety: Safety,
}

/// A preview of what a call would change, for confirmation (see [`ToolBuilder::confirm`]).
pub(crate) type PreviewFn =
    Arc<dyn Fn(Context, Map<String, Value>) -> BoxFuture<'static, Result<String, ToolError>> + Send + Sync>;

/// What a tool declares about safe writes (`crate::safe`).
#[derive(Clone, Default)]
pub(crate) struct Safety {
    /// The argument holding the idempotency key.
    pub(crate) idempotency_key: Option<String>,
    /// The tool opted out of the retry window.
    pub(crate) no_retry_window: bool,
    /// Calls need the user's confirmation; this describes what one would change.
    pub(crate) confirm: Option<PreviewFn>,
}

/// A tool's input and output schemas in the form the validator reads.
#[derive(Debug)]
pub(crate) struct ToolSchemas {
    pub(crate) input: Compiled,
    pub(crate) output: Option<Compiled>,
    /// What [`Tool::header_params`] answers, read from the input schema once: a modern HTTP
    /// transport checks the `Mcp-Param-*` headers against it on every call.
    header_params: Result<Vec<(String, Vec<String>)>, String>,
    /// The definition as `tools/list` sends it, serialised once: a listing copies this rather
    /// than cloning the typed definition and serialising it again on every request.
    pub(crate) listed: Box<serde_json::value::RawValue>,
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool").field("definition", &self.definition).field("scopes", &self.scopes).finish()
    }
}

impl Tool {
    /// A tool that only reads: `readOnlyHint: true` (and so `destructiveHint: false`,
    /// `idempotentHint: true`), `openWorldHint: true` unless refined.
    pub fn read(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder::new(name.into(), true)
    }

    /// A tool that changes something: `readOnlyHint: false`, and the spec's defaults for the
    /// rest unless refined: `destructiveHint: true`, `idempotentHint: false`,
    /// `openWorldHint: true`.
    pub fn write(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder::new(name.into(), false)
    }

    /// What `tools/list` says about the tool.
    pub fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// The argument that carries the tool's idempotency key, if it has one
    /// ([`ToolBuilder::idempotency_key`]).
    pub fn idempotency_key(&self) -> Option<&str> {
        self.safety.idempotency_key.as_deref()
    }

    /// Whether calls need the user's confirmation ([`ToolBuilder::confirm`]).
    pub fn confirms(&self) -> bool {
        self.safety.confirm.is_some()
    }

    /// The OAuth scopes the tool needs (recorded here, enforced by the auth layer).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether the tool declares itself read-only.
    pub fn is_read_only(&self) -> bool {
        self.definition.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
    }

    /// Runs the handler directly, without validation (the server validates before it calls).
    pub fn handler(&self) -> &Arc<dyn ToolHandler> {
        &self.handler
    }

    /// Whether calls may become tasks; see [`ToolBuilder::task_support`].
    pub fn task_support(&self) -> TaskSupport {
        self.task.support
    }

    /// Whether the task starts when the handler says so; see [`ToolBuilder::defer_task`].
    pub fn defers_task(&self) -> bool {
        self.task.deferred
    }

    /// How long a call may run before it is stopped; see [`ToolBuilder::timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// let tool = Tool::read("lookup")
    ///     .timeout(Duration::from_secs(10))
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("found")) });
    /// assert_eq!(tool.timeout(), Some(Duration::from_secs(10)));
    /// ```
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout
    }

    /// The arguments this tool asks HTTP clients to mirror into `Mcp-Param-{Name}` headers
    /// with `x-mcp-header` (2026-07-28, server/tools, "x-mcp-header"): for each annotated
    /// property, the `{Name}` part and the property's path from the schema root (the chain of
    /// `properties` keys). `Err` says which of the spec's constraints the annotations break:
    /// the value must be a non-empty HTTP token (RFC 9110 `tchar`s, so no control characters),
    /// unique case-insensitively within the schema, on a property of type `string`, `integer`
    /// or `boolean` (optionally also `null`; never `number`), reachable from the root through
    /// `properties` alone (not through `items`, `anyOf`/`oneOf`/`allOf`/`not`,
    /// `if`/`then`/`else`, `$ref` or `$defs`). Clients drop a tool whose annotations break them.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// use serde_json::json;
    ///
    /// let handler = |_ctx, _args| async { Ok(CallToolResult::text("ok")) };
    /// let sql = Tool::read("execute_sql")
    ///     .input_schema(json!({
    ///         "type": "object",
    ///         "properties": {
    ///             "region": {"type": "string", "x-mcp-header": "Region"},
    ///             "query": {"type": "string"}
    ///         }
    ///     }))
    ///     .handler(handler);
    /// assert_eq!(sql.header_params().unwrap(), vec![("Region".to_owned(), vec!["region".to_owned()])]);
    ///
    /// let nested_in_an_array = Tool::read("bad")
    ///     .input_schema(json!({
    ///         "type": "object",
    ///         "properties": {
    ///             "rows": {"type": "array", "items": {"type": "string", "x-mcp-header": "Row"}}
    ///         }
    ///     }))
    ///     .handler(handler);
    /// assert!(nested_in_an_array.header_params().is_err());
    /// ```
    pub fn header_params(&self) -> Result<Vec<(String, Vec<String>)>, String> {
        self.schemas.header_params.clone()
    }

    /// [`Tool::header_params`], borrowed: what a transport checks on every modern
    /// `tools/call`, where a copy of the list (and of each name and path in it) would be made
    /// only to be read once and dropped.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// use serde_json::json;
    ///
    /// let sql = Tool::read("execute_sql")
    ///     .input_schema(json!({
    ///         "type": "object",
    ///         "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}
    ///     }))
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("ok")) });
    /// let params = sql.header_params_ref().unwrap();
    /// assert_eq!(params, &[("Region".to_owned(), vec!["region".to_owned()])]);
    /// ```
    pub fn header_params_ref(&self) -> Result<&[(String, Vec<String>)], &str> {
        match &self.schemas.header_params {
            Ok(params) => Ok(params),
            Err(why) => Err(why),
        }
    }

    /// Writes the tool's UI link (MCP Apps) into its `_meta`, checked against the registered
    /// pages; `find` tells, for a URI, whether a page is registered there (`Some`), whether it
    /// is a UI page (`Some(Some(_))`) and whether it has a skybridge copy (`Some(Some(true))`).
    pub(crate) fn link_ui(
        &mut self,
        find: impl Fn(&str) -> Option<Option<bool>>,
    ) -> Result<(), crate::BuildError> {
        let Some(ui) = &self.ui else { return Ok(()) };
        let meta = ui.wire(self.name(), find)?;
        crate::ui::merge_meta(&mut self.definition.meta, meta);
        self.schemas = Arc::new(ToolSchemas {
            input: self.schemas.input.clone(),
            output: self.schemas.output.clone(),
            header_params: self.schemas.header_params.clone(),
            listed: listed_json(&self.definition),
        });
        Ok(())
    }
}

/// The schema keyword naming the header a property is mirrored into.
const X_MCP_HEADER: &str = "x-mcp-header";

/// Keywords whose values are data, not schemas: an `x-mcp-header` key inside them is no
/// annotation.
const DATA_KEYWORDS: [&str; 4] = ["const", "enum", "default", "examples"];

/// Keywords whose values map names to schemas (the names are not schema keywords).
const SCHEMA_MAPS: [&str; 5] =
    ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

pub(crate) fn x_mcp_headers(schema: &Map<String, Value>) -> Result<Vec<(String, Vec<String>)>, String> {
    if schema.contains_key(X_MCP_HEADER) {
        return Err("`x-mcp-header` on the schema root; only properties can be mirrored into headers".into());
    }
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    reachable_properties(schema, &mut Vec::new(), &mut found)?;
    for (i, (name, path)) in found.iter().enumerate() {
        if let Some((_, first)) = found[..i].iter().find(|(other, _)| other.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "`x-mcp-header` {name:?} of `{}` repeats that of `{}` (they must differ case-insensitively)",
                path.join("."),
                first.join(".")
            ));
        }
    }
    Ok(found)
}

/// Walks a schema reachable from the root through `properties` alone, collecting annotations;
/// anything else it contains must hold none.
fn reachable_properties(
    node: &Map<String, Value>,
    path: &mut Vec<String>,
    found: &mut Vec<(String, Vec<String>)>,
) -> Result<(), String> {
    for (key, value) in node {
        if key == X_MCP_HEADER || DATA_KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        if key == "properties"
            && let Value::Object(properties) = value
        {
            for (name, property) in properties {
                let Value::Object(property) = property else { continue };
                path.push(name.clone());
                if let Some(header) = property.get(X_MCP_HEADER) {
                    found.push((header_param(header, property, path)?, path.clone()));
                }
                reachable_properties(property, path, found)?;
                path.pop();
            }
            continue;
        }
        no_annotation(key, value, path)?;
    }
    Ok(())
}

/// Fails on any `x-mcp-header` inside `value` (a schema keyword's value off the `properties`
/// chain).
fn no_annotation(keyword: &str, value: &Value, path: &[String]) -> Result<(), String> {
    let misplaced = || {
        let at = if path.is_empty() { "the root".to_owned() } else { format!("`{}`", path.join(".")) };
        format!(
            "`x-mcp-header` under `{keyword}` of {at}: annotated properties must be reachable from the root through `properties` alone"
        )
    };
    match value {
        Value::Array(items) => items.iter().try_for_each(|item| no_annotation(keyword, item, path)),
        Value::Object(map) if SCHEMA_MAPS.contains(&keyword) => {
            map.values().try_for_each(|schema| no_annotation(keyword, schema, path))
        }
        Value::Object(map) => {
            if map.contains_key(X_MCP_HEADER) {
                return Err(misplaced());
            }
            map.iter()
                .filter(|(key, _)| !DATA_KEYWORDS.contains(&key.as_str()))
                .try_for_each(|(key, value)| no_annotation(key, value, path).map_err(|_| misplaced()))
        }
        _ => Ok(()),
    }
}

/// Checks one annotation and its property; returns the header's `{Name}` part.
fn header_param(header: &Value, property: &Map<String, Value>, path: &[String]) -> Result<String, String> {
    let at = path.join(".");
    let Some(name) = header.as_str() else {
        return Err(format!("`x-mcp-header` of `{at}` must be a string"));
    };
    if name.is_empty() {
        return Err(format!("`x-mcp-header` of `{at}` is empty"));
    }
    // RFC 9110, section 5.6.2: tchar.
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if let Some(c) = name.chars().find(|&c| !tchar(c)) {
        return Err(format!("`x-mcp-header` {name:?} of `{at}` contains {c:?}, which a header name cannot"));
    }
    let primitive = |t: &str| matches!(t, "string" | "integer" | "boolean");
    let typed = match property.get("type") {
        Some(Value::String(t)) => primitive(t),
        Some(Value::Array(types)) => {
            let types: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
            !types.is_empty() && types.iter().all(|t| primitive(t))
        }
        _ => false,
    };
    if !typed {
        return Err(format!(
            "`{at}` has `x-mcp-header` {name:?} but is not of type string, integer or boolean"
        ));
    }
    Ok(name.to_owned())
}

/// Builds a [`Tool`]; made by [`Tool::read`] or [`Tool::write`].
#[derive(Debug, Clone)]
pub struct ToolBuilder {
    definition: ToolDefinition,
    scopes: Vec<String>,
    origin: Option<String>,
    task: super::tasks::TaskDeclaration,
    ui: Option<crate::ui::ToolUi>,
    timeout: Option<std::time::Duration>,
    safety: Safety,
}

impl std::fmt::Debug for Safety {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Safety")
            .field("idempotency_key", &self.idempotency_key)
            .field("no_retry_window", &self.no_retry_window)
            .field("confirm", &self.confirm.is_some())
            .finish()
    }
}

impl ToolBuilder {
    fn new(name: String, read_only: bool) -> Self {
        let annotations = ToolAnnotations {
            title: None,
            read_only_hint: Some(read_only),
            destructive_hint: Some(!read_only),
            idempotent_hint: Some(read_only),
            open_world_hint: Some(true),
        };
        ToolBuilder {
            definition: ToolDefinition {
                name,
                title: None,
                description: None,
                input_schema: crate::schema::empty_object_schema(),
                output_schema: None,
                annotations: Some(annotations),
                execution: None,
                icons: None,
                security_schemes: None,
                meta: None,
            },
            scopes: Vec::new(),
            origin: None,
            task: Default::default(),
            ui: None,
            timeout: None,
            safety: Safety::default(),
        }
    }

    fn hints(&mut self) -> &mut ToolAnnotations {
        self.definition.annotations.get_or_insert_with(Default::default)
    }

    /// The description the model reads.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.definition.description = Some(description.into());
        self
    }

    /// The display name (also sent as `annotations.title` for older clients).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        let title = title.into();
        self.hints().title = Some(title.clone());
        self.definition.title = Some(title);
        self
    }

    /// The JSON Schema of the arguments (its root must be `type: "object"`; checked at build).
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.definition.input_schema = match schema {
            Value::Object(map) => map,
            other => {
                let mut map = Map::new();
                map.insert("type".into(), other);
                map
            }
        };
        self
    }

    /// The JSON Schema of `structuredContent` (its root must be `type: "object"`).
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.definition.output_schema = match schema {
            Value::Object(map) => Some(map),
            _ => None,
        };
        self
    }

    /// Whether a write may destroy or overwrite data (`destructiveHint`). Ignored on reads.
    pub fn destructive(mut self, yes: bool) -> Self {
        if !self.is_read_only() {
            self.hints().destructive_hint = Some(yes);
        }
        self
    }

    /// Whether repeating a write with the same arguments has no further effect
    /// (`idempotentHint`). Ignored on reads.
    pub fn idempotent(mut self, yes: bool) -> Self {
        if !self.is_read_only() {
            self.hints().idempotent_hint = Some(yes);
        }
        self
    }

    /// Whether the tool reaches an open world of external entities (`openWorldHint`).
    pub fn open_world(mut self, yes: bool) -> Self {
        self.hints().open_world_hint = Some(yes);
        self
    }

    /// An OAuth scope the tool needs; repeatable.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Icons for the tool.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.definition.icons = Some(icons);
        self
    }

    /// Free-form `_meta` (for example OpenAI Apps SDK keys such as `openai/outputTemplate`).
    pub fn meta(mut self, meta: Meta) -> Self {
        self.definition.meta = Some(meta);
        self
    }

    /// Whether calls may become tasks (the Tasks extension, `io.modelcontextprotocol/tasks`, of
    /// protocol 2026-07-28): a long-running tool answers a client that declared the extension
    /// with a task handle at once and runs on in the background; the client polls `tasks/get`
    /// for the result. Inside the task, `ctx.elicit(...)` reaches the client through
    /// `tasks/get` and `tasks/update`. Older clients, and 2026-07-28 clients that did not
    /// declare the extension, get a plain call (or, for [`TaskSupport::Required`] in
    /// 2026-07-28, error `-32021`). The server advertises the extension when any tool is
    /// task-capable. Nothing about it appears in `tools/list`.
    ///
    /// ```
    /// use mcp_connector_core::{TaskSupport, Tool, protocol::CallToolResult};
    /// use std::time::Duration;
    ///
    /// let export = Tool::read("export_report")
    ///     .description("Export the yearly report (takes minutes).")
    ///     .task_support(TaskSupport::Optional)
    ///     .handler(|ctx, _args| async move {
    ///         ctx.set_task_status_message("rendering");
    ///         tokio::time::sleep(Duration::from_millis(10)).await;
    ///         Ok(CallToolResult::text("exported"))
    ///     });
    /// assert_eq!(export.task_support(), TaskSupport::Optional);
    /// ```
    pub fn task_support(mut self, support: TaskSupport) -> Self {
        self.task.support = support;
        self
    }

    /// Starts the task when the handler calls [`Context::start_task`] rather than before the
    /// handler runs: until then the handler runs inside the `tools/call` request, where it can
    /// ask for input by multi round-trip (the client answers and retries), and if it returns
    /// without starting a task the client gets a plain result. For a task-capable tool that
    /// must ask something before it commits to background work.
    pub fn defer_task(mut self, yes: bool) -> Self {
        self.task.deferred = yes;
        self
    }

    /// Stops a call that runs longer than `timeout`: its handler's future is dropped (which
    /// cancels whatever it was awaiting), the request's [`CancellationToken`](crate::CancellationToken)
    /// ([`Context::cancellation`](crate::Context::cancellation)) is cancelled so that work the
    /// handler spawned elsewhere stops too, and the call answers a tool error (`isError: true`)
    /// that says so, which the model can read and act on. Without it a call runs until it
    /// finishes or the client cancels it. A call that runs as a task (Tasks extension) is not
    /// timed out: tasks are how long work is meant to run. A zero duration means no timeout.
    ///
    /// Dropping the future cannot undo what the handler already did: give write tools a
    /// timeout only when a half-done call is safe to retry (idempotent), or when the handler
    /// commits in one step at its end.
    ///
    /// ```
    /// use std::time::Duration;
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    ///
    /// let search = Tool::read("search")
    ///     .timeout(Duration::from_secs(20))
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("no results")) });
    /// # drop(search);
    /// ```
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = (!timeout.is_zero()).then_some(timeout);
        self
    }

    /// Where the tool was defined, for error messages about duplicates (the macros pass the
    /// Rust path of the handler).
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Makes the tool retry-safe by key: `property` names the string argument that carries an
    /// idempotency key. A call whose key already completed (for the same caller) gets the first
    /// result again without the handler running; the same key with other arguments is a tool
    /// error; a call that arrives while one with its key runs waits for it. The property must
    /// be in the input schema with `"type": "string"` (checked at build). See [`crate::safe`].
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// use serde_json::json;
    ///
    /// let pay = Tool::write("pay")
    ///     .input_schema(json!({
    ///         "type": "object",
    ///         "properties": {"amount": {"type": "integer"}, "request_id": {"type": "string"}},
    ///         "required": ["amount"]
    ///     }))
    ///     .idempotency_key("request_id")
    ///     .handler(|_ctx, args| async move { Ok(CallToolResult::text(format!("paid {}", args["amount"]))) });
    /// assert_eq!(pay.idempotency_key(), Some("request_id"));
    /// ```
    pub fn idempotency_key(mut self, property: impl Into<String>) -> Self {
        self.safety.idempotency_key = Some(property.into());
        self
    }

    /// `false` turns the retry window off for this tool: a request sent again with the same
    /// JSON-RPC id and arguments runs again (for a write that is meant to repeat). See
    /// [`SafeWrites::retry_window`](crate::safe::SafeWrites::retry_window).
    pub fn retry_window(mut self, yes: bool) -> Self {
        self.safety.no_retry_window = !yes;
        self
    }

    /// Makes every call need the user's confirmation. `preview` gets the call's context and
    /// arguments and says, for the model to relay, what the call would change ("This will
    /// permanently delete ticket 42 'Printer on fire' and its 3 comments"); an error from it is
    /// the call's error (nothing changes).
    ///
    /// When the request can ask the user (a 2026-07-28 request, or a session whose client
    /// declared elicitation) the SDK asks through elicitation with the preview. Otherwise the
    /// first call changes nothing and answers the preview with a `confirmation_token` (in the
    /// text and in `structuredContent`); the call that sends the token back, with the same
    /// arguments, within ten minutes, once, runs the handler. The input schema gains an
    /// optional `confirmation_token`; the handler never sees it. A tool that confirms answers
    /// in two shapes, so it declares no `outputSchema`.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    ///
    /// let wipe = Tool::write("wipe")
    ///     .confirm(|_ctx, _args| async { Ok("This will erase every record.".to_owned()) })
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("erased")) });
    /// assert!(wipe.definition().input_schema["properties"]["confirmation_token"].is_object());
    /// ```
    pub fn confirm<F, Fut>(mut self, preview: F) -> Self
    where
        F: Fn(Context, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, ToolError>> + Send + 'static,
    {
        self.safety.confirm = Some(Arc::new(move |ctx, args| Box::pin(preview(ctx, args))));
        self
    }

    fn is_read_only(&self) -> bool {
        self.definition.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
    }

    /// Finishes the tool with an async closure or function as its handler.
    pub fn handler<F, Fut>(self, handler: F) -> Tool
    where
        F: Fn(Context, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, ToolError>> + Send + 'static,
    {
        self.with_handler(handler)
    }

    /// Finishes the tool with any [`ToolHandler`] (a type of your own that carries state).
    pub fn with_handler(mut self, handler: impl ToolHandler) -> Tool {
        if self.safety.confirm.is_some() {
            crate::server::safe::add_confirmation_token(&mut self.definition);
        }
        let origin = self.origin.unwrap_or_else(|| format!("the tool `{}`", self.definition.name));
        let schemas = Arc::new(ToolSchemas {
            input: Compiled::new(Value::Object(self.definition.input_schema.clone())),
            output: self.definition.output_schema.clone().map(|schema| Compiled::new(Value::Object(schema))),
            header_params: x_mcp_headers(&self.definition.input_schema),
            listed: listed_json(&self.definition),
        });
        Tool {
            definition: self.definition,
            handler: Arc::new(handler),
            scopes: self.scopes,
            origin,
            schemas,
            task: self.task,
            ui: self.ui,
            timeout: self.timeout,
            safety: self.safety,
        }
    }

    /// Shows the tool's results in the UI page at `uri` (MCP Apps, `io.modelcontextprotocol/ui`):
    /// a host that supports UI renders the page and hands it each result; others show the
    /// result as usual. The page must be registered with
    /// [`ResourceBuilder::ui`](crate::ResourceBuilder::ui): [`ServerBuilder::build`](crate::ServerBuilder::build)
    /// fails otherwise. Emits `_meta.ui.resourceUri` (and the deprecated `ui/resourceUri`) and
    /// ChatGPT's `openai/outputTemplate` and `openai/widgetAccessible`.
    ///
    /// ```
    /// use mcp_connector_core::{Resource, Server, Tool, protocol::CallToolResult, ui::UiMeta};
    ///
    /// let show = || Tool::read("show_board").ui("ui://tickets/board")
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("3 open tickets")) });
    /// let page = Resource::new("ui://tickets/board", "board").ui(UiMeta::new()).html("<!doctype html>");
    /// assert!(Server::builder("t", "1").resource(page).tool(show()).build().is_ok());
    ///
    /// let error = Server::builder("t", "1").tool(show()).build().unwrap_err();
    /// assert!(error.to_string().contains("no resource with that URI is registered"));
    /// ```
    pub fn ui(mut self, uri: impl Into<String>) -> Self {
        self.ui.get_or_insert_with(Default::default).resource_uri = Some(uri.into());
        self
    }

    /// Who may call the tool: the model, the UI pages, or both (the default); `_meta.ui.visibility`
    /// and ChatGPT's `openai/widgetAccessible` and `openai/visibility`. Needs no page of its own:
    /// an app-only tool is typically a button's action.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult, ui::Visibility};
    ///
    /// let refresh = Tool::read("refresh_board")
    ///     .visibility(Visibility::App)
    ///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("refreshed")) });
    /// # let _ = refresh;
    /// ```
    pub fn visibility(mut self, visibility: crate::ui::Visibility) -> Self {
        self.ui.get_or_insert_with(Default::default).visibility = Some(visibility);
        self
    }

    /// What ChatGPT shows while the tool runs (`openai/toolInvocation/invoking`, at most 64
    /// characters).
    pub fn invoking(mut self, text: impl Into<String>) -> Self {
        self.ui.get_or_insert_with(Default::default).invoking = Some(text.into());
        self
    }

    /// What ChatGPT shows once the tool has run (`openai/toolInvocation/invoked`, at most 64
    /// characters).
    pub fn invoked(mut self, text: impl Into<String>) -> Self {
        self.ui.get_or_insert_with(Default::default).invoked = Some(text.into());
        self
    }
}

/// Checks a tool name against the 2025-11-25 rules ("Tool names", server/tools): 1 to 64
/// characters, each of `A-Z a-z 0-9 _ - .`.
///
/// ```
/// assert!(mcp_connector_core::validate_tool_name("search_tickets").is_ok());
/// assert!(mcp_connector_core::validate_tool_name("search tickets").is_err());
/// ```
pub fn validate_tool_name(name: &str) -> Result<(), String> {
    // The same rules, in the same words, as `#[tool]` checks at compile time.
    crate::shared::tool_name::check(name)
}

/// A definition as `tools/list` sends it. Our definitions always serialise (every key is a
/// string); `null` stands in should one ever not.
fn listed_json(definition: &ToolDefinition) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(definition)
        .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned())
}
