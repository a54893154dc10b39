//! Cross-checks `mcp_connector_core::schema::validate` against the `jsonschema` crate on the schemas that
//! matter here: what `schemars` generates for ordinary Rust types (both as the SDK inlines them
//! and as schemars writes them with `$defs`, `$ref` and Rust integer formats), and the input and
//! output schemas of tools written with the macros. Each schema must pass `check_supported`
//! (so `build()` accepts it), and on every instance of a corpus (serialised sample values plus
//! systematic mutations of them) both validators must reach the same verdict.
//!
//! The oracle is given the same schema, except that the Rust integer formats (`uint8`, ...),
//! which the `jsonschema` crate does not know, are spelled out as the `minimum`/`maximum` they
//! stand for, and schemars' `ip` as `anyOf` of `ipv4`/`ipv6`. Format assertion is on in both.
#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;

use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Json, Server, tool};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Serialize, Deserialize, JsonSchema, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Fast,
    Thorough,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
enum Shape {
    Circle { radius: f64 },
    Square(u16),
    Empty,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Event {
    Created { id: u32, by: String },
    Deleted { id: u32 },
    Ping,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Num(i32),
    Text(String),
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(untagged)]
enum Untagged {
    Number(i64),
    Words(Vec<String>),
    Named { name: String },
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
struct Tree {
    label: String,
    children: Vec<Tree>,
    parent: Option<Box<Tree>>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
#[serde(deny_unknown_fields)]
struct Strict {
    id: u64,
    #[serde(flatten)]
    event: Event,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
struct Flattened {
    name: String,
    #[serde(flatten)]
    extra: HashMap<String, i32>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
struct Validated {
    #[schemars(regex(pattern = r"^[A-Z]{3}-\d{4}$"))]
    code: String,
    #[schemars(length(min = 2, max = 8))]
    nick: String,
    #[schemars(range(min = 1, max = 10))]
    rating: u8,
    #[schemars(email)]
    email: String,
    #[schemars(url)]
    homepage: String,
    #[schemars(extend("format" = "date-time"))]
    at: String,
    #[schemars(extend("format" = "date"))]
    day: String,
    #[schemars(extend("format" = "uuid"))]
    id: String,
    #[schemars(length(min = 1, max = 3))]
    tags: Vec<String>,
}

#[derive(Serialize, Deserialize, JsonSchema, Clone)]
struct Everything {
    text: String,
    flag: bool,
    letter: char,
    tiny: u8,
    small: i8,
    short: u16,
    signed_short: i16,
    medium: u32,
    signed: i32,
    big: u64,
    signed_big: i64,
    size: usize,
    ratio: f32,
    precise: f64,
    maybe: Option<String>,
    #[serde(default)]
    defaulted: u32,
    list: Vec<i32>,
    set: BTreeSet<String>,
    hash_set: HashSet<u8>,
    map: HashMap<String, Point>,
    by_number: BTreeMap<u32, String>,
    by_signed: BTreeMap<i64, bool>,
    by_mode: BTreeMap<Mode, u8>,
    fixed: [u8; 3],
    pair: (String, u32),
    mode: Mode,
    maybe_mode: Option<Mode>,
    modes: Vec<Mode>,
    shape: Shape,
    event: Event,
    adjacent: Adjacent,
    untagged: Untagged,
    point: Point,
    maybe_point: Option<Point>,
    nonzero: NonZeroU32,
    v4: Ipv4Addr,
    v6: Ipv6Addr,
    ip: IpAddr,
    unit: (),
    nested: Vec<Option<Point>>,
}

fn everything() -> Vec<Everything> {
    let base = Everything {
        text: "hello".into(),
        flag: true,
        letter: 'é',
        tiny: 255,
        small: -128,
        short: 65535,
        signed_short: -300,
        medium: 4_000_000_000,
        signed: -2_000_000_000,
        big: u64::MAX,
        signed_big: i64::MIN,
        size: 12,
        ratio: 0.5,
        precise: -1.25e10,
        maybe: None,
        defaulted: 0,
        list: vec![1, -2, 3],
        set: ["a".to_string(), "b".to_string()].into(),
        hash_set: [1u8, 2].into(),
        map: [("origin".to_string(), Point { x: 0.0, y: 0.0 })].into(),
        by_number: [(7u32, "seven".to_string())].into(),
        by_signed: [(-3i64, true)].into(),
        by_mode: [(Mode::Fast, 1u8)].into(),
        fixed: [1, 2, 3],
        pair: ("p".into(), 2),
        mode: Mode::Fast,
        maybe_mode: Some(Mode::Thorough),
        modes: vec![Mode::Fast, Mode::Thorough],
        shape: Shape::Circle { radius: 1.5 },
        event: Event::Created { id: 1, by: "ann".into() },
        adjacent: Adjacent::Num(-4),
        untagged: Untagged::Words(vec!["a".into()]),
        point: Point { x: 1.0, y: -1.0 },
        maybe_point: None,
        nonzero: NonZeroU32::MIN,
        v4: Ipv4Addr::new(192, 0, 2, 1),
        v6: Ipv6Addr::LOCALHOST,
        ip: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        unit: (),
        nested: vec![None, Some(Point { x: 2.0, y: 3.0 })],
    };
    let mut second = base.clone();
    second.text = "日本語".into();
    second.maybe = Some(String::new());
    second.shape = Shape::Square(9);
    second.event = Event::Ping;
    second.adjacent = Adjacent::Text("t".into());
    second.untagged = Untagged::Named { name: "n".into() };
    second.maybe_point = Some(Point { x: 0.5, y: 0.25 });
    second.ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    second.by_mode = BTreeMap::new();
    let mut third = base.clone();
    third.shape = Shape::Empty;
    third.event = Event::Deleted { id: 0 };
    third.untagged = Untagged::Number(-1);
    third.list = Vec::new();
    vec![base, second, third]
}

fn validated() -> Vec<Validated> {
    vec![Validated {
        code: "ABC-1234".into(),
        nick: "zed".into(),
        rating: 10,
        email: "name@example.com".into(),
        homepage: "https://example.com/a?b=c#d".into(),
        at: "2025-01-31T09:30:00Z".into(),
        day: "2024-02-29".into(),
        id: "67e55044-10b1-426f-9247-bb680e5fe0c8".into(),
        tags: vec!["x".into()],
    }]
}

fn trees() -> Vec<Tree> {
    let leaf = Tree { label: "leaf".into(), children: Vec::new(), parent: None };
    let mid =
        Tree { label: "mid".into(), children: vec![leaf.clone()], parent: Some(Box::new(leaf.clone())) };
    vec![leaf, Tree { label: "root".into(), children: vec![mid], parent: None }]
}

fn stricts() -> Vec<Strict> {
    vec![
        Strict { id: 1, event: Event::Created { id: 2, by: "b".into() } },
        Strict { id: 3, event: Event::Ping },
    ]
}

fn flattened() -> Vec<Flattened> {
    vec![Flattened { name: "n".into(), extra: [("a".to_string(), 1), ("b".to_string(), -2)].into() }]
}

/// The schema of `T` as the SDK makes it (inlined, Rust formats stripped) and as schemars
/// writes it by default (`$defs`/`$ref`, Rust formats kept).
fn both_schemas<T: JsonSchema>() -> [(String, Value); 2] {
    let raw = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>().to_value();
    [
        (format!("{} (SDK)", T::schema_name()), Value::Object(mcp_connector_core::schema::schema_for::<T>())),
        (format!("{} (schemars)", T::schema_name()), raw),
    ]
}

/// The schema handed to the oracle: Rust integer formats become the bounds they mean.
fn oracle_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), oracle_schema(v))).collect();
            let bounds: Option<(Value, Value)> = match map.get("format").and_then(Value::as_str) {
                Some("int8") => Some((json!(i8::MIN), json!(i8::MAX))),
                Some("int16") => Some((json!(i16::MIN), json!(i16::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                Some("int64" | "int") => Some((json!(i64::MIN), json!(i64::MAX))),
                Some("uint8") => Some((json!(0), json!(u8::MAX))),
                Some("uint16") => Some((json!(0), json!(u16::MAX))),
                Some("uint32") => Some((json!(0), json!(u32::MAX))),
                Some("uint64" | "uint") => Some((json!(0), json!(u64::MAX))),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                out.remove("format");
                // A bound on a number only: the format never constrained other types.
                let ranged = json!({"if": {"type": "number"}, "then": {"minimum": min, "maximum": max}});
                let all = out.entry("allOf").or_insert_with(|| json!([]));
                if let Value::Array(all) = all {
                    all.push(ranged);
                }
            }
            if map.get("format").and_then(Value::as_str) == Some("ip") {
                out.remove("format");
                let either = json!({"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]});
                if let Value::Array(all) = out.entry("allOf").or_insert_with(|| json!([])) {
                    all.push(either);
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(oracle_schema).collect()),
        other => other.clone(),
    }
}

/// Values that break typical constraints in different ways.
fn replacements() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!("str"),
        json!(""),
        json!(0),
        json!(300),
        json!(-1),
        json!(70000),
        json!(5_000_000_000u64),
        json!(-3_000_000_000i64),
        json!(1.5),
        json!(2.0),
        json!([]),
        json!({}),
        json!("2025-13-45"),
        json!("2025-01-31T09:30:00+01:00"),
        json!("67E55044-10B1-426F-9247-BB680E5FE0C8"),
        json!("not a uuid"),
        json!("::ffff:10.0.0.1"),
        json!("10.0.0.256"),
        json!("fast"),
        json!("Circle"),
        json!("AB-1234"),
        json!("ABC-12345"),
        json!("ab"),
        json!("waytoolongnick"),
    ]
}

/// The valid instance plus systematic mutations of it: every node replaced by each of
/// [`replacements`], each object field removed and an unknown one added, arrays shortened,
/// grown and duplicated, strings extended.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = vec![value.clone()];
    let mut paths = Vec::new();
    collect_paths(value, &mut Vec::new(), &mut paths);
    for path in &paths {
        for replacement in replacements() {
            out.push(replace_at(value, path, |_| Some(replacement.clone())));
        }
        out.push(replace_at(value, path, |node| match node {
            Value::String(s) => Some(Value::String(format!("{s}!"))),
            Value::Array(items) => {
                let mut items = items.clone();
                items.extend(items.first().cloned());
                Some(Value::Array(items))
            }
            Value::Object(fields) => {
                let mut fields = fields.clone();
                fields.insert("unexpected".into(), json!(1));
                Some(Value::Object(fields))
            }
            Value::Number(n) => Some(json!(n.as_f64().unwrap_or(0.0) + 0.5)),
            _ => None,
        }));
        out.push(replace_at(value, path, |node| match node {
            Value::Array(items) if !items.is_empty() => Some(Value::Array(items[..items.len() - 1].to_vec())),
            Value::Array(_) => Some(json!(["x"])),
            _ => None,
        }));
        if let Value::Object(fields) = pointer(value, path) {
            for key in fields.keys() {
                out.push(replace_at(value, path, |node| {
                    let mut fields = node.as_object().cloned().unwrap_or_default();
                    fields.remove(key);
                    Some(Value::Object(fields))
                }));
            }
        }
    }
    out
}

fn collect_paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                at.push(key.clone());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                collect_paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer<'v>(value: &'v Value, path: &[String]) -> &'v Value {
    path.iter().fold(value, |node, key| match node {
        Value::Object(fields) => fields.get(key).unwrap_or(&Value::Null),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)).unwrap_or(&Value::Null),
        _ => &Value::Null,
    })
}

