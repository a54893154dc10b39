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

use examples::cli::{self, Serve};
use examples::workflows::{DEFAULT_STEP, Workflows, server};

const USAGE: &str = "usage: workflows [--step-ms N] [--http HOST:PORT [--stateful] [--allow-host NAME]...]\n\
    Serves the workflows connector on stdio, or on streamable HTTP at http://HOST:PORT/mcp.\n\
    --step-ms N        how long each job step takes, in milliseconds (default 1000)\n\
    --stateful         HTTP sessions: needed for purge_cache to ask the user over HTTP\n\
    --allow-host NAME  also accept this Host header (the public name of a tunnel or proxy)";

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let mut serve = Serve::default();
    let mut step = DEFAULT_STEP;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match serve.take(&arg, &mut args) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(message) => return examples::cli::usage_error(&message, USAGE),
        }
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--step-ms" => match args.next().and_then(|ms| ms.parse().ok()) {
                Some(ms) => step = Duration::from_millis(ms),
                None => return examples::cli::usage_error("--step-ms needs a number of milliseconds", USAGE),
            },
            other => return examples::cli::usage_error(&format!("unknown argument {other:?}"), USAGE),
        }
    }
    if serve.stateful && serve.http.is_none() {
        return examples::cli::usage_error("--stateful goes with --http", USAGE);
    }
    serve.run_to_exit("workflows", server(Workflows::new(step))).await
}
