// Each macro below reports one mistake; the code that registers what it would have produced
// still compiles, so the author sees only that mistake (no "`Tickets: IntoTools` is not
// satisfied", no "no function `tool` found for struct `search`").
use mcp_connector_core::{Server, prompt, resource, tool, tools};

struct Tickets;

#[tools]
impl Tickets {
    /// Search tickets.
    #[tool(raed)]
    async fn search(&self, query: String) -> String {
        query
    }

    /// One ticket.
    #[resource(uri = "tickets://{id}")]
    async fn ticket(&self, number: u32) -> String {
        number.to_string()
    }
}

/// Find tickets.
#[tool(reed)]
async fn find(query: String) -> String {
    query
}

/// A ticket.
#[resource(uri = "tickets://{id}")]
async fn by_id(identifier: u32) -> String {
    identifier.to_string()
}

/// Triage a ticket.
#[prompt(complete(status = statuses))]
async fn triage(id: u32) -> String {
    id.to_string()
}

/// A tool with `self` outside `#[tools]`: only the macro's error, not rustc's
/// "`self` parameter is only allowed in associated functions".
#[tool(read)]
async fn count(&self) -> String {
    self.to_string()
}

fn main() {
    let _ = Server::builder("t", "1")
        .tools(Tickets)
        .tool(find::tool())
        .tool(count::tool())
        .resource(by_id::resource())
        .prompt(triage::prompt())
        .build();
}
