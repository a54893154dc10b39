//! Proof Key for Code Exchange with the S256 method (RFC 7636, OAuth 2.1 section 4.1.1) and
//! the `state` value, both from the operating system's random source.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::OAuthError;

/// A PKCE pair: the secret `code_verifier` kept by the client and the `code_challenge` sent
/// in the authorization request.
///
/// ```
/// use mcp_connector_transport::client::oauth::Pkce;
/// let pkce = Pkce::generate().unwrap();
/// assert_eq!(pkce.verifier().len(), 43); // 32 random bytes, base64url without padding
/// assert_eq!(pkce.challenge(), Pkce::challenge_of(pkce.verifier()));
/// assert_eq!(Pkce::METHOD, "S256");
/// ```
#[derive(Clone)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce").field("challenge", &self.challenge).finish_non_exhaustive()
    }
}

impl Pkce {
    /// The only challenge method this client uses.
    pub const METHOD: &'static str = "S256";

    /// A fresh verifier (256 bits of entropy, within RFC 7636's 43..128 characters).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::Pkce;
    /// assert_ne!(Pkce::generate().unwrap().verifier(), Pkce::generate().unwrap().verifier());
    /// ```
    pub fn generate() -> Result<Self, OAuthError> {
        let verifier = random_token()?;
        let challenge = Self::challenge_of(&verifier);
        Ok(Pkce { verifier, challenge })
    }

    /// `BASE64URL(SHA256(verifier))`, RFC 7636 section 4.2 (its appendix B example below).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::Pkce;
    /// assert_eq!(
    ///     Pkce::challenge_of("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    ///     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    /// );
    /// ```
    pub fn challenge_of(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    }

    /// The `code_verifier` for the token request.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::Pkce;
    /// assert!(Pkce::generate().unwrap().verifier().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// ```
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The `code_challenge` for the authorization request.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::Pkce;
    /// assert_eq!(Pkce::generate().unwrap().challenge().len(), 43);
    /// ```
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// 32 random bytes from the OS as base64url: PKCE verifiers and `state` values.
pub(crate) fn random_token() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| OAuthError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
