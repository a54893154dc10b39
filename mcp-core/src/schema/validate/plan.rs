//! [`Compiled`]: a schema read once into a plan that accepts valid values without looking
//! keywords up again.
//!
//! The interpreter in the parent module reads the schema's `Value` on every call: about twenty
//! map lookups per subschema, whatever the schema says. Tool schemas are fixed when the server
//! is built and mostly plain (an object of typed fields, some required, perhaps a bound or an
//! enum), so that work is the same on every call. A [`Plan`] is that schema with its keywords
//! resolved ahead of time, for the common subset only.
//!
//! The plan only ever *accepts*. When it cannot accept a value, [`Compiled::validate`] runs the
//! interpreter, which decides and writes the messages; so a plan can never reject a valid value,
//! and it must never accept an invalid one. That is why a schema compiles only when every keyword
//! in it is one the plan checks exactly as the interpreter does, or a known annotation; anything
//! else (combinators, `$ref`, `patternProperties`, a malformed keyword...) leaves the schema
//! without a plan, and every call goes to the interpreter as before.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use super::{MAX_DEPTH, MAX_STEPS, Violation, as_count, json_eq, num_cmp, type_matches, validate};
use crate::schema::supported::ANNOTATIONS;
use crate::schema::{format, pattern};

/// A JSON Schema prepared once for many validations: the fast path for plain schemas, the full
/// validator for the rest and for every message.
///
/// ```
/// use mcp_connector_core::schema::validate::Compiled;
/// use serde_json::json;
///
/// let schema = Compiled::new(json!({
///     "type": "object",
///     "properties": {"message": {"type": "string"}},
///     "required": ["message"]
/// }));
/// assert!(schema.has_plan());
/// assert!(schema.validate(&json!({"message": "hi"})).is_ok());
/// let violations = schema.validate(&json!({})).unwrap_err();
/// assert_eq!(violations[0].to_string(), "missing required field `message`");
/// ```
#[derive(Debug, Clone)]
pub struct Compiled {
    schema: Value,
    plan: Option<Plan>,
}

impl Compiled {
    /// Reads `schema` once. Never fails: a schema outside the plan's subset is validated by
    /// the interpreter alone.
    pub fn new(schema: Value) -> Self {
        let plan = Plan::compile(&schema, 0);
        Compiled { schema, plan }
    }

    /// The schema as given.
    ///
    /// ```
    /// let schema = mcp_connector_core::schema::validate::Compiled::new(serde_json::json!({"type": "string"}));
    /// assert_eq!(schema.schema()["type"], "string");
    /// ```
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// Whether the fast path applies to this schema (for tests and benchmarks; the result of
    /// [`validate`](Self::validate) does not depend on it).
    ///
    /// ```
    /// use mcp_connector_core::schema::validate::Compiled;
    /// assert!(Compiled::new(serde_json::json!({"type": "integer", "minimum": 0})).has_plan());
    /// assert!(!Compiled::new(serde_json::json!({"anyOf": [{"type": "string"}]})).has_plan());
    /// ```
    pub fn has_plan(&self) -> bool {
        self.plan.is_some()
    }

    /// Validates `instance`: exactly what [`validate`](super::validate) answers for the same
    /// schema and instance, faster when the schema has a plan and the instance is valid.
    ///
    /// ```
    /// use mcp_connector_core::schema::validate::Compiled;
    /// let schema = Compiled::new(serde_json::json!({"type": "integer", "maximum": 10}));
    /// assert!(schema.validate(&serde_json::json!(3)).is_ok());
    /// assert_eq!(schema.validate(&serde_json::json!(11)).unwrap_err()[0].to_string(), "must be at most 10; got 11");
    /// ```
    pub fn validate(&self, instance: &Value) -> Result<(), Vec<Violation>> {
        if let Some(plan) = &self.plan {
            let mut steps = 0;
            if plan.accepts(instance, &mut steps) {
                return Ok(());
            }
        }
        validate(&self.schema, instance)
    }
}

/// Where the interpreter never looks: the containers of subschemas that are only reached
/// through `$ref`, which a plan never contains. (Annotations are `supported::ANNOTATIONS`.)
const UNREACHED: &[&str] = &["$defs", "definitions"];

/// One subschema, resolved.
#[derive(Debug, Clone)]
enum Plan {
    /// `false`: nothing is valid.
    Nothing,
    /// A schema object (`true` and `{}` are a `Node` with no checks).
    Node(Box<Node>),
}

