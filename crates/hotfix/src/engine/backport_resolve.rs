//! Resolving a conflicted backport by hand (`git hotfix backport resolve`).
//!
//! The backport branch of a conflict holds an empty commit naming the
//! conflicting paths ([`crate::pick::backport`]). Resolving it goes as
//! `git hotfix resolve` goes for the hotfix's own picks, with the same code
//! ([`crate::pick::resolve::lay_out`], [`crate::pick::resolve::resolved_tree`]):
//! the empty commit is checked out in a linked worktree of its own (never
//! the operator's checkout), `git cherry-pick --no-commit` lays the
//! conflict out there, and once a person edited it the tree is taken back
//! only with no conflict marker left and no path changed that the fix does
//! not change.
//!
//! The resolution is a new commit on top of the empty one, authored by the
//! fix's author with the `(cherry picked from commit ...)` trailer, as
//! `git cherry-pick -x` followed by `--continue` on the branch would make it
//! (the very commands the request's description gives). A reviewer who saw
//! the empty commit sees one more commit, with the change; nothing they
//! already fetched is rewritten, so the push is a fast-forward, made by
//! compare-and-swap on the value the worktree was laid out from.

use std::path::PathBuf;

use crate::engine::backport::BackportContext;
use crate::engine::WorkflowError;
use crate::forge::{MergeRequestRef, NewMergeRequest};
use crate::git::{tracking_ref, CommitInfo, Git, NewCommit, Oid, RefUpdate};
use crate::pick;
use crate::pick::resolve::{laid_out_paths, lay_out, registered_worktree, resolved_tree, Laid};
use crate::record::backport::{Backport, BackportRequest, BackportState};

/// A conflicted backport as its branch holds it: the empty commit on the
/// target's tip the pick conflicted on.
#[derive(Clone, Debug)]
pub struct ConflictedBackport {
    pub fix: CommitInfo,
    pub mainline: Option<u32>,
    pub target: String,
    pub branch: String,
    /// The branch's empty commit.
    pub head: Oid,
    /// The target's tip the pick was made on (the empty commit's parent).
    pub target_tip: Oid,
    /// Its tree, which the empty commit keeps.
    pub onto_tree: Oid,
    pub conflicts: Vec<String>,
    /// The paths the fix changes: the only ones the resolution may change.
    pub touched: Vec<String>,
}

/// Returns where the conflict of `branch` is laid out: a temporary
/// directory of its own per repository and branch.
pub fn worktree_path(git: &Git, branch: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    git.git_dir().hash(&mut hasher);
    let name: String = branch
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    std::env::temp_dir().join(format!("git-hotfix-backport-{name}-{:08x}", hasher.finish() as u32))
}

/// Reads backport branch `branch` of `fix` to `target` on the remote and
/// returns its conflict; refuses a branch that does not hold the empty commit.
pub fn find(
    git: &Git,
    remote: &str,
    fix: &CommitInfo,
    mainline: Option<u32>,
    target: &str,
    branch: &str,
) -> Result<ConflictedBackport, WorkflowError> {
    let name = format!("refs/heads/{branch}");
    let head = git
        .remote_ref(remote, &name)?
        .ok_or_else(|| WorkflowError::NotAConflictedBackport {
            branch: branch.to_string(),
            detail: format!("{remote} has no branch `{branch}`; `git hotfix backport` makes it"),
        })?;
    git.fetch_branches(remote, &[branch])?;
    if git.read_ref(&tracking_ref(remote, branch))?.as_ref() != Some(&head) {
        return Err(WorkflowError::NotAConflictedBackport {
            branch: branch.to_string(),
            detail: "the branch moved while it was fetched; try again".into(),
        });
    }
    conflict_at(git, fix, mainline, target, branch, &head)
}

