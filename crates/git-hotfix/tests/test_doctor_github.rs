//! `git hotfix doctor` against the fake GitHub of seed 000/001: a classic
//! token's `X-OAuth-Scopes` ("Get the authenticated user",
//! docs.github.com/rest/users/users#get-the-authenticated-user) must hold
//! `repo`, which every endpoint a hotfix calls documents (issues, pull
//! requests, releases, deployments and the `workflow_dispatch` itself); a
//! fine-grained token sends none, which doctor says it cannot tell and does
//! not fail. The release workflow ("Get a workflow",
//! docs.github.com/rest/actions/workflows#get-a-workflow) and the deploy
//! environment ("Get an environment",
//! docs.github.com/rest/deployments/environments#get-an-environment) must
//! exist. One line per check, `--json` the same, exit 1 on a failure.

use hotfix_testkit::forge_github::{FakeGitHub, FakeJob};

use super::test_github_openapi::assert_described;
use crate::common::github::{configure, env, fake, TOKEN};
use crate::common::{Run, Scenario};

fn lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL "))
        .collect()
}

fn check(run: &Run, name: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("doctor JSON");
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no check {name}: {v}"))
}

#[test]
fn doctor_passes_against_a_ready_github_with_a_classic_token() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    github.set_scopes(Some("repo, workflow, read:org"));
    configure(&s, &github);
    let run = s.hotfix_env(&s.work, &["doctor"], &env());
    run.expect_code(0);
    let found = lines(&run.stdout);
    let names: Vec<&str> = found.iter().map(|l| l.split(':').next().unwrap_or_default()).collect();
    assert_eq!(
        names,
        [
            "ok config",
            "ok remote",
            "ok token",
            "ok whoami",
            "ok scopes",
            "ok project",
            "ok environment",
            "ok workflow",
            "ok deploy environment",
            "ok production"
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ok scopes: the token has repo, workflow, read:org"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ok workflow: `release.yml` (.github/workflows/release.yml) in fleet/billing is active"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ok deploy environment: `production` #"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains(TOKEN), "the token leaked: {}", run.all());
    assert_described(&github);
}

#[test]
fn a_fine_grained_token_sends_no_scopes_and_doctor_cannot_tell() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    github.set_scopes(None);
    configure(&s, &github);
    let run = s.hotfix_env(&s.work, &["doctor", "--json"], &env());
    run.expect_code(0);
    let scopes = check(&run, "scopes");
    assert_eq!(scopes["ok"], true);
    assert!(
        scopes["detail"].as_str().unwrap_or_default().contains("does not say"),
        "{scopes}"
    );
}

#[test]
fn a_classic_token_without_repo_fails_naming_the_scope() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    // `workflow` alone lets a token change workflow files, not dispatch them.
    github.set_scopes(Some("workflow, read:org"));
    configure(&s, &github);
    let run = s.hotfix_env(&s.work, &["doctor", "--json"], &env());
    run.expect_code(1);
    let scopes = check(&run, "scopes");
    assert_eq!(scopes["ok"], false);
    assert_eq!(
        scopes["detail"], "the token has workflow, read:org, the configured steps need `repo`",
        "{scopes}"
    );
    assert_eq!(check(&run, "workflow")["ok"], true);
    let text = s.hotfix_env(&s.work, &["doctor"], &env());
    text.expect_code(1);
    assert!(
        text.stdout.contains("FAIL scopes: ") && text.stdout.contains("need `repo`"),
        "{}",
        text.stdout
    );
    assert!(text.stderr.contains("1 check(s) failed"), "{}", text.stderr);
}

#[test]
fn a_missing_workflow_and_deploy_environment_fail() {
    let s = Scenario::new();
    let github = FakeGitHub::start("fleet/billing", TOKEN);
    github.set_scopes(Some("repo"));
    // The workflow is called `deploy.yml`, not the configured `release.yml`,
    // and the repository has no `production` environment.
    github.add_workflow("deploy.yml", vec![FakeJob::passing("release billing")]);
    github.add_deployment("staging", &s.p, &["success"]);
    configure(&s, &github);
    let run = s.hotfix_env(&s.work, &["doctor", "--json"], &env());
    run.expect_code(1);
    let workflow = check(&run, "workflow");
    assert_eq!(workflow["ok"], false);
    assert!(
        workflow["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no workflow `release.yml` in fleet/billing")
            && workflow["detail"].as_str().unwrap_or_default().contains("404"),
        "{workflow}"
    );
    let environment = check(&run, "deploy environment");
    assert_eq!(environment["ok"], false);
    assert!(
        environment["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no environment `production`"),
        "{environment}"
    );
    assert_eq!(check(&run, "scopes")["ok"], true);
    assert!(!run.all().contains(TOKEN), "the token leaked: {}", run.all());
    assert_described(&github);
}
