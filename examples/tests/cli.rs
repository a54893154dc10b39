//! Every example binary's command line: `--help` lists every flag with the binary's own about
//! text, and a mistake is a usage error (exit code 2) that names the problem.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

/// The flags `examples::cli::Serve` adds to each binary that flattens it.
const SERVE: [&str; 6] =
    ["--http <HOST:PORT>", "--stateful", "--allow-host <NAME>", "--legacy-sse", "--check", "--metrics"];

/// Each binary, the start of its about text, and the flags only it has.
const BINARIES: [(&str, &str, &[&str]); 5] = [
    (env!("CARGO_BIN_EXE_notes"), "Serves a small notes connector", &[]),
    (
        env!("CARGO_BIN_EXE_tickets"),
        "Serves the tickets connector",
        &[
            "--db <PATH>",
            "--auth-issuer <URL>",
            "--resource <URL>",
            "--auth-mode <MODE>",
            "--tokens-file <PATH>",
            "--tokens-env <VAR>",
        ],
    ),
    (env!("CARGO_BIN_EXE_knowledge"), "Serves `search` and `fetch`", &["--dir <DIR>", "--base-url <URL>"]),
    (env!("CARGO_BIN_EXE_workflows"), "Serves the workflows connector", &["--step-ms <MS>"]),
    (env!("CARGO_BIN_EXE_conformance"), "Serves the MCP conformance fixtures", &["--http <HOST:PORT>"]),
];

fn run(binary: &str, args: &[&str]) -> Output {
    // stdin closed: should parsing ever let a binary through to serving stdio, it ends at once
    // instead of hanging the test.
    Command::new(binary).args(args).stdin(std::process::Stdio::null()).output().unwrap()
}

#[test]
fn help_lists_every_flag_with_a_description() {
    for (binary, about, own) in BINARIES {
        let output = run(binary, &["--help"]);
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "{binary} --help: {}", output.status);
        assert!(help.starts_with(about), "{binary} --help starts with its about text:\n{help}");
        let name = binary.rsplit('/').next().unwrap();
        assert!(help.contains(&format!("Usage: {name} [OPTIONS]")), "{help}");
        let flags = match name {
            // The conformance server is always stateful and only ever local: `--http` alone.
            "conformance" => own.to_vec(),
            _ => own.iter().chain(&SERVE).copied().collect(),
        };
        for flag in flags.into_iter().chain(["--help", "--version"]) {
            // `  -h, --help  Print help`: the short form (if any), the flag, then what it does.
            let line = help.lines().map(|line| line.trim_start()).find_map(|line| {
                let long = line
                    .split_once(", ")
                    .filter(|(short, _)| short.len() == 2)
                    .map_or(line, |(_, long)| long);
                long.strip_prefix(flag)
            });
            let rest = line.unwrap_or_else(|| panic!("{name} --help lacks {flag}:\n{help}"));
            let description = rest.trim();
            assert!(description.split_whitespace().count() >= 2, "{name} {flag} has no description:\n{help}");
        }
    }
}

#[test]
fn a_mistake_is_a_usage_error() {
    let mistakes: [(&str, &[&str]); 5] = [
        (env!("CARGO_BIN_EXE_notes"), &["--bogus"]),
        (env!("CARGO_BIN_EXE_tickets"), &["--db"]),
        (env!("CARGO_BIN_EXE_workflows"), &["--step-ms", "soon"]),
        // HTTP-only flags without `--http` would do nothing on stdio.
        (env!("CARGO_BIN_EXE_workflows"), &["--stateful"]),
        (env!("CARGO_BIN_EXE_conformance"), &["--stateful"]),
    ];
    for (binary, args) in mistakes {
        let output = run(binary, args);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{binary} {args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains("--help"), "the error points at --help: {stderr}");
    }
}

/// Every example connector passes the compatibility check with nothing found: what a user
/// copies from is what ChatGPT, Claude, Cursor and VS Code take as it is. (The conformance
/// server is left out: its fixtures are the suite's, not a connector's.)
#[test]
fn every_example_passes_the_compatibility_check() {
    let mut checked = 0;
    for (binary, _, _) in BINARIES {
        let name = binary.rsplit('/').next().unwrap();
        if name == "conformance" {
            continue;
        }
        let output = run(binary, &["--check"]);
        let report = String::from_utf8(output.stdout).unwrap();
        assert!(output.status.success(), "{name} --check: {}\n{report}", output.status);
        assert!(
            report.starts_with(&format!("{name}: compatibility check: nothing found for ChatGPT")),
            "{report}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}
