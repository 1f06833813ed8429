//! Approvals through the forge (`[approvals] verify = "forge"`), against the
//! test kit's fake GitLab: the downstream `deploy-production` job deploys to
//! a protected environment needing two approvals (seed 002: tech lead and
//! PM). `git hotfix approve` posts `POST /projects/:id/deployments/:id/approval`
//! (doc/api/deployments.md) as the token's user; the gate counts an
//! approval only when the forge, read again, holds it; two tokens are two
//! people, one token is one person however many roles it claims.

use hotfix_testkit::forge_gitlab::{FakeGitLab, FakeUser, Setup};

use crate::common::{Run, Scenario};
use crate::test_signed_approvals::forge_entries;

const OPERATOR: &str = crate::common::gitlab::TOKEN;
const TESS: &str = "glpat-tess-S3CRET";
const PAT: &str = "glpat-pat-S3CRET";

fn user(token: &str, id: u64, username: &str) -> FakeUser {
    FakeUser {
        token: token.into(),
        id,
        username: username.into(),
    }
}

/// Seed 000/001's GitLab with seed 002's protected production deploy.
fn fake(s: &Scenario) -> FakeGitLab {
    FakeGitLab::start(Setup {
        token: OPERATOR.into(),
        deployed_sha: s.p.clone(),
        jobs: vec!["release billing".into()],
        downstream_jobs: vec!["deploy-production".into()],
        users: vec![user(TESS, 7, "tess"), user(PAT, 8, "pat")],
        protected_job: Some("deploy-production".into()),
        required_approvals: 2,
        ..Setup::default()
    })
    .expect("the fake GitLab starts")
}

/// Seed 000/001's GitLab configuration, its approvals through the forge.
fn configure(s: &Scenario, gitlab: &FakeGitLab, forge_users: &str) {
    crate::common::gitlab::configure(s, gitlab, "deploy-release-branch-to-staging");
    s.configure(&format!(
        "\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"forge\"\nforge_users = {{ {forge_users} }}\n"
    ));
}

fn as_user(s: &Scenario, token: &str, args: &[&str]) -> Run {
    s.hotfix_env(&s.work, args, &[("GITLAB_TOKEN", token)])
}

