//! Test support: the runbook's situation built with the test kit's
//! repository builder, the binary run with a cleared and pinned environment,
//! and a fake `/version` endpoint.

#![allow(dead_code)]

pub mod forge;
pub mod github;
pub mod gitlab;
pub mod service;

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hotfix_testkit::http::{self, Response, Server};
pub use hotfix_testkit::repo::pinned;
use hotfix_testkit::repo::{project, Project};

pub const BIN: &str = env!("CARGO_BIN_EXE_git-hotfix");

pub const MINIMAL_CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
[branches]
main = "main"
release = "release"
develop = "develop"
"#;

/// The outcome of a command, for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
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
    /// The origin and the work clone; `Scenario` derefs to it.
    pub repo: Project,
    pub p: String,
    pub u1: String,
    pub u2: String,
    pub f: String,
    pub g: String,
    /// Release's tip before any hotfix.
    pub release0: String,
}

impl Deref for Scenario {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.repo
    }
}

impl Scenario {
    pub fn new() -> Scenario {
        let repo = project()
            .file("app.txt", "line one\nline two\nline three\n")
            .file("other.txt", "other\n")
            .file("dir with space/naïve file.txt", "unicode\n")
            .build();
        repo.commit("base");
        repo.write("app.txt", "line one\nline two (prod)\nline three\n");
        let p = repo.commit("P: what production runs");
        repo.write("app.txt", "line one\nline two (prod)\nline three\nU1 line\n");
        let u1 = repo.commit("U1: unreleased feature");
        repo.write("app.txt", "U2 header\nline one\nline two (prod)\nline three\nU1 line\n");
        let u2 = repo.commit("U2: more unreleased");
        repo.branch("release");
        repo.write("other.txt", "other\nfixed\n");
        let f = repo.commit("fix: F repairs other.txt");
        repo.write(
            "app.txt",
            "U2 header\nline one\nline two (prod)\nline three\nU1 line, fixed\n",
        );
        let g = repo.commit("fix: G repairs the U1 line");
        repo.push(&["main", "release"]);
        std::fs::write(repo.work.join("hotfix.toml"), MINIMAL_CONFIG).expect("config");
        // The operator's config is not part of the project's history.
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        let release0 = repo.rev(&repo.origin, "refs/heads/release");
        Scenario {
            repo,
            p,
            u1,
            u2,
            f,
            g,
            release0,
        }
    }

    /// Moves origin's release to `commit` by hand, as a colleague's force push would.
    pub fn force_release(&self, commit: &str) {
        let spec = format!("{commit}:refs/heads/release");
        self.git(&self.work, &["push", "-q", "--force", "origin", &spec]);
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

    /// Starts the standard hotfix and presses Ctrl-C before `step`
    /// (`GIT_HOTFIX_INJECT_INTERRUPT`): the run stops there journaled, on
    /// the remote with its lock held, as an operator's Ctrl-C leaves it. (A
    /// crash before the push that carries the lock, [`Self::start_stopped_at`],
    /// leaves nothing on the remote.)
    pub fn start_interrupted_before(&self, step: &str) -> Run {
        let point = format!("before:{step}");
        let run = self.hotfix_env(
            &self.work,
            &["start", "--fix", &self.f, "--production", &self.p, "--yes"],
            &[("GIT_HOTFIX_INJECT_INTERRUPT", &point)],
        );
        assert_eq!(run.code, 130, "{point}: the Ctrl-C stops start\n{}", run.all());
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
        let dir = self.clone_origin(name);
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

/// A fake production service answering `GET /version` (with any query)
/// with `status` and `body`, until the returned server is dropped.
pub fn serve(status: u16, body: String) -> Server {
    Server::builder()
        .route(
            "GET",
            "/version",
            "a production service's /version: the SHA the running build was made from",
            http::always(Response::json(status, body)),
        )
        .start()
        .expect("the fake /version service starts")
}

/// Returns the `check-jsonschema` the schema tests run: `HOTFIX_CHECK_JSONSCHEMA`,
/// else the one `.ci/run` installs into `.ci/venv`, else the one on PATH. A
/// machine without it fails the test: output nobody validated must not pass
/// for valid output.
pub fn check_jsonschema() -> PathBuf {
    if let Some(path) = std::env::var_os("HOTFIX_CHECK_JSONSCHEMA") {
        return PathBuf::from(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/venv/bin/check-jsonschema");
    if venv.is_file() {
        return venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("check-jsonschema"))
            .find(|p| p.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "check-jsonschema not found: run `.ci/run` (it installs it into .ci/venv), or set \
             HOTFIX_CHECK_JSONSCHEMA to its path"
        )
    })
}
