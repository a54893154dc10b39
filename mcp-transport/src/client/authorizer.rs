//! How the HTTP client obtains credentials: the seam between connections and OAuth.

/// An error from an [`Authorizer`]; the HTTP client reports it to the caller unchanged.
pub type AuthorizeError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What the server said when it refused a request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Challenge {
    /// The MCP endpoint URL the request went to.
    pub url: String,
    /// 401 or 403.
    pub status: u16,
    /// The raw `WWW-Authenticate` header values, in order.
    pub www_authenticate: Vec<String>,
}

/// Supplies the `Authorization` header for an MCP HTTP connection and reacts to refusals.
///
/// ```
/// use mcp_connector_transport::client::{AuthorizeError, Authorizer, Challenge};
///
/// /// A token read from the environment on every request.
/// struct FromEnv;
///
/// #[async_trait::async_trait]
/// impl Authorizer for FromEnv {
///     async fn authorization(&self) -> Result<Option<String>, AuthorizeError> {
///         Ok(std::env::var("MCP_TOKEN").ok().map(|t| format!("Bearer {t}")))
///     }
///     async fn challenge(&self, _challenge: &Challenge) -> Result<(), AuthorizeError> {
///         Err("the token in MCP_TOKEN was refused".into())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// The `Authorization` header value for the next request (for example `"Bearer abc"`),
    /// or `None` to send none.
    async fn authorization(&self) -> Result<Option<String>, AuthorizeError>;

    /// The server answered 401, or 403 `insufficient_scope`. Obtain or step up a token;
    /// `Ok(())` means "retry the request once with [`authorization`](Self::authorization)".
    async fn challenge(&self, challenge: &Challenge) -> Result<(), AuthorizeError>;
}
