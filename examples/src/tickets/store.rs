//! The tickets database: SQLite through `rusqlite`, one connection behind a mutex.
//!
//! Every write is one transaction that checks everything first and commits last, so a write
//! that fails changes nothing; and it is committed (WAL, `synchronous = FULL`) before the tool
//! answers, so a killed process loses no write a client was told about.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value as SqlValue;
use rusqlite::{
    Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params, params_from_iter,
};
use serde::Deserialize;

use super::model::{
    Comment, NewComment, NewTicket, Priority, SearchPage, Status, Ticket, TicketSummary, TicketUpdate,
};

/// Why a store operation failed. The message is written for the model: it says what to do.
#[derive(Debug)]
pub enum StoreError {
    /// The caller asked for something that cannot be done; nothing changed.
    Rejected(String),
    /// SQLite failed.
    Db(rusqlite::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Rejected(why) => f.write_str(why),
            StoreError::Db(e) => {
                write!(f, "the tickets database failed ({e}); nothing was changed, try again")
            }
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e)
    }
}

fn rejected<T>(why: impl Into<String>) -> Result<T, StoreError> {
    Err(StoreError::Rejected(why.into()))
}

fn no_such_ticket(id: u64) -> StoreError {
    StoreError::Rejected(format!("ticket {id} does not exist; use search_tickets to find ticket ids"))
}

/// A shareable handle on the database.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL,
    priority    TEXT NOT NULL,
    assignee    TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX comments_by_ticket ON comments(ticket_id);
-- create_ticket's idempotency keys: a retried call with the same key finds its ticket here.
CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL,
    request     TEXT NOT NULL
);
";

/// (title, body, status, priority, assignee) of the tickets a fresh database starts with.
const SEED: &[(&str, &str, Status, Priority, Option<&str>)] = &[
    (
        "Login page returns 500 after password reset",
        "Users who reset their password get a 500 on the next login. Started after Tuesday's deploy.",
        Status::Open,
        Priority::High,
        None,
    ),
    (
        "Invoice PDF shows the wrong VAT rate for Portugal",
        "Invoices for PT customers use 21% instead of 23%. Finance noticed on the March batch.",
        Status::InProgress,
        Priority::Urgent,
        Some("ana"),
    ),
    (
        "Add dark mode to the dashboard",
        "Several customers asked for a dark theme. Design has mockups in the shared drive.",
        Status::Open,
        Priority::Low,
        None,
    ),
    (
        "Nightly export job times out",
        "The CSV export for large workspaces exceeds the 30 minute limit and is killed.",
        Status::Resolved,
        Priority::Medium,
        Some("ben"),
    ),
    (
        "Typo on the pricing page",
        "\"Anual\" should be \"Annual\" in the plan comparison table.",
        Status::Closed,
        Priority::Low,
        Some("ana"),
    ),
];

