//! Runs team commands for the command and smoke steps: the `HOTFIX_*`
//! environment, spawning, and journaling a command the operator stopped.

use std::time::Duration;

use crate::engine::execute::{append_local, mirror, Context};
use crate::engine::WorkflowError;
use crate::git::Oid;
use crate::journal::{Event, Journal, Phase, Run};
use crate::providers::command::{self, CommandOutcome, Job};
use crate::record::plan::StepName;

/// The facts every team command gets, as `HOTFIX_*` variables.
pub(super) fn command_env(cx: &Context<'_>, run: &Run, release_sha: &Oid) -> Vec<(String, String)> {
    let record = &run.record;
    let phase = match run.phase() {
        Phase::Hotfix => "hotfix",
        Phase::Rollback => "rollback",
    };
    [
        ("HOTFIX_RUN_ID", run.id.clone()),
        ("HOTFIX_PHASE", phase.to_string()),
        ("HOTFIX_RELEASE_SHA", release_sha.to_string()),
        ("HOTFIX_PRODUCTION_SHA", record.plan.production.commit.to_string()),
        ("HOTFIX_SERVICE", cx.config.service.clone().unwrap_or_default()),
        ("HOTFIX_RELEASE_BRANCH", record.release_branch.clone()),
        ("HOTFIX_REMOTE", record.remote.clone()),
        ("HOTFIX_SEVERITY", record.severity.as_str().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs a command that only reads production (a smoke check); a stop
/// request ends it, journaled as interrupted.
pub(super) fn run_command(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &StepName,
    command: &str,
    timeout: Duration,
    env: &[(String, String)],
) -> Result<CommandOutcome, WorkflowError> {
    let job = command_job(cx, command, timeout, env);
    let outcome = command::run(&job, cx.redactor, cx.stop, &mut |_, line| {
        cx.progress.output(step, line)
    })
    .map_err(|e| not_started(cx, step, command, &e))?;
    settle_interrupt(cx, journal, step, outcome, false)
}

pub(super) fn command_job<'a>(
    cx: &'a Context<'_>,
    command: &'a str,
    timeout: Duration,
    env: &'a [(String, String)],
) -> Job<'a> {
    Job {
        command,
        dir: cx.git.work_tree().unwrap_or(cx.git.git_dir()),
        env,
        timeout,
    }
}

pub(super) fn not_started(cx: &Context<'_>, step: &StepName, command: &str, e: &std::io::Error) -> WorkflowError {
    WorkflowError::ProductionStepFailed {
        step: step.clone(),
        reason: format!("could not start `sh -c {}`: {e}", cx.redactor.redact(command)),
        evidence: None,
        rollback: false,
    }
}

/// Journals a command the operator stopped (with its output tail) and ends
/// the step as interrupted; passes any other outcome on.
pub(super) fn settle_interrupt(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &StepName,
    outcome: CommandOutcome,
    may_have_run: bool,
) -> Result<CommandOutcome, WorkflowError> {
    let Some(signal) = outcome.interrupted.clone() else {
        return Ok(outcome);
    };
    let event = Event::StepInterrupted {
        step: step.clone(),
        signal: signal.clone(),
        outcome: Some(outcome),
    };
    append_local(cx, journal, vec![event])?;
    // Other clones must see it too; a remote out of reach gets it with the next push.
    let _ = mirror(cx, journal);
    Err(WorkflowError::Interrupted {
        step: step.clone(),
        signal,
        during_command: true,
        may_have_run,
    })
}
