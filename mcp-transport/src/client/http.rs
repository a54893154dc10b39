//! The client side of streamable HTTP: one POST per message; an answer as one JSON body or as
//! an SSE stream of the request's notifications and its response; in the legacy era
//! (2025-11-25 basic/transports) the `Mcp-Session-Id` the server assigns at `initialize`, a
//! standalone GET stream for server-initiated messages, resumption of a broken stream with a
//! GET carrying `Last-Event-ID` after the server's `retry` delay, and `DELETE` on close. In the
//! modern era (2026-07-28) no session and no GET: closing a request's stream is its
//! cancellation.
//!
//! Every request gets the [`Authorizer`]'s `Authorization` header; a 401, or a 403 whose
//! `WWW-Authenticate` says `insufficient_scope`, goes to its `challenge` and, when that
//! succeeds, the request is retried once.
//!
//! ```no_run
//! use mcp_connector_core::client::Client;
//! use mcp_connector_transport::client::{BearerToken, http::HttpConnector};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let connection = HttpConnector::new("https://tickets.example.com/mcp")
//!     .authorizer(BearerToken::new(std::env::var("TICKETS_TOKEN")?))
//!     .connect();
//! let client = Client::builder("my-agent", "0.1").connect(connection).await?;
//! let result = client.call_tool("search_tickets", serde_json::json!({"query": "printer"})).await?;
//! # let _ = result;
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use mcp_connector_core::client::{Connection, Incoming, Outgoing, Transport, TransportError};
use mcp_connector_core::era::Era;
use mcp_connector_core::jsonrpc::{Decoded, Message, RequestId, decode};
use mcp_connector_core::protocol::method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::mpsc;

use super::sse;
use super::{Authorizer, Challenge};

const SESSION_ID: &str = "mcp-session-id";
const PROTOCOL_VERSION: &str = "mcp-protocol-version";
const LAST_EVENT_ID: &str = "last-event-id";
/// The reconnection delay when the server named none (the SSE format leaves it to the client).
const DEFAULT_RETRY: Duration = Duration::from_secs(1);
/// How many times a broken stream is resumed before the request is given up.
const MAX_RESUMPTIONS: usize = 5;

/// Configures a streamable HTTP connection; [`connect`](Self::connect) makes it.
#[derive(Clone)]
pub struct HttpConnector {
    url: String,
    client: Option<reqwest::Client>,
    authorizer: Option<Arc<dyn Authorizer>>,
    headers: HeaderMap,
    standalone_stream: bool,
}

impl std::fmt::Debug for HttpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConnector")
            .field("url", &self.url)
            .field("authorizer", &self.authorizer.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpConnector {
    /// A connection to the MCP endpoint at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        HttpConnector {
            url: url.into(),
            client: None,
            authorizer: None,
            headers: HeaderMap::new(),
            standalone_stream: true,
        }
    }

    /// Who supplies the `Authorization` header (a [`BearerToken`](super::BearerToken), an
    /// OAuth client).
    pub fn authorizer(mut self, authorizer: impl Authorizer) -> Self {
        self.authorizer = Some(Arc::new(authorizer));
        self
    }

    /// [`authorizer`](Self::authorizer) for one already shared.
    pub fn shared_authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// A header sent with every request (for example an API key a gateway adds). Invalid
    /// names or values are ignored with a warning.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => tracing::warn!(header = name, "ignored a header that is not valid HTTP"),
        }
        self
    }

    /// The `reqwest` client to send with (proxies, TLS roots, timeouts); default: a new one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Whether to open the legacy era's standalone GET stream for server-initiated messages
    /// after `initialize` (default: yes; a server without one answers 405 and is left alone).
    pub fn standalone_stream(mut self, open: bool) -> Self {
        self.standalone_stream = open;
        self
    }

    /// The connection. Nothing is sent until the client connects.
    pub fn connect(self) -> Connection {
        Connection::with_inbound(|inbound| StreamableHttp {
            shared: Arc::new(Shared {
                requester: Requester {
                    client: self.client.unwrap_or_default(),
                    authorizer: self.authorizer,
                    headers: self.headers,
                },
                url: self.url,
                standalone_stream: self.standalone_stream,
                inbound,
                session: Mutex::new(Session::default()),
                streams: Mutex::new(HashMap::new()),
                background: Mutex::new(Vec::new()),
            }),
        })
    }
}

/// What the legacy era remembers between requests.
#[derive(Debug, Default, Clone)]
struct Session {
    id: Option<String>,
    protocol_version: Option<String>,
}

