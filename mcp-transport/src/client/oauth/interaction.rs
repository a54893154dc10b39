//! The one step the application owns: sending the user to the authorization URL and handing
//! back where the authorization server redirected to. A desktop app opens a browser and
//! listens on its loopback redirect URI; a CLI prints the URL; tests and the conformance
//! suite follow the redirects themselves ([`HeadlessBrowser`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use reqwest::Url;

use super::OAuthError;
use crate::client::AuthorizeError;

/// What the application must show the user: the authorization URL (with PKCE challenge,
/// `state`, `resource` and scopes already in it), and where the answer will arrive.
///
/// ```
/// use mcp_connector_transport::client::oauth::AuthorizationRequest;
/// fn show(request: &AuthorizationRequest) {
///     println!("Open {} in your browser", request.url);
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The URL to open.
    pub url: String,
    /// The registered redirect URI the authorization server will send the user back to.
    pub redirect_uri: String,
}

/// The authorization response (RFC 6749 section 4.1.2, RFC 9207 section 2): the parameters of
/// the redirect back to the client.
///
/// ```
/// use mcp_connector_transport::client::oauth::AuthorizationResponse;
/// let r = AuthorizationResponse::from_redirect_url(
///     "http://127.0.0.1:8765/callback?code=abc&state=xyz&iss=https%3A%2F%2Fas.example.com",
/// ).unwrap();
/// assert_eq!(r.code.as_deref(), Some("abc"));
/// assert_eq!(r.iss.as_deref(), Some("https://as.example.com"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationResponse {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` the client sent, echoed.
    pub state: Option<String>,
    /// The issuer of the authorization server that answered (RFC 9207).
    pub iss: Option<String>,
    /// An error code instead of a code (`access_denied`, ...).
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
}

impl AuthorizationResponse {
    /// Reads the query of the redirect URL the user agent landed on.
    ///
    /// ```
    /// use mcp_connector_transport::client::oauth::AuthorizationResponse;
    /// let r = AuthorizationResponse::from_redirect_url("http://localhost/cb?error=access_denied&state=s").unwrap();
    /// assert_eq!(r.error.as_deref(), Some("access_denied"));
    /// assert!(AuthorizationResponse::from_redirect_url("not a url").is_err());
    /// ```
    pub fn from_redirect_url(url: &str) -> Result<Self, OAuthError> {
        let parsed = Url::parse(url)
            .map_err(|e| OAuthError::InvalidUrl { url: url.to_owned(), reason: e.to_string() })?;
        let mut response = AuthorizationResponse::default();
        for (name, value) in parsed.query_pairs() {
            let slot = match name.as_ref() {
                "code" => &mut response.code,
                "state" => &mut response.state,
                "iss" => &mut response.iss,
                "error" => &mut response.error,
                "error_description" => &mut response.error_description,
                _ => continue,
            };
            // A parameter given twice makes the response ambiguous: keep none of it.
            if slot.is_some() {
                return Err(OAuthError::InvalidUrl {
                    url: url.to_owned(),
                    reason: format!("`{name}` appears twice"),
                });
            }
            *slot = Some(value.into_owned());
        }
        Ok(response)
    }
}

/// Hands the authorization step to the application. [`OAuthClient`](super::OAuthClient)
/// calls [`authorize`](Self::authorize) with the URL to open and waits for the redirect's
/// parameters; it checks `state` and `iss` itself.
///
/// ```
/// use mcp_connector_transport::client::AuthorizeError;
/// use mcp_connector_transport::client::oauth::{AuthorizationHandler, AuthorizationRequest, AuthorizationResponse};
///
/// /// Prints the URL and reads the redirect URL the user pastes back.
/// struct Terminal;
///
/// #[async_trait::async_trait]
/// impl AuthorizationHandler for Terminal {
///     fn redirect_uri(&self) -> String {
///         "http://127.0.0.1:8765/callback".into()
///     }
///     async fn authorize(&self, request: &AuthorizationRequest) -> Result<AuthorizationResponse, AuthorizeError> {
///         eprintln!("Open {} and paste the address you land on:", request.url);
///         let mut line = String::new();
///         std::io::stdin().read_line(&mut line)?;
///         Ok(AuthorizationResponse::from_redirect_url(line.trim())?)
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait AuthorizationHandler: Send + Sync + 'static {
    /// The redirect URI to register and send: a loopback URL (`http://127.0.0.1:PORT/...`) for
    /// native apps, an HTTPS URL for web apps.
    fn redirect_uri(&self) -> String;

    /// Sends the user to `request.url` and returns the parameters of the redirect back.
    async fn authorize(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<AuthorizationResponse, AuthorizeError>;
}

type CallbackFuture = Pin<Box<dyn Future<Output = Result<String, AuthorizeError>> + Send>>;

