//! wait-for-fix: the run waits at a gate until a person pushes commits to
//! the run's branch on top of its base (seed 003 commits the fix on the
//! hotfix branch); then it makes the plan again with those commits as the
//! fixes and journals it, so every clone follows the same plan. Doing it
//! again finds the same commits and makes the same plan.

use crate::engine::execute::{append_local, done, replan_with, Context};
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, Oid};
use crate::journal::{Event, Evidence, Journal};
use crate::record::plan::Step;

/// Returns the commits on the remote `branch` past `base`, oldest first,
/// and its tip; none while nobody pushed.
pub(crate) fn pushed_fixes(
    cx: &Context<'_>,
    remote: &str,
    branch: &str,
    base: &Oid,
) -> Result<(Vec<crate::git::CommitSummary>, Oid), WorkflowError> {
    cx.git.fetch_branches(remote, &[branch])?;
    let tip = cx
        .git
        .read_ref(&tracking_ref(remote, branch))?
        .ok_or_else(|| WorkflowError::VerificationFailed {
            reasons: format!("{branch} no longer exists on {remote}"),
        })?;
    if !cx.git.is_ancestor(base, &tip)? {
        return Err(WorkflowError::BlockedOnResume {
            reasons: format!(
                "{branch} is at {}, which does not descend from {}: commit the fix on top of the branch as it was pushed",
                tip.short(),
                base.short()
            ),
        });
    }
    let mut commits = cx.git.first_parent_chain(base, &tip)?;
    commits.reverse();
    Ok((commits, tip))
}

pub(crate) fn wait_for_fix(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    branch: &str,
    base: &Oid,
) -> Result<(), WorkflowError> {
    let remote = journal.run.record.remote.clone();
    let (commits, tip) = pushed_fixes(cx, &remote, branch, base)?;
    if commits.is_empty() {
        return Err(WorkflowError::BlockedOnResume {
            reasons: format!("nothing was committed on {branch} yet"),
        });
    }
    let fixes: Vec<Oid> = commits.iter().map(|c| c.id.clone()).collect();
    let mut plan = replan_with(cx, &journal.run, &fixes, Some(tip.clone()))?;
    if !plan.is_safe() {
        let reasons = plan.blocking().map(|c| c.detail.clone()).collect::<Vec<_>>().join("; ");
        return Err(WorkflowError::BlockedOnResume { reasons });
    }
    // The record keeps secrets masked; this process runs with them.
    plan.steps = cx.redactor.redact_all(&plan.steps);
    let reason = format!(
        "{} commit(s) pushed to {branch} since {}: {}",
        commits.len(),
        base.short(),
        commits.iter().map(|c| c.id.short()).collect::<Vec<_>>().join(" ")
    );
    let evidence = Evidence::FixesPushed {
        branch_ref: format!("refs/heads/{branch}"),
        commits,
        tip,
    };
    let events = vec![
        done(step, evidence),
        Event::Replanned {
            plan: Box::new(plan),
            reason,
        },
    ];
    append_local(cx, journal, events)?;
    journal.run.restore_secrets(cx.redactor);
    Ok(())
}
