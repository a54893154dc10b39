//! `knowledge`: `search` and `fetch` over a folder of Markdown files, as ChatGPT deep research
//! expects them (see [`examples::knowledge`]).
//!
//! ```text
//! cargo run -p examples --bin knowledge                        # stdio, the repo's docs/
//! cargo run -p examples --bin knowledge -- --dir ~/notes --base-url https://notes.example.com/ --http 127.0.0.1:8000
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use examples::cli::{self, Serve};
use examples::knowledge::{Corpus, server};

const USAGE: &str = "usage: knowledge [--dir DIR] [--base-url URL] [--http HOST:PORT [--stateful] [--allow-host NAME]...]\n\
    Serves search and fetch over the Markdown files in DIR, on stdio or on streamable HTTP.\n\
    --dir DIR       the folder to index (default: this repository's docs/)\n\
    --base-url URL  what each document's url starts with (default: the repository's docs/ on the web)";

/// Where the repository's docs live on the web, for the URLs deep research cites.
const DEFAULT_BASE_URL: &str = "https://example.invalid/mcp-rust-sdk/blob/main/docs/";

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let mut serve = Serve::default();
    let mut dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs"));
    let mut base_url = DEFAULT_BASE_URL.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match serve.take(&arg, &mut args) {
            Ok(true) => continue,
            Ok(false) => {}
            Err(message) => return examples::cli::usage_error(&message, USAGE),
        }
        match (arg.as_str(), args.next()) {
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            ("--dir", Some(value)) => dir = PathBuf::from(value),
            ("--base-url", Some(value)) => base_url = value,
            (other, _) => {
                return examples::cli::usage_error(
                    &format!("unknown argument or missing value: {other:?}"),
                    USAGE,
                );
            }
        }
    }
    let corpus = match Corpus::load(&dir, &base_url) {
        Ok(corpus) => corpus,
        Err(error) => {
            eprintln!("knowledge: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("knowledge: indexed {} documents from {}", corpus.len(), dir.display());
    serve.run_to_exit("knowledge", server(corpus)).await
}
