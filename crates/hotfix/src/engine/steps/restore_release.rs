//! Rolls release back to production's tree with a restore commit on top of
//! whatever release holds, by compare-and-swap on the tip just read. A
//! release that already has production's tree is journaled as done.

use crate::engine::execute::{append_local, done, is_stale, push_with_journal, read_tree, Context};
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, Oid, RefUpdate};
use crate::journal::{Event, Evidence, Journal, JournalError};
use crate::pick::{self, RunTrailers};
use crate::record::plan::Step;

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
    // Production's tree as the object store has it, not as the record says.
    let tree = read_tree(cx.git, &production)?;
    if tree != record.plan.production_tree {
        return Err(WorkflowError::PlanMismatch(Box::new(crate::engine::PlanMismatch {
            id: journal.id.clone(),
            what: "production's tree".into(),
            recorded: record.plan.production_tree.clone(),
            derived: tree,
            production,
        })));
    }
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
            Event::RollbackStarted { reason, .. } => Some(reason.clone()),
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
