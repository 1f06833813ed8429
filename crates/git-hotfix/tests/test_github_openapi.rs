//! The GitHub client's runbook calls against the fake GitHub (real HTTP on
//! loopback, time through an injected clock, so nothing sleeps), and both
//! checked against GitHub's OpenAPI description (`@octokit/openapi`, the
//! subset in crates/hotfix-testkit/openapi/github-subset.json): every route
//! of the fake is a described operation, and every request each test's
//! client sent names a described path, query parameters and body fields,
//! the required ones included.

use std::collections::BTreeMap;
use std::sync::Arc;

use hotfix::forge::github::actions::{Dispatch, Review};
use hotfix::forge::github::collaboration::{NewPullRequest, NewRelease};
use hotfix::forge::github::GitHub;
use hotfix::forge::{Auth, Call, Client, Token};
use hotfix_testkit::forge_github::{FakeGitHub, FakeJob, API_PREFIX, LOG_DOWNLOAD_ROUTE};
use hotfix_testkit::openapi::Subset;

use super::test_forge_client::{options, RecordingClock};

const TOKEN: &str = "ghp_S3CRETgithubfaketoken";
const PROJECT: &str = "fleet/billing";

fn github(fake: &FakeGitHub, token: &str) -> (GitHub, Arc<RecordingClock>) {
    let clock = Arc::new(RecordingClock::default());
    let client = Client::new(
        &fake.api_url(),
        Auth::GitHub(Token::new(token)),
        options(),
        clock.clone(),
    )
    .expect("a loopback URL is a base");
    (GitHub::new(client, PROJECT).expect("owner/repo"), clock)
}

/// Fails unless every API request the fake received is an operation of the
/// subset with described fields; the log download (no token) is not the API.
pub(crate) fn assert_described(fake: &FakeGitHub) {
    let subset = Subset::github();
    let mut wrong = Vec::new();
    for request in fake.requests() {
        if request.path.starts_with("/_signed/") {
            assert_eq!(
                request.header("authorization"),
                None,
                "the token went to the signed URL"
            );
            continue;
        }
        wrong.extend(subset.request_violations(&request, API_PREFIX));
    }
    assert!(
        wrong.is_empty(),
        "requests the OpenAPI description does not have:\n{}",
        wrong.join("\n")
    );
}

/// Polls the run until it completes; each read moves the fake's run on.
fn follow(github: &GitHub, run_id: u64) -> hotfix::forge::github::actions::WorkflowRun {
    for _ in 0..20 {
        let run = github.workflow_run(run_id).expect("the run is there");
        if run.is_completed() {
            return run;
        }
    }
    panic!("run {run_id} did not complete in 20 polls");
}

#[test]
fn every_route_of_the_fake_github_is_an_operation_of_the_description() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    let subset = Subset::github();
    let mut wrong = Vec::new();
    for route in fake.server().routes() {
        if route.path == LOG_DOWNLOAD_ROUTE {
            continue;
        }
        assert!(
            route.doc.contains("docs.github.com/rest/"),
            "{} {} names no docs page",
            route.method,
            route.path
        );
        wrong.extend(subset.route_violation(route, API_PREFIX));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // And every operation of the subset has its route: nothing described is left unfaked.
    for op in &subset.operations {
        let faked = fake.server().routes().iter().any(|r| {
            r.method == op.method
                && subset
                    .operation(&r.method, &r.path[API_PREFIX.len()..].replace(':', ""))
                    .is_some()
        });
        assert!(faked, "{} {} has no route in the fake", op.method, op.path);
    }
}

#[test]
fn production_is_the_newest_deployment_whose_latest_status_is_success() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    let good = fake.add_deployment(
        "production",
        "1111111111111111111111111111111111111111",
        &["in_progress", "success"],
    );
    fake.add_deployment(
        "production",
        "2222222222222222222222222222222222222222",
        &["success", "failure"],
    );
    fake.add_deployment("staging", "3333333333333333333333333333333333333333", &["success"]);
    let (github, _) = github(&fake, TOKEN);

    let production = github
        .production_deployment("production")
        .expect("answers")
        .expect("one succeeded");
    assert_eq!(production.sha, "1111111111111111111111111111111111111111");
    assert_eq!(production.id, good);
    assert!(
        production
            .url
            .ends_with(&format!("/repos/fleet/billing/deployments/{good}")),
        "{}",
        production.url
    );
    assert_eq!(
        production.environment_url.as_deref(),
        Some("https://production.example.com")
    );
    assert_eq!(github.production_deployment("qa").expect("answers"), None);

    let asked = fake.requests();
    assert_eq!(asked[0].query.as_deref(), Some("environment=production&per_page=100"));
    assert_eq!(
        asked[1].query.as_deref(),
        Some("per_page=1"),
        "only the latest status is read"
    );
    assert_described(&fake);
}

