//! `git hotfix ci`: every strategy's template on both forges is valid against
//! the forge's schema (check-jsonschema's vendored schemas), and the GitLab
//! start job's own script lines carry out a hotfix non-interactively.

use std::process::{Command, Stdio};

use hotfix_testkit::repo::{pinned, project};

use crate::common::{Run, Scenario, BIN, MINIMAL_CONFIG};

const MERGE_MAIN: &str = r#"strategy = "merge-main"
remote = "origin"
[branches]
main = "main"
develop = "develop"
[forge]
kind = "gitlab"
url = "https://gitlab.example.com"
project = "fleet/portal"
[deploy]
job = "deploy-prod-hotfix"
[approvals]
roles = ["tech-lead", "pm"]
verify = "forge"
[backport]
to = ["develop"]
"#;

const FROM_TAG: &str = r#"strategy = "from-tag"
remote = "origin"
[branches]
main = "main"
[products.worker-mobile]
tag = "worker-mobile/prod-v{version}"
version_files = ["apps/mobile/pubspec.yaml"]
changelog = "apps/mobile/CHANGELOG.md"
[backport]
to = ["develop"]
"#;

const TRUNK: &str = r#"strategy = "trunk"
remote = "origin"
[branches]
main = "main"
[trunk]
releasable = { command = "./ci/main-releasable.sh" }
tag = "v{version}-hotfix.{n}"
[release]
command = "./ci/release.sh"
action = "release main"
[staging.deploy]
command = "./ci/deploy-staging.sh"
"#;

/// Returns what `git hotfix ci` prints for `config` on `forge`.
fn template(config: &str, forge: &str) -> String {
    let repo = project().file("README", "x\n").build();
    repo.commit("base");
    std::fs::write(repo.work.join("hotfix.toml"), config).expect("config");
    let mut cmd = Command::new(BIN);
    pinned(&mut cmd, repo.root());
    let run = Run::from(
        cmd.current_dir(&repo.work)
            .args(["ci", forge, "--stdout"])
            .output()
            .expect("git-hotfix runs"),
    );
    run.expect_code(0);
    run.stdout
}

