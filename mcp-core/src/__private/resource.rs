//! `#[resource]`: contents from return values, and errors for variables that do not parse.

use serde::Serialize;

use crate::ResourceBuilder;
use crate::error::McpError;
use crate::output::Json;
use crate::protocol::ResourceContents;

/// What a resource handler may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a resource",
    label = "not resource contents",
    note = "return `String`, `&'static str`, `Vec<u8>` (binary), `Json<T>` (with `T: Serialize`), `ResourceContents` or `Vec<ResourceContents>`, optionally inside `Result<_, McpError>`"
)]
pub trait ResourceOutput {
    /// The contents, for the URI that was read.
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError>;
}

fn with_mime(contents: ResourceContents, mime_type: Option<&str>) -> ResourceContents {
    match mime_type {
        Some(mime) => contents.with_mime_type(mime),
        None => contents,
    }
}

impl ResourceOutput for String {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(vec![with_mime(ResourceContents::text(uri, self), mime_type)])
    }
}
impl ResourceOutput for &str {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(vec![with_mime(ResourceContents::text(uri, self), mime_type)])
    }
}
impl ResourceOutput for Vec<u8> {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(vec![with_mime(ResourceContents::blob(uri, &self), mime_type)])
    }
}
impl<T: Serialize> ResourceOutput for Json<T> {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        let text = serde_json::to_string(&self.0).map_err(McpError::internal)?;
        Ok(vec![ResourceContents::text(uri, text).with_mime_type(mime_type.unwrap_or("application/json"))])
    }
}
impl ResourceOutput for ResourceContents {
    fn into_contents(self, _uri: &str, _mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(vec![self])
    }
}
impl ResourceOutput for Vec<ResourceContents> {
    fn into_contents(self, _uri: &str, _mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        Ok(self)
    }
}
impl<T: ResourceOutput, E: Into<McpError>> ResourceOutput for Result<T, E> {
    fn into_contents(self, uri: &str, mime_type: Option<&str>) -> Result<Vec<ResourceContents>, McpError> {
        self.map_err(Into::into)?.into_contents(uri, mime_type)
    }
}

/// Turns what a resource handler returned into contents.
pub fn resource_contents<R: ResourceOutput>(
    value: R,
    uri: &str,
    mime_type: Option<&str>,
) -> Result<Vec<ResourceContents>, McpError> {
    value.into_contents(uri, mime_type)
}

/// A concrete resource, or a template that the macro checked at compile time.
///
/// # Panics
/// When `uri` has variables that `UriTemplate` refuses, which the macro's own check rules out.
pub fn resource_builder(uri: &str, name: &str, is_template: bool) -> ResourceBuilder {
    if !is_template {
        return crate::Resource::new(uri, name);
    }
    match crate::Resource::template(uri, name) {
        Ok(builder) => builder,
        Err(e) => panic!("#[resource]: {e}"),
    }
}

/// A template variable that does not parse: the URI names no resource this server has.
pub fn invalid_variable(uri: &str, variable: &str, why: String) -> McpError {
    McpError::invalid_params(format!("Invalid resource URI `{uri}`: variable `{variable}`: {why}"))
}
