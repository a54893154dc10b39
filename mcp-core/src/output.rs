//! What a tool handler may return, and how each becomes a `CallToolResult`.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::error::ToolError;
use crate::protocol::{CallToolResult, Content};

/// A typed, structured tool result: the value is sent as `structuredContent` (and its JSON
/// as text, for clients that predate structured output), and its type gives the tool an
/// `outputSchema`.
///
/// The spec requires an object at the root of structured output, so `T` should be a struct
/// (or a map). A tool written with `#[tool]` wraps any other `T` (a `Vec`, a number, an enum)
/// as `{"result": value}` and declares the matching `outputSchema`; by hand, the value must
/// serialise to an object.
///
/// ```
/// use mcp_connector_core::{Json, IntoCallToolResult};
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Ticket { id: u32, title: String }
///
/// let result = Json(Ticket { id: 1, title: "Printer on fire".into() }).into_call_tool_result().unwrap();
/// assert_eq!(result.structured_content.unwrap()["id"], 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// Turns what a handler returned into a tool result.
pub trait IntoCallToolResult {
    /// The result, or the tool error it stands for.
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError>;

    /// The `outputSchema` this return type implies, if any.
    fn output_schema() -> Option<serde_json::Map<String, Value>> {
        None
    }
}

impl IntoCallToolResult for CallToolResult {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(self)
    }
}

impl IntoCallToolResult for String {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoCallToolResult for &str {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoCallToolResult for () {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::content(Vec::new()))
    }
}

impl IntoCallToolResult for Content {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::content(vec![self]))
    }
}

impl IntoCallToolResult for Vec<Content> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        Ok(CallToolResult::content(self))
    }
}

impl<T: Serialize + JsonSchema> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        match serde_json::to_value(&self.0) {
            Ok(Value::Object(map)) => Ok(CallToolResult::structured(map)),
            Ok(other) => Err(ToolError::new(format!(
                "the tool's structured result must be a JSON object, got {}",
                match other {
                    Value::Null => "null",
                    Value::Bool(_) => "a boolean",
                    Value::Number(_) => "a number",
                    Value::String(_) => "a string",
                    Value::Array(_) => "an array",
                    Value::Object(_) => "an object",
                }
            ))),
            Err(e) => Err(ToolError::new(format!("the tool's result could not be serialised: {e}"))),
        }
    }

    fn output_schema() -> Option<serde_json::Map<String, Value>> {
        crate::schema::object_schema_for::<T>().ok()
    }
}

impl<T: IntoCallToolResult, E: Into<ToolError>> IntoCallToolResult for Result<T, E> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        self.map_err(Into::into).and_then(IntoCallToolResult::into_call_tool_result)
    }

    fn output_schema() -> Option<serde_json::Map<String, Value>> {
        T::output_schema()
    }
}
