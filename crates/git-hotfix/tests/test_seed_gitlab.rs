//! The whole seed 000/001 runbook in one run, against the test kit's fake
//! GitLab and a local production service: production from the environment
//! (doc/api/environments.md), the incident opened (doc/api/issues.md), the
//! orchestration pipeline created with the three guided inputs
//! (doc/api/pipelines.md), `release billing` played and the downstream
//! `deploy-production` played and followed (doc/api/jobs.md) behind two
//! approvals given through the forge by two people
//! (doc/api/deployments.md), production verified over HTTP, a smoke check,
//! `finish`, and the incident's timeline (doc/api/notes.md) in the order it
//! happened. The pieces are tested one by one in test_forge_gitlab,
//! test_forge_approvals and test_forge_incident; this is them composed.

use hotfix_testkit::forge_gitlab::{FakeGitLab, FakeUser, ReleaseDeploy, Setup};

use crate::common::forge::{self, journal_text};
use crate::common::gitlab::TOKEN;
use crate::common::service::Service;
use crate::common::{Run, Scenario};

pub(crate) const TESS: &str = "glpat-tess-S3CRET";
pub(crate) const PAT: &str = "glpat-pat-S3CRET";
pub(crate) const TOKENS: [&str; 3] = [TOKEN, TESS, PAT];

fn user(token: &str, id: u64, username: &str) -> FakeUser {
    FakeUser {
        token: token.into(),
        id,
        username: username.into(),
    }
}

/// Seed 000/001's GitLab whose `deploy-production` deploys to the protected
/// production environment (two approvals) and ships release to `service`.
pub(crate) fn fake(s: &Scenario, service: &Service, tweak: impl FnOnce(&mut Setup)) -> FakeGitLab {
    let mut setup = Setup {
        token: TOKEN.into(),
        deployed_sha: s.p.clone(),
        jobs: vec!["release billing".into(), "cut-off".into()],
        downstream_jobs: vec!["deploy-production".into()],
        users: vec![user(TESS, 7, "tess"), user(PAT, 8, "pat")],
        protected_job: Some("deploy-production".into()),
        required_approvals: 2,
        deploys: Some(ReleaseDeploy {
            job: "deploy-production".into(),
            origin: s.origin.clone(),
            branch: "release".into(),
            sha_file: service.sha_file.clone(),
        }),
        ..Setup::default()
    };
    tweak(&mut setup);
    FakeGitLab::start(setup).expect("the fake GitLab starts")
}

/// The runbook's hotfix.toml: GitLab, approvals through it, production
/// verified at the service's `/version`, one smoke check.
pub(crate) fn configure(s: &Scenario, gitlab: &FakeGitLab, service: &Service) {
    crate::common::gitlab::configure(s, gitlab, "deploy-release-branch-to-staging");
    forge::configure_verified(s, service);
}

pub(crate) fn as_user(s: &Scenario, token: &str, args: &[&str]) -> Run {
    s.hotfix_env(&s.work, args, &[("GITLAB_TOKEN", token)])
}

fn status_of(gitlab: &FakeGitLab, name: &str) -> Option<String> {
    gitlab.jobs().into_iter().find(|j| j.name == name).map(|j| j.status)
}

