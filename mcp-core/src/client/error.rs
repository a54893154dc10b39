//! What can go wrong with a call, told apart so a caller (or a gateway) can say which.

use std::fmt;
use std::time::Duration;

use crate::jsonrpc::ErrorObject;

use super::TransportError;

/// Why a client call returned no result.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a JSON-RPC error.
    Server(ErrorObject),
    /// The connection failed (refused, dropped, an HTTP status without a JSON-RPC answer).
    Transport(TransportError),
    /// No answer within the request's timeout; the request was cancelled.
    Timeout(Duration),
    /// The caller cancelled the request.
    Cancelled,
    /// The connection is closed.
    Closed(String),
    /// The server's answer does not read as what the method returns.
    Decode(String),
    /// Client and server have no protocol version in common.
    UnsupportedVersion {
        /// The versions the server listed.
        server: Vec<String>,
    },
    /// The tool ran and failed (`isError: true`); its text content.
    Tool(String),
}

impl ClientError {
    /// The JSON-RPC error code, when the server answered with one.
    ///
    /// ```
    /// use mcp_connector_core::{client::ClientError, jsonrpc::ErrorObject};
    /// let e = ClientError::Server(ErrorObject::new(-32601, "Method not found"));
    /// assert_eq!(e.code(), Some(-32601));
    /// assert_eq!(ClientError::Cancelled.code(), None);
    /// ```
    pub fn code(&self) -> Option<i64> {
        match self {
            ClientError::Server(e) => Some(e.code),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Server(e) => write!(f, "the server refused the request: {} ({})", e.message, e.code),
            ClientError::Transport(e) => write!(f, "the connection failed: {e}"),
            ClientError::Timeout(after) => write!(f, "no answer within {after:?}; the request was cancelled"),
            ClientError::Cancelled => f.write_str("the request was cancelled"),
            ClientError::Closed(why) => write!(f, "the connection is closed: {why}"),
            ClientError::Decode(why) => write!(f, "the server's answer does not read as expected: {why}"),
            ClientError::UnsupportedVersion { server } => {
                write!(f, "no protocol version in common; the server speaks {}", server.join(", "))
            }
            ClientError::Tool(text) => write!(f, "the tool failed: {text}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<TransportError> for ClientError {
    fn from(error: TransportError) -> Self {
        ClientError::Transport(error)
    }
}
