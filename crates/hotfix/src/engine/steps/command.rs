//! Runs a team command: a release job or a deploy. A command that changes
//! production is journaled as started on the remote before it runs, so a
//! crash leaves an open attempt that only the operator may run again.

use std::time::Duration;

use crate::engine::execute::{mirror, push_with_journal, Context};
use crate::engine::gates::{conclude, release_unmoved};
use crate::engine::steps::run_command::{command_env, command_job, not_started, run_command, settle_interrupt};
use crate::engine::WorkflowError;
use crate::journal::{Event, Evidence, Journal, JournalError};
use crate::providers::command::{self, CommandOutcome};
use crate::record::plan::{Step, StepName};
use crate::record::step::CommandStep;

/// Runs the command of a step that changes production (release job,
/// deploy). Its shell is spawned held at a gate; the `step-started` entry
/// with its process group is pushed to the remote journal by
/// compare-and-swap; only then is the gate opened. If the push loses (another
/// operator moved the run on) or git-hotfix dies before, nothing runs.
fn run_guarded(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &StepName,
    command: &str,
    timeout: Duration,
    env: &[(String, String)],
) -> Result<CommandOutcome, WorkflowError> {
    // A stop asked for while release was being checked: nothing has started yet.
    super::stop_if_asked(cx, step)?;
    let job = command_job(cx, command, timeout, env);
    let gated = command::spawn_gated(&job).map_err(|e| not_started(cx, step, command, &e))?;
    let started = Event::StepStarted {
        step: step.clone(),
        pgid: gated.pgid(),
        host: cx.actor.host.clone(),
        command: cx.redactor.redact(command),
    };
    let fault = format!("{step}-started:after-remote");
    let pushed = push_with_journal(cx, journal, vec![started], Vec::new(), &fault)?;
    if !pushed.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let outcome = gated
        .go(&job, cx.redactor, cx.stop, &mut |_, line| {
            cx.progress.output(step, line)
        })
        .map_err(|e| not_started(cx, step, command, &e))?;
    settle_interrupt(cx, journal, step, outcome, true)
}

fn command_verdict(what: &str, outcome: &CommandOutcome) -> Result<(), String> {
    if outcome.succeeded() {
        Ok(())
    } else {
        Err(format!("{what} {}", outcome.describe()))
    }
}

/// Runs a team command: a release job (never a forbidden one) or a deploy.
/// A command that changes production runs guarded (its start is on the
/// remote journal first) and only while release holds what this run pushed.
pub(super) fn command(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    command: &CommandStep,
) -> Result<(), WorkflowError> {
    if let Some(job) = &command.release_job {
        if let Some(forbidden) = job.forbidden() {
            return Err(WorkflowError::ForbiddenAction {
                action: job.action.clone(),
                forbidden: forbidden.to_string(),
            });
        }
    }
    let release_sha = release_unmoved(cx, &journal.run)?;
    let mut env = command_env(cx, &journal.run, &release_sha);
    env.extend(command.env.iter().cloned());
    let outcome = if command.changes_production {
        run_guarded(cx, journal, &step.name, &command.command, command.timeout, &env)?
    } else {
        run_command(cx, journal, &step.name, &command.command, command.timeout, &env)?
    };
    let (ok, evidence) = match &command.release_job {
        Some(job) => (
            command_verdict(&format!("release job `{}`", job.action), &outcome),
            Evidence::ReleaseAction {
                action: job.action.clone(),
                project: job.project.as_deref().map(|p| cx.redactor.redact(p)),
                confirm: job.confirm,
                release_sha,
                outcome,
            },
        ),
        None => (
            command_verdict("the deploy", &outcome),
            Evidence::Deployed { release_sha, outcome },
        ),
    };
    conclude(cx, journal, step, ok, evidence)?;
    publish_end(cx, journal);
    Ok(())
}

/// Pushes how a production command ended, beside its start, as soon as it
/// is known: other clones must not take a finished deploy for one that may
/// still run. A remote out of reach gets it with the next push.
fn publish_end(cx: &Context<'_>, journal: &mut Journal) {
    let _ = mirror(cx, journal);
}
