//! `tickets`: a Jira-style issue tracker in SQLite, as an MCP connector (see
//! [`examples::tickets`]).
//!
//! ```text
//! cargo run -p examples --bin tickets                                   # stdio, ./tickets.db
//! cargo run -p examples --bin tickets -- --db /tmp/t.db --http 127.0.0.1:8000
//! ```
//!
//! A fresh database is created and seeded with a few tickets on first run.

use std::process::ExitCode;

use examples::cli::{self, Serve};
use examples::tickets::{Store, server};

const USAGE: &str = "usage: tickets [--db PATH] [--http HOST:PORT [--stateful] [--allow-host NAME]...]\n\
    Serves the tickets connector on stdio, or on streamable HTTP at http://HOST:PORT/mcp.\n\
    --db PATH          the SQLite database (default ./tickets.db; created and seeded when missing)\n\
    --allow-host NAME  also accept this Host header (the public name of a tunnel or proxy)";

#[tokio::main]
async fn main() -> ExitCode {
    cli::init_logging();
    let mut serve = Serve::default();
    let mut db = String::from("tickets.db");
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
            "--db" => match args.next() {
                Some(path) => db = path,
                None => return examples::cli::usage_error("--db needs a file path", USAGE),
            },
            other => return examples::cli::usage_error(&format!("unknown argument {other:?}"), USAGE),
        }
    }
    let store = match Store::open(&db) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("tickets: cannot open {db}: {error}");
            return ExitCode::FAILURE;
        }
    };
    serve.run_to_exit("tickets", server(store)).await
}
