//! [`TestIssuer`]: an OAuth issuer in a test, signing JWT access tokens with a key made for
//! this process, whose public half the real [`JwtVerifier`] is given directly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::auth::JwtVerifier;

/// The PKCS#8 (RFC 8410) prefix of an Ed25519 private key: what precedes its 32 bytes.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// An issuer of JWT access tokens (RFC 9068) for tests: a fresh Ed25519 key from the operating
/// system's randomness (so no token from anywhere else verifies), tokens for the subjects,
/// scopes, audiences and expiries a test chooses, and a [`JwtVerifier`] that trusts exactly this
/// key without fetching anything.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mcp_connector_transport::auth::TokenVerifier;
/// use mcp_connector_transport::testing::TestIssuer;
///
/// let resource = "http://localhost/mcp";
/// let issuer = TestIssuer::new("https://issuer.test/");
/// let verifier = issuer.verifier(resource);
///
/// let token = issuer.token(resource).subject("alice").scopes(["tickets:write"]).sign();
/// let claims = verifier.verify(&token).await.unwrap();
/// assert_eq!(claims.subject.as_deref(), Some("alice"));
/// assert_eq!(claims.scopes, ["tickets:write"]);
///
/// // Expired, or for another audience: refused by the same verifier.
/// assert!(verifier.verify(&issuer.token(resource).expired().sign()).await.is_err());
/// assert!(verifier.verify(&issuer.token("https://other.test/mcp").sign()).await.is_err());
/// # }
/// ```
pub struct TestIssuer {
    issuer: String,
    kid: String,
    key: EncodingKey,
    jwk: Jwk,
    next_jti: AtomicU64,
}

impl TestIssuer {
    /// An issuer named `issuer` (the `iss` of its tokens) with a new signing key.
    ///
    /// # Panics
    /// When the operating system gives no randomness, or the key cannot be made (neither
    /// happens on a working system).
    ///
    /// ```
    /// let issuer = mcp_connector_transport::testing::TestIssuer::new("https://issuer.test/");
    /// assert_eq!(issuer.issuer(), "https://issuer.test/");
    /// ```
    pub fn new(issuer: impl Into<String>) -> Self {
        let mut der = [0u8; 48];
        der[..16].copy_from_slice(&ED25519_PKCS8_PREFIX);
        if let Err(error) = getrandom::fill(&mut der[16..]) {
            panic!("no randomness for the test issuer's key: {error}");
        }
        let key = EncodingKey::from_ed_der(&der);
        let kid = format!("test-{:02x}{:02x}{:02x}{:02x}", der[16], der[17], der[18], der[19]);
        let mut jwk = match Jwk::from_encoding_key(&key, Algorithm::EdDSA) {
            Ok(jwk) => jwk,
            Err(error) => panic!("cannot derive the test issuer's public key: {error}"),
        };
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        TestIssuer { issuer: issuer.into(), kid, key, jwk, next_jti: AtomicU64::new(1) }
    }

    /// The issuer identifier (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public key as a JWK set, as an issuer publishes it at its `jwks_uri` (to serve
    /// from a fake issuer, or to give a verifier with [`JwtVerifier::jwks`]).
    ///
    /// ```
    /// let jwks = mcp_connector_transport::testing::TestIssuer::new("https://issuer.test/").jwks();
    /// assert_eq!(jwks.keys.len(), 1);
    /// ```
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: vec![self.jwk.clone()] }
    }

    /// A [`JwtVerifier`] for tokens of this issuer meant for `audience` (the server's canonical
    /// URL, as given to `Auth::required` or `Auth::mixed`), with this issuer's key and no
    /// network. Tune it like any verifier (`.leeway`, `.require_at_jwt`).
    ///
    /// ```
    /// let issuer = mcp_connector_transport::testing::TestIssuer::new("https://issuer.test/");
    /// let auth = mcp_connector_transport::auth::Auth::required("http://localhost/mcp", issuer.verifier("http://localhost/mcp"));
    /// # drop(auth);
    /// ```
    pub fn verifier(&self, audience: impl Into<String>) -> JwtVerifier {
        JwtVerifier::new(self.issuer.clone(), audience).jwks(self.jwks())
    }

    /// A token for `audience`: by default for the subject `test-user` and the client
    /// `test-client`, no scopes, valid for five minutes; change any of it before
    /// [`sign`](TokenBuilder::sign).
    ///
    /// ```
    /// let issuer = mcp_connector_transport::testing::TestIssuer::new("https://issuer.test/");
    /// let token = issuer.token("http://localhost/mcp").subject("bob").sign();
    /// assert_eq!(token.split('.').count(), 3);
    /// ```
    pub fn token(&self, audience: impl Into<String>) -> TokenBuilder<'_> {
        let now = unix_now();
        let jti = self.next_jti.fetch_add(1, Ordering::Relaxed);
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), json!(audience.into()));
        claims.insert("sub".into(), json!("test-user"));
        claims.insert("client_id".into(), json!("test-client"));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        claims.insert("jti".into(), json!(format!("{}-{jti}", self.kid)));
        TokenBuilder { issuer: self, claims }
    }
}

/// The claims of one token of a [`TestIssuer`], then [`sign`](Self::sign).
///
/// ```
/// use std::time::Duration;
/// let issuer = mcp_connector_transport::testing::TestIssuer::new("https://issuer.test/");
/// let token = issuer
///     .token("http://localhost/mcp")
///     .subject("alice")
///     .client_id("chatgpt")
///     .scopes(["tickets:read", "tickets:write"])
///     .expires_in(Duration::from_secs(60))
///     .claim("email", "alice@example.com")
///     .sign();
/// # drop(token);
/// ```
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    claims: Map<String, Value>,
}

