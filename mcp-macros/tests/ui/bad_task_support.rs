use mcp_connector_core::tool;

/// Export the yearly report.
#[tool(read, task = "sometimes")]
async fn export_report() -> String {
    "exported".into()
}

/// Deploy the build.
#[tool(write, defer_task)]
async fn deploy() -> String {
    "deployed".into()
}

fn main() {}
