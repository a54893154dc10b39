//! Decode once: a JSON-RPC request becomes a typed [`RequestEnvelope`] at the boundary, and
//! every layer after it (the HTTP transport's header checks, the auth layer's scope check, the
//! tracing span, the dispatcher) reads that value, never the raw params again.
//!
//! The envelope holds the request id, a [`ClientRequest`] (one variant per method, its params
//! parsed once) and the request's [`RequestFacts`]: its [`Era`], the protocol version, the
//! client's capabilities, identity and log level as the request declared them (2026-07-28), its
//! `_meta`, and the input round it continues (`requestState`, `inputResponses`).
//!
//! ```
//! use mcp_connector_core::era::Era;
//! use mcp_connector_core::jsonrpc::Request;
//! use mcp_connector_core::request::{ClientRequest, RequestEnvelope};
//! use serde_json::json;
//!
//! let request = Request {
//!     id: 7.into(),
//!     method: "tools/call".into(),
//!     params: Some(json!({
//!         "name": "echo",
//!         "arguments": {"message": "hi"},
//!         "_meta": {
//!             "io.modelcontextprotocol/protocolVersion": "2026-07-28",
//!             "io.modelcontextprotocol/clientCapabilities": {}
//!         }
//!     })),
//! };
//! let envelope = RequestEnvelope::decode(request).unwrap();
//! assert_eq!(envelope.facts.era, Era::Modern);
//! assert_eq!(envelope.request.method(), "tools/call");
//! assert_eq!(envelope.request.name(), Some("echo"));
//! let ClientRequest::CallTool(call) = &envelope.request else { unreachable!() };
//! assert_eq!(call.arguments.as_ref().unwrap()["message"], "hi");
//! ```

use std::borrow::Cow;
use std::sync::{Arc, LazyLock, OnceLock};

use serde::Deserialize;
use serde::de::{DeserializeOwned, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::era::Era;
use crate::error::McpError;
use crate::jsonrpc::{ErrorResponse, Request, RequestId};
use crate::protocol::{
    CallToolParams, ClientCapabilities, CompleteParams, GetPromptParams, Implementation, InitializeParams,
    LoggingLevel, Meta, PaginatedParams, ProtocolVersion, RequestMeta, ResourceParams, SetLevelParams,
    SubscriptionsListenParams, TaskParams, UpdateTaskParams, meta, method, task_method,
};

mod declarations;
mod frame;

use declarations::Declared;

/// One request, decoded: its id, what it asks for, and what it says about itself.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestEnvelope {
    /// The id the response must carry.
    pub id: RequestId,
    /// The method and its typed params.
    pub request: ClientRequest,
    /// The era, version, client declarations and `_meta` of the request.
    pub facts: RequestFacts,
}

/// What a request says about itself, beyond its method and params.
///
/// In the modern era (2026-07-28) every field comes from the request's own `_meta`. In the
/// legacy era the request carries none of them: the session fills in what `initialize`
/// negotiated before a handler sees them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestFacts {
    /// Which era the request is spoken in.
    pub era: Era,
    /// The protocol revision of the request.
    pub protocol_version: ProtocolVersion,
    /// What the client declared it can do.
    pub client_capabilities: Arc<ClientCapabilities>,
    /// Who the client said it is, when it did.
    pub client_info: Option<Arc<Implementation>>,
    /// The lowest log level the request asked for (`io.modelcontextprotocol/logLevel`, modern
    /// era only; a legacy session sets its level with `logging/setLevel` instead).
    pub log_level: Option<LoggingLevel>,
    /// The request's `_meta`, as the client sent it (read it with [`RequestFacts::meta`]).
    pub(crate) meta: MetaCarried,
    /// The multi round-trip input this request carries (modern `tools/call`, `prompts/get`,
    /// `resources/read`).
    pub(crate) input: InputCarried,
}

impl RequestFacts {
    /// The request's `_meta`, exactly as the client sent it, if it sent one.
    ///
    /// ```
    /// use mcp_connector_core::request::RequestEnvelope;
    ///
    /// let frame = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","_meta":{"tenant":"acme"}}}"#;
    /// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// assert_eq!(envelope.facts.meta().unwrap()["tenant"], "acme");
    /// ```
    pub fn meta(&self) -> Option<&Meta> {
        self.meta.get()
    }

    /// The facts of a request naming a version the server does not speak
    /// ([`NamedVersion::Unsupported`]).
    fn unsupported(version: ProtocolVersion, meta: MetaCarried) -> Self {
        RequestFacts { era: Era::Modern, protocol_version: version, ..RequestFacts::legacy(meta) }
    }

    /// The facts of a modern request that declared these.
    fn declared(declared: &Declared, meta: MetaCarried) -> Self {
        RequestFacts {
            era: Era::Modern,
            protocol_version: declared.version.clone(),
            client_capabilities: declared.capabilities.clone(),
            client_info: declared.client_info.clone(),
            log_level: declared.log_level,
            meta,
            input: InputCarried::default(),
        }
    }

    /// The facts of a legacy request before the session fills them in.
    fn legacy(meta: MetaCarried) -> Self {
        RequestFacts {
            era: Era::Legacy,
            protocol_version: ProtocolVersion::default(),
            client_capabilities: no_capabilities(),
            client_info: None,
            log_level: None,
            meta,
            input: InputCarried::default(),
        }
    }
}

/// The capabilities of a client that declared none, one value shared by everything that
/// starts with them: a legacy request's facts hold them until the session fills in what
/// `initialize` negotiated, and every stateless HTTP session starts with them; a new `Arc`
/// each time would be an allocation and a free per request.
pub(crate) fn no_capabilities() -> Arc<ClientCapabilities> {
    static NONE: LazyLock<Arc<ClientCapabilities>> = LazyLock::new(Arc::default);
    NONE.clone()
}

