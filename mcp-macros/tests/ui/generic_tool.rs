use mcp_connector_core::tool;

/// Echo.
#[tool(read)]
async fn echo<T: serde::de::DeserializeOwned + schemars::JsonSchema + ToString>(value: T) -> String {
    value.to_string()
}

/// Show.
#[tool(read)]
async fn show(value: impl ToString) -> String {
    value.to_string()
}

fn main() {}
