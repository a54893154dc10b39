//! Canonical JSON: one spelling for values that are the same, so that equal values give equal
//! bytes. Object keys are sorted at every level; numbers are written as [`Numbers`] says. The
//! multi round-trip `requestState` digests arguments and questions with it (the same arguments
//! give the same digest whatever order the client serialised them in), and the schema validator
//! compares `uniqueItems` elements with it (where `1` and `1.0` are the same item).

use serde::Serialize;
use serde_json::{Map, Number, Value};

/// How numbers are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    /// As serde_json writes them (`1.0` stays `1.0`). The digests sealed into every
    /// `requestState` in flight use this form, so it may not change by a byte.
    AsWritten,
    /// By value: `1`, `1.0` and `1e0` are all `1` (JSON Schema's equality).
    ByValue,
}

/// Appends the canonical form of `value` to `out`.
pub(crate) fn write(value: &Value, numbers: Numbers, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_object(map, numbers, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, numbers, out);
            }
            out.push(b']');
        }
        Value::Number(n) if numbers == Numbers::ByValue => write_number_by_value(n, out),
        other => write_json(other, out),
    }
}

/// Appends the canonical form of an object to `out`.
pub(crate) fn write_object(map: &Map<String, Value>, numbers: Numbers, out: &mut Vec<u8>) {
    // serde_json's map is a `BTreeMap` (its keys come sorted) unless some crate in the build
    // turns on its `preserve_order` feature: sorting a list of the keys, and looking each
    // value up again, is only needed then. The list was an allocation in every modern
    // `tools/call` (its arguments are written here for the `requestState` binding).
    if map.keys().is_sorted() {
        write_entries(map.iter(), numbers, out);
    } else {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        write_entries(keys.into_iter().map(|key| (key, &map[key])), numbers, out);
    }
}

fn write_entries<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    numbers: Numbers,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json(key, out);
        out.push(b':');
        write(value, numbers, out);
    }
    out.push(b'}');
}

/// The canonical form of `value`.
pub(crate) fn to_vec(value: &Value, numbers: Numbers) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, numbers, &mut out);
    out
}

/// Integers as integers; a float with no fractional part (within the range where that is
/// exact enough to matter) as the integer it equals; any other float in exponent form.
fn write_number_by_value(n: &Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from)) {
        out.extend_from_slice(i.to_string().as_bytes());
        return;
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.fract() == 0.0 && f.abs() < 1e30 {
        out.extend_from_slice((f as i128).to_string().as_bytes());
    } else {
        out.extend_from_slice(format!("{f:e}").as_bytes());
    }
}

/// A string, number or literal as compact JSON.
fn write_json(value: &impl Serialize, out: &mut Vec<u8>) {
    // Serialising a string or a JSON literal into a Vec cannot fail.
    serde_json::to_writer(out, value).unwrap_or_else(|_| unreachable!());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(value: Value) -> String {
        String::from_utf8(to_vec(&value, Numbers::ByValue)).unwrap()
    }

    #[test]
    fn keys_are_sorted_at_every_level() {
        assert_eq!(text(json!({"b": 1, "a": [1, {"y": 2, "x": "é"}]})), r#"{"a":[1,{"x":"é","y":2}],"b":1}"#);
    }

    #[test]
    fn numbers_are_written_by_value() {
        assert_eq!(
            text(json!([1, 1.0, -3, 2.5, 1e300, 18446744073709551615u64])),
            "[1,1,-3,2.5e0,1e300,18446744073709551615]"
        );
    }

    #[test]
    fn numbers_can_be_kept_as_written() {
        let written = to_vec(&json!({"b": [1.0, 3.5], "a": 1}), Numbers::AsWritten);
        assert_eq!(String::from_utf8(written).unwrap(), r#"{"a":1,"b":[1.0,3.5]}"#);
    }

    #[test]
    fn strings_and_literals_are_plain_json() {
        assert_eq!(text(json!(["a\"b", true, null])), r#"["a\"b",true,null]"#);
    }
}