/// The checks of one schema object, in the interpreter's order.
#[derive(Debug, Clone, Default)]
struct Node {
    /// `nullable: true` (OpenAPI): `null` is valid whatever else the schema says.
    nullable: bool,
    /// The types `type` allows; `None` when absent.
    types: Option<TypeSet>,
    enumeration: Option<Vec<Value>>,
    constant: Option<Value>,
    format: Option<String>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    exclusive_minimum: Option<Number>,
    exclusive_maximum: Option<Number>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Arc<regex_lite::Regex>>,
    items: Option<Plan>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    /// `properties`, in the schema's order (a linear scan beats a map at tool sizes).
    properties: Vec<Property>,
    /// How many of `properties` are required (each counted once, however often `required`
    /// names it).
    required_properties: usize,
    /// The names `required` lists that `properties` does not declare.
    required_elsewhere: Vec<String>,
    additional: Additional,
}

/// One of `properties`: its name, its plan, and whether `required` lists it.
#[derive(Debug, Clone)]
struct Property {
    name: String,
    plan: Plan,
    required: bool,
}

/// The names a well-formed `type` keyword allows, as one bit each, checked against a value
/// without comparing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TypeSet(u8);

impl TypeSet {
    const NAMES: [&'static str; 7] = ["null", "boolean", "object", "array", "number", "integer", "string"];
    const INTEGER: u8 = 1 << 5;
    const NUMBER: u8 = 1 << 4;

    /// The set a `type` keyword names, if it is well formed: a known name or a non-empty list
    /// of them.
    fn of(value: &Value) -> Option<TypeSet> {
        let bit = |name: &Value| {
            let name = name.as_str()?;
            Self::NAMES.iter().position(|known| *known == name).map(|index| 1u8 << index)
        };
        match value {
            Value::String(_) => bit(value).map(TypeSet),
            Value::Array(names) if !names.is_empty() => {
                names.iter().try_fold(0, |set, name| Some(set | bit(name)?)).map(TypeSet)
            }
            _ => None,
        }
    }

    /// Whether `inst` is of a type in the set, as [`type_matches`] says of each name.
    fn contains(self, inst: &Value) -> bool {
        let bit = match inst {
            Value::Null => 1,
            Value::Bool(_) => 1 << 1,
            Value::Object(_) => 1 << 2,
            Value::Array(_) => 1 << 3,
            Value::Number(_) if self.0 & Self::NUMBER != 0 => return true,
            // Only `integer` is left to match a number, and it depends on the number.
            Value::Number(_) => return self.0 & Self::INTEGER != 0 && type_matches("integer", inst),
            Value::String(_) => 1 << 6,
        };
        self.0 & bit != 0
    }
}

/// What `additionalProperties` says about fields `properties` does not name.
#[derive(Debug, Clone, Default)]
enum Additional {
    #[default]
    Allowed,
    Forbidden,
    Checked(Plan),
}

impl Plan {
    /// The plan of `schema`, or `None` when any part of it is outside the subset.
    fn compile(schema: &Value, depth: usize) -> Option<Plan> {
        // Deep schemas go to the interpreter, which owns the depth limit's message.
        if depth > MAX_DEPTH / 2 {
            return None;
        }
        let obj = match schema {
            Value::Bool(true) => return Some(Plan::Node(Box::default())),
            Value::Bool(false) => return Some(Plan::Nothing),
            Value::Object(obj) => obj,
            _ => return None,
        };
        let mut node = Node::default();
        for (keyword, value) in obj {
            match keyword.as_str() {
                "nullable" => node.nullable = value.as_bool()?,
                "type" => node.types = Some(TypeSet::of(value)?),
                "enum" => node.enumeration = Some(value.as_array()?.clone()),
                "const" => node.constant = Some(value.clone()),
                "format" => node.format = Some(value.as_str()?.to_owned()),
                "minimum" => node.minimum = Some(number(value)?),
                "maximum" => node.maximum = Some(number(value)?),
                "exclusiveMinimum" => node.exclusive_minimum = Some(number(value)?),
                "exclusiveMaximum" => node.exclusive_maximum = Some(number(value)?),
                "minLength" => node.min_length = Some(as_count(value)?),
                "maxLength" => node.max_length = Some(as_count(value)?),
                "pattern" => node.pattern = Some(pattern::compile(value.as_str()?).ok()?),
                // The tuple form (an array) comes with `additionalItems`: interpreter only.
                "items" if !value.is_array() => node.items = Some(Plan::compile(value, depth + 1)?),
                "minItems" => node.min_items = Some(as_count(value)?),
                "maxItems" => node.max_items = Some(as_count(value)?),
                "properties" => {
                    for (name, schema) in value.as_object()? {
                        let plan = Plan::compile(schema, depth + 1)?;
                        node.properties.push(Property { name: name.clone(), plan, required: false });
                    }
                }
                // Marked on the properties once all keywords are read (they come in any order).
                "required" => {
                    for name in value.as_array()? {
                        node.required_elsewhere.push(name.as_str()?.to_owned());
                    }
                }
                "additionalProperties" => {
                    node.additional = match value {
                        Value::Bool(true) => Additional::Allowed,
                        Value::Bool(false) => Additional::Forbidden,
                        Value::Object(_) => Additional::Checked(Plan::compile(value, depth + 1)?),
                        _ => return None,
                    }
                }
                annotation
                    if ANNOTATIONS.contains(&annotation)
                        || UNREACHED.contains(&annotation)
                        || annotation.starts_with("x-") => {}
                _ => return None,
            }
        }
        let required = std::mem::take(&mut node.required_elsewhere);
        for name in required {
            match node.properties.iter_mut().find(|property| property.name == name) {
                Some(property) if !property.required => {
                    property.required = true;
                    node.required_properties += 1;
                }
                Some(_) => {}
                None if !node.required_elsewhere.contains(&name) => node.required_elsewhere.push(name),
                None => {}
            }
        }
        Some(Plan::Node(Box::new(node)))
    }

