use mcp_connector_core::tools;

struct Tickets;

#[tools]
impl Tickets {
    /// Search.
    #[tool(read)]
    async fn search(&self, query: String) -> String {
        query
    }

    /// Search again.
    #[tool(read, name = "search")]
    async fn search_again(&self, query: String) -> String {
        query
    }
}

fn main() {}