struct Shared {
    requester: Requester,
    url: String,
    standalone_stream: bool,
    inbound: mpsc::UnboundedSender<Incoming>,
    session: Mutex<Session>,
    /// The task reading each request's SSE answer, to abort when the request is cancelled.
    streams: Mutex<HashMap<RequestId, tokio::task::AbortHandle>>,
    background: Mutex<Vec<tokio::task::AbortHandle>>,
}

struct StreamableHttp {
    shared: Arc<Shared>,
}

impl Drop for StreamableHttp {
    fn drop(&mut self) {
        self.shared.abort_all();
    }
}

#[async_trait::async_trait]
impl Transport for StreamableHttp {
    async fn send(&self, outgoing: Outgoing) -> Result<(), TransportError> {
        self.shared.post(outgoing).await
    }

    fn cancel(&self, id: &RequestId, era: Option<Era>) -> bool {
        if let Some(stream) = self.shared.streams.lock().ok().and_then(|mut s| s.remove(id)) {
            stream.abort();
        }
        // 2026-07-28: "Closing the SSE response stream MUST be treated by the server as
        // cancellation"; the legacy era wants notifications/cancelled as well.
        era == Some(Era::Modern)
    }

    async fn close(&self) {
        self.shared.abort_all();
        let session = self.shared.session();
        if let Some(id) = session.id {
            // 2025-11-25: a client that no longer needs the session SHOULD DELETE it; 405
            // means the server does not let clients end sessions.
            let mut headers = HeaderMap::new();
            insert(&mut headers, SESSION_ID, &id);
            if let Some(version) = &session.protocol_version {
                insert(&mut headers, PROTOCOL_VERSION, version);
            }
            if let Err(error) = self.shared.send(Method::DELETE, headers, None).await {
                tracing::debug!(%error, "DELETE of the session failed");
            }
        }
    }
}