/// Returns the conflict the empty commit `head` of `branch` stands for.
fn conflict_at(
    git: &Git,
    fix: &CommitInfo,
    mainline: Option<u32>,
    target: &str,
    branch: &str,
    head: &Oid,
) -> Result<ConflictedBackport, WorkflowError> {
    let commit = git.commit(head)?;
    let parent = match commit.parents.as_slice() {
        [parent] => git.commit(parent)?,
        _ => return Err(not_the_empty_commit(branch, &commit)),
    };
    let names_fix = commit
        .message
        .lines()
        .any(|l| l.trim() == format!("Backport-Of: {}", fix.id));
    if commit.tree != parent.tree || !names_fix {
        return Err(not_the_empty_commit(branch, &commit));
    }
    let attempt = pick::attempt(git, &parent.id, &parent.tree, fix, mainline)?;
    if attempt.conflicts.is_empty() {
        return Err(WorkflowError::NotAConflictedBackport {
            branch: branch.to_string(),
            detail: format!("{} applies cleanly onto {} now", fix.id.short(), parent.id.short()),
        });
    }
    Ok(ConflictedBackport {
        fix: fix.clone(),
        mainline: attempt.mainline,
        target: target.to_string(),
        branch: branch.to_string(),
        head: head.clone(),
        target_tip: parent.id.clone(),
        onto_tree: parent.tree.clone(),
        conflicts: attempt.conflicts,
        touched: git.changed_paths(&attempt.base, &fix.id)?,
    })
}

fn not_the_empty_commit(branch: &str, commit: &CommitInfo) -> WorkflowError {
    WorkflowError::NotAConflictedBackport {
        branch: branch.to_string(),
        detail: format!(
            "it holds {} {}, not the empty commit of a conflicted backport",
            commit.id.short(),
            commit.subject()
        ),
    }
}

/// Lays the conflict out in its worktree, unless it is there already;
/// returns the worktree and true when this call made it.
pub fn open(git: &Git, conflict: &ConflictedBackport) -> Result<(PathBuf, bool), WorkflowError> {
    let path = worktree_path(git, &conflict.branch);
    if let Some(found) = registered_worktree(git, &path)? {
        return Ok((found, false));
    }
    if path.exists() {
        return Err(WorkflowError::WorktreeInTheWay { path });
    }
    let paths = laid_out_paths(&conflict.touched, &conflict.conflicts);
    if !lay_out(git, &path, &conflict.head, &conflict.fix.id, conflict.mainline, &paths)? {
        return Err(WorkflowError::NotAConflictedBackport {
            branch: conflict.branch.clone(),
            detail: format!("`git cherry-pick` applies {} cleanly there", conflict.fix.id.short()),
        });
    }
    Ok((path, true))
}

/// What pushing a resolution did.
#[derive(Clone, Debug)]
pub struct Pushed {
    /// The backport as it is now: resolved, its commit the resolution.
    pub backport: Backport,
    /// The worktree the resolution was taken from (removed when it could be).
    pub worktree: PathBuf,
    /// What did not go as it should but does not undo the push (a relabel
    /// the forge refused, a worktree left behind).
    pub notices: Vec<String>,
}

