//! Replays a repository's real backports as `git hotfix backport --fix`
//! runs of the real binary, and compares each with `git cherry-pick -x`.
//!
//! A backport is a commit of a branch other than main whose message says
//! "(cherry picked from commit X)", one source, X on main. For each, newest
//! first, the remote gets a target branch at the backport's first parent
//! (the release branch just before the maintainers' backport), and
//! `git hotfix backport --fix X --to <target> --json` runs in a working
//! clone whose `origin` is that remote. The same X is then picked with
//! `git cherry-pick -x` (`-m 1` for a merge) onto the same parent in a
//! scratch worktree. Verdicts must agree (git conflict ⇔ conflicted, git
//! "empty" ⇔ already-applied), and each clean backport's pushed commit must
//! have git's tree and message.
//!
//! Usage: `replay_backport <remote git-dir> <working clone> <git-hotfix> <main> [max]`;
//! `bench/replay_backport.sh` sets the two clones up.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod cherry_picked;

use hotfix::git::{Git, Oid};
use serde::Deserialize;

struct Candidate {
    backport: Oid,
    onto: Oid,
    source: Oid,
}

/// What the binary's `--json` says of one backport (the fields compared).
#[derive(Deserialize)]
struct Reported {
    state: String,
    commit: Option<Oid>,
    #[serde(default)]
    conflicts: Vec<String>,
    applied_as: Option<serde_json::Value>,
}

/// What `git cherry-pick -x` made of a fix.
enum GitPick {
    Clean { tree: Oid, message: String },
    Conflict,
    Empty,
}

const ENV: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Replay"),
    ("GIT_AUTHOR_EMAIL", "replay@example.com"),
    ("GIT_COMMITTER_NAME", "Replay"),
    ("GIT_COMMITTER_EMAIL", "replay@example.com"),
];

fn main() {
    let usage = "usage: replay_backport <remote git-dir> <working clone> <git-hotfix> <main> [max]";
    let mut args = std::env::args().skip(1);
    let remote = args.next().expect(usage);
    let work = args.next().expect(usage);
    let bin = args.next().expect(usage);
    let main_branch = args.next().expect(usage);
    let max: usize = args.next().map_or(100, |n| n.parse().expect("max is a number"));
    let origin = Git::open(Path::new(&remote)).expect("the remote is a git repository");
    let config = Path::new(&work).join("replay-hotfix.toml");
    std::fs::write(
        &config,
        format!("strategy = \"restore-release\"\nremote = \"origin\"\n[branches]\nmain = \"{main_branch}\"\nrelease = \"replay/release\"\n"),
    )
    .expect("write config");

    let candidates = collect(&origin, &main_branch, max);
    let first = candidates.first().expect("no backports found");
    let scratch = std::env::temp_dir().join(format!("replay-backport-scratch-{}", std::process::id()));
    let work_git = Git::open(Path::new(&work)).expect("the working clone is a git repository");
    work_git.worktree_add(&scratch, &first.onto).expect("scratch worktree");

    let (mut clean, mut conflicted, mut applied, mut applied_as_commit) = (0, 0, 0, 0);
    let (mut same_verdict, mut same_tree, mut same_message, mut as_shipped) = (0, 0, 0, 0);
    let (mut ours_times, mut git_times) = (Vec::new(), Vec::new());
    let mut disagreements = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let target = format!("replay/target-{i}");
        origin
            .run(&["update-ref", &format!("refs/heads/{target}"), c.onto.as_str()])
            .expect("target branch on the remote");
        let started = Instant::now();
        let out = Command::new(&bin)
            .arg("-C")
            .arg(&work)
            .arg("--config")
            .arg(&config)
            .args(["backport", "--fix", c.source.as_str(), "--to", &target, "--json"])
            .envs(ENV)
            .output()
            .expect("git-hotfix runs");
        ours_times.push(started.elapsed());
        let ours = reported(&out);
        let (fix_short, onto_short) = (&c.source.as_str()[..12], &c.onto.as_str()[..12]);
        let shipped_tree = tree_of(&origin, &c.backport);

        let (git_pick, git_time) = cherry_pick(&scratch, c, &origin);
        git_times.push(git_time);

        let Some(ours) = ours else {
            disagreements.push(format!(
                "ERROR {fix_short} onto {onto_short}: exit {:?}: {}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            continue;
        };
        let git_word = match &git_pick {
            GitPick::Clean { .. } => "clean",
            GitPick::Conflict => "conflict",
            GitPick::Empty => "empty",
        };
        let agree = matches!(
            (ours.state.as_str(), &git_pick),
            ("clean", GitPick::Clean { .. }) | ("conflicted", GitPick::Conflict) | ("already-applied", GitPick::Empty)
        );
        if agree {
            same_verdict += 1;
        } else {
            disagreements.push(format!(
                "VERDICT {fix_short} onto {onto_short} (backport {}): ours {}{}{}, git {git_word}",
                &c.backport.as_str()[..12],
                ours.state,
                if ours.applied_as.is_some() {
                    " (applied as a target commit)"
                } else {
                    ""
                },
                if ours.conflicts.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", ours.conflicts.join(" "))
                },
            ));
        }
        match ours.state.as_str() {
            "clean" => {
                clean += 1;
                let commit = ours.commit.as_ref().expect("a clean backport has a commit");
                let tree = tree_of(&work_git, commit);
                let message = work_git.commit(commit).expect("the pushed commit").message;
                if tree == shipped_tree {
                    as_shipped += 1;
                }
                if let GitPick::Clean {
                    tree: git_tree,
                    message: git_message,
                } = &git_pick
                {
                    if &tree == git_tree {
                        same_tree += 1;
                    } else {
                        disagreements.push(format!(
                            "TREE {fix_short} onto {onto_short}: ours {tree}, git {git_tree}"
                        ));
                    }
                    if message.trim_end() == git_message.trim_end() {
                        same_message += 1;
                    } else {
                        disagreements.push(format!(
                            "MESSAGE {fix_short} onto {onto_short}: differs from git's -x message"
                        ));
                    }
                }
            }
            "conflicted" => conflicted += 1,
            _ => {
                applied += 1;
                if ours.applied_as.is_some() {
                    applied_as_commit += 1;
                }
            }
        }
        // Leave the remote as it was: the target and the backport branch go.
        let branch = format!("refs/heads/backport/{target}-{}", c.source.short());
        let _ = origin.run(&["update-ref", "-d", &branch]);
        let _ = origin.run(&["update-ref", "-d", &format!("refs/heads/{target}")]);
    }
    let _ = work_git.worktree_remove(&scratch);

    let n = candidates.len();
    let name = std::env::var("REPLAY_NAME").unwrap_or(remote);
    println!("| repository | backports | clean | conflicted | already applied (by a target commit) | verdicts = git's | clean trees = git's | clean messages = git's -x | clean = shipped tree | ours ms (median) | git cherry-pick ms (median) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {name} | {n} | {clean} | {conflicted} | {applied} ({applied_as_commit}) | {same_verdict}/{n} | {same_tree}/{clean} | {same_message}/{clean} | {as_shipped}/{clean} | {:.0} | {:.0} |",
        median_ms(&mut ours_times),
        median_ms(&mut git_times)
    );
    for d in &disagreements {
        println!("{d}");
    }
    println!(
        "replay_backport {name}: {n} backports, {clean} clean, {conflicted} conflicted, {applied} already applied; \
         verdicts = git's {same_verdict}/{n}; clean trees = git cherry-pick's {same_tree}/{clean}; \
         {} disagreement(s)",
        disagreements.len()
    );
    if !disagreements.is_empty() {
        std::process::exit(1);
    }
}

