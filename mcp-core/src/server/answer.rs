//! The answer to one request, on its way from the handler to the wire.
//!
//! A result stays in the form it was made in until a transport writes it: a tool call's typed
//! [`CallToolResult`], the tool definitions serialised once when the tools were registered, or a
//! `Value` for the rest. What the era adds to a result (2026-07-28: `resultType`, the server's
//! identity in `_meta`, caching hints; decided by [`Era`]) is added as it is written. A transport
//! serialises the whole JSON-RPC response once, straight into its buffer: no `Value` tree of the
//! result is built, copied and dropped on the way (the callgrind profile of a `tools/call`
//! showed that round trip as one of the largest costs of the request; see
//! `examples/bench/README.md`).

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Server, Tool};
#[cfg(doc)]
use crate::era::Era;
use crate::era::ResultFinish;
use crate::jsonrpc::{ErrorObject, JSONRPC_VERSION, Message, RequestId};
use crate::protocol::{Annotations, CacheHint, CallToolResult, Content, Meta, ResultType, meta};

/// The server's response to one request: a result or an error, ready to be written.
///
/// [`Session::answer`](crate::Session::answer) returns it. Serialise it (it implements
/// [`Serialize`]) to get the JSON-RPC response, or turn it into a [`Message`] with
/// [`Answered::into_message`].
///
/// ```
/// use mcp_connector_core::{Extensions, Outbound, Server, Tool, protocol::CallToolResult};
/// use mcp_connector_core::request::RequestEnvelope;
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = Server::builder("demo", "1.0")
///     .tool(Tool::read("ping").description("Answers pong.").handler(|_, _| async {
///         Ok(CallToolResult::text("pong"))
///     }))
///     .build()
///     .unwrap();
/// let session = server.session(Outbound::closed());
/// let frame = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ping"}}"#;
/// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
/// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
/// assert_eq!(answered.error_code(), None);
/// let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&answered).unwrap()).unwrap();
/// assert_eq!(json, json!({"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": "pong"}]}}));
/// # });
/// ```
#[derive(Debug)]
pub struct Answered {
    id: RequestId,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    Result(Finished),
    Error(ErrorObject),
}

impl Answered {
    pub(crate) fn result(id: RequestId, result: Finished) -> Self {
        Answered { id, outcome: Outcome::Result(result) }
    }

    pub(crate) fn error(id: RequestId, error: ErrorObject) -> Self {
        Answered { id, outcome: Outcome::Error(error) }
    }

    /// The id of the request this answers.
    ///
    /// ```
    /// # use mcp_connector_core::{Extensions, Outbound, Server};
    /// # use mcp_connector_core::{jsonrpc::RequestId, request::RequestEnvelope};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// # let frame = br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}"#;
    /// # let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// assert_eq!(answered.id(), &RequestId::from("a"));
    /// # });
    /// ```
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// The JSON-RPC error code, when the answer is an error response (a failed tool call is a
    /// result with `isError`, not an error response).
    ///
    /// ```
    /// # use mcp_connector_core::{Extensions, Outbound, Server};
    /// # use mcp_connector_core::request::RequestEnvelope;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// # let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// # let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// assert_eq!(answered.error_code(), Some(-32601)); // this server has no tools at all
    /// # });
    /// ```
    pub fn error_code(&self) -> Option<i64> {
        match &self.outcome {
            Outcome::Error(error) => Some(error.code),
            Outcome::Result(_) => None,
        }
    }

    /// The answer as JSON text: [`Answered::to_vec`] as a `String`, for a transport that
    /// writes text (a stdio line, a server-sent event).
    ///
    /// ```
    /// # use mcp_connector_core::{Extensions, Outbound, Server};
    /// # use mcp_connector_core::request::RequestEnvelope;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// # let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// # let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// assert_eq!(answered.to_json(), serde_json::to_string(&answered).unwrap());
    /// # });
    /// ```
    pub fn to_json(&self) -> String {
        // serde_json writes UTF-8 only.
        String::from_utf8(self.to_vec()).unwrap_or_default()
    }

