//! Never lose or clobber: compare-and-swap on release and on the lock.

use crate::common::Scenario;

#[test]
fn someone_pushing_to_release_mid_run_stops_it_without_clobbering() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");

    // A colleague pushes to release by hand.
    let colleague = s.clone_as("colleague");
    s.git(&colleague, &["checkout", "-q", "release"]);
    std::fs::write(colleague.join("late.txt"), "late\n").expect("write");
    s.git(&colleague, &["add", "late.txt"]);
    s.git(&colleague, &["commit", "-q", "-m", "late: pushed by hand"]);
    s.git(&colleague, &["push", "-q", "origin", "release"]);
    let theirs = s.origin_ref("refs/heads/release").expect("release");

    let run = s.hotfix(&s.work, &["continue"]);
    run.expect_code(3);
    let text = run.all();
    assert!(text.contains("release moved"), "{text}");
    assert!(
        text.contains(&format!("expected {}", &s.release0[..7])) && text.contains(&format!("found {}", &theirs[..7])),
        "{text}"
    );
    assert!(
        text.contains("late: pushed by hand"),
        "names the unexpected commit: {text}"
    );
    assert!(
        text.contains("nothing was pushed") && text.contains("git hotfix continue --rebuild"),
        "{text}"
    );
    assert_eq!(
        s.origin_ref("refs/heads/release").as_deref(),
        Some(theirs.as_str()),
        "not clobbered"
    );

    // Plain continue keeps refusing; --rebuild restores and re-picks on the new tip.
    s.hotfix(&s.work, &["continue"]).expect_code(3);
    s.hotfix(&s.work, &["continue", "--rebuild"]).expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let chain = s.git(&s.origin, &["rev-list", "--first-parent", &format!("{theirs}..{tip}")]);
    assert_eq!(
        chain.lines().count(),
        2,
        "restore + fix on top of the colleague's commit"
    );
    assert_eq!(s.rev(&s.origin, &format!("{tip}^{{tree}}")), s.runbook_tree(&[&s.f]));
}

#[test]
fn a_second_start_is_refused_while_a_run_holds_the_lock() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let other = s.clone_as("other");
    let run = s.hotfix(&other, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    run.expect_code(3);
    assert!(run.all().contains("release is locked by hotfix run"), "{}", run.all());
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
}

#[test]
fn two_racing_starts_exactly_one_proceeds() {
    for _ in 0..3 {
        let s = Scenario::new();
        let a = s.clone_as("a");
        let b = s.clone_as("b");
        let (ra, rb) = std::thread::scope(|scope| {
            let ha = scope.spawn(|| s.hotfix(&a, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]));
            let hb = scope.spawn(|| s.hotfix(&b, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]));
            (ha.join().expect("a"), hb.join().expect("b"))
        });
        let mut codes = [ra.code, rb.code];
        codes.sort();
        assert_eq!(
            codes,
            [0, 3],
            "one wins, one is blocked\n--- a\n{}\n--- b\n{}",
            ra.all(),
            rb.all()
        );
        let loser = if ra.code == 3 { &ra } else { &rb };
        assert!(loser.all().contains("locked by hotfix run"), "{}", loser.all());
        s.assert_hotfixed(&s.release0, &[&s.f]);
        let runs = s.git(&s.origin, &["for-each-ref", "refs/hotfix/runs/"]);
        assert_eq!(
            runs.lines().count(),
            1,
            "only the winner's run exists on the remote: {runs}"
        );
    }
}

#[test]
fn a_clone_without_the_built_commits_builds_them_again() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    // Release moves and the stopped run records it: its build entry reaches the
    // remote, its built commits do not.
    s.force_release(&s.u1);
    s.hotfix(&s.work, &["continue"]).expect_code(3);
    // The move is undone; another operator, in a clone that never had the commits, goes on.
    s.force_release(&s.release0);
    let other = s.clone_as("other");
    let second = [
        ("GIT_COMMITTER_NAME", "Second Operator"),
        ("GIT_HOTFIX_TIMESTAMP", "1900000000"),
    ];
    let run = s.hotfix_env(&other, &["continue"], &second);
    run.expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let status = s.hotfix(&other, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let rebuilt = v["entries"].as_array().expect("entries").iter().any(|e| {
        e["entry"]["event"] == "rebuilt"
            && e["entry"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("not in this clone"))
    });
    assert!(rebuilt, "{}", status.stdout);
}

/// Two CI jobs (`CI=true`, no terminal) start a hotfix of one release at
/// once: one runs, the other exits 3 naming the run that holds the lock,
/// and a third job's `status` sees what the first did: the lock and the
/// journal live on the remote.
#[test]
fn two_ci_jobs_at_once_one_runs_and_the_other_names_the_run_holding_the_lock() {
    let s = Scenario::new();
    let ci: &[(&str, &str)] = &[("CI", "true"), ("GITLAB_CI", "true")];
    let (a, b, c) = (s.clone_as("job-a"), s.clone_as("job-b"), s.clone_as("job-c"));
    let start = [
        "start",
        "--fix",
        &s.f,
        "--production",
        &s.p,
        "--yes",
        "--incident",
        "INC-9",
    ];
    let (ra, rb) = std::thread::scope(|scope| {
        let ha = scope.spawn(|| s.hotfix_env(&a, &start, ci));
        let hb = scope.spawn(|| s.hotfix_env(&b, &start, ci));
        (ha.join().expect("a"), hb.join().expect("b"))
    });
    let (winner, loser) = match (ra.code, rb.code) {
        (0, 3) => (&ra, &rb),
        (3, 0) => (&rb, &ra),
        codes => panic!(
            "one job runs, one is blocked: {codes:?}\n--- a\n{}\n--- b\n{}",
            ra.all(),
            rb.all()
        ),
    };
    let id = winner
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("run ")?.strip_suffix(": starting"))
        .expect("the winner names its run");
    assert!(
        loser.stderr.contains(&format!("release is locked by hotfix run {id}")),
        "{}",
        loser.stderr
    );
    assert!(!loser.all().contains("[y/N]"), "no prompt in CI: {}", loser.all());
    let status = s.hotfix_env(&c, &["status", "--json"], ci);
    status.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
    assert_eq!(status["id"], id);
    assert_eq!(status["holds_lock"], true);
    assert_eq!(status["record"]["incident"], "INC-9");
}

/// In a CI job nothing is asked, even without `--yes`: the job is refused,
/// saying why, and nothing moves.
#[test]
fn a_ci_job_without_yes_is_refused_not_prompted() {
    let s = Scenario::new();
    let run = s.hotfix_env(
        &s.work,
        &["start", "--fix", &s.f, "--production", &s.p],
        &[("CI", "true")],
    );
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("refusing to start without confirmation: this is a CI job (CI=true)"),
        "{}",
        run.stderr
    );
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
}