impl Shared {
    fn session(&self) -> Session {
        self.session.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn abort_all(&self) {
        for stream in self
            .streams
            .lock()
            .map(|mut s| s.drain().map(|(_, h)| h).collect())
            .unwrap_or_else(|_| Vec::new())
        {
            stream.abort();
        }
        for task in self.background.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default() {
            task.abort();
        }
    }

    /// Sends one request to the MCP endpoint (see [`Requester::send`]).
    async fn send(
        &self,
        method: Method,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<Response, TransportError> {
        self.requester.send(method, &self.url, headers, body).await
    }

    async fn post(self: &Arc<Self>, outgoing: Outgoing) -> Result<(), TransportError> {
        let Outgoing { message, era, protocol_version, headers: metadata, .. } = outgoing;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        if let Some(version) = &protocol_version {
            insert(&mut headers, PROTOCOL_VERSION, version);
        }
        let session = self.session();
        let names_session = era != Some(Era::Modern) && message.method() != Some(method::INITIALIZE);
        let session_sent = match &session.id {
            Some(id) if names_session => {
                insert(&mut headers, SESSION_ID, id);
                true
            }
            _ => false,
        };
        for (name, value) in &metadata {
            insert(&mut headers, name, value);
        }
        let body = serde_json::to_vec(&message).map_err(|e| TransportError::new(e.to_string()))?;
        let response = self.send(Method::POST, headers, Some(body)).await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND && session_sent {
            // The session is gone; the next initialize starts a new one without it.
            if let Ok(mut session) = self.session.lock() {
                *session = Session::default();
            }
            return Err(TransportError::session_expired());
        }
        let request_id = match &message {
            Message::Request(r) => Some(r.id.clone()),
            _ => None,
        };
        if message.method() == Some(method::INITIALIZE)
            && status.is_success()
            && let Some(id) = response.headers().get(SESSION_ID).and_then(|v| v.to_str().ok())
            && let Ok(mut session) = self.session.lock()
        {
            session.id = Some(id.to_owned());
        }
        if message.method() == Some(method::INITIALIZED)
            && let Ok(mut session) = self.session.lock()
        {
            session.protocol_version = protocol_version.clone();
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("text/event-stream") && status.is_success() {
            let Some(id) = request_id else {
                return Ok(());
            };
            let shared = self.clone();
            let stream_id = id.clone();
            let task = tokio::spawn(async move {
                shared.read_answer(response, stream_id.clone(), era).await;
                if let Ok(mut streams) = shared.streams.lock() {
                    streams.remove(&stream_id);
                }
            });
            if let Ok(mut streams) = self.streams.lock() {
                streams.insert(id, task.abort_handle());
            }
            return Ok(());
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TransportError::http(status.as_u16(), format!("reading the answer: {e}")))?;
        let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        if let Some(id) = &request_id
            && let Some(answers) = json.as_ref().and_then(|_| jsonrpc_answers(&bytes, id))
        {
            for answer in answers {
                let _ = self.inbound.send(Incoming::Message(answer));
            }
            return Ok(());
        }
        if status.is_success() {
            if message.method() == Some(method::INITIALIZED)
                && era != Some(Era::Modern)
                && self.standalone_stream
            {
                self.open_standalone_stream().await;
            }
            if request_id.is_some() {
                return Err(TransportError::http(status.as_u16(), "the answer is no JSON-RPC message"));
            }
            return Ok(());
        }
        let text = String::from_utf8_lossy(&bytes).chars().take(500).collect::<String>();
        let error =
            TransportError::http(status.as_u16(), if text.is_empty() { status.to_string() } else { text });
        Err(match json {
            Some(body) => error.with_body(body),
            None => error,
        })
    }

    /// Reads a request's SSE answer; when the stream breaks before the response, resumes it
    /// with a GET carrying `Last-Event-ID` after the server's `retry` delay (2025-11-25
    /// "Resumability and Redelivery"; the modern era has no resumption).
    async fn read_answer(self: &Arc<Self>, response: Response, id: RequestId, era: Option<Era>) {
        let mut parser = sse::Parser::default();
        let mut response = Some(response);
        let mut resumptions = 0;
        loop {
            let Some(current) = response.take() else { break };
            if self.pump(current, &mut parser, Some(&id)).await {
                return;
            }
            if era == Some(Era::Modern) || resumptions >= MAX_RESUMPTIONS {
                break;
            }
            let Some(last_event_id) = parser.last_event_id.clone() else { break };
            resumptions += 1;
            tokio::time::sleep(parser.retry_ms.map(Duration::from_millis).unwrap_or(DEFAULT_RETRY)).await;
            match self.get_stream(Some(&last_event_id)).await {
                Ok(Some(next)) => response = Some(next),
                Ok(None) => break,
                Err(error) => {
                    let _ = self.inbound.send(Incoming::Failed { id, error });
                    return;
                }
            }
        }
        let error = TransportError::new("the answer's event stream ended before the response");
        let _ = self.inbound.send(Incoming::Failed { id, error });
    }

    /// Forwards a stream's messages; `true` once the response to `id` went by.
    async fn pump(&self, response: Response, parser: &mut sse::Parser, id: Option<&RequestId>) -> bool {
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { return false };
            for event in parser.feed(&chunk) {
                if event.data.trim().is_empty() || event.kind.as_deref().is_some_and(|k| k != "message") {
                    continue;
                }
                let mut answered = false;
                for message in messages(event.data.as_bytes()) {
                    let is_answer = match &message {
                        Message::Response(r) => Some(&r.id) == id,
                        Message::Error(e) => e.id.as_ref() == id,
                        _ => false,
                    };
                    answered |= is_answer;
                    let _ = self.inbound.send(Incoming::Message(message));
                }
                if answered {
                    return true;
                }
            }
        }
        false
    }

    /// A GET stream (standalone, or resuming after `last_event_id`): `Ok(None)` when the
    /// server offers none (405).
    async fn get_stream(&self, last_event_id: Option<&str>) -> Result<Option<Response>, TransportError> {
        let session = self.session();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        if let Some(id) = &session.id {
            insert(&mut headers, SESSION_ID, id);
        }
        if let Some(version) = &session.protocol_version {
            insert(&mut headers, PROTOCOL_VERSION, version);
        }
        if let Some(last) = last_event_id {
            insert(&mut headers, LAST_EVENT_ID, last);
        }
        let response = self.send(Method::GET, headers, None).await?;
        let status = response.status();
        let is_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
        if status.is_success() && is_stream {
            return Ok(Some(response));
        }
        if status == StatusCode::METHOD_NOT_ALLOWED || status.is_client_error() {
            return Ok(None);
        }
        Err(TransportError::http(status.as_u16(), "the server refused the event stream"))
    }

    /// The legacy era's GET stream for messages outside any request; reopened with
    /// `Last-Event-ID` when it ends, until the server refuses it. The first GET is awaited
    /// (for a few seconds at most) before the client goes on: a server that sends a request
    /// on it during the client's next call must find it open.
    async fn open_standalone_stream(self: &Arc<Self>) {
        let first = match tokio::time::timeout(Duration::from_secs(5), self.get_stream(None)).await {
            Ok(Ok(Some(response))) => Some(response),
            Ok(Ok(None)) => return,
            Ok(Err(error)) => {
                tracing::debug!(%error, "the standalone event stream failed");
                None
            }
            Err(_) => None,
        };
        let shared = self.clone();
        let task = tokio::spawn(async move {
            let mut parser = sse::Parser::default();
            let mut next = first;
            let mut attempts = 0;
            while attempts < MAX_RESUMPTIONS {
                if let Some(response) = next.take() {
                    attempts = 0;
                    shared.pump(response, &mut parser, None).await;
                }
                tokio::time::sleep(parser.retry_ms.map(Duration::from_millis).unwrap_or(DEFAULT_RETRY)).await;
                let last = parser.last_event_id.clone();
                match shared.get_stream(last.as_deref()).await {
                    Ok(Some(response)) => next = Some(response),
                    Ok(None) => return,
                    Err(error) => {
                        tracing::debug!(%error, "the standalone event stream failed");
                        attempts += 1;
                    }
                }
            }
        });
        if let Ok(mut background) = self.background.lock() {
            background.push(task.abort_handle());
        }
    }
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        (Ok(name), Ok(value)) => {
            headers.insert(name, value);
        }
        _ => tracing::warn!(header = name, "left out a header value that is not valid HTTP"),
    }
}

/// The JSON-RPC messages in a body (one, or a batch).
pub(super) fn messages(bytes: &[u8]) -> Vec<Message> {
    match decode(bytes) {
        Decoded::Single(Ok(message)) => vec![message],
        Decoded::Batch(items) => items.into_iter().flatten().collect(),
        _ => Vec::new(),
    }
}

/// The answers in a JSON body sent for request `id`: an error response without an id (what
/// a server sends when it refuses a request before reading its id) is taken as this
/// request's.
fn jsonrpc_answers(bytes: &[u8], id: &RequestId) -> Option<Vec<Message>> {
    let found: Vec<Message> = messages(bytes)
        .into_iter()
        .map(|message| match message {
            Message::Error(mut e) if e.id.is_none() => {
                e.id = Some(id.clone());
                Message::Error(e)
            }
            other => other,
        })
        .collect();
    let answers = found.iter().any(|m| matches!(m, Message::Response(_) | Message::Error(_)));
    answers.then_some(found)
}

/// Sends HTTP requests with a connection's fixed headers and its authorizer's credentials.
#[derive(Clone)]
pub(super) struct Requester {
    pub(super) client: reqwest::Client,
    pub(super) authorizer: Option<Arc<dyn Authorizer>>,
    pub(super) headers: HeaderMap,
}

impl Requester {
    /// Sends one request with the fixed and the authorizer's headers; a refusal the authorizer
    /// can fix (401, or 403 `insufficient_scope`) goes to its `challenge` and is retried once.
    pub(super) async fn send(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<Response, TransportError> {
        let mut retried = false;
        loop {
            let mut request = self
                .client
                .request(method.clone(), url)
                .headers(self.headers.clone())
                .headers(headers.clone());
            if let Some(authorizer) = &self.authorizer {
                let authorization = authorizer
                    .authorization()
                    .await
                    .map_err(|e| TransportError::new(format!("authorization: {e}")))?;
                if let Some(value) = authorization {
                    let value = HeaderValue::try_from(value).map_err(|_| {
                        TransportError::new("the authorizer's header value is not valid HTTP")
                    })?;
                    request = request.header(AUTHORIZATION, value);
                }
            }
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            let response =
                request.send().await.map_err(|e| TransportError::new(format!("{method} {url}: {e}")))?;
            let status = response.status();
            let www_authenticate: Vec<String> = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect();
            let step_up = status == StatusCode::FORBIDDEN
                && www_authenticate.iter().any(|v| v.contains("insufficient_scope"));
            match &self.authorizer {
                Some(authorizer) if !retried && (status == StatusCode::UNAUTHORIZED || step_up) => {
                    let challenge =
                        Challenge { url: url.to_owned(), status: status.as_u16(), www_authenticate };
                    authorizer.challenge(&challenge).await.map_err(|e| {
                        TransportError::http(
                            status.as_u16(),
                            format!("the server refused the credentials: {e}"),
                        )
                    })?;
                    retried = true;
                }
                _ => return Ok(response),
            }
        }
    }
}
