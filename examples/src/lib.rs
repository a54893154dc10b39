//! Code the example connectors share with their tests. Each binary under `src/bin/` is a
//! connector to copy from; what a binary and its tests both need lives in a module here.

pub mod cli;
pub mod conformance_fixtures;
pub mod gateway;
pub mod knowledge;
pub mod tickets;
pub mod workflows;

/// The README's example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme_md {}

// Every page of the guide in docs/ is a doctest: its Rust blocks compile (and run, unless they
// need a network or a process) with `cargo test -p examples --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/README.md")]
mod docs_readme_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/quickstart.md")]
mod docs_quickstart_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/concepts.md")]
mod docs_concepts_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/macros.md")]
mod docs_macros_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/eras.md")]
mod docs_eras_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/transports.md")]
mod docs_transports_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/testing.md")]
mod docs_testing_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/chatgpt.md")]
mod docs_chatgpt_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/clients.md")]
mod docs_clients_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/ui.md")]
mod docs_ui_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/security.md")]
mod docs_security_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/safe-writes.md")]
mod docs_safe_writes_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/protocol.md")]
mod docs_protocol_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/architecture.md")]
mod docs_architecture_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/auth.md")]
mod docs_auth_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/operations.md")]
mod docs_operations_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/client.md")]
mod docs_client_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/gateway.md")]
mod docs_gateway_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/client-auth.md")]
mod docs_client_auth_md {}
#[cfg(doctest)]
#[doc = include_str!("../../docs/scale-out.md")]
mod docs_scale_out_md {}
