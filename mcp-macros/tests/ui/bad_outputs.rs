use mcp_connector_core::{prompt, resource};

#[prompt]
fn summarize(id: u32) -> Option<String> {
    Some(id.to_string())
}

#[resource(uri = "stats://today")]
fn stats() -> u64 {
    3
}

fn main() {}