/// `requestState` and `inputResponses`, as a modern retry carries them (2026-07-28,
/// `basic/patterns/mrtr`); checked when the input round starts.
#[derive(Clone, Default)]
pub(crate) struct InputCarried {
    pub(crate) request_state: Option<Value>,
    pub(crate) input_responses: Option<Value>,
    /// The text of a `tools/call`'s `arguments` object, as the frame reader found it (`None`
    /// on the general path, and when the call has no arguments object). The input round binds
    /// its state to the arguments, but digests them only when a state is sealed or opened, by
    /// then the handler owns the map: a copy of the text is the cheapest way to keep them (see
    /// `mrtr::Binding`).
    pub(crate) arguments_text: Option<Box<str>>,
}

impl std::fmt::Debug for InputCarried {
    /// Without the arguments' text, which only one path keeps: the same request prints the
    /// same whichever path decoded it (the arguments themselves print with the request).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputCarried")
            .field("request_state", &self.request_state)
            .field("input_responses", &self.input_responses)
            .finish_non_exhaustive()
    }
}

/// A request's `_meta`, as the client sent it. A frame the `tools/call` fast path decoded keeps
/// it as the JSON text it arrived as: the facts the SDK needs are read from that text directly,
/// and the map a handler may ask for ([`RequestFacts::meta`]) is built only when one does, as
/// most never do. The text is shared with the thread's memory of `_meta` texts (see
/// [`declarations`]) when it is one read before, so a repeated `_meta` is neither copied nor
/// parsed. The general path, which decoded the whole message into a tree already, keeps the map
/// it has.
#[derive(Clone, Default)]
pub(crate) struct MetaCarried {
    /// The `_meta` object's text, when the map is not built yet.
    text: Option<Arc<str>>,
    /// The `_meta` as a map: given by the general path, built from `text` on first use.
    map: OnceLock<Meta>,
}

impl MetaCarried {
    /// A `_meta` decoded already.
    fn map(meta: Option<Meta>) -> Self {
        MetaCarried { text: None, map: meta.map(OnceLock::from).unwrap_or_default() }
    }

    /// A `_meta` as its text, which must be a JSON object that serde_json reads.
    fn text(text: Arc<str>) -> Self {
        MetaCarried { text: Some(text), map: OnceLock::new() }
    }

    /// The map, built from the text on first use.
    fn get(&self) -> Option<&Meta> {
        if let Some(map) = self.map.get() {
            return Some(map);
        }
        let text = self.text.as_ref()?;
        // The text is a JSON object serde_json reads (checked when the frame was decoded), so
        // it reads as a map.
        Some(self.map.get_or_init(|| serde_json::from_str(text).unwrap_or_default()))
    }
}

impl std::fmt::Debug for MetaCarried {
    /// As the map: the same request prints the same whichever path decoded it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// A request from the client, by method, with its params parsed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientRequest {
    /// `initialize` (legacy era); boxed, as it is by far the largest and the rarest.
    Initialize(Box<InitializeParams>),
    /// `ping` (legacy era).
    Ping,
    /// `server/discover` (modern era).
    Discover,
    /// `tools/list`.
    ListTools(PaginatedParams),
    /// `tools/call`.
    CallTool(CallToolParams),
    /// `resources/list`.
    ListResources(PaginatedParams),
    /// `resources/templates/list`.
    ListResourceTemplates(PaginatedParams),
    /// `resources/read`.
    ReadResource(ResourceParams),
    /// `resources/subscribe` (legacy era).
    Subscribe(ResourceParams),
    /// `resources/unsubscribe` (legacy era).
    Unsubscribe(ResourceParams),
    /// `prompts/list`.
    ListPrompts(PaginatedParams),
    /// `prompts/get`.
    GetPrompt(GetPromptParams),
    /// `completion/complete`.
    Complete(CompleteParams),
    /// `logging/setLevel` (legacy era).
    SetLevel(SetLevelParams),
    /// `subscriptions/listen` (modern era).
    Listen(SubscriptionsListenParams),
    /// `tasks/get` (tasks extension, modern era).
    GetTask(TaskParams),
    /// `tasks/update` (tasks extension, modern era).
    UpdateTask(UpdateTaskParams),
    /// `tasks/cancel` (tasks extension, modern era).
    CancelTask(TaskParams),
    /// A method this SDK knows whose params could not be read: answered `-32602` once the
    /// method is known to be served (an unknown or unavailable method is `-32601` first).
    Malformed {
        /// The method.
        method: &'static str,
        /// The name-shaped field (`name`, `uri` or `taskId`) when it could still be read, so
        /// that header checks compare like with like.
        name: Option<String>,
        /// The `-32602` to answer with.
        error: McpError,
    },
    /// A method this SDK does not know: `-32601`.
    Unknown(String),
}

