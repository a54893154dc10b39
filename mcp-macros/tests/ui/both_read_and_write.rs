use mcp_connector_core::tool;

/// Sync tickets.
#[tool(read, write)]
async fn sync_tickets() -> String {
    String::new()
}

fn main() {}