impl TokenBuilder<'_> {
    /// `sub`: who the token is for.
    pub fn subject(self, subject: impl Into<String>) -> Self {
        self.claim("sub", subject.into())
    }

    /// `client_id`: the client the user signed in to.
    pub fn client_id(self, client: impl Into<String>) -> Self {
        self.claim("client_id", client.into())
    }

    /// `scope`: the granted scopes, space-separated on the wire.
    pub fn scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.claim("scope", scopes.join(" "))
    }

    /// `aud`: replaces the audience (a token meant for another server).
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.claim("aud", audience.into())
    }

    /// `iss`: claims another issuer than the one whose key signs (a forged token).
    pub fn issuer(self, issuer: impl Into<String>) -> Self {
        self.claim("iss", issuer.into())
    }

    /// `exp`: valid for `lifetime` from now.
    pub fn expires_in(self, lifetime: Duration) -> Self {
        let exp = unix_now() + lifetime.as_secs();
        self.claim("exp", exp)
    }

    /// `exp` ten minutes ago: past any leeway a verifier allows.
    pub fn expired(self) -> Self {
        let exp = unix_now().saturating_sub(600);
        self.claim("exp", exp)
    }

    /// `nbf`: not valid until `delay` from now.
    pub fn not_before_in(self, delay: Duration) -> Self {
        let nbf = unix_now() + delay.as_secs();
        self.claim("nbf", nbf)
    }

    /// Any other claim (`email`, `groups`, `tid`), or `Value::Null` to remove one.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        match value.into() {
            Value::Null => self.claims.remove(name),
            value => self.claims.insert(name.to_owned(), value),
        };
        self
    }

    /// The signed token (EdDSA, with the issuer's `kid` and `typ: at+jwt`), for an
    /// `Authorization: Bearer` header.
    ///
    /// # Panics
    /// When signing fails, which it does not with the issuer's own key.
    pub fn sign(self) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.issuer.kid.clone());
        header.typ = Some("at+jwt".to_owned());
        match jsonwebtoken::encode(&header, &Value::Object(self.claims), &self.issuer.key) {
            Ok(token) => token,
            Err(error) => panic!("cannot sign the test token: {error}"),
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenVerifier;

    const RESOURCE: &str = "http://localhost/mcp";

    #[tokio::test]
    async fn tokens_carry_what_the_test_chose_and_verify_with_the_issuers_key_only() {
        let issuer = TestIssuer::new("https://issuer.test/");
        let verifier = issuer.verifier(RESOURCE);
        let token = issuer
            .token(RESOURCE)
            .subject("alice")
            .client_id("chatgpt")
            .scopes(["a", "b"])
            .claim("email", "alice@example.com")
            .sign();
        let claims = verifier.verify(&token).await.unwrap();
        assert_eq!(claims.subject.as_deref(), Some("alice"));
        assert_eq!(claims.client_id.as_deref(), Some("chatgpt"));
        assert_eq!(claims.scopes, ["a", "b"]);
        assert_eq!(claims.issuer.as_deref(), Some("https://issuer.test/"));
        assert_eq!(claims.raw["email"], "alice@example.com");

        // The header says what RFC 9068 asks: `typ: at+jwt`, and the key's id.
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::EdDSA, Some("at+jwt")));
        assert_eq!(header.kid, issuer.jwks().keys[0].common.key_id);

        // Another issuer's key (same name, new key) does not verify this issuer's tokens.
        let impostor = TestIssuer::new("https://issuer.test/");
        let forged = impostor.token(RESOURCE).subject("alice").sign();
        assert!(verifier.verify(&forged).await.is_err(), "a token signed by another key");
        // Nor does a token that names another issuer, nor another audience, nor an expired one,
        // nor one not valid yet.
        for (what, token) in [
            ("another iss", issuer.token(RESOURCE).issuer("https://evil.test/").sign()),
            ("another aud", issuer.token(RESOURCE).audience("https://other.test/mcp").sign()),
            ("expired", issuer.token(RESOURCE).expired().sign()),
            ("not yet valid", issuer.token(RESOURCE).not_before_in(Duration::from_secs(3600)).sign()),
            ("no exp", issuer.token(RESOURCE).claim("exp", Value::Null).sign()),
        ] {
            assert!(verifier.verify(&token).await.is_err(), "{what} was accepted");
        }
        // A lifetime the test chose.
        let short = issuer.token(RESOURCE).expires_in(Duration::from_secs(90)).sign();
        let claims = verifier.verify(&short).await.unwrap();
        let left = claims.expires_at.expect("exp").saturating_sub(unix_now());
        assert!((60..=90).contains(&left), "{left} s left");
    }

    #[test]
    fn every_issuer_has_its_own_key() {
        let a = TestIssuer::new("https://issuer.test/");
        let b = TestIssuer::new("https://issuer.test/");
        let (ja, jb) = (serde_json::to_value(a.jwks()).unwrap(), serde_json::to_value(b.jwks()).unwrap());
        assert_ne!(ja["keys"][0]["x"], jb["keys"][0]["x"]);
        assert_eq!(ja["keys"][0]["kty"], "OKP");
        assert_eq!(ja["keys"][0]["crv"], "Ed25519");
        assert_eq!(ja["keys"][0]["use"], "sig");
        assert_eq!(ja["keys"][0]["alg"], "EdDSA");
    }
}
