//! Does a fix lean on work production does not run?
//!
//! The lines that differ between the pick's target (production plus the
//! run's earlier fixes) and the fix's parent are work production lacks. A fix
//! that changes or deletes such lines (its `-U0` old side meets them) depends
//! on it: the runbook's "stop and escalate". So does a fix whose added lines
//! use a name only unreleased work defines (`names`). A fix that meets them
//! only in its context lines (the three lines git shows around a change, or an
//! insertion next to them) applies without them: that is named
//! (`context_only`), and so is a fix that changes the same file elsewhere.
//! `blame` of exactly the lines that meet names the commits that wrote them.

use serde::{Deserialize, Serialize};

use crate::git::{CommitSummary, Git, GitError, Hunk, Oid};
use crate::pick::names::{self, NameDependency};

/// Lines of context around each hunk of the fix, as `git diff` shows them.
const CONTEXT: u32 = 3;

/// One path where a fix meets unreleased work, and the commits that did it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathDependency {
    pub path: String,
    pub commits: Vec<CommitSummary>,
    /// The fix meets the unreleased lines only in its context lines: it
    /// neither changes nor deletes any of them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub context_only: bool,
}

/// Where one fix meets unreleased work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Paths where the fix changes unreleased lines, or meets them in its
    /// context (`context_only`).
    pub overlaps: Vec<PathDependency>,
    /// Names the fix's added lines use that only unreleased work defines.
    pub names: Vec<NameDependency>,
    /// The fix changes a file unreleased work also changed, elsewhere in it.
    pub same_file: Vec<PathDependency>,
}

impl Findings {
    /// Returns every commit named, each once, in order of first mention.
    pub fn commits(&self) -> Vec<CommitSummary> {
        let mut all: Vec<CommitSummary> = Vec::new();
        let named = self.names.iter().map(|n| &n.commit);
        for c in self
            .overlaps
            .iter()
            .chain(&self.same_file)
            .flat_map(|d| &d.commits)
            .chain(named)
        {
            if !all.iter().any(|a| a.id == c.id) {
                all.push(c.clone());
            }
        }
        all
    }
}

/// Inclusive line span in the fix parent's version of a file.
type Span = (u32, u32);

/// Compares the fix `base..fix` (touching `touched`) with what differs
/// between `onto` and `base`. Unreleased means reachable from `base` or from
/// one of `main_side_tips` (commits release and main share) but not from
/// `production`, and not the same change as a production commit (patch-id).
///
/// `moved` pairs a path of the fix with the path the target has it at (a
/// rename git's merge followed): that path's lines are compared with the
/// target's renamed file, not with its absence.
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    git: &Git,
    production: &Oid,
    main_side_tips: &[&Oid],
    onto: &Oid,
    base: &Oid,
    fix: &Oid,
    touched: &[String],
    moved: &[(String, String)],
) -> Result<Findings, GitError> {
    let mut findings = Findings::default();
    let in_place: Vec<String> = touched
        .iter()
        .filter(|p| !moved.iter().any(|(from, _)| from == *p))
        .cloned()
        .collect();
    let mut differing = git.hunks(onto, base, &in_place, 0)?;
    for (path, at) in moved {
        let hunks = git.blob_hunks(onto, at, base, path)?;
        if !hunks.is_empty() {
            differing.push(crate::git::FileHunks {
                path: path.clone(),
                hunks,
            });
        }
    }
    if !differing.is_empty() {
        let paths: Vec<String> = differing.iter().map(|f| f.path.clone()).collect();
        let fix_hunks = git.hunks(base, fix, &paths, 0)?;
        for file in &differing {
            let fix_file: &[Hunk] = fix_hunks
                .iter()
                .find(|f| f.path == file.path)
                .map_or(&[], |f| f.hunks.as_slice());
            let at = moved
                .iter()
                .find(|(from, _)| *from == file.path)
                .map_or(file.path.as_str(), |(_, to)| to.as_str());
            let fix_file = not_on_target(git, onto, at, base, fix, &file.path, &file.hunks, fix_file)?;
            if let Some(dependency) = overlap(git, production, base, &file.path, &file.hunks, &fix_file)? {
                findings.overlaps.push(dependency);
            }
        }
    }
    findings.names = names::unreleased_uses(git, production, onto, base, fix, touched)?;
    let mut tips: Vec<&Oid> = vec![base];
    for tip in main_side_tips {
        if !git.is_ancestor(tip, production)? && !git.is_ancestor(tip, base)? {
            tips.push(tip);
        }
    }
    let rest: Vec<String> = touched
        .iter()
        .filter(|p| !findings.overlaps.iter().any(|d| &d.path == *p))
        .cloned()
        .collect();
    let mut by_path: Vec<PathDependency> = Vec::new();
    for tip in &tips {
        for (commit, paths) in git.unreleased_commits_by_path(production, tip, &rest)? {
            // The fix itself is on a main-side tip when the strategy reads
            // main's tip (from-tag): it is not work it depends on.
            if commit.id == *fix {
                continue;
            }
            for path in paths.iter().filter(|p| rest.contains(p)) {
                let i = match by_path.iter().position(|d| &d.path == path) {
                    Some(i) => i,
                    None => {
                        by_path.push(PathDependency {
                            path: path.clone(),
                            commits: Vec::new(),
                            context_only: false,
                        });
                        by_path.len() - 1
                    }
                };
                if !by_path[i].commits.iter().any(|k| k.id == commit.id) {
                    by_path[i].commits.push(commit.clone());
                }
            }
        }
    }
    // In the fix's own order of paths.
    for path in &rest {
        if let Some(i) = by_path.iter().position(|d| &d.path == path) {
            findings.same_file.push(by_path.swap_remove(i));
        }
    }
    Ok(findings)
}

