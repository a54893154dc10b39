//! The seam between the client and a connection: messages out ([`Outgoing`]), messages in
//! ([`Incoming`]). A connection (stdio, streamable HTTP, in-memory) implements [`Transport`]
//! and feeds what the server sends into the [`Connection`]'s inbound channel; the client never
//! sees a socket.

use std::fmt;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::era::Era;
use crate::jsonrpc::{Message, RequestId};

/// One message for the server, with what a connection needs to put it on the wire.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outgoing {
    /// The JSON-RPC message.
    pub message: Message,
    /// The era the message is spoken in; `None` while the era is being negotiated by
    /// `initialize` (legacy) and for the probe that precedes it.
    pub era: Option<Era>,
    /// The protocol version for the `MCP-Protocol-Version` HTTP header, when there is one.
    pub protocol_version: Option<String>,
    /// Request metadata headers (2026-07-28 streamable HTTP, "Request Metadata"):
    /// `Mcp-Method`, `Mcp-Name` and `Mcp-Param-{Name}`, already encoded. Empty in the legacy
    /// era; transports other than HTTP ignore them.
    pub headers: Vec<(String, String)>,
}

impl Outgoing {
    /// A message with no era, version or headers (what a test transport or a reply needs).
    ///
    /// ```
    /// use mcp_connector_core::client::Outgoing;
    /// use mcp_connector_core::jsonrpc::Message;
    /// let out = Outgoing::new(Message::notification("notifications/initialized", None));
    /// assert!(out.headers.is_empty());
    /// ```
    pub fn new(message: Message) -> Self {
        Outgoing { message, era: None, protocol_version: None, headers: Vec::new() }
    }
}

/// What a connection hands the client.
#[derive(Debug)]
#[non_exhaustive]
pub enum Incoming {
    /// A message from the server: a response, an error, a notification or a request.
    Message(Message),
    /// The connection could not deliver the answer to request `id` (a dropped stream that
    /// could not be resumed, an HTTP status without a JSON-RPC body).
    Failed {
        /// The request that will get no answer.
        id: RequestId,
        /// Why.
        error: TransportError,
    },
    /// The connection is gone for good (the child process exited, the socket closed).
    Closed(String),
}

/// A failure of the connection rather than an answer from the server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TransportError {
    /// The HTTP status, when the failure was an HTTP answer.
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// The body of that answer, when it was JSON.
    pub body: Option<Value>,
    /// The server no longer knows the session the request named (2025-11-25 streamable
    /// HTTP: 404 to a request with `Mcp-Session-Id`); the client starts a new one.
    pub session_expired: bool,
}

impl TransportError {
    /// A failure with a message only.
    ///
    /// ```
    /// let e = mcp_connector_core::client::TransportError::new("connection refused");
    /// assert_eq!(e.to_string(), "connection refused");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        TransportError { status: None, message: message.into(), body: None, session_expired: false }
    }

    /// A failure that was an HTTP answer with this status.
    ///
    /// ```
    /// let e = mcp_connector_core::client::TransportError::http(404, "no MCP endpoint here");
    /// assert_eq!(e.status, Some(404));
    /// ```
    pub fn http(status: u16, message: impl Into<String>) -> Self {
        TransportError { status: Some(status), message: message.into(), body: None, session_expired: false }
    }

    /// The session the request named is gone (HTTP 404 to a request with `Mcp-Session-Id`).
    ///
    /// ```
    /// let e = mcp_connector_core::client::TransportError::session_expired();
    /// assert!(e.session_expired);
    /// assert_eq!(e.status, Some(404));
    /// ```
    pub fn session_expired() -> Self {
        TransportError {
            status: Some(404),
            message: "the server no longer knows this session".into(),
            body: None,
            session_expired: true,
        }
    }

    /// The same failure with the JSON body the server sent.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "HTTP {status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for TransportError {}

/// A way to reach a server. Implementations deliver every message the server sends (answers,
/// notifications, requests) to the inbound sender they were made with (see [`Connection`]).
///
/// ```
/// use mcp_connector_core::client::{Connection, Incoming, Outgoing, Transport, TransportError};
///
/// /// A transport that loses everything, to show the shape.
/// struct Void;
///
/// #[async_trait::async_trait]
/// impl Transport for Void {
///     async fn send(&self, _message: Outgoing) -> Result<(), TransportError> {
///         Err(TransportError::new("nowhere to send to"))
///     }
/// }
///
/// let (connection, _inbound) = Connection::new(Void);
/// # let _ = connection;
/// ```
#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends one message. For a request, this returns once the server has taken it (the
    /// answer arrives as an [`Incoming`]); an `Err` means the request never got there or was
    /// refused without a JSON-RPC answer.
    async fn send(&self, message: Outgoing) -> Result<(), TransportError>;

    /// The caller gave up on request `id`. Returns `true` when the transport itself told the
    /// server (2026-07-28 streamable HTTP: closing the request's SSE stream is the
    /// cancellation), so the client sends no `notifications/cancelled`.
    fn cancel(&self, id: &RequestId, era: Option<Era>) -> bool {
        let _ = (id, era);
        false
    }

    /// Ends the connection (HTTP: `DELETE` of the session; stdio: closes the child's stdin).
    async fn close(&self) {}
}

/// A transport together with the channel its inbound messages arrive on: what
/// [`ClientBuilder::connect`](super::ClientBuilder::connect) takes.
pub struct Connection {
    pub(crate) transport: Box<dyn Transport>,
    pub(crate) inbound: mpsc::UnboundedReceiver<Incoming>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection over `transport` and the sender it must deliver inbound messages to.
    /// Build the transport with the sender first when it needs one:
    /// [`Connection::with_inbound`].
    pub fn new(transport: impl Transport) -> (Self, mpsc::UnboundedSender<Incoming>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Connection { transport: Box::new(transport), inbound: rx }, tx)
    }

    /// A connection whose transport is made from the inbound sender.
    ///
    /// ```
    /// use mcp_connector_core::client::{Connection, Outgoing, Transport, TransportError};
    /// # struct Echo(tokio::sync::mpsc::UnboundedSender<mcp_connector_core::client::Incoming>);
    /// # #[async_trait::async_trait]
    /// # impl Transport for Echo {
    /// #     async fn send(&self, _m: Outgoing) -> Result<(), TransportError> { Ok(()) }
    /// # }
    /// let connection = Connection::with_inbound(Echo);
    /// # let _ = connection;
    /// ```
    pub fn with_inbound<T: Transport>(make: impl FnOnce(mpsc::UnboundedSender<Incoming>) -> T) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Connection { transport: Box::new(make(tx)), inbound: rx }
    }
}
