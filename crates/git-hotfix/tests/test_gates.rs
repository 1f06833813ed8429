//! The release gates after release is pushed: approvals, the guarded release
//! job, the deploy, production verification against a local HTTP service,
//! smoke checks, rollback, the incident record, `finish` and `guard`.

use std::path::Path;

use crate::common::service::{webhook, Service};
use crate::common::Scenario;

pub(crate) const ALICE: &[(&str, &str)] = &[
    ("GIT_COMMITTER_NAME", "Alice Lead"),
    ("GIT_COMMITTER_EMAIL", "alice@example.com"),
];
pub(crate) const BOB: &[(&str, &str)] = &[
    ("GIT_COMMITTER_NAME", "Bob PM"),
    ("GIT_COMMITTER_EMAIL", "bob@example.com"),
];
/// The author of every fix in the scenario.
const DANA: &[(&str, &str)] = &[
    ("GIT_COMMITTER_NAME", "Dana Dev"),
    ("GIT_COMMITTER_EMAIL", "dana@example.com"),
];

/// The gates of seeds 000-003: the release job records what it was given;
/// the deploy switches the service to the release SHA half a second later,
/// so verification has to wait for it.
pub(crate) fn gates_config(s: &Scenario, service: &Service, deploy_extra: &str) -> String {
    let log = s.root().join("release-job.log");
    format!(
        r#"
[release]
command = "printf '%s|%s|%s|%s\n' \"$HOTFIX_ACTION\" \"$HOTFIX_PROJECT\" \"$HOTFIX_CONFIRM\" \"$HOTFIX_RELEASE_SHA\" >> '{log}'"
action = "release checkout"
project = "shop/checkout"
confirm = true

[deploy]
command = "echo deploying $HOTFIX_RELEASE_SHA for run $HOTFIX_RUN_ID; {deploy_extra} (n=$(cat '{polls}' 2>/dev/null || echo 0); i=0; while [ $(cat '{polls}' 2>/dev/null || echo 0) -le $n ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha}') >/dev/null 2>&1 &"
timeout = "20s"

[verify]
monitor = "2h"

[[verify.http]]
url = "{url}"
expect_status = 200
sha_pointer = "/sha"
timeout = "10s"
interval = "100ms"

[[smoke]]
name = "service answers"
command = "test -s '{sha}'"
"#,
        log = log.display(),
        sha = service.sha_file.display(),
        polls = service.polls_file.display(),
        url = service.url,
    )
}

/// The evidence items a person may attest when no step of the run proves them.
const ATTESTABLE: [&str; 5] = [
    "release-job",
    "deploy-completed",
    "production-reflects-fix",
    "smoke-passed",
    "incident-record",
];

fn json(run: &crate::common::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.stdout))
}

/// The journal entries of `status --json`.
fn entries(v: &serde_json::Value) -> &[serde_json::Value] {
    v["entries"].as_array().expect("status JSON has entries")
}

fn release_job_log(s: &Scenario) -> Option<String> {
    std::fs::read_to_string(s.root().join("release-job.log")).ok()
}

