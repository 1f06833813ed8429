//! Test support: repositories built on the fly with real git, the binary run
//! with a cleared and pinned environment, and a tiny local HTTP endpoint.

#![allow(dead_code)]

pub mod service;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_git-hotfix");

pub const MINIMAL_CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
[branches]
main = "main"
release = "release"
develop = "develop"
"#;

/// The environment every git and git-hotfix call in tests runs with.
pub fn pinned(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join(".gitconfig"))
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Olly Operator")
        .env("GIT_COMMITTER_EMAIL", "olly@example.com")
        .env("GIT_HOTFIX_HOSTNAME", "test-host")
        // `resolve` worktrees go under the test's own temp dir.
        .env("TMPDIR", home);
}

/// The outcome of a command, for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A temp dir holding an origin and clones, in the runbook's situation:
///
/// ```text
/// main:    base - P - U1 - U2 - F - G
/// release: base - P - U1 - U2
/// ```
/// F changes `other.txt` (untouched since P); G edits the line U1 introduced in `app.txt`.
pub struct Scenario {
    pub tmp: tempfile::TempDir,
    pub origin: PathBuf,
    pub work: PathBuf,
    pub p: String,
    pub u1: String,
    pub u2: String,
    pub f: String,
    pub g: String,
    /// Release's tip before any hotfix.
    pub release0: String,
}

