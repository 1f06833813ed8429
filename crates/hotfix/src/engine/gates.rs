//! The release gates after release is pushed and verified (seeds 000-003):
//! approvals, the release job, the production deploy, production
//! verification, smoke checks, rollback, and the announcements of each.
//!
//! Each step touching production first checks that release still holds the
//! commit this run pushed, so nothing deploys a release nobody approved.

use std::time::Duration;

use crate::git::{tracking_ref, Oid, RefUpdate};
use crate::journal::{
    person_of, Approval, Event, Evidence, Journal, JournalError, JournalStore, OpenAttempt, Phase, Run, SmokeResult,
};
use crate::providers::command::{self, CommandOutcome, Job};
use crate::providers::{http, notify};
use crate::report;

use crate::config::{Smoke, Verify};
use crate::engine::execute::{append_local, done, is_stale, mirror, push_with_journal, read_tree, Context};
use crate::engine::WorkflowError;
use crate::pick::{self, RunTrailers};
use crate::record::plan::{Action, Step, StepName};
use crate::record::step::CommandStep;

/// Where a run waits for a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum Gate {
    /// Roles of `[approvals]` nobody has approved yet.
    Approvals { missing: Vec<String> },
    /// The next step touches production and needs the operator's go (`--yes`).
    Confirmation { step: StepName },
    /// The run waits for a person to commit the fix on `branch` (from-tag
    /// without `--fix`).
    Fix { branch: String },
}

/// Returns the approval roles of the run's current steps, with whether a
/// fix's author may approve.
pub fn approval_roles(run: &Run) -> Option<&crate::config::Approvals> {
    run.steps().iter().find_map(|s| match &s.action {
        Action::Approvals(a) => Some(a),
        _ => None,
    })
}

/// Returns the gate that holds `step` back, if any.
pub fn gate_before(cx: &Context<'_>, run: &Run, step: &Step) -> Option<Gate> {
    if let Action::WaitForFix { branch, base } = &step.action {
        // A fetch that fails here fails again in the step, which says why.
        let pushed = super::steps::pushed_fixes(cx, &run.record.remote, branch, base);
        return matches!(pushed, Ok((commits, _)) if commits.is_empty()).then(|| Gate::Fix { branch: branch.clone() });
    }
    if let Action::Approvals(approvals) = &step.action {
        let missing = missing_roles(&approvals.roles, run);
        return (!missing.is_empty()).then_some(Gate::Approvals { missing });
    }
    (step.touches_production() && !cx.confirmed).then_some(Gate::Confirmation {
        step: step.name.clone(),
    })
}

/// Returns the configured roles without a valid approval.
pub fn missing_roles(roles: &[String], run: &Run) -> Vec<String> {
    let approvals = run.approvals();
    roles
        .iter()
        .filter(|r| !approvals.iter().any(|a| &a.role == *r))
        .cloned()
        .collect()
}

/// Returns the commit this run put on release, or why there is none to `what`.
fn pushed_sha(run: &Run, what: &'static str) -> Result<Oid, WorkflowError> {
    run.release_sha().cloned().ok_or_else(|| WorkflowError::NotPushed {
        id: run.id.clone(),
        what,
    })
}

/// Checks that the remote release still holds the commit this run put
/// there, and returns it.
fn release_unmoved(cx: &Context<'_>, run: &Run) -> Result<Oid, WorkflowError> {
    let record = &run.record;
    let expected = pushed_sha(run, "deploy")?;
    if run.phase() == Phase::Rollback && !run.rollback_restores() {
        // The rollback deploys production's own commit: no branch to hold it.
        return Ok(expected);
    }
    cx.git.fetch_branches(&record.remote, &[&record.release_branch])?;
    let found = cx.git.read_ref(&tracking_ref(&record.remote, &record.release_branch))?;
    if found.as_ref() != Some(&expected) {
        return Err(WorkflowError::ReleaseMovedAfterPush {
            branch: record.release_branch.clone(),
            expected,
            found,
            production_touched: production_touched(run),
        });
    }
    Ok(expected)
}

