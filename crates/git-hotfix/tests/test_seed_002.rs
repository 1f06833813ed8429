//! Seed 002's whole runbook through the fake GitLab, strategy merge-main:
//! the hotfix MR `!42` is merged to main and main's pipeline for its merge
//! commit passed (GET /projects/:id/merge_requests/:iid, GET
//! /projects/:id/pipelines?sha=); the pipeline's manual `deploy-prod-hotfix`
//! deploys to the protected production environment, so it plays only once
//! the tech lead and the PM, two GitLab users with their own tokens, approved
//! its deployment (POST /projects/:id/deployments/:id/approval,
//! doc/api/deployments.md); the runner ships the pipeline's commit to a local
//! production service, which `[verify]` polls; `run-migrations-prod` runs
//! because the change touches `db/migrations/`; the fix is backported to
//! develop as a merge request (POST /projects/:id/merge_requests,
//! doc/api/merge_requests.md) labelled `backport, auto-backport`, or
//! `backport, conflicts` when the pick conflicts. The report carries seed
//! 002's post-hotfix checklist; `finish` waits for its person items.

use hotfix_testkit::forge_gitlab::{CommitPipeline, FakeGitLab, FakeMergeRequest, FakeUser, ReleaseDeploy, Setup};

use crate::common::service::Service;
use crate::common::Run;
use crate::test_merge_main::{check, step_names, Main};

const OPERATOR: &str = "glpat-S3CRET-seed-002-operator";
const TESS: &str = "glpat-tess-S3CRET-002";
const PAT: &str = "glpat-pat-S3CRET-002";
const TOKENS: [&str; 3] = [OPERATOR, TESS, PAT];
const DEPLOY_JOB: &str = "deploy-prod-hotfix";
const MIGRATION_JOB: &str = "run-migrations-prod";

/// Returns the merge-main hotfix.toml of the README's "Forge setups, seed
/// by seed" (its Seed 002 item), which these tests run.
fn readme_config() -> String {
    let readme = include_str!("../../../README.md");
    let item = readme
        .split("- **Seed 002**")
        .nth(1)
        .expect("the README has a Seed 002 item");
    let block = item
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("  ```").next())
        .expect("the Seed 002 item has a toml block");
    block
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The README's Seed 002 hotfix.toml pointed at `gitlab` and `service`,
/// polling fast.
fn configure(m: &Main, gitlab: &FakeGitLab, service: &Service) {
    let mut text = readme_config();
    for (from, to) in [
        ("https://gitlab.example.com", gitlab.url()),
        ("https://portal.example.com/version", service.url.clone()),
        (
            "timeout = \"30m\"",
            "timeout = \"20s\"\npoll_interval = \"50ms\"".into(),
        ),
        ("timeout = \"10m\"", "timeout = \"10s\"\ninterval = \"100ms\"".into()),
        (
            "job = \"run-migrations-prod\"",
            "job = \"run-migrations-prod\"\npoll_interval = \"50ms\"".into(),
        ),
    ] {
        assert!(
            text.contains(from),
            "the README's Seed 002 hotfix.toml has {from}:\n{text}"
        );
        text = text.replace(from, &to);
    }
    m.configure(&text);
}

fn user(token: &str, id: u64, username: &str) -> FakeUser {
    FakeUser {
        token: token.into(),
        id,
        username: username.into(),
    }
}

/// Seed 002's GitLab: merge request `iid` merged as `merge`, main's
/// pipelines for `pipelines` (each with the deploy and migration jobs),
/// production deployed `production`, the deploy job protected by two
/// approvals and shipping its pipeline's commit to `service`.
fn gitlab(m: &Main, service: &Service, iid: u64, merge: &str, production: &str, pipelines: &[&str]) -> FakeGitLab {
    gitlab_with(m, service, iid, merge, production, pipelines, |_| {})
}