impl Scenario {
    pub fn new() -> Scenario {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join(".gitconfig"), "[init]\n\tdefaultBranch = main\n").expect("gitconfig");
        let origin = root.join("origin.git");
        let work = root.join("work");
        let s = Scenario {
            p: String::new(),
            u1: String::new(),
            u2: String::new(),
            f: String::new(),
            g: String::new(),
            release0: String::new(),
            origin,
            work,
            tmp,
        };
        s.git(&root, &["init", "-q", "--bare", "origin.git"]);
        s.git(&root, &["init", "-q", "work"]);
        let w = s.work.clone();
        s.write("app.txt", "line one\nline two\nline three\n");
        s.write("other.txt", "other\n");
        s.write("dir with space/naïve file.txt", "unicode\n");
        s.commit("base");
        s.write("app.txt", "line one\nline two (prod)\nline three\n");
        let p = s.commit("P: what production runs");
        s.write("app.txt", "line one\nline two (prod)\nline three\nU1 line\n");
        let u1 = s.commit("U1: unreleased feature");
        s.write("app.txt", "U2 header\nline one\nline two (prod)\nline three\nU1 line\n");
        let u2 = s.commit("U2: more unreleased");
        s.git(&w, &["branch", "release"]);
        s.write("other.txt", "other\nfixed\n");
        let f = s.commit("fix: F repairs other.txt");
        s.write(
            "app.txt",
            "U2 header\nline one\nline two (prod)\nline three\nU1 line, fixed\n",
        );
        let g = s.commit("fix: G repairs the U1 line");
        s.git(&w, &["remote", "add", "origin", "../origin.git"]);
        s.git(&w, &["push", "-q", "origin", "main", "release"]);
        std::fs::write(w.join("hotfix.toml"), MINIMAL_CONFIG).expect("config");
        // The operator's config is not part of the project's history.
        std::fs::write(w.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        Scenario {
            p,
            u1,
            u2,
            f,
            g,
            release0: s.rev(&s.origin, "refs/heads/release"),
            ..s
        }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.work.join(path);
        std::fs::create_dir_all(full.parent().expect("file in a dir")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }

    pub fn commit(&self, message: &str) -> String {
        self.git(&self.work, &["add", "-A", "."]);
        self.git(&self.work, &["commit", "-q", "-m", message]);
        self.rev(&self.work, "HEAD")
    }

    /// Runs git in `dir`, panicking on failure; returns trimmed stdout.
    #[track_caller]
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        pinned(&mut cmd, self.root());
        let out = cmd.current_dir(dir).args(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn rev(&self, dir: &Path, rev: &str) -> String {
        self.git(dir, &["rev-parse", rev])
    }

    /// Returns a ref's value on the origin, or None.
    pub fn origin_ref(&self, name: &str) -> Option<String> {
        let out = self.git(&self.origin, &["for-each-ref", "--format=%(objectname)", name]);
        (!out.is_empty()).then_some(out)
    }

    /// Moves origin's release to `commit` by hand, as a colleague's force push would.
    pub fn force_release(&self, commit: &str) {
        let spec = format!("{commit}:refs/heads/release");
        self.git(&self.work, &["push", "-q", "--force", "origin", &spec]);
    }

    /// Every ref on the origin, to prove a command changed nothing.
    pub fn origin_refs(&self) -> String {
        self.git(&self.origin, &["for-each-ref"])
    }

    /// Runs git-hotfix in `dir` with `extra` environment.
    pub fn hotfix_env(&self, dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Run::from(cmd.current_dir(dir).args(args).output().expect("git-hotfix runs"))
    }

    /// Starts the standard hotfix (fix F onto production P) and lets an injected
    /// fault stop it at `point`, as a crash there would.
    #[track_caller]
    pub fn start_stopped_at(&self, point: &str) -> Run {
        let run = self.hotfix_env(
            &self.work,
            &["start", "--fix", &self.f, "--production", &self.p, "--yes"],
            &[("GIT_HOTFIX_INJECT_FAULT", point)],
        );
        assert_eq!(run.code, 1, "{point}: the injected fault stops start\n{}", run.all());
        assert!(run.stderr.contains(point), "{point}: {}", run.stderr);
        run
    }

    /// Starts the standard hotfix (fix F onto production P) with `--yes` and `extra` flags.
    pub fn start_fix(&self, extra: &[&str]) -> Run {
        let mut args = vec!["start", "--fix", &self.f, "--production", &self.p, "--yes"];
        args.extend_from_slice(extra);
        self.hotfix(&self.work, &args)
    }

    pub fn hotfix(&self, dir: &Path, args: &[&str]) -> Run {
        self.hotfix_env(dir, args, &[])
    }

    /// Appends `extra` tables to the operator's hotfix.toml.
    pub fn configure(&self, extra: &str) {
        let path = self.work.join("hotfix.toml");
        let mut text = std::fs::read_to_string(&path).expect("config");
        text.push_str(extra);
        std::fs::write(path, text).expect("config");
    }

    /// Clones the origin into `name`, with the minimal config.
    pub fn clone_as(&self, name: &str) -> PathBuf {
        self.git(self.root(), &["clone", "-q", "origin.git", name]);
        let dir = self.root().join(name);
        std::fs::write(dir.join("hotfix.toml"), MINIMAL_CONFIG).expect("config");
        dir
    }

    /// The tree the runbook's own commands give, run in a scratch checkout:
    /// restore from production, commit, `cherry-pick -x` each fix.
    pub fn runbook_tree(&self, fixes: &[&str]) -> String {
        let scratch = self.root().join("runbook-scratch");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).expect("rm scratch");
        }
        self.git(self.root(), &["clone", "-q", "origin.git", "runbook-scratch"]);
        self.git(&scratch, &["fetch", "-q", "../work", "main"]);
        self.git(&scratch, &["checkout", "-q", "-B", "release", &self.release0]);
        self.git(
            &scratch,
            &[
                "restore",
                &format!("--source={}", self.p),
                "--staged",
                "--worktree",
                ".",
            ],
        );
        self.git(
            &scratch,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "fix: restore release to last production state",
            ],
        );
        for f in fixes {
            self.git(&scratch, &["cherry-pick", "-x", f]);
        }
        self.rev(&scratch, "HEAD^{tree}")
    }

    /// Asserts origin's release is exactly restore + `fixes` on top of `base`,
    /// with the run still holding the lock (only `finish` gives it back).
    #[track_caller]
    pub fn assert_hotfixed(&self, base: &str, fixes: &[&str]) {
        let tip = self.origin_ref("refs/heads/release").expect("release exists");
        let chain = self.git(&self.origin, &["rev-list", "--first-parent", &format!("{base}..{tip}")]);
        let chain: Vec<&str> = chain.lines().collect();
        assert_eq!(chain.len(), 1 + fixes.len(), "release gained {chain:?}");
        let restore = chain[chain.len() - 1];
        assert_eq!(
            self.rev(&self.origin, &format!("{restore}^")),
            base,
            "restore sits on the old tip"
        );
        assert_eq!(
            self.rev(&self.origin, &format!("{restore}^{{tree}}")),
            self.rev(&self.origin, &format!("{}^{{tree}}", self.p)),
            "restore tree is production's"
        );
        assert_eq!(
            self.rev(&self.origin, &format!("{tip}^{{tree}}")),
            self.runbook_tree(fixes),
            "tree as the runbook gives"
        );
        assert!(
            self.origin_ref("refs/hotfix/locks/release").is_some(),
            "the lock stays until `finish`"
        );
    }
}

/// A local HTTP server answering every GET with `status` and `body`, as a
/// `/version` endpoint does; it stops after `max_requests`.
pub fn serve(status: u16, body: String, max_requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max_requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}
