//! Compile-fail tests: each `tests/ui/*.rs` is a mistake an author can make, and its
//! `.stderr` the error they get. Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p mcp-connector-macros --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
