use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::completion::{Completer, CompletionRequest};
use super::uri_template::UriTemplate;
use crate::Context;
use crate::error::{BuildError, McpError};
use crate::protocol::{
    Annotations, CacheHint, Icon, Meta, ResourceContents, ResourceDefinition, ResourceTemplateDefinition,
};
use crate::ui::{ResourceUi, UiMeta};

/// The URI being read and, for a template, the variables it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    /// The URI the client asked for.
    pub uri: String,
    /// Template variables, decoded (empty for a concrete resource).
    pub variables: BTreeMap<String, String>,
}

impl ResourceRequest {
    /// A variable's value.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }
}

/// What runs when a resource is read.
pub trait ResourceHandler: Send + Sync + 'static {
    /// Reads the resource.
    fn read(
        &self,
        ctx: Context,
        request: ResourceRequest,
    ) -> BoxFuture<'static, Result<Vec<ResourceContents>, McpError>>;
}

impl<F, Fut> ResourceHandler for F
where
    F: Fn(Context, ResourceRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<ResourceContents>, McpError>> + Send + 'static,
{
    fn read(
        &self,
        ctx: Context,
        request: ResourceRequest,
    ) -> BoxFuture<'static, Result<Vec<ResourceContents>, McpError>> {
        Box::pin(self(ctx, request))
    }
}

/// A concrete resource (one URI) or a resource template (a URI template with variables).
///
/// ```
/// use mcp_connector_core::{Resource, protocol::ResourceContents};
///
/// let readme = Resource::new("docs://readme", "readme")
///     .mime_type("text/markdown")
///     .handler(|_ctx, req| async move { Ok(vec![ResourceContents::text(req.uri, "# Hello")]) });
///
/// let ticket = Resource::template("tickets://{id}", "ticket")
///     .unwrap()
///     .mime_type("application/json")
///     .handler(|_ctx, req| async move {
///         let id = req.var("id").unwrap_or_default().to_owned();
///         Ok(vec![ResourceContents::text(req.uri, format!("{{\"id\":{id}}}"))])
///     });
/// assert!(ticket.is_template() && !readme.is_template());
/// ```
#[derive(Clone)]
pub struct Resource {
    pub(crate) kind: ResourceKind,
    pub(crate) handler: Arc<dyn ResourceHandler>,
    pub(crate) completers: BTreeMap<String, Arc<dyn Completer>>,
    pub(crate) cache: Option<CacheHint>,
    /// The MCP Apps declaration of a UI page (`ui://`), if this is one.
    pub(crate) ui: Option<Arc<ResourceUi>>,
}

#[derive(Clone, Debug)]
pub(crate) enum ResourceKind {
    Concrete(ResourceDefinition),
    Template(ResourceTemplateDefinition, UriTemplate),
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource").field("kind", &self.kind).finish_non_exhaustive()
    }
}

impl Resource {
    /// Whether this is an MCP Apps page (declared with [`ResourceBuilder::ui`]).
    ///
    /// ```
    /// use mcp_connector_core::{Resource, ui::UiMeta};
    ///
    /// assert!(Resource::new("ui://t/board", "board").ui(UiMeta::new()).html("<!doctype html>").is_ui());
    /// assert!(!Resource::new("docs://readme", "readme").html("# Hello").is_ui());
    /// ```
    pub fn is_ui(&self) -> bool {
        self.ui.is_some()
    }

