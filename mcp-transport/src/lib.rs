//! # mcp-transport
//!
//! Ways to expose an [`mcp_connector_core::Server`]: newline-delimited JSON on stdio, an in-memory
//! channel pair for tests and embedding, and streamable HTTP (feature `http`).

// docs.rs builds with `--cfg docsrs` on nightly, where `doc(cfg)` marks feature-gated items
// "Available on crate feature X only"; stable rustdoc (1.95) does not have it yet.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "stdio")]
#[cfg_attr(docsrs, doc(cfg(feature = "stdio")))]
pub mod stdio;

pub mod memory;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub mod auth;

#[cfg(any(feature = "client-stdio", feature = "client-http"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "client-stdio", feature = "client-http"))))]
pub mod client;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod testing;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
