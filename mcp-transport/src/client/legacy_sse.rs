//! The client side of the HTTP+SSE transport of protocol 2024-11-05 (deprecated since
//! 2025-03-26, still served by older servers and some hosted ones): a GET opens an event
//! stream whose first event, `endpoint`, names the URL to POST messages to; every message
//! from the server, answers included, arrives on that stream as a `message` event.
//!
//! ```no_run
//! use mcp_connector_core::client::{Client, EraPreference};
//! use mcp_connector_transport::client::legacy_sse::LegacySseConnector;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let connection = LegacySseConnector::new("http://127.0.0.1:8000/sse").connect().await?;
//! // The transport predates the modern era: go straight to the handshake.
//! let client = Client::builder("my-agent", "0.1").era(EraPreference::Legacy).connect(connection).await?;
//! # let _ = client;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mcp_connector_core::client::{Connection, Incoming, Outgoing, Transport, TransportError};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Url};

use super::http::{Requester, messages};
use super::{Authorizer, sse};

/// How long the server may take to name its message endpoint.
const ENDPOINT_TIMEOUT: Duration = Duration::from_secs(30);

/// Configures a connection to a 2024-11-05 HTTP+SSE server.
#[derive(Clone)]
pub struct LegacySseConnector {
    url: String,
    requester: Requester,
}

impl std::fmt::Debug for LegacySseConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacySseConnector").field("url", &self.url).finish_non_exhaustive()
    }
}

impl LegacySseConnector {
    /// A connection to the event stream at `url` (often ending in `/sse`).
    pub fn new(url: impl Into<String>) -> Self {
        LegacySseConnector {
            url: url.into(),
            requester: Requester {
                client: reqwest::Client::new(),
                authorizer: None,
                headers: HeaderMap::new(),
            },
        }
    }

    /// Who supplies the `Authorization` header (as for streamable HTTP).
    pub fn authorizer(mut self, authorizer: impl Authorizer) -> Self {
        self.requester.authorizer = Some(Arc::new(authorizer));
        self
    }

    /// The `reqwest` client to send with.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.requester.client = client;
        self
    }

    /// Opens the event stream and waits for the `endpoint` event; the connection is ready
    /// once the server has named where to POST.
    pub async fn connect(self) -> Result<Connection, TransportError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        let response = self.requester.send(Method::GET, &self.url, headers, None).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(TransportError::http(status.as_u16(), "the server refused the event stream"));
        }
        let base = Url::parse(&self.url).map_err(|e| TransportError::new(format!("{}: {e}", self.url)))?;
        let mut stream = response.bytes_stream();
        let mut parser = sse::Parser::default();
        let mut early = Vec::new();
        let endpoint = tokio::time::timeout(ENDPOINT_TIMEOUT, async {
            while let Some(chunk) = stream.next().await {
                let chunk =
                    chunk.map_err(|e| TransportError::new(format!("reading the event stream: {e}")))?;
                for event in parser.feed(&chunk) {
                    if event.kind.as_deref() == Some("endpoint") {
                        let target = base
                            .join(event.data.trim())
                            .map_err(|e| TransportError::new(format!("endpoint {:?}: {e}", event.data)))?;
                        return Ok(target);
                    }
                    early.push(event);
                }
            }
            Err(TransportError::new("the event stream ended before naming an endpoint"))
        })
        .await
        .map_err(|_| TransportError::new("the server named no endpoint within 30 s"))??;
        // "the endpoint MUST be on the same origin": a server may not send our messages (and
        // credentials) elsewhere.
        if endpoint.origin() != base.origin() {
            return Err(TransportError::new(format!(
                "the endpoint {endpoint} is not on the origin of {base}"
            )));
        }
        let requester = self.requester.clone();
        Ok(Connection::with_inbound(move |inbound| {
            let reader = tokio::spawn(async move {
                let forward = |data: &str| {
                    for message in messages(data.as_bytes()) {
                        let _ = inbound.send(Incoming::Message(message));
                    }
                };
                for event in early {
                    forward(&event.data);
                }
                while let Some(Ok(chunk)) = stream.next().await {
                    for event in parser.feed(&chunk) {
                        if event.kind.is_none() || event.kind.as_deref() == Some("message") {
                            forward(&event.data);
                        }
                    }
                }
                let _ = inbound.send(Incoming::Closed("the server closed the event stream".into()));
            });
            LegacySse { requester, endpoint: endpoint.to_string(), reader: reader.abort_handle() }
        }))
    }
}

struct LegacySse {
    requester: Requester,
    endpoint: String,
    reader: tokio::task::AbortHandle,
}

impl Drop for LegacySse {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

#[async_trait::async_trait]
impl Transport for LegacySse {
    async fn send(&self, outgoing: Outgoing) -> Result<(), TransportError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let body = serde_json::to_vec(&outgoing.message).map_err(|e| TransportError::new(e.to_string()))?;
        let response = self.requester.send(Method::POST, &self.endpoint, headers, Some(body)).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(TransportError::http(status.as_u16(), if text.is_empty() { status.to_string() } else { text }))
    }

    async fn close(&self) {
        self.reader.abort();
    }
}
