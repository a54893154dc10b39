// `#[resource]` and `#[prompt]` inside a `#[tools]` block: what they may not be.
use mcp_connector_core::{Server, prompt, resource, tools};

struct Notes;

#[tools]
impl Notes {
    /// All notes.
    #[resource(uri = "notes://all")]
    async fn all(&mut self) -> String {
        String::new()
    }

    /// One note.
    #[resource(uri = "notes://{id}")]
    async fn note(self, id: u32) -> String {
        id.to_string()
    }

    /// Summarize a note.
    #[prompt]
    #[resource(uri = "notes://summary")]
    async fn summarize(&self) -> String {
        String::new()
    }

    /// Review a note.
    #[prompt]
    async fn review(&mut self, id: u32) -> String {
        id.to_string()
    }

    /// Not an argument.
    #[prompt(complete(status = statuses))]
    async fn triage(&self, id: u32) -> String {
        id.to_string()
    }
}

/// A resource with `self` outside `#[tools]`.
#[resource(uri = "notes://latest")]
async fn latest(&self) -> String {
    String::new()
}

/// A prompt with `self` outside `#[tools]`.
#[prompt]
async fn draft(&self) -> String {
    String::new()
}

fn main() {
    let _ = Server::builder("n", "1").tools(Notes).resource(latest::resource()).prompt(draft::prompt()).build();
}
