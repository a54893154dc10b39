//! A fixed bearer token: for servers that take a static token (Claude Code, Cursor, VS Code
//! and the Responses API send fixed headers), and for a gateway's upstreams.

use super::{AuthorizeError, Authorizer, Challenge};

/// Sends `Authorization: Bearer {token}` on every request. A refusal cannot be fixed by a
/// fixed token, so [`challenge`](Authorizer::challenge) reports it and the request fails with
/// the server's status.
///
/// ```
/// use mcp_connector_transport::client::{Authorizer, BearerToken};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let token = BearerToken::new("s3cret");
/// assert_eq!(token.authorization().await.unwrap().as_deref(), Some("Bearer s3cret"));
/// # });
/// ```
#[derive(Clone)]
pub struct BearerToken(String);

impl BearerToken {
    /// The token, without the `Bearer ` prefix.
    pub fn new(token: impl Into<String>) -> Self {
        BearerToken(token.into())
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.write_str("BearerToken(..)")
    }
}

#[async_trait::async_trait]
impl Authorizer for BearerToken {
    async fn authorization(&self) -> Result<Option<String>, AuthorizeError> {
        Ok(Some(format!("Bearer {}", self.0)))
    }

    async fn challenge(&self, challenge: &Challenge) -> Result<(), AuthorizeError> {
        Err(format!(
            "{} refused the static bearer token (HTTP {}): {}",
            challenge.url,
            challenge.status,
            challenge.www_authenticate.join(", ")
        )
        .into())
    }
}
