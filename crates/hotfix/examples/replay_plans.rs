//! Replays real backports as `git hotfix plan` runs: how many of the fixes
//! maintainers shipped exactly as `git cherry-pick` gives them does `plan`
//! block, and by which checks?
//!
//! A backport is a commit whose message says "(cherry picked from commit X)",
//! one source. It is kept when git's cherry-pick merge of X onto the
//! backport's first parent (`merge-tree --write-tree --merge-base X^`, what
//! `git cherry-pick` runs, as `replay_backports` proves case by case) is
//! clean, changes something, and gives the shipped backport's tree. Each kept
//! backport is then planned by the real binary, with release = production =
//! the backport's first parent and main = X, in the clone itself (its remote
//! `origin` is the clone).
//!
//! Usage: `replay_plans <git-dir> <git-hotfix binary> [max-picks]`;
//! `bench/replay_plans.sh` wraps it on a shared clone. With
//! `REPLAY_SERVICES=top-level`, hotfix.toml has one `[[services]]` per
//! top-level directory (and `root` for the files at the top), and the row
//! also gives how many services each plan ships. With
//! `REPLAY_STRATEGY=trunk`, each backport is planned as trunk's exceptional
//! path: main unreleasable, production tagged `v1.0.0`, the fix picked onto
//! it on a hotfix branch.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod cherry_picked;

use hotfix::git::{Git, Oid};
use hotfix::pick;
use hotfix::record::plan::PickStatus;

struct Backport {
    backport: Oid,
    onto: Oid,
    source: Oid,
}

const TRUNK_CONFIG: &str = r#"strategy = "trunk"
remote = "origin"
[branches]
main = "replay/main"
[trunk]
releasable = { command = "exit 1" }
[release]
command = "true"
action = "release main"
[staging.deploy]
command = "true"
"#;

const CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
[branches]
main = "replay/main"
release = "replay/release"
"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let repo = args
        .next()
        .expect("usage: replay_plans <git-dir> <git-hotfix> [max-picks]");
    let bin = args
        .next()
        .expect("usage: replay_plans <git-dir> <git-hotfix> [max-picks]");
    let max: usize = args.next().map_or(150, |n| n.parse().expect("max-picks is a number"));
    let git = Git::open(Path::new(&repo)).expect("a git repository");
    let config = Path::new(&repo).join("replay-hotfix.toml");
    let _ = git.run(&["remote", "remove", "origin"]);
    git.run(&["remote", "add", "origin", &repo])
        .expect("remote origin = the clone");

    let backports = collect(&git, max);
    let services = std::env::var("REPLAY_SERVICES").is_ok_and(|v| v == "top-level");
    let trunk = std::env::var("REPLAY_STRATEGY").is_ok_and(|v| v == "trunk");
    let text = match backports.first() {
        _ if trunk => TRUNK_CONFIG.to_string(),
        Some(newest) if services => format!("{CONFIG}{}", top_level_services(&git, &newest.source)),
        _ => CONFIG.to_string(),
    };
    std::fs::write(&config, text).expect("write config");
    let mut shipped_per_plan: BTreeMap<usize, usize> = BTreeMap::new();
    let (mut blocked, mut longest, mut over_400) = (0usize, 0usize, 0usize);
    let mut by_check: BTreeMap<String, usize> = BTreeMap::new();
    let mut longest_at = String::new();
    let mut blocks = Vec::new();
    let (mut seconds, mut own_rss, mut slowest) = (Vec::new(), 0u64, String::new());
    for b in &backports {
        git.run(&["update-ref", "refs/heads/replay/release", b.onto.as_str()])
            .expect("release ref");
        git.run(&["update-ref", "refs/heads/replay/main", b.source.as_str()])
            .expect("main ref");
        if trunk {
            // Production's version tag, on the commit the backport was made onto.
            git.run(&["update-ref", "refs/tags/v1.0.0", b.onto.as_str()])
                .expect("production tag");
        }
        let began = Instant::now();
        let out = Command::new(&bin)
            .arg("-C")
            .arg(&repo)
            .arg("--config")
            .arg(&config)
            .args(["plan", "--fix", b.source.as_str(), "--production", b.onto.as_str()])
            .env("GIT_AUTHOR_NAME", "Replay")
            .env("GIT_AUTHOR_EMAIL", "replay@example.com")
            .env("GIT_COMMITTER_NAME", "Replay")
            .env("GIT_COMMITTER_EMAIL", "replay@example.com")
            .env("GIT_HOTFIX_REPORT_RSS", "1")
            .output()
            .expect("git-hotfix runs");
        let took = began.elapsed().as_secs_f64();
        if seconds.iter().all(|s| *s < took) {
            slowest = format!("{} onto {}", b.source, b.onto);
        }
        seconds.push(took);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let (stderr, rss) = own_peak(&stderr);
        own_rss = own_rss.max(rss);
        if services {
            let ships = stdout.lines().filter(|l| l.starts_with("  ships ")).count();
            *shipped_per_plan.entry(ships).or_default() += 1;
        }
        for line in stdout.lines().chain(stderr.lines()) {
            let n = line.chars().count();
            if n > 400 {
                over_400 += 1;
            }
            if n > longest {
                longest = n;
                longest_at = b.source.to_string();
            }
        }
        match out.status.code() {
            Some(0) => {}
            Some(3) => {
                blocked += 1;
                let mut names: Vec<String> = stdout
                    .lines()
                    .filter_map(|l| l.trim_start().strip_prefix("BLOCK "))
                    .filter_map(|rest| rest.split_whitespace().next().map(str::to_string))
                    .collect();
                names.dedup();
                for n in &names {
                    *by_check.entry(n.clone()).or_default() += 1;
                }
                blocks.push(format!(
                    "BLOCKED {} onto {} (backport {}): {}",
                    b.source,
                    b.onto,
                    b.backport,
                    names.join(", ")
                ));
            }
            code => {
                blocks.push(format!(
                    "ERROR {} onto {}: exit {code:?}: {}",
                    b.source,
                    b.onto,
                    stderr.trim()
                ));
                *by_check.entry("error".into()).or_default() += 1;
            }
        }
    }
    let picks = backports.len();
    let name = std::env::var("REPLAY_NAME").unwrap_or(repo);
    let checks: Vec<String> = by_check.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("| repository | picks | blocked | blocked % | blocks by check | longest line | lines > 400 |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {name} | {picks} | {blocked} | {:.1} | {} | {longest} | {over_400} |",
        if picks == 0 {
            0.0
        } else {
            blocked as f64 * 100.0 / picks as f64
        },
        if checks.is_empty() {
            "-".to_string()
        } else {
            checks.join(", ")
        }
    );
    println!("longest line in the plan of {longest_at}");
    println!("{}; the longest: {slowest}", timing(&mut seconds, own_rss));
    if services {
        let each: Vec<String> = shipped_per_plan
            .iter()
            .map(|(n, plans)| format!("{n} service(s): {plans} plan(s)"))
            .collect();
        println!("services shipped per plan: {}", each.join(", "));
    }
    for b in &blocks {
        println!("{b}");
    }
}

