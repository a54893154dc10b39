//! The `tickets` board (MCP Apps) in a real browser: headless Chromium, a test host built on the
//! official host bridge (`AppBridge` of `@modelcontextprotocol/ext-apps`), the page read from the
//! running server, a real `show_board` result; a click on the board must become a real
//! `update_ticket`, checked here in the database. The browser side is
//! `interop/ui/board_browser.mjs`; screenshots at 400 px, light and dark, land in
//! `target/ui-screenshots/` (CI keeps them as artifacts).
//!
//! See `support` for how a missing browser or package is handled (`MCP_INTEROP=required` in
//! CI makes it a failure).

mod support;

use std::path::PathBuf;

use examples::tickets::{Status, Store};
use support::{Served, TempDb, browser, run_client_json};

const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("ui-screenshots")
}

#[tokio::test]
async fn the_board_renders_and_its_buttons_update_tickets_in_chromium() {
    let Some((node, chromium)) = browser() else { return };
    let db = TempDb::new("ui-browser");
    // Seed the database before the server opens it, to know the board it starts from.
    let before = Store::open(&db.0).unwrap();
    assert_eq!(before.get(1).await.unwrap().status, Status::Open);
    assert_eq!(before.get(2).await.unwrap().status, Status::InProgress);
    drop(before);

    let server = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    let out = screenshot_dir();
    let summary = run_client_json(
        &node,
        &["ui/board_browser.mjs".as_ref(), server.url.as_ref(), out.as_os_str(), chromium.as_os_str()],
    );
    server.stop();

    assert_eq!(
        summary["moves"],
        serde_json::json!([{"id": 1, "status": "in_progress"}, {"id": 2, "status": "resolved"}])
    );
    // The clicks reached the server: the database says so, not the page.
    let after = Store::open(&db.0).unwrap();
    assert_eq!(after.get(1).await.unwrap().status, Status::InProgress);
    assert_eq!(after.get(2).await.unwrap().status, Status::Resolved);
    for theme in ["light", "dark"] {
        let shot = out.join(format!("board-400-{theme}.png"));
        let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("{}: {e}", shot.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
    }
}
