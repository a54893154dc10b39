//! Rules both `mcp-core` (at run time) and `mcp-macros` (at compile time) apply. Each file here
//! is compiled into both crates (the macros include it with `#[path]`, as serde_derive shares
//! its internals), so the two can never drift: a name or template the macros accept is one the
//! server accepts, with the same message when it is not.
//!
//! The files name nothing outside themselves and the standard library.
//!
//! Before `mcp-macros` is published, these files must be inside its package (`cargo package`
//! refuses a `#[path]` that leaves the crate): a symlink `mcp-macros/src/shared` pointing here,
//! as serde_derive_internals does, keeps one copy in git.

pub(crate) mod tool_name;
pub(crate) mod ui_rules;
pub(crate) mod uri_template_syntax;
