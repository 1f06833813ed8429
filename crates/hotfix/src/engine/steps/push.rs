//! Pushes the built commits to a branch by compare-and-swap on the tip the
//! run expects, atomically with the journal. Run again, it sees the branch
//! already at the built commit and only journals that.

use crate::engine::execute::{append_local, built, done, is_stale, push_with_journal, Context};
use crate::engine::WorkflowError;
use crate::git::RefUpdate;
use crate::git::{ChainLink, Oid};
use crate::journal::{Event, Evidence, Journal, JournalError, JournalStore, Run};
use crate::record::plan::{Plan, Step, WayBack};
use crate::record::step::RefMove;

/// Returns `planned` carried onto what the build made: a rebuild on a new
/// tip changes the commit pushed and the value expected there.
fn as_built(run: &Run, planned: &RefMove) -> RefMove {
    let plan = run.plan();
    let Ok((parent, _, _, new_tip)) = built(run) else {
        return planned.clone();
    };
    RefMove {
        name: planned.name.clone(),
        expected: match &planned.expected {
            Some(e) if *e == plan.release_tip => Some(parent),
            other => other.clone(),
        },
        new: if planned.new == plan.new_tip {
            new_tip
        } else {
            planned.new.clone()
        },
    }
}

pub(super) fn push(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    planned: &RefMove,
) -> Result<(), WorkflowError> {
    let RefMove {
        name: branch_ref,
        expected,
        new: new_tip,
    } = as_built(&journal.run, planned);
    // The release branch gets what the build made from the run's inputs and
    // nothing else, whatever commit the recorded step names.
    let release_ref = format!("refs/heads/{}", journal.run.record.release_branch);
    if branch_ref == release_ref {
        if let Ok((_, _, _, built_tip)) = built(&journal.run) {
            if new_tip != built_tip {
                return Err(WorkflowError::PlanMismatch(Box::new(crate::engine::PlanMismatch {
                    id: journal.id.clone(),
                    what: format!("the commit step `{}` pushes to {release_ref}", step.name),
                    recorded: new_tip,
                    derived: built_tip,
                    production: journal.run.record.plan.production.commit.clone(),
                })));
            }
        }
    }
    let have_commits = cx.git.has_object(&new_tip)?;
    // Release's commits from a build in this process were made from the
    // inputs moments ago; anything else the journal names is checked.
    let built_here = journal.created_here || (journal.built_here && branch_ref == release_ref);
    if have_commits && !built_here {
        same_as_inputs_give(cx, &journal.run, step, &branch_ref, &new_tip)?;
    }
    if !have_commits {
        // Another clone built these commits and stopped before pushing them:
        // nothing of them is on the remote, so build again here.
        let expected = journal.run.expected_tip().clone();
        let event = Event::Rebuilt {
            from_tip: expected.clone(),
            to_tip: expected,
            reason: format!(
                "the built commits ({}) are not in this clone; building them here",
                new_tip.short()
            ),
        };
        append_local(cx, journal, vec![event])?;
        return Ok(());
    }
    let remote = journal.run.record.remote.clone();
    let branch = branch_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&branch_ref)
        .to_string();
    let pushed = |already| {
        done(
            step,
            Evidence::Pushed {
                branch_ref: branch_ref.clone(),
                old: expected.clone(),
                new: new_tip.clone(),
                already,
            },
        )
    };
    let update = RefUpdate {
        name: branch_ref.clone(),
        new: Some(new_tip.clone()),
        expected: expected.clone(),
    };
    let fault = format!("{}:after-remote", step.name);
    let outcome = push_with_journal(cx, journal, vec![pushed(false)], vec![update], &fault)?;
    if outcome.accepted() {
        journal.pushed_here.push((branch_ref, new_tip));
        return Ok(());
    }
    if is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let found = cx.git.remote_ref(&remote, &branch_ref)?;
    if found.as_ref() == Some(&new_tip) {
        // An earlier attempt pushed release but not its journal entry.
        append_local(cx, journal, vec![pushed(true)])?;
        return Ok(());
    }
    if !is_stale(&outcome, &branch_ref) {
        let detail = outcome
            .rejected()
            .map(|r| format!("{} {}", r.name, r.summary))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(WorkflowError::PushRefused { detail });
    }
    let Some(parent) = expected else {
        return Err(WorkflowError::RefExists {
            name: branch_ref,
            found,
        });
    };
    let unexpected = match &found {
        Some(tip) => {
            cx.git.fetch_branches(&remote, &[&branch])?;
            if cx.git.is_ancestor(&parent, tip)? {
                cx.git.first_parent_chain(&parent, tip)?
            } else {
                cx.git.first_parent_chain(&new_tip, tip)?
            }
        }
        None => Vec::new(),
    };
    Err(WorkflowError::ReleaseMoved {
        branch,
        expected: parent,
        found,
        unexpected,
    })
}

/// Returns the commit the run's inputs give for `name`: release's tip, or the
/// way back to main a from-tag plan makes.
fn derived_for<'p>(plan: &'p Plan, release_ref: &str, name: &str) -> Option<&'p Oid> {
    if name == release_ref {
        return Some(&plan.new_tip);
    }
    match plan.way_back()? {
        WayBack::FastForward { main: to } | WayBack::Backport { branch: to, .. } if to.name == name => Some(&to.new),
        _ => None,
    }
}

/// Checks that `new_tip`, about to be pushed to `name` by a run loaded from
/// the journal, is commit for commit what the run's inputs give: every
/// commit the journal names (its build evidence, its steps) came from
/// `refs/hotfix/*`, which more people can write than these branches. The
/// commits made here from the inputs may differ in committer and date only:
/// each must have one parent and the tree and message of its counterpart,
/// on the same base.
fn same_as_inputs_give(
    cx: &Context<'_>,
    run: &Run,
    step: &Step,
    name: &str,
    new_tip: &Oid,
) -> Result<(), WorkflowError> {
    let derived_plan = super::build::rederive(cx, run)?;
    let release_ref = format!("refs/heads/{}", run.record.release_branch);
    let mismatch = |what: String, derived: &Oid| {
        WorkflowError::PlanMismatch(Box::new(crate::engine::PlanMismatch {
            id: run.id.clone(),
            what,
            recorded: new_tip.clone(),
            derived: derived.clone(),
            production: run.record.plan.production.commit.clone(),
        }))
    };
    let Some(derived) = derived_for(&derived_plan, &release_ref, name) else {
        return Err(mismatch(
            format!(
                "the commit step `{}` pushes to {name}, a ref the run's inputs give no commit for",
                step.name
            ),
            &run.record.plan.production.commit,
        ));
    };
    if derived == new_tip {
        return Ok(());
    }
    let differs = || mismatch(format!("what step `{}` pushes to {name}", step.name), derived);
    let Some(base) = cx.git.merge_base(new_tip, derived)? else {
        return Err(differs());
    };
    let pushed = cx.git.chain_links(&base, new_tip)?;
    let wanted = cx.git.chain_links(&base, derived)?;
    let same = |p: &ChainLink, w: &ChainLink| p.parents.len() == 1 && p.tree == w.tree && p.message == w.message;
    if pushed.len() != wanted.len() || !pushed.iter().zip(&wanted).all(|(p, w)| same(p, w)) {
        return Err(differs());
    }
    Ok(())
}
