use mcp_connector_core::tools;

struct Tickets;

#[tools]
impl Tickets {
    async fn search(&self) -> String {
        String::new()
    }
}

trait Search {}

#[tools]
impl Search for Tickets {}

fn main() {}
