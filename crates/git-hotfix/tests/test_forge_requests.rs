//! Seed 003 step 6 and the release of the new tag through the forge: a
//! from-tag run with `[forge]` opens the review request of the hotfix
//! branch into main (`HOTFIX: <summary>`, labelled `URGENT`), and of the
//! backport branch when main moved on, and creates the forge's release of
//! the tag it pushed. A request already open for the same branches is
//! adopted (GitLab 409, GitHub 422), never doubled, and so is a release the
//! tag already has; a crash between the forge's answer and the journal
//! entry converges on the same request and release on `continue`.
//!
//! The fakes stand for GitLab's doc/api/merge_requests.md and
//! doc/api/releases/index.md, and GitHub's "Create a pull request",
//! "Create a release" and "Get a release by tag name".

use std::process::Command;

use hotfix_testkit::forge_github::FakeGitHub;
use hotfix_testkit::forge_gitlab::{FakeGitLab, FakeMergeRequest, Setup};
use hotfix_testkit::repo::{pinned, project, Project};

use super::test_github_openapi::assert_described;
use crate::common::{Run, BIN};

const GITLAB_TOKEN: &str = "glpat-S3CRET-forge-requests";
pub(crate) const GITHUB_TOKEN: &str = "ghp_S3CRETforgerequests";

const CONFIG: &str = r#"strategy = "from-tag"
remote = "origin"
[branches]
main = "main"

[products.worker]
tag = "worker/prod-v{version}"
version_files = ["apps/worker/pubspec.yaml"]
changelog = "apps/worker/CHANGELOG.md"

[deploy]
command = "true"
"#;

const CHANGELOG: &str =
    "# Worker changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n| 2026-02-01 | 0.1.0 | First release |\n";

/// A worker tagged `worker/prod-v0.1.0` (and, with `newer_line`,
/// `worker/prod-v0.2.0` after it), and a fix of its crash on main;
/// with `main_moves`, an unrelated commit on main before the fix.
pub(crate) struct Fixture {
    repo: Project,
    pub(crate) fix: String,
    pub(crate) env: Vec<(&'static str, &'static str)>,
}

impl std::ops::Deref for Fixture {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.repo
    }
}

impl Fixture {
    pub(crate) fn new(main_moves: bool, newer_line: bool) -> Fixture {
        let repo = project()
            .file("apps/worker/pubspec.yaml", "name: worker\nversion: 0.1.0+5\n")
            .file("apps/worker/CHANGELOG.md", CHANGELOG)
            .file(
                "apps/worker/lib/main.dart",
                "void main() {\n  start();\n  crash();\n}\n",
            )
            .build();
        let tagged = repo.commit("release worker 0.1.0");
        repo.annotated_tag("worker/prod-v0.1.0", "worker 0.1.0", &tagged);
        if newer_line {
            repo.write("apps/worker/pubspec.yaml", "name: worker\nversion: 0.2.0+6\n");
            let newer = repo.commit("release worker 0.2.0");
            repo.annotated_tag("worker/prod-v0.2.0", "worker 0.2.0", &newer);
        }
        if main_moves {
            repo.write("apps/worker/lib/feature.dart", "void feature() {}\n");
            repo.commit("feat: unreleased worker feature");
            // The fix is made on a branch of its own from the tag, not yet on main.
            repo.git(&repo.work, &["checkout", "-q", "-b", "fix/worker-crash", &tagged]);
        }
        repo.write("apps/worker/lib/main.dart", "void main() {\n  start();\n}\n");
        let fix = repo.commit("fix(worker): do not crash at start");
        if main_moves {
            repo.push(&["fix/worker-crash"]);
            repo.git(&repo.work, &["checkout", "-q", "main"]);
        }
        repo.push(&["main", "--tags"]);
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        Fixture {
            repo,
            fix,
            env: Vec::new(),
        }
    }

    pub(crate) fn configure(&self, extra: &str) {
        std::fs::write(self.work.join("hotfix.toml"), format!("{CONFIG}\n{extra}")).expect("config");
    }

    fn gitlab(&mut self, tweak: impl FnOnce(&mut Setup)) -> FakeGitLab {
        let mut setup = Setup {
            token: GITLAB_TOKEN.into(),
            repository: Some(self.origin.clone()),
            ..Setup::default()
        };
        tweak(&mut setup);
        let gitlab = FakeGitLab::start(setup).expect("the fake GitLab starts");
        self.env = vec![("GITLAB_TOKEN", GITLAB_TOKEN)];
        gitlab
    }

