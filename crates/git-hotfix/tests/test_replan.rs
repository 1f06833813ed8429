//! A run's steps are data frozen at `start`: `plan --json` and `plan` show
//! every step with its parameters, an edit of hotfix.toml mid-run does not
//! change what `continue` runs, and `continue --replan` does, journaled and
//! reported.

use std::path::{Path, PathBuf};

use crate::common::service::Service;
use crate::common::{Run, Scenario};
use crate::test_gates::ALICE;

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// Where each command of the configuration leaves its mark.
struct Marks {
    release_job: PathBuf,
    recorded: PathBuf,
    edited: PathBuf,
}

impl Marks {
    fn new(s: &Scenario) -> Marks {
        Marks {
            release_job: s.root().join("release-job.log"),
            recorded: s.root().join("deploy-recorded.log"),
            edited: s.root().join("deploy-edited.log"),
        }
    }
}

/// The deploy: switches the service to the release and writes the release
/// SHA to `mark`, so a test sees which of two deploy commands ran.
fn deploy_command(service: &Service, mark: &Path) -> String {
    format!(
        "printf %s \"$HOTFIX_RELEASE_SHA\" > '{}'; echo $HOTFIX_RELEASE_SHA >> '{}'",
        service.sha_file.display(),
        mark.display()
    )
}

fn smoke_command(service: &Service) -> String {
    format!("test -s '{}'", service.sha_file.display())
}

fn release_command(marks: &Marks) -> String {
    format!(
        "printf '%s|%s\\n' \"$HOTFIX_ACTION\" \"$HOTFIX_RELEASE_SHA\" >> '{}'",
        marks.release_job.display()
    )
}

/// Every gate restore-release has, the deploy running `deploy`.
fn full_config(s: &Scenario, service: &Service, marks: &Marks, deploy: &str) -> String {
    let base = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    format!(
        r#"{base}
[approvals]
roles = ["tech-lead", "sre"]
verify = "none"

[release]
command = {release:?}
action = "release checkout"
project = "shop/checkout"
confirm = true
forbidden_actions = ["release cut-off", "freeze"]
timeout = "45s"

[deploy]
command = {deploy:?}
timeout = "20s"

[[verify.http]]
url = "{url}"
expect_status = 200
sha_pointer = "/sha"
timeout = "10s"
interval = "100ms"

[[smoke]]
name = "service answers"
command = {smoke:?}
timeout = "15s"
"#,
        release = release_command(marks),
        url = service.url,
        smoke = smoke_command(service),
    )
}

/// Replaces the deploy command in the operator's hotfix.toml.
fn edit_deploy(s: &Scenario, service: &Service, marks: &Marks) {
    let path = s.work.join("hotfix.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let from = format!("{:?}", deploy_command(service, &marks.recorded));
    let to = format!("{:?}", deploy_command(service, &marks.edited));
    assert!(text.contains(&from), "the deploy command is in {text}");
    std::fs::write(&path, text.replace(&from, &to)).expect("config");
}

fn approve_both(s: &Scenario) {
    s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE)
        .expect_code(0);
    s.hotfix_env(
        &s.work,
        &["approve", "--role", "sre"],
        &[
            ("GIT_COMMITTER_NAME", "Sam Sre"),
            ("GIT_COMMITTER_EMAIL", "sam@example.com"),
        ],
    )
    .expect_code(0);
}

fn step<'a>(steps: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    steps
        .as_array()
        .expect("steps are a list")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {steps}"))
}

fn config_replaced(status: &serde_json::Value) -> Vec<&serde_json::Value> {
    status["entries"]
        .as_array()
        .expect("status JSON has entries")
        .iter()
        .map(|e| &e["entry"])
        .filter(|e| e["event"] == "config-replaced")
        .collect()
}