#[test]
fn a_dispatched_workflow_is_followed_to_success_and_sent_once() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    fake.add_workflow(
        "release.yml",
        vec![FakeJob::passing("build"), FakeJob::passing("release billing")],
    );
    let (github, clock) = github(&fake, TOKEN);
    // The first run is older than the injected clock's now, the second newer.
    fake.set_now("1994-11-06T08:40:00Z");
    let inputs = BTreeMap::from([
        ("action".to_string(), "deploy-release-branch-to-staging".to_string()),
        ("confirm".to_string(), "true".to_string()),
    ]);

    let Dispatch::Run { run_id, html_url } = github
        .dispatch_workflow("release.yml", "release", &inputs)
        .expect("dispatched")
    else {
        panic!("the fake returns run details");
    };
    assert!(html_url.is_some_and(|u| u.ends_with(&format!("/actions/runs/{run_id}"))));
    let first = github.run_jobs(run_id).expect("jobs");
    assert!(first.iter().all(|j| j.status == "queued"), "{first:?}");
    let run = follow(&github, run_id);
    assert!(run.succeeded(), "{run:?}");
    let jobs = github.run_jobs(run_id).expect("jobs");
    assert_eq!(
        jobs.iter()
            .map(|j| (j.name.as_str(), j.conclusion.as_deref()))
            .collect::<Vec<_>>(),
        [("build", Some("success")), ("release billing", Some("success"))]
    );
    assert_eq!(fake.runs().len(), 1, "one dispatch, one run");
    let (_, workflow, git_ref, sent) = &fake.runs()[0];
    assert_eq!((workflow.as_str(), git_ref.as_str()), ("release.yml", "release"));
    assert_eq!(sent["action"], "deploy-release-branch-to-staging");
    assert!(
        clock.sleeps().is_empty(),
        "following a run does not sleep in the client"
    );

    // A server without `return_run_details` answers 204: the run is found by listing.
    fake.without_run_details();
    fake.set_now("1994-11-06T08:49:40Z");
    let Dispatch::Accepted { dispatched_at } = github
        .dispatch_workflow("release.yml", "release", &inputs)
        .expect("dispatched")
    else {
        panic!("204 names no run");
    };
    assert_eq!(
        dispatched_at, "1994-11-06T08:49:37Z",
        "the dispatch time is the injected clock's"
    );
    // By id, after the newest run listed before the dispatch, whatever the clocks say.
    let found = github
        .find_dispatched_run("release.yml", "release", &dispatched_at, Some(fake.runs()[0].0))
        .expect("lists");
    assert_eq!(found, Some(fake.runs()[1].0));
    // By time alone, a run up to ten minutes older than this clock's dispatch counts.
    let by_time = github
        .find_dispatched_run("release.yml", "release", &dispatched_at, None)
        .expect("lists");
    assert_eq!(
        by_time,
        Some(fake.runs()[0].0),
        "the first dispatch is within the skew too"
    );
    assert_eq!(
        github
            .find_dispatched_run("release.yml", "other", &dispatched_at, None)
            .expect("lists"),
        None
    );
    assert_described(&fake);
}

