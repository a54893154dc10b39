//! Finding the authorization server: the MCP server's Protected Resource Metadata (RFC 9728)
//! and the authorization server's metadata (RFC 8414, OpenID Connect Discovery 1.0), in the
//! order the MCP specification prescribes (2025-11-25 and 2026-07-28, "Authorization Server
//! Discovery").

use reqwest::Url;
use serde::{Deserialize, Serialize};

use super::OAuthError;
use super::challenge::BearerChallenge;

/// The Protected Resource Metadata document as a client reads it (RFC 9728 section 2); fields
/// the client does not use are kept in `extra`.
///
/// ```
/// use mcp_connector_transport::client::oauth::ResourceMetadata;
/// let doc: ResourceMetadata = serde_json::from_str(
///     r#"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://as.example.com"]}"#,
/// ).unwrap();
/// assert!(doc.scopes_supported.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceMetadata {
    /// The resource identifier: the value the client sends as `resource` (RFC 8707).
    pub resource: String,
    /// The issuers of the authorization servers that issue tokens for it.
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    /// The scopes the server says basic use needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// Every other member, untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Authorization server metadata (RFC 8414 section 2; the OpenID provider metadata shares
/// these names); fields the client does not use are kept in `extra`.
///
/// ```
/// use mcp_connector_transport::client::oauth::AuthorizationServerMetadata;
/// let doc: AuthorizationServerMetadata = serde_json::from_str(r#"{
///     "issuer": "https://as.example.com",
///     "authorization_endpoint": "https://as.example.com/authorize",
///     "token_endpoint": "https://as.example.com/token",
///     "code_challenge_methods_supported": ["S256"]
/// }"#).unwrap();
/// assert!(doc.supports_s256());
/// assert_eq!(doc.token_endpoint_auth_methods(), vec!["client_secret_basic"]); // RFC 8414 default
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// The issuer identifier; must equal the one the metadata URL was built from.
    pub issuer: String,
    /// Where the user agent goes to authorize.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: String,
    /// Dynamic client registration (RFC 7591), when offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// Scopes the authorization server knows (`offline_access` among them when it issues
    /// refresh tokens on request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// PKCE methods; absent means no PKCE, and an MCP client must refuse to proceed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Client authentication methods at the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Grant types; `authorization_code` and `implicit` when absent (RFC 8414).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// Whether the server accepts client ID metadata document URLs as `client_id`.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// Whether authorization responses carry `iss` (RFC 9207 section 3).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Every other member, untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl AuthorizationServerMetadata {
    /// Whether `code_challenge_methods_supported` lists `S256`.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::AuthorizationServerMetadata;
    /// let doc: AuthorizationServerMetadata = serde_json::from_str(r#"{"issuer":"https://a",
    ///   "authorization_endpoint":"https://a/x","token_endpoint":"https://a/t"}"#).unwrap();
    /// assert!(!doc.supports_s256());
    /// ```
    pub fn supports_s256(&self) -> bool {
        self.code_challenge_methods_supported.as_ref().is_some_and(|m| m.iter().any(|m| m == "S256"))
    }

    /// The token endpoint authentication methods, with RFC 8414's default
    /// (`client_secret_basic`) when the document names none.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::AuthorizationServerMetadata;
    /// let doc: AuthorizationServerMetadata = serde_json::from_str(r#"{"issuer":"https://a",
    ///   "authorization_endpoint":"https://a/x","token_endpoint":"https://a/t",
    ///   "token_endpoint_auth_methods_supported":["none"]}"#).unwrap();
    /// assert_eq!(doc.token_endpoint_auth_methods(), vec!["none"]);
    /// ```
    pub fn token_endpoint_auth_methods(&self) -> Vec<&str> {
        match &self.token_endpoint_auth_methods_supported {
            Some(methods) => methods.iter().map(String::as_str).collect(),
            None => vec!["client_secret_basic"],
        }
    }

    /// Whether `scopes_supported` lists `scope`.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::AuthorizationServerMetadata;
    /// let doc: AuthorizationServerMetadata = serde_json::from_str(r#"{"issuer":"https://a",
    ///   "authorization_endpoint":"https://a/x","token_endpoint":"https://a/t",
    ///   "scopes_supported":["openid","offline_access"]}"#).unwrap();
    /// assert!(doc.supports_scope("offline_access"));
    /// ```
    pub fn supports_scope(&self, scope: &str) -> bool {
        self.scopes_supported.as_ref().is_some_and(|s| s.iter().any(|s| s == scope))
    }
}