/// Starts the runbook with `--incident new` and gives both approvals;
/// returns the outputs so far.
pub(crate) fn start_and_approve(s: &Scenario, gitlab: &FakeGitLab) -> Vec<Run> {
    let plan = as_user(s, TOKEN, &["plan", "--fix", &s.f]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("gitlab environment `production` deployment #41"),
        "the plan shows production from the environment: {}",
        plan.stdout
    );
    let start = as_user(s, TOKEN, &["start", "--fix", &s.f, "--yes", "--incident", "new"]);
    assert!(
        start.all().contains("tech-lead") && start.all().contains("pm"),
        "start waits for the approvals: {}",
        start.all()
    );
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(gitlab.issues().len(), 1, "one incident opened");
    assert_eq!(status_of(gitlab, "release billing").as_deref(), Some("success"));
    assert_eq!(status_of(gitlab, "deploy-production").as_deref(), Some("manual"));
    let tess = as_user(s, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    let pat = as_user(s, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);
    vec![plan, start, tess, pat]
}

#[test]
fn seed_000_001_the_whole_runbook_through_gitlab_in_one_run() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let gitlab = fake(&s, &service, |_| {});
    configure(&s, &gitlab, &service);

    let mut outputs = start_and_approve(&s, &gitlab);
    let id = forge::run_id(&s);

    // The orchestration pipeline, once, with exactly the three guided inputs.
    let created = gitlab.requests_to("POST", "/pipeline");
    assert_eq!(created.len(), 1, "exactly one pipeline");
    assert_eq!(created[0].path, "/api/v4/projects/fleet%2Fdevelop/pipeline");
    let body: serde_json::Value = serde_json::from_slice(&created[0].body).expect("JSON body");
    assert_eq!(
        body["inputs"],
        serde_json::json!({
            "action": "deploy-release-branch-to-staging",
            "project": "fleet/billing",
            "confirm": true,
        }),
        "{body}"
    );
    // Two approvals, one per person, on the deploy job's deployment.
    let users: Vec<String> = gitlab.deployments()[0]
        .approvals
        .iter()
        .map(|a| a.user.username.clone())
        .collect();
    assert_eq!(users, ["tess", "pat"]);
    assert_eq!(gitlab.deployments().len(), 1, "one deploy job, one deployment");
    // The environment's deployment is evidence before anything was pushed.
    let journal = journal_text(&s);
    let environment = format!("{}/fleet/billing/-/environments/7", gitlab.url());
    assert!(
        journal.contains(&format!("deployment #41 ({environment})")),
        "the deployment's id and page are evidence: {journal}"
    );
    assert_eq!(service.reported(), s.p, "production still runs P");

    let run = as_user(&s, TOKEN, &["continue", "--yes"]);
    run.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(status_of(&gitlab, "deploy-production").as_deref(), Some("success"));
    assert_eq!(
        status_of(&gitlab, "cut-off").as_deref(),
        Some("manual"),
        "never cut-off"
    );
    assert_eq!(
        gitlab.requests_to("POST", "/play").len(),
        2,
        "release billing, deploy-production"
    );
    assert!(
        run.all().contains("running -> success"),
        "progress lines: {}",
        run.all()
    );
    assert_eq!(service.reported(), release, "production runs the release commit");
    assert!(run.all().contains("verify-production"), "{}", run.all());
    outputs.push(run);

    let finish = as_user(&s, TOKEN, &["finish", "--force"]);
    finish.expect_code(0);
    outputs.push(finish);
    assert_eq!(
        gitlab.deployments().len(),
        1,
        "the downstream pipeline triggers nothing more"
    );

    // The incident: each milestone a timeline note, in order, then the report.
    let notes = gitlab.notes();
    let timeline: Vec<&str> = notes
        .iter()
        .filter(|n| n.body.contains("\n/timeline "))
        .map(|n| n.body.as_str())
        .collect();
    let short = &release[..7];
    let expected = forge::milestones(&id, short);
    assert_eq!(timeline.len(), expected.len(), "{timeline:#?}");
    for (note, milestone) in timeline.iter().zip(&expected) {
        assert!(
            note.starts_with(milestone.as_str()),
            "`{milestone}` expected, got {note}"
        );
    }
    let reports: Vec<&str> = notes
        .iter()
        .filter(|n| n.body.contains("git-hotfix report"))
        .map(|n| n.body.as_str())
        .collect();
    assert_eq!(reports.len(), 1, "finish adds the report once: {reports:#?}");
    assert!(
        reports[0].contains(&id) && !reports[0].contains("/timeline"),
        "the report is a plain note naming the run: {}",
        reports[0]
    );
    assert_eq!(
        notes.len(),
        expected.len() + 1,
        "the timeline and the report, nothing else"
    );

    let report = forge::report_all_ok(&s, &[("GITLAB_TOKEN", TOKEN)]);
    let jobs = gitlab.jobs();
    let job = |name: &str| jobs.iter().find(|j| j.name == name).expect("job").clone();
    let (release_job, deploy_job) = (job("release billing"), job("deploy-production"));
    forge::assert_names(
        &report,
        &[
            format!("https://gitlab.fake/fleet/develop/-/pipelines/{}", release_job.pipeline),
            format!("https://gitlab.fake/fleet/develop/-/jobs/{}", release_job.id),
            format!("/-/jobs/{}", deploy_job.id),
            format!("https://gitlab.fake/fleet/billing/-/issues/{}", gitlab.issues()[0].iid),
        ],
    );
    assert!(
        report.stdout.contains(&format!("deployment #41 ({environment})")),
        "{}",
        report.stdout
    );

    // No token anywhere: outputs, the journal objects on origin, the report, the forge's bodies.
    outputs.push(report);
    let bodies: Vec<String> = gitlab.server.requests().iter().map(|r| r.text()).collect();
    forge::assert_no_token_anywhere(&s, &id, &TOKENS, &outputs, &bodies);
    for token in TOKENS {
        assert!(!notes.iter().any(|n| n.body.contains(token)), "a token is in a note");
    }
}

