//! An OAuth 2.1 client for MCP servers that are protected (feature `oauth-client`), as the
//! MCP "Authorization" sections of 2025-11-25 and 2026-07-28 describe it. Give an
//! [`OAuthClient`] to the HTTP client as its [`Authorizer`]; on the first 401 it
//!
//! 1. reads the `WWW-Authenticate` challenge ([`BearerChallenge`]) and fetches the server's
//!    Protected Resource Metadata (RFC 9728): the `resource_metadata` URL when the challenge
//!    names one, else the path-suffixed then the root well-known URI; the metadata must name
//!    this server ([`resource_matches`]);
//! 2. fetches the first authorization server's metadata (RFC 8414 / OpenID Connect, in the
//!    prescribed order of well-known URLs, [`authorization_server_metadata_urls`]), uses it
//!    only if its `issuer` is identical to the one asked for, and refuses a server that does
//!    not advertise PKCE `S256`;
//! 3. gets a client id: pre-registered credentials, else a client ID metadata document URL
//!    when the server supports them, else dynamic client registration (RFC 7591); each bound
//!    to the issuer that knows it;
//! 4. runs the authorization code flow with PKCE S256, `state`, the `resource` indicator
//!    (RFC 8707) and the scopes of the challenge (else the metadata's `scopes_supported`, else
//!    none; plus `offline_access` when the authorization server offers it), hands the URL to
//!    the application's [`AuthorizationHandler`], checks `state` and `iss` (RFC 9207) of the
//!    answer, and exchanges the code at the token endpoint;
//! 5. stores the tokens ([`TokenStore`]), refreshes them before they expire (and keeps a
//!    rotated refresh token), and on a 403 `insufficient_scope` re-authorizes with the union of
//!    the scopes asked before and the challenged ones, a bounded number of times.
//!
//! ```no_run
//! use std::sync::Arc;
//! use mcp_connector_transport::client::Authorizer;
//! use mcp_connector_transport::client::oauth::{AuthorizationCallback, OAuthClient};
//!
//! # fn demo() -> Result<(), mcp_connector_transport::client::oauth::OAuthError> {
//! let browser = AuthorizationCallback::new("http://127.0.0.1:8765/callback", |request| async move {
//!     println!("Log in at {}", request.url);
//!     // ... run a loopback listener on 127.0.0.1:8765 and return the URL it was called with ...
//!     # Ok(String::new())
//! });
//! let oauth = OAuthClient::builder("https://mcp.example.com/mcp").client_name("ticket-bot").build(browser)?;
//! let authorizer: Arc<dyn Authorizer> = Arc::new(oauth);
//! # drop(authorizer); Ok(()) }
//! ```

mod challenge;
mod discovery;
mod flow;
mod interaction;
mod loopback;
mod pkce;
mod registration;
mod storage;
mod tokens;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use challenge::BearerChallenge;
pub use discovery::{
    AuthorizationServerMetadata, ResourceMetadata, authorization_server_metadata_urls, resource_matches,
    resource_metadata_urls,
};
pub use interaction::{
    AuthorizationCallback, AuthorizationHandler, AuthorizationRequest, AuthorizationResponse, HeadlessBrowser,
};
pub use loopback::LoopbackBrowser;
pub use pkce::Pkce;
pub use registration::{ClientCredentials, ClientRegistration, RegistrationKind, TokenEndpointAuth};
pub use storage::{InMemoryTokenStore, TokenStore};
pub use tokens::TokenSet;

use crate::client::{AuthorizeError, Authorizer, Challenge};
use registration::ClientProfile;