/// The Protected Resource Metadata URLs to try for an MCP endpoint when the 401 named none:
/// the path-suffixed well-known URI first, then the root one (RFC 9728 section 3.1; MCP
/// "Protected Resource Metadata Discovery Requirements").
///
/// ```
/// use mcp_connector_transport::client::oauth::resource_metadata_urls;
/// assert_eq!(resource_metadata_urls("https://example.com/public/mcp").unwrap(), vec![
///     "https://example.com/.well-known/oauth-protected-resource/public/mcp",
///     "https://example.com/.well-known/oauth-protected-resource",
/// ]);
/// assert_eq!(resource_metadata_urls("https://example.com").unwrap(),
///     vec!["https://example.com/.well-known/oauth-protected-resource"]);
/// ```
pub fn resource_metadata_urls(server_url: &str) -> Result<Vec<String>, OAuthError> {
    let url = parse_url(server_url)?;
    let origin = origin_of(&url);
    let path = url.path().trim_end_matches('/');
    let mut urls = Vec::with_capacity(2);
    if !path.is_empty() {
        urls.push(format!("{origin}/.well-known/oauth-protected-resource{path}"));
    }
    urls.push(format!("{origin}/.well-known/oauth-protected-resource"));
    Ok(urls)
}

/// The authorization server metadata URLs to try for an issuer, in the prescribed order:
/// for an issuer with a path, RFC 8414 with path insertion, OpenID Connect with path
/// insertion, OpenID Connect with path appending; without a path, RFC 8414 then OpenID
/// Connect.
///
/// ```
/// use mcp_connector_transport::client::oauth::authorization_server_metadata_urls;
/// assert_eq!(authorization_server_metadata_urls("https://auth.example.com/tenant1").unwrap(), vec![
///     "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
///     "https://auth.example.com/.well-known/openid-configuration/tenant1",
///     "https://auth.example.com/tenant1/.well-known/openid-configuration",
/// ]);
/// assert_eq!(authorization_server_metadata_urls("https://auth.example.com").unwrap(), vec![
///     "https://auth.example.com/.well-known/oauth-authorization-server",
///     "https://auth.example.com/.well-known/openid-configuration",
/// ]);
/// ```
pub fn authorization_server_metadata_urls(issuer: &str) -> Result<Vec<String>, OAuthError> {
    let url = parse_url(issuer)?;
    let origin = origin_of(&url);
    let path = url.path().trim_end_matches('/');
    Ok(if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    })
}

/// Whether the metadata's `resource` names the MCP endpoint the client is talking to: same
/// scheme, host and port (compared case-insensitively, as URL parsing normalises them), and
/// a path that is the endpoint's path or a parent of it on a segment boundary. A server whose
/// metadata names another origin is refused (2026-07-28, RFC 8707 / RFC 9728 section 3.3).
///
/// ```
/// use mcp_connector_transport::client::oauth::resource_matches;
/// assert!(resource_matches("https://mcp.example.com/mcp", "https://mcp.example.com/mcp"));
/// assert!(resource_matches("https://mcp.example.com", "https://MCP.example.com/mcp"));
/// assert!(!resource_matches("https://evil.example.com/mcp", "https://mcp.example.com/mcp"));
/// assert!(!resource_matches("https://mcp.example.com/mc", "https://mcp.example.com/mcp"));
/// ```
pub fn resource_matches(resource: &str, server_url: &str) -> bool {
    let (Ok(resource), Ok(server)) = (Url::parse(resource), Url::parse(server_url)) else {
        return false;
    };
    if resource.scheme() != server.scheme()
        || resource.host_str() != server.host_str()
        || resource.port_or_known_default() != server.port_or_known_default()
    {
        return false;
    }
    let prefix = resource.path().trim_end_matches('/');
    let path = server.path().trim_end_matches('/');
    path == prefix || path.starts_with(&format!("{prefix}/"))
}

/// Whether `url` may carry OAuth traffic: HTTPS, or plain HTTP to a loopback host (local
/// development and tests), or anything when the application said so
/// ([`OAuthClientBuilder::allow_insecure_http`](super::OAuthClientBuilder::allow_insecure_http)).
pub(crate) fn check_transport_security(url: &str, allow_insecure: bool) -> Result<(), OAuthError> {
    let parsed = parse_url(url)?;
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback || allow_insecure => Ok(()),
        _ => Err(OAuthError::InsecureUrl(url.to_owned())),
    }
}

