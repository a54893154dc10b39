//! The server the official MCP conformance suite (npm `@modelcontextprotocol/conformance`)
//! tests: every fixture its 2025-11-25 and 2026-07-28 server scenarios call, from
//! [`examples::conformance_fixtures`]. One process serves both revisions, choosing per request.
//!
//! Run it on stdio (the default) or on streamable HTTP:
//!
//! ```text
//! cargo run -p examples --bin conformance
//! cargo run -p examples --bin conformance -- --http 127.0.0.1:3000   # stateful, endpoint /mcp
//! ```
//!
//! `interop/conformance/run.sh` starts it over HTTP and runs the suite against it, for each
//! requirement set in `CONFORMANCE_REQUIREMENTS` (CI runs 2025-11-25 and 2026-07-28).

use std::process::ExitCode;

const USAGE: &str = "usage: conformance [--http HOST:PORT]\n\
    Serves the MCP conformance fixtures on stdio, or on streamable HTTP at http://HOST:PORT/mcp.";

#[tokio::main]
async fn main() -> ExitCode {
    // stdout may carry the protocol; logs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let mode = match parse_args(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match examples::conformance_fixtures::server() {
        Ok(server) => server,
        Err(error) => {
            eprintln!("the conformance fixtures are invalid: {error}");
            return ExitCode::FAILURE;
        }
    };
    let served = match mode {
        Mode::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Mode::Stdio => mcp_transport::stdio::serve(server).await.map_err(|e| e.to_string()),
        Mode::Http(addr) => serve_http(server, &addr).await,
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance: {error}");
            ExitCode::FAILURE
        }
    }
}

enum Mode {
    Help,
    Stdio,
    Http(String),
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Mode, String> {
    let mut mode = Mode::Stdio;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Mode::Help),
            "--http" => match args.next() {
                Some(addr) => mode = Mode::Http(addr),
                None => return Err("--http needs an address such as 127.0.0.1:3000".into()),
            },
            other => match other.strip_prefix("--http=") {
                Some(addr) => mode = Mode::Http(addr.to_owned()),
                None => return Err(format!("unknown argument {other:?}")),
            },
        }
    }
    Ok(mode)
}

/// Streamable HTTP in stateful mode: the 2025-11-25 scenarios open a session with
/// `initialize`, and sampling and elicitation need one (the server asks the client mid-call and
/// the answer comes back on another POST of the same session). The transport is dual-era: a
/// 2026-07-28 request (its `_meta` names that revision) is served without a session whatever
/// the mode, and asks for input with `input_required` results instead. Host and Origin stay on
/// the transport's loopback allow-lists, which is what the suite's `dns-rebinding-protection`
/// scenario checks.
async fn serve_http(server: mcp_core::Server, addr: &str) -> Result<(), String> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("conformance: serving MCP on http://{bound}{}", mcp_transport::http::DEFAULT_PATH);
    mcp_transport::http::HttpTransport::new(server)
        .stateful(true)
        .serve_until(listener, mcp_transport::http::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
