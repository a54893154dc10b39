//! The `tickets` connector: a Jira-style issue tracker in a SQLite database.
//!
//! - Read tools: `search_tickets` (words, status, assignee, pages), `get_ticket`.
//! - Write tools: `create_ticket` and `add_comment` (retry-safe: an idempotency key, and the
//!   SDK's retry window), `update_ticket`, `delete_ticket` (destructive: it asks the user to
//!   confirm, through elicitation or a confirmation token), `escalate_ticket` (a saga over the
//!   tickets database and the on-call service, undone step by step when a step fails).
//! - A board, `show_board` (read): the tickets by status, shown as an interactive page
//!   (`ui://tickets/board`, MCP Apps) whose buttons move tickets with `update_ticket`.
//! - A resource template, `tickets://{id}`: each ticket as JSON.
//! - A prompt, `triage`: the ticket embedded, and what to decide about it.
//!
//! A write that cannot be done (unknown id, a status change the workflow forbids) returns a
//! result with `isError: true` whose text says what to do instead, and changes nothing. Every
//! write is committed to disk before the tool answers.
//!
//! ```
//! use examples::tickets::{Store, server};
//! use mcp_connector_core::testing::TestClient;
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let client = TestClient::connect(server(Store::open(":memory:").unwrap()).unwrap()).await;
//! let created = client
//!     .call_tool("create_ticket", json!({"title": "Printer on fire", "idempotency_key": "k1"}))
//!     .await
//!     .unwrap();
//! assert_eq!(created.structured_content.unwrap()["status"], "open");
//! # });
//! ```

pub mod escalation;
mod model;
mod oncall;
mod store;

use mcp_connector_core::protocol::{Content, GetPromptResult, PromptMessage, ResourceContents, Role};
use mcp_connector_core::safe::SafeWrites;
use mcp_connector_core::{
    BuildError, Context, Json, McpError, Prompt, Resource, Server, ToolError, WithUi, resource, tools,
};
use serde_json::json;

pub use escalation::Faults;
pub use model::{
    Board, BoardColumn, BoardFilters, Comment, Deleted, Escalate, Escalation, NewComment, NewTicket,
    Priority, SearchPage, SearchTickets, Status, Ticket, TicketSummary, TicketUpdate,
};
pub use oncall::{OnCall, Page};
pub use store::{Store, StoreError};

/// What the model reads first (the first 512 characters stand alone, as ChatGPT asks).
pub const INSTRUCTIONS: &str = "An issue tracker. Find tickets with search_tickets (words, status, assignee) \
and read one with get_ticket or the tickets://{id} resource. create_ticket and add_comment take an \
idempotency_key: reuse the same key when retrying. Statuses move open -> in_progress -> resolved -> closed \
(closed is final). delete_ticket first returns a preview and a confirmation_token: show the preview to the \
user and call again with the token only once they agree.";

/// The tools, sharing one database handle.
pub struct Tickets {
    store: Store,
}

impl Tickets {
    /// The tools over `store`.
    pub fn new(store: Store) -> Self {
        Tickets { store }
    }
}

#[tools]
impl Tickets {
    /// Search tickets.
    ///
    /// Finds tickets whose title or body contains every word of the query, optionally only
    /// in one status or for one assignee. Results come by id, a page at a time: pass
    /// `next_cursor` back as `cursor` for the next page.
    #[tool(read, closed_world, scope = "tickets:read")]
    async fn search_tickets(&self, #[args] search: SearchTickets) -> Result<Json<SearchPage>, ToolError> {
        let limit = search.limit.unwrap_or(10).clamp(1, 50);
        let page =
            self.store.search(search.query, search.status, search.assignee, limit, search.cursor).await?;
        Ok(Json(page))
    }

    /// Get a ticket.
    ///
    /// Returns one ticket with its full description and comments.
    #[tool(read, closed_world, scope = "tickets:read")]
    async fn get_ticket(
        &self,
        /// The ticket's id, from search_tickets.
        id: u64,
    ) -> Result<Json<Ticket>, ToolError> {
        Ok(Json(self.store.get(id).await?))
    }

