//! The client side of MCP connections over HTTP: how credentials reach the server (the
//! [`Authorizer`] seam) and an OAuth 2.1 client that obtains them ([`oauth`], feature
//! `oauth-client`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use mcp_transport::client::Authorizer;
//! use mcp_transport::client::oauth::{HeadlessBrowser, OAuthClient};
//!
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let oauth = OAuthClient::builder("https://mcp.example.com/mcp")
//!     .client_name("my-agent")
//!     .build(HeadlessBrowser::new("http://127.0.0.1:8765/callback"))?;
//! let authorizer: Arc<dyn Authorizer> = Arc::new(oauth);
//! # drop(authorizer); Ok(()) }
//! ```

mod authorizer;

pub use authorizer::{AuthorizeError, Authorizer, Challenge};

#[cfg(feature = "oauth-client")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth-client")))]
pub mod oauth;
