use mcp_connector_core::tool;

/// Search.
#[tool(reed, descripton = "Search.")]
async fn search(#[arg(defualt = 10)] limit: u32) -> String {
    limit.to_string()
}

fn main() {}
