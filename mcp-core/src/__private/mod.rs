//! What the macros' generated code calls. Not a public API: names here may change in any
//! release. Generated code reaches everything through `::mcp_connector_core::__private`, so it compiles
//! in any crate and module, whatever names the user has in scope.
//!
//! Several helpers pick behaviour by type with autoref specialisation (a method on
//! `Probe<T>` for the special case, one on `&Probe<T>` for the rest): the macros expand
//! with concrete types, so method resolution chooses at compile time, and aliases such as
//! `type Out = Result<Json<T>, E>` behave like what they alias. Each fallback states its trait
//! bound on the method, through a trait with a `diagnostic::on_unimplemented` message, so a
//! wrong type gets one error that says what to write instead.

pub use ::async_trait;
pub use ::futures_util::future::BoxFuture;
pub use ::schemars;
pub use ::serde;
pub use ::serde_json;
pub use ::std;

mod args;
mod attrs;
mod output;
mod prompt;
mod resource;
mod text;

pub use args::*;
pub use attrs::*;
pub use output::*;
pub use prompt::*;
pub use resource::*;
pub use text::*;

use std::fmt::Display;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{McpError, ToolError};
use crate::output::IntoCallToolResult;
use crate::{Context, FromContext};

/// The arguments of a `tools/call`.
pub type ArgMap = Map<String, Value>;

// Bounds with messages: each names what the user wrote and says what to write instead.

/// A type a tool can take as an argument (or as its whole arguments object, with `#[args]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a tool argument: it must implement `serde::Deserialize` and `schemars::JsonSchema`",
    label = "not `Deserialize + JsonSchema`",
    note = "derive both on your type: `#[derive(serde::Deserialize, schemars::JsonSchema)]`",
    note = "if this parameter is filled from the request (it implements `mcp_connector_core::FromContext`), mark it `#[ctx]`"
)]
pub trait ToolArgument: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> ToolArgument for T {}

/// A parameter filled from the request rather than from the arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor: it does not implement `mcp_connector_core::FromContext`",
    label = "not filled from the request",
    note = "`Context`, `CancellationToken`, `Extensions`, `State<T>` and parameters marked `#[ctx]` are extractors; implement `mcp_connector_core::FromContext` for your type",
    note = "if this is an argument the client sends, mark it `#[arg]` instead"
)]
pub trait Extractor: FromContext {}
impl<T: FromContext> Extractor for T {}

/// What a tool may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a tool",
    label = "not a tool result",
    note = "return `String`, `&'static str`, `()`, `Json<T>` (with `T: Serialize + JsonSchema`), `Content`, `Vec<Content>` or `CallToolResult`, optionally inside `Result<_, E>` where `E` converts into `ToolError`; or implement `mcp_connector_core::IntoCallToolResult`"
)]
pub trait ToolOutput: IntoCallToolResult {}
impl<T: IntoCallToolResult> ToolOutput for T {}

/// A value parsed from text: a prompt argument or a URI template variable.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be parsed from text",
    label = "needs `FromStr`",
    note = "prompt arguments and URI template variables arrive as strings: use `String`, a type that implements `std::str::FromStr` (with a `Display` error), or an `Option` of one"
)]
pub trait TextArgument: Sized {
    /// Parses the value.
    fn parse_text(text: &str) -> Result<Self, String>;
}
impl<T: FromStr> TextArgument for T
where
    T::Err: Display,
{
    fn parse_text(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e: T::Err| e.to_string())
    }
}

/// Fills an extractor parameter of a tool.
pub fn extract<T: Extractor>(ctx: &Context) -> Result<T, ToolError> {
    T::from_context(ctx)
}

/// Fills an extractor parameter of a resource or prompt.
pub fn extract_for_request<T: Extractor>(ctx: &Context) -> Result<T, McpError> {
    T::from_context(ctx).map_err(|e| McpError::invalid_params(e.message().to_owned()))
}

/// What a `confirm = preview` function may return: the text of the preview.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a confirmation preview",
    label = "not a preview",
    note = "the preview function of `confirm = ...` must be an `async fn` taking the tool's parameters and returning `String` or `Result<String, E>` where `E` converts into `ToolError`"
)]
pub trait IntoPreview {
    /// The preview text, or the call's error.
    fn into_preview(self) -> Result<String, ToolError>;
}

impl IntoPreview for String {
    fn into_preview(self) -> Result<String, ToolError> {
        Ok(self)
    }
}

impl<E: Into<ToolError>> IntoPreview for Result<String, E> {
    fn into_preview(self) -> Result<String, ToolError> {
        self.map_err(Into::into)
    }
}

/// The preview text a `confirm = preview` function returned.
pub fn into_preview<T: IntoPreview>(value: T) -> Result<String, ToolError> {
    value.into_preview()
}