    /// Show the ticket board.
    ///
    /// Shows the tickets that are not closed as a board with one column per status (open,
    /// in_progress, resolved), optionally filtered by words or assignee. Clients that can show
    /// pages render it interactively; the user can move tickets on it.
    #[tool(
        read,
        closed_world,
        scope = "tickets:read",
        ui = "ui://tickets/board",
        invoking = "Loading the board…",
        invoked = "Board ready"
    )]
    async fn show_board(&self, #[args] filters: BoardFilters) -> Result<WithUi<Board>, ToolError> {
        let mut statuses = vec![Status::Open, Status::InProgress, Status::Resolved];
        if filters.include_closed == Some(true) {
            statuses.push(Status::Closed);
        }
        let mut columns = Vec::new();
        for status in statuses {
            let page = self
                .store
                .search(filters.query.clone(), Some(status), filters.assignee.clone(), 50, None)
                .await?;
            columns.push(BoardColumn { status, total: page.total, tickets: page.tickets });
        }
        let summary: Vec<String> =
            columns.iter().map(|c| format!("{} {}", c.total, c.status.as_str().replace('_', " "))).collect();
        // Only the page needs the workflow (which buttons to draw) and the filters (to refresh
        // the same board after a move): the model already knows both.
        let transitions: serde_json::Map<String, serde_json::Value> =
            [Status::Open, Status::InProgress, Status::Resolved, Status::Closed]
                .into_iter()
                .map(|from| {
                    let to: Vec<&str> = [Status::Open, Status::InProgress, Status::Resolved, Status::Closed]
                        .into_iter()
                        .filter(|&to| to != from && from.can_move_to(to))
                        .map(Status::as_str)
                        .collect();
                    (from.as_str().to_owned(), json!(to))
                })
                .collect();
        Ok(WithUi::new(Board { columns })
            .text(format!("Ticket board: {}.", summary.join(", ")))
            .ui_meta(json!({ "transitions": transitions, "filters": filters })))
    }

    /// Create a ticket.
    ///
    /// Opens a new ticket in status `open`. Send an `idempotency_key` (any unique string) and
    /// reuse it if you retry: the retry returns the ticket the first call created.
    #[tool(
        write,
        not_destructive,
        closed_world,
        scope = "tickets:write",
        idempotency_key = "idempotency_key"
    )]
    async fn create_ticket(&self, #[args] new: NewTicket) -> Result<Json<Ticket>, ToolError> {
        let (ticket, created) = self.store.create(new).await?;
        if !created {
            tracing::info!(id = ticket.id, "create_ticket replayed an idempotency key");
        }
        Ok(Json(ticket))
    }

    /// Update a ticket.
    ///
    /// Changes the status, assignee, title, description or priority; fields left out stay
    /// as they are. A status change the workflow forbids changes nothing and says which
    /// statuses are allowed next.
    #[tool(write, idempotent, closed_world, scope = "tickets:write")]
    async fn update_ticket(
        &self,
        ctx: Context,
        #[args] update: TicketUpdate,
    ) -> Result<Json<Ticket>, ToolError> {
        let ticket = self.store.update(update).await?;
        // Clients subscribed to `tickets://{id}` (resources/subscribe or subscriptions/listen)
        // hear that it changed; with --redis, on every replica.
        ctx.server().notify_resource_updated(&ticket.uri);
        Ok(Json(ticket))
    }

    /// Comment on a ticket.
    ///
    /// Adds a comment and returns the ticket with all its comments. Closed tickets take no
    /// comments. Send an `idempotency_key` and reuse it if you retry: the comment is added once.
    #[tool(
        write,
        not_destructive,
        closed_world,
        scope = "tickets:write",
        idempotency_key = "idempotency_key"
    )]
    async fn add_comment(
        &self,
        ctx: Context,
        #[args] comment: NewComment,
    ) -> Result<Json<Ticket>, ToolError> {
        let ticket = self.store.comment(comment).await?;
        ctx.server().notify_resource_updated(&ticket.uri);
        Ok(Json(ticket))
    }

    /// Delete a ticket.
    ///
    /// Deletes a ticket and its comments for good. The user confirms first: either the client
    /// asks them, or the first call returns a preview and a `confirmation_token` to show them;
    /// call again with the token once they agree.
    #[tool(write, destructive, idempotent, closed_world, scope = "tickets:admin", confirm = delete_preview)]
    async fn delete_ticket(
        &self,
        /// The ticket to delete.
        id: u64,
    ) -> Result<Json<Deleted>, ToolError> {
        let gone = self.store.delete(id).await?;
        Ok(Json(Deleted { id: gone.id, title: gone.title, comments_deleted: gone.comments.len() as u64 }))
    }

    /// What `delete_ticket` would destroy, for the user to confirm.
    async fn delete_preview(&self, id: u64) -> Result<String, ToolError> {
        let ticket = self.store.get(id).await?;
        let comments = match ticket.comments.len() {
            0 => "no comments".to_owned(),
            1 => "its 1 comment".to_owned(),
            n => format!("its {n} comments"),
        };
        Ok(format!(
            "This will permanently delete ticket {} \"{}\" ({}, {}) and {comments}. It cannot be undone.",
            ticket.id,
            ticket.title,
            ticket.status.as_str(),
            ticket.priority.as_str()
        ))
    }

    /// Escalate a ticket.
    ///
    /// Hands a ticket to someone urgently, in three steps: raises it to `urgent` and assigns it
    /// to `to`, pages them through the on-call service, and records the escalation as a
    /// comment. If a step fails, the steps already done are undone and the result says which.
    #[tool(write, not_destructive, closed_world, scope = "tickets:write")]
    async fn escalate_ticket(
        &self,
        ctx: Context,
        #[args] escalate: Escalate,
    ) -> Result<Json<Escalation>, ToolError> {
        let to = escalate.to.trim().to_owned();
        if to.is_empty() {
            return Err(ToolError::new("`to` is empty; name the person who takes the ticket over"));
        }
        let before = self.store.get(escalate.id).await?;
        if before.status == Status::Closed {
            return Err(ToolError::new(format!(
                "ticket {} is closed; closed tickets cannot be escalated",
                before.id
            )));
        }
        let input = escalation::EscalationInput {
            id: before.id,
            to: to.clone(),
            previous_priority: before.priority,
            previous_assignee: before.assignee,
        };
        let outcome = ctx.run_saga(escalation::ESCALATE, &input).await?;
        if !outcome.completed() {
            return Err(ToolError::new(outcome.summary()));
        }
        let number = |step: &str, field: &str| {
            outcome.outputs.get(step).and_then(|o| o[field].as_u64()).unwrap_or_default()
        };
        Ok(Json(Escalation {
            id: before.id,
            assignee: to,
            priority: Priority::Urgent,
            page_id: number("page_oncall", "page_id"),
            comment_id: number("record_comment", "comment_id"),
            saga_id: outcome.saga_id.clone(),
        }))
    }
}

