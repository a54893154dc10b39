use mcp_core::tool;

#[tool(read, write)]
async fn sync_tickets() -> String {
    String::new()
}

fn main() {}