#[test]
fn test_ci_every_strategy_and_forge_is_valid_against_the_schema() {
    let tool = crate::common::check_jsonschema();
    let dir = tempfile::tempdir().expect("tempdir");
    for (strategy, config) in [
        ("restore-release", MINIMAL_CONFIG),
        ("merge-main", MERGE_MAIN),
        ("from-tag", FROM_TAG),
        ("trunk", TRUNK),
    ] {
        for (forge, schema) in [
            ("--gitlab", "vendor.gitlab-ci"),
            ("--github", "vendor.github-workflows"),
        ] {
            let text = template(config, forge);
            let file = dir.path().join(format!("{strategy}{forge}.yml"));
            std::fs::write(&file, &text).expect("write the template");
            let out = Command::new(&tool)
                .args(["--builtin-schema", schema])
                .arg(&file)
                .output()
                .expect("check-jsonschema runs");
            assert!(
                out.status.success(),
                "{strategy} {forge} is not valid against {schema}:\n{}{}\n--- template\n{text}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn test_ci_writes_the_default_paths_and_refuses_to_overwrite() {
    let s = Scenario::new();
    let run = s.hotfix(&s.work, &["ci", "--gitlab"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("next: ") && run.stdout.contains("local: .gitlab/hotfix.gitlab-ci.yml"),
        "{}",
        run.stdout
    );
    let path = s.work.join(".gitlab/hotfix.gitlab-ci.yml");
    let first = std::fs::read_to_string(&path).expect("written");
    assert!(first.contains("hotfix-start:"), "{first}");

    std::fs::write(&path, "ours\n").expect("edit");
    let run = s.hotfix(&s.work, &["ci", "--gitlab"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("already exists") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), "ours\n");
    s.hotfix(&s.work, &["ci", "--gitlab", "--force"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&path).expect("rewritten"), first);

    s.hotfix(&s.work, &["ci", "--github"]).expect_code(0);
    assert!(s.work.join(".github/workflows/hotfix.yml").is_file());
    s.hotfix(&s.work, &["ci", "--github", "--output", "ci/h.yml"])
        .expect_code(0);
    assert!(s.work.join("ci/h.yml").is_file());
    s.hotfix(&s.work, &["ci"]).expect_code(2);
    s.hotfix(&s.work, &["ci", "--gitlab", "--github"]).expect_code(2);
}

/// Returns the `script:` lines of `job` in a GitLab template.
fn gitlab_script(text: &str, job: &str) -> Vec<String> {
    let yaml: serde_norway::Value = serde_norway::from_str(text).expect("the template parses");
    yaml[job]["script"]
        .as_sequence()
        .expect("a script list")
        .iter()
        .map(|l| l.as_str().expect("a line").to_string())
        .collect()
}

#[test]
fn test_ci_gitlab_start_job_runs_the_hotfix_without_a_terminal() {
    let s = Scenario::new();
    let text = s.hotfix(&s.work, &["ci", "--gitlab", "--stdout"]);
    text.expect_code(0);
    let script = gitlab_script(&text.stdout, "hotfix-start");

    // `git hotfix` finds `git-hotfix` on PATH, as on a runner that installed it.
    let bin = s.root().join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::os::unix::fs::symlink(BIN, bin.join("git-hotfix")).expect("symlink");
    let path = std::env::join_paths(
        std::iter::once(bin.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let planted = s.root().join("planted");
    // The incident is untrusted text from the form: it must reach git-hotfix as it is.
    let incident = format!("INC-42 \"$(touch {0})\" `touch {0}`; touch {0}", planted.display());

    let mut cmd = Command::new("sh");
    pinned(&mut cmd, s.root());
    cmd.env("PATH", path)
        .env("CI", "true")
        .env("HOTFIX_FIXES", format!(" {} ", s.f))
        .env("HOTFIX_SEVERITY", "critical")
        .env("HOTFIX_INCIDENT", &incident)
        .env("HOTFIX_PRODUCTION", &s.p)
        .env("HOTFIX_PRODUCTION_OVERRIDE", "")
        .env("HOTFIX_PRODUCT", "")
        .arg("-c")
        // The runner runs a job's lines in one shell, stopping at the first failure.
        .arg(format!("set -e\n{}", script.join("\n")))
        .current_dir(&s.work)
        .stdin(Stdio::null());
    let run = Run::from(cmd.output().expect("sh runs"));
    run.expect_code(0);

    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert!(!planted.exists(), "an input was evaluated by the shell");
    let status: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.work.join("hotfix-status.json")).expect("the status artifact"))
            .expect("status JSON");
    assert_eq!(status["state"], "released", "{status}");
    assert_eq!(status["record"]["severity"], "critical");
    assert_eq!(status["record"]["incident"], incident.as_str(), "the incident as typed");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.work.join("hotfix-report.json")).expect("the report artifact"))
            .expect("report JSON");
    assert!(report.is_object(), "{report}");
}

#[test]
fn test_ci_start_script_refuses_a_fix_that_is_not_a_revision() {
    let s = Scenario::new();
    let text = s.hotfix(&s.work, &["ci", "--gitlab", "--stdout"]);
    let script = gitlab_script(&text.stdout, "hotfix-start");
    let before = s.origin_refs();
    for fixes in ["--production-override=x", "a;b", "*"] {
        let mut cmd = Command::new("sh");
        pinned(&mut cmd, s.root());
        cmd.env("HOTFIX_FIXES", fixes)
            .arg("-c")
            .arg(format!("set -e\n{}", script.join("\n")))
            .current_dir(&s.work)
            .stdin(Stdio::null());
        let run = Run::from(cmd.output().expect("sh runs"));
        run.expect_code(2);
        assert!(run.stderr.contains("refused"), "{fixes}: {}", run.stderr);
    }
    assert_eq!(s.origin_refs(), before, "nothing was pushed");
}