/// `value` with the node at `path` replaced by `change(node)` (unchanged if it gives `None`).
fn replace_at(value: &Value, path: &[String], change: impl Fn(&Value) -> Option<Value>) -> Value {
    let mut copy = value.clone();
    let mut node = &mut copy;
    for key in path {
        node = match node {
            Value::Object(fields) => match fields.get_mut(key) {
                Some(child) => child,
                None => return copy,
            },
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(child) => child,
                None => return copy,
            },
            _ => return copy,
        };
    }
    if let Some(changed) = change(node) {
        *node = changed;
    }
    copy
}

/// Both validators' verdicts on every mutation of every sample; returns (instances checked,
/// instances valid, disagreements).
fn cross_check(name: &str, schema: &Value, samples: &[Value]) -> (usize, usize, Vec<String>) {
    if let Err(why) = mcp_connector_core::schema::check_supported(schema) {
        return (0, 0, vec![format!("{name}: check_supported refuses a generated schema: {why}")]);
    }
    let oracle = match jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&oracle_schema(schema))
    {
        Ok(oracle) => oracle,
        Err(e) => return (0, 0, vec![format!("{name}: the oracle cannot compile the schema: {e}")]),
    };
    let compiled = mcp_connector_core::schema::validate::Compiled::new(schema.clone());
    eprintln!("{name}: {}", if compiled.has_plan() { "plan" } else { "interpreter only" });
    let mut problems = Vec::new();
    let (mut checked, mut valid) = (0, 0);
    let mut seen = HashSet::new();
    for sample in samples {
        let ours = mcp_connector_core::schema::validate::validate(schema, sample);
        if let Err(found) = &ours {
            problems
                .push(format!("{name}: a serialised value is rejected: {found:?}\n    instance {sample}"));
        }
        for instance in mutations(sample) {
            if !seen.insert(instance.to_string()) {
                continue;
            }
            checked += 1;
            // What the server runs: the compiled schema, a plan for plain schemas.
            let ours = compiled.validate(&instance);
            if ours != mcp_connector_core::schema::validate::validate(schema, &instance) {
                problems.push(format!("{name}: Compiled disagrees with validate\n    instance {instance}"));
            }
            let theirs = oracle.is_valid(&instance);
            valid += usize::from(theirs);
            if ours.is_ok() != theirs {
                problems.push(format!(
                    "{name}: ours {ours:?}, jsonschema {}\n    instance {instance}",
                    if theirs { "valid" } else { "invalid" }
                ));
            }
        }
    }
    (checked, valid, problems)
}

