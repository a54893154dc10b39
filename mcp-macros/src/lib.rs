//! `#[tool]`, `#[tools]`, `#[resource]` and `#[prompt]`: turn Rust functions into
//! schema-bearing MCP handlers. Use them through `mcp_connector_core`, which re-exports them.
//!
//! Each macro parses (`parse`), checks (`check`) and expands (`expand`), collecting every
//! problem (`diag`) so all of them are reported at once, each at the user's own token. The
//! generated code calls `mcp_connector_core::__private_0_1` (versioned, so mismatched releases fail loudly), which holds the runtime half of the macros.

mod check;
mod diag;
mod expand;
mod parse;
mod uri_template;

// Rules the server applies at run time, compiled here from mcp-core's own source files so the
// compile-time checks can never drift from them (the way serde_derive shares its internals).
#[path = "../../mcp-core/src/shared/tool_name.rs"]
mod tool_name;
#[path = "../../mcp-core/src/shared/ui_rules.rs"]
mod ui_rules;
#[path = "../../mcp-core/src/shared/uri_template_syntax.rs"]
mod uri_template_syntax;

use proc_macro::TokenStream;

#[doc = include_str!("../docs/tool.md")]
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::tool::entry(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/tools.md")]
#[proc_macro_attribute]
pub fn tools(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::tools::entry(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/resource.md")]
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::resource::entry(attr.into(), item.into()).into()
}

#[doc = include_str!("../docs/prompt.md")]
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::prompt::entry(attr.into(), item.into()).into()
}
