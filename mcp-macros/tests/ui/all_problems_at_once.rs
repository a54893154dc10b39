use mcp_connector_core::tool;

// No `read`/`write`, a borrowed argument, a tuple pattern and a generic: four errors, one compile.
/// Search.
#[tool(title = "Search")]
async fn search<T>(query: &str, (a, b): (u32, u32), _extra: T) -> String {
    format!("{query} {a} {b}")
}

fn main() {}
