//! JSON Schemas for tool inputs and outputs: built from Rust types with `schemars`, and checked
//! against values before a handler runs (see [`validate`]).
//!
//! ```
//! #[derive(schemars::JsonSchema, serde::Deserialize)]
//! struct Search { query: String, limit: Option<u32> }
//!
//! let schema = mcp_connector_core::schema::object_schema_for::<Search>().unwrap();
//! assert_eq!(schema["type"], "object");
//! assert_eq!(schema["required"], serde_json::json!(["query"]));
//! // Rust integer widths are not JSON Schema formats; the bound stays.
//! assert_eq!(schema["properties"]["limit"], serde_json::json!({"type": ["integer", "null"], "minimum": 0}));
//! ```

mod format;
mod pattern;
mod supported;
pub mod validate;

pub use format::ASSERTED as ASSERTED_FORMATS;
pub use supported::Unsupported;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// The JSON Schema of `T`, with every subschema inlined where that terminates (clients handle
/// `$ref` unevenly), without `$schema` and root `title` noise. Its root may be any type.
pub fn schema_for<T: JsonSchema>() -> Map<String, Value> {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
        s.meta_schema = None;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        // A boolean schema (`true` accepts everything) or nothing usable: no constraints.
        _ => Map::new(),
    };
    map.remove("title");
    strip_rust_formats(&mut map);
    map
}

/// schemars marks integer widths with `format: "uint32"` and the like. These are not JSON
/// Schema formats: validators such as Ajv (in the TypeScript client) warn about each one, and
/// the bounds that matter are already in `minimum`/`maximum`. Standard formats (`date-time`,
/// `uuid`, `email`, ...) stay.
pub(crate) fn strip_rust_formats(map: &mut Map<String, Value>) {
    const RUST_FORMATS: &[&str] = &[
        "int", "int8", "int16", "int32", "int64", "int128", "uint", "uint8", "uint16", "uint32", "uint64",
        "uint128", "float", "double",
    ];
    if map.get("format").and_then(Value::as_str).is_some_and(|f| RUST_FORMATS.contains(&f)) {
        map.remove("format");
    }
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => strip_rust_formats(inner),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        strip_rust_formats(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The schema of `T`, which must describe a JSON object (the spec requires `type: "object"`
/// at the root of `inputSchema` and `outputSchema`). The error says what `T` is instead.
pub fn object_schema_for<T: JsonSchema>() -> Result<Map<String, Value>, String> {
    let mut map = schema_for::<T>();
    match map.get("type") {
        Some(Value::String(t)) if t == "object" => Ok(map),
        None if map.is_empty() || map.contains_key("properties") => {
            map.insert("type".into(), Value::String("object".into()));
            Ok(map)
        }
        other => Err(format!(
            "the schema of `{}` has root type {}, but MCP requires an object; use a struct with named fields",
            T::schema_name(),
            other.map(Value::to_string).unwrap_or_else(|| "(a union or reference)".into())
        )),
    }
}

/// The empty-object input schema of a tool that takes no arguments.
pub fn empty_object_schema() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("type".into(), Value::String("object".into()));
    map.insert("properties".into(), Value::Object(Map::new()));
    map
}

/// Everything in `schema` that [`validate`] would not enforce: keywords it does not implement,
/// malformed keywords it would skip, `pattern`s that do not compile, and `$ref`s that do not
/// resolve inside the schema. Pure annotations (`title`, `description`, `default`, `examples`,
/// `$comment`, `deprecated`, `readOnly`, `writeOnly`, `$schema`, `$id`, ...) and extension
/// keywords starting with `x-` are fine. Empty when the schema is fully enforced.
///
/// Compiling the patterns also caches them, so that validating a call does not compile them.
///
/// ```
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
///     "unevaluatedItems": false
/// });
/// let found = mcp_connector_core::schema::unsupported(&schema);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].pointer, "/unevaluatedItems");
/// assert!(found[0].problem.contains("`unevaluatedItems` is not enforced"));
/// ```
pub fn unsupported(schema: &Value) -> Vec<Unsupported> {
    supported::find(schema)
}

/// Most problems listed in one [`check_supported`] message.
const MAX_LISTED_PROBLEMS: usize = 8;

/// `Ok` when [`validate`] enforces all of `schema` (see [`unsupported`]); otherwise one
/// message listing each problem with its JSON pointer, and what to do about it.
/// `ServerBuilder::build` and `Server::add_tool` run it on every tool's `inputSchema` and
/// `outputSchema` and fail with `BuildError::InvalidSchema`.
///
/// ```
/// use serde_json::json;
///
/// assert!(mcp_connector_core::schema::check_supported(&json!({"type": "string", "format": "date"})).is_ok());
/// let why = mcp_connector_core::schema::check_supported(&json!({"type": "string", "pattern": "(?=x)"})).unwrap_err();
/// assert!(why.starts_with("`pattern` \"(?=x)\" is not a regular expression this SDK can run"), "{why}");
/// ```
pub fn check_supported(schema: &Value) -> Result<(), String> {
    let found = unsupported(schema);
    if found.is_empty() {
        return Ok(());
    }
    let mut listed: Vec<String> = found.iter().take(MAX_LISTED_PROBLEMS).map(ToString::to_string).collect();
    if found.len() > MAX_LISTED_PROBLEMS {
        listed.push(format!("and {} more", found.len() - MAX_LISTED_PROBLEMS));
    }
    Err(format!(
        "{}. Calls are validated against the schema before the handler runs, and this would go \
         unchecked: rewrite it with the keywords listed in `mcp_connector_core::schema::validate`, check the \
         rule in the handler instead, or rename a keyword meant only as a hint for the model to `x-...`",
        listed.join("; ")
    ))
}

/// [`check_supported`] for a tool's input and output schemas, saying which one is at fault.
pub(crate) fn check_tool_schemas(
    input: &Map<String, Value>,
    output: Option<&Map<String, Value>>,
) -> Result<(), String> {
    let input = Value::Object(input.clone());
    check_supported(&input).map_err(|why| format!("inputSchema: {why}"))?;
    if let Some(output) = output {
        check_supported(&Value::Object(output.clone())).map_err(|why| format!("outputSchema: {why}"))?;
    }
    Ok(())
}
