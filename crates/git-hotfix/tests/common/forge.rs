//! What the forge end-to-end tests (GitLab's and GitHub's) share: starting a
//! run with the forge's token, carrying it on from another clone, and
//! checking the token went nowhere.

use super::{Run, Scenario};

/// Writes seed 000/001's runbook on `forge` (the `[forge]` table): production
/// from the `production` environment and tag `prod-1` on P, the release
/// `pipeline` with its `release billing` job, then `deploy-production`
/// (`deploy_where`: GitLab's `pipeline = "downstream"`, or nothing); every
/// wait short, so a stuck job fails fast.
pub fn configure_runbook(s: &Scenario, forge: &str, pipeline: &str, deploy_where: &str) {
    s.tag("prod-1", &s.p);
    s.git(&s.work, &["push", "-q", "origin", "prod-1"]);
    let waits = "poll_interval = \"5ms\"\nstart_timeout = \"300ms\"\ntimeout = \"2s\"\n";
    s.configure(&format!(
        "\n[production]\ntag = \"prod-*\"\nforge_environment = \"production\"\n\n{forge}\n\
         [release]\npipeline = {pipeline}\njob = \"release billing\"\n{waits}\n\
         [deploy]\njob = \"deploy-production\"\n{deploy_where}{waits}"
    ));
}

/// Starts the hotfix of the scenario's fix with `env` (the token) and `extra`.
pub fn start(s: &Scenario, env: &[(&str, &str)], extra: &[(&str, &str)]) -> Run {
    let mut vars: Vec<(&str, &str)> = env.to_vec();
    vars.extend_from_slice(extra);
    s.hotfix_env(&s.work, &["start", "--fix", &s.f, "--yes"], &vars)
}

/// Starts the hotfix of the scenario's fix with `--incident incident`.
pub fn start_with_incident(s: &Scenario, env: &[(&str, &str)], incident: &str, extra: &[(&str, &str)]) -> Run {
    let mut vars: Vec<(&str, &str)> = env.to_vec();
    vars.extend_from_slice(extra);
    s.hotfix_env(
        &s.work,
        &["start", "--fix", &s.f, "--yes", "--incident", incident],
        &vars,
    )
}

/// Finishes the run in `dir`, the two items this setup proves by hand attested.
pub fn finish_attested(s: &Scenario, dir: &std::path::Path, env: &[(&str, &str)]) -> Run {
    for item in ["production-reflects-fix", "smoke-passed"] {
        let attested = s.hotfix_env(dir, &["attest", item, "--detail", "checked by hand"], env);
        assert!(
            attested.code == 0 || attested.all().contains("already"),
            "{}",
            attested.all()
        );
    }
    s.hotfix_env(dir, &["finish", "--force"], env)
}

/// Returns the id of the one run this clone has.
pub fn run_id(s: &Scenario) -> String {
    s.git(
        &s.work,
        &["for-each-ref", "--format=%(refname:lstrip=3)", "refs/hotfix/runs/"],
    )
    .trim()
    .to_string()
}

/// Runs `continue --yes` from a colleague's fresh clone with this clone's
/// hotfix.toml: what the journal on the remote carries is all it knows.
pub fn continue_from_another_clone(s: &Scenario, env: &[(&str, &str)]) -> Run {
    let other = s.clone_as("colleague");
    std::fs::copy(s.work.join("hotfix.toml"), other.join("hotfix.toml")).expect("config");
    let mut vars: Vec<(&str, &str)> = env.to_vec();
    vars.push(("GIT_COMMITTER_NAME", "Colleague"));
    s.hotfix_env(&other, &["continue", "--yes"], &vars)
}

/// Returns every journal entry's message on this clone.
pub fn journal_text(s: &Scenario) -> String {
    s.git(&s.work, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"])
}

/// Fails if `token` is in any of `outputs` or in the journal.
#[track_caller]
pub fn assert_no_token(s: &Scenario, token: &str, outputs: &[&Run]) {
    for run in outputs {
        assert!(!run.all().contains(token), "the token leaked: {}", run.all());
    }
    assert!(!journal_text(s).contains(token), "the token is in the journal");
}

/// Fails unless `run` stopped on the failed deploy job with the rollback
/// hint, and the job's log tail is journaled with `escaped` (a control
/// byte as the journal keeps it).
#[track_caller]
pub fn assert_deploy_failed_with_log_tail(s: &Scenario, run: &Run, escaped: &str) {
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("deploy-production") && run.stderr.contains("failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rollback"), "the rollback hint: {}", run.stderr);
    let journal = journal_text(s);
    assert!(
        journal.contains("error: health check failed"),
        "the log tail is journaled: {journal}"
    );
    assert!(journal.contains(escaped), "control bytes escaped: {journal}");
}

/// Appends the whole runbook's tail: the two roles approved through the
/// forge, production verified at `service`'s `/version`, one smoke check
/// that the service reports the release.
pub fn configure_verified(s: &Scenario, service: &super::service::Service) {
    s.configure(&format!(
        "\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"forge\"\n\n\
         [[verify.http]]\nurl = \"{}\"\nsha_pointer = \"/sha\"\ntimeout = \"5s\"\ninterval = \"20ms\"\n\n\
         [[smoke]]\nname = \"the service reports the release\"\n\
         command = \"test \\\"$(cat '{}')\\\" = \\\"$HOTFIX_RELEASE_SHA\\\"\"\n",
        service.url,
        service.sha_file.display()
    ));
}

/// Fails if any of `tokens` is in `outputs`, in origin's `refs/hotfix/*`
/// objects (which must hold run `id`), or in a body the forge received.
#[track_caller]
pub fn assert_no_token_anywhere(s: &Scenario, id: &str, tokens: &[&str], outputs: &[Run], bodies: &[String]) {
    let origin_journal = s.git(&s.origin, &["log", "-p", "--glob=refs/hotfix/*"]);
    assert!(origin_journal.contains(id), "the journal is on origin");
    for token in tokens {
        for out in outputs {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
        assert!(!origin_journal.contains(token), "a token is in origin's journal");
        assert!(
            !bodies.iter().any(|b| b.contains(token)),
            "a token is in a request body"
        );
    }
}

/// Runs `report --format json` with `env`; fails unless every evidence item is ok.
#[track_caller]
pub fn report_all_ok(s: &Scenario, env: &[(&str, &str)]) -> Run {
    let report = s.hotfix_env(&s.work, &["report", "--format", "json"], env);
    report.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let items = v["evidence"].as_array().expect("evidence items");
    assert!(!items.is_empty());
    for item in items {
        assert_eq!(item["status"], "ok", "{item}");
    }
    report
}

/// Fails unless `report` names each of `urls`.
#[track_caller]
pub fn assert_names(report: &Run, urls: &[String]) {
    for url in urls {
        assert!(
            report.stdout.contains(url.as_str()),
            "the report names {url}: {}",
            report.stdout
        );
    }
}

/// Returns how the incident's milestones of run `id` start, in order, for
/// the release commit `short`.
pub fn milestones(id: &str, short: &str) -> Vec<String> {
    vec![
        format!("hotfix {id} started"),
        format!("hotfix {id}: release pushed at {short}"),
        format!("hotfix {id}: approved as tech-lead by "),
        format!("hotfix {id}: approved as pm by "),
        format!("hotfix {id}: deploy job `deploy-production` success for {short}"),
        format!("hotfix {id}: production verified on {short}"),
        format!("hotfix {id} finished"),
    ]
}
