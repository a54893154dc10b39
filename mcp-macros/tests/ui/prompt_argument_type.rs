use mcp_connector_core::prompt;

#[prompt]
fn triage(ids: Vec<u32>) -> String {
    format!("{ids:?}")
}

#[prompt(complete(status = statuses))]
fn summarize(id: u32) -> Option<String> {
    Some(id.to_string())
}

fn main() {}