fn journal_text(s: &Scenario, dir: &Path) -> String {
    s.git(dir, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"])
}

#[test]
fn approvals_then_release_job_deploy_verification_smoke_report_and_finish() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let (hook, posted) = webhook();
    s.configure(&gates_config(&s, &service, ""));
    s.configure(&format!(
        "\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n\n[notify]\nwebhook = \"{hook}\"\n"
    ));

    let start = s.start_fix(&["--incident", "INC-42"]);
    start.expect_code(0);
    assert!(
        start.stdout.contains("waiting for approvals: tech-lead, pm"),
        "{}",
        start.stdout
    );
    assert!(start.stdout.contains("git hotfix approve"), "{}", start.stdout);

    // The deploy cannot start without approvals, and nothing runs.
    let early = s.hotfix(&s.work, &["continue", "--yes"]);
    early.expect_code(3);
    assert!(early.stderr.contains("tech-lead, pm not approved"), "{}", early.stderr);
    assert_eq!(
        release_job_log(&s),
        None,
        "the release job must not run before approvals"
    );

    s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE)
        .expect_code(0);
    let twice = s.hotfix_env(&s.work, &["approve", "--role", "pm"], ALICE);
    twice.expect_code(3);
    assert!(
        twice.stderr.contains("already approved as tech-lead"),
        "{}",
        twice.stderr
    );
    let author = s.hotfix_env(&s.work, &["approve", "--role", "pm"], DANA);
    author.expect_code(3);
    assert!(author.stderr.contains("authored fix"), "{}", author.stderr);
    let unknown = s.hotfix_env(&s.work, &["approve", "--role", "ceo"], BOB);
    unknown.expect_code(2);
    // Bob approves from his own clone: approvals travel with the journal.
    let bob = s.clone_as("bob");
    std::fs::copy(s.work.join("hotfix.toml"), bob.join("hotfix.toml")).expect("config");
    s.hotfix_env(&bob, &["approve", "--role", "pm"], BOB).expect_code(0);
    let status = s.hotfix(&s.work, &["status"]);
    assert!(
        status
            .stdout
            .contains("approvals  tech-lead by Alice Lead <alice@example.com>, pm by Bob PM <bob@example.com>"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("verified   tech-lead unverified (verify = none); pm unverified (verify = none)"),
        "verify = none marks every approval unverified: {}",
        status.stdout
    );

    let go = s.hotfix(&s.work, &["continue", "--yes"]);
    go.expect_code(0);
    let release = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        release_job_log(&s).as_deref(),
        Some(format!("release checkout|shop/checkout|true|{release}\n").as_str()),
        "the release job gets action, project, confirm and the release SHA"
    );
    assert!(
        go.stdout.contains("| deploying"),
        "deploy output is streamed: {}",
        go.stdout
    );
    assert_eq!(service.reported(), release, "the deploy switched the service");

    let status = s.hotfix(&s.work, &["status", "--json"]);
    let v = json(&status);
    assert_eq!(v["state"], "released");
    let verified = entries(&v)
        .iter()
        .find(|e| e["entry"]["step"] == "verify-production")
        .expect("verify-production journaled");
    let attempts = verified["entry"]["evidence"]["checks"][0]["attempts"]
        .as_u64()
        .expect("attempts");
    assert!(attempts > 1, "verification waited for the switch: {attempts} poll(s)");
    assert!(v["monitor_until"].as_i64().is_some(), "{}", status.stdout);
    let text = s.hotfix(&s.work, &["status"]);
    assert!(
        text.stdout.contains("monitor    watch production until"),
        "{}",
        text.stdout
    );

    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    report.expect_code(0);
    let r = json(&report);
    let items = r["evidence"].as_array().expect("evidence array");
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().expect("id")).collect();
    assert_eq!(
        ids,
        [
            "production-recorded",
            "restore-diff-empty",
            "release-restore-plus-fix",
            "release-job",
            "deploy-completed",
            "production-reflects-fix",
            "smoke-passed",
            "incident-record",
            "approvals"
        ]
    );
    for item in items {
        assert_eq!(item["status"], "ok", "{item}");
        assert!(!item["detail"].as_str().unwrap_or("").is_empty(), "{item}");
    }
    let md = s.hotfix(&s.work, &["report"]);
    for section in [
        "## Validation and evidence",
        "## Timeline",
        "## Follow-ups",
        "## Postmortem",
        "## Communication",
    ] {
        assert!(md.stdout.contains(section), "{section}: {}", md.stdout);
    }

    // The cut-off job is refused while the hotfix holds release, allowed after finish.
    let guard = s.hotfix(&s.work, &["guard", "--action", "bring-all-code-to-release-branch"]);
    guard.expect_code(3);
    assert!(guard.stderr.contains("refused"), "{}", guard.stderr);
    s.hotfix(&s.work, &["guard", "--action", "release checkout"])
        .expect_code(0);
    // Minute 0 of the 2h monitoring window: production is still watched.
    let early = s.hotfix(&s.work, &["finish"]);
    early.expect_code(3);
    assert!(
        early.stderr.contains("inside its monitoring window"),
        "{}",
        early.stderr
    );
    assert!(early.stderr.contains("finish --force"), "{}", early.stderr);
    assert!(s.origin_ref("refs/hotfix/locks/release").is_some(), "nothing released");
    let after_window = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3 * 3600)
        .to_string();
    s.hotfix_env(&s.work, &["finish"], &[("GIT_HOTFIX_TIMESTAMP", &after_window)])
        .expect_code(0);
    assert_eq!(
        s.origin_ref("refs/hotfix/locks/release"),
        None,
        "finish releases the lock"
    );
    s.hotfix(&s.work, &["guard", "--action", "bring-all-code-to-release-branch"])
        .expect_code(0);
    let v = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(v["state"], "completed");

    let posted = posted.bodies().join("\n");
    for word in [
        "started",
        "approved as tech-lead",
        "approved as pm",
        "deployed",
        "verified",
        "finished",
    ] {
        assert!(posted.contains(word), "webhook got `{word}`: {posted}");
    }
}

