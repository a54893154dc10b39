//! [`JwtVerifier`]: JWT access tokens (RFC 9068) checked against the issuer's JWKS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use mcp_core::auth::Claims;
use serde_json::{Map, Value};
use tokio::sync::{Mutex, RwLock};

use super::verifier::{TokenVerifier, VerifyError, audience_matches, claims_from_raw};

/// Where the keys come from.
#[derive(Clone)]
enum KeySource {
    /// Discover `jwks_uri` from the issuer's metadata (RFC 8414, then OpenID Connect).
    Discover,
    /// Fetch this JWKS URL.
    Url(String),
    /// Fixed keys (no network).
    Fixed(JwkSet),
}

struct Cache {
    keys: Option<JwkSet>,
    jwks_uri: Option<String>,
    fetched: Option<Instant>,
}

/// Verifies JWT access tokens: the signature against the issuer's JWKS (fetched from its
/// metadata, cached, fetched again when a token names an unknown `kid`), then `iss` equal to
/// the issuer, `aud` naming this server's canonical URL, `exp` and `nbf` with a small leeway
/// (30 s by default). Accepts RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 and EdDSA;
/// never `none` or a shared-secret algorithm.
///
/// ```
/// use std::time::Duration;
/// use mcp_transport::auth::JwtVerifier;
///
/// let verifier = JwtVerifier::new("https://login.example.com/", "https://mcp.example.com/mcp")
///     .leeway(Duration::from_secs(10));
/// # drop(verifier);
/// ```
#[derive(Clone)]
pub struct JwtVerifier {
    issuer: String,
    audiences: Vec<String>,
    source: KeySource,
    leeway: Duration,
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    min_refresh_interval: Duration,
    client: reqwest::Client,
    cache: Arc<RwLock<Cache>>,
    refreshing: Arc<Mutex<()>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Tokens from `issuer` (its exact `iss`), for `audience` (this server's canonical URL, as
    /// clients send it in the `resource` parameter). The JWKS is found through the issuer's
    /// metadata on first use.
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://login.example.com", "https://mcp.example.com/mcp");
    /// # drop(v);
    /// ```
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        JwtVerifier {
            issuer: issuer.into(),
            audiences: vec![audience.into()],
            source: KeySource::Discover,
            leeway: Duration::from_secs(30),
            algorithms: vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
                Algorithm::ES256,
                Algorithm::ES384,
                Algorithm::EdDSA,
            ],
            max_age: Duration::from_secs(3600),
            min_refresh_interval: Duration::from_secs(5),
            client: reqwest::Client::new(),
            cache: Arc::new(RwLock::new(Cache { keys: None, jwks_uri: None, fetched: None })),
            refreshing: Arc::new(Mutex::new(())),
        }
    }

    /// Also accepts tokens for another audience of this server (an alias URL).
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .also_audience("https://mcp.example.com");
    /// # drop(v);
    /// ```
    pub fn also_audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Fetches keys from this URL instead of discovering it.
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .jwks_uri("https://as.example/.well-known/jwks.json");
    /// # drop(v);
    /// ```
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.source = KeySource::Url(uri.into());
        self
    }

    /// Uses these keys and never fetches any.
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .jwks(mcp_transport::auth::JwkSet { keys: vec![] });
    /// # drop(v);
    /// ```
    pub fn jwks(mut self, keys: JwkSet) -> Self {
        self.source = KeySource::Fixed(keys);
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (default 30 s).
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .leeway(std::time::Duration::from_secs(5));
    /// # drop(v);
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The signature algorithms accepted (default: the RSA, RSA-PSS, ECDSA and EdDSA ones).
    /// Shared-secret algorithms (HS256…) are never accepted.
    ///
    /// ```
    /// use mcp_transport::auth::Algorithm;
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .algorithms([Algorithm::ES256]);
    /// # drop(v);
    /// ```
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms
            .into_iter()
            .filter(|a| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            .collect();
        self
    }

    /// How long fetched keys are used before they are fetched again (default 1 hour).
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .max_key_age(std::time::Duration::from_secs(600));
    /// # drop(v);
    /// ```
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// The least time between two fetches caused by unknown `kid`s (default 5 s), so tokens
    /// with made-up key ids cannot make the server hammer the issuer.
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .min_refresh_interval(std::time::Duration::from_secs(30));
    /// # drop(v);
    /// ```
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// The HTTP client for metadata and JWKS fetches (for example one with TLS, proxies or
    /// timeouts of your choice).
    ///
    /// ```
    /// let v = mcp_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .http_client(reqwest::Client::new());
    /// # drop(v);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// The cached keys, fetching them when there are none or they are too old; with
    /// `force`, fetches again (at most once per `min_refresh_interval`).
    async fn keys(&self, force: bool) -> Result<JwkSet, VerifyError> {
        if let KeySource::Fixed(keys) = &self.source {
            return Ok(keys.clone());
        }
        let fresh =
            |cache: &Cache| cache.keys.is_some() && cache.fetched.is_some_and(|t| t.elapsed() < self.max_age);
        let may_refresh =
            |cache: &Cache| cache.fetched.is_none_or(|t| t.elapsed() >= self.min_refresh_interval);
        {
            let cache = self.cache.read().await;
            if fresh(&cache) && !(force && may_refresh(&cache)) {
                return Ok(cache.keys.clone().unwrap_or(JwkSet { keys: vec![] }));
            }
        }
        let _one_at_a_time = self.refreshing.lock().await;
        {
            // Another request may have fetched while this one waited.
            let cache = self.cache.read().await;
            if fresh(&cache) && !(force && may_refresh(&cache)) {
                return Ok(cache.keys.clone().unwrap_or(JwkSet { keys: vec![] }));
            }
        }
        let uri = match &self.source {
            KeySource::Url(uri) => uri.clone(),
            _ => {
                let known = self.cache.read().await.jwks_uri.clone();
                match known {
                    Some(uri) => uri,
                    None => self.discover().await?,
                }
            }
        };
        let keys: JwkSet = self.get_json(&uri).await?;
        tracing::debug!(jwks_uri = %uri, keys = keys.keys.len(), "fetched the issuer's keys");
        let mut cache = self.cache.write().await;
        cache.keys = Some(keys.clone());
        cache.jwks_uri = Some(uri);
        cache.fetched = Some(Instant::now());
        Ok(keys)
    }

    /// `jwks_uri` from the issuer's metadata: RFC 8414 first, then OpenID Connect Discovery,
    /// with the `issuer` of the document checked against ours (RFC 8414, section 3.3).
    async fn discover(&self) -> Result<String, VerifyError> {
        let issuer = self.issuer.trim_end_matches('/');
        let (origin, path) = super::metadata::split_url(issuer);
        let candidates = [
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{issuer}/.well-known/openid-configuration"),
            format!("{origin}/.well-known/openid-configuration{path}"),
        ];
        let mut last = String::new();
        for url in candidates {
            match self.get_json::<Map<String, Value>>(&url).await {
                Ok(doc) => {
                    let named = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
                    if named.trim_end_matches('/') != issuer {
                        return Err(VerifyError::Unavailable(format!(
                            "the metadata at {url} names issuer {named:?}, not {:?}",
                            self.issuer
                        )));
                    }
                    return doc.get("jwks_uri").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                        VerifyError::Unavailable(format!("the metadata at {url} has no jwks_uri"))
                    });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(VerifyError::Unavailable(format!("cannot find the issuer's metadata: {last}")))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::Unavailable(format!("{url}: {e}"));
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?;
        response.json::<T>().await.map_err(unavailable)
    }

    fn pick<'a>(&self, keys: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
        match kid {
            Some(kid) => keys.find(kid),
            // No `kid`: the only key that fits the algorithm's family.
            None => {
                let family = alg.family();
                let mut fitting = keys.keys.iter().filter(|k| {
                    DecodingKey::from_jwk(k).is_ok_and(|d| d.family() == family)
                        && k.common.key_algorithm.is_none_or(|ka| ka.to_string() == format!("{alg:?}"))
                });
                let first = fitting.next();
                if fitting.next().is_some() { None } else { first }
            }
        }
    }
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let header = decode_header(token).map_err(|e| VerifyError::Invalid(format!("not a JWT: {e}")))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(VerifyError::Invalid(format!("the algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.as_deref();
        let mut keys = self.keys(false).await?;
        let jwk = match self.pick(&keys, kid, header.alg) {
            Some(jwk) => jwk.clone(),
            None => {
                // An unknown key: the issuer may have rotated its keys.
                keys = self.keys(true).await?;
                self.pick(&keys, kid, header.alg).cloned().ok_or_else(|| {
                    VerifyError::Invalid("signed with a key the issuer does not publish".into())
                })?
            }
        };
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|e| VerifyError::Invalid(format!("the issuer's key cannot be used: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[self.issuer.as_str(), self.issuer.trim_end_matches('/')]);
        // The audience is compared below, the way RFC 8707 canonical URIs allow.
        validation.validate_aud = false;
        let data = decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            VerifyError::Invalid(match e.kind() {
                ErrorKind::ExpiredSignature => "the token expired".to_owned(),
                ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
                ErrorKind::InvalidIssuer => "the token comes from another issuer".to_owned(),
                ErrorKind::InvalidSignature => "bad signature".to_owned(),
                ErrorKind::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
                other => format!("{other:?}"),
            })
        })?;
        let claims = claims_from_raw(data.claims);
        if !audience_matches(&claims.audience, &self.audiences) {
            return Err(VerifyError::Invalid("the token was issued for another audience".into()));
        }
        Ok(claims)
    }
}