/// Returns `stderr` without the line `GIT_HOTFIX_REPORT_RSS` adds, and the
/// KiB it reports (0 without one).
fn own_peak(stderr: &str) -> (String, u64) {
    let mut kib = 0;
    let rest: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            let reported = l
                .strip_prefix("git-hotfix: peak resident memory ")
                .and_then(|r| r.strip_suffix(" KiB"))
                .and_then(|n| n.parse().ok());
            if let Some(n) = reported {
                kib = n;
            }
            reported.is_none()
        })
        .collect();
    (rest.join("\n"), kib)
}

/// Says how long the plans took, wall time of the whole `git hotfix plan`
/// (git's processes included): median, 90th percentile and the longest, and
/// the largest resident set of git-hotfix's own process.
fn timing(seconds: &mut [f64], own_kib: u64) -> String {
    if seconds.is_empty() {
        return "plan wall time: no plans".into();
    }
    seconds.sort_by(f64::total_cmp);
    let at = |q: f64| seconds[((seconds.len() - 1) as f64 * q).round() as usize];
    format!(
        "plan wall time over {} plans: median {:.3} s, p90 {:.3} s, max {:.3} s; git-hotfix alone peak {} MiB",
        seconds.len(),
        at(0.5),
        at(0.9),
        at(1.0),
        own_kib.div_ceil(1024)
    )
}

/// Returns one `[[services]]` table per top-level directory of `commit`'s
/// tree, and `root` for the files at the top.
fn top_level_services(git: &Git, commit: &Oid) -> String {
    let listing = git
        .run(&["ls-tree", "-z", commit.as_str()])
        .expect("the newest fix's tree");
    let mut tables = String::from("\n[[services]]\nname = \"root\"\npaths = [\"*\"]\n");
    let mut names = vec!["root".to_string()];
    for entry in listing.split('\0').filter(|e| e.contains(" tree ")) {
        let Some((_, dir)) = entry.split_once('\t') else {
            continue;
        };
        let name: String = dir
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(32)
            .collect::<String>()
            .trim_end_matches('-')
            .to_string();
        if name.is_empty() || names.contains(&name) || dir.contains(['"', '\\', '[', '*', '?']) {
            continue;
        }
        tables.push_str(&format!("\n[[services]]\nname = \"{name}\"\npaths = [\"{dir}/**\"]\n"));
        names.push(name);
    }
    tables
}

/// The newest `max` backports (one source each, newest first) whose clean
/// cherry-pick gives the shipped tree.
fn collect(git: &Git, max: usize) -> Vec<Backport> {
    let mut found: Vec<Backport> = Vec::new();
    for record in cherry_picked::records(git, &["--all", "--no-merges"]) {
        let (backport, onto, source) = (record.backport, record.onto, &record.source);
        if found.iter().any(|b| &b.source == source && b.onto == onto) {
            continue;
        }
        if !matches!(git.resolve_commits(&[source.as_str()]).as_deref(), Ok([Some(_)])) {
            continue;
        }
        let Ok(commits) = git.commits(&[source.clone(), onto.clone(), backport.clone()]) else {
            continue;
        };
        let (fix, target, shipped) = (&commits[0], &commits[1], &commits[2]);
        let mainline = (fix.parents.len() > 1).then_some(1);
        let Ok(attempt) = pick::attempt(git, &target.id, &target.tree, fix, mainline) else {
            continue;
        };
        if attempt.status != PickStatus::Clean || attempt.tree != shipped.tree {
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
