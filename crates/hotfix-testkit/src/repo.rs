//! Test repositories built on the fly with real git, in cargo's
//! `project().file(..).build()` style: a temp dir holding a bare `origin.git`
//! and a `work` clone of it, with git run in a cleared, pinned environment.
//!
//! ```
//! use hotfix_testkit::repo::project;
//!
//! let p = project().file("app.txt", "one\n").build();
//! let base = p.commit("base");
//! p.annotated_tag("prod-1", "deployed", &base);
//! p.branch("release");
//! p.push(&["main", "release", "prod-1"]);
//! assert_eq!(p.origin_ref("refs/heads/release"), Some(base));
//! ```
//!
//! Every call panics on failure: this is for tests, where a failed setup is a
//! failed test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};

/// The author every commit in tests has.
pub const AUTHOR: (&str, &str) = ("Dana Dev", "dana@example.com");
/// The committer every commit in tests has.
pub const COMMITTER: (&str, &str) = ("Olly Operator", "olly@example.com");
/// The date of a project's first commit or tag (2026-11-18); each later one
/// made through [`Project`] is a minute after the one before, so histories
/// and tag order are the same on every run.
pub const EPOCH: i64 = 1_795_000_000;

/// Clears `cmd`'s environment and pins what git and git-hotfix read from it:
/// home and global config under `home`, the C locale, identities, hostname,
/// and `TMPDIR` (so `resolve` worktrees land in the test's own dir).
pub fn pinned(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", AUTHOR.0)
        .env("GIT_AUTHOR_EMAIL", AUTHOR.1)
        .env("GIT_COMMITTER_NAME", COMMITTER.0)
        .env("GIT_COMMITTER_EMAIL", COMMITTER.1)
        .env("GIT_HOTFIX_HOSTNAME", "test-host")
        .env("TMPDIR", home);
}

/// Runs git in `dir` with the environment pinned to `home`, panicking on
/// failure; returns trimmed stdout.
#[track_caller]
pub fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    git_env(home, dir, args, &[])
}

