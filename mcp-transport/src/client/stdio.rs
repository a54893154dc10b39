//! The client side of stdio (basic/transports/stdio): spawn the server as a child process,
//! write each message as one line of JSON to its stdin, read one message per line from its
//! stdout. Its stderr is its log; it goes to ours.
//!
//! ```no_run
//! use mcp_connector_core::client::Client;
//! use mcp_connector_transport::client::stdio;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut command = tokio::process::Command::new("notes");
//! command.arg("--stdio");
//! let client = Client::builder("my-agent", "0.1").connect(stdio::spawn(command)?).await?;
//! println!("{:?}", client.list_tools().await?);
//! client.close().await;
//! # Ok(()) }
//! ```

use std::io;
use std::process::Stdio;
use std::time::Duration;

use mcp_connector_core::client::{Connection, Incoming, Outgoing, Transport, TransportError};
use mcp_connector_core::jsonrpc::{Decoded, decode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::Mutex;

/// How long [`close`](Transport::close) waits for the server to exit after its stdin closes
/// before killing it (the spec's shutdown order: close stdin, wait, SIGTERM, SIGKILL).
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// Spawns `command` with piped stdin and stdout (stderr inherited) and connects to it. The
/// child is killed if the connection is dropped without [`close`](Transport::close).
pub fn spawn(mut command: Command) -> io::Result<Connection> {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn()?;
    let stdin = child.stdin.take().ok_or_else(|| io::Error::other("the child has no stdin"))?;
    let stdout = child.stdout.take().ok_or_else(|| io::Error::other("the child has no stdout"))?;
    Ok(Connection::with_inbound(|inbound| {
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) if line.trim().is_empty() => {}
                    Ok(Some(line)) => match decode(line.as_bytes()) {
                        Decoded::Single(Ok(message)) => {
                            if inbound.send(Incoming::Message(message)).is_err() {
                                return;
                            }
                        }
                        Decoded::Batch(messages) => {
                            for message in messages.into_iter().flatten() {
                                let _ = inbound.send(Incoming::Message(message));
                            }
                        }
                        other => {
                            tracing::warn!(?other, "the server wrote a line that is no JSON-RPC message")
                        }
                    },
                    Ok(None) => {
                        let _ = inbound.send(Incoming::Closed("the server process closed its stdout".into()));
                        return;
                    }
                    Err(error) => {
                        let _ =
                            inbound.send(Incoming::Closed(format!("reading the server's stdout: {error}")));
                        return;
                    }
                }
            }
        });
        ChildProcess { stdin: Mutex::new(Some(stdin)), child: Mutex::new(child) }
    }))
}

struct ChildProcess {
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

#[async_trait::async_trait]
impl Transport for ChildProcess {
    async fn send(&self, message: Outgoing) -> Result<(), TransportError> {
        let mut line =
            serde_json::to_vec(&message.message).map_err(|e| TransportError::new(e.to_string()))?;
        line.push(b'\n');
        let mut stdin = self.stdin.lock().await;
        let Some(stdin) = stdin.as_mut() else {
            return Err(TransportError::new("the connection to the server process is closed"));
        };
        stdin
            .write_all(&line)
            .await
            .map_err(|e| TransportError::new(format!("writing to the server: {e}")))?;
        stdin.flush().await.map_err(|e| TransportError::new(format!("writing to the server: {e}")))
    }

    async fn close(&self) {
        drop(self.stdin.lock().await.take());
        let mut child = self.child.lock().await;
        if tokio::time::timeout(EXIT_GRACE, child.wait()).await.is_err() {
            let _ = child.kill().await;
        }
    }
}
