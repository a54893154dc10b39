//! Interactive UI in the chat: the MCP Apps extension (`io.modelcontextprotocol/ui`, SEP-1865)
//! and the names ChatGPT's Apps SDK gives the same ideas.
//!
//! A **UI resource** is an HTML page at a `ui://` URI, served as `text/html;profile=mcp-app`
//! and declared with [`ResourceBuilder::ui`](crate::ResourceBuilder::ui) (or
//! `#[resource(uri = "ui://...", ui(...))]`). A **tool linked to it**
//! ([`ToolBuilder::ui`](crate::ToolBuilder::ui), or `#[tool(read, ui = "ui://...")]`) makes a
//! host that speaks MCP Apps render that page in a sandboxed iframe and hand it the tool's
//! result; the page can call tools back through the host. A host without UI support sees an
//! ordinary tool: its `content` and `structuredContent` are the whole answer.
//!
//! Every declaration is made once; [`ServerBuilder::build`](crate::ServerBuilder::build) checks
//! it (a `ui://` URI, well-formed CSP origins, a tool naming a registered UI resource) and
//! writes the wire form: `_meta.ui` for MCP Apps hosts and the `openai/*` aliases for ChatGPT,
//! plus, on request, the legacy `text/html+skybridge` copy of the page. The server advertises
//! the extension in its capabilities as soon as one UI resource is registered.
//!
//! ```
//! use mcp_connector_core::{Resource, Server, Tool, WithUi, ui::{UiMeta, Visibility}};
//!
//! #[derive(serde::Serialize, schemars::JsonSchema)]
//! struct Board { open: u32 }
//!
//! let server = Server::builder("tickets", "1.0.0")
//!     .resource(
//!         Resource::new("ui://tickets/board", "board")
//!             .ui(UiMeta::new().prefers_border(true).connect_domain("https://api.example.com"))
//!             .html("<!doctype html><title>Board</title><main id=board></main>"),
//!     )
//!     .tool(
//!         Tool::read("show_board")
//!             .ui("ui://tickets/board")
//!             .invoking("Loading the board…")
//!             .handler(|_ctx, _args| async {
//!                 WithUi::new(Board { open: 3 }).text("3 open tickets").into_result()
//!             }),
//!     )
//!     .tool(
//!         Tool::write("move_card")
//!             .visibility(Visibility::App)
//!             .handler(|_ctx, _args| async { Ok(mcp_connector_core::protocol::CallToolResult::text("moved")) }),
//!     )
//!     .build()
//!     .unwrap();
//! let meta = server.tool("show_board").unwrap().definition().meta.clone().unwrap();
//! assert_eq!(meta["ui"]["resourceUri"], "ui://tickets/board");
//! assert_eq!(meta["openai/outputTemplate"], "ui://tickets/board");
//! assert!(server.capabilities().extensions.as_ref().unwrap().contains_key(mcp_connector_core::ui::EXTENSION));
//! ```

use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{BuildError, ToolError};
use crate::output::IntoCallToolResult;
use crate::protocol::{CallToolResult, ClientCapabilities, Content, Meta, ResourceContents};
use crate::shared::ui_rules;

/// The extension's identifier, the key under `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";

/// The MIME type of an MCP Apps HTML page.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// The MIME type ChatGPT's Apps SDK used for the same pages before MCP Apps.
pub const SKYBRIDGE_MIME_TYPE: &str = "text/html+skybridge";

/// What the spec calls the deprecated flat key for a tool's UI resource; still written for
/// hosts that predate `_meta.ui.resourceUri` (the official `registerAppTool` writes it too).
const FLAT_RESOURCE_URI: &str = "ui/resourceUri";

/// A browser capability a UI page asks the host for (`_meta.ui.permissions`); hosts may refuse,
/// so the page should check for the feature before it uses it.
///
/// ```
/// use mcp_connector_core::ui::{Permission, UiMeta};
///
/// let scanner = UiMeta::new().permission(Permission::Camera).permission(Permission::ClipboardWrite);
/// # let _ = scanner;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Permission {
    /// `camera`.
    Camera,
    /// `microphone`.
    Microphone,
    /// `geolocation`.
    Geolocation,
    /// `clipboardWrite` (Permission Policy `clipboard-write`).
    ClipboardWrite,
}

