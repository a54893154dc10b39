//! The client the official conformance suite's client scenarios drive
//! (`conformance client --command "conformance_client"`): the suite starts a mock server per
//! scenario and runs this binary with the server's URL as its last argument, the scenario's
//! name in `MCP_CONFORMANCE_SCENARIO` and scenario data (tool calls to make, credentials) in
//! `MCP_CONFORMANCE_CONTEXT` (JSON).
//!
//! It is an ordinary client of this SDK: it negotiates the era itself (`server/discover`,
//! falling back to `initialize`), whatever revision the suite runs; only what it calls
//! depends on the scenario. `interop/conformance/run.sh client` runs every scenario.
//!
//! ```text
//! cargo run -p examples --bin conformance_client -- http://localhost:3000/mcp
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use mcp_connector_core::client::{Client, ClientError, ClientHandler};
use mcp_connector_core::jsonrpc::ErrorObject;
use mcp_connector_core::protocol::{
    Content, CreateMessageParams, CreateMessageResult, ElicitParams, ElicitResult, ListRootsResult,
    ToolDefinition,
};
use mcp_connector_transport::client::Authorizer;
use mcp_connector_transport::client::http::HttpConnector;
use mcp_connector_transport::client::oauth::{ClientCredentials, HeadlessBrowser, OAuthClient, OAuthError};
use serde_json::{Map, Value, json};

/// Runs one conformance scenario against the server at `url`.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// The MCP endpoint of the scenario's server.
    url: String,
}

/// Answers the server's questions the way a user who accepts every default would.
struct Accepting;

#[mcp_connector_core::client::async_trait]
impl ClientHandler for Accepting {
    /// SEP-1034: a client applies the form's defaults to the fields the user leaves alone.
    async fn elicit(&self, params: ElicitParams) -> Result<ElicitResult, ErrorObject> {
        Ok(ElicitResult::accept(params.defaults()))
    }

    async fn create_message(&self, _params: CreateMessageParams) -> Result<CreateMessageResult, ErrorObject> {
        Ok(CreateMessageResult::new(Content::text("This is a test response."), "conformance-client-model"))
    }

    async fn list_roots(&self) -> Result<ListRootsResult, ErrorObject> {
        Ok(ListRootsResult::new(Vec::new()))
    }
}

/// The client ID metadata document URL the suite's `auth/basic-cimd` scenario expects as
/// `client_id` (its authorization server accepts it without fetching it).
const CONFORMANCE_CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";

/// The credentials for a scenario: for the auth scenarios (`auth/*`) an [`OAuthClient`] that
/// follows the suite's auto-approving authorization server headlessly, with the
/// pre-registered credentials the scenario's context carries (`auth/pre-registration`) and a
/// client ID metadata document URL for servers that accept one; the client credentials grant
/// (with a secret or a private key JWT) for the `auth/client-credentials-*` extension
/// scenarios; none otherwise.
fn authorizer_for(
    url: &str,
    scenario: &str,
    context: &Value,
) -> Result<Option<Arc<dyn Authorizer>>, OAuthError> {
    if !scenario.starts_with("auth/") {
        return Ok(None);
    }
    let mut builder = OAuthClient::builder(url)
        .client_name("mcp-rust-sdk conformance client")
        .client_metadata_url(CONFORMANCE_CIMD_URL);
    let text = |name: &str| context.get(name).and_then(Value::as_str);
    let credentials = text("client_id").map(|client_id| {
        let mut credentials = ClientCredentials::new(client_id);
        if let Some(secret) = text("client_secret") {
            credentials = credentials.secret(secret);
        }
        if let Some(pem) = text("private_key_pem") {
            credentials = credentials.private_key_jwt(pem, text("signing_algorithm").unwrap_or("ES256"));
        }
        credentials
    });
    // The client credentials extension: a service acting on its own behalf, no user.
    match credentials {
        Some(credentials) if scenario.starts_with("auth/client-credentials-") => {
            return Ok(Some(Arc::new(builder.client_credentials(credentials).build_unattended()?)));
        }
        Some(credentials) => builder = builder.pre_registered(credentials),
        None => {}
    }
    let oauth = builder.build(HeadlessBrowser::new("http://localhost:3000/callback"))?;
    Ok(Some(Arc::new(oauth)))
}

