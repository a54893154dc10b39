//! A gateway connector: several connectors behind one authenticated streamable HTTP endpoint,
//! their tools namespaced (`tickets.create_ticket`), filtered by allow and deny lists, calls
//! forwarded with progress, cancellation and elicitation, one audit trail of every write. See
//! `examples::gateway` and docs/gateway.md.
//!
//! ```text
//! cargo run -p examples --bin gateway -- --config gateway.json --http 127.0.0.1:8000
//! cargo run -p examples --bin gateway -- --config gateway.json --http 127.0.0.1:8000 \
//!     --tokens-env GATEWAY_TOKENS --auth-mode required      # the production transport's auth
//! RUST_LOG=mcp::audit=info ...                               # the audit trail on stderr
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, AuthArgs, Serve};
use examples::gateway::{Config, Gateway};

/// Serves several MCP connectors behind one endpoint.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (JSON): the upstream connectors and their lists.
    #[arg(long, value_name = "PATH")]
    config: PathBuf,

    #[command(flatten)]
    serve: Serve,

    #[command(flatten)]
    auth: AuthArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let args = Args::parse();
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gateway: {error}");
            return ExitCode::FAILURE;
        }
    };
    let built = Gateway::start(config).await.map(|g| g.server());
    let auth = args.auth;
    let allow_hosts = args.serve.allow_hosts.clone();
    args.serve
        .run_to_exit_with("gateway", built, move |transport, bound| {
            if !auth.enabled() {
                return Ok(transport);
            }
            let resource = auth.resource_for(bound, &allow_hosts);
            eprintln!("gateway: OAuth resource {resource} ({:?} mode)", auth.auth_mode);
            auth.apply(transport, &resource, &[])
        })
        .await
}
