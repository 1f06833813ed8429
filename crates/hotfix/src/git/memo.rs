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

/// What the history walks need of a commit.
#[derive(Clone, Debug)]
struct Node {
    tree: Oid,
    parents: Vec<Oid>,
    subject: String,
}

/// How far a walk in what is known goes before it asks git.
const WALKED: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Memo {
    pub empty_tree: OnceLock<Oid>,
    pub promisor: Mutex<HashMap<String, bool>>,
    /// Whether this git's `grep -P` works (it is built with PCRE).
    pub pcre: OnceLock<bool>,
    /// The promisor remote, when this is a treeless partial clone.
    pub treeless: OnceLock<Option<String>>,
    commits: Mutex<HashMap<Oid, CommitInfo>>,
    /// Tree, parents and subject of every commit read or written here.
    graph: Mutex<HashMap<Oid, Node>>,
    /// `diff-tree --name-only` of two trees.
    paths: Mutex<HashMap<(Oid, Oid), Vec<String>>>,
    /// `diff-tree --numstat` of two trees.
    stats: Mutex<HashMap<(Oid, Oid), Vec<FileChange>>>,
    /// Whether the first commit is an ancestor of the second.
    ancestry: Mutex<HashMap<(Oid, Oid), bool>>,
}

/// Returns a message's subject as git's `%s` gives it: the first
/// paragraph, its lines joined by spaces.
fn subject(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    lines.join(" ")
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
        self.keep_written(&info.id, &info.tree, &info.parents, &info.message);
    }

    /// Notes a commit this process wrote (or read): its tree, parents and
    /// the subject of its `message`.
    pub fn keep_written(&self, id: &Oid, tree: &Oid, parents: &[Oid], message: &str) {
        let node = Node {
            tree: tree.clone(),
            parents: parents.to_vec(),
            subject: subject(message),
        };
        held(&self.graph).insert(id.clone(), node);
    }

    /// Returns the tree a diff of `id` compares: a known commit's tree, else `id`.
    fn tree_of(&self, id: &Oid) -> Oid {
        held(&self.graph).get(id).map_or_else(|| id.clone(), |c| c.tree.clone())
    }

    /// Returns the first-parent chain of `exclude..include`, newest first,
    /// when it is a line of single-parent commits known here that reaches
    /// `exclude` within [`WALKED`] commits.
    pub fn first_parent_chain(&self, exclude: &Oid, include: &Oid) -> Option<Vec<(Oid, String)>> {
        let graph = held(&self.graph);
        let mut chain = Vec::new();
        let mut at = include.clone();
        while at != *exclude {
            let node = graph.get(&at)?;
            if node.parents.len() != 1 || chain.len() == WALKED {
                return None;
            }
            chain.push((at.clone(), node.subject.clone()));
            at = node.parents[0].clone();
        }
        Some(chain)
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
        self.reaches(descendant, ancestor).then_some(true)
    }

    /// Returns true when `ancestor` is found walking the parents known here
    /// from `from`, within [`WALKED`] commits (false says nothing).
    fn reaches(&self, from: &Oid, ancestor: &Oid) -> bool {
        let graph = held(&self.graph);
        let mut seen = 0;
        let mut next = vec![from.clone()];
        while let Some(at) = next.pop() {
            let Some(node) = graph.get(&at) else { continue };
            if node.parents.contains(ancestor) {
                return true;
            }
            seen += 1;
            if seen == WALKED {
                return false;
            }
            next.extend(node.parents.iter().cloned());
        }
        false
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
        held(&self.graph).get(child).is_some_and(|c| c.parents.contains(parent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Signature;

    fn oid(c: char) -> Oid {
        Oid::parse(&c.to_string().repeat(40)).expect("hex")
    }

    fn commit(id: char, tree: char, parents: &[char]) -> CommitInfo {
        let who = Signature::parse("A <a@example.com> 0 +0000").expect("signature");
        CommitInfo {
            id: oid(id),
            tree: oid(tree),
            parents: parents.iter().map(|p| oid(*p)).collect(),
            author: who.clone(),
            committer: who,
            message: String::new(),
        }
    }

    #[test]
    fn ancestry_is_answered_either_way_round_and_from_parents() {
        let memo = Memo::default();
        assert_eq!(memo.is_ancestor(&oid('a'), &oid('b')), None, "nothing known yet");
        memo.keep_ancestry(&oid('a'), &oid('b'), true);
        assert_eq!(memo.is_ancestor(&oid('a'), &oid('b')), Some(true));
        assert_eq!(memo.is_ancestor(&oid('b'), &oid('a')), Some(false), "no cycles");
        memo.keep_ancestry(&oid('c'), &oid('d'), false);
        assert_eq!(
            memo.is_ancestor(&oid('d'), &oid('c')),
            None,
            "not an ancestor says nothing back"
        );
        memo.keep_commit(&commit('e', '1', &['a']));
        assert_eq!(memo.is_ancestor(&oid('a'), &oid('e')), Some(true), "a parent");
        assert_eq!(memo.merge_base(&oid('e'), &oid('a')), Some(oid('a')));
        assert_eq!(memo.merge_base(&oid('e'), &oid('b')), None);
        memo.keep_written(&oid('f'), &oid('2'), &[oid('e')], "f: one\nsubject\n\nbody\n");
        assert_eq!(memo.is_ancestor(&oid('a'), &oid('f')), Some(true), "a grandparent");
        assert_eq!(
            memo.first_parent_chain(&oid('a'), &oid('f')),
            Some(vec![
                (oid('f'), "f: one subject".to_string()),
                (oid('e'), String::new())
            ])
        );
        assert_eq!(
            memo.first_parent_chain(&oid('b'), &oid('f')),
            None,
            "b is not on the line"
        );
    }

    #[test]
    fn diffs_of_commits_and_of_their_trees_are_one_answer() {
        let memo = Memo::default();
        memo.keep_commit(&commit('e', '1', &['a']));
        memo.keep_commit(&commit('f', '2', &['e']));
        let changes = vec![FileChange {
            path: "x".into(),
            added: Some(1),
            removed: Some(0),
        }];
        memo.keep_stats(&oid('1'), &oid('2'), &changes);
        assert_eq!(memo.stats(&oid('e'), &oid('f')), Some(changes));
        assert_eq!(memo.paths(&oid('e'), &oid('f')), Some(vec!["x".to_string()]));
        let many: Vec<String> = (0..=KEPT_PATHS).map(|i| i.to_string()).collect();
        memo.keep_paths(&oid('3'), &oid('4'), &many);
        assert_eq!(memo.paths(&oid('3'), &oid('4')), None, "a long list is not kept");
    }
}
