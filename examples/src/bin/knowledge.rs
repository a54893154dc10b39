//! `knowledge`: `search` and `fetch` over a folder of Markdown files, as ChatGPT deep research
//! expects them (see [`examples::knowledge`]).
//!
//! ```text
//! cargo run -p examples --bin knowledge                        # stdio, the repo's docs/
//! cargo run -p examples --bin knowledge -- --dir ~/notes --base-url https://notes.example.com/ --http 127.0.0.1:8000
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, Serve};
use examples::knowledge::{Corpus, server};

/// Where the repository's docs live on the web, for the URLs deep research cites.
const DEFAULT_BASE_URL: &str = "https://example.invalid/mcp-rust-sdk/blob/main/docs/";

/// Serves `search` and `fetch` over the Markdown files in a folder, as ChatGPT deep research
/// expects them, on stdio or on streamable HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "knowledge", version)]
struct Args {
    /// The folder of Markdown files to index [default: this repository's docs/].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,

    /// Where the folder lives on the web: each document's URL, for citations, starts with it.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,

    #[command(flatten)]
    serve: Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    // The default is where this file was compiled, not the working directory, so
    // `cargo run -p examples --bin knowledge` finds the docs from anywhere in the repository.
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs")));
    let corpus = match Corpus::load(&dir, &args.base_url) {
        Ok(corpus) => corpus,
        Err(error) => {
            eprintln!("knowledge: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("knowledge: indexed {} documents from {}", corpus.len(), dir.display());
    args.serve.run_to_exit("knowledge", server(corpus)).await
}
