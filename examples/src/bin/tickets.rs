//! `tickets`: a Jira-style issue tracker in SQLite, as an MCP connector (see
//! [`examples::tickets`]).
//!
//! ```text
//! cargo run -p examples --bin tickets                                   # stdio, ./tickets.db
//! cargo run -p examples --bin tickets -- --db /tmp/t.db --http 127.0.0.1:8000
//! # OAuth: reads anonymous, writes need a token from the issuer (or a static one)
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --auth-issuer https://login.example.com
//! TICKETS_TOKENS="$(openssl rand -hex 24) ci tickets:read tickets:write" \
//!   cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --tokens-env TICKETS_TOKENS --auth-mode required
//! ```
//!
//! Scopes: `tickets:read` (search, get), `tickets:write` (create, update, comment) and
//! `tickets:admin` (delete).
//!
//! A fresh database is created and seeded with a few tickets on first run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, AuthArgs, Serve};
use examples::tickets::{Store, server};

/// Serves the tickets connector (a Jira-style tracker in SQLite) on stdio, or on streamable
/// HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "tickets", version)]
struct Args {
    /// The SQLite database, created and seeded with a few tickets when missing.
    #[arg(long, value_name = "PATH", default_value = "tickets.db")]
    db: PathBuf,

    #[command(flatten)]
    serve: Serve,

    #[command(flatten)]
    auth: AuthArgs,
}

/// Every scope the tools declare, for the protected resource metadata.
const SCOPES: [&str; 3] = ["tickets:read", "tickets:write", "tickets:admin"];

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    let store = match Store::open(&args.db) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tickets: cannot open {}: {error}", args.db.display());
            return ExitCode::FAILURE;
        }
    };
    let auth = args.auth;
    let allow_hosts = args.serve.allow_hosts.clone();
    args.serve
        .run_to_exit_with("tickets", server(store), move |transport, bound| {
            if !auth.enabled() {
                return Ok(transport);
            }
            let resource = auth.resource_for(bound, &allow_hosts);
            eprintln!("tickets: OAuth resource {resource} ({:?} mode)", auth.auth_mode);
            auth.apply(transport, &resource, &SCOPES)
        })
        .await
}
