//! Safe interruption: a production command journals that it started (with
//! its process group) before it runs and how it ended; Ctrl-C and SIGTERM
//! are forwarded to it; a killed git-hotfix leaves a record `continue`
//! acts on; the `[production] command` has a deadline; a stale ref lock of
//! a killed git-hotfix is cleared.

use std::time::{Duration, Instant};

use crate::common::{Scenario, MINIMAL_CONFIG};

#[test]
fn a_production_command_past_its_timeout_fails_fast_and_changes_nothing() {
    let s = Scenario::new();
    std::fs::write(
        s.work.join("hotfix.toml"),
        format!("{MINIMAL_CONFIG}\n[production]\ncommand = \"sleep 600\"\ncommand_timeout = \"1s\"\n"),
    )
    .expect("config");
    let before = s.origin_refs();
    let began = Instant::now();
    let start = s.hotfix(&s.work, &["start", "--fix", &s.f, "--yes"]);
    let took = began.elapsed();
    start.expect_code(1);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        start
            .stderr
            .contains("[production] command `sleep 600` did not answer within 1s and was killed"),
        "{}",
        start.stderr
    );
    assert!(start.stderr.contains("command_timeout"), "the hint names the key: {}", start.stderr);
    assert_eq!(s.origin_refs(), before, "origin unchanged");
}

/// Returns the id of the one run in `s.work`'s journal.
fn run_id(s: &Scenario) -> String {
    let refs = s.git(&s.work, &["for-each-ref", "--format=%(refname:strip=3)", "refs/hotfix/runs/"]);
    refs.lines().next().expect("a run exists").to_string()
}

/// Writes an empty ref lock file at `path`, last written `age` ago, as a
/// git-hotfix killed while git wrote the ref leaves it.
fn leave_lock(path: &std::path::Path, age: Duration) {
    std::fs::create_dir_all(path.parent().expect("lock in a dir")).expect("mkdir");
    let file = std::fs::File::create(path).expect("lock file");
    file.set_modified(std::time::SystemTime::now() - age).expect("set mtime");
}

#[test]
fn a_stale_journal_ref_lock_is_cleared_and_a_fresh_one_is_respected() {
    let s = Scenario::new();
    s.start_stopped_at("after:build");
    let id = run_id(&s);
    let lock = s.work.join(format!(".git/refs/hotfix/runs/{id}.lock"));

    // Just written: another git may be writing the ref right now.
    leave_lock(&lock, Duration::ZERO);
    let held = s.hotfix(&s.work, &["continue"]);
    held.expect_code(1);
    assert!(lock.exists(), "a fresh lock is left alone");

    leave_lock(&lock, Duration::from_secs(60));
    s.hotfix(&s.work, &["continue"]).expect_code(0);
    assert!(!lock.exists(), "the stale lock is gone");
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(
        s.rev(&s.work, &format!("refs/hotfix/runs/{id}")),
        s.origin_ref(&format!("refs/hotfix/runs/{id}")).expect("run on origin"),
        "the local journal moved past the lock and matches the remote"
    );
}

#[test]
fn a_stale_lock_on_the_remote_journal_copy_is_cleared() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let other = s.clone_as("other");
    let lock = other.join(format!(".git/refs/hotfix-remote/origin/runs/{id}.lock"));
    leave_lock(&lock, Duration::from_secs(60));
    let status = s.hotfix(&other, &["status", &id]);
    status.expect_code(0);
    assert!(status.stdout.contains("released"), "{}", status.stdout);
    assert!(!lock.exists());
}

#[test]
fn continue_after_a_kill_past_the_last_step_pushes_the_entries_the_remote_lacks() {
    let s = Scenario::new();
    s.start_stopped_at("after:verify-release");
    let id = run_id(&s);
    let other = s.clone_as("other");
    let before = s.hotfix(&other, &["status", &id]);
    assert!(before.stdout.contains("....  verify-release"), "{}", before.stdout);

    let resumed = s.hotfix(&s.work, &["continue"]);
    resumed.expect_code(0);
    assert!(
        resumed.stdout.contains(&format!("pushed 1 journal entr(ies) of run {id} that origin lacked")),
        "{}",
        resumed.stdout
    );
    assert_eq!(
        s.origin_ref(&format!("refs/hotfix/runs/{id}")),
        Some(s.rev(&s.work, &format!("refs/hotfix/runs/{id}")))
    );
    let after = s.hotfix(&other, &["status", &id]);
    assert!(after.stdout.contains("done  verify-release"), "{}", after.stdout);
    assert!(after.stdout.contains("released"), "{}", after.stdout);
    // Nothing left to push: said once only.
    let again = s.hotfix(&s.work, &["continue"]);
    again.expect_code(0);
    assert!(!again.stdout.contains("pushed"), "{}", again.stdout);
}
