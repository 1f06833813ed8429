//! The `continue` operation: carries on a run from its first unfinished step.

use crate::engine::execute::{self, Outcome, Progress};
use crate::engine::gates;
use crate::engine::WorkflowError;
use crate::git::tracking_ref;
use crate::journal::Phase;
use crate::journal::{Event, Journal, Run, RunState};
use crate::pick::resolve;
use crate::record::plan::StepName;
use crate::Error;

use super::run::{
    fetch_branches, fetch_release_and_main, load_run, production_unchanged, run_config, session_for_run, steps_trusted,
};
use super::Session;

/// How `continue` goes on.
#[derive(Clone, Debug, Default)]
pub struct ResumeOptions {
    /// The escalated decision to go on although a fix depends on unreleased
    /// work: its reason, journaled before anything else.
    pub allow_dependency: Option<String>,
    /// Release moved under the run: restore and re-pick on its new tip.
    pub rebuild: bool,
    /// The operator confirmed the production steps (release job, deploy).
    pub confirmed: bool,
    /// Take this clone's hotfix.toml for the remaining steps (journaled).
    pub replan: bool,
    /// The operator's decision to run this step again although an earlier
    /// attempt was interrupted or never ended (it may have run).
    pub rerun: Option<StepName>,
}

/// Carries on a run from its first unfinished step, from any clone.
pub fn resume(
    session: &Session,
    id: Option<&str>,
    options: ResumeOptions,
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    let mut journal = load_run(session, id)?;
    match journal.run.state() {
        // A crash after the last step left its entries on this clone only:
        // other clones must see the run as it ended.
        RunState::Completed | RunState::Released | RunState::RollbackAwaitingFinish | RunState::RolledBack => {
            let caught_up = journal.unmirrored();
            if caught_up > 0 {
                let on_run = session_for_run(session, &journal.run);
                let silent = execute::Silent;
                let cx = on_run.context(&silent, false)?;
                execute::mirror(&cx, &mut journal)?;
            }
            let idle = Outcome {
                steps_done: 0,
                gate: None,
                caught_up,
            };
            return Ok((journal, idle));
        }
        RunState::Aborted => {
            return Err(WorkflowError::RunFinished {
                id: journal.id.clone(),
                state: RunState::Aborted.as_str(),
            }
            .into())
        }
        RunState::InProgress | RunState::Stopped | RunState::Interrupted => {}
    }
    // Before anything is journaled: a run whose lock was removed must not go on.
    if journal.run.record.remote != session.config.remote {
        crate::journal::JournalStore::new(&session.git, &journal.run.record.remote).refresh()?;
    }
    execute::check_lock(&session.git, &journal)?;
    let record = journal.run.record.clone();
    local_veto(session, &journal.run)?;
    let changed = config_changes(session, &journal.run)?;
    if options.replan && !changed.is_empty() {
        let on_old = session_for_run(session, &journal.run);
        let cx = on_old.context(progress, false)?;
        let config = session.redactor.redact_config(&session.config);
        execute::replace_config(&cx, &mut journal, config, changed)?;
        // The replan's steps are recorded masked; they run with this environment's values.
        journal.run.restore_secrets(&session.redactor);
        if let Some((_, entry)) = journal.run.entries.last() {
            progress.notice(&format!(
                "run {} follows this hotfix.toml from here: {}",
                journal.id,
                entry.event.summary()
            ));
        }
    } else if options.replan {
        session.require_config()?;
        progress.notice("hotfix.toml says what the run's record says: nothing to replan");
    } else if !changed.is_empty() {
        progress.notice(&format!(
            "hotfix.toml differs from the configuration run {} follows in {}; the run follows its record \
             (`git hotfix continue --replan` takes the file, journaled)",
            journal.id,
            changed.join(", ")
        ));
    }
    let on_run = session_for_run(session, &journal.run);
    // A run whose push creates its branch (from-tag's hotfix branch) finds
    // no branch there until it pushed.
    let release_ref = format!("refs/heads/{}", record.release_branch);
    let creates_release = journal.run.steps().iter().any(
        |s| matches!(&s.action, crate::record::plan::Action::Push(m) if m.name == release_ref && m.expected.is_none()),
    );
    let release_expected = !creates_release || journal.run.release_sha().is_some();
    if release_expected {
        fetch_release_and_main(&on_run)?;
    } else {
        fetch_branches(&on_run, &[("branches.main", &record.main_branch)])?;
    }
    // Every step's parameters, not only the production steps': the push and
    // the release proof come before them.
    let trusted = steps_trusted(session, &journal.run)?;
    super::verify::decisions_signed(session, &journal.run)?;
    production_unchanged(&journal, &on_run.git, &trusted)?;
    let cx = on_run.context(progress, options.confirmed)?;
    let tip = match release_expected {
        true => Some(
            on_run
                .git
                .read_ref(&tracking_ref(&record.remote, &record.release_branch))?
                .ok_or_else(|| Error::BranchMissing {
                    key: "branches.release",
                    name: record.release_branch.clone(),
                    remote: record.remote.clone(),
                })?,
        ),
        false => None,
    };
    // A run waiting for the fix on its branch expects the branch to move.
    let waits_for_fix = journal
        .run
        .next_step()
        .is_some_and(|s| matches!(s.action, crate::record::plan::Action::WaitForFix { .. }));
    let pushed = match journal.run.phase() {
        Phase::Hotfix if !waits_for_fix => journal.run.release_sha().cloned(),
        _ => None,
    };
    match (pushed, tip) {
        (_, None) => {}
        (pushed, Some(tip)) => match pushed {
            None if options.rebuild && &tip != journal.run.expected_tip() => {
                execute::rebuild(
                    &cx,
                    &mut journal,
                    tip,
                    "release moved; the operator chose to rebuild on the new tip",
                )?;
            }
            // Release moved while the run waited at a gate, before anything of it
            // reached production: say so, and rebuild only when asked.
            Some(pushed) if pushed != tip && !gates::production_touched(&journal.run) => {
                if !options.rebuild {
                    return Err(WorkflowError::ReleaseMovedAfterPush {
                        branch: record.release_branch.clone(),
                        expected: pushed,
                        found: Some(tip),
                        production_touched: false,
                    }
                    .into());
                }
                let reason = format!(
                    "release moved from {} (pushed by this run) to {} while the run waited; rebuilt on the new tip, \
                 approvals are asked again",
                    pushed.short(),
                    tip.short()
                );
                execute::rebuild(&cx, &mut journal, tip, &reason)?;
            }
            _ => {}
        },
    }
    if let Some(reason) = &options.allow_dependency {
        let event = Event::DependencyAllowed {
            reason: session.redactor.redact(reason),
        };
        execute::append_local(&cx, &mut journal, vec![event])?;
    }
    if let Some(step) = &options.rerun {
        gates::allow_rerun(&cx, &mut journal, step)?;
    }
    resolve::take(&cx, &mut journal)?;
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}

