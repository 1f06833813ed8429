//! Builds the release commits (restore and picks) and proves they give the
//! tree the operator confirmed. The commits are always made again here from
//! the run's own inputs (production, the fixes, the resolutions), never
//! taken from the recorded plan: the record comes from `refs/hotfix/*`,
//! which more people can push than can push release. A recorded tree other
//! than the one the inputs give stops the run before anything is pushed.

use crate::engine::execute::{append_local, done, replan, Context};
use crate::engine::WorkflowError;
use crate::git::Oid;
use crate::journal::{BuiltPick, Evidence, Journal, Run};
use crate::record::plan::{PickStatus, Plan, Step};

/// Makes the run's plan again from its inputs and checks the recorded plan
/// against it: production's tree, the restore's tree (production's), each
/// pick's tree and, once no conflict is left open, release's tree. Returns
/// the plan made again, whose commits are the ones to push.
pub(crate) fn rederive(cx: &Context<'_>, run: &Run) -> Result<Plan, WorkflowError> {
    let recorded = run.plan();
    let derived = replan(cx, run)?;
    let mismatch = |what: String, recorded: &Oid, derived: &Oid| {
        WorkflowError::PlanMismatch(Box::new(crate::engine::PlanMismatch {
            id: run.id.clone(),
            what,
            recorded: recorded.clone(),
            derived: derived.clone(),
            production: run.record.plan.production.commit.clone(),
        }))
    };
    if recorded.production_tree != derived.production_tree {
        return Err(mismatch(
            "production's tree".into(),
            &recorded.production_tree,
            &derived.production_tree,
        ));
    }
    if let Some(restore) = &recorded.restore {
        if restore.tree != derived.production_tree {
            return Err(mismatch(
                "the restore commit's tree".into(),
                &restore.tree,
                &derived.production_tree,
            ));
        }
    }
    for (i, (was, now)) in recorded.picks.iter().zip(&derived.picks).enumerate() {
        if was.fix != now.fix {
            return Err(mismatch(format!("pick {}'s fix", i + 1), &was.fix, &now.fix));
        }
        // A recorded conflict (and what comes after it) is made again with
        // the run's resolutions: only what was already picked is compared.
        if matches!(was.status, PickStatus::Conflict | PickStatus::Pending) {
            break;
        }
        if was.tree != now.tree {
            return Err(mismatch(
                format!("the tree after pick {} (fix {})", i + 1, was.fix.short()),
                &was.tree,
                &now.tree,
            ));
        }
    }
    if recorded.picks.len() != derived.picks.len() {
        return Err(WorkflowError::BlockedOnResume {
            reasons: format!(
                "run {} records {} picks, its fixes give {}",
                run.id,
                recorded.picks.len(),
                derived.picks.len()
            ),
        });
    }
    if recorded.conflict().is_none() && derived.conflict().is_none() && recorded.release_tree != derived.release_tree {
        return Err(mismatch(
            "release's tree".into(),
            &recorded.release_tree,
            &derived.release_tree,
        ));
    }
    Ok(derived)
}

pub(super) fn build(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let confirmed = run.plan();
    // The plan `start` computed in this very process, from its own inputs,
    // moments ago: nothing of it came from the remote, and its objects are
    // here. Any other run is made again from its inputs.
    let fresh = journal.created_here
        && run.expected_tip() == &confirmed.release_tip
        && confirmed.conflict().is_none()
        && cx.git.has_object(&confirmed.new_tip)?;
    let plan = if fresh { confirmed.clone() } else { rederive(cx, run)? };
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
    journal.built_here = true;
    // The resolution is in the journal and the commits are built: the
    // worktree has served its purpose.
    crate::pick::resolve::close(cx, &journal.id);
    Ok(())
}