fn gitlab_with(
    m: &Main,
    service: &Service,
    iid: u64,
    merge: &str,
    production: &str,
    pipelines: &[&str],
    tweak: impl FnOnce(&mut Setup),
) -> FakeGitLab {
    let mut setup = Setup {
        token: OPERATOR.into(),
        deployed_sha: production.into(),
        users: vec![user(TESS, 7, "tess"), user(PAT, 8, "pat")],
        protected_job: Some(DEPLOY_JOB.into()),
        required_approvals: 2,
        deploys: Some(ReleaseDeploy {
            job: DEPLOY_JOB.into(),
            origin: m.origin.clone(),
            branch: "main".into(),
            sha_file: service.sha_file.clone(),
        }),
        merge_requests: vec![FakeMergeRequest {
            iid,
            title: format!("fix: hotfix !{iid}"),
            source_branch: format!("hotfix/{iid}"),
            target_branch: "main".into(),
            state: "merged".into(),
            merge_commit_sha: Some(merge.into()),
            ..FakeMergeRequest::default()
        }],
        commit_pipelines: pipelines
            .iter()
            .map(|sha| CommitPipeline {
                sha: sha.to_string(),
                git_ref: "main".into(),
                status: "success".into(),
                jobs: vec![DEPLOY_JOB.into(), MIGRATION_JOB.into()],
            })
            .collect(),
        ..Setup::default()
    };
    tweak(&mut setup);
    FakeGitLab::start(setup).expect("the fake GitLab starts")
}

fn as_user(m: &Main, token: &str, args: &[&str]) -> Run {
    m.hotfix(args, &[("GITLAB_TOKEN", token)])
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()))
}

