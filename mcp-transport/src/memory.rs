//! The in-memory transport: a server and a client in one process, joined by channels.
//!
//! Use it to embed a server in an application that also hosts the client (an agent runtime,
//! a test harness in another language binding), or to test a client against a real server
//! without a socket. For unit-testing your own tools, [`mcp_connector_core::testing::TestClient`] is
//! more convenient: it speaks the protocol for you.
//!
//! ```
//! use mcp_connector_core::jsonrpc::Message;
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let server = mcp_connector_core::Server::builder("demo", "1").build().unwrap();
//! let mut client = mcp_connector_transport::memory::connect(server);
//! client.send(Message::request(1, "ping", None)).unwrap();
//! let reply = client.recv().await.unwrap();
//! assert_eq!(reply.to_value(), json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
//! # });
//! ```

use mcp_connector_core::jsonrpc::Message;
use mcp_connector_core::{Extensions, Outbound, Server};
use tokio::sync::mpsc;

/// The client's end of an in-memory connection.
#[derive(Debug)]
pub struct ClientEnd {
    to_server: mpsc::UnboundedSender<Message>,
    from_server: mpsc::UnboundedReceiver<Message>,
}

/// The server is gone; the message was not delivered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the in-memory server has shut down")]
pub struct Disconnected(pub Message);

impl ClientEnd {
    /// Sends a message to the server.
    pub fn send(&self, message: Message) -> Result<(), Disconnected> {
        self.to_server.send(message).map_err(|e| Disconnected(e.0))
    }

    /// The next message from the server (responses, notifications, and the server's own
    /// requests), or `None` once the server has shut down.
    pub async fn recv(&mut self) -> Option<Message> {
        self.from_server.recv().await
    }
}

/// Starts serving `server` on a new in-memory connection and returns the client's end. The
/// server side runs on the current tokio runtime until the client end is dropped.
pub fn connect(server: Server) -> ClientEnd {
    connect_with(server, Extensions::new())
}

/// Like [`connect`], attaching `extensions` (such as auth claims) to every request.
pub fn connect_with(server: Server, extensions: Extensions) -> ClientEnd {
    let (to_server, mut inbox) = mpsc::unbounded_channel::<Message>();
    let (outbound, mut outbound_rx) = Outbound::channel();
    let (to_client, from_server) = mpsc::unbounded_channel::<Message>();
    let session = server.session(outbound.clone());

    tokio::spawn(async move {
        while let Some(message) = outbound_rx.recv().await {
            if to_client.send(message).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        while let Some(message) = inbox.recv().await {
            let session = session.clone();
            let outbound = outbound.clone();
            let extensions = extensions.clone();
            tokio::spawn(async move {
                // The reply goes through the same queue as the request's notifications, so it
                // never overtakes them.
                if let Some(reply) = session.handle(message, &outbound, extensions).await {
                    outbound.send(reply);
                }
            });
        }
        session.close();
    });
    ClientEnd { to_server, from_server }
}