/// Why the OAuth client could not obtain a token. Every variant says what to fix; none
/// carries a token or a secret.
///
/// ```
/// use mcp_connector_transport::client::oauth::OAuthError;
/// let e = OAuthError::StateMismatch;
/// assert!(e.to_string().contains("state"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// A request could not be sent or its answer not read.
    #[error("request to {url} failed: {source}")]
    Http {
        /// Where it went.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// An endpoint answered with an unexpected status.
    #[error("{url} answered {status}{}", if body.is_empty() { String::new() } else { format!(": {body}") })]
    Status {
        /// Where it went.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body, for diagnosis.
        body: String,
    },
    /// A document or answer was not what the protocol defines.
    #[error("invalid answer from {url}: {reason}")]
    InvalidResponse {
        /// Where it came from.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A URL could not be used.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// OAuth traffic over plain HTTP to a host that is not loopback.
    #[error("refusing {0}: authorization server endpoints must use HTTPS")]
    InsecureUrl(String),
    /// The resource or authorization server metadata could not be found.
    #[error("discovery failed: {0}")]
    Discovery(String),
    /// The Protected Resource Metadata names another server than the one connected to.
    #[error("the protected resource metadata is for {resource}, not for {server}; refusing to authorize")]
    ResourceMismatch {
        /// The metadata's `resource`.
        resource: String,
        /// The MCP endpoint.
        server: String,
    },
    /// An authorization server metadata document named another issuer than the one asked for.
    #[error("the metadata at {url} names the issuer {found:?}, not {expected:?}; not using it")]
    IssuerMismatch {
        /// The issuer the URL was built from.
        expected: String,
        /// The document's `issuer`.
        found: String,
        /// Where the document came from.
        url: String,
    },
    /// The authorization server does not advertise PKCE S256.
    #[error("{issuer} does not advertise PKCE S256 (code_challenge_methods_supported); refusing to proceed")]
    PkceUnsupported {
        /// The issuer.
        issuer: String,
    },
    /// No way to get a client id at this authorization server.
    #[error(
        "no client registration for {issuer}: it supports neither client ID metadata documents (or none is configured) nor dynamic registration; configure pre-registered credentials"
    )]
    NoRegistration {
        /// The issuer.
        issuer: String,
    },
    /// The pre-registered credentials belong to another authorization server.
    #[error(
        "the pre-registered client is bound to {bound}, but the server now uses {issuer}; not presenting it there"
    )]
    PreRegisteredElsewhere {
        /// The issuer the credentials belong to.
        bound: String,
        /// The issuer the MCP server names.
        issuer: String,
    },
    /// Dynamic client registration failed.
    #[error("client registration failed: {0}")]
    Registration(String),
    /// The application's authorization step failed.
    #[error("the authorization step failed: {0}")]
    Interaction(#[source] AuthorizeError),
    /// The authorization response's `state` is missing or not the one sent.
    #[error("the authorization response's state does not match the request's; discarding it")]
    StateMismatch,
    /// The authorization response's `iss` is not the issuer the request went to (RFC 9207).
    #[error(
        "the authorization response came from issuer {found:?}, expected {expected:?} (RFC 9207); discarding it"
    )]
    ResponseIssuerMismatch {
        /// The recorded issuer.
        expected: String,
        /// The `iss` received (`None`: absent though the server advertises it).
        found: Option<String>,
    },
    /// The authorization server refused (`access_denied`, `invalid_scope`, ...).
    #[error("authorization refused: {error}{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    AuthorizationDenied {
        /// The error code.
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The token endpoint refused.
    #[error("the token endpoint refused ({status}): {error}{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    TokenEndpoint {
        /// The HTTP status.
        status: u16,
        /// The error code (`invalid_grant`, ...).
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The token is not a Bearer token (DPoP and others are not supported).
    #[error("unsupported token type {0:?}")]
    UnsupportedTokenType(String),
    /// The server still refuses after as many scope step-ups as allowed.
    #[error("the server still requires scopes {scopes:?} after {attempts} step-up authorizations; giving up")]
    StepUpLimit {
        /// The challenged scopes.
        scopes: Vec<String>,
        /// How many step-ups were made for them.
        attempts: u32,
    },
    /// A 403 that is not `insufficient_scope`, or a refusal this client cannot act on.
    #[error("the server refused with status {status}: {detail}")]
    Refused {
        /// The status.
        status: u16,
        /// What the challenge said.
        detail: String,
    },
    /// The token store failed.
    #[error("token storage failed: {0}")]
    Storage(#[source] AuthorizeError),
    /// The operating system's random source failed.
    #[error("no randomness for PKCE/state: {0}")]
    Random(String),
}

