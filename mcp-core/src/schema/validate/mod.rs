//! A small JSON Schema validator for tool calls.
//!
//! The MCP server uses it to check a tool call's `arguments` against the
//! tool's `inputSchema` before the handler runs, and a tool's structured
//! output against its `outputSchema`. It depends on `serde_json` and, for
//! `pattern`, on `regex-lite`; its error messages are written for a language model that has to fix its
//! call: every [`Violation`] names the offending field path (`filters.status`,
//! `items[2].id`) and says what was expected and what was actually sent, e.g.
//! `` `limit`: expected integer, got string "ten" ``.
//!
//! # Supported subset (draft 2020-12, plus draft-07 spellings)
//!
//! * Types: `type` (a name or an array of names; `integer` accepts numbers
//!   without a fractional part such as `3.0`, `number` accepts integers),
//!   `enum`, `const`, OpenAPI-style `nullable: true`, boolean schemas.
//! * Numbers: `minimum`, `maximum`, numeric `exclusiveMinimum` and
//!   `exclusiveMaximum`, `multipleOf`. Integers are compared exactly, also
//!   beyond the `i64` range.
//! * Strings: `minLength` and `maxLength`, counted in characters; `pattern`
//!   (unanchored, regex-lite syntax: see below).
//! * `format`, asserted for the formats `schemars` emits: `date-time`, `date`,
//!   `time`, `partial-date-time`, `partial-time`, `uuid`, `uri`, `email`,
//!   `ipv4`, `ipv6`, `ip`, and the Rust integer widths `int8` ... `uint64`,
//!   `int`, `uint`, `int128`, `uint128` (a `u8` parameter given 300 is a
//!   violation). `float` and `double`, and every other format name, are
//!   annotations: 2020-12 defines `format` as an annotation by default and
//!   allows custom names, which models read as hints.
//! * Arrays: `items` (a schema, or the draft-07 tuple form together with
//!   `additionalItems`), `prefixItems`, `minItems`, `maxItems`, `uniqueItems`,
//!   `contains` with `minContains` and `maxContains`.
//! * Objects: `properties`, `patternProperties`, `required`,
//!   `additionalProperties` (`false` or a schema), `minProperties`,
//!   `maxProperties`, `propertyNames`, `dependentRequired`,
//!   `dependentSchemas`, and `unevaluatedProperties` (which `schemars` emits
//!   for flattened enums in `deny_unknown_fields` structs).
//! * Combinators and conditionals: `allOf`, `anyOf`, `oneOf`, `not`,
//!   `if`/`then`/`else`.
//! * References: local `$ref`s such as `#`, `#/$defs/Name` and
//!   `#/definitions/Name`, always resolved against the root schema given to
//!   [`validate`]. Keywords next to a `$ref` apply too (2020-12 semantics).
//!
//! Patterns are compiled once and cached (see `check_supported`, which the
//! server runs at build time). They are matched with regex-lite, whose syntax
//! agrees with ECMA-262 on what schemas use in practice; look-around,
//! back-references and `\p{..}` classes do not compile.
//!
//! Not checked: `unevaluatedItems`, `$dynamicRef`, remote and anchor-based
//! references, and any keyword not listed above. The server does not let
//! such a schema through silently: [`crate::schema::check_supported`] lists
//! every one of them (and every invalid pattern) and `ServerBuilder::build`
//! fails with them. Annotations such as `description`, `title`, `default`,
//! `examples`, `$schema` and `$id` are ignored. Here, at validation time,
//! malformed keywords (say `"type": 5` or `"required": "x"`), patterns that
//! do not compile and references that do not resolve are skipped: the
//! validator never panics, and a broken schema never blocks a call.
//!
//! A server validates every call, always against the same few schemas: it holds each as a
//! [`Compiled`], which reads a plain schema once into a plan that accepts valid values without
//! interpreting the schema again, and hands everything else to [`validate`].
//!
//! Recursion through `$ref` is bounded: past 64 nested levels the result is a
//! "schema nesting too deep" violation, and a total work budget stops
//! pathological schemas. At most 20 violations are reported.

mod plan;

pub use plan::Compiled;

use super::{format, pattern};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// Most violations reported by one [`validate`] call.
const MAX_VIOLATIONS: usize = 20;
/// Deepest nesting of subschemas (through properties, items, `$ref`s and
/// combinators) before validation gives up.
const MAX_DEPTH: usize = 64;
/// Most subschema evaluations in one [`validate`] call.
const MAX_STEPS: usize = 1_000_000;
/// Longest JSON excerpt of a value quoted in a message, in characters.
const MAX_EXCERPT: usize = 40;
/// Most values listed in an "one of" or "allowed fields" message.
const MAX_LISTED: usize = 25;

/// One way an instance fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON-pointer-like dotted path of the offending value, e.g. `filters.status` or `items[2].id`; empty for the root.
    pub path: String,
    /// What is wrong, phrased for a model to fix its call (does not repeat the path).
    pub message: String,
}

impl fmt::Display for Violation {
    /// Writes "`path`: message", or just "message" for the root.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "`{}`: {}", self.path, self.message)
        }
    }
}

/// Validate `instance` against `schema`; Ok(()) or every violation found (bounded: stop after 20).
///
/// `schema` is also the root against which `$ref`s are resolved.
pub fn validate(schema: &Value, instance: &Value) -> Result<(), Vec<Violation>> {
    let mut validator = Validator { root: schema, steps: 0, aborted: None };
    let mut out = Vec::new();
    validator.check(schema, instance, &Path::ROOT, 0, &mut out);
    if let Some(abort) = validator.aborted
        && !out.contains(&abort)
    {
        out.insert(0, abort);
    }
    out.truncate(MAX_VIOLATIONS);
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// State of one validation run.
struct Validator<'a> {
    /// The schema `$ref`s are resolved against.
    root: &'a Value,
    /// Subschema evaluations so far, checked against [`MAX_STEPS`].
    steps: usize,
    /// Set once validation had to give up; everything then returns at once.
    aborted: Option<Violation>,
}

impl<'a> Validator<'a> {
    /// Checks `inst` (found at `path`) against `schema`, adding violations to `out`.
    fn check(
        &mut self,
        schema: &'a Value,
        inst: &Value,
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        if self.aborted.is_some() || out.len() >= MAX_VIOLATIONS {
            return;
        }
        self.steps += 1;
        if depth > MAX_DEPTH {
            return self.abort(path, "schema nesting too deep", out);
        }
        if self.steps > MAX_STEPS {
            return self.abort(path, "schema too complex to validate this value", out);
        }
        let obj = match schema {
            Value::Object(obj) => obj,
            Value::Bool(false) => return push(out, path, "no value is allowed here"),
            _ => return, // `true`, or a malformed schema: accept.
        };
        if inst.is_null() && obj.get("nullable") == Some(&Value::Bool(true)) {
            return;
        }
        if let Some(message) = obj.get("type").and_then(|t| type_error(t, inst)) {
            return push(out, path, message);
        }
        if let Some(target) = obj.get("$ref").and_then(|r| self.resolve(r)) {
            self.check(target, inst, path, depth + 1, out);
        }
        if let Some(Value::Array(allowed)) = obj.get("enum")
            && !allowed.iter().any(|v| json_eq(v, inst))
        {
            push(out, path, one_of_message(allowed.iter(), inst));
        }
        if let Some(expected) = obj.get("const")
            && !json_eq(expected, inst)
        {
            let message = format!("must be {}; got {}", excerpt(expected), excerpt(inst));
            push(out, path, message);
        }
        let before = out.len();
        match inst {
            Value::Number(n) => check_number(obj, n, path, out),
            Value::String(s) => check_string(obj, s, path, out),
            Value::Array(items) => self.check_array(obj, items, path, depth, out),
            Value::Object(fields) => self.check_object(obj, inst, fields, path, depth, out),
            _ => {}
        }
        // A number past a Rust width usually breaks the `minimum`/`maximum` schemars writes
        // beside the format too: one message is enough.
        if let Some(Value::String(name)) = obj.get("format")
            && !(inst.is_number() && out.len() > before)
            && let Some(message) = format::format_error(name, inst)
        {
            push(out, path, message);
        }
        if let Some(Value::Array(branches)) = obj.get("allOf") {
            for branch in branches {
                self.check(branch, inst, path, depth + 1, out);
            }
        }
        if let Some(Value::Array(branches)) = obj.get("anyOf") {
            self.check_branches(branches, inst, path, depth, false, out);
        }
        if let Some(Value::Array(branches)) = obj.get("oneOf") {
            self.check_branches(branches, inst, path, depth, true, out);
        }
        if let Some(forbidden) = obj.get("not")
            && self.is_valid(forbidden, inst, path, depth + 1)
            && self.aborted.is_none()
        {
            let message = format!("must not match the forbidden shape; got {}", describe(inst));
            push(out, path, message);
        }
        if let Some(condition) = obj.get("if") {
            // The outcome of `if` only picks the branch; its own violations are not reported.
            let branch = if self.is_valid(condition, inst, path, depth + 1) { "then" } else { "else" };
            if let Some(branch) = obj.get(branch) {
                self.check(branch, inst, path, depth + 1, out);
            }
        }
        // After every other keyword, because it depends on what they evaluated.
        if let (Some(unevaluated), Value::Object(fields)) = (obj.get("unevaluatedProperties"), inst) {
            self.check_unevaluated(schema, unevaluated, inst, fields, path, depth, out);
        }
    }