/// The status of each of the report's evidence items, by id.
fn checklist(report: &serde_json::Value) -> Vec<(String, String)> {
    report["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().expect("id").to_string(),
                i["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn job_of(gitlab: &FakeGitLab, name: &str) -> Option<String> {
    gitlab.jobs().into_iter().find(|j| j.name == name).map(|j| j.status)
}

/// Returns the merge request the backport opened from `branch`.
fn backport_request(gitlab: &FakeGitLab, branch: &str) -> FakeMergeRequest {
    let mrs = gitlab.merge_requests();
    mrs.iter()
        .find(|r| r.source_branch == branch)
        .cloned()
        .unwrap_or_else(|| panic!("a backport request from {branch}: {mrs:#?}"))
}

/// Commits `content` to `path` on develop (from production at first) and pushes it.
fn on_develop(m: &Main, path: &str, content: &str, message: &str) {
    let exists = m.origin_ref("refs/heads/develop").is_some();
    if exists {
        m.checkout("develop");
    } else {
        m.git(&m.work, &["checkout", "-q", "-b", "develop", &m.production]);
    }
    m.write(path, content);
    m.commit(message);
    m.push(&["develop"]);
    m.checkout("main");
}

/// Starts the run for `fix` from `production` with a new incident, then
/// both approve through the forge, then `continue`; returns every output.
fn start_approve_continue(m: &Main, gitlab: &FakeGitLab, fix: &str, production: &str) -> Vec<Run> {
    let start = as_user(
        m,
        OPERATOR,
        &[
            "start",
            "--fix",
            fix,
            "--production",
            production,
            "--yes",
            "--incident",
            "new",
        ],
    );
    assert!(
        start.all().contains("tech-lead"),
        "waits for the approvals: {}",
        start.all()
    );
    assert_eq!(job_of(gitlab, DEPLOY_JOB).as_deref(), Some("manual"), "{}", start.all());
    assert!(
        gitlab.requests_to("POST", "/play").is_empty(),
        "nothing played before the approvals"
    );
    let status = json(&as_user(m, OPERATOR, &["status", "--json"]));
    assert_eq!(
        status["missing_roles"],
        serde_json::json!(["tech-lead", "pm"]),
        "{status}"
    );

    let tess = as_user(m, TESS, &["approve", "--role", "tech-lead"]);
    tess.expect_code(0);
    let early = as_user(m, OPERATOR, &["continue", "--yes"]);
    early.expect_code(3);
    assert!(
        early.all().contains("pm"),
        "one approval is not enough: {}",
        early.all()
    );
    assert!(gitlab.requests_to("POST", "/play").is_empty(), "still nothing played");
    let pat = as_user(m, PAT, &["approve", "--role", "pm"]);
    pat.expect_code(0);
    let approvals = &gitlab.deployments()[0].approvals;
    let users: Vec<&str> = approvals.iter().map(|a| a.user.username.as_str()).collect();
    assert_eq!(users, ["tess", "pat"], "two people approved on the forge");

    let run = as_user(m, OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    vec![start, tess, early, pat, run]
}

#[test]
fn seed_002_the_whole_merge_main_runbook_through_gitlab_in_one_run() {
    let m = Main::new();
    on_develop(&m, "feature.txt", "next release\n", "feat: next release's work");
    let service = Service::start(m.root(), &m.production);
    let merge = m.merge_files_to_main(
        "hotfix/other",
        &[
            ("other.txt", "other, fixed\n"),
            ("db/migrations/003.sql", "alter table x add y int;\n"),
        ],
    );
    let gitlab = gitlab(&m, &service, 42, &merge, &m.production, &[&merge]);
    configure(&m, &gitlab, &service);
    let mut outputs = Vec::new();

    // plan --fix !42: the MR's merge commit, main's pipeline passed.
    let plan = m.plan_json("!42", &[("GITLAB_TOKEN", OPERATOR)]);
    assert_eq!(plan["merge_main"]["target"], merge.as_str());
    assert_eq!(check(&plan, "fix-request-merged")["status"], "pass");
    assert_eq!(check(&plan, "main-pipeline-passed")["status"], "pass");
    assert_eq!(check(&plan, "ships-only-the-fix")["status"], "pass");
    assert_eq!(check(&plan, "migrations-run")["status"], "warn", "{plan}");
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "main-pipeline",
            "approvals",
            "deploy",
            "migrations",
            "verify-production",
            "backport"
        ]
    );

    outputs.extend(start_approve_continue(&m, &gitlab, "!42", &m.production));
    assert_eq!(gitlab.issues().len(), 1, "one incident opened");
    // The deploy job was played once both approved, and followed; the
    // service reports the merge; the migration job ran.
    assert_eq!(job_of(&gitlab, DEPLOY_JOB).as_deref(), Some("success"));
    assert_eq!(job_of(&gitlab, MIGRATION_JOB).as_deref(), Some("success"));
    assert_eq!(
        gitlab.requests_to("POST", "/play").len(),
        2,
        "each manual job played once"
    );
    assert_eq!(service.reported(), merge, "production runs the merge");

    // The backport to develop: branch, -x trailer, the request's labels.
    let branch = format!("backport/develop-{}", &merge[..7]);
    let head = m
        .origin_ref(&format!("refs/heads/{branch}"))
        .unwrap_or_else(|| panic!("{branch} pushed"));
    let message = m.git(&m.origin, &["log", "-1", "--format=%B", &head]);
    assert!(
        message.contains(&format!("(cherry picked from commit {merge})")),
        "{message}"
    );
    assert_eq!(
        m.git(&m.origin, &["show", &format!("{head}:other.txt")]).trim(),
        "other, fixed",
        "the fix is on the backport branch"
    );
    let backport = backport_request(&gitlab, &branch);
    assert_eq!(backport.target_branch, "develop");
    assert_eq!(backport.labels, ["backport", "auto-backport"]);
    // Status reads the request's state from the forge: opened, then merged.
    let opened = as_user(&m, OPERATOR, &["status"]);
    assert!(
        opened.stdout.contains("to develop: opened (its request on the forge)"),
        "{}",
        opened.stdout
    );
    gitlab.set_merge_request_state(backport.iid, "merged");
    let merged = as_user(&m, OPERATOR, &["status"]);
    assert!(
        merged.stdout.contains("to develop: merged (its request on the forge)"),
        "{}",
        merged.stdout
    );

    // The report: seed 002's checklist, the proven items ok, the person's missing.
    let report = as_user(&m, OPERATOR, &["report", "--format", "json"]);
    report.expect_code(0);
    let items = checklist(&json(&report));
    let status_of = |id: &str| {
        items
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("no item {id}: {items:?}"))
    };
    for id in [
        "production-recorded",
        "approvals",
        "deploy-completed",
        "fix-verified-in-production",
        "backport-opened",
        "migrations-completed",
    ] {
        assert_eq!(status_of(id), "ok", "{id}: {items:?}");
    }
    for id in ["backport-merged", "backport-conflicts-resolved"] {
        assert_eq!(status_of(id), "missing", "{id}: {items:?}");
    }
    outputs.push(report);

    let early = as_user(&m, OPERATOR, &["finish"]);
    assert_ne!(early.code, 0, "finish waits for the person items: {}", early.all());
    assert!(early.all().contains("backport-merged"), "{}", early.all());
    outputs.push(early);
    for (id, detail) in [
        ("backport-merged", "backport MR reviewed and merged by Dana"),
        ("backport-conflicts-resolved", "no conflicts"),
    ] {
        let attest = as_user(&m, OPERATOR, &["attest", id, "--detail", detail]);
        attest.expect_code(0);
        outputs.push(attest);
    }
    let report = as_user(&m, OPERATOR, &["report", "--format", "json"]);
    assert!(
        checklist(&json(&report)).iter().all(|(_, s)| s == "ok"),
        "{}",
        report.stdout
    );
    outputs.push(report);
    let finish = as_user(&m, OPERATOR, &["finish"]);
    finish.expect_code(0);
    outputs.push(finish);

    // A second hotfix, from what production runs now: develop changed
    // app.txt its own way, so the backport conflicts.
    on_develop(&m, "app.txt", "app two (develop)\n", "feat: develop's app");
    let second = m.merge_files_to_main("hotfix/app", &[("app.txt", "app one (fixed)\n")]);
    let gitlab2 = self::gitlab(&m, &service, 43, &second, &merge, &[&second]);
    configure(&m, &gitlab2, &service);
    outputs.extend(start_approve_continue(&m, &gitlab2, "!43", &merge));
    assert_eq!(service.reported(), second, "production runs the second merge");
    assert_eq!(
        job_of(&gitlab2, MIGRATION_JOB).as_deref(),
        Some("manual"),
        "no migration this time"
    );
    let branch = format!("backport/develop-{}", &second[..7]);
    let head = m
        .origin_ref(&format!("refs/heads/{branch}"))
        .unwrap_or_else(|| panic!("{branch} pushed"));
    let develop = m.origin_ref("refs/heads/develop").expect("develop");
    assert_eq!(m.rev(&m.origin, &format!("{head}^")), develop);
    assert_eq!(
        m.rev(&m.origin, &format!("{head}^{{tree}}")),
        m.rev(&m.origin, &format!("{develop}^{{tree}}")),
        "an empty commit: develop's tree"
    );
    let backport = backport_request(&gitlab2, &branch);
    assert_eq!(backport.labels, ["backport", "conflicts"]);
    assert!(
        backport.description.contains("manual resolution is needed") && backport.description.contains("- `app.txt`"),
        "{}",
        backport.description
    );
    let report = as_user(&m, OPERATOR, &["report", "--format", "json"]);
    let items = checklist(&json(&report));
    assert!(items.contains(&("backport-opened".into(), "ok".into())), "{items:?}");
    assert!(
        items.contains(&("backport-conflicts-resolved".into(), "missing".into())),
        "{items:?}"
    );
    outputs.push(report);

    // No token anywhere: outputs, origin's journal objects, the forge's bodies.
    let journal = m.git(&m.origin, &["log", "-p", "--glob=refs/hotfix/*"]);
    assert!(journal.contains(&merge), "the journal is on origin");
    let bodies: Vec<String> = [&gitlab, &gitlab2]
        .iter()
        .flat_map(|g| g.server.requests())
        .map(|r| r.text())
        .collect();
    for token in TOKENS {
        for out in &outputs {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
        assert!(!journal.contains(token), "a token is in origin's journal");
        assert!(
            !bodies.iter().any(|b| b.contains(token)),
            "a token is in a request body"
        );
    }
}

/// merge-main's rollback under forge approvals: the deploy job fails after
/// the runner had switched production, and `rollback` re-plays the deploy
/// job of main's pipeline for the production commit, behind approvals of
/// the deployment it makes, then health-checks production.
#[test]
fn seed_002_a_failed_deploy_rolls_back_to_the_production_commit_behind_its_own_approvals() {
    let m = Main::new();
    let service = Service::start(m.root(), &m.production);
    let merge = m.merge_files_to_main("hotfix/other", &[("other.txt", "other, fixed\n")]);
    let gitlab = gitlab_with(&m, &service, 42, &merge, &m.production, &[&merge, &m.production], |g| {
        g.failing_job = Some(DEPLOY_JOB.into())
    });
    configure(&m, &gitlab, &service);
    let plan = m.plan_json("!42", &[("GITLAB_TOKEN", OPERATOR)]);
    let rollback: Vec<&str> = plan["steps"]["rollback"]
        .as_array()
        .expect("rollback steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(rollback, ["main-pipeline", "approvals", "deploy", "verify-production"]);

    as_user(
        &m,
        OPERATOR,
        &["start", "--fix", "!42", "--production", &m.production, "--yes"],
    );
    as_user(&m, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    as_user(&m, PAT, &["approve", "--role", "pm"]).expect_code(0);
    let failed = as_user(&m, OPERATOR, &["continue", "--yes"]);
    assert_ne!(failed.code, 0, "{}", failed.all());
    assert!(failed.all().contains(DEPLOY_JOB), "{}", failed.all());
    // The runner had switched production to the merge before the job failed.
    std::fs::write(&service.sha_file, &merge).expect("sha file");
    gitlab.fail_job(None);

    let back = as_user(
        &m,
        OPERATOR,
        &["rollback", "--yes", "--reason", "deploy-prod-hotfix failed"],
    );
    back.expect_code(0);
    assert!(
        back.all().contains("tech-lead") && back.all().contains("pm"),
        "the rollback waits for its approvals: {}",
        back.all()
    );
    let plays = || gitlab.requests_to("POST", "/play").len();
    assert_eq!(plays(), 1, "the rollback's deploy job waits for its approvals");
    let deployments = gitlab.deployments();
    assert_eq!(
        deployments.len(),
        2,
        "main's pipeline for production has a deploy of its own"
    );
    assert!(deployments[1].approvals.is_empty(), "{deployments:#?}");
    as_user(&m, OPERATOR, &["continue", "--yes"]).expect_code(3);
    assert_eq!(plays(), 1, "continue at the gate plays nothing");

    as_user(&m, TESS, &["approve", "--role", "tech-lead"]).expect_code(0);
    as_user(&m, PAT, &["approve", "--role", "pm"]).expect_code(0);
    let approved: Vec<String> = gitlab.deployments()[1]
        .approvals
        .iter()
        .map(|a| format!("{} {}", a.user.username, a.comment.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(approved.len(), 2, "{approved:?}");
    assert!(
        approved[0].starts_with("tess ") && approved[0].ends_with("approved rollback as tech-lead"),
        "{approved:?}"
    );
    assert!(
        approved[1].starts_with("pat ") && approved[1].ends_with("approved rollback as pm"),
        "{approved:?}"
    );

    let run = as_user(&m, OPERATOR, &["continue", "--yes"]);
    run.expect_code(0);
    assert_eq!(plays(), 2, "the rollback's deploy job played");
    let deploys: Vec<_> = gitlab.jobs().into_iter().filter(|j| j.name == DEPLOY_JOB).collect();
    assert_eq!(deploys[0].status, "failed");
    assert_eq!(deploys[1].status, "success", "{deploys:?}");
    assert_ne!(
        deploys[0].pipeline, deploys[1].pipeline,
        "the production commit's pipeline"
    );
    assert_eq!(
        service.reported(),
        m.production,
        "production runs the production commit again"
    );
    let status = json(&as_user(&m, OPERATOR, &["status", "--json"]));
    assert!(status.to_string().contains("rolled"), "{status}");
    for out in [&back, &run] {
        for token in TOKENS {
            assert!(!out.all().contains(token), "a token leaked: {}", out.all());
        }
    }
}
