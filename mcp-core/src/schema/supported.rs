//! Finds what in a schema the validator would not enforce, so that `ServerBuilder::build`
//! can refuse it instead of letting calls break the schema unnoticed.

use super::{pattern, validate};
use serde_json::Value;
use std::fmt;

/// Keywords that constrain nothing: annotations and identifiers. (`contentSchema` is an
/// annotation in 2020-12 too, so its subschema is not walked.)
pub(super) const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$comment",
    "$vocabulary",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Deepest schema nesting walked; deeper schemas are reported rather than recursed into.
const MAX_DEPTH: usize = 128;

/// One thing in a schema that the validator would not enforce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// JSON pointer (RFC 6901) of the keyword in the schema, e.g. `/properties/when/if`.
    pub pointer: String,
    /// What is wrong, naming the keyword.
    pub problem: String,
}

impl fmt::Display for Unsupported {
    /// Writes "problem (at /pointer)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {})", self.problem, self.pointer)
    }
}

/// Every keyword of `schema` the validator does not enforce, every malformed keyword it would
/// skip, every `pattern` that does not compile and every `$ref` that does not resolve, in
/// document order. Compiling the patterns also caches them for validation.
pub(crate) fn find(schema: &Value) -> Vec<Unsupported> {
    let mut walker = Walker { root: schema, out: Vec::new() };
    walker.schema(schema, String::new(), 0);
    walker.out
}

/// State of one walk.
struct Walker<'a> {
    /// The schema `$ref`s resolve against.
    root: &'a Value,
    /// What was found so far.
    out: Vec<Unsupported>,
}

