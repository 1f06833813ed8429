//! Conflicts a person resolves: `git hotfix resolve` checks the pick's target
//! out in a linked worktree of its own (never the operator's checkout) and
//! lets `git cherry-pick --no-commit` lay the conflict out there, markers and
//! index stages as git makes them. The worktree is a sparse checkout of the
//! paths the fix touches and the conflicting ones: its index holds the whole
//! target tree, so the tree `continue` writes from it is whole, every other
//! path the target's. `continue` takes the edited tree back, after proving it
//! changes only paths the fix touches.

use std::path::{Path, PathBuf};

use crate::git::{CommitSummary, Git, Oid};
use crate::journal::{Event, Journal, Run};

use crate::engine::execute::{self, Context};
use crate::engine::WorkflowError;
use crate::record::plan::{Pick, Resolution, StepName};

/// Where run `run_id`'s conflict is resolved: a temporary directory of its own.
pub fn worktree_path(run_id: &str) -> PathBuf {
    std::env::temp_dir().join(format!("git-hotfix-resolve-{run_id}"))
}

/// The conflict laid out for a person.
#[derive(Clone, Debug)]
pub struct Opened {
    pub path: PathBuf,
    pub fix: CommitSummary,
    pub conflicts: Vec<String>,
    /// Unreleased commits that touched the conflicting paths.
    pub unreleased: Vec<CommitSummary>,
    /// False when the worktree was already there (from an earlier `resolve`).
    pub created: bool,
}

/// Returns the registered worktree of `run_id` in this repository, if any.
pub fn existing_worktree(git: &Git, run_id: &str) -> Result<Option<PathBuf>, WorkflowError> {
    registered_worktree(git, &worktree_path(run_id))
}

/// Returns `wanted` as this repository's worktree list has it, if it is one.
pub fn registered_worktree(git: &Git, wanted: &Path) -> Result<Option<PathBuf>, WorkflowError> {
    let wanted = wanted.canonicalize().unwrap_or_else(|_| wanted.to_path_buf());
    Ok(git
        .worktrees()?
        .into_iter()
        .find(|p| p.canonicalize().unwrap_or_else(|_| p.clone()) == wanted))
}

/// Opens the run's current conflict in its worktree (again, if it is open).
pub fn open(cx: &Context<'_>, run: &Run) -> Result<Opened, WorkflowError> {
    let pick = current_conflict(cx, run)?;
    let fix = CommitSummary {
        id: pick.fix.clone(),
        subject: pick.subject.clone(),
    };
    if let Some(path) = existing_worktree(cx.git, &run.id)? {
        return Ok(Opened {
            path,
            fix,
            conflicts: pick.conflicts,
            unreleased: pick.unreleased,
            created: false,
        });
    }
    let path = worktree_path(&run.id);
    if path.exists() {
        return Err(WorkflowError::WorktreeInTheWay { path });
    }
    let onto = pick.onto.clone().ok_or_else(|| WorkflowError::NothingToResolve {
        id: run.id.clone(),
        why: "the conflicting pick has no target commit".into(),
    })?;
    let paths = laid_out_paths(&pick.touched, &pick.conflicts);
    if !lay_out(cx.git, &path, &onto, &pick.fix, pick.mainline, &paths)? {
        return Err(WorkflowError::NothingToResolve {
            id: run.id.clone(),
            why: format!("`git cherry-pick` applies {} cleanly here", pick.fix.short()),
        });
    }
    Ok(Opened {
        path,
        fix,
        conflicts: pick.conflicts,
        unreleased: pick.unreleased,
        created: true,
    })
}

