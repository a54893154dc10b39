//! A [`Connection`] to a [`Server`] in the same process: the real protocol (JSON-RPC messages,
//! both eras, server-to-client requests, cancellation) without a process or a socket. For
//! tests, and for a connector that embeds another.
//!
//! ```
//! use mcp_connector_core::{Server, client::{Client, memory}};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = Server::builder("empty", "1").build().unwrap();
//! let client = Client::builder("t", "1").connect(memory::connect(server)).await.unwrap();
//! assert_eq!(client.details().server_info.unwrap().name, "empty");
//! // A server without tools has no `tools/list`: the error is the server's, as sent.
//! assert_eq!(client.list_tools().await.unwrap_err().code(), Some(-32601));
//! # });
//! ```

use tokio::sync::mpsc;

use super::{Connection, Incoming, Outgoing, Transport, TransportError};
use crate::{Extensions, Outbound, Server, Session};

/// Connects to `server` in this process. Must be called inside a tokio runtime.
pub fn connect(server: Server) -> Connection {
    connect_with(server, Extensions::new())
}

/// [`connect`] with values attached to every request, as a transport attaches auth claims.
///
/// ```
/// use mcp_connector_core::{Extensions, Server, client::{Client, memory}};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = Server::builder("s", "1").build().unwrap();
/// let connection = memory::connect_with(server, Extensions::new());
/// let client = Client::builder("t", "1").connect(connection).await.unwrap();
/// # let _ = client;
/// # });
/// ```
pub fn connect_with(server: Server, extensions: Extensions) -> Connection {
    Connection::with_inbound(|inbound| {
        let (outbound, mut queue) = Outbound::channel();
        let session = server.session(outbound.clone());
        // Everything the session says, answers included, goes through one queue, so a
        // request's notifications arrive before its answer, as on a wire.
        let pump = inbound.clone();
        tokio::spawn(async move {
            while let Some(message) = queue.recv().await {
                if pump.send(Incoming::Message(message)).is_err() {
                    return;
                }
            }
        });
        InProcess { session, outbound, extensions, inbound }
    })
}

struct InProcess {
    session: Session,
    outbound: Outbound,
    extensions: Extensions,
    inbound: mpsc::UnboundedSender<Incoming>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.session.close();
    }
}

#[async_trait::async_trait]
impl Transport for InProcess {
    async fn send(&self, message: Outgoing) -> Result<(), TransportError> {
        if self.inbound.is_closed() {
            return Err(TransportError::new("the client is gone"));
        }
        let session = self.session.clone();
        let outbound = self.outbound.clone();
        let extensions = self.extensions.clone();
        // Served on its own task, as a transport would: the caller's giving up cancels it
        // through `notifications/cancelled`, not by dropping the server's work mid-way.
        tokio::spawn(async move {
            if let Some(reply) = session.handle(message.message, &outbound, extensions).await {
                outbound.send(reply);
            }
        });
        Ok(())
    }

    async fn close(&self) {
        self.session.close();
        let _ = self.inbound.send(Incoming::Closed("the client closed the connection".into()));
    }
}
