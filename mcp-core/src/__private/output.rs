//! Tool results: how a return type becomes a `CallToolResult` and an `outputSchema`, and the
//! tools of a `#[tools]` block.

use std::marker::PhantomData;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ToolOutput;
use crate::error::ToolError;
use crate::output::{IntoCallToolResult, Json};
use crate::protocol::CallToolResult;
use crate::{IntoTools, Prompt, Registrations, Resource, Tool, ToolBuilder};

/// The property of the object a tool's non-object structured result is wrapped in.
pub const WRAPPED_RESULT: &str = "result";

/// Chooses how a return type `R` becomes a tool result (see [`StructuredReturn`] and
/// [`PlainReturn`]).
pub struct OutputProbe<R>(PhantomData<fn() -> R>);

impl<R> OutputProbe<R> {
    /// The probe.
    pub const fn new() -> Self {
        OutputProbe(PhantomData)
    }
}

impl<R> Default for OutputProbe<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// How a tool's return value is turned into a result, and the `outputSchema` that implies.
pub struct OutputPlan<R> {
    /// The `outputSchema`, always with an object root.
    pub schema: Option<Map<String, Value>>,
    /// The conversion, for the handler.
    pub output: Output<R>,
}

/// Turns a tool's return value into a result; cheap to copy into a handler.
pub struct Output<R> {
    convert: fn(R, bool) -> Result<CallToolResult, ToolError>,
    wrap: bool,
}

impl<R> Clone for Output<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Output<R> {}

impl<R> Output<R> {
    /// The result.
    pub fn convert(self, value: R) -> Result<CallToolResult, ToolError> {
        (self.convert)(value, self.wrap)
    }
}

/// `Json<T>` and `Result<Json<T>, E>`: an `outputSchema` from `T`, wrapped in
/// `{"result": ...}` when `T`'s schema is not a plain object (the spec requires an object root,
/// and Claude rejects a top-level `anyOf`).
pub trait StructuredReturn {
    /// The return type.
    type Value;
    /// The plan.
    fn plan(&self) -> OutputPlan<Self::Value>;
}

impl<T: Serialize + JsonSchema> StructuredReturn for OutputProbe<Json<T>> {
    type Value = Json<T>;
    fn plan(&self) -> OutputPlan<Json<T>> {
        let (schema, wrap) = structured_schema::<T>();
        OutputPlan { schema: Some(schema), output: Output { convert: json_result::<T>, wrap } }
    }
}

impl<T: Serialize + JsonSchema, E: Into<ToolError>> StructuredReturn for OutputProbe<Result<Json<T>, E>> {
    type Value = Result<Json<T>, E>;
    fn plan(&self) -> OutputPlan<Result<Json<T>, E>> {
        let (schema, wrap) = structured_schema::<T>();
        OutputPlan { schema: Some(schema), output: Output { convert: json_result_or_error::<T, E>, wrap } }
    }
}

/// Every other [`IntoCallToolResult`]: its own conversion and `output_schema()`.
pub trait PlainReturn {
    /// The return type.
    type Value;
    /// The plan.
    fn plan(&self) -> OutputPlan<Self::Value>
    where
        Self::Value: ToolOutput;
}

impl<R> PlainReturn for &OutputProbe<R> {
    type Value = R;
    fn plan(&self) -> OutputPlan<R>
    where
        R: ToolOutput,
    {
        OutputPlan { schema: R::output_schema(), output: Output { convert: plain_result::<R>, wrap: false } }
    }
}

fn plain_result<R: IntoCallToolResult>(value: R, _wrap: bool) -> Result<CallToolResult, ToolError> {
    value.into_call_tool_result()
}

fn json_result<T: Serialize + JsonSchema>(value: Json<T>, wrap: bool) -> Result<CallToolResult, ToolError> {
    if !wrap {
        return value.into_call_tool_result();
    }
    let inner = serde_json::to_value(&value.0)
        .map_err(|e| ToolError::new(format!("the tool's result could not be serialised: {e}")))?;
    let mut map = Map::new();
    map.insert(WRAPPED_RESULT.into(), inner);
    Ok(CallToolResult::structured(map))
}

fn json_result_or_error<T: Serialize + JsonSchema, E: Into<ToolError>>(
    value: Result<Json<T>, E>,
    wrap: bool,
) -> Result<CallToolResult, ToolError> {
    json_result(value.map_err(Into::into)?, wrap)
}

/// `T`'s schema when it is a plain object, else `{"type": "object", "properties": {"result":
/// <T's schema>}, "required": ["result"]}`; and whether values must be wrapped.
fn structured_schema<T: JsonSchema>() -> (Map<String, Value>, bool) {
    let mut schema = crate::schema::schema_for::<T>();
    let is_object = schema.get("type").and_then(Value::as_str) == Some("object");
    let has_union = ["anyOf", "oneOf", "allOf"].iter().any(|k| schema.contains_key(*k));
    if is_object && !has_union {
        return (schema, false);
    }
    let definitions = schema.remove("$defs");
    let mut properties = Map::new();
    properties.insert(WRAPPED_RESULT.into(), Value::Object(schema));
    let mut wrapper = Map::new();
    wrapper.insert("type".into(), Value::String("object".into()));
    wrapper.insert("properties".into(), Value::Object(properties));
    wrapper.insert("required".into(), Value::Array(vec![Value::String(WRAPPED_RESULT.into())]));
    if let Some(definitions) = definitions {
        wrapper.insert("$defs".into(), definitions);
    }
    (wrapper, true)
}

