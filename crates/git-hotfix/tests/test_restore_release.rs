//! The restore-release runbook, end to end against a real remote.

use crate::common::{Scenario, MINIMAL_CONFIG};

#[test]
fn start_gives_the_runbook_tree_with_exactly_restore_and_fix() {
    let s = Scenario::new();
    // The operator is mid-way through something: dirty file, staged file.
    s.write("app.txt", "operator's uncommitted edit\n");
    s.write("staged.txt", "staged\n");
    s.git(&s.work, &["add", "staged.txt"]);
    let head = s.rev(&s.work, "HEAD");
    let status_before = s.git(&s.work, &["status", "--porcelain=v2"]);
    let index_before = s.git(&s.work, &["ls-files", "--stage"]);

    let run = s.hotfix(&s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    run.expect_code(0);
    assert!(run.stdout.contains("next: "), "a next line: {}", run.stdout);

    s.assert_hotfixed(&s.release0, &[&s.f]);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let pick_msg = s.git(&s.origin, &["log", "-1", "--format=%B", &tip]);
    assert!(
        pick_msg.contains(&format!("(cherry picked from commit {})", s.f)),
        "{pick_msg}"
    );
    assert!(
        pick_msg.contains("Hotfix-Run: ") && pick_msg.contains(&format!("Production-Sha: {}", s.p)),
        "{pick_msg}"
    );
    assert_eq!(
        s.git(&s.origin, &["log", "-1", "--format=%an", &tip]),
        "Dana Dev",
        "the fix keeps its author"
    );
    let restore_msg = s.git(&s.origin, &["log", "-1", "--format=%B", &format!("{tip}^")]);
    assert!(restore_msg.contains("Hotfix-Run: "), "{restore_msg}");

    // The operator's checkout, index and HEAD are untouched.
    assert_eq!(s.rev(&s.work, "HEAD"), head);
    assert_eq!(s.git(&s.work, &["status", "--porcelain=v2"]), status_before);
    assert_eq!(s.git(&s.work, &["ls-files", "--stage"]), index_before);
    assert_eq!(
        std::fs::read_to_string(s.work.join("app.txt")).expect("read"),
        "operator's uncommitted edit\n"
    );
}

#[test]
fn plan_shows_the_plan_as_data_and_changes_nothing() {
    let s = Scenario::new();
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    run.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    assert_eq!(plan["picks"][0]["status"], "clean");
    assert_eq!(plan["picks"][0]["fix"], s.f.as_str());
    assert_eq!(plan["release_tree"], s.runbook_tree(&[&s.f]).as_str());
    assert_eq!(plan["restore"]["parent"], s.release0.as_str());
    assert_eq!(plan["scope"]["files"], 1);
    assert_eq!(s.origin_refs(), before, "plan moves nothing on the remote");
    assert!(
        s.git(&s.work, &["for-each-ref", "refs/hotfix/"]).is_empty(),
        "plan creates no run"
    );
}

#[test]
fn a_fix_that_edits_an_unreleased_line_is_blocked_naming_path_and_commit() {
    let s = Scenario::new();
    let before = s.origin_refs();
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.g, "--production", &s.p]);
    plan.expect_code(3);
    let text = plan.all();
    assert!(text.contains("app.txt"), "{text}");
    assert!(text.contains(&s.u1[..7]), "names U1: {text}");
    assert!(text.contains("BLOCK"), "{text}");

    let json = s.hotfix(&s.work, &["plan", "--fix", &s.g, "--production", &s.p, "--json"]);
    json.expect_code(3);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON even when blocked");
    assert_eq!(v["picks"][0]["status"], "conflict");
    assert_eq!(v["picks"][0]["conflicts"][0], "app.txt");

    s.hotfix(&s.work, &["start", "--fix", &s.g, "--production", &s.p, "--yes"])
        .expect_code(3);
    assert_eq!(s.origin_refs(), before, "release did not move, no lock taken");
}

