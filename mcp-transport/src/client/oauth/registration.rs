//! Getting a `client_id` at an authorization server, in the MCP priority order
//! (2026-07-28, "Client Registration"): pre-registered credentials, then a client ID
//! metadata document URL when the server supports them, then dynamic client registration
//! (RFC 7591); and how the client authenticates at the token endpoint.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::OAuthError;
use super::discovery::AuthorizationServerMetadata;

/// How the client authenticates at the token endpoint (RFC 7591 section 2,
/// `token_endpoint_auth_method`).
///
/// ```
/// use mcp_connector_transport::client::oauth::TokenEndpointAuth;
/// assert_eq!(TokenEndpointAuth::ClientSecretBasic.as_str(), "client_secret_basic");
/// assert_eq!(TokenEndpointAuth::parse("none"), Some(TokenEndpointAuth::None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuth {
    /// A public client: `client_id` in the body, no secret.
    None,
    /// HTTP Basic with the form-encoded id and secret (RFC 6749 section 2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523 section 2.2), for
    /// [pre-registered](ClientCredentials::private_key_jwt) clients.
    PrivateKeyJwt,
}

impl TokenEndpointAuth {
    /// The registered name of the method.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::TokenEndpointAuth;
    /// assert_eq!(TokenEndpointAuth::ClientSecretPost.as_str(), "client_secret_post");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuth::None => "none",
            TokenEndpointAuth::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuth::ClientSecretPost => "client_secret_post",
            TokenEndpointAuth::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// The method with this registered name, if this client implements it.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::TokenEndpointAuth;
    /// assert_eq!(TokenEndpointAuth::parse("client_secret_jwt"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "none" => Some(TokenEndpointAuth::None),
            "client_secret_basic" => Some(TokenEndpointAuth::ClientSecretBasic),
            "client_secret_post" => Some(TokenEndpointAuth::ClientSecretPost),
            "private_key_jwt" => Some(TokenEndpointAuth::PrivateKeyJwt),
            _ => None,
        }
    }
}

/// Client credentials obtained outside this client (a developer console, an admin), for
/// [`OAuthClientBuilder::pre_registered`](super::OAuthClientBuilder::pre_registered).
///
/// ```
/// use mcp_connector_transport::client::oauth::ClientCredentials;
/// let creds = ClientCredentials::new("my-client").secret("s3cret").issuer("https://as.example.com");
/// assert_eq!(creds.client_id(), "my-client");
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) signing_key: Option<SigningKey>,
    pub(crate) auth_method: Option<TokenEndpointAuth>,
    pub(crate) issuer: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("signing_key", &self.signing_key.as_ref().map(|k| k.algorithm.clone()))
            .field("auth_method", &self.auth_method)
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl ClientCredentials {
    /// A public client id.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::ClientCredentials;
    /// let creds = ClientCredentials::new("id");
    /// # drop(creds);
    /// ```
    pub fn new(client_id: impl Into<String>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: None,
            signing_key: None,
            auth_method: None,
            issuer: None,
        }
    }

    /// The client secret (a confidential client).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::ClientCredentials;
    /// let creds = ClientCredentials::new("id").secret("s");
    /// # drop(creds);
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Authenticate with a JWT signed by this private key (`private_key_jwt`, RFC 7523): a PEM
    /// (PKCS#8 for EC keys, PKCS#1 or PKCS#8 for RSA) and its JWS algorithm (`ES256`,
    /// `ES384`, `RS256`, `PS256`, ...). The assertion names the client as `iss` and `sub` and
    /// the authorization server's issuer as `aud`, and lives 60 seconds.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::ClientCredentials;
    /// let pem = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n";
    /// let creds = ClientCredentials::new("svc").private_key_jwt(pem, "ES256");
    /// # drop(creds);
    /// ```
    pub fn private_key_jwt(
        mut self,
        private_key_pem: impl Into<String>,
        algorithm: impl Into<String>,
    ) -> Self {
        self.signing_key = Some(SigningKey { pem: private_key_pem.into(), algorithm: algorithm.into() });
        self.auth_method = Some(TokenEndpointAuth::PrivateKeyJwt);
        self
    }

    /// The token endpoint authentication method; by default `client_secret_basic` (or
    /// `client_secret_post` when the server lists only that) with a secret, `none` without.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{ClientCredentials, TokenEndpointAuth};
    /// let creds = ClientCredentials::new("id").secret("s").auth_method(TokenEndpointAuth::ClientSecretPost);
    /// # drop(creds);
    /// ```
    pub fn auth_method(mut self, method: TokenEndpointAuth) -> Self {
        self.auth_method = Some(method);
        self
    }

    /// The issuer of the authorization server that issued these credentials. Without it, they
    /// are bound to the first authorization server the MCP server names; either way they are
    /// never presented to another one (2026-07-28, "Authorization Server Binding").
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::ClientCredentials;
    /// let creds = ClientCredentials::new("id").issuer("https://as.example.com");
    /// # drop(creds);
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The client id.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::ClientCredentials;
    /// assert_eq!(ClientCredentials::new("id").client_id(), "id");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// A private key for `private_key_jwt`, kept as given (PEM and algorithm name) and parsed
