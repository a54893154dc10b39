use mcp_core::tool;

#[tool(read)]
async fn add((a, b): (i64, i64)) -> String {
    (a + b).to_string()
}

#[tool(read)]
async fn ignore(_: String) -> String {
    String::new()
}

fn main() {}
