//! Issue 18: `resolve` lays out only the fix's paths, and plan, start,
//! resolve and backport work in blobless and treeless partial clones,
//! fetching only the objects they need.

use std::path::{Path, PathBuf};
use std::process::Command;

use hotfix_testkit::repo::{project, Project};

use crate::common::{pinned, Run, Scenario, BIN, MINIMAL_CONFIG};
use crate::test_conflicts::RESOLVED;

const REASON: &str = "incident lead: the U1 line ships with this fix";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"))
}

fn hotfix(p: &Project, dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(BIN);
    pinned(&mut cmd, p.root());
    Run::from(cmd.current_dir(dir).args(args).output().expect("git-hotfix runs"))
}

/// Serves the origin for partial clones over `file://` (git's upload-pack
/// filters only when the origin allows it; lazy fetches want single objects).
fn partial_clone(p: &Project, name: &str, filter: &str, config: &str) -> PathBuf {
    p.git(&p.origin, &["config", "uploadpack.allowFilter", "true"]);
    p.git(&p.origin, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
    let url = format!("file://{}", p.origin.display());
    p.git(
        p.root(),
        &[
            "clone",
            "-q",
            "--no-checkout",
            &format!("--filter={filter}"),
            &url,
            name,
        ],
    );
    let dir = p.root().join(name);
    std::fs::write(dir.join("hotfix.toml"), config).expect("config");
    dir
}

/// The objects the clone lacks (promised by its origin).
fn missing(p: &Project, dir: &Path) -> usize {
    p.git(dir, &["rev-list", "--objects", "--missing=print", "--all"])
        .lines()
        .filter(|l| l.starts_with('?'))
        .count()
}

/// Counts the objects `dir`'s object store holds.
fn objects(p: &Project, dir: &Path) -> usize {
    p.git(dir, &["cat-file", "--batch-all-objects", "--batch-check"])
        .lines()
        .count()
}

/// The runbook's situation, with main grown by `extra` files in four
/// directories production never had: blobs a hotfix must not need.
fn scenario_with_history(extra: usize) -> Scenario {
    let s = Scenario::new();
    for i in 0..extra {
        s.write(&format!("lib{}/file{i}.txt", i % 4), &format!("unreleased {i}\n"));
    }
    s.commit("feat: a lot of unreleased files");
    s.git(
        &s.work,
        &[
            "push",
            "-q",
            "origin",
            "main",
            &format!("{}:refs/heads/develop", s.release0),
        ],
    );
    s
}

/// Files a worktree checked out, `.git` left out, sorted.
fn checked_out(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn resolve_checks_out_only_the_fixs_paths_and_continue_keeps_every_other_file() {
    let mut b = project().file("app.txt", "line one\nline two\nline three\n");
    for i in 0..200 {
        b = b.file(&format!("d{}/f{i}.txt", i % 5), &format!("file {i}\n"));
    }
    let p = b.build();
    let prod = p.commit("base: what production runs");
    p.write("app.txt", "line one\nline two\nline three\nU1 line\n");
    p.commit("U1: unreleased feature");
    p.branch("release");
    p.write("app.txt", "line one\nline two\nline three\nU1 line, fixed\n");
    p.write("d2/f7.txt", "file 7, fixed\n");
    let fix = p.commit("fix: the U1 line and f7");
    p.push(&["main", "release"]);
    std::fs::write(p.work.join("hotfix.toml"), MINIMAL_CONFIG).expect("config");
    std::fs::write(p.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");

    let args = [
        "start",
        "--fix",
        &fix,
        "--production",
        &prod,
        "--yes",
        "--allow-dependency",
        REASON,
    ];
    hotfix(&p, &p.work, &args).expect_code(3);
    let run = hotfix(&p, &p.work, &["resolve", "--json"]);
    run.expect_code(0);
    let wt = PathBuf::from(json(&run.stdout)["worktree"].as_str().expect("worktree").to_string());
    assert_eq!(checked_out(&wt), ["app.txt", "d2/f7.txt"], "only the fix's paths");
    assert_eq!(
        std::fs::read_to_string(wt.join("d2/f7.txt")).expect("f7"),
        "file 7, fixed\n"
    );
    assert!(std::fs::read_to_string(wt.join("app.txt"))
        .expect("app")
        .contains("<<<<<<< "));
    let mut indexed: Vec<String> = p.git(&wt, &["ls-files"]).lines().map(str::to_string).collect();
    indexed.dedup(); // app.txt's three stages
    assert_eq!(indexed.len(), 201, "the index holds the whole tree");
    // The sparse checkout lives in the worktree's environment, not in the repository's config.
    let config = std::fs::read_to_string(p.work.join(".git/config")).expect("the operator's config");
    assert!(
        !config.contains("worktreeConfig") && !config.contains("sparse"),
        "{config}"
    );
    assert!(!p.work.join(".git/config.worktree").exists());

    std::fs::write(wt.join("app.txt"), RESOLVED).expect("edit");
    let id = json(&hotfix(&p, &p.work, &["status", "--json"]).stdout)["id"]
        .as_str()
        .expect("run id")
        .to_string();
    hotfix(&p, &p.work, &["continue", &id]).expect_code(0);
    let tip = p.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        p.git(&p.origin, &["diff", "--name-only", &prod, &tip]),
        "app.txt\nd2/f7.txt",
        "every other file is production's"
    );
    assert_eq!(
        p.git(&p.origin, &["ls-tree", "-r", "--name-only", &tip])
            .lines()
            .count(),
        201
    );
    assert_eq!(p.git(&p.origin, &["show", &format!("{tip}:app.txt")]) + "\n", RESOLVED);
    assert!(!wt.exists(), "the worktree is gone once the resolution is built");
}

#[test]
fn plan_and_start_in_a_blobless_clone_fetch_only_what_the_fix_needs() {
    let s = scenario_with_history(120);
    let clone = partial_clone(&s, "blobless", "blob:none", MINIMAL_CONFIG);
    let before = missing(&s, &clone);
    assert!(before >= 120, "a blobless clone lacks the blobs: {before}");

    let plan = ["plan", "--fix", &s.f, "--production", &s.p];
    hotfix(&s, &clone, &plan).expect_code(0);
    let planned = missing(&s, &clone);
    assert!(
        before - planned <= 10,
        "plan reads the fix's blobs only: {before} -> {planned}"
    );
    let run = hotfix(&s, &clone, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    run.expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);

    let after = missing(&s, &clone);
    assert!(
        after >= 120,
        "the unreleased files' blobs stay on the origin: {before} -> {after}"
    );
}

#[test]
fn the_same_plan_works_in_a_treeless_clone() {
    let s = scenario_with_history(40);
    let clone = partial_clone(&s, "treeless", "tree:0", MINIMAL_CONFIG);
    let before = missing(&s, &clone);
    assert!(before > 0, "a treeless clone lacks trees and blobs");

    let run = hotfix(&s, &clone, &["plan", "--fix", &s.f, "--production", &s.p]);
    run.expect_code(0);
    assert!(run.all().contains(&s.f[..7]), "{}", run.all());
    hotfix(&s, &clone, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]).expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    // Counted directly: a treeless clone's missing trees hide what is under them.
    let (here, there) = (objects(&s, &clone), objects(&s, &s.origin));
    assert!(
        here * 2 < there,
        "most objects stay on the origin: {here} of {there} here"
    );
}

#[test]
fn resolve_and_continue_in_a_blobless_clone_push_the_resolution() {
    let s = scenario_with_history(120);
    let clone = partial_clone(&s, "blobless", "blob:none", MINIMAL_CONFIG);
    let args = [
        "start",
        "--fix",
        &s.g,
        "--production",
        &s.p,
        "--yes",
        "--allow-dependency",
        REASON,
    ];
    let run = hotfix(&s, &clone, &args);
    run.expect_code(3);
    assert!(
        run.all().contains("conflicts with production in app.txt"),
        "{}",
        run.all()
    );

    let run = hotfix(&s, &clone, &["resolve", "--json"]);
    run.expect_code(0);
    let v = json(&run.stdout);
    assert_eq!(v["conflicts"][0], "app.txt");
    let wt = PathBuf::from(v["worktree"].as_str().expect("worktree").to_string());
    assert_eq!(checked_out(&wt), ["app.txt"]);
    assert!(std::fs::read_to_string(wt.join("app.txt"))
        .expect("app")
        .contains("<<<<<<< "));

    std::fs::write(wt.join("app.txt"), RESOLVED).expect("edit");
    let id = json(&hotfix(&s, &clone, &["status", "--json"]).stdout)["id"]
        .as_str()
        .expect("run id")
        .to_string();
    hotfix(&s, &clone, &["continue", &id]).expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.git(&s.origin, &["show", &format!("{tip}:app.txt")]) + "\n", RESOLVED);
    assert_eq!(s.git(&s.origin, &["diff", "--name-only", &s.p, &tip]), "app.txt");
    assert!(
        missing(&s, &clone) >= 120,
        "the unreleased files' blobs stay on the origin"
    );
}

#[test]
fn backport_in_a_blobless_clone_pushes_the_pick() {
    let s = scenario_with_history(120);
    let config = format!("{MINIMAL_CONFIG}[backport]\nto = [\"develop\"]\n");
    let clone = partial_clone(&s, "blobless", "blob:none", &config);
    let run = hotfix(&s, &clone, &["backport", "--fix", &s.f, "--to", "develop", "--json"]);
    run.expect_code(0);
    let branch = format!("refs/heads/backport/develop-{}", &s.f[..7]);
    let head = s
        .origin_ref(&branch)
        .unwrap_or_else(|| panic!("{branch} pushed: {}", run.all()));
    assert_eq!(
        s.rev(&s.origin, &format!("{head}^")),
        s.release0,
        "develop's tip plus the pick"
    );
    assert_eq!(
        s.git(&s.origin, &["diff", "--name-only", &s.release0, &head]),
        "other.txt"
    );
    assert!(
        missing(&s, &clone) >= 120,
        "the unreleased files' blobs stay on the origin"
    );
}
