//! One handler per step action. Each handler first looks at what the
//! journal and the remote already hold, so carrying a step out again after a
//! crash converges on the same state; each journals its own evidence.

mod approvals;
mod backport;
mod build;

pub(crate) use build::rederive;
mod command;
mod create_tag;
mod forge_job;
mod forge_pipeline;
mod forge_release;
mod lock;
mod main_pipeline;
mod push;
mod record_production;
mod restore_release;
mod review_request;
mod run_command;
mod smoke;
mod verify_http;
mod verify_release;
mod wait_for_fix;

pub(crate) use forge_job::journaled_pipeline;
pub(crate) use wait_for_fix::pushed_fixes;

use crate::engine::execute::Context;
use crate::engine::WorkflowError;
use crate::journal::Journal;
use crate::record::plan::{Action, Step};

/// Before a run that has yet to build takes any step, checks its recorded
/// plan against what its inputs give, so a forged plan stops the run before
/// it writes or pushes anything (the lock, the production record). Only a
/// mismatch stops here: any other failure of the plan is the build step's
/// to report, as it always was.
///
/// A run this process has just made (not on the remote yet) is its own
/// plan, and a run whose next step is the build is checked by the build.
pub(crate) fn check_plan_before_build(cx: &Context<'_>, journal: &Journal) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let build_pending = run
        .steps()
        .iter()
        .any(|s| matches!(s.action, Action::Build) && run.done(&s.name).is_none());
    let build_next = run.next_step().is_some_and(|s| matches!(s.action, Action::Build));
    if !journal.is_published() || !build_pending || build_next {
        return Ok(());
    }
    match build::rederive(cx, run) {
        Err(e @ WorkflowError::PlanMismatch(_)) => Err(e),
        _ => Ok(()),
    }
}

/// Ends the step, nothing started or asked, when the operator asked to stop.
pub(super) fn stop_if_asked(cx: &Context<'_>, step: &crate::record::plan::StepName) -> Result<(), WorkflowError> {
    match cx.stop.raised() {
        Some(signal) => Err(WorkflowError::Interrupted {
            step: step.clone(),
            signal: signal.name().to_string(),
            during_command: false,
            may_have_run: false,
        }),
        None => Ok(()),
    }
}

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
        Action::ForgePipeline(action) => forge_pipeline::forge_pipeline(cx, journal, step, action),
        Action::ForgeJob(action) => forge_job::forge_job(cx, journal, step, action),
        Action::VerifyHttp(verify) => verify_http::verify_production(cx, journal, step, verify),
        Action::VerifyContains(verify) => verify_http::verify_contains(cx, journal, step, verify),
        Action::Smoke { checks } => smoke::smoke(cx, journal, step, checks),
        Action::CreateTag { tag, message } => create_tag::create_tag(cx, journal, step, tag, message),
        Action::RestoreRelease { branch } => restore_release::rollback_restore(cx, journal, step, branch),
        Action::WaitForFix { branch, base } => wait_for_fix::wait_for_fix(cx, journal, step, branch, base),
        Action::ReviewRequest(request) => review_request::review_request(cx, journal, step, request),
        Action::ForgeRelease(release) => forge_release::forge_release(cx, journal, step, release),
        Action::Backport(options) => backport::backport(cx, journal, step, options),
        // merge-main (issue 14).
        Action::MainPipeline { branch, commit } => main_pipeline::main_pipeline(cx, journal, step, branch, commit),
        Action::Unconfigured { key } => Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: key.clone(),
        }),
    }
}
