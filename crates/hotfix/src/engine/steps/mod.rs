//! One handler per step action. Each handler first looks at what the
//! journal and the remote already hold, so carrying a step out again after a
//! crash converges on the same state; each journals its own evidence.

mod wait_for_fix;

pub(crate) use wait_for_fix::pushed_fixes;

use crate::engine::execute::{self, Context};
use crate::engine::{gates, WorkflowError};
use crate::journal::Journal;
use crate::record::plan::{Action, Step};

/// Carries out `step` of `journal`'s run.
pub(crate) fn perform(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    match &step.action {
        Action::RecordProduction => execute::record_production(cx, journal, step),
        Action::Lock { branch } => execute::lock(cx, journal, step, branch),
        Action::Build => execute::build(cx, journal, step),
        Action::Push(planned) => execute::push(cx, journal, step, planned),
        Action::VerifyRelease { branch, also_paths } => execute::verify_release(cx, journal, step, branch, also_paths),
        Action::Approvals(_) => gates::approvals(cx, journal, step),
        Action::Command(command) => gates::command(cx, journal, step, command),
        Action::VerifyHttp(verify) => gates::verify_production(cx, journal, step, verify),
        Action::Smoke { checks } => gates::smoke(cx, journal, step, checks),
        Action::CreateTag { tag, message } => execute::create_tag(cx, journal, step, tag, message),
        Action::RestoreRelease { branch } => gates::rollback_restore(cx, journal, step, branch),
        Action::WaitForFix { branch, base } => wait_for_fix::wait_for_fix(cx, journal, step, branch, base),
        Action::Unconfigured { key } => Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: key.clone(),
        }),
    }
}
