use mcp_connector_core::tool;

/// Add.
#[tool(read)]
async fn add((a, b): (i64, i64)) -> String {
    (a + b).to_string()
}

/// Ignore.
#[tool(read)]
async fn ignore(_: String) -> String {
    String::new()
}

fn main() {}
