use mcp_connector_core::tool;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Search {
    query: String,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Paging {
    page: u32,
}

/// Search.
#[tool(read)]
async fn search(#[args] search: Search, #[args] paging: Paging) -> String {
    format!("{} {}", search.query, paging.page)
}

/// Search limited.
#[tool(read)]
async fn search_limited(#[args] search: Search, limit: u32) -> String {
    format!("{} {limit}", search.query)
}

fn main() {}
