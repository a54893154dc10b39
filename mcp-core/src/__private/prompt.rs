//! `#[prompt]`: results from return values, and errors for arguments that do not parse.

use std::collections::BTreeMap;

use crate::error::McpError;
use crate::protocol::{GetPromptResult, PromptMessage};

/// What a prompt handler may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a prompt",
    label = "not a prompt result",
    note = "return `String` (one user message), `PromptMessage`, `Vec<PromptMessage>` or `GetPromptResult`, optionally inside `Result<_, McpError>`"
)]
pub trait PromptOutput {
    /// The result.
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError>;
}

impl PromptOutput for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(self)
    }
}
impl PromptOutput for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(self))
    }
}
impl PromptOutput for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(vec![self]))
    }
}
impl PromptOutput for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(vec![PromptMessage::user(self)]))
    }
}
impl PromptOutput for &str {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        Ok(GetPromptResult::new(vec![PromptMessage::user(self)]))
    }
}
impl<T: PromptOutput, E: Into<McpError>> PromptOutput for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, McpError> {
        self.map_err(Into::into)?.into_prompt_result()
    }
}

/// Turns what a prompt handler returned into a result.
pub fn prompt_result<R: PromptOutput>(value: R) -> Result<GetPromptResult, McpError> {
    value.into_prompt_result()
}

/// The text of a prompt argument.
pub fn prompt_argument<'a>(arguments: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    arguments.get(name).map(String::as_str)
}

/// A prompt argument that does not parse.
pub fn invalid_prompt_argument(prompt: &str, argument: &str, why: String) -> McpError {
    McpError::invalid_params(format!("Invalid argument `{argument}` for prompt `{prompt}`: {why}"))
}
