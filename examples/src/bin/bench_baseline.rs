//! The baseline of the load benchmark (`examples/bench/run.sh`): bare axum on the same tokio
//! runtime as the SDK's HTTP transport, doing the least an MCP server must do. It is not an MCP
//! server; it is the physical limit of this stack (hyper, axum, serde_json, tokio) for one
//! JSON-RPC request and answer.
//!
//! `POST /mcp` parses the body as a JSON-RPC request and answers with a fixed result whose bytes
//! were serialized once at startup, with the request's `id` spliced in:
//!
//! - `tools/list`: 50 tool definitions shaped like the `bench` connector's with
//!   `--filler-tools 48` (so the two send bodies of about the same size);
//! - anything else: a `tools/call` result, one text block `"hello"`.
//!
//! A notification (no `id`) gets `202 Accepted` and no body. No header is checked, no session is
//! kept and nothing is logged.
//!
//! With `--stdio` it does the same on stdin and stdout instead (one request per line, one answer
//! per line, flushed after each, with tokio's stdin and stdout as the SDK's stdio transport
//! uses them), handling lines one after the other in a single task.
//!
//! ```text
//! cargo run --release -p examples --bin bench_baseline -- --http 127.0.0.1:0
//! cargo run --release -p examples --bin bench_baseline -- --stdio
//! ```

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

/// The parts of a JSON-RPC request the baseline looks at; the rest of the body is still parsed
/// (and checked to be valid JSON) by serde, then ignored.
#[derive(Deserialize)]
struct Request {
    /// The request id, echoed in the answer; none for a notification.
    id: Option<Value>,
    /// The method, which picks the answer.
    method: String,
}

/// The answers, serialized once.
struct Answers {
    /// `"result": ...` of a `tools/call`.
    call: Vec<u8>,
    /// `"result": ...` of a `tools/list` with 50 tools.
    list: Vec<u8>,
}

fn tool_definition(name: &str, description: &str, properties: Value, required: Value) -> Value {
    json!({
        "name": name,
        "description": description,
        "inputSchema": { "type": "object", "properties": properties, "required": required },
        "annotations": {
            "readOnlyHint": true,
            "destructiveHint": false,
            "idempotentHint": true,
            "openWorldHint": false
        }
    })
}

fn answers() -> Result<Answers, serde_json::Error> {
    let call = json!({ "content": [{ "type": "text", "text": "hello" }], "isError": false });
    let mut tools = vec![
        tool_definition(
            "echo",
            "Echo a message.\n\nReturns the message unchanged.",
            json!({ "message": { "type": "string", "description": "The text to send back." } }),
            json!(["message"]),
        ),
        tool_definition(
            "sum",
            "Add two numbers.\n\nReturns a + b as text.",
            json!({
                "a": { "type": "number", "format": "double", "description": "The first addend." },
                "b": { "type": "number", "format": "double", "description": "The second addend." }
            }),
            json!(["a", "b"]),
        ),
    ];
    for index in 0..48 {
        tools.push(tool_definition(
            &format!("filler_{index:03}"),
            &format!("Filler tool number {index}: looks up a record by its key."),
            json!({ "key": { "type": "string", "description": "The record's key." } }),
            json!(["key"]),
        ));
    }
    Ok(Answers { call: serde_json::to_vec(&call)?, list: serde_json::to_vec(&json!({ "tools": tools }))? })
}

/// What to send back for one request.
enum Answer {
    /// The serialized response.
    Response(Vec<u8>),
    /// A notification: nothing.
    Nothing,
    /// Not a JSON-RPC request.
    Invalid,
}

fn answer(answers: &Answers, body: &[u8]) -> Answer {
    let Ok(request) = serde_json::from_slice::<Request>(body) else {
        return Answer::Invalid;
    };
    let Some(id) = request.id else {
        return Answer::Nothing;
    };
    let result = if request.method == "tools/list" { &answers.list } else { &answers.call };
    let mut out = Vec::with_capacity(result.len() + 64);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    if serde_json::to_writer(&mut out, &id).is_err() {
        return Answer::Invalid;
    }
    out.extend_from_slice(br#","result":"#);
    out.extend_from_slice(result);
    out.push(b'}');
    Answer::Response(out)
}

async fn mcp(State(answers): State<Arc<Answers>>, body: Bytes) -> Response {
    match answer(&answers, &body) {
        Answer::Response(out) => ([(header::CONTENT_TYPE, "application/json")], out).into_response(),
        Answer::Nothing => StatusCode::ACCEPTED.into_response(),
        Answer::Invalid => (StatusCode::BAD_REQUEST, "not a JSON-RPC request").into_response(),
    }
}

/// Answers stdin on stdout, line by line, until stdin closes.
async fn stdio(answers: &Answers) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        if let Answer::Response(mut out) = answer(answers, line.as_bytes()) {
            out.push(b'\n');
            stdout.write_all(&out).await?;
            stdout.flush().await?;
        }
    }
    Ok(())
}

/// The load benchmark's baseline: a bare axum handler that parses the JSON-RPC body and answers
/// a fixed result (the physical limit of this stack), or the same on stdio.
#[derive(Parser)]
#[command(name = "bench_baseline", version)]
#[command(group(clap::ArgGroup::new("transport").required(true).args(["http", "stdio"])))]
struct Args {
    /// Serve HTTP at http://HOST:PORT/mcp (port 0 picks a free one, printed on stderr).
    #[arg(long, value_name = "HOST:PORT")]
    http: Option<String>,

    /// Serve newline-delimited JSON on stdin/stdout instead.
    #[arg(long)]
    stdio: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Args { http: addr, stdio: on_stdio } = Args::parse();
    let answers = match answers() {
        Ok(answers) => Arc::new(answers),
        Err(error) => {
            eprintln!("bench_baseline: {error}");
            return ExitCode::FAILURE;
        }
    };
    if on_stdio {
        return match stdio(&answers).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bench_baseline: stdio: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let Some(addr) = addr else {
        // clap's group makes one of the two required.
        return ExitCode::FAILURE;
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("bench_baseline: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => eprintln!("bench_baseline: listening on http://{bound}/mcp"),
        Err(error) => {
            eprintln!("bench_baseline: {error}");
            return ExitCode::FAILURE;
        }
    }
    let app = Router::new().route("/mcp", post(mcp)).with_state(answers);
    let shutdown = mcp_connector_transport::http::shutdown_signal();
    match axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench_baseline: {error}");
            ExitCode::FAILURE
        }
    }
}
