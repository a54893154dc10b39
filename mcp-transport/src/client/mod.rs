//! Connections for [`mcp_connector_core::client::Client`]: a server process over stdio
//! ([`stdio`], feature `client-stdio`) or an MCP endpoint over streamable HTTP ([`http`],
//! feature `client-http`; the 2024-11-05 HTTP+SSE transport in [`legacy_sse`]), with
//! credentials from an [`Authorizer`]: a fixed token ([`BearerToken`]) or an OAuth 2.1 client
//! for protected servers ([`oauth`], feature `oauth-client`).
//!
//! The protocol (eras, typed calls, handlers) is `mcp_connector_core::client`; this module only moves
//! messages.

#[cfg(feature = "client-http")]
mod authorizer;
#[cfg(feature = "client-http")]
mod bearer;
#[cfg(feature = "client-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-http")))]
pub mod http;
#[cfg(feature = "client-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-http")))]
pub mod legacy_sse;
#[cfg(feature = "oauth-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth-client")))]
pub mod oauth;
#[cfg(feature = "client-http")]
mod sse;
#[cfg(feature = "client-stdio")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-stdio")))]
pub mod stdio;

#[cfg(feature = "client-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-http")))]
pub use authorizer::{AuthorizeError, Authorizer, Challenge};
#[cfg(feature = "client-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-http")))]
pub use bearer::BearerToken;
