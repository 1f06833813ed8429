//! Several services in one hotfix (seeds 000, 001, 002): which services
//! ship, each one's production, steps and evidence, services on release
//! branches of their own, a failure in the second service, and the rollback
//! of one service.
//!
//! ```text
//! main:    base - P - U - F       (F: the fix, touching portal/ and admin/)
//! release: base - P - U           (U: unreleased work in api/)
//! ```

use std::path::Path;

use hotfix_testkit::repo::{project, Project};

use crate::common::service::Service;
use crate::common::{pinned, Run, BIN, MINIMAL_CONFIG};

struct Services {
    repo: Project,
    p: String,
    f: String,
    /// Each service's production endpoint, by name.
    services: Vec<(&'static str, Service)>,
}

impl Services {
    fn new(names: &[&'static str]) -> Services {
        let repo = project()
            .file("portal/app.txt", "portal\n")
            .file("admin/app.txt", "admin\n")
            .file("api/app.txt", "api\n")
            .build();
        repo.commit("base");
        repo.write("portal/app.txt", "portal (prod)\n");
        let p = repo.commit("P: what production runs");
        repo.write("api/app.txt", "api\nunreleased\n");
        repo.commit("U: unreleased api work");
        repo.branch("release");
        repo.write("portal/app.txt", "portal (prod)\nfixed\n");
        repo.write("admin/app.txt", "admin\nfixed\n");
        let f = repo.commit("fix: F repairs portal and admin");
        repo.push(&["main", "release"]);
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        let services = names
            .iter()
            .map(|name| {
                let dir = repo.root().join(format!("svc-{name}"));
                std::fs::create_dir_all(&dir).expect("service dir");
                (*name, Service::start(&dir, &p))
            })
            .collect();
        Services { repo, p, f, services }
    }

    fn service(&self, name: &str) -> &Service {
        &self.services.iter().find(|(n, _)| *n == name).expect("a service").1
    }

    /// One `[[services]]` table: its paths, its own deploy (which writes the
    /// SHA its endpoint reports, or fails when `fails`), verification and smoke.
    fn table(&self, name: &str, extra: &str, fails: bool) -> String {
        let service = self.service(name);
        let deploy = if fails {
            "echo deploy of $HOTFIX_SERVICE refused >&2; exit 7".to_string()
        } else {
            format!(
                "printf %s \"$HOTFIX_RELEASE_SHA\" > '{}'; echo deployed $HOTFIX_SERVICE",
                service.sha_file.display()
            )
        };
        self.table_deploying(name, extra, &deploy)
    }

    /// One `[[services]]` table whose deploy is `deploy` (a shell command).
    fn table_deploying(&self, name: &str, extra: &str, deploy: &str) -> String {
        let service = self.service(name);
        format!(
            r#"
[[services]]
name = "{name}"
paths = ["{name}/**"]
{extra}
[services.deploy]
command = "{deploy}"
timeout = "20s"
[services.verify]
[[services.verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "5s"
interval = "100ms"
[[services.smoke]]
name = "{name} answers"
command = "test -s '{sha}'"
"#,
            deploy = deploy.replace('"', "\\\""),
            url = service.url,
            sha = service.sha_file.display(),
        )
    }

    fn configure(&self, top: &str, tables: &[String]) {
        let text = format!(
            "{top}\n{MINIMAL_CONFIG}\n[production]\ntag = \"prod-*\"\n{}",
            tables.concat()
        );
        std::fs::write(self.repo.work.join("hotfix.toml"), text).expect("config");
    }

    fn configure_all(&self, top: &str, fails: Option<&str>) {
        let tables: Vec<String> = self
            .services
            .iter()
            .map(|(name, _)| self.table(name, "", fails == Some(*name)))
            .collect();
        self.configure(top, &tables);
    }

    fn tag_production(&self) {
        self.repo.tag("prod-1", &self.p);
        self.repo.push(&["prod-1"]);
    }

    fn hotfix(&self, args: &[&str]) -> Run {
        self.hotfix_in(&self.repo.work, args)
    }

    fn hotfix_in(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = std::process::Command::new(BIN);
        pinned(&mut cmd, self.repo.root());
        Run::from(cmd.current_dir(dir).args(args).output().expect("git-hotfix runs"))
    }

    fn start(&self, extra: &[&str]) -> Run {
        let mut args = vec!["start", "--fix", &self.f, "--yes"];
        args.extend_from_slice(extra);
        self.hotfix(&args)
    }

    fn report(&self, run: Option<&str>) -> serde_json::Value {
        let mut args = vec!["report", "--format", "json"];
        args.extend(run);
        let out = self.hotfix(&args);
        out.expect_code(0);
        serde_json::from_str(&out.stdout).expect("the report is JSON")
    }

    fn origin_ref(&self, name: &str) -> Option<String> {
        self.repo.origin_ref(name)
    }
}

/// Returns the report's targets as (service, changed, deploy word, rolled back).
fn targets(report: &serde_json::Value) -> Vec<(String, bool, String, String)> {
    report["targets"]
        .as_array()
        .expect("a table of targets")
        .iter()
        .map(|t| {
            let deploy = t["deploy"].as_str().expect("deploy");
            (
                t["service"].as_str().expect("service").to_string(),
                t["changed"].as_bool().expect("changed"),
                deploy.split(' ').next().unwrap_or_default().to_string(),
                t["rolled_back"].as_str().expect("rolled back").to_string(),
            )
        })
        .collect()
}

fn row(service: &str, changed: bool, deploy: &str, rolled_back: &str) -> (String, bool, String, String) {
    (service.into(), changed, deploy.into(), rolled_back.into())
}

#[test]
fn the_services_whose_paths_the_fix_touches_ship_and_the_others_stay() {
    let s = Services::new(&["portal", "admin", "api"]);
    s.tag_production();
    s.configure_all("", None);

    let plan = s.hotfix(&["plan", "--fix", &s.f]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("ships portal"), "{}", plan.stdout);
    assert!(plan.stdout.contains("ships admin"), "{}", plan.stdout);
    assert!(plan.stdout.contains("skip  api"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("the fixes touch portal/app.txt"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("the fixes touch none of api/**"),
        "{}",
        plan.stdout
    );

    let json = s.hotfix(&["plan", "--fix", &s.f, "--json"]);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).expect("a plan");
    let names: Vec<&str> = plan["steps"]["hotfix"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        [
            "record-production",
            "lock",
            "build",
            "push-release",
            "verify-release",
            "deploy-portal",
            "verify-production-portal",
            "smoke-portal",
            "deploy-admin",
            "verify-production-admin",
            "smoke-admin",
        ]
    );
    let share = plan["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "services-share-production")
        .expect("the services' production is checked");
    assert_eq!(share["status"], "pass");

    let start = s.start(&[]);
    start.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.service("portal").reported(), release);
    assert_eq!(s.service("admin").reported(), release);
    assert_eq!(s.service("api").reported(), s.p, "api was not deployed");

    let report = s.report(None);
    assert_eq!(
        targets(&report),
        [
            row("portal", true, "ok", "no"),
            row("admin", true, "ok", "no"),
            row("api", false, "not", "-"),
        ]
    );
    let api = &report["targets"][2];
    assert_eq!(api["deploy"], "not changed");
    assert_eq!(api["production_before"], s.p.as_str());
    assert_eq!(report["targets"][0]["release_commit"], release.as_str());
    let deploy_item = report["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|i| i["id"] == "deploy-completed")
        .expect("the deploy item");
    assert_eq!(deploy_item["status"], "ok");
    let detail = deploy_item["detail"].as_str().expect("detail");
    assert!(
        detail.starts_with("portal: ") && detail.contains("; admin: "),
        "{detail}"
    );

    let md = s.hotfix(&["report"]);
    assert!(md.stdout.contains("## Targets"), "{}", md.stdout);
    assert!(
        md.stdout.contains(&format!("| api | no | `{}` | - |", &s.p[..12])),
        "{}",
        md.stdout
    );
}

#[test]
fn deploy_all_services_ships_every_service_and_service_names_one() {
    let s = Services::new(&["portal", "admin", "api"]);
    s.tag_production();
    s.configure_all("deploy_all_services = true", None);
    let start = s.start(&[]);
    start.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    for (name, service) in &s.services {
        assert_eq!(service.reported(), release, "{name} is deployed");
    }
    let report = s.report(None);
    assert!(
        report["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .all(|t| t["why"] == "deploy_all_services = true: every service ships"),
        "{report:#}"
    );

    // --service names what ships, and a name hotfix.toml lacks is a usage error.
    let t = Services::new(&["portal", "admin", "api"]);
    t.tag_production();
    t.configure_all("", None);
    let plan = t.hotfix(&["plan", "--fix", &t.f, "--service", "api", "--json"]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("a plan");
    let ships: Vec<bool> = plan["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|t| t["ships"].as_bool().expect("ships"))
        .collect();
    assert_eq!(ships, [false, false, true]);
    let unknown = t.hotfix(&["plan", "--fix", &t.f, "--service", "portl"]);
    unknown.expect_code(2);
    assert!(
        unknown
            .stderr
            .contains("no service `portl`; its [[services]] are: portal, admin, api"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn two_services_on_one_release_branch_running_different_commits_block_the_plan() {
    let s = Services::new(&["portal", "admin"]);
    let other = s.repo.rev(&s.repo.work, "release");
    let tables = [
        s.table(
            "portal",
            &format!("[services.production]\ncommand = \"echo {}\"", s.p),
            false,
        ),
        s.table(
            "admin",
            &format!("[services.production]\ncommand = \"echo {other}\""),
            false,
        ),
    ];
    s.configure("", &tables);
    let plan = s.hotfix(&["plan", "--fix", &s.f]);
    plan.expect_code(3);
    let shown = format!("portal runs {}, admin runs {}", &s.p[..7], &other[..7]);
    assert!(plan.stdout.contains(&shown), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("BLOCK services-share-production"),
        "{}",
        plan.stdout
    );
    assert!(plan.stderr.contains("release_branch"), "{}", plan.stderr);
    let start = s.start(&[]);
    start.expect_code(3);
    assert_eq!(
        s.origin_ref("refs/heads/release").as_deref(),
        Some(other.as_str()),
        "nothing was pushed"
    );
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
}

#[test]
fn services_on_two_release_branches_get_two_restores_two_locks_and_two_pushes() {
    let s = Services::new(&["portal", "admin"]);
    s.tag_production();
    // admin is deployed from a branch of its own, cut at the same point.
    s.repo.git(
        &s.repo.work,
        &["push", "-q", "origin", "release:refs/heads/release-admin"],
    );
    let admin_before = s.origin_ref("refs/heads/release-admin").expect("release-admin");
    let release_before = s.origin_ref("refs/heads/release").expect("release");
    let tables = [
        s.table("portal", "", false),
        s.table("admin", "release_branch = \"release-admin\"", false),
    ];
    s.configure("", &tables);

    let plan = s.hotfix(&["plan", "--fix", &s.f]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("run on origin/release-admin:"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("deployed from release-admin, it ships in a run of its own"),
        "{}",
        plan.stdout
    );

    let start = s.start(&["--incident", "INC-7"]);
    start.expect_code(0);
    let ids: Vec<String> = start
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("run ")?.strip_suffix(": starting").map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 2, "{}", start.stdout);

    for (branch, before, service) in [
        ("release", &release_before, "portal"),
        ("release-admin", &admin_before, "admin"),
    ] {
        let tip = s.origin_ref(&format!("refs/heads/{branch}")).expect("pushed");
        // restore + the fix, on the tip that was read.
        let chain = s.repo.git(
            &s.repo.origin,
            &["rev-list", "--first-parent", &format!("{before}..{tip}")],
        );
        assert_eq!(chain.lines().count(), 2, "{branch}: {chain}");
        let restore = chain.lines().last().expect("the restore");
        assert_eq!(
            s.repo.rev(&s.repo.origin, &format!("{restore}^{{tree}}")),
            s.repo.rev(&s.repo.origin, &format!("{}^{{tree}}", s.p)),
            "{branch}: the restore has production's tree"
        );
        assert_eq!(
            s.service(service).reported(),
            tip,
            "{service} runs its branch's release"
        );
        assert!(
            s.origin_ref(&format!("refs/hotfix/locks/{branch}")).is_some(),
            "{branch} is locked by its run"
        );
    }
    // Each push was a compare-and-swap on the tip its run read.
    for (id, branch, before) in [
        (&ids[0], "release", &release_before),
        (&ids[1], "release-admin", &admin_before),
    ] {
        let status = s.hotfix(&["status", id, "--json"]);
        let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("status");
        assert_eq!(status["record"]["release_branch"], branch);
        assert_eq!(status["record"]["incident"], "INC-7", "the runs share the incident");
        let pushed: Vec<String> = status["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["entry"].to_string())
            .filter(|e| e.contains("\"push-release\"") && e.contains("\"pushed\""))
            .collect();
        assert_eq!(pushed.len(), 1, "{branch}: {pushed:?}");
        assert!(
            pushed[0].contains(&format!("\"old\":\"{before}\"")),
            "{branch}: the push expected the tip read: {}",
            pushed[0]
        );
    }
}

#[test]
fn a_failure_in_the_second_service_says_which_already_run_the_fix_and_one_service_rolls_back() {
    let s = Services::new(&["portal", "admin"]);
    s.tag_production();
    s.configure_all("", Some("admin"));
    let start = s.start(&[]);
    start.expect_code(1);
    assert!(start.stderr.contains("deploy-admin failed"), "{}", start.stderr);
    assert!(
        start
            .stderr
            .contains("services already running the fix: portal; not yet: admin"),
        "{}",
        start.stderr
    );
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.service("portal").reported(), release, "portal stays deployed");
    assert_eq!(s.service("admin").reported(), s.p);

    let report = s.report(None);
    assert_eq!(
        targets(&report),
        [row("portal", true, "ok", "no"), row("admin", true, "failed", "no")]
    );

    let wrong = s.hotfix(&["rollback", "--service", "api", "--yes"]);
    wrong.expect_code(1);
    assert!(
        wrong
            .stderr
            .contains("did not change service `api`; it changed: portal, admin"),
        "{}",
        wrong.stderr
    );

    let back = s.hotfix(&["rollback", "--service", "portal", "--yes", "--reason", "portal errors"]);
    back.expect_code(0);
    assert!(back.stdout.contains("deploy-portal"), "{}", back.stdout);
    assert!(!back.stdout.contains("deploy-admin"), "{}", back.stdout);
    let restored = s.origin_ref("refs/heads/release").expect("release");
    assert_ne!(restored, release, "release got the restore commit");
    assert_eq!(
        s.repo.rev(&s.repo.origin, &format!("{restored}^{{tree}}")),
        s.repo.rev(&s.repo.origin, &format!("{}^{{tree}}", s.p)),
        "release has production's tree again"
    );
    assert_eq!(
        s.service("portal").reported(),
        restored,
        "portal runs production's tree again"
    );
    assert_eq!(s.service("admin").reported(), s.p, "admin was left as it was");
    let report = s.report(None);
    let rows = targets(&report);
    assert!(rows[0].3.starts_with("yes "), "{rows:?}");
    assert_eq!(rows[1].3, "no", "{rows:?}");
    assert_eq!(
        report["targets"][0]["release_commit"],
        release.as_str(),
        "the table names the hotfix's commit, not the rollback's"
    );
}

#[test]
fn doctor_reads_each_services_branch_and_production() {
    let s = Services::new(&["portal", "admin"]);
    s.repo.git(
        &s.repo.work,
        &["push", "-q", "origin", "release:refs/heads/release-admin"],
    );
    let release = s.origin_ref("refs/heads/release").expect("release");
    let tables = [
        s.table(
            "portal",
            &format!("[services.production]\ncommand = \"echo {}\"", s.p),
            false,
        ),
        s.table(
            "admin",
            &format!("release_branch = \"release-admin\"\n[services.production]\ncommand = \"echo {release}\""),
            false,
        ),
    ];
    // No top-level [production]: each service has its own.
    let text = format!("{MINIMAL_CONFIG}\n{}", tables.concat());
    std::fs::write(s.repo.work.join("hotfix.toml"), text).expect("config");
    let doctor = s.hotfix(&["doctor"]);
    doctor.expect_code(0);
    let line = format!(
        "ok services: portal: release, production {} (command `echo {}`); admin: release-admin, production {} (command `echo {release}`)",
        &s.p[..7],
        s.p,
        &release[..7]
    );
    assert!(doctor.stdout.contains(&line), "{}", doctor.stdout);
    assert!(!doctor.stdout.contains("FAIL"), "{}", doctor.stdout);

    // A service branch the remote lacks fails, naming it.
    s.repo
        .git(&s.repo.work, &["push", "-q", "origin", ":refs/heads/release-admin"]);
    let doctor = s.hotfix(&["doctor"]);
    doctor.expect_code(1);
    assert!(doctor.stdout.contains("FAIL services:"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("release-admin"), "{}", doctor.stdout);
}

/// Seed 002: "All 3 production apps (portal, admin, api-gateway) are
/// deployed every time" from main, each health-checked, then the migrations.
#[test]
fn merge_main_deploys_every_app_in_turn_then_the_migrations() {
    use crate::test_merge_main::{step_names, Main};
    let m = Main::new();
    let names = ["portal", "admin", "api-gateway"];
    let services: Vec<Service> = names
        .iter()
        .map(|n| {
            let dir = m.root().join(format!("svc-{n}"));
            std::fs::create_dir_all(&dir).expect("service dir");
            Service::start(&dir, &m.production)
        })
        .collect();
    let fix = m.on_main("db/migrations/002.sql", "alter table x;\n", "fix: add the column");
    let log = m.root().join("deploy.log");
    let mut text = format!(
        r#"strategy = "merge-main"
remote = "origin"
deploy_all_services = true
[branches]
main = "main"
[migrations]
paths = ["db/migrations/**"]
command = "echo migrated >> '{log}'"
timeout = "20s"
"#,
        log = log.display()
    );
    for (name, service) in names.iter().zip(&services) {
        text.push_str(&format!(
            r#"
[[services]]
name = "{name}"
[services.deploy]
command = "echo $HOTFIX_SERVICE >> '{log}'; printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha}'"
timeout = "20s"
[services.verify]
[[services.verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "5s"
interval = "100ms"
"#,
            log = log.display(),
            sha = service.sha_file.display(),
            url = service.url
        ));
    }
    m.configure(&text);
    let plan = m.plan_json(&fix, &[]);
    assert_eq!(
        step_names(&plan),
        [
            "record-production",
            "lock",
            "deploy-portal",
            "verify-production-portal",
            "deploy-admin",
            "verify-production-admin",
            "deploy-api-gateway",
            "verify-production-api-gateway",
            "migrations",
        ]
    );
    let start = m.hotfix(&["start", "--fix", &fix, "--production", &m.production, "--yes"], &[]);
    start.expect_code(0);
    for service in &services {
        assert_eq!(service.reported(), fix, "every app runs main's commit");
    }
    let deployed = std::fs::read_to_string(&log).expect("deploy log");
    assert_eq!(deployed, "portal\nadmin\napi-gateway\nmigrated\n");
}

/// `parallel_services = true`: the services' steps run side by side. Each
/// deploy waits (up to 5 s) for the other to have started, so one after the
/// other they would both fail; side by side they meet. The journal stays
/// one chain with every step's evidence.
#[test]
fn parallel_services_deploy_side_by_side_and_the_journal_stays_one_chain() {
    let s = Services::new(&["portal", "admin"]);
    s.tag_production();
    let meet = s.repo.root().join("meet");
    std::fs::create_dir_all(&meet).expect("meeting dir");
    let mut tables = String::new();
    for (me, other) in [("portal", "admin"), ("admin", "portal")] {
        let deploy = format!(
            "touch '{dir}/{me}'; i=0; while [ ! -e '{dir}/{other}' ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; \
             test -e '{dir}/{other}' && printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha}' && echo met {other}",
            dir = meet.display(),
            sha = s.service(me).sha_file.display()
        );
        tables.push_str(&s.table_deploying(me, "", &deploy));
    }
    s.configure("parallel_services = true", &[tables]);
    let start = s.start(&[]);
    start.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.service("portal").reported(), release);
    assert_eq!(s.service("admin").reported(), release);
    assert!(start.stdout.contains("portal: met admin"), "{}", start.stdout);
    assert!(start.stdout.contains("admin: met portal"), "{}", start.stdout);

    // One chain: verify checks every entry's one parent is the previous.
    let verify = s.hotfix(&["verify"]);
    verify.expect_code(0);
    let report = s.report(None);
    assert_eq!(
        targets(&report),
        [row("portal", true, "ok", "no"), row("admin", true, "ok", "no")]
    );
    let state = s.hotfix(&["status", "--json"]);
    let state: serde_json::Value = serde_json::from_str(&state.stdout).expect("status");
    assert_eq!(state["state"], "released");

    // Without it, the same deploys one after the other cannot meet: the first fails.
    let t = Services::new(&["portal", "admin"]);
    t.tag_production();
    let text = std::fs::read_to_string(s.repo.work.join("hotfix.toml"))
        .expect("config")
        .replace("parallel_services = true", "")
        .replace(
            &s.repo.root().to_string_lossy().to_string(),
            &t.repo.root().to_string_lossy(),
        );
    std::fs::create_dir_all(t.repo.root().join("meet")).expect("meeting dir");
    std::fs::write(t.repo.work.join("hotfix.toml"), text).expect("config");
    let alone = t.start(&[]);
    alone.expect_code(1);
    assert!(alone.stderr.contains("deploy-portal failed"), "{}", alone.stderr);
}

/// A colleague's clone carries on a services run that stopped before its
/// push: production is read again from each shipped service's own sources
/// (not the top-level ones, which these services do not use) and agrees.
#[test]
fn another_clone_continues_a_services_run_reading_each_services_production_again() {
    let s = Services::new(&["portal", "admin"]);
    let tables = [
        s.table(
            "portal",
            &format!("[services.production]\ncommand = \"echo {}\"", s.p),
            false,
        ),
        s.table(
            "admin",
            &format!("[services.production]\ncommand = \"echo {}\"", s.p),
            false,
        ),
    ];
    let text = format!("{MINIMAL_CONFIG}\n{}", tables.concat());
    std::fs::write(s.repo.work.join("hotfix.toml"), &text).expect("config");
    let mut cmd = std::process::Command::new(BIN);
    pinned(&mut cmd, s.repo.root());
    let stopped = Run::from(
        cmd.current_dir(&s.repo.work)
            .args(["start", "--fix", &s.f, "--yes"])
            .env("GIT_HOTFIX_INJECT_INTERRUPT", "before:push-release")
            .output()
            .expect("git-hotfix runs"),
    );
    assert_eq!(stopped.code, 130, "{}", stopped.all());
    let colleague = s.repo.clone_origin("colleague");
    // Where admin's source now names another commit, nothing is pushed.
    let moved = s.repo.rev(&s.repo.work, "release");
    std::fs::write(
        colleague.join("hotfix.toml"),
        text.replacen(&format!("echo {}", s.p), &format!("echo {moved}"), 2)
            .replacen(&format!("echo {moved}"), &format!("echo {}", s.p), 1),
    )
    .expect("config");
    let refused = s.hotfix_in(&colleague, &["continue", "--yes"]);
    refused.expect_code(3);
    assert!(refused.stderr.contains("records production"), "{}", refused.stderr);
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(moved.as_str()));
    std::fs::write(colleague.join("hotfix.toml"), &text).expect("config");
    let go = s.hotfix_in(&colleague, &["continue", "--yes"]);
    go.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.service("portal").reported(), release);
    assert_eq!(s.service("admin").reported(), release);
}
