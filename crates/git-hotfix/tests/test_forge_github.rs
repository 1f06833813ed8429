//! Seed 000/001's runbook through GitHub Actions, against the test kit's
//! fake GitHub: production from the `production` environment's newest
//! successful deployment (agreeing with the tag source), the release
//! workflow dispatched once with the guided inputs, its `release billing`
//! job followed, the deploy job waiting on the environment's reviewers
//! approved by the deploy step and followed to success, and the evidence in
//! the report. Faults: a failing deploy job (its log tail journaled, the
//! rollback hint), a resume from another clone after a crash between the
//! dispatch and following it (still one dispatch). Every request a run
//! makes is checked against the OpenAPI subset, and the token is nowhere.

use hotfix_testkit::forge_github::FakeJob;

use super::test_github_openapi::assert_described;
use crate::common::forge;
use crate::common::github::{configure, env, fake, requests_to, TOKEN};
use crate::common::{Run, Scenario};

fn start(s: &Scenario, extra: &[(&str, &str)]) -> Run {
    forge::start(s, &env(), extra)
}

#[track_caller]
fn assert_no_token(s: &Scenario, outputs: &[&Run]) {
    forge::assert_no_token(s, TOKEN, outputs);
}

#[test]
fn seed_000_001_through_github_end_to_end() {
    let s = Scenario::new();
    let (github, production) = fake(&s, FakeJob::passing("deploy-production"));
    configure(&s, &github);

    let plan = s.hotfix_env(&s.work, &["plan", "--fix", &s.f, "--json"], &env());
    plan.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(v["production"]["commit"], s.p.as_str(), "{}", plan.stdout);
    let sources = v["production"]["readings"].to_string();
    assert!(
        sources.contains(&format!("github environment `production` deployment #{production}"))
            && sources.contains("/fleet/billing/deployments/production")
            && sources.contains("tag prod-*"),
        "both sources, agreeing, the failed newer deployment skipped: {sources}"
    );

    let run = start(&s, &[]);
    run.expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);

    // The release workflow, dispatched once, with the three guided inputs.
    let runs = github.runs();
    assert_eq!(runs.len(), 1, "exactly one dispatch");
    let (run_id, workflow, git_ref, inputs) = &runs[0];
    assert_eq!((workflow.as_str(), git_ref.as_str()), ("release.yml", "main"));
    assert_eq!(inputs["action"], "deploy-release-branch-to-staging");
    assert_eq!(inputs["project"], "fleet/billing");
    assert_eq!(inputs["confirm"], "true", "workflow_dispatch inputs are strings");
    // The deploy job waited on `production`'s reviewers; the deploy step approved it, once.
    assert_eq!(requests_to(&github, "POST", "/pending_deployments"), 1);
    assert!(run.all().contains("deploy-production"), "{}", run.all());
    assert!(
        run.all()
            .contains("dispatches workflow `release.yml` on `main` with inputs"),
        "{}",
        run.all()
    );
    // Waiting on reviewers is the forge's `manual`; approving it is the play.
    assert!(
        run.all().contains("`deploy-production` #")
            && run.all().contains("is manual")
            && run.all().contains("played `deploy-production`")
            && run.all().contains("running -> success"),
        "{}",
        run.all()
    );

    let report = s.hotfix_env(&s.work, &["report", "--format", "json"], &env());
    report.expect_code(0);
    let text = report.stdout.clone();
    assert!(
        text.contains(&format!("pipeline #{run_id}"))
            && text.contains(&format!("{}/fleet/billing/actions/runs/{run_id}", github.url())),
        "the run and its page: {text}"
    );
    assert!(text.contains("job `deploy-production` #"), "{text}");
    assert!(
        text.contains(&format!("deployment #{production}")),
        "the production evidence names the deployment: {text}"
    );
    assert_described(&github);
    assert_no_token(&s, &[&plan, &run, &report]);
}

#[test]
fn a_failing_deploy_job_journals_its_log_tail_and_stops_with_the_rollback_hint() {
    let s = Scenario::new();
    let (github, _) = fake(
        &s,
        FakeJob::failing(
            "deploy-production",
            "pulling image\n\u{1b}[31merror: health check failed\n",
        ),
    );
    configure(&s, &github);
    let run = start(&s, &[]);
    forge::assert_deploy_failed_with_log_tail(&s, &run, "\\\\u{1b}[31m");
    assert_described(&github);
    assert_no_token(&s, &[&run]);
}

#[test]
fn a_resume_from_another_clone_after_a_crash_between_dispatch_and_following_dispatches_once() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    configure(&s, &github);
    let crashed = start(
        &s,
        &[("GIT_HOTFIX_INJECT_FAULT", "release-action-pipeline:after-remote")],
    );
    assert_eq!(crashed.code, 1, "{}", crashed.all());
    assert_eq!(github.runs().len(), 1);
    assert_eq!(requests_to(&github, "GET", "/jobs"), 0, "nothing followed yet");

    let resumed = forge::continue_from_another_clone(&s, &env());
    resumed.expect_code(0);
    assert!(resumed.all().contains("following pipeline #"), "{}", resumed.all());
    assert_eq!(github.runs().len(), 1, "still exactly one dispatch");
    assert_eq!(requests_to(&github, "POST", "/dispatches"), 1);
    assert_eq!(requests_to(&github, "POST", "/pending_deployments"), 1);
    assert_described(&github);
    assert_no_token(&s, &[&crashed, &resumed]);
}

#[test]
fn a_deploy_the_token_user_may_not_approve_is_left_to_the_reviewers() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    github.without_reviewer_rights();
    configure(&s, &github);
    let run = start(&s, &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("not a reviewer of environment `production`") && run.stderr.contains("/actions/runs/"),
        "{}",
        run.stderr
    );
    assert_eq!(
        requests_to(&github, "POST", "/pending_deployments"),
        0,
        "no approval sent"
    );
    assert_described(&github);
    assert_no_token(&s, &[&run]);
}

#[test]
fn an_enterprise_server_that_answers_the_dispatch_without_its_run_has_the_run_found_by_listing() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    github.without_run_details();
    configure(&s, &github);

    let run = start(&s, &[]);
    run.expect_code(0);
    let runs = github.runs();
    assert_eq!(runs.len(), 1, "one dispatch: {}", run.all());
    assert!(
        requests_to(&github, "GET", "/actions/workflows/release.yml/runs") >= 1,
        "the run was looked up among the workflow's runs"
    );
    let status = s.hotfix_env(&s.work, &["status", "--json"], &env());
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
    assert!(
        v.to_string().contains(&format!("/actions/runs/{}", runs[0].0)),
        "the journal names the run found: {v}"
    );
    assert_eq!(v["state"], "released", "{v}");
    assert_described(&github);
    assert_no_token(&s, &[&run, &status]);
}
