//! `tickets`: a Jira-style issue tracker in SQLite, as an MCP connector (see
//! [`examples::tickets`]).
//!
//! ```text
//! cargo run -p examples --bin tickets                                   # stdio, ./tickets.db
//! cargo run -p examples --bin tickets -- --db /tmp/t.db --http 127.0.0.1:8000
//! ```
//!
//! A fresh database is created and seeded with a few tickets on first run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, Serve};
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
}

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
    args.serve.run_to_exit("tickets", server(store)).await
}
