//! Strategy merge-main (seed 002): the fix is merged to main, and production
//! is deployed from main's commit that holds it, behind two approvals, then
//! health-checked against a local service and smoke-checked; migrations the
//! change carries are detected and run before `finish`. The GitLab half
//! runs against the fake GitLab: `--fix !42` is the merge request's merge
//! commit (GET /projects/:id/merge_requests/:iid), and main's pipeline for
//! it (GET /projects/:id/pipelines?sha=&ref=) must have passed.

use std::process::Command;

use hotfix_testkit::forge_gitlab::{CommitPipeline, FakeGitLab, FakeMergeRequest, Setup};
use hotfix_testkit::repo::{pinned, project, Project};

use crate::common::service::Service;
use crate::common::{Run, BIN};
use crate::test_gates::{ALICE, BOB};

/// A repository whose origin's main is `base - P`, production running P.
pub(crate) struct Main {
    pub(crate) repo: Project,
    pub(crate) production: String,
}

impl std::ops::Deref for Main {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.repo
    }
}

impl Main {
    pub(crate) fn new() -> Main {
        let repo = project()
            .file("app.txt", "app one\n")
            .file("other.txt", "other\n")
            .build();
        repo.commit("base");
        repo.write("app.txt", "app one (prod)\n");
        let production = repo.commit("P: what production runs");
        repo.push(&["main"]);
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        Main { repo, production }
    }

    /// Commits `content` to `path` on main and pushes it; returns the commit.
    pub(crate) fn on_main(&self, path: &str, content: &str, message: &str) -> String {
        self.write(path, content);
        let c = self.commit(message);
        self.push(&["main"]);
        c
    }

    /// Merges a branch holding one commit (`path` = `content`) into main
    /// with a merge commit, as merging the hotfix MR does; returns the merge.
    pub(crate) fn merge_to_main(&self, branch: &str, path: &str, content: &str) -> String {
        self.merge_files_to_main(branch, &[(path, content)])
    }

    /// Merges a branch holding one commit of `files` (path, content) into
    /// main with a merge commit; returns the merge.
    pub(crate) fn merge_files_to_main(&self, branch: &str, files: &[(&str, &str)]) -> String {
        self.git(&self.work, &["checkout", "-q", "-b", branch]);
        for (path, content) in files {
            self.write(path, content);
        }
        self.commit(&format!("fix: {branch}"));
        self.checkout("main");
        self.git(
            &self.work,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                &format!("Merge branch '{branch}' into 'main'"),
                branch,
            ],
        );
        self.push(&["main"]);
        self.rev(&self.work, "HEAD")
    }

    pub(crate) fn configure(&self, text: &str) {
        std::fs::write(self.work.join("hotfix.toml"), text).expect("config");
    }

    pub(crate) fn hotfix(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(
            cmd.current_dir(&self.work)
                .args(args)
                .output()
                .expect("git-hotfix runs"),
        )
    }

    pub(crate) fn plan_json(&self, fix: &str, env: &[(&str, &str)]) -> serde_json::Value {
        let run = self.hotfix(&["plan", "--json", "--fix", fix, "--production", &self.production], env);
        run.expect_code(0);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("plan JSON ({e}): {}", run.stdout))
    }

    fn log(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.root().join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// The hotfix steps' names in a plan's JSON.
pub(crate) fn step_names(plan: &serde_json::Value) -> Vec<String> {
    plan["steps"]["hotfix"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_string())
        .collect()
}

pub(crate) fn check<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {plan}"))
}

/// A merge-main hotfix.toml: the deploy appends `HOTFIX_RELEASE_SHA` to
/// deploy.log and switches the service to it; `[verify]` polls the service,
/// one smoke check; `extra` adds tables.
fn config(m: &Main, service: &Service, extra: &str) -> String {
    let log = m.root().join("deploy.log");
    format!(
        r#"strategy = "merge-main"
remote = "origin"
[branches]
main = "main"
develop = "develop"

[deploy]
command = "printf '%s\n' \"$HOTFIX_RELEASE_SHA\" >> '{log}'; printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha}'"
timeout = "20s"

[[verify.http]]
url = "{url}"
expect_status = 200
sha_pointer = "/sha"
timeout = "10s"
interval = "100ms"

[[smoke]]
name = "service answers"
command = "test -s '{sha}'"
{extra}"#,
        log = log.display(),
        sha = service.sha_file.display(),
        url = service.url,
    )
}