/// test_forge_gitlab covers a failing deploy job alone (its log tail, the
/// hint); this is the same failure behind the forge approvals and with an
/// incident, carried through `rollback`.
#[test]
fn seed_000_001_a_failing_deploy_job_stops_the_run_and_rollback_restores_release() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let gitlab = fake(&s, &service, |g| g.failing_job = Some("deploy-production".into()));
    configure(&s, &gitlab, &service);
    let mut outputs = start_and_approve(&s, &gitlab);
    let id = forge::run_id(&s);

    let failed = as_user(&s, TOKEN, &["continue", "--yes"]);
    crate::common::forge::assert_deploy_failed_with_log_tail(&s, &failed, "\\\\u{1b}[0K");
    assert_eq!(service.reported(), s.p, "nothing shipped");
    outputs.push(failed);

    gitlab.fail_job(None);
    let back = as_user(
        &s,
        TOKEN,
        &["rollback", "--yes", "--reason", "deploy-production failed"],
    );
    // The rollback's deploy job makes a new deployment of the protected
    // environment: the rollback waits for its approvals before playing it.
    back.expect_code(0);
    assert!(
        back.all().contains("tech-lead") && back.all().contains("pm"),
        "the rollback waits for its approvals: {}",
        back.all()
    );
    let rollback_deployment = gitlab.deployments().last().expect("deployments").id;
    assert_ne!(rollback_deployment, gitlab.deployments()[0].id, "a new deployment");
    assert_eq!(service.reported(), s.p, "nothing shipped");
    outputs.push(back);
    // Both approve it through git-hotfix, each with their own token, then
    // the rollback goes on.
    for (token, role) in [(TESS, "tech-lead"), (PAT, "pm")] {
        let approved = as_user(&s, token, &["approve", "--role", role]);
        approved.expect_code(0);
        outputs.push(approved);
    }
    let approvers: Vec<String> = gitlab
        .deployments()
        .iter()
        .find(|d| d.id == rollback_deployment)
        .expect("the rollback's deployment")
        .approvals
        .iter()
        .map(|a| a.user.username.clone())
        .collect();
    assert_eq!(approvers, ["tess", "pat"], "the rollback's deployment approved by both");
    let back = as_user(&s, TOKEN, &["continue", "--yes"]);
    back.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{release}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p)),
        "release holds production's tree again"
    );
    assert_eq!(service.reported(), release, "production runs the restored release");
    let notes = gitlab.notes();
    for milestone in [
        format!("hotfix {id}: deploy failed"),
        format!("hotfix {id}: rollback started to {}", &s.p[..7]),
    ] {
        assert!(
            notes.iter().any(|n| n.body.starts_with(&milestone)),
            "no note `{milestone}`: {notes:#?}"
        );
    }
    outputs.push(back);
    for token in TOKENS {
        for out in &outputs {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
}

/// Without `[approvals] verify = "forge"` nothing of git-hotfix approves the
/// protected environment's deployments: GitLab refuses to play a deploy job
/// whose deployment nobody approved (403), and the step says where to give
/// the approvals. Here the hotfix's deployment is approved on GitLab's
/// page; the rollback's is approved nowhere.
#[test]
fn seed_000_001_a_deploy_approved_nowhere_stops_with_the_protected_environment_hint() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let gitlab = fake(&s, &service, |_| {});
    crate::common::gitlab::configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let refused = |run: &Run| {
        assert_ne!(run.code, 0, "{}", run.all());
        assert!(
            run.stderr.contains("403") && run.stderr.contains("its deployment waits for approvals"),
            "{}",
            run.stderr
        );
    };
    let start = as_user(&s, TOKEN, &["start", "--fix", &s.f, "--yes"]);
    refused(&start);
    let hotfix_deployment = gitlab.deployments()[0].id;
    gitlab.approve_on_page(hotfix_deployment, TESS);
    gitlab.approve_on_page(hotfix_deployment, PAT);
    let deployed = as_user(&s, TOKEN, &["continue", "--yes"]);
    deployed.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(service.reported(), release, "production runs the release");

    let back = as_user(&s, TOKEN, &["rollback", "--yes", "--reason", "errors up"]);
    refused(&back);
    assert_eq!(
        gitlab.deployments().len(),
        2,
        "the rollback's deployment, approved by nobody"
    );
    assert_eq!(service.reported(), release, "the rollback deployed nothing");
}
