use mcp_connector_core::{Server, tool, tools};

// A plain comment is not a description.
#[tool(read)]
async fn search_tickets(query: String) -> String {
    query
}

///
#[tool(read)]
async fn empty_doc() -> String {
    String::new()
}

/// Documented: no error.
#[tool(read)]
async fn documented() -> String {
    String::new()
}

#[tool(read, description = "Said in the attribute: no error.")]
async fn described() -> String {
    String::new()
}

struct Tickets;

#[tools]
impl Tickets {
    #[tool(write, idempotent)]
    async fn close_ticket(&self, id: u32) -> String {
        id.to_string()
    }
}

fn main() {
    // Registering what the macros rejected adds no second error.
    let _ = Server::builder("t", "1")
        .tool(search_tickets::tool())
        .tool(empty_doc::tool())
        .tool(documented::tool())
        .tool(described::tool())
        .tools(Tickets)
        .build();
}