const APPROVALS: &str = "\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n";

#[test]
fn a_fix_alone_on_main_is_deployed_itself_and_ships_nothing_else() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    m.configure(&config(&m, &service, ""));

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(plan["strategy"], "merge-main");
    assert_eq!(plan["new_tip"], fix.as_str(), "production moves to the fix itself");
    let deploy = &plan["merge_main"];
    assert_eq!(deploy["target"], fix.as_str());
    assert_eq!(deploy["target_is_fix"], true);
    assert_eq!(deploy["beyond_fix"], serde_json::json!([]));
    assert_eq!(check(&plan, "ships-only-the-fix")["status"], "pass");
    assert_eq!(check(&plan, "fix-on-main")["status"], "pass");
    assert_eq!(
        step_names(&plan),
        ["record-production", "lock", "deploy", "verify-production", "smoke"],
        "no migration step when no migration path changes"
    );
    let text = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    text.expect_code(0);
    assert!(text.stdout.contains("the fix commit itself"), "{}", text.stdout);
    assert!(text.stdout.contains("beyond fix  none"), "{}", text.stdout);
    assert!(text.stdout.contains("migrations  none touched"), "{}", text.stdout);
}

#[test]
fn main_holding_more_than_the_fix_is_listed_and_start_refuses_it_without_allow_extra() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let other = m.on_main("app.txt", "app one (prod)\nfeature\n", "feat: unreleased feature");
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    m.configure(&config(&m, &service, ""));

    let plan = m.plan_json(&fix, &[]);
    let beyond: Vec<&str> = plan["merge_main"]["beyond_fix"]
        .as_array()
        .expect("beyond_fix")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(beyond, [other.as_str()]);
    let extra = check(&plan, "ships-only-the-fix");
    assert_eq!(extra["status"], "warn");
    assert!(
        extra["detail"].as_str().unwrap_or_default().contains("--allow-extra"),
        "{extra}"
    );
    let text = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    assert!(text.stdout.contains("feat: unreleased feature"), "{}", text.stdout);

    let refused = m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[]);
    refused.expect_code(3);
    assert!(
        refused.stderr.contains("ships 1 commit(s) beyond the fix"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--allow-extra"), "{}", refused.stderr);
    assert!(m.log("deploy.log").is_empty(), "nothing was deployed");
    assert_eq!(m.origin_ref("refs/hotfix/locks/main"), None, "no run was created");

    let started = m.hotfix(
        &[
            "start",
            "--fix",
            &fix,
            "--production",
            &m.production,
            "--yes",
            "--allow-extra",
        ],
        &[],
    );
    started.expect_code(0);
    assert_eq!(
        m.log("deploy.log"),
        [fix.as_str()],
        "the deploy ships main's commit holding the fix"
    );
}

#[test]
fn a_merged_fix_deploys_the_merge_and_a_fix_not_on_main_is_refused() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let merge = m.merge_to_main("hotfix/other", "other.txt", "other, fixed\n");
    let merged_fix = m.rev(&m.work, &format!("{merge}^2"));
    m.configure(&config(&m, &service, ""));

    // The fix commit is off main's first-parent line: its merge is deployed,
    // and the merge is part of the fix, not beyond it.
    let plan = m.plan_json(&merged_fix, &[]);
    assert_eq!(plan["merge_main"]["target"], merge.as_str());
    assert_eq!(plan["merge_main"]["target_is_fix"], false);
    assert_eq!(plan["merge_main"]["beyond_fix"], serde_json::json!([]));
    let text = m.hotfix(&["plan", "--fix", &merged_fix, "--production", &m.production], &[]);
    assert!(
        text.stdout.contains("the first main commit containing the fix"),
        "{}",
        text.stdout
    );

    // A commit pushed to another branch was never merged to main.
    m.git(&m.work, &["checkout", "-q", "-b", "wip"]);
    m.write("other.txt", "other, wip fix\n");
    let stray = m.commit("fix: not merged");
    m.push(&["wip"]);
    m.git(&m.work, &["fetch", "-q", "origin"]);
    let refused = m.hotfix(&["start", "--fix", &stray, "--production", &m.production, "--yes"], &[]);
    refused.expect_code(3);
    assert!(refused.stdout.contains("is not in main's history"), "{}", refused.all());
    assert!(m.log("deploy.log").is_empty(), "nothing was deployed");
}

