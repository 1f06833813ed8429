//! Tree edits on objects alone: a blob written from bytes, and a tree that
//! is another tree with some files replaced or added.
//!
//! The operator's index and work tree are never read or written: the new
//! tree is assembled in a temporary index file of its own (`GIT_INDEX_FILE`)
//! that is removed afterwards. Paths reach git only on stdin or after `--`,
//! never where git would read them as options.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Git, GitError, Oid, Result};

/// Errors of a tree edit: a path that cannot be written, or git's own.
#[derive(Debug, thiserror::Error)]
pub enum TreeEditError {
    #[error("cannot write `{path}` into tree {base}: {why}")]
    BadPath { path: String, base: Oid, why: String },
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The mode of a new file: a regular, non-executable file.
const NEW_FILE_MODE: &str = "100644";

/// Returns why `path` cannot name a file in a tree, or `None` when it can:
/// a relative path of `/`-separated parts, none empty, `.`, `..` or `.git`.
pub fn tree_path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    if path.starts_with('/') {
        return Some("it starts with `/`; write it relative to the repository root");
    }
    if path.chars().any(|c| c == '\0' || c == '\n' || c == '\r' || c == '\\') {
        return Some("it holds a NUL, a line break or `\\`");
    }
    for part in path.split('/') {
        match part {
            "" => return Some("it has an empty part (`//`, or a trailing `/`)"),
            "." | ".." => return Some("it has a `.` or `..` part"),
            p if p.eq_ignore_ascii_case(".git") => return Some("it has a `.git` part"),
            _ => {}
        }
    }
    None
}

/// Temporary index files are named by process and a counter, so that two
/// edits running at once never share one.
static INDEX_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary index file, removed when dropped.
struct TempIndex(PathBuf);

impl TempIndex {
    fn new(git: &Git) -> TempIndex {
        let n = INDEX_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("hotfix-tree-edit-{}-{n}.index", std::process::id());
        TempIndex(git.git_dir().join(name))
    }
}

impl Drop for TempIndex {
    fn drop(&mut self) {
        // A leftover file is harmless (nothing reads it); a failed removal is not an error.
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("index.lock"));
    }
}

