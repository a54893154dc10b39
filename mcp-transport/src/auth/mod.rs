//! Authorization for the HTTP transport (feature `auth`): an OAuth 2.1 resource server as the
//! MCP 2025-11-25 "Authorization" section asks, with per-tool scopes and the mixed mode
//! ChatGPT supports.
//!
//! ```no_run
//! use mcp_connector_transport::auth::{Auth, JwtVerifier};
//! use mcp_connector_transport::http::HttpTransport;
//!
//! # async fn run(server: mcp_connector_core::Server) -> std::io::Result<()> {
//! let resource = "https://mcp.example.com/mcp"; // the canonical URL clients reach
//! let issuer = "https://login.example.com/";
//! let auth = Auth::required(resource, JwtVerifier::new(issuer, resource))
//!     .authorization_server(issuer);
//! HttpTransport::new(server).allow_host("mcp.example.com").auth(auth).serve("0.0.0.0:8000").await
//! # }
//! ```
//!
//! # What it does
//!
//! - Serves the Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource`
//!   and at its path-suffixed form for the resource's path (`/.well-known/oauth-protected-resource/mcp`).
//! - Reads bearer tokens from the `Authorization` header only (never the query string) and
//!   checks them with a [`TokenVerifier`]: [`JwtVerifier`] (signed JWT access tokens against the
//!   issuer's JWKS), [`IntrospectionVerifier`] (RFC 7662) or [`StaticTokens`].
//! - Answers a missing or invalid token with `401` and
//!   `WWW-Authenticate: Bearer resource_metadata="…", scope="…"`, and a `tools/call` whose token
//!   lacks the tool's scopes with `403` and `error="insufficient_scope"`.
//! - In [mixed mode](Auth::mixed), lets `initialize`, `tools/list` and tools that need no auth
//!   through without a token; a tool that needs one returns `isError: true` with the challenge
//!   in `_meta["mcp/www_authenticate"]`, which makes ChatGPT start its login flow.
//! - Emits each tool's `securitySchemes` in `tools/list` (and mirrors them in its `_meta`).
//! - Hands the verified [`Claims`] to handlers (take a `Claims` parameter).
//! - Records every write tool call in an audit event (`tracing` target `mcp::audit`): tool,
//!   subject, client, a SHA-256 of the arguments, outcome, duration. Never the token.
//! - Records every refused token in an audit event too (`token refused`): the status (401,
//!   403, 503), the reason (`missing_token`, `invalid_token`, `insufficient_scope`,
//!   `unverifiable`), what was wrong, and the peer address. Never the token.
//!
//! The token a client sends is never forwarded anywhere: handlers see its claims, not the token
//! (the `Authorization` header is removed from the headers handlers can read).

mod audit;
mod guard;
mod introspection;
mod jwt;
mod layer;
mod metadata;
mod verifier;

use std::sync::Arc;

pub use introspection::{IntrospectionVerifier, REFUSAL_TTL};
/// Signature algorithms and JSON Web Key sets, from the `jsonwebtoken` crate, for
/// [`JwtVerifier::algorithms`] and [`JwtVerifier::jwks`].
pub use jsonwebtoken::{Algorithm, jwk::JwkSet};
pub use jwt::JwtVerifier;
pub use mcp_connector_core::auth::{Claims, SecurityScheme};
pub use metadata::ProtectedResourceMetadata;
pub use verifier::{StaticTokens, TokenVerifier, VerifyError};

pub(crate) use audit::TARGET as AUDIT_TARGET;
pub(crate) use layer::{AuthState, attach, authenticate, check_call, principal};
pub(crate) use metadata::routes as metadata_routes;

/// The HTTP client the verifiers use unless given one: HTTPS through rustls (the `auth`
/// feature brings it), with short connect timeouts so that an unreachable issuer fails fast.
pub(crate) fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(5)).build().unwrap_or_else(
        |error| {
            tracing::error!(%error, "cannot build the HTTP client with its options; using the defaults");
            reqwest::Client::new()
        },
    )
}

/// The well-known path of the Protected Resource Metadata (RFC 9728, section 3).
///
/// ```
/// assert_eq!(mcp_connector_transport::auth::WELL_KNOWN_PATH, "/.well-known/oauth-protected-resource");
/// ```
pub const WELL_KNOWN_PATH: &str = "/.well-known/oauth-protected-resource";