#[test]
fn approvals_gate_the_deploy_then_health_check_smoke_and_the_report_has_seed_002s_checklist() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    m.configure(&config(&m, &service, APPROVALS));

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "approvals",
            "deploy",
            "verify-production",
            "smoke"
        ]
    );
    let start = m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[]);
    start.expect_code(0);
    assert!(
        start.stdout.contains("waiting for approvals: tech-lead, pm"),
        "{}",
        start.stdout
    );
    assert!(m.log("deploy.log").is_empty(), "the deploy waits for both approvals");

    m.hotfix(&["approve", "--role", "tech-lead"], ALICE).expect_code(0);
    let early = m.hotfix(&["continue", "--yes"], &[]);
    early.expect_code(3);
    assert!(early.stderr.contains("pm not approved"), "{}", early.stderr);
    assert!(m.log("deploy.log").is_empty(), "one approval is not enough");
    let same = m.hotfix(&["approve", "--role", "pm"], ALICE);
    same.expect_code(3);
    assert!(same.stderr.contains("already approved as tech-lead"), "{}", same.stderr);
    assert!(m.log("deploy.log").is_empty(), "one person cannot give both approvals");

    m.hotfix(&["approve", "--role", "pm"], BOB).expect_code(0);
    m.hotfix(&["continue", "--yes"], &[]).expect_code(0);
    assert_eq!(
        m.log("deploy.log"),
        [fix.as_str()],
        "HOTFIX_RELEASE_SHA is the commit shipped"
    );
    assert_eq!(service.reported(), fix, "production reports the fix");

    let report = m.hotfix(&["report", "--format", "json"], &[]);
    report.expect_code(0);
    let r: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let items: Vec<(&str, &str)> = r["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|i| (i["id"].as_str().expect("id"), i["status"].as_str().expect("status")))
        .collect();
    let ids: Vec<&str> = items.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        [
            "production-recorded",
            "approvals",
            "deploy-completed",
            "fix-verified-in-production",
            "backport-merged",
            "backport-conflicts-resolved",
        ],
        "no migration item when no migration ran"
    );
    for (id, status) in &items[..4] {
        assert_eq!(*status, "ok", "{id} is proven by its step");
    }
    let md = m.hotfix(&["report"], &[]);
    assert!(
        md.stdout.contains("review and merge the backport MR to develop"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("verify the fix in production"), "{}", md.stdout);

    // The backport's items are a person's to attest; then the run finishes.
    let finish = m.hotfix(&["finish"], &[]);
    finish.expect_code(3);
    assert!(finish.stderr.contains("backport-merged"), "{}", finish.stderr);
    for id in ["backport-merged", "backport-conflicts-resolved"] {
        m.hotfix(&["attest", id, "--detail", "!7 merged, no conflicts"], &[])
            .expect_code(0);
    }
    m.hotfix(&["finish"], &[]).expect_code(0);
    assert_eq!(
        m.origin_ref("refs/hotfix/locks/main"),
        None,
        "finish gives the lock back"
    );
    assert_eq!(m.log("deploy.log").len(), 1, "deployed once");
}

