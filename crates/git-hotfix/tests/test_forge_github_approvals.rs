//! Approvals through GitHub environment reviewers (`[approvals] verify =
//! "forge"`, `kind = "github"`), the twin of test_forge_approvals: the
//! `deploy-production` job waits on the `production` environment ("Get
//! pending deployments for a workflow run",
//! docs.github.com/rest/actions/workflow-runs#get-pending-deployments-for-a-workflow-run),
//! whose required reviewers are Olly (the operator), Tess and Pat. GitHub
//! releases the job on the first review, so `git hotfix approve` posts a
//! commit comment on the run's head ("Create a commit comment",
//! docs.github.com/rest/commits/comments#create-a-commit-comment) naming the
//! run and role, only when GitHub says the token's user may approve; the
//! gate counts a comment by a listed reviewer, read again; the deploy step
//! then approves the pending deployment as the operator.

use std::sync::Arc;

use hotfix::forge::{Auth, Call, Client, ClientOptions, SystemClock, Token};
use hotfix_testkit::forge_github::{FakeGitHub, FakeJob, FakeUser, HEAD_SHA};

use super::test_github_openapi::assert_described;
use crate::common::github::{configure as configure_runbook, fake as runbook, requests_to, TOKEN as OPERATOR};
use crate::common::{Run, Scenario};
use crate::test_signed_approvals::forge_entries;

const TESS: &str = "ghp_tess_S3CRET";
const PAT: &str = "ghp_pat_S3CRET";
const MALLORY: &str = "ghp_mallory_S3CRET";

/// Seed 000/001's GitHub, production's reviewers Olly, Tess and Pat;
/// Mallory can read the repository and reviews nothing.
fn fake(s: &Scenario) -> FakeGitHub {
    let (github, _) = runbook(s, FakeJob::passing("deploy-production"));
    github.add_user(FakeUser::reviewer(TESS, 7, "tess"));
    github.add_user(FakeUser::reviewer(PAT, 8, "pat"));
    github.add_user(FakeUser {
        reviewer: false,
        ..FakeUser::reviewer(MALLORY, 66, "mallory")
    });
    github
}

fn as_user(s: &Scenario, token: &str, args: &[&str]) -> Run {
    s.hotfix_env(&s.work, args, &[("GITHUB_TOKEN", token)])
}

