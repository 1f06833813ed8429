//! Strategy trunk (seed 004). The standard path: the fix is merged to main,
//! `[trunk] releasable` (a command) says main is releasable, the standard
//! release ships main's tip, and production must report a commit of main
//! that contains the fix. The exceptional path: the command exits 1, so a
//! hotfix branch from production's commit gets the fix, goes to the hotfix
//! staging environment (a second local service) before production, and is
//! tagged `v<version>-hotfix.<n>`; the fix reaches main.

use crate::common::service::Service;
use crate::test_merge_main::{check, step_names, Main};

/// The files the commands write, under the test's root.
struct Logs {
    /// Every team command appends a line here, in the order they run.
    order: std::path::PathBuf,
    /// `[trunk] releasable` appends the `HOTFIX_MAIN_SHA` it was given.
    releasable: std::path::PathBuf,
    /// When this script exists, the production deploy runs it instead of
    /// switching production to `HOTFIX_RELEASE_SHA`.
    deploy_override: std::path::PathBuf,
}

impl Logs {
    fn of(m: &Main) -> Logs {
        Logs {
            order: m.root().join("order.log"),
            releasable: m.root().join("releasable.log"),
            deploy_override: m.root().join("deploy-override.sh"),
        }
    }

    fn order(&self) -> Vec<String> {
        read_lines(&self.order)
    }
}

fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A trunk hotfix.toml: main is releasable when `releasable_exit` is 0; the
/// release and deploy log what they ship, the deploy switches production;
/// staging is a service of its own.
fn config(m: &Main, production: &Service, staging: &Service, releasable_exit: i32, extra: &str) -> String {
    let logs = Logs::of(m);
    format!(
        r#"strategy = "trunk"
remote = "origin"
[branches]
main = "main"

[trunk]
releasable = {{ command = "printf '%s\n' \"$HOTFIX_MAIN_SHA\" >> '{releasable}'; echo 'checked main'; echo 'main is red: half a migration'; exit {releasable_exit}" }}

[release]
command = "printf 'release %s %s\n' \"$HOTFIX_RELEASE_SHA\" \"$HOTFIX_TAG\" >> '{order}'"
action = "release main"
timeout = "20s"

[deploy]
command = "printf 'deploy %s %s\n' \"$HOTFIX_RELEASE_SHA\" \"$HOTFIX_TAG\" >> '{order}'; if [ -f '{over}' ]; then sh '{over}'; else printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha}'; fi"
timeout = "20s"

[[verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "3s"
interval = "100ms"

[[smoke]]
command = "printf 'smoke\n' >> '{order}'"

[staging.deploy]
command = "printf 'staging-deploy %s %s\n' \"$HOTFIX_RELEASE_SHA\" \"$HOTFIX_ENVIRONMENT\" >> '{order}'; printf %s \"$HOTFIX_RELEASE_SHA\" > '{staging_sha}'"
timeout = "20s"

[[staging.verify.http]]
url = "{staging_url}"
sha_pointer = "/sha"
timeout = "3s"
interval = "100ms"

[[staging.smoke]]
command = "printf 'staging-smoke\n' >> '{order}'"
{extra}"#,
        releasable = logs.releasable.display(),
        order = logs.order.display(),
        over = logs.deploy_override.display(),
        sha = production.sha_file.display(),
        url = production.url,
        staging_sha = staging.sha_file.display(),
        staging_url = staging.url,
    )
}

/// Production (reporting P) and the hotfix staging environment, each a
/// service of its own.
fn services(m: &Main) -> (Service, Service) {
    let staging_dir = m.root().join("staging");
    std::fs::create_dir_all(&staging_dir).expect("staging dir");
    let production = Service::start(m.root(), &m.production);
    let staging = Service::start(&staging_dir, &m.production);
    (production, staging)
}

/// Main with production P tagged v1.4.0, then unreleasable work U, then the
/// fix F; returns (U, F).
fn trunk_with_fix(m: &Main) -> (String, String) {
    m.tag("v1.4.0", &m.production);
    m.push(&["v1.4.0"]);
    let unreleasable = m.on_main(
        "app.txt",
        "app one (prod)\nhalf a migration\n",
        "feat: unreleasable work",
    );
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    (unreleasable, fix)
}

fn start(m: &Main, fix: &str) -> crate::common::Run {
    m.hotfix(&["start", "--fix", fix, "--production", &m.production, "--yes"], &[])
}

#[test]
fn test_trunk_standard_path_releases_main_and_production_contains_the_fix() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let (_, fix) = trunk_with_fix(&m);
    let main_tip = fix.clone();
    m.configure(&config(&m, &production, &staging, 0, ""));
    let logs = Logs::of(&m);

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(plan["strategy"], "trunk");
    assert_eq!(plan["trunk"]["path"], "standard");
    assert_eq!(
        plan["new_tip"],
        main_tip.as_str(),
        "the standard release ships main's tip"
    );
    let path = check(&plan, "path")["detail"].as_str().expect("detail").to_string();
    assert!(path.starts_with("path: standard"), "{path}");
    assert!(path.contains("releasable") && path.contains("exited 0"), "{path}");
    assert_eq!(check(&plan, "fix-merged")["status"], "pass");
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "release-action",
            "deploy",
            "verify-production",
            "smoke"
        ]
    );
    let verify = &plan["steps"]["hotfix"][4]["action"];
    assert_eq!(verify["kind"], "verify-contains");
    assert_eq!(verify["contains"], serde_json::json!([fix]));
    assert_eq!(
        read_lines(&logs.releasable),
        [main_tip.as_str()],
        "HOTFIX_MAIN_SHA is main's tip"
    );

    let text = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    text.expect_code(0);
    assert!(text.stdout.contains("path        standard — main"), "{}", text.stdout);

    let run = start(&m, &fix);
    run.expect_code(0);
    assert_eq!(
        logs.order(),
        [
            format!("release {main_tip} "),
            format!("deploy {main_tip} "),
            "smoke".to_string()
        ],
        "the standard release ships main's tip; no staging, no tag"
    );
    assert_eq!(production.reported(), main_tip);
    assert!(
        m.origin_ref("refs/tags/v1.4.0-hotfix.1").is_none(),
        "the standard path tags nothing"
    );
}

