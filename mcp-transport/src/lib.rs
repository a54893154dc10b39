//! # mcp-transport
//!
//! Ways to expose an [`mcp_core::Server`]: newline-delimited JSON on stdio, an in-memory
//! channel pair for tests and embedding, and streamable HTTP (feature `http`).

#[cfg(feature = "stdio")]
pub mod stdio;

pub mod memory;

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "auth")]
pub mod auth;