    /// Whether `inst` is certainly valid. `false` also when it may be valid but the work budget
    /// ran out: the interpreter then decides.
    fn accepts(&self, inst: &Value, steps: &mut usize) -> bool {
        *steps += 1;
        if *steps > MAX_STEPS {
            return false;
        }
        match self {
            Plan::Nothing => false,
            Plan::Node(node) => node.accepts(inst, steps),
        }
    }
}

impl Node {
    fn accepts(&self, inst: &Value, steps: &mut usize) -> bool {
        if self.nullable && inst.is_null() {
            return true;
        }
        if self.types.is_some_and(|types| !types.contains(inst)) {
            return false;
        }
        if let Some(allowed) = &self.enumeration
            && !allowed.iter().any(|v| json_eq(v, inst))
        {
            return false;
        }
        if let Some(expected) = &self.constant
            && !json_eq(expected, inst)
        {
            return false;
        }
        let fits = match inst {
            Value::Number(n) => self.number_fits(n),
            Value::String(s) => self.string_fits(s),
            Value::Array(items) => self.array_fits(items, steps),
            Value::Object(fields) => self.object_fits(fields, steps),
            _ => true,
        };
        fits && self.format.as_deref().is_none_or(|name| format::format_error(name, inst).is_none())
    }

    fn number_fits(&self, n: &Number) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        let within = |limit: &Option<Number>, refuse: &[std::cmp::Ordering]| {
            // An incomparable pair (a NaN can't occur in JSON) passes, as in the interpreter.
            limit.as_ref().is_none_or(|limit| num_cmp(n, limit).is_none_or(|o| !refuse.contains(&o)))
        };
        within(&self.minimum, &[Less])
            && within(&self.maximum, &[Greater])
            && within(&self.exclusive_minimum, &[Less, std::cmp::Ordering::Equal])
            && within(&self.exclusive_maximum, &[Greater, std::cmp::Ordering::Equal])
    }

    fn string_fits(&self, s: &str) -> bool {
        if self.pattern.as_ref().is_some_and(|re| !re.is_match(s)) {
            return false;
        }
        if self.min_length.is_none() && self.max_length.is_none() {
            return true;
        }
        let len = s.chars().count() as u64;
        self.min_length.is_none_or(|min| len >= min) && self.max_length.is_none_or(|max| len <= max)
    }

    fn array_fits(&self, items: &[Value], steps: &mut usize) -> bool {
        let count = items.len() as u64;
        self.min_items.is_none_or(|min| count >= min)
            && self.max_items.is_none_or(|max| count <= max)
            && self.items.as_ref().is_none_or(|plan| items.iter().all(|item| plan.accepts(item, steps)))
    }

    fn object_fits(&self, fields: &Map<String, Value>, steps: &mut usize) -> bool {
        if !self.required_elsewhere.iter().all(|name| fields.contains_key(name)) {
            return false;
        }
        // The fields' names are distinct, so counting the required properties met while the
        // fields are walked tells whether all are there, without looking each one up.
        let mut required_met = 0;
        let all_fit =
            fields.iter().all(|(name, value)| match self.properties.iter().find(|p| p.name == *name) {
                Some(property) => {
                    required_met += usize::from(property.required);
                    property.plan.accepts(value, steps)
                }
                None => match &self.additional {
                    Additional::Allowed => true,
                    Additional::Forbidden => false,
                    Additional::Checked(plan) => plan.accepts(value, steps),
                },
            });
        all_fit && required_met == self.required_properties
    }
}