/// The unreleased commits behind the lines of `path` that differ from the
/// target (`differing`, in the parent's numbering) and that the fix
/// (`fix_hunks`, `-U0`) changes, or else meets in its context; `None` when
/// there are none.
fn overlap(
    git: &Git,
    production: &Oid,
    base: &Oid,
    path: &str,
    differing: &[Hunk],
    fix_hunks: &[Hunk],
) -> Result<Option<PathDependency>, GitError> {
    let changed: Vec<Span> = fix_hunks.iter().filter(|h| h.old_len > 0).map(old_span).collect();
    let context: Vec<Span> = fix_hunks.iter().map(context_span).collect();
    let (mut written, mut near) = (Vec::new(), Vec::new());
    let (mut deleted_within, mut deleted_near) = (false, false);
    for h in differing {
        if h.new_len == 0 {
            // Lines the target has and the parent lost: none to blame. The fix
            // changes them only when it changes lines on both sides of the gap.
            let gap = (h.new_start, h.new_start + 1);
            if changed.iter().any(|c| c.0 <= gap.0 && gap.1 <= c.1) {
                deleted_within = true;
            } else if context.iter().any(|c| overlaps(*c, gap)) {
                deleted_near = true;
            }
            continue;
        }
        let span = new_span(h);
        let mut hit = false;
        for c in &changed {
            if let Some(i) = intersection(*c, span) {
                written.push(i);
                hit = true;
            }
        }
        if !hit {
            for c in &context {
                if let Some(i) = intersection(*c, span) {
                    near.push(i);
                }
            }
        }
    }
    let context_only = written.is_empty() && !deleted_within;
    let (lines, gap) = if context_only {
        (near, deleted_near)
    } else {
        (written, deleted_within)
    };
    if lines.is_empty() && !gap {
        return Ok(None);
    }
    // A path blame cannot read (a type change, say) is named by the
    // commits that touched it.
    let mut by_log = gap;
    let mut commits = match git.blame_commits(base, production, path, &merge_spans(lines)) {
        Ok(commits) => commits,
        Err(GitError::Failed { .. }) => {
            by_log = true;
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    if by_log {
        for c in git.unreleased_commits_touching(production, base, path)? {
            if !commits.iter().any(|k| k.id == c.id) {
                commits.push(c);
            }
        }
    }
    // Lines production itself changed differ too, but they are no unreleased work.
    Ok((!commits.is_empty()).then(|| PathDependency {
        path: path.to_string(),
        commits,
        context_only,
    }))
}

/// The lines git shows as context around a `-U0` hunk, with the hunk's own.
fn context_span(h: &Hunk) -> Span {
    if h.old_len == 0 {
        // Inserted after line `old_start`: context is the lines on either side.
        (h.old_start.saturating_sub(CONTEXT - 1).max(1), h.old_start + CONTEXT)
    } else {
        (
            h.old_start.saturating_sub(CONTEXT).max(1),
            h.old_start + h.old_len - 1 + CONTEXT,
        )
    }
}

fn intersection(a: Span, b: Span) -> Option<Span> {
    let s = (a.0.max(b.0), a.1.min(b.1));
    (s.0 <= s.1).then_some(s)
}

/// Sorted, overlapping and adjacent spans joined, as one `blame -L` each.
fn merge_spans(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last) if s.0 <= last.1 + 1 => last.1 = last.1.max(s.1),
            _ => out.push(s),
        }
    }
    out
}

