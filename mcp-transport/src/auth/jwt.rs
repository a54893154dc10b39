//! [`JwtVerifier`]: JWT access tokens (RFC 9068) checked against the issuer's JWKS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use mcp_connector_core::auth::Claims;
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

/// The keys last fetched and what became of the fetches since.
struct Cache {
    keys: Option<JwkSet>,
    jwks_uri: Option<String>,
    /// When `keys` were fetched (the last successful fetch).
    fetched: Option<Instant>,
    /// When a fetch was last tried, successful or not: unknown `kid`s refresh at most once per
    /// `min_refresh_interval` since then.
    attempted: Option<Instant>,
    /// Consecutive failed fetches, and when the next may be tried (backoff).
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
    /// When the last "using stale keys" warning was logged (one a minute, not one a request);
    /// its own lock, so that readers of the cache can update it.
    warned: std::sync::Mutex<Option<Instant>>,
}

impl Cache {
    fn empty() -> Self {
        Cache {
            keys: None,
            jwks_uri: None,
            fetched: None,
            attempted: None,
            failures: 0,
            retry_at: None,
            last_error: None,
            warned: std::sync::Mutex::new(None),
        }
    }
}

/// What the cache can give without fetching.
enum Cached {
    /// Keys young enough to use as they are.
    Fresh(JwkSet),
    /// Keys past `max_key_age` but within `max_stale_age`: usable while the issuer is away.
    Stale(JwkSet),
    /// Nothing usable.
    None,
}

/// Verifies JWT access tokens: the signature against the issuer's JWKS (fetched from its
/// metadata, cached, fetched again when a token names an unknown `kid`), then `iss` equal to
/// the issuer, `aud` naming this server's canonical URL, `exp` and `nbf` with a small leeway
/// (30 s by default). Accepts RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 and EdDSA;
/// never `none` or a shared-secret algorithm. A key is used only as the JWKS allows: never one
/// whose `use` is not `sig`, nor with another algorithm than its `alg`.
///
/// # When the issuer is down
///
/// An issuer outage should not become this server's outage:
///
/// - **one fetch at a time**: requests that arrive while keys are being fetched wait for that
///   fetch; when the cache holds keys past their age but still usable, they are refreshed in
///   the background and requests go on with them without waiting;
/// - **failures are remembered**: after a failed fetch the next one waits (1 s, doubling up to
///   1 minute), and requests in between are answered at once, never each waiting for the
///   issuer's timeout;
/// - **the last good keys are kept**: keys past [`max_key_age`](Self::max_key_age) stay in use,
///   with a warning in the log, while fetches fail, up to
///   [`max_stale_key_age`](Self::max_stale_key_age) (24 hours by default). Only when there
///   are no usable keys are requests answered `503` (the client retries; it is not asked to
///   sign in again).
///
/// ```
/// use std::time::Duration;
/// use mcp_connector_transport::auth::JwtVerifier;
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
    max_stale_age: Duration,
    min_refresh_interval: Duration,
    fetch_timeout: Duration,
    require_at_jwt: bool,
    client: reqwest::Client,
    cache: Arc<RwLock<Cache>>,
    refreshing: Arc<Mutex<()>>,
    verified_ttl: Duration,
    verified: Arc<std::sync::Mutex<Verified>>,
}

/// Tokens already verified, by SHA-256 digest, with their claims and when to stop trusting
/// the earlier verification (never past `exp`).
type Verified = std::collections::HashMap<[u8; 32], (Claims, std::time::SystemTime)>;

