//! The stdio transport: newline-delimited JSON-RPC on stdin and stdout.
//!
//! This is how desktop clients (Claude Desktop, Cursor, VS Code, the MCP Inspector) run a local
//! connector: they start it as a child process. Per the spec (2025-11-25, basic/transports,
//! "stdio"), each message is one line of UTF-8 JSON without embedded newlines, and the server
//! writes nothing to stdout that is not a valid MCP message. Send your logs to stderr:
//!
//! ```no_run
//! # use mcp_connector_core::Server;
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     // Logs go to stderr; stdout belongs to the protocol.
//!     tracing_subscriber::fmt().with_writer(std::io::stderr).init();
//!     let server = Server::builder("my-connector", "0.1.0").build().expect("valid server");
//!     mcp_connector_transport::stdio::serve(server).await
//! }
//! ```
//!
//! Requests are handled concurrently: a slow tool call does not hold up a `ping` behind it. A
//! line over the size limit is answered with a JSON-RPC error and skipped; the process keeps
//! serving. At end of input the server finishes the requests already in flight, writes their
//! responses and returns.

use std::io;

use mcp_connector_core::{Extensions, Outbound, Server};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Options for the stdio transport.
///
/// ```
/// let config = mcp_connector_transport::stdio::StdioConfig::default().max_message_bytes(1 << 20);
/// assert_eq!(config.max_message_bytes_limit(), 1 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct StdioConfig {
    max_message_bytes: usize,
}

impl Default for StdioConfig {
    fn default() -> Self {
        StdioConfig { max_message_bytes: 4 * 1024 * 1024 }
    }
}

impl StdioConfig {
    /// The largest line accepted, in bytes (default 4 MiB). A longer line is answered with
    /// `-32600` and dropped.
    pub fn max_message_bytes(mut self, limit: usize) -> Self {
        self.max_message_bytes = limit.max(1);
        self
    }

    /// The configured limit.
    pub fn max_message_bytes_limit(&self) -> usize {
        self.max_message_bytes
    }
}

/// Serves `server` on this process's stdin and stdout until stdin closes.
pub async fn serve(server: Server) -> io::Result<()> {
    serve_with(server, tokio::io::stdin(), tokio::io::stdout(), StdioConfig::default()).await
}

/// Serves `server` over any byte streams (a child's pipes, a Unix socket, a test duplex).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use mcp_connector_transport::stdio::{serve_with, StdioConfig};
///
/// let server = mcp_connector_core::Server::builder("demo", "1").build().unwrap();
/// let input = &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n"[..];
/// let mut output = Vec::new();
/// serve_with(server, input, &mut output, StdioConfig::default()).await.unwrap();
/// let reply: serde_json::Value = serde_json::from_slice(&output).unwrap();
/// assert_eq!(reply, serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
/// assert!(output.ends_with(b"}\n"), "one message per line");
/// # });
/// ```
pub async fn serve_with<R, W>(server: Server, reader: R, writer: W, config: StdioConfig) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (outbound, mut outbound_rx) = Outbound::channel();
    let (responses, mut responses_rx) = mpsc::unbounded_channel::<String>();
    let session = server.session(outbound.clone());
    let mut reader = BufReader::new(reader);
    let mut tasks = JoinSet::new();

    let write_loop = async {
        let mut writer = writer;
        loop {
            // Biased towards notifications: a handler queues its progress and log messages
            // before its response, so draining them first keeps that order on the wire.
            let mut line = tokio::select! {
                biased;
                Some(message) = outbound_rx.recv() => serde_json::to_vec(&message).map_err(io::Error::other)?,
                Some(json) = responses_rx.recv() => json.into_bytes(),
                else => break,
            };
            line.push(b'\n');
            writer.write_all(&line).await?;
            writer.flush().await?;
        }
        Ok::<(), io::Error>(())
    };

    let read_loop = async {
        let limit = config.max_message_bytes;
        loop {
            match read_frame(&mut reader, limit).await? {
                Frame::Eof => break,
                Frame::Line(line) => {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let session = session.clone();
                    let outbound = outbound.clone();
                    let responses = responses.clone();
                    tasks.spawn(async move {
                        if let Some(reply) =
                            session.handle_frame_json(&line, &outbound, Extensions::new()).await
                        {
                            let _ = responses.send(reply);
                        }
                    });
                }
                Frame::TooLong(size) => {
                    tracing::warn!(size, limit, "dropped an oversized message");
                    let error = mcp_connector_core::jsonrpc::Message::error(
                        None,
                        mcp_connector_core::jsonrpc::ErrorObject::new(
                            mcp_connector_core::jsonrpc::code::INVALID_REQUEST,
                            format!(
                                "Invalid Request: the message is {size} bytes, over this server's limit of {limit} bytes"
                            ),
                        ),
                    );
                    let _ = responses.send(serde_json::to_string(&error).map_err(io::Error::other)?);
                }
            }
            // Reap finished tasks so a long session does not accumulate handles.
            while tasks.try_join_next().is_some() {}
        }
        // No more input: nothing the server asks the client can be answered any more, but the
        // requests already read still deserve their responses.
        session.end_of_input();
        while tasks.join_next().await.is_some() {}
        // Dropping our senders lets the write loop drain and end.
        drop(responses);
        drop(outbound);
        session.close();
        drop(session);
        Ok::<(), io::Error>(())
    };

    // If stdout goes away there is no one left to answer: stop reading too.
    tokio::try_join!(read_loop, write_loop)?;
    Ok(())
}

enum Frame {
    Line(Vec<u8>),
    TooLong(usize),
    Eof,
}

/// Reads one newline-terminated frame without ever buffering more than `limit` bytes of it.
async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R, limit: usize) -> io::Result<Frame> {
    let mut line = Vec::new();
    let mut size = 0usize;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(match size {
                0 => Frame::Eof,
                n if n > limit => Frame::TooLong(n),
                _ => Frame::Line(line),
            });
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        size += chunk.len();
        if size <= limit {
            line.extend_from_slice(chunk);
        } else {
            line = Vec::new();
        }
        let consumed = done.unwrap_or(chunk.len());
        reader.consume(consumed);
        if done.is_some() {
            if size > limit {
                return Ok(Frame::TooLong(size));
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Frame::Line(line));
        }
    }
}
