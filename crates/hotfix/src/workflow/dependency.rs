//! Does a fix lean on work production does not run?
//!
//! The lines that differ between the pick's target (production plus the
//! run's earlier fixes) and the fix's parent are work production lacks. A fix
//! whose hunks, with git's three lines of context, overlap such lines depends
//! on it: the runbook's "stop and escalate". A fix that only changes the same
//! file elsewhere gets a warning. Either way the unreleased commits are named:
//! `blame` names the commits that wrote the overlapping lines.

use serde::{Deserialize, Serialize};

use crate::git::{CommitSummary, Git, GitError, Hunk, Oid};

/// Lines of context around each hunk of the fix, as `git diff` shows them.
const CONTEXT: u32 = 3;

/// One path where a fix meets unreleased work, and the commits that did it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathDependency {
    pub path: String,
    pub commits: Vec<CommitSummary>,
}

/// Where one fix meets unreleased work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The fix's hunks overlap unreleased lines: a dependency.
    pub overlaps: Vec<PathDependency>,
    /// The fix changes a file unreleased work also changed, elsewhere in it.
    pub same_file: Vec<PathDependency>,
}

impl Findings {
    /// Returns every commit named, each once, in order of first mention.
    pub fn commits(&self) -> Vec<CommitSummary> {
        let mut all: Vec<CommitSummary> = Vec::new();
        for c in self.overlaps.iter().chain(&self.same_file).flat_map(|d| &d.commits) {
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
/// one of `unreleased_tips` (release's tip) but not from `production`.
pub fn analyse(
    git: &Git,
    production: &Oid,
    unreleased_tips: &[&Oid],
    onto: &Oid,
    base: &Oid,
    fix: &Oid,
    touched: &[String],
) -> Result<Findings, GitError> {
    let mut findings = Findings::default();
    let differing = git.hunks(onto, base, touched, 0)?;
    if !differing.is_empty() {
        let paths: Vec<String> = differing.iter().map(|f| f.path.clone()).collect();
        let fix_hunks = git.hunks(base, fix, &paths, CONTEXT)?;
        for file in &differing {
            let fix_spans: Vec<Span> = fix_hunks
                .iter()
                .find(|f| f.path == file.path)
                .map(|f| f.hunks.iter().map(old_span).collect())
                .unwrap_or_default();
            if let Some(dependency) = overlap(git, production, base, &file.path, &file.hunks, &fix_spans)? {
                findings.overlaps.push(dependency);
            }
        }
    }
    let mut tips: Vec<&Oid> = unreleased_tips.to_vec();
    tips.push(base);
    for path in touched {
        if findings.overlaps.iter().any(|d| &d.path == path) {
            continue;
        }
        let commits = git.commits_touching(production, &tips, std::slice::from_ref(path))?;
        if !commits.is_empty() {
            findings.same_file.push(PathDependency {
                path: path.clone(),
                commits,
            });
        }
    }
    Ok(findings)
}

/// The unreleased commits behind the lines of `path` that both differ from
/// the target (`differing`, in the parent's numbering) and lie within the
/// fix's hunks; `None` when there are none.
fn overlap(
    git: &Git,
    production: &Oid,
    base: &Oid,
    path: &str,
    differing: &[Hunk],
    fix_spans: &[Span],
) -> Result<Option<PathDependency>, GitError> {
    let mut written: Vec<Span> = Vec::new();
    let mut deleted_near = false;
    for h in differing {
        let span = new_span(h);
        if !fix_spans.iter().any(|f| overlaps(*f, span)) {
            continue;
        }
        if h.new_len == 0 {
            deleted_near = true; // lines the target has and the parent lost: none to blame
        } else {
            written.push(span);
        }
    }
    if written.is_empty() && !deleted_near {
        return Ok(None);
    }
    // A path blame cannot read (a type change, say) is named by the
    // commits that touched it.
    let mut commits = match git.blame_commits(base, production, path, &written) {
        Ok(commits) => commits,
        Err(GitError::Failed { .. }) => {
            deleted_near = true;
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    if deleted_near {
        for c in git.commits_touching(production, &[base], &[path.to_string()])? {
            if !commits.iter().any(|k| k.id == c.id) {
                commits.push(c);
            }
        }
    }
    // Lines production itself changed differ too, but they are no unreleased work.
    Ok((!commits.is_empty()).then(|| PathDependency {
        path: path.to_string(),
        commits,
    }))
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
}
