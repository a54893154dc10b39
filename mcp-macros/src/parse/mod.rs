//! Reading what the author wrote: the options of each attribute, doc comments and
//! signatures. Every problem is recorded in the `Errors` collector and parsing goes on, so
//! one compile shows them all.

pub(crate) mod attr;
pub(crate) mod docs;
pub(crate) mod json;
pub(crate) mod params;

use proc_macro2::{Span, TokenStream};
use syn::{Expr, LitInt, LitStr};

use self::attr::{Opt, OptValue, once, parse_options};
use crate::diag::{Errors, unknown_option};

/// `meta = { json }` or `meta = expr`.
pub(crate) enum MetaValue {
    Json(json::Json),
    Expr(Expr),
}

/// Options every macro takes.
#[derive(Default)]
pub(crate) struct Common {
    pub(crate) name: Option<LitStr>,
    pub(crate) title: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) icons: Option<Expr>,
    pub(crate) meta: Option<MetaValue>,
    pub(crate) krate: Option<syn::Path>,
}

impl Common {
    /// Takes `opt` when it is a common option; `false` when it is not one.
    fn take(&mut self, opt: &Opt, errors: &mut Errors) -> bool {
        match opt.name().as_str() {
            "name" => once(&mut self.name, opt, opt.string(errors), errors),
            "title" => once(&mut self.title, opt, opt.string(errors), errors),
            "description" => once(&mut self.description, opt, opt.string(errors), errors),
            "icons" => once(&mut self.icons, opt, opt.expr(errors), errors),
            "meta" => {
                let value = match &opt.value {
                    OptValue::Json(json) => Some(MetaValue::Json(json.clone())),
                    _ => opt.expr(errors).map(MetaValue::Expr),
                };
                once(&mut self.meta, opt, value, errors)
            }
            "crate" => once(&mut self.krate, opt, krate(opt, errors), errors),
            _ => return false,
        }
        true
    }
}

const COMMON: &[&str] = &["name", "title", "description", "icons", "meta", "crate"];

fn krate(opt: &Opt, errors: &mut Errors) -> Option<syn::Path> {
    let lit = opt.string(errors)?;
    match lit.parse::<syn::Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            errors.spanned(
                &lit,
                "`crate` takes the path of mcp-core as a string, such as `crate = \"::my_sdk::mcp_core\"`",
            );
            None
        }
    }
}

