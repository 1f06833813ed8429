//! Seed 000/001 through GitLab, against the test kit's fake GitLab: the
//! production SHA from the environment (agreeing with the tag source), the
//! orchestration pipeline created with the guided inputs, the manual
//! `release <service>` job played, the downstream manual production deploy
//! played and followed to success, and the evidence in the report. Faults:
//! a failing deploy job (its log tail journaled, the rollback hint), a job
//! that never starts (a bounded wait), a forbidden input refused before any
//! request, and a resume after a crash that creates no second pipeline.

use crate::common::forge;
use crate::common::gitlab::{configure, env, fake, TOKEN};
use crate::common::{Run, Scenario};

fn start(s: &Scenario, extra: &[(&str, &str)]) -> Run {
    forge::start(s, &env(), extra)
}

#[track_caller]
fn assert_no_token(s: &Scenario, outputs: &[&Run]) {
    forge::assert_no_token(s, TOKEN, outputs);
}

#[test]
fn seed_000_001_through_gitlab_end_to_end() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");

    let plan = s.hotfix_env(&s.work, &["plan", "--fix", &s.f, "--json"], &env());
    plan.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(v["production"]["commit"], s.p.as_str(), "{}", plan.stdout);
    let sources = v["production"]["readings"].to_string();
    assert!(
        sources.contains("gitlab environment `production` deployment #41") && sources.contains("tag prod-*"),
        "both sources, agreeing: {sources}"
    );

    let run = start(&s, &[]);
    run.expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);

    // The orchestration pipeline, once, with the three guided inputs.
    let created = gitlab.requests_to("POST", "/pipeline");
    assert_eq!(created.len(), 1, "exactly one pipeline");
    assert_eq!(created[0].path, "/api/v4/projects/fleet%2Fdevelop/pipeline");
    let body: serde_json::Value = serde_json::from_slice(&created[0].body).expect("JSON body");
    assert_eq!(body["ref"], "main");
    assert_eq!(body["inputs"]["action"], "deploy-release-branch-to-staging");
    assert_eq!(body["inputs"]["project"], "fleet/billing");
    assert_eq!(body["inputs"]["confirm"], true);
    // `release billing` and `deploy-production` were played, never `cut-off`.
    let jobs = gitlab.jobs();
    let status = |name: &str| jobs.iter().find(|j| j.name == name).map(|j| j.status.clone());
    assert_eq!(status("release billing").as_deref(), Some("success"));
    assert_eq!(status("deploy-production").as_deref(), Some("success"));
    assert_eq!(status("cut-off").as_deref(), Some("manual"));
    assert_eq!(gitlab.requests_to("POST", "/play").len(), 2);
    // Live progress: the deploy job's status changes.
    assert!(run.all().contains("deploy-production"), "{}", run.all());
    assert!(run.all().contains("running -> success"), "{}", run.all());

    let report = s.hotfix_env(&s.work, &["report", "--format", "json"], &env());
    report.expect_code(0);
    let text = report.stdout.clone();
    let deploy = jobs.iter().find(|j| j.name == "deploy-production").expect("deploy job");
    let pipeline = jobs
        .iter()
        .find(|j| j.name == "release billing")
        .expect("release job")
        .pipeline;
    assert!(
        text.contains(&format!("pipeline #{pipeline}"))
            && text.contains(&format!("https://gitlab.fake/fleet/develop/-/pipelines/{pipeline}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("job `deploy-production` #{}", deploy.id)),
        "{text}"
    );
    assert!(
        text.contains("deployment #41"),
        "the production evidence names the deployment: {text}"
    );
    assert_no_token(&s, &[&plan, &run, &report]);
}

#[test]
fn a_failing_deploy_job_journals_its_log_tail_and_stops_with_the_rollback_hint() {
    let s = Scenario::new();
    let gitlab = fake(&s, |g| g.failing_job = Some("deploy-production".into()));
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = start(&s, &[]);
    forge::assert_deploy_failed_with_log_tail(&s, &run, "\\\\u{1b}[0K");
    assert_no_token(&s, &[&run]);
}

#[test]
fn a_job_that_never_starts_stops_after_the_bounded_wait() {
    let s = Scenario::new();
    let gitlab = fake(&s, |g| g.stuck_job = Some("release billing".into()));
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = start(&s, &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("job `release billing`")
            && run.stderr.contains("did not start within")
            && run.stderr.contains("https://gitlab.fake/fleet/develop/-/jobs/"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("runner"), "the hint: {}", run.stderr);
    assert!(
        gitlab.requests_to("POST", "/play").len() == 1,
        "the deploy never played"
    );
}

#[test]
fn a_forbidden_input_is_refused_before_any_request() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "bring-all-code-to-release-branch");
    let run = start(&s, &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("bring-all-code-to-release-branch"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("forbidden"), "{}", run.stderr);
    let posts: Vec<_> = gitlab
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(posts.is_empty(), "no POST reached the forge: {posts:?}");
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
}

#[test]
fn a_resume_after_a_crash_between_creation_and_following_makes_no_second_pipeline() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let crashed = start(
        &s,
        &[("GIT_HOTFIX_INJECT_FAULT", "release-action-pipeline:after-remote")],
    );
    assert_eq!(crashed.code, 1, "{}", crashed.all());
    assert_eq!(gitlab.requests_to("POST", "/pipeline").len(), 1);
    assert_eq!(gitlab.requests_to("POST", "/play").len(), 0, "nothing followed yet");

    // Another clone carries it on, from the journal on the remote.
    let resumed = forge::continue_from_another_clone(&s, &env());
    resumed.expect_code(0);
    assert!(resumed.all().contains("following pipeline #"), "{}", resumed.all());
    assert_eq!(
        gitlab.requests_to("POST", "/pipeline").len(),
        1,
        "still exactly one pipeline"
    );
    assert_eq!(gitlab.requests_to("POST", "/play").len(), 2);
    assert_no_token(&s, &[&crashed, &resumed]);
}

