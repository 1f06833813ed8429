//! Issue 4: conflicts resolved in a separate worktree, fixes given as ranges
//! and merges, fixes already applied, and finer dependency findings.

use std::path::PathBuf;

use crate::common::Scenario;

const REASON: &str = "incident lead: the U1 line ships with this fix";
pub(crate) const RESOLVED: &str = "line one\nline two (prod)\nline three\nU1 line, fixed\n";

/// What the operator's own checkout looks like: HEAD, index tree, status.
fn checkout_state(s: &Scenario) -> (String, String, String) {
    (
        s.rev(&s.work, "HEAD"),
        s.git(&s.work, &["write-tree"]),
        s.git(&s.work, &["status", "--porcelain", "--untracked-files=all"]),
    )
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

/// Starts G (which conflicts on production) with the escalated decision;
/// returns the run id.
pub(crate) fn start_conflicting(s: &Scenario) -> String {
    let run = s.hotfix(
        &s.work,
        &[
            "start",
            "--fix",
            &s.g,
            "--production",
            &s.p,
            "--yes",
            "--allow-dependency",
            REASON,
        ],
    );
    run.expect_code(3);
    let text = run.all();
    assert!(text.contains("conflicts with production in app.txt"), "{text}");
    assert!(
        text.contains(&format!("unreleased  {}", &s.u1[..7])),
        "names U1: {text}"
    );
    assert!(text.contains("git hotfix resolve"), "{text}");
    let status = json(&s.hotfix(&s.work, &["status", "--json"]).stdout);
    status["id"].as_str().expect("run id").to_string()
}

fn resolve(s: &Scenario) -> PathBuf {
    let run = s.hotfix(&s.work, &["resolve", "--json"]);
    run.expect_code(0);
    let v = json(&run.stdout);
    assert_eq!(v["conflicts"][0], "app.txt");
    PathBuf::from(v["worktree"].as_str().expect("worktree path"))
}

fn worktrees(s: &Scenario) -> usize {
    s.git(&s.work, &["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

#[test]
fn conflict_resolve_edit_continue_with_the_unrelated_edit_caught() {
    let s = Scenario::new();
    let mine = checkout_state(&s);
    let id = start_conflicting(&s);
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
    assert!(
        s.origin_ref("refs/hotfix/locks/release").is_some(),
        "the run holds release while resolving"
    );

    let wt = resolve(&s);
    assert!(wt.starts_with(s.root()), "a temporary dir: {}", wt.display());
    let conflicted = std::fs::read_to_string(wt.join("app.txt")).expect("conflicted file");
    assert!(conflicted.contains("<<<<<<< "), "{conflicted}");
    assert_eq!(checkout_state(&s), mine, "the operator's checkout is untouched");
    // A second `resolve` finds the same worktree instead of clobbering edits.
    assert_eq!(resolve(&s), wt);

    let run = s.hotfix(&s.work, &["continue", &id]);
    run.expect_code(3);
    assert!(run.all().contains("conflict marker at line"), "{}", run.all());

    std::fs::write(wt.join("app.txt"), RESOLVED).expect("edit");
    std::fs::write(wt.join("other.txt"), "other\nsneaked in\n").expect("edit");
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, &["continue", &id]);
    run.expect_code(3);
    assert!(run.all().contains("also changes other.txt"), "{}", run.all());
    assert_eq!(s.origin_refs(), before, "nothing was pushed");

    s.git(&wt, &["checkout", "HEAD", "--", "other.txt"]);
    let run = s.hotfix(&s.work, &["continue", &id]);
    run.expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.git(&s.origin, &["show", &format!("{tip}:app.txt")]) + "\n", RESOLVED);
    let changed = s.git(&s.origin, &["diff", "--name-only", &s.p, &tip]);
    assert_eq!(
        changed, "app.txt",
        "release differs from production only in the fix's path"
    );
    assert_eq!(
        s.git(&s.origin, &["rev-list", "--count", &format!("{}..{tip}", s.release0)]),
        "2",
        "restore + the resolved pick"
    );
    assert!(!wt.exists(), "the worktree is gone once the resolution is built");
    assert_eq!(worktrees(&s), 1);
    assert_eq!(checkout_state(&s), mine, "the operator's checkout is untouched");

    let report = json(&s.hotfix(&s.work, &["report", &id, "--format", "json"]).stdout);
    assert_eq!(report["fixes"][0]["status"], "resolved");
    let decisions = report["decisions"].to_string();
    assert!(decisions.contains(REASON), "{decisions}");
    assert!(decisions.contains("resolved by hand"), "{decisions}");
    // The resolved tree travels with the journal: another clone can read the run.
    let other = s.clone_as("colleague");
    let status = s.hotfix(&other, &["status", &id]);
    status.expect_code(0);
    // It says what happened: the fix was resolved by hand and picked, not "not picked".
    assert!(
        status.stdout.contains("resolved by hand, picked as"),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("not picked"), "{}", status.stdout);
}

#[test]
fn abort_removes_the_resolve_worktree_and_the_lock() {
    let s = Scenario::new();
    let id = start_conflicting(&s);
    let wt = resolve(&s);
    assert_eq!(worktrees(&s), 2);
    s.hotfix(&s.work, &["abort", &id]).expect_code(0);
    assert!(!wt.exists());
    assert_eq!(worktrees(&s), 1);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
}

#[test]
fn without_the_escalated_decision_a_dependency_blocks_before_anything_moves() {
    let s = Scenario::new();
    let before = s.origin_refs();
    let run = s.hotfix(&s.work, &["start", "--fix", &s.g, "--production", &s.p, "--yes"]);
    run.expect_code(3);
    let text = run.all();
    assert!(text.contains("depends-on-unreleased"), "{text}");
    assert!(text.contains("--allow-dependency"), "{text}");
    assert_eq!(s.origin_refs(), before);
}

/// A 20-line file on production, an unreleased change of line 10 on main.
fn numbered(changes: &[(usize, &str)]) -> String {
    (1..=20)
        .map(|i| {
            changes
                .iter()
                .find(|(n, _)| *n == i)
                .map_or(format!("n{i}\n"), |(_, t)| format!("{t}\n"))
        })
        .collect()
}

fn with_numbered_file(s: &Scenario) -> (String, String) {
    s.write("num.txt", &numbered(&[]));
    let prod = s.commit("P2: num.txt in production");
    // Production runs a tagged build of main: a commit release never held.
    s.git(&s.work, &["tag", "prod-p2", &prod]);
    s.write("num.txt", &numbered(&[(10, "U3 ten")]));
    let u3 = s.commit("U3: unreleased change of line ten");
    (prod, u3)
}

#[test]
fn hunks_overlapping_unreleased_lines_only_in_context_warn_and_elsewhere_in_the_file_warn() {
    let s = Scenario::new();
    let (prod, u3) = with_numbered_file(&s);
    // Line 12: a clean merge, with U3's line 10 only in the hunk's context.
    // Issue 10: context-only overlap is a warning (it blocked before).
    s.write("num.txt", &numbered(&[(10, "U3 ten"), (12, "fixed twelve")]));
    let near = s.commit("fix: line twelve");
    s.write(
        "num.txt",
        &numbered(&[(10, "U3 ten"), (12, "fixed twelve"), (20, "fixed twenty")]),
    );
    let far = s.commit("fix: line twenty");
    s.git(&s.work, &["push", "-q", "origin", "main"]);

    let plan = s.hotfix(&s.work, &["plan", "--fix", &near, "--production", &prod, "--json"]);
    plan.expect_code(0);
    let v = json(&plan.stdout);
    assert_eq!(v["picks"][0]["status"], "clean", "git merges it cleanly");
    assert_eq!(v["picks"][0]["dependencies"][0]["path"], "num.txt");
    assert_eq!(v["picks"][0]["dependencies"][0]["commits"][0]["id"], u3.as_str());
    let context = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "context-from-unreleased")
        .expect("the context overlap is named");
    assert_eq!(context["status"], "warn", "{context}");
    assert_eq!(context["commits"][0]["id"], u3.as_str());

    // `far` sits on `near`: plan it alone, and `near` is unreleased work too.
    let plan = s.hotfix(&s.work, &["plan", "--fix", &far, "--production", &prod]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("warn  unreleased-same-file"), "{}", plan.stdout);
    assert!(plan.stdout.contains(&u3[..7]), "names U3: {}", plan.stdout);

    let allowed = s.hotfix(
        &s.work,
        &[
            "plan",
            "--fix",
            &near,
            "--production",
            &prod,
            "--allow-dependency",
            "CTO approved",
        ],
    );
    allowed.expect_code(0);
    assert!(allowed.stdout.contains("allowed: CTO approved"), "{}", allowed.stdout);
}

#[test]
fn a_range_is_picked_oldest_first_and_a_fix_may_build_on_an_earlier_one() {
    let s = Scenario::new();
    s.write("h1.txt", "one\n");
    let h1 = s.commit("fix: H1 adds h1.txt");
    s.write("h1.txt", "one\ntwo, needs H1\n");
    let h2 = s.commit("fix: H2 builds on H1");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let range = format!("{}..{h2}", s.g);

    let plan = s.hotfix(&s.work, &["plan", "--fix", &range, "--production", &s.p, "--json"]);
    plan.expect_code(0);
    let v = json(&plan.stdout);
    let order: Vec<&str> = v["picks"]
        .as_array()
        .expect("picks")
        .iter()
        .map(|p| p["fix"].as_str().expect("fix"))
        .collect();
    assert_eq!(order, [h1.as_str(), h2.as_str()]);
    assert!(v["picks"][1]["dependencies"].as_array().expect("list").is_empty());

    let human = s.hotfix(&s.work, &["plan", "--fix", &range, "--production", &s.p]);
    let first = human.stdout.find(&h1[..7]).expect("H1 listed");
    let second = human.stdout.find(&h2[..7]).expect("H2 listed");
    assert!(first < second, "{}", human.stdout);

    s.hotfix(&s.work, &["start", "--fix", &range, "--production", &s.p, "--yes"])
        .expect_code(0);
    s.assert_hotfixed(&s.release0, &[&h1, &h2]);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^{{tree}}")),
        s.runbook_tree(&[&h1, &h2])
    );
}

