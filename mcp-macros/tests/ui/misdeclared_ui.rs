use mcp_connector_core::{resource, tool};

#[resource(uri = "https://tickets.example/board", ui)]
fn outside_ui_scheme() -> &'static str {
    "<!doctype html>"
}

#[resource(
    uri = "ui://tickets/board",
    mime_type = "text/html",
    ui(connect_domains = ["api.tickets.example", "https://cdn.example/lib.js"], permissions = ["webcam"], border)
)]
fn board() -> &'static str {
    "<!doctype html>"
}

#[resource(uri = "ui://tickets/{id}", ui)]
fn per_ticket(id: u32) -> String {
    id.to_string()
}

/// Show board.
#[tool(read, ui = "tickets://board")]
async fn show_board() -> String {
    String::new()
}

/// Move card.
#[tool(write, visibility = "widget", invoking = "Moving the card to the column you picked, then saving the whole board again")]
async fn move_card() -> String {
    String::new()
}

fn main() {}
