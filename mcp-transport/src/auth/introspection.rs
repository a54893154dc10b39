//! [`IntrospectionVerifier`]: opaque tokens checked with the issuer's introspection endpoint
//! (RFC 7662).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use mcp_connector_core::auth::Claims;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::verifier::{TokenVerifier, VerifyError, audience_matches, claims_from_raw};

/// Verifies tokens by asking the authorization server (RFC 7662 token introspection), for
/// providers that issue opaque access tokens. The answer must say `active: true`, name this
/// server in `aud`, carry an `exp` that has not passed, no `nbf` in the future, and, when
/// [`issuer`](Self::issuer) is set, come from that issuer.
///
/// The server authenticates to the endpoint with HTTP Basic (its own client id and secret,
/// each form-URL-encoded first as RFC 6749 section 2.3.1 requires, so that secrets with `:`,
/// `%` or non-ASCII characters work); the caller's token is sent only to the introspection
/// endpoint, never anywhere else.
///
/// Positive answers are cached, keyed by a SHA-256 digest of the token (never the token
/// itself), for [`cache_ttl`](Self::cache_ttl) (30 s by default) and never past the token's
/// `exp`: without a cache every request costs a round trip to the issuer, which anyone with a
/// token can trigger at will. A revoked token keeps working until its cache entry ends; choose
/// the TTL with that in mind (0 turns the cache off). Refusals (inactive, expired, another
/// audience or issuer) are cached too, for at most [`REFUSAL_TTL`] (5 s), so that replaying one
/// bad token does not cost a round trip per request either; an endpoint that cannot be reached
/// is never cached.
///
/// ```
/// use mcp_connector_transport::auth::IntrospectionVerifier;
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
    cache_ttl: Duration,
    cache: Arc<Mutex<AnswerCache>>,
    client: reqwest::Client,
}

/// The endpoint's verdict by token digest (claims, or why the token was refused), each with the
/// instant it stops being reused.
type AnswerCache = HashMap<[u8; 32], (Result<Claims, String>, Instant)>;

/// How long a refusal is reused at most (never longer than the cache TTL): short, since a
/// token that is not valid yet (`nbf`) becomes valid, but long enough that a client replaying
/// a bad token costs the issuer one call per this period, not one per request.
///
/// ```
/// assert_eq!(mcp_connector_transport::auth::REFUSAL_TTL.as_secs(), 5);
/// ```
pub const REFUSAL_TTL: Duration = Duration::from_secs(5);

/// Entries beyond this many are pruned of expired ones first, then dropped all at once: a
/// flood of distinct valid tokens cannot grow the cache without bound.
const CACHE_MAX: usize = 10_000;

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
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp");
    /// # drop(v);
    /// ```
    pub fn new(endpoint: impl Into<String>, audience: impl Into<String>) -> Self {
        IntrospectionVerifier {
            endpoint: endpoint.into(),
            audiences: vec![audience.into()],
            issuer: None,
            credentials: None,
            leeway: Duration::from_secs(30),
            cache_ttl: Duration::from_secs(30),
            cache: Arc::new(Mutex::new(HashMap::new())),
            client: super::default_http_client(),
        }
    }

    /// The server's own client id and secret for the endpoint (HTTP Basic).
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .leeway(std::time::Duration::ZERO);
    /// # drop(v);
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long a positive answer is reused for the same token (default 30 s; never past the
    /// token's `exp`). `Duration::ZERO` asks the endpoint on every request.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .cache_ttl(std::time::Duration::from_secs(10));
    /// # drop(v);
    /// ```
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// The HTTP client for the endpoint.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::IntrospectionVerifier::new("https://as.example/introspect", "https://mcp.example.com/mcp")
    ///     .http_client(reqwest::Client::new());
    /// # drop(v);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }
}

impl IntrospectionVerifier {
    fn cached(&self, key: &[u8; 32]) -> Option<Result<Claims, VerifyError>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(key) {
            Some((verdict, until)) if Instant::now() < *until => {
                Some(verdict.clone().map_err(VerifyError::Invalid))
            }
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    fn remember(&self, key: [u8; 32], claims: &Claims, now_unix: u64) {
        if self.cache_ttl.is_zero() {
            return;
        }
        // Never past `exp`: a cached answer must not outlive the token.
        let left =
            claims.expires_at.map_or(Duration::ZERO, |exp| Duration::from_secs(exp.saturating_sub(now_unix)));
        self.store(key, Ok(claims.clone()), self.cache_ttl.min(left));
    }

    fn remember_refusal(&self, key: [u8; 32], why: &str) {
        self.store(key, Err(why.to_owned()), self.cache_ttl.min(REFUSAL_TTL));
    }

    fn store(&self, key: [u8; 32], verdict: Result<Claims, String>, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_MAX {
            let now = Instant::now();
            cache.retain(|_, (_, until)| now < *until);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(key, (verdict, Instant::now() + ttl));
    }
}

/// `application/x-www-form-urlencoded` encoding of one value, as RFC 6749 section 2.3.1
/// requires for the client id and secret before HTTP Basic: unreserved characters as they
/// are, space as `+`, every other byte as `%XX`.
pub(crate) fn form_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[async_trait]
impl TokenVerifier for IntrospectionVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(verdict) = self.cached(&key) {
            return verdict;
        }
        match self.introspect(token).await {
            Ok((claims, now)) => {
                self.remember(key, &claims, now);
                Ok(claims)
            }
            Err(VerifyError::Invalid(why)) => {
                self.remember_refusal(key, &why);
                Err(VerifyError::Invalid(why))
            }
            Err(unavailable) => Err(unavailable),
        }
    }
}

impl IntrospectionVerifier {
    /// Asks the endpoint about `token` and checks its answer; the claims and the time (Unix
    /// seconds) they were checked at.
    async fn introspect(&self, token: &str) -> Result<(Claims, u64), VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::Unavailable(format!("introspection: {e}"));
        let mut request = self
            .client
            .post(&self.endpoint)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(Duration::from_secs(10))
            .form(&[("token", token), ("token_type_hint", "access_token")]);
        if let Some((id, secret)) = &self.credentials {
            request = request.basic_auth(form_urlencode(id), Some(form_urlencode(secret)));
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
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let leeway = self.leeway.as_secs();
        match claims.expires_at {
            // RFC 7662 makes `exp` optional; a token without one would be accepted (and cached)
            // for ever, so it is refused.
            None => return Err(VerifyError::Invalid("the introspection answer has no `exp`".into())),
            Some(exp) if exp.saturating_add(leeway) < now => {
                return Err(VerifyError::Invalid("the token expired".into()));
            }
            Some(_) => {}
        }
        if let Some(nbf) = claims.raw.get("nbf").and_then(Value::as_u64)
            && nbf > now.saturating_add(leeway)
        {
            return Err(VerifyError::Invalid("the token is not valid yet (nbf)".into()));
        }
        if !audience_matches(&claims.audience, &self.audiences) {
            return Err(VerifyError::Invalid("the token was issued for another audience".into()));
        }
        Ok((claims, now))
    }
}

#[cfg(test)]
mod tests {
    use super::form_urlencode;

    #[test]
    fn client_credentials_are_form_url_encoded() {
        assert_eq!(form_urlencode("mcp-server_1.a*"), "mcp-server_1.a*");
        assert_eq!(form_urlencode("p@ss:w/rd %+é"), "p%40ss%3Aw%2Frd+%25%2B%C3%A9");
    }
}
