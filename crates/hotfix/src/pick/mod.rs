//! Cherry-picks on objects: the same ort merge `git cherry-pick` runs
//! (`merge-tree --write-tree --merge-base=<fix's parent> <onto> <fix>`), then a
//! commit written with `commit-tree`, message and author as `cherry-pick -x` gives.

pub mod backport;
pub mod checks;
pub mod dependency;
pub mod glob;
pub mod names;
pub mod onto;
pub mod resolve;

use crate::git::{CommitInfo, CommitSummary, Git, GitError, NewCommit, Oid, Signature};

use crate::engine::WorkflowError;
use crate::record::plan::PickStatus;

/// The merge result of one fix onto one commit, before any commit is written.
#[derive(Clone, Debug)]
pub struct PickAttempt {
    pub base: Oid,
    pub mainline: Option<u32>,
    pub status: PickStatus,
    pub tree: Oid,
    pub conflicts: Vec<String>,
}

/// Returns the parent a fix's change is taken against: its only parent, or
/// parent `mainline` (1 unless given) of a merge.
pub fn change_base(fix: &CommitInfo, mainline: Option<u32>) -> Result<(Oid, Option<u32>), WorkflowError> {
    match fix.parents.as_slice() {
        [] => Err(WorkflowError::RootCommitFix { fix: fix.id.clone() }),
        [only] => Ok((only.clone(), None)),
        parents => {
            let n = mainline.unwrap_or(1);
            let index = usize::try_from(n).ok().filter(|&i| i >= 1 && i <= parents.len());
            match index {
                Some(i) => Ok((parents[i - 1].clone(), Some(n))),
                None => Err(WorkflowError::BadMainline {
                    fix: fix.id.clone(),
                    mainline: n,
                    parents: parents.len(),
                }),
            }
        }
    }
}

/// Merges `fix`'s change onto `onto` (whose tree is `onto_tree`).
pub fn attempt(
    git: &Git,
    onto: &Oid,
    onto_tree: &Oid,
    fix: &CommitInfo,
    mainline: Option<u32>,
) -> Result<PickAttempt, WorkflowError> {
    let (base, mainline) = change_base(fix, mainline)?;
    let merged = git.merge_tree(&base, onto, &fix.id)?;
    let status = if !merged.conflicts.is_empty() {
        PickStatus::Conflict
    } else if &merged.tree == onto_tree {
        PickStatus::AlreadyApplied
    } else {
        PickStatus::Clean
    };
    Ok(PickAttempt {
        base,
        mainline,
        status,
        tree: merged.tree,
        conflicts: merged.conflicts,
    })
}

/// At most this many production commits are compared by patch-id with a fix.
const EQUIVALENT_CANDIDATES: usize = 200;

/// Returns the commit reachable from `production` (and not from the fix's
/// `base`) that makes the same change as the fix, by stable patch-id, as
/// `git cherry` and `git rebase` find it. Only commits touching the fix's
/// paths are compared, newest first.
pub fn equivalent_in(
    git: &Git,
    production: &Oid,
    base: &Oid,
    fix: &Oid,
    touched: &[String],
) -> Result<Option<CommitSummary>, GitError> {
    let mut candidates = git.commits_touching(base, &[production], touched)?;
    candidates.truncate(EQUIVALENT_CANDIDATES);
    if candidates.is_empty() {
        return Ok(None);
    }
    let ids: Vec<Oid> = candidates.iter().map(|c| c.id.clone()).collect();
    let mut pairs = vec![(fix.clone(), base.clone())];
    for commit in git.commits(&ids)? {
        // A merge's change against its first parent is a whole branch: never one fix.
        if let [parent] = commit.parents.as_slice() {
            pairs.push((commit.id.clone(), parent.clone()));
        }
    }
    let ids = git.patch_ids(&pairs)?;
    let Some((_, Some(wanted))) = ids.first() else {
        return Ok(None);
    };
    Ok(ids[1..]
        .iter()
        .find(|(_, pid)| pid.as_ref() == Some(wanted))
        .and_then(|(id, _)| candidates.iter().find(|c| &c.id == id).cloned()))
}

/// Trailers every commit of a run carries, so any commit leads back to its run.
#[derive(Clone, Debug)]
pub struct RunTrailers<'a> {
    pub run_id: &'a str,
    pub production: &'a Oid,
}

