use mcp_connector_core::tool;

struct Database;

/// Search.
#[tool(read)]
async fn search(#[ctx] db: Database, query: String) -> String {
    let _ = db;
    query
}

fn main() {}