#[test]
fn migrations_the_change_touches_are_planned_and_run_before_finish() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    m.write("db/migrations/001_add_index.sql", "create index i on t(c);\n");
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt, with its index");
    let migrated = m.root().join("migrations.log");
    m.configure(&config(
        &m,
        &service,
        &format!(
            "\n[migrations]\npaths = [\"db/migrations/**\"]\ncommand = \"printf '%s\\n' \\\"$HOTFIX_RELEASE_SHA\\\" >> '{}'\"\n",
            migrated.display()
        ),
    ));

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(
        plan["merge_main"]["migrations"],
        serde_json::json!(["db/migrations/001_add_index.sql"])
    );
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "deploy",
            "migrations",
            "verify-production",
            "smoke"
        ]
    );
    assert_eq!(check(&plan, "migrations-run")["status"], "warn");
    let text = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    assert!(
        text.stdout.contains("migrations  db/migrations/001_add_index.sql"),
        "{}",
        text.stdout
    );

    m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[])
        .expect_code(0);
    assert_eq!(
        m.log("migrations.log"),
        [fix.as_str()],
        "the migrations ran for the commit shipped"
    );
    let report = m.hotfix(&["report", "--format", "json"], &[]);
    let r: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let item = r["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|i| i["id"] == "migrations-completed")
        .cloned()
        .unwrap_or_else(|| panic!("a migrations item: {r}"));
    assert_eq!(item["status"], "ok", "{item}");
    for id in ["backport-merged", "backport-conflicts-resolved"] {
        m.hotfix(&["attest", id, "--detail", "done"], &[]).expect_code(0);
    }
    m.hotfix(&["finish"], &[]).expect_code(0);
}

#[test]
fn migrations_without_a_migrations_table_block_the_plan() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    m.write("db/migrations/002.sql", "alter table t add c int;\n");
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: with a migration");
    m.configure(&config(&m, &service, ""));
    let run = m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[]);
    run.expect_code(3);
    assert!(run.stdout.contains("no [migrations] to run them"), "{}", run.all());
    assert!(m.log("deploy.log").is_empty());
}

// --- GitLab: `--fix !42` and main's pipeline -------------------------------

const TOKEN: &str = "glpat-S3CRET-merge-main";

fn gitlab(merge: &str, pipeline_status: &str, mr_state: &str) -> FakeGitLab {
    FakeGitLab::start(Setup {
        token: TOKEN.into(),
        merge_requests: vec![FakeMergeRequest {
            iid: 42,
            title: "fix: repair other.txt".into(),
            source_branch: "hotfix/other".into(),
            target_branch: "main".into(),
            state: mr_state.into(),
            merge_commit_sha: (mr_state == "merged").then(|| merge.to_string()),
            ..FakeMergeRequest::default()
        }],
        commit_pipelines: vec![CommitPipeline {
            sha: merge.to_string(),
            git_ref: "main".into(),
            status: pipeline_status.into(),
            jobs: vec!["deploy-prod-hotfix".into(), "run-migrations-prod".into()],
        }],
        ..Setup::default()
    })
    .expect("the fake GitLab starts")
}

fn gitlab_config(m: &Main, gitlab: &FakeGitLab, extra: &str) -> String {
    let _ = m;
    format!(
        r#"strategy = "merge-main"
remote = "origin"
[branches]
main = "main"

[forge]
kind = "gitlab"
url = "{url}"
project = "fleet/portal"

[deploy]
job = "deploy-prod-hotfix"
poll_interval = "50ms"
timeout = "20s"
{extra}"#,
        url = gitlab.url()
    )
}

fn env() -> [(&'static str, &'static str); 1] {
    [("GITLAB_TOKEN", TOKEN)]
}

