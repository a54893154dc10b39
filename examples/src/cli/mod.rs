//! The command line the example connectors share: stdio by default, streamable HTTP with
//! `--http HOST:PORT`, logs on stderr.
//!
//! ```text
//! cargo run -p examples --bin tickets                              # stdio
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000     # http://127.0.0.1:8000/mcp
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:0        # any free port (printed)
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --allow-host abc.trycloudflare.com
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --legacy-sse   # also /sse (2024-11-05)
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --metrics      # also /metrics
//! cargo run -p examples --bin tickets -- --help                    # every flag, explained
//! ```
//!
//! [`Serve`] is a [`clap::Args`] group: each binary declares its own flags in a
//! [`clap::Parser`] struct and `#[command(flatten)]`s `Serve` into it, so `--help`, error
//! messages and exit codes (2 for bad usage) come from clap, the same in every example:
//!
//! ```
//! use clap::Parser;
//! use examples::cli::Serve;
//!
//! /// A connector that serves its things on stdio or on streamable HTTP.
//! #[derive(Parser)]
//! #[command(name = "things", version)]
//! struct Args {
//!     /// How many things to serve.
//!     #[arg(long, value_name = "N", default_value_t = 3)]
//!     things: usize,
//!
//!     #[command(flatten)]
//!     serve: Serve,
//! }
//!
//! let args = Args::parse_from(["things", "--things", "5", "--http", "127.0.0.1:0", "--stateful"]);
//! assert_eq!(args.things, 5);
//! assert_eq!(args.serve.http.as_deref(), Some("127.0.0.1:0"));
//! assert!(args.serve.stateful);
//! // In `main`: `args.serve.run_to_exit("things", build(args.things)).await`.
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use mcp_connector_core::Server;
use mcp_connector_transport::http::{DEFAULT_PATH, HttpTransport, shutdown_signal};

pub use auth::{AuthArgs, AuthMode};

mod auth;

/// Where to serve: the flags every example accepts. Flatten it into a binary's own
/// [`clap::Parser`] with `#[command(flatten)]`.
///
/// Each field's doc comment is also its line in `--help`, so each is one short sentence. The
/// HTTP-only flags require `--http`: on stdio they would silently do nothing. `--allow-host`
/// names are added on top of the loopback names always allowed; `*.example.com` allows every
/// subdomain of `example.com`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Serve {
    /// Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (port 0: any free port).
    #[arg(long, value_name = "HOST:PORT")]
    pub http: Option<String>,

    /// Keep HTTP sessions (needed for elicitation and sampling over HTTP).
    #[arg(long, requires = "http")]
    pub stateful: bool,

    /// Also accept this Host header, such as a tunnel's public name (repeatable; `*.` allowed).
    #[arg(long = "allow-host", value_name = "NAME", requires = "http")]
    pub allow_hosts: Vec<String>,

    /// Also serve the older HTTP+SSE transport (2024-11-05) at /sse.
    #[arg(long, requires = "http")]
    pub legacy_sse: bool,

    /// Check the connector against what ChatGPT, Claude, Cursor and VS Code need, print what
    /// they would reject or use badly, and exit (1 when anything was found) instead of serving.
    #[arg(long, conflicts_with = "http")]
    pub check: bool,

    /// Serve Prometheus metrics at /metrics (/healthz and /readyz are always served).
    #[arg(long, requires = "http")]
    pub metrics: bool,
}

impl Serve {
    /// Serves `server` on stdio until stdin closes, or on HTTP until SIGINT or SIGTERM.
    ///
    /// On HTTP it prints `listening on http://ADDR/mcp` on stderr once the socket is bound, with
    /// the real port when the address asked for port 0, so scripts and tests can find it.
    pub async fn run(self, name: &str, server: Server) -> Result<(), String> {
        self.run_with(name, server, |transport, _| Ok(transport)).await
    }