#[test]
fn a_deployment_waiting_on_reviewers_is_approved_and_a_rejected_one_fails_with_its_log() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    fake.add_workflow(
        "deploy.yml",
        vec![
            FakeJob::passing("build"),
            FakeJob::passing("deploy-production").deploying_to("production"),
        ],
    );
    fake.add_workflow(
        "broken.yml",
        vec![FakeJob::failing(
            "deploy-production",
            "pulling image\nmigrating\nerror: migration 42 failed\n",
        )],
    );
    let (github, _) = github(&fake, TOKEN);
    let Dispatch::Run { run_id, .. } = github
        .dispatch_workflow("deploy.yml", "release", &BTreeMap::new())
        .expect("dispatched")
    else {
        panic!("run details");
    };
    let mut waiting = None;
    for _ in 0..10 {
        if github.workflow_run(run_id).expect("run").status.as_deref() == Some("waiting") {
            waiting = Some(github.pending_deployments(run_id).expect("pending"));
            break;
        }
    }
    let pending = waiting.expect("the deploy job waits on the environment's reviewers");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].environment, "production");
    assert!(pending[0].current_user_can_approve);
    assert_eq!(
        github.workflow_run(run_id).expect("run").status.as_deref(),
        Some("waiting"),
        "nothing deploys before approval"
    );
    let reviewed = github
        .review_pending_deployments(
            run_id,
            &[pending[0].environment_id],
            Review::Approved,
            "hotfix 1.4.1: tech lead",
        )
        .expect("approved");
    assert_eq!(reviewed[0].environment, "production");
    assert!(
        github.pending_deployments(run_id).expect("pending").is_empty(),
        "approved, no longer pending"
    );
    assert!(follow(&github, run_id).succeeded());

    let Dispatch::Run { run_id, .. } = github
        .dispatch_workflow("broken.yml", "release", &BTreeMap::new())
        .expect("dispatched")
    else {
        panic!("run details");
    };
    let run = follow(&github, run_id);
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    let failed = github
        .run_jobs(run_id)
        .expect("jobs")
        .into_iter()
        .find(|j| j.conclusion.as_deref() == Some("failure"));
    let tail = github
        .job_log_tail(failed.expect("a failed job").id, 2)
        .expect("the log");
    assert_eq!(tail, "migrating\nerror: migration 42 failed");
    assert_described(&fake);
}

#[test]
fn a_pull_request_already_open_for_the_branch_is_adopted_and_labelled() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    let existing = fake.add_open_pull("hotfix/1.4.1", "main");
    let (github, _) = github(&fake, TOKEN);
    let new = NewPullRequest {
        title: "HOTFIX: payments rounding".into(),
        body: "**URGENT PRODUCTION FIX**".into(),
        head: "hotfix/1.4.1".into(),
        base: "main".into(),
        draft: false,
        labels: vec!["URGENT".into()],
    };
    let adopted = github.open_pull_request(&new).expect("adopted");
    assert!(adopted.adopted);
    assert_eq!(adopted.number, existing);
    assert_eq!(fake.pulls().len(), 1, "never a second pull request for the branch");
    assert_eq!(fake.labels(existing), ["URGENT"]);

    let fresh = github
        .open_pull_request(&NewPullRequest {
            head: "backport/main-1.4.1".into(),
            draft: true,
            ..new
        })
        .expect("opened");
    assert!(!fresh.adopted);
    assert!(fresh
        .html_url
        .ends_with(&format!("/fleet/billing/pull/{}", fresh.number)));
    assert_eq!(fake.labels(fresh.number), ["URGENT"]);

    // A resolved backport: the conflict labels off, the clean ones on; again changes nothing.
    let (backport, conflicts) = ("backport".to_string(), "conflicts".to_string());
    github
        .add_labels(fresh.number, &[backport.clone(), conflicts.clone()])
        .expect("labelled");
    let forge: &dyn hotfix::forge::Forge = &github;
    for _ in 0..2 {
        forge
            .relabel_merge_request(
                fresh.number,
                std::slice::from_ref(&conflicts),
                &["auto-backport".to_string()],
            )
            .expect("relabelled");
        assert_eq!(fake.labels(fresh.number), ["URGENT", "backport", "auto-backport"]);
    }
    assert_described(&fake);
}