    /// The answer as JSON text in UTF-8 bytes (`serde_json::to_vec`), the JSON-RPC response to
    /// write.
    ///
    /// Written into a buffer sized for the answer at the start, so that the text is not copied
    /// into a bigger buffer twice or three times on the way (as `serde_json::to_vec` does from
    /// its 128 bytes; that was a tenth of the cost of writing a 2026-07-28 answer). Bytes, not a
    /// `String`, because an HTTP body takes them as they are, and making a `String` of them
    /// would check every byte again.
    ///
    /// ```
    /// # use mcp_connector_core::{Extensions, Outbound, Server};
    /// # use mcp_connector_core::request::RequestEnvelope;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// # let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// # let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// assert!(answered.to_vec().starts_with(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601"#));
    /// # });
    /// ```
    pub fn to_vec(&self) -> Vec<u8> {
        /// Room for the envelope and a small result: most answers fit.
        const SMALL: usize = 512;
        let room = match &self.outcome {
            Outcome::Result(Finished { body: ResultBody::Tools { tools, .. }, .. }) => {
                SMALL + tools.iter().map(|tool| tool.schemas.listed.get().len() + 1).sum::<usize>()
            }
            _ => SMALL,
        };
        let mut text = Vec::with_capacity(room);
        // The envelope's own members are fixed text, written as such rather than escaped one
        // character at a time like any string (a tenth of the cost of a small answer); what
        // `Serialize` writes, byte for byte (a test compares the two).
        text.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
        let written = serde_json::to_writer(&mut text, &self.id).and_then(|()| match &self.outcome {
            Outcome::Result(result) => {
                text.extend_from_slice(br#","result":"#);
                result.write(&mut text)
            }
            Outcome::Error(error) => {
                text.extend_from_slice(br#","error":"#);
                serde_json::to_writer(&mut text, error)
            }
        });
        // Our answers always serialise: every key is a string.
        if written.is_err() {
            text.clear();
        }
        text.push(b'}');
        text
    }

    /// The answer as a [`Message`]: a response whose result is a `Value`, or an error response.
    ///
    /// ```
    /// # use mcp_connector_core::{Extensions, Outbound, Server};
    /// # use mcp_connector_core::request::RequestEnvelope;
    /// use mcp_connector_core::jsonrpc::Message;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let session = Server::builder("demo", "1.0").build().unwrap().session(Outbound::closed());
    /// # let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#;
    /// # let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// let answered = session.answer(envelope, &Outbound::closed(), Extensions::new()).await.unwrap();
    /// assert!(matches!(answered.into_message(), Message::Error(_)));
    /// # });
    /// ```
    pub fn into_message(self) -> Message {
        match self.outcome {
            Outcome::Result(Finished { body: ResultBody::Value(value), finish: None }) => {
                Message::response(self.id, value)
            }
            // Our results always serialise: every key is a string.
            Outcome::Result(result) => {
                Message::response(self.id, serde_json::to_value(&result).unwrap_or_default())
            }
            Outcome::Error(error) => Message::error(Some(self.id), error),
        }
    }
}

impl Serialize for Answered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("jsonrpc", JSONRPC_VERSION)?;
        map.serialize_entry("id", &self.id)?;
        match &self.outcome {
            Outcome::Result(result) => map.serialize_entry("result", result)?,
            Outcome::Error(error) => map.serialize_entry("error", error)?,
        }
        map.end()
    }
}

/// A handler's result as it was made.
#[derive(Debug)]
pub(crate) enum ResultBody {
    /// A result built as JSON.
    Value(Value),
    /// A tool call's result, typed until it is written.
    Tool(CallToolResult),
    /// A page of `tools/list`: each definition written from the JSON serialised when the tool
    /// was registered, not copied.
    Tools { tools: Vec<Arc<Tool>>, next_cursor: Option<String> },
}

/// A result with what its era adds to it when written.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) body: ResultBody,
    pub(crate) finish: Option<ModernFinish>,
}

/// What a 2026-07-28 result gets as it is written (the rules are [`Era::result_finish`]'s):
/// `resultType` unless it has one, the server's identity in `_meta` unless the handler put one
/// there, and, for a complete result of a cacheable method, the caching hint unless it carries
/// its own.
#[derive(Debug)]
pub(crate) struct ModernFinish {
    pub(crate) server: Server,
    /// The caching hint, for a method whose results are cacheable.
    pub(crate) cache: Option<CacheHint>,
}