impl ClientRequest {
    /// Parses `params` for `method`. Never fails: params that do not fit become
    /// [`ClientRequest::Malformed`], a method nobody knows [`ClientRequest::Unknown`].
    ///
    /// ```
    /// use mcp_connector_core::request::ClientRequest;
    /// use serde_json::json;
    ///
    /// let request = ClientRequest::parse("resources/read".into(), Some(json!({"uri": "notes://1"})));
    /// assert_eq!(request.name(), Some("notes://1"));
    /// let request = ClientRequest::parse("resources/read".into(), Some(json!({"uri": 1})));
    /// assert!(matches!(request, ClientRequest::Malformed { .. }));
    /// ```
    pub fn parse(method: String, params: Option<Value>) -> ClientRequest {
        fn typed<T: DeserializeOwned>(
            method: &'static str,
            params: Option<Value>,
            wrap: impl FnOnce(T) -> ClientRequest,
        ) -> ClientRequest {
            let params = params.unwrap_or_else(|| Value::Object(Map::new()));
            let name = name_field(method).and_then(|field| params.get(field)?.as_str().map(str::to_owned));
            match T::deserialize(params) {
                Ok(parsed) => wrap(parsed),
                Err(e) => ClientRequest::Malformed {
                    method,
                    name,
                    error: McpError::invalid_params(format!("Invalid params: {e}")),
                },
            }
        }
        // List methods and `ping` take optional params: none at all is the same as `{}`.
        fn listing(
            method: &'static str,
            params: Option<Value>,
            wrap: fn(PaginatedParams) -> ClientRequest,
        ) -> ClientRequest {
            match params {
                None => wrap(PaginatedParams::default()),
                some => typed(method, some, wrap),
            }
        }
        match method.as_str() {
            method::INITIALIZE => {
                typed(method::INITIALIZE, params, |p| ClientRequest::Initialize(Box::new(p)))
            }
            method::PING => ClientRequest::Ping,
            method::DISCOVER => ClientRequest::Discover,
            method::TOOLS_LIST => listing(method::TOOLS_LIST, params, ClientRequest::ListTools),
            method::TOOLS_CALL => typed(method::TOOLS_CALL, params, ClientRequest::CallTool),
            method::RESOURCES_LIST => listing(method::RESOURCES_LIST, params, ClientRequest::ListResources),
            method::RESOURCE_TEMPLATES_LIST => {
                listing(method::RESOURCE_TEMPLATES_LIST, params, ClientRequest::ListResourceTemplates)
            }
            method::RESOURCES_READ => typed(method::RESOURCES_READ, params, ClientRequest::ReadResource),
            method::RESOURCES_SUBSCRIBE => {
                typed(method::RESOURCES_SUBSCRIBE, params, ClientRequest::Subscribe)
            }
            method::RESOURCES_UNSUBSCRIBE => {
                typed(method::RESOURCES_UNSUBSCRIBE, params, ClientRequest::Unsubscribe)
            }
            method::PROMPTS_LIST => listing(method::PROMPTS_LIST, params, ClientRequest::ListPrompts),
            method::PROMPTS_GET => typed(method::PROMPTS_GET, params, ClientRequest::GetPrompt),
            method::COMPLETE => typed(method::COMPLETE, params, ClientRequest::Complete),
            method::SET_LEVEL => typed(method::SET_LEVEL, params, ClientRequest::SetLevel),
            method::SUBSCRIPTIONS_LISTEN => {
                typed(method::SUBSCRIPTIONS_LISTEN, params, ClientRequest::Listen)
            }
            task_method::GET => typed(task_method::GET, params, ClientRequest::GetTask),
            task_method::UPDATE => typed(task_method::UPDATE, params, ClientRequest::UpdateTask),
            task_method::CANCEL => typed(task_method::CANCEL, params, ClientRequest::CancelTask),
            _ => ClientRequest::Unknown(method),
        }
    }

    /// The JSON-RPC method name.
    pub fn method(&self) -> &str {
        match self {
            ClientRequest::Initialize(_) => method::INITIALIZE,
            ClientRequest::Ping => method::PING,
            ClientRequest::Discover => method::DISCOVER,
            ClientRequest::ListTools(_) => method::TOOLS_LIST,
            ClientRequest::CallTool(_) => method::TOOLS_CALL,
            ClientRequest::ListResources(_) => method::RESOURCES_LIST,
            ClientRequest::ListResourceTemplates(_) => method::RESOURCE_TEMPLATES_LIST,
            ClientRequest::ReadResource(_) => method::RESOURCES_READ,
            ClientRequest::Subscribe(_) => method::RESOURCES_SUBSCRIBE,
            ClientRequest::Unsubscribe(_) => method::RESOURCES_UNSUBSCRIBE,
            ClientRequest::ListPrompts(_) => method::PROMPTS_LIST,
            ClientRequest::GetPrompt(_) => method::PROMPTS_GET,
            ClientRequest::Complete(_) => method::COMPLETE,
            ClientRequest::SetLevel(_) => method::SET_LEVEL,
            ClientRequest::Listen(_) => method::SUBSCRIPTIONS_LISTEN,
            ClientRequest::GetTask(_) => task_method::GET,
            ClientRequest::UpdateTask(_) => task_method::UPDATE,
            ClientRequest::CancelTask(_) => task_method::CANCEL,
            ClientRequest::Malformed { method, .. } => method,
            ClientRequest::Unknown(method) => method,
        }
    }