    /// A concrete resource at `uri`.
    // Returns the builder: a prompt or resource without its handler is not yet usable.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> ResourceBuilder {
        ResourceBuilder {
            kind: ResourceKind::Concrete(ResourceDefinition {
                uri: uri.into(),
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
                annotations: None,
                size: None,
                icons: None,
                meta: None,
            }),
            completers: BTreeMap::new(),
            cache: None,
            ui: None,
        }
    }

    /// A resource template; the error says what is wrong with the template.
    pub fn template(
        uri_template: impl Into<String>,
        name: impl Into<String>,
    ) -> Result<ResourceBuilder, BuildError> {
        let source = uri_template.into();
        let parsed = UriTemplate::parse(&source)
            .map_err(|why| BuildError::InvalidUriTemplate { template: source.clone(), why })?;
        Ok(ResourceBuilder {
            kind: ResourceKind::Template(
                ResourceTemplateDefinition {
                    uri_template: source,
                    name: name.into(),
                    title: None,
                    description: None,
                    mime_type: None,
                    annotations: None,
                    icons: None,
                    meta: None,
                },
                parsed,
            ),
            completers: BTreeMap::new(),
            cache: None,
            ui: None,
        })
    }

    /// Whether this is a template.
    pub fn is_template(&self) -> bool {
        matches!(self.kind, ResourceKind::Template(..))
    }

    /// The name.
    pub fn name(&self) -> &str {
        match &self.kind {
            ResourceKind::Concrete(d) => &d.name,
            ResourceKind::Template(d, _) => &d.name,
        }
    }

    /// The URI or URI template.
    pub fn uri(&self) -> &str {
        match &self.kind {
            ResourceKind::Concrete(d) => &d.uri,
            ResourceKind::Template(d, _) => &d.uri_template,
        }
    }

    pub(crate) fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        match &self.kind {
            ResourceKind::Concrete(d) => (d.uri == uri).then(BTreeMap::new),
            ResourceKind::Template(_, t) => t.matches(uri),
        }
    }
}

/// Builds a [`Resource`]; made by [`Resource::new`] or [`Resource::template`].
#[derive(Clone)]
pub struct ResourceBuilder {
    kind: ResourceKind,
    completers: BTreeMap<String, Arc<dyn Completer>>,
    cache: Option<CacheHint>,
    ui: Option<UiMeta>,
}

macro_rules! both {
    ($self:ident, $d:ident => $e:expr) => {
        match &mut $self.kind {
            ResourceKind::Concrete($d) => $e,
            ResourceKind::Template($d, _) => $e,
        }
    };
}

