//! A smoke run of `bench/run.sh` at a tiny size, with the binary under test
//! (`HOTFIX`, so nothing is rebuilt in release mode): it runs to the end and
//! prints its table, one row per size with every column filled. Only the
//! shape is checked; timing is never asserted.

use std::path::Path;
use std::process::Command;

use crate::common::{pinned, Run, BIN};

const HEADER: [&str; 12] = [
    "files",
    "commits",
    "start (s, MiB)",
    "start: git-hotfix alone (MiB)",
    "(a) runbook (s, MiB)",
    "(b) plumbing floor (s, MiB)",
    "plan (s, MiB)",
    "plan: git-hotfix alone (MiB)",
    "(b) floor plan (s, MiB)",
    "start/a",
    "start/b",
    "plan/b",
];

/// Runs `bench/run.sh` on two small sizes in `work` (one with its own
/// commit count), with `extra` in the environment.
fn run_bench(home: &Path, work: &Path, extra: &[(&str, &str)]) -> Run {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/run.sh");
    let mut cmd = Command::new("bash");
    pinned(&mut cmd, home);
    cmd.arg(script)
        .env("HOTFIX", BIN)
        .env("SIZES", "300 400")
        .env("COMMITS", "300")
        .env("COMMITS_400", "250")
        .env("REPS", "1")
        .env("WORK", work)
        .envs(extra.iter().copied());
    let run = Run::from(cmd.output().expect("bash runs bench/run.sh (python3 and git on PATH)"));
    run.expect_code(0);
    run
}

/// Returns the cells of a Markdown table row.
fn cells(line: &str) -> Vec<&str> {
    let inner = line.trim().strip_prefix('|').and_then(|l| l.strip_suffix('|'));
    inner
        .unwrap_or_else(|| panic!("not a table row: {line:?}"))
        .split('|')
        .map(str::trim)
        .collect()
}

/// Checks the table: the header, then one row per size whose cells are
/// "<s> s, <MiB> MiB", a MiB figure or a ratio. `all_mib` says whether the
/// all-process memory is measured (GNU time) or "n/a".
#[track_caller]
fn check_table(run: &Run, all_mib: bool) {
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "a header, a rule and two rows:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(cells(lines[0]), HEADER);
    assert!(cells(lines[1]).iter().all(|c| *c == "---"), "{}", lines[1]);
    let number = |s: &str| s.parse::<f64>().is_ok_and(|v| v >= 0.0);
    let mib = |s: &str| if all_mib { number(s) } else { s == "n/a" };
    for (line, (files, commits)) in lines[2..].iter().zip([("300", "300"), ("400", "250")]) {
        let row = cells(line);
        assert_eq!(row.len(), HEADER.len(), "{line}");
        assert_eq!((row[0], row[1]), (files, commits), "{line}");
        for (i, cell) in row.iter().enumerate().skip(2) {
            let ok = match i {
                2 | 4 | 5 | 6 | 8 => cell
                    .strip_suffix(" MiB")
                    .and_then(|c| c.split_once(" s, "))
                    .is_some_and(|(s, m)| number(s) && mib(m)),
                // The process's own VmHWM, read from /proc on Linux.
                3 | 7 => {
                    if cfg!(target_os = "linux") {
                        number(cell)
                    } else {
                        *cell == "n/a"
                    }
                }
                _ => number(cell),
            };
            assert!(ok, "column {:?} of {line}", HEADER[i]);
        }
    }
}

#[test]
fn bench_runs_at_a_tiny_size_and_prints_its_table() {
    let home = tempfile::tempdir().expect("temp dir");
    let work = home.path().join("work");
    std::fs::create_dir(&work).expect("create the scratch dir");
    let gnu_time = Path::new("/usr/bin/time").exists();
    check_table(&run_bench(home.path(), &work, &[]), gnu_time);
    // Without GNU time (not installed by default everywhere) the run still
    // completes, the all-process memory "n/a"; the repositories are reused.
    check_table(&run_bench(home.path(), &work, &[("GNU_TIME", "")]), false);
}
