//! The redirect URI of a desktop app or CLI: a listener on a loopback port (RFC 8252
//! section 7.3) that receives the browser's redirect back from the authorization server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::OAuthError;
use super::interaction::{AuthorizationHandler, AuthorizationRequest, AuthorizationResponse};
use crate::client::AuthorizeError;

type Open = Box<dyn Fn(&AuthorizationRequest) -> Result<(), AuthorizeError> + Send + Sync>;

/// An [`AuthorizationHandler`] for native apps: listens on `127.0.0.1`, asks the application
/// to send the user to the authorization URL (`open`: launch a browser, print the URL), and
/// waits for the browser to come back to `http://127.0.0.1:PORT/PATH`, answering it with a
/// page saying the window can be closed.
///
/// ```no_run
/// use mcp_connector_transport::client::oauth::{LoopbackBrowser, OAuthClient};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let browser = LoopbackBrowser::bind("/callback", |request| {
///     eprintln!("Log in at {}", request.url); // or launch the system browser there
///     Ok(())
/// })
/// .await?;
/// let oauth = OAuthClient::builder("https://mcp.example.com/mcp").build(browser)?;
/// # drop(oauth); Ok(()) }
/// ```
pub struct LoopbackBrowser {
    listener: tokio::sync::Mutex<TcpListener>,
    redirect_uri: String,
    path: String,
    open: Open,
    timeout: Duration,
}

impl std::fmt::Debug for LoopbackBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackBrowser").field("redirect_uri", &self.redirect_uri).finish_non_exhaustive()
    }
}

impl LoopbackBrowser {
    /// Listens on a free port of `127.0.0.1`; the redirect URI is
    /// `http://127.0.0.1:PORT{path}`.
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::{AuthorizationHandler, LoopbackBrowser};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let browser = LoopbackBrowser::bind("/callback", |_| Ok(())).await.unwrap();
    /// assert!(browser.redirect_uri().starts_with("http://127.0.0.1:"));
    /// assert!(browser.redirect_uri().ends_with("/callback"));
    /// # });
    /// ```
    pub async fn bind<F>(path: &str, open: F) -> Result<Self, OAuthError>
    where
        F: Fn(&AuthorizationRequest) -> Result<(), AuthorizeError> + Send + Sync + 'static,
    {
        Self::bind_port(0, path, open).await
    }

    /// Listens on `127.0.0.1:port` (for an authorization server that only accepts the exact
    /// registered redirect URI, port included).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::LoopbackBrowser;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let browser = LoopbackBrowser::bind_port(0, "/cb", |_| Ok(())).await.unwrap();
    /// # drop(browser);
    /// # });
    /// ```
    pub async fn bind_port<F>(port: u16, path: &str, open: F) -> Result<Self, OAuthError>
    where
        F: Fn(&AuthorizationRequest) -> Result<(), AuthorizeError> + Send + Sync + 'static,
    {
        let path = if path.starts_with('/') { path.to_owned() } else { format!("/{path}") };
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| OAuthError::InvalidUrl {
            url: format!("http://127.0.0.1:{port}{path}"),
            reason: format!("cannot listen: {e}"),
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        Ok(LoopbackBrowser {
            listener: tokio::sync::Mutex::new(listener),
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            path,
            open: Box::new(open),
            timeout: Duration::from_secs(300),
        })
    }

    /// How long to wait for the browser to come back (default 5 minutes).
    ///
    /// ```
    /// # use mcp_connector_transport::client::oauth::LoopbackBrowser;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let browser = LoopbackBrowser::bind("/cb", |_| Ok(())).await.unwrap().timeout(std::time::Duration::from_secs(60));
    /// # drop(browser);
    /// # });
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Accepts connections until one asks for the redirect path; answers the others 404.
    async fn wait_for_redirect(&self, listener: &TcpListener) -> Result<String, AuthorizeError> {
        loop {
            let (mut stream, _) = listener.accept().await?;
            // The request head only: the browser sends a GET without a body.
            let mut head = Vec::with_capacity(1024);
            let mut buf = [0u8; 1024];
            let read = tokio::time::timeout(Duration::from_secs(10), async {
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                Ok::<_, std::io::Error>(())
            })
            .await;
            if !matches!(read, Ok(Ok(()))) {
                continue;
            }
            let head = String::from_utf8_lossy(&head);
            let target =
                head.lines().next().and_then(|line| line.split(' ').nth(1)).unwrap_or_default().to_owned();
            let target_path = target.split('?').next().unwrap_or_default();
            if target_path != self.path {
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                continue;
            }
            let page = "<!doctype html><meta charset=utf-8><title>Signed in</title><p>You can close this window.</p>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let origin = self.redirect_uri.strip_suffix(&self.path).unwrap_or(&self.redirect_uri);
            return Ok(format!("{origin}{target}"));
        }
    }
}

#[async_trait::async_trait]
impl AuthorizationHandler for LoopbackBrowser {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    async fn authorize(
        &self,
        request: &AuthorizationRequest,
    ) -> Result<AuthorizationResponse, AuthorizeError> {
        // One authorization at a time owns the listener.
        let listener = self.listener.lock().await;
        (self.open)(request)?;
        let landed = tokio::time::timeout(self.timeout, self.wait_for_redirect(&listener))
            .await
            .map_err(|_| format!("the browser did not come back to {} in time", self.redirect_uri))??;
        Ok(AuthorizationResponse::from_redirect_url(&landed)?)
    }
}