/// Configures an [`OAuthClient`]; from [`OAuthClient::builder`].
///
/// ```
/// use mcp_connector_transport::client::oauth::{ClientCredentials, HeadlessBrowser, InMemoryTokenStore, OAuthClient};
/// let oauth = OAuthClient::builder("https://mcp.example.com/mcp")
///     .client_name("ticket-bot")
///     .client_metadata_url("https://bot.example.com/oauth/client.json")
///     .pre_registered(ClientCredentials::new("abc").secret("s3cret").issuer("https://login.example.com"))
///     .token_store(InMemoryTokenStore::new())
///     .max_step_ups(2)
///     .build(HeadlessBrowser::new("http://127.0.0.1:9/callback"))
///     .unwrap();
/// # drop(oauth);
/// ```
#[must_use]
pub struct OAuthClientBuilder {
    server_url: String,
    client_name: String,
    client_uri: Option<String>,
    metadata_url: Option<String>,
    pre_registered: Option<ClientCredentials>,
    store: Arc<dyn TokenStore>,
    http: Option<reqwest::Client>,
    offline_access: bool,
    max_step_ups: u32,
    refresh_margin: Duration,
    allow_insecure_http: bool,
    grant: Grant,
}

/// Which grant obtains tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// A user authorizes in a browser (the MCP default).
    AuthorizationCode,
    /// The client acts on its own behalf (the `oauth-client-credentials` extension).
    ClientCredentials,
}

impl std::fmt::Debug for OAuthClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientBuilder").field("server_url", &self.server_url).finish_non_exhaustive()
    }
}

