use mcp_core::tool;

#[tool(read, name = "search tickets")]
async fn search(query: String) -> String {
    query
}

#[tool(read, name = "")]
async fn nameless() -> String {
    String::new()
}

#[tool(read)]
async fn suchen_über_alles() -> String {
    String::new()
}

fn main() {}
