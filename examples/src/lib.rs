//! Code the example connectors share with their tests. Each binary under `src/bin/` is a
//! connector to copy from; what a binary and its tests both need lives in a module here.

pub mod conformance_fixtures;