/// when an assertion is signed, so a bad key is reported on use with a clear error.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SigningKey {
    pub(crate) pem: String,
    pub(crate) algorithm: String,
}

/// Where a registration came from.
///
/// ```
/// use mcp_connector_transport::client::oauth::RegistrationKind;
/// assert_ne!(RegistrationKind::Dynamic, RegistrationKind::MetadataDocument);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    /// Credentials the application was configured with.
    PreRegistered,
    /// The client's metadata document URL used as `client_id`.
    MetadataDocument,
    /// Dynamic client registration (RFC 7591).
    Dynamic,
}

/// A client identity at one authorization server, as kept in a
/// [`TokenStore`](super::TokenStore) under that server's issuer.
///
/// ```
/// use mcp_connector_transport::client::oauth::{ClientRegistration, RegistrationKind, TokenEndpointAuth};
/// let json = r#"{"issuer":"https://as","client_id":"c","client_secret":null,
///   "auth_method":"none","kind":"dynamic"}"#;
/// let reg: ClientRegistration = serde_json::from_str(json).unwrap();
/// assert_eq!(reg.kind, RegistrationKind::Dynamic);
/// assert_eq!(reg.auth_method, TokenEndpointAuth::None);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientRegistration {
    /// The issuer that knows this client.
    pub issuer: String,
    /// The client id (a URL for a metadata document).
    pub client_id: String,
    /// The secret, for confidential clients.
    pub client_secret: Option<String>,
    /// How to authenticate at the token endpoint.
    pub auth_method: TokenEndpointAuth,
    /// Where it came from.
    pub kind: RegistrationKind,
    /// The private key of a `private_key_jwt` client; never stored.
    #[serde(skip)]
    pub(crate) signing_key: Option<SigningKey>,
}

impl std::fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("auth_method", &self.auth_method)
            .field("kind", &self.kind)
            .finish()
    }
}

/// What the client says about itself, in a registration request and in its metadata
/// document.
#[derive(Debug, Clone)]
pub(crate) struct ClientProfile {
    pub(crate) client_name: String,
    pub(crate) client_uri: Option<String>,
    pub(crate) redirect_uri: String,
    pub(crate) metadata_url: Option<String>,
}

impl ClientProfile {
    /// `native` for loopback and custom-scheme redirects (desktop apps, CLIs), `web` for a
    /// remote HTTPS callback (2026-07-28, "Application Type and Redirect URI Constraints").
    pub(crate) fn application_type(&self) -> &'static str {
        match reqwest::Url::parse(&self.redirect_uri) {
            Ok(url) if url.scheme() == "https" || url.scheme() == "http" => {
                let host = url.host_str().unwrap_or_default();
                let loopback = host.eq_ignore_ascii_case("localhost")
                    || host
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if loopback { "native" } else { "web" }
            }
            _ => "native",
        }
    }

    /// The client metadata (RFC 7591 section 2) shared by registration requests and the
    /// metadata document; `refresh_token` among the grant types so servers may issue
    /// refresh tokens (2026-07-28, "Refresh Tokens").
    pub(crate) fn metadata(&self, auth_method: TokenEndpointAuth) -> serde_json::Value {
        let mut doc = json!({
            "client_name": self.client_name,
            "redirect_uris": [self.redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": auth_method.as_str(),
            "application_type": self.application_type(),
        });
        if let Some(uri) = &self.client_uri {
            doc["client_uri"] = json!(uri);
        }
        doc
    }
}