#[test]
fn a_forbidden_release_action_is_refused_before_anything_runs() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    s.configure(&gates_config(&s, &service, "").replace(
        "action = \"release checkout\"",
        "action = \"bring-all-code-to-release-branch\"",
    ));
    let before = s.origin_refs();
    let start = s.start_fix(&[]);
    start.expect_code(3);
    assert!(
        start.stdout.contains("BLOCK release-action-allowed"),
        "{}",
        start.stdout
    );
    assert_eq!(s.origin_refs(), before, "nothing pushed");
    assert_eq!(release_job_log(&s), None);

    // The same refusal when the config turns forbidden in the middle of a run.
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    let config = gates_config(&s, &service, "");
    s.configure(&config);
    s.start_stopped_at("before:release-action");
    let path = s.work.join("hotfix.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        text.replace("action = \"release checkout\"", "action = \"cut-off\""),
    )
    .expect("config");
    let go = s.hotfix(&s.work, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(go.stderr.contains("`cut-off` is forbidden"), "{}", go.stderr);
    assert_eq!(release_job_log(&s), None, "the forbidden job never ran");
    assert_eq!(service.reported(), s.p, "nothing deployed");
}

#[test]
fn approvals_are_void_once_release_moves() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    s.configure(&gates_config(&s, &service, ""));
    s.configure("\n[approvals]\nroles = [\"tech-lead\"]\nverify = \"none\"\n");
    s.start_fix(&[]).expect_code(0);
    s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE)
        .expect_code(0);
    let pushed = s.origin_ref("refs/heads/release").expect("release");
    s.force_release(&s.u1);
    let go = s.hotfix(&s.work, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(go.stderr.contains("moved after it was pushed"), "{}", go.stderr);
    assert!(go.stderr.contains("void"), "{}", go.stderr);
    assert_eq!(release_job_log(&s), None);
    assert_eq!(service.reported(), s.p);
    // Putting release back revives the approval for the commit it names.
    s.force_release(&pushed);
    s.hotfix(&s.work, &["continue", "--yes"]).expect_code(0);
    assert_eq!(service.reported(), pushed);
}

#[test]
fn verification_timeout_stops_with_the_rollback_hint_and_rollback_recovers() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    // Production never switches during the hotfix; the rollback deploy works.
    let config = gates_config(&s, &service, "")
        .replace("(n=", "[ \\\"$HOTFIX_PHASE\\\" = rollback ] && (n=")
        .replace("timeout = \"10s\"", "timeout = \"1s\"");
    s.configure(&config);
    let start = s.start_fix(&[]);
    start.expect_code(1);
    assert!(start.stderr.contains("verify-production failed"), "{}", start.stderr);
    assert!(start.stderr.contains("git hotfix rollback"), "{}", start.stderr);
    assert_eq!(service.reported(), s.p);
    let status = s.hotfix(&s.work, &["status"]);
    assert!(status.stdout.contains("did NOT report"), "{}", status.stdout);
    assert!(
        status.stdout.contains("next: `git hotfix rollback"),
        "{}",
        status.stdout
    );
    let hotfix_tip = s.origin_ref("refs/heads/release").expect("release");

    let rollback = s.hotfix(
        &s.work,
        &["rollback", "--yes", "--reason", "production never took the fix"],
    );
    rollback.expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^")),
        hotfix_tip,
        "restore on top of the hotfix"
    );
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p)),
        "release has production's tree again"
    );
    assert_eq!(service.reported(), tip, "the rollback was deployed and verified");
    let jobs = release_job_log(&s).expect("release job ran");
    assert_eq!(
        jobs.lines().count(),
        2,
        "release job for the hotfix and for the rollback: {jobs}"
    );

    let v = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(v["state"], "rolled-back");
    let events: Vec<String> = entries(&v)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["entry"]["event"].as_str().unwrap_or(""),
                e["entry"]["step"].as_str().unwrap_or("")
            )
        })
        .collect();
    let after = events
        .iter()
        .skip_while(|e| !e.starts_with("rollback-started"))
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(
        after,
        [
            "rollback-started ",
            "step-done rollback-restore",
            // Each production command journals its start (with its process
            // group) on the remote before it runs.
            "step-started release-action",
            "step-done release-action",
            "step-started deploy",
            "step-done deploy",
            "step-done verify-production",
            "step-done smoke"
        ]
    );
    let r = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    assert_eq!(r["rolled_back"], true);
    let item = |id: &str| {
        r["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .find(|i| i["id"] == id)
            .map(|i| i["status"].clone())
    };
    assert_eq!(item("production-reflects-fix"), Some(serde_json::json!("failed")));
    s.hotfix(&s.work, &["finish"]).expect_code(0);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
}

