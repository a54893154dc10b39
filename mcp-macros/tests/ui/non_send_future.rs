use std::rc::Rc;

use mcp_connector_core::tool;

/// Count.
#[tool(read)]
async fn count() -> String {
    let shared = Rc::new(3);
    tokio::task::yield_now().await;
    shared.to_string()
}

fn main() {}
