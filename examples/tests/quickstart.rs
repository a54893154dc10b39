//! docs/quickstart.md, followed as a newcomer would: `cargo new` a crate outside this workspace,
//! add the page's own `Cargo.toml` lines (the path form, beside a clone of the SDK), write its
//! `src/main.rs` and tests, build, speak to the binary over stdio with the page's own messages,
//! run the tests, and switch `main` to HTTP. Every snippet comes from the page, so a page that
//! drifts from the SDK fails here.
//!
//! It builds a separate crate from scratch (minutes on a cold cache; later runs reuse
//! `target/tmp/quickstart/target`), so it runs in CI (`MCP_INTEROP=required`, set by `.ci/run`)
//! or with `MCP_QUICKSTART=1`, and is skipped otherwise.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A fenced code block of the page: its info string and its lines.
struct Block {
    info: String,
    body: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some(Block { info: info.trim().to_owned(), body: String::new() }),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some(block), None) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// What a reader copies from a Rust block: rustdoc's hidden lines (`# ...`) are scaffolding
/// for the doc test, not part of the snippet.
fn visible(rust: &str) -> String {
    rust.lines()
        .filter(|l| !(l.trim_start() == "#" || l.trim_start().starts_with("# ")))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn find<'a>(blocks: &'a [Block], what: &str, pick: impl Fn(&Block) -> bool) -> &'a Block {
    blocks.iter().find(|b| pick(b)).unwrap_or_else(|| panic!("docs/quickstart.md has no {what} block"))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn enabled() -> bool {
    let on = |var: &str, value: &str| std::env::var(var).is_ok_and(|v| v == value);
    on("MCP_INTEROP", "required") || on("MCP_QUICKSTART", "1")
}

/// Runs `cargo` in `dir` with the quickstart's own target directory; panics with the output
/// when it fails.
fn cargo(dir: &Path, target: &Path, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "`cargo {}` failed in {}:\n{text}", args.join(" "), dir.display());
    text
}

/// Removes the throwaway crate, even when the test fails.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_quickstart_builds_runs_and_tests_a_connector_outside_the_workspace() {
    if !enabled() {
        eprintln!(
            "skipping the quickstart build: set MCP_QUICKSTART=1 (CI runs it with MCP_INTEROP=required)"
        );
        return;
    }
    let page = std::fs::read_to_string(workspace().join("docs/quickstart.md")).unwrap();
    let blocks = blocks(&page);
    let manifest = find(&blocks, "Cargo.toml", |b| b.info == "toml");
    let main_rs = find(&blocks, "src/main.rs", |b| b.info.starts_with("rust") && b.body.contains("fn main"));
    let tests = find(&blocks, "test", |b| b.info.starts_with("rust") && b.body.contains("#[cfg(test)]"));
    let http_main =
        find(&blocks, "HTTP main", |b| b.info.starts_with("rust") && b.body.contains("http::serve"));
    let stdio_session =
        find(&blocks, "stdio session", |b| b.info == "sh" && b.body.contains("| ./target/debug/dice-mcp"));

    // Step 1: `git clone ... mcp-sdk` beside the crate (here: a link to this checkout) and
    // `cargo new dice-mcp`, outside this workspace.
    // The crate lives in the system's temporary directory: anywhere under this checkout, cargo
    // would take it for a member of this workspace. Its build output stays in this target
    // directory, so later runs are warm.
    // Named after this checkout, so that a second run reuses the build of the path dependencies.
    let checkout: String = workspace()
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let root = std::env::temp_dir().join(format!("mcp-quickstart{checkout}"));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("quickstart-target");
    let krate = root.join("dice-mcp");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    std::os::unix::fs::symlink(workspace(), root.join("mcp-sdk")).unwrap();
    let _cleanup = RemoveOnDrop(root.clone());
    cargo(&root, &target, &["new", "--vcs", "none", "dice-mcp"]);
    // The page's lines go where `cargo new` left an empty `[dependencies]`.
    let generated = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    let generated =
        generated.trim_end().strip_suffix("[dependencies]").expect("cargo new ends with [dependencies]");
    std::fs::write(krate.join("Cargo.toml"), format!("{generated}{}", manifest.body)).unwrap();
    // The versions this workspace is tested with, so the crate builds what CI built.
    std::fs::copy(workspace().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    // Steps 2 and 4: `src/main.rs`, with the tests under it.
    let source = format!("{}\n{}", main_rs.body, visible(&tests.body));
    std::fs::write(krate.join("src/main.rs"), &source).unwrap();

    // Step 3: build, and the page's stdio session.
    cargo(&krate, &target, &["build"]);
    let lines: Vec<String> = stdio_session
        .body
        .lines()
        .filter_map(|l| {
            l.trim().strip_prefix('\'').and_then(|l| l.split_once('\'')).map(|(json, _)| json.to_owned())
        })
        .collect();
    assert_eq!(lines.len(), 3, "the stdio session's messages: {lines:?}");
    let mut child = Command::new(target.join("debug/dice-mcp"))
        .current_dir(&krate)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for line in &lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let answers: Vec<Value> =
        String::from_utf8(output.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), 2, "one answer per request: {answers:?}");
    // Requests run concurrently, so answers may come in either order: match them by id.
    let answer = |id: u64| answers.iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("no answer {id}"));
    assert_eq!(answer(1)["result"]["serverInfo"]["name"], "dice", "{answers:?}");
    let roll = &answer(2)["result"]["structuredContent"];
    let dice = roll["dice"].as_array().unwrap();
    assert_eq!(dice.len(), 3, "{roll}");
    let sum: u64 = dice.iter().map(|d| d.as_u64().unwrap()).sum();
    assert!(dice.iter().all(|d| (1..=20).contains(&d.as_u64().unwrap())), "{roll}");
    assert_eq!(roll["total"], sum);

    // Step 4: the page's tests pass.
    let tested = cargo(&krate, &target, &["test"]);
    assert!(tested.contains("test result: ok. 2 passed"), "{tested}");

    // Step 5: `main` serves HTTP instead; it builds.
    let start = source.find("#[tokio::main]").expect("main.rs has a #[tokio::main]");
    let end = start + source[start..].find("\n}\n").expect("main ends") + 3;
    let http = format!("{}{}{}", &source[..start], visible(&http_main.body), &source[end..]);
    std::fs::write(krate.join("src/main.rs"), http).unwrap();
    cargo(&krate, &target, &["build"]);
}

#[test]
fn the_page_parses_into_the_blocks_the_test_follows() {
    // Cheap, always run: the structure the long test relies on is there.
    let page = std::fs::read_to_string(workspace().join("docs/quickstart.md")).unwrap();
    let blocks = blocks(&page);
    let toml = find(&blocks, "Cargo.toml", |b| b.info == "toml");
    assert!(toml.body.starts_with("[dependencies]\n"), "{}", toml.body);
    assert!(toml.body.contains("path = \"../mcp-sdk/mcp-core\""), "{}", toml.body);
    assert!(toml.body.contains("[dev-dependencies]"), "{}", toml.body);
    let tests = find(&blocks, "test", |b| b.body.contains("#[cfg(test)]"));
    let shown = visible(&tests.body);
    assert!(shown.starts_with("#[cfg(test)]") && !shown.contains("# fn server"), "{shown}");
}