impl OAuthClientBuilder {
    /// The `client_name` shown on consent screens (default `"MCP client"`).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").client_name("ticket-bot");
    /// # drop(b);
    /// ```
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }

    /// The `client_uri` (the application's home page) in registrations.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").client_uri("https://bot.example.com");
    /// # drop(b);
    /// ```
    pub fn client_uri(mut self, uri: impl Into<String>) -> Self {
        self.client_uri = Some(uri.into());
        self
    }

    /// The HTTPS URL where this client's metadata document is hosted (see
    /// [`OAuthClient::client_metadata_document`]); used as the `client_id` at authorization
    /// servers that advertise `client_id_metadata_document_supported`.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp")
    ///     .client_metadata_url("https://bot.example.com/oauth/client.json");
    /// # drop(b);
    /// ```
    pub fn client_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.metadata_url = Some(url.into());
        self
    }

    /// Credentials registered beforehand; tried first (2026-07-28, "Client Registration").
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{ClientCredentials, OAuthClient};
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").pre_registered(ClientCredentials::new("id"));
    /// # drop(b);
    /// ```
    pub fn pre_registered(mut self, credentials: ClientCredentials) -> Self {
        self.pre_registered = Some(credentials);
        self
    }

    /// Where tokens and registrations are kept (default: [`InMemoryTokenStore`]).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{InMemoryTokenStore, OAuthClient};
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").token_store(InMemoryTokenStore::new());
    /// # drop(b);
    /// ```
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// The HTTP client for discovery, registration and token requests (default: rustls with
    /// the system's roots, 10 s connect and 30 s overall timeouts, redirects not followed).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").http_client(reqwest::Client::new());
    /// # drop(b);
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Whether to add `offline_access` to the requested scopes when the authorization server
    /// lists it in `scopes_supported` (default: yes), so it may issue a refresh token.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").offline_access(false);
    /// # drop(b);
    /// ```
    pub fn offline_access(mut self, request: bool) -> Self {
        self.offline_access = request;
        self
    }

    /// How many step-up authorizations to attempt for the same challenged scopes before
    /// reporting failure (default 2; the spec asks for a limit).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").max_step_ups(1);
    /// # drop(b);
    /// ```
    pub fn max_step_ups(mut self, attempts: u32) -> Self {
        self.max_step_ups = attempts;
        self
    }

    /// Refresh an access token this long before it expires (default 60 s).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp").refresh_margin(std::time::Duration::from_secs(30));
    /// # drop(b);
    /// ```
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Allow authorization servers on plain HTTP beyond loopback hosts (never in
    /// production: the spec requires HTTPS for every authorization server endpoint).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("http://mcp.internal/mcp").allow_insecure_http(true);
    /// # drop(b);
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Obtain tokens with the client credentials grant (OAuth 2.1 section 4.2; the MCP
    /// `io.modelcontextprotocol/oauth-client-credentials` extension) instead of a user's
    /// authorization: for a service calling another service on its own behalf, such as a
    /// gateway's upstream. Discovery, the `resource` indicator, scope selection and step-up
    /// work as in the code flow; there is no interactive step (build with
    /// [`build_unattended`](Self::build_unattended)).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{ClientCredentials, OAuthClient};
    /// let oauth = OAuthClient::builder("https://mcp.example.com/mcp")
    ///     .client_credentials(ClientCredentials::new("gateway").secret("s3cret"))
    ///     .build_unattended()
    ///     .unwrap();
    /// # drop(oauth);
    /// ```
    pub fn client_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.pre_registered = Some(credentials);
        self.grant = Grant::ClientCredentials;
        self
    }

    /// The client, without an interactive step: for the
    /// [client credentials grant](Self::client_credentials). With the code flow, the first
    /// authorization fails with [`OAuthError::Interaction`].
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{ClientCredentials, OAuthClient};
    /// assert!(OAuthClient::builder("https://a.example/mcp").build_unattended().is_ok());
    /// ```
    pub fn build_unattended(self) -> Result<OAuthClient, OAuthError> {
        self.build(interaction::Unattended)
    }

    /// The client, with `handler` for the interactive step.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
    /// assert!(OAuthClient::builder("not a url").build(HeadlessBrowser::new("http://127.0.0.1/cb")).is_err());
    /// ```
    pub fn build(self, handler: impl AuthorizationHandler) -> Result<OAuthClient, OAuthError> {
        discovery::parse_url(&self.server_url)?;
        let redirect_uri = handler.redirect_uri();
        reqwest::Url::parse(&redirect_uri)
            .map_err(|e| OAuthError::InvalidUrl { url: redirect_uri.clone(), reason: e.to_string() })?;
        if let Some(url) = &self.metadata_url {
            let parsed = discovery::parse_url(url)?;
            if parsed.scheme() != "https" || parsed.path().trim_matches('/').is_empty() {
                return Err(OAuthError::InvalidUrl {
                    url: url.clone(),
                    reason: "a client ID metadata document URL must be https with a path".into(),
                });
            }
        }
        let http = match self.http {
            Some(http) => http,
            // No redirects: a token request redirected elsewhere would carry the code, the
            // verifier and the client secret to a host nobody vetted.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|source| OAuthError::Http { url: self.server_url.clone(), source })?,
        };
        Ok(OAuthClient {
            profile: ClientProfile {
                client_name: self.client_name,
                client_uri: self.client_uri,
                redirect_uri,
                metadata_url: self.metadata_url,
            },
            server_url: self.server_url,
            pre_registered: self.pre_registered,
            store: self.store,
            http,
            handler: Arc::new(handler),
            offline_access: self.offline_access,
            max_step_ups: self.max_step_ups,
            refresh_margin: self.refresh_margin,
            allow_insecure_http: self.allow_insecure_http,
            grant: self.grant,
            generation: AtomicU64::new(0),
            state: tokio::sync::Mutex::new(FlowState::default()),
        })
    }
}

/// An OAuth 2.1 client for one MCP server; implements [`Authorizer`] for the HTTP client.
/// See the [module documentation](self) for what it does on a 401 and a 403.
///
/// ```
/// use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
/// let oauth = OAuthClient::builder("https://mcp.example.com/mcp")
///     .build(HeadlessBrowser::new("http://127.0.0.1:9/callback"))
///     .unwrap();
/// assert_eq!(oauth.server_url(), "https://mcp.example.com/mcp");
/// ```
pub struct OAuthClient {
    server_url: String,
    profile: ClientProfile,
    pre_registered: Option<ClientCredentials>,
    store: Arc<dyn TokenStore>,
    http: reqwest::Client,
    handler: Arc<dyn AuthorizationHandler>,
    offline_access: bool,
    max_step_ups: u32,
    refresh_margin: Duration,
    allow_insecure_http: bool,
    grant: Grant,
    /// Bumped whenever new tokens are stored: a challenge that waited for another one's flow
    /// sees it and retries with those tokens instead of starting a second flow.
    generation: AtomicU64,
    /// One flow at a time.
    state: tokio::sync::Mutex<FlowState>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient").field("server_url", &self.server_url).finish_non_exhaustive()
    }
}

