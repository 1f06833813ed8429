//! Proves what release holds after the push: the remote tip is the built
//! commit, the restore's tree is production's, release gained exactly the
//! restore and the fixes, and changes no path the fixes do not. It only
//! reads, so running it again gives the same verdict.

use std::collections::BTreeSet;

use crate::engine::execute::{append_local, built, done, read_tree, Context};
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, Oid};
use crate::journal::{Evidence, Journal};
use crate::record::plan::{Check, CheckStatus, Step, StepName};

pub(super) fn verify_release(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    branch: &str,
    also_paths: &[String],
) -> Result<(), WorkflowError> {
    let (parent, restore, picks, new_tip) = built(&journal.run)?;
    let extra_commits = match journal.run.done(&StepName::BUILD) {
        Some(Evidence::Built { extra_commits, .. }) => extra_commits.clone(),
        _ => Vec::new(),
    };
    let record = &journal.run.record;
    let production = &record.plan.production.commit;
    let branch_ref = format!("refs/heads/{branch}");
    let pushed_here = journal
        .pushed_here
        .iter()
        .find(|(name, tip)| *name == branch_ref && *tip == new_tip)
        .map(|(_, tip)| tip.clone());
    let (remote_tip, read_how) = match pushed_here {
        // The remote's answer to this process's atomic push said it holds
        // the tip now: fetching it back would read what was just sent.
        Some(tip) => (tip, format!(" ({}'s answer to this run's push)", record.remote)),
        None => {
            cx.git.fetch_branches(&record.remote, &[branch])?;
            let tip = cx.git.read_ref(&tracking_ref(&record.remote, branch))?.ok_or_else(|| {
                WorkflowError::VerificationFailed {
                    reasons: format!("{branch} no longer exists on {}", record.remote),
                }
            })?;
            (tip, String::new())
        }
    };

    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, pass: String, fail: String| {
        checks.push(Check::new(
            name,
            if ok { CheckStatus::Pass } else { CheckStatus::Block },
            if ok { pass } else { fail },
        ));
    };
    check(
        "remote-tip",
        remote_tip == new_tip,
        format!("{}/{branch} is {}{read_how}", record.remote, new_tip.short()),
        format!(
            "{}/{branch} is {}, expected {}",
            record.remote,
            remote_tip.short(),
            new_tip.short()
        ),
    );
    // Equal tree ids prove identical content: `git diff <production>..<restore>` is empty.
    let production_tree = record.plan.production_tree.clone();
    let restore_tree = match &restore {
        Some(r) => Some(read_tree(cx.git, &r.commit)?),
        None => None,
    };
    if restore.is_none() && !extra_commits.is_empty() {
        // A branch made from production's own commit (from-tag) has no
        // restore to prove: it must start at production.
        let starts = cx.git.is_ancestor(production, &remote_tip)?;
        check(
            "starts-at-production",
            starts,
            format!("{branch} starts at production {}", production.short()),
            format!(
                "{branch} does not hold production {} in its history",
                production.short()
            ),
        );
    } else {
        check(
            "restore-diff-empty",
            restore_tree.as_ref().is_none_or(|t| *t == production_tree),
            format!(
                "git diff {}..{} is empty (both trees are {})",
                production.short(),
                restore.as_ref().map_or("release", |r| r.commit.short()),
                production_tree.short()
            ),
            format!(
                "the restore commit's tree {} is not production's tree {}",
                restore_tree.as_ref().map_or("-", |t| t.short()),
                production_tree.short()
            ),
        );
    }
    let gained = if cx.git.is_ancestor(&parent, &remote_tip)? {
        cx.git.first_parent_chain(&parent, &remote_tip)?
    } else {
        Vec::new()
    };
    let mut expected: Vec<Oid> = restore.iter().map(|r| r.commit.clone()).collect();
    expected.extend(picks.iter().filter_map(|p| p.commit.clone()));
    expected.extend(extra_commits.iter().cloned());
    let gained_ids: Vec<Oid> = gained.iter().rev().map(|c| c.id.clone()).collect();
    let what = if restore.is_some() {
        "the restore + the fixes"
    } else if !extra_commits.is_empty() {
        "the fixes + the version commit"
    } else {
        "the fixes (no restore: release already had production's tree)"
    };
    check(
        "only-restore-and-fixes",
        gained_ids == expected,
        format!("release gained exactly {} commit(s): {what}", expected.len()),
        format!(
            "release gained {} commit(s) ({}), expected {what} ({})",
            gained_ids.len(),
            gained.iter().map(|c| c.id.short()).collect::<Vec<_>>().join(" "),
            expected.iter().map(Oid::short).collect::<Vec<_>>().join(" ")
        ),
    );
    let changed_paths = cx.git.changed_paths(production, &remote_tip)?;
    let allowed: BTreeSet<&str> = picks
        .iter()
        .filter(|p| p.commit.is_some())
        .flat_map(|p| p.touched.iter().chain(&p.placed).map(String::as_str))
        .chain(also_paths.iter().map(String::as_str))
        .collect();
    let extra: Vec<&str> = changed_paths
        .iter()
        .map(String::as_str)
        .filter(|p| !allowed.contains(p))
        .collect();
    check(
        "production-plus-fixes",
        extra.is_empty(),
        format!(
            "{branch} differs from production only in the fixes' {}{} path(s)",
            if also_paths.is_empty() {
                ""
            } else {
                "and the version files' "
            },
            changed_paths.len()
        ),
        format!(
            "release also changes paths no fix touches: {}",
            crate::record::plan::list_paths(&extra)
        ),
    );

    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Block)
        .map(|c| c.detail.clone())
        .collect();
    if !failed.is_empty() {
        return Err(WorkflowError::VerificationFailed {
            reasons: failed.join("; "),
        });
    }
    let evidence = Evidence::Verified {
        remote_tip,
        production_tree,
        restore_tree,
        gained,
        changed_paths,
        checks,
    };
    append_local(cx, journal, vec![done(step, evidence)])?;
    Ok(())
}
