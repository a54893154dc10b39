use mcp_core::tool;

#[tool(read)]
async fn search(&self, query: String) -> String {
    query
}

fn main() {}
