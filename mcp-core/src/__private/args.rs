//! Tool arguments: the `inputSchema` of gathered parameters, and reading each argument.

use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{ArgMap, ToolArgument};
use crate::error::ToolError;

fn generator() -> SchemaGenerator {
    // The same settings as `schema::schema_for`: inline what terminates, no `$schema`.
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator()
}

/// How to read and describe one argument of type `T`. Made once per parameter by
/// [`arg_field`], where the `ToolArgument` bound is checked (one error for a wrong type), then
/// copied into the schema builder and the handler.
pub struct ArgField<T> {
    parse: fn(Value) -> Result<T, String>,
    schema: fn(&mut SchemaGenerator) -> Value,
    root_schema: fn() -> Value,
}

impl<T> Clone for ArgField<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ArgField<T> {}

/// The [`ArgField`] of a parameter's type.
pub fn arg_field<T: ToolArgument>() -> ArgField<T> {
    ArgField {
        parse: |value| serde_json::from_value::<T>(value).map_err(|e| e.to_string()),
        schema: |generator| generator.subschema_for::<T>().to_value(),
        root_schema: whole_args_schema::<T>,
    }
}

impl<T> ArgField<T> {
    /// Whether an absent argument can be filled with `null` (true of `Option<_>`).
    fn accepts_null(self) -> bool {
        (self.parse)(Value::Null).is_ok()
    }

    /// The `inputSchema` of a tool whose whole arguments object is one `T` (`#[args]`).
    pub fn whole_schema(self) -> Value {
        (self.root_schema)()
    }
}

/// The `inputSchema` of a tool whose parameters the macro gathered: one property per
/// parameter, required unless it has a default or accepts `null` (an `Option`).
pub struct ArgsSchema {
    generator: SchemaGenerator,
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl Default for ArgsSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl ArgsSchema {
    /// No properties yet.
    pub fn new() -> Self {
        ArgsSchema { generator: generator(), properties: Map::new(), required: Vec::new() }
    }

    /// A parameter without a default.
    pub fn arg<T>(self, field: ArgField<T>, name: &str, description: Option<&str>) -> Self {
        let required = !field.accepts_null();
        self.property(field, name, description, None, required)
    }

    /// A parameter with a default (`default` is its JSON, when the type is `Serialize`).
    pub fn arg_with_default<T>(
        self,
        field: ArgField<T>,
        name: &str,
        description: Option<&str>,
        default: Option<Value>,
    ) -> Self {
        self.property(field, name, description, default, false)
    }

    fn property<T>(
        mut self,
        field: ArgField<T>,
        name: &str,
        description: Option<&str>,
        default: Option<Value>,
        required: bool,
    ) -> Self {
        let mut schema = match (field.schema)(&mut self.generator) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Some(description) = description {
            schema.insert("description".into(), Value::String(description.to_owned()));
        }
        if let Some(default) = default {
            schema.insert("default".into(), default);
        }
        self.properties.insert(name.to_owned(), Value::Object(schema));
        if required {
            self.required.push(Value::String(name.to_owned()));
        }
        self
    }

    /// Marks parameter `name` with `x-mcp-header` (2026-07-28): HTTP clients mirror its value
    /// into the `Mcp-Param-{header}` header. Whether its type allows that is checked when the
    /// server is built.
    pub fn header(mut self, name: &str, header: &str) -> Self {
        if let Some(Value::Object(property)) = self.properties.get_mut(name) {
            property.insert("x-mcp-header".into(), Value::String(header.to_owned()));
        }
        self
    }

    /// The schema.
    pub fn finish(mut self) -> Value {
        let mut schema = Map::new();
        schema.insert("type".into(), Value::String("object".into()));
        schema.insert("properties".into(), Value::Object(self.properties));
        if !self.required.is_empty() {
            schema.insert("required".into(), Value::Array(self.required));
        }
        let definitions = self.generator.take_definitions(true);
        if !definitions.is_empty() {
            schema.insert("$defs".into(), Value::Object(definitions));
        }
        crate::schema::strip_rust_formats(&mut schema);
        Value::Object(schema)
    }
}

/// A type whose schema is not an object is passed through unchanged, so that
/// `ServerBuilder::build` refuses the tool and says why.
fn whole_args_schema<T: JsonSchema>() -> Value {
    match crate::schema::object_schema_for::<T>() {
        Ok(schema) => Value::Object(schema),
        Err(_) => Value::Object(crate::schema::schema_for::<T>()),
    }
}

/// Reads a tool's arguments one parameter at a time, collecting every problem so the model
/// sees them all in one error.
///
/// The map is taken apart once, as it is made: each argument's value is moved to the slot of
/// the parameter with its wire name (the macros refuse two parameters with one wire name), and
/// anything else is dropped. Removing each argument from the map by name instead searched the
/// tree and rebalanced it for every parameter, then dropped what was left: ~500 instructions
/// of a one-parameter call, against ~250.
pub struct Arguments<const N: usize> {
    tool: &'static str,
    /// The value of each parameter, by its index in the `names` given to [`Arguments::new`].
    values: [Option<Value>; N],
    problems: Vec<String>,
}

impl<const N: usize> Arguments<N> {
    /// The arguments of one call, for parameters whose wire names are `names`.
    pub fn new(tool: &'static str, args: ArgMap, names: &[&str; N]) -> Self {
        let mut values = [const { None }; N];
        for (key, value) in args {
            if let Some(index) = names.iter().position(|name| *name == key) {
                values[index] = Some(value);
            }
        }
        Arguments { tool, values, problems: Vec::new() }
    }

