//! What a process learns of a repository's objects once and for all.
//! Objects never change, so an answer about them (a commit's parents, the
//! paths two trees differ in, whether one commit descends from another) is
//! the same every time it is asked: the second asking starts no process.
//!
//! Only answers about objects are kept, never about refs. Large path lists
//! are not kept, so memory stays bounded by the fix, not the repository.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::{CommitInfo, FileChange, Oid};

/// Path lists longer than this are not kept.
const KEPT_PATHS: usize = 5_000;

#[derive(Debug, Default)]
pub(super) struct Memo {
    pub empty_tree: OnceLock<Oid>,
    pub promisor: Mutex<HashMap<String, bool>>,
    commits: Mutex<HashMap<Oid, CommitInfo>>,
    /// `diff-tree --name-only` of two trees.
    paths: Mutex<HashMap<(Oid, Oid), Vec<String>>>,
    /// `diff-tree --numstat` of two trees.
    stats: Mutex<HashMap<(Oid, Oid), Vec<FileChange>>>,
    /// Whether the first commit is an ancestor of the second.
    ancestry: Mutex<HashMap<(Oid, Oid), bool>>,
}

fn held<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Memo {
    pub fn commit(&self, id: &Oid) -> Option<CommitInfo> {
        held(&self.commits).get(id).cloned()
    }

    pub fn keep_commit(&self, info: &CommitInfo) {
        held(&self.commits).insert(info.id.clone(), info.clone());
    }

    /// Returns the tree a diff of `id` compares: a known commit's tree, else `id`.
    fn tree_of(&self, id: &Oid) -> Oid {
        held(&self.commits)
            .get(id)
            .map_or_else(|| id.clone(), |c| c.tree.clone())
    }

    fn key(&self, from: &Oid, to: &Oid) -> (Oid, Oid) {
        (self.tree_of(from), self.tree_of(to))
    }

    pub fn paths(&self, from: &Oid, to: &Oid) -> Option<Vec<String>> {
        let key = self.key(from, to);
        if let Some(paths) = held(&self.paths).get(&key) {
            return Some(paths.clone());
        }
        held(&self.stats)
            .get(&key)
            .map(|changes| changes.iter().map(|c| c.path.clone()).collect())
    }

    pub fn keep_paths(&self, from: &Oid, to: &Oid, paths: &[String]) {
        if paths.len() <= KEPT_PATHS {
            let key = self.key(from, to);
            held(&self.paths).insert(key, paths.to_vec());
        }
    }

    pub fn stats(&self, from: &Oid, to: &Oid) -> Option<Vec<FileChange>> {
        held(&self.stats).get(&self.key(from, to)).cloned()
    }

    pub fn keep_stats(&self, from: &Oid, to: &Oid, changes: &[FileChange]) {
        if changes.len() <= KEPT_PATHS {
            let key = self.key(from, to);
            held(&self.stats).insert(key, changes.to_vec());
        }
    }

    /// Returns whether `ancestor` is one of `descendant`, when it is known:
    /// asked before, either way round (two distinct commits cannot each be
    /// the other's ancestor), or `ancestor` is a parent of `descendant`.
    pub fn is_ancestor(&self, ancestor: &Oid, descendant: &Oid) -> Option<bool> {
        let ancestry = held(&self.ancestry);
        if let Some(known) = ancestry.get(&(ancestor.clone(), descendant.clone())) {
            return Some(*known);
        }
        if ancestry.get(&(descendant.clone(), ancestor.clone())) == Some(&true) {
            return Some(false);
        }
        drop(ancestry);
        self.is_parent(ancestor, descendant).then_some(true)
    }

    pub fn keep_ancestry(&self, ancestor: &Oid, descendant: &Oid, is: bool) {
        held(&self.ancestry).insert((ancestor.clone(), descendant.clone()), is);
    }

    /// Returns the merge base of `a` and `b` when one is the other's parent.
    pub fn merge_base(&self, a: &Oid, b: &Oid) -> Option<Oid> {
        if self.is_parent(a, b) {
            Some(a.clone())
        } else if self.is_parent(b, a) {
            Some(b.clone())
        } else {
            None
        }
    }

    fn is_parent(&self, parent: &Oid, child: &Oid) -> bool {
        held(&self.commits)
            .get(child)
            .is_some_and(|c| c.parents.contains(parent))
    }
}