    /// [`Serve::run`], with `configure` applied to the HTTP transport once the socket is bound
    /// (it gets the bound address, with the real port, for URLs such as the OAuth resource).
    /// Not called on stdio.
    pub async fn run_with(
        self,
        name: &str,
        server: Server,
        configure: impl FnOnce(HttpTransport, SocketAddr) -> Result<HttpTransport, String>,
    ) -> Result<(), String> {
        let Some(addr) = self.http else {
            return mcp_connector_transport::stdio::serve(server).await.map_err(|e| format!("stdio: {e}"));
        };
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("{name}: listening on http://{bound}{DEFAULT_PATH}");
        // Health checks always: every deployment probes something.
        let mut transport =
            HttpTransport::new(server).stateful(self.stateful).legacy_sse(self.legacy_sse).health(true);
        if self.metrics {
            transport = transport.metrics("/metrics");
        }
        for host in &self.allow_hosts {
            transport = transport.allow_host(host);
        }
        let transport = configure(transport, bound)?;
        transport.serve_until(listener, shutdown_signal()).await.map_err(|e| format!("http: {e}"))
    }

    /// The tail of every example's `main`: serves what `built` produced (see [`Serve::run`]),
    /// or says why the server could not be built. Failures print as `NAME: reason` on stderr
    /// and exit with 1.
    pub async fn run_to_exit<E: std::fmt::Display>(self, name: &str, built: Result<Server, E>) -> ExitCode {
        self.run_to_exit_with(name, built, |transport, _| Ok(transport)).await
    }

    /// [`Serve::run_to_exit`] with a [`run_with`](Serve::run_with) hook.
    pub async fn run_to_exit_with<E: std::fmt::Display>(
        self,
        name: &str,
        built: Result<Server, E>,
        configure: impl FnOnce(HttpTransport, SocketAddr) -> Result<HttpTransport, String>,
    ) -> ExitCode {
        let served = match built {
            Ok(server) if self.check => {
                let report = server.check();
                println!("{name}: {report}");
                return if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::FAILURE };
            }
            Ok(server) => self.run_with(name, server, configure).await,
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

/// Sends `tracing` output to stderr (stdout may carry the protocol), filtered by `RUST_LOG`.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::{CommandFactory, Parser};

    use super::Serve;

    /// `Serve` alone, as a binary with no flags of its own would declare it.
    #[derive(Debug, Parser)]
    #[command(name = "serve")]
    struct Only {
        #[command(flatten)]
        serve: Serve,
    }

    fn parse(args: &[&str]) -> Result<Serve, clap::Error> {
        Only::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).map(|only| only.serve)
    }

    #[test]
    fn the_command_is_well_formed() {
        Only::command().debug_assert();
    }

    #[test]
    fn no_flags_means_stdio() {
        assert_eq!(parse(&[]).unwrap(), Serve::default());
    }

    #[test]
    fn every_flag_and_both_value_spellings() {
        let serve = parse(&[
            "--http=127.0.0.1:0",
            "--stateful",
            "--allow-host",
            "a.example.com",
            "--allow-host=*.trycloudflare.com",
            "--legacy-sse",
            "--metrics",
        ])
        .unwrap();
        assert_eq!(
            serve,
            Serve {
                http: Some("127.0.0.1:0".into()),
                stateful: true,
                allow_hosts: vec!["a.example.com".into(), "*.trycloudflare.com".into()],
                legacy_sse: true,
                check: false,
                metrics: true,
            }
        );
    }

    #[test]
    fn check_is_instead_of_serving() {
        assert!(parse(&["--check"]).unwrap().check);
        let error = parse(&["--check", "--http", "127.0.0.1:0"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
    }

    #[test]
    fn http_only_flags_need_http() {
        for flag in
            [&["--stateful"][..], &["--legacy-sse"], &["--metrics"], &["--allow-host", "a.example.com"]]
        {
            let error = parse(flag).unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::MissingRequiredArgument, "{flag:?}");
            assert_eq!(error.exit_code(), 2);
        }
    }

    #[test]
    fn a_missing_value_or_an_unknown_flag_is_a_usage_error() {
        for args in [&["--http"][..], &["--allow-host"], &["--htp", "127.0.0.1:0"]] {
            assert_eq!(parse(args).unwrap_err().exit_code(), 2, "{args:?}");
        }
    }
}
