use mcp_connector_core::tool;

/// List tickets.
#[tool(read, destructive, idempotent = false)]
async fn list_tickets() -> String {
    String::new()
}

/// Purge.
#[tool(write, destructive, not_destructive)]
async fn purge() -> String {
    String::new()
}

fn main() {}
