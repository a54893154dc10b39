//! The official JSON-Schema-Test-Suite (draft 2020-12) against `mcp_connector_core::schema::validate`,
//! for the keywords the validator claims (see the `validate` module docs).
//!
//! The suite is not vendored: `.ci/run` installs the pinned copy named in
//! `interop/json-schema-test-suite/requirements.txt` into `interop/json-schema-test-suite/tests`.
//! Set `JSON_SCHEMA_TEST_SUITE` to another checkout's `tests` directory to use that instead.
//! Without the files the test prints how to get them and passes, except when `CI` is set or
//! `MCP_INTEROP=required`, where it fails.
//!
//! Every case of the files in [`FILES`] runs, except:
//! * groups in [`REFUSED`]: their schemas use something the validator does not implement
//!   (remote or anchor references, `$dynamicRef`, `unevaluatedItems`, `$id` in subschemas, ...).
//!   `ServerBuilder::build` refuses such schemas, so they can never reach the validator in a
//!   server; the test checks that `check_supported` refuses exactly these groups and no other;
//! * cases in [`DIFFERENCES`], where the validator deliberately differs from the suite, each
//!   with its reason.
#![allow(missing_docs)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The draft 2020-12 files run, relative to `tests/draft2020-12`.
const FILES: &[&str] = &[
    "additionalProperties.json",
    "allOf.json",
    "anyOf.json",
    "boolean_schema.json",
    "const.json",
    "contains.json",
    "content.json",
    "default.json",
    "dependentRequired.json",
    "dependentSchemas.json",
    "enum.json",
    "exclusiveMaximum.json",
    "exclusiveMinimum.json",
    "format.json",
    "if-then-else.json",
    "infinite-loop-detection.json",
    "items.json",
    "maxContains.json",
    "maxItems.json",
    "maxLength.json",
    "maxProperties.json",
    "maximum.json",
    "minContains.json",
    "minItems.json",
    "minLength.json",
    "minProperties.json",
    "minimum.json",
    "multipleOf.json",
    "not.json",
    "oneOf.json",
    "pattern.json",
    "patternProperties.json",
    "prefixItems.json",
    "properties.json",
    "propertyNames.json",
    "ref.json",
    "required.json",
    "type.json",
    "unevaluatedProperties.json",
    "uniqueItems.json",
    "optional/bignum.json",
    "optional/float-overflow.json",
    "optional/non-bmp-regex.json",
    "optional/ecmascript-regex.json",
    "optional/format/date-time.json",
    "optional/format/date.json",
    "optional/format/time.json",
    "optional/format/uuid.json",
    "optional/format/uri.json",
    "optional/format/email.json",
    "optional/format/ipv4.json",
    "optional/format/ipv6.json",
];

/// Why `\p{..}` patterns are refused.
const P_CLASS: &str = "`\\p{..}` Unicode property classes: regex-lite has no Unicode tables";

/// Groups (file, group description) whose schema `check_supported` refuses, and why.
const REFUSED: &[(&str, &str, &str)] = &[
    ("ref.json", "remote ref, containing refs itself", "remote `$ref` (the meta-schema)"),
    ("ref.json", "Recursive references between schemas", "`$id` in a subschema"),
    ("ref.json", "refs with relative uris and defs", "`$ref` to another resource by relative URI"),
    ("ref.json", "relative refs with absolute uris and defs", "`$ref` to another resource by relative URI"),
    (
        "ref.json",
        "$id must be resolved against nearest parent, not just immediate parent",
        "`$id` in a subschema",
    ),
    ("ref.json", "order of evaluation: $id and $ref", "`$id` in a subschema"),
    ("ref.json", "order of evaluation: $id and $anchor and $ref", "`$id` in a subschema"),
    ("ref.json", "simple URN base URI with $ref via the URN", "`$ref` by URN"),
    ("ref.json", "URN base URI with URN and JSON pointer ref", "`$ref` by URN"),
    ("ref.json", "URN base URI with URN and anchor ref", "`$ref` by URN and anchor"),
    ("ref.json", "URN ref with nested pointer ref", "`$id` in a subschema"),
    ("ref.json", "ref to if", "`$ref` to a subschema's `$id`"),
    ("ref.json", "ref to then", "`$ref` to a subschema's `$id`"),
    ("ref.json", "ref to else", "`$ref` to a subschema's `$id`"),
    ("ref.json", "ref with absolute-path-reference", "`$id` in a subschema"),
    ("unevaluatedProperties.json", "unevaluatedProperties with $dynamicRef", "`$dynamicRef`"),
    ("optional/ecmascript-regex.json", "patterns always use unicode semantics with pattern", P_CLASS),
    ("optional/ecmascript-regex.json", "pattern with non-ASCII digits", P_CLASS),
    (
        "optional/ecmascript-regex.json",
        "patterns always use unicode semantics with patternProperties",
        P_CLASS,
    ),
    ("optional/ecmascript-regex.json", "patternProperties with non-ASCII digits", P_CLASS),
];

/// Cases (file, group description, case description or `*` for the whole group) where the
/// validator deliberately disagrees with the suite, and why.
/// Why the validator asserts `format` where the suite's required tests expect an annotation.
const FORMAT_ASSERTED: &str = "format is asserted for the formats schemars emits (the optional/format \
     files, which assume assertion, all pass): a value breaking them would fail the handler's serde \
     deserialisation anyway, with a worse message";

const DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    ("format.json", "email format", "invalid email string is only an annotation by default", FORMAT_ASSERTED),
    ("format.json", "ipv4 format", "invalid ipv4 string is only an annotation by default", FORMAT_ASSERTED),
    ("format.json", "ipv6 format", "invalid ipv6 string is only an annotation by default", FORMAT_ASSERTED),
    ("format.json", "date format", "invalid date string is only an annotation by default", FORMAT_ASSERTED),
    (
        "format.json",
        "date-time format",
        "invalid date-time string is only an annotation by default",
        FORMAT_ASSERTED,
    ),
    ("format.json", "time format", "invalid time string is only an annotation by default", FORMAT_ASSERTED),
    ("format.json", "uri format", "invalid uri string is only an annotation by default", FORMAT_ASSERTED),
    ("format.json", "uuid format", "invalid uuid string is only an annotation by default", FORMAT_ASSERTED),
];

/// The suite's `tests` directory, if present.
fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("JSON_SCHEMA_TEST_SUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/json-schema-test-suite/tests"),
    };
    dir.join("draft2020-12").is_dir().then_some(dir)
}

/// Whether a missing suite is a failure (in CI) rather than a skip.
fn suite_required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var("MCP_INTEROP").is_ok_and(|v| v == "required")
}

#[derive(Default)]
struct Tally {
    run: usize,
    passed: usize,
    refused: usize,
    different: usize,
}

#[test]
fn official_suite_draft2020_12_agrees_on_every_claimed_keyword() {
    let Some(dir) = suite_dir() else {
        let note = "JSON-Schema-Test-Suite not found: run the install step of .ci/run (pip download of \
                    the sdist pinned in interop/json-schema-test-suite/requirements.txt) or set \
                    JSON_SCHEMA_TEST_SUITE to a checkout's tests directory";
        assert!(!suite_required(), "{note}");
        eprintln!("skipped: {note}");
        return;
    };
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut unlisted_refusals = Vec::new();
    let mut used_refusals = Vec::new();
    let mut used_differences = Vec::new();
    for file in FILES {
        let path = dir.join("draft2020-12").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let groups: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let tally = tallies.entry(file).or_default();
        for group in groups.as_array().into_iter().flatten() {
            let group_name = group["description"].as_str().unwrap_or_default();
            let schema = &group["schema"];
            let cases = group["tests"].as_array().map(Vec::as_slice).unwrap_or_default();
            let problems = mcp_connector_core::schema::unsupported(schema);
            let listed = REFUSED.iter().find(|(f, g, _)| f == file && *g == group_name);
            match (problems.is_empty(), listed) {
                (true, None) => {}
                (false, Some(entry)) => {
                    used_refusals.push(*entry);
                    tally.refused += cases.len();
                    continue;
                }
                (false, None) => {
                    let first = problems[0].to_string();
                    unlisted_refusals.push(format!("    ({file:?}, {group_name:?}, \"{first}\"),"));
                    tally.refused += cases.len();
                    continue;
                }
                (true, Some(_)) => {
                    failures.push(format!(
                        "{file} / {group_name}: listed in REFUSED but check_supported accepts it"
                    ));
                }
            }
            for case in cases {
                let case_name = case["description"].as_str().unwrap_or_default();
                let expected = case["valid"].as_bool().unwrap_or_default();
                let difference = DIFFERENCES
                    .iter()
                    .find(|(f, g, c, _)| f == file && *g == group_name && (*c == "*" || *c == case_name));
                let verdict = mcp_connector_core::schema::validate::validate(schema, &case["data"]);
                // The server validates through `Compiled` (a plan for plain schemas, this
                // interpreter for the rest): it must answer exactly as the interpreter does.
                let compiled = mcp_connector_core::schema::validate::Compiled::new(schema.clone());
                if compiled.validate(&case["data"]) != verdict {
                    failures.push(format!(
                        "{file} / {group_name} / {case_name}: Compiled (plan: {}) disagrees with validate",
                        compiled.has_plan()
                    ));
                }
                let agrees = verdict.is_ok() == expected;
                match (agrees, difference) {
                    (_, Some(entry)) => {
                        used_differences.push(*entry);
                        tally.different += 1;
                    }
                    (true, None) => {
                        tally.run += 1;
                        tally.passed += 1;
                    }
                    (false, None) => {
                        tally.run += 1;
                        failures.push(format!(
                            "{file} / {group_name} / {case_name}: expected {}, got {:?}\n      schema {schema}\n      data {}",
                            if expected { "valid" } else { "invalid" },
                            verdict,
                            case["data"]
                        ));
                    }
                }
            }
        }
    }
    let (mut run, mut passed, mut refused, mut different) = (0, 0, 0, 0);
    eprintln!("{:<40} {:>5} {:>6} {:>8} {:>10}", "file", "run", "passed", "refused", "different");
    for (file, t) in &tallies {
        eprintln!("{file:<40} {:>5} {:>6} {:>8} {:>10}", t.run, t.passed, t.refused, t.different);
        (run, passed, refused, different) =
            (run + t.run, passed + t.passed, refused + t.refused, different + t.different);
    }
    eprintln!("{:<40} {run:>5} {passed:>6} {refused:>8} {different:>10}", "total");
    let stale_refusals: Vec<_> = REFUSED.iter().filter(|e| !used_refusals.contains(e)).collect();
    let stale_differences: Vec<_> = DIFFERENCES.iter().filter(|e| !used_differences.contains(e)).collect();
    assert!(
        failures.is_empty()
            && unlisted_refusals.is_empty()
            && stale_refusals.is_empty()
            && stale_differences.is_empty(),
        "{} disagreements:\n  {}\n\ngroups check_supported refuses but REFUSED does not list:\n{}\n\n\
         REFUSED entries matching no refused group: {stale_refusals:?}\n\
         DIFFERENCES entries matching no case: {stale_differences:?}",
        failures.len(),
        failures.join("\n  "),
        unlisted_refusals.join("\n"),
    );
    assert!(run > 1000, "only {run} cases ran: are the suite files complete?");
}
