//! The connector the load benchmark (`examples/bench/run.sh`) measures: two tiny tools written
//! with the macros the way a user would, and optionally filler tools so that `tools/list` has a
//! realistic length. The work inside the tools is negligible, so what a load test measures is the
//! SDK (decoding, dispatch, validation, encoding, the transport) and the HTTP stack under it.
//!
//! ```text
//! cargo run -p examples --bin bench                                       # MCP on stdin/stdout
//! cargo run -p examples --bin bench -- --http 127.0.0.1:8000              # stateless HTTP at /mcp
//! cargo run -p examples --bin bench -- --http 127.0.0.1:8000 --filler-tools 48   # 50 tools
//! ```
//!
//! Logs go to stderr and are off below `error` unless `RUST_LOG` says otherwise (the shared
//! `examples::cli::init_logging`); leave `RUST_LOG` unset when measuring, since a log line per
//! request would cost more than the request.

use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, Serve};
use mcp_core::protocol::CallToolResult;
use mcp_core::{Server, Tool, tool};
use serde_json::json;

/// Echo a message.
///
/// Returns the message unchanged.
#[tool(read, closed_world)]
async fn echo(
    /// The text to send back.
    message: String,
) -> String {
    message
}

/// Add two numbers.
///
/// Returns a + b as text.
#[tool(read, closed_world)]
async fn sum(
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
) -> String {
    (a + b).to_string()
}

/// A small tool that only exists to make `tools/list` longer: one string argument, a one-line
/// description, the same shape as a typical connector's tool. Registered with the builder,
/// since the macros declare a fixed set of tools and the count here comes from the command line.
fn filler(index: usize) -> Tool {
    Tool::read(format!("filler_{index:03}"))
        .description(format!("Filler tool number {index}: looks up a record by its key."))
        .open_world(false)
        .input_schema(json!({
            "type": "object",
            "properties": {
                "key": { "type": "string", "description": "The record's key." }
            },
            "required": ["key"]
        }))
        .handler(|_ctx, args| async move {
            let key = args.get("key").and_then(|k| k.as_str()).unwrap_or_default();
            Ok(CallToolResult::text(format!("no record {key}")))
        })
}

fn build(filler_tools: usize) -> Result<Server, mcp_core::BuildError> {
    let mut builder = Server::builder("bench", env!("CARGO_PKG_VERSION"))
        .title("Benchmark")
        .instructions("A load-test target: echo returns its message, sum adds two numbers.")
        .tool(echo::tool())
        .tool(sum::tool());
    for index in 0..filler_tools {
        builder = builder.tool(filler(index));
    }
    builder.build()
}

/// Serves the load-benchmark connector (echo, sum and optional filler tools) on stdio, or on
/// stateless streamable HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "bench", version)]
struct Args {
    /// Extra small tools to register, so `tools/list` has a realistic length (48 gives 50).
    #[arg(long, value_name = "N", default_value_t = 0)]
    filler_tools: usize,

    #[command(flatten)]
    serve: Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    args.serve.run_to_exit("bench", build(args.filler_tools)).await
}