impl ResourceBuilder {
    /// Display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        let t = title.into();
        both!(self, d => d.title = Some(t));
        self
    }

    /// What the resource is.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        let t = description.into();
        both!(self, d => d.description = Some(t));
        self
    }

    /// MIME type.
    pub fn mime_type(mut self, mime: impl Into<String>) -> Self {
        let t = mime.into();
        both!(self, d => d.mime_type = Some(t));
        self
    }

    /// Client hints.
    pub fn annotations(mut self, annotations: Annotations) -> Self {
        both!(self, d => d.annotations = Some(annotations));
        self
    }

    /// Icons.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        both!(self, d => d.icons = Some(icons));
        self
    }

    /// Free-form `_meta`.
    pub fn meta(mut self, meta: Meta) -> Self {
        both!(self, d => d.meta = Some(meta));
        self
    }

    /// Size in bytes (concrete resources only).
    pub fn size(mut self, size: u64) -> Self {
        if let ResourceKind::Concrete(d) = &mut self.kind {
            d.size = Some(size);
        }
        self
    }

    /// The caching hint (`ttlMs`, `cacheScope`) on this resource's `resources/read` results in
    /// protocol 2026-07-28, instead of the server's
    /// ([`ServerBuilder::cache_hint`](crate::ServerBuilder::cache_hint)).
    ///
    /// ```
    /// use mcp_connector_core::{Resource, protocol::{CacheHint, ResourceContents}};
    /// use std::time::Duration;
    ///
    /// let logo = Resource::new("assets://logo", "logo")
    ///     .cache_hint(CacheHint::public(Duration::from_secs(3600)))
    ///     .handler(|_ctx, req| async move { Ok(vec![ResourceContents::text(req.uri, "<svg/>")]) });
    /// # let _ = logo;
    /// ```
    pub fn cache_hint(mut self, hint: CacheHint) -> Self {
        self.cache = Some(hint);
        self
    }

    /// Completion for a template variable (`completion/complete` with `ref/resource`).
    pub fn complete<F, Fut>(self, variable: impl Into<String>, completer: F) -> Self
    where
        F: Fn(CompletionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<String>, McpError>> + Send + 'static,
    {
        self.with_completer(variable, completer)
    }

    /// Like [`ResourceBuilder::complete`], with any [`Completer`].
    pub fn with_completer(mut self, variable: impl Into<String>, completer: impl Completer) -> Self {
        self.completers.insert(variable.into(), Arc::new(completer));
        self
    }

    /// Finishes the resource with an async closure or function as its handler.
    pub fn handler<F, Fut>(self, handler: F) -> Resource
    where
        F: Fn(Context, ResourceRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<ResourceContents>, McpError>> + Send + 'static,
    {
        self.with_handler(handler)
    }

    /// Finishes the resource with any [`ResourceHandler`].
    pub fn with_handler(self, handler: impl ResourceHandler) -> Resource {
        Resource {
            kind: self.kind,
            handler: Arc::new(handler),
            completers: self.completers,
            cache: self.cache,
            ui: self.ui.map(|meta| Arc::new(ResourceUi::new(meta))),
        }
    }

    /// Declares this resource an MCP Apps page (`io.modelcontextprotocol/ui`): served as
    /// `text/html;profile=mcp-app`, with `meta` (CSP, permissions, dedicated domain, border)
    /// as `_meta.ui` and ChatGPT's `openai/widget*` keys, in `resources/list` and on every
    /// content item `resources/read` returns. [`ServerBuilder::build`](crate::ServerBuilder::build)
    /// checks the declaration: the URI must be a concrete `ui://` URI and every origin
    /// well-formed. Finish with [`ResourceBuilder::html`] for a fixed page, or with a handler.
    ///
    /// ```
    /// use mcp_connector_core::{Resource, Server, ui::UiMeta};
    ///
    /// let board = Resource::new("ui://tickets/board", "board")
    ///     .ui(UiMeta::new().prefers_border(true))
    ///     .html("<!doctype html><title>Board</title>");
    /// assert!(Server::builder("t", "1").resource(board).build().is_ok());
    ///
    /// let outside = Resource::new("https://example.com/board", "board").ui(UiMeta::new()).html("");
    /// let error = Server::builder("t", "1").resource(outside).build().unwrap_err();
    /// assert!(error.to_string().contains("not a `ui://` URI"));
    /// ```
    pub fn ui(mut self, meta: UiMeta) -> Self {
        both!(self, d => d.mime_type = Some(crate::ui::MIME_TYPE.to_owned()));
        self.ui = Some(meta);
        self
    }

    /// Finishes the resource with fixed text: an inline string or `include_str!("page.html")`.
    /// The MIME type is the one declared (`text/html;profile=mcp-app` after
    /// [`ResourceBuilder::ui`]).
    ///
    /// ```
    /// use mcp_connector_core::{Resource, ui::UiMeta};
    ///
    /// let page = Resource::new("ui://hello/page", "hello").ui(UiMeta::new()).html("<!doctype html><p>Hello");
    /// assert_eq!(page.uri(), "ui://hello/page");
    /// ```
    pub fn html(self, text: impl Into<std::borrow::Cow<'static, str>>) -> Resource {
        let text: Arc<str> = Arc::from(text.into().into_owned());
        let mime = match &self.kind {
            ResourceKind::Concrete(d) => d.mime_type.clone(),
            ResourceKind::Template(d, _) => d.mime_type.clone(),
        };
        self.handler(move |_ctx, request: ResourceRequest| {
            let mut contents = ResourceContents::text(request.uri, &*text);
            if let Some(mime) = &mime {
                contents = contents.with_mime_type(mime.clone());
            }
            async move { Ok(vec![contents]) }
        })
    }
}