/// Ticket board.
///
/// The page `show_board` is shown in: the tickets by status, with buttons that move them
/// along the workflow.
// Self-contained (no script, style or font from the network), so it declares no CSP domain;
// it talks to the host over `postMessage` only. The skybridge copy is for ChatGPT surfaces
// that predate MCP Apps.
#[resource(
    uri = "ui://tickets/board",
    ui(
        prefers_border,
        description = "Tickets by status, with buttons that move them along the workflow",
        skybridge_copy
    )
)]
pub fn board_page() -> &'static str {
    include_str!("board.html")
}

/// `tickets://{id}`: a ticket as JSON, the same shape `get_ticket` returns.
pub fn ticket_resource(store: Store) -> Result<Resource, BuildError> {
    let ids = store.clone();
    Ok(Resource::template("tickets://{id}", "ticket")?
        .title("Ticket")
        .description("A ticket with its comments, as JSON.")
        .mime_type("application/json")
        .complete("id", move |request| {
            let store = ids.clone();
            async move {
                let ids = store.ids().await.map_err(McpError::internal)?;
                Ok(ids.into_iter().filter(|id| id.starts_with(&request.value)).collect())
            }
        })
        .handler(move |_ctx, request| {
            let store = store.clone();
            async move {
                let ticket = read_ticket(&store, &request.uri, request.var("id")).await?;
                let json = serde_json::to_string_pretty(&ticket).map_err(McpError::internal)?;
                Ok(vec![ResourceContents::text(request.uri, json).with_mime_type("application/json")])
            }
        }))
}

