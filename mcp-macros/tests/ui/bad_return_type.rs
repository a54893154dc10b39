use mcp_core::{Json, tool};

struct Ticket {
    id: u32,
}

#[tool(read)]
async fn count() -> i32 {
    3
}

#[tool(read)]
async fn ticket() -> Json<Ticket> {
    Json(Ticket { id: 1 })
}

#[tool(read)]
async fn anything() -> impl std::fmt::Display {
    3
}

fn main() {}