/// Returns true when a release job or deploy of the run's current phase
/// ran, or may have: production may then run what the run pushed.
pub fn production_touched(run: &Run) -> bool {
    run.steps().iter().filter(|s| s.is_unrepeatable()).any(|step| {
        let step = &step.name;
        run.done(step).is_some()
            || run.entries.iter().any(|(_, e)| {
                matches!(&e.event,
                    Event::StepFailed { step: s, .. }
                    | Event::StepStarted { step: s, .. }
                    | Event::StepInterrupted { step: s, .. } if s == step)
            })
    })
}

pub(super) fn approvals(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    release_unmoved(cx, &journal.run)?;
    let approvals = journal.run.approvals().into_iter().cloned().collect();
    append_local(cx, journal, vec![done(step, Evidence::Approvals { approvals })])?;
    Ok(())
}

/// The facts every team command gets, as `HOTFIX_*` variables.
fn command_env(cx: &Context<'_>, run: &Run, release_sha: &Oid) -> Vec<(String, String)> {
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
fn run_command(
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
    if let Some(signal) = cx.stop.raised() {
        return Err(WorkflowError::Interrupted {
            step: step.clone(),
            signal: signal.name().to_string(),
            during_command: false,
            may_have_run: false,
        });
    }
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

fn command_job<'a>(cx: &'a Context<'_>, command: &'a str, timeout: Duration, env: &'a [(String, String)]) -> Job<'a> {
    Job {
        command,
        dir: cx.git.work_tree().unwrap_or(cx.git.git_dir()),
        env,
        timeout,
    }
}

fn not_started(cx: &Context<'_>, step: &StepName, command: &str, e: &std::io::Error) -> WorkflowError {
    WorkflowError::ProductionStepFailed {
        step: step.clone(),
        reason: format!("could not start `sh -c {}`: {e}", cx.redactor.redact(command)),
        evidence: None,
        rollback: false,
    }
}

/// Journals a command the operator stopped (with its output tail) and ends
/// the step as interrupted; passes any other outcome on.
fn settle_interrupt(
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

/// Returns why `attempt` holds its step back: still running here, or
/// waiting for the operator's decision to run it again.
pub(super) fn attempt_blocker(cx: &Context<'_>, attempt: OpenAttempt) -> WorkflowError {
    let here = attempt.host == cx.actor.host;
    if here && command::group_alive(attempt.pgid) {
        return WorkflowError::StepStillRunning {
            step: attempt.step,
            pgid: attempt.pgid,
            host: attempt.host,
            started_at: attempt.started_at,
            started_by: attempt.started_by,
        };
    }
    WorkflowError::RerunUndecided {
        known_gone: here,
        attempt,
    }
}

/// Records the operator's decision to run `step` again although an earlier
/// attempt may have run; refused while that attempt's process group lives.
pub fn allow_rerun(cx: &Context<'_>, journal: &mut Journal, step: &StepName) -> Result<(), WorkflowError> {
    let Some(attempt) = journal.run.open_attempt(step) else {
        return Err(WorkflowError::NothingToRerun {
            id: journal.id.clone(),
            step: step.clone(),
        });
    };
    if let e @ WorkflowError::StepStillRunning { .. } = attempt_blocker(cx, attempt) {
        return Err(e);
    }
    append_local(cx, journal, vec![Event::RerunAllowed { step: step.clone() }])?;
    Ok(())
}

/// Fails `step` with its evidence when `ok` is false; else journals it as done.
fn conclude(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    ok: Result<(), String>,
    evidence: Evidence,
) -> Result<(), WorkflowError> {
    match ok {
        Ok(()) => {
            append_local(cx, journal, vec![done(step, evidence)])?;
            Ok(())
        }
        // A failed release job has not reached production yet; any later
        // step's failure leaves production perhaps half-changed.
        Err(reason) => Err(WorkflowError::ProductionStepFailed {
            step: step.name.clone(),
            reason,
            evidence: Some(Box::new(evidence)),
            rollback: journal.run.phase() == Phase::Hotfix && !is_release_job(step),
        }),
    }
}

fn command_verdict(what: &str, outcome: &CommandOutcome) -> Result<(), String> {
    if outcome.succeeded() {
        Ok(())
    } else {
        Err(format!("{what} {}", outcome.describe()))
    }
}

fn is_release_job(step: &Step) -> bool {
    matches!(&step.action, Action::Command(c) if c.release_job.is_some())
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

pub(super) fn verify_production(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    verify: &Verify,
) -> Result<(), WorkflowError> {
    let checks = &verify.http;
    if checks.is_empty() {
        return Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: "[[verify.http]]".into(),
        });
    }
    let release_sha = pushed_sha(&journal.run, "verify")?;
    let mut verdicts = Vec::new();
    for check in checks {
        let url = cx.redactor.redact(&check.url);
        let verdict = http::poll(
            check,
            release_sha.as_str(),
            cx.redactor,
            cx.stop,
            &mut |attempt, elapsed, seen| cx.progress.polling(&url, attempt, elapsed, seen),
        );
        if let Some(signal) = cx.stop.raised() {
            // Verification only reads production: nothing to record but the stop.
            return Err(WorkflowError::Interrupted {
                step: step.name.clone(),
                signal: signal.name().to_string(),
                during_command: false,
                may_have_run: false,
            });
        }
        let ok = verdict.ok;
        verdicts.push(verdict);
        if !ok {
            break;
        }
    }
    let ok = match verdicts.iter().find(|v| !v.ok) {
        None => Ok(()),
        Some(v) => Err(format!(
            "production did not report {} with HTTP {} within {:.0} s: {} last answered {}",
            release_sha.short(),
            v.expect_status,
            v.duration_ms as f64 / 1000.0,
            v.url,
            v.last.describe()
        )),
    };
    let monitor_until = verify.monitor.map(|m| cx.ambient.now() + m.as_secs() as i64);
    let evidence = Evidence::ProductionVerified {
        release_sha,
        checks: verdicts,
        monitor_until,
    };
    conclude(cx, journal, step, ok, evidence)
}

pub(super) fn smoke(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    checks: &[Smoke],
) -> Result<(), WorkflowError> {
    let release_sha = pushed_sha(&journal.run, "smoke-test")?;
    let env = command_env(cx, &journal.run, &release_sha);
    let mut results = Vec::new();
    for check in checks {
        let outcome = run_command(cx, journal, &step.name, &check.command, check.timeout, &env)?;
        results.push(SmokeResult {
            name: cx.redactor.redact(check.label()),
            outcome,
        });
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.outcome.succeeded())
        .map(|r| format!("`{}` {}", r.name, r.outcome.describe()))
        .collect();
    let ok = if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("smoke check(s) failed: {}", failed.join("; ")))
    };
    conclude(cx, journal, step, ok, Evidence::Smoke { results })
}