impl Git {
    /// Writes `content` to the object store as a blob and returns its id.
    pub fn write_blob(&self, content: &[u8]) -> Result<Oid> {
        let out = self.run_with(&["hash-object", "-w", "--stdin"], Some(content), &[])?;
        Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "hash-object -w --stdin".into(),
            detail: out,
        })
    }

    /// Returns the tree of `treeish` (a commit, or a tree itself).
    pub fn tree_of(&self, treeish: &Oid) -> Result<Oid> {
        let spec = format!("{treeish}^{{tree}}");
        let out = self
            .run(&["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])
            .map_err(|_| GitError::UnknownRevision {
                rev: treeish.to_string(),
            })?;
        Oid::parse(&out).ok_or_else(|| GitError::UnknownRevision {
            rev: treeish.to_string(),
        })
    }

    /// Writes the tree that is `base_tree` with each `(path, blob)` of
    /// `files` in place: an existing file keeps its mode, a new one is
    /// `100644`. Returns the new tree's id; the operator's index, work tree
    /// and `HEAD` are left as they were.
    ///
    /// Refuses a path that is not a plain relative path (see
    /// [`tree_path_problem`]), one that names a directory or a submodule in
    /// `base_tree`, and one below a path that is a file there.
    pub fn tree_with(&self, base_tree: &Oid, files: &[(&str, &Oid)]) -> Result<Oid, TreeEditError> {
        let refuse = |path: &str, why: &str| TreeEditError::BadPath {
            path: path.to_string(),
            base: base_tree.clone(),
            why: why.to_string(),
        };
        for (path, _) in files {
            if let Some(why) = tree_path_problem(path) {
                return Err(refuse(path, why));
            }
        }
        if files.is_empty() {
            return Ok(self.tree_of(base_tree)?);
        }
        // Each path and every directory above it, looked up in one `ls-tree`.
        let mut lookup: Vec<&str> = Vec::new();
        for (i, (path, _)) in files.iter().enumerate() {
            if files[..i].iter().any(|(p, _)| p == path) {
                return Err(refuse(path, "it is given twice"));
            }
            lookup.extend(path.match_indices('/').map(|(at, _)| &path[..at]));
            lookup.push(path);
        }
        lookup.sort_unstable();
        lookup.dedup();
        let existing = self.entries_at(base_tree, lookup.into_iter())?;
        let mode_of = |p: &str| existing.iter().find(|(e, _)| e == p).map(|(_, mode)| mode.as_str());
        let mut info = Vec::new();
        for (path, blob) in files {
            // Every directory above the path must be a directory or absent.
            for (at, _) in path.match_indices('/') {
                let parent = &path[..at];
                if mode_of(parent).is_some_and(|m| m != "040000") {
                    return Err(refuse(path, &format!("`{parent}` is a file in the base tree")));
                }
            }
            let mode = match mode_of(path) {
                Some("040000") => return Err(refuse(path, "it is a directory in the base tree")),
                Some("160000") => return Err(refuse(path, "it is a submodule in the base tree")),
                // A symlink stays one: the blob is its new target.
                Some(mode) => mode,
                None => NEW_FILE_MODE,
            };
            info.extend_from_slice(format!("{mode} {blob}\t{path}").as_bytes());
            info.push(0);
        }
        let index = TempIndex::new(self);
        let index_path = index.0.to_string_lossy().into_owned();
        let env = [("GIT_INDEX_FILE", index_path.as_str())];
        // Split and sparse indexes would write shared files beside the operator's own.
        let no_split = ["-c", "core.splitIndex=false", "-c", "index.sparse=false"];
        let with = |args: &[&str]| -> Vec<String> { no_split.iter().chain(args).map(|s| s.to_string()).collect() };
        let run = |args: Vec<String>, stdin: Option<&[u8]>| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            self.run_with(&args, stdin, &env)
        };
        run(with(&["read-tree", base_tree.as_str()]), None)?;
        run(with(&["update-index", "-z", "--index-info"]), Some(&info))?;
        let out = run(with(&["write-tree"]), None)?;
        Ok(Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "write-tree".into(),
            detail: out,
        })?)
    }

    /// Returns the mode of each of `paths` that exists in `tree` (and of
    /// the directories above them).
    fn entries_at<'a>(&'a self, tree: &'a Oid, paths: impl Iterator<Item = &'a str>) -> Result<Vec<(String, String)>> {
        // `-t` shows the directories on the way to a path, not only the path.
        let mut args: Vec<&str> = vec!["ls-tree", "-z", "-t", "--full-tree", tree.as_str(), "--"];
        args.extend(paths);
        // Paths are literal file names, never globs or pathspec magic.
        let out = self.run_with(&args, None, &[("GIT_LITERAL_PATHSPECS", "1")])?;
        let mut entries = Vec::new();
        for record in out.split('\0').filter(|r| !r.is_empty()) {
            let (meta, path) = record.split_once('\t').ok_or_else(|| GitError::Parse {
                args: args.join(" "),
                detail: format!("ls-tree record `{record}`"),
            })?;
            let mode = meta.split(' ').next().unwrap_or_default().to_string();
            entries.push((path.to_string(), mode));
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn sh(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn repo() -> (tempfile::TempDir, Git) {
        let dir = tempfile::tempdir().expect("temp dir");
        sh(dir.path(), &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(dir.path().join("apps/web")).expect("mkdir");
        std::fs::write(dir.path().join("apps/web/package.json"), "{\"version\": \"0.1.0\"}\n").expect("write");
        std::fs::write(dir.path().join("run.sh"), "#!/bin/sh\n").expect("write");
        std::fs::create_dir_all(dir.path().join("ci/bin")).expect("mkdir");
        std::fs::write(dir.path().join("ci/bin/deploy"), "#!/bin/sh\n").expect("write");
        std::fs::write(dir.path().join("README"), "readme\n").expect("write");
        sh(dir.path(), &["add", "."]);
        sh(dir.path(), &["update-index", "--chmod=+x", "run.sh", "ci/bin/deploy"]);
        sh(dir.path(), &["commit", "-qm", "init"]);
        let git = Git::open(dir.path()).expect("opens");
        (dir, git)
    }

    #[test]
    fn tree_with_replaces_and_adds_files_and_leaves_the_operator_alone() {
        let (dir, git) = repo();
        // The operator has work staged and unstaged: both must survive.
        std::fs::write(dir.path().join("README"), "staged\n").expect("write");
        sh(dir.path(), &["add", "README"]);
        std::fs::write(dir.path().join("README"), "unstaged\n").expect("write");
        let index_before = std::fs::read(dir.path().join(".git/index")).expect("index");
        let head_before = sh(dir.path(), &["rev-parse", "HEAD"]);
        let status_before = sh(dir.path(), &["status", "--porcelain"]);

        let head = git.resolve_commit("HEAD").expect("head");
        let base = git.tree_of(&head).expect("tree");
        let json = git.write_blob(b"{\"version\": \"0.1.1\"}\n").expect("blob");
        let script = git.write_blob(b"#!/bin/sh\nexit 0\n").expect("blob");
        let new = git.write_blob(b"- fixed\n").expect("blob");
        let tree = git
            .tree_with(
                &base,
                &[
                    ("apps/web/package.json", &json),
                    ("run.sh", &script),
                    ("ci/bin/deploy", &script),
                    ("docs/new dir/CHANGELOG.md", &new),
                    ("-n", &new),
                ],
            )
            .expect("tree");

        let listing = sh(dir.path(), &["ls-tree", "-r", tree.as_str()]);
        assert!(
            listing.contains(&format!("100644 blob {json}\tapps/web/package.json")),
            "{listing}"
        );
        assert!(
            listing.contains(&format!("100755 blob {script}\trun.sh")),
            "mode kept: {listing}"
        );
        assert!(
            listing.contains(&format!("100755 blob {script}\tci/bin/deploy")),
            "mode kept below directories: {listing}"
        );
        assert!(
            listing.contains(&format!("100644 blob {new}\tdocs/new dir/CHANGELOG.md\n")),
            "{listing}"
        );
        assert!(
            listing.contains("\t-n\n"),
            "a path that looks like an option is a path: {listing}"
        );
        assert!(listing.contains("\tREADME\n"), "untouched files stay: {listing}");
        assert_eq!(sh(dir.path(), &["show", &format!("{tree}:README")]), "readme\n");

        assert_eq!(
            std::fs::read(dir.path().join(".git/index")).expect("index"),
            index_before
        );
        assert_eq!(sh(dir.path(), &["rev-parse", "HEAD"]), head_before);
        assert_eq!(sh(dir.path(), &["status", "--porcelain"]), status_before);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("README")).expect("read"),
            "unstaged\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join(".git"))
            .expect("git dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("hotfix-tree-edit"))
            .collect();
        assert!(leftovers.is_empty(), "the temporary index is removed");
    }

    #[test]
    fn tree_with_refuses_paths_that_cannot_be_files() {
        let (_dir, git) = repo();
        let head = git.resolve_commit("HEAD").expect("head");
        let blob = git.write_blob(b"x").expect("blob");
        for (path, wanted) in [
            ("apps/web", "is a directory"),
            ("README/x", "`README` is a file"),
            ("../x", "`..`"),
            ("/etc/passwd", "starts with `/`"),
            (".git/config", "`.git`"),
            ("a//b", "empty part"),
            ("apps/web/package.json/x", "`apps/web/package.json` is a file"),
        ] {
            let err = git.tree_with(&head, &[(path, &blob)]).unwrap_err().to_string();
            assert!(err.contains(wanted), "{path}: {err}");
        }
        assert_eq!(
            git.tree_with(&head, &[]).expect("no edit"),
            git.tree_of(&head).expect("tree")
        );
    }
}