impl Permission {
    fn key(self) -> &'static str {
        match self {
            Permission::Camera => "camera",
            Permission::Microphone => "microphone",
            Permission::Geolocation => "geolocation",
            Permission::ClipboardWrite => "clipboardWrite",
        }
    }
}

/// How a UI page is declared: its content security policy, permissions, dedicated domain and
/// border preference (`_meta.ui` of the resource), and what ChatGPT needs on top.
///
/// Without any domain the page may load nothing and connect nowhere (the host's restrictive
/// default): a self-contained page needs no declaration at all.
///
/// ```
/// use mcp_connector_core::{Resource, ui::{Permission, UiMeta}};
///
/// let page = Resource::new("ui://weather/forecast", "forecast")
///     .title("Forecast")
///     .ui(UiMeta::new()
///         .connect_domain("https://api.weather.example")
///         .resource_domain("https://*.tiles.example")
///         .permission(Permission::Geolocation)
///         .prefers_border(false)
///         .description("A seven-day forecast chart"))
///     .html("<!doctype html><title>Forecast</title><canvas id=chart></canvas>");
/// # let _ = page;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiMeta {
    connect_domains: Vec<String>,
    resource_domains: Vec<String>,
    frame_domains: Vec<String>,
    base_uri_domains: Vec<String>,
    permissions: Vec<Permission>,
    domain: Option<String>,
    prefers_border: Option<bool>,
    description: Option<String>,
    skybridge: bool,
}

impl UiMeta {
    /// A page that loads nothing from the network (add domains to loosen it).
    pub fn new() -> Self {
        Self::default()
    }

    /// An origin the page may `fetch`, XHR or open a WebSocket to (CSP `connect-src`), such as
    /// `https://api.example.com`; repeatable.
    pub fn connect_domain(mut self, origin: impl Into<String>) -> Self {
        self.connect_domains.push(origin.into());
        self
    }

    /// An origin the page may load scripts, styles, images, fonts and media from (CSP
    /// `script-src`, `style-src`, `img-src`, `font-src`, `media-src`); `https://*.example.com`
    /// allows every subdomain; repeatable.
    pub fn resource_domain(mut self, origin: impl Into<String>) -> Self {
        self.resource_domains.push(origin.into());
        self
    }

    /// An origin the page may embed in an iframe (CSP `frame-src`); repeatable.
    pub fn frame_domain(mut self, origin: impl Into<String>) -> Self {
        self.frame_domains.push(origin.into());
        self
    }

    /// An origin the page's `<base href>` may point to (CSP `base-uri`); repeatable.
    pub fn base_uri_domain(mut self, origin: impl Into<String>) -> Self {
        self.base_uri_domains.push(origin.into());
        self
    }

    /// A browser capability the page asks for; repeatable.
    pub fn permission(mut self, permission: Permission) -> Self {
        if !self.permissions.contains(&permission) {
            self.permissions.push(permission);
        }
        self
    }

    /// A dedicated, stable origin for the page's sandbox (for OAuth callbacks or API key
    /// allow-lists). Its format is each host's to define, such as
    /// `a904794854a047f6.claudemcpcontent.com`; sent as `_meta.ui.domain` and
    /// `openai/widgetDomain`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Whether the host should draw a border and background around the page
    /// (`prefersBorder`, `openai/widgetPrefersBorder`). Hosts' defaults differ: say it.
    pub fn prefers_border(mut self, yes: bool) -> Self {
        self.prefers_border = Some(yes);
        self
    }

    /// What the page shows, for the model when the page is on screen
    /// (`openai/widgetDescription`; ChatGPT only).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Also serve the page as `text/html+skybridge` at `<uri>.skybridge`, and point linked
    /// tools' `openai/outputTemplate` there: for ChatGPT surfaces that predate MCP Apps and
    /// render only that MIME type. Off by default.
    pub fn skybridge_copy(mut self, yes: bool) -> Self {
        self.skybridge = yes;
        self
    }

