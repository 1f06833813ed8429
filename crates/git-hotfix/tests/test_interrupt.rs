//! Safe interruption: a production command journals that it started (with
//! its process group) before it runs and how it ended; Ctrl-C and SIGTERM
//! are forwarded to it; a killed git-hotfix leaves a record `continue`
//! acts on; the `[production] command` has a deadline; a stale ref lock of
//! a killed git-hotfix is cleared.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Run, Scenario, BIN, MINIMAL_CONFIG};

/// A deploy that logs each invocation, writes a marker when it gets SIGINT
/// or SIGTERM (then exits 130 or 143), and otherwise runs for as many tenths of a
/// second as `ticks` says (default a minute), then logs that it finished.
struct Deploy {
    log: PathBuf,
    signals: PathBuf,
    ticks: PathBuf,
}

impl Deploy {
    fn configure(s: &Scenario) -> Deploy {
        let d = Deploy {
            log: s.root().join("deploy.log"),
            signals: s.root().join("deploy-signals"),
            ticks: s.root().join("deploy-ticks"),
        };
        s.configure(&format!(
            r#"
[deploy]
command = "trap 'echo got-int >> \"{signals}\"; exit 130' INT; trap 'echo got-term >> \"{signals}\"; exit 143' TERM; echo run >> '{log}'; echo deploying $HOTFIX_RELEASE_SHA; n=$(cat '{ticks}' 2>/dev/null || echo 600); i=0; while [ $i -lt $n ]; do sleep 0.1; i=$((i+1)); done; echo finished >> '{log}'"
timeout = "5m"
"#,
            log = d.log.display(),
            signals = d.signals.display(),
            ticks = d.ticks.display(),
        ));
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many times the deploy was started.
    fn runs(&self) -> usize {
        self.log().lines().filter(|l| *l == "run").count()
    }

    fn signals(&self) -> String {
        std::fs::read_to_string(&self.signals).unwrap_or_default()
    }

    fn set_ticks(&self, ticks: u32) {
        std::fs::write(&self.ticks, ticks.to_string()).expect("ticks");
    }
}

/// Waits up to 60 s for `cond`.
#[track_caller]
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts git-hotfix in the background in a process group of its own, as a
/// shell starts a foreground job, with the environment tests pin.
fn spawn_hotfix(s: &Scenario, dir: &Path, args: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(BIN);
    crate::common::pinned(&mut cmd, s.root());
    cmd.current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("git-hotfix starts")
}

fn finish(child: Child) -> Run {
    let out = child.wait_with_output().expect("git-hotfix ends");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The events of run `id`'s journal in `dir` (`refs/hotfix/runs/<id>`), oldest first.
fn journal_events(s: &Scenario, dir: &Path, id: &str) -> Vec<serde_json::Value> {
    let text = s.git(
        dir,
        &["log", "--reverse", "--format=%B", &format!("refs/hotfix/runs/{id}")],
    );
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("entry JSON"))
        .collect()
}

fn kinds(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["event"].as_str().unwrap_or(""),
                e["step"].as_str().unwrap_or("")
            )
            .trim()
            .to_string()
        })
        .collect()
}

#[test]
fn a_production_command_past_its_timeout_fails_fast_and_changes_nothing() {
    let s = Scenario::new();
    std::fs::write(
        s.work.join("hotfix.toml"),
        format!("{MINIMAL_CONFIG}\n[production]\ncommand = \"sleep 600\"\ncommand_timeout = \"1s\"\n"),
    )
    .expect("config");
    let before = s.origin_refs();
    let began = Instant::now();
    let start = s.hotfix(&s.work, &["start", "--fix", &s.f, "--yes"]);
    let took = began.elapsed();
    start.expect_code(1);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        start
            .stderr
            .contains("[production] command `sleep 600` did not answer within 1s and was killed"),
        "{}",
        start.stderr
    );
    assert!(
        start.stderr.contains("command_timeout"),
        "the hint names the key: {}",
        start.stderr
    );
    assert_eq!(s.origin_refs(), before, "origin unchanged");
}