#[tokio::main]
async fn main() -> ExitCode {
    examples::cli::init_logging();
    let args = Args::parse();
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    let context: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(Value::Null);
    match run(&args.url, &scenario, &context).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("conformance_client: {scenario}: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, scenario: &str, context: &Value) -> Result<(), ClientError> {
    let mut connector = HttpConnector::new(url);
    let authorizer = authorizer_for(url, scenario, context).map_err(|e| {
        ClientError::Transport(mcp_connector_core::client::TransportError::new(format!("OAuth client: {e}")))
    })?;
    if let Some(authorizer) = authorizer {
        connector = connector.shared_authorizer(authorizer);
    }
    let client = Client::builder("conformance-client", env!("CARGO_PKG_VERSION"))
        .capabilities(json!({"roots": {}, "sampling": {}, "elicitation": {}}))
        .handler(Accepting)
        .connect(connector.connect())
        .await?;
    let tools = client.list_tools().await?;
    match scenario {
        // SEP-2106: the tool's schema holds a network `$ref`; a client lists it and never
        // fetches it (the scenario's server serves nothing else).
        "json-schema-ref-no-deref" => {}
        // SEP-1613: the schema a client echoes back must be the one it was given, keyword
        // for keyword.
        "json-schema-2020-12-preservation" => {
            let focal = tools.iter().find(|t| t.name == "json_schema_2020_12_tool");
            let schema = focal.map(|t| Value::Object(t.input_schema.clone())).unwrap_or(Value::Null);
            attempt(&client, "json_schema_echo", json!({"schema": schema})).await;
        }
        // SEP-2243: every kind of request carries Mcp-Method, and Mcp-Name where it has one.
        "http-standard-headers" => {
            call_every(&client, &tools).await;
            for resource in client.list_resources().await? {
                if let Err(error) = client.read_resource(&resource.uri).await {
                    eprintln!("resources/read {}: {error}", resource.uri);
                }
            }
            for prompt in client.list_prompts().await? {
                if let Err(error) = client.get_prompt(&prompt.name, BTreeMap::new()).await {
                    eprintln!("prompts/get {}: {error}", prompt.name);
                }
            }
        }
        _ => match context.get("toolCalls").and_then(Value::as_array) {
            // The scenario says which calls to make (http-custom-headers).
            Some(calls) => {
                for call in calls {
                    let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
                    attempt(&client, name, call.get("arguments").cloned().unwrap_or(json!({}))).await;
                }
            }
            None => call_every(&client, &tools).await,
        },
    }
    client.close().await;
    Ok(())
}

/// Calls every listed tool with arguments made from its schema.
async fn call_every(client: &Client, tools: &[ToolDefinition]) {
    for tool in tools {
        attempt(client, &tool.name, arguments_for(tool)).await;
    }
}

/// A call whose failure is the scenario's to judge, not a reason to stop.
async fn attempt(client: &Client, name: &str, arguments: Value) {
    match client.call_tool(name, arguments).await {
        Ok(result) if result.failed() => eprintln!("tools/call {name}: the tool reported an error"),
        Ok(_) => {}
        Err(error) => eprintln!("tools/call {name}: {error}"),
    }
}

/// A value of the right type for every required property.
fn arguments_for(tool: &ToolDefinition) -> Value {
    let properties = tool.input_schema.get("properties").and_then(Value::as_object);
    let required = tool.input_schema.get("required").and_then(Value::as_array);
    let mut arguments = Map::new();
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        let kind = properties.and_then(|p| p.get(name)).and_then(|p| p.get("type")).and_then(Value::as_str);
        let value = match kind {
            Some("number" | "integer") => json!(1),
            Some("boolean") => json!(true),
            Some("object") => json!({}),
            Some("array") => json!([]),
            Some("null") => Value::Null,
            _ => json!("test"),
        };
        arguments.insert(name.to_owned(), value);
    }
    Value::Object(arguments)
}
