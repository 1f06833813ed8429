//! A run whose lock was deleted on the remote (or taken by another run)
//! while it was under way: every push it makes is refused with nothing
//! moved, `status` says the lock is lost, and `guard` keeps cut-off out.

use crate::common::Scenario;
use crate::test_gates::ALICE;

const LOCK: &str = "refs/hotfix/locks/release";

/// Every ref on origin with its value.
fn origin_refs(s: &Scenario) -> String {
    s.git(&s.origin, &["for-each-ref", "--format=%(objectname) %(refname)"])
}

/// The work clone's journal heads.
fn local_journal(s: &Scenario) -> String {
    s.git(
        &s.work,
        &["for-each-ref", "--format=%(objectname) %(refname)", "refs/hotfix/"],
    )
}

fn delete_lock(s: &Scenario) {
    s.git(&s.origin, &["update-ref", "-d", LOCK]);
}

fn status_json(s: &Scenario) -> serde_json::Value {
    let status = s.hotfix(&s.work, &["status", "--json"]);
    status.expect_code(0);
    serde_json::from_str(&status.stdout).unwrap_or_else(|e| panic!("status JSON ({e}): {}", status.stdout))
}

#[test]
fn continue_refuses_to_push_release_when_the_lock_is_gone() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    assert!(s.origin_ref(LOCK).is_some(), "start took the lock");
    delete_lock(&s);
    let (origin, local) = (origin_refs(&s), local_journal(&s));

    let resumed = s.hotfix(&s.work, &["continue"]);
    resumed.expect_code(3);
    assert!(resumed.stderr.contains("lock"), "{}", resumed.stderr);
    assert!(resumed.stderr.contains("gone"), "{}", resumed.stderr);
    assert!(resumed.stderr.contains("nothing was pushed"), "{}", resumed.stderr);
    assert!(resumed.stderr.contains("hint:"), "{}", resumed.stderr);
    assert_eq!(origin_refs(&s), origin, "origin unchanged");
    assert_eq!(local_journal(&s), local, "local journal unchanged");
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));

    // The hint's way on: take the lock back at the run's value, then continue.
    let take_back = resumed
        .stderr
        .split('`')
        .find(|part| part.starts_with("git push origin "))
        .expect("the hint says how to take the lock back")
        .to_string();
    let spec = take_back.rsplit(' ').next().expect("a refspec");
    s.git(&s.work, &["push", "-q", "origin", spec]);
    s.hotfix(&s.work, &["continue"]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
}

#[test]
fn a_push_is_refused_when_another_value_holds_the_lock() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let id = status_json(&s)["id"].as_str().expect("a run id").to_string();
    // Someone set the lock to another commit (one that names no run).
    s.git(&s.origin, &["update-ref", LOCK, &s.release0]);
    let (origin, local) = (origin_refs(&s), local_journal(&s));

    let resumed = s.hotfix(&s.work, &["continue", &id]);
    resumed.expect_code(3);
    assert!(resumed.stderr.contains("held by someone else"), "{}", resumed.stderr);
    assert!(resumed.stderr.contains("nothing was pushed"), "{}", resumed.stderr);
    assert_eq!(origin_refs(&s), origin, "origin unchanged");
    assert_eq!(local_journal(&s), local, "local journal unchanged");
}

#[test]
fn a_run_at_a_gate_that_lost_its_lock_is_refused_and_reported() {
    let s = Scenario::new();
    s.configure("\n[approvals]\nroles = [\"tech-lead\"]\nverify = \"none\"\n");
    s.start_fix(&[]).expect_code(0);
    assert_eq!(status_json(&s)["holds_lock"], true);
    delete_lock(&s);
    let (origin, local) = (origin_refs(&s), local_journal(&s));

    // status says so
    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(status.stdout.contains("LOST"), "{}", status.stdout);
    assert!(status.all().contains("warning:"), "{}", status.all());
    let v = status_json(&s);
    assert_eq!(v["holds_lock"], false);
    assert_eq!(v["lock_lost"], true);

    // approving pushes the journal: refused too
    let approve = s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE);
    approve.expect_code(3);
    assert!(approve.stderr.contains("nothing was pushed"), "{}", approve.stderr);

    let resumed = s.hotfix(&s.work, &["continue", "--yes"]);
    resumed.expect_code(3);
    assert!(resumed.stderr.contains("gone"), "{}", resumed.stderr);

    // guard keeps cut-off out: an unfinished run has no lock
    let guard = s.hotfix(&s.work, &["guard", "--action", "cut-off"]);
    guard.expect_code(3);
    assert!(guard.stderr.contains("refused"), "{}", guard.stderr);
    assert!(guard.stderr.contains("lock"), "{}", guard.stderr);

    assert_eq!(origin_refs(&s), origin, "origin unchanged");
    assert_eq!(local_journal(&s), local, "local journal unchanged");

    // abort still closes the run, and then cut-off may run
    s.hotfix(&s.work, &["abort", "--reason", "lock deleted by someone"])
        .expect_code(0);
    s.hotfix(&s.work, &["guard", "--action", "cut-off"]).expect_code(0);
}

#[test]
fn a_lock_removed_during_the_release_job_stops_the_deploy_from_starting() {
    let s = Scenario::new();
    let marker = s.root().join("deployed");
    // The release job stands in for whoever deletes the lock while the run goes on.
    s.configure(&format!(
        r#"
[release]
command = "git --git-dir='{origin}' update-ref -d {LOCK}"
action = "release checkout"

[deploy]
command = "touch '{marker}'"
timeout = "20s"
"#,
        origin = s.origin.display(),
        marker = marker.display(),
    ));
    let start = s.start_fix(&[]);
    start.expect_code(3);
    assert!(start.stderr.contains("gone"), "{}", start.all());
    assert!(start.stderr.contains("nothing was pushed"), "{}", start.all());
    assert!(!marker.exists(), "the deploy never started");
    assert!(s.origin_ref(LOCK).is_none());
    let v = status_json(&s);
    assert_eq!(v["lock_lost"], true);
    assert!(
        !v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["entry"]["step"] == "deploy"),
        "no deploy entry on the remote: {v}"
    );
}
