//! The on-call notification service: a second SQLite database standing in for a separate
//! system (a pager), which `escalate_ticket` pages. A page is keyed by the saga step that sent
//! it, so sending twice sends once, and cancelling finds it.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::store::StoreError;

/// One page as the on-call service keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The page's id.
    pub id: u64,
    /// The ticket it is about.
    pub ticket_id: u64,
    /// Who was paged.
    pub to: String,
    /// What the page says.
    pub message: String,
    /// `sent` or `cancelled`.
    pub status: String,
}

/// A shareable handle on the on-call database.
#[derive(Clone)]
pub struct OnCall {
    conn: Arc<Mutex<Connection>>,
}

impl OnCall {
    /// Opens (or creates) the on-call database at `path`; `":memory:"` for a throwaway one.
    pub fn open(path: impl AsRef<Path>) -> Result<OnCall, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS pages (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                key         TEXT NOT NULL UNIQUE,
                ticket_id   INTEGER NOT NULL,
                recipient   TEXT NOT NULL,
                message     TEXT NOT NULL,
                status      TEXT NOT NULL DEFAULT 'sent',
                created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
            );",
        )?;
        Ok(OnCall { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || f(&conn.lock().unwrap_or_else(|e| e.into_inner())))
            .await
            .map_err(|e| StoreError::Rejected(format!("the on-call task failed: {e}")))?
    }

    /// Pages `to` about a ticket under `key`, once; returns the page's id.
    pub async fn page(
        &self,
        key: String,
        ticket_id: u64,
        to: String,
        message: String,
    ) -> Result<u64, StoreError> {
        self.run(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO pages (key, ticket_id, recipient, message) VALUES (?1, ?2, ?3, ?4)",
                params![key, ticket_id as i64, to, message],
            )?;
            let id: i64 = conn.query_row("SELECT id FROM pages WHERE key = ?1", [&key], |r| r.get(0))?;
            Ok(id as u64)
        })
        .await
    }

    /// Cancels the page sent under `key`, if there is one (safe to repeat).
    pub async fn cancel(&self, key: String) -> Result<(), StoreError> {
        self.run(move |conn| {
            conn.execute("UPDATE pages SET status = 'cancelled' WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }

    /// Every page about a ticket, oldest first.
    pub async fn pages(&self, ticket_id: u64) -> Result<Vec<Page>, StoreError> {
        self.run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, ticket_id, recipient, message, status FROM pages WHERE ticket_id = ?1 ORDER BY id",
            )?;
            let pages = stmt
                .query_map([ticket_id as i64], |r| {
                    Ok(Page {
                        id: r.get::<_, i64>(0)? as u64,
                        ticket_id: r.get::<_, i64>(1)? as u64,
                        to: r.get(2)?,
                        message: r.get(3)?,
                        status: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(pages)
        })
        .await
    }

    /// The page sent under `key`, if any.
    pub async fn page_by_key(&self, key: String) -> Result<Option<u64>, StoreError> {
        self.run(move |conn| {
            Ok(conn
                .query_row("SELECT id FROM pages WHERE key = ?1", [key], |r| r.get::<_, i64>(0))
                .optional()?
                .map(|id| id as u64))
        })
        .await
    }
}
