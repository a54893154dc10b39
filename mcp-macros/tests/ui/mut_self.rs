use mcp_connector_core::tools;

struct Counter {
    n: u64,
}

#[tools]
impl Counter {
    /// Increment.
    #[tool(write)]
    async fn increment(&mut self) -> String {
        self.n += 1;
        self.n.to_string()
    }

    /// Reset.
    #[tool(write)]
    async fn reset(self) -> String {
        String::new()
    }
}

fn main() {}
