//! The `rollback` operation: restores production to the run's recorded commit.

use crate::engine::execute::{self, Outcome, Progress};
use crate::engine::gates;
use crate::engine::WorkflowError;
use crate::git::Oid;
use crate::journal::Phase;
use crate::journal::{Journal, RunState};
use crate::record::plan::Step;
use crate::Error;

use super::run::{fetch_release_and_main, load_run, session_for_run, steps_trusted};
use super::Session;

/// What `rollback` would do, shown before the operator confirms it.
#[derive(Clone, Debug)]
pub struct RollbackPreview {
    pub run_id: String,
    pub state: RunState,
    /// The production commit whose tree release gets again.
    pub production: Oid,
    /// What the remote release holds now.
    pub release_now: Option<Oid>,
    /// The steps the rollback runs, in order.
    pub steps: Vec<Step>,
}

/// Loads the run a rollback means and checks that it can be rolled back;
/// changes nothing.
pub fn rollback_preview(
    session: &Session,
    id: Option<&str>,
    services: &[String],
) -> Result<(Journal, RollbackPreview), Error> {
    let journal = load_run(session, id)?;
    refuse_rollback(&journal)?;
    changed_services(&journal, services)?;
    let run = &journal.run;
    let state = run.state();
    let on_run = session_for_run(session, run);
    let release_ref = format!("refs/heads/{}", run.record.release_branch);
    let release_now = on_run.git.remote_ref(&run.record.remote, &release_ref)?;
    let steps = run
        .steps_of(Phase::Rollback)
        .iter()
        .filter(|s| {
            s.service
                .as_ref()
                .is_none_or(|name| services.is_empty() || services.contains(name))
        })
        .cloned()
        .collect();
    let preview = RollbackPreview {
        run_id: journal.id.clone(),
        state,
        production: run.record.plan.production.commit.clone(),
        release_now,
        steps,
    };
    Ok((journal, preview))
}

/// Refuses to roll back a service the run did not change.
fn changed_services(journal: &Journal, services: &[String]) -> Result<(), Error> {
    let changed: Vec<String> = journal.run.plan().shipped_services().map(str::to_string).collect();
    match services.iter().find(|s| !changed.contains(s)) {
        Some(service) => Err(WorkflowError::NotAChangedService {
            id: journal.id.clone(),
            service: service.clone(),
            changed,
        }
        .into()),
        None => Ok(()),
    }
}

/// Refuses a rollback of a run already rolled back, or of one in progress
/// that never pushed release (`abort` stops that).
fn refuse_rollback(journal: &Journal) -> Result<(), Error> {
    let run = &journal.run;
    let state = run.state();
    match (run.phase(), state) {
        (Phase::Rollback, RunState::RolledBack) => Err(WorkflowError::RunFinished {
            id: journal.id.clone(),
            state: state.as_str(),
        }
        .into()),
        (Phase::Hotfix, RunState::InProgress | RunState::Stopped) if run.release_sha().is_none() => {
            Err(WorkflowError::NotPushed {
                id: journal.id.clone(),
                what: "roll back (`git hotfix abort` stops it)",
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// Rolls production back to the run's recorded production commit: restore
/// release again, then the release job, deploy, verification and smoke
/// checks. Works on runs in progress, finished or aborted, as long as the
/// run recorded production: the way back never depends on how the run ended.
/// `services` (`--service`) rolls back only those of the services the run
/// changed: release is restored, and only their production steps run again.
pub fn rollback(
    session: &Session,
    id: Option<&str>,
    reason: &str,
    services: &[String],
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    // Loaded again, not taken from the preview: the operator may have
    // answered its question minutes later.
    let mut journal = load_run(session, id)?;
    refuse_rollback(&journal)?;
    changed_services(&journal, services)?;
    let on_run = session_for_run(session, &journal.run);
    fetch_release_and_main(&on_run)?;
    steps_trusted(session, &journal.run)?;
    super::verify::decisions_signed(session, &journal.run)?;
    let cx = on_run.context(progress, true)?;
    if journal.run.phase() == Phase::Hotfix {
        gates::start_rollback(&cx, &mut journal, reason, services)?;
    }
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}
