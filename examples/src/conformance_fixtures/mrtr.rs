//! The fixtures of the suite's `input-required-result-*` scenarios (protocol 2026-07-28,
//! SEP-2322 multi round-trip requests): tools and a prompt that ask the client for input.
//!
//! Each is written as for any protocol revision, with `ctx.elicit_as`, `ctx.create_message` and
//! `ctx.list_roots`; nothing here builds an `InputRequiredResult`. In 2025-11-25 those calls are
//! requests to the client over the session. In a 2026-07-28 request the SDK answers
//! `resultType: "input_required"` with the asks in `inputRequests` and the answers so far sealed
//! in `requestState`, and runs the handler again from the top when the client retries with
//! `inputResponses`. [`Context::with_input_key`] names each ask the way the scenarios expect
//! (`user_name`, `capital_question`, ...); a handler that does not care gets `elicitation-1`,
//! `sampling-1`, `roots-1`.
//!
//! Code before an ask runs once per round, so these handlers change nothing until they have
//! every answer.

use mcp_connector_core::protocol::{CreateMessageParams, GetPromptResult, ListRootsResult, PromptMessage};
use mcp_connector_core::{Context, McpError, ServerBuilder, ToolError, prompt, tool};

/// Adds every fixture of this module to the server.
pub(crate) fn register(builder: ServerBuilder) -> ServerBuilder {
    builder
        .tool(test_input_required_result_elicitation::tool())
        .tool(test_input_required_result_sampling::tool())
        .tool(test_input_required_result_list_roots::tool())
        .tool(test_input_required_result_request_state::tool())
        .tool(test_input_required_result_multiple_inputs::tool())
        .tool(test_input_required_result_multi_round::tool())
        .tool(test_input_required_result_tampered_state::tool())
        .tool(test_input_required_result_capabilities::tool())
        .prompt(test_input_required_result_prompt::prompt())
}

/// The form asking for the user's name.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Name {
    name: String,
}

/// The form asking for a favourite colour.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Colour {
    color: String,
}

/// The form asking for a yes or no.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Confirmation {
    ok: bool,
}

/// The form asking what a prompt should be about.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct PromptContext {
    context: String,
}

/// Ask the user's name and greet them.
///
/// The input request is filed under `user_name` (scenarios basic-elicitation,
/// missing-input-response, result-type, ignore-extra-params and validate-input).
#[tool(read, closed_world)]
async fn test_input_required_result_elicitation(ctx: Context) -> Result<String, ToolError> {
    let name = ctx.with_input_key("user_name").elicit_as::<Name>("What is your name?").await?;
    Ok(match name {
        Some(Name { name }) => format!("Hello, {name}!"),
        None => "Hello, whoever you are! (the user declined to give a name)".into(),
    })
}

/// Ask the client's model for the capital of France.
///
/// The input request is filed under `capital_question` (scenario basic-sampling).
#[tool(read, closed_world)]
async fn test_input_required_result_sampling(ctx: Context) -> Result<String, ToolError> {
    let question = CreateMessageParams::user("What is the capital of France?", 100);
    let answer = ctx.with_input_key("capital_question").create_message(question).await?;
    let text = answer.content.as_text().unwrap_or("(a non-text answer)");
    Ok(format!("The model ({}) answered: {text}", answer.model))
}

/// List the client's roots.
///
/// The input request is filed under `client_roots` (scenario basic-list-roots).
#[tool(read, closed_world)]
async fn test_input_required_result_list_roots(ctx: Context) -> Result<String, ToolError> {
    let roots = ctx.with_input_key("client_roots").list_roots().await?;
    Ok(describe_roots(&roots))
}

/// Ask the user to confirm, carrying the round's state through the client.
///
/// The input request is filed under `confirm` (scenario request-state). The SDK checks the
/// echoed `requestState` (its HMAC, its expiry, that it belongs to this call) before the handler
/// runs again, so reaching the answer means the state was valid.
#[tool(read, closed_world)]
async fn test_input_required_result_request_state(ctx: Context) -> Result<String, ToolError> {
    let answer = ctx.with_input_key("confirm").elicit_as::<Confirmation>("Please confirm").await?;
    Ok(match answer {
        Some(Confirmation { ok: true }) => "state-ok: confirmed".into(),
        Some(Confirmation { ok: false }) => "state-ok: not confirmed".into(),
        None => "state-ok: the user declined to answer".into(),
    })
}