#[test]
fn a_token_printed_by_the_deploy_reaches_neither_journal_nor_report_nor_terminal() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    s.configure(&gates_config(&s, &service, "echo using token $DEPLOY_TOKEN;"));
    let token = ("DEPLOY_TOKEN", "tok-5up3r-s3cr3t-value");
    let start = s.hotfix_env(
        &s.work,
        &["start", "--fix", &s.f, "--production", &s.p, "--yes"],
        &[token],
    );
    start.expect_code(0);
    assert!(!start.all().contains(token.1), "terminal: {}", start.all());
    assert!(
        start.stdout.contains("using token [redacted DEPLOY_TOKEN]"),
        "{}",
        start.stdout
    );
    let journal = journal_text(&s, &s.origin);
    assert!(
        journal.contains("[redacted DEPLOY_TOKEN]"),
        "the deploy output is kept, masked"
    );
    assert!(!journal.contains(token.1), "journal: {journal}");
    for format in ["md", "json"] {
        let report = s.hotfix(&s.work, &["report", "--format", format]);
        report.expect_code(0);
        assert!(!report.stdout.contains(token.1), "report {format}");
    }
}

#[test]
fn finish_refuses_while_evidence_is_missing_and_attest_fills_it() {
    let s = Scenario::new();
    // No gates configured: the team deploys by hand.
    s.start_fix(&[]).expect_code(0);
    let finish = s.hotfix(&s.work, &["finish"]);
    finish.expect_code(3);
    for id in ATTESTABLE {
        assert!(finish.stderr.contains(id), "{id}: {}", finish.stderr);
    }
    assert!(s.origin_ref("refs/hotfix/locks/release").is_some(), "the lock stays");
    // Items git-hotfix proves itself cannot be attested.
    s.hotfix(&s.work, &["attest", "restore-diff-empty", "--detail", "trust me"])
        .expect_code(2);
    for id in ATTESTABLE {
        s.hotfix(&s.work, &["attest", id, "--detail", "pipeline 1234, checked by Olly"])
            .expect_code(0);
    }
    s.hotfix(&s.work, &["finish"]).expect_code(0);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
    let r = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    let detail = r["evidence"][4]["detail"].as_str().expect("detail");
    assert!(detail.starts_with("attested by Olly Operator"), "{detail}");
}

#[test]
fn finish_converges_after_a_crash_between_its_push_and_the_local_journal() {
    let s = Scenario::new();
    s.start_fix(&["--incident", "INC-7"]).expect_code(0);
    for id in [
        "release-job",
        "deploy-completed",
        "production-reflects-fix",
        "smoke-passed",
    ] {
        s.hotfix(&s.work, &["attest", id, "--detail", "done by hand"])
            .expect_code(0);
    }
    let crashed = s.hotfix_env(
        &s.work,
        &["finish"],
        &[("GIT_HOTFIX_INJECT_FAULT", "finish:after-remote")],
    );
    crashed.expect_code(1);
    assert_eq!(
        s.origin_ref("refs/hotfix/locks/release"),
        None,
        "the push released the lock"
    );
    s.hotfix(&s.work, &["finish"]).expect_code(0);
    let v = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(v["state"], "completed");
    let finished = entries(&v).iter().filter(|e| e["entry"]["event"] == "finished").count();
    assert_eq!(finished, 1, "finish journaled once");
}