/// Sets the `outputSchema` when the return type has one.
pub fn with_output_schema(builder: ToolBuilder, schema: Option<Map<String, Value>>) -> ToolBuilder {
    match schema {
        Some(schema) => builder.output_schema(Value::Object(schema)),
        None => builder,
    }
}

// `#[tools]`: several tools sharing one value.

/// The tools, resources and prompts of a `#[tools]` impl block, sharing the value through an
/// `Arc`. The macro writes the methods for what the block declares.
pub trait ToolSet: Send + Sync + 'static {
    /// The tools.
    fn tools(self: Arc<Self>) -> Vec<Tool>;

    /// The `#[resource]` methods.
    fn resources(self: Arc<Self>) -> Vec<Resource> {
        Vec::new()
    }

    /// The `#[prompt]` methods.
    fn prompts(self: Arc<Self>) -> Vec<Prompt> {
        Vec::new()
    }

    /// All three.
    fn registrations(self: Arc<Self>) -> Registrations {
        let tools = Arc::clone(&self).tools();
        let resources = Arc::clone(&self).resources();
        Registrations::new(tools, resources, self.prompts())
    }
}

/// A `#[tools]` value that is already shared: `.tools(Arc::clone(&state))` keeps a handle.
impl<T: ToolSet> IntoTools for Arc<T> {
    fn into_tools(self) -> Vec<Tool> {
        self.tools()
    }

    fn into_registrations(self) -> Registrations {
        self.registrations()
    }
}

#[cfg(test)]
// `(&Probe).method()` is how the generated code asks; the borrow is the point.
#[allow(clippy::needless_borrow)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    #[derive(Serialize, JsonSchema)]
    struct Ticket {
        id: u32,
    }

    #[derive(Serialize, JsonSchema)]
    #[serde(tag = "kind", rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Event {
        Opened { id: u32 },
        Closed { id: u32 },
    }

    fn wraps<T: JsonSchema>() -> bool {
        let (schema, wrap) = structured_schema::<T>();
        assert_eq!(schema["type"], "object", "the root is always an object");
        wrap
    }

    #[test]
    fn only_plain_object_schemas_go_unwrapped() {
        assert!(!wraps::<Ticket>());
        assert!(!wraps::<HashMap<String, u32>>());
        assert!(!wraps::<Map<String, Value>>());
        assert!(wraps::<Vec<Ticket>>());
        assert!(wraps::<u32>());
        assert!(wraps::<String>());
        assert!(wraps::<Option<Ticket>>(), "`type: [object, null]` is not an object root");
        assert!(wraps::<Event>(), "a top-level oneOf is refused by Claude");
        assert!(wraps::<Value>(), "any JSON value may be a non-object");
    }

    #[test]
    fn wrapped_values_and_schemas_agree() {
        let plan = (&OutputProbe::<Json<Vec<u32>>>::new()).plan();
        assert_eq!(
            Value::Object(plan.schema.clone().unwrap_or_default()),
            json!({
                "type": "object",
                "properties": { "result": { "type": "array", "items": { "type": "integer", "minimum": 0 } } },
                "required": ["result"]
            })
        );
        let result = plan.output.convert(Json(vec![1, 2])).unwrap_or_default();
        assert_eq!(Value::Object(result.structured_content.unwrap_or_default()), json!({"result": [1, 2]}));
    }

    #[test]
    fn results_with_errors_and_plain_returns() {
        let plan = (&OutputProbe::<Result<Json<Ticket>, ToolError>>::new()).plan();
        assert!(plan.schema.is_some());
        let failed = plan.output.convert(Err(ToolError::new("no such ticket")));
        assert_eq!(failed.err().map(|e| e.message().to_owned()).as_deref(), Some("no such ticket"));

        let plan = (&OutputProbe::<String>::new()).plan();
        assert!(plan.schema.is_none());
        let text = plan.output.convert("hi".to_owned()).unwrap_or_default();
        assert_eq!(text.content[0].as_text(), Some("hi"));
    }

    #[test]
    fn recursive_definitions_move_to_the_wrapper_root() {
        #[derive(Serialize, JsonSchema)]
        struct Node {
            children: Vec<Node>,
        }
        let (schema, wrap) = structured_schema::<Vec<Node>>();
        assert!(wrap);
        let reference = json!({"$ref": "#/$defs/Node"});
        assert_eq!(schema["properties"]["result"]["items"]["properties"]["children"]["items"], reference);
        assert_eq!(schema["$defs"]["Node"]["properties"]["children"]["items"], reference);
        assert!(schema["properties"]["result"].get("$defs").is_none());
    }
}
