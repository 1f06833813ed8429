//! One handler per step action. Each handler first looks at what the
//! journal and the remote already hold, so carrying a step out again after a
//! crash converges on the same state; each journals its own evidence.

mod approvals;
mod build;
mod command;
mod create_tag;
mod lock;
mod push;
mod record_production;
mod restore_release;
mod run_command;
mod smoke;
mod verify_http;
mod verify_release;
mod wait_for_fix;

pub(crate) use wait_for_fix::pushed_fixes;

use crate::engine::execute::Context;
use crate::engine::WorkflowError;
use crate::journal::Journal;
use crate::record::plan::{Action, Step};

/// Carries out `step` of `journal`'s run.
pub(crate) fn perform(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    match &step.action {
        Action::RecordProduction => record_production::record_production(cx, journal, step),
        Action::Lock { branch } => lock::lock(cx, journal, step, branch),
        Action::Build => build::build(cx, journal, step),
        Action::Push(planned) => push::push(cx, journal, step, planned),
        Action::VerifyRelease { branch, also_paths } => {
            verify_release::verify_release(cx, journal, step, branch, also_paths)
        }
        Action::Approvals(_) => approvals::approvals(cx, journal, step),
        Action::Command(command) => command::command(cx, journal, step, command),
        Action::VerifyHttp(verify) => verify_http::verify_production(cx, journal, step, verify),
        Action::Smoke { checks } => smoke::smoke(cx, journal, step, checks),
        Action::CreateTag { tag, message } => create_tag::create_tag(cx, journal, step, tag, message),
        Action::RestoreRelease { branch } => restore_release::rollback_restore(cx, journal, step, branch),
        Action::WaitForFix { branch, base } => wait_for_fix::wait_for_fix(cx, journal, step, branch, base),
        Action::Unconfigured { key } => Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: key.clone(),
        }),
    }
}
