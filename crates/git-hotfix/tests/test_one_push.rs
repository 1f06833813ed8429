//! A new run's lock, release and journal reach the remote in one atomic
//! push: the lock must not exist, release must be the tip the plan read,
//! the run must be new, and all of it lands or none does.

use std::path::Path;

use crate::common::Scenario;

/// Makes the origin log every push it receives, a block of `<old> <new> <ref>`
/// lines each, ended by `--`, in `<origin>/pushes`.
fn log_pushes(s: &Scenario) {
    let hook = s.origin.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >> pushes\necho -- >> pushes\n").expect("hook");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .expect("chmod");
}

/// Returns the refs of each push the origin received, in order.
fn pushes(origin: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(origin.join("pushes")).unwrap_or_default();
    text.split("--\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            block
                .lines()
                .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn start_creates_the_run_and_the_lock_and_moves_release_in_one_push() {
    let s = Scenario::new();
    log_pushes(&s);
    s.start_fix(&[]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let pushes = pushes(&s.origin);
    let id = s.git(
        &s.origin,
        &["for-each-ref", "--format=%(refname:lstrip=3)", "refs/hotfix/runs/"],
    );
    let run_ref = format!("refs/hotfix/runs/{id}");
    let mut first = pushes[0].clone();
    first.sort();
    assert_eq!(
        first,
        ["refs/heads/release", "refs/hotfix/locks/release", run_ref.as_str()],
        "the first push carries all three: {pushes:?}"
    );
    // Then only the journal's last entries (the verification), leased on the lock.
    assert_eq!(pushes.len(), 2, "{pushes:?}");
    assert!(!pushes[1].contains(&"refs/heads/release".to_string()), "{pushes:?}");
    let lock = s.git(&s.origin, &["rev-parse", "refs/hotfix/locks/release"]);
    let root = s.git(&s.origin, &["rev-list", "--max-parents=0", &run_ref]);
    assert_eq!(lock, root, "the lock names the run's first entry");
}

#[test]
fn a_crash_before_the_push_leaves_the_remote_as_it_was_and_continue_pushes_it_all_at_once() {
    let s = Scenario::new();
    s.start_stopped_at("before:push-release");
    assert_eq!(
        s.git(&s.origin, &["for-each-ref", "refs/hotfix/"]),
        "",
        "no run and no lock on the remote"
    );
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
    log_pushes(&s);
    s.hotfix(&s.work, &["continue"]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let pushes = pushes(&s.origin);
    assert_eq!(pushes[0].len(), 3, "run, lock and release together: {pushes:?}");
}

#[test]
fn a_push_refused_on_release_moves_nothing_and_the_run_waits_for_a_rebuild() {
    let s = Scenario::new();
    s.start_stopped_at("before:push-release");
    // A colleague moves release meanwhile.
    s.force_release(&s.u1);
    log_pushes(&s);
    let resumed = s.hotfix(&s.work, &["continue"]);
    resumed.expect_code(3);
    assert!(resumed.stderr.contains("release moved"), "{}", resumed.stderr);
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.u1.as_str()));
    // The refused push moved nothing; then the failure went out with the run
    // and its lock, so no one else starts while the operator decides.
    let pushes = pushes(&s.origin);
    assert!(
        pushes.iter().all(|p| !p.contains(&"refs/heads/release".to_string())),
        "no push with release reached the origin: {pushes:?}"
    );
    assert!(s.origin_ref("refs/hotfix/locks/release").is_some(), "{}", resumed.all());
    s.hotfix(&s.work, &["continue", "--rebuild"]).expect_code(0);
    s.assert_hotfixed(&s.u1, &[&s.f]);
}

#[test]
fn plan_and_start_never_read_the_operators_index() {
    let s = Scenario::new();
    // An index git cannot read: any command that loads it fails.
    std::fs::write(s.work.join(".git/index"), "not an index").expect("index");
    let read = std::process::Command::new("git")
        .current_dir(&s.work)
        .args(["diff-tree", "-r", "--name-only", &s.p, &s.f])
        .output()
        .expect("git runs");
    assert!(!read.status.success(), "git's own diff-tree reads the index");
    s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p])
        .expect_code(0);
    s.start_fix(&[]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(
        std::fs::read_to_string(s.work.join(".git/index")).expect("index"),
        "not an index",
        "the operator's index is as they left it"
    );
}

#[test]
fn start_fetches_once_and_never_fetches_back_what_it_pushed() {
    let s = Scenario::new();
    let trace = s.work.parent().expect("root").join("start.trace");
    let trace_path = trace.to_string_lossy().into_owned();
    s.hotfix_env(
        &s.work,
        &["start", "--fix", &s.f, "--production", &s.p, "--yes"],
        &[("GIT_TRACE2_EVENT", trace_path.as_str())],
    )
    .expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let events = std::fs::read_to_string(&trace).expect("trace");
    // The git processes git-hotfix started itself (a child's session id has a `/`).
    let commands: Vec<Vec<String>> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["event"] == "start" && !e["sid"].as_str().unwrap_or("/").contains('/'))
        .map(|e| {
            let argv = e["argv"].as_array().cloned().unwrap_or_default();
            argv.iter().filter_map(|a| a.as_str().map(str::to_string)).collect()
        })
        .collect();
    let fetches: Vec<&Vec<String>> = commands.iter().filter(|a| a.iter().any(|w| w == "fetch")).collect();
    assert_eq!(fetches.len(), 1, "one fetch: {fetches:?}");
    let fetch = fetches[0].join(" ");
    for wanted in [
        "refs/heads/release",
        "refs/heads/main",
        "refs/hotfix/locks/*",
        "refs/hotfix/runs/*",
    ] {
        assert!(fetch.contains(wanted), "the one fetch brings {wanted}: {fetch}");
    }
}
