//! Runs recorded by the git-hotfix of before the versioned run record keep
//! working: `status`, `report`, `approve`, `continue` and `finish` read them.
//!
//! The journals are fixture data made once by that binary
//! (`tests/fixtures/journals/make-v0.sh`), not by the code under test: each
//! `v0/*.bundle` is a whole origin, `refs/hotfix/*` included. The constants
//! below are the ids in those bundles; a re-made fixture changes them on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{pinned, Run, BIN};

/// Clock of the fixture's first entry (2026-11-21T22:30:00Z).
const T0: i64 = 1_795_300_200;

/// Every SHA below comes from both bundles: the project is the same.
const PRODUCTION: &str = "4daf66bb6b1735b39a8d6bc8317d1e523659f079";
const PRODUCTION_TAG: &str = "v1.0.0";
const FIX: &str = "5438f500a8eafc353781bc289c1adc4cee4f7ff8";
/// Release's tip before either hotfix (production plus the unreleased U1).
const RELEASE_BEFORE: &str = "24dab6c1e8ec985bdbe3cdebdf4597f5e36608ce";

/// Run (a): stopped at the approvals gate, tech-lead approved by Alice.
const AWAITING: &str = "20261121-223000-63cb";
const AWAITING_RESTORE: &str = "91f096a9a108ec6df2ea5ebfabf7a97a7b3ad085";
const AWAITING_RELEASE: &str = "c3c3b2a2113ccb594359bd127e7053cc9d42e969";
/// The run's first entry, which the lock names.
const AWAITING_LOCK: &str = "05f3019cc41a675a1c549e5c2a91c6a6ce333ccd";
const AWAITING_HEAD: &str = "d576b997b7583e1a7074321237795ccd6b0de2c4";

/// Run (b): approved, released, attested and finished.
const COMPLETED: &str = "20261121-223000-9e56";
const COMPLETED_RELEASE: &str = "ffb7fbed5d9b9816e9e276c086e06898d966f2a2";
const COMPLETED_HEAD: &str = "680c98c817540f402b0f628e3c861a1b5332365b";

/// Run (c): released, rolled back, finished.
const ROLLED_BACK: &str = "20261121-223000-aeaf";
/// What the hotfix pushed, before the rollback.
const ROLLED_BACK_HOTFIX: &str = "e803d4d86a62176fa3548f0e37112154568f7e6d";
/// The rollback's restore commit on top of it.
const ROLLED_BACK_RELEASE: &str = "14a0eaf59d2d4973070cf5bf50a8500b5b257275";
const ROLLED_BACK_HEAD: &str = "4c27f16aa9ac1d63d8016d286cd76937b577ba1f";
const PRODUCTION_TREE: &str = "3614a09ecf39ef6b16811b37ebcc9f3018c61ba2";

const OLLY: (&str, &str) = ("Olly Operator", "olly@example.com");
const BOB: (&str, &str) = ("Bob PM", "bob@example.com");

/// The evidence items of a run with approvals, in report order.
const EVIDENCE_IDS: [&str; 9] = [
    "production-recorded",
    "restore-diff-empty",
    "release-restore-plus-fix",
    "release-job",
    "deploy-completed",
    "production-reflects-fix",
    "smoke-passed",
    "incident-record",
    "approvals",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/journals/v0")
        .join(name)
}

/// An origin restored from a recorded bundle, and the operator's clone of it
/// holding the hotfix.toml the run was started with.
struct Replay {
    tmp: tempfile::TempDir,
    origin: PathBuf,
    work: PathBuf,
}

