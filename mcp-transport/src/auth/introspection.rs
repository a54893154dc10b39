//! [`IntrospectionVerifier`]: opaque tokens checked with the issuer's introspection endpoint
//! (RFC 7662).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use mcp_core::auth::Claims;
use serde_json::{Map, Value};

use super::verifier::{TokenVerifier, VerifyError, audience_matches, claims_from_raw};

/// Verifies tokens by asking the authorization server (RFC 7662 token introspection), for
/// providers that issue opaque access tokens. The answer must say `active: true`, name this
/// server in `aud`, and, when set, come from the expected issuer; `exp` is checked too.
///
/// The server authenticates to the endpoint with HTTP Basic (its own client id and secret);
/// the caller's token is sent only to the introspection endpoint, never anywhere else.
///
/// ```
/// use mcp_transport::auth::IntrospectionVerifier;
///
/// let verifier = IntrospectionVerifier::new(
///     "https://login.example.com/oauth2/introspect",
///     "https://mcp.example.com/mcp",
/// )
/// .client_credentials("mcp-server", "secret-from-env")
/// .issuer("https://login.example.com/");
/// # drop(verifier);
/// ```
#[derive(Clone)]
pub struct IntrospectionVerifier {
    endpoint: String,
    audiences: Vec<String>,
    issuer: Option<String>,
    credentials: Option<(String, String)>,
    leeway: Duration,
    client: reqwest::Client,
}

impl std::fmt::Debug for IntrospectionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("endpoint", &self.endpoint)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl IntrospectionVerifier {
    /// Introspects at `endpoint`, accepting tokens whose `aud` names `audience` (this server's
    /// canonical URL).
    ///
    /// ```
    /// let v = mcp_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp");
    /// # drop(v);
    /// ```
    pub fn new(endpoint: impl Into<String>, audience: impl Into<String>) -> Self {
        IntrospectionVerifier {
            endpoint: endpoint.into(),
            audiences: vec![audience.into()],
            issuer: None,
            credentials: None,
            leeway: Duration::from_secs(30),
            client: reqwest::Client::new(),
        }
    }

    /// The server's own client id and secret for the endpoint (HTTP Basic).
    ///
    /// ```
    /// let v = mcp_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .client_credentials("id", "secret");
    /// # drop(v);
    /// ```
    pub fn client_credentials(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.credentials = Some((client_id.into(), secret.into()));
        self
    }

    /// Requires the answer's `iss` to be `issuer`.
    ///
    /// ```
    /// let v = mcp_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .issuer("https://as.example");
    /// # drop(v);
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Clock skew allowed on `exp` (default 30 s).
    ///
    /// ```
    /// let v = mcp_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .leeway(std::time::Duration::ZERO);
    /// # drop(v);
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The HTTP client for the endpoint.
    ///
    /// ```
    /// let v = mcp_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .http_client(reqwest::Client::new());
    /// # drop(v);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }
}

#[async_trait]
impl TokenVerifier for IntrospectionVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::Unavailable(format!("introspection: {e}"));
        let mut request = self
            .client
            .post(&self.endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(Duration::from_secs(10))
            .form(&[("token", token), ("token_type_hint", "access_token")]);
        if let Some((id, secret)) = &self.credentials {
            request = request.basic_auth(id, Some(secret));
        }
        let answer: Map<String, Value> = request
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        if answer.get("active").and_then(Value::as_bool) != Some(true) {
            return Err(VerifyError::Invalid("the token is not active".into()));
        }
        let claims = claims_from_raw(answer);
        if let Some(issuer) = &self.issuer
            && claims.issuer.as_deref().map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/'))
        {
            return Err(VerifyError::Invalid("the token comes from another issuer".into()));
        }
        if let Some(exp) = claims.expires_at {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            if exp + self.leeway.as_secs() < now {
                return Err(VerifyError::Invalid("the token expired".into()));
            }
        }
        if !audience_matches(&claims.audience, &self.audiences) {
            return Err(VerifyError::Invalid("the token was issued for another audience".into()));
        }
        Ok(claims)
    }
}
