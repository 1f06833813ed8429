//! A rollback's approvals under `[approvals] verify = "forge"`: the
//! rollback's deploy job makes a new deployment of the protected
//! environment, so the rollback has an approvals step of its own, just
//! before its deploy, and `git hotfix approve` approves that deployment.
//! GitLab: `POST /projects/:id/deployments/:id/approval` on the rollback's
//! deployment (doc/api/deployments.md), which the fake GitLab refuses to
//! play (`POST /projects/:id/jobs/:id/play`, doc/api/jobs.md) until it has
//! two approvals. GitHub: a commit comment on the rollback run's head
//! ("Create a commit comment", docs.github.com/rest/commits/comments),
//! saying it approves the rollback. The hotfix's approvals approved another
//! deployment: they do not count for the rollback's.

use hotfix_testkit::forge_github::{FakeGitHub, FakeJob, FakeUser, HEAD_SHA};
use hotfix_testkit::forge_gitlab::FakeGitLab;

use crate::common::forge::run_id;
use crate::common::service::Service;
use crate::common::{Run, Scenario};
use crate::test_seed_gitlab::{as_user, configure, fake, start_and_approve, PAT, TESS, TOKENS};
use crate::test_signed_approvals::forge_entries;

const OPERATOR: &str = crate::common::gitlab::TOKEN;

fn status(s: &Scenario) -> serde_json::Value {
    let run = as_user(s, OPERATOR, &["status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()))
}

/// Returns what release holds on the remote, once it holds production's tree again.
fn release_holds_production(s: &Scenario) -> String {
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{release}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p)),
        "release holds production's tree again"
    );
    release
}

/// Returns the report's "Rollback approvals" part and what follows it.
fn rollback_approvals(report: &Run) -> &str {
    report
        .stdout
        .split("## Rollback approvals")
        .nth(1)
        .unwrap_or_else(|| panic!("the report lists the rollback's approvals: {}", report.stdout))
}

fn plays(gitlab: &FakeGitLab) -> usize {
    gitlab.requests_to("POST", "/play").len()
}

/// Seed 000/001 on GitLab: both approve the hotfix, its deploy job fails,
/// and the operator rolls back, which restores release, runs the release
/// job again and stops at the rollback's approvals. Returns the output of
/// `rollback`.
fn rolled_back_to_the_gate(s: &Scenario, service: &Service) -> (FakeGitLab, Run) {
    let gitlab = fake(s, service, |g| g.failing_job = Some("deploy-production".into()));
    configure(s, &gitlab, service);
    start_and_approve(s, &gitlab);
    let failed = as_user(s, OPERATOR, &["continue", "--yes"]);
    assert_ne!(failed.code, 0, "{}", failed.all());
    gitlab.fail_job(None);
    let back = as_user(
        s,
        OPERATOR,
        &["rollback", "--yes", "--reason", "deploy-production failed"],
    );
    (gitlab, back)
}

#[test]
fn a_gitlab_rollback_waits_at_its_approvals_gate_naming_the_missing_roles() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let (gitlab, back) = rolled_back_to_the_gate(&s, &service);
    back.expect_code(0);
    assert!(
        back.all().contains("tech-lead") && back.all().contains("pm"),
        "the rollback names the roles it waits for: {}",
        back.all()
    );
    assert!(!back.all().contains("403"), "nothing refused: {}", back.all());
    let deployments = gitlab.deployments();
    assert_eq!(
        deployments.len(),
        2,
        "the rollback's release job made a deployment of its own"
    );
    assert!(deployments[1].approvals.is_empty(), "{deployments:#?}");
    // release billing, the hotfix's deploy-production, the rollback's release billing.
    assert_eq!(plays(&gitlab), 3, "the rollback's deploy job was not played");
    release_holds_production(&s);
    assert_eq!(service.reported(), s.p, "nothing shipped");

    let st = status(&s);
    assert_eq!(st["missing_roles"], serde_json::json!(["tech-lead", "pm"]), "{st}");
    let again = as_user(&s, OPERATOR, &["continue", "--yes"]);
    again.expect_code(3);
    assert!(again.all().contains("tech-lead"), "{}", again.all());
    assert_eq!(plays(&gitlab), 3, "continue at the gate plays nothing");
}