    fn check(&self, uri: &str) -> Result<(), BuildError> {
        let fail = |why: String| BuildError::InvalidUi { item: format!("UI resource {uri:?}"), why };
        ui_rules::check_ui_uri(uri).map_err(fail)?;
        for (list, key) in [
            (&self.connect_domains, "connect_domain"),
            (&self.resource_domains, "resource_domain"),
            (&self.frame_domains, "frame_domain"),
            (&self.base_uri_domains, "base_uri_domain"),
        ] {
            for origin in list {
                ui_rules::check_origin(origin).map_err(|why| fail(format!("`{key}` {why}")))?;
            }
        }
        if let Some(domain) = &self.domain {
            ui_rules::check_domain(domain).map_err(|why| fail(format!("`domain` {why}")))?;
        }
        Ok(())
    }

    /// `_meta` of the page, as both `resources/list` and `resources/read` carry it.
    fn wire(&self) -> Meta {
        let mut ui = Map::new();
        let mut csp = Map::new();
        for (list, key) in [
            (&self.connect_domains, "connectDomains"),
            (&self.resource_domains, "resourceDomains"),
            (&self.frame_domains, "frameDomains"),
            (&self.base_uri_domains, "baseUriDomains"),
        ] {
            if !list.is_empty() {
                csp.insert(key.into(), json!(list));
            }
        }
        if !csp.is_empty() {
            ui.insert("csp".into(), Value::Object(csp));
        }
        if !self.permissions.is_empty() {
            let permissions: Map<String, Value> =
                self.permissions.iter().map(|p| (p.key().to_owned(), json!({}))).collect();
            ui.insert("permissions".into(), Value::Object(permissions));
        }
        if let Some(domain) = &self.domain {
            ui.insert("domain".into(), json!(domain));
        }
        if let Some(border) = self.prefers_border {
            ui.insert("prefersBorder".into(), json!(border));
        }
        let mut meta = Map::new();
        meta.insert("ui".into(), Value::Object(ui));
        // ChatGPT's names for the same declaration. Its CSP is always sent: ChatGPT asks apps
        // to declare one, and empty lists are the strict policy.
        let mut widget_csp = Map::new();
        widget_csp.insert("connect_domains".into(), json!(self.connect_domains));
        widget_csp.insert("resource_domains".into(), json!(self.resource_domains));
        if !self.frame_domains.is_empty() {
            widget_csp.insert("frame_domains".into(), json!(self.frame_domains));
        }
        meta.insert("openai/widgetCSP".into(), Value::Object(widget_csp));
        if let Some(border) = self.prefers_border {
            meta.insert("openai/widgetPrefersBorder".into(), json!(border));
        }
        if let Some(domain) = &self.domain {
            meta.insert("openai/widgetDomain".into(), json!(domain));
        }
        if let Some(description) = &self.description {
            meta.insert("openai/widgetDescription".into(), json!(description));
        }
        meta
    }
}

/// Who may call a tool (`_meta.ui.visibility`): the model, the UI pages of this server, or both.
///
/// A host that speaks MCP Apps leaves an [`App`](Visibility::App) tool out of the model's tool
/// list and refuses a page's call to a [`Model`](Visibility::Model) tool. Hosts without UI
/// support ignore it, so an app-only tool must still be safe for a model to call.
///
/// ```
/// use mcp_connector_core::{Tool, protocol::CallToolResult, ui::Visibility};
///
/// // A button's action: the page calls it, the model does not see it.
/// let archive = Tool::write("archive_card")
///     .visibility(Visibility::App)
///     .handler(|_ctx, _args| async { Ok(CallToolResult::text("archived")) });
/// # let _ = archive;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    /// The model and the pages (the spec's default).
    #[default]
    Both,
    /// Only the model: pages may not call it.
    Model,
    /// Only the pages (a refresh button, a form submit): hidden from the model.
    App,
}

impl Visibility {
    fn app_may_call(self) -> bool {
        self != Visibility::Model
    }
}

/// A tool's link to a UI: what [`ToolBuilder::ui`](crate::ToolBuilder::ui) and friends record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ToolUi {
    pub(crate) resource_uri: Option<String>,
    pub(crate) visibility: Option<Visibility>,
    pub(crate) invoking: Option<String>,
    pub(crate) invoked: Option<String>,
}

/// A UI resource's declaration, as the server keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceUi {
    pub(crate) meta: UiMeta,
    /// The `_meta` every content item of the page carries (`Meta` of [`UiMeta::wire`]).
    pub(crate) content_meta: Arc<Meta>,
    /// The MIME type the contents are served as.
    pub(crate) mime_type: &'static str,
}

