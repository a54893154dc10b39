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
#[async_trait::async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// The `Authorization` header value for the next request (for example `"Bearer abc"`),
    /// or `None` to send none.
    async fn authorization(&self) -> Result<Option<String>, AuthorizeError>;

    /// The server answered 401, or 403 `insufficient_scope`. Obtain or step up a token;
    /// `Ok(())` means "retry the request once with [`authorization`](Self::authorization)".
    async fn challenge(&self, challenge: &Challenge) -> Result<(), AuthorizeError>;
}
