//! Each argument is taken out of the arguments object by its wire name (the generated code
//! moves the value, not a copy): two parameters with one wire name cannot both be read, so the
//! macro refuses them, on a free function and in `#[tools]` alike.
use mcp_connector_core::{tool, tools};

/// Two parameters, one wire name.
#[tool(read)]
async fn twice(#[arg(rename = "query")] first: String, query: String) -> String {
    first + &query
}

struct Search;

#[tools]
impl Search {
    /// The same in a method.
    #[tool(read)]
    async fn find(&self, text: String, #[arg(rename = "text")] other: String) -> String {
        text + &other
    }
}

fn main() {}
