use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::Context;
use crate::error::ToolError;
use crate::protocol::{CallToolResult, Icon, Meta, ToolAnnotations, ToolDefinition};

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
/// use mcp_core::{Tool, protocol::CallToolResult};
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
}

/// A tool's input and output schemas in the form the validator reads.
#[derive(Debug)]
pub(crate) struct ToolSchemas {
    pub(crate) input: Value,
    pub(crate) output: Option<Value>,
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
}

/// Builds a [`Tool`]; made by [`Tool::read`] or [`Tool::write`].
#[derive(Debug, Clone)]
pub struct ToolBuilder {
    definition: ToolDefinition,
    scopes: Vec<String>,
    origin: Option<String>,
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

    /// Where the tool was defined, for error messages about duplicates (the macros pass the
    /// Rust path of the handler).
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
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
    pub fn with_handler(self, handler: impl ToolHandler) -> Tool {
        let origin = self.origin.unwrap_or_else(|| format!("the tool `{}`", self.definition.name));
        let schemas = Arc::new(ToolSchemas {
            input: Value::Object(self.definition.input_schema.clone()),
            output: self.definition.output_schema.clone().map(Value::Object),
        });
        Tool { definition: self.definition, handler: Arc::new(handler), scopes: self.scopes, origin, schemas }
    }
}

/// Checks a tool name against the 2025-11-25 rules ("Tool names", server/tools): 1 to 64
/// characters, each of `A-Z a-z 0-9 _ - .`.
///
/// ```
/// assert!(mcp_core::validate_tool_name("search_tickets").is_ok());
/// assert!(mcp_core::validate_tool_name("search tickets").is_err());
/// ```
pub fn validate_tool_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.chars().count() > 64 {
        return Err(format!("it has {} characters, more than 64", name.chars().count()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(format!("it contains {c:?}"));
    }
    Ok(())
}