/// Ask the user, the model and the client at once, then greet the user.
///
/// The three asks run concurrently, so the first round requests all of them together: the
/// elicitation `user_name`, the sampling `greeting` and the roots request `client_roots`
/// (scenario multiple-input-requests).
#[tool(read, closed_world)]
async fn test_input_required_result_multiple_inputs(ctx: Context) -> Result<String, ToolError> {
    let (asker, greeter, lister) =
        (ctx.with_input_key("user_name"), ctx.with_input_key("greeting"), ctx.with_input_key("client_roots"));
    let (name, greeting, roots) = tokio::join!(
        asker.elicit_as::<Name>("What is your name?"),
        greeter.create_message(CreateMessageParams::user("Generate a greeting", 50)),
        lister.list_roots(),
    );
    let name = name?.map_or_else(|| "stranger".to_owned(), |n| n.name);
    let greeting = greeting?;
    let roots = roots?;
    Ok(format!("{} {name}. {}", greeting.content.as_text().unwrap_or("Hello"), describe_roots(&roots)))
}

/// Ask two questions, one after the other.
///
/// The second depends on the first answer, so they take two rounds: `step1` then `step2`, each
/// with a new `requestState` carrying the answers so far (scenario multi-round).
#[tool(read, closed_world)]
async fn test_input_required_result_multi_round(ctx: Context) -> Result<String, ToolError> {
    let Some(Name { name }) =
        ctx.with_input_key("step1").elicit_as::<Name>("Step 1: What is your name?").await?
    else {
        return Ok("Stopped at step 1: the user declined to give a name.".into());
    };
    let Some(Colour { color }) =
        ctx.with_input_key("step2").elicit_as::<Colour>("Step 2: What is your favorite color?").await?
    else {
        return Ok(format!("Stopped at step 2: {name} declined to give a colour."));
    };
    Ok(format!("{name}'s favorite color is {color}."))
}

/// Ask the user to confirm; a retry whose `requestState` was altered is refused.
///
/// The SDK seals `requestState` with HMAC-SHA256 and answers a tampered one with `-32602`
/// before the handler runs (scenario tampered-state).
#[tool(read, closed_world)]
async fn test_input_required_result_tampered_state(ctx: Context) -> Result<String, ToolError> {
    let answer = ctx.elicit_as::<Confirmation>("Please confirm").await?;
    Ok(format!("Confirmed: {}", answer.is_some_and(|a| a.ok)))
}

/// Ask the model a question, and the user to confirm only when the client can show a form.
///
/// Asks go only to capabilities the request declares (scenario capability-check): a client
/// declaring `sampling` alone gets the `model_answer` request and no elicitation.
#[tool(read, closed_world)]
async fn test_input_required_result_capabilities(ctx: Context) -> Result<String, ToolError> {
    let question = CreateMessageParams::user("What is the capital of France?", 100);
    let answer = ctx.with_input_key("model_answer").create_message(question).await?;
    let answer = answer.content.as_text().unwrap_or("(a non-text answer)").to_owned();
    if !ctx.client_capabilities().supports_form_elicitation() {
        return Ok(format!("The model answered: {answer} (not confirmed: the client cannot show forms)"));
    }
    let confirmed = ctx
        .with_input_key("user_confirmation")
        .elicit_as::<Confirmation>(format!("The model answered {answer:?}. Is that right?"))
        .await?;
    Ok(format!("The model answered: {answer} (confirmed by the user: {})", confirmed.is_some_and(|c| c.ok)))
}

/// A prompt that asks the user what it should be about.
///
/// `prompts/get` may need input too: the request is filed under `user_context` (scenario
/// non-tool-request).
#[prompt]
async fn test_input_required_result_prompt(ctx: Context) -> Result<GetPromptResult, McpError> {
    let context = ctx
        .with_input_key("user_context")
        .elicit_as::<PromptContext>("What context should the prompt use?")
        .await?;
    let context = context.map_or_else(|| "no particular context".to_owned(), |c| c.context);
    Ok(GetPromptResult::new(vec![PromptMessage::user(format!(
        "Answer the next question with this context in mind: {context}"
    ))]))
}

fn describe_roots(roots: &ListRootsResult) -> String {
    if roots.roots.is_empty() {
        return "The client has no roots.".into();
    }
    let uris: Vec<&str> = roots.roots.iter().map(|r| r.uri.as_str()).collect();
    format!("The client's roots: {}", uris.join(", "))
}
