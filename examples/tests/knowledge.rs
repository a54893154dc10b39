//! The `knowledge` connector: `search` and `fetch` in exactly the shapes ChatGPT deep research
//! reads, ranked by the full-text index.

// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use examples::knowledge::{Corpus, server};
use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};

fn corpus() -> Corpus {
    let files = vec![
        ("guide/intro.md".into(), "# Introduction\n\nA short word about connectors.".into()),
        (
            "guide/ranking.md".into(),
            "# Ranking\n\nBM25 ranking: ranking weighs rare words; ranking favours short documents.".into(),
        ),
        ("faq.md".into(), "# FAQ\n\nDoes it do ranking? Yes.\n\nSee the guide.".into()),
        ("untitled.md".into(), "no heading here, only penguins".into()),
    ];
    Corpus::from_documents("https://docs.example.com/kb", files).unwrap()
}

async fn client(corpus: Corpus) -> TestClient {
    TestClient::connect(server(corpus).unwrap()).await
}

/// Calls a tool and returns the JSON of its single text item.
async fn call_json(client: &TestClient, tool: &str, args: Value) -> Value {
    let result = client.call_tool(tool, args).await.unwrap();
    assert!(!result.failed(), "{result:?}");
    assert_eq!(result.content.len(), 1, "exactly one content item");
    assert_eq!(result.structured_content, None, "deep research reads the text item");
    serde_json::from_str(result.content[0].as_text().expect("a text item")).unwrap()
}

#[tokio::test]
async fn search_and_fetch_have_exactly_the_deep_research_signatures() {
    let client = client(corpus()).await;
    let tools = client.list_tools().await.unwrap();
    assert_eq!(tools.len(), 2);
    for (tool, arg) in tools.iter().zip(["query", "id"]) {
        assert_eq!(tool["annotations"]["readOnlyHint"], true);
        assert_eq!(tool["inputSchema"]["type"], "object");
        assert_eq!(tool["inputSchema"]["required"], json!([arg]));
        let props = tool["inputSchema"]["properties"].as_object().unwrap();
        assert_eq!(props.keys().collect::<Vec<_>>(), [arg], "{} takes exactly {arg}", tool["name"]);
        assert_eq!(props[arg]["type"], "string");
        assert!(tool.get("outputSchema").is_none());
    }
    assert_eq!(tools[0]["name"], "search");
    assert_eq!(tools[1]["name"], "fetch");
}

#[tokio::test]
async fn search_returns_ranked_results_with_absolute_urls() {
    let client = client(corpus()).await;
    let found = call_json(&client, "search", json!({"query": "ranking"})).await;
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    // The document titled "Ranking" that says it four times beats the one that says it once.
    assert_eq!(
        results[0],
        json!({"id": "guide/ranking.md", "title": "Ranking", "url": "https://docs.example.com/kb/guide/ranking.md"})
    );
    assert_eq!(results[1]["id"], "faq.md");
    for r in results {
        assert_eq!(r.as_object().unwrap().len(), 3, "id, title, url and nothing else");
    }
    let nothing = call_json(&client, "search", json!({"query": "kangaroo"})).await;
    assert_eq!(nothing, json!({"results": []}));
    // Query syntax that does not parse is searched leniently, never an error.
    let odd = call_json(&client, "search", json!({"query": "penguins AND ("})).await;
    assert_eq!(odd["results"][0]["id"], "untitled.md");
    assert_eq!(odd["results"][0]["title"], "untitled.md", "no heading: the file name");
}

#[tokio::test]
async fn fetch_returns_the_whole_document() {
    let client = client(corpus()).await;
    let doc = call_json(&client, "fetch", json!({"id": "faq.md"})).await;
    assert_eq!(doc["id"], "faq.md");
    assert_eq!(doc["title"], "FAQ");
    assert_eq!(doc["text"], "# FAQ\n\nDoes it do ranking? Yes.\n\nSee the guide.");
    assert_eq!(doc["url"], "https://docs.example.com/kb/faq.md");
    assert_eq!(doc["metadata"]["words"], 10);
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "metadata", "text", "title", "url"]);

    let missing = client.call_tool("fetch", json!({"id": "nope.md"})).await.unwrap();
    assert!(missing.failed());
    assert!(missing.content[0].as_text().unwrap().contains("use the ids that search returns"));
}

#[tokio::test]
async fn the_default_corpus_is_this_repository_s_docs() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let corpus = Corpus::load(&docs, "https://example.invalid/docs/").unwrap();
    assert!(corpus.len() >= 8, "{} documents", corpus.len());
    let client = client(corpus).await;
    let found = call_json(&client, "search", json!({"query": "ChatGPT developer mode tunnel"})).await;
    assert_eq!(found["results"][0]["id"], "chatgpt.md", "{found}");
    let quick = call_json(&client, "search", json!({"query": "first connector in five minutes"})).await;
    assert_eq!(quick["results"][0]["id"], "quickstart.md", "{quick}");
    let doc = call_json(&client, "fetch", json!({"id": "quickstart.md"})).await;
    assert!(doc["title"].as_str().unwrap().starts_with("Quickstart"));
}

#[test]
fn a_base_url_must_be_absolute() {
    let error = Corpus::from_documents("docs/", vec![("a.md".into(), "a".into())]).err().unwrap();
    assert!(error.to_string().contains("http"), "{error}");
}
