use mcp_connector_core::tool;

/// Search.
#[tool(read)]
async fn search(&self, query: String) -> String {
    query
}

fn main() {}
