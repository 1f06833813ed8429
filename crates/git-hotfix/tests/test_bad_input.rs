//! Bad input ends in a clear error, the documented exit code, and no change.

use crate::common::Scenario;

#[track_caller]
fn refused(s: &Scenario, args: &[&str], code: i32, needles: &[&str]) {
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, args);
    run.expect_code(code);
    for n in needles {
        assert!(run.stderr.contains(n), "expected `{n}` in:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("hint: "), "every error has a hint:\n{}", run.stderr);
    assert_eq!(s.origin_refs(), before, "nothing changed on the remote");
    assert!(
        s.git(&s.work, &["for-each-ref", "refs/hotfix/runs/"]).is_empty(),
        "no run created"
    );
}

#[test]
fn unknown_fix_revision() {
    let s = Scenario::new();
    refused(
        &s,
        &["start", "--fix", "no-such-rev", "--production", &s.p, "--yes"],
        2,
        &["no-such-rev", "not a commit"],
    );
}

#[test]
fn empty_or_unknown_fix_ranges_and_resolve_without_a_conflict() {
    let s = Scenario::new();
    let empty = format!("{}..{}", s.g, s.g);
    refused(
        &s,
        &["start", "--fix", &empty, "--production", &s.p, "--yes"],
        2,
        &["names no commit", &empty],
    );
    let unknown = format!("no-such-rev..{}", s.g);
    refused(
        &s,
        &["plan", "--fix", &unknown, "--production", &s.p],
        2,
        &["no-such-rev", "not a commit"],
    );
    // A run that built cleanly has nothing to resolve.
    s.start_fix(&[]).expect_code(0);
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, &["resolve"]);
    run.expect_code(3);
    assert!(run.stderr.contains("no conflict to resolve"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert_eq!(s.origin_refs(), before);
}

#[test]
fn unknown_production_revision() {
    let s = Scenario::new();
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", "deadbeef"],
        1,
        &["deadbeef", "not a commit"],
    );
}

#[test]
fn malformed_config_names_the_key() {
    let s = Scenario::new();
    std::fs::write(
        s.work.join("hotfix.toml"),
        "strategy = \"restore-release\"\nremot = \"origin\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n",
    )
    .expect("write");
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", &s.p],
        1,
        &["remot", "expected one of", "`remote`"],
    );
    std::fs::write(
        s.work.join("hotfix.toml"),
        "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\n",
    )
    .expect("write");
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", &s.p],
        1,
        &["missing field `release`"],
    );
    std::fs::write(
        s.work.join("hotfix.toml"),
        "strategy = \"restore-release\"\n[branches]\nmain = 7\nrelease = \"release\"\n",
    )
    .expect("write");
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", &s.p],
        1,
        &["invalid type", "line 3"],
    );
}

#[test]
fn missing_config_points_at_init() {
    let s = Scenario::new();
    std::fs::remove_file(s.work.join("hotfix.toml")).expect("rm");
    refused(&s, &["plan", "--fix", &s.f], 1, &["no hotfix.toml", "git hotfix init"]);
}

#[test]
fn missing_remote_and_missing_branch() {
    let s = Scenario::new();
    let config = crate::common::MINIMAL_CONFIG.replace("remote = \"origin\"", "remote = \"upstream\"");
    std::fs::write(s.work.join("hotfix.toml"), config).expect("write");
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", &s.p],
        1,
        &["remote `upstream` is not configured"],
    );
    let config = crate::common::MINIMAL_CONFIG.replace("release = \"release\"", "release = \"relase\"");
    std::fs::write(s.work.join("hotfix.toml"), config).expect("write");
    refused(
        &s,
        &["plan", "--fix", &s.f, "--production", &s.p],
        1,
        &["branch `relase`", "does not exist on origin"],
    );
}

#[test]
fn start_needs_yes_without_a_terminal_and_refuses_medium() {
    let s = Scenario::new();
    refused(&s, &["start", "--fix", &s.f, "--production", &s.p], 2, &["--yes"]);
    refused(
        &s,
        &[
            "start",
            "--fix",
            &s.f,
            "--production",
            &s.p,
            "--severity",
            "medium",
            "--yes",
        ],
        2,
        &["medium"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let s = Scenario::new();
    let run = s.hotfix(&s.work, &["plan"]);
    run.expect_code(2);
    let run = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--mainline", "0"]);
    run.expect_code(2);
}
