//! The server the official MCP conformance suite (npm `@modelcontextprotocol/conformance`)
//! tests: every fixture its 2025-11-25 and 2026-07-28 server scenarios call, from
//! [`examples::conformance_fixtures`]. One process serves both revisions, choosing per request.
//!
//! Run it on stdio (the default) or on streamable HTTP:
//!
//! ```text
//! cargo run -p examples --bin conformance
//! cargo run -p examples --bin conformance -- --http 127.0.0.1:3000   # stateful, endpoint /mcp
//! # replicas sharing sessions, SSE events, tasks and change notifications through Redis
//! MCP_STATE_KEY=... cargo run -p examples --bin conformance -- --http 127.0.0.1:3001 --redis redis://127.0.0.1:6379/
//! ```
//!
//! `interop/conformance/run.sh` starts it over HTTP and runs the suite against it, for each
//! requirement set in `CONFORMANCE_REQUIREMENTS` (CI runs 2025-11-25 and 2026-07-28).

use std::process::ExitCode;

use clap::Parser;

/// Serves the MCP conformance fixtures (2025-11-25 and 2026-07-28 server scenarios) on stdio,
/// or on streamable HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "conformance", version)]
struct Args {
    /// Serve stateful streamable HTTP at http://HOST:PORT/mcp instead of stdio.
    #[arg(long, value_name = "HOST:PORT")]
    http: Option<String>,

    /// With --http: share sessions, SSE events, tasks and change notifications with every
    /// other replica started with the same Redis (`redis://host:port/`). Replicas also need the
    /// same MCP_STATE_KEY (the key sealing request state), when it is set.
    #[arg(long, value_name = "URL", requires = "http")]
    redis: Option<String>,

    /// With --redis: how long a task belongs to the replica running it without a renewal,
    /// before the others report it failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, requires = "redis", value_parser = clap::value_parser!(u64).range(1..))]
    task_lease: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    examples::cli::init_logging();
    let redis = match &args.redis {
        Some(url) => match mcp_connector_transport::redis::Redis::connect(url).await {
            Ok(redis) => Some(redis.prefix("conformance")),
            Err(error) => {
                eprintln!("conformance: cannot reach Redis at {url}: {error}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let lease = std::time::Duration::from_secs(args.task_lease);
    let state_key = std::env::var("MCP_STATE_KEY").ok();
    let built = examples::conformance_fixtures::server_with(|mut builder| {
        if let Some(redis) = &redis {
            builder = builder.task_mirror(redis.task_mirror(), lease);
        }
        if let Some(key) = state_key {
            builder = builder.request_state_key(key);
        }
        builder
    });
    let server = match built {
        Ok(server) => server,
        Err(error) => {
            eprintln!("the conformance fixtures are invalid: {error}");
            return ExitCode::FAILURE;
        }
    };
    let served = match args.http {
        None => mcp_connector_transport::stdio::serve(server).await.map_err(|e| e.to_string()),
        Some(addr) => serve_http(server, &addr, redis).await,
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Streamable HTTP in stateful mode: the 2025-11-25 scenarios open a session with
/// `initialize`, and sampling and elicitation need one (the server asks the client mid-call and
/// the answer comes back on another POST of the same session). The transport is dual-era: a
/// 2026-07-28 request (its `_meta` names that revision) is served without a session whatever
/// the mode, and asks for input with `input_required` results instead. Host and Origin stay on
/// the transport's loopback allow-lists, which is what the suite's `dns-rebinding-protection`
/// scenario checks.
async fn serve_http(
    server: mcp_connector_core::Server,
    addr: &str,
    redis: Option<mcp_connector_transport::redis::Redis>,
) -> Result<(), String> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("conformance: serving MCP on http://{bound}{}", mcp_connector_transport::http::DEFAULT_PATH);
    let mut transport = mcp_connector_transport::http::HttpTransport::new(server.clone()).stateful(true);
    if let Some(redis) = redis {
        redis.relay_changes(&server);
        transport = transport.event_store(redis.event_store()).session_store(redis.session_store());
    }
    transport
        .serve_until(listener, mcp_connector_transport::http::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
