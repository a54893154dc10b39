use mcp_connector_core::tool;

/// Search.
#[tool(read, name = "search tickets")]
async fn search(query: String) -> String {
    query
}

/// Nameless.
#[tool(read, name = "")]
async fn nameless() -> String {
    String::new()
}

/// Suchen über alles.
#[tool(read)]
async fn suchen_über_alles() -> String {
    String::new()
}

fn main() {}
