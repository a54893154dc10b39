//! What crosses the wire: tool arguments (their schemas are the tools' `inputSchema`) and
//! results (their schemas are the `outputSchema`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a ticket is in its life: open (nobody on it), in_progress, resolved (fixed, waiting for
/// confirmation), closed (final).
// The variants have no doc comments on purpose: schemars would turn documented variants into a
// `oneOf` of `const`s, where a plain `enum` of strings is what every client reads best.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Resolved,
    Closed,
}

impl Status {
    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// The workflow: open -> in_progress -> resolved -> closed, with a way back from
    /// in_progress and resolved to open, and straight from open to closed (won't fix).
    /// Closed is final. Staying in the same status is always allowed (a retried update).
    pub fn can_move_to(self, to: Status) -> bool {
        use Status::*;
        self == to
            || matches!(
                (self, to),
                (Open, InProgress)
                    | (Open, Closed)
                    | (InProgress, Open)
                    | (InProgress, Resolved)
                    | (Resolved, Open)
                    | (Resolved, Closed)
            )
    }

    /// The statuses a ticket may move to from this one, for error messages.
    pub fn next_statuses(self) -> String {
        let all = [Status::Open, Status::InProgress, Status::Resolved, Status::Closed];
        let next: Vec<&str> =
            all.into_iter().filter(|&s| s != self && self.can_move_to(s)).map(Status::as_str).collect();
        if next.is_empty() { "none (closed is final; create a new ticket)".into() } else { next.join(", ") }
    }
}

/// How urgent a ticket is: low, medium (the default), high or urgent.
#[allow(missing_docs)] // see `Status`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
    Urgent,
}

impl Priority {
    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// A ticket with its comments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Ticket {
    /// The ticket's id.
    pub id: u64,
    /// One-line summary.
    pub title: String,
    /// The full description.
    pub body: String,
    /// Where it is in the workflow.
    pub status: Status,
    /// How urgent it is.
    pub priority: Priority,
    /// Who works on it, if anyone.
    pub assignee: Option<String>,
    /// When it was created (UTC, RFC 3339).
    pub created_at: String,
    /// When it last changed (UTC, RFC 3339).
    pub updated_at: String,
    /// The ticket as an MCP resource (`tickets://{id}`).
    pub uri: String,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
}

/// A comment on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comment {
    /// The comment's id.
    pub id: u64,
    /// Who wrote it.
    pub author: String,
    /// What it says.
    pub body: String,
    /// When it was written (UTC, RFC 3339).
    pub created_at: String,
}

/// One search hit: enough to pick a ticket, without its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TicketSummary {
    /// The ticket's id.
    pub id: u64,
    /// One-line summary.
    pub title: String,
    /// Where it is in the workflow.
    pub status: Status,
    /// How urgent it is.
    pub priority: Priority,
    /// Who works on it, if anyone.
    pub assignee: Option<String>,
    /// When it last changed.
    pub updated_at: String,
    /// The ticket as an MCP resource.
    pub uri: String,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchPage {
    /// The matching tickets on this page, by id.
    pub tickets: Vec<TicketSummary>,
    /// How many tickets match in all.
    pub total: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What to look for; every filter is optional.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchTickets {
    /// Words that must all appear in the title or body (case-insensitive). Leave out to list all.
    #[serde(default)]
    pub query: Option<String>,
    /// Only tickets in this status.
    #[serde(default)]
    pub status: Option<Status>,
    /// Only tickets assigned to this person; "" for unassigned tickets.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Tickets per page (1 to 50, default 10).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// The new ticket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// One-line summary.
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    /// The full description.
    #[serde(default)]
    pub body: String,
    /// How urgent it is (default medium).
    #[serde(default)]
    pub priority: Priority,
    /// Who should work on it.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Any unique string (a UUID) for this request. Retrying with the same key and fields
    /// returns the ticket the first call created instead of creating a second one.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub idempotency_key: Option<String>,
}

/// The ticket to change and the fields to set; the others stay as they are.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    /// The ticket to change.
    pub id: u64,
    /// The new status: open -> in_progress -> resolved -> closed; in_progress and resolved may go
    /// back to open; open may be closed directly; closed is final.
    #[serde(default)]
    pub status: Option<Status>,
    /// The new assignee; "" to unassign.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The new title.
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: Option<String>,
    /// The new description.
    #[serde(default)]
    pub body: Option<String>,
    /// The new priority.
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// The comment to add.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// The ticket to comment on.
    pub id: u64,
    /// What to say.
    #[schemars(length(min = 1))]
    pub body: String,
    /// Who says it (default "assistant").
    #[serde(default)]
    pub author: Option<String>,
    /// Any unique string (a UUID) for this comment. Retrying with the same key and fields
    /// returns the ticket as the first call left it instead of adding the comment twice.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub idempotency_key: Option<String>,
}

/// The ticket to escalate and to whom.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// The ticket to escalate.
    pub id: u64,
    /// Who takes it over (the on-call engineer to page).
    #[schemars(length(min = 1, max = 100))]
    pub to: String,
}

/// What `escalate_ticket` did, step by step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Escalation {
    /// The ticket.
    pub id: u64,
    /// Its new assignee.
    pub assignee: String,
    /// Its new priority (urgent).
    pub priority: Priority,
    /// The page sent to the on-call service.
    pub page_id: u64,
    /// The comment that records the escalation.
    pub comment_id: u64,
    /// The saga's id in the journal.
    pub saga_id: String,
}

/// What `delete_ticket` removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deleted {
    /// The deleted ticket's id.
    pub id: u64,
    /// Its title, to tell the user what went.
    pub title: String,
    /// How many comments went with it.
    pub comments_deleted: u64,
}

/// Which tickets the board shows; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardFilters {
    /// Words that must all appear in the title or body (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Only tickets assigned to this person; "" for unassigned tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Also show a column of closed tickets (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_closed: Option<bool>,
}

/// One column of the board: the tickets in one status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BoardColumn {
    /// The status of every ticket in the column.
    pub status: Status,
    /// How many tickets are in this status (the column shows at most 50).
    pub total: u64,
    /// The tickets, by id.
    pub tickets: Vec<TicketSummary>,
}

/// The board: the tickets that are not closed, by status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Board {
    /// Columns in workflow order: open, in_progress, resolved (and closed when asked for).
    pub columns: Vec<BoardColumn>,
}