/// The ticket a `tickets://{id}` URI names, or `-32002` (the resource does not exist).
async fn read_ticket(store: &Store, uri: &str, id: Option<&str>) -> Result<Ticket, McpError> {
    let id: u64 = id.and_then(|id| id.parse().ok()).ok_or_else(|| McpError::resource_not_found(uri))?;
    match store.get(id).await {
        Ok(ticket) => Ok(ticket),
        Err(StoreError::Rejected(_)) => Err(McpError::resource_not_found(uri)),
        Err(e) => Err(McpError::internal(e)),
    }
}

/// `triage`: embeds the ticket and asks the model to classify it and propose the next step,
/// without changing anything until the user agrees.
pub fn triage_prompt(store: Store) -> Prompt {
    Prompt::new("triage")
        .title("Triage a ticket")
        .description("Classify a ticket, set its priority and propose who should take it and what happens next.")
        .argument("id", "The ticket's id", true)
        .handler(move |_ctx, args| {
            let store = store.clone();
            async move {
                let raw = args.get("id").map(String::as_str);
                let uri = format!("tickets://{}", raw.unwrap_or_default());
                let ticket = read_ticket(&store, &uri, raw).await.map_err(|_| {
                    McpError::invalid_params(format!("no ticket {:?}; use search_tickets to find ids", raw.unwrap_or_default()))
                })?;
                let json = serde_json::to_string_pretty(&ticket).map_err(McpError::internal)?;
                let mut result = GetPromptResult::new(vec![
                    PromptMessage::new(Role::User, Content::resource(
                            ResourceContents::text(&ticket.uri, json).with_mime_type("application/json"),
                        )),
                    PromptMessage::user(format!(
                        "Triage ticket {id} above. Say in one line what the problem is, then propose: a priority \
                         (low, medium, high, urgent), an assignee if the comments suggest one, the next status, and \
                         a short comment for the reporter. Do not call update_ticket or add_comment until I agree.",
                        id = ticket.id
                    )),
                ]);
                result.description = Some(format!("Triage of ticket {}: {}", ticket.id, ticket.title));
                Ok(result)
            }
        })
}

/// Everything the connector runs on.
pub struct Config {
    /// The tickets database.
    pub store: Store,
    /// The on-call notification service.
    pub oncall: OnCall,
    /// Where idempotency records, used confirmation tokens and the saga journal live.
    pub safe: SafeWrites,
    /// Faults to inject into `escalate_ticket`.
    pub faults: Faults,
    /// The key sealing confirmation tokens and request state (`None`: drawn at random). Give
    /// every replica behind one load balancer the same key, so a token made on one is
    /// accepted on the others.
    pub state_key: Option<Vec<u8>>,
}

/// The whole connector over `store`, with an in-memory on-call service and safe-writes store.
pub fn server(store: Store) -> Result<Server, BuildError> {
    let oncall = OnCall::open(":memory:").map_err(|e| BuildError::InvalidSchema {
        tool: escalation::ESCALATE.into(),
        why: format!("the in-memory on-call service did not open: {e}"),
    })?;
    server_with(Config {
        store,
        oncall,
        safe: SafeWrites::in_memory(),
        faults: Faults::default(),
        state_key: None,
    })
}

/// The whole connector: the tools, the `escalate_ticket` saga registered on `config.safe`.
pub fn server_with(config: Config) -> Result<Server, BuildError> {
    let Config { store, oncall, safe, faults, state_key } = config;
    let safe = safe.saga(escalation::saga(store.clone(), oncall, faults));
    let mut builder = Server::builder("tickets", env!("CARGO_PKG_VERSION"));
    if let Some(key) = state_key {
        builder = builder.request_state_key(key);
    }
    builder
        .title("Tickets")
        .description("A Jira-style issue tracker stored in SQLite.")
        .instructions(INSTRUCTIONS)
        .safe_writes(safe)
        .tools(Tickets::new(store.clone()))
        .resource(board_page::resource())
        .resource(ticket_resource(store.clone())?)
        .prompt(triage_prompt(store))
        .build()
}