/// Verified tokens beyond this many are pruned of expired ones first, then dropped at once.
const VERIFIED_MAX: usize = 10_000;

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
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://login.example.com", "https://mcp.example.com/mcp");
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
            max_stale_age: Duration::from_secs(24 * 3600),
            min_refresh_interval: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(10),
            require_at_jwt: false,
            client: super::default_http_client(),
            cache: Arc::new(RwLock::new(Cache::empty())),
            refreshing: Arc::new(Mutex::new(())),
            verified_ttl: Duration::from_secs(60),
            verified: Arc::new(std::sync::Mutex::new(Verified::new())),
        }
    }

    /// Also accepts tokens for another audience of this server (an alias URL).
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .jwks(mcp_connector_transport::auth::JwkSet { keys: vec![] });
    /// # drop(v);
    /// ```
    pub fn jwks(mut self, keys: JwkSet) -> Self {
        self.source = KeySource::Fixed(keys);
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (default 30 s).
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
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
    /// use mcp_connector_transport::auth::Algorithm;
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .max_key_age(std::time::Duration::from_secs(600));
    /// # drop(v);
    /// ```
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_age = age;
        self
    }

    /// How long the last good keys stay in use while fetching new ones fails (default 24
    /// hours): an issuer outage shorter than this costs nothing but a warning in the log. Past
    /// it, requests get `503` until the issuer answers again. Keys the issuer stopped
    /// publishing are gone at the next successful fetch, whatever this says.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .max_stale_key_age(std::time::Duration::from_secs(6 * 3600));
    /// # drop(v);
    /// ```
    pub fn max_stale_key_age(mut self, age: Duration) -> Self {
        self.max_stale_age = age;
        self
    }

    /// How long one fetch of the issuer's metadata or keys may take (default 10 s).
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .fetch_timeout(std::time::Duration::from_secs(3));
    /// # drop(v);
    /// ```
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// How long a token, once verified, is trusted again without checking its signature
    /// (default 60 s, never past its `exp`; `Duration::ZERO` verifies every request). A client
    /// sends the same token on every request until it expires, and an ES256 or RS256 signature
    /// check costs far more than the rest of a small request (the load benchmark's
    /// `BENCH_AUTH=1`). Tokens are looked up by SHA-256 digest; the cost of the cache is that a
    /// key the issuer withdraws keeps vouching for tokens it signed for up to this long.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .verified_cache_ttl(std::time::Duration::from_secs(30));
    /// # drop(v);
    /// ```
    pub fn verified_cache_ttl(mut self, ttl: Duration) -> Self {
        self.verified_ttl = ttl;
        self
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers a verified token until `min(now + ttl, exp)`.
    fn remember(&self, digest: [u8; 32], claims: &Claims) {
        if self.verified_ttl.is_zero() {
            return;
        }
        let now = std::time::SystemTime::now();
        let until = match claims.expires_at {
            Some(exp) => (now + self.verified_ttl).min(std::time::UNIX_EPOCH + Duration::from_secs(exp)),
            None => return,
        };
        if until <= now {
            return;
        }
        let mut verified = self.verified();
        if verified.len() >= VERIFIED_MAX {
            verified.retain(|_, (_, until)| now < *until);
            if verified.len() >= VERIFIED_MAX {
                verified.clear();
            }
        }
        verified.insert(digest, (claims.clone(), until));
    }

    /// Requires the JWT header's `typ` to be `at+jwt` (RFC 9068, section 4: resource servers
    /// MUST check it), which tells access tokens apart from ID tokens signed with the same
    /// keys. Off by default because some issuers (Auth0, Entra ID v1) send `JWT`; turn it on
    /// when yours sends `at+jwt`.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .require_at_jwt(true);
    /// # drop(v);
    /// ```
    pub fn require_at_jwt(mut self, require: bool) -> Self {
        self.require_at_jwt = require;
        self
    }

    /// The least time between two fetches caused by unknown `kid`s (default 5 s), so tokens
    /// with made-up key ids cannot make the server hammer the issuer.
    ///
    /// ```
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
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
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp")
    ///     .http_client(reqwest::Client::new());
    /// # drop(v);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }

    /// What the cache holds, without fetching.
    fn cached(&self, cache: &Cache) -> Cached {
        match (&cache.keys, cache.fetched) {
            (Some(keys), Some(at)) if at.elapsed() < self.max_age => Cached::Fresh(keys.clone()),
            (Some(keys), Some(at)) if at.elapsed() < self.max_stale_age => Cached::Stale(keys.clone()),
            _ => Cached::None,
        }
    }

    /// The keys to verify with: the cached ones while fresh, else fetched (one fetch at a
    /// time, none while backing off after a failure), else the last good ones within
    /// `max_stale_age`. With `force` (a token named an unknown `kid`: the issuer may have
    /// rotated its keys), fetches even fresh keys again, at most once per
    /// `min_refresh_interval`.
    async fn keys(&self, force: bool) -> Result<JwkSet, VerifyError> {
        if let KeySource::Fixed(keys) = &self.source {
            return Ok(keys.clone());
        }
        {
            let cache = self.cache.read().await;
            match self.decide(&cache, force) {
                Decision::Use(keys) => return Ok(keys),
                Decision::Refuse(error) => return Err(error),
                Decision::Fetch => {
                    // Keys past their age but still usable: refresh in the background and
                    // verify with them now, so that no request waits on a slow issuer. A token
                    // naming an unknown key (`force`) cannot be verified without the fetch.
                    if let (false, Cached::Stale(keys)) = (force, self.cached(&cache)) {
                        let this = self.clone();
                        tokio::spawn(async move { this.refresh_in_background().await });
                        return Ok(keys);
                    }
                }
            }
        }
        // Single flight: one fetch at a time; the others wait for it.
        let _fetching = self.refreshing.lock().await;
        {
            // Another request may have fetched (or failed) while this one waited.
            let cache = self.cache.read().await;
            match self.decide(&cache, force) {
                Decision::Use(keys) => return Ok(keys),
                Decision::Refuse(error) => return Err(error),
                Decision::Fetch => {}
            }
        }
        let error = match self.fetch_and_store().await {
            Ok(keys) => return Ok(keys),
            Err(error) => error,
        };
        let cache = self.cache.read().await;
        match self.cached(&cache) {
            Cached::Fresh(keys) => Ok(keys),
            Cached::Stale(keys) => {
                self.warn_stale(&cache);
                Ok(keys)
            }
            Cached::None => Err(error),
        }
    }

    /// A refresh nobody waits for; skipped when another fetch is under way.
    async fn refresh_in_background(&self) {
        let Ok(_fetching) = self.refreshing.try_lock() else { return };
        // The read guard must be gone before `fetch_and_store` takes the write lock.
        let due = matches!(self.decide(&*self.cache.read().await, false), Decision::Fetch);
        if due && self.fetch_and_store().await.is_err() {
            let cache = self.cache.read().await;
            self.warn_stale(&cache);
        }
    }

    /// Fetches the keys and records the outcome: the keys, or the failure and the backoff
    /// before the next attempt. The caller holds `refreshing`.
    async fn fetch_and_store(&self) -> Result<JwkSet, VerifyError> {
        match self.fetch().await {
            Ok((uri, keys)) => {
                tracing::debug!(jwks_uri = %uri, keys = keys.keys.len(), "fetched the issuer's keys");
                let mut cache = self.cache.write().await;
                if cache.failures > 0 {
                    tracing::info!(issuer = %self.issuer, "the issuer's keys can be fetched again");
                }
                let now = Instant::now();
                cache.keys = Some(keys.clone());
                cache.jwks_uri = Some(uri);
                cache.fetched = Some(now);
                cache.attempted = Some(now);
                cache.failures = 0;
                cache.retry_at = None;
                cache.last_error = None;
                Ok(keys)
            }
            Err(error) => {
                let mut cache = self.cache.write().await;
                let now = Instant::now();
                cache.failures = cache.failures.saturating_add(1);
                // 1 s, 2 s, 4 s, ... up to a minute between attempts.
                let backoff = Duration::from_secs(1 << cache.failures.saturating_sub(1).min(6))
                    .min(Duration::from_secs(60));
                cache.attempted = Some(now);
                cache.retry_at = Some(now + backoff);
                cache.last_error = Some(error.to_string());
                tracing::warn!(
                    issuer = %self.issuer,
                    failures = cache.failures,
                    retry_in_secs = backoff.as_secs(),
                    %error,
                    "cannot fetch the issuer's keys"
                );
                Err(error)
            }
        }
    }

    /// Whether the cache answers (`Use`, `Refuse`) or a fetch is due.
    fn decide(&self, cache: &Cache, force: bool) -> Decision {
        let backing_off = cache.retry_at.is_some_and(|at| Instant::now() < at);
        let may_refresh =
            !backing_off && cache.attempted.is_none_or(|t| t.elapsed() >= self.min_refresh_interval);
        match self.cached(cache) {
            Cached::Fresh(keys) if !(force && may_refresh) => Decision::Use(keys),
            Cached::Stale(keys) if backing_off => {
                // The outage goes on: keep using what the issuer last published.
                self.warn_stale(cache);
                Decision::Use(keys)
            }
            Cached::None if backing_off => Decision::Refuse(VerifyError::Unavailable(format!(
                "the issuer's keys cannot be fetched ({}); next attempt in {} s",
                cache.last_error.as_deref().unwrap_or("unknown error"),
                cache.retry_at.map_or(0, |at| at.saturating_duration_since(Instant::now()).as_secs() + 1)
            ))),
            _ => Decision::Fetch,
        }
    }

    /// Says, at most once a minute, that tokens are checked with keys past their age.
    fn warn_stale(&self, cache: &Cache) {
        let mut warned = cache.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            *warned = Some(Instant::now());
            tracing::warn!(
                issuer = %self.issuer,
                age_secs = cache.fetched.map_or(0, |t| t.elapsed().as_secs()),
                error = cache.last_error.as_deref().unwrap_or("-"),
                "the issuer is unreachable; verifying tokens with its last known keys"
            );
        }
    }

    /// Fetches the JWKS (discovering its URL first when needed).
    async fn fetch(&self) -> Result<(String, JwkSet), VerifyError> {
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
        Ok((uri, keys))
    }

    /// Whether the issuer answers now: its keys (or metadata) can be fetched. For readiness
    /// checks; it does not touch the cache.
    ///
    /// ```no_run
    /// # async fn check() {
    /// let v = mcp_connector_transport::auth::JwtVerifier::new("https://as.example", "https://mcp.example.com/mcp");
    /// if let Err(why) = v.reachable().await {
    ///     eprintln!("not ready: {why}");
    /// }
    /// # }
    /// ```
    pub async fn reachable(&self) -> Result<(), VerifyError> {
        if let KeySource::Fixed(_) = self.source {
            return Ok(());
        }
        self.fetch().await.map(|_| ())
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
        let mut failures = Vec::new();
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
                Err(VerifyError::Unavailable(why) | VerifyError::Invalid(why)) => failures.push(why),
            }
        }
        Err(VerifyError::Unavailable(format!("cannot find the issuer's metadata: {}", failures.join("; "))))
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, VerifyError> {
        let unavailable = |e: reqwest::Error| VerifyError::Unavailable(format!("{url}: {e}"));
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.fetch_timeout)
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?;
        response.json::<T>().await.map_err(unavailable)
    }

    /// The key a token with this `kid` and `alg` may be checked with: one published for
    /// signatures (`use` absent or `sig`, RFC 7517 section 4.2) whose `alg`, when given, is
    /// the token's (section 4.4): a key published for one algorithm is never used with another.
    fn pick<'a>(&self, keys: &'a JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'a Jwk> {
        let usable = |k: &&Jwk| {
            let for_signing = !matches!(
                k.common.public_key_use,
                Some(jsonwebtoken::jwk::PublicKeyUse::Encryption | jsonwebtoken::jwk::PublicKeyUse::Other(_))
            );
            let same_alg = k.common.key_algorithm.is_none_or(|ka| ka.to_string() == format!("{alg:?}"));
            for_signing && same_alg
        };
        match kid {
            Some(kid) => keys.keys.iter().filter(|k| k.common.key_id.as_deref() == Some(kid)).find(usable),
            // No `kid`: the only key that fits the algorithm's family.
            None => {
                let family = alg.family();
                let mut fitting = keys
                    .keys
                    .iter()
                    .filter(usable)
                    .filter(|k| DecodingKey::from_jwk(k).is_ok_and(|d| d.family() == family));
                let first = fitting.next();
                if fitting.next().is_some() { None } else { first }
            }
        }
    }
}

