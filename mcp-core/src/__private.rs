//! What the macros' generated code calls. Not a public API: names here may change in any
//! release. Generated code reaches everything through `::mcp_core::__private`, so it compiles
//! in any crate and module, whatever names the user has in scope.

pub use ::async_trait;
pub use ::futures_util::future::BoxFuture;
pub use ::schemars;
pub use ::serde;
pub use ::serde_json;
pub use ::std;