/// Takes the person's resolution from the run's worktree, when there is one
/// and the run waits at a conflict; journals it (locally) and returns it.
pub fn take(cx: &Context<'_>, journal: &mut Journal) -> Result<Option<Resolution>, WorkflowError> {
    if journal.run.next_step().map(|s| &s.name) != Some(&StepName::BUILD) {
        return Ok(None);
    }
    let Some(path) = existing_worktree(cx.git, &journal.id)? else {
        return Ok(None);
    };
    let pick = match current_conflict(cx, &journal.run) {
        Ok(pick) => pick,
        Err(WorkflowError::NothingToResolve { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let onto_tree = pick.onto_tree.clone().ok_or_else(|| WorkflowError::NothingToResolve {
        id: journal.id.clone(),
        why: "the conflicting pick has no target tree".into(),
    })?;
    let tree = resolved_tree(
        cx.git,
        &path,
        &Laid {
            fix: &pick.fix,
            onto_tree: &onto_tree,
            conflicts: &pick.conflicts,
            touched: &pick.touched,
        },
    )?;
    let resolution = Resolution {
        fix: pick.fix.clone(),
        onto_tree,
        tree,
        conflicts: pick.conflicts.clone(),
    };
    execute::append_local(
        cx,
        journal,
        vec![Event::Resolved {
            resolution: resolution.clone(),
        }],
    )?;
    Ok(Some(resolution))
}

/// Returns the paths a resolve worktree checks out: what the fix changes
/// (so a person sees the whole fix) and what conflicts (a rename's conflict
/// may sit at the target's path, which the fix never names).
pub fn laid_out_paths(touched: &[String], conflicts: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = touched.iter().chain(conflicts).cloned().collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Checks `paths` of `onto` out in a new sparse linked worktree at `path`
/// and lets `git cherry-pick --no-commit` lay the conflict of `fix` out
/// there (git writes any other path it conflicts in, too). Returns false
/// (and removes the worktree) when git applies it cleanly. Shared by the
/// hotfix's own conflicts and a backport's.
pub fn lay_out(
    git: &Git,
    path: &Path,
    onto: &Oid,
    fix: &Oid,
    mainline: Option<u32>,
    paths: &[String],
) -> Result<bool, WorkflowError> {
    if let Err(e) = git.worktree_add_sparse(path, onto, paths) {
        let _ = git.worktree_remove(path);
        return Err(e.into());
    }
    let worktree = Git::open(path)?;
    if !worktree.cherry_pick_no_commit(fix, mainline)? {
        // git's own cherry-pick applied it: the engine and git disagree.
        let _ = git.worktree_remove(path);
        return Ok(false);
    }
    Ok(true)
}

/// A conflict laid out in a worktree, as the checks of its resolution see it.
pub struct Laid<'a> {
    pub fix: &'a Oid,
    /// The tree the pick was made onto.
    pub onto_tree: &'a Oid,
    pub conflicts: &'a [String],
    /// The paths the fix changes: the only ones a resolution may change.
    pub touched: &'a [String],
}

/// Returns the tree a person resolved in `worktree`, after proving it has
/// no conflict marker left, changes something, and changes only what the
/// fix changes.
pub fn resolved_tree(git: &Git, worktree: &Path, laid: &Laid<'_>) -> Result<Oid, WorkflowError> {
    for conflict in laid.conflicts {
        if let Some(line) = marker_line(&worktree.join(conflict)) {
            return Err(WorkflowError::UnresolvedMarkers {
                path: conflict.clone(),
                line,
                worktree: worktree.to_path_buf(),
            });
        }
    }
    let tree = Git::open(worktree)?.stage_all_as_tree()?;
    if &tree == laid.onto_tree {
        return Err(WorkflowError::ResolutionEmpty {
            fix: laid.fix.clone(),
            worktree: worktree.to_path_buf(),
        });
    }
    // "Inspect the final tree carefully": the resolution may change only
    // what the fix changes.
    let extra: Vec<String> = git
        .changed_paths(laid.onto_tree, &tree)?
        .into_iter()
        .filter(|p| !laid.touched.contains(p))
        .collect();
    if !extra.is_empty() {
        return Err(WorkflowError::ResolutionOutOfScope {
            fix: laid.fix.clone(),
            paths: extra,
            worktree: worktree.to_path_buf(),
        });
    }
    Ok(tree)
}

/// Removes run `run_id`'s worktree, if this repository has one. A worktree
/// that cannot be removed is a notice, never a failed step: the run's state
/// is in the journal, not in the worktree.
pub fn close(cx: &Context<'_>, run_id: &str) {
    let removed = existing_worktree(cx.git, run_id).and_then(|found| match found {
        Some(path) => Ok(cx.git.worktree_remove(&path)?),
        None => Ok(()),
    });
    if let Err(e) = removed {
        cx.progress
            .notice(&format!("the resolve worktree was not removed: {e}"));
    }
}

/// The first pick of the run's plan that conflicts without a resolution.
fn current_conflict(cx: &Context<'_>, run: &Run) -> Result<Pick, WorkflowError> {
    let nothing = |why: &str| WorkflowError::NothingToResolve {
        id: run.id.clone(),
        why: why.to_string(),
    };
    if run.state().is_finished() {
        return Err(nothing("the run is finished"));
    }
    if run.done(&StepName::BUILD).is_some() {
        return Err(nothing("its commits are built already"));
    }
    let plan = execute::replan(cx, run)?;
    plan.conflict()
        .cloned()
        .ok_or_else(|| nothing("every pick applies; `git hotfix continue` goes on"))
}

/// The first line (1-based) of `file` that is a conflict marker git writes.
fn marker_line(file: &Path) -> Option<usize> {
    let text = std::fs::read(file).ok()?;
    let text = String::from_utf8_lossy(&text);
    text.lines()
        .position(|l| l.starts_with("<<<<<<< ") || l.starts_with(">>>>>>> "))
        .map(|i| i + 1)
}