/// Returns the id of the one run in `s.work`'s journal.
fn run_id(s: &Scenario) -> String {
    let refs = s.git(
        &s.work,
        &["for-each-ref", "--format=%(refname:strip=3)", "refs/hotfix/runs/"],
    );
    refs.lines().next().expect("a run exists").to_string()
}

/// Writes an empty ref lock file at `path`, last written `age` ago, as a
/// git-hotfix killed while git wrote the ref leaves it.
fn leave_lock(path: &std::path::Path, age: Duration) {
    std::fs::create_dir_all(path.parent().expect("lock in a dir")).expect("mkdir");
    let file = std::fs::File::create(path).expect("lock file");
    file.set_modified(std::time::SystemTime::now() - age)
        .expect("set mtime");
}

#[test]
fn a_stale_journal_ref_lock_is_cleared_and_a_fresh_one_is_respected() {
    let s = Scenario::new();
    s.start_stopped_at("after:build");
    let id = run_id(&s);
    let lock = s.work.join(format!(".git/refs/hotfix/runs/{id}.lock"));

    // Just written: another git may be writing the ref right now.
    leave_lock(&lock, Duration::ZERO);
    let held = s.hotfix(&s.work, &["continue"]);
    held.expect_code(1);
    assert!(lock.exists(), "a fresh lock is left alone");

    leave_lock(&lock, Duration::from_secs(60));
    s.hotfix(&s.work, &["continue"]).expect_code(0);
    assert!(!lock.exists(), "the stale lock is gone");
    s.assert_hotfixed(&s.release0, &[&s.f]);
    assert_eq!(
        s.rev(&s.work, &format!("refs/hotfix/runs/{id}")),
        s.origin_ref(&format!("refs/hotfix/runs/{id}")).expect("run on origin"),
        "the local journal moved past the lock and matches the remote"
    );
}

#[test]
fn a_stale_lock_on_the_remote_journal_copy_is_cleared() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let other = s.clone_as("other");
    let lock = other.join(format!(".git/refs/hotfix-remote/origin/runs/{id}.lock"));
    leave_lock(&lock, Duration::from_secs(60));
    let status = s.hotfix(&other, &["status", &id]);
    status.expect_code(0);
    assert!(status.stdout.contains("released"), "{}", status.stdout);
    assert!(!lock.exists());
}

#[test]
fn continue_after_a_kill_past_the_last_step_pushes_the_entries_the_remote_lacks() {
    let s = Scenario::new();
    s.start_stopped_at("after:verify-release");
    let id = run_id(&s);
    let other = s.clone_as("other");
    let before = s.hotfix(&other, &["status", &id]);
    assert!(before.stdout.contains("....  verify-release"), "{}", before.stdout);

    let resumed = s.hotfix(&s.work, &["continue"]);
    resumed.expect_code(0);
    assert!(
        resumed
            .stdout
            .contains(&format!("pushed 1 journal entr(ies) of run {id} that origin lacked")),
        "{}",
        resumed.stdout
    );
    assert_eq!(
        s.origin_ref(&format!("refs/hotfix/runs/{id}")),
        Some(s.rev(&s.work, &format!("refs/hotfix/runs/{id}")))
    );
    let after = s.hotfix(&other, &["status", &id]);
    assert!(after.stdout.contains("done  verify-release"), "{}", after.stdout);
    assert!(after.stdout.contains("released"), "{}", after.stdout);
    // Nothing left to push: said once only.
    let again = s.hotfix(&s.work, &["continue"]);
    again.expect_code(0);
    assert!(!again.stdout.contains("pushed"), "{}", again.stdout);
}

