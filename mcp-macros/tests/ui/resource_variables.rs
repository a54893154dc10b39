use mcp_connector_core::resource;

#[resource(uri = "tickets://{id}/comments{?page}")]
async fn comments(id: u32, author: String) -> String {
    format!("{id} {author}")
}

#[resource(uri = "tickets://{id")]
async fn broken(id: u32) -> String {
    id.to_string()
}

#[resource(uri = "tickets://{id}", complete(ticket = ids))]
async fn ticket(id: u32) -> Vec<i32> {
    vec![id as i32]
}

#[resource(mime_type = "text/plain")]
async fn no_uri() -> String {
    String::new()
}

fn main() {}
