use mcp_connector_core::{prompt, tool};

/// A header name with a space.
#[tool(read)]
async fn spaced(#[arg(header = "Data Region")] region: String) -> String {
    region
}

/// An empty header name.
#[tool(read)]
async fn empty(#[arg(header = "")] region: String) -> String {
    region
}

/// Prompts are not sent over HTTP headers.
#[prompt]
async fn greet(#[arg(header = "Name")] name: String) -> String {
    name
}

fn main() {}