    pub(crate) fn hotfix(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        cmd.envs(self.env.iter().copied()).envs(extra.iter().copied());
        Run::from(
            cmd.current_dir(&self.work)
                .args(args)
                .output()
                .expect("git-hotfix runs"),
        )
    }

    fn start(&self, production: Option<&str>, extra: &[(&str, &str)]) -> Run {
        let mut args = vec!["start", "--product", "worker", "--fix", &self.fix, "--yes"];
        if let Some(tag) = production {
            args.extend(["--production", tag]);
        }
        self.hotfix(&args, extra)
    }

    pub(crate) fn report(&self) -> serde_json::Value {
        let report = self.hotfix(&["report", "--format", "json"], &[]);
        report.expect_code(0);
        serde_json::from_str(&report.stdout).expect("report JSON")
    }

    /// Fails if `token` is in any of `outputs` or in the journal.
    #[track_caller]
    pub(crate) fn assert_no_token(&self, token: &str, outputs: &[&Run]) {
        for run in outputs {
            assert!(!run.all().contains(token), "the token leaked: {}", run.all());
        }
        let journal = self.git(&self.work, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"]);
        assert!(!journal.contains(token), "the token is in the journal");
    }
}

fn gitlab_forge(gitlab: &FakeGitLab) -> String {
    format!(
        "[forge]\nkind = \"gitlab\"\nurl = \"{}\"\nproject = \"fleet/worker\"\n",
        gitlab.url()
    )
}

pub(crate) fn github_forge(github: &FakeGitHub) -> String {
    format!(
        "[forge]\nkind = \"github\"\nurl = \"{}\"\nproject = \"fleet/worker\"\n",
        github.url()
    )
}

/// Fails unless the fake holds one release, of `worker/prod-v0.1.1`, with
/// `make_latest` sent as `make_latest` (`why` says why).
#[track_caller]
pub(crate) fn assert_one_release(github: &FakeGitHub, make_latest: &str, why: &str) {
    let releases = github.releases();
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert_eq!(
        (releases[0].1.as_str(), releases[0].2.as_str()),
        ("worker/prod-v0.1.1", make_latest),
        "{why}"
    );
}

pub(crate) fn evidence_item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["evidence"]
        .as_array()
        .expect("evidence items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}: {report}"))
}

pub(crate) fn step_names(plan: &serde_json::Value) -> Vec<String> {
    plan["steps"]["hotfix"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

fn json_body(req: &hotfix_testkit::http::Request) -> serde_json::Value {
    serde_json::from_slice(&req.body).expect("a JSON body")
}

#[test]
fn gitlab_a_from_tag_run_opens_the_labelled_merge_request_and_the_release_of_its_tag() {
    let mut f = Fixture::new(false, false);
    let gitlab = f.gitlab(|_| {});
    f.configure(&format!(
        "{}\n[merge_requests]\nlabels = [\"URGENT\", \"hotfix\"]\n",
        gitlab_forge(&gitlab)
    ));

    let plan = f.hotfix(&["plan", "--product", "worker", "--fix", &f.fix, "--json"], &[]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "build",
            "push-hotfix-branch",
            "review",
            "verify-release",
            "tag",
            "forge-release",
            "merge-main",
            "deploy"
        ]
    );
    let review = &plan["steps"]["hotfix"][4]["action"];
    assert_eq!(review["kind"], "review-request");
    assert_eq!(review["source_branch"], "hotfix/worker-v0.1.1");
    assert_eq!(review["target_branch"], "main");
    assert_eq!(review["title"], "HOTFIX: fix(worker): do not crash at start");
    assert_eq!(review["labels"], serde_json::json!(["URGENT", "hotfix"]));
    assert_eq!(review["remove_source_branch"], true);
    let release = &plan["steps"]["hotfix"][7]["action"];
    assert_eq!(release["kind"], "forge-release");
    assert_eq!(release["tag"], "worker/prod-v0.1.1");
    assert_eq!(release["latest"], true, "0.1.1 is the worker's highest version");
    let text = f.hotfix(&["plan", "--product", "worker", "--fix", &f.fix], &[]);
    assert!(text.stdout.contains("labels [URGENT, hotfix]"), "{}", text.stdout);

    let run = f.start(None, &[]);
    run.expect_code(0);
    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1, "exactly one merge request: {mrs:?}");
    assert_eq!(mrs[0].source_branch, "hotfix/worker-v0.1.1");
    assert_eq!(mrs[0].target_branch, "main");
    assert_eq!(mrs[0].labels, ["URGENT", "hotfix"]);
    assert!(mrs[0].remove_source_branch);
    assert!(mrs[0].title.starts_with("HOTFIX: "), "{}", mrs[0].title);
    assert!(
        mrs[0].description.contains("worker/prod-v0.1.0") && mrs[0].description.contains("Version: 0.1.1"),
        "{}",
        mrs[0].description
    );
    // GitLab takes the labels as one comma-separated list.
    let created = gitlab.requests_to("POST", "/merge_requests");
    assert_eq!(json_body(&created[0])["labels"], "URGENT,hotfix");
    assert_eq!(created[0].path, "/api/v4/projects/fleet%2Fworker/merge_requests");

    let releases = gitlab.releases();
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert_eq!(releases[0].tag_name, "worker/prod-v0.1.1");
    assert_eq!(releases[0].name, "worker 0.1.1");

    let report = f.report();
    let review = evidence_item(&report, "review-requested");
    assert_eq!(review["status"], "ok", "{review}");
    assert!(
        review["detail"]
            .as_str()
            .is_some_and(|d| d.contains("https://gitlab.fake/fleet/worker/-/merge_requests/1") && d.contains("URGENT")),
        "{review}"
    );
    let release = evidence_item(&report, "github-release");
    assert_eq!(release["status"], "ok", "{release}");
    assert!(
        release["detail"]
            .as_str()
            .is_some_and(|d| d.contains("https://gitlab.fake/fleet/worker/-/releases/worker%2Fprod-v0.1.1")),
        "{release}"
    );
    f.assert_no_token(GITLAB_TOKEN, &[&run]);
}