fn status(s: &Scenario) -> serde_json::Value {
    let run = as_user(s, OPERATOR, &["status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()))
}

fn comment_posts(github: &FakeGitHub) -> usize {
    requests_to(github, "POST", &format!("/commits/{HEAD_SHA}/comments"))
}

fn reviews(github: &FakeGitHub) -> usize {
    requests_to(github, "POST", "/pending_deployments")
}

/// Starts the run: release pushed, `release billing` run, the run waiting
/// at the approvals while `deploy-production` waits on `production`.
fn at_the_gate(s: &Scenario, github: &FakeGitHub) {
    configure_runbook(s, github);
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"forge\"\n");
    let run = as_user(s, OPERATOR, &["start", "--fix", &s.f, "--yes"]);
    assert!(
        run.all().contains("tech-lead"),
        "waits for the approvals: {}",
        run.all()
    );
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(status(s)["missing_roles"], serde_json::json!(["tech-lead", "pm"]));
    // The fake moves the run on as it is read, as time would: the deploy
    // job waits on `production` once it is reached, released by nothing yet.
    let deploy = github.job_status("deploy-production");
    assert!(matches!(deploy.as_deref(), Some("queued" | "waiting")), "{deploy:?}");
    assert_eq!(
        reviews(github),
        0,
        "the deployment is not approved before the gate opens"
    );
}

#[test]
fn two_reviewers_approve_as_two_roles_and_the_deploy_step_releases_the_job() {
    let s = Scenario::new();
    let github = fake(&s);
    at_the_gate(&s, &github);

    let tess = as_user(&s, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    assert_eq!(
        github.job_status("deploy-production").as_deref(),
        Some("waiting"),
        "a comment releases nothing"
    );
    let pat = as_user(&s, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);

    let comments = github.commit_comments();
    let who: Vec<(&str, &str)> = comments.iter().map(|(sha, u, _)| (sha.as_str(), u.as_str())).collect();
    assert_eq!(
        who,
        [(HEAD_SHA, "tess"), (HEAD_SHA, "pat")],
        "one comment each, on the run's head"
    );
    assert!(comments[0].2.ends_with("approved as tech-lead"), "{comments:?}");
    let journal = s.git(&s.work, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"]);
    assert!(journal.contains(r#""username":"tess""#), "{journal}");

    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(
        reviews(&github),
        1,
        "the deploy step approved the pending deployment once"
    );
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("success"));

    let report = as_user(&s, OPERATOR, &["report"]);
    report.expect_code(0);
    assert!(
        report.stdout.contains("verified: recorded by GitHub (user @tess")
            && report.stdout.contains("verified: recorded by GitHub (user @pat"),
        "{}",
        report.stdout
    );
    let verify = as_user(&s, OPERATOR, &["verify"]);
    verify.expect_code(0);
    for out in [&tess, &pat, &run, &report, &verify] {
        for token in [OPERATOR, TESS, PAT] {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
    for (_, _, body) in &comments {
        assert!(![OPERATOR, TESS, PAT].iter().any(|t| body.contains(t)), "{body}");
    }
    assert_described(&github);
}

#[test]
fn a_user_who_is_no_required_reviewer_is_refused_with_nothing_posted() {
    let s = Scenario::new();
    let github = fake(&s);
    at_the_gate(&s, &github);
    let mallory = as_user(&s, MALLORY, &["approve", "--role", "pm"]);
    assert_ne!(mallory.code, 0, "{}", mallory.all());
    assert!(
        mallory
            .stderr
            .contains("not a required reviewer of environment `production`"),
        "{}",
        mallory.stderr
    );
    assert!(!mallory.all().contains(MALLORY), "{}", mallory.all());
    assert_eq!(comment_posts(&github), 0, "nothing posted");
    assert_eq!(status(&s)["missing_roles"], serde_json::json!(["tech-lead", "pm"]));
    assert_described(&github);
}

#[test]
fn one_reviewer_for_two_roles_counts_once() {
    let s = Scenario::new();
    let github = fake(&s);
    at_the_gate(&s, &github);
    as_user(&s, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    let again = as_user(&s, TESS, &["approve", "--role", "pm"]);
    assert_ne!(again.code, 0, "{}", again.all());
    assert!(
        again.stderr.contains("@tess") && again.stderr.contains("already approved as tech-lead"),
        "{}",
        again.stderr
    );
    assert_eq!(comment_posts(&github), 1, "nothing posted the second time");
    assert_eq!(status(&s)["missing_roles"], serde_json::json!(["pm"]));
    as_user(&s, OPERATOR, &["continue", "--yes"]).expect_code(3);
    assert_eq!(reviews(&github), 0, "the environment is not approved");
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("waiting"));
}

#[test]
fn forged_approved_entries_of_a_reviewer_who_never_commented_and_a_commenter_who_reviews_nothing_do_not_open_the_gate()
{
    let s = Scenario::new();
    let github = fake(&s);
    at_the_gate(&s, &github);
    as_user(&s, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    let environment = github.add_environment("production");
    let run_id = crate::common::forge::run_id(&s);
    // Mallory, who reviews nothing, comments on the commit as an approval would.
    let mallory = Client::new(
        &github.api_url(),
        Auth::GitHub(Token::new(MALLORY)),
        ClientOptions::default(),
        Arc::new(SystemClock),
    )
    .expect("a loopback URL is a base");
    let comment = format!("git-hotfix run {run_id}: approved as pm");
    mallory
        .send(&Call::post(
            format!("/repos/fleet/billing/commits/{HEAD_SHA}/comments"),
            serde_json::json!({ "body": comment }),
        ))
        .expect("GitHub takes anyone's commit comment");

    // Someone who can push refs/hotfix/* claims Pat (a reviewer, who never
    // commented) and Mallory (who commented, and is no reviewer) approved as pm.
    let forged = |id: u64, username: &str, ident: &str| {
        let comment = comment.clone();
        let ident = ident.to_string();
        let username = username.to_string();
        move |release: &str| {
            serde_json::json!({
                "event": "approved",
                "approval": {
                    "role": "pm",
                    "ident": ident,
                    "at": 1_800_000_000,
                    "release_tip": release,
                    "forge": {
                        "deployment": environment,
                        "user": { "id": id, "username": username },
                        "status": "approved",
                        "created_at": "2026-12-01T15:00:00Z",
                        "comment": comment,
                    },
                },
            })
        }
    };
    let pat = forged(8, "pat", "Pat <pat@example.com>");
    let mallory = forged(66, "mallory", "Mallory <mallory@example.com>");
    forge_entries(&s, |release| vec![pat(release), mallory(release)]);
    let st = status(&s);
    assert_eq!(st["missing_roles"], serde_json::json!(["pm"]), "{st}");
    let run = as_user(&s, OPERATOR, &["continue", "--yes"]);
    run.expect_code(3);
    assert!(
        run.all().contains("the forge holds no approval")
            && run.all().contains("@pat")
            && run.all().contains("@mallory"),
        "{}",
        run.all()
    );
    assert_eq!(reviews(&github), 0);
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("waiting"));
}

/// Once the deploy job went past `production`, GitHub lists no pending
/// deployment: the approvals are read against the environment's required
/// reviewers ("Get an environment", its `required_reviewers` protection
/// rule), so every later gate still counts them.
#[test]
fn approvals_still_count_once_the_deploy_job_went_past_the_environment() {
    let s = Scenario::new();
    let github = fake(&s);
    at_the_gate(&s, &github);
    as_user(&s, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    as_user(&s, PAT, &["approve", "--role", "pm"]).expect_code(0);
    as_user(&s, OPERATOR, &["continue", "--yes"]).expect_code(0);
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("success"));

    let st = status(&s);
    assert_eq!(
        st["missing_roles"],
        serde_json::json!([]),
        "{}",
        st["approvals_not_counted"]
    );
    assert!(
        requests_to(&github, "GET", "/environments/production") > 0,
        "the reviewers are read from the environment"
    );
    let report = as_user(&s, OPERATOR, &["report"]);
    assert!(
        report.stdout.contains("verified: recorded by GitHub (user @tess")
            && report.stdout.contains("verified: recorded by GitHub (user @pat"),
        "{}",
        report.stdout
    );
    assert_described(&github);
}
