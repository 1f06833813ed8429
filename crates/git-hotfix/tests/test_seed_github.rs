//! The whole seed 000/001 runbook in one run, against the test kit's fake
//! GitHub and a local production service, the twin of test_seed_gitlab:
//! production from the `production` environment's newest successful
//! deployment ("List deployments", docs.github.com/rest/deployments/deployments#list-deployments),
//! the incident opened as an issue labelled `incident` ("Create an issue",
//! docs.github.com/rest/issues/issues#create-an-issue), `release.yml`
//! dispatched once with the three guided inputs ("Create a workflow
//! dispatch event", docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event),
//! its `release billing` job followed, two reviewers approving as two roles
//! with commit comments ("Create a commit comment",
//! docs.github.com/rest/commits/comments#create-a-commit-comment), the
//! waiting deploy job's pending deployment approved once ("Review pending
//! deployments for a workflow run",
//! docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run)
//! and followed to success, production verified over HTTP, a smoke check,
//! `finish`, and the issue's comments in the order it happened. The pieces
//! are tested one by one in test_forge_github, test_forge_github_approvals
//! and test_forge_github_incident; this is them composed. Every request is
//! checked against the OpenAPI subset.

use hotfix_testkit::forge_github::{FakeGitHub, FakeJob, FakeUser, ReleaseDeploy};

use super::test_github_openapi::assert_described;
use crate::common::forge;
use crate::common::github::{configure as configure_runbook, fake as runbook, requests_to, TOKEN};
use crate::common::service::Service;
use crate::common::{Run, Scenario};

const TESS: &str = "ghp_tess_S3CRETseed";
const PAT: &str = "ghp_pat_S3CRETseed";
const TOKENS: [&str; 3] = [TOKEN, TESS, PAT];

/// Seed 000/001's GitHub whose `deploy-production` deploys to `production`
/// (reviewers Olly, Tess and Pat) and ships release to `service`; returns
/// the fake and production's deployment id.
fn fake(s: &Scenario, service: &Service) -> (FakeGitHub, u64) {
    let (github, production) = runbook(s, FakeJob::passing("deploy-production"));
    github.add_user(FakeUser::reviewer(TESS, 7, "tess"));
    github.add_user(FakeUser::reviewer(PAT, 8, "pat"));
    github.deploys(ReleaseDeploy {
        job: "deploy-production".into(),
        origin: s.origin.clone(),
        branch: "release".into(),
        sha_file: service.sha_file.clone(),
    });
    (github, production)
}

fn as_user(s: &Scenario, token: &str, args: &[&str]) -> Run {
    s.hotfix_env(&s.work, args, &[("GITHUB_TOKEN", token)])
}