impl Walker<'_> {
    fn report(&mut self, pointer: &str, problem: String) {
        self.out.push(Unsupported { pointer: pointer.to_owned(), problem });
    }

    /// Walks one subschema found at `pointer`.
    fn schema(&mut self, schema: &Value, pointer: String, depth: usize) {
        if depth > MAX_DEPTH {
            return self.report(&pointer, format!("the schema nests deeper than {MAX_DEPTH} levels"));
        }
        let obj = match schema {
            Value::Object(obj) => obj,
            Value::Bool(_) => return,
            other => {
                let got = validate::excerpt(other);
                return self.report(&pointer, format!("a schema must be an object or a boolean; got {got}"));
            }
        };
        for (key, value) in obj {
            let at = format!("{pointer}/{}", escape(key));
            match key.as_str() {
                "$id" if depth > 0 => self.report(
                    &at,
                    "`$id` inside a subschema changes what its references resolve against, which this \
                     SDK's validator does not follow (references always resolve against the root); \
                     move the subschema under `$defs` without an `$id`"
                        .into(),
                ),
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                "$defs" | "definitions" | "properties" | "patternProperties" | "dependentSchemas" => {
                    let Some(members) = value.as_object() else {
                        self.report(&at, format!("`{key}` must be an object of schemas"));
                        continue;
                    };
                    for (name, member) in members {
                        if key == "patternProperties"
                            && let Err(why) = pattern::compile(name)
                        {
                            self.report(&at, invalid_pattern(key, name, &why));
                        }
                        self.schema(member, format!("{at}/{}", escape(name)), depth + 1);
                    }
                }
                "items" if value.is_array() => self.schemas(key, value, &at, depth),
                "prefixItems" | "allOf" | "anyOf" | "oneOf" => self.schemas(key, value, &at, depth),
                "items"
                | "additionalItems"
                | "contains"
                | "additionalProperties"
                | "propertyNames"
                | "unevaluatedProperties"
                | "not"
                | "if"
                | "then"
                | "else" => self.schema(value, at, depth + 1),
                "type" => self.type_names(value, &at),
                "enum" if !value.is_array() => self.report(&at, "`enum` must be an array".into()),
                "enum" | "const" => {}
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" if !value.is_number() => {
                    self.report(&at, format!("`{key}` must be a number"));
                }
                "multipleOf" if !value.as_f64().is_some_and(|d| d > 0.0) => {
                    self.report(&at, "`multipleOf` must be a number greater than 0".into());
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {}
                "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties"
                | "minContains" | "maxContains" => {
                    if validate::as_count(value).is_none() {
                        self.report(&at, format!("`{key}` must be a non-negative integer"));
                    }
                }
                "uniqueItems" | "nullable" if !value.is_boolean() => {
                    self.report(&at, format!("`{key}` must be true or false"));
                }
                "uniqueItems" | "nullable" => {}
                "required" if !is_string_array(value) => {
                    self.report(&at, "`required` must be an array of field names".into());
                }
                "required" => {}
                "dependentRequired" => {
                    let ok = value.as_object().is_some_and(|m| m.values().all(is_string_array));
                    if !ok {
                        self.report(
                            &at,
                            "`dependentRequired` must map field names to arrays of field names".into(),
                        );
                    }
                }
                "pattern" => match value.as_str() {
                    Some(re) => {
                        if let Err(why) = pattern::compile(re) {
                            self.report(&at, invalid_pattern(key, re, &why));
                        }
                    }
                    None => self.report(&at, "`pattern` must be a string".into()),
                },
                "format" if !value.is_string() => self.report(&at, "`format` must be a string".into()),
                "format" => {}
                "$ref" => self.reference(value, &at),
                _ => {
                    let hint = match key.as_str() {
                        "unevaluatedItems" => "; use `items` (with `prefixItems`) instead",
                        "dependencies" => "; use `dependentRequired` or `dependentSchemas` (2020-12) instead",
                        "$dynamicRef" | "$recursiveRef" => "; use a `$ref` to `#/$defs/Name` instead",
                        _ => "",
                    };
                    self.report(
                        &at,
                        format!("keyword `{key}` is not enforced by this SDK's validator{hint}"),
                    );
                }
            }
        }
    }

    /// Walks an array of subschemas.
    fn schemas(&mut self, key: &str, value: &Value, at: &str, depth: usize) {
        match value.as_array() {
            Some(list) if !list.is_empty() || key == "prefixItems" || key == "items" => {
                for (i, item) in list.iter().enumerate() {
                    self.schema(item, format!("{at}/{i}"), depth + 1);
                }
            }
            _ => self.report(at, format!("`{key}` must be a non-empty array of schemas")),
        }
    }

    /// Checks that `type` names only JSON Schema types.
    fn type_names(&mut self, value: &Value, at: &str) {
        const KNOWN: [&str; 7] = ["null", "boolean", "object", "array", "number", "integer", "string"];
        let names: Option<Vec<&str>> = match value {
            Value::String(name) => Some(vec![name.as_str()]),
            Value::Array(list) => list.iter().map(Value::as_str).collect(),
            _ => None,
        };
        match names {
            Some(names) if !names.is_empty() => {
                for name in names.into_iter().filter(|n| !KNOWN.contains(n)) {
                    let known = KNOWN.join(", ");
                    self.report(at, format!("`type` names the unknown type {name:?}; the types are {known}"));
                }
            }
            _ => self.report(at, "`type` must be a type name or an array of type names".into()),
        }
    }

    /// Checks that a `$ref` resolves inside the schema.
    fn reference(&mut self, value: &Value, at: &str) {
        let Some(reference) = value.as_str() else {
            return self.report(at, "`$ref` must be a string".into());
        };
        if validate::resolve_local(self.root, reference).is_some() {
            return;
        }
        let problem = if reference.starts_with("#/") || reference == "#" {
            format!("`$ref` {reference:?} does not resolve to anything in this schema")
        } else {
            format!(
                "`$ref` {reference:?} is not followed: only references inside the schema such as \
                 \"#/$defs/Name\" are; inline the referenced schema under `$defs`"
            )
        };
        self.report(at, problem);
    }
}

/// The message for a pattern that does not compile.
fn invalid_pattern(key: &str, re: &str, why: &str) -> String {
    let why = why.lines().last().unwrap_or(why).trim();
    format!(
        "`{key}` {re:?} is not a regular expression this SDK can run ({why}); look-around, \
         back-references and \\p{{..}} classes are not supported"
    )
}

/// Whether `value` is an array of strings.
fn is_string_array(value: &Value) -> bool {
    value.as_array().is_some_and(|list| list.iter().all(Value::is_string))
}

/// A key as a JSON pointer token (RFC 6901: `~` is `~0`, `/` is `~1`).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
