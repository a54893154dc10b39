use mcp_connector_core::tool;

// `confirm` and `idempotency_key` guard writes; on a read they are a mistake.
/// List tickets.
#[tool(read, confirm = preview, idempotency_key = "key")]
async fn list_tickets(key: Option<String>) -> String {
    key.unwrap_or_default()
}

// `confirm` names a function, not a string.
/// Purge.
#[tool(write, confirm = "preview")]
async fn purge() -> String {
    String::new()
}

// The preview must return the preview's text.
/// Wipe.
#[tool(write, confirm = wrong_preview)]
async fn wipe(table: String) -> String {
    table
}

async fn wrong_preview(_table: String) -> u32 {
    0
}

async fn preview(_key: Option<String>) -> String {
    String::new()
}

fn main() {}
