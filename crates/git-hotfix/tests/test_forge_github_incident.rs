//! The incident through GitHub, the twin of test_forge_incident: `--incident
//! new` opens one issue labelled `incident` ("Create an issue",
//! docs.github.com/rest/issues/issues#create-an-issue) before the run's
//! record, which carries its page, so a resume from another clone opens no
//! second; each milestone is a comment ("Create an issue comment",
//! docs.github.com/rest/issues/comments#create-an-issue-comment: GitHub has
//! no timeline) naming the run; `finish` adds the report; `--incident 7` or
//! the issue's page adopts an existing one ("Get an issue"), a pull
//! request or another repository's page is refused. Every request is
//! checked against the OpenAPI subset; the token is in no comment.

use std::sync::Arc;

use hotfix::forge::{Auth, Client, Forge, ForgeError, SystemClock, Token};
use hotfix_testkit::forge_github::{FakeGitHub, FakeJob};

use super::test_github_openapi::assert_described;
use crate::common::forge;
use crate::common::github::{configure, env, fake, requests_to, TOKEN};
use crate::common::{Run, Scenario};

fn start(s: &Scenario, incident: &str, extra: &[(&str, &str)]) -> Run {
    forge::start_with_incident(s, &env(), incident, extra)
}

fn finish(s: &Scenario, dir: &std::path::Path) -> Run {
    forge::finish_attested(s, dir, &env())
}

fn posts_to(github: &FakeGitHub, suffix: &str) -> usize {
    requests_to(github, "POST", suffix)
}

#[test]
fn incident_new_is_one_issue_labelled_incident_with_milestone_comments_and_the_report() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    configure(&s, &github);

    let stopped = start(&s, "new", &[("GIT_HOTFIX_INJECT_FAULT", "before:deploy")]);
    assert_eq!(stopped.code, 1, "{}", stopped.all());
    let issues = github.issues();
    assert_eq!(issues.len(), 1, "one incident: {issues:?}");
    let (number, labels) = &issues[0];
    assert_eq!(labels, &["incident".to_string()]);
    let run_id = forge::run_id(&s);

    // Another clone carries the run on: it writes on the same issue.
    let other = s.clone_as("other");
    std::fs::copy(s.work.join("hotfix.toml"), other.join("hotfix.toml")).expect("config");
    let resumed = s.hotfix_env(&other, &["continue", "--yes"], &env());
    resumed.expect_code(0);
    let done = finish(&s, &other);
    done.expect_code(0);
    assert_eq!(github.issues().len(), 1, "no second incident on resume");
    assert_eq!(posts_to(&github, "/fleet/billing/issues"), 1);

    let comments = github.comments();
    assert!(comments.iter().all(|(n, _, _)| n == number), "{comments:?}");
    for milestone in [
        "started",
        "release pushed",
        "deploy job `deploy-production` success",
        "finished",
    ] {
        assert!(
            comments
                .iter()
                .any(|(_, _, body)| body.contains(&format!("hotfix {run_id}")) && body.contains(milestone)),
            "no comment for {milestone}: {comments:#?}"
        );
    }
    let report = comments
        .iter()
        .find(|(_, _, body)| body.contains("git-hotfix report"))
        .expect("finish adds the report");
    assert!(report.2.contains(&run_id), "{}", report.2);
    assert!(!report.2.contains("/timeline"), "GitHub has no quick actions");
    for (_, _, body) in &comments {
        assert!(!body.contains(TOKEN), "the token is in a comment");
        assert!(!body.contains("/timeline"), "no GitLab quick action on GitHub: {body}");
    }

    let json = s.hotfix_env(&other, &["report", "--format", "json"], &env());
    json.expect_code(0);
    let url = format!("{}/fleet/billing/issues/{number}", github.url());
    assert!(json.stdout.contains(&url), "{}", json.stdout);
    assert!(json.stdout.contains("the report is note #"), "{}", json.stdout);
    assert_described(&github);
    for run in [&stopped, &resumed, &done, &json] {
        assert!(!run.all().contains(TOKEN), "the token leaked: {}", run.all());
    }
}

#[test]
fn an_existing_issue_is_adopted_by_number_or_page() {
    for reference in ["7", "PAGE"] {
        let s = Scenario::new();
        let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
        github.add_issue(7, &["incident"]);
        configure(&s, &github);
        let page = format!("{}/fleet/billing/issues/7", github.url());
        let given = if reference == "PAGE" { page.as_str() } else { reference };
        start(&s, given, &[]).expect_code(0);
        assert_eq!(posts_to(&github, "/fleet/billing/issues"), 0, "nothing opened");
        let comments = github.comments();
        assert!(
            !comments.is_empty() && comments.iter().all(|(n, _, _)| *n == 7),
            "{comments:?}"
        );
        assert!(comments.iter().any(|(_, _, b)| b.contains("started")), "{comments:?}");
        assert_described(&github);
    }
}

#[test]
fn a_pull_request_or_an_unknown_issue_stops_start_before_anything() {
    let s = Scenario::new();
    let (github, _) = fake(&s, FakeJob::passing("deploy-production"));
    let pull = github.add_open_pull("hotfix/x", "release");
    configure(&s, &github);
    let run = start(&s, &pull.to_string(), &[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(&format!("incident `{pull}`")) && run.stderr.contains("is pull request"),
        "{}",
        run.stderr
    );
    let unknown = start(&s, "12", &[]);
    unknown.expect_code(1);
    assert!(
        unknown.stderr.contains("incident `12`") && unknown.stderr.contains("404"),
        "{}",
        unknown.stderr
    );
    assert!(github.runs().is_empty(), "nothing dispatched");
    assert!(github.comments().is_empty());
    assert_eq!(s.git(&s.work, &["for-each-ref", "refs/hotfix/runs/"]).trim(), "");
    assert_described(&github);
}

#[test]
fn another_repositorys_issue_page_is_refused_without_a_request() {
    let github = FakeGitHub::start("fleet/billing", TOKEN);
    github.add_issue(7, &[]);
    let client = Client::new(
        &github.api_url(),
        Auth::GitHub(Token::new(TOKEN)),
        hotfix::forge::ClientOptions::default(),
        Arc::new(SystemClock),
    )
    .expect("a loopback URL is a base");
    let forge = hotfix::forge::github::GitHub::new(client, "fleet/billing").expect("owner/repo");
    for other in [
        format!("{}/fleet/payroll/issues/7", github.url()),
        format!("{}/fleet/billing/pull/7", github.url()),
        format!("{}/fleet/billing/-/issues/7", github.url()),
    ] {
        let refused = forge.incident(&other);
        assert!(
            matches!(&refused, Err(ForgeError::BadUrl { url, .. }) if *url == other),
            "{other}: {refused:?}"
        );
    }
    assert!(github.requests().is_empty(), "nothing asked");
    let ours = forge
        .incident(&format!("{}/fleet/billing/issues/7", github.url()))
        .expect("this repository's issue");
    assert_eq!(ours.iid, 7);
    let noted = forge
        .note_incident(&ours, "hotfix x: started", true)
        .expect("a comment");
    assert!(noted.is_some(), "GitHub gives the comment's id");
    assert_eq!(
        github.comments()[0].2,
        "hotfix x: started",
        "a timeline event is a plain comment"
    );
}