    /// Whether `inst` satisfies `schema`, reporting nothing.
    fn is_valid(&mut self, schema: &'a Value, inst: &Value, path: &Path<'_>, depth: usize) -> bool {
        let mut scratch = Vec::new();
        self.check(schema, inst, path, depth, &mut scratch);
        scratch.is_empty()
    }

    /// Checks `unevaluatedProperties` of `schema`: fields that no `properties`,
    /// `patternProperties` or `additionalProperties` of `schema` or of its
    /// in-place subschemas (`$ref`, `allOf`, passing `anyOf`/`oneOf` branches,
    /// the `if`/`then`/`else` taken, `dependentSchemas` in force) evaluated.
    #[allow(clippy::too_many_arguments)]
    fn check_unevaluated(
        &mut self,
        schema: &'a Value,
        unevaluated: &'a Value,
        inst: &Value,
        fields: &Map<String, Value>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let mut evaluated = HashSet::new();
        let mut declared = BTreeSet::new();
        self.collect_evaluated(schema, inst, fields, path, depth, true, &mut evaluated, &mut declared);
        for (name, value) in fields {
            if evaluated.contains(name.as_str()) || out.len() >= MAX_VIOLATIONS {
                continue;
            }
            match unevaluated {
                // The fields named by the shapes the value matched are the ones to offer.
                Value::Bool(false) => push(out, path, unknown_field_message(name, declared.iter().copied())),
                other => self.check(other, value, &path.field(name), depth + 1, out),
            }
        }
    }