#[test]
fn test_trunk_standard_path_accepts_a_newer_main_and_refuses_a_commit_without_the_fix() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let (_, fix) = trunk_with_fix(&m);
    m.configure(&config(&m, &production, &staging, 0, ""));
    let logs = Logs::of(&m);

    // The standard release ships a newer main than the one planned: a
    // commit pushed while it ran, which holds the fix.
    m.write("other.txt", "other, fixed\nand more\n");
    let newer = m.commit("feat: merged meanwhile");
    m.git(&m.work, &["reset", "-q", "--hard", &fix]);
    std::fs::write(
        &logs.deploy_override,
        format!(
            "git push -q origin {newer}:refs/heads/main && printf %s {newer} > '{}'\n",
            production.sha_file.display()
        ),
    )
    .expect("override");
    let run = start(&m, &fix);
    run.expect_code(0);
    assert_eq!(production.reported(), newer, "production runs main's newer commit");
    assert_eq!(m.origin_ref("refs/heads/main").as_deref(), Some(newer.as_str()));

    // A production that reports a commit of main without the fix fails the
    // verification.
    let m = Main::new();
    let (production, staging) = services(&m);
    let (unreleasable_2, fix_2) = trunk_with_fix(&m);
    m.configure(&config(&m, &production, &staging, 0, ""));
    let logs = Logs::of(&m);
    std::fs::write(
        &logs.deploy_override,
        format!("printf %s {unreleasable_2} > '{}'\n", production.sha_file.display()),
    )
    .expect("override");
    let run = start(&m, &fix_2);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.all().contains("did not report a commit of main containing"),
        "{}",
        run.all()
    );
    assert!(
        !logs.order().contains(&"smoke".to_string()),
        "no smoke check after a failed verification"
    );
}

