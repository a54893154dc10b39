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
                "`crate` takes the path of mcp-core as a string, such as `crate = \"::my_sdk::mcp_connector_core\"`",
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
    /// `ui = "ui://..."`: the page that shows the tool's results (MCP Apps).
    pub(crate) ui: Option<LitStr>,
    /// `visibility = "model" | "app" | "both"`.
    pub(crate) visibility: Option<Visibility>,
    /// `invoking = "..."`, `invoked = "..."`: ChatGPT's status texts.
    pub(crate) invoking: Option<LitStr>,
    pub(crate) invoked: Option<LitStr>,
    /// `timeout = "30s"`, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// `idempotency_key = "argument"`: the argument carrying the call's idempotency key.
    pub(crate) idempotency_key: Option<LitStr>,
    /// `retry_window = false`: the tool opts out of the retry window.
    pub(crate) retry_window: Option<(bool, Span)>,
    /// `confirm = preview_fn`: calls need the user's confirmation; the function previews them.
    pub(crate) confirm: Option<syn::Path>,
    pub(crate) common: Common,
}

/// `visibility = "..."` of a tool: who may call it (MCP Apps).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visibility {
    Both,
    Model,
    App,
}

fn visibility(opt: &Opt, errors: &mut Errors) -> Option<Visibility> {
    let value = opt.string(errors)?;
    match value.value().as_str() {
        "both" => Some(Visibility::Both),
        "model" => Some(Visibility::Model),
        "app" => Some(Visibility::App),
        other => {
            errors.spanned(
                &value,
                format!(
                    "unknown visibility {other:?}: write `visibility = \"app\"` (only the UI pages may call the tool; \
                     hidden from the model), `visibility = \"model\"` (pages may not call it) or leave it out (both)"
                ),
            );
            None
        }
    }
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

/// `key = "ui://..."`, checked as the server will check it.
fn ui_uri(opt: &Opt, errors: &mut Errors) -> Option<LitStr> {
    let value = opt.string(errors)?;
    if let Err(why) = crate::ui_rules::check_ui_uri(&value.value()) {
        errors.spanned(&value, why);
        return None;
    }
    Some(value)
}

/// `invoking = "..."` or `invoked = "..."`.
fn status_text(opt: &Opt, errors: &mut Errors) -> Option<LitStr> {
    let value = opt.string(errors)?;
    if let Err(why) = crate::ui_rules::check_status_text(&value.value()) {
        errors.spanned(&value, format!("the `{}` text {:?}: {why}", opt.name(), value.value()));
        return None;
    }
    Some(value)
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
    "ui",
    "visibility",
    "invoking",
    "invoked",
    "timeout",
    "idempotency_key",
    "retry_window",
    "confirm",
];

/// A duration as `timeout = "..."` takes it: a number and a unit (`ms`, `s`, `m`), such as
/// `"500ms"`, `"30s"`, `"1.5s"` or `"2m"`; in milliseconds, at least one.
pub(crate) fn duration_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor = match unit.trim() {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" | "min" => 60_000.0,
        _ => {
            return Err(format!(
                "`{text}` has no unit: write a number and `ms`, `s` or `m`, such as \"30s\""
            ));
        }
    };
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * factor >= 1.0 && n * factor <= 86_400_000.0 => {
            Ok((n * factor).round() as u64)
        }
        _ => Err(format!(
            "`{text}` is not a timeout: write a positive number of at least 1 ms and at most a day, and a unit, such as \"30s\""
        )),
    }
}

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
            "ui" => once(&mut tool.ui, &opt, ui_uri(&opt, errors), errors),
            "visibility" => once(&mut tool.visibility, &opt, visibility(&opt, errors), errors),
            "invoking" => once(&mut tool.invoking, &opt, status_text(&opt, errors), errors),
            "invoked" => once(&mut tool.invoked, &opt, status_text(&opt, errors), errors),
            "timeout" => {
                let value = opt.string(errors).and_then(|text| match duration_ms(&text.value()) {
                    Ok(ms) => Some(ms),
                    Err(why) => {
                        errors.spanned(&text, why);
                        None
                    }
                });
                once(&mut tool.timeout_ms, &opt, value, errors)
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
    /// `ui` or `ui(...)`: the resource is an MCP Apps page.
    pub(crate) ui: Option<UiPage>,
    pub(crate) common: Common,
}

const RESOURCE_OPTIONS: &[&str] = &["uri", "mime_type", "size", "complete", "ui"];