impl ResourceUi {
    pub(crate) fn new(meta: UiMeta) -> Self {
        let content_meta = Arc::new(meta.wire());
        ResourceUi { meta, content_meta, mime_type: MIME_TYPE }
    }

    /// Whether the page is also served as `text/html+skybridge`.
    pub(crate) fn meta_wants_skybridge(&self) -> bool {
        self.mime_type == MIME_TYPE && self.meta.skybridge
    }

    /// The declaration of the page's `text/html+skybridge` copy: ChatGPT's keys only.
    pub(crate) fn skybridge_copy(&self) -> Self {
        let mut content_meta = (*self.content_meta).clone();
        content_meta.remove("ui");
        ResourceUi {
            meta: self.meta.clone(),
            content_meta: Arc::new(content_meta),
            mime_type: SKYBRIDGE_MIME_TYPE,
        }
    }

    /// The URI of the skybridge copy of the page at `uri`.
    pub(crate) fn skybridge_uri(uri: &str) -> String {
        format!("{uri}.skybridge")
    }

    /// Checks the declaration of the page at `uri`.
    pub(crate) fn check(&self, uri: &str) -> Result<(), BuildError> {
        self.meta.check(uri)
    }

    /// Puts the page's MIME type and `_meta` on what its handler returned, keeping any key the
    /// handler set itself.
    pub(crate) fn finish_contents(&self, contents: &mut [ResourceContents]) {
        for item in contents {
            let (ResourceContents::Text { mime_type, meta, .. }
            | ResourceContents::Blob { mime_type, meta, .. }) = item;
            *mime_type = Some(self.mime_type.to_owned());
            let meta = meta.get_or_insert_with(Map::new);
            for (key, value) in self.content_meta.iter() {
                meta.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
}

/// Merges `extra` into `meta`, keeping keys already there (the author's own `_meta` wins).
pub(crate) fn merge_meta(meta: &mut Option<Meta>, extra: Meta) {
    let meta = meta.get_or_insert_with(Map::new);
    for (key, value) in extra {
        meta.entry(key).or_insert(value);
    }
}

impl ToolUi {
    /// Checks the link of tool `tool` against the UI resources, and returns the tool's `_meta`.
    /// `find` answers, for a URI, whether it is a registered UI page and whether it has a
    /// skybridge copy.
    pub(crate) fn wire(
        &self,
        tool: &str,
        find: impl Fn(&str) -> Option<Option<bool>>,
    ) -> Result<Meta, BuildError> {
        let fail = |why: String| BuildError::InvalidUi { item: format!("tool {tool:?}"), why };
        let mut ui = Map::new();
        let mut meta = Map::new();
        if let Some(uri) = &self.resource_uri {
            ui_rules::check_ui_uri(uri).map_err(fail)?;
            let skybridge = match find(uri) {
                Some(Some(skybridge)) => skybridge,
                Some(None) => {
                    return Err(fail(format!(
                        "it shows {uri:?}, which is registered but not as a UI page; declare the resource with \
                         `.ui(UiMeta::new())` (or `#[resource(uri = {uri:?}, ui)]`)"
                    )));
                }
                None => {
                    return Err(fail(format!(
                        "it shows {uri:?}, but no resource with that URI is registered; register the page with \
                         `.resource(...)` or fix the URI"
                    )));
                }
            };
            ui.insert("resourceUri".into(), json!(uri));
            meta.insert(FLAT_RESOURCE_URI.into(), json!(uri));
            let template = if skybridge { ResourceUi::skybridge_uri(uri) } else { uri.clone() };
            meta.insert("openai/outputTemplate".into(), json!(template));
        }
        let visibility = self.visibility.unwrap_or_default();
        match self.visibility {
            Some(Visibility::Model) => {
                ui.insert("visibility".into(), json!(["model"]));
            }
            Some(Visibility::App) => {
                ui.insert("visibility".into(), json!(["app"]));
                meta.insert("openai/visibility".into(), json!("private"));
            }
            Some(Visibility::Both) | None => {}
        }
        meta.insert("openai/widgetAccessible".into(), json!(visibility.app_may_call()));
        for (text, key) in [(&self.invoking, "invoking"), (&self.invoked, "invoked")] {
            if let Some(text) = text {
                ui_rules::check_status_text(text)
                    .map_err(|why| fail(format!("its `{key}` text {text:?}: {why}")))?;
                meta.insert(format!("openai/toolInvocation/{key}"), json!(text));
            }
        }
        if !ui.is_empty() {
            meta.insert("ui".into(), Value::Object(ui));
        }
        Ok(meta)
    }
}

/// Whether these client capabilities declare MCP Apps support: the extension, with
/// `text/html;profile=mcp-app` among its `mimeTypes`.
pub(crate) fn client_supports_ui(capabilities: &ClientCapabilities) -> bool {
    let Some(settings) = capabilities.extensions.as_ref().and_then(|e| e.get(EXTENSION)) else {
        return false;
    };
    settings
        .get("mimeTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(MIME_TYPE)))
}

/// A tool result for a UI page: `structuredContent` (and a text summary) for the model and any
/// host, plus `_meta` that the host hands to the page and never to the model.
///
/// The page gets the whole result (`ui/notifications/tool-result`; `window.openai.toolOutput`
/// and `toolResponseMetadata` in ChatGPT). Put what the model should reason about in the
/// structured value and the text; put bulky or private display data (every row, avatars, the
/// user's preferences) in [`WithUi::ui_meta`]. A client without UI support reads the text and
/// the structured value, so the tool still works there.
///
/// `T` must serialise to a JSON object (a struct or a map); its schema becomes the tool's
/// `outputSchema` under `#[tool]`.
///
/// ```
/// use mcp_connector_core::{IntoCallToolResult, WithUi};
/// use serde_json::json;
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// struct Summary { open: u32 }
///
/// let result = WithUi::new(Summary { open: 2 })
///     .text("2 open tickets")
///     .ui_meta(json!({ "columns": ["open", "in_progress"] }))
///     .into_call_tool_result()
///     .unwrap();
/// assert_eq!(result.structured_content.unwrap()["open"], 2);
/// assert_eq!(result.meta.unwrap()["columns"][0], "open");
/// ```
#[derive(Debug, Clone)]
pub struct WithUi<T> {
    structured: T,
    text: Option<String>,
    ui_meta: Result<Meta, String>,
}

impl<T: Serialize> WithUi<T> {
    /// A result whose `structuredContent` is `structured`.
    pub fn new(structured: T) -> Self {
        WithUi { structured, text: None, ui_meta: Ok(Map::new()) }
    }

    /// The text the model and text-only clients read (default: the structured value as JSON).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Data for the page only (the result's `_meta`); must serialise to a JSON object. Several
    /// calls merge, the last value of a key winning.
    pub fn ui_meta(mut self, meta: impl Serialize) -> Self {
        let merged = match (self.ui_meta, serde_json::to_value(meta)) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(format!("the UI metadata could not be serialised: {e}")),
            (Ok(mut all), Ok(Value::Object(more))) => {
                all.extend(more);
                Ok(all)
            }
            (Ok(_), Ok(_)) => Err("the UI metadata must serialise to a JSON object".to_owned()),
        };
        self.ui_meta = merged;
        self
    }

    /// The result, for a hand-written handler (`#[tool]` functions return `WithUi<T>` itself).
    pub fn into_result(self) -> Result<CallToolResult, ToolError>
    where
        T: JsonSchema,
    {
        self.into_call_tool_result()
    }
}

impl<T: Serialize + JsonSchema> IntoCallToolResult for WithUi<T> {
    fn into_call_tool_result(self) -> Result<CallToolResult, ToolError> {
        let meta = self.ui_meta.map_err(ToolError::new)?;
        let Value::Object(structured) = serde_json::to_value(&self.structured)
            .map_err(|e| ToolError::new(format!("the tool's result could not be serialised: {e}")))?
        else {
            return Err(ToolError::new(
                "the structured result of a UI tool must be a JSON object (a struct or a map)",
            ));
        };
        let text = match self.text {
            Some(text) => text,
            None => Value::Object(structured.clone()).to_string(),
        };
        let mut result = CallToolResult::content(vec![Content::text(text)]);
        result.structured_content = Some(structured);
        result.meta = (!meta.is_empty()).then_some(meta);
        Ok(result)
    }

    fn output_schema() -> Option<Map<String, Value>> {
        crate::schema::object_schema_for::<T>().ok()
    }
}