#[test]
fn plan_json_and_plan_show_every_step_with_its_parameters() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let marks = Marks::new(&s);
    let deploy = deploy_command(&service, &marks.recorded);
    std::fs::write(s.work.join("hotfix.toml"), full_config(&s, &service, &marks, &deploy)).expect("config");

    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    plan.expect_code(0);
    let v = json(&plan);
    let hotfix = &v["steps"]["hotfix"];
    let names: Vec<&str> = hotfix
        .as_array()
        .expect("hotfix steps")
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
            "approvals",
            "release-action",
            "deploy",
            "verify-production",
            "smoke"
        ],
        "{hotfix}"
    );
    for (name, kind) in [
        ("record-production", "record-production"),
        ("lock", "lock"),
        ("build", "build"),
        ("push-release", "push"),
        ("verify-release", "verify-release"),
        ("approvals", "approvals"),
        ("release-action", "command"),
        ("deploy", "command"),
        ("verify-production", "verify-http"),
        ("smoke", "smoke"),
    ] {
        let st = step(hotfix, name);
        assert_eq!(st["action"]["kind"], kind, "{st}");
        assert!(!st["about"].as_str().expect("about").is_empty(), "{st}");
    }
    assert_eq!(step(hotfix, "lock")["action"]["branch"], "release");
    let push = &step(hotfix, "push-release")["action"];
    assert_eq!(push["name"], "refs/heads/release", "{push}");
    assert_eq!(push["expected"], v["release_tip"], "{push}");
    assert_eq!(push["new"], v["new_tip"], "{push}");
    assert_eq!(push["expected"], s.release0.as_str(), "{push}");
    assert_ne!(push["new"], push["expected"], "{push}");
    assert_eq!(step(hotfix, "verify-release")["action"]["branch"], "release");
    let approvals = &step(hotfix, "approvals")["action"];
    assert_eq!(
        approvals["roles"],
        serde_json::json!(["tech-lead", "sre"]),
        "{approvals}"
    );
    assert_eq!(approvals["allow_fix_author"], false, "{approvals}");
    let release = &step(hotfix, "release-action")["action"];
    assert_eq!(release["command"], release_command(&marks), "{release}");
    assert_eq!(release["timeout"], "45s", "{release}");
    assert_eq!(release["changes_production"], true, "{release}");
    let job = &release["release_job"];
    assert_eq!(job["action"], "release checkout", "{job}");
    assert_eq!(job["project"], "shop/checkout", "{job}");
    assert_eq!(job["confirm"], true, "{job}");
    assert_eq!(
        job["forbidden_actions"],
        serde_json::json!(["release cut-off", "freeze"]),
        "{job}"
    );
    let deploy_step = &step(hotfix, "deploy")["action"];
    assert_eq!(deploy_step["command"], deploy.as_str(), "{deploy_step}");
    assert_eq!(deploy_step["timeout"], "20s", "{deploy_step}");
    assert_eq!(deploy_step["changes_production"], true, "{deploy_step}");
    assert!(deploy_step.get("release_job").is_none(), "{deploy_step}");
    let verify = &step(hotfix, "verify-production")["action"];
    let http = verify["http"].as_array().expect("http checks");
    assert_eq!(http.len(), 1, "{verify}");
    assert_eq!(http[0]["url"], service.url.as_str(), "{verify}");
    assert_eq!(http[0]["expect_status"], 200, "{verify}");
    assert_eq!(http[0]["sha_pointer"], "/sha", "{verify}");
    assert_eq!(http[0]["timeout"], "10s", "{verify}");
    let smoke = &step(hotfix, "smoke")["action"];
    let checks = smoke["checks"].as_array().expect("smoke checks");
    assert_eq!(checks.len(), 1, "{smoke}");
    assert_eq!(checks[0]["name"], "service answers", "{smoke}");
    assert_eq!(checks[0]["command"], smoke_command(&service), "{smoke}");
    assert_eq!(checks[0]["timeout"], "15s", "{smoke}");
    let rollback: Vec<&str> = v["steps"]["rollback"]
        .as_array()
        .expect("rollback steps")
        .iter()
        .map(|s| s["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        rollback,
        [
            "rollback-restore",
            "release-action",
            "deploy",
            "verify-production",
            "smoke"
        ],
        "the way back releases and redeploys production's tree"
    );
    assert_eq!(
        step(&v["steps"]["rollback"], "deploy")["action"]["command"],
        deploy.as_str()
    );
    assert_eq!(
        step(&v["steps"]["rollback"], "rollback-restore")["action"],
        serde_json::json!({ "kind": "restore-release", "branch": "release" })
    );

    // The human plan lists the same parameters under each step.
    let human = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p]);
    human.expect_code(0);
    let lines: Vec<&str> = human.stdout.lines().collect();
    let under = |name: &str| -> Vec<&str> {
        let at = lines
            .iter()
            .position(|l| {
                let l = l.trim_start();
                l.split_once(". ").is_some_and(|(n, rest)| {
                    n.chars().all(|c| c.is_ascii_digit()) && rest.split_whitespace().next() == Some(name)
                })
            })
            .unwrap_or_else(|| panic!("no step {name} in\n{}", human.stdout));
        lines[at + 1..]
            .iter()
            .take_while(|l| l.starts_with("       "))
            .map(|l| l.trim())
            .collect()
    };
    let deploy_lines = under("deploy");
    // Lines are cut at 400 characters only; these are shorter.
    assert_eq!(deploy_lines, [format!("$ {deploy}  (timeout 20s)")]);
    assert_eq!(
        under("release-action"),
        [
            format!("$ {}  (timeout 45s)", release_command(&marks)),
            "job `release checkout` in shop/checkout confirm=true; never: release cut-off, freeze".to_string(),
        ]
    );
    assert_eq!(
        under("approvals"),
        ["roles tech-lead, sre; the fix's author may not approve"]
    );
    assert_eq!(
        under("verify-production"),
        [format!(
            "GET {} until HTTP 200 and /sha = the release (within 10s)",
            service.url
        )]
    );
    assert_eq!(
        under("smoke"),
        [format!("$ {}  (timeout 15s)", smoke_command(&service))]
    );
    assert_eq!(under("lock"), ["creates refs/hotfix/locks/release (must not exist)"]);
    assert_eq!(under("verify-release"), ["reads release"]);
    let push_lines = under("push-release");
    // This plan builds its own objects (their commit times are now's), so
    // its new tip is its own; the tip it expects is release's.
    let tip = v["release_tip"].as_str().expect("tip");
    assert_eq!(push_lines.len(), 1, "{push_lines:?}");
    let (expects, rest) = push_lines[0]
        .strip_prefix(&format!("refs/heads/release {} -> ", &tip[..7]))
        .map(|rest| (true, rest))
        .unwrap_or((false, ""));
    assert!(expects, "{push_lines:?}");
    let (new, cas) = rest.split_once(' ').expect("the new tip, then how");
    assert!(
        new.len() == 7 && new.chars().all(|c| c.is_ascii_hexdigit()),
        "{push_lines:?}"
    );
    assert_ne!(new, &tip[..7], "{push_lines:?}");
    assert_eq!(cas, "(compare-and-swap)", "{push_lines:?}");
    assert!(human.stdout.contains("rollback: rollback-restore"), "{}", human.stdout);
}

