//! Runs the team's own commands (release action, deploy, smoke checks): a
//! shell command with the run's facts in its environment, output streamed
//! line by line with secrets masked, a deadline, and the tail kept as evidence.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::secrets::Redactor;

/// How many output lines are kept in the journal (the last ones).
const KEPT_LINES: usize = 200;

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
}

impl CommandOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    /// Returns "exit 0 in 1.2 s", "timed out after 30m", ...
    pub fn describe(&self) -> String {
        let secs = self.duration_ms as f64 / 1000.0;
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

/// Runs `job` under `sh -c`, sending each output line (redacted) to `on_line`.
/// Fails only when the command cannot be started.
pub fn run(job: &Job<'_>, redactor: &Redactor, on_line: &mut dyn FnMut(&str)) -> std::io::Result<CommandOutcome> {
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(job.command)
        .current_dir(job.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in job.env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a timeout kills what it started too.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn()?;
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n') {
                let Ok(line) = line else { break };
                let text = String::from_utf8_lossy(&line).trim_end_matches('\r').to_string();
                if tx.send(text).is_err() {
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
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait.min(Duration::from_millis(200))) {
            Ok(line) => {
                let line = redactor.redact(&line);
                on_line(&line);
                output.push_back(line);
                if output.len() > KEPT_LINES {
                    output.pop_front();
                    dropped += 1;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if Instant::now() >= deadline {
                    timed_out = true;
                    kill(&mut child);
                    break;
                }
            }
        }
    }
    let status = child.wait()?;
    if !timed_out {
        for r in readers {
            let _ = r.join();
        }
    }
    Ok(CommandOutcome {
        command: redactor.redact(job.command),
        exit_code: if timed_out { None } else { status.code() },
        timed_out,
        duration_ms: started.elapsed().as_millis() as u64,
        env: job.env.iter().map(|(k, _)| k.clone()).collect(),
        output: output.into(),
        output_dropped: dropped,
    })
}

fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
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
            &mut |l| seen.push(l.to_string()),
        )
        .expect("sh runs");
        assert_eq!(outcome.exit_code, Some(3));
        assert!(!outcome.succeeded());
        seen.sort();
        assert_eq!(seen, vec!["[redacted MY_TOKEN]", "run r1"]);
        assert_eq!(outcome.output.len(), 2);
        assert_eq!(outcome.env, vec!["HOTFIX_RUN_ID"]);
    }

    #[test]
    fn a_command_past_its_deadline_is_killed() {
        let outcome = run(
            &job("echo started; sleep 30", &[], Duration::from_millis(300)),
            &Redactor::default(),
            &mut |_| {},
        )
        .expect("sh runs");
        assert!(outcome.timed_out);
        assert!(outcome.duration_ms < 10_000, "{}", outcome.duration_ms);
        assert_eq!(outcome.output, vec!["started"]);
    }
}