#[test]
fn test_trunk_exceptional_path_branches_from_production_stages_tags_and_deploys() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let (unreleasable, fix) = trunk_with_fix(&m);
    m.configure(&config(&m, &production, &staging, 1, ""));
    let logs = Logs::of(&m);

    let plan = m.plan_json(&fix, &[]);
    let trunk = &plan["trunk"];
    assert_eq!(trunk["path"], "exceptional");
    assert_eq!(trunk["tag"], "v1.4.0-hotfix.1");
    assert_eq!(trunk["branch"], "hotfix/v1.4.0-hotfix.1");
    assert_eq!(trunk["production_tag"], "v1.4.0");
    assert_eq!(trunk["way_back"]["kind"], "on-main", "the fix was named from main");
    let path = check(&plan, "path")["detail"].as_str().expect("detail").to_string();
    assert!(path.starts_with("path: exceptional"), "{path}");
    assert!(
        path.contains("exited 1: checked main / main is red: half a migration"),
        "{path}"
    );
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "build",
            "push-hotfix-branch",
            "verify-release",
            "staging-deploy",
            "staging-verify",
            "staging-smoke",
            "tag",
            "release-action",
            "deploy",
            "verify-production",
            "smoke"
        ]
    );
    let text = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    text.expect_code(0);
    assert!(text.stdout.contains("path        exceptional — "), "{}", text.stdout);
    assert!(text.stdout.contains("exited 1"), "{}", text.stdout);
    assert!(text.stdout.contains("v1.4.0-hotfix.1"), "{}", text.stdout);

    let run = start(&m, &fix);
    run.expect_code(0);
    let branch = m
        .origin_ref("refs/heads/hotfix/v1.4.0-hotfix.1")
        .expect("the hotfix branch is pushed");
    assert_eq!(
        m.rev(&m.work, &format!("{branch}^")),
        m.production,
        "the branch starts at production"
    );
    m.git(&m.work, &["fetch", "-q", "origin", "--tags"]);
    assert_eq!(
        m.rev(&m.work, "v1.4.0-hotfix.1^{commit}"),
        branch,
        "the hotfix tag is on the branch's commit"
    );
    let shown = |path: &str| m.git(&m.work, &["show", &format!("{branch}:{path}")]);
    assert_eq!(shown("other.txt").trim_end(), "other, fixed", "the branch has the fix");
    assert_eq!(
        shown("app.txt").trim_end(),
        "app one (prod)",
        "and not main's unreleasable work"
    );
    assert_ne!(branch, unreleasable);
    assert_eq!(
        logs.order(),
        [
            format!("staging-deploy {branch} staging"),
            "staging-smoke".to_string(),
            format!("release {branch} v1.4.0-hotfix.1"),
            format!("deploy {branch} v1.4.0-hotfix.1"),
            "smoke".to_string(),
        ],
        "staging is deployed and checked before production"
    );
    assert_eq!(staging.reported(), branch);
    assert_eq!(production.reported(), branch, "production runs the tag's commit");
    let main = m.origin_ref("refs/heads/main").expect("main");
    assert!(
        m.git(&m.work, &["merge-base", "--is-ancestor", &fix, &main]).is_empty(),
        "the fix is on main"
    );

    // The record proves seed 004's exceptional path item by item from the steps.
    let report = m.hotfix(&["report", "--format", "json"], &[]);
    report.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let item = |id: &str| {
        report["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}: {report:#}"))
            .clone()
    };
    for id in [
        "production-recorded",
        "hotfix-branch",
        "hotfix-staging",
        "hotfix-tag",
        "released",
    ] {
        assert_eq!(item(id)["status"], "ok", "{id}: {:#}", item(id));
    }
    let tag = item("hotfix-tag");
    assert!(
        tag["detail"].as_str().is_some_and(|d| d.contains("v1.4.0-hotfix.1")),
        "{tag:#}"
    );
    let staged = item("hotfix-staging");
    assert!(
        staged["detail"].as_str().is_some_and(|d| d.contains(&branch[..7])),
        "{staged:#}"
    );
}

#[test]
fn test_trunk_exceptional_path_numbers_the_next_hotfix_tag() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let (_, fix) = trunk_with_fix(&m);
    m.tag("v1.4.0-hotfix.1", &m.production);
    m.tag("v1.3.0-hotfix.7", &m.production);
    m.push(&["v1.4.0-hotfix.1", "v1.3.0-hotfix.7"]);
    m.git(&m.work, &["tag", "-d", "v1.4.0-hotfix.1", "v1.3.0-hotfix.7"]);
    m.configure(&config(&m, &production, &staging, 1, ""));

    let plan = m.plan_json(&fix, &[]);
    assert_eq!(plan["trunk"]["tag"], "v1.4.0-hotfix.2", "the origin's .1 exists");
    assert_eq!(plan["trunk"]["branch"], "hotfix/v1.4.0-hotfix.2");
    assert_eq!(check(&plan, "tag-free")["status"], "pass");
}