#[test]
fn older_gitlab_gets_variables_and_a_deployment_that_failed_is_not_production() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let path = s.work.join("hotfix.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("confirm = true } }", "confirm = true }, variables = true }"),
    )
    .expect("config");
    start(&s, &[]).expect_code(0);
    let created = gitlab.requests_to("POST", "/pipeline");
    let body: serde_json::Value = serde_json::from_slice(&created[0].body).expect("JSON body");
    assert!(body.get("inputs").is_none(), "{body}");
    let variables = body["variables"].as_array().expect("variables");
    assert!(
        variables
            .iter()
            .any(|v| v["key"] == "action" && v["value"] == "deploy-release-branch-to-staging"),
        "{body}"
    );
    assert!(
        variables.iter().any(|v| v["key"] == "confirm" && v["value"] == "true"),
        "{body}"
    );

    let s = Scenario::new();
    let gitlab = fake(&s, |g| g.deployment_status = "failed".into());
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let plan = s.hotfix_env(&s.work, &["plan", "--fix", &s.f], &env());
    assert_ne!(plan.code, 0, "{}", plan.all());
    assert!(plan.stderr.contains("no successful deployment"), "{}", plan.stderr);
    assert!(
        gitlab.requests_to("POST", "").is_empty(),
        "a plan asks nothing of the forge but reads"
    );
}

#[test]
fn a_crash_between_asking_and_journaling_the_answer_waits_for_a_decision() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    // The `step-started` entry is on the remote; whether the forge got the request is not known.
    let crashed = start(
        &s,
        &[("GIT_HOTFIX_INJECT_FAULT", "release-action-started:after-remote")],
    );
    assert_eq!(crashed.code, 1, "{}", crashed.all());

    let undecided = s.hotfix_env(&s.work, &["continue", "--yes"], &env());
    undecided.expect_code(3);
    assert!(
        undecided.stderr.contains("its answer was never journaled")
            && undecided.stderr.contains("--rerun release-action"),
        "{}",
        undecided.stderr
    );
    assert!(!undecided.stderr.contains("process group"), "{}", undecided.stderr);
    assert!(
        gitlab.requests_to("POST", "/pipeline").is_empty(),
        "nothing asked without a decision"
    );

    let decided = s.hotfix_env(&s.work, &["continue", "--yes", "--rerun", "release-action"], &env());
    decided.expect_code(0);
    assert_eq!(gitlab.requests_to("POST", "/pipeline").len(), 1);
}

