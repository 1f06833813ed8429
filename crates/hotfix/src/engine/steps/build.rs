//! Builds the release commits (restore and picks) and proves they give the
//! tree the operator confirmed. It reuses the objects the confirmed plan
//! wrote when this clone has them, else plans again from the run's record;
//! a tree other than the confirmed one stops the run.

use crate::engine::execute::{append_local, done, replan, Context};
use crate::engine::WorkflowError;
use crate::journal::{BuiltPick, Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn build(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let confirmed = run.plan();
    let rebuilt = run.expected_tip() != &confirmed.release_tip;
    // The plan confirmed at start already wrote these objects, unless this is
    // another clone or a rebuild on a new tip.
    // A confirmed plan that stopped at a conflict goes on only through a
    // resolution, so it is always recomputed with the run's resolutions.
    let complete = confirmed.conflict().is_none();
    let plan = if !rebuilt && complete && cx.git.has_object(&confirmed.new_tip)? {
        confirmed.clone()
    } else {
        replan(cx, run)?
    };
    if let Some(pick) = plan.conflict() {
        return Err(WorkflowError::PickConflict {
            fix: pick.fix.clone(),
            subject: pick.subject.clone(),
            conflicts: pick.conflicts.clone(),
            unreleased: pick.unreleased.clone(),
        });
    }
    if !plan.is_safe() {
        let reasons = plan.blocking().map(|c| c.detail.clone()).collect::<Vec<_>>().join("; ");
        return Err(WorkflowError::BlockedOnResume { reasons });
    }
    if !rebuilt && complete && plan.release_tree != confirmed.release_tree {
        return Err(WorkflowError::PlanChanged {
            expected: confirmed.release_tree.clone(),
            got: plan.release_tree,
        });
    }
    let picks = plan
        .picks
        .iter()
        .map(|p| BuiltPick {
            fix: p.fix.clone(),
            subject: p.subject.clone(),
            status: p.status,
            commit: p.commit.clone(),
            touched: p.touched.clone(),
            placed: p.placed.clone(),
        })
        .collect();
    let evidence = Evidence::Built {
        parent: plan.release_tip.clone(),
        restore: plan.restore.clone(),
        picks,
        new_tip: plan.new_tip.clone(),
        release_tree: plan.release_tree.clone(),
        checks: plan.checks.clone(),
        extra_commits: plan.extra_commits.clone(),
    };
    append_local(cx, journal, vec![done(step, evidence)])?;
    // The resolution is in the journal and the commits are built: the
    // worktree has served its purpose.
    crate::pick::resolve::close(cx, &journal.id);
    Ok(())
}
