use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::completion::{Completer, CompletionRequest};
use crate::Context;
use crate::error::McpError;
use crate::protocol::{GetPromptResult, Icon, Meta, PromptArgument, PromptDefinition};

/// What runs when a prompt is fetched: gets the argument values (required ones are checked to
/// be present before it runs).
pub trait PromptHandler: Send + Sync + 'static {
    /// Renders the prompt.
    fn get(
        &self,
        ctx: Context,
        arguments: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<GetPromptResult, McpError>>;
}

impl<F, Fut> PromptHandler for F
where
    F: Fn(Context, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<GetPromptResult, McpError>> + Send + 'static,
{
    fn get(
        &self,
        ctx: Context,
        arguments: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<GetPromptResult, McpError>> {
        Box::pin(self(ctx, arguments))
    }
}

/// A prompt template the user can pick in the client.
///
/// ```
/// use mcp_connector_core::{Prompt, protocol::{GetPromptResult, PromptMessage}};
///
/// let triage = Prompt::new("triage")
///     .description("Triage a ticket")
///     .argument("id", "The ticket to triage", true)
///     .handler(|_ctx, args| async move {
///         Ok(GetPromptResult::new(vec![PromptMessage::user(format!("Triage ticket {}", args["id"]))]))
///     });
/// assert_eq!(triage.name(), "triage");
/// ```
#[derive(Clone)]
pub struct Prompt {
    pub(crate) definition: PromptDefinition,
    pub(crate) handler: Arc<dyn PromptHandler>,
    pub(crate) completers: BTreeMap<String, Arc<dyn Completer>>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt").field("definition", &self.definition).finish_non_exhaustive()
    }
}

impl Prompt {
    /// Starts a prompt named `name`.
    // Returns the builder: a prompt or resource without its handler is not yet usable.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(name: impl Into<String>) -> PromptBuilder {
        PromptBuilder {
            definition: PromptDefinition {
                name: name.into(),
                title: None,
                description: None,
                arguments: None,
                icons: None,
                meta: None,
            },
            completers: BTreeMap::new(),
        }
    }

    /// The prompt's name.
    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// What `prompts/list` says about it.
    pub fn definition(&self) -> &PromptDefinition {
        &self.definition
    }
}

/// Builds a [`Prompt`].
#[derive(Clone)]
pub struct PromptBuilder {
    definition: PromptDefinition,
    completers: BTreeMap<String, Arc<dyn Completer>>,
}

impl PromptBuilder {
    /// Display name.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.definition.title = Some(title.into());
        self
    }

    /// What the prompt does.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.definition.description = Some(description.into());
        self
    }

    /// Adds an argument.
    pub fn argument(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        required: bool,
    ) -> Self {
        self.definition.arguments.get_or_insert_with(Vec::new).push(PromptArgument {
            name: name.into(),
            title: None,
            description: Some(description.into()).filter(|d: &String| !d.is_empty()),
            required: Some(required),
        });
        self
    }

    /// Icons.
    pub fn icons(mut self, icons: Vec<Icon>) -> Self {
        self.definition.icons = Some(icons);
        self
    }

    /// Free-form `_meta`.
    pub fn meta(mut self, meta: Meta) -> Self {
        self.definition.meta = Some(meta);
        self
    }

    /// Completion for an argument (`completion/complete` with `ref/prompt`).
    pub fn complete<F, Fut>(self, argument: impl Into<String>, completer: F) -> Self
    where
        F: Fn(CompletionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<String>, McpError>> + Send + 'static,
    {
        self.with_completer(argument, completer)
    }

    /// Like [`PromptBuilder::complete`], with any [`Completer`].
    pub fn with_completer(mut self, argument: impl Into<String>, completer: impl Completer) -> Self {
        self.completers.insert(argument.into(), Arc::new(completer));
        self
    }

    /// Finishes the prompt with an async closure or function as its handler.
    pub fn handler<F, Fut>(self, handler: F) -> Prompt
    where
        F: Fn(Context, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, McpError>> + Send + 'static,
    {
        self.with_handler(handler)
    }

    /// Finishes the prompt with any [`PromptHandler`].
    pub fn with_handler(self, handler: impl PromptHandler) -> Prompt {
        Prompt { definition: self.definition, handler: Arc::new(handler), completers: self.completers }
    }
}
