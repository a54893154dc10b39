//! `workflows`: long-running build and sync jobs with progress notifications, cancellation, a
//! confirmation (elicitation) before the destructive `purge_cache`, and a `runs://{id}` resource
//! per run (see [`examples::workflows`]).
//!
//! ```text
//! cargo run -p examples --bin workflows                                        # stdio
//! cargo run -p examples --bin workflows -- --http 127.0.0.1:8000 --stateful    # http://127.0.0.1:8000/mcp
//! cargo run -p examples --bin workflows -- --step-ms 200                       # faster steps
//! ```
//!
//! Each job step takes `--step-ms` milliseconds (default 1000) of real time. `purge_cache` asks
//! the user to confirm through elicitation, which over HTTP needs `--stateful` (a stateless
//! server cannot send the client a request and wait for its answer); without it, or with a
//! client that does not support elicitation, `purge_cache` refuses and deletes nothing. The
//! jobs and the build cache live in memory: a restart forgets them. Logs go to stderr.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use examples::cli::{self, Serve};
use examples::workflows::{DEFAULT_STEP, Workflows, server};

/// Serves the workflows connector (long-running build and sync jobs, a confirmed cache purge)
/// on stdio, or on streamable HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
// Said after the flags rather than in a second paragraph above, which would switch `--help`
// to clap's long layout.
#[command(
    name = "workflows",
    version,
    after_help = "Over HTTP, purge_cache can ask the user to confirm only with --stateful."
)]
struct Args {
    /// How long each job step takes, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_STEP.as_millis() as u64)]
    step_ms: u64,

    #[command(flatten)]
    serve: Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    let step = Duration::from_millis(args.step_ms);
    args.serve.run_to_exit("workflows", server(Workflows::new(step))).await
}
