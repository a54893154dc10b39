use mcp_connector_core::tool;

#[derive(serde::Deserialize)]
struct Filter {
    status: String,
}

/// Search.
#[tool(read)]
async fn search(filter: Filter) -> String {
    filter.status
}

fn main() {}
