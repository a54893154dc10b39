//! The `knowledge` connector: `search` and `fetch` over a folder of Markdown files, exactly as
//! ChatGPT deep research and company knowledge call them.
//!
//! - `search(query: string)` returns one text item whose text is
//!   `{"results": [{"id", "title", "url"}]}`, best match first, ranked by BM25 in a `tantivy`
//!   full-text index (titles weigh double).
//! - `fetch(id: string)` returns one text item whose text is
//!   `{"id", "title", "text", "url", "metadata"}`.
//!
//! Both are read-only. The results are plain text on purpose (no `outputSchema`): that is the
//! shape deep research reads.
//!
//! ```
//! use examples::knowledge::Corpus;
//!
//! let corpus = Corpus::from_documents(
//!     "https://docs.example.com/",
//!     vec![("intro.md".into(), "# Intro\n\nHello, search engines.".into())],
//! )
//! .unwrap();
//! assert_eq!(corpus.search("engines", 10).unwrap()[0].id, "intro.md");
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use mcp_connector_core::{Server, ToolError, tools};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Field, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, IndexReader, TantivyDocument, doc};

/// One Markdown file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// Its path relative to the corpus folder, with `/` separators: the id `fetch` takes.
    pub id: String,
    /// Its first `# ` heading, or its file name.
    pub title: String,
    /// The whole file.
    pub text: String,
    /// Where a person reads it: the base URL joined with the id.
    pub url: String,
}

/// One `search` hit, in the shape deep research expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// What to pass to `fetch`.
    pub id: String,
    /// The document's title.
    pub title: String,
    /// The document's URL (absolute, for citations).
    pub url: String,
}

/// The documents and their full-text index (in memory: a docs folder is small).
pub struct Corpus {
    documents: BTreeMap<String, Document>,
    index: Index,
    reader: IndexReader,
    id: Field,
    title: Field,
    body: Field,
}

/// Why the corpus could not be built or searched.
#[derive(Debug)]
pub struct CorpusError(String);

impl std::fmt::Display for CorpusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CorpusError {}

impl From<tantivy::TantivyError> for CorpusError {
    fn from(e: tantivy::TantivyError) -> Self {
        CorpusError(format!("the search index failed: {e}"))
    }
}

impl Corpus {
    /// Reads every `.md` file under `dir` (recursively) and indexes it. `base_url` must be an
    /// absolute http(s) URL; each document's URL is `base_url` + its relative path.
    pub fn load(dir: &Path, base_url: &str) -> Result<Corpus, CorpusError> {
        let mut files = Vec::new();
        collect_markdown(dir, dir, &mut files)?;
        if files.is_empty() {
            return Err(CorpusError(format!("no .md files under {}", dir.display())));
        }
        Corpus::from_documents(base_url, files)
    }

    /// Indexes `(relative path, Markdown)` pairs.
    pub fn from_documents(base_url: &str, files: Vec<(String, String)>) -> Result<Corpus, CorpusError> {
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(CorpusError(format!(
                "the base URL {base_url:?} must start with http:// or https://"
            )));
        }
        let base = if base_url.ends_with('/') { base_url.to_owned() } else { format!("{base_url}/") };
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        // One indexing thread and the smallest memory budget tantivy accepts: plenty for docs.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        let mut documents = BTreeMap::new();
        for (path, text) in files {
            let heading = text.lines().find_map(|l| l.strip_prefix("# ")).map(|t| t.trim().to_owned());
            let doc_title = heading.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_owned());
            writer
                .add_document(doc!(id => path.clone(), title => doc_title.clone(), body => text.clone()))?;
            let url = format!("{base}{path}");
            documents.insert(path.clone(), Document { id: path, title: doc_title, text, url });
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Corpus { documents, index, reader, id, title, body })
    }

    /// How many documents there are.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// The best `limit` matches for `query`, best first. Query syntax is tantivy's (words,
    /// `"phrases"`, `+required`, `-excluded`); what does not parse is searched as plain words.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Hit>, CorpusError> {
        let mut parser = QueryParser::for_index(&self.index, vec![self.title, self.body]);
        parser.set_field_boost(self.title, 2.0);
        let (parsed, _ignored) = parser.parse_query_lenient(query);
        let searcher = self.reader.searcher();
        let top = searcher.search(&parsed, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut hits = Vec::new();
        for (_score, address) in top {
            let stored: TantivyDocument = searcher.doc(address)?;
            let Some(id) = stored.get_first(self.id).and_then(|v| v.as_str()) else { continue };
            if let Some(doc) = self.documents.get(id) {
                hits.push(Hit { id: doc.id.clone(), title: doc.title.clone(), url: doc.url.clone() });
            }
        }
        Ok(hits)
    }

    /// The document with this id.
    pub fn fetch(&self, id: &str) -> Option<&Document> {
        self.documents.get(id)
    }
}

fn collect_markdown(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), CorpusError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CorpusError(format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_markdown(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CorpusError(format!("cannot read {}: {e}", path.display())))?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let id =
                relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            out.push((id, text));
        }
    }
    Ok(())
}

/// The two tools over a shared corpus.
pub struct Knowledge {
    corpus: Arc<Corpus>,
}

#[tools]
impl Knowledge {
    /// Search the knowledge base.
    ///
    /// Full-text search over the documents; returns up to 10 results as JSON
    /// `{"results": [{"id", "title", "url"}]}`, best first. Pass an id to `fetch` to read a
    /// document.
    #[tool(read, closed_world)]
    fn search(
        &self,
        /// What to look for: words, "a phrase", +required, -excluded.
        query: String,
    ) -> Result<String, ToolError> {
        let results = self.corpus.search(&query, 10)?;
        Ok(serde_json::json!({ "results": results }).to_string())
    }

    /// Fetch a document.
    ///
    /// Returns the whole document as JSON `{"id", "title", "text", "url", "metadata"}`.
    #[tool(read, closed_world)]
    fn fetch(
        &self,
        /// A document id from `search`.
        id: String,
    ) -> Result<String, ToolError> {
        let doc = self
            .corpus
            .fetch(&id)
            .ok_or_else(|| ToolError::new(format!("no document {id:?}; use the ids that search returns")))?;
        let words = doc.text.split_whitespace().count();
        Ok(serde_json::json!({
            "id": doc.id,
            "title": doc.title,
            "text": doc.text,
            "url": doc.url,
            "metadata": { "path": doc.id, "words": words, "format": "markdown" },
        })
        .to_string())
    }
}

/// The whole connector over `corpus`.
pub fn server(corpus: Corpus) -> Result<Server, mcp_connector_core::BuildError> {
    let count = corpus.len();
    Server::builder("knowledge", env!("CARGO_PKG_VERSION"))
        .title("Knowledge")
        .description(format!("Full-text search over {count} Markdown documents."))
        .instructions(
            "A knowledge base of Markdown documents. Call search with a few keywords, then fetch \
             with a result's id to read the whole document; cite its url.",
        )
        .tools(Knowledge { corpus: Arc::new(corpus) })
        .build()
}