/// The `_meta` key of a tool result that carries a login challenge (ChatGPT's mixed auth).
///
/// ```
/// assert_eq!(mcp_connector_transport::auth::WWW_AUTHENTICATE_META, "mcp/www_authenticate");
/// ```
pub const WWW_AUTHENTICATE_META: &str = "mcp/www_authenticate";

/// Whether every request needs a token, or only the tools that ask for one.
///
/// ```
/// use mcp_connector_transport::auth::{Auth, AuthMode, StaticTokens};
/// let auth = Auth::mixed("http://127.0.0.1:8000/mcp", StaticTokens::new());
/// assert_eq!(auth.mode(), AuthMode::Mixed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request to the MCP endpoint needs a valid token (401 otherwise).
    Required,
    /// `initialize`, `tools/list` and tools that need no auth work without a token; tools with
    /// scopes (and write tools, unless [`Auth::anonymous_writes`]) need one.
    Mixed,
}

/// The auth configuration of an [`HttpTransport`](crate::http::HttpTransport): the canonical
/// URL of this server (the token audience), the authorization servers, the verifier and the
/// mode. Give it to [`HttpTransport::auth`](crate::http::HttpTransport::auth).
///
/// ```
/// use mcp_connector_core::auth::Claims;
/// use mcp_connector_transport::auth::{Auth, StaticTokens};
///
/// // Development, or clients that send fixed headers (Claude Code, Cursor, VS Code, the
/// // Responses API): a static token list.
/// let tokens = StaticTokens::new().token(
///     "dev-token-change-me",
///     Claims { subject: Some("dev".into()), scopes: vec!["tickets:write".into()], ..Claims::default() },
/// );
/// let auth = Auth::required("http://127.0.0.1:8000/mcp", tokens).scopes_supported(["tickets:write"]);
/// assert_eq!(auth.resource(), "http://127.0.0.1:8000/mcp");
/// assert_eq!(auth.metadata_url(), "http://127.0.0.1:8000/.well-known/oauth-protected-resource/mcp");
/// ```
#[derive(Clone)]
pub struct Auth {
    pub(crate) mode: AuthMode,
    pub(crate) resource: String,
    pub(crate) authorization_servers: Vec<String>,
    pub(crate) scopes_supported: Option<Vec<String>>,
    pub(crate) resource_name: Option<String>,
    pub(crate) resource_documentation: Option<String>,
    pub(crate) anonymous_writes: bool,
    pub(crate) anonymous_reads: bool,
    pub(crate) verifier: Arc<dyn TokenVerifier>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("mode", &self.mode)
            .field("resource", &self.resource)
            .field("authorization_servers", &self.authorization_servers)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Every request needs a valid token. `resource` is the canonical URL of the MCP endpoint
    /// as clients reach it (`https://mcp.example.com/mcp`): the `resource` of the metadata and
    /// the audience tokens must carry.
    ///
    /// ```
    /// use mcp_connector_transport::auth::{Auth, AuthMode, StaticTokens};
    /// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new());
    /// assert_eq!(auth.mode(), AuthMode::Required);
    /// ```
    pub fn required(resource: impl Into<String>, verifier: impl TokenVerifier) -> Self {
        Self::with_mode(AuthMode::Required, resource.into(), Arc::new(verifier))
    }

    /// Mixed mode: `initialize`, `tools/list` and tools that need no auth work without a
    /// token; the others answer with a login challenge in their result (see the module docs).
    ///
    /// ```
    /// use mcp_connector_transport::auth::{Auth, JwtVerifier};
    /// let resource = "https://mcp.example.com/mcp";
    /// let auth = Auth::mixed(resource, JwtVerifier::new("https://login.example.com", resource))
    ///     .authorization_server("https://login.example.com");
    /// # drop(auth);
    /// ```
    pub fn mixed(resource: impl Into<String>, verifier: impl TokenVerifier) -> Self {
        Self::with_mode(AuthMode::Mixed, resource.into(), Arc::new(verifier))
    }

    fn with_mode(mode: AuthMode, resource: String, verifier: Arc<dyn TokenVerifier>) -> Self {
        Auth {
            mode,
            resource,
            authorization_servers: Vec::new(),
            scopes_supported: None,
            resource_name: None,
            resource_documentation: None,
            anonymous_writes: false,
            anonymous_reads: false,
            verifier,
        }
    }

