//! `escalate_ticket` as a saga over two systems: (1) raise the ticket to urgent and assign it,
//! in the tickets database; (2) page the on-call engineer, in the on-call service; (3) record
//! the escalation as a comment. Each step has a compensation; each writes under its step key
//! ([`StepCall::key`]), so running it twice writes once and its compensation finds what it did
//! (or learns it never happened). Fault injection (`--fail-step`, `--crash-step`) tries the
//! safeguards.

use mcp_connector_core::safe::{Saga, StepCall};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::Priority;
use super::oncall::OnCall;
use super::store::Store;

/// The saga's name, and the tool's.
pub const ESCALATE: &str = "escalate_ticket";

/// Faults to inject into `escalate_ticket`, by step (1 to 3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// This step fails (changing nothing).
    pub fail_step: Option<u32>,
    /// The process aborts right after this step has changed its system (no clean shutdown).
    pub crash_step: Option<u32>,
}

/// What the saga is started with: the ticket, the new assignee, and what step 1 overwrites.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EscalationInput {
    /// The ticket.
    pub id: u64,
    /// Who takes it over.
    pub to: String,
    /// Its priority before.
    pub previous_priority: Priority,
    /// Its assignee before.
    pub previous_assignee: Option<String>,
}

fn input(step: &StepCall) -> Result<EscalationInput, String> {
    step.input::<EscalationInput>()
}

fn fault(faults: Faults, step: u32) -> Result<(), String> {
    if faults.fail_step == Some(step) {
        return Err(format!("injected failure (--fail-step {ESCALATE}:{step})"));
    }
    Ok(())
}

fn crash_after(faults: Faults, step: u32) {
    if faults.crash_step == Some(step) {
        eprintln!("tickets: aborting right after step {step} of {ESCALATE} (--crash-step {ESCALATE}:{step})");
        std::process::abort();
    }
}

/// The saga definition, over the tickets database and the on-call service.
pub fn saga(store: Store, oncall: OnCall, faults: Faults) -> Saga {
    let (s1, s1u, s3, s3u) = (store.clone(), store.clone(), store.clone(), store);
    let (o2, o2u) = (oncall.clone(), oncall);
    Saga::new(ESCALATE)
        .step(
            "raise_priority",
            move |step| {
                let store = s1.clone();
                async move {
                    fault(faults, 1)?;
                    let input = input(&step)?;
                    store.escalate(input.id, input.to.clone()).await.map_err(|e| e.to_string())?;
                    crash_after(faults, 1);
                    Ok(json!({"priority": "urgent", "assignee": input.to}))
                }
            },
            move |step, _output| {
                let store = s1u.clone();
                async move {
                    let input = input(&step)?;
                    store
                        .restore(input.id, input.previous_priority, input.previous_assignee)
                        .await
                        .map_err(|e| e.to_string())
                }
            },
        )
        .step(
            "page_oncall",
            move |step| {
                let oncall = o2.clone();
                async move {
                    fault(faults, 2)?;
                    let input = input(&step)?;
                    let message = format!("Ticket {} was escalated to you; it is now urgent.", input.id);
                    let page = oncall
                        .page(step.key(), input.id, input.to, message)
                        .await
                        .map_err(|e| e.to_string())?;
                    crash_after(faults, 2);
                    Ok(json!({"page_id": page}))
                }
            },
            move |step, _output| {
                let oncall = o2u.clone();
                async move { oncall.cancel(step.key()).await.map_err(|e| e.to_string()) }
            },
        )
        .step(
            "record_comment",
            move |step| {
                let store = s3.clone();
                async move {
                    fault(faults, 3)?;
                    let input = input(&step)?;
                    let page =
                        step.output_of("page_oncall").and_then(|o| o["page_id"].as_u64()).unwrap_or_default();
                    let body = format!(
                        "Escalated to {}: priority raised to urgent, on-call paged (page {page}).",
                        input.to
                    );
                    let comment = store
                        .comment_once(input.id, "escalation".into(), body, step.key())
                        .await
                        .map_err(|e| e.to_string())?;
                    crash_after(faults, 3);
                    Ok(json!({"comment_id": comment}))
                }
            },
            move |step, _output| {
                let store = s3u.clone();
                async move { store.uncomment(step.key()).await.map_err(|e| e.to_string()) }
            },
        )
}
