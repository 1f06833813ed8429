//! Picks one fix onto a target (production plus the run's earlier picks):
//! git's merge, a production commit with the same change, a person's
//! resolution, then the commit, with the dependency analysis of where the
//! fix meets unreleased work. Shared by every strategy.

use crate::engine::WorkflowError;
use crate::git::{CommitInfo, Git, GitError, Oid, Signature};
use crate::pick::dependency::{self, Findings};
use crate::pick::{self, RunTrailers};
use crate::record::plan::{Pick, PickStatus, Resolution};

/// What picking a fix takes from the run beside the target: the tips the
/// dependency analysis reads, the run's resolutions and who commits.
pub struct PickRun<'a> {
    /// Release's tip as read from the remote.
    pub release_tip: &'a Oid,
    /// Main's tip as read from the remote.
    pub main_tip: &'a Oid,
    pub mainline: Option<u32>,
    /// Conflicts a person resolved in this run (`git hotfix resolve`).
    pub resolutions: &'a [Resolution],
    /// Who commits, and when.
    pub operator: &'a Signature,
}

/// Where the next pick lands: production plus the run's earlier picks.
pub struct Target<'a> {
    pub commit: &'a Oid,
    pub tree: &'a Oid,
}

/// Picks one fix onto `target`: git's merge, then a production commit with the
/// same change, then a person's resolution of a conflict, then the commit.
pub fn pick_one(
    git: &Git,
    run: &PickRun<'_>,
    production: &Oid,
    target: &Target<'_>,
    fix: &CommitInfo,
    trailers: &RunTrailers<'_>,
) -> Result<Pick, WorkflowError> {
    let attempt = pick::attempt(git, target.commit, target.tree, fix, run.mainline)?;
    let touched = git.changed_paths(&attempt.base, &fix.id)?;
    let mut status = attempt.status;
    let mut tree = attempt.tree;
    let mut applied_as = None;
    if status != PickStatus::Clean {
        applied_as = pick::equivalent_in(git, production, &attempt.base, &fix.id, &touched)?;
        if applied_as.is_some() {
            status = PickStatus::AlreadyApplied;
        }
    }
    if status == PickStatus::Conflict {
        let resolved = run
            .resolutions
            .iter()
            .rev()
            .find(|r| r.fix == fix.id && &r.onto_tree == target.tree);
        if let Some(r) = resolved {
            status = PickStatus::Resolved;
            tree = r.tree.clone();
        }
    }
    let moved = if status.is_applied() {
        moved_paths(git, &attempt.base, target, &tree, &touched)?
    } else {
        Vec::new()
    };
    let findings = if status == PickStatus::AlreadyApplied {
        Findings::default()
    } else {
        // Release's own commits since production are unreleased main work
        // only where main has them too (an earlier backport of this very fix
        // on release is not work the fix needs).
        let shared = git.merge_base(run.release_tip, run.main_tip)?;
        dependency::analyse(
            git,
            production,
            &shared.iter().collect::<Vec<_>>(),
            target.commit,
            &attempt.base,
            &fix.id,
            &touched,
            &moved,
        )?
    };
    let placed: Vec<String> = moved.into_iter().map(|(_, to)| to).collect();
    let unreleased = if attempt.conflicts.is_empty() {
        findings.commits()
    } else {
        git.commits_touching(production, &[run.release_tip, &attempt.base], &attempt.conflicts)?
    };
    let commit = if status.is_applied() {
        Some(pick::write_pick_commit(
            git,
            fix,
            &tree,
            target.commit,
            run.operator,
            trailers,
        )?)
    } else {
        None
    };
    Ok(Pick {
        fix: fix.id.clone(),
        subject: fix.subject().to_string(),
        base: attempt.base,
        mainline: attempt.mainline,
        status,
        commit,
        tree,
        touched,
        placed,
        conflicts: attempt.conflicts,
        unreleased,
        dependencies: findings.overlaps,
        same_file: findings.same_file,
        uses_unreleased: findings.names,
        applied_as,
        onto: Some(target.commit.clone()),
        onto_tree: Some(target.tree.clone()),
    })
}

/// Returns the paths the pick changed (target tree to `result`) that the fix
/// does not touch but that git's merge reached by following a rename the
/// target made since the fix's `base`, each with the fix's path it stands
/// for: a renamed file the fix changes (`contrib/x` ->
/// `components/cli/contrib/x`), or a file the fix adds in a directory the
/// target renamed. Any other path stays out, so the scope checks still catch it.
fn moved_paths(
    git: &Git,
    base: &Oid,
    target: &Target<'_>,
    result: &Oid,
    touched: &[String],
) -> Result<Vec<(String, String)>, GitError> {
    // The counts come with the paths at little cost for a fix's few files,
    // and the scope checks ask for them of the same trees.
    let extra: Vec<String> = git
        .diff_stat(target.tree, result)?
        .into_iter()
        .map(|c| c.path)
        .filter(|p| !touched.contains(p))
        .collect();
    if extra.is_empty() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<String> = touched.to_vec();
    paths.extend(extra.iter().cloned());
    let renames = git.renames(base, target.commit, &paths)?;
    let mut placed = Vec::new();
    for q in &extra {
        if let Some((old, _)) = renames.iter().find(|(old, new)| new == q && touched.contains(old)) {
            placed.push((old.clone(), q.clone()));
            continue;
        }
        // A directory rename: P = D/rest, Q = D'/rest, and the target renamed D/.. to D'/...
        let moved = touched.iter().find_map(|p| {
            p.match_indices('/').find_map(|(i, _)| {
                let (dir, rest) = (&p[..i], &p[i + 1..]);
                let new_dir = q.strip_suffix(rest)?.strip_suffix('/')?;
                (new_dir != dir).then(|| (p.clone(), dir.to_string(), new_dir.to_string()))
            })
        });
        if let Some((p, dir, new_dir)) = moved {
            let specs = [format!("{dir}/"), format!("{new_dir}/")];
            let renamed_dir = git.renames(base, target.commit, &specs)?.iter().any(|(old, new)| {
                old.strip_prefix(&specs[0])
                    .is_some_and(|r| new.strip_prefix(&specs[1]) == Some(r))
            });
            if renamed_dir {
                placed.push((p, q.clone()));
            }
        }
    }
    Ok(placed)
}

/// A fix after an unresolved conflict: listed in order, picked once the
/// conflict is resolved.
pub fn pending_pick(
    git: &Git,
    fix: &CommitInfo,
    mainline: Option<u32>,
    onto_tree: &Oid,
) -> Result<Pick, WorkflowError> {
    let (base, mainline) = pick::change_base(fix, mainline)?;
    let touched = git.changed_paths(&base, &fix.id)?;
    Ok(Pick {
        fix: fix.id.clone(),
        subject: fix.subject().to_string(),
        base,
        mainline,
        status: PickStatus::Pending,
        commit: None,
        tree: onto_tree.clone(),
        touched,
        placed: Vec::new(),
        conflicts: Vec::new(),
        unreleased: Vec::new(),
        dependencies: Vec::new(),
        same_file: Vec::new(),
        uses_unreleased: Vec::new(),
        applied_as: None,
        onto: None,
        onto_tree: None,
    })
}