/// Takes the resolution of backport branch `branch` from its worktree,
/// commits it on the empty commit the worktree was laid out from, pushes it
/// by compare-and-swap and relabels `request` (or the request the forge has
/// open for the branch). `base` is the backport as recorded, if it is.
pub fn push_resolution(
    cx: &BackportContext<'_>,
    fix: &CommitInfo,
    mainline: Option<u32>,
    target: &str,
    branch: &str,
    base: Option<&Backport>,
) -> Result<Pushed, WorkflowError> {
    let path = worktree_path(cx.git, branch);
    let worktree = registered_worktree(cx.git, &path)?.ok_or_else(|| WorkflowError::NotAConflictedBackport {
        branch: branch.to_string(),
        detail: "its conflict is not laid out; `git hotfix backport resolve` lays it out first".into(),
    })?;
    // The branch's value we read when the conflict was laid out.
    let expected = Git::open(&worktree)?.resolve_commit("HEAD")?;
    let conflict = conflict_at(cx.git, fix, mainline, target, branch, &expected)?;
    let tree = resolved_tree(
        cx.git,
        &worktree,
        &Laid {
            fix: &fix.id,
            onto_tree: &conflict.onto_tree,
            conflicts: &conflict.conflicts,
            touched: &conflict.touched,
        },
    )?;
    let commit = cx.git.commit_tree(&NewCommit {
        tree: &tree,
        parents: std::slice::from_ref(&expected),
        author: &fix.author,
        committer: cx.committer,
        message: &pick::cherry_pick_x_message(&fix.message, &fix.id),
        sign: false,
    })?;
    let name = format!("refs/heads/{branch}");
    let moved = |found: Oid| WorkflowError::BackportBranchMoved {
        branch: branch.to_string(),
        target: target.to_string(),
        fix: fix.id.clone(),
        found,
    };
    match cx.git.remote_ref(cx.remote, &name)? {
        Some(found) if found == expected => {}
        Some(found) => return Err(moved(found)),
        None => {
            return Err(WorkflowError::NotAConflictedBackport {
                branch: branch.to_string(),
                detail: format!("{} no longer has the branch; nothing was pushed", cx.remote),
            })
        }
    }
    let outcome = cx.git.push_atomic(
        cx.remote,
        &[RefUpdate {
            name: name.clone(),
            new: Some(commit.clone()),
            expected: Some(expected.clone()),
        }],
    )?;
    if !outcome.accepted() {
        let found = cx.git.remote_ref(cx.remote, &name)?.unwrap_or(expected);
        return Err(moved(found));
    }
    let mut notices = Vec::new();
    let request = relabel(cx, &conflict, base, &mut notices);
    if let Err(e) = cx.git.worktree_remove(&worktree) {
        notices.push(format!("the worktree {} was not removed: {e}", worktree.display()));
    }
    let mut backport = base.cloned().unwrap_or_else(|| Backport {
        fix: fix.id.clone(),
        subject: fix.subject().to_string(),
        target: target.to_string(),
        target_tip: conflict.target_tip.clone(),
        mainline: conflict.mainline,
        state: BackportState::Conflicted,
        branch: Some(branch.to_string()),
        commit: None,
        adopted: false,
        conflicts: conflict.conflicts.clone(),
        applied_as: None,
        request: None,
    });
    backport.state = BackportState::Resolved;
    backport.commit = Some(commit);
    backport.adopted = false;
    if request.is_some() {
        backport.request = request.map(|merge_request| BackportRequest::Forge { merge_request });
    }
    Ok(Pushed {
        backport,
        worktree,
        notices,
    })
}

/// Swaps the request's conflict labels for the clean ones; returns the
/// request, or none without a forge. A forge that refuses is a notice: the
/// resolution is pushed already.
fn relabel(
    cx: &BackportContext<'_>,
    conflict: &ConflictedBackport,
    base: Option<&Backport>,
    notices: &mut Vec<String>,
) -> Option<MergeRequestRef> {
    let forge = cx.forge?;
    let known = base.and_then(|b| match &b.request {
        Some(BackportRequest::Forge { merge_request }) => Some(merge_request.clone()),
        _ => None,
    });
    let request = match known {
        Some(mr) => mr,
        // Outside a run: the request the forge has open for the branch.
        None => match forge.open_merge_request(&NewMergeRequest {
            title: format!("Backport to {}: {}", conflict.target, conflict.fix.subject()),
            description: format!(
                "Backport of {} to `{}`, its conflicts resolved by hand.\n",
                conflict.fix.id, conflict.target
            ),
            source_branch: conflict.branch.clone(),
            target_branch: conflict.target.clone(),
            labels: cx.options.labels.clone(),
            draft: false,
            remove_source_branch: true,
        }) {
            Ok(mr) => mr,
            Err(e) => {
                notices.push(format!(
                    "the request of {} was not found: {}",
                    conflict.branch,
                    cx.redactor.redact(&e.to_string())
                ));
                return None;
            }
        },
    };
    let remove: Vec<String> = cx
        .options
        .conflict_labels
        .iter()
        .filter(|l| !cx.options.labels.contains(l))
        .cloned()
        .collect();
    if let Err(e) = forge.relabel_merge_request(request.iid, &remove, &cx.options.labels) {
        notices.push(format!(
            "request !{} was not relabelled: {}",
            request.iid,
            cx.redactor.redact(&e.to_string())
        ));
    }
    Some(request)
}