/// The one backport the binary's JSON reports, when it ran.
fn reported(out: &Output) -> Option<Reported> {
    if !out.status.success() {
        return None;
    }
    let mut all: Vec<Reported> = serde_json::from_slice(&out.stdout).ok()?;
    (all.len() == 1).then(|| all.remove(0))
}

fn tree_of(git: &Git, commit: &Oid) -> Oid {
    git.commit(commit).expect("a commit").tree
}

fn median_ms(times: &mut [Duration]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

/// The newest `max` backports on branches other than `main` whose one
/// source is on `main`, each (source, onto) pair once.
fn collect(git: &Git, main: &str, max: usize) -> Vec<Candidate> {
    let on_main: std::collections::HashSet<String> = git
        .run(&["rev-list", main])
        .expect("rev-list main")
        .lines()
        .map(str::to_string)
        .collect();
    let mut found: Vec<Candidate> = Vec::new();
    for record in cherry_picked::records(git, &["--branches", "--no-merges"]) {
        let (backport, onto, source) = (record.backport, record.onto, &record.source);
        if on_main.contains(backport.as_str()) {
            continue;
        }
        if !on_main.contains(source.as_str()) || found.iter().any(|b| &b.source == source && b.onto == onto) {
            continue;
        }
        found.push(Candidate {
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

/// `git cherry-pick -x` (`-m 1` for a merge) of the candidate's source onto
/// its parent in the scratch worktree, and how long the pick itself took.
fn cherry_pick(scratch: &Path, c: &Candidate, origin: &Git) -> (GitPick, Duration) {
    let run = |args: &[&str]| -> Output {
        Command::new("git")
            .arg("-C")
            .arg(scratch)
            .args(args)
            .envs(ENV)
            .output()
            .expect("git runs")
    };
    let _ = run(&["cherry-pick", "--abort"]);
    run(&["reset", "-q", "--hard"]);
    let checkout = run(&["checkout", "-q", "-f", "--detach", c.onto.as_str()]);
    assert!(checkout.status.success(), "checkout {}", c.onto);
    let merge = origin.commit(&c.source).expect("the fix").parents.len() > 1;
    let mut args = vec!["cherry-pick", "-x"];
    if merge {
        args.extend(["-m", "1"]);
    }
    args.push(c.source.as_str());
    let started = Instant::now();
    let picked = run(&args);
    let took = started.elapsed();
    if picked.status.success() {
        let head = run(&["log", "-1", "--format=%T%n%B"]);
        let text = String::from_utf8_lossy(&head.stdout).into_owned();
        let (tree, message) = text.split_once('\n').expect("tree and message");
        return (
            GitPick::Clean {
                tree: Oid::parse(tree).expect("a tree id"),
                message: message.to_string(),
            },
            took,
        );
    }
    let unmerged = run(&["diff", "--name-only", "--diff-filter=U"]);
    if unmerged.stdout.is_empty() {
        (GitPick::Empty, took)
    } else {
        (GitPick::Conflict, took)
    }
}