    /// Adds to `evaluated` the fields of `inst` that `schema` (and its in-place
    /// subschemas) evaluate, and to `declared` the field names their
    /// `properties` declare. `own` is true for the schema whose
    /// `unevaluatedProperties` is being checked, which must not count itself.
    #[allow(clippy::too_many_arguments)]
    fn collect_evaluated<'f>(
        &mut self,
        schema: &'a Value,
        inst: &Value,
        fields: &'f Map<String, Value>,
        path: &Path<'_>,
        depth: usize,
        own: bool,
        evaluated: &mut HashSet<&'f str>,
        declared: &mut BTreeSet<&'a String>,
    ) {
        self.steps += 1;
        if depth > MAX_DEPTH || self.steps > MAX_STEPS || self.aborted.is_some() {
            return;
        }
        let Value::Object(obj) = schema else {
            return;
        };
        if let Some(Value::Object(properties)) = obj.get("properties") {
            declared.extend(properties.keys());
        }
        let every_field = obj.contains_key("additionalProperties")
            || (!own
                && obj.contains_key("unevaluatedProperties")
                && self.is_valid(schema, inst, path, depth));
        for name in fields.keys() {
            let named = matches!(obj.get("properties"), Some(Value::Object(p)) if p.contains_key(name));
            let patterned = matches!(obj.get("patternProperties"), Some(Value::Object(p))
                if p.keys().any(|re| pattern::is_match(re, name) == Some(true)));
            if every_field || named || patterned {
                evaluated.insert(name.as_str());
            }
        }
        if every_field {
            return;
        }
        let mut subschemas: Vec<&'a Value> = Vec::new();
        if let Some(target) = obj.get("$ref").and_then(|r| self.resolve(r)) {
            subschemas.push(target);
        }
        if let Some(Value::Array(all)) = obj.get("allOf") {
            subschemas.extend(all);
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = obj.get(keyword) {
                for branch in branches {
                    if self.is_valid(branch, inst, path, depth + 1) {
                        subschemas.push(branch);
                    }
                }
            }
        }
        if let Some(condition) = obj.get("if") {
            if self.is_valid(condition, inst, path, depth + 1) {
                subschemas.push(condition);
                subschemas.extend(obj.get("then"));
            } else {
                subschemas.extend(obj.get("else"));
            }
        }
        if let Some(Value::Object(dependent)) = obj.get("dependentSchemas") {
            subschemas.extend(dependent.iter().filter(|(k, _)| fields.contains_key(*k)).map(|(_, v)| v));
        }
        for subschema in subschemas {
            self.collect_evaluated(subschema, inst, fields, path, depth + 1, false, evaluated, declared);
        }
    }

    /// Records that validation gave up at `path`.
    fn abort(&mut self, path: &Path<'_>, message: &str, out: &mut Vec<Violation>) {
        let violation = violation(path, message);
        out.push(violation.clone());
        self.aborted = Some(violation);
    }

    /// Resolves a local `$ref` (`#`, `#/$defs/Name`, `#/definitions/Name`, any
    /// JSON pointer) against the root schema.
    fn resolve(&self, reference: &Value) -> Option<&'a Value> {
        resolve_local(self.root, reference.as_str()?)
    }

    /// Follows `$ref`s of a schema that has no `type` of its own, to learn
    /// what type a combinator branch expects.
    fn deref(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..16 {
            match schema.get("$ref").and_then(|r| self.resolve(r)) {
                Some(target) if schema.get("type").is_none() => schema = target,
                _ => break,
            }
        }
        schema
    }

    /// Checks the array keywords.
    fn check_array(
        &mut self,
        obj: &'a Map<String, Value>,
        items: &[Value],
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let (prefix, rest) = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(prefix)), items) => (prefix.as_slice(), items),
            (_, Some(Value::Array(tuple))) => (tuple.as_slice(), obj.get("additionalItems")),
            (_, items) => (&[][..], items),
        };
        for (i, item) in items.iter().enumerate() {
            let item_schema = match prefix.get(i) {
                Some(schema) => schema,
                None => match rest {
                    Some(schema) => schema,
                    None => break,
                },
            };
            self.check(item_schema, item, &path.index(i), depth + 1, out);
        }
        if let Some(wanted) = obj.get("contains") {
            self.check_contains(obj, wanted, items, path, depth, out);
        }
        let count = items.len();
        if let Some(min) = obj.get("minItems").and_then(as_count)
            && (count as u64) < min
        {
            let message = format!("must contain at least {}; got {count}", plural(min, "item"));
            push(out, path, message);
        }
        if let Some(max) = obj.get("maxItems").and_then(as_count)
            && count as u64 > max
        {
            let message = format!("must contain at most {}; got {count}", plural(max, "item"));
            push(out, path, message);
        }
        if obj.get("uniqueItems") == Some(&Value::Bool(true)) {
            let mut seen: HashMap<Vec<u8>, usize> = HashMap::new();
            for (i, item) in items.iter().enumerate() {
                if let Some(first) =
                    seen.insert(crate::canonical::to_vec(item, crate::canonical::Numbers::ByValue), i)
                {
                    let message = format!(
                        "must not contain duplicate items; items [{first}] and [{i}] are both {}",
                        excerpt(item)
                    );
                    push(out, path, message);
                    break;
                }
            }
        }
    }

    /// Checks `contains`, `minContains` and `maxContains`.
    fn check_contains(
        &mut self,
        obj: &'a Map<String, Value>,
        wanted: &'a Value,
        items: &[Value],
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let mut matching = 0u64;
        for (i, item) in items.iter().enumerate() {
            if self.is_valid(wanted, item, &path.index(i), depth + 1) {
                matching += 1;
            }
        }
        let min = obj.get("minContains").and_then(as_count).unwrap_or(1);
        if matching < min {
            let message = match min {
                1 => "must contain at least one item of the required shape; none matches".to_string(),
                _ => format!(
                    "must contain at least {} of the required shape; {matching} match",
                    plural(min, "item")
                ),
            };
            push(out, path, message);
        }
        if let Some(max) = obj.get("maxContains").and_then(as_count)
            && matching > max
        {
            let message = format!(
                "must contain at most {} of the required shape; {matching} match",
                plural(max, "item")
            );
            push(out, path, message);
        }
    }

    /// Checks the object keywords.
    fn check_object(
        &mut self,
        obj: &'a Map<String, Value>,
        inst: &Value,
        fields: &Map<String, Value>,
        path: &Path<'_>,
        depth: usize,
        out: &mut Vec<Violation>,
    ) {
        let properties = match obj.get("properties") {
            Some(Value::Object(properties)) => Some(properties),
            _ => None,
        };
        let patterns = match obj.get("patternProperties") {
            Some(Value::Object(patterns)) => Some(patterns),
            _ => None,
        };
        if let Some(Value::Array(required)) = obj.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    push(out, path, format!("missing required field `{name}`"));
                }
            }
        }
        if let Some(Value::Object(dependent)) = obj.get("dependentRequired") {
            for (trigger, needed) in dependent.iter().filter(|(k, _)| fields.contains_key(*k)) {
                for name in needed.as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if !fields.contains_key(name) {
                        push(
                            out,
                            path,
                            format!("missing field `{name}`, which is required when `{trigger}` is present"),
                        );
                    }
                }
            }
        }
        // A pattern that does not compile could have matched anything: rather than flag
        // fields it might allow, `additionalProperties` is then not checked at all.
        let patterns_usable = patterns.is_none_or(|p| p.keys().all(|re| pattern::compile(re).is_ok()));
        let additional = obj.get("additionalProperties").filter(|_| patterns_usable);
        for (name, value) in fields {
            if out.len() >= MAX_VIOLATIONS {
                break;
            }
            let field_path = path.field(name);
            let mut evaluated = false;
            if let Some(schema) = properties.and_then(|p| p.get(name)) {
                self.check(schema, value, &field_path, depth + 1, out);
                evaluated = true;
            }
            for (re, schema) in patterns.into_iter().flatten() {
                if pattern::is_match(re, name) == Some(true) {
                    self.check(schema, value, &field_path, depth + 1, out);
                    evaluated = true;
                }
            }
            match additional {
                _ if evaluated => {}
                Some(Value::Bool(false)) => push(
                    out,
                    path,
                    unknown_field_message(name, properties.into_iter().flat_map(|p| p.keys())),
                ),
                Some(schema) => self.check(schema, value, &field_path, depth + 1, out),
                None => {}
            }
        }
        if let Some(names) = obj.get("propertyNames") {
            for name in fields.keys() {
                let mut found = Vec::new();
                self.check(names, &Value::String(name.clone()), path, depth + 1, &mut found);
                if let Some(first) = found.first() {
                    push(out, path, format!("field name `{name}` is not allowed: {}", first.message));
                }
            }
        }
        if let Some(Value::Object(dependent)) = obj.get("dependentSchemas") {
            for (_, schema) in dependent.iter().filter(|(k, _)| fields.contains_key(*k)) {
                self.check(schema, inst, path, depth + 1, out);
            }
        }
        let count = fields.len();
        if let Some(min) = obj.get("minProperties").and_then(as_count)
            && (count as u64) < min
        {
            let message = format!("must have at least {}; got {count}", plural(min, "field"));
            push(out, path, message);
        }
        if let Some(max) = obj.get("maxProperties").and_then(as_count)
            && count as u64 > max
        {
            let message = format!("must have at most {}; got {count}", plural(max, "field"));
            push(out, path, message);
        }
    }

    /// Checks `anyOf` (`exactly_one` false) or `oneOf` (`exactly_one` true).
    fn check_branches(
        &mut self,
        branches: &'a [Value],
        inst: &Value,
        path: &Path<'_>,
        depth: usize,
        exactly_one: bool,
        out: &mut Vec<Violation>,
    ) {
        if branches.is_empty() {
            return; // Malformed: ignore.
        }
        let mut results = Vec::with_capacity(branches.len());
        let mut passing = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let mut found = Vec::new();
            self.check(branch, inst, path, depth + 1, &mut found);
            if self.aborted.is_some() {
                return;
            }
            if found.is_empty() {
                passing.push(i + 1);
                if !exactly_one {
                    return;
                }
            }
            results.push(found);
        }
        match passing.len() {
            0 => {}
            1 => return,
            _ => {
                let listed: Vec<String> = passing.iter().map(usize::to_string).collect();
                let message = format!(
                    "matches more than one of the allowed shapes (options {}); it must match exactly one",
                    join(&listed, "and")
                );
                return push(out, path, message);
            }
        }
        // No branch matched: find the most helpful explanation.
        let resolved: Vec<&Value> = branches.iter().map(|b| self.deref(b)).collect();
        let constants: Option<Vec<&Value>> = resolved
            .iter()
            .map(|b| match (b.get("const"), b.get("enum")) {
                (Some(c), _) => Some(vec![c]),
                (None, Some(Value::Array(values))) => Some(values.iter().collect()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|lists| lists.into_iter().flatten().collect());
        if let Some(values) = constants {
            return push(out, path, one_of_message(values.into_iter(), inst));
        }
        // Branches whose declared type rules the instance out are not what
        // the caller meant; if exactly one other branch remains, its own
        // violations are the most helpful explanation.
        let matching: Vec<usize> = resolved
            .iter()
            .enumerate()
            .filter(|(_, b)| branch_may_accept_type(b, inst))
            .map(|(i, _)| i)
            .collect();
        if let [only] = matching.as_slice() {
            for found in results.swap_remove(*only) {
                if out.len() < MAX_VIOLATIONS {
                    out.push(found);
                }
            }
            return;
        }
        push(out, path, "does not match any of the allowed shapes");
    }
}

/// Checks the number keywords.
fn check_number(obj: &Map<String, Value>, n: &Number, path: &Path<'_>, out: &mut Vec<Violation>) {
    use Ordering::{Equal, Greater, Less};
    // Keyword, wording, and the orderings of instance vs limit that pass.
    let bounds = [
        ("minimum", "at least", [Equal, Greater]),
        ("maximum", "at most", [Equal, Less]),
        ("exclusiveMinimum", "greater than", [Greater, Greater]),
        ("exclusiveMaximum", "less than", [Less, Less]),
    ];
    for (keyword, wording, ok) in bounds {
        if let Some(Value::Number(limit)) = obj.get(keyword)
            && num_cmp(n, limit).is_some_and(|o| !ok.contains(&o))
        {
            push(out, path, format!("must be {wording} {limit}; got {n}"));
        }
    }
    if let Some(Value::Number(divisor)) = obj.get("multipleOf")
        && is_multiple(n, divisor) == Some(false)
    {
        push(out, path, format!("must be a multiple of {divisor}; got {n}"));
    }
}

/// Checks the string keywords.
fn check_string(obj: &Map<String, Value>, s: &str, path: &Path<'_>, out: &mut Vec<Violation>) {
    if let Some(Value::String(re)) = obj.get("pattern")
        && pattern::is_match(re, s) == Some(false)
    {
        push(out, path, format!("must match the pattern `{re}`; got {}", excerpt(&Value::String(s.into()))));
    }
    let len = s.chars().count() as u64;
    if let Some(min) = obj.get("minLength").and_then(as_count)
        && len < min
    {
        let message =
            format!("must be at least {} long; got {}", plural(min, "character"), plural(len, "character"));
        push(out, path, message);
    }
    if let Some(max) = obj.get("maxLength").and_then(as_count)
        && len > max
    {
        let message =
            format!("must be at most {} long; got {}", plural(max, "character"), plural(len, "character"));
        push(out, path, message);
    }
}