/// What the client learnt about the server and its authorization server.
#[derive(Default)]
struct FlowState {
    resource: Option<ResourceMetadata>,
    server: Option<AuthorizationServerMetadata>,
    /// Step-ups made per challenged scope set (sorted, space-joined).
    step_ups: HashMap<String, u32>,
    /// The issuer pre-registered credentials without one got bound to on first use.
    pre_registered_issuer: Option<String>,
    /// The access token a refresh made for a 401 produced, and when: if the server refuses
    /// that token too, right away, the next 401 starts a new authorization instead of
    /// refreshing again.
    refreshed_for_401: Option<(String, std::time::Instant)>,
}

impl OAuthClient {
    /// A builder for a client of the MCP server at `server_url` (the MCP endpoint URL).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::OAuthClient;
    /// let b = OAuthClient::builder("https://mcp.example.com/mcp");
    /// # drop(b);
    /// ```
    pub fn builder(server_url: impl Into<String>) -> OAuthClientBuilder {
        OAuthClientBuilder {
            server_url: server_url.into(),
            client_name: "MCP client".into(),
            client_uri: None,
            metadata_url: None,
            pre_registered: None,
            store: Arc::new(InMemoryTokenStore::new()),
            http: None,
            offline_access: true,
            max_step_ups: 2,
            refresh_margin: Duration::from_secs(60),
            allow_insecure_http: false,
            grant: Grant::AuthorizationCode,
        }
    }

    /// The MCP endpoint this client authorizes for.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
    /// let c = OAuthClient::builder("https://a.example/mcp").build(HeadlessBrowser::new("http://127.0.0.1/cb")).unwrap();
    /// assert_eq!(c.server_url(), "https://a.example/mcp");
    /// ```
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The client ID metadata document to host at the URL given to
    /// [`client_metadata_url`](OAuthClientBuilder::client_metadata_url) (`None` without one):
    /// `client_id` equal to that URL, `client_name`, `redirect_uris`, and a public client's
    /// `token_endpoint_auth_method: "none"`.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
    /// let c = OAuthClient::builder("https://a.example/mcp")
    ///     .client_metadata_url("https://app.example/client.json")
    ///     .build(HeadlessBrowser::new("http://127.0.0.1:3000/callback")).unwrap();
    /// let doc = c.client_metadata_document().unwrap();
    /// assert_eq!(doc["client_id"], "https://app.example/client.json");
    /// assert_eq!(doc["redirect_uris"][0], "http://127.0.0.1:3000/callback");
    /// ```
    pub fn client_metadata_document(&self) -> Option<serde_json::Value> {
        let url = self.profile.metadata_url.as_ref()?;
        let mut doc = self.profile.metadata(TokenEndpointAuth::None);
        doc["client_id"] = serde_json::json!(url);
        Some(doc)
    }

    /// The tokens currently held for this server, if any.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let c = OAuthClient::builder("https://a.example/mcp").build(HeadlessBrowser::new("http://127.0.0.1/cb")).unwrap();
    /// assert!(c.tokens().await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn tokens(&self) -> Result<Option<TokenSet>, OAuthError> {
        self.store.load_tokens(&self.server_url).await.map_err(OAuthError::Storage)
    }

    /// Forgets the tokens for this server (the next request starts without one).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{HeadlessBrowser, OAuthClient};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let c = OAuthClient::builder("https://a.example/mcp").build(HeadlessBrowser::new("http://127.0.0.1/cb")).unwrap();
    /// c.forget_tokens().await.unwrap();
    /// # });
    /// ```
    pub async fn forget_tokens(&self) -> Result<(), OAuthError> {
        self.store.save_tokens(&self.server_url, None).await.map_err(OAuthError::Storage)
    }

    fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Authorizer for OAuthClient {
    async fn authorization(&self) -> Result<Option<String>, AuthorizeError> {
        Ok(self.current_authorization().await?)
    }

    async fn challenge(&self, challenge: &Challenge) -> Result<(), AuthorizeError> {
        Ok(self.handle_challenge(challenge).await?)
    }
}