impl Finished {
    /// `body` with what `finish` (the era's decision, [`Era::result_finish`]) adds to it when
    /// written. `cache` is the hint of the thing read, when it has its own (a resource's);
    /// otherwise the server's.
    pub(crate) fn new(
        body: ResultBody,
        finish: Option<ResultFinish>,
        server: &Server,
        cache: Option<CacheHint>,
    ) -> Self {
        let finish = finish.map(|finish| ModernFinish {
            server: server.clone(),
            cache: finish.cacheable.then(|| cache.unwrap_or(server.cache_hint())),
        });
        Finished { body, finish }
    }
}

impl Finished {
    /// Writes the result as JSON text: what its `Serialize` writes, byte for byte (a test
    /// compares the two). A tool call's result, the answer to almost every request, has its
    /// member names and the era's fields written as the fixed text they are, rather than
    /// escaped one character at a time like any string: that was ~500 instructions of every
    /// modern call, ~200 of a legacy one.
    fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let ResultBody::Tool(result) = &self.body else {
            return serde_json::to_writer(out, self);
        };
        // Every field by name, as `CallToolResult`'s serde attributes write them (see
        // `ModernToolResult`).
        let CallToolResult { content, structured_content, is_error, meta } = result;
        out.extend_from_slice(br#"{"content":"#);
        write_content(content, out)?;
        if let Some(structured) = structured_content {
            out.extend_from_slice(br#","structuredContent":"#);
            serde_json::to_writer(&mut *out, structured)?;
        }
        match is_error {
            Some(true) => out.extend_from_slice(br#","isError":true"#),
            Some(false) => out.extend_from_slice(br#","isError":false"#),
            None => {}
        }
        match &self.finish {
            Some(finish) => finish.write_text(meta.as_ref(), out)?,
            None => {
                if let Some(meta) = meta {
                    out.extend_from_slice(br#","_meta":"#);
                    serde_json::to_writer(&mut *out, meta)?;
                }
            }
        }
        out.push(b'}');
        Ok(())
    }
}

/// Writes a tool result's content blocks as JSON text: what `Content`'s serde derive writes,
/// byte for byte (a test compares the two). The blocks a tool returns almost always (text, and
/// images and audio) have their fixed member names written as the text they are and only their
/// strings escaped: serde_json escapes every member name one character at a time like any
/// string, ~600 instructions of a one-block text result. The rest (resource links, embedded
/// resources, and any kind added later) go through serde.
fn write_content(content: &[Content], out: &mut Vec<u8>) -> serde_json::Result<()> {
    out.push(b'[');
    for (index, block) in content.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        // Every field by name, in the order the derive writes them (after the `type` tag): a
        // field added to a variant stops this from compiling until it is written here too.
        match block {
            Content::Text { text, annotations, meta } => {
                out.extend_from_slice(br#"{"type":"text","text":"#);
                serde_json::to_writer(&mut *out, text.as_str())?;
                write_hints(annotations.as_ref(), meta.as_ref(), out)?;
            }
            Content::Image { data, mime_type, annotations, meta } => {
                out.extend_from_slice(br#"{"type":"image","data":"#);
                write_media(data, mime_type, annotations.as_ref(), meta.as_ref(), out)?;
            }
            Content::Audio { data, mime_type, annotations, meta } => {
                out.extend_from_slice(br#"{"type":"audio","data":"#);
                write_media(data, mime_type, annotations.as_ref(), meta.as_ref(), out)?;
            }
            other => serde_json::to_writer(&mut *out, other)?,
        }
    }
    out.push(b']');
    Ok(())
}

/// The rest of an image or audio block after `"data":`.
fn write_media(
    data: &str,
    mime_type: &str,
    annotations: Option<&Annotations>,
    meta: Option<&Meta>,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, data)?;
    out.extend_from_slice(br#","mimeType":"#);
    serde_json::to_writer(&mut *out, mime_type)?;
    write_hints(annotations, meta, out)
}

/// A content block's optional `annotations` and `_meta`, and the block's closing brace.
fn write_hints(
    annotations: Option<&Annotations>,
    meta: Option<&Meta>,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    if let Some(annotations) = annotations {
        out.extend_from_slice(br#","annotations":"#);
        serde_json::to_writer(&mut *out, annotations)?;
    }
    if let Some(meta) = meta {
        out.extend_from_slice(br#","_meta":"#);
        serde_json::to_writer(&mut *out, meta)?;
    }
    out.push(b'}');
    Ok(())
}

/// The fields of a result's top level that finishing looks at, as the result has them.
#[derive(Default)]
struct Present<'a> {
    meta: Option<&'a Value>,
    result_type: Option<&'a Value>,
    ttl_ms: bool,
    cache_scope: bool,
}

impl ModernFinish {
    /// Writes the modern fields after a result's own (`present` says which it has).
    fn write<M: SerializeMap>(
        &self,
        map: &mut M,
        present: Present<'_>,
        own_meta: Option<&Map<String, Value>>,
    ) -> Result<(), M::Error> {
        let complete = match present.result_type {
            None => {
                map.serialize_entry("resultType", &ResultType::Complete)?;
                true
            }
            Some(kind) => kind.as_str() == Some("complete"),
        };
        let server_info = self.server.info_json();
        match (present.meta, own_meta) {
            // A `_meta` that is not an object is the handler's to answer for: left as it is.
            (Some(other), _) if !other.is_object() => map.serialize_entry("_meta", other)?,
            (Some(Value::Object(own)), _) | (None, Some(own)) => {
                map.serialize_entry("_meta", &WithServerInfo { own, server_info })?
            }
            _ => map.serialize_entry("_meta", self.server.info_meta_json())?,
        }
        if let (true, Some(cache)) = (complete, &self.cache) {
            if !present.ttl_ms {
                map.serialize_entry("ttlMs", &cache.ttl_ms)?;
            }
            if !present.cache_scope {
                map.serialize_entry("cacheScope", &cache.scope)?;
            }
        }
        Ok(())
    }
}

impl ModernFinish {
    /// [`ModernFinish::write`] for a result with none of the era's fields of its own (a tool
    /// call's: `own_meta` is its `_meta`), as text after the result's own members.
    fn write_text(&self, own_meta: Option<&Map<String, Value>>, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#","resultType":"complete","_meta":"#);
        match own_meta {
            Some(own) => {
                let server_info = self.server.info_json();
                serde_json::to_writer(&mut *out, &WithServerInfo { own, server_info })?;
            }
            None => out.extend_from_slice(self.server.info_meta_json().get().as_bytes()),
        }
        if let Some(cache) = &self.cache {
            out.extend_from_slice(br#","ttlMs":"#);
            serde_json::to_writer(&mut *out, &cache.ttl_ms)?;
            out.extend_from_slice(br#","cacheScope":"#);
            serde_json::to_writer(&mut *out, &cache.scope)?;
        }
        Ok(())
    }
}

/// A result's own `_meta`, with the server's identity added unless the handler set one.
struct WithServerInfo<'a> {
    own: &'a Map<String, Value>,
    server_info: &'a RawValue,
}

impl Serialize for WithServerInfo<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.own {
            map.serialize_entry(key, value)?;
        }
        if !self.own.contains_key(meta::SERVER_INFO) {
            map.serialize_entry(meta::SERVER_INFO, self.server_info)?;
        }
        map.end()
    }
}

impl Serialize for Finished {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (&self.body, &self.finish) {
            (ResultBody::Value(value), None) => value.serialize(serializer),
            (ResultBody::Value(Value::Object(fields)), Some(finish)) => {
                let mut map = serializer.serialize_map(None)?;
                let mut present = Present::default();
                for (key, value) in fields {
                    match key.as_str() {
                        "_meta" => {
                            present.meta = Some(value);
                            continue;
                        }
                        "resultType" => present.result_type = Some(value),
                        "ttlMs" => present.ttl_ms = true,
                        "cacheScope" => present.cache_scope = true,
                        _ => {}
                    }
                    map.serialize_entry(key, value)?;
                }
                finish.write(&mut map, present, None)?;
                map.end()
            }
            // Not an object: nothing to add to.
            (ResultBody::Value(other), Some(_)) => other.serialize(serializer),
            (ResultBody::Tool(result), None) => result.serialize(serializer),
            (ResultBody::Tool(result), Some(finish)) => {
                ModernToolResult { result, finish }.serialize(serializer)
            }
            (ResultBody::Tools { tools, next_cursor }, finish) => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("tools", &Listed(tools))?;
                if let Some(cursor) = next_cursor {
                    map.serialize_entry("nextCursor", cursor)?;
                }
                if let Some(finish) = finish {
                    finish.write(&mut map, Present::default(), None)?;
                }
                map.end()
            }
        }
    }
}

/// A modern tool result: the result's own fields, then the era's, with the result's `_meta`
/// merged into the one written.
struct ModernToolResult<'a> {
    result: &'a CallToolResult,
    finish: &'a ModernFinish,
}

impl Serialize for ModernToolResult<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every field by name, as `CallToolResult`'s serde attributes write them: a field added
        // to the struct stops this from compiling until it is written here too (the test below
        // compares both writers on a result with every field set).
        let CallToolResult { content, structured_content, is_error, meta } = self.result;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("content", content)?;
        if let Some(structured) = structured_content {
            map.serialize_entry("structuredContent", structured)?;
        }
        if let Some(is_error) = is_error {
            map.serialize_entry("isError", is_error)?;
        }
        self.finish.write(&mut map, Present::default(), meta.as_ref())?;
        map.end()
    }
}

/// Tool definitions as the JSON serialised at registration.
struct Listed<'a>(&'a [Arc<Tool>]);