fn options(list: &[&'static str]) -> Vec<&'static str> {
    list.iter().chain(COMMON).copied().collect()
}

/// `read` or `write`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// `task = "optional"` or `task = "required"`: whether calls may become tasks (the Tasks
/// extension of protocol 2026-07-28).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskSupport {
    Optional,
    Required,
}

/// `#[tool(...)]`
#[derive(Default)]
pub(crate) struct ToolAttr {
    pub(crate) access: Option<(Access, Span)>,
    pub(crate) destructive: Option<(bool, Span)>,
    pub(crate) idempotent: Option<(bool, Span)>,
    pub(crate) open_world: Option<(bool, Span)>,
    pub(crate) scopes: Vec<LitStr>,
    pub(crate) task: Option<TaskSupport>,
    pub(crate) defer_task: Option<(bool, Span)>,
    /// `idempotency_key = "argument"`: the argument carrying the call's idempotency key.
    pub(crate) idempotency_key: Option<LitStr>,
    /// `retry_window = false`: the tool opts out of the retry window.
    pub(crate) retry_window: Option<(bool, Span)>,
    /// `confirm = preview_fn`: calls need the user's confirmation; the function previews them.
    pub(crate) confirm: Option<syn::Path>,
    pub(crate) common: Common,
}

/// `confirm = preview_fn`: the name of the preview function.
fn confirm_path(opt: &Opt, errors: &mut Errors) -> Option<syn::Path> {
    match opt.expr(errors)? {
        Expr::Path(path) if path.qself.is_none() => Some(path.path),
        other => {
            errors.spanned(
                other,
                "`confirm` takes the name of an `async fn` with the same parameters as the tool that returns \
                 `String` or `Result<String, ToolError>` (what the call would change, for the user): \
                 `confirm = delete_preview`",
            );
            None
        }
    }
}

const TOOL_OPTIONS: &[&str] = &[
    "read",
    "write",
    "destructive",
    "not_destructive",
    "idempotent",
    "not_idempotent",
    "open_world",
    "not_open_world",
    "closed_world",
    "scope",
    "task",
    "defer_task",
    "idempotency_key",
    "retry_window",
    "confirm",
];

/// `task = "optional" | "required"`.
fn task_support(opt: &Opt, errors: &mut Errors) -> Option<TaskSupport> {
    let value = opt.string(errors)?;
    match value.value().as_str() {
        "optional" => Some(TaskSupport::Optional),
        "required" => Some(TaskSupport::Required),
        other => {
            errors.spanned(
                &value,
                format!(
                    "unknown task support {other:?}: write `task = \"optional\"` (a task for clients that \
                     declare the tasks extension, a plain call for others) or `task = \"required\"` (clients \
                     without the extension get an error); leave `task` out for a tool that never runs as a task"
                ),
            );
            None
        }
    }
}

/// Reads `#[tool(...)]`. `attr_span` points at the attribute, for "say read or write".
pub(crate) fn tool_attr(tokens: TokenStream, attr_span: Span, errors: &mut Errors) -> ToolAttr {
    let mut tool = ToolAttr::default();
    for opt in parse_options(tokens, errors) {
        let name = opt.name();
        let hint = |slot: &mut Option<(bool, Span)>, value: Option<bool>, errors: &mut Errors| {
            if let Some(value) = value {
                if slot.is_some() {
                    errors
                        .at(opt.span(), format!("`{name}` contradicts or repeats an earlier hint; keep one"));
                } else {
                    *slot = Some((value, opt.span()));
                }
            }
        };
        match name.as_str() {
            "read" | "write" => {
                let access = if name == "read" { Access::Read } else { Access::Write };
                if !opt.bare(errors) {
                    continue;
                }
                match tool.access {
                    Some((earlier, _)) if earlier != access => errors.at(
                        opt.span(),
                        "a tool is either `read` or `write`, not both: keep `write` if it changes anything, \
                         else keep `read`",
                    ),
                    Some(_) => errors.at(opt.span(), format!("`{name}` is given twice; keep one")),
                    None => tool.access = Some((access, opt.span())),
                }
            }
            "destructive" => hint(&mut tool.destructive, opt.flag(errors), errors),
            "not_destructive" => hint(&mut tool.destructive, opt.bare(errors).then_some(false), errors),
            "idempotent" => hint(&mut tool.idempotent, opt.flag(errors), errors),
            "not_idempotent" => hint(&mut tool.idempotent, opt.bare(errors).then_some(false), errors),
            "open_world" => hint(&mut tool.open_world, opt.flag(errors), errors),
            "not_open_world" | "closed_world" => {
                hint(&mut tool.open_world, opt.bare(errors).then_some(false), errors)
            }
            "task" => once(&mut tool.task, &opt, task_support(&opt, errors), errors),
            "idempotency_key" => once(&mut tool.idempotency_key, &opt, opt.string(errors), errors),
            "retry_window" => {
                let value = opt.flag(errors).map(|v| (v, opt.span()));
                once(&mut tool.retry_window, &opt, value, errors)
            }
            "confirm" => once(&mut tool.confirm, &opt, confirm_path(&opt, errors), errors),
            "defer_task" => {
                let value = opt.flag(errors).map(|v| (v, opt.span()));
                once(&mut tool.defer_task, &opt, value, errors)
            }
            "scope" => {
                if let Some(scope) = opt.string(errors) {
                    if scope.value().is_empty() || scope.value().contains(char::is_whitespace) {
                        errors.spanned(&scope, "an OAuth scope is one non-empty word without spaces; repeat `scope = \"...\"` for several");
                    }
                    tool.scopes.push(scope);
                }
            }
            _ => {
                if !tool.common.take(&opt, errors) {
                    errors.at(opt.span(), unknown_option("#[tool]", &name, &options(TOOL_OPTIONS)));
                }
            }
        }
    }
    match tool.access {
        None => errors.at(
            attr_span,
            "every tool must say whether it only reads or changes something: write `#[tool(read)]`, \
             or `#[tool(write)]` (refined with `destructive`, `idempotent`, `open_world`); clients such as \
             ChatGPT ask the user to confirm every tool that is not `read`",
        ),
        Some((Access::Read, _)) => {
            let safe_writes = [
                (tool.idempotency_key.as_ref().map(|k| k.span()), "idempotency_key"),
                (
                    tool.confirm
                        .as_ref()
                        .map(|c| c.segments.first().map_or_else(Span::call_site, |s| s.ident.span())),
                    "confirm",
                ),
            ];
            for (span, what) in safe_writes {
                if let Some(span) = span {
                    errors.at(
                        span,
                        format!(
                            "`{what}` guards a tool that changes something; a `read` tool changes nothing, so remove \
                             it (or make the tool `write`)"
                        ),
                    );
                }
            }
            for (slot, what) in [(&tool.destructive, "destructive"), (&tool.idempotent, "idempotent")] {
                if let Some((_, span)) = slot {
                    errors.at(
                        *span,
                        format!(
                            "`{what}` refines a `write` tool; a `read` tool is never destructive and always \
                             idempotent, so remove it (or make the tool `write`)"
                        ),
                    );
                }
            }
        }
        Some((Access::Write, _)) => {}
    }
    if let (Some((true, span)), None) = (tool.defer_task, tool.task) {
        errors.at(
            span,
            "`defer_task` says when a task starts, so the tool needs `task = \"optional\"` or \
             `task = \"required\"` too",
        );
    }
    tool
}

/// `#[tools(...)]`
pub(crate) fn tools_attr(tokens: TokenStream, errors: &mut Errors) -> Option<syn::Path> {
    let mut krate_path = None;
    for opt in parse_options(tokens, errors) {
        match opt.name().as_str() {
            "crate" => once(&mut krate_path, &opt, krate(&opt, errors), errors),
            other => errors.at(
                opt.span(),
                format!(
                    "unknown #[tools] option `{other}`: options such as `read` go on each method's `#[tool(...)]`; \
                     `#[tools]` takes only `crate = \"...\"`"
                ),
            ),
        }
    }
    krate_path
}

/// `complete(var = completer, ...)`
pub(crate) struct Completion {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) completer: Expr,
}