/// What [`JwtVerifier::decide`] says.
enum Decision {
    Use(JwkSet),
    Refuse(VerifyError),
    Fetch,
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn ready(&self) -> Result<(), VerifyError> {
        self.reachable().await
    }

    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        use sha2::Digest;
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if !self.verified_ttl.is_zero() {
            let mut verified = self.verified();
            match verified.get(&digest) {
                Some((claims, until)) if std::time::SystemTime::now() < *until => return Ok(claims.clone()),
                Some(_) => {
                    verified.remove(&digest);
                }
                None => {}
            }
        }
        let claims = self.verify_signed(token).await?;
        self.remember(digest, &claims);
        Ok(claims)
    }
}

impl JwtVerifier {
    /// The full check: header, key, signature, claims.
    async fn verify_signed(&self, token: &str) -> Result<Claims, VerifyError> {
        let header = decode_header(token).map_err(|e| VerifyError::Invalid(format!("not a JWT: {e}")))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(VerifyError::Invalid(format!("the algorithm {:?} is not accepted", header.alg)));
        }
        if self.require_at_jwt
            && !header.typ.as_deref().is_some_and(|t| {
                t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
            })
        {
            return Err(VerifyError::Invalid(format!(
                "not an access token: the JWT type is {:?}, not \"at+jwt\" (RFC 9068)",
                header.typ.as_deref().unwrap_or("absent")
            )));
        }
        let kid = header.kid.as_deref();
        let mut keys = self.keys(false).await?;
        let jwk = match self.pick(&keys, kid, header.alg) {
            Some(jwk) => jwk.clone(),
            None => {
                // An unknown key: the issuer may have rotated its keys.
                keys = self.keys(true).await?;
                self.pick(&keys, kid, header.alg).cloned().ok_or_else(|| {
                    VerifyError::Invalid(
                        "signed with a key the issuer does not publish for this algorithm".into(),
                    )
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
