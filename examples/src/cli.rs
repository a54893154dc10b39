//! The command line the example connectors share: stdio by default, streamable HTTP with
//! `--http HOST:PORT`, logs on stderr.
//!
//! ```text
//! cargo run -p examples --bin tickets                              # stdio
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000     # http://127.0.0.1:8000/mcp
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:0        # any free port (printed)
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --allow-host abc.trycloudflare.com
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --legacy-sse   # also /sse (2024-11-05)
//! ```

use std::process::ExitCode;

use mcp_core::Server;
use mcp_transport::http::{DEFAULT_PATH, HttpTransport, shutdown_signal};

/// Where to serve: the flags every example accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serve {
    /// `--http HOST:PORT`: streamable HTTP instead of stdio.
    pub http: Option<String>,
    /// `--stateful`: HTTP sessions (needed for elicitation over HTTP).
    pub stateful: bool,
    /// `--allow-host NAME` (repeatable): a public host name a proxy or tunnel forwards, on top
    /// of the loopback names always allowed.
    pub allow_hosts: Vec<String>,
    /// `--legacy-sse`: also serve the 2024-11-05 HTTP+SSE transport at `/sse`.
    pub legacy_sse: bool,
}

impl Serve {
    /// Consumes `arg` (and its value from `rest`) when it is one of the shared flags:
    /// `Ok(true)` when it was, `Ok(false)` when the caller should look at it.
    pub fn take(&mut self, arg: &str, rest: &mut impl Iterator<Item = String>) -> Result<bool, String> {
        match arg {
            "--http" => {
                let addr = rest.next().ok_or("--http needs an address such as 127.0.0.1:8000")?;
                self.http = Some(addr);
            }
            "--stateful" => self.stateful = true,
            "--legacy-sse" => self.legacy_sse = true,
            "--allow-host" => {
                let host =
                    rest.next().ok_or("--allow-host needs a host name such as abc.trycloudflare.com")?;
                self.allow_hosts.push(host);
            }
            other => match other.strip_prefix("--http=") {
                Some(addr) => self.http = Some(addr.to_owned()),
                None => return Ok(false),
            },
        }
        Ok(true)
    }

    /// Serves `server` on stdio until stdin closes, or on HTTP until SIGINT or SIGTERM.
    ///
    /// On HTTP it prints `listening on http://ADDR/mcp` on stderr once the socket is bound, with
    /// the real port when the address asked for port 0, so scripts and tests can find it.
    pub async fn run(self, name: &str, server: Server) -> Result<(), String> {
        let Some(addr) = self.http else {
            return mcp_transport::stdio::serve(server).await.map_err(|e| format!("stdio: {e}"));
        };
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("{name}: listening on http://{bound}{DEFAULT_PATH}");
        let mut transport = HttpTransport::new(server).stateful(self.stateful).legacy_sse(self.legacy_sse);
        for host in &self.allow_hosts {
            transport = transport.allow_host(host);
        }
        transport.serve_until(listener, shutdown_signal()).await.map_err(|e| format!("http: {e}"))
    }
}

impl Serve {
    /// The tail of every example's `main`: serves what `built` produced (see [`Serve::run`]),
    /// or says why the server could not be built. Failures print as `NAME: reason` on stderr
    /// and exit with 1.
    pub async fn run_to_exit<E: std::fmt::Display>(self, name: &str, built: Result<Server, E>) -> ExitCode {
        let served = match built {
            Ok(server) => self.run(name, server).await,
            Err(error) => Err(error.to_string()),
        };
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{name}: {error}");
                ExitCode::FAILURE
            }
        }
    }
}

/// A command-line mistake: the message and the usage text on stderr, exit code 2.
pub fn usage_error(message: &str, usage: &str) -> ExitCode {
    eprintln!("{message}\n{usage}");
    ExitCode::from(2)
}

/// Sends `tracing` output to stderr (stdout may carry the protocol), filtered by `RUST_LOG`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
}