#[test]
fn a_pipeline_request_that_times_out_is_not_sent_again_and_waits_for_a_decision() {
    let s = Scenario::new();
    // GitLab creates the pipeline but answers after the client gave up.
    let gitlab = fake(&s, |g| g.slow_pipeline = Some(std::time::Duration::from_secs(3)));
    forge::configure_runbook(
        &s,
        &format!(
            "[forge]\nkind = \"gitlab\"\nurl = \"{}\"\nproject = \"fleet/billing\"\ntimeout = \"1s\"\n",
            gitlab.url()
        ),
        "{ project = \"fleet/develop\", ref = \"main\", inputs = { action = \"deploy-release-branch-to-staging\" } }",
        "pipeline = \"downstream\"\n",
    );
    let run = start(&s, &[]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.all().contains("timed out: no answer within 1s"), "{}", run.all());
    assert_eq!(
        gitlab.requests_to("POST", "/pipeline").len(),
        1,
        "a pipeline request is never retried"
    );

    let undecided = s.hotfix_env(&s.work, &["continue", "--yes"], &env());
    undecided.expect_code(3);
    assert!(
        undecided.stderr.contains("--rerun release-action"),
        "{}",
        undecided.stderr
    );
    assert_eq!(
        gitlab.requests_to("POST", "/pipeline").len(),
        1,
        "nothing asked without a decision"
    );
    assert_no_token(&s, &[&run, &undecided]);
}

#[test]
fn the_fake_rejects_what_gitlab_rejects() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    let agent = |method: &str, path: &str, token: Option<&str>, body: Option<&str>| {
        status_of(&gitlab.url(), method, &format!("/api/v4{path}"), token, body)
    };
    assert_eq!(agent("GET", "/projects/fleet%2Fbilling/environments", None, None), 401);
    assert_eq!(
        agent("POST", "/projects/fleet%2Fdevelop/pipeline", Some(TOKEN), Some("{}")),
        400
    );
    assert_eq!(
        agent("GET", "/projects/fleet%2Fdevelop/pipeline", Some(TOKEN), None),
        405
    );
    assert_eq!(
        agent(
            "POST",
            "/projects/fleet%2Fdevelop/pipeline",
            Some(TOKEN),
            Some(r#"{"ref":"main"}"#)
        ),
        201
    );
    let job = gitlab.jobs()[0].id;
    let play = format!("/projects/fleet%2Fdevelop/jobs/{job}/play");
    assert_eq!(agent("POST", &play, Some(TOKEN), Some("{}")), 200);
    assert_eq!(
        agent("POST", &play, Some(TOKEN), Some("{}")),
        400,
        "a job no longer manual"
    );
    for route in gitlab.server.routes() {
        assert!(
            route.doc.contains("doc/api/"),
            "{} {} names its doc page",
            route.method,
            route.path
        );
    }
}

/// Sends one raw HTTP/1.1 request and returns the status the fake answered.
fn status_of(base: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> u16 {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    let body = body.unwrap_or("");
    let auth = token.map_or(String::new(), |t| format!("PRIVATE-TOKEN: {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("sends");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("reads");
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer}"))
}

#[test]
fn a_record_naming_another_forge_sends_it_nothing() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    let elsewhere = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let crashed = start(
        &s,
        &[("GIT_HOTFIX_INJECT_FAULT", "release-action-pipeline:after-remote")],
    );
    assert_eq!(crashed.code, 1, "{}", crashed.all());
    // Someone who can push refs/hotfix/* points the record's forge at their
    // own server: the token, the jobs and the approvals would be theirs.
    let id = crate::test_journal_history::run_id(&s);
    crate::test_forged_journal::forge_run(&s, &id, usize::MAX, |entry| {
        entry["config"]["forge"]["url"] = elsewhere.url().into();
    });
    let resumed = forge::continue_from_another_clone(&s, &env());
    resumed.expect_code(0);
    let asked: Vec<_> = ["GET", "POST", "PUT"]
        .iter()
        .flat_map(|m| elsewhere.requests_to(m, ""))
        .collect();
    assert!(asked.is_empty(), "the record's forge was asked: {asked:?}");
    assert_eq!(gitlab.requests_to("POST", "/pipeline").len(), 1, "still one pipeline");
    assert_eq!(gitlab.requests_to("POST", "/play").len(), 2, "the team's forge ran it");
}