#[test]
fn the_hotfix_approvals_do_not_count_for_the_rollbacks_deployment() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let (gitlab, back) = rolled_back_to_the_gate(&s, &service);
    back.expect_code(0);
    let deployments = gitlab.deployments();
    let hotfix: Vec<&str> = deployments[0]
        .approvals
        .iter()
        .map(|a| a.user.username.as_str())
        .collect();
    assert_eq!(hotfix, ["tess", "pat"], "the forge holds the hotfix's approvals");
    let st = status(&s);
    assert_eq!(st["missing_roles"], serde_json::json!(["tech-lead", "pm"]), "{st}");

    // Someone who can push refs/hotfix/* claims the hotfix's approvals for
    // the rollback: the forge's record of the rollback's deployment holds none.
    let id = run_id(&s);
    let claims: Vec<(String, serde_json::Value)> = deployments[0]
        .approvals
        .iter()
        .zip(["tech-lead", "pm"])
        .map(|(a, role)| {
            let forge = serde_json::json!({
                "deployment": deployments[0].id,
                "user": { "id": a.user.id, "username": a.user.username },
                "status": "approved",
                "created_at": "2026-12-01T15:00:00Z",
                "comment": format!("git-hotfix run {id}: approved as {role}"),
            });
            (role.to_string(), forge)
        })
        .collect();
    forge_entries(&s, |release| {
        claims
            .iter()
            .map(|(role, forge)| {
                serde_json::json!({
                    "event": "approved",
                    "approval": {
                        "role": role,
                        "ident": format!("{role} <{role}@example.com>"),
                        "at": 1_800_000_000,
                        "release_tip": release,
                        "forge": forge,
                        "rollback": true,
                    },
                })
            })
            .collect()
    });
    let st = status(&s);
    assert_eq!(st["missing_roles"], serde_json::json!(["tech-lead", "pm"]), "{st}");
    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(3);
    assert!(
        run.all().contains(&format!(
            "the forge holds no approval of deployment {}",
            deployments[1].id
        )),
        "{}",
        run.all()
    );
    assert_eq!(plays(&gitlab), 3, "the rollback's deploy job was not played");
    assert_eq!(service.reported(), s.p, "nothing shipped");
}

