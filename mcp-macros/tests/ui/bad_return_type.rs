use mcp_connector_core::{Json, tool};

struct Ticket {
    id: u32,
}

/// Count.
#[tool(read)]
async fn count() -> i32 {
    3
}

/// Ticket.
#[tool(read)]
async fn ticket() -> Json<Ticket> {
    Json(Ticket { id: 1 })
}

/// Anything.
#[tool(read)]
async fn anything() -> impl std::fmt::Display {
    3
}

fn main() {}