#[test]
fn gitlab_fix_by_merge_request_deploys_its_merge_commit_with_the_jobs_of_mains_pipeline() {
    let m = Main::new();
    m.write("db/migrations/003.sql", "create table x (y int);\n");
    let merge = m.merge_to_main("hotfix/other", "other.txt", "other, fixed\n");
    let gitlab = gitlab(&merge, "success", "merged");
    m.configure(&gitlab_config(
        &m,
        &gitlab,
        "\n[migrations]\npaths = [\"db/migrations/**\"]\njob = \"run-migrations-prod\"\npoll_interval = \"50ms\"\n",
    ));

    let plan = m.plan_json("!42", &env());
    assert_eq!(plan["merge_main"]["target"], merge.as_str());
    assert_eq!(plan["merge_main"]["request"]["iid"], 42);
    assert_eq!(plan["merge_main"]["request"]["state"], "merged");
    assert_eq!(check(&plan, "main-pipeline-passed")["status"], "pass");
    assert_eq!(check(&plan, "fix-request-merged")["status"], "pass");
    assert_eq!(
        step_names(&plan),
        ["record-production", "lock", "main-pipeline", "deploy", "migrations"]
    );
    assert_eq!(
        gitlab.requests_to("GET", "/merge_requests/42").len(),
        1,
        "GET /projects/:id/merge_requests/:iid"
    );
    let asked = gitlab.requests_to("GET", "/pipelines");
    assert!(
        asked
            .iter()
            .any(|r| r.query.as_deref().unwrap_or_default().contains(&format!("sha={merge}"))),
        "GET /projects/:id/pipelines?sha=: {asked:?}"
    );

    let run = m.hotfix(
        &["start", "--fix", "!42", "--production", &m.production, "--yes"],
        &env(),
    );
    run.expect_code(0);
    let jobs = gitlab.jobs();
    for name in ["deploy-prod-hotfix", "run-migrations-prod"] {
        let job = jobs.iter().find(|j| j.name == name).expect("the job");
        assert_eq!(job.status, "success", "{name} was played and followed to its end");
    }
    let played = gitlab.requests_to("POST", "/play");
    assert_eq!(played.len(), 2, "each manual job played once: {played:?}");
    assert!(!run.all().contains(TOKEN), "the token is masked");
}

#[test]
fn gitlab_a_failed_main_pipeline_or_an_unmerged_request_refuses_the_hotfix() {
    let m = Main::new();
    let merge = m.merge_to_main("hotfix/other", "other.txt", "other, fixed\n");
    let failed = gitlab(&merge, "failed", "merged");
    m.configure(&gitlab_config(&m, &failed, ""));
    let run = m.hotfix(
        &["start", "--fix", "!42", "--production", &m.production, "--yes"],
        &env(),
    );
    run.expect_code(3);
    assert!(run.stdout.contains("main's pipeline #"), "{}", run.all());
    assert!(run.stdout.contains("is `failed`, not `success`"), "{}", run.all());
    assert!(failed.requests_to("POST", "/play").is_empty(), "nothing was played");

    let open = gitlab(&merge, "success", "opened");
    m.configure(&gitlab_config(&m, &open, ""));
    let run = m.hotfix(
        &["start", "--fix", "!42", "--production", &m.production, "--yes"],
        &env(),
    );
    run.expect_code(3);
    assert!(run.stderr.contains("is `opened`, not merged"), "{}", run.all());
    assert!(open.requests_to("POST", "/play").is_empty(), "nothing was played");
}

// --- GitHub: `--fix !7` and the merge commit's checks -----------------------

const GH_TOKEN: &str = "ghp_S3CRETmergemaingithub";