pub(crate) fn parse_url(url: &str) -> Result<Url, OAuthError> {
    let parsed =
        Url::parse(url).map_err(|e| OAuthError::InvalidUrl { url: url.to_owned(), reason: e.to_string() })?;
    if parsed.cannot_be_a_base() || parsed.host_str().is_none() {
        return Err(OAuthError::InvalidUrl {
            url: url.to_owned(),
            reason: "not an absolute http(s) URL".into(),
        });
    }
    Ok(parsed)
}

/// `scheme://host[:port]` exactly as the URL parser writes it (lowercase scheme and host,
/// default port left out).
fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Fetches the Protected Resource Metadata: from the challenge's `resource_metadata` when
/// there is one, else from the well-known URIs in order; then checks that it names this
/// server and at least one authorization server.
pub(crate) async fn discover_resource(
    http: &reqwest::Client,
    server_url: &str,
    challenge: Option<&BearerChallenge>,
) -> Result<ResourceMetadata, OAuthError> {
    let candidates = match challenge.and_then(|c| c.resource_metadata.clone()) {
        Some(url) => vec![url],
        None => resource_metadata_urls(server_url)?,
    };
    let mut tried = Vec::new();
    let mut found = None;
    for url in &candidates {
        match get_json::<ResourceMetadata>(http, url).await {
            Ok(doc) => {
                found = Some(doc);
                break;
            }
            Err(error) => tried.push(format!("{url}: {error}")),
        }
    }
    let Some(doc) = found else {
        return Err(OAuthError::Discovery(format!("no protected resource metadata ({})", tried.join("; "))));
    };
    if !resource_matches(&doc.resource, server_url) {
        return Err(OAuthError::ResourceMismatch { resource: doc.resource, server: server_url.to_owned() });
    }
    if doc.authorization_servers.is_empty() {
        return Err(OAuthError::Discovery(format!(
            "the protected resource metadata of {} names no authorization server",
            doc.resource
        )));
    }
    Ok(doc)
}

/// Fetches an authorization server's metadata from its well-known URLs in order, keeping the
/// first document whose `issuer` is identical to `issuer` (RFC 8414 section 3.3, OpenID
/// Connect Discovery section 4.3: a document naming another issuer MUST NOT be used), and
/// refusing a server that does not advertise PKCE S256.
pub(crate) async fn discover_authorization_server(
    http: &reqwest::Client,
    issuer: &str,
    allow_insecure: bool,
) -> Result<AuthorizationServerMetadata, OAuthError> {
    check_transport_security(issuer, allow_insecure)?;
    let mut tried = Vec::new();
    let mut mismatch = None;
    for url in authorization_server_metadata_urls(issuer)? {
        match get_json::<AuthorizationServerMetadata>(http, &url).await {
            Ok(doc) if doc.issuer == issuer => {
                if !doc.supports_s256() {
                    return Err(OAuthError::PkceUnsupported { issuer: issuer.to_owned() });
                }
                for endpoint in [
                    Some(&doc.authorization_endpoint),
                    Some(&doc.token_endpoint),
                    doc.registration_endpoint.as_ref(),
                ]
                .into_iter()
                .flatten()
                {
                    check_transport_security(endpoint, allow_insecure)?;
                }
                return Ok(doc);
            }
            Ok(doc) => {
                tried.push(format!("{url}: issuer {:?}", doc.issuer));
                mismatch.get_or_insert((url, doc.issuer));
            }
            Err(error) => tried.push(format!("{url}: {error}")),
        }
    }
    match mismatch {
        Some((url, found)) => Err(OAuthError::IssuerMismatch { expected: issuer.to_owned(), found, url }),
        None => Err(OAuthError::Discovery(format!(
            "no authorization server metadata for {issuer} ({})",
            tried.join("; ")
        ))),
    }
}

/// GET a JSON document; anything but a 200 with a parseable body is an error.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, OAuthError> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|source| OAuthError::Http { url: url.to_owned(), source })?;
    let status = response.status();
    if !status.is_success() {
        return Err(OAuthError::Status { url: url.to_owned(), status: status.as_u16(), body: String::new() });
    }
    let bytes = response.bytes().await.map_err(|source| OAuthError::Http { url: url.to_owned(), source })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| OAuthError::InvalidResponse { url: url.to_owned(), reason: e.to_string() })
}
