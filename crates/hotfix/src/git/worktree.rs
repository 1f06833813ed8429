//! Linked worktrees: the one place a person edits files (`git hotfix
//! resolve`), kept apart from the operator's own checkout, index and HEAD.
//!
//! A resolve worktree is a sparse checkout (git's own, non-cone patterns) of
//! the paths a fix touches: laying it out costs what the fix costs, not what
//! the repository weighs, and in a partial clone fetches only those blobs.
//! The index still holds every path, so the tree written from it is whole.

use std::path::{Path, PathBuf};

use super::{Git, GitError, Oid, Result};

/// The file in a worktree's git dir that marks it a sparse resolve
/// worktree of git-hotfix's: every command there gets [`SPARSE_CONFIG`].
pub const SPARSE_MARK: &str = "git-hotfix-sparse";

/// The configuration a sparse resolve worktree's commands get through the
/// environment: the patterns of `info/sparse-checkout`, as non-cone patterns.
pub const SPARSE_CONFIG: &[(&str, &str)] = &[("core.sparseCheckout", "true"), ("core.sparseCheckoutCone", "false")];

impl Git {
    /// Adds a detached worktree at `path` checked out at `commit`.
    pub fn worktree_add(&self, path: &Path, commit: &Oid) -> Result<()> {
        let path = path.to_string_lossy();
        self.run(&["worktree", "add", "--quiet", "--detach", &path, commit.as_str()])?;
        Ok(())
    }

    /// Adds a detached worktree at `path` at `commit` with only `paths` in its
    /// work tree: a sparse checkout whose index holds the whole tree, every
    /// other path marked skip-worktree with `commit`'s content.
    pub fn worktree_add_sparse(&self, path: &Path, commit: &Oid, paths: &[String]) -> Result<()> {
        let shown = path.to_string_lossy();
        self.run(&[
            "worktree",
            "add",
            "--quiet",
            "--no-checkout",
            "--detach",
            &shown,
            commit.as_str(),
        ])?;
        // The patterns go in the worktree's own git dir, and the sparse
        // checkout is switched on through the environment of every command
        // run there (`Git::open` sees the mark): nothing is written to the
        // repository's configuration, which `git sparse-checkout set` would
        // change for good (`extensions.worktreeConfig`).
        let git_dir = PathBuf::from(Git::open(path)?.run(&["rev-parse", "--absolute-git-dir"])?.trim());
        let patterns: String = paths.iter().map(|p| sparse_pattern(p) + "\n").collect();
        let write = |file: PathBuf, text: &str| {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&file, text)
        };
        write(git_dir.join("info/sparse-checkout"), &patterns)
            .and_then(|()| write(git_dir.join(SPARSE_MARK), "git-hotfix resolve worktree\n"))
            .map_err(|e| GitError::Io {
                what: format!("write the sparse checkout of {}", path.display()),
                source: e,
            })?;
        // `read-tree -mu` fills the empty index `--no-checkout` left and
        // checks out what the patterns name.
        Git::open(path)?.run(&["read-tree", "-m", "-u", "HEAD"])?;
        Ok(())
    }

    /// Removes the worktree at `path`, edits and all, and forgets it.
    pub fn worktree_remove(&self, path: &Path) -> Result<()> {
        let shown = path.to_string_lossy();
        if path.exists() {
            self.run(&["worktree", "remove", "--force", "--force", &shown])?;
        }
        self.run(&["worktree", "prune"])?;
        Ok(())
    }

    /// Lists the worktrees of this repository (the main one first).
    pub fn worktrees(&self) -> Result<Vec<PathBuf>> {
        let out = self.run(&["worktree", "list", "--porcelain", "-z"])?;
        Ok(out
            .split('\0')
            .filter_map(|f| f.strip_prefix("worktree "))
            .map(PathBuf::from)
            .collect())
    }

    /// Runs `git cherry-pick --no-commit` in this (linked) worktree; returns
    /// true when it stopped with conflicts.
    pub fn cherry_pick_no_commit(&self, fix: &Oid, mainline: Option<u32>) -> Result<bool> {
        let m = mainline.map(|m| m.to_string());
        let mut args = vec!["cherry-pick", "--no-commit"];
        if let Some(m) = &m {
            args.extend(["-m", m]);
        }
        args.push(fix.as_str());
        let (status, _, stderr) = self.run_raw(&args, None, &[])?;
        match status.code() {
            Some(0) => Ok(false),
            Some(1) if !self.unmerged_paths()?.is_empty() => Ok(true),
            _ => Err(self.failed(&args, &status, &stderr)),
        }
    }

    /// Paths with unmerged index entries (conflicts not yet marked resolved).
    pub fn unmerged_paths(&self) -> Result<Vec<String>> {
        let out = self.run(&["ls-files", "-u", "-z"])?;
        let mut paths: Vec<String> = out
            .split('\0')
            .filter_map(|rec| rec.split_once('\t').map(|(_, p)| p.to_string()))
            .collect();
        paths.dedup();
        Ok(paths)
    }

    /// Stages every change of the work tree (`add -A`) and writes the index
    /// as a tree object. In a sparse checkout, a file a person wrote outside
    /// the patterns is staged too (`--sparse`): dropping it silently would
    /// hide an edit from the checks of the resolution.
    pub fn stage_all_as_tree(&self) -> Result<Oid> {
        self.run(&["add", "-A", "--sparse"])?;
        let out = self.run(&["write-tree"])?;
        Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "write-tree".into(),
            detail: out,
        })
    }
}

/// Returns the non-cone sparse-checkout pattern matching exactly `path`
/// (gitignore syntax, anchored at the root): wildcards, backslashes and
/// spaces escaped, a newline (which a pattern line cannot hold) matched by
/// `?`, so at worst a sibling is checked out too.
fn sparse_pattern(path: &str) -> String {
    let mut pattern = String::with_capacity(path.len() + 1);
    pattern.push('/');
    for c in path.chars() {
        match c {
            '\\' | '*' | '?' | '[' | ']' | ' ' | '!' | '#' => {
                pattern.push('\\');
                pattern.push(c);
            }
            '\n' | '\r' => pattern.push('?'),
            _ => pattern.push(c),
        }
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::sparse_pattern;

    #[test]
    fn a_sparse_pattern_names_one_path_literally() {
        assert_eq!(sparse_pattern("app.txt"), "/app.txt");
        assert_eq!(
            sparse_pattern("dir with space/naïve file.txt"),
            "/dir\\ with\\ space/naïve\\ file.txt"
        );
        assert_eq!(sparse_pattern("a[1]*?.txt"), "/a\\[1\\]\\*\\?.txt");
        assert_eq!(sparse_pattern("!#x\\y"), "/\\!\\#x\\\\y");
        assert_eq!(sparse_pattern("two\nlines"), "/two?lines");
    }
}