impl Serialize for Listed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|tool| &*tool.schemas.listed))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::{CacheScope, ResourceContents, ResourceLink, Role};

    fn server() -> Server {
        Server::builder("demo", "1.0").build().unwrap()
    }

    fn written(body: ResultBody, finish: Option<ResultFinish>, cache: Option<CacheHint>) -> Value {
        let finished = Finished::new(body, finish, &server(), cache);
        serde_json::from_str(&serde_json::to_string(&finished).unwrap()).unwrap()
    }

    const MODERN: Option<ResultFinish> = Some(ResultFinish { cacheable: false });
    const MODERN_CACHEABLE: Option<ResultFinish> = Some(ResultFinish { cacheable: true });

    fn full_tool_result() -> CallToolResult {
        let mut result = CallToolResult::content(vec![Content::text("a"), Content::text("b")]);
        result.structured_content = Some(json!({"n": 1}).as_object().unwrap().clone());
        result.is_error = Some(false);
        result.meta = Some(json!({"app": "x"}).as_object().unwrap().clone());
        result
    }

    /// [`Answered::to_vec`] writes exactly what the `Serialize` impl writes, for results of
    /// every kind and errors, with number and string ids.
    #[test]
    fn the_answer_text_is_the_serialised_answer() {
        // Tool results, which `to_vec` writes by hand, of every shape in both eras.
        let mut failed = CallToolResult::error("no \"such\" file");
        failed.meta = Some(
            json!({"io.modelcontextprotocol/serverInfo": "mine", "k": [1]}).as_object().unwrap().clone(),
        );
        // Content of every kind, which `to_vec` writes by hand for the common kinds: strings
        // with escapes and non-ASCII text, annotations and `_meta` on each kind.
        let annotations = Annotations {
            audience: Some(vec![Role::User, Role::Assistant]),
            priority: Some(0.5),
            last_modified: Some("2025-01-02T03:04:05Z".into()),
        };
        let block_meta = json!({"k": "v\n", "n": [1, 2.5]}).as_object().unwrap().clone();
        let annotated = |block: Content| -> Vec<Content> {
            let mut with_both = block.clone();
            let mut with_meta = block.clone();
            let mut with_annotations = block.clone();
            match (&mut with_both, &mut with_meta, &mut with_annotations) {
                (
                    Content::Text { annotations: a1, meta: m1, .. },
                    Content::Text { meta: m2, .. },
                    Content::Text { annotations: a3, .. },
                )
                | (
                    Content::Image { annotations: a1, meta: m1, .. },
                    Content::Image { meta: m2, .. },
                    Content::Image { annotations: a3, .. },
                )
                | (
                    Content::Audio { annotations: a1, meta: m1, .. },
                    Content::Audio { meta: m2, .. },
                    Content::Audio { annotations: a3, .. },
                )
                | (
                    Content::Resource { annotations: a1, meta: m1, .. },
                    Content::Resource { meta: m2, .. },
                    Content::Resource { annotations: a3, .. },
                ) => {
                    *a1 = Some(annotations.clone());
                    *m1 = Some(block_meta.clone());
                    *m2 = Some(block_meta.clone());
                    *a3 = Some(annotations.clone());
                }
                _ => unreachable!("every kind here has annotations and _meta"),
            }
            vec![block, with_both, with_meta, with_annotations]
        };
        let mut link = ResourceLink {
            title: Some("A \"link\"".into()),
            description: Some("über".into()),
            mime_type: Some("text/plain".into()),
            size: Some(12),
            annotations: Some(annotations.clone()),
            meta: Some(block_meta.clone()),
            ..match Content::resource_link("file:///a b.txt", "a") {
                Content::ResourceLink(link) => link,
                _ => unreachable!(),
            }
        };
        let mut blocks = Vec::new();
        for text in ["", "plain", "quote \" backslash \\ tab \t newline \n nul \u{0} del \u{7f}", "é 日本 🦀"]
        {
            blocks.extend(annotated(Content::text(text)));
        }
        blocks.extend(annotated(Content::image(b"\x89PNG", "image/png")));
        blocks.extend(annotated(Content::audio(b"RIFF", "audio/\"wav\"")));
        blocks.extend(annotated(Content::resource(ResourceContents::text("file:///a", "a\nb"))));
        blocks.extend(annotated(Content::resource(
            ResourceContents::blob("file:///b", b"\0\xff").with_mime_type("application/octet-stream"),
        )));
        blocks.push(Content::ResourceLink(link.clone()));
        link.title = None;
        blocks.push(Content::ResourceLink(link));
        blocks.push(Content::resource_link("u", "n"));
        let mut every_kind = CallToolResult::content(blocks.clone());
        every_kind.structured_content =
            Some(json!({"a \"b\"": {"c": [null, true, 1, -2.5, "é"]}}).as_object().unwrap().clone());
        let mut every_kind_failed = CallToolResult::content(blocks.clone());
        every_kind_failed.is_error = Some(true);
        let mut tool_results = vec![
            full_tool_result(),
            CallToolResult::text("hi"),
            CallToolResult::content(Vec::new()),
            failed,
            every_kind,
            every_kind_failed,
        ];
        // Each block on its own, as the first and only one.
        tool_results.extend(blocks.into_iter().map(|block| CallToolResult::content(vec![block])));
        let hint = CacheHint { ttl_ms: 5, scope: CacheScope::Private };
        for result in tool_results {
            for (finish, cache) in
                [(None, None), (MODERN, None), (MODERN_CACHEABLE, None), (MODERN_CACHEABLE, Some(hint))]
            {
                let answer = Answered::result(
                    RequestId::from(7),
                    Finished::new(ResultBody::Tool(result.clone()), finish, &server(), cache),
                );
                assert_eq!(
                    String::from_utf8(answer.to_vec()).unwrap(),
                    serde_json::to_string(&answer).unwrap()
                );
            }
        }
        let answers = [
            Answered::result(
                RequestId::from(7),
                Finished::new(ResultBody::Tool(full_tool_result()), None, &server(), None),
            ),
            Answered::result(
                RequestId::from("a\"b"),
                Finished::new(ResultBody::Tool(full_tool_result()), MODERN_CACHEABLE, &server(), None),
            ),
            Answered::result(
                RequestId::from(1),
                Finished::new(ResultBody::Value(json!({"x": [1, "é"]})), MODERN, &server(), None),
            ),
            Answered::result(
                RequestId::from(2),
                Finished::new(
                    ResultBody::Tools { tools: Vec::new(), next_cursor: Some("c".into()) },
                    None,
                    &server(),
                    None,
                ),
            ),
            Answered::error(RequestId::from(3), ErrorObject::new(-32601, "Method not found: x")),
        ];
        for answer in answers {
            assert_eq!(String::from_utf8(answer.to_vec()).unwrap(), serde_json::to_string(&answer).unwrap());
        }
    }

    #[test]
    fn a_legacy_result_is_written_as_the_handler_made_it() {
        let result = full_tool_result();
        assert_eq!(
            written(ResultBody::Tool(result.clone()), None, None),
            serde_json::to_value(&result).unwrap()
        );
        let value = json!({"anything": [1, 2], "_meta": 5});
        assert_eq!(written(ResultBody::Value(value.clone()), None, None), value);
    }

    /// The hand-written modern writer of a tool result agrees with `CallToolResult`'s serde
    /// derive on every field, and adds exactly what the era adds (2026-07-28 basic/index,
    /// "Result Responses": every result MUST carry `resultType`).
    #[test]
    fn a_modern_tool_result_is_the_derived_json_plus_the_era_fields() {
        let result = full_tool_result();
        let mut expected = serde_json::to_value(&result).unwrap();
        expected["resultType"] = json!("complete");
        expected["_meta"]["io.modelcontextprotocol/serverInfo"] = json!({"name": "demo", "version": "1.0"});
        assert_eq!(written(ResultBody::Tool(result), MODERN, None), expected);

        let bare = CallToolResult::text("hi");
        assert_eq!(
            written(ResultBody::Tool(bare), MODERN, None),
            json!({
                "content": [{"type": "text", "text": "hi"}],
                "resultType": "complete",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "1.0"}},
            })
        );
    }

    #[test]
    fn a_modern_value_result_keeps_what_it_set_itself() {
        let hint = CacheHint { ttl_ms: 5, scope: CacheScope::Private };
        // Nothing of its own: every era field is added, the hint from the thing read.
        assert_eq!(
            written(ResultBody::Value(json!({"x": 1})), MODERN_CACHEABLE, Some(hint)),
            json!({
                "x": 1,
                "resultType": "complete",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "1.0"}},
                "ttlMs": 5,
                "cacheScope": "private",
            })
        );
        // Its own `_meta` keys, server identity and caching hint win.
        let own = json!({
            "_meta": {"io.modelcontextprotocol/serverInfo": "mine", "k": true},
            "ttlMs": 1,
            "cacheScope": "public",
        });
        let mut expected = own.clone();
        expected["resultType"] = json!("complete");
        assert_eq!(written(ResultBody::Value(own), MODERN_CACHEABLE, Some(hint)), expected);
        // An incomplete result gets no caching hint; a `_meta` that is no object is left alone.
        let incomplete = json!({"resultType": "input_required", "_meta": null});
        assert_eq!(written(ResultBody::Value(incomplete.clone()), MODERN_CACHEABLE, Some(hint)), incomplete);
        // Not cacheable: no hint.
        assert_eq!(
            written(ResultBody::Value(json!({})), MODERN, Some(hint)),
            json!({
                "resultType": "complete",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "1.0"}},
            })
        );
    }

    #[test]
    fn a_tool_list_is_written_from_the_definitions_serialised_at_registration() {
        let tool = |name: &str| {
            Arc::new(
                Tool::read(name)
                    .description("Does it.")
                    .handler(|_, _| async { Ok(CallToolResult::text("")) }),
            )
        };
        let tools = vec![tool("a"), tool("b")];
        let definitions: Vec<Value> =
            tools.iter().map(|t| serde_json::to_value(&t.definition).unwrap()).collect();
        let body = |next_cursor: Option<&str>| ResultBody::Tools {
            tools: tools.clone(),
            next_cursor: next_cursor.map(str::to_owned),
        };
        assert_eq!(written(body(Some("c")), None, None), json!({"tools": definitions, "nextCursor": "c"}));
        let hint = CacheHint { ttl_ms: 9, scope: CacheScope::Public };
        assert_eq!(
            written(body(None), MODERN_CACHEABLE, Some(hint)),
            json!({
                "tools": definitions,
                "resultType": "complete",
                "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "1.0"}},
                "ttlMs": 9,
                "cacheScope": "public",
            })
        );
    }
}
