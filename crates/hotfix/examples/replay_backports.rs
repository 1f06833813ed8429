//! Replays real backports of a repository with the engine and with `git
//! cherry-pick`, and compares them.
//!
//! A backport is a commit whose message says "(cherry picked from commit X)".
//! Each X is picked onto the backport's first parent twice: by the engine
//! (`hotfix::pick::attempt`, git's ort merge on objects) and by
//! `git cherry-pick --no-commit` in a scratch worktree. The verdicts
//! (clean/conflict) and, for clean picks, the trees must be identical.
//!
//! Usage: `replay_backports <git-dir> [max-picks]`; `bench/replay.sh` wraps
//! it on a shared clone so the repository itself is left alone.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod cherry_picked;

use hotfix::git::{Git, Oid};
use hotfix::pick;
use hotfix::record::plan::PickStatus;

struct Backport {
    backport: Oid,
    onto: Oid,
    source: Oid,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let repo = args.next().expect("usage: replay_backports <git-dir> [max-picks]");
    let max: usize = args.next().map_or(400, |n| n.parse().expect("max-picks is a number"));
    let git = Git::open(Path::new(&repo)).expect("a git repository");
    let backports = collect(&git, max);
    let scratch = std::env::temp_dir().join(format!("replay-scratch-{}", std::process::id()));
    let first = backports.first().expect("no backports found");
    git.worktree_add(&scratch, &first.onto).expect("scratch worktree");

    let (mut same_verdict, mut same_tree, mut clean, mut conflict, mut empty, mut as_shipped) = (0, 0, 0, 0, 0, 0);
    let mut engine_time = Duration::ZERO;
    let mut git_time = Duration::ZERO;
    let mut mismatches = Vec::new();
    for b in &backports {
        let commits = git
            .commits(&[b.source.clone(), b.onto.clone(), b.backport.clone()])
            .expect("commits");
        let (fix, onto, shipped) = (&commits[0], &commits[1], &commits[2]);
        let mainline = (fix.parents.len() > 1).then_some(1);
        let started = Instant::now();
        let attempt = pick::attempt(&git, &onto.id, &onto.tree, fix, mainline).expect("engine pick");
        engine_time += started.elapsed();

        let started = Instant::now();
        let (git_clean, git_tree) = git_pick(&scratch, &b.onto, &b.source, mainline);
        git_time += started.elapsed();

        let engine_clean = attempt.status != PickStatus::Conflict;
        if engine_clean == git_clean {
            same_verdict += 1;
        }
        if git_clean {
            clean += 1;
            if Some(&attempt.tree) == git_tree.as_ref() {
                same_tree += 1;
            } else {
                mismatches.push(format!("{} onto {}: trees differ", b.source, b.onto));
            }
            if attempt.tree == onto.tree {
                empty += 1;
            }
            if attempt.tree == shipped.tree {
                as_shipped += 1;
            }
        } else {
            conflict += 1;
        }
        if engine_clean != git_clean {
            mismatches.push(format!(
                "{} onto {}: engine {}, git {}",
                b.source,
                b.onto,
                if engine_clean { "clean" } else { "conflict" },
                if git_clean { "clean" } else { "conflict" }
            ));
        }
    }
    let _ = git.worktree_remove(&scratch);
    let picks = backports.len();
    let name = std::env::var("REPLAY_NAME").unwrap_or(repo);
    println!("| repository | picks | git clean | git conflict | empty | identical verdicts | identical trees (of clean) | engine = shipped backport | engine ms/pick | git cherry-pick ms/pick |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {name} | {picks} | {clean} | {conflict} | {empty} | {same_verdict}/{picks} | {same_tree}/{clean} | {as_shipped} | {:.1} | {:.1} |",
        engine_time.as_secs_f64() * 1000.0 / picks as f64,
        git_time.as_secs_f64() * 1000.0 / picks as f64
    );
    for m in &mismatches {
        println!("MISMATCH {m}");
    }
    if !mismatches.is_empty() {
        std::process::exit(1);
    }
}

/// The newest `max` backports whose source commit is in the repository,
/// each (source, onto) pair once.
fn collect(git: &Git, max: usize) -> Vec<Backport> {
    let mut found: Vec<Backport> = Vec::new();
    for record in cherry_picked::records(git, &["--all"]) {
        let (backport, onto, source) = (record.backport, record.onto, &record.source);
        if found.iter().any(|b| &b.source == source && b.onto == onto) {
            continue;
        }
        if !matches!(git.resolve_commits(&[source.as_str()]).as_deref(), Ok([Some(_)])) {
            continue;
        }
        found.push(Backport {
            backport,
            onto,
            source: source.clone(),
        });
        if found.len() == max {
            break;
        }
    }
    found
}

/// `git cherry-pick --no-commit` of `source` onto `onto` in the scratch
/// worktree: clean?, and the tree when clean.
fn git_pick(scratch: &Path, onto: &Oid, source: &Oid, mainline: Option<u32>) -> (bool, Option<Oid>) {
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(scratch)
            .args(args)
            .output()
            .expect("git runs")
    };
    run(&["reset", "-q", "--hard"]);
    run(&["clean", "-qfdx"]);
    let checkout = run(&["checkout", "-q", "-f", "--detach", onto.as_str()]);
    assert!(checkout.status.success(), "checkout {onto}");
    let m = mainline.map(|m| m.to_string());
    let mut args = vec!["cherry-pick", "--no-commit"];
    if let Some(m) = &m {
        args.extend(["-m", m]);
    }
    args.push(source.as_str());
    let picked = run(&args);
    if !picked.status.success() {
        return (false, None);
    }
    let tree = run(&["write-tree"]);
    (true, Oid::parse(&String::from_utf8_lossy(&tree.stdout)))
}