fn status(s: &Scenario) -> serde_json::Value {
    let run = as_user(s, OPERATOR, &["status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()))
}

fn deploy_status(gitlab: &FakeGitLab) -> Option<String> {
    gitlab
        .jobs()
        .into_iter()
        .find(|j| j.name == "deploy-production")
        .map(|j| j.status)
}

/// Starts the run: release pushed, the release job run, the run waiting
/// at the approvals of the deploy job's deployment. `forge_users` maps git
/// emails to forge usernames.
fn at_the_gate_with(s: &Scenario, gitlab: &FakeGitLab, forge_users: &str) {
    configure(s, gitlab, forge_users);
    let run = as_user(s, OPERATOR, &["start", "--fix", &s.f, "--yes"]);
    assert!(
        run.all().contains("tech-lead"),
        "waits for the approvals: {}",
        run.all()
    );
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(deploy_status(gitlab).as_deref(), Some("manual"));
    assert_eq!(status(s)["missing_roles"], serde_json::json!(["tech-lead", "pm"]));
}

fn at_the_gate(s: &Scenario, gitlab: &FakeGitLab) {
    at_the_gate_with(s, gitlab, "");
}

#[test]
fn two_approvals_through_gitlab_by_two_tokens_open_the_gate_and_the_deploy_proceeds() {
    let s = Scenario::new();
    let gitlab = fake(&s);
    at_the_gate(&s, &gitlab);

    let tess = as_user(&s, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    let pat = as_user(&s, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);

    // Each approval was posted once, as its token's user, naming the run and role.
    let posted = gitlab.requests_to("POST", "/approval");
    assert_eq!(posted.len(), 2, "one approval each");
    let body: serde_json::Value = serde_json::from_slice(&posted[0].body).expect("JSON body");
    assert_eq!(body["status"], "approved");
    assert!(
        body["comment"]
            .as_str()
            .unwrap_or_default()
            .ends_with("approved as tech-lead"),
        "{body}"
    );
    let approvals = &gitlab.deployments()[0].approvals;
    let users: Vec<&str> = approvals.iter().map(|a| a.user.username.as_str()).collect();
    assert_eq!(users, ["tess", "pat"]);

    // The journal records the forge's user and answer.
    let journal = s.git(&s.work, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"]);
    assert!(
        journal.contains(r#""username":"tess""#) && journal.contains(r#""created_at""#),
        "{journal}"
    );

    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(deploy_status(&gitlab).as_deref(), Some("success"));

    let report = as_user(&s, OPERATOR, &["report"]);
    report.expect_code(0);
    assert!(
        report.stdout.contains("verified: recorded by GitLab (user @tess")
            && report.stdout.contains("verified: recorded by GitLab (user @pat"),
        "{}",
        report.stdout
    );
    for out in [&tess, &pat, &run, &report] {
        for token in [OPERATOR, TESS, PAT] {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
}

#[test]
fn the_same_forge_user_for_two_roles_is_refused_before_anything_is_posted() {
    let s = Scenario::new();
    let gitlab = fake(&s);
    at_the_gate(&s, &gitlab);

    as_user(&s, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    let again = as_user(&s, TESS, &["approve", "--role", "pm"]);
    assert_ne!(again.code, 0, "{}", again.all());
    assert!(
        again.stderr.contains("@tess") && again.stderr.contains("already approved as tech-lead"),
        "{}",
        again.stderr
    );
    assert_eq!(
        gitlab.requests_to("POST", "/approval").len(),
        1,
        "nothing posted the second time"
    );
    assert_eq!(status(&s)["missing_roles"], serde_json::json!(["pm"]));
    as_user(&s, OPERATOR, &["continue", "--yes"]).expect_code(3);
    assert_eq!(deploy_status(&gitlab).as_deref(), Some("manual"));
}

#[test]
fn a_forged_approved_entry_whose_user_never_approved_on_the_forge_does_not_count() {
    let s = Scenario::new();
    let gitlab = fake(&s);
    at_the_gate(&s, &gitlab);
    as_user(&s, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);

    // Someone who can push refs/hotfix/* claims Mallory approved as pm, with
    // a forge answer written by hand.
    forge_entries(&s, |release| {
        vec![serde_json::json!({
            "event": "approved",
            "approval": {
                "role": "pm",
                "ident": "Mallory <mallory@example.com>",
                "at": 1_800_000_000,
                "release_tip": release,
                "forge": {
                    "deployment": gitlab.deployments()[0].id,
                    "user": { "id": 66, "username": "mallory" },
                    "status": "approved",
                    "created_at": "2026-12-01T15:00:00.000Z",
                },
            },
        })]
    });
    let st = status(&s);
    assert_eq!(st["missing_roles"], serde_json::json!(["pm"]), "{st}");
    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(3);
    assert!(
        run.all().contains("the forge holds no approval") && run.all().contains("@mallory"),
        "{}",
        run.all()
    );
    assert_eq!(deploy_status(&gitlab).as_deref(), Some("manual"));
}

#[test]
fn the_fix_authors_and_the_operators_forge_users_are_refused_before_anything_is_posted() {
    let s = Scenario::new();
    let gitlab = fake(&s);
    // Dana wrote the fix and is @tess on GitLab; Olly runs the hotfix and is @pat.
    at_the_gate_with(
        &s,
        &gitlab,
        r#""dana@example.com" = "tess", "olly@example.com" = "pat""#,
    );
    let author = as_user(&s, TESS, &["approve", "--role", "tech-lead"]);
    assert_ne!(author.code, 0, "{}", author.all());
    assert!(
        author.stderr.contains("@tess") && author.stderr.contains("the author of a fix may not approve"),
        "{}",
        author.stderr
    );
    let operator = as_user(&s, PAT, &["approve", "--role", "pm"]);
    assert_ne!(operator.code, 0, "{}", operator.all());
    assert!(
        operator.stderr.contains("@pat") && operator.stderr.contains("the operator may not approve"),
        "{}",
        operator.stderr
    );
    assert!(gitlab.requests_to("POST", "/approval").is_empty(), "nothing posted");
    assert_eq!(status(&s)["missing_roles"], serde_json::json!(["tech-lead", "pm"]));
}