#[test]
fn a_clean_fix_touching_a_file_unreleased_work_changed_is_a_warning() {
    let s = Scenario::new();
    // H changes line two of app.txt on top of P's version: clean on P, but U1/U2 touched app.txt.
    s.git(&s.work, &["checkout", "-q", "-b", "h", &s.p]);
    s.write("app.txt", "line one\nline two (prod, fixed)\nline three\n");
    let h = s.commit("fix: H repairs line two");
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.git(&s.work, &["merge", "-q", "--no-edit", "h"]);
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let run = s.hotfix(&s.work, &["plan", "--fix", &h, "--production", &s.p]);
    run.expect_code(0);
    assert!(run.stdout.contains("warn  unreleased-same-file"), "{}", run.stdout);
    assert!(
        run.stdout.contains(&s.u1[..7]) && run.stdout.contains(&s.u2[..7]),
        "{}",
        run.stdout
    );
}

#[test]
fn a_fix_not_on_main_is_refused() {
    let s = Scenario::new();
    s.git(&s.work, &["checkout", "-q", "-b", "topic", &s.p]);
    s.write("other.txt", "unmerged\n");
    let t = s.commit("fix: not merged yet");
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, &["start", "--fix", &t, "--production", &s.p, "--yes"]);
    run.expect_code(3);
    assert!(run.all().contains("is not on origin/main"), "{}", run.all());
    assert_eq!(s.origin_refs(), before);
}

#[test]
fn merge_commit_fix_is_picked_against_mainline_one() {
    let s = Scenario::new();
    s.git(&s.work, &["checkout", "-q", "-b", "topic", &s.p]);
    s.write("new-module.txt", "module\n");
    s.commit("add module");
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.git(&s.work, &["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    let m = s.rev(&s.work, "HEAD");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    s.hotfix(&s.work, &["start", "--fix", &m, "--production", &s.p, "--yes"])
        .expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let names = s.git(&s.origin, &["diff", "--name-only", &s.p, &tip]);
    assert_eq!(names, "new-module.txt", "only the merged change ships");
}

#[test]
fn release_already_at_production_skips_the_restore() {
    let s = Scenario::new();
    s.force_release(&s.p);
    s.hotfix(&s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"])
        .expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^")),
        s.p,
        "the pick sits directly on production"
    );
}

#[test]
fn works_from_a_bare_repository() {
    let s = Scenario::new();
    s.git(s.root(), &["clone", "-q", "--bare", "origin.git", "bare.git"]);
    let bare = s.root().join("bare.git");
    std::fs::write(bare.join("hotfix.toml"), MINIMAL_CONFIG).expect("config");
    s.hotfix(&bare, &["start", "--fix", &s.f, "--production", &s.p, "--yes"])
        .expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
}

#[test]
fn abort_releases_the_lock_and_leaves_release_alone() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    assert!(
        s.origin_ref("refs/hotfix/locks/release").is_some(),
        "the run holds the lock"
    );
    let run = s.hotfix(&s.work, &["abort"]);
    run.expect_code(0);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
    let status = s.hotfix(&s.work, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&status.stdout).expect("status JSON");
    assert_eq!(v["state"], "aborted");
    s.hotfix(&s.work, &["continue"]).expect_code(1);
}

#[test]
fn init_detects_branches_and_refuses_to_overwrite() {
    let s = Scenario::new();
    let dir = s.clone_as("fresh");
    std::fs::remove_file(dir.join("hotfix.toml")).expect("rm");
    s.hotfix(&dir, &["init"]).expect_code(0);
    let text = std::fs::read_to_string(dir.join("hotfix.toml")).expect("written");
    assert!(
        text.contains("main = \"main\"") && text.contains("release = \"release\""),
        "{text}"
    );
    assert!(
        text.contains("# develop"),
        "no develop branch on origin: commented out\n{text}"
    );
    s.hotfix(&dir, &["init"]).expect_code(1);
    s.hotfix(&dir, &["plan", "--fix", &s.f, "--production", &s.p])
        .expect_code(0);
}

#[test]
fn help_documents_exit_codes() {
    let s = Scenario::new();
    let run = s.hotfix(&s.work, &["--help"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("Exit codes:") && run.stdout.contains("3  blocked"),
        "{}",
        run.stdout
    );
}
