//! Runs the team's own commands (release action, deploy, smoke checks, the
//! production source): a shell command with the run's facts in its
//! environment, in a process group of its own, output streamed line by line
//! with secrets masked, a deadline, and the tail kept as evidence.
//!
//! A production command is spawned gated: its shell exists (so its process
//! group can be journaled) but waits for `go` on its stdin before it runs
//! the command. If git-hotfix dies before saying go, the gate reads end of
//! file and nothing runs. An operator's stop request is forwarded to the
//! command's process group and waited for, then the group is killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::interrupt::{StopRequest, StopSignal};
use crate::secrets::Redactor;

/// How many output lines are kept in the journal (the last ones).
const KEPT_LINES: usize = 200;

/// How long a command gets to end after the operator's signal was forwarded
/// to it, before its process group is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(30);

/// The shell that waits for `go` on stdin, then becomes the command (`$0`).
const GATE: &str = r#"read -r go && [ "$go" = go ] && exec sh -c "$0""#;

/// What a command did, with its output already redacted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutcome {
    pub command: String,
    /// The exit code, or `None` when it was killed (timeout or signal).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    /// Names of the `HOTFIX_*` variables it was given.
    pub env: Vec<String>,
    /// The last lines of its output (stdout and stderr interleaved).
    pub output: Vec<String>,
    /// Lines dropped from the front of `output`.
    pub output_dropped: usize,
    /// The operator's signal (`SIGINT`) forwarded to it, when it was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

impl CommandOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && self.interrupted.is_none()
    }

    /// Returns "exit 0 in 1.2 s", "timed out after 30m", ...
    pub fn describe(&self) -> String {
        let secs = self.duration_ms as f64 / 1000.0;
        if let Some(signal) = &self.interrupted {
            let end = match self.exit_code {
                Some(code) => format!("exit {code}"),
                None => "killed".into(),
            };
            return format!("interrupted ({signal} forwarded) after {secs:.1} s, {end}");
        }
        match (self.timed_out, self.exit_code) {
            (true, _) => format!("timed out after {secs:.1} s and was killed"),
            (false, Some(code)) => format!("exit {code} in {secs:.1} s"),
            (false, None) => format!("killed by a signal after {secs:.1} s"),
        }
    }
}

/// A command to run.
pub struct Job<'a> {
    pub command: &'a str,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Duration,
}

/// Which stream a line of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A command whose shell is started in its own process group but waits at
/// the gate; dropping it without [`go`](Gated::go) closes the gate and
/// nothing of the command runs.
pub struct Gated {
    child: Option<Child>,
    gate: Option<ChildStdin>,
    pgid: u32,
}

impl Gated {
    /// Returns the process group the command will run in.
    pub fn pgid(&self) -> u32 {
        self.pgid
    }

    /// Opens the gate and supervises the command until it ends, times out
    /// or is stopped.
    pub fn go(
        mut self,
        job: &Job<'_>,
        redactor: &Redactor,
        stop: &StopRequest,
        on_line: &mut dyn FnMut(Stream, &str),
    ) -> std::io::Result<CommandOutcome> {
        let mut child = self
            .child
            .take()
            .expect("a gated command has its child until go or drop");
        let mut gate = self.gate.take().expect("a gated command has its gate until go or drop");
        let started = Instant::now();
        let opened = gate.write_all(b"go\n").and_then(|()| gate.flush());
        drop(gate);
        if let Err(e) = opened {
            kill_group(self.pgid, Signal::Kill);
            let _ = child.wait();
            return Err(e);
        }
        supervise(child, self.pgid, started, job, redactor, stop, on_line)
    }
}

