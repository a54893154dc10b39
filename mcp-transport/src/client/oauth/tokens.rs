//! The token endpoint: exchanging an authorization code (with the PKCE verifier and the
//! `resource` indicator) and refreshing (OAuth 2.1 sections 4.1.3 and 4.3), with the client
//! authentication the registration calls for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::OAuthError;
use super::registration::{ClientRegistration, TokenEndpointAuth, form_encode};

/// The tokens held for one MCP server: what the authorization server issued, which server
/// issued it, and the scopes the client asked for (the base of a step-up's union).
///
/// ```
/// use mcp_connector_transport::client::oauth::TokenSet;
/// let json = r#"{"access_token":"at","token_type":"Bearer","refresh_token":null,
///   "expires_at":null,"scope":null,"issuer":"https://as","resource":"https://mcp/mcp",
///   "requested_scopes":["a"]}"#;
/// let tokens: TokenSet = serde_json::from_str(json).unwrap();
/// assert!(!tokens.expires_within(std::time::Duration::from_secs(60)));
/// assert!(!format!("{tokens:?}").contains("\"at\"")); // Debug never shows a token
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// Its type; always `Bearer` here.
    pub token_type: String,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<String>,
    /// When the access token expires, in seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    /// The scopes granted, when the server said (else those requested).
    pub scope: Option<String>,
    /// The issuer of the authorization server that issued them.
    pub issuer: String,
    /// The `resource` they were requested for.
    pub resource: String,
    /// The scopes the client asked for.
    pub requested_scopes: Vec<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("issuer", &self.issuer)
            .field("resource", &self.resource)
            .field("requested_scopes", &self.requested_scopes)
            .finish()
    }
}

impl TokenSet {
    /// Whether the access token expires within `margin` from now (never, without an expiry).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::TokenSet;
    /// # let mut tokens: TokenSet = serde_json::from_str(r#"{"access_token":"at","token_type":"Bearer",
    /// #   "refresh_token":null,"expires_at":null,"scope":null,"issuer":"i","resource":"r","requested_scopes":[]}"#).unwrap();
    /// tokens.expires_at = Some(0);
    /// assert!(tokens.expires_within(std::time::Duration::ZERO));
    /// ```
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at.is_some_and(|at| now_secs().saturating_add(margin.as_secs()) >= at)
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// A successful token response (RFC 6749 section 5.1).
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: String,
    #[serde(default)]
    pub(crate) expires_in: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

impl TokenResponse {
    /// `expires_in` as seconds; some servers send it as a string.
    fn lifetime(&self) -> Option<u64> {
        match &self.expires_in {
            Some(serde_json::Value::Number(n)) => {
                n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            }
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The token set this response makes; `previous_refresh` is kept when the server did not
    /// rotate the refresh token (OAuth 2.1 section 4.3.3).
    pub(crate) fn into_token_set(
        self,
        issuer: &str,
        resource: &str,
        requested_scopes: Vec<String>,
        previous_refresh: Option<String>,
    ) -> TokenSet {
        let expires_at = self.lifetime().map(|secs| now_secs().saturating_add(secs));
        TokenSet {
            access_token: self.access_token,
            token_type: self.token_type,
            refresh_token: self.refresh_token.or(previous_refresh),
            expires_at,
            scope: self.scope,
            issuer: issuer.to_owned(),
            resource: resource.to_owned(),
            requested_scopes,
        }
    }
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// POSTs a token request with the client's authentication and reads the answer.
pub(crate) async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    client: &ClientRegistration,
    mut form: Vec<(&'static str, String)>,
) -> Result<TokenResponse, OAuthError> {
    let mut request = http.post(endpoint).header(reqwest::header::ACCEPT, "application/json");
    match client.auth_method {
        TokenEndpointAuth::None => form.push(("client_id", client.client_id.clone())),
        TokenEndpointAuth::ClientSecretPost => {
            form.push(("client_id", client.client_id.clone()));
            form.push(("client_secret", client.client_secret.clone().unwrap_or_default()));
        }
        TokenEndpointAuth::ClientSecretBasic => {
            let pair = format!(
                "{}:{}",
                form_encode(&client.client_id),
                form_encode(client.client_secret.as_deref().unwrap_or_default())
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            request = request.header(reqwest::header::AUTHORIZATION, format!("Basic {encoded}"));
        }
        TokenEndpointAuth::PrivateKeyJwt => {
            form.push(("client_id", client.client_id.clone()));
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion", client_assertion(client)?));
        }
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|source| OAuthError::Http { url: endpoint.to_owned(), source })?;
    let status = response.status();
    let bytes =
        response.bytes().await.map_err(|source| OAuthError::Http { url: endpoint.to_owned(), source })?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
            Ok(e) => OAuthError::TokenEndpoint {
                status: status.as_u16(),
                error: e.error,
                description: e.error_description,
            },
            Err(_) => OAuthError::Status {
                url: endpoint.to_owned(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned(),
            },
        });
    }
    let answer: TokenResponse = serde_json::from_slice(&bytes)
        .map_err(|e| OAuthError::InvalidResponse { url: endpoint.to_owned(), reason: e.to_string() })?;
    if !answer.token_type.eq_ignore_ascii_case("bearer") {
        return Err(OAuthError::UnsupportedTokenType(answer.token_type));
    }
    Ok(answer)
}

/// The `client_assertion` of `private_key_jwt` (RFC 7523 sections 2.2 and 3): `iss` and `sub`
/// the client id, `aud` the authorization server's issuer, a 60-second lifetime, a random
/// `jti`.
fn client_assertion(client: &ClientRegistration) -> Result<String, OAuthError> {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let key = client
        .signing_key
        .as_ref()
        .ok_or_else(|| OAuthError::Registration("private_key_jwt without a private key".into()))?;
    let invalid =
        |reason: String| OAuthError::Registration(format!("the private key for private_key_jwt: {reason}"));
    let algorithm: Algorithm =
        key.algorithm.parse().map_err(|_| invalid(format!("unknown algorithm {:?}", key.algorithm)))?;
    let pem = key.pem.as_bytes();
    let encoding = match algorithm {
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem),
        other => return Err(invalid(format!("{other:?} is not an asymmetric algorithm"))),
    }
    .map_err(|e| invalid(e.to_string()))?;
    let now = now_secs();
    let claims = serde_json::json!({
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": client.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": super::pkce::random_token()?,
    });
    jsonwebtoken::encode(&Header::new(algorithm), &claims, &encoding).map_err(|e| invalid(e.to_string()))
}
