//! Values written in attributes: `icons = ...` and `meta = ...`.

use serde::Serialize;
use serde_json::Value;

use crate::protocol::{Icon, Meta};

/// What `icons = ...` accepts: a URL, several, or `Icon` values.
pub trait IntoIcons {
    /// The icons.
    fn into_icons(self) -> Vec<Icon>;
}
impl IntoIcons for &str {
    fn into_icons(self) -> Vec<Icon> {
        vec![Icon::new(self)]
    }
}
impl IntoIcons for String {
    fn into_icons(self) -> Vec<Icon> {
        vec![Icon::new(self)]
    }
}
impl IntoIcons for Icon {
    fn into_icons(self) -> Vec<Icon> {
        vec![self]
    }
}
impl IntoIcons for Vec<Icon> {
    fn into_icons(self) -> Vec<Icon> {
        self
    }
}
impl<const N: usize> IntoIcons for [&str; N] {
    fn into_icons(self) -> Vec<Icon> {
        self.into_iter().map(Icon::new).collect()
    }
}
impl<const N: usize> IntoIcons for [Icon; N] {
    fn into_icons(self) -> Vec<Icon> {
        self.into()
    }
}

/// The icons of `icons = ...`.
pub fn icons(icons: impl IntoIcons) -> Vec<Icon> {
    icons.into_icons()
}

/// A JSON object written in an attribute (`meta = { "key": value }`).
pub fn json_object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A JSON array written in an attribute.
pub fn json_array<const N: usize>(items: [Value; N]) -> Value {
    Value::Array(items.into())
}

/// A value written in an attribute's JSON.
///
/// # Panics
/// When the value does not serialise (a map with non-string keys): the author's constant.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Value {
    match serde_json::to_value(value) {
        Ok(value) => value,
        Err(e) => panic!("a value in `meta = {{ ... }}` does not serialise to JSON: {e}"),
    }
}

/// The `_meta` of `meta = { ... }` (JSON syntax, always an object) or `meta = <expr>` (a
/// `Meta` map, or a `serde_json::Value` holding an object).
///
/// # Panics
/// When the value is not a JSON object: `_meta` is an object in every MCP message, and the
/// server is being built from the author's own constants, so this fails at start-up.
pub fn meta(meta: impl Into<Value>) -> Meta {
    match meta.into() {
        Value::Object(map) => map,
        other => panic!("`meta = ...` must be a JSON object, got {other}"),
    }
}