    /// The tool or prompt name, resource URI or task id the request is about: what the
    /// `Mcp-Name` header mirrors (2026-07-28, streamable HTTP, "Standard Request Headers").
    pub fn name(&self) -> Option<&str> {
        match self {
            ClientRequest::CallTool(p) => Some(&p.name),
            ClientRequest::GetPrompt(p) => Some(&p.name),
            ClientRequest::ReadResource(p) => Some(&p.uri),
            ClientRequest::GetTask(p) | ClientRequest::CancelTask(p) => Some(&p.task_id),
            ClientRequest::UpdateTask(p) => Some(&p.task_id),
            ClientRequest::Malformed { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// The params field [`ClientRequest::name`] reads for this method, if it has one.
    pub fn name_field(&self) -> Option<&'static str> {
        name_field(self.method())
    }

    /// The arguments of a `tools/call`.
    pub fn tool_arguments(&self) -> Option<&Map<String, Value>> {
        match self {
            ClientRequest::CallTool(p) => p.arguments.as_ref(),
            _ => None,
        }
    }
}

/// The params field `Mcp-Name` mirrors for `method`, if any.
fn name_field(method: &str) -> Option<&'static str> {
    match method {
        method::TOOLS_CALL | method::PROMPTS_GET => Some("name"),
        method::RESOURCES_READ => Some("uri"),
        task_method::GET | task_method::UPDATE | task_method::CANCEL => Some("taskId"),
        _ => None,
    }
}

impl RequestEnvelope {
    /// Decodes a request: reads its era from `_meta` (2026-07-28, "Versioning and
    /// Compatibility": a request whose `_meta` names a modern
    /// `io.modelcontextprotocol/protocolVersion` is modern; anything else is legacy), takes out
    /// what the request says about itself, and parses the params for the method.
    ///
    /// `Err` holds the error response owed to a modern request whose `_meta` misses or garbles
    /// a required field (`-32602`, 2026-07-28 basic/index, "_meta"). A request naming a
    /// version the server does not speak decodes as modern, with that version: serving it
    /// answers `-32022` with the versions the server speaks.
    pub fn decode(request: Request) -> Result<RequestEnvelope, ErrorResponse> {
        let Request { id, method, mut params } = request;
        let meta = match params.as_mut() {
            Some(Value::Object(fields)) => match fields.remove("_meta") {
                Some(Value::Object(meta)) => Some(meta),
                // Not an object: left for the params' own parse to refuse, as any other
                // ill-typed field.
                Some(other) => {
                    fields.insert("_meta".into(), other);
                    None
                }
                None => None,
            },
            _ => None,
        };
        let mut facts = match facts_of(meta) {
            Ok(facts) => facts,
            Err(error) => return Err(ErrorResponse::new(Some(id), error.into())),
        };
        if facts.era.may_require_input(&method)
            && let Some(Value::Object(fields)) = params.as_mut()
        {
            facts.input = InputCarried {
                request_state: fields.remove("requestState"),
                input_responses: fields.remove("inputResponses"),
                arguments_text: None,
            };
        }
        Ok(RequestEnvelope { id, request: ClientRequest::parse(method, params), facts })
    }

    /// The method name.
    pub fn method(&self) -> &str {
        self.request.method()
    }

    /// Decodes the frame of one `tools/call` request straight from its bytes, the path almost
    /// every request of a busy connector takes: the arguments and the input round are parsed
    /// once into their final types, with no intermediate JSON tree of the whole message, and
    /// `_meta` is kept as its text, the facts read from it directly (its map is built only if a
    /// handler asks for it, see [`RequestFacts::meta`]). Returns what [`jsonrpc::decode`](crate::jsonrpc::decode) followed by
    /// [`RequestEnvelope::decode`] returns for the same bytes, or `None` for any frame that is
    /// not a well-formed `tools/call` request (other methods, notifications, responses,
    /// batches, invalid JSON, duplicate keys, params of the wrong shape): those take the general
    /// path, which owns every error message.
    ///
    /// ```
    /// use mcp_connector_core::request::{ClientRequest, RequestEnvelope};
    ///
    /// let frame = br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}"#;
    /// let envelope = RequestEnvelope::from_call_frame(frame).unwrap().unwrap();
    /// assert_eq!(envelope.request.name(), Some("echo"));
    /// assert!(RequestEnvelope::from_call_frame(br#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#).is_none());
    /// ```
    pub fn from_call_frame(bytes: &[u8]) -> Option<Result<RequestEnvelope, ErrorResponse>> {
        // One check of the whole frame, rather than one of each string in turn; a frame that is
        // not UTF-8 is the general path's to refuse.
        let frame = std::str::from_utf8(bytes).ok()?;
        let frame::CallFrame { id, params } = frame::read(frame)?;
        let frame::CallFrameParams { name, arguments, arguments_text, meta, request_state, input_responses } =
            params;
        let mut facts = match facts_of_text(meta) {
            Ok(facts) => facts,
            Err(error) => return Some(Err(ErrorResponse::new(Some(id), error.into()))),
        };
        if facts.era.may_require_input(method::TOOLS_CALL) {
            facts.input = InputCarried {
                request_state,
                input_responses,
                arguments_text: arguments_text.map(Box::from),
            };
        }
        let call = CallToolParams { name, arguments, meta: None };
        Some(Ok(RequestEnvelope { id, request: ClientRequest::CallTool(call), facts }))
    }
}

/// A string, borrowed from the text when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The reserved fields of a `_meta`, read straight from its text (see [`facts_of_text`]); the
/// names are those of [`meta`], other members are skipped. The client's capabilities and
/// identity are kept as their text here, to be parsed (or found parsed already, see
/// [`declarations`]) next; a field that does not fit, or is repeated, fails the parse.
#[derive(Deserialize)]
struct DeclaredMeta<'a> {
    /// Present (`null` included, which fails) or absent.
    #[serde(
        rename = "io.modelcontextprotocol/protocolVersion",
        borrow,
        default,
        deserialize_with = "present_text"
    )]
    protocol_version: Option<Cow<'a, str>>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow, default)]
    client_capabilities: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/clientInfo", borrow, default)]
    client_info: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/logLevel", default)]
    log_level: Option<LoggingLevel>,
}

fn present_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    Text::deserialize(deserializer).map(|text| Some(text.0))
}