/// The method a pre-registered client uses when the application did not name one.
pub(crate) fn default_method(has_secret: bool, server: &AuthorizationServerMetadata) -> TokenEndpointAuth {
    if !has_secret {
        return TokenEndpointAuth::None;
    }
    let supported = server.token_endpoint_auth_methods();
    if !supported.contains(&"client_secret_basic") && supported.contains(&"client_secret_post") {
        TokenEndpointAuth::ClientSecretPost
    } else {
        TokenEndpointAuth::ClientSecretBasic
    }
}

/// The method to ask for in a dynamic registration: a public client when the server allows
/// it (a native app cannot keep a secret), else the secret methods in the server's order of
/// preference by this client.
fn method_to_register(server: &AuthorizationServerMetadata) -> TokenEndpointAuth {
    let supported = server.token_endpoint_auth_methods();
    [TokenEndpointAuth::None, TokenEndpointAuth::ClientSecretBasic, TokenEndpointAuth::ClientSecretPost]
        .into_iter()
        .find(|m| supported.contains(&m.as_str()))
        .unwrap_or(TokenEndpointAuth::ClientSecretBasic)
}

#[derive(Deserialize)]
struct RegistrationResponse {
    client_id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// Dynamic client registration (RFC 7591 section 3).
pub(crate) async fn register_dynamically(
    http: &reqwest::Client,
    server: &AuthorizationServerMetadata,
    endpoint: &str,
    profile: &ClientProfile,
) -> Result<ClientRegistration, OAuthError> {
    let requested = method_to_register(server);
    let response = http
        .post(endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&profile.metadata(requested))
        .send()
        .await
        .map_err(|source| OAuthError::Http { url: endpoint.to_owned(), source })?;
    let status = response.status();
    let bytes =
        response.bytes().await.map_err(|source| OAuthError::Http { url: endpoint.to_owned(), source })?;
    if !status.is_success() {
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        return Err(OAuthError::Registration(match body {
            Some(ErrorBody { error: Some(error), error_description }) => format!(
                "{endpoint} refused the registration ({status}): {error}{}",
                error_description.map(|d| format!(": {d}")).unwrap_or_default()
            ),
            _ => format!("{endpoint} refused the registration ({status})"),
        }));
    }
    let answer: RegistrationResponse = serde_json::from_slice(&bytes)
        .map_err(|e| OAuthError::InvalidResponse { url: endpoint.to_owned(), reason: e.to_string() })?;
    let auth_method = match answer.token_endpoint_auth_method.as_deref() {
        Some(name) => TokenEndpointAuth::parse(name).ok_or_else(|| {
            OAuthError::Registration(format!(
                "{endpoint} assigned the unsupported token endpoint auth method {name:?}"
            ))
        })?,
        None => requested,
    };
    if auth_method != TokenEndpointAuth::None && answer.client_secret.is_none() {
        return Err(OAuthError::Registration(format!(
            "{endpoint} assigned {} but returned no client_secret",
            auth_method.as_str()
        )));
    }
    if auth_method == TokenEndpointAuth::PrivateKeyJwt {
        return Err(OAuthError::Registration(format!(
            "{endpoint} assigned private_key_jwt, which needs a key this client did not register"
        )));
    }
    Ok(ClientRegistration {
        issuer: server.issuer.clone(),
        client_id: answer.client_id,
        client_secret: answer.client_secret,
        auth_method,
        kind: RegistrationKind::Dynamic,
        signing_key: None,
    })
}

/// `application/x-www-form-urlencoded` encoding of one value (for HTTP Basic client
/// authentication, RFC 6749 section 2.3.1).
pub(crate) fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_follows_the_html_rules() {
        assert_eq!(form_encode("a b:c/é*~"), "a+b%3Ac%2F%C3%A9*%7E");
    }

    #[test]
    fn application_type_follows_the_redirect() {
        let profile = |uri: &str| ClientProfile {
            client_name: "x".into(),
            client_uri: None,
            redirect_uri: uri.into(),
            metadata_url: None,
        };
        assert_eq!(profile("http://127.0.0.1:5000/cb").application_type(), "native");
        assert_eq!(profile("http://localhost/cb").application_type(), "native");
        assert_eq!(profile("http://[::1]:80/cb").application_type(), "native");
        assert_eq!(profile("com.example.app:/cb").application_type(), "native");
        assert_eq!(profile("https://app.example.com/cb").application_type(), "web");
    }
}
