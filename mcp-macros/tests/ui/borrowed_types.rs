use mcp_connector_core::{Context, tools};

struct Notes {
    text: String,
}

#[tools]
impl Notes {
    /// Read.
    #[tool(read)]
    fn read(&self) -> &str {
        &self.text
    }

    /// Find.
    #[tool(read)]
    async fn find(&self, needle: &str, ctx: &Context) -> String {
        let _ = ctx;
        needle.to_owned()
    }
}

fn main() {}