    /// Parameter `index` (its wire name `name`), without a default; `None` after recording a
    /// problem.
    pub fn required<T>(&mut self, field: ArgField<T>, index: usize, name: &str) -> Option<T> {
        match self.values[index].take() {
            None => match (field.parse)(Value::Null) {
                Ok(value) => Some(value),
                Err(_) => {
                    self.problems.push(format!("missing required argument `{name}`"));
                    None
                }
            },
            Some(value) => self.parse(field, name, value),
        }
    }

    /// Parameter `index` (its wire name `name`), with a default, used when the argument is
    /// absent or `null`.
    pub fn or_default<T>(
        &mut self,
        field: ArgField<T>,
        index: usize,
        name: &str,
        default: impl FnOnce() -> T,
    ) -> Option<T> {
        match self.values[index].take() {
            None | Some(Value::Null) => Some(default()),
            Some(value) => self.parse(field, name, value),
        }
    }

    fn parse<T>(&mut self, field: ArgField<T>, name: &str, value: Value) -> Option<T> {
        match (field.parse)(value) {
            Ok(value) => Some(value),
            Err(e) => {
                self.problems.push(format!("argument `{name}`: {e}"));
                None
            }
        }
    }

    /// The error that lists every problem recorded.
    pub fn into_error(self) -> ToolError {
        invalid_arguments(self.tool, &self.problems.join("; "))
    }
}

/// The whole arguments object as one `#[args]` value.
pub fn whole_arguments<T>(field: ArgField<T>, tool: &'static str, args: ArgMap) -> Result<T, ToolError> {
    (field.parse)(Value::Object(args)).map_err(|e| invalid_arguments(tool, &e))
}

fn invalid_arguments(tool: &str, why: &str) -> ToolError {
    ToolError::new(format!("Invalid arguments for tool `{tool}`: {why}"))
}

/// The JSON of an `#[arg(default = ...)]` value, for the schema's `default`, when its type is
/// `Serialize` (see [`SerializeDefault`] and [`NoSerializeDefault`]).
pub struct DefaultProbe<'a, T>(pub &'a T);

/// The default of a `Serialize` type goes in the schema.
pub trait SerializeDefault {
    /// The JSON.
    fn to_json(&self) -> Option<Value>;
}
impl<T: Serialize> SerializeDefault for DefaultProbe<'_, T> {
    fn to_json(&self) -> Option<Value> {
        serde_json::to_value(self.0).ok()
    }
}

/// The default of any other type is left out of the schema.
pub trait NoSerializeDefault {
    /// Nothing.
    fn to_json(&self) -> Option<Value>;
}
impl<T> NoSerializeDefault for &DefaultProbe<'_, T> {
    fn to_json(&self) -> Option<Value> {
        None
    }
}

#[cfg(test)]
// `(&Probe).method()` is how the generated code asks; the borrow is the point.
#[allow(clippy::needless_borrow)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn options_are_not_required_and_defaults_are_described() {
        let schema = ArgsSchema::new()
            .arg(arg_field::<String>(), "query", Some("Words"))
            .arg(arg_field::<Option<u32>>(), "limit", None)
            .arg_with_default(arg_field::<u8>(), "page", None, Some(json!(1)))
            .finish();
        assert_eq!(schema["required"], json!(["query"]));
        assert_eq!(schema["properties"]["query"], json!({"type": "string", "description": "Words"}));
        assert_eq!(schema["properties"]["page"]["default"], 1);
        assert_eq!(ArgsSchema::new().finish(), json!({"type": "object", "properties": {}}));
    }

    #[test]
    fn every_problem_is_collected() {
        let args = json!({"a": "x", "c": null});
        let Value::Object(args) = args else { unreachable!() };
        let mut input = Arguments::new("t", args, &["a", "b", "c", "d"]);
        assert_eq!(input.required(arg_field::<u32>(), 0, "a"), None);
        assert_eq!(input.required(arg_field::<String>(), 1, "b"), None);
        assert_eq!(input.required(arg_field::<Option<u32>>(), 2, "c"), Some(None));
        assert_eq!(input.or_default(arg_field::<u32>(), 3, "d", || 4), Some(4));
        let message = input.into_error().message().to_owned();
        assert!(
            message.starts_with("Invalid arguments for tool `t`: argument `a`: invalid type"),
            "{message}"
        );
        assert!(message.ends_with("; missing required argument `b`"), "{message}");
    }

    #[test]
    fn defaults_go_in_the_schema_only_when_serializable() {
        struct Opaque;
        #[allow(unused_imports)]
        use super::{NoSerializeDefault as _, SerializeDefault as _};
        assert_eq!((&DefaultProbe(&3u8)).to_json(), Some(json!(3)));
        assert_eq!((&DefaultProbe(&Opaque)).to_json(), None);
    }
}