    /// An authorization server (its issuer URL) clients may get tokens from; repeatable. The
    /// spec requires at least one in the metadata for OAuth clients (ChatGPT, Claude).
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new())
    ///     .authorization_server("https://login.example.com");
    /// # drop(auth);
    /// ```
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes listed in the metadata's `scopes_supported` and challenged on a 401 for a
    /// request that names no tool (default: every scope a registered tool declares).
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new())
    ///     .scopes_supported(["tickets:read", "tickets:write"]);
    /// # drop(auth);
    /// ```
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// A human-readable name for the metadata's `resource_name`.
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new()).resource_name("Tickets");
    /// # drop(auth);
    /// ```
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A page for developers, for the metadata's `resource_documentation`.
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new())
    ///     .resource_documentation("https://example.com/docs/mcp");
    /// # drop(auth);
    /// ```
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// In mixed mode, lets write tools without scopes run without a token (default: off, a
    /// write tool always needs a signed-in caller). Tools with scopes always need one.
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::mixed("https://mcp.example.com/mcp", StaticTokens::new()).anonymous_writes(true);
    /// # drop(auth);
    /// ```
    pub fn anonymous_writes(mut self, allow: bool) -> Self {
        self.anonymous_writes = allow;
        self
    }

    /// In mixed mode, lets read-only tools run without a token even when they declare scopes
    /// (default: off, a tool with scopes always needs a token). A caller that does send a
    /// token is still held to the tool's scopes: the token says what the user granted. For
    /// connectors whose reads are public and whose scopes matter once a user signs in, as in
    /// the `tickets` example's default mode.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::mixed("https://a.example/mcp", StaticTokens::new()).anonymous_reads(true);
    /// let search = Tool::read("search").scope("tickets:read").handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    /// assert!(!auth.needs_token(&search));
    /// ```
    pub fn anonymous_reads(mut self, allow: bool) -> Self {
        self.anonymous_reads = allow;
        self
    }

    /// The mode.
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, AuthMode, StaticTokens};
    /// assert_eq!(Auth::required("https://a.example/mcp", StaticTokens::new()).mode(), AuthMode::Required);
    /// ```
    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The canonical URL of the server (the token audience).
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// assert_eq!(Auth::required("https://a.example/mcp", StaticTokens::new()).resource(), "https://a.example/mcp");
    /// ```
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Where the metadata lives, as the `resource_metadata` of challenges names it: the
    /// path-suffixed well-known URL of the resource (RFC 9728, section 3.1).
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::required("https://a.example/mcp", StaticTokens::new());
    /// assert_eq!(auth.metadata_url(), "https://a.example/.well-known/oauth-protected-resource/mcp");
    /// ```
    pub fn metadata_url(&self) -> String {
        let (origin, path) = metadata::split_url(&self.resource);
        format!("{origin}{WELL_KNOWN_PATH}{path}")
    }

    /// Whether a call of `tool` needs a verified token.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, protocol::CallToolResult};
    /// use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::mixed("https://a.example/mcp", StaticTokens::new());
    /// let read = Tool::read("list").handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    /// let write = Tool::write("close").handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    /// assert!(!auth.needs_token(&read));
    /// assert!(auth.needs_token(&write));
    /// ```
    pub fn needs_token(&self, tool: &mcp_connector_core::Tool) -> bool {
        // A scoped tool needs a token, unless it only reads and reads are anonymous.
        let public_read = tool.is_read_only() && self.anonymous_reads;
        let scoped = !tool.scopes().is_empty() && !public_read;
        let write = !tool.is_read_only() && !self.anonymous_writes;
        self.mode == AuthMode::Required || scoped || write
    }

    /// The `securitySchemes` a tool is listed with under this configuration.
    ///
    /// ```
    /// use mcp_connector_core::{Tool, auth::SecurityScheme, protocol::CallToolResult};
    /// use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// let auth = Auth::mixed("https://a.example/mcp", StaticTokens::new());
    /// let tool = Tool::write("close").scope("tickets:write").handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    /// assert_eq!(auth.security_schemes(&tool), vec![SecurityScheme::oauth2(["tickets:write"])]);
    /// ```
    pub fn security_schemes(&self, tool: &mcp_connector_core::Tool) -> Vec<SecurityScheme> {
        let oauth = SecurityScheme::OAuth2 { scopes: tool.scopes().to_vec() };
        if self.needs_token(tool) { vec![oauth] } else { vec![SecurityScheme::NoAuth, oauth] }
    }
}