/// An [`AuthorizationHandler`] from a closure that receives the request and resolves to the
/// redirect URL the user agent landed on.
///
/// ```
/// use mcp_connector_transport::client::oauth::AuthorizationCallback;
/// let handler = AuthorizationCallback::new("http://127.0.0.1:8765/callback", |request| async move {
///     println!("Open {}", request.url);
///     // ... wait for the browser to hit the loopback listener ...
///     Ok("http://127.0.0.1:8765/callback?code=c&state=s".to_string())
/// });
/// # drop(handler);
/// ```
pub struct AuthorizationCallback {
    redirect_uri: String,
    callback: Box<dyn Fn(AuthorizationRequest) -> CallbackFuture + Send + Sync>,
}

impl std::fmt::Debug for AuthorizationCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCallback")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizationCallback {
    /// Wraps `callback`; `redirect_uri` is registered and sent with every request.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::AuthorizationCallback;
    /// let h = AuthorizationCallback::new("http://localhost:1/cb", |_| async { Err("cancelled".into()) });
    /// # drop(h);
    /// ```
    pub fn new<F, Fut>(redirect_uri: impl Into<String>, callback: F) -> Self
    where
        F: Fn(AuthorizationRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, AuthorizeError>> + Send + 'static,
    {
        AuthorizationCallback {
            redirect_uri: redirect_uri.into(),
            callback: Box::new(move |request| Box::pin(callback(request))),
        }
    }
}

#[async_trait::async_trait]
impl AuthorizationHandler for AuthorizationCallback {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    async fn authorize(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        let landed = (self.callback)(request.clone()).await?;
        Ok(AuthorizationResponse::from_redirect_url(&landed)?)
    }
}

/// Follows the authorization server's redirects with plain GET requests (keeping its
/// cookies) until one points at the redirect URI, and reads the answer from it: for
/// authorization servers that approve without a person (the conformance suite's, test
/// servers, an internal server with automatic consent). Never use it where a user must log
/// in or consent.
///
/// ```
/// use mcp_connector_transport::client::oauth::HeadlessBrowser;
/// let headless = HeadlessBrowser::new("http://127.0.0.1:9/callback");
/// # drop(headless);
/// ```
#[derive(Debug, Clone)]
pub struct HeadlessBrowser {
    redirect_uri: String,
    http: reqwest::Client,
    max_hops: usize,
}

impl HeadlessBrowser {
    /// A headless user agent whose redirect URI is `redirect_uri` (nothing needs to listen
    /// there: the redirect is read, not followed).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::HeadlessBrowser;
    /// let h = HeadlessBrowser::new("http://localhost:3000/callback");
    /// # drop(h);
    /// ```
    pub fn new(redirect_uri: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        HeadlessBrowser { redirect_uri: redirect_uri.into(), http, max_hops: 20 }
    }
}

/// Whether `location` is the redirect URI (same scheme, host, port and path).
fn lands_on(location: &Url, redirect_uri: &str) -> bool {
    Url::parse(redirect_uri).is_ok_and(|r| {
        r.scheme() == location.scheme()
            && r.host_str() == location.host_str()
            && r.port_or_known_default() == location.port_or_known_default()
            && r.path() == location.path()
    })
}

#[async_trait::async_trait]
impl AuthorizationHandler for HeadlessBrowser {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    async fn authorize(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        let mut next = Url::parse(&request.url)?;
        // Cookies per host: enough for an authorization server's login and consent session.
        let mut jar: HashMap<String, HashMap<String, String>> = HashMap::new();
        for _ in 0..self.max_hops {
            let host = next.host_str().unwrap_or_default().to_owned();
            let mut get = self.http.get(next.clone());
            if let Some(cookies) = jar.get(&host).filter(|c| !c.is_empty()) {
                let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
                get = get.header(reqwest::header::COOKIE, header.join("; "));
            }
            let response = get.send().await?;
            for set in response.headers().get_all(reqwest::header::SET_COOKIE) {
                let pair = set.to_str().unwrap_or_default().split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    jar.entry(host.clone())
                        .or_default()
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
            let status = response.status();
            let Some(location) = response.headers().get(reqwest::header::LOCATION) else {
                return Err(format!(
                    "the authorization server answered {status} at {next} without redirecting"
                )
                .into());
            };
            let location = next.join(location.to_str()?)?;
            if lands_on(&location, &self.redirect_uri) {
                return Ok(AuthorizationResponse::from_redirect_url(location.as_str())?);
            }
            next = location;
        }
        Err(format!("more than {} redirects without reaching {}", self.max_hops, self.redirect_uri).into())
    }
}

/// The handler of a client built without an interactive step: refuses to authorize.
pub(crate) struct Unattended;

#[async_trait::async_trait]
impl AuthorizationHandler for Unattended {
    fn redirect_uri(&self) -> String {
        // Registered nowhere and never visited: the client credentials grant has no redirect.
        "http://127.0.0.1/unattended".into()
    }

    async fn authorize(
        &self,
        _request: &AuthorizationRequest,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        Err("this client was built without an interactive step (build_unattended); a user authorization is needed".into())
    }
}