impl RunTrailers<'_> {
    pub(crate) fn lines(&self) -> String {
        format!("Hotfix-Run: {}\nProduction-Sha: {}\n", self.run_id, self.production)
    }
}

/// Writes the cherry-pick commit: the fix's author and message with
/// `(cherry picked from commit ...)` as `-x` adds it, then the run's trailers.
pub fn write_pick_commit(
    git: &Git,
    fix: &CommitInfo,
    tree: &Oid,
    onto: &Oid,
    committer: &Signature,
    trailers: &RunTrailers<'_>,
) -> Result<Oid, GitError> {
    let message = pick_message(&fix.message, &fix.id, trailers);
    git.commit_tree(&NewCommit {
        tree,
        parents: std::slice::from_ref(onto),
        author: &fix.author,
        committer,
        message: &message,
        sign: false,
    })
}

/// Writes the restore commit: `tip`'s child whose tree is production's.
pub fn write_restore_commit(
    git: &Git,
    production_tree: &Oid,
    tip: &Oid,
    operator: &Signature,
    trailers: &RunTrailers<'_>,
) -> Result<Oid, GitError> {
    let message = format!(
        "fix: restore release to last production state\n\n\
         Release gets the tree of production commit {}, so only the\n\
         approved fixes that follow ship with this hotfix.\n\n{}",
        trailers.production,
        trailers.lines()
    );
    write_tree_on(git, production_tree, tip, operator, &message)
}

/// Writes the rollback commit: `tip`'s child whose tree is production's
/// again, its message saying it is a rollback and why.
pub fn write_rollback_commit(
    git: &Git,
    production_tree: &Oid,
    tip: &Oid,
    operator: &Signature,
    trailers: &RunTrailers<'_>,
    reason: &str,
) -> Result<Oid, GitError> {
    let message = format!(
        "rollback: restore release to production {}\n\n\
         Hotfix run {} is rolled back: {}\n\n\
         Release gets the tree of production commit {} again; the hotfix's\n\
         commits stay in history below this one.\n\n{}",
        trailers.production.short(),
        trailers.run_id,
        reason.trim(),
        trailers.production,
        trailers.lines()
    );
    write_tree_on(git, production_tree, tip, operator, &message)
}

fn write_tree_on(git: &Git, tree: &Oid, tip: &Oid, operator: &Signature, message: &str) -> Result<Oid, GitError> {
    git.commit_tree(&NewCommit {
        tree,
        parents: std::slice::from_ref(tip),
        author: operator,
        committer: operator,
        message,
        sign: false,
    })
}

fn pick_message(original: &str, fix: &Oid, trailers: &RunTrailers<'_>) -> String {
    format!("{}{}", cherry_pick_x_message(original, fix), trailers.lines())
}

/// Returns `original` with `(cherry picked from commit <fix>)` added as
/// `git cherry-pick -x` adds it.
pub fn cherry_pick_x_message(original: &str, fix: &Oid) -> String {
    let body = original.trim_end();
    let cherry = format!("(cherry picked from commit {fix})");
    // Like `-x`: join an existing trailer block, else start a new paragraph.
    let last_paragraph = body.rsplit("\n\n").next().unwrap_or("");
    let has_body = body.contains("\n\n");
    let sep = if has_body && is_trailer_block(last_paragraph) {
        "\n"
    } else {
        "\n\n"
    };
    format!("{body}{sep}{cherry}\n")
}

fn is_trailer_block(paragraph: &str) -> bool {
    !paragraph.is_empty()
        && paragraph.lines().all(|l| {
            l.starts_with("(cherry picked from commit ")
                || l.split_once(": ")
                    .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '-'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_joins_trailer_block_like_cherry_pick_x() {
        let fix = Oid::parse(&"a".repeat(40)).expect("hex");
        let prod = Oid::parse(&"b".repeat(40)).expect("hex");
        let t = RunTrailers {
            run_id: "r1",
            production: &prod,
        };
        let m = pick_message("fix: x\n\nbody\n\nSigned-off-by: A <a@x>\n", &fix, &t);
        assert!(
            m.contains("Signed-off-by: A <a@x>\n(cherry picked from commit aaaa"),
            "{m}"
        );
        let m = pick_message("fix: y\n", &fix, &t);
        assert!(m.starts_with("fix: y\n\n(cherry picked from commit aaaa"), "{m}");
        assert!(
            m.ends_with("Hotfix-Run: r1\nProduction-Sha: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"),
            "{m}"
        );
    }
}