#[test]
fn test_trunk_exceptional_path_without_a_production_tag_is_blocked() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    m.configure(&config(&m, &production, &staging, 1, ""));
    let run = m.hotfix(&["plan", "--json", "--fix", &fix, "--production", &m.production], &[]);
    run.expect_code(3);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    let version = check(&plan, "production-version");
    assert_eq!(version["status"], "block", "{version}");
    assert!(
        version["detail"].as_str().unwrap_or_default().contains("v*"),
        "{version}"
    );
}

#[test]
fn test_trunk_config_missing_staging_is_refused_naming_the_key() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let fix = m.on_main("other.txt", "other, fixed\n", "fix: repair other.txt");
    let text = config(&m, &production, &staging, 0, "");
    let cut = text.find("[staging.deploy]").expect("staging table");
    m.configure(&text[..cut]);
    let run = m.hotfix(&["plan", "--fix", &fix, "--production", &m.production], &[]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("[staging]"), "{}", run.stderr);
}

// --- `releasable = "forge"`: main's latest pipeline for main's tip ---------

const TOKEN: &str = "glpat-S3CRET-trunk";

/// The fake GitLab with main's pipeline for `sha` (GET
/// /projects/:id/pipelines?sha=&ref=, then the pipeline's status).
fn gitlab(sha: &str, status: &str) -> hotfix_testkit::forge_gitlab::FakeGitLab {
    use hotfix_testkit::forge_gitlab::{CommitPipeline, FakeGitLab, Setup};
    FakeGitLab::start(Setup {
        token: TOKEN.into(),
        commit_pipelines: vec![CommitPipeline {
            sha: sha.to_string(),
            git_ref: "main".into(),
            status: status.into(),
            jobs: Vec::new(),
        }],
        ..Setup::default()
    })
    .expect("the fake GitLab starts")
}

/// The test's config with `releasable = "forge"` and `[forge]`.
fn forge_config(
    m: &Main,
    production: &Service,
    staging: &Service,
    gitlab: &hotfix_testkit::forge_gitlab::FakeGitLab,
) -> String {
    let text = config(m, production, staging, 0, "");
    let releasable: String = text
        .lines()
        .map(|l| {
            if l.starts_with("releasable = ") {
                "releasable = \"forge\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{releasable}\n[forge]\nkind = \"gitlab\"\nurl = \"{}\"\nproject = \"fleet/portal\"\n",
        gitlab.url()
    )
}

#[test]
fn test_trunk_forge_verdict_picks_the_path_from_mains_pipeline() {
    let env = [("GITLAB_TOKEN", TOKEN)];
    for (status, path, said) in [
        ("success", "standard", "passed"),
        ("failed", "exceptional", "is `failed`, not `success`"),
    ] {
        let m = Main::new();
        let (production, staging) = services(&m);
        let (_, fix) = trunk_with_fix(&m);
        let gitlab = gitlab(&fix, status);
        m.configure(&forge_config(&m, &production, &staging, &gitlab));
        let plan = m.plan_json(&fix, &env);
        assert_eq!(plan["trunk"]["path"], path, "{status}: {plan}");
        assert_eq!(plan["trunk"]["releasable"]["source"], "forge");
        let why = check(&plan, "path")["detail"].as_str().unwrap_or_default().to_string();
        assert!(why.contains("main's pipeline #"), "{why}");
        assert!(why.contains(said), "{why}");
        assert!(
            !read_lines(&Logs::of(&m).releasable).iter().any(|l| !l.is_empty()),
            "no command ran"
        );
    }
}

#[test]
fn test_trunk_exceptional_rollback_redeploys_production() {
    let m = Main::new();
    let (production, staging) = services(&m);
    let (_, fix) = trunk_with_fix(&m);
    m.configure(&config(&m, &production, &staging, 1, ""));
    start(&m, &fix).expect_code(0);
    let branch = m.origin_ref("refs/heads/hotfix/v1.4.0-hotfix.1").expect("branch");
    assert_eq!(production.reported(), branch);

    let args = ["rollback", "--reason", "the fix broke checkout", "--yes"];
    let run = m.hotfix(&args, &[]);
    run.expect_code(0);
    assert_eq!(production.reported(), m.production, "production runs its commit again");
    let last = Logs::of(&m)
        .order()
        .into_iter()
        .rev()
        .find(|l| l.starts_with("deploy "));
    assert_eq!(
        last,
        Some(format!("deploy {} v1.4.0", m.production)),
        "with its version tag"
    );
}