/// A numeric keyword's limit; a malformed one is left to the interpreter, which skips it.
fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The plan's verdict must equal the interpreter's whenever the plan accepts.
    fn agree(schema: Value, instances: &[Value]) {
        let compiled = Compiled::new(schema.clone());
        assert!(compiled.has_plan(), "expected a plan for {schema}");
        for inst in instances {
            let mut steps = 0;
            let fast = compiled.plan.as_ref().is_some_and(|p| p.accepts(inst, &mut steps));
            let full = validate(&schema, inst).is_ok();
            assert!(!fast || full, "the plan accepted {inst} but the interpreter rejects it under {schema}");
            assert_eq!(fast, full, "plan and interpreter disagree on {inst} under {schema}");
        }
    }

    #[test]
    fn plain_tool_schemas_compile_and_agree() {
        agree(
            json!({"type": "object", "properties": {"message": {"type": "string", "description": "x"}}, "required": ["message"]}),
            &[
                json!({"message": "hi"}),
                json!({}),
                json!({"message": 1}),
                json!({"message": "hi", "extra": 1}),
                json!([]),
            ],
        );
        agree(
            json!({"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}, "b": {"type": ["integer", "null"]}},
                   "required": ["a"], "additionalProperties": false}),
            &[
                json!({"a": 1}),
                json!({"a": 1.0}),
                json!({"a": 1.5}),
                json!({"a": -1}),
                json!({"a": 1, "b": null}),
                json!({"a": 1, "c": 2}),
                json!({"a": 18446744073709551615u64}),
            ],
        );
        agree(
            json!({"type": "array", "items": {"enum": ["open", "closed"]}, "maxItems": 2}),
            &[json!([]), json!(["open"]), json!(["open", "shut"]), json!(["open", "open", "open"])],
        );
        agree(
            json!({"type": "string", "format": "date", "pattern": "^2", "minLength": 10, "maxLength": 10}),
            &[json!("2025-01-31"), json!("2025-13-31"), json!("1999-01-31"), json!("2025-1-31")],
        );
        agree(json!({"nullable": true, "type": "string"}), &[json!(null), json!("x"), json!(1)]);
        agree(
            json!({"exclusiveMaximum": 1, "exclusiveMinimum": 0}),
            &[json!(0), json!(0.5), json!(1), json!("x")],
        );
        agree(json!({"const": {"a": [1]}}), &[json!({"a": [1.0]}), json!({"a": [2]})]);
        agree(json!({"additionalProperties": {"type": "boolean"}}), &[json!({"x": true}), json!({"x": 1})]);
        // `required` repeating a name, naming one `properties` does not declare, or coming
        // before `properties`.
        agree(
            json!({"required": ["a", "a", "z"], "properties": {"a": {"type": "string"}, "b": {}}}),
            &[
                json!({"a": "x", "z": 1}),
                json!({"a": "x"}),
                json!({"z": 1}),
                json!({"a": "x", "b": 1, "z": null}),
                json!({"a": 1, "z": 1}),
                json!({}),
            ],
        );
        // Every way a value can meet a list of types.
        let values =
            [json!(null), json!(true), json!({}), json!([]), json!(1), json!(1.0), json!(1.5), json!("s")];
        for types in [
            json!(["integer"]),
            json!(["number"]),
            json!(["integer", "number"]),
            json!(["null", "boolean", "object"]),
            json!(["array", "string", "integer"]),
            json!("integer"),
            json!("null"),
        ] {
            agree(json!({"type": types}), &values);
        }
        agree(json!(false), &[json!(1)]);
        agree(json!(true), &[json!(1)]);
    }

    #[test]
    fn anything_outside_the_subset_has_no_plan() {
        for schema in [
            json!({"anyOf": [{"type": "string"}]}),
            json!({"$ref": "#"}),
            json!({"type": "object", "properties": {"a": {"oneOf": []}}}),
            json!({"patternProperties": {"^a": {}}}),
            json!({"type": 5}),
            json!({"type": "strin"}),
            json!({"minimum": "0"}),
            json!({"required": ["a", 1]}),
            json!({"items": [{"type": "string"}]}),
            json!({"multipleOf": 2}),
            json!({"unevaluatedProperties": false}),
            json!({"someFutureKeyword": true}),
            json!({"pattern": "(?=a)"}),
        ] {
            assert!(!Compiled::new(schema.clone()).has_plan(), "{schema} should not compile");
        }
    }

    #[test]
    fn annotations_do_not_block_a_plan() {
        let schema = json!({"title": "t", "description": "d", "default": 1, "examples": [1], "$schema": "x",
                            "x-mcp-header": "Region", "$defs": {"a": {"anyOf": []}}, "type": "integer"});
        assert!(Compiled::new(schema).has_plan());
    }

    #[test]
    fn a_rejection_carries_the_interpreters_messages() {
        let schema = json!({"type": "object", "properties": {"limit": {"type": "integer"}}});
        let compiled = Compiled::new(schema.clone());
        let instance = json!({"limit": "ten"});
        assert_eq!(compiled.validate(&instance), validate(&schema, &instance));
    }
}