#[test]
fn a_merge_commit_fix_gives_the_tree_of_cherry_pick_m_1() {
    let s = Scenario::new();
    s.git(&s.work, &["checkout", "-q", "-b", "topic", &s.p]);
    s.write("dir with space/naïve file.txt", "unicode\nfrom the topic\n");
    s.commit("topic: part one");
    s.write("new dir/é.txt", "topic file\n");
    s.commit("topic: part two");
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.git(&s.work, &["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    let merge = s.rev(&s.work, "HEAD");
    s.git(&s.work, &["push", "-q", "origin", "main"]);

    let plan = s.hotfix(&s.work, &["plan", "--fix", &merge, "--production", &s.p, "--json"]);
    plan.expect_code(0);
    assert_eq!(json(&plan.stdout)["picks"][0]["mainline"], 1);
    s.hotfix(&s.work, &["start", "--fix", &merge, "--production", &s.p, "--yes"])
        .expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let ours = s.rev(&s.origin, &format!("{tip}^{{tree}}"));

    let scratch = s.root().join("m1");
    s.git(s.root(), &["clone", "-q", "origin.git", "m1"]);
    s.git(&scratch, &["checkout", "-q", "--detach", &s.p]);
    s.git(&scratch, &["cherry-pick", "-m", "1", &merge]);
    assert_eq!(ours, s.rev(&scratch, "HEAD^{tree}"));
}

#[test]
fn a_fix_already_in_production_is_skipped_and_never_an_empty_commit() {
    let s = Scenario::new();
    // Production took F by cherry-pick, then changed the same line again.
    s.git(&s.work, &["checkout", "-q", "-b", "prod", &s.p]);
    s.git(&s.work, &["cherry-pick", &s.f]);
    let taken = s.rev(&s.work, "HEAD");
    s.write("other.txt", "other\nfixed, v2\n");
    let prod = s.commit("P3: production tunes the fix");
    s.git(&s.work, &["tag", "prod-p3", &prod]);
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.write("h.txt", "new\n");
    let h = s.commit("fix: H adds h.txt");
    s.git(&s.work, &["push", "-q", "origin", "main", "prod"]);

    let plan = s.hotfix(
        &s.work,
        &["plan", "--fix", &s.f, "--fix", &h, "--production", &prod, "--json"],
    );
    plan.expect_code(0);
    let v = json(&plan.stdout);
    assert_eq!(v["picks"][0]["status"], "already-applied");
    assert_eq!(v["picks"][0]["applied_as"]["id"], taken.as_str());
    assert_eq!(v["picks"][0]["commit"], serde_json::Value::Null);

    s.hotfix(
        &s.work,
        &["start", "--fix", &s.f, "--fix", &h, "--production", &prod, "--yes"],
    )
    .expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let gained = s.git(&s.origin, &["log", "--format=%s", &format!("{}..{tip}", s.release0)]);
    assert_eq!(gained.lines().count(), 2, "restore + H only: {gained}");
    assert!(!gained.contains("F repairs"), "{gained}");

    // Alone, an applied fix leaves nothing to do: blocked, nothing moves.
    let before = s.origin_refs();
    let only = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &prod]);
    only.expect_code(3);
    assert!(only.all().contains("already-applied"), "{}", only.all());
    assert_eq!(s.origin_refs(), before);
}
