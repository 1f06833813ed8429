//! Linked worktrees: the one place a person edits files (`git hotfix
//! resolve`), kept apart from the operator's own checkout, index and HEAD.

use std::path::{Path, PathBuf};

use super::{Git, GitError, Oid, Result};

impl Git {
    /// Adds a detached worktree at `path` checked out at `commit`.
    pub fn worktree_add(&self, path: &Path, commit: &Oid) -> Result<()> {
        let path = path.to_string_lossy();
        self.run(&["worktree", "add", "--quiet", "--detach", &path, commit.as_str()])?;
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
    /// as a tree object.
    pub fn stage_all_as_tree(&self) -> Result<Oid> {
        self.run(&["add", "-A"])?;
        let out = self.run(&["write-tree"])?;
        Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "write-tree".into(),
            detail: out,
        })
    }
}
