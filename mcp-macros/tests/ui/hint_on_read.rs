use mcp_core::tool;

#[tool(read, destructive, idempotent = false)]
async fn list_tickets() -> String {
    String::new()
}

#[tool(write, destructive, not_destructive)]
async fn purge() -> String {
    String::new()
}

fn main() {}
