//! The request metadata headers a 2026-07-28 client mirrors from the body
//! (basic/transports/streamable-http, "Request Metadata"): `Mcp-Method`, `Mcp-Name` and one
//! `Mcp-Param-{Name}` per `x-mcp-header` tool argument, encoded per "Value Encoding".
//! Computed here, from the message, so every HTTP connection sends the same; stdio ignores
//! them.

use base64::Engine;
use serde_json::Value;

use crate::protocol::method;

/// A tool's `x-mcp-header` annotations: each header's `{Name}` and the argument's path.
pub(crate) type HeaderParams = Vec<(String, Vec<String>)>;

/// The headers for one request: `Mcp-Method` always; `Mcp-Name` for `tools/call`,
/// `prompts/get` (`params.name`) and `resources/read` (`params.uri`); `Mcp-Param-{Name}` for
/// each annotated argument present with a string, integer or boolean value (absent and `null`
/// arguments get no header: "Client Behavior").
pub(crate) fn request_headers(
    method_name: &str,
    params: Option<&Value>,
    header_params: Option<&HeaderParams>,
) -> Vec<(String, String)> {
    let mut headers = vec![("Mcp-Method".to_owned(), method_name.to_owned())];
    let field = match method_name {
        method::TOOLS_CALL | method::PROMPTS_GET => Some("name"),
        method::RESOURCES_READ => Some("uri"),
        _ => None,
    };
    if let Some(name) = field.and_then(|f| params?.get(f)?.as_str()) {
        headers.push(("Mcp-Name".to_owned(), encode(name)));
    }
    if method_name == method::TOOLS_CALL
        && let (Some(annotated), Some(arguments)) = (header_params, params.and_then(|p| p.get("arguments")))
    {
        for (name, path) in annotated {
            let value = path.iter().try_fold(arguments, |node, key| node.get(key));
            let text = match value {
                Some(Value::String(s)) => encode(s),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            headers.push((format!("Mcp-Param-{name}"), text));
        }
    }
    headers
}

/// "Value Encoding": a value that is not plain visible ASCII and spaces, has leading or
/// trailing whitespace, or looks like the sentinel itself goes as `=?base64?…?=`.
pub(crate) fn encode(value: &str) -> String {
    let unsafe_char = value.chars().any(|c| !(' '..='~').contains(&c));
    let padded = value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']);
    let sentinel = value.starts_with("=?base64?") && value.ends_with("?=");
    if unsafe_char || padded || sentinel {
        format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(value))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The table of "Value Encoding" examples, 2026-07-28 streamable HTTP.
    #[test]
    fn values_are_encoded_as_the_spec_table_shows() {
        assert_eq!(encode("us-west1"), "us-west1");
        assert_eq!(encode("Hello, 世界"), "=?base64?SGVsbG8sIOS4lueVjA==?=");
        assert_eq!(encode(" padded "), "=?base64?IHBhZGRlZCA=?=");
        assert_eq!(encode("line1\nline2"), "=?base64?bGluZTEKbGluZTI=?=");
        assert_eq!(encode("=?base64?literal?="), "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=");
        assert_eq!(encode("us west 1"), "us west 1");
        assert_eq!(encode("\tindented"), "=?base64?CWluZGVudGVk?=");
        assert_eq!(encode(""), "");
    }

    #[test]
    fn annotated_arguments_are_mirrored_and_null_ones_omitted() {
        let annotated = vec![
            ("Region".to_owned(), vec!["region".to_owned()]),
            ("Priority".to_owned(), vec!["priority".to_owned()]),
            ("Verbose".to_owned(), vec!["verbose".to_owned()]),
            ("Deep".to_owned(), vec!["opts".to_owned(), "deep".to_owned()]),
        ];
        let params = json!({"name": "q", "arguments": {
            "region": "eu", "priority": 42, "verbose": null, "opts": {"deep": true}, "query": "x"
        }});
        let headers = request_headers("tools/call", Some(&params), Some(&annotated));
        assert_eq!(
            headers,
            [
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "q"),
                ("Mcp-Param-Region", "eu"),
                ("Mcp-Param-Priority", "42"),
                ("Mcp-Param-Deep", "true")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let read = request_headers("resources/read", Some(&json!({"uri": "file:///a b"})), None);
        assert_eq!(read[1], ("Mcp-Name".to_owned(), "file:///a b".to_owned()));
        assert_eq!(request_headers("tools/list", Some(&json!({})), None).len(), 1);
    }
}
