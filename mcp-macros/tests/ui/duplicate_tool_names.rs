use mcp_core::tools;

struct Tickets;

#[tools]
impl Tickets {
    #[tool(read)]
    async fn search(&self, query: String) -> String {
        query
    }

    #[tool(read, name = "search")]
    async fn search_again(&self, query: String) -> String {
        query
    }
}

fn main() {}
