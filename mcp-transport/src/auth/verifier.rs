//! The [`TokenVerifier`] trait and the simplest verifier, [`StaticTokens`].

use std::collections::HashMap;

use async_trait::async_trait;
use mcp_connector_core::auth::Claims;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Why a token was refused.
///
/// ```
/// use mcp_connector_transport::auth::VerifyError;
/// let e = VerifyError::Invalid("the token expired".into());
/// assert_eq!(e.to_string(), "invalid token: the token expired");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The token is not valid here: unknown, badly signed, expired, for another audience or
    /// issuer. Answered with 401 and `error="invalid_token"`.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// The token could not be checked right now (the JWKS or introspection endpoint is down).
    /// Answered with 503, so the client retries instead of asking the user to sign in again.
    #[error("cannot verify the token now: {0}")]
    Unavailable(String),
}

/// Checks a bearer token and says who it belongs to.
///
/// Implementations must check that the token was issued for this server (its audience), as
/// the spec requires (2025-11-25, basic/authorization, "Token Handling"). The provided ones are
/// [`JwtVerifier`](super::JwtVerifier), [`IntrospectionVerifier`](super::IntrospectionVerifier)
/// and [`StaticTokens`].
///
/// ```
/// use mcp_connector_core::auth::Claims;
/// use mcp_connector_transport::auth::{TokenVerifier, VerifyError};
///
/// /// Accepts tokens that an internal gateway already checked and prefixed with the user.
/// struct Gateway;
///
/// #[mcp_connector_transport::http::async_trait]
/// impl TokenVerifier for Gateway {
///     async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
///         let user = token.strip_prefix("gw:").ok_or_else(|| VerifyError::Invalid("not a gateway token".into()))?;
///         Ok(Claims { subject: Some(user.to_owned()), ..Claims::default() })
///     }
/// }
/// ```
#[async_trait]
pub trait TokenVerifier: Send + Sync + 'static {
    /// Verifies `token` (the bearer value, without the `Bearer ` prefix).
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError>;

    /// Whether tokens can be verified now, for readiness checks (`GET /readyz`): `Err` when
    /// what verification depends on (the issuer, its keys) cannot be reached. The default
    /// says ready; [`JwtVerifier`](super::JwtVerifier) fetches the issuer's keys.
    async fn ready(&self) -> Result<(), VerifyError> {
        Ok(())
    }
}

/// A fixed list of tokens, each with the claims it stands for: for development and for
/// clients that send a fixed `Authorization` header (Claude Code, Cursor, VS Code, the OpenAI
/// Responses API). ChatGPT and Claude.ai do not send static tokens; use OAuth for them.
///
/// Tokens are kept as SHA-256 digests and looked up by digest, so the comparison does not
/// leak how much of a guess matched, and the values do not sit in memory in clear.
///
/// ```
/// use mcp_connector_core::auth::Claims;
/// use mcp_connector_transport::auth::{StaticTokens, TokenVerifier};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let tokens = StaticTokens::new()
///     .token("s3cret", Claims { subject: Some("ci".into()), scopes: vec!["tickets:write".into()], ..Claims::default() });
/// assert_eq!(tokens.verify("s3cret").await.unwrap().subject.as_deref(), Some("ci"));
/// assert!(tokens.verify("guess").await.is_err());
/// # });
/// ```
#[derive(Default, Clone)]
pub struct StaticTokens {
    tokens: HashMap<[u8; 32], Claims>,
}

impl std::fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticTokens").field("count", &self.tokens.len()).finish()
    }
}

impl StaticTokens {
    /// An empty list (every token refused).
    ///
    /// ```
    /// let tokens = mcp_connector_transport::auth::StaticTokens::new();
    /// # drop(tokens);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a token and the claims it stands for. Empty tokens are ignored.
    ///
    /// ```
    /// use mcp_connector_core::auth::Claims;
    /// let tokens = mcp_connector_transport::auth::StaticTokens::new().token("t", Claims::default());
    /// # drop(tokens);
    /// ```
    pub fn token(mut self, token: impl AsRef<str>, claims: Claims) -> Self {
        let token = token.as_ref();
        if !token.is_empty() {
            self.tokens.insert(digest(token), claims);
        }
        self
    }

    /// Adds a token for `subject` with `scopes` (the other claims empty).
    ///
    /// ```
    /// let tokens = mcp_connector_transport::auth::StaticTokens::new().user("t", "alice", ["tickets:write"]);
    /// # drop(tokens);
    /// ```
    pub fn user<I, S>(self, token: impl AsRef<str>, subject: impl Into<String>, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let subject = subject.into();
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        let mut raw = Map::new();
        raw.insert("sub".into(), Value::String(subject.clone()));
        raw.insert("scope".into(), Value::String(scopes.join(" ")));
        self.token(token, Claims { subject: Some(subject), scopes, raw, ..Claims::default() })
    }
}

#[async_trait]
impl TokenVerifier for StaticTokens {
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        self.tokens.get(&digest(token)).cloned().ok_or_else(|| VerifyError::Invalid("unknown token".into()))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Claims from a JWT payload or an introspection answer (RFC 9068 and RFC 7662 names).
pub(crate) fn claims_from_raw(raw: Map<String, Value>) -> Claims {
    let string = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut scopes: Vec<String> = match raw.get("scope") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    match raw.get("scp") {
        Some(Value::Array(items)) => {
            scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
        _ => {}
    }
    scopes.dedup();
    let audience = match raw.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    Claims {
        subject: string("sub"),
        client_id: string("client_id").or_else(|| string("azp")),
        scopes,
        issuer: string("iss"),
        audience,
        expires_at: raw.get("exp").and_then(Value::as_u64),
        raw,
    }
}

/// Whether `audience` names `resource`, comparing the way RFC 8707 canonical URIs allow:
/// scheme and host case-insensitively, a trailing slash ignored.
pub(crate) fn audience_matches(audience: &[String], resources: &[String]) -> bool {
    let canon = |s: &str| {
        let s = s.trim_end_matches('/');
        match s.split_once("://") {
            Some((scheme, rest)) => {
                let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                format!("{}://{}{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), path)
            }
            None => s.to_owned(),
        }
    };
    audience.iter().any(|a| resources.iter().any(|r| canon(a) == canon(r)))
}
