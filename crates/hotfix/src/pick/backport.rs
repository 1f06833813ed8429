//! Backports one fix onto one target branch, on objects: the hotfix's own
//! pick (git's ort merge, `-m 1` for a merge, the patch-id search for a
//! target that already has the change), then the commit the backport branch
//! gets: the pick as `cherry-pick -x` writes it, or, when the pick
//! conflicts, an empty commit saying so (seed 002: "the backport MR is
//! created with an empty commit and a clear warning").
//!
//! Nothing here pushes or asks a forge: `ops::backport` does, with the
//! request words [`request_text`] gives.

use crate::engine::WorkflowError;
use crate::git::{CommitInfo, CommitSummary, Git, NewCommit, Oid, Signature};
use crate::pick;
use crate::record::backport::{Backport, BackportState};
use crate::record::plan::PickStatus;

/// At most this many of the target's commits are listed per conflict.
const TOUCHING_LISTED: usize = 20;

/// A backport worked out on objects, before anything is pushed.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub backport: Backport,
    /// The target's commits that touched the conflicting paths since it and
    /// the fix parted (newest first).
    pub touching: Vec<CommitSummary>,
    /// The merge base of the target and the fix.
    pub merge_base: Option<Oid>,
}

/// What a backport is made for.
pub struct BackportTarget<'a> {
    pub name: &'a str,
    pub tip: &'a Oid,
    /// The backport branch's name for this target.
    pub branch: &'a str,
}

/// Picks `fix` onto `target` and writes the branch's commit (none when the
/// target already has the fix).
pub fn prepare(
    git: &Git,
    fix: &CommitInfo,
    mainline: Option<u32>,
    target: &BackportTarget<'_>,
    committer: &Signature,
) -> Result<Prepared, WorkflowError> {
    let tip = git.commit(target.tip)?;
    let attempt = pick::attempt(git, &tip.id, &tip.tree, fix, mainline)?;
    let mut applied_as = None;
    let mut state = match attempt.status {
        PickStatus::Clean => BackportState::Clean,
        PickStatus::AlreadyApplied => BackportState::AlreadyApplied,
        _ => BackportState::Conflicted,
    };
    if state != BackportState::Clean {
        let touched = git.changed_paths(&attempt.base, &fix.id)?;
        applied_as = pick::equivalent_in(git, &tip.id, &attempt.base, &fix.id, &touched)?;
        if applied_as.is_some() {
            state = BackportState::AlreadyApplied;
        }
    }
    let merge_base = git.merge_base(&tip.id, &fix.id)?;
    let touching = if state == BackportState::Conflicted {
        let since = merge_base.clone().unwrap_or_else(|| attempt.base.clone());
        let mut commits = git.commits_touching(&since, &[&tip.id], &attempt.conflicts)?;
        commits.truncate(TOUCHING_LISTED);
        commits
    } else {
        Vec::new()
    };
    let commit = match state {
        BackportState::AlreadyApplied => None,
        BackportState::Clean => Some(git.commit_tree(&NewCommit {
            tree: &attempt.tree,
            parents: std::slice::from_ref(&tip.id),
            author: &fix.author,
            committer,
            message: &pick::cherry_pick_x_message(&fix.message, &fix.id),
            sign: false,
        })?),
        // A pick is never resolved yet: only `backport resolve` resolves.
        BackportState::Conflicted | BackportState::Resolved => Some(git.commit_tree(&NewCommit {
            tree: &tip.tree,
            parents: std::slice::from_ref(&tip.id),
            author: committer,
            committer,
            message: &conflict_message(fix, target, &attempt.conflicts),
            sign: false,
        })?),
    };
    Ok(Prepared {
        backport: Backport {
            fix: fix.id.clone(),
            subject: fix.subject().to_string(),
            target: target.name.to_string(),
            target_tip: tip.id.clone(),
            mainline: attempt.mainline,
            state,
            branch: commit.as_ref().map(|_| target.branch.to_string()),
            commit,
            adopted: false,
            conflicts: attempt.conflicts,
            applied_as,
            request: None,
        },
        touching,
        merge_base,
    })
}