/// [`facts_of`] for a `_meta` kept as its text (a JSON object): a text this thread read before
/// gives what it declared then; another is read in one pass, without a tree of it, and the
/// text is kept for [`RequestFacts::meta`] (and, when it declares a modern request that can be
/// served, remembered). A
/// `_meta` the quick read cannot settle (a modern one with a field missing, repeated or
/// malformed) is decoded into a map and given to [`facts_of`], so that every refusal is the
/// general path's, word for word.
fn facts_of_text(request_meta: Option<frame::MetaFound<'_>>) -> Result<RequestFacts, McpError> {
    let request_meta = match request_meta {
        None => return Ok(RequestFacts::legacy(MetaCarried::default())),
        Some(frame::MetaFound::Remembered(text, declared)) => {
            return Ok(RequestFacts::declared(&declared, MetaCarried::text(text)));
        }
        Some(frame::MetaFound::Text(text)) => text,
    };
    let general = || facts_of(serde_json::from_str(request_meta).ok());
    let Ok(declared) = serde_json::from_str::<DeclaredMeta<'_>>(request_meta) else {
        return general();
    };
    let DeclaredMeta { protocol_version, client_capabilities, client_info, log_level } = declared;
    let carried = || MetaCarried::text(Arc::from(request_meta));
    let Some(version) = protocol_version.map(ProtocolVersion::new) else {
        return Ok(RequestFacts::legacy(carried()));
    };
    match NamedVersion::of(&version) {
        NamedVersion::Unsupported => return Ok(RequestFacts::unsupported(version, carried())),
        NamedVersion::Handshake => return Ok(RequestFacts::legacy(carried())),
        NamedVersion::Modern => {}
    }
    let capabilities = client_capabilities.map(|text| declarations::capabilities(text.get()));
    let client_info = client_info.map(|text| declarations::client_info(text.get())).transpose();
    let (Some(Ok(capabilities)), Ok(client_info)) = (capabilities, client_info) else {
        return general();
    };
    let declared = Declared { version, capabilities, client_info, log_level };
    let text: Arc<str> = Arc::from(request_meta);
    let facts = RequestFacts::declared(&declared, MetaCarried::text(text.clone()));
    // Only what the quick read settled is remembered; the general rule keeps its refusals.
    declarations::remember(text, Arc::new(declared));
    Ok(facts)
}

/// How a request whose `_meta` names a protocol version is served: the rule [`facts_of`] and
/// [`facts_of_text`] share.
enum NamedVersion {
    /// A version the server does not speak: served as a modern request the server refuses with
    /// `-32022` and the versions it speaks; decoded rather than refused here so that a
    /// transport can first check the headers that mirror it (streamable HTTP, "Server
    /// Validation").
    Unsupported,
    /// A handshake revision: served the way that revision is; the per-request fields mean
    /// nothing to it.
    Handshake,
    /// A modern revision: its per-request fields are read next.
    Modern,
}

impl NamedVersion {
    fn of(version: &ProtocolVersion) -> Self {
        if !version.is_supported() {
            NamedVersion::Unsupported
        } else if version.is_modern() {
            NamedVersion::Modern
        } else {
            NamedVersion::Handshake
        }
    }
}