/// Returns the top-level keys in which this clone's hotfix.toml differs
/// from the configuration the run follows (none without a hotfix.toml).
/// The remote and the branches define the run: a file that changes them is
/// refused, not replanned.
fn config_changes(session: &Session, run: &Run) -> Result<Vec<String>, Error> {
    if !session.config_found || run.record.config.is_none() {
        return Ok(Vec::new());
    }
    let ours = serde_json::to_value(&session.config).expect("configs serialize: plain data, string keys");
    let mut theirs = run_config(session, run);
    if let Some(recorded) = &run.record.config {
        // The run's own branch (from-tag's hotfix branch) is the run's, not the file's.
        theirs.branches = recorded.branches.clone();
    }
    let theirs = serde_json::to_value(theirs).expect("configs serialize: plain data, string keys");
    let (Some(ours), Some(theirs)) = (ours.as_object(), theirs.as_object()) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<String> = keys
        .into_iter()
        .filter(|k| ours.get(*k) != theirs.get(*k))
        .cloned()
        .collect();
    let fixed: Vec<String> = changed
        .iter()
        .filter(|k| matches!(k.as_str(), "remote" | "branches" | "strategy"))
        .cloned()
        .collect();
    if !fixed.is_empty() {
        return Err(WorkflowError::ReplanRefused {
            id: run.id.clone(),
            keys: fixed,
        }
        .into());
    }
    Ok(changed)
}

/// Refuses to go on when this clone's hotfix.toml forbids the release job
/// the run is about to run: the run follows its record, but a clone's own
/// config may veto, never add.
fn local_veto(session: &Session, run: &Run) -> Result<(), Error> {
    let pending = run
        .steps()
        .iter()
        .any(|s| s.is_release_job() && run.done(&s.name).is_none());
    let forbidden = session
        .config
        .release
        .as_ref()
        .filter(|_| session.config_found && pending)
        .and_then(|r| r.offending().map(|(what, f)| (what, f.to_string())));
    match forbidden {
        Some((action, forbidden)) => Err(WorkflowError::ForbiddenAction { action, forbidden }.into()),
        None => Ok(()),
    }
}