impl Store {
    /// Opens (or creates and seeds) the database at `path`; `":memory:"` for a throwaway one.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        // WAL + FULL: a commit is on disk before `commit()` returns, so an acknowledged write
        // survives the process being killed (and the machine losing power). `busy_timeout`
        // lets a second process (a backup, the sqlite3 shell) share the file.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == 0 {
            tx.execute_batch(SCHEMA)?;
            for (title, body, status, priority, assignee) in SEED {
                tx.execute(
                    "INSERT INTO tickets (title, body, status, priority, assignee) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![title, body, status.as_str(), priority.as_str(), assignee],
                )?;
            }
            tx.execute(
                "INSERT INTO comments (ticket_id, author, body) VALUES (2, 'ana', 'Found it: the rate table was cached before the update.')",
                [],
            )?;
            tx.pragma_update(None, "user_version", 1)?;
        }
        if version < 2 {
            // Version 2: a comment can carry the key of the saga step that wrote it, so the
            // step is written once however often it runs and its compensation finds it.
            tx.execute_batch(
                "ALTER TABLE comments ADD COLUMN external_key TEXT;
                 CREATE UNIQUE INDEX comments_by_external_key ON comments(external_key) WHERE external_key IS NOT NULL;",
            )?;
            tx.pragma_update(None, "user_version", 2)?;
        }
        tx.commit()?;
        Ok(Store { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` on the connection in a blocking thread (SQLite calls block, and a commit waits
    /// for the disk), so the async runtime keeps serving other requests meanwhile.
    pub async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (the transaction rolls
            // back on drop), so a poisoned lock is safe to take over.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Rejected(format!("the database task failed: {e}")))?
    }

    /// A ticket with its comments.
    pub async fn get(&self, id: u64) -> Result<Ticket, StoreError> {
        self.run(move |conn| load(conn, id)?.ok_or_else(|| no_such_ticket(id))).await
    }

    /// The ids of every ticket, as strings, for completion.
    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn.prepare("SELECT id FROM tickets ORDER BY id")?;
            let ids = stmt.query_map([], |r| r.get::<_, i64>(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(ids.into_iter().map(|id| id.to_string()).collect())
        })
        .await
    }

    /// Tickets matching every word of the query, the status and the assignee, by id, one page
    /// after `cursor`.
    pub async fn search(
        &self,
        query: Option<String>,
        status: Option<Status>,
        assignee: Option<String>,
        limit: u32,
        cursor: Option<String>,
    ) -> Result<SearchPage, StoreError> {
        let after: i64 = match cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => match c.parse() {
                Ok(n) if n >= 0 => n,
                _ => {
                    return rejected(format!(
                        "invalid cursor {c:?}; pass the next_cursor of the previous page"
                    ));
                }
            },
        };
        self.run(move |conn| {
            let mut filter = String::from(" WHERE 1 = 1");
            let mut args: Vec<SqlValue> = Vec::new();
            for word in query.as_deref().unwrap_or_default().split_whitespace() {
                let like = format!("%{}%", word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                filter.push_str(" AND (title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')");
                args.push(SqlValue::Text(like.clone()));
                args.push(SqlValue::Text(like));
            }
            if let Some(status) = status {
                filter.push_str(" AND status = ?");
                args.push(SqlValue::Text(status.as_str().into()));
            }
            match assignee.as_deref() {
                None => {}
                Some("") => filter.push_str(" AND assignee IS NULL"),
                Some(who) => {
                    filter.push_str(" AND assignee = ? COLLATE NOCASE");
                    args.push(SqlValue::Text(who.into()));
                }
            }
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM tickets{filter}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            args.push(SqlValue::Integer(after));
            args.push(SqlValue::Integer(i64::from(limit) + 1));
            let sql = format!(
                "SELECT id, title, status, priority, assignee, updated_at FROM tickets{filter} AND id > ? ORDER BY id LIMIT ?"
            );
            let mut stmt = conn.prepare(&sql)?;
            let mut tickets = stmt
                .query_map(params_from_iter(args.iter()), |r| {
                    Ok(TicketSummary {
                        id: r.get::<_, i64>(0)? as u64,
                        title: r.get(1)?,
                        status: parse_col(r, 2)?,
                        priority: parse_col(r, 3)?,
                        assignee: r.get(4)?,
                        updated_at: r.get(5)?,
                        uri: format!("tickets://{}", r.get::<_, i64>(0)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let next_cursor = if tickets.len() > limit as usize {
                tickets.truncate(limit as usize);
                tickets.last().map(|t| t.id.to_string())
            } else {
                None
            };
            Ok(SearchPage { total: total as u64, tickets, next_cursor })
        })
        .await
    }

    /// Creates a ticket, or returns the one an earlier call with the same idempotency key
    /// created. Returns the ticket and whether this call created it.
    pub async fn create(&self, new: NewTicket) -> Result<(Ticket, bool), StoreError> {
        let title = new.title.trim().to_owned();
        if title.is_empty() {
            return rejected("the title is empty; give the ticket a short summary as its title");
        }
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // What the key stands for: a retry must ask for the same ticket.
            let request = serde_json::json!([title, new.body, new.priority, new.assignee]).to_string();
            if let Some(key) = &new.idempotency_key {
                let seen: Option<(i64, String)> = tx
                    .query_row(
                        "SELECT ticket_id, request FROM idempotency_keys WHERE key = ?1",
                        [key],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((id, earlier)) = seen {
                    if earlier != request {
                        return rejected(format!(
                            "idempotency key {key:?} was already used to create ticket {id} with different \
                             fields; use a new key for a new ticket"
                        ));
                    }
                    let id = id as u64;
                    return match load(&tx, id)? {
                        Some(ticket) => Ok((ticket, false)),
                        None => rejected(format!(
                            "idempotency key {key:?} created ticket {id}, which has since been deleted"
                        )),
                    };
                }
            }
            tx.execute(
                "INSERT INTO tickets (title, body, status, priority, assignee) VALUES (?1, ?2, 'open', ?3, ?4)",
                params![title, new.body, new.priority.as_str(), non_empty(new.assignee)],
            )?;
            let id = tx.last_insert_rowid();
            if let Some(key) = &new.idempotency_key {
                tx.execute(
                    "INSERT INTO idempotency_keys (key, ticket_id, request) VALUES (?1, ?2, ?3)",
                    params![key, id, request],
                )?;
            }
            let ticket = load(&tx, id as u64)?.ok_or_else(|| no_such_ticket(id as u64))?;
            tx.commit()?;
            Ok((ticket, true))
        })
        .await
    }

    /// Changes the fields that are given; checks the status transition first.
    pub async fn update(&self, update: TicketUpdate) -> Result<Ticket, StoreError> {
        let TicketUpdate { id, status, assignee, title, body, priority } = update;
        if status.is_none() && assignee.is_none() && title.is_none() && body.is_none() && priority.is_none() {
            return rejected(
                "nothing to update: give at least one of status, assignee, title, body, priority",
            );
        }
        let title = title.map(|t| t.trim().to_owned());
        if title.as_deref() == Some("") {
            return rejected("the title cannot be empty; leave `title` out to keep the current one");
        }
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current = load(&tx, id)?.ok_or_else(|| no_such_ticket(id))?;
            if let Some(to) = status
                && !current.status.can_move_to(to)
            {
                return rejected(format!(
                    "ticket {id} is {} and cannot move to {}; allowed next statuses: {}. Nothing was changed.",
                    current.status.as_str(),
                    to.as_str(),
                    current.status.next_statuses()
                ));
            }
            let id_sql = id as i64;
            set(&tx, id_sql, "status", status.map(|s| s.as_str().to_owned()))?;
            set(&tx, id_sql, "priority", priority.map(|p| p.as_str().to_owned()))?;
            set(&tx, id_sql, "title", title)?;
            set(&tx, id_sql, "body", body)?;
            if let Some(assignee) = assignee {
                tx.execute("UPDATE tickets SET assignee = ?1 WHERE id = ?2", params![non_empty(Some(assignee)), id_sql])?;
            }
            tx.execute(
                "UPDATE tickets SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                [id_sql],
            )?;
            let ticket = load(&tx, id)?.ok_or_else(|| no_such_ticket(id))?;
            tx.commit()?;
            Ok(ticket)
        })
        .await
    }

    /// Adds a comment; closed tickets take no comments.
    pub async fn comment(&self, new: NewComment) -> Result<Ticket, StoreError> {
        let body = new.body.trim().to_owned();
        if body.is_empty() {
            return rejected("the comment is empty; write what you want to add");
        }
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current = load(&tx, new.id)?.ok_or_else(|| no_such_ticket(new.id))?;
            if current.status == Status::Closed {
                return rejected(format!(
                    "ticket {} is closed and takes no comments; open a new ticket instead",
                    new.id
                ));
            }
            let author = non_empty(new.author).unwrap_or_else(|| "assistant".into());
            tx.execute(
                "INSERT INTO comments (ticket_id, author, body) VALUES (?1, ?2, ?3)",
                params![new.id as i64, author, body],
            )?;
            tx.execute(
                "UPDATE tickets SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                [new.id as i64],
            )?;
            let ticket = load(&tx, new.id)?.ok_or_else(|| no_such_ticket(new.id))?;
            tx.commit()?;
            Ok(ticket)
        })
        .await
    }

    /// Escalation, step 1: raises the ticket to `urgent` and assigns it to `to`; returns the
    /// ticket as it was before, for the compensation. Closed tickets are not escalated.
    pub async fn escalate(&self, id: u64, to: String) -> Result<Ticket, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let before = load(&tx, id)?.ok_or_else(|| no_such_ticket(id))?;
            if before.status == Status::Closed {
                return rejected(format!("ticket {id} is closed; closed tickets cannot be escalated"));
            }
            tx.execute(
                "UPDATE tickets SET priority = 'urgent', assignee = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                params![id as i64, to],
            )?;
            tx.commit()?;
            Ok(before)
        })
        .await
    }

    /// Escalation, undo of step 1: puts the priority and assignee back. Safe to run twice, and
    /// on a ticket deleted since (nothing to undo).
    pub async fn restore(
        &self,
        id: u64,
        priority: Priority,
        assignee: Option<String>,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            conn.execute(
                "UPDATE tickets SET priority = ?2, assignee = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1",
                params![id as i64, priority.as_str(), assignee],
            )?;
            Ok(())
        })
        .await
    }

    /// Adds a comment under `key`, once: a second call with the same key returns the first
    /// comment's id. Returns the comment's id.
    pub async fn comment_once(
        &self,
        id: u64,
        author: String,
        body: String,
        key: String,
    ) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let seen: Option<i64> = tx
                .query_row("SELECT id FROM comments WHERE external_key = ?1", [&key], |r| r.get(0))
                .optional()?;
            if let Some(comment) = seen {
                return Ok(comment as u64);
            }
            load(&tx, id)?.ok_or_else(|| no_such_ticket(id))?;
            tx.execute(
                "INSERT INTO comments (ticket_id, author, body, external_key) VALUES (?1, ?2, ?3, ?4)",
                params![id as i64, author, body, key],
            )?;
            let comment = tx.last_insert_rowid() as u64;
            tx.commit()?;
            Ok(comment)
        })
        .await
    }

    /// Removes the comment written under `key`, if there is one.
    pub async fn uncomment(&self, key: String) -> Result<(), StoreError> {
        self.run(move |conn| {
            conn.execute("DELETE FROM comments WHERE external_key = ?1", [key])?;
            Ok(())
        })
        .await
    }

    /// Deletes a ticket and its comments; returns what was deleted.
    pub async fn delete(&self, id: u64) -> Result<Ticket, StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let ticket = load(&tx, id)?.ok_or_else(|| no_such_ticket(id))?;
            tx.execute("DELETE FROM tickets WHERE id = ?1", [id as i64])?;
            tx.commit()?;
            Ok(ticket)
        })
        .await
    }
}

/// Sets one column when a value is given (column names come from this file, never from input).
fn set(tx: &Transaction<'_>, id: i64, column: &str, value: Option<String>) -> Result<(), StoreError> {
    if let Some(value) = value {
        tx.execute(&format!("UPDATE tickets SET {column} = ?1 WHERE id = ?2"), params![value, id])?;
    }
    Ok(())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn parse_col<T: for<'de> Deserialize<'de>>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    serde_json::from_value(serde_json::Value::String(text))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn load(conn: &Connection, id: u64) -> Result<Option<Ticket>, StoreError> {
    let id_sql = id as i64;
    let ticket = conn
        .query_row(
            "SELECT title, body, status, priority, assignee, created_at, updated_at FROM tickets WHERE id = ?1",
            [id_sql],
            |r| {
                Ok(Ticket {
                    id,
                    title: r.get(0)?,
                    body: r.get(1)?,
                    status: parse_col(r, 2)?,
                    priority: parse_col(r, 3)?,
                    assignee: r.get(4)?,
                    created_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    uri: format!("tickets://{id}"),
                    comments: Vec::new(),
                })
            },
        )
        .optional()?;
    let Some(mut ticket) = ticket else { return Ok(None) };
    let mut stmt =
        conn.prepare("SELECT id, author, body, created_at FROM comments WHERE ticket_id = ?1 ORDER BY id")?;
    ticket.comments = stmt
        .query_map([id_sql], |r| {
            Ok(Comment {
                id: r.get::<_, i64>(0)? as u64,
                author: r.get(1)?,
                body: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ticket))
}
