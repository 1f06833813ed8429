//! Resumability: a crash at any step boundary, then `continue`, ends where an
//! uninterrupted run ends, with no duplicate commits; any clone can continue.

use crate::common::Scenario;

/// Every point a run can stop at: before and after each step, and between a
/// remote push and the local journal write.
const FAULT_POINTS: &[&str] = &[
    "before:record-production",
    "after:record-production",
    "before:lock",
    // The lock goes out with release's push (`push-release:after-remote`).
    "after:lock",
    "before:build",
    "after:build",
    "before:push-release",
    "push-release:after-remote",
    "after:push-release",
    "before:verify-release",
    "after:verify-release",
];

#[test]
fn continue_converges_after_a_fault_at_every_step_boundary() {
    for point in FAULT_POINTS {
        let s = Scenario::new();
        let start = s.hotfix_env(
            &s.work,
            &["start", "--fix", &s.f, "--production", &s.p, "--yes"],
            &[("GIT_HOTFIX_INJECT_FAULT", point)],
        );
        assert_eq!(
            start.code,
            1,
            "{point}: the injected fault stops start\n{}",
            start.all()
        );
        assert!(start.stderr.contains(point), "{point}: {}", start.stderr);

        let resumed = s.hotfix(&s.work, &["continue"]);
        assert_eq!(resumed.code, 0, "{point}: continue\n{}", resumed.all());
        s.assert_hotfixed(&s.release0, &[&s.f]);

        // Idempotent: once more changes nothing.
        let tip = s.origin_ref("refs/heads/release");
        s.hotfix(&s.work, &["continue"]).expect_code(0);
        assert_eq!(s.origin_ref("refs/heads/release"), tip, "{point}");
        let status = s.hotfix(&s.work, &["status", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
        assert_eq!(v["state"], "released", "{point}");
        let steps_done = v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["entry"]["event"] == "step-done")
            .count();
        assert_eq!(steps_done, 5, "{point}: each step journaled exactly once");
    }
}

#[test]
fn a_second_clone_sees_the_run_and_continues_it() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    // The operator's Ctrl-C before the push put the run on the remote with its
    // lock and its build's entry, but not the commits it built (they go with
    // release's push): a second operator, later, sees the run and builds again.
    let other = s.clone_as("other");
    let second = [
        ("GIT_COMMITTER_NAME", "Second Operator"),
        ("GIT_HOTFIX_TIMESTAMP", "1900000000"),
    ];
    let status = s.hotfix_env(&other, &["status"], &second);
    status.expect_code(0);
    assert!(
        status.stdout.contains("lock       held by this run"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains(&format!("fix        {}", &s.f[..7])),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("done  build"),
        "the build's entry is on the remote: {}",
        status.stdout
    );
    s.hotfix_env(&other, &["continue"], &second).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let pusher = s.git(&s.origin, &["log", "-1", "--format=%cn", "refs/heads/release"]);
    assert_eq!(pusher, "Second Operator");
    // The first clone sees the finished run, built again by the second.
    let first = s.hotfix(&s.work, &["status", "--json"]);
    first.expect_code(0);
    let v: serde_json::Value = serde_json::from_str(&first.stdout).expect("JSON");
    assert_eq!(v["state"], "released");
    let built_by = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rfind(|e| e["entry"]["step"] == "build")
        .map(|e| e["entry"]["actor"]["ident"].clone());
    assert_eq!(built_by, Some(serde_json::json!("Second Operator <olly@example.com>")));
}

#[test]
fn a_second_clone_continues_after_the_first_pushed_release() {
    let s = Scenario::new();
    s.start_stopped_at("after:push-release");
    let other = s.clone_as("other");
    let log = s.hotfix(&other, &["log"]);
    assert!(log.stdout.contains("in progress"), "{}", log.stdout);
    s.hotfix(&other, &["continue"]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
}