/// The facts a request's `_meta` gives, or the error owed to a modern request that cannot
/// be served.
fn facts_of(request_meta: Option<Meta>) -> Result<RequestFacts, McpError> {
    let Some(request_meta) = request_meta else {
        return Ok(RequestFacts::legacy(MetaCarried::default()));
    };
    let Some(version) = request_meta.get(meta::PROTOCOL_VERSION) else {
        return Ok(RequestFacts::legacy(MetaCarried::map(Some(request_meta))));
    };
    let Some(version) = version.as_str() else {
        return Err(McpError::invalid_params(format!(
            "Invalid params: `_meta[\"{}\"]` must be a protocol version string such as \"{}\"",
            meta::PROTOCOL_VERSION,
            ProtocolVersion::V2026_07_28
        )));
    };
    let version = ProtocolVersion::new(version);
    match NamedVersion::of(&version) {
        NamedVersion::Unsupported => {
            return Ok(RequestFacts::unsupported(version, MetaCarried::map(Some(request_meta))));
        }
        NamedVersion::Handshake => return Ok(RequestFacts::legacy(MetaCarried::map(Some(request_meta)))),
        NamedVersion::Modern => {}
    }
    let meta_value = Value::Object(request_meta);
    let declared = RequestMeta::deserialize(&meta_value).map_err(|e| {
        let has_capabilities = meta_value.get(meta::CLIENT_CAPABILITIES).is_some();
        let why = if has_capabilities {
            format!("a per-request `_meta` field is malformed: {e}")
        } else {
            format!("`_meta[\"{}\"]` is required on every request", meta::CLIENT_CAPABILITIES)
        };
        // 2026-07-28 basic/index, "_meta": a request missing a required field is malformed
        // and MUST be rejected with -32602.
        McpError::invalid_params(format!("Invalid params: {why}"))
    })?;
    let Value::Object(request_meta) = meta_value else { unreachable!("built as an object above") };
    Ok(RequestFacts {
        era: Era::Modern,
        protocol_version: version,
        client_capabilities: Arc::new(declared.client_capabilities),
        client_info: declared.client_info.map(Arc::new),
        log_level: declared.log_level,
        meta: MetaCarried::map(Some(request_meta)),
        input: InputCarried::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(method: &str, params: Value) -> Result<RequestEnvelope, ErrorResponse> {
        RequestEnvelope::decode(Request { id: 1.into(), method: method.into(), params: Some(params) })
    }

    fn modern_meta() -> Value {
        json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"sampling": {}},
            "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
        })
    }

    /// The `tools/call` fast path gives exactly what the general path gives, or steps aside.
    #[test]
    fn the_call_frame_path_agrees_with_the_general_path() {
        let general = |frame: &str| match crate::jsonrpc::decode(frame.as_bytes()) {
            crate::jsonrpc::Decoded::Single(Ok(crate::jsonrpc::Message::Request(request))) => {
                format!("{:?}", RequestEnvelope::decode(request))
            }
            other => format!("not a request: {other:?}"),
        };
        let meta = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"progressToken":"p"}"#;
        let taken = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}"#.to_owned(),
            r#"{"id":"a\"b","jsonrpc":"2.0","method":"tools\/call","params":{"name":"e\u0063ho"},"extra":[1]}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":-7.5e3,"method":"tools/call","params":{"name":"x","arguments":null,"_meta":null}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":1},"requestState":"s"}}"#.to_owned(),
            format!(r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"x","arguments":{{"a":[1,{{"b":null}}]}},"_meta":{meta},"requestState":"sealed","inputResponses":{{"k":{{"action":"accept"}}}}}}}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"x","_meta":{meta},"requestState":null}}}}"#),
            // Modern `_meta` without capabilities, and an unknown version: the same refusal
            // and the same kept version.
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":7}}}"#.to_owned(),
            // `params` before `method` (read once the method is known), `jsonrpc` last.
            r#"{"params":{"name":"x","arguments":{"n":1}},"id":5,"method":"tools/call","jsonrpc":"2.0"}"#.to_owned(),
            format!(r#"{{"id":5,"params":{{"_meta":{meta},"name":"x","requestState":"s"}},"jsonrpc":"2.0","method":"tools/call"}}"#),
            // Every `_meta` the quick read leaves to the general rule: the same facts, the
            // same refusals, word for word.
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":null}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":[]}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":null}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":{}},"io.modelcontextprotocol/clientInfo":{"name":1}}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/logLevel":"loud"}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"roots":{}},"io.modelcontextprotocol/logLevel":"debug","io.modelcontextprotocol/clientInfo":null}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientCapabilities":{"sampling":{}}}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25","io.modelcontextprotocol/clientCapabilities":5}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/logLevel":5}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol\/protocolVersion":"2026\u002d07-28","io.modelcontextprotocol/clientCapabilities":{},"app":{"k":[1,"\u00e9"]},"app":2}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x","_meta":{}}}"#.to_owned(),
        ];
        for frame in &taken {
            let fast = RequestEnvelope::from_call_frame(frame.as_bytes())
                .unwrap_or_else(|| panic!("the fast path should take {frame}"));
            assert_eq!(format!("{fast:?}"), general(frame), "{frame}");
        }
        // `_meta` as the client sent it, the map built on first use from the kept text.
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","_meta":{meta}}}}}"#
        );
        let envelope = RequestEnvelope::from_call_frame(frame.as_bytes()).unwrap().unwrap();
        assert!(envelope.facts.meta.map.get().is_none(), "not built before it is asked for");
        let sent: Value = serde_json::from_str(meta).unwrap();
        assert_eq!(envelope.facts.meta().map(|m| Value::Object(m.clone())), Some(sent));
        let left = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["x"]}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":5}}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","name":"y"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}} trailing"#,
            // The rules hold whichever comes first, `params` or `method`.
            r#"{"jsonrpc":"2.0","id":1,"params":{"name":"x"},"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":1,"params":["x"],"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"params":{"name":"x","_meta":[]},"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"params":{"name":"x"},"params":{"name":"x"},"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"params":{"name":"x"},"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":"m"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7,"params":{"name":"x"}}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}]"#,
            // A batch whose members spell a call in order is a batch, not a call.
            r#"["2.0",1,"tools/call",{"name":"x"}]"#,
        ];
        for frame in left {
            assert!(RequestEnvelope::from_call_frame(frame.as_bytes()).is_none(), "{frame}");
        }
        // Bytes that are not UTF-8 (checked once, for the whole frame).
        let frame =
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"\xff\"}}";
        assert!(RequestEnvelope::from_call_frame(frame).is_none());
    }

    /// What the general path makes of a frame, to compare the fast path's result with.
    fn general_path(frame: &[u8]) -> String {
        match crate::jsonrpc::decode(frame) {
            crate::jsonrpc::Decoded::Single(Ok(crate::jsonrpc::Message::Request(request))) => {
                format!("{:?}", RequestEnvelope::decode(request))
            }
            other => format!("not a request: {other:?}"),
        }
    }

    /// The fast path's result for a frame it takes, or `None`; when it takes the frame, the
    /// result must be the general path's, word for word, and the arguments' text it keeps for
    /// the input round must bind the request as the map does.
    fn agreed(frame: &[u8]) -> Option<String> {
        let fast = format!("{:?}", RequestEnvelope::from_call_frame(frame)?);
        assert_eq!(fast, general_path(frame), "{}", String::from_utf8_lossy(frame));
        binds_as_the_map(frame);
        Some(fast)
    }

    /// An input round's binding made from the text of a frame's arguments digests them as one
    /// made from the map the frame reader read: a `requestState` seals the same digest
    /// whichever path decoded the request, and whichever decodes the retry.
    fn binds_as_the_map(frame: &[u8]) {
        use crate::server::mrtr::Binding;
        let params = frame::read(std::str::from_utf8(frame).unwrap()).unwrap().params;
        let (Some(map), Some(text)) = (&params.arguments, params.arguments_text) else {
            assert!(params.arguments_text.is_none(), "text without a map");
            return;
        };
        let from_text = Binding::with_text("tools/call", "x", text, None);
        assert_eq!(from_text, Binding::new("tools/call", "x", Some(map), None), "{text}");
    }

    const MODERN_META: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}"#;

    fn call_with_meta(meta: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"hello"}},"_meta":{meta}}}}}"#
        )
    }

    /// Frames written in every way JSON allows, and `_meta` texts that try to end early: the
    /// fast path takes them and reads them as the general path does.
    #[test]
    fn the_call_frame_path_reads_every_spelling_as_the_general_path() {
        let taken = [
            // Escaped quotes and backslashes, nested objects and arrays, braces inside strings.
            call_with_meta(
                r#"{"app":"a\"b\\","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"x":{"y":[1,{"z":"}\\\""}],"w":[]}},"t":"\\"}"#,
            ),
            call_with_meta(r#"{"a":"}","b":"{\"","c":[[],[[{}]],"]"],"d":true,"e":false,"f":null,"g":-0.5}"#),
            // Whitespace wherever it may go.
            " \n{ \"jsonrpc\" : \"2.0\" ,\r\n\t\"id\" : 1 , \"method\" : \"tools/call\" , \"params\" : { \"name\" : \"echo\" , \"arguments\" : { \"message\" : \"hello\" } , \"_meta\" : { \"io.modelcontextprotocol/protocolVersion\" : \"2026-07-28\" , \"io.modelcontextprotocol/clientCapabilities\" : { } } } } \n".to_owned(),
            // Escaped member names, of the frame and of the params.
            r#"{"jsonr\u0070c":"2.0","\u0069d":1,"method":"tools/call","params":{"n\u0061me":"x","\u005fmeta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#.to_owned(),
            r#"{"jsonrpc":"2\u002e0","id":"\u00e9\ud83d\ude00","method":"tools\/call","params":{"name":"\\x\/"}}"#.to_owned(),
            // Arguments: empty, a repeated member (the last one counts on both paths), numbers.
            r#"{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"x","arguments":{}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":-0,"method":"tools/call","params":{"name":"x","arguments":{"a":1,"a":2}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1.0,"method":"tools/call","params":{"name":"x","arguments":{"n":[-1,1.5,1e3,18446744073709551616]}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"n":[-0,0,-1,0.1,-0.0,1E+2,2e-2,1.5e-400,-9223372036854775808,-9223372036854775809,18446744073709551615,123456789012345678901234567890],"s":["","\u0000","é\n"],"o":{"":{"":null}},"b":[true,false]}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            // Members nobody reads, of every kind, repeated too.
            r#"{"x":[true,false,null,-0.5,{"a":[]},"\u0041"],"x":{},"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","y":[{}],"y":0}}"#.to_owned(),
            // The same modern `_meta` as the benchmark's, then with its members reordered.
            call_with_meta(MODERN_META),
            call_with_meta(r#"{"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#),
            // Nested as deep as the fast path reads.
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","arguments":{{"a":{}1{}}}}}}}"#,
                "[".repeat(90),
                "]".repeat(90)
            ),
        ];
        for frame in &taken {
            for _ in 0..2 {
                // The second read of a modern `_meta` is the remembered one.
                assert!(agreed(frame.as_bytes()).is_some(), "the fast path should take {frame}");
            }
        }
    }

    /// Frames the general path refuses, or reads differently, while looking nearly like a
    /// call: the fast path leaves every one to it.
    #[test]
    fn the_call_frame_path_leaves_what_the_general_path_refuses() {
        let left = [
            // Lone surrogates: serde_json skips them unread, but refuses them in a tree.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"extra":"\ud800"}"#.to_owned(),
            call_with_meta(r#"{"app":"\udc00x"}"#),
            call_with_meta(
                r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"app":"\ud800"}"#,
            ),
            // Numbers out of a double's range.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},"extra":1e999}"#.to_owned(),
            call_with_meta(r#"{"app":-1e400}"#),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","n":{}}}}}"#,
                "9".repeat(400)
            ),
            // Nesting deeper than serde_json reads.
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","arguments":{{"a":{}1{}}}}}}}"#,
                "[".repeat(130),
                "]".repeat(130)
            ),
            call_with_meta(&format!(r#"{{"a":{}{}}}"#, "[".repeat(130), "]".repeat(130))),
            // Syntax errors in what is skipped or kept.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x",}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"},}"#.to_owned(),
            call_with_meta(r#"{"a":1,}"#),
            call_with_meta(r#"{"a":[1,]}"#),
            call_with_meta(r#"{"a" 1}"#),
            call_with_meta(r#"{"a":01}"#),
            call_with_meta(r#"{"a":-}"#),
            call_with_meta(r#"{"a":1.}"#),
            call_with_meta(r#"{"a":.5}"#),
            call_with_meta(r#"{"a":+1}"#),
            call_with_meta(r#"{"a":tru}"#),
            call_with_meta(r#"{"a":nul}"#),
            call_with_meta(r#"{"a":"\x"}"#),
            call_with_meta(r#"{"a":"\u12"}"#),
            call_with_meta("{\"a\":\"tab\there\"}"),
            call_with_meta(r#"{a:1}"#),
            call_with_meta(r#"{"a":1}}"#),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":[1,2}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":01,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}{}"#.to_owned(),
            "\u{feff}{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}".to_owned(),
            // Repeated members the call reads.
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{},"arguments":{}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{},"_meta":{}}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            // Members of the wrong type.
            r#"{"jsonrpc":2.0,"id":1,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"x"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":"a"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":true}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}"#.to_owned(),
        ];
        for frame in &left {
            assert!(RequestEnvelope::from_call_frame(frame.as_bytes()).is_none(), "{frame}");
        }
        // The first eight are refused as a whole (`-32700`), although every member the call
        // reads is fine.
        for frame in &left[..8] {
            assert!(general_path(frame.as_bytes()).contains("code: -32700"), "{frame}");
        }
        // Bytes that are not UTF-8 inside `_meta`.
        let mut frame = call_with_meta(r#"{"app":"xx"}"#).into_bytes();
        let at = frame.windows(2).position(|w| w == b"xx").unwrap();
        frame[at] = 0xc3;
        assert!(RequestEnvelope::from_call_frame(&frame).is_none());
    }

    /// Every frame cut short, and every frame with one byte changed: whenever the fast path
    /// takes one, it reads it exactly as the general path does. The remembered `_meta` is in
    /// play too: each damaged frame is read twice.
    #[test]
    fn damaged_frames_are_left_or_read_as_the_general_path_reads_them() {
        let frames = [
            call_with_meta(MODERN_META),
            call_with_meta(r#"{"a":"q\"\\","b":[1,-2.5,{"c":null}],"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#),
            r#"{"params":{"name":"echo","arguments":{"message":"hello","n":[10,true]},"requestState":"s"},"id":"r1","jsonrpc":"2.0","method":"tools/call"}"#.to_owned(),
        ];
        let replacements = b"\"\\{}[],: 0-e.unt\x01\xff";
        let mut taken = 0;
        for frame in &frames {
            let bytes = frame.as_bytes();
            for end in 0..bytes.len() {
                assert!(RequestEnvelope::from_call_frame(&bytes[..end]).is_none(), "{}", &frame[..end]);
            }
            for at in 0..bytes.len() {
                for &byte in replacements {
                    let mut damaged = bytes.to_vec();
                    damaged[at] = byte;
                    for _ in 0..2 {
                        taken += usize::from(agreed(&damaged).is_some());
                    }
                }
            }
        }
        assert!(taken > 0, "some damage leaves a call the fast path reads");
    }

    /// A modern `_meta` read again (the same text on the same thread) gives the same facts,
    /// from what the first read declared; a `_meta` that differs only in a member the SDK does
    /// not read shares the client's declarations with it.
    #[test]
    fn a_repeated_modern_meta_gives_the_same_facts_without_parsing_again() {
        let frame = |meta: &str| {
            let frame = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"x","_meta":{meta}}}}}"#
            );
            RequestEnvelope::from_call_frame(frame.as_bytes()).unwrap().unwrap().facts
        };
        let meta = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":{}},"io.modelcontextprotocol/clientInfo":{"name":"repeat","version":"2"},"io.modelcontextprotocol/logLevel":"info"}"#;
        let (first, again) = (frame(meta), frame(meta));
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert!(Arc::ptr_eq(&first.client_capabilities, &again.client_capabilities));
        assert!(Arc::ptr_eq(first.client_info.as_ref().unwrap(), again.client_info.as_ref().unwrap()));
        assert_eq!(again.log_level, Some(LoggingLevel::Info));
        assert_eq!(again.era, Era::Modern);

        let with_token = meta.replacen('{', r#"{"progressToken":7,"#, 1);
        let other = frame(&with_token);
        assert!(Arc::ptr_eq(&first.client_capabilities, &other.client_capabilities));
        assert_eq!(other.meta().unwrap()["progressToken"], 7);
        assert!(again.meta().unwrap().get("progressToken").is_none());
    }

    #[test]
    fn no_version_in_meta_is_legacy() {
        let envelope = decode("tools/list", json!({"_meta": {"progressToken": 1}})).unwrap();
        assert_eq!(envelope.facts.era, Era::Legacy);
        assert_eq!(envelope.facts.meta().unwrap()["progressToken"], 1);
        let envelope = RequestEnvelope::decode(Request { id: 1.into(), method: "ping".into(), params: None });
        assert_eq!(envelope.unwrap().facts.era, Era::Legacy);
    }

    #[test]
    fn a_modern_request_is_read_from_its_meta() {
        let envelope = decode("tools/list", json!({"_meta": modern_meta()})).unwrap();
        assert_eq!(envelope.facts.era, Era::Modern);
        assert!(envelope.facts.client_capabilities.sampling.is_some());
        assert_eq!(envelope.facts.client_info.unwrap().name, "c");
        assert_eq!(envelope.facts.log_level, None);
        assert!(matches!(envelope.request, ClientRequest::ListTools(_)));
    }

    #[test]
    fn an_unknown_version_is_modern_and_kept_for_the_refusal() {
        let meta = json!({"io.modelcontextprotocol/protocolVersion": "1900-01-01"});
        let envelope = decode("tools/list", json!({"_meta": meta})).unwrap();
        assert_eq!(envelope.facts.era, Era::Modern);
        assert_eq!(envelope.facts.protocol_version.as_str(), "1900-01-01");
        assert!(!envelope.facts.protocol_version.is_supported());
    }

    #[test]
    fn missing_capabilities_is_invalid_params() {
        let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"});
        let error = decode("tools/list", json!({"_meta": meta})).unwrap_err();
        assert_eq!(error.error.code, -32602);
        assert!(error.error.message.contains("clientCapabilities"), "{}", error.error.message);
    }

    #[test]
    fn input_round_fields_are_taken_out_of_modern_calls_only() {
        let params = json!({
            "name": "t", "_meta": modern_meta(), "requestState": "s", "inputResponses": {"k": {}}
        });
        let envelope = decode("tools/call", params.clone()).unwrap();
        assert_eq!(envelope.facts.input.request_state, Some(json!("s")));
        assert!(envelope.facts.input.input_responses.is_some());
        let envelope = decode("tools/list", params).unwrap();
        assert!(envelope.facts.input.request_state.is_none());
    }

    #[test]
    fn params_that_do_not_fit_are_kept_as_malformed_with_their_name() {
        let envelope = decode("tools/call", json!({"name": "echo", "arguments": "no"})).unwrap();
        let ClientRequest::Malformed { method, name, error } = &envelope.request else { panic!() };
        assert_eq!((*method, name.as_deref(), error.code), ("tools/call", Some("echo"), -32602));
        let envelope = decode("tools/list", json!({"_meta": 3})).unwrap();
        assert!(matches!(envelope.request, ClientRequest::Malformed { method: "tools/list", .. }));
        let envelope = decode("frobnicate", json!({})).unwrap();
        assert!(matches!(&envelope.request, ClientRequest::Unknown(m) if m == "frobnicate"));
    }
}