#[test]
fn github_fix_by_pull_request_is_its_merge_commit_and_failing_checks_refuse_it() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let merge = m.merge_to_main("hotfix/other", "other.txt", "other, fixed\n");
    let github = hotfix_testkit::forge_github::FakeGitHub::start("fleet/portal", GH_TOKEN);
    github.add_merged_pull(7, "main", &merge);
    github.add_check_run(&merge, "completed", Some("success"));
    let forge = format!(
        "\n[forge]\nkind = \"github\"\nurl = \"{}\"\nproject = \"fleet/portal\"\n",
        github.url()
    );
    m.configure(&config(&m, &service, &forge));
    let env = [("GITHUB_TOKEN", GH_TOKEN)];

    // GET /repos/{owner}/{repo}/pulls/{pull_number}, then the merge commit's
    // check runs and combined status (/commits/{ref}/check-runs, /status).
    let plan = m.plan_json("!7", &env);
    assert_eq!(plan["merge_main"]["target"], merge.as_str());
    assert_eq!(plan["merge_main"]["request"]["state"], "merged");
    assert_eq!(check(&plan, "main-pipeline-passed")["status"], "pass");
    m.hotfix(&["start", "--fix", "!7", "--production", &m.production, "--yes"], &env)
        .expect_code(0);
    assert_eq!(m.log("deploy.log"), [merge.as_str()]);

    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let merge = m.merge_to_main("hotfix/other", "other.txt", "other, fixed\n");
    let github = hotfix_testkit::forge_github::FakeGitHub::start("fleet/portal", GH_TOKEN);
    github.add_merged_pull(7, "main", &merge);
    github.add_check_run(&merge, "completed", Some("success"));
    github.add_check_run(&merge, "completed", Some("failure"));
    let forge = format!(
        "\n[forge]\nkind = \"github\"\nurl = \"{}\"\nproject = \"fleet/portal\"\n",
        github.url()
    );
    m.configure(&config(&m, &service, &forge));
    let run = m.hotfix(&["start", "--fix", "!7", "--production", &m.production, "--yes"], &env);
    run.expect_code(3);
    assert!(run.stdout.contains("is `failed`, not `success`"), "{}", run.all());
    assert!(m.log("deploy.log").is_empty(), "nothing was deployed");
    assert!(!run.all().contains(GH_TOKEN), "the token is masked");
}

#[test]
fn after_production_is_checked_the_fix_is_backported_to_develop_and_release_lines_with_its_request_as_evidence() {
    let m = Main::new();
    // develop moved on from production on its own paths; the fix applies cleanly.
    m.git(&m.work, &["checkout", "-q", "-b", "develop", &m.production]);
    m.write("feature.txt", "next release\n");
    m.commit("feat: next release's work");
    m.push(&["develop"]);
    // A maintenance line from before production, by pattern.
    m.git(&m.work, &["branch", "release/1.x", &m.production]);
    m.push(&["release/1.x"]);
    m.checkout("main");
    let service = Service::start(m.root(), &m.production);
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    m.configure(&config(
        &m,
        &service,
        "\n[backport]\nto = [\"develop\", \"release/*\"]\n",
    ));

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "deploy",
            "verify-production",
            "smoke",
            "backport"
        ],
        "the backport comes once production was checked"
    );
    let start = m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[]);
    start.expect_code(0);
    let branch = format!("refs/heads/backport/develop-{}", &fix[..7]);
    let picked = m
        .origin_ref(&branch)
        .unwrap_or_else(|| panic!("{branch} pushed: {}", start.all()));
    let message = m.git(&m.origin, &["log", "-1", "--format=%B", &picked]);
    assert!(
        message.contains(&format!("(cherry picked from commit {fix})")),
        "{message}"
    );
    let parent = m.git(&m.origin, &["rev-parse", &format!("{picked}^")]);
    assert_eq!(
        parent.trim(),
        m.origin_ref("refs/heads/develop").expect("develop"),
        "onto develop's tip"
    );
    // The second target, in the same run and the same step.
    let maintenance = format!("refs/heads/backport/release/1.x-{}", &fix[..7]);
    let picked = m
        .origin_ref(&maintenance)
        .unwrap_or_else(|| panic!("{maintenance} pushed: {}", start.all()));
    let parent = m.git(&m.origin, &["rev-parse", &format!("{picked}^")]);
    assert_eq!(parent.trim(), m.production, "onto release/1.x's tip");
    let status = m.hotfix(&["status"], &[]);
    assert!(
        status.stdout.contains("backport/develop-") && status.stdout.contains("backport/release/1.x-"),
        "status lists both backports: {}",
        status.stdout
    );

    let report = m.hotfix(&["report", "--format", "json"], &[]);
    let r: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let opened = r["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|i| i["id"] == "backport-opened")
        .unwrap_or_else(|| panic!("a backport-opened item: {r}"));
    assert_eq!(opened["status"], "ok", "{opened}");
}