fn completions(opt: &Opt, into: &mut Vec<Completion>, errors: &mut Errors) {
    for item in opt.list(errors).unwrap_or_default() {
        let name = item.name();
        if into.iter().any(|c| c.name == name) {
            errors.at(item.span(), format!("`{name}` has two completers; keep one"));
            continue;
        }
        if let Some(completer) = item.expr(errors) {
            into.push(Completion { name, span: item.span(), completer });
        }
    }
}

/// `#[resource(...)]`
#[derive(Default)]
pub(crate) struct ResourceAttr {
    pub(crate) uri: Option<LitStr>,
    pub(crate) mime_type: Option<LitStr>,
    pub(crate) size: Option<LitInt>,
    pub(crate) completions: Vec<Completion>,
    pub(crate) common: Common,
}

const RESOURCE_OPTIONS: &[&str] = &["uri", "mime_type", "size", "complete"];

pub(crate) fn resource_attr(tokens: TokenStream, attr_span: Span, errors: &mut Errors) -> ResourceAttr {
    let mut resource = ResourceAttr::default();
    for opt in parse_options(tokens, errors) {
        match opt.name().as_str() {
            "uri" => once(&mut resource.uri, &opt, opt.string(errors), errors),
            "mime_type" => once(&mut resource.mime_type, &opt, opt.string(errors), errors),
            "size" => {
                let size = match opt.expr(errors) {
                    Some(Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. })) => Some(i),
                    Some(other) => {
                        errors.spanned(other, "`size` takes an integer literal (bytes)");
                        None
                    }
                    None => None,
                };
                once(&mut resource.size, &opt, size, errors)
            }
            "complete" => completions(&opt, &mut resource.completions, errors),
            name => {
                if !resource.common.take(&opt, errors) {
                    errors.at(opt.span(), unknown_option("#[resource]", name, &options(RESOURCE_OPTIONS)));
                }
            }
        }
    }
    if resource.uri.is_none() {
        errors.at(attr_span, "a resource needs its URI: `#[resource(uri = \"tickets://{id}\")]`");
    }
    resource
}

/// `#[prompt(...)]`
#[derive(Default)]
pub(crate) struct PromptAttr {
    pub(crate) completions: Vec<Completion>,
    pub(crate) common: Common,
}

pub(crate) fn prompt_attr(tokens: TokenStream, errors: &mut Errors) -> PromptAttr {
    let mut prompt = PromptAttr::default();
    for opt in parse_options(tokens, errors) {
        match opt.name().as_str() {
            "complete" => completions(&opt, &mut prompt.completions, errors),
            name => {
                if !prompt.common.take(&opt, errors) {
                    errors.at(opt.span(), unknown_option("#[prompt]", name, &options(&["complete"])));
                }
            }
        }
    }
    prompt
}