#[test]
fn ctrl_c_during_the_deploy_is_forwarded_journaled_and_the_deploy_is_not_run_again_without_a_decision() {
    use rustix::process::{kill_process_group, Pid, Signal};
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    let child = spawn_hotfix(&s, &s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    wait_for("the deploy to start", || deploy.runs() == 1);
    // The terminal's Ctrl-C goes to git-hotfix's foreground process group;
    // the deploy, in a group of its own, gets it only by forwarding.
    let group = Pid::from_raw(child.id() as i32).expect("a pid");
    kill_process_group(group, Signal::INT).expect("SIGINT sent");
    let stopped = finish(child);
    stopped.expect_code(130);
    assert!(
        stopped.stderr.contains("deploy interrupted by SIGINT") && stopped.stderr.contains("it may have run"),
        "{}",
        stopped.stderr
    );
    assert!(stopped.stderr.contains("--rerun deploy"), "{}", stopped.stderr);
    assert_eq!(deploy.signals(), "got-int\n", "the deploy got the signal");
    assert!(!deploy.log().contains("finished"));

    let id = run_id(&s);
    for (dir, which) in [(&s.work, "local"), (&s.origin, "remote")] {
        let events = journal_events(&s, dir, &id);
        let k = kinds(&events);
        assert_eq!(
            k[k.len() - 2..],
            ["step-started deploy", "step-interrupted deploy"],
            "{which} journal: {k:?}"
        );
        let started = &events[events.len() - 2];
        assert!(started["pgid"].as_u64().is_some_and(|p| p > 0), "{started}");
        assert_eq!(started["host"], "test-host");
        let interrupted = &events[events.len() - 1];
        assert_eq!(interrupted["signal"], "SIGINT");
        let output = interrupted["outcome"]["output"].as_array().expect("output tail");
        assert!(
            output
                .iter()
                .any(|l| l.as_str().is_some_and(|l| l.starts_with("deploying"))),
            "{interrupted}"
        );
    }

    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("deploy interrupted by SIGINT: it may have run"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("????  deploy"), "{}", status.stdout);
    assert!(
        status.stdout.contains("--rerun deploy"),
        "next says what to do: {}",
        status.stdout
    );
    let v: serde_json::Value =
        serde_json::from_str(&s.hotfix(&s.work, &["status", "--json"]).stdout).expect("status JSON");
    assert_eq!(v["state"], "interrupted");

    let refused = s.hotfix(&s.work, &["continue", "--yes"]);
    refused.expect_code(3);
    assert!(
        refused.stderr.contains("deploy was interrupted by SIGINT") && refused.stderr.contains("it may have run"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("hint:") && refused.stderr.contains("--rerun deploy"),
        "{}",
        refused.stderr
    );
    assert_eq!(deploy.runs(), 1, "not run again without a decision");

    deploy.set_ticks(1);
    let rerun = s.hotfix(&s.work, &["continue", "--yes", "--rerun", "deploy"]);
    rerun.expect_code(0);
    assert_eq!(deploy.runs(), 2, "run once more, on the decision");
    assert!(rerun.stdout.contains("released"), "{}", rerun.stdout);
    let k = kinds(&journal_events(&s, &s.origin, &id));
    assert_eq!(
        k[k.len() - 4..],
        [
            "step-interrupted deploy",
            "rerun-allowed deploy",
            "step-started deploy",
            "step-done deploy"
        ],
        "{k:?}"
    );
    let status = s.hotfix(&s.work, &["status"]);
    assert!(
        status.stdout.contains("decided to run deploy again: Olly Operator"),
        "{}",
        status.stdout
    );
    let report: serde_json::Value =
        serde_json::from_str(&s.hotfix(&s.work, &["report", "--format", "json"]).stdout).expect("report JSON");
    let decisions = report["decisions"].as_array().expect("decisions");
    assert!(
        decisions.iter().any(|d| d
            .as_str()
            .is_some_and(|d| d.starts_with("deploy run again by decision of Olly Operator"))),
        "{decisions:?}"
    );
    // The decision is spent: another `--rerun` has nothing to decide.
    s.hotfix(&s.work, &["continue", "--yes", "--rerun", "deploy"])
        .expect_code(0);
    assert_eq!(deploy.runs(), 2);
}

#[test]
fn after_a_sigkill_continue_refuses_while_the_deploy_runs_and_then_needs_a_decision() {
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    deploy.set_ticks(40);
    let mut child = spawn_hotfix(&s, &s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    wait_for("the deploy to start", || deploy.runs() == 1);
    child.kill().expect("SIGKILL git-hotfix");
    let _ = child.wait();

    let id = run_id(&s);
    let events = journal_events(&s, &s.origin, &id);
    let started = events.last().expect("entries");
    assert_eq!(started["event"], "step-started", "on the remote before the deploy ran");
    let pgid = started["pgid"].as_u64().expect("pgid");

    let running = s.hotfix(&s.work, &["continue", "--yes"]);
    running.expect_code(3);
    assert!(
        running.stderr.contains(&format!(
            "deploy is still running: process group {pgid} on test-host, started at"
        )),
        "{}",
        running.stderr
    );
    assert_eq!(deploy.runs(), 1, "two deploys never overlap");
    let other = s.clone_as("other");
    let seen = s.hotfix(&other, &["status", &id]);
    assert!(
        seen.stdout.contains(&format!("(process group {pgid}) and never ended")),
        "another clone sees the started deploy: {}",
        seen.stdout
    );

    // From another host nobody can tell whether the group lives: it may have run.
    std::fs::copy(s.work.join("hotfix.toml"), other.join("hotfix.toml")).expect("config");
    let elsewhere = s.hotfix_env(&other, &["continue", "--yes"], &[("GIT_HOTFIX_HOSTNAME", "other-host")]);
    elsewhere.expect_code(3);
    assert!(
        elsewhere.stderr.contains("never ended: it may have run"),
        "{}",
        elsewhere.stderr
    );
    assert!(
        elsewhere
            .stderr
            .contains(&format!("make sure process group {pgid} on test-host has ended")),
        "{}",
        elsewhere.stderr
    );
    assert_eq!(deploy.runs(), 1);

    wait_for("the deploy to end", || deploy.log().contains("finished"));
    let mut gone = s.hotfix(&s.work, &["continue", "--yes"]);
    wait_for("its process group to be gone", || {
        if gone.stderr.contains("still running") {
            gone = s.hotfix(&s.work, &["continue", "--yes"]);
            false
        } else {
            true
        }
    });
    gone.expect_code(3);
    assert!(gone.stderr.contains("never ended: it may have run"), "{}", gone.stderr);
    assert!(gone.stderr.contains("--rerun deploy"), "{}", gone.stderr);
    assert_eq!(deploy.runs(), 1);

    deploy.set_ticks(1);
    s.hotfix(&s.work, &["continue", "--yes", "--rerun", "deploy"])
        .expect_code(0);
    assert_eq!(deploy.runs(), 2);
}

#[test]
fn a_death_before_the_gate_opens_runs_nothing_and_the_start_still_needs_a_decision() {
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    deploy.set_ticks(1);
    // The start is on the remote, then git-hotfix dies before saying go.
    s.start_stopped_at("deploy-started:after-remote");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(deploy.runs(), 0, "the gate read end of file: nothing ran");
    let id = run_id(&s);
    let k = kinds(&journal_events(&s, &s.origin, &id));
    assert_eq!(k.last().map(String::as_str), Some("step-started deploy"), "{k:?}");

    let refused = s.hotfix(&s.work, &["continue", "--yes"]);
    refused.expect_code(3);
    assert!(
        refused.stderr.contains("never ended: it may have run"),
        "{}",
        refused.stderr
    );
    assert_eq!(deploy.runs(), 0);
    // A decision for a step with nothing to decide is a usage error.
    let nothing = s.hotfix(&s.work, &["continue", "--yes", "--rerun", "release-action"]);
    nothing.expect_code(2);
    assert!(
        nothing
            .stderr
            .contains("release-action has no interrupted or unfinished attempt"),
        "{}",
        nothing.stderr
    );
    s.hotfix(&s.work, &["continue", "--yes", "--rerun", "deploy"])
        .expect_code(0);
    assert_eq!(deploy.runs(), 1);
}

#[test]
fn an_operator_who_loses_the_journal_lease_does_not_start_the_deploy() {
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    deploy.set_ticks(1);
    let job_started = s.root().join("release-job-started");
    let job_go = s.root().join("release-job-go");
    s.configure(&format!(
        r#"
[release]
command = "touch '{started}'; while [ ! -f '{go}' ]; do sleep 0.05; done"
action = "release checkout"
"#,
        started = job_started.display(),
        go = job_go.display(),
    ));
    let child = spawn_hotfix(&s, &s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    wait_for("the release job to run", || job_started.exists());
    // Meanwhile a colleague records something in the same run from their clone.
    let other = s.clone_as("other");
    s.hotfix(
        &other,
        &["attest", "incident-record", "--detail", "INC-7, opened by a colleague"],
    )
    .expect_code(0);
    std::fs::write(&job_go, "").expect("go");
    let lost = finish(child);
    lost.expect_code(1);
    assert!(
        lost.stderr.contains("moved on the remote while this command ran"),
        "{}",
        lost.stderr
    );
    assert_eq!(deploy.runs(), 0, "the operator who lost the lease never ran the deploy");
}

#[test]
fn ctrl_c_while_production_is_polled_stops_at_the_step_boundary_and_verification_runs_again_freely() {
    use rustix::process::{kill_process_group, Pid, Signal};
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    deploy.set_ticks(1);
    let service = crate::common::serve(200, format!("{{\"sha\":\"{}\"}}", "0".repeat(40)));
    let url = service.url();
    s.configure(&format!(
        "\n[[verify.http]]\nurl = \"{url}/version\"\nsha_pointer = \"/sha\"\ntimeout = \"4m\"\ninterval = \"100ms\"\n"
    ));
    let child = spawn_hotfix(&s, &s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    wait_for("the deploy to finish", || deploy.log().contains("finished"));
    std::thread::sleep(Duration::from_millis(1500));
    let group = Pid::from_raw(child.id() as i32).expect("a pid");
    kill_process_group(group, Signal::INT).expect("SIGINT sent");
    let stopped = finish(child);
    stopped.expect_code(130);
    assert!(
        stopped.stderr.contains("interrupted by SIGINT at verify-production"),
        "{}",
        stopped.stderr
    );
    let id = run_id(&s);
    for dir in [&s.work, &s.origin] {
        let k = kinds(&journal_events(&s, dir, &id));
        assert_eq!(
            k[k.len() - 3..],
            [
                "step-started deploy",
                "step-done deploy",
                "interrupted verify-production"
            ],
            "{k:?}"
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&s.hotfix(&s.work, &["status", "--json"]).stdout).expect("status JSON");
    assert_eq!(v["state"], "in-progress");

    let config = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    std::fs::write(s.work.join("hotfix.toml"), config.replace("\"4m\"", "\"1s\"")).expect("config");
    // The run follows its recorded configuration: the shorter timeout is an explicit replan.
    let again = s.hotfix(&s.work, &["continue", "--yes", "--replan"]);
    again.expect_code(1);
    assert!(again.stderr.contains("production did not report"), "{}", again.stderr);
    assert_eq!(deploy.runs(), 1, "the deploy is done and not run again");
}

#[test]
fn sigterm_to_git_hotfix_during_the_deploy_is_forwarded_as_sigterm_and_journaled() {
    use rustix::process::{kill_process, Pid, Signal};
    let s = Scenario::new();
    let deploy = Deploy::configure(&s);
    let child = spawn_hotfix(&s, &s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    wait_for("the deploy to start", || deploy.runs() == 1);
    // A supervisor stops git-hotfix itself, not its group.
    kill_process(Pid::from_raw(child.id() as i32).expect("a pid"), Signal::TERM).expect("SIGTERM sent");
    let stopped = finish(child);
    stopped.expect_code(130);
    assert_eq!(deploy.signals(), "got-term\n", "the deploy got SIGTERM");
    let events = journal_events(&s, &s.origin, &run_id(&s));
    let last = events.last().expect("entries");
    assert_eq!(last["event"], "step-interrupted");
    assert_eq!(last["signal"], "SIGTERM");
    assert_eq!(last["outcome"]["exit_code"], 143);
    s.hotfix(&s.work, &["continue", "--yes"]).expect_code(3);
    assert_eq!(deploy.runs(), 1);
}