/// Whether `divisor` divides `n`; `None` when the keyword is unusable.
fn is_multiple(n: &Number, divisor: &Number) -> Option<bool> {
    if let (Some(x), Some(d)) = (as_i128(n), as_i128(divisor)) {
        return if d > 0 { Some(x % d == 0) } else { None };
    }
    let (x, d) = (n.as_f64()?, divisor.as_f64()?);
    if !(d > 0.0 && d.is_finite()) {
        return None;
    }
    let q = x / d;
    if !q.is_finite() {
        // The quotient overflows (1e308 / 0.5): decide on the numbers as the decimals they
        // were written as, exactly.
        return decimal_multiple(x.abs(), d);
    }
    Some((q - q.round()).abs() <= 1e-9 * q.abs().max(1.0))
}

/// Whether `x` is a multiple of `d`, both positive and finite, computed on their shortest
/// decimal forms `mx·10^ex` and `md·10^ed`: `x / d = (mx / md)·10^(ex-ed)` is an integer when
/// `md` divides `mx·10^(ex-ed)`. Used where `x / d` overflows, so `ex - ed` is large.
fn decimal_multiple(x: f64, d: f64) -> Option<bool> {
    let (mx, ex) = decimal_parts(x)?;
    let (md, ed) = decimal_parts(d)?;
    let k = u32::try_from(ex - ed).ok()?;
    if md == 0 {
        return None;
    }
    let md = u128::from(md);
    let mut power: u128 = 1 % md;
    let mut base: u128 = 10 % md;
    let mut e = k;
    while e > 0 {
        if e & 1 == 1 {
            power = power * base % md;
        }
        base = base * base % md;
        e >>= 1;
    }
    Some((u128::from(mx) % md * power).is_multiple_of(md))
}

/// The shortest decimal form of a finite positive float: digits and exponent of the last one.
fn decimal_parts(f: f64) -> Option<(u64, i32)> {
    let text = format!("{f:e}");
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let fraction = mantissa.split_once('.').map_or("", |(_, frac)| frac);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let fraction_len = i32::try_from(fraction.len()).ok()?;
    Some((digits.parse().ok()?, exponent - fraction_len))
}

/// The message for a field not allowed by `additionalProperties: false`.
fn unknown_field_message<'k>(name: &str, allowed: impl IntoIterator<Item = &'k String>) -> String {
    let allowed: Vec<String> = allowed.into_iter().map(|k| format!("`{k}`")).collect();
    if allowed.is_empty() {
        format!("unknown field `{name}`; no fields are allowed here")
    } else {
        format!("unknown field `{name}`; allowed fields: {}", list(&allowed))
    }
}

/// "must be one of a, b; got c".
fn one_of_message<'v>(allowed: impl Iterator<Item = &'v Value>, inst: &Value) -> String {
    let shown: Vec<String> = allowed.map(excerpt).collect();
    if shown.is_empty() {
        return format!("no value is allowed here; got {}", excerpt(inst));
    }
    format!("must be one of {}; got {}", list(&shown), excerpt(inst))
}

/// Comma-separated list, shortened past [`MAX_LISTED`] entries.
fn list(items: &[String]) -> String {
    if items.len() <= MAX_LISTED {
        return items.join(", ");
    }
    let more = items.len() - MAX_LISTED;
    format!("{}, ... ({more} more)", items[..MAX_LISTED].join(", "))
}

/// "a", "a or b", "a, b or c" (with `word` in place of "or").
fn join(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// "1 item", "2 items".
fn plural(n: u64, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// The error for a failed `type` keyword, if it fails. Unknown or malformed
/// type names are ignored.
fn type_error(types: &Value, inst: &Value) -> Option<String> {
    let mut known = type_names(types).peekable();
    known.peek()?;
    if known.clone().any(|t| type_matches(t, inst)) {
        return None;
    }
    let known: Vec<String> = known.map(str::to_owned).collect();
    Some(format!("expected {}, got {}", join(&known, "or"), describe(inst)))
}

/// The known type names of a `type` keyword (a name or a list of names), in order; unknown
/// names are skipped. An iterator, not a `Vec`: this runs for every value validated.
fn type_names(types: &Value) -> impl Iterator<Item = &str> + Clone {
    const KNOWN: [&str; 7] = ["null", "boolean", "object", "array", "number", "integer", "string"];
    let (single, list) = match types {
        Value::String(s) => (Some(s.as_str()), &[][..]),
        Value::Array(list) => (None, list.as_slice()),
        _ => (None, &[][..]),
    };
    single.into_iter().chain(list.iter().filter_map(Value::as_str)).filter(|t| KNOWN.contains(t))
}

/// Whether a combinator branch's `type` (and `nullable`) allows `inst`;
/// true when the branch declares no usable `type`.
fn branch_may_accept_type(branch: &Value, inst: &Value) -> bool {
    if inst.is_null() && branch.get("nullable") == Some(&Value::Bool(true)) {
        return true;
    }
    let mut types = branch.get("type").into_iter().flat_map(type_names).peekable();
    if types.peek().is_none() {
        return branch.is_object();
    }
    types.any(|t| type_matches(t, inst))
}

/// Whether `inst` is of JSON Schema type `name`.
fn type_matches(name: &str, inst: &Value) -> bool {
    match (name, inst) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            as_i128(n).is_some() || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

/// The type name of a value, as used in messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if as_i128(n).is_some() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// "string \"ten\"", "integer 5", "null".
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        _ => format!("{} {}", type_name(v), excerpt(v)),
    }
}

/// Compact JSON of a value, cut to about [`MAX_EXCERPT`] characters.
pub(crate) fn excerpt(v: &Value) -> String {
    let json = v.to_string();
    if json.chars().count() <= MAX_EXCERPT {
        return json;
    }
    let mut cut: String = json.chars().take(MAX_EXCERPT - 3).collect();
    cut.push_str("...");
    cut
}

/// The value of a count keyword (`minLength`, `maxItems`, ...): a non-negative integer,
/// which JSON Schema allows to be written with a zero fraction (`2.0`).
pub(crate) fn as_count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        let f = v.as_f64()?;
        (f >= 0.0 && f.fract() == 0.0 && f < 1.8e19).then_some(f as u64)
    })
}

/// An integer number as `i128` (covers both `i64` and `u64`).
fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

/// Compares numbers, exactly when both are integers.
fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Resolves a local `$ref` (`#` or `#` followed by a JSON pointer, possibly
/// percent-encoded) against `root`; `None` for any other reference.
pub(crate) fn resolve_local<'v>(root: &'v Value, reference: &str) -> Option<&'v Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer).or_else(|| {
        // URI fragments may percent-encode characters of a pointer.
        root.pointer(&percent_decode(pointer)?)
    })
}

/// Decodes `%XX` escapes; `None` if the result is not valid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|s| s.into_owned())
}

/// Where a value sits in the instance, as a chain of steps kept on the stack while the
/// validator descends: it is turned into text (`a.b[1].c`) only for a violation, so a valid
/// instance costs no string building at all.
#[derive(Clone, Copy)]
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    step: Step<'p>,
}

#[derive(Clone, Copy)]
enum Step<'p> {
    Root,
    Field(&'p str),
    Index(usize),
}

impl<'p> Path<'p> {
    const ROOT: Path<'static> = Path { parent: None, step: Step::Root };