impl Replay {
    fn new(bundle: &str) -> Replay {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        std::fs::write(root.join(".gitconfig"), "[init]\n\tdefaultBranch = main\n").expect("gitconfig");
        let r = Replay {
            origin: root.join("origin.git"),
            work: root.join("work"),
            tmp,
        };
        let bundle = fixture(bundle);
        let bundle = bundle.to_str().expect("fixture path is UTF-8");
        r.git(&root, &["clone", "-q", "--mirror", bundle, "origin.git"]);
        r.git(&root, &["clone", "-q", "origin.git", "work"]);
        std::fs::copy(fixture("hotfix.toml"), r.work.join("hotfix.toml")).expect("config");
        std::fs::write(r.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        r
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    #[track_caller]
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        pinned(&mut cmd, self.root());
        let out = cmd.current_dir(dir).args(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn origin_ref(&self, name: &str) -> Option<String> {
        let out = self.git(&self.origin, &["for-each-ref", "--format=%(objectname)", name]);
        (!out.is_empty()).then_some(out)
    }

    /// Runs git-hotfix in `dir` as `who`, `after` seconds past the run's start.
    fn hotfix_as(&self, dir: &Path, who: (&str, &str), after: i64, args: &[&str]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        cmd.env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_HOTFIX_TIMESTAMP", (T0 + after).to_string());
        let out = cmd.current_dir(dir).args(args).output().expect("git-hotfix runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn hotfix(&self, after: i64, args: &[&str]) -> Run {
        self.hotfix_as(&self.work, OLLY, after, args)
    }

    #[track_caller]
    fn json(&self, after: i64, args: &[&str]) -> Value {
        let run = self.hotfix(after, args);
        run.expect_code(0);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?} JSON ({e}): {}", run.stdout))
    }
}

/// `[event, step]` of each journal entry in `status --json`, oldest first.
fn events(status: &Value) -> Vec<(String, String)> {
    status["entries"]
        .as_array()
        .expect("status JSON has entries")
        .iter()
        .map(|e| {
            let entry = &e["entry"];
            let field = |k: &str| entry[k].as_str().unwrap_or("").to_string();
            (field("event"), field("step"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// `[id, status]` of each evidence item of `report --format json`.
fn evidence(report: &Value) -> Vec<(String, String)> {
    report["evidence"]
        .as_array()
        .expect("report JSON has evidence")
        .iter()
        .map(|i| {
            let field = |k: &str| i[k].as_str().expect("evidence fields are strings").to_string();
            (field("id"), field("status"))
        })
        .collect()
}

const AWAITING_EVENTS: [(&str, &str); 7] = [
    ("run-created", ""),
    ("step-done", "record-production"),
    ("step-done", "lock"),
    ("step-done", "build"),
    ("step-done", "push-release"),
    ("step-done", "verify-release"),
    ("approved", ""),
];

#[test]
fn a_run_recorded_at_the_approvals_gate_is_shown_approved_continued_and_finished() {
    let r = Replay::new("awaiting-approval.bundle");
    // The bundle is what make-v0.sh recorded: a tampered or re-made fixture fails here.
    assert_eq!(r.origin_ref("refs/heads/release").as_deref(), Some(AWAITING_RELEASE));
    assert_eq!(r.origin_ref("refs/heads/main").as_deref(), Some(FIX));
    assert_eq!(
        r.git(&r.origin, &["rev-parse", &format!("{PRODUCTION_TAG}^{{commit}}")]),
        PRODUCTION
    );
    assert_eq!(
        r.origin_ref(&format!("refs/hotfix/runs/{AWAITING}")).as_deref(),
        Some(AWAITING_HEAD)
    );
    assert_eq!(
        r.origin_ref("refs/hotfix/locks/release").as_deref(),
        Some(AWAITING_LOCK)
    );

    // status, as text: the run, its state, who approved, which steps are done.
    let text = r.hotfix(1000, &["status"]);
    text.expect_code(0);
    let out = &text.stdout;
    for line in [
        format!("run {AWAITING}  restore-release  in progress"),
        "started    2026-11-21T22:30:00Z by Olly Operator <olly@example.com> on fixture-host".into(),
        "severity   critical: elapsed 16m40s, 43m20s left of 1h00m".into(),
        "incident   INC-1042: cart totals off by a cent".into(),
        format!("production {PRODUCTION}"),
        "fix        5438f50 fix: round the cart total to cents".into(),
        "lock       held by this run".into(),
        "approvals  tech-lead by Alice Lead <alice@example.com>; missing: pm".into(),
        "done  record-production  2026-11-21T22:30:00Z  Olly Operator <olly@example.com>".into(),
        "done  verify-release     2026-11-21T22:30:00Z".into(),
        "fix 5438f50 fix: round the cart total to cents: picked as c3c3b2a".into(),
        "refs/heads/release 24dab6c..c3c3b2a (compare-and-swap on 24dab6c)".into(),
        "....  approvals          wait until every approval role has signed off".into(),
        "....  deploy             run the production deploy".into(),
        "....  smoke              run the smoke checks".into(),
        format!("next: waiting for approval (pm): each approver runs `git hotfix approve {AWAITING} --role ROLE`"),
    ] {
        assert!(out.contains(&line), "status lacks `{line}`:\n{out}");
    }

    // status --json: the same run, read field by field.
    let v = r.json(1000, &["status", "--json"]);
    assert_eq!(v["id"], AWAITING);
    assert_eq!(v["state"], "in-progress");
    assert_eq!(v["phase"], "hotfix");
    assert_eq!(v["holds_lock"], true);
    assert_eq!(v["next_step"], "approvals");
    assert_eq!(v["missing_roles"], serde_json::json!(["pm"]));
    assert_eq!(v["release_sha"], AWAITING_RELEASE);
    assert_eq!(v["elapsed_secs"], 1000);
    assert_eq!(v["remaining_secs"], 3600 - 1000);
    assert_eq!(v["approvals"].as_array().map(Vec::len), Some(1), "{}", v["approvals"]);
    assert_eq!(v["approvals"][0]["role"], "tech-lead");
    assert_eq!(v["approvals"][0]["ident"], "Alice Lead <alice@example.com>");
    assert_eq!(v["approvals"][0]["release_tip"], AWAITING_RELEASE);
    assert_eq!(v["approvals"][0]["at"], T0 + 300);
    let record = &v["record"];
    assert_eq!(record["run_id"], AWAITING);
    assert_eq!(record["fixes"], serde_json::json!([FIX]));
    assert_eq!(record["severity"], "critical");
    assert_eq!(record["release_branch"], "release");
    assert_eq!(record["plan"]["release_tip"], RELEASE_BEFORE);
    assert_eq!(record["plan"]["production"]["commit"], PRODUCTION);
    assert_eq!(record["plan"]["restore"]["commit"], AWAITING_RESTORE);
    assert_eq!(
        record["config"]["approvals"]["roles"],
        serde_json::json!(["tech-lead", "pm"])
    );
    assert_eq!(events(&v), pairs(&AWAITING_EVENTS));
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(entries[0]["commit"], AWAITING_LOCK, "the lock names the first entry");
    assert_eq!(entries[6]["commit"], AWAITING_HEAD);

    // report: every evidence item, the ones the old run proved and the ones it still owes.
    let report = r.json(1000, &["report", "--format", "json"]);
    assert_eq!(report["run_id"], AWAITING);
    assert_eq!(report["state"], "in progress");
    assert_eq!(report["production_sha"], PRODUCTION);
    assert_eq!(report["release_sha"], AWAITING_RELEASE);
    assert_eq!(report["fixes"][0]["fix"], FIX);
    assert_eq!(report["fixes"][0]["picked_as"], AWAITING_RELEASE);
    assert_eq!(report["started_at"], "2026-11-21T22:30:00Z");
    assert_eq!(report["incident"], "INC-1042: cart totals off by a cent");
    let owed = [
        "release-job",
        "deploy-completed",
        "production-reflects-fix",
        "smoke-passed",
        "approvals",
    ];
    let expected: Vec<(String, String)> = EVIDENCE_IDS
        .iter()
        .map(|id| {
            (
                id.to_string(),
                if owed.contains(id) { "missing" } else { "ok" }.to_string(),
            )
        })
        .collect();
    assert_eq!(evidence(&report), expected);
    assert_eq!(
        report["evidence"][1]["detail"],
        "git diff 4daf66b..91f096a is empty (both trees are 3614a09)"
    );
    let md = r.hotfix(1000, &["report"]);
    md.expect_code(0);
    for needle in [
        AWAITING,
        "## Validation and evidence",
        "## Timeline",
        "INC-1042: cart totals off by a cent",
        "Alice Lead <alice@example.com>",
    ] {
        assert!(md.stdout.contains(needle), "report lacks `{needle}`:\n{}", md.stdout);
    }

    // The old record's gate still holds: nothing runs without pm.
    let early = r.hotfix(1100, &["continue", "--yes"]);
    early.expect_code(3);
    assert!(early.stderr.contains("pm not approved"), "{}", early.stderr);
    assert_eq!(
        r.origin_ref(&format!("refs/hotfix/runs/{AWAITING}")).as_deref(),
        Some(AWAITING_HEAD),
        "a refused continue journals nothing"
    );

    // Bob approves from his own clone, which has no hotfix.toml: the record's config counts.
    r.git(r.root(), &["clone", "-q", "origin.git", "bob"]);
    let approve = r.hotfix_as(&r.root().join("bob"), BOB, 1200, &["approve", "--role", "pm"]);
    approve.expect_code(0);
    assert!(
        approve.stdout.contains(&format!(
            "run {AWAITING}: approved as pm by Bob PM <bob@example.com> at 2026-11-21T22:50:00Z (release c3c3b2a)"
        )),
        "{}",
        approve.stdout
    );

    let go = r.hotfix(1300, &["continue", "--yes"]);
    go.expect_code(0);
    for line in [
        format!("| release job release checkout for shop/checkout at {AWAITING_RELEASE}"),
        format!("| deployed {AWAITING_RELEASE} for run {AWAITING}"),
        format!("| smoke ok for {AWAITING_RELEASE}"),
        format!("run {AWAITING}: released, awaiting finish"),
    ] {
        assert!(go.stdout.contains(&line), "continue lacks `{line}`:\n{}", go.stdout);
    }
    assert_eq!(
        r.origin_ref("refs/heads/release").as_deref(),
        Some(AWAITING_RELEASE),
        "continue deploys the recorded release, it does not rebuild it"
    );

    let v = r.json(1300, &["status", "--json"]);
    assert_eq!(v["state"], "released");
    assert_eq!(v["next_step"], Value::Null);
    assert_eq!(v["missing_roles"], serde_json::json!([]));
    let mut after = pairs(&AWAITING_EVENTS);
    after.extend(pairs(&[
        ("approved", ""),
        ("step-done", "approvals"),
        ("step-started", "release-action"),
        ("step-done", "release-action"),
        ("step-started", "deploy"),
        ("step-done", "deploy"),
        ("step-done", "smoke"),
    ]));
    assert_eq!(events(&v), after);
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(
        entries[6]["commit"], AWAITING_HEAD,
        "the recorded entries are kept as they were"
    );
    assert_eq!(entries[7]["entry"]["actor"]["ident"], "Bob PM <bob@example.com>");
    assert_eq!(entries[7]["entry"]["actor"]["host"], "test-host");

    // No step proves production runs the fix (no HTTP verification): finish waits for it.
    let refused = r.hotfix(1400, &["finish"]);
    refused.expect_code(3);
    assert!(refused.all().contains("production-reflects-fix"), "{}", refused.all());
    assert_eq!(
        r.origin_ref("refs/hotfix/locks/release").as_deref(),
        Some(AWAITING_LOCK)
    );

    r.hotfix(
        1500,
        &[
            "attest",
            "production-reflects-fix",
            "--detail",
            "checked /version by hand",
        ],
    )
    .expect_code(0);
    let finish = r.hotfix(1600, &["finish"]);
    finish.expect_code(0);
    assert!(
        finish.stdout.contains(&format!(
            "run {AWAITING}: completed; refs/hotfix/locks/release released"
        )),
        "{}",
        finish.stdout
    );
    assert_eq!(
        r.origin_ref("refs/hotfix/locks/release"),
        None,
        "finish gives the lock back"
    );
    let head = r
        .origin_ref(&format!("refs/hotfix/runs/{AWAITING}"))
        .expect("run on origin");
    assert_ne!(head, AWAITING_HEAD);
    r.git(&r.origin, &["merge-base", "--is-ancestor", AWAITING_HEAD, &head]);

    let v = r.json(1700, &["status", "--json"]);
    assert_eq!(v["state"], "completed");
    assert_eq!(v["holds_lock"], false);
    let report = r.json(1700, &["report", "--format", "json"]);
    assert_eq!(report["state"], "completed");
    assert_eq!(report["ended_at"], "2026-11-21T22:56:40Z");
    let all_ok: Vec<(String, String)> = EVIDENCE_IDS.iter().map(|id| (id.to_string(), "ok".into())).collect();
    assert_eq!(evidence(&report), all_ok);
    r.hotfix(1700, &["guard", "--action", "cut-off"]).expect_code(0);
}

#[test]
fn a_finished_run_recorded_by_the_old_code_reads_as_completed() {
    let r = Replay::new("completed.bundle");
    assert_eq!(r.origin_ref("refs/heads/release").as_deref(), Some(COMPLETED_RELEASE));
    assert_eq!(
        r.origin_ref(&format!("refs/hotfix/runs/{COMPLETED}")).as_deref(),
        Some(COMPLETED_HEAD)
    );
    assert_eq!(
        r.origin_ref("refs/hotfix/locks/release"),
        None,
        "the finished run gave the lock back"
    );

    let text = r.hotfix(2000, &["status"]);
    text.expect_code(0);
    for line in [
        format!("run {COMPLETED}  restore-release  completed"),
        "lock       not held".into(),
        "approvals  tech-lead by Alice Lead <alice@example.com>, pm by Bob PM <bob@example.com>".into(),
        "done  smoke              2026-11-21T22:40:00Z  Olly Operator <olly@example.com>".into(),
        "finished at 2026-11-21T22:50:00Z by Olly Operator <olly@example.com>".into(),
    ] {
        assert!(text.stdout.contains(&line), "status lacks `{line}`:\n{}", text.stdout);
    }

    let v = r.json(2000, &["status", "--json"]);
    assert_eq!(v["id"], COMPLETED);
    assert_eq!(v["state"], "completed");
    assert_eq!(v["holds_lock"], false);
    assert_eq!(v["release_sha"], COMPLETED_RELEASE);
    assert_eq!(v["record"]["severity"], "high");
    assert_eq!(
        events(&v),
        pairs(&[
            ("run-created", ""),
            ("step-done", "record-production"),
            ("step-done", "lock"),
            ("step-done", "build"),
            ("step-done", "push-release"),
            ("step-done", "verify-release"),
            ("approved", ""),
            ("approved", ""),
            ("step-done", "approvals"),
            ("step-started", "release-action"),
            ("step-done", "release-action"),
            ("step-started", "deploy"),
            ("step-done", "deploy"),
            ("step-done", "smoke"),
            ("attested", ""),
            ("finished", ""),
        ])
    );
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(entries[15]["commit"], COMPLETED_HEAD);

    let report = r.json(2000, &["report", "--format", "json"]);
    assert_eq!(report["run_id"], COMPLETED);
    assert_eq!(report["state"], "completed");
    assert_eq!(report["rolled_back"], false);
    assert_eq!(report["ended_at"], "2026-11-21T22:50:00Z");
    assert_eq!(report["production_sha"], PRODUCTION);
    assert_eq!(report["release_sha"], COMPLETED_RELEASE);
    let all_ok: Vec<(String, String)> = EVIDENCE_IDS.iter().map(|id| (id.to_string(), "ok".into())).collect();
    assert_eq!(evidence(&report), all_ok);
    assert_eq!(
        report["evidence"][5]["detail"],
        "attested by Olly Operator <olly@example.com> at 2026-11-21T22:45:00Z: checkout /version reports the release commit (checked by hand)"
    );

    let log = r.json(2000, &["log", "--json"]);
    assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log[0]["id"], COMPLETED);
    assert_eq!(log[0]["state"], "completed");
    assert_eq!(log[0]["fixes"], serde_json::json!([FIX]));
}

#[test]
fn a_rolled_back_run_recorded_by_the_old_code_reads_as_rolled_back() {
    let r = Replay::new("rolled-back.bundle");
    assert_eq!(r.origin_ref("refs/heads/release").as_deref(), Some(ROLLED_BACK_RELEASE));
    assert_eq!(
        r.origin_ref(&format!("refs/hotfix/runs/{ROLLED_BACK}")).as_deref(),
        Some(ROLLED_BACK_HEAD)
    );
    assert_eq!(r.origin_ref("refs/hotfix/locks/release"), None);
    assert_eq!(r.git(&r.origin, &["rev-parse", "release^"]), ROLLED_BACK_HOTFIX);
    assert_eq!(r.git(&r.origin, &["rev-parse", "release^{tree}"]), PRODUCTION_TREE);

    let text = r.hotfix(2000, &["status"]);
    text.expect_code(0);
    for line in [
        format!("run {ROLLED_BACK}  restore-release  rolled-back"),
        "rollback steps".into(),
        "rollback started at 2026-11-21T22:45:00Z by Olly Operator <olly@example.com>: checkout totals wrong after the hotfix"
            .into(),
        "finished at 2026-11-21T22:55:00Z by Olly Operator <olly@example.com>".into(),
        "next: production runs 4daf66b again".into(),
    ] {
        assert!(text.stdout.contains(&line), "status lacks `{line}`:\n{}", text.stdout);
    }

    let v = r.json(2000, &["status", "--json"]);
    assert_eq!(v["id"], ROLLED_BACK);
    assert_eq!(v["state"], "rolled-back-finished");
    assert_eq!(v["phase"], "rollback");
    assert_eq!(v["holds_lock"], false);
    assert_eq!(v["next_step"], Value::Null);
    assert_eq!(v["release_sha"], ROLLED_BACK_RELEASE);
    let hotfix_phase = [
        ("run-created", ""),
        ("step-done", "record-production"),
        ("step-done", "lock"),
        ("step-done", "build"),
        ("step-done", "push-release"),
        ("step-done", "verify-release"),
        ("approved", ""),
        ("approved", ""),
        ("step-done", "approvals"),
        ("step-started", "release-action"),
        ("step-done", "release-action"),
        ("step-started", "deploy"),
        ("step-done", "deploy"),
        ("step-done", "smoke"),
    ];
    let mut expected = pairs(&hotfix_phase);
    expected.extend(pairs(&[
        ("rollback-started", ""),
        ("step-done", "rollback-restore"),
        ("step-started", "release-action"),
        ("step-done", "release-action"),
        ("step-started", "deploy"),
        ("step-done", "deploy"),
        ("step-done", "smoke"),
        ("attested", ""),
        ("finished", ""),
    ]));
    assert_eq!(events(&v), expected);
    let entries = v["entries"].as_array().expect("entries");
    assert_eq!(entries[22]["commit"], ROLLED_BACK_HEAD);

    let report = r.json(2000, &["report", "--format", "json"]);
    assert_eq!(report["run_id"], ROLLED_BACK);
    assert_eq!(report["state"], "rolled-back");
    assert_eq!(report["rolled_back"], true);
    assert_eq!(report["ended_at"], "2026-11-21T22:55:00Z");
    assert_eq!(report["production_sha"], PRODUCTION);
    assert_eq!(report["release_sha"], ROLLED_BACK_RELEASE);
    assert_eq!(report["fixes"][0]["picked_as"], ROLLED_BACK_HOTFIX);
    let all_ok: Vec<(String, String)> = EVIDENCE_IDS.iter().map(|id| (id.to_string(), "ok".into())).collect();
    assert_eq!(evidence(&report), all_ok);
    assert_eq!(
        report["follow_ups"][0],
        "the hotfix was rolled back (checkout totals wrong after the hotfix); find out why before the next attempt"
    );
    let md = r.hotfix(2000, &["report"]);
    md.expect_code(0);
    assert!(md.stdout.contains("PRODUCTION HOTFIX ROLLED BACK"), "{}", md.stdout);

    let log = r.json(2000, &["log", "--json"]);
    assert_eq!(log[0]["id"], ROLLED_BACK);
    // The JSON state names the finished rollback; the text of `log` says `rolled-back`.
    assert_eq!(log[0]["state"], "rolled-back-finished");
}