#[test]
fn two_approvers_approve_the_gitlab_rollback_and_its_deploy_restores_release() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let (gitlab, back) = rolled_back_to_the_gate(&s, &service);
    back.expect_code(0);
    let tess = as_user(&s, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    assert_eq!(status(&s)["missing_roles"], serde_json::json!(["pm"]));
    let pat = as_user(&s, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);
    assert_eq!(status(&s)["missing_roles"], serde_json::json!([]));

    let id = run_id(&s);
    let deployments = gitlab.deployments();
    let given: Vec<(&str, Option<&str>)> = deployments[1]
        .approvals
        .iter()
        .map(|a| (a.user.username.as_str(), a.comment.as_deref()))
        .collect();
    let comment = |role: &str| format!("git-hotfix run {id}: approved rollback as {role}");
    let (lead, pm) = (comment("tech-lead"), comment("pm"));
    assert_eq!(
        given,
        [("tess", Some(lead.as_str())), ("pat", Some(pm.as_str()))],
        "the rollback's deployment approved, its comments naming the rollback"
    );
    assert_eq!(deployments[0].approvals.len(), 2, "the hotfix's deployment as it was");

    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(plays(&gitlab), 4, "the rollback's deploy job played");
    let release = release_holds_production(&s);
    assert_eq!(service.reported(), release, "production runs the restored release");

    let report = as_user(&s, OPERATOR, &["report"]);
    report.expect_code(0);
    let rollback_part = rollback_approvals(&report);
    for who in ["tech-lead", "user @tess", "pm", "user @pat"] {
        assert!(rollback_part.contains(who), "{who}: {}", report.stdout);
    }
    assert!(
        rollback_part.contains(&format!("deployment {}", deployments[1].id)),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains("## Approvals\n"),
        "the hotfix's too: {}",
        report.stdout
    );
    let json = as_user(&s, OPERATOR, &["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("report JSON");
    assert_eq!(v["rollback_approvals"].as_array().map(Vec::len), Some(2), "{v}");
    for out in [&back, &tess, &pat, &run, &report, &json] {
        for token in TOKENS {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
}

const GH_OPERATOR: &str = crate::common::github::TOKEN;
const GH_TESS: &str = "ghp_tess_S3CRET";
const GH_PAT: &str = "ghp_pat_S3CRET";

fn gh(s: &Scenario, token: &str, args: &[&str]) -> Run {
    s.hotfix_env(&s.work, args, &[("GITHUB_TOKEN", token)])
}

fn gh_missing(s: &Scenario) -> serde_json::Value {
    let run = gh(s, GH_OPERATOR, &["status", "--json"]);
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()));
    v["missing_roles"].clone()
}

fn reviews(github: &FakeGitHub) -> usize {
    crate::common::github::requests_to(github, "POST", "/pending_deployments")
}

#[test]
fn a_github_rollback_waits_for_its_own_reviews_and_two_reviewers_release_its_deploy() {
    let s = Scenario::new();
    let (github, _) = crate::common::github::fake(&s, FakeJob::passing("deploy-production"));
    github.add_user(FakeUser::reviewer(GH_TESS, 7, "tess"));
    github.add_user(FakeUser::reviewer(GH_PAT, 8, "pat"));
    crate::common::github::configure(&s, &github);
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"forge\"\n");
    gh(&s, GH_OPERATOR, &["start", "--fix", &s.f, "--yes"]).expect_code(0);
    gh(&s, GH_TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    gh(&s, GH_PAT, &["approve", "--role", "pm"]).expect_code(0);
    gh(&s, GH_OPERATOR, &["continue", "--yes"]).expect_code(0);
    assert_eq!(reviews(&github), 1, "the hotfix's deployment approved");
    assert_eq!(github.runs().len(), 1);

    let back = gh(&s, GH_OPERATOR, &["rollback", "--yes", "--reason", "errors up"]);
    back.expect_code(0);
    assert_eq!(
        github.runs().len(),
        2,
        "the rollback's release job made a run of its own"
    );
    // Both runs' head is the same commit, their environment the same: the
    // hotfix's comments are there, and say they approve the hotfix.
    assert_eq!(
        gh_missing(&s),
        serde_json::json!(["tech-lead", "pm"]),
        "the hotfix's reviews do not approve the rollback"
    );
    assert_eq!(reviews(&github), 1, "the rollback's deployment is not approved");
    // Someone who can push refs/hotfix/* claims the hotfix's comments, which
    // GitHub holds on that same commit and environment, for the rollback.
    let id = crate::common::forge::run_id(&s);
    let environment = github.add_environment("production");
    forge_entries(&s, |release| {
        [("tech-lead", 7, "tess"), ("pm", 8, "pat")]
            .into_iter()
            .map(|(role, user, username)| {
                serde_json::json!({
                    "event": "approved",
                    "approval": {
                        "role": role,
                        "ident": format!("{username} <{username}@example.com>"),
                        "at": 1_800_000_000,
                        "release_tip": release,
                        "rollback": true,
                        "forge": {
                            "deployment": environment,
                            "user": { "id": user, "username": username },
                            "status": "approved",
                            "created_at": "2026-12-01T09:00:00Z",
                            "comment": format!("git-hotfix run {id}: approved as {role}"),
                        },
                    },
                })
            })
            .collect()
    });
    assert_eq!(
        gh_missing(&s),
        serde_json::json!(["tech-lead", "pm"]),
        "the hotfix's comments do not approve the rollback"
    );
    let refused = gh(&s, GH_OPERATOR, &["continue", "--yes"]);
    refused.expect_code(3);
    assert!(
        refused.all().contains("the forge holds no approval") && refused.all().contains("for this run's rollback"),
        "{}",
        refused.all()
    );
    assert_eq!(reviews(&github), 1, "the rollback's deployment is not approved");

    gh(&s, GH_TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    gh(&s, GH_PAT, &["approve", "--role", "pm"]).expect_code(0);
    assert_eq!(gh_missing(&s), serde_json::json!([]));
    let comments = github.commit_comments();
    let bodies: Vec<(&str, &str, &str)> = comments
        .iter()
        .map(|(sha, u, b)| (sha.as_str(), u.as_str(), b.as_str()))
        .collect();
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert!(
        bodies[2..].iter().all(|(sha, _, _)| *sha == HEAD_SHA)
            && bodies[2].2.ends_with("approved rollback as tech-lead")
            && bodies[3].2.ends_with("approved rollback as pm"),
        "{bodies:?}"
    );
    // GitHub shows a deployment's reviewers only while it is pending: the
    // report lists the rollback's approvals, read from GitHub, before the deploy.
    let report = gh(&s, GH_OPERATOR, &["report"]);
    report.expect_code(0);
    let rollback_part = rollback_approvals(&report);
    assert!(
        rollback_part.contains("verified: recorded by GitHub (user @tess")
            && rollback_part.contains("verified: recorded by GitHub (user @pat"),
        "{}",
        report.stdout
    );
    let run = gh(&s, GH_OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(
        reviews(&github),
        2,
        "the deploy step approved the rollback's deployment"
    );
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("success"));
    release_holds_production(&s);
    for out in [&back, &run, &report] {
        for token in [GH_OPERATOR, GH_TESS, GH_PAT] {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
}