fn to_values<T: Serialize>(items: Vec<T>) -> Vec<Value> {
    items.iter().map(|item| serde_json::to_value(item).expect("serialisable")).collect()
}

/// Sums the figures and asserts that nothing disagreed.
fn report(results: Vec<(usize, usize, Vec<String>)>) {
    let checked: usize = results.iter().map(|r| r.0).sum();
    let valid: usize = results.iter().map(|r| r.1).sum();
    let problems: Vec<String> = results.into_iter().flat_map(|r| r.2).collect();
    eprintln!("cross-checked {checked} instances ({valid} valid, {} invalid)", checked - valid);
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
    assert!(checked > 0);
}

#[test]
fn validator_agrees_with_jsonschema_on_schemars_generated_schemas() {
    let mut results = Vec::new();
    for (name, schema) in both_schemas::<Everything>() {
        results.push(cross_check(&name, &schema, &to_values(everything())));
    }
    for (name, schema) in both_schemas::<Validated>() {
        results.push(cross_check(&name, &schema, &to_values(validated())));
    }
    for (name, schema) in both_schemas::<Tree>() {
        results.push(cross_check(&name, &schema, &to_values(trees())));
    }
    for (name, schema) in both_schemas::<Strict>() {
        results.push(cross_check(&name, &schema, &to_values(stricts())));
    }
    for (name, schema) in both_schemas::<Flattened>() {
        results.push(cross_check(&name, &schema, &to_values(flattened())));
    }
    for (name, schema) in both_schemas::<Vec<Shape>>() {
        let shapes = vec![vec![Shape::Empty, Shape::Square(1), Shape::Circle { radius: 0.0 }]];
        results.push(cross_check(&name, &schema, &to_values(shapes)));
    }
    report(results);
}

