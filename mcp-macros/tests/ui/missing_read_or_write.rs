use mcp_connector_core::tool;

/// Looks up a ticket.
#[tool]
async fn get_ticket(id: u32) -> String {
    format!("ticket {id}")
}

/// Close.
#[tool(name = "close_ticket")]
async fn close(id: u32) -> String {
    format!("closed {id}")
}

fn main() {}
