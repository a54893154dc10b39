//! The fixtures of the suite's `tasks-*` scenarios: the Tasks extension,
//! `io.modelcontextprotocol/tasks` (SEP-2663, protocol 2026-07-28). A client that declares the
//! extension on a `tools/call` of a task-capable tool gets a task handle
//! (`resultType: "task"`) at once, and polls `tasks/get` for the result.
//!
//! Each fixture is an ordinary `#[tool]` with `task = "optional"` or `task = "required"`; the
//! SDK makes the task, runs the handler in the background, files its `ctx.elicit(...)` under
//! `inputRequests` for `tasks/get` and hands it the answers `tasks/update` brings. A
//! `tasks/cancel` drops the handler. `greet` is the scenarios' synchronous control.

use std::time::Duration;

use mcp_connector_core::{Context, Tool, ToolError, tool};

/// Every fixture of this module.
pub(crate) fn tools() -> Vec<Tool> {
    vec![
        greet::tool(),
        slow_compute::tool(),
        failing_job::tool(),
        protocol_error_job::tool(),
        confirm_delete::tool(),
        multi_input::tool(),
        test_tool_with_task::tool(),
    ]
}

/// The form `confirm_delete` asks for.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Confirm {
    /// Whether to go ahead.
    confirm: bool,
}

/// The form `multi_input` and `test_tool_with_task` ask for.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Name {
    /// A name.
    name: String,
}

/// Greet someone, at once.
///
/// Never a task (scenarios lifecycle, capability-negotiation, request-headers, dispatch).
#[tool(read, closed_world)]
fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

/// Compute for a while.
///
/// Sleeps `seconds` seconds, then reports what it computed. A task for clients that declare the
/// extension; a `tasks/cancel` stops it and the task settles to `cancelled`.
#[tool(read, closed_world, task = "optional")]
async fn slow_compute(
    /// How long to compute, in seconds (at most an hour).
    seconds: f64,
    /// A label to echo back.
    label: Option<String>,
    ctx: Context,
) -> String {
    let seconds = if seconds.is_finite() { seconds.clamp(0.0, 3600.0) } else { 0.0 };
    ctx.set_task_status_message(format!("computing for {seconds} s"));
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    format!("Computed {} after {seconds} s", label.as_deref().unwrap_or("a result"))
}

/// Run a job that fails.
///
/// Reports a tool error after about a second: the task ends `completed` with `isError: true`.
/// Declared `required`, so a client without the extension gets `-32021` (scenario
/// required-task-error) and the handler never runs.
#[tool(read, closed_world, task = "required")]
async fn failing_job() -> Result<String, ToolError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Err(ToolError::new("the job failed: its input was rejected; fix the input and run it again"))
}

/// Run a job that crashes.
///
/// Panics: in a task, a crash is a protocol error, so the task ends `failed` with a JSON-RPC
/// error (`-32603`) rather than a tool result.
#[tool(read, closed_world, task = "optional")]
async fn protocol_error_job() -> String {
    tokio::task::yield_now().await;
    panic!("protocol_error_job always crashes");
}

/// Delete a file, after asking the user.
///
/// Asks for confirmation with one elicitation; in a task the task turns `input_required` and
/// resumes when `tasks/update` brings the answer. Deletes nothing: this is a fixture.
#[tool(read, closed_world, task = "optional")]
async fn confirm_delete(
    /// The file to delete.
    filename: String,
    ctx: Context,
) -> Result<String, ToolError> {
    let answer = ctx.elicit_as::<Confirm>(format!("Delete {filename}?")).await?;
    Ok(match answer {
        Some(Confirm { confirm: true }) => format!("Deleted {filename}"),
        Some(Confirm { confirm: false }) => format!("Kept {filename}: the user said no"),
        None => format!("Kept {filename}: the user declined to answer"),
    })
}

/// Ask two questions at once.
///
/// Both elicitations are outstanding together (`first_name`, `second_name`); the task stays
/// `input_required` until both are answered, whichever comes first.
#[tool(read, closed_world, task = "optional")]
async fn multi_input(ctx: Context) -> Result<String, ToolError> {
    let (first, second) = (ctx.with_input_key("first_name"), ctx.with_input_key("second_name"));
    let (a, b) =
        tokio::join!(first.elicit_as::<Name>("First name?"), second.elicit_as::<Name>("Second name?"));
    let name = |answer: Option<Name>| answer.map_or_else(|| "(declined)".to_owned(), |n| n.name);
    Ok(format!("Got {} and {}", name(a?), name(b?)))
}

/// Ask the user's name, then greet them from a task.
///
/// The name is asked inside the `tools/call` request (`user_name`, a multi round-trip: the
/// client answers by retrying the call); once answered, the handler starts the task and the
/// retry gets the task handle (scenario mrtr-composition).
#[tool(read, closed_world, task = "required", defer_task)]
async fn test_tool_with_task(ctx: Context) -> Result<String, ToolError> {
    let name = ctx.with_input_key("user_name").elicit_as::<Name>("What is your name?").await?;
    let name = name.map_or_else(|| "stranger".to_owned(), |n| n.name);
    ctx.start_task().await;
    ctx.set_task_status_message(format!("preparing a greeting for {name}"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(format!("Hello, {name}! (greeted from a task)"))
}