#[test]
fn an_incident_issue_gets_comments_and_a_release_is_not_made_latest() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    let (github, _) = github(&fake, TOKEN);
    let issue = github
        .create_issue(
            "Incident: payments rounding",
            "Severity: CRITICAL",
            &["incident".to_string()],
        )
        .expect("created");
    assert_eq!(fake.labels(issue.number), ["incident"]);
    let comment = github
        .comment_on_issue(issue.number, "released to production")
        .expect("commented");
    assert_eq!(
        fake.comments(),
        [(issue.number, comment.id, "released to production".to_string())]
    );

    let release = github
        .create_release(&NewRelease {
            tag: "v1.4.1".into(),
            name: "v1.4.1".into(),
            body: "HOTFIX: payments rounding".into(),
            latest: false,
        })
        .expect("released");
    assert_eq!(release.tag_name, "v1.4.1");
    assert_eq!(
        fake.releases(),
        [(release.id, "v1.4.1".to_string(), "false".to_string())]
    );
    let again = github
        .create_release(&NewRelease {
            tag: "v1.4.1".into(),
            latest: true,
            ..NewRelease::default()
        })
        .expect_err("a tag has one release");
    assert_eq!(
        again.to_string(),
        "POST /repos/fleet/billing/releases answered HTTP 422: Validation Failed (see https://docs.github.com/rest/releases/releases#create-a-release)"
    );
    assert_described(&fake);
}

#[test]
fn refusals_name_the_request_and_never_the_token() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    fake.add_workflow("release.yml", vec![FakeJob::passing("build")]);
    let (wrong, _) = github(&fake, "ghp_WRONGtoken0000");
    let err = wrong.production_deployment("production").expect_err("bad credentials");
    assert_eq!(
        err.to_string(),
        "GET /repos/fleet/billing/deployments answered HTTP 401: Bad credentials (see https://docs.github.com/rest)"
    );
    assert!(!format!("{err:?}").contains("ghp_WRONG"), "{err:?}");

    // What the client never sends, GitHub refuses: a dispatch without `ref`.
    let client = Client::new(
        &fake.api_url(),
        Auth::GitHub(Token::new(TOKEN)),
        options(),
        Arc::new(RecordingClock::default()),
    )
    .expect("base");
    let err = client
        .send(&Call::post(
            "/repos/fleet/billing/actions/workflows/release.yml/dispatches",
            serde_json::json!({ "inputs": {} }),
        ))
        .expect_err("422");
    assert_eq!(err.status(), Some(422));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "POST /repos/fleet/billing/actions/workflows/release.yml/dispatches answered HTTP 422: Invalid request."
        ),
        "{text}"
    );
    assert!(text.contains("`ref`") && !text.contains(TOKEN), "{text}");
    assert!(fake.runs().is_empty(), "a refused dispatch starts nothing");
    // A method GitHub does not have on the path: 404, as GitHub answers.
    let err = client
        .send(&Call {
            method: hotfix::forge::Method::Delete,
            ..Call::get("/repos/fleet/billing/pulls")
        })
        .expect_err("404");
    assert_eq!(
        err.to_string(),
        "DELETE /repos/fleet/billing/pulls answered HTTP 404: Not Found (see https://docs.github.com/rest)"
    );
    let seen = fake.requests();
    assert!(seen.iter().all(|r| r.header("authorization").is_some()));
    assert!(Subset::github().request_violations(&seen[1], API_PREFIX)[0].contains("required body field `ref`"));
}

#[test]
fn a_dispatch_is_never_sent_twice_on_a_502_while_reads_are_retried() {
    let fake = FakeGitHub::start(PROJECT, TOKEN);
    fake.add_workflow("release.yml", vec![FakeJob::passing("build")]);
    let (github, clock) = github(&fake, TOKEN);
    fake.fail_next(&[502]);
    let err = github
        .dispatch_workflow("release.yml", "release", &BTreeMap::new())
        .expect_err("502");
    assert_eq!(
        err.to_string(),
        "POST /repos/fleet/billing/actions/workflows/release.yml/dispatches answered HTTP 502"
    );
    assert!(err.is_spurious());
    assert_eq!(
        fake.requests().len(),
        1,
        "a dispatch that may have started a run is not sent again"
    );
    assert!(clock.sleeps().is_empty());

    let Dispatch::Run { run_id, .. } = github
        .dispatch_workflow("release.yml", "release", &BTreeMap::new())
        .expect("dispatched")
    else {
        panic!("run details");
    };
    fake.fail_next(&[502, 503]);
    assert!(github.workflow_run(run_id).is_ok(), "a read is retried");
    assert_eq!(clock.sleeps().len(), 2);
    assert_described(&fake);
}
