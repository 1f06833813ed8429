//! A repository built on the fly with real git, for the from-tag tests.

use std::path::Path;
use std::process::Command;

use crate::config::Product;
use crate::git::{Git, Oid};
use crate::strategy::from_tag::version_files::TagPattern;

/// A product without a CHANGELOG.
pub fn product(name: &str, tag: &str, files: &[&str]) -> Product {
    Product {
        name: name.to_string(),
        tag: TagPattern::parse(tag).expect("pattern"),
        version_files: files.iter().map(|s| s.to_string()).collect(),
        changelog: None,
    }
}

/// A temporary repository with a `main` branch.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub git: Git,
    time: u64,
}

impl TestRepo {
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        sh(dir.path(), &["init", "-q", "-b", "main"], 0);
        let git = Git::open(dir.path()).expect("opens");
        TestRepo {
            dir,
            git,
            time: 1_770_000_000,
        }
    }

    /// Writes `files` and commits them on the current branch; returns the commit.
    pub fn commit(&mut self, message: &str, files: &[(&str, &str)]) -> Oid {
        for (path, text) in files {
            let full = self.dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("a file has a parent")).expect("mkdir");
            std::fs::write(full, text).expect("write");
        }
        self.time += 60;
        sh(self.dir.path(), &["add", "-A"], self.time);
        sh(
            self.dir.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
            self.time,
        );
        self.git.resolve_commit("HEAD").expect("head")
    }

    /// Tags HEAD: annotated when `annotated`, else lightweight.
    pub fn tag(&mut self, name: &str, annotated: bool) {
        self.time += 60;
        if annotated {
            sh(self.dir.path(), &["tag", "-a", "-m", name, name], self.time);
        } else {
            sh(self.dir.path(), &["tag", name], self.time);
        }
    }

    /// Runs git in the repository and returns stdout.
    pub fn sh(&self, args: &[&str]) -> String {
        sh(self.dir.path(), args, self.time)
    }
}

fn sh(dir: &Path, args: &[&str], time: u64) -> String {
    let date = format!("@{time} +0000");
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