#[test]
fn an_edited_deploy_command_mid_run_does_not_run_but_replan_runs_it_journaled() {
    // The team's hotfix.toml is on main, so the recorded commands are trusted
    // from any clone; the operator's copy is then edited mid-run.
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let marks = Marks::new(&s);
    let recorded = deploy_command(&service, &marks.recorded);
    std::fs::write(s.work.join("hotfix.toml"), full_config(&s, &service, &marks, &recorded)).expect("config");
    s.git(&s.work, &["add", "-f", "hotfix.toml"]);
    s.git(&s.work, &["commit", "-q", "-m", "ci: the team's hotfix.toml"]);
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let start = s.start_fix(&[]);
    start.expect_code(0);
    assert!(
        start.stdout.contains("waiting for approvals: tech-lead, sre"),
        "{}",
        start.stdout
    );
    approve_both(&s);
    edit_deploy(&s, &service, &marks);

    let go = s.hotfix(&s.work, &["continue", "--yes"]);
    go.expect_code(0);
    assert!(
        go.stdout.contains("hotfix.toml differs from the configuration run"),
        "{}",
        go.stdout
    );
    assert!(
        go.stdout.contains("in deploy;"),
        "the notice names the key: {}",
        go.stdout
    );
    assert!(go.stdout.contains("continue --replan"), "{}", go.stdout);
    let release = s.origin_ref("refs/heads/release").expect("release");
    let deployed = std::fs::read_to_string(&marks.recorded).expect("the recorded deploy ran");
    assert_eq!(deployed, format!("{release}\n"), "once, with the release");
    assert!(!marks.edited.exists(), "the edited deploy did not run");
    assert_eq!(service.reported(), release);
    let job = std::fs::read_to_string(&marks.release_job).expect("the release job ran");
    assert_eq!(job, format!("release checkout|{release}\n"));
    let status = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(status["state"], "released", "{}", status["state"]);
    assert!(config_replaced(&status).is_empty(), "no replan: {status}");
    let report = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    assert!(
        !report["decisions"].to_string().contains("configuration replaced"),
        "{}",
        report["decisions"]
    );

    // The same edit with --replan: the file's deploy runs, journaled and reported.
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let marks = Marks::new(&s);
    let recorded = deploy_command(&service, &marks.recorded);
    let edited = deploy_command(&service, &marks.edited);
    std::fs::write(s.work.join("hotfix.toml"), full_config(&s, &service, &marks, &recorded)).expect("config");
    s.start_fix(&[]).expect_code(0);
    approve_both(&s);
    edit_deploy(&s, &service, &marks);
    let before = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert!(config_replaced(&before).is_empty(), "{before}");
    assert_eq!(
        step(&before["record"]["plan"]["steps"]["hotfix"], "deploy")["action"]["command"],
        recorded.as_str(),
        "the record keeps the deploy of start"
    );

    let go = s.hotfix(&s.work, &["continue", "--yes", "--replan"]);
    go.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    let deployed = std::fs::read_to_string(&marks.edited).expect("the edited deploy ran");
    assert_eq!(deployed, format!("{release}\n"), "once, with the release");
    assert!(!marks.recorded.exists(), "the recorded deploy did not run");
    assert_eq!(service.reported(), release);

    let status = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(status["state"], "released", "{}", status["state"]);
    let replans = config_replaced(&status);
    assert_eq!(replans.len(), 1, "{status}");
    let replan = replans[0];
    assert_eq!(replan["actor"]["ident"], "Olly Operator <olly@example.com>", "{replan}");
    assert_eq!(replan["changed"], serde_json::json!(["deploy"]), "{replan}");
    // Of the steps, only the deploy's parameters changed (its command); the
    // rollback's deploy changed with it, the rest are as recorded.
    assert_eq!(replan["changed_steps"], serde_json::json!(["deploy"]), "{replan}");
    assert_eq!(replan["config"]["deploy"]["command"], edited.as_str(), "{replan}");
    let steps = &replan["steps"]["hotfix"];
    assert_eq!(step(steps, "deploy")["action"]["command"], edited.as_str(), "{replan}");
    assert_eq!(step(steps, "deploy")["action"]["timeout"], "20s", "{replan}");
    assert_eq!(
        step(&replan["steps"]["rollback"], "deploy")["action"]["command"],
        edited.as_str(),
        "the way back deploys with the replan's command too: {replan}"
    );
    // Only the deploy changed: every other step is the record's.
    let recorded_steps = &status["record"]["plan"]["steps"]["hotfix"];
    for st in steps.as_array().expect("replanned steps") {
        let name = st["name"].as_str().expect("a name");
        if name != "deploy" {
            assert_eq!(st, step(recorded_steps, name), "{name}");
        }
    }
    // The record of start is unchanged: the replan is an entry of its own.
    assert_eq!(
        step(&status["record"]["plan"]["steps"]["hotfix"], "deploy")["action"]["command"],
        recorded.as_str()
    );
    // The replan comes after the approvals and before the deploy started.
    let events: Vec<String> = status["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let e = &e["entry"];
            match e["step"].as_str() {
                Some(step) => format!("{}:{step}", e["event"].as_str().unwrap_or("")),
                None => e["event"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect();
    let at = |what: &str| {
        events
            .iter()
            .position(|e| e == what)
            .unwrap_or_else(|| panic!("no {what} in {events:?}"))
    };
    let approved = events
        .iter()
        .rposition(|e| e.starts_with("approved"))
        .unwrap_or_else(|| panic!("no approval in {events:?}"));
    assert!(approved < at("config-replaced"), "{events:?}");
    assert!(at("config-replaced") < at("step-started:deploy"), "{events:?}");

    let markdown = s.hotfix(&s.work, &["report"]);
    markdown.expect_code(0);
    assert!(
        markdown
            .stdout
            .contains("configuration replaced by Olly Operator <olly@example.com> at "),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown.stdout.contains("(`continue --replan`): deploy changed"),
        "{}",
        markdown.stdout
    );
    let report = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    let decisions: Vec<&str> = report["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter_map(|d| d.as_str())
        .filter(|d| d.starts_with("configuration replaced"))
        .collect();
    assert_eq!(decisions.len(), 1, "{}", report["decisions"]);
    assert!(
        decisions[0].starts_with("configuration replaced by Olly Operator <olly@example.com> at "),
        "{decisions:?}"
    );
    assert!(
        decisions[0].ends_with("(`continue --replan`): deploy changed; steps: deploy"),
        "{decisions:?}"
    );
}