/// Look something up.
#[tool(read)]
async fn lookup(
    /// What to look for.
    query: String,
    #[arg(default = 10)] limit: u8,
    mode: Option<Mode>,
    tags: Vec<String>,
    when: Option<Point>,
) -> Json<Vec<Point>> {
    let _ = (query, limit, mode, tags, when);
    Json(Vec::new())
}

/// Take everything.
#[tool(write)]
async fn take_all(#[args] all: Everything) -> Json<Everything> {
    Json(all)
}

/// Record a validated form.
#[tool(write)]
async fn record(#[args] form: Validated) -> Json<Strict> {
    let _ = form;
    Json(Strict { id: 1, event: Event::Ping })
}

/// Plant a tree.
#[tool(write)]
async fn plant(tree: Tree, shapes: Vec<Shape>) -> Json<Tree> {
    let _ = shapes;
    Json(tree)
}

#[tokio::test]
async fn validator_agrees_with_jsonschema_on_macro_tool_schemas() {
    let server = Server::builder("crosscheck", "1")
        .tool(lookup::tool())
        .tool(take_all::tool())
        .tool(record::tool())
        .tool(plant::tool())
        .build()
        .expect("every macro-generated schema passes check_supported");
    let tools = TestClient::connect(server).await.list_tools().await.expect("tools/list");
    let by_name: HashMap<&str, &Value> =
        tools.iter().filter_map(|t| Some((t["name"].as_str()?, t))).collect();
    let everything = to_values(everything());
    let tree = to_values(trees());
    let lookup_args = vec![
        json!({"query": "q", "tags": []}),
        json!({"query": "q", "limit": 3, "mode": "fast", "tags": ["a", "b"], "when": {"x": 1, "y": 2}}),
    ];
    let plant_args: Vec<Value> =
        tree.iter().map(|t| json!({"tree": t, "shapes": [{"Square": 2}, "Empty"]})).collect();
    let cases: Vec<(&str, &str, Vec<Value>)> = vec![
        ("lookup", "inputSchema", lookup_args),
        ("lookup", "outputSchema", vec![json!({"result": [{"x": 1.0, "y": 2.0}]})]),
        ("take_all", "inputSchema", everything.clone()),
        ("take_all", "outputSchema", everything),
        ("record", "inputSchema", to_values(validated())),
        // `Strict` is a `oneOf` at its root, which the SDK wraps in `{"result": ...}`.
        ("record", "outputSchema", to_values(stricts()).into_iter().map(|s| json!({"result": s})).collect()),
        ("plant", "inputSchema", plant_args),
        ("plant", "outputSchema", tree),
    ];
    let mut results = Vec::new();
    for (tool, which, samples) in cases {
        let schema = by_name.get(tool).map(|t| t[which].clone()).unwrap_or(Value::Null);
        assert!(schema.is_object(), "{tool} has no {which}");
        results.push(cross_check(&format!("{tool} {which}"), &schema, &samples));
    }
    report(results);
}

#[test]
fn oracle_asserts_formats_and_integer_widths() {
    // Without this the agreement above could come from an oracle that checks nothing.
    let oracle = |schema: Value| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&oracle_schema(&schema))
            .expect("schema compiles")
    };
    assert!(!oracle(json!({"format": "date"})).is_valid(&json!("2025-13-45")));
    assert!(!oracle(json!({"format": "email"})).is_valid(&json!("nobody")));
    assert!(!oracle(json!({"format": "uint8"})).is_valid(&json!(300)));
    assert!(oracle(json!({"format": "uint8"})).is_valid(&json!("300")));
    assert!(!oracle(json!({"format": "ip"})).is_valid(&json!("10.0.0.256")));
}
