use mcp_core::tool;

#[tool(read)]
async fn echo<T: serde::de::DeserializeOwned + schemars::JsonSchema + ToString>(value: T) -> String {
    value.to_string()
}

#[tool(read)]
async fn show(value: impl ToString) -> String {
    value.to_string()
}

fn main() {}
