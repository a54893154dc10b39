//! The connector the load benchmark (`examples/bench/run.sh`) measures: two tiny tools written
//! with the macros the way a user would, and optionally filler tools so that `tools/list` has a
//! realistic length. The work inside the tools is negligible, so what a load test measures is the
//! SDK (decoding, dispatch, validation, encoding, the transport) and the HTTP stack under it.
//!
//! ```text
//! cargo run -p examples --bin bench                                       # MCP on stdin/stdout
//! cargo run -p examples --bin bench -- --http 127.0.0.1:8000              # stateless HTTP at /mcp
//! cargo run -p examples --bin bench -- --http 127.0.0.1:8000 --filler-tools 48   # 50 tools
//! cargo run -p examples --bin bench -- --http 127.0.0.1:8000 --auth-jwt   # every request needs a JWT
//! ```
//!
//! `--auth-jwt` measures what OAuth costs a request: every request must carry a JWT access
//! token, verified by `JwtVerifier` (an ES256 signature, `iss`, `aud`, `exp`) against keys held
//! in memory, as they are once fetched and cached from a real issuer. The binary mints one token
//! at start, for its own URL, and prints `bench token: JWT` on stderr for the load generator.
//!
//! Logs go to stderr and are off below `error` unless `RUST_LOG` says otherwise (the shared
//! `examples::cli::init_logging`); leave `RUST_LOG` unset when measuring, since a log line per
//! request would cost more than the request.

use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, Serve};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::{Server, Tool, tool};
use mcp_connector_transport::auth::{Auth, JwkSet, JwtVerifier};
use mcp_connector_transport::http::HttpTransport;
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

fn build(filler_tools: usize) -> Result<Server, mcp_connector_core::BuildError> {
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

    /// Require a JWT access token on every request (prints the token to send on stderr).
    #[arg(long, requires = "http")]
    auth_jwt: bool,

    #[command(flatten)]
    serve: Serve,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    let auth_jwt = args.auth_jwt;
    args.serve
        .run_to_exit_with("bench", build(args.filler_tools), move |transport, bound| {
            if auth_jwt { with_jwt_auth(transport, bound) } else { Ok(transport) }
        })
        .await
}

/// A test key, public in this repository (the auth tests sign with it too): a benchmark token
/// protects nothing.
const BENCH_KEY: &str = include_str!("../../../mcp-transport/tests/auth_support/keys/ec.pem");

/// Requires a JWT on every request, verified against the key held in memory; mints and prints
/// a token for this server's URL, valid for a day.
fn with_jwt_auth(transport: HttpTransport, bound: std::net::SocketAddr) -> Result<HttpTransport, String> {
    let issuer = "https://bench-issuer.invalid";
    let resource = format!("http://{bound}/mcp");
    let key = EncodingKey::from_ec_pem(BENCH_KEY.as_bytes()).map_err(|e| format!("bench key: {e}"))?;
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).map_err(|e| format!("bench key: {e}"))?;
    jwk.common.key_id = Some("bench".into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("bench".into());
    header.typ = Some("at+jwt".into());
    let claims = json!({
        "iss": issuer, "aud": resource, "sub": "bench", "client_id": "wrk",
        "scope": "bench", "iat": now, "exp": now + 86_400,
    });
    let token = jsonwebtoken::encode(&header, &claims, &key).map_err(|e| format!("bench token: {e}"))?;
    eprintln!("bench token: {token}");
    let verifier = JwtVerifier::new(issuer, &resource).jwks(JwkSet { keys: vec![jwk] }).require_at_jwt(true);
    Ok(transport.auth(Auth::required(resource, verifier)))
}