impl Drop for Gated {
    fn drop(&mut self) {
        // End of file at the gate: the shell exits without running anything.
        drop(self.gate.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

/// Starts `job`'s shell in its own process group, waiting at the gate.
pub fn spawn_gated(job: &Job<'_>) -> std::io::Result<Gated> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(GATE).arg(job.command).stdin(Stdio::piped());
    let mut child = shell(&mut cmd, job).spawn()?;
    let gate = child.stdin.take();
    let pgid = child.id();
    Ok(Gated {
        child: Some(child),
        gate,
        pgid,
    })
}

/// Runs `job` under `sh -c`, sending each output line (redacted) to
/// `on_line`. Fails only when the command cannot be started.
pub fn run(
    job: &Job<'_>,
    redactor: &Redactor,
    stop: &StopRequest,
    on_line: &mut dyn FnMut(Stream, &str),
) -> std::io::Result<CommandOutcome> {
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(job.command).stdin(Stdio::null());
    let child = shell(&mut cmd, job).spawn()?;
    let pgid = child.id();
    supervise(child, pgid, started, job, redactor, stop, on_line)
}

/// Sets up the job's directory, environment, pipes and process group.
fn shell<'c>(cmd: &'c mut Command, job: &Job<'_>) -> &'c mut Command {
    crate::trace::emit(|| {
        format!(
            "sh -c {} (timeout {})",
            job.command,
            crate::config::format_duration(job.timeout)
        )
    });
    cmd.current_dir(job.dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in job.env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a timeout or a stop reaches what it started too.
        cmd.process_group(0);
    }
    cmd
}

fn supervise(
    mut child: Child,
    pgid: u32,
    started: Instant,
    job: &Job<'_>,
    redactor: &Redactor,
    stop: &StopRequest,
    on_line: &mut dyn FnMut(Stream, &str),
) -> std::io::Result<CommandOutcome> {
    let (tx, rx) = mpsc::channel::<(Stream, String)>();
    let readers: Vec<JoinHandle<()>> = [
        (
            Stream::Stdout,
            child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            Stream::Stderr,
            child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ]
    .into_iter()
    .filter_map(|(which, stream)| stream.map(|s| (which, s)))
    .map(|(which, stream)| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n') {
                let Ok(line) = line else { break };
                let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
                if tx.send((which, text)).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);

    let deadline = started + job.timeout;
    let mut output = std::collections::VecDeque::new();
    let mut dropped = 0;
    let mut timed_out = false;
    let mut killed = false;
    let mut interrupted: Option<(StopSignal, Instant)> = None;
    loop {
        let until = interrupted.map_or(deadline, |(_, grace)| grace);
        let wait = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait.min(Duration::from_millis(100))) {
            Ok((which, line)) => {
                let line = redactor.redact(&line);
                on_line(which, &line);
                output.push_back(line);
                if output.len() > KEPT_LINES {
                    output.pop_front();
                    dropped += 1;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        match interrupted {
            None => {
                if let Some(signal) = stop.raised() {
                    kill_group(pgid, signal.into());
                    interrupted = Some((signal, now + STOP_GRACE));
                } else if now >= deadline {
                    timed_out = true;
                    kill_group(pgid, Signal::Kill);
                    let _ = child.kill();
                    break;
                }
            }
            Some((_, grace)) if now >= grace => {
                killed = true;
                kill_group(pgid, Signal::Kill);
                let _ = child.kill();
                break;
            }
            Some(_) => {}
        }
    }
    let status = child.wait()?;
    if let Some((_, grace)) = interrupted {
        // What the command started in its group ends too before we go on:
        // two deploys must never overlap.
        while group_alive(pgid) && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(50));
        }
        if group_alive(pgid) {
            killed = true;
            kill_group(pgid, Signal::Kill);
        }
    }
    if !timed_out && !killed {
        for r in readers {
            let _ = r.join();
        }
    }
    Ok(CommandOutcome {
        command: redactor.redact(job.command),
        exit_code: if timed_out || killed { None } else { status.code() },
        timed_out,
        duration_ms: started.elapsed().as_millis() as u64,
        env: job.env.iter().map(|(k, _)| k.clone()).collect(),
        output: output.into(),
        output_dropped: dropped,
        interrupted: interrupted.map(|(signal, _)| signal.name().to_string()),
    })
}

/// A signal git-hotfix sends to a command's process group.
#[derive(Clone, Copy, Debug)]
enum Signal {
    Interrupt,
    Terminate,
    Kill,
}

impl From<StopSignal> for Signal {
    fn from(s: StopSignal) -> Signal {
        match s {
            StopSignal::Interrupt => Signal::Interrupt,
            StopSignal::Terminate => Signal::Terminate,
        }
    }
}

#[cfg(unix)]
fn kill_group(pgid: u32, signal: Signal) {
    use rustix::process::{kill_process_group, Pid, Signal as Sig};
    let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) else {
        return;
    };
    let sig = match signal {
        Signal::Interrupt => Sig::INT,
        Signal::Terminate => Sig::TERM,
        Signal::Kill => Sig::KILL,
    };
    // A group that is gone already needs no signal.
    let _ = kill_process_group(pid, sig);
}

#[cfg(not(unix))]
fn kill_group(_pgid: u32, _signal: Signal) {}

/// Returns true while a process of group `pgid` on this host is alive (a
/// zombie waiting for its parent to reap it does not count).
#[cfg(unix)]
pub fn group_alive(pgid: u32) -> bool {
    use rustix::process::{test_kill_process_group, Pid};
    let Some(pid) = i32::try_from(pgid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    match test_kill_process_group(pid) {
        // kill(2) counts zombies; /proc, where there is one, says who really runs.
        Ok(()) => live_members(pgid).unwrap_or(true),
        // Another user's processes, which /proc may hide: alive.
        Err(e) if e == rustix::io::Errno::PERM => true,
        Err(_) => false,
    }
}

#[cfg(not(unix))]
pub fn group_alive(_pgid: u32) -> bool {
    false
}

/// Returns whether /proc lists a process of group `pgid` that is not a
/// zombie, or `None` without a readable /proc.
#[cfg(unix)]
fn live_members(pgid: u32) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut any = false;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        any = true;
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().unwrap_or("Z");
        let pgrp = fields.nth(1).and_then(|p| p.parse::<u32>().ok());
        if pgrp == Some(pgid) && state != "Z" && state != "X" {
            return Some(true);
        }
    }
    any.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job<'a>(command: &'a str, env: &'a [(String, String)], timeout: Duration) -> Job<'a> {
        Job {
            command,
            dir: Path::new("."),
            env,
            timeout,
        }
    }

    #[test]
    fn streams_lines_masks_secrets_and_keeps_exit_code() {
        let env = vec![("HOTFIX_RUN_ID".to_string(), "r1".to_string())];
        let redactor = Redactor::new(
            &crate::config::Secrets::default(),
            vec![("MY_TOKEN".to_string(), "s3cr3t-value".to_string())],
        );
        let mut seen = Vec::new();
        let outcome = run(
            &job(
                "echo run $HOTFIX_RUN_ID; echo s3cr3t-value >&2; exit 3",
                &env,
                Duration::from_secs(10),
            ),
            &redactor,
            &StopRequest::default(),
            &mut |which, l| seen.push((which, l.to_string())),
        )
        .expect("sh runs");
        assert_eq!(outcome.exit_code, Some(3));
        assert!(!outcome.succeeded());
        seen.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(
            seen,
            vec![
                (Stream::Stderr, "[redacted MY_TOKEN]".to_string()),
                (Stream::Stdout, "run r1".to_string())
            ]
        );
        assert_eq!(outcome.output.len(), 2);
        assert_eq!(outcome.env, vec!["HOTFIX_RUN_ID"]);
    }

    #[test]
    fn a_command_past_its_deadline_is_killed() {
        let outcome = run(
            &job("echo started; sleep 30", &[], Duration::from_millis(300)),
            &Redactor::default(),
            &StopRequest::default(),
            &mut |_, _| {},
        )
        .expect("sh runs");
        assert!(outcome.timed_out);
        assert!(outcome.duration_ms < 10_000, "{}", outcome.duration_ms);
        assert_eq!(outcome.output, vec!["started"]);
    }

    #[test]
    fn an_outcome_journaled_before_interruption_existed_still_reads() {
        let old = r#"{"command":"deploy","exit_code":0,"timed_out":false,"duration_ms":5,"env":[],"output":["ok"],"output_dropped":0}"#;
        let outcome: CommandOutcome = serde_json::from_str(old).expect("an old outcome reads");
        assert_eq!(outcome.interrupted, None);
        assert!(outcome.succeeded());
        assert_eq!(
            serde_json::to_string(&outcome).expect("serializes"),
            old,
            "and writes as before"
        );
    }

    #[test]
    fn a_gated_command_runs_only_after_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let marker = dir.path().join("ran");
        let command = format!("echo ran > '{}'; echo done", marker.display());
        let j = job(&command, &[], Duration::from_secs(10));
        let closed = spawn_gated(&j).expect("sh starts");
        assert!(closed.pgid() > 0);
        drop(closed);
        assert!(!marker.exists(), "a gate closed without go runs nothing");

        let gated = spawn_gated(&j).expect("sh starts");
        let outcome = gated
            .go(&j, &Redactor::default(), &StopRequest::default(), &mut |_, _| {})
            .expect("runs");
        assert!(outcome.succeeded(), "{outcome:?}");
        assert_eq!(outcome.output, vec!["done"]);
        assert!(marker.exists());
    }

    #[test]
    fn a_stop_request_is_forwarded_to_the_group_and_waited_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let marker = dir.path().join("got-int");
        let command = format!(
            "trap 'echo stopping; echo int > \"{}\"; exit 7' INT; echo waiting; while :; do sleep 0.1; done",
            marker.display()
        );
        let j = job(&command, &[], Duration::from_secs(30));
        let stop = StopRequest::default();
        let gated = spawn_gated(&j).expect("sh starts");
        let pgid = gated.pgid();
        let outcome = gated
            .go(&j, &Redactor::default(), &stop, &mut |_, line| {
                if line == "waiting" {
                    stop.raise(StopSignal::Interrupt);
                }
            })
            .expect("runs");
        assert_eq!(outcome.interrupted.as_deref(), Some("SIGINT"));
        assert_eq!(outcome.exit_code, Some(7));
        assert!(!outcome.succeeded());
        assert!(outcome.output.contains(&"stopping".to_string()), "{:?}", outcome.output);
        assert!(marker.exists(), "the command got SIGINT");
        assert!(!group_alive(pgid), "the group is gone once the outcome is back");
    }
}