/// `ui(...)` of `#[resource]`: the page's declaration, as `UiMeta` takes it.
pub(crate) struct UiPage {
    /// `(UiMeta method, string argument)` in the order written.
    pub(crate) strings: Vec<(&'static str, LitStr)>,
    pub(crate) permissions: Vec<(LitStr, &'static str)>,
    pub(crate) prefers_border: Option<bool>,
    pub(crate) skybridge_copy: Option<bool>,
}

const UI_OPTIONS: &[&str] = &[
    "connect_domains",
    "resource_domains",
    "frame_domains",
    "base_uri_domains",
    "permissions",
    "domain",
    "prefers_border",
    "description",
    "skybridge_copy",
];

/// The string literals of `key = ["a", "b"]`.
fn string_list(opt: &Opt, errors: &mut Errors) -> Vec<LitStr> {
    let hint =
        format!("`{0}` takes a list of string literals: `{0} = [\"https://api.example.com\"]`", opt.name());
    let Some(expr) = opt.expr(errors) else { return Vec::new() };
    let Expr::Array(array) = expr else {
        errors.spanned(&expr, hint);
        return Vec::new();
    };
    let mut out = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => out.push(s.clone()),
            other => errors.spanned(other, &hint),
        }
    }
    out
}

fn ui_page(opt: &Opt, errors: &mut Errors) -> Option<UiPage> {
    let mut page =
        UiPage { strings: Vec::new(), permissions: Vec::new(), prefers_border: None, skybridge_copy: None };
    let items: &[Opt] = match &opt.value {
        OptValue::Flag => &[],
        _ => opt.list(errors)?,
    };
    for item in items {
        let name = item.name();
        match name.as_str() {
            "connect_domains" | "resource_domains" | "frame_domains" | "base_uri_domains" => {
                let method = match name.as_str() {
                    "connect_domains" => "connect_domain",
                    "resource_domains" => "resource_domain",
                    "frame_domains" => "frame_domain",
                    _ => "base_uri_domain",
                };
                for origin in string_list(item, errors) {
                    match crate::ui_rules::check_origin(&origin.value()) {
                        Ok(()) => page.strings.push((method, origin)),
                        Err(why) => errors.spanned(&origin, why),
                    }
                }
            }
            "permissions" => {
                for permission in string_list(item, errors) {
                    let variant = match permission.value().as_str() {
                        "camera" => "Camera",
                        "microphone" => "Microphone",
                        "geolocation" => "Geolocation",
                        "clipboardWrite" | "clipboard_write" => "ClipboardWrite",
                        other => {
                            errors.spanned(
                                &permission,
                                format!(
                                    "unknown permission {other:?}: MCP Apps pages may ask for \"camera\", \
                                     \"microphone\", \"geolocation\" or \"clipboardWrite\""
                                ),
                            );
                            continue;
                        }
                    };
                    page.permissions.push((permission, variant));
                }
            }
            "domain" => {
                if let Some(domain) = item.string(errors) {
                    match crate::ui_rules::check_domain(&domain.value()) {
                        Ok(()) => page.strings.push(("domain", domain)),
                        Err(why) => errors.spanned(&domain, why),
                    }
                }
            }
            "description" => {
                if let Some(text) = item.string(errors) {
                    page.strings.push(("description", text));
                }
            }
            "prefers_border" => once(&mut page.prefers_border, item, item.flag(errors), errors),
            "skybridge_copy" => once(&mut page.skybridge_copy, item, item.flag(errors), errors),
            other => errors.at(item.span(), unknown_option("ui(...)", other, UI_OPTIONS)),
        }
    }
    Some(page)
}

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
            "ui" => once(&mut resource.ui, &opt, ui_page(&opt, errors), errors),
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
    if resource.ui.is_some() {
        if let Some(uri) = &resource.uri
            && let Err(why) = crate::ui_rules::check_ui_uri(&uri.value())
        {
            errors.spanned(uri, format!("{why} (this resource is a UI page: it has `ui`)"));
        }
        if let Some(mime) = &resource.mime_type {
            errors.spanned(
                mime,
                "a UI page is always served as `text/html;profile=mcp-app`; remove `mime_type` (or `ui`)",
            );
        }
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

#[cfg(test)]
mod tests {
    use super::duration_ms;

    #[test]
    fn timeouts_are_a_number_and_a_unit() {
        assert_eq!(duration_ms("500ms"), Ok(500));
        assert_eq!(duration_ms("30s"), Ok(30_000));
        assert_eq!(duration_ms(" 1.5 s "), Ok(1_500));
        assert_eq!(duration_ms("2m"), Ok(120_000));
        for bad in ["30", "", "s", "-1s", "0s", "0.1ms", "1h", "two s", "2d", "1e3s", "99999m"] {
            let why = duration_ms(bad).expect_err(bad);
            assert!(why.contains("such as \"30s\""), "{bad}: {why}");
        }
    }
}
