use std::collections::BTreeMap;
use std::future::Future;

use futures_util::future::BoxFuture;

use crate::error::McpError;

/// What the client has typed and what it has filled in already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRequest {
    /// The argument or template variable being completed.
    pub argument: String,
    /// Its partial value.
    pub value: String,
    /// Other arguments already resolved.
    pub context: BTreeMap<String, String>,
}

/// Suggests values for a prompt argument or a template variable. Any
/// `Fn(CompletionRequest) -> impl Future<Output = Result<Vec<String>, McpError>>` is one; the
/// server cuts the list to the spec's 100 values and sets `total` and `hasMore`.
///
/// ```
/// use mcp_connector_core::CompletionRequest;
/// let statuses = |req: CompletionRequest| async move {
///     Ok(["open", "in_progress", "closed"]
///         .into_iter()
///         .filter(|s| s.starts_with(&req.value))
///         .map(String::from)
///         .collect())
/// };
/// # fn takes(_: impl mcp_connector_core::Completer) {}
/// takes(statuses);
/// ```
pub trait Completer: Send + Sync + 'static {
    /// The suggestions, best first.
    fn complete(&self, request: CompletionRequest) -> BoxFuture<'static, Result<Vec<String>, McpError>>;
}

impl<F, Fut> Completer for F
where
    F: Fn(CompletionRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<String>, McpError>> + Send + 'static,
{
    fn complete(&self, request: CompletionRequest) -> BoxFuture<'static, Result<Vec<String>, McpError>> {
        Box::pin(self(request))
    }
}