    /// This path extended by an object field.
    fn field(&'p self, name: &'p str) -> Path<'p> {
        Path { parent: Some(self), step: Step::Field(name) }
    }

    /// This path extended by an array index.
    fn index(&'p self, i: usize) -> Path<'p> {
        Path { parent: Some(self), step: Step::Index(i) }
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.step {
            Step::Root => Ok(()),
            // `a.b`, but a field at the root has no leading dot.
            Step::Field(name) if matches!(self.parent, Some(Path { step: Step::Root, .. }) | None) => {
                f.write_str(name)
            }
            Step::Field(name) => write!(f, ".{name}"),
            Step::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Builds a violation.
fn violation(path: impl ToString, message: impl Into<String>) -> Violation {
    Violation { path: path.to_string(), message: message.into() }
}

/// Adds a violation unless [`MAX_VIOLATIONS`] are already recorded.
fn push(out: &mut Vec<Violation>, path: &Path<'_>, message: impl Into<String>) {
    if out.len() < MAX_VIOLATIONS {
        out.push(violation(path, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The violations as displayed strings (empty when valid).
    fn errors(schema: Value, instance: Value) -> Vec<String> {
        match validate(&schema, &instance) {
            Ok(()) => Vec::new(),
            Err(found) => found.iter().map(ToString::to_string).collect(),
        }
    }

    fn ok(schema: Value, instance: Value) {
        assert_eq!(errors(schema, instance), Vec::<String>::new());
    }

    fn fails(schema: Value, instance: Value, expected: &[&str]) {
        assert_eq!(errors(schema, instance), expected);
    }

    #[test]
    fn display_with_and_without_path() {
        let v = violation("a.b", "bad");
        assert_eq!(v.to_string(), "`a.b`: bad");
        assert_eq!(violation("", "bad").to_string(), "bad");
    }

    #[test]
    fn type_mismatch_message() {
        let schema = json!({"type": "object", "properties": {"limit": {"type": "integer"}}});
        fails(schema, json!({"limit": "ten"}), &["`limit`: expected integer, got string \"ten\""]);
        let found = validate(&json!({"type": "string"}), &json!(5)).unwrap_err();
        assert_eq!(found, vec![violation("", "expected string, got integer 5")]);
    }

    #[test]
    fn type_each_name() {
        ok(json!({"type": "null"}), json!(null));
        ok(json!({"type": "boolean"}), json!(false));
        ok(json!({"type": "string"}), json!(""));
        ok(json!({"type": "array"}), json!([]));
        ok(json!({"type": "object"}), json!({}));
        fails(json!({"type": "null"}), json!(0), &["expected null, got integer 0"]);
        fails(json!({"type": "boolean"}), json!("true"), &["expected boolean, got string \"true\""]);
        fails(json!({"type": "array"}), json!({}), &["expected array, got object {}"]);
        fails(json!({"type": "object"}), json!([1]), &["expected object, got array [1]"]);
        fails(json!({"type": "string"}), json!(null), &["expected string, got null"]);
    }

    #[test]
    fn integer_and_number_types() {
        ok(json!({"type": "integer"}), json!(3));
        ok(json!({"type": "integer"}), json!(3.0));
        ok(json!({"type": "integer"}), json!(u64::MAX));
        ok(json!({"type": "integer"}), json!(i64::MIN));
        fails(json!({"type": "integer"}), json!(3.5), &["expected integer, got number 3.5"]);
        ok(json!({"type": "number"}), json!(3));
        ok(json!({"type": "number"}), json!(3.5));
        fails(json!({"type": "number"}), json!("3"), &["expected number, got string \"3\""]);
    }

    #[test]
    fn type_array() {
        let schema = json!({"type": ["integer", "null"]});
        ok(schema.clone(), json!(null));
        ok(schema.clone(), json!(7));
        fails(schema, json!("7"), &["expected integer or null, got string \"7\""]);
        fails(
            json!({"type": ["string", "integer", "null"]}),
            json!(true),
            &["expected string, integer or null, got boolean true"],
        );
    }

    #[test]
    fn nullable_accepts_null() {
        let schema = json!({"type": "string", "nullable": true, "minLength": 2});
        ok(schema.clone(), json!(null));
        fails(schema, json!("a"), &["must be at least 2 characters long; got 1 character"]);
        fails(json!({"type": "string"}), json!(null), &["expected string, got null"]);
    }

    #[test]
    fn missing_required() {
        let schema = json!({"type": "object", "required": ["query", "limit"]});
        fails(schema, json!({"limit": 1}), &["missing required field `query`"]);
        let nested = json!({
            "properties": {"filters": {"type": "object", "required": ["status"]}}
        });
        let found = validate(&nested, &json!({"filters": {}})).unwrap_err();
        assert_eq!(found, vec![violation("filters", "missing required field `status`")]);
    }

    #[test]
    fn properties_checked_only_when_present() {
        let schema = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
        ok(schema.clone(), json!({}));
        ok(schema.clone(), json!({"a": "x", "extra": 1}));
        fails(
            schema,
            json!({"a": 1, "b": "x"}),
            &["`a`: expected string, got integer 1", "`b`: expected integer, got string \"x\""],
        );
    }

    #[test]
    fn additional_properties_false() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {}, "b": {}},
            "additionalProperties": false
        });
        ok(schema.clone(), json!({"a": 1, "b": 2}));
        fails(schema, json!({"a": 1, "x": 2}), &["unknown field `x`; allowed fields: `a`, `b`"]);
        fails(
            json!({"additionalProperties": false}),
            json!({"x": 1}),
            &["unknown field `x`; no fields are allowed here"],
        );
        // A field a pattern allows is not additional.
        ok(json!({"patternProperties": {"^x": {}}, "additionalProperties": false}), json!({"x": 1}));
    }

    #[test]
    fn additional_properties_schema() {
        let schema = json!({
            "properties": {"name": {"type": "string"}},
            "additionalProperties": {"type": "integer"}
        });
        ok(schema.clone(), json!({"name": "n", "count": 2}));
        fails(schema, json!({"name": "n", "count": "2"}), &["`count`: expected integer, got string \"2\""]);
    }

    #[test]
    fn enum_message() {
        let schema = json!({
            "properties": {"filters": {"properties": {"status": {"enum": ["open", "closed"]}}}}
        });
        ok(schema.clone(), json!({"filters": {"status": "open"}}));
        fails(
            schema,
            json!({"filters": {"status": "done"}}),
            &["`filters.status`: must be one of \"open\", \"closed\"; got \"done\""],
        );
        ok(json!({"enum": [1, null]}), json!(1.0));
        ok(json!({"enum": [1, null]}), json!(null));
    }

    #[test]
    fn const_keyword() {
        ok(json!({"const": {"a": [1, 2]}}), json!({"a": [1.0, 2]}));
        fails(json!({"const": "x"}), json!("y"), &["must be \"x\"; got \"y\""]);
        fails(json!({"const": null}), json!(0), &["must be null; got 0"]);
    }

    #[test]
    fn minimum_and_maximum() {
        let schema = json!({"minimum": 1, "maximum": 10});
        ok(schema.clone(), json!(1));
        ok(schema.clone(), json!(10.0));
        fails(schema.clone(), json!(0), &["must be at least 1; got 0"]);
        fails(schema.clone(), json!(10.5), &["must be at most 10; got 10.5"]);
        // Non-numbers are not range-checked.
        ok(schema, json!("0"));
    }

    #[test]
    fn exclusive_bounds() {
        let schema = json!({"exclusiveMinimum": 0, "exclusiveMaximum": 1.5});
        ok(schema.clone(), json!(1));
        fails(schema.clone(), json!(0), &["must be greater than 0; got 0"]);
        fails(schema, json!(1.5), &["must be less than 1.5; got 1.5"]);
        // Draft-04 boolean form is not supported and ignored.
        ok(json!({"minimum": 0, "exclusiveMinimum": true}), json!(0));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let schema = json!({"maximum": 9_223_372_036_854_775_807_i64});
        ok(schema.clone(), json!(i64::MAX));
        fails(schema, json!(u64::MAX), &["must be at most 9223372036854775807; got 18446744073709551615"]);
        ok(json!({"minimum": -1.5}), json!(u64::MAX));
        ok(json!({"maximum": 1e300}), json!(u64::MAX));
        fails(
            json!({"minimum": 1e300}),
            json!(u64::MAX),
            &["must be at least 1e+300; got 18446744073709551615"],
        );
    }

    #[test]
    fn multiple_of() {
        ok(json!({"multipleOf": 5}), json!(10));
        ok(json!({"multipleOf": 5}), json!(u64::MAX - 15));
        fails(json!({"multipleOf": 5}), json!(7), &["must be a multiple of 5; got 7"]);
        ok(json!({"multipleOf": 0.01}), json!(19.99));
        ok(json!({"multipleOf": 1.5}), json!(4.5));
        fails(json!({"multipleOf": 1.5}), json!(4), &["must be a multiple of 1.5; got 4"]);
        // Malformed divisors are ignored.
        ok(json!({"multipleOf": 0}), json!(7));
        ok(json!({"multipleOf": -2}), json!(7));
        ok(json!({"multipleOf": 1e-300}), json!(1e300));
        // Quotients that overflow are decided on the decimals as written.
        ok(json!({"multipleOf": 0.5}), json!(1e308));
        fails(
            json!({"multipleOf": 0.123456789}),
            json!(1e308),
            &["must be a multiple of 0.123456789; got 1e+308"],
        );
        ok(json!({"multipleOf": 2.5e-300}), json!(-7.5e300));
    }

    #[test]
    fn string_lengths_count_chars() {
        let schema = json!({"minLength": 2, "maxLength": 3});
        ok(schema.clone(), json!("héé"));
        ok(schema.clone(), json!("日本"));
        fails(schema.clone(), json!("é"), &["must be at least 2 characters long; got 1 character"]);
        fails(schema, json!("abcd"), &["must be at most 3 characters long; got 4 characters"]);
    }

    #[test]
    fn pattern_is_checked_unanchored() {
        let schema = json!({"properties": {"code": {"type": "string", "pattern": "^[0-9]+$"}}});
        ok(schema.clone(), json!({"code": "123"}));
        fails(schema, json!({"code": "abc"}), &["`code`: must match the pattern `^[0-9]+$`; got \"abc\""]);
        // Unanchored, as in ECMA-262: a match anywhere counts.
        ok(json!({"pattern": "b"}), json!("abc"));
        // Non-strings are not constrained by `pattern`.
        ok(json!({"pattern": "^x$"}), json!(5));
    }

    #[test]
    fn invalid_pattern_never_blocks_a_call() {
        ok(json!({"pattern": "(?=x)"}), json!("y"));
        // A pattern that does not compile might have allowed the field: no false alarm.
        ok(json!({"patternProperties": {"(": {}}, "additionalProperties": false}), json!({"x": 1}));
    }

    #[test]
    fn pattern_properties_and_additional_properties() {
        let schema = json!({
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "patternProperties": {"^\\d+$": {"type": "integer"}},
            "additionalProperties": false
        });
        ok(schema.clone(), json!({"name": "n", "1": 1, "22": 2}));
        fails(schema.clone(), json!({"7": "x"}), &["`7`: expected integer, got string \"x\""]);
        fails(schema, json!({"name": "n", "x": 1}), &["unknown field `x`; allowed fields: `name`"]);
    }

    #[test]
    fn format_is_asserted_for_schemars_formats() {
        let schema = json!({"properties": {
            "when": {"type": "string", "format": "date"},
            "small": {"type": "integer", "format": "uint8"},
            "id": {"type": "string", "format": "uuid"}
        }});
        ok(
            schema.clone(),
            json!({"when": "2025-01-31", "small": 255, "id": "67e55044-10b1-426f-9247-bb680e5fe0c8"}),
        );
        fails(
            schema,
            json!({"when": "tomorrow", "small": 300, "id": "42"}),
            &[
                "`id`: must be a UUID, like \"67e55044-10b1-426f-9247-bb680e5fe0c8\"; got \"42\"",
                "`small`: must be an integer from 0 to 255 (uint8); got 300",
                "`when`: must be a date in RFC 3339 form (YYYY-MM-DD), like \"2025-01-31\"; got \"tomorrow\"",
            ],
        );
        // The bound schemars writes next to the format already says it: one message, not two.
        fails(
            json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255}),
            json!(300),
            &["must be at most 255; got 300"],
        );
    }

    #[test]
    fn contains_min_and_max() {
        let schema = json!({"contains": {"type": "integer"}, "minContains": 2, "maxContains": 3});
        ok(schema.clone(), json!(["a", 1, 2]));
        fails(
            schema.clone(),
            json!([1, "a"]),
            &["must contain at least 2 items of the required shape; 1 match"],
        );
        fails(schema, json!([1, 2, 3, 4]), &["must contain at most 3 items of the required shape; 4 match"]);
        fails(
            json!({"contains": {"const": "x"}}),
            json!([]),
            &["must contain at least one item of the required shape; none matches"],
        );
        ok(json!({"contains": {"const": "x"}, "minContains": 0}), json!([]));
    }

    #[test]
    fn property_names_and_dependent_keywords() {
        fails(
            json!({"propertyNames": {"maxLength": 3}}),
            json!({"abcd": 1}),
            &["field name `abcd` is not allowed: must be at most 3 characters long; got 4 characters"],
        );
        let schema = json!({
            "dependentRequired": {"card": ["cvv"]},
            "dependentSchemas": {"express": {"required": ["phone"]}}
        });
        ok(schema.clone(), json!({}));
        fails(
            schema,
            json!({"card": 1, "express": true}),
            &[
                "missing field `cvv`, which is required when `card` is present",
                "missing required field `phone`",
            ],
        );
    }

    #[test]
    fn if_then_else() {
        let schema = json!({
            "if": {"properties": {"kind": {"const": "email"}}},
            "then": {"required": ["address"]},
            "else": {"required": ["number"]}
        });
        ok(schema.clone(), json!({"kind": "email", "address": "a@b.c"}));
        ok(schema.clone(), json!({"kind": "sms", "number": "1"}));
        fails(schema.clone(), json!({"kind": "email"}), &["missing required field `address`"]);
        fails(schema, json!({"kind": "sms"}), &["missing required field `number`"]);
    }

    #[test]
    fn unevaluated_properties_sees_through_combinators() {
        // What schemars emits for a `deny_unknown_fields` struct with a flattened enum.
        let schema = json!({
            "type": "object",
            "properties": {"id": {"type": "integer"}},
            "oneOf": [
                {"properties": {"kind": {"const": "a"}, "x": {"type": "integer"}}, "required": ["kind"]},
                {"properties": {"kind": {"const": "b"}, "y": {"type": "string"}}, "required": ["kind"]}
            ],
            "unevaluatedProperties": false
        });
        ok(schema.clone(), json!({"id": 1, "kind": "a", "x": 2}));
        ok(schema.clone(), json!({"id": 1, "kind": "b", "y": "s"}));
        fails(
            schema.clone(),
            json!({"id": 1, "kind": "a", "y": "s"}),
            &["unknown field `y`; allowed fields: `id`, `kind`, `x`"],
        );
        let with_ref = json!({
            "$defs": {"Base": {"properties": {"a": {}}}},
            "allOf": [{"$ref": "#/$defs/Base"}],
            "unevaluatedProperties": {"type": "integer"}
        });
        ok(with_ref.clone(), json!({"a": "anything", "b": 1}));
        fails(with_ref, json!({"a": "x", "b": "x"}), &["`b`: expected integer, got string \"x\""]);
    }

    #[test]
    fn items_schema_and_nested_path() {
        let schema = json!({
            "properties": {"a": {"properties": {"b": {
                "type": "array",
                "items": {"type": "object", "properties": {"c": {"type": "integer"}}}
            }}}}
        });
        ok(schema.clone(), json!({"a": {"b": [{"c": 1}, {"c": 2}]}}));
        fails(
            schema,
            json!({"a": {"b": [{"c": 1}, {"c": "two"}]}}),
            &["`a.b[1].c`: expected integer, got string \"two\""],
        );
        fails(
            json!({"items": {"type": "string"}}),
            json!(["a", 1]),
            &["`[1]`: expected string, got integer 1"],
        );
    }

    #[test]
    fn prefix_items() {
        let schema = json!({
            "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": false
        });
        ok(schema.clone(), json!(["a", 1]));
        ok(schema.clone(), json!(["a"]));
        fails(schema.clone(), json!([1, 1]), &["`[0]`: expected string, got integer 1"]);
        fails(schema, json!(["a", 1, null]), &["`[2]`: no value is allowed here"]);
        // Without `items`, extra items are accepted.
        ok(json!({"prefixItems": [{"type": "string"}]}), json!(["a", 1]));
    }

    #[test]
    fn draft07_tuple_items() {
        let schema = json!({
            "items": [{"type": "string"}, {"type": "integer"}],
            "additionalItems": {"type": "boolean"}
        });
        ok(schema.clone(), json!(["a", 1, true]));
        fails(schema.clone(), json!(["a", "b"]), &["`[1]`: expected integer, got string \"b\""]);
        fails(schema, json!(["a", 1, 2]), &["`[2]`: expected boolean, got integer 2"]);
        ok(json!({"items": [{"type": "string"}]}), json!(["a", 1]));
    }

    #[test]
    fn item_counts() {
        let schema = json!({"minItems": 1, "maxItems": 2});
        ok(schema.clone(), json!([1, 2]));
        fails(schema.clone(), json!([]), &["must contain at least 1 item; got 0"]);
        fails(schema, json!([1, 2, 3]), &["must contain at most 2 items; got 3"]);
    }

    #[test]
    fn unique_items() {
        let schema = json!({"uniqueItems": true});
        ok(schema.clone(), json!([1, "1", [1], {"a": 1}, {"a": 2}]));
        fails(
            schema.clone(),
            json!(["a", "b", "a"]),
            &["must not contain duplicate items; items [0] and [2] are both \"a\""],
        );
        fails(
            schema.clone(),
            json!([1, 1.0]),
            &["must not contain duplicate items; items [0] and [1] are both 1.0"],
        );
        fails(
            schema,
            json!([{"a": 1, "b": [2]}, {"b": [2.0], "a": 1}]),
            &["must not contain duplicate items; items [0] and [1] are both {\"a\":1,\"b\":[2.0]}"],
        );
        ok(json!({"uniqueItems": false}), json!([1, 1]));
    }

    #[test]
    fn property_counts() {
        let schema = json!({"minProperties": 1, "maxProperties": 2});
        ok(schema.clone(), json!({"a": 1}));
        fails(schema.clone(), json!({}), &["must have at least 1 field; got 0"]);
        fails(schema, json!({"a": 1, "b": 2, "c": 3}), &["must have at most 2 fields; got 3"]);
    }

    #[test]
    fn all_of() {
        let schema = json!({"allOf": [{"type": "integer"}, {"minimum": 3}, {"maximum": 5}]});
        ok(schema.clone(), json!(4));
        fails(schema, json!(7), &["must be at most 5; got 7"]);
    }

    #[test]
    fn any_of_reports_the_single_type_matching_branch() {
        let schema = json!({
            "properties": {"when": {"anyOf": [
                {"type": "string", "minLength": 3},
                {"type": "integer", "minimum": 0}
            ]}}
        });
        ok(schema.clone(), json!({"when": "now"}));
        ok(schema.clone(), json!({"when": 5}));
        fails(schema.clone(), json!({"when": -1}), &["`when`: must be at least 0; got -1"]);
        fails(schema, json!({"when": true}), &["`when`: does not match any of the allowed shapes"]);
    }

    #[test]
    fn any_of_ambiguous_branches_give_generic_message() {
        let schema = json!({"anyOf": [
            {"type": "object", "required": ["a"]},
            {"type": "object", "required": ["b"]}
        ]});
        ok(schema.clone(), json!({"b": 1}));
        fails(schema, json!({"c": 1}), &["does not match any of the allowed shapes"]);
    }

    #[test]
    fn one_of() {
        let schema = json!({"oneOf": [
            {"type": "integer", "multipleOf": 3},
            {"type": "integer", "multipleOf": 5}
        ]});
        ok(schema.clone(), json!(3));
        ok(schema.clone(), json!(10));
        fails(
            schema.clone(),
            json!(15),
            &["matches more than one of the allowed shapes (options 1 and 2); it must match exactly one"],
        );
        fails(schema, json!(7), &["does not match any of the allowed shapes"]);
    }

    #[test]
    fn one_of_consts_reads_like_enum() {
        let schema = json!({"oneOf": [
            {"description": "Quick.", "type": "string", "const": "fast"},
            {"description": "Slow.", "type": "string", "const": "thorough"}
        ]});
        ok(schema.clone(), json!("fast"));
        fails(schema.clone(), json!("slow"), &["must be one of \"fast\", \"thorough\"; got \"slow\""]);
        fails(schema, json!(1), &["must be one of \"fast\", \"thorough\"; got 1"]);
    }

    #[test]
    fn not_keyword() {
        let schema = json!({"not": {"type": "string"}});
        ok(schema.clone(), json!(1));
        fails(schema, json!("x"), &["must not match the forbidden shape; got string \"x\""]);
    }

    #[test]
    fn boolean_schemas() {
        ok(json!(true), json!({"anything": [1, 2]}));
        fails(json!(false), json!(1), &["no value is allowed here"]);
        fails(json!({"properties": {"a": false}}), json!({"a": 1}), &["`a`: no value is allowed here"]);
    }

    #[test]
    fn ref_to_defs_and_definitions() {
        let schema = json!({
            "$defs": {"Id": {"type": "integer", "minimum": 1}},
            "definitions": {"Name": {"type": "string"}},
            "properties": {
                "id": {"$ref": "#/$defs/Id"},
                "name": {"$ref": "#/definitions/Name"}
            }
        });
        ok(schema.clone(), json!({"id": 1, "name": "x"}));
        fails(
            schema,
            json!({"id": 0, "name": 2}),
            &["`id`: must be at least 1; got 0", "`name`: expected string, got integer 2"],
        );
    }

    #[test]
    fn ref_to_root_recursion() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#"}}
            }
        });
        ok(schema.clone(), json!({"name": "a", "children": [{"name": "b", "children": []}]}));
        fails(
            schema,
            json!({"children": [{"children": [{"name": 3}]}]}),
            &["`children[0].children[0].name`: expected string, got integer 3"],
        );
    }

    #[test]
    fn ref_siblings_apply_and_unresolvable_refs_are_ignored() {
        let schema = json!({
            "$defs": {"N": {"type": "integer"}},
            "$ref": "#/$defs/N",
            "maximum": 3
        });
        fails(schema, json!(4), &["must be at most 3; got 4"]);
        ok(json!({"$ref": "#/$defs/Missing"}), json!(1));
        ok(json!({"$ref": "https://example.com/schema"}), json!(1));
        ok(json!({"$defs": {"a b": {"type": "integer"}}, "$ref": "#/$defs/a%20b"}), json!(1));
        fails(
            json!({"$defs": {"a b": {"type": "integer"}}, "$ref": "#/$defs/a%20b"}),
            json!("1"),
            &["expected integer, got string \"1\""],
        );
    }

    #[test]
    fn recursion_guard() {
        fails(json!({"$ref": "#"}), json!(1), &["schema nesting too deep"]);
        let mutual = json!({
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
            "properties": {"x": {"$ref": "#/$defs/A"}}
        });
        fails(mutual, json!({"x": 1}), &["`x`: schema nesting too deep"]);
        // Exponential branching through a self-reference terminates quickly.
        let branching = json!({"anyOf": [{"$ref": "#"}, {"$ref": "#"}], "oneOf": [{"$ref": "#"}]});
        fails(branching, json!(1), &["schema nesting too deep"]);
        let not_loop = json!({"not": {"$ref": "#"}});
        fails(not_loop, json!(1), &["schema nesting too deep"]);
    }

    #[test]
    fn deep_instance_hits_the_guard() {
        let schema = json!({"type": "array", "items": {"$ref": "#"}});
        let mut deep = json!([]);
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let found = validate(&schema, &deep).unwrap_err();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "schema nesting too deep");
        assert!(found[0].path.starts_with("[0][0]"));
    }

    #[test]
    fn violations_are_bounded() {
        let schema = json!({"items": {"type": "string"}});
        let instance = Value::Array((0..100).map(Value::from).collect());
        let found = validate(&schema, &instance).unwrap_err();
        assert_eq!(found.len(), MAX_VIOLATIONS);
        assert_eq!(found[19].path, "[19]");
    }

    #[test]
    fn long_values_are_truncated() {
        let long = "x".repeat(100);
        let found = validate(&json!({"type": "integer"}), &json!(long)).unwrap_err();
        let expected = format!("expected integer, got string \"{}...", "x".repeat(36));
        assert_eq!(found[0].message, expected);
        // Cutting never splits a multi-byte character.
        let wide = "é".repeat(100);
        assert!(validate(&json!({"type": "integer"}), &json!(wide)).is_err());
    }

    #[test]
    fn schemars_struct_with_option_and_enum() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "SearchArgs",
            "description": "Search the index.",
            "type": "object",
            "required": ["query", "mode"],
            "properties": {
                "query": {"description": "What to look for.", "type": "string"},
                "limit": {"default": null, "type": ["integer", "null"], "format": "uint32", "minimum": 0},
                "mode": {"$ref": "#/definitions/Mode"},
                "sort": {"anyOf": [{"$ref": "#/definitions/Sort"}, {"type": "null"}]}
            },
            "additionalProperties": false,
            "definitions": {
                "Mode": {"type": "string", "enum": ["fast", "thorough"]},
                "Sort": {"oneOf": [
                    {"type": "string", "const": "newest"},
                    {"type": "string", "const": "oldest"}
                ]}
            }
        });
        ok(schema.clone(), json!({"query": "q", "mode": "fast"}));
        ok(schema.clone(), json!({"query": "q", "mode": "fast", "limit": null, "sort": null}));
        ok(schema.clone(), json!({"query": "q", "mode": "thorough", "limit": 10, "sort": "oldest"}));
        fails(
            schema.clone(),
            json!({"mode": "slow", "limit": -1, "sort": "random", "page": 2}),
            &[
                "missing required field `query`",
                "`limit`: must be at least 0; got -1",
                "`mode`: must be one of \"fast\", \"thorough\"; got \"slow\"",
                "unknown field `page`; allowed fields: `limit`, `mode`, `query`, `sort`",
                "`sort`: must be one of \"newest\", \"oldest\"; got \"random\"",
            ],
        );
        fails(
            schema,
            json!({"query": "q", "mode": "fast", "limit": "ten"}),
            &["`limit`: expected integer or null, got string \"ten\""],
        );
    }

    #[test]
    fn schemars_2020_nullable_ref() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "point": {"anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}]}
            },
            "$defs": {
                "Point": {
                    "type": "object",
                    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                    "required": ["x", "y"]
                }
            }
        });
        ok(schema.clone(), json!({"point": null}));
        ok(schema.clone(), json!({"point": {"x": 1, "y": 2.5}}));
        fails(schema.clone(), json!({"point": {"x": 1}}), &["`point`: missing required field `y`"]);
        fails(schema, json!({"point": [1, 2]}), &["`point`: does not match any of the allowed shapes"]);
    }

    #[test]
    fn malformed_schemas_do_not_panic() {
        let instances = [
            json!(null),
            json!(1),
            json!(-1.5),
            json!(u64::MAX),
            json!("s"),
            json!([1, [2]]),
            json!({"a": {"b": 1}}),
        ];
        let schemas = [
            json!({"type": 5}),
            json!({"type": ["nope", 3]}),
            json!({"required": "x"}),
            json!({"required": [1, null]}),
            json!({"properties": [1]}),
            json!({"properties": {"a": 7}}),
            json!({"additionalProperties": "no"}),
            json!({"items": 3, "prefixItems": "x", "additionalItems": []}),
            json!({"enum": "x", "const": {}}),
            json!({"minimum": "1", "maximum": null, "exclusiveMinimum": [], "multipleOf": "2"}),
            json!({"minLength": -1, "maxLength": 1.5, "minItems": "1", "maxProperties": -3}),
            json!({"anyOf": [], "oneOf": {}, "allOf": 1, "not": 3}),
            json!({"anyOf": [1, "x"], "oneOf": [null]}),
            json!({"$ref": 5}),
            json!({"$ref": "#/%zz"}),
            json!({"$ref": "#/$defs/%E2%28"}),
            json!({"nullable": "yes", "uniqueItems": "yes"}),
            json!(42),
            json!("schema"),
            json!(null),
            json!([]),
        ];
        for schema in &schemas {
            for instance in &instances {
                let _ = validate(schema, instance);
            }
        }
        ok(json!({"type": 5, "required": "x"}), json!({}));
        ok(json!({"type": "nonsense"}), json!(1));
        fails(json!({"type": ["nonsense", "string"]}), json!(1), &["expected string, got integer 1"]);
        fails(json!({"anyOf": [1, false]}), json!(1), &[]);
    }

    #[test]
    fn multiple_violations_in_one_object() {
        let schema = json!({
            "type": "object",
            "required": ["a"],
            "properties": {"b": {"type": "boolean"}, "c": {"maxLength": 1}}
        });
        let found = validate(&schema, &json!({"b": 1, "c": "long"})).unwrap_err();
        assert_eq!(
            found,
            vec![
                violation("", "missing required field `a`"),
                violation("b", "expected boolean, got integer 1"),
                violation("c", "must be at most 1 character long; got 4 characters"),
            ]
        );
    }

    #[test]
    fn annotations_and_unknown_formats_are_ignored() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:x",
            "title": "T",
            "description": "D",
            "default": 1,
            "examples": [1],
            "format": "phone-number",
            "x-custom": {"type": "string"},
            "type": "string"
        });
        ok(schema, json!("not a phone number"));
    }

    #[test]
    fn work_budget_stops_exponential_schemas() {
        // Each level refers three times to the next: 3^25 evaluations without a budget.
        let mut defs = Map::new();
        for i in 0..25 {
            let next = json!({"$ref": format!("#/$defs/D{}", i + 1)});
            defs.insert(format!("D{i}"), json!({"anyOf": [next, next], "allOf": [next]}));
        }
        defs.insert("D25".to_string(), json!(false));
        let schema = json!({"$defs": defs, "$ref": "#/$defs/D0"});
        let found = validate(&schema, &json!(1)).unwrap_err();
        assert_eq!(found[0].message, "schema too complex to validate this value");
    }

    #[test]
    fn any_of_untyped_branch_explains() {
        let schema = json!({
            "properties": {"sort": {"anyOf": [
                {"required": ["field"], "properties": {"field": {"type": "string"}}},
                {"type": "null"}
            ]}}
        });
        ok(schema.clone(), json!({"sort": null}));
        fails(schema, json!({"sort": {"field": 1}}), &["`sort.field`: expected string, got integer 1"]);
    }

    #[test]
    fn generated_schemas_never_panic() {
        // A small deterministic generator of odd schemas and instances.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        fn build(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
            let leaves = [
                json!(null),
                json!(true),
                json!(false),
                json!(0),
                json!(-7),
                json!(2.5),
                json!(u64::MAX),
                json!(i64::MIN),
                json!(1e308),
                json!(""),
                json!("é日"),
                json!("#"),
                json!("#/$defs/a"),
                json!("integer"),
                json!(["string", "null"]),
                json!("^a+$"),
                json!("(unclosed"),
                json!("date"),
                json!("uint8"),
                json!("2024-02-30"),
            ];
            let keys = [
                "type",
                "properties",
                "required",
                "additionalProperties",
                "items",
                "prefixItems",
                "additionalItems",
                "enum",
                "const",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
                "minLength",
                "maxLength",
                "minItems",
                "maxItems",
                "uniqueItems",
                "minProperties",
                "maxProperties",
                "anyOf",
                "oneOf",
                "allOf",
                "not",
                "$ref",
                "$defs",
                "nullable",
                "pattern",
                "patternProperties",
                "format",
                "contains",
                "minContains",
                "maxContains",
                "propertyNames",
                "if",
                "then",
                "else",
                "dependentRequired",
                "dependentSchemas",
                "unevaluatedProperties",
                "a",
            ];
            let n = next();
            if depth == 0 || n.is_multiple_of(4) {
                return leaves[(n >> 8) as usize % leaves.len()].clone();
            }
            if n % 4 == 1 {
                let len = (n >> 8) as usize % 4;
                return Value::Array((0..len).map(|_| build(next, depth - 1)).collect());
            }
            let len = (n >> 8) as usize % 5;
            let mut map = Map::new();
            for _ in 0..len {
                let key = keys[next() as usize % keys.len()];
                map.insert(key.to_string(), build(next, depth - 1));
            }
            Value::Object(map)
        }
        for _ in 0..3000 {
            let schema = build(&mut next, 5);
            let instance = build(&mut next, 4);
            // The build-time check must not panic on any schema either.
            let _ = crate::schema::unsupported(&schema);
            if let Err(found) = validate(&schema, &instance) {
                assert!(!found.is_empty() && found.len() <= MAX_VIOLATIONS);
                assert!(found.iter().all(|v| !v.message.is_empty()));
            }
        }
    }
}