#[track_caller]
fn git_env(home: &Path, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> String {
    let mut cmd = Command::new("git");
    pinned(&mut cmd, home);
    cmd.envs(extra.iter().copied());
    let out = cmd.current_dir(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Returns a builder for a new project.
pub fn project() -> ProjectBuilder {
    ProjectBuilder::default()
}

/// Files for a project's work tree, written by [`ProjectBuilder::build`].
#[derive(Default)]
pub struct ProjectBuilder {
    files: Vec<(String, String)>,
}

impl ProjectBuilder {
    /// Adds a file to the work tree; `path` may name directories.
    pub fn file(mut self, path: &str, content: &str) -> ProjectBuilder {
        self.files.push((path.to_string(), content.to_string()));
        self
    }

    /// Creates the temp dir (with a `.gitconfig` whose default branch is
    /// `main`), a bare `origin.git`, and `work` with `origin` as its remote,
    /// and writes the files there, uncommitted.
    pub fn build(self) -> Project {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join(".gitconfig"), "[init]\n\tdefaultBranch = main\n").expect("gitconfig");
        let project = Project {
            origin: root.join("origin.git"),
            work: root.join("work"),
            tmp,
            clock: AtomicI64::new(EPOCH),
        };
        project.git(&root, &["init", "-q", "--bare", "origin.git"]);
        project.git(&root, &["init", "-q", "work"]);
        project.git(&project.work, &["remote", "add", "origin", "../origin.git"]);
        for (path, content) in &self.files {
            project.write(path, content);
        }
        project
    }
}

/// A built project: the temp dir (removed on drop), its origin and work clone.
pub struct Project {
    pub tmp: tempfile::TempDir,
    /// The bare remote, `<root>/origin.git`.
    pub origin: PathBuf,
    /// The work clone, `<root>/work`.
    pub work: PathBuf,
    /// The date the next commit or annotated tag gets.
    clock: AtomicI64,
}

impl Project {
    /// Returns the temp dir, which is also `HOME` for every command.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes `content` to `path` in the work tree, creating directories.
    pub fn write(&self, path: &str, content: &str) {
        let full = self.work.join(path);
        std::fs::create_dir_all(full.parent().expect("file in a dir")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }

    /// Commits everything in the work tree with the pinned identities and
    /// the next pinned date; returns the commit's id.
    #[track_caller]
    pub fn commit(&self, message: &str) -> String {
        self.git(&self.work, &["add", "-A", "."]);
        self.dated(&["commit", "-q", "-m", message]);
        self.rev(&self.work, "HEAD")
    }

    /// Creates branch `name` at the work tree's HEAD.
    #[track_caller]
    pub fn branch(&self, name: &str) {
        self.git(&self.work, &["branch", name]);
    }

    /// Checks out `name` in the work tree.
    #[track_caller]
    pub fn checkout(&self, name: &str) {
        self.git(&self.work, &["checkout", "-q", name]);
    }

    /// Creates the lightweight tag `name` at `rev`.
    #[track_caller]
    pub fn tag(&self, name: &str, rev: &str) {
        self.git(&self.work, &["tag", name, rev]);
    }

    /// Creates the annotated tag `name` at `rev` with the next pinned date.
    #[track_caller]
    pub fn annotated_tag(&self, name: &str, message: &str, rev: &str) {
        self.dated(&["tag", "-a", "-m", message, name, rev]);
    }

    /// Pushes `refspecs` from the work clone to the origin.
    #[track_caller]
    pub fn push(&self, refspecs: &[&str]) {
        let mut args = vec!["push", "-q", "origin"];
        args.extend_from_slice(refspecs);
        self.git(&self.work, &args);
    }

    /// Clones the origin into `<root>/<name>` and returns its path.
    #[track_caller]
    pub fn clone_origin(&self, name: &str) -> PathBuf {
        self.git(self.root(), &["clone", "-q", "origin.git", name]);
        self.root().join(name)
    }

    /// Runs git in `dir`, panicking on failure; returns trimmed stdout.
    #[track_caller]
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        git(self.root(), dir, args)
    }

    /// Returns the commit (or object) `rev` names in `dir`.
    #[track_caller]
    pub fn rev(&self, dir: &Path, rev: &str) -> String {
        self.git(dir, &["rev-parse", rev])
    }

    /// Returns a ref's value on the origin, or None.
    #[track_caller]
    pub fn origin_ref(&self, name: &str) -> Option<String> {
        let out = self.git(&self.origin, &["for-each-ref", "--format=%(objectname)", name]);
        (!out.is_empty()).then_some(out)
    }

    /// Returns every ref on the origin, to prove a command changed nothing.
    #[track_caller]
    pub fn origin_refs(&self) -> String {
        self.git(&self.origin, &["for-each-ref"])
    }

    /// Runs git in the work tree with author and committer dates pinned to
    /// the clock, then moves the clock a minute on.
    #[track_caller]
    fn dated(&self, args: &[&str]) {
        let date = format!("@{} +0000", self.clock.fetch_add(60, Ordering::SeqCst));
        git_env(
            self.root(),
            &self.work,
            args,
            &[("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_commits_with_pinned_identities_and_dates_and_pushes_branches_and_tags() {
        let p = project()
            .file("a.txt", "one\n")
            .file("dir with space/b.txt", "two\n")
            .build();
        let base = p.commit("base");
        p.write("a.txt", "one\nmore\n");
        let next = p.commit("next");
        p.branch("release");
        p.tag("light", &base);
        p.annotated_tag("prod-1", "deployed", &next);
        p.push(&["main", "release", "light", "prod-1"]);

        assert_eq!(
            p.git(&p.work, &["log", "--format=%an <%ae>|%cn <%ce>|%at|%ct|%s", "main"]),
            format!(
                "Dana Dev <dana@example.com>|Olly Operator <olly@example.com>|{t1}|{t1}|next\n\
                 Dana Dev <dana@example.com>|Olly Operator <olly@example.com>|{t0}|{t0}|base",
                t0 = EPOCH,
                t1 = EPOCH + 60
            )
        );
        assert_eq!(p.origin_ref("refs/heads/main"), Some(next.clone()));
        assert_eq!(p.origin_ref("refs/heads/release"), Some(next.clone()));
        assert_eq!(p.origin_ref("refs/tags/light"), Some(base.clone()));
        assert_eq!(p.git(&p.origin, &["cat-file", "-t", "refs/tags/prod-1"]), "tag");
        assert_eq!(
            p.git(&p.origin, &["tag", "-l", "--format=%(creatordate:unix)", "prod-1"]),
            (EPOCH + 120).to_string()
        );
        assert_eq!(p.rev(&p.origin, "prod-1^{commit}"), next);
        assert_eq!(p.origin_ref("refs/heads/nope"), None);
        assert_eq!(p.origin_refs().lines().count(), 4);

        let clone = p.clone_origin("colleague");
        assert_eq!(
            std::fs::read_to_string(clone.join("dir with space/b.txt")).expect("file"),
            "two\n"
        );
    }

    #[test]
    fn the_same_script_gives_the_same_commits() {
        let build = || {
            let p = project().file("a.txt", "one\n").build();
            p.commit("base")
        };
        assert_eq!(build(), build());
    }
}