/// The fix's hunks of `path` less those that agree with the target where
/// they change lines that differ from it: hunks whose new lines the target
/// already has, as one block, and deletions of lines the target lacks
/// altogether. Both sides made the same change there (production got it
/// another way), so the fix needs nothing of the parent's version.
#[allow(clippy::too_many_arguments)]
fn not_on_target(
    git: &Git,
    onto: &Oid,
    at: &str,
    base: &Oid,
    fix: &Oid,
    path: &str,
    differing: &[Hunk],
    fix_hunks: &[Hunk],
) -> Result<Vec<Hunk>, GitError> {
    let met = |f: &Hunk| -> Vec<&Hunk> {
        if f.old_len == 0 {
            return Vec::new();
        }
        differing
            .iter()
            .filter(|d| d.new_len > 0 && intersection(old_span(f), new_span(d)).is_some())
            .collect()
    };
    // A deletion of lines that only the parent has: the target lacks them too.
    let both_delete = |f: &Hunk| f.new_len == 0 && met(f).iter().all(|d| d.old_len == 0);
    if !fix_hunks.iter().any(|f| !met(f).is_empty()) {
        return Ok(fix_hunks.to_vec());
    }
    let target = git.file_text(onto, at)?.unwrap_or_default();
    let target: Vec<&str> = target.lines().collect();
    let added = git.added_lines(base, fix, &[path.to_string()])?;
    let added: &[(u32, String)] = added.first().map_or(&[], |a| a.lines.as_slice());
    Ok(fix_hunks
        .iter()
        .filter(|f| {
            if met(f).is_empty() {
                return true;
            }
            if both_delete(f) {
                return false;
            }
            let new: Vec<&str> = added
                .iter()
                .filter(|(n, _)| *n >= f.new_start && *n < f.new_start + f.new_len)
                .map(|(_, l)| l.as_str())
                .collect();
            // A block as short as `}` proves nothing.
            let telling = new.iter().map(|l| l.trim().len()).sum::<usize>() >= 12;
            !telling || !target.windows(new.len()).any(|w| w == new.as_slice())
        })
        .copied()
        .collect())
}

/// The lines a hunk covers on its old side; an insertion after line `n`
/// touches lines `n` and `n + 1`.
fn old_span(h: &Hunk) -> Span {
    span(h.old_start, h.old_len)
}

fn new_span(h: &Hunk) -> Span {
    span(h.new_start, h.new_len)
}

fn span(start: u32, len: u32) -> Span {
    if len == 0 {
        (start, start + 1)
    } else {
        (start, start + len - 1)
    }
}

fn overlaps(a: Span, b: Span) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_overlap_inclusively_and_insertions_touch_both_neighbours() {
        assert!(overlaps(span(10, 3), span(12, 1)));
        assert!(!overlaps(span(10, 3), span(13, 2)));
        // Inserted after line 9: touches lines 9 and 10.
        assert!(overlaps(span(9, 0), span(10, 1)));
        assert!(!overlaps(span(9, 0), span(11, 1)));
    }

    #[test]
    fn context_spans_and_intersections() {
        let h = |old_start, old_len| Hunk {
            old_start,
            old_len,
            new_start: old_start,
            new_len: 1,
        };
        assert_eq!(context_span(&h(12, 1)), (9, 15));
        assert_eq!(context_span(&h(2, 1)), (1, 5));
        // Inserted after line 9: three lines each side.
        assert_eq!(context_span(&h(9, 0)), (7, 12));
        assert_eq!(intersection((9, 15), (10, 10)), Some((10, 10)));
        assert_eq!(intersection((12, 12), (10, 10)), None);
        assert_eq!(
            merge_spans(vec![(5, 6), (1, 2), (3, 3), (9, 9)]),
            vec![(1, 3), (5, 6), (9, 9)]
        );
    }
}