/// The message of the empty commit a conflicted backport branch gets.
pub fn conflict_message(fix: &CommitInfo, target: &BackportTarget<'_>, conflicts: &[String]) -> String {
    let paths: String = conflicts.iter().map(|p| format!("  {p}\n")).collect();
    format!(
        "backport: {} (conflicts, resolve by hand)\n\n\
         Cherry-picking {} onto {} ({}) conflicted in:\n{paths}\n\
         This commit changes nothing: it holds the branch and its request\n\
         until a person resolves the conflict on it.\n\n\
         Backport-Of: {}\n",
        fix.subject(),
        fix.id,
        target.name,
        target.tip.short(),
        fix.id
    )
}

/// Returns true when `found` (the branch's commit on the remote) is the
/// commit `wanted` stands for: same parent, tree, message and author (the
/// author's moment too, except for the empty commit of a conflict, whose
/// author is whoever ran the backport). The committer's moment differs
/// between runs.
pub fn same_commit(found: &CommitInfo, wanted: &CommitInfo, state: BackportState) -> bool {
    let author = if state == BackportState::Conflicted {
        found.author.ident() == wanted.author.ident()
    } else {
        found.author == wanted.author
    };
    found.parents == wanted.parents && found.tree == wanted.tree && found.message == wanted.message && author
}

/// The title and description of a backport's request.
pub fn request_text(prepared: &Prepared, remote: &str) -> (String, String) {
    let b = &prepared.backport;
    let branch = b.branch.as_deref().unwrap_or_default();
    match b.state {
        BackportState::Conflicted => {
            let title = format!("Backport to {}: {} (conflicts)", b.target, b.subject);
            (title, conflict_description(prepared, remote, branch))
        }
        _ => (
            format!("Backport to {}: {}", b.target, b.subject),
            format!(
                "Backport of {} to `{}`, picked cleanly with git's merge as `git cherry-pick -x{}` would.\n\n\
                 Review and merge it so `{}` keeps the fix production has.\n",
                b.fix,
                b.target,
                if b.mainline.is_some() { " -m 1" } else { "" },
                b.target
            ),
        ),
    }
}

fn conflict_description(prepared: &Prepared, remote: &str, branch: &str) -> String {
    let b = &prepared.backport;
    let mut text = format!(
        "> **Warning: manual resolution is needed.** Cherry-picking {} onto `{}` ({}) conflicted. \
         This branch holds an empty commit; do not merge it before the conflict is resolved on it.\n\n\
         ### Conflicting paths\n\n",
        b.fix,
        b.target,
        b.target_tip.short()
    );
    for p in &b.conflicts {
        text.push_str(&format!("- `{p}`\n"));
    }
    let since = prepared
        .merge_base
        .as_ref()
        .map_or_else(|| "the fix's base".to_string(), |m| m.short().to_string());
    text.push_str(&format!(
        "\n### Commits of `{}` that touched them since {since}\n\n",
        b.target
    ));
    if prepared.touching.is_empty() {
        text.push_str("- none found\n");
    }
    for c in &prepared.touching {
        text.push_str(&format!("- {} {}\n", c.id.short(), c.subject));
    }
    let mainline = if b.mainline.is_some() { "-m 1 " } else { "" };
    let add: Vec<&str> = b.conflicts.iter().map(String::as_str).collect();
    text.push_str(&format!(
        "\n### Resolve locally\n\n```sh\n\
         git fetch {remote}\n\
         git switch {branch}\n\
         git cherry-pick -x {mainline}{}\n\
         # resolve the conflicts, then\n\
         git add -- {}\n\
         git cherry-pick --continue\n\
         git push {remote} {branch}\n\
         ```\n",
        b.fix,
        add.join(" ")
    ));
    text
}