/// Restores release to production's tree on top of whatever release holds
/// now, by compare-and-swap on the tip just read.
pub(super) fn rollback_restore(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    branch: &str,
) -> Result<(), WorkflowError> {
    let record = journal.run.record.clone();
    let branch_ref = format!("refs/heads/{branch}");
    cx.git.fetch_branches(&record.remote, &[branch])?;
    let tip =
        cx.git
            .read_ref(&tracking_ref(&record.remote, branch))?
            .ok_or_else(|| WorkflowError::VerificationFailed {
                reasons: format!("{branch} no longer exists on {}", record.remote),
            })?;
    let production = record.plan.production.commit.clone();
    let tree = record.plan.production_tree.clone();
    let evidence = |old: &Oid, new: &Oid, already| Evidence::RolledBack {
        branch_ref: branch_ref.clone(),
        old: old.clone(),
        new: new.clone(),
        production: production.clone(),
        tree: tree.clone(),
        already,
    };
    if read_tree(cx.git, &tip)? == tree {
        let event = done(step, evidence(&tip, &tip, true));
        append_local(cx, journal, vec![event])?;
        return Ok(());
    }
    let trailers = RunTrailers {
        run_id: &journal.id,
        production: &production,
    };
    let reason = journal
        .run
        .entries
        .iter()
        .rev()
        .find_map(|(_, e)| match &e.event {
            Event::RollbackStarted { reason } => Some(reason.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let restore = pick::write_rollback_commit(cx.git, &tree, &tip, &cx.signature_now(), &trailers, &reason)?;
    let update = RefUpdate {
        name: branch_ref.clone(),
        new: Some(restore.clone()),
        expected: Some(tip.clone()),
    };
    let event = done(step, evidence(&tip, &restore, false));
    let outcome = push_with_journal(cx, journal, vec![event], vec![update], "rollback-restore:after-remote")?;
    if outcome.accepted() {
        return Ok(());
    }
    if is_stale(&outcome, &crate::journal::JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Err(WorkflowError::ReleaseMoved {
        found: cx.git.remote_ref(&record.remote, &branch_ref)?,
        branch: branch.to_string(),
        expected: tip,
        unexpected: Vec::new(),
    })
}

/// Records that the rollback begins; its steps follow with `run_steps`.
/// A finished or aborted run gave its lock back: the rollback takes it again
/// in the same push (it must not exist), so no other hotfix moves release meanwhile.
pub fn start_rollback(cx: &Context<'_>, journal: &mut Journal, reason: &str) -> Result<(), WorkflowError> {
    let event = Event::RollbackStarted {
        reason: cx.redactor.redact(reason),
    };
    let branch = journal.run.record.release_branch.clone();
    let relock = journal.run.state().is_finished();
    let updates = if relock {
        vec![RefUpdate {
            name: JournalStore::lock_ref(&branch),
            new: Some(journal.lock_value().clone()),
            expected: None,
        }]
    } else {
        Vec::new()
    };
    let outcome = push_with_journal(cx, journal, vec![event], updates, "rollback:after-remote")?;
    if outcome.accepted() {
        return Ok(());
    }
    if relock && !is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        let store = JournalStore::new(cx.git, &journal.run.record.remote);
        store.refresh()?;
        let holder = store
            .lock_holder(&branch)?
            .map_or_else(|| "(unknown run)".to_string(), |(_, id)| id);
        return Err(WorkflowError::ReleaseLocked { branch, holder });
    }
    Err(JournalError::Contended { id: journal.id.clone() }.into())
}

/// Records the operator's sign-off in `role` on the pushed release.
pub fn approve(cx: &Context<'_>, journal: &mut Journal, role: &str) -> Result<Approval, WorkflowError> {
    let approvals = approval_roles(&journal.run).cloned().unwrap_or_default();
    let roles = &approvals.roles;
    if !roles.iter().any(|r| r == role) {
        return Err(WorkflowError::UnknownRole {
            role: role.to_string(),
            roles: roles.clone(),
        });
    }
    if journal.run.phase() != Phase::Hotfix || journal.run.release_sha().is_none() {
        return Err(WorkflowError::NotPushed {
            id: journal.id.clone(),
            what: "approve",
        });
    }
    let release_tip = release_unmoved(cx, &journal.run)?;
    let ident = cx.actor.ident.clone();
    let me = person_of(&ident);
    for given in journal.run.approvals() {
        if given.role == role {
            if given.person() == me {
                return Ok(given.clone());
            }
            return Err(WorkflowError::RoleTaken {
                role: role.to_string(),
                ident: given.ident.clone(),
            });
        }
        if given.person() == me {
            return Err(WorkflowError::SamePerson {
                ident,
                other_role: given.role.clone(),
            });
        }
    }
    if !approvals.allow_fix_author {
        let fixes = journal.run.record.fixes.clone();
        for fix in cx.git.commits(&fixes)? {
            if fix.author.email.to_ascii_lowercase() == me {
                return Err(WorkflowError::FixAuthor { ident, fix: fix.id });
            }
        }
    }
    let approval = Approval {
        role: role.to_string(),
        ident,
        at: cx.ambient.now(),
        release_tip,
    };
    let outcome = push_with_journal(
        cx,
        journal,
        vec![Event::Approved {
            approval: approval.clone(),
        }],
        Vec::new(),
        "approve:after-remote",
    )?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(approval)
}

/// Records a person's word for an evidence item no configured step proves.
pub fn attest(cx: &Context<'_>, journal: &mut Journal, item: &str, detail: &str) -> Result<(), WorkflowError> {
    report::check_attestable(&journal.run, cx.config, item).map_err(|reason| WorkflowError::NotAttestable {
        item: item.to_string(),
        reason,
    })?;
    let event = Event::Attested {
        item: item.to_string(),
        detail: cx.redactor.redact(detail),
    };
    let outcome = push_with_journal(cx, journal, vec![event], Vec::new(), "attest:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(())
}

/// Posts the run's `newest` entries worth announcing to the `[notify]`
/// webhook. A webhook that fails is a notice, never a failed step:
/// production matters more.
pub(super) fn announce(cx: &Context<'_>, run: &Run, newest: usize) {
    let Some(webhook) = &cx.config.notify.webhook else {
        return;
    };
    for (_, entry) in &run.entries[run.entries.len().saturating_sub(newest)..] {
        let Some(text) = announcement(cx, run, &entry.event) else {
            continue;
        };
        if let Err(why) = notify::post(webhook, &cx.redactor.redact(&text)) {
            cx.progress
                .notice(&format!("notification not sent: {}", cx.redactor.redact(&why)));
        }
    }
}

fn announcement(cx: &Context<'_>, run: &Run, event: &Event) -> Option<String> {
    let service = cx.config.service.as_deref().unwrap_or(&run.record.release_branch);
    let id = &run.id;
    let sha = |s: &Oid| s.short().to_string();
    let text = match event {
        Event::StepDone {
            evidence: Evidence::Lock { .. },
            ..
        } => format!(
            ":rotating_light: hotfix {id} started for {service} ({} severity): {} fix(es) onto {}/{}, production {}",
            run.record.severity.as_str(),
            run.record.fixes.len(),
            run.record.remote,
            run.record.release_branch,
            sha(&run.record.plan.production.commit)
        ),
        Event::Approved { approval: a } => format!(
            "hotfix {id}: {} approved as {} ({})",
            a.ident,
            a.role,
            sha(&a.release_tip)
        ),
        Event::StepDone {
            evidence: Evidence::Deployed { release_sha, .. },
            ..
        } => format!("hotfix {id}: {service} deployed {}", sha(release_sha)),
        Event::StepDone {
            evidence: Evidence::ProductionVerified { release_sha, .. },
            ..
        } => format!("hotfix {id}: production {service} verified on {}", sha(release_sha)),
        Event::RollbackStarted { reason } => format!(
            ":warning: hotfix {id}: rolling {service} back to {}: {reason}",
            sha(&run.record.plan.production.commit)
        ),
        Event::Finished { items, .. } => format!(
            "hotfix {id} finished{}: {} of {} evidence items ok",
            if run.phase() == Phase::Rollback {
                " after a rollback"
            } else {
                ""
            },
            items
                .iter()
                .filter(|i| i.status == crate::journal::ItemStatus::Ok)
                .count(),
            items.len()
        ),
        _ => return None,
    };
    Some(text)
}
