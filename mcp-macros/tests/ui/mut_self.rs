use mcp_core::tools;

struct Counter {
    n: u64,
}

#[tools]
impl Counter {
    #[tool(write)]
    async fn increment(&mut self) -> String {
        self.n += 1;
        self.n.to_string()
    }

    #[tool(write)]
    async fn reset(self) -> String {
        String::new()
    }
}

fn main() {}