#[test]
fn gitlab_an_open_merge_request_of_the_branches_is_adopted_and_labelled_never_doubled() {
    let mut f = Fixture::new(false, false);
    let gitlab = f.gitlab(|g| {
        g.merge_requests = vec![FakeMergeRequest {
            iid: 7,
            title: "wip: worker crash".into(),
            source_branch: "hotfix/worker-v0.1.1".into(),
            target_branch: "main".into(),
            labels: vec!["bug".into()],
            state: "opened".into(),
            ..FakeMergeRequest::default()
        }];
    });
    f.configure(&gitlab_forge(&gitlab));
    let run = f.start(None, &[]);
    run.expect_code(0);
    assert_eq!(
        gitlab.requests_to("POST", "/merge_requests").len(),
        1,
        "asked once, answered 409"
    );
    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1, "no second merge request: {mrs:?}");
    assert_eq!(mrs[0].iid, 7);
    assert_eq!(
        mrs[0].labels,
        ["bug", "URGENT"],
        "the default label added to the adopted one"
    );
    let report = f.report();
    let review = evidence_item(&report, "review-requested");
    assert!(
        review["detail"]
            .as_str()
            .is_some_and(|d| d.contains("!7") && d.contains("adopted")),
        "{review}"
    );
}

#[test]
fn gitlab_a_crash_after_the_forge_answered_converges_on_the_same_request_and_release() {
    let mut f = Fixture::new(true, false);
    let gitlab = f.gitlab(|_| {});
    f.configure(&gitlab_forge(&gitlab));
    let plan = f.hotfix(&["plan", "--product", "worker", "--fix", &f.fix, "--json"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let names = step_names(&plan);
    let at = |n: &str| {
        names
            .iter()
            .position(|s| s == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
    };
    assert!(at("review-backport") == at("push-backport") + 1, "{names:?}");

    let crashed = f.start(None, &[("GIT_HOTFIX_INJECT_FAULT", "review:requested")]);
    assert_ne!(crashed.code, 0, "{}", crashed.all());
    assert_eq!(
        gitlab.merge_requests().len(),
        1,
        "the forge has it, the journal does not"
    );
    let resumed = f.hotfix(
        &["continue", "--yes"],
        &[("GIT_HOTFIX_INJECT_FAULT", "forge-release:requested")],
    );
    assert_ne!(resumed.code, 0, "{}", resumed.all());
    assert!(resumed.all().contains("adopted"), "{}", resumed.all());
    assert_eq!(gitlab.releases().len(), 1);
    let done = f.hotfix(&["continue", "--yes"], &[]);
    done.expect_code(0);

    let mrs = gitlab.merge_requests();
    let sources: Vec<&str> = mrs.iter().map(|m| m.source_branch.as_str()).collect();
    assert_eq!(sources.len(), 2, "one request per branch: {mrs:?}");
    assert_eq!(sources[0], "hotfix/worker-v0.1.1");
    assert!(sources[1].starts_with("backport/main-"), "{mrs:?}");
    assert!(mrs.iter().all(|m| m.target_branch == "main"), "{mrs:?}");
    assert_eq!(
        gitlab.requests_to("POST", "/merge_requests").len(),
        3,
        "the hotfix's asked twice"
    );
    assert_eq!(gitlab.releases().len(), 1, "one release");
    assert_eq!(
        gitlab.requests_to("POST", "/releases").len(),
        2,
        "asked again, answered 409"
    );
    let report = f.report();
    let release = evidence_item(&report, "github-release");
    assert!(
        release["detail"].as_str().is_some_and(|d| d.contains("adopted")),
        "{release}"
    );
    f.assert_no_token(GITLAB_TOKEN, &[&crashed, &resumed, &done]);
}

#[test]
fn github_the_pull_request_is_labelled_urgent_and_an_open_one_adopted() {
    let mut f = Fixture::new(false, false);
    let github = FakeGitHub::start("fleet/worker", GITHUB_TOKEN);
    let open = github.add_open_pull("hotfix/worker-v0.1.1", "main");
    f.env = vec![("GITHUB_TOKEN", GITHUB_TOKEN)];
    f.configure(&github_forge(&github));
    let run = f.start(None, &[]);
    run.expect_code(0);
    assert_eq!(github.pulls().len(), 1, "no second pull request: {:?}", github.pulls());
    assert_eq!(github.labels(open), ["URGENT"]);
    assert_one_release(&github, "true", "the newest line's release is the latest");
    assert_described(&github);
    let report = f.report();
    assert_eq!(evidence_item(&report, "review-requested")["status"], "ok");
    assert_eq!(evidence_item(&report, "github-release")["status"], "ok");
    f.assert_no_token(GITHUB_TOKEN, &[&run]);
}

#[test]
fn github_an_older_line_is_released_not_latest_and_an_existing_release_adopted() {
    let mut f = Fixture::new(false, true);
    let github = FakeGitHub::start("fleet/worker", GITHUB_TOKEN);
    f.env = vec![("GITHUB_TOKEN", GITHUB_TOKEN)];
    f.configure(&github_forge(&github));
    let run = f.start(
        Some("worker/prod-v0.1.0"),
        &[("GIT_HOTFIX_INJECT_FAULT", "forge-release:requested")],
    );
    assert_ne!(run.code, 0, "{}", run.all());
    assert_one_release(&github, "false", "0.2.0 stays the latest");
    let resumed = f.hotfix(&["continue", "--yes"], &[]);
    resumed.expect_code(0);
    assert_eq!(github.releases().len(), 1, "adopted, not created twice");
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert_eq!(github.labels(pulls[0].0), ["URGENT"]);
    assert_described(&github);
    let report = f.report();
    let release = evidence_item(&report, "github-release");
    assert!(
        release["detail"]
            .as_str()
            .is_some_and(|d| d.contains("adopted") && d.contains("not marked latest")),
        "{release}"
    );
    f.assert_no_token(GITHUB_TOKEN, &[&run, &resumed]);
}

#[test]
fn without_a_forge_the_from_tag_plan_has_no_forge_steps() {
    let f = Fixture::new(true, false);
    f.configure("");
    let plan = f.hotfix(&["plan", "--product", "worker", "--fix", &f.fix, "--json"], &[]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let names = step_names(&plan);
    for forge_step in ["review", "review-backport", "forge-release"] {
        assert!(!names.iter().any(|n| n == forge_step), "{names:?}");
    }
}

/// Opens the library's GitLab on `gitlab`, as a run does.
fn gitlab_client(gitlab: &FakeGitLab) -> (Box<dyn hotfix::forge::Forge>, hotfix::forge::Client) {
    let config = hotfix::config::Forge {
        kind: hotfix::config::ForgeKind::Gitlab,
        url: gitlab.url(),
        project: "fleet/worker".into(),
        token_env: None,
        timeout: None,
    };
    let clock = || std::sync::Arc::new(super::test_forge_client::RecordingClock::default());
    let forge = hotfix::forge::open(
        &config,
        hotfix::forge::Token::new(GITLAB_TOKEN),
        super::test_forge_client::options(),
        clock(),
    )
    .expect("opens");
    let raw = hotfix::forge::Client::new(
        &config.api_url(),
        hotfix::forge::Auth::GitLab(hotfix::forge::Token::new(GITLAB_TOKEN)),
        super::test_forge_client::options(),
        clock(),
    )
    .expect("a client");
    (forge, raw)
}

/// Sends `body` to `path` as is, and returns the status the fake answered.
fn post(raw: &hotfix::forge::Client, path: &str, body: &str) -> (u16, String) {
    let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
    match raw.send(&hotfix::forge::Call::post(path, body)) {
        Ok(reply) => (reply.status, reply.body),
        Err(e) => (e.status().unwrap_or(0), e.to_string()),
    }
}

fn new_request(source: &str) -> hotfix::forge::NewMergeRequest {
    hotfix::forge::NewMergeRequest {
        title: "HOTFIX: worker crash".into(),
        description: "**URGENT PRODUCTION FIX**".into(),
        source_branch: source.into(),
        target_branch: "main".into(),
        labels: vec!["URGENT".into()],
        draft: true,
        remove_source_branch: true,
    }
}

#[test]
fn gitlab_the_fake_refuses_what_gitlab_refuses_and_the_library_adopts_only_the_same_branches() {
    let mut f = Fixture::new(false, false);
    let gitlab = f.gitlab(|_| {});
    let (forge, raw) = gitlab_client(&gitlab);
    let mrs = "/projects/fleet%2Fworker/merge_requests";
    // Create MR: `title` is required (400), and the same branches twice is 409.
    let (status, body) = post(&raw, mrs, r#"{"source_branch":"a","target_branch":"main"}"#);
    assert_eq!((status, body.contains("title is missing")), (400, true), "{body}");

    let opened = forge
        .open_merge_request(&new_request("hotfix/worker-v0.1.1"))
        .expect("opened");
    assert!(!opened.adopted);
    let mr = &gitlab.merge_requests()[0];
    assert_eq!(
        mr.title, "Draft: HOTFIX: worker crash",
        "GitLab's draft is the title prefix"
    );
    let second = r#"{"source_branch":"hotfix/worker-v0.1.1","target_branch":"main","title":"again"}"#;
    let (status, body) = post(&raw, mrs, second);
    assert_eq!(status, 409, "{body}");
    let again = forge
        .open_merge_request(&new_request("hotfix/worker-v0.1.1"))
        .expect("adopted");
    assert_eq!((again.iid, again.adopted), (opened.iid, true));
    // Another source branch is another request, not the adopted one.
    let other = forge
        .open_merge_request(&new_request("backport/main-1234567"))
        .expect("opened");
    assert_ne!(other.iid, opened.iid);
    assert_eq!(gitlab.merge_requests().len(), 2);

    // Create a release: `tag_name` required (400); a tag the repository does not have,
    // without `ref`, is 422 "Ref is not specified", and nothing is adopted for it.
    let releases = "/projects/fleet%2Fworker/releases";
    let (status, _) = post(&raw, releases, r#"{"name":"x"}"#);
    assert_eq!(status, 400);
    let missing = hotfix::forge::NewRelease {
        tag: "worker/prod-v9.9.9".into(),
        name: "worker 9.9.9".into(),
        description: String::new(),
        latest: true,
    };
    let err = forge.create_release(&missing).expect_err("no such tag");
    assert_eq!(err.status(), Some(422), "{err}");
    assert!(gitlab.releases().is_empty());
    let existing = hotfix::forge::NewRelease {
        tag: "worker/prod-v0.1.0".into(),
        ..missing
    };
    let created = forge.create_release(&existing).expect("created");
    let adopted = forge.create_release(&existing).expect("adopted");
    assert_eq!((created.adopted, adopted.adopted), (false, true));
    assert_eq!(created.web_url, adopted.web_url);
    assert_eq!(gitlab.releases().len(), 1);
    let (status, body) = post(&raw, releases, r#"{"tag_name":"worker/prod-v0.1.0"}"#);
    assert_eq!((status, body.contains("Release already exists")), (409, true), "{body}");
}