#[test]
fn seed_000_001_the_whole_runbook_through_github_in_one_run() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let (github, production) = fake(&s, &service);
    configure_runbook(&s, &github);
    forge::configure_verified(&s, &service);

    let plan = as_user(&s, TOKEN, &["plan", "--fix", &s.f]);
    plan.expect_code(0);
    assert!(
        plan.stdout
            .contains(&format!("github environment `production` deployment #{production}")),
        "the plan shows production from the environment's newest successful deployment: {}",
        plan.stdout
    );
    let start = as_user(&s, TOKEN, &["start", "--fix", &s.f, "--yes", "--incident", "new"]);
    assert!(
        start.all().contains("tech-lead") && start.all().contains("pm"),
        "start waits for the approvals: {}",
        start.all()
    );
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let id = forge::run_id(&s);
    let issues = github.issues();
    assert_eq!(issues.len(), 1, "one incident opened: {issues:?}");
    assert_eq!(issues[0].1, ["incident"]);
    assert_eq!(requests_to(&github, "POST", "/fleet/billing/issues"), 1);

    // The release workflow, dispatched once, with exactly the three guided inputs, as strings.
    let dispatches: Vec<_> = github
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/dispatches"))
        .collect();
    assert_eq!(dispatches.len(), 1, "exactly one dispatch");
    assert_eq!(
        dispatches[0].path,
        "/api/v3/repos/fleet/billing/actions/workflows/release.yml/dispatches"
    );
    let body: serde_json::Value = serde_json::from_slice(&dispatches[0].body).expect("JSON body");
    assert_eq!(body["ref"], "main", "{body}");
    assert_eq!(
        body["inputs"],
        serde_json::json!({
            "action": "deploy-release-branch-to-staging",
            "project": "fleet/billing",
            "confirm": "true",
        }),
        "{body}"
    );
    assert_eq!(github.job_status("release billing").as_deref(), Some("success"));
    // The fake moves the run on as it is read: the deploy job waits on
    // `production` once reached, released by nothing yet.
    let deploy = github.job_status("deploy-production");
    assert!(matches!(deploy.as_deref(), Some("queued" | "waiting")), "{deploy:?}");
    assert_eq!(service.reported(), s.p, "production still runs P");

    let tess = as_user(&s, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    let pat = as_user(&s, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);
    let who: Vec<String> = github.commit_comments().into_iter().map(|(_, user, _)| user).collect();
    assert_eq!(who, ["tess", "pat"], "one commit comment each");
    assert_eq!(
        requests_to(&github, "POST", "/pending_deployments"),
        0,
        "a comment releases nothing"
    );

    let run = as_user(&s, TOKEN, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(
        requests_to(&github, "POST", "/pending_deployments"),
        1,
        "the deploy step approved the pending deployment once"
    );
    assert_eq!(github.job_status("deploy-production").as_deref(), Some("success"));
    assert!(
        run.all().contains("running -> success"),
        "progress lines: {}",
        run.all()
    );
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(service.reported(), release, "production runs the release commit");
    assert!(run.all().contains("verify-production"), "{}", run.all());
    let (deployed, environment, sha, statuses) = github.deployments().last().cloned().expect("deployments");
    assert_eq!(
        (environment.as_str(), sha.as_str(), statuses.last().map(String::as_str)),
        ("production", release.as_str(), Some("success")),
        "the deploy made production's newest successful deployment"
    );
    // The environment now reads the release: with the deploy tag still on
    // P, a new plan sees the two sources disagree.
    let replanned = as_user(&s, TOKEN, &["plan", "--fix", &s.f]);
    assert_ne!(replanned.code, 0, "{}", replanned.all());
    assert!(
        replanned.stderr.contains(&format!(
            "github environment `production` deployment #{deployed} ({}/fleet/billing/deployments/production) says {}",
            github.url(),
            &release[..7]
        )),
        "{}",
        replanned.stderr
    );

    let finish = as_user(&s, TOKEN, &["finish", "--force"]);
    finish.expect_code(0);

    // The incident: each milestone a comment, in order; `finish` adds the
    // report before its own milestone.
    let comments: Vec<String> = github
        .comments()
        .into_iter()
        .map(|(n, _, body)| {
            assert_eq!(n, issues[0].0, "every comment on the incident");
            body
        })
        .collect();
    let short = &release[..7];
    let mut expected = forge::milestones(&id, short);
    expected.insert(6, format!("## git-hotfix report: run {id}"));
    assert_eq!(
        comments.len(),
        expected.len(),
        "the milestones and the report: {comments:#?}"
    );
    for (comment, milestone) in comments.iter().zip(&expected) {
        assert!(
            comment.starts_with(milestone.as_str()),
            "`{milestone}` expected, got {comment}"
        );
    }
    assert!(
        comments[6].contains("- [ok] every approval role signed off"),
        "the report holds the evidence: {}",
        comments[6]
    );

    let report = forge::report_all_ok(&s, &[("GITHUB_TOKEN", TOKEN)]);
    let (run_id, ..) = github.runs()[0].clone();
    let jobs = github.jobs();
    let page = |name: &str| jobs.iter().find(|j| j.1 == name).expect("job").3.clone();
    forge::assert_names(
        &report,
        &[
            format!("{}/fleet/billing/actions/runs/{run_id}", github.url()),
            page("release billing"),
            page("deploy-production"),
            format!("{}/fleet/billing/issues/{}", github.url(), issues[0].0),
        ],
    );
    assert!(
        report.stdout.contains(&format!("deployment #{production}")),
        "the production evidence names the deployment: {}",
        report.stdout
    );

    assert_described(&github);
    let bodies: Vec<String> = github.requests().iter().map(|r| r.text()).collect();
    let outputs = [plan, start, tess, pat, run, replanned, finish, report];
    forge::assert_no_token_anywhere(&s, &id, &TOKENS, &outputs, &bodies);
}

/// Seed 003 through GitHub in one run: the worker's hotfix branch from its
/// production tag, the PATCH bump and the CHANGELOG row, the `review` pull
/// request into main labelled URGENT ("Create a pull request",
/// docs.github.com/rest/pulls/pulls#create-a-pull-request; "Add labels to an
/// issue"), the tech-lead's approval, the annotated tag
/// `worker/prod-v0.1.1`, its GitHub Release marked latest on the newest
/// line ("Create a release",
/// docs.github.com/rest/releases/releases#create-a-release), the deploy, a
/// smoke check, and `finish` with every evidence item ok.
#[test]
fn seed_003_from_tag_through_github_in_one_run() {
    use crate::test_forge_requests::{
        assert_one_release, evidence_item, github_forge, step_names, Fixture, GITHUB_TOKEN,
    };

    let mut f = Fixture::new(false, false);
    let github = FakeGitHub::start("fleet/worker", GITHUB_TOKEN);
    f.env = vec![("GITHUB_TOKEN", GITHUB_TOKEN)];
    f.configure(&format!(
        "{}\n[approvals]\nroles = [\"tech-lead\"]\nverify = \"none\"\n\n\
         [[smoke]]\nname = \"the release is the hotfix tag on origin\"\n\
         command = 'test \"$(git ls-remote origin \"refs/tags/worker/prod-v0.1.1^{{}}\" | cut -f1)\" = \"$HOTFIX_RELEASE_SHA\"'\n",
        github_forge(&github)
    ));
    let tag_before = f.origin_ref("refs/tags/worker/prod-v0.1.0").expect("production tag");

    let plan = f.hotfix(&["plan", "--product", "worker", "--fix", &f.fix, "--json"], &[]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let steps = step_names(&plan);
    for step in [
        "push-hotfix-branch",
        "review",
        "approvals",
        "tag",
        "forge-release",
        "merge-main",
        "deploy",
    ] {
        assert!(steps.iter().any(|s| s == step), "{step} in {steps:?}");
    }

    let start = f.hotfix(&["start", "--product", "worker", "--fix", &f.fix, "--yes"], &[]);
    start.expect_code(0);
    assert!(
        start.all().contains("tech-lead"),
        "start waits for the approval: {}",
        start.all()
    );
    // The hotfix branch: from the production tag, the fix, the bump and the CHANGELOG row.
    let branch = "refs/heads/hotfix/worker-v0.1.1";
    let head = f.origin_ref(branch).expect("the hotfix branch is pushed");
    let tagged = f.git(&f.origin, &["rev-parse", "worker/prod-v0.1.0^{commit}"]);
    let base = f.git(&f.origin, &["merge-base", &tagged, &head]);
    assert_eq!(base.trim(), tagged.trim(), "the branch starts at the production tag");
    let pubspec = f.git(&f.origin, &["show", &format!("{head}:apps/worker/pubspec.yaml")]);
    assert!(pubspec.contains("version: 0.1.1+"), "PATCH + 1: {pubspec}");
    let changelog = f.git(&f.origin, &["show", &format!("{head}:apps/worker/CHANGELOG.md")]);
    let rows: Vec<&str> = changelog.lines().filter(|l| l.starts_with("| 20")).collect();
    assert!(
        rows.len() == 2 && rows[0].contains("| 0.1.1 | HOTFIX: ") && rows[1].contains("| 0.1.0 |"),
        "the hotfix's row on top: {changelog}"
    );
    // The review pull request, once, labelled URGENT; no tag before the approval.
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(
        (pulls[0].1.as_str(), pulls[0].2.as_str()),
        ("hotfix/worker-v0.1.1", "main")
    );
    assert_eq!(github.labels(pulls[0].0), ["URGENT"]);
    let created: Vec<_> = github
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/pulls"))
        .collect();
    let body: serde_json::Value = serde_json::from_slice(&created[0].body).expect("JSON body");
    assert_eq!(body["title"], "HOTFIX: fix(worker): do not crash at start", "{body}");
    assert!(
        f.origin_ref("refs/tags/worker/prod-v0.1.1").is_none(),
        "no tag before the approval"
    );
    assert!(github.releases().is_empty());

    let approve = f.hotfix(
        &["approve", "--role", "tech-lead"],
        &[
            ("GIT_COMMITTER_NAME", "Tess Lead"),
            ("GIT_COMMITTER_EMAIL", "tess@example.com"),
        ],
    );
    approve.expect_code(0);
    let run = f.hotfix(&["continue", "--yes"], &[]);
    run.expect_code(0);

    // The annotated tag, its release marked latest, main has the fix; the old tag stays.
    let tag = f.git(&f.origin, &["cat-file", "-t", "refs/tags/worker/prod-v0.1.1"]);
    assert_eq!(tag.trim(), "tag", "an annotated tag");
    let tip = f.git(&f.origin, &["rev-parse", "worker/prod-v0.1.1^{commit}"]);
    let on_main = f.git(
        &f.origin,
        &["merge-base", "--is-ancestor", tip.trim(), "refs/heads/main"],
    );
    assert_eq!(on_main.trim(), "", "the tagged commit is on main");
    assert_eq!(f.origin_ref("refs/tags/worker/prod-v0.1.0"), Some(tag_before));
    assert_one_release(&github, "true", "the newest line's release is the latest");
    assert!(run.all().contains("smoke"), "{}", run.all());

    let report = f.report();
    let missing: Vec<String> = report["evidence"]
        .as_array()
        .expect("evidence items")
        .iter()
        .filter(|i| i["status"] != "ok")
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect();
    // The steps proved the rest (review, approval, tag, release, merge,
    // deploy, smoke); what no step proves, a person attests, then finish.
    assert_eq!(
        missing,
        [
            "fix-tested",
            "commit-message",
            "monitored",
            "users-notified",
            "incident-documented"
        ],
        "{report}"
    );
    for item in &missing {
        let attested = f.hotfix(&["attest", item, "--detail", "checked by hand"], &[]);
        attested.expect_code(0);
    }
    let finish = f.hotfix(&["finish", "--force"], &[]);
    finish.expect_code(0);
    let report = f.report();
    for item in report["evidence"].as_array().expect("evidence items") {
        assert_eq!(item["status"], "ok", "{item}");
    }
    for (id, shows) in [
        (
            "review-requested",
            format!("{}/fleet/worker/pull/{}", github.url(), pulls[0].0),
        ),
        (
            "github-release",
            format!("{}/fleet/worker/releases/tag/worker/prod-v0.1.1", github.url()),
        ),
        ("approval-obtained", "tech-lead".to_string()),
        ("tag-pushed", "annotated tag".to_string()),
    ] {
        let item = evidence_item(&report, id);
        assert!(
            item["detail"].as_str().is_some_and(|d| d.contains(&shows)),
            "{id}: {item}"
        );
    }
    assert_described(&github);
    f.assert_no_token(GITHUB_TOKEN, &[&start, &approve, &run, &finish]);
}
