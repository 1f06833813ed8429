//! One long-lived `git cat-file --batch-command` per repository, for the
//! many small object reads a run makes (commits, blobs, "is it here?"): a
//! request is a line written to it, not a process started.
//!
//! It is started on the first read and stopped with the last handle on the
//! repository. A process that fails is dropped, and the next read starts
//! another. Objects written after it started are found too: git looks for
//! an object it lacks in new packs and loose files before it answers
//! `missing`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::{GitError, Result};

/// What `cat-file` said of one object.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Header {
    pub id: String,
    pub kind: String,
    pub size: usize,
}

pub(super) struct Batch {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

const ARGS: [&str; 2] = ["cat-file", "--batch-command=%(objectname) %(objecttype) %(objectsize)"];

impl Batch {
    pub(super) fn start(mut cmd: Command) -> Result<Batch> {
        crate::trace::emit(|| format!("git {}", ARGS.join(" ")));
        let mut child = cmd
            .args(ARGS)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| GitError::Spawn {
                program: "git".into(),
                source,
            })?;
        let input = child.stdin.take().expect("stdin is piped");
        let output = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Ok(Batch { child, input, output })
    }

    /// Returns what the object `rev` names is, or `None` when there is none.
    pub(super) fn info(&mut self, rev: &str) -> Result<Option<Header>> {
        self.ask("info", rev)
    }

    /// Returns the object `rev` names with its content, or `None`.
    pub(super) fn contents(&mut self, rev: &str) -> Result<Option<(Header, Vec<u8>)>> {
        let Some(header) = self.ask("contents", rev)? else {
            return Ok(None);
        };
        let mut body = vec![0; header.size + 1];
        self.output.read_exact(&mut body).map_err(broken)?;
        if body.pop() != Some(b'\n') {
            return Err(parse_error("an object not ended by a newline".into()));
        }
        Ok(Some((header, body)))
    }

    fn ask(&mut self, command: &str, rev: &str) -> Result<Option<Header>> {
        if rev.contains(['\n', '\r']) || rev.is_empty() {
            // One request is one line: a revision cannot carry another.
            return Ok(None);
        }
        writeln!(self.input, "{command} {rev}").map_err(broken)?;
        self.input.flush().map_err(broken)?;
        let mut line = String::new();
        if self.output.read_line(&mut line).map_err(broken)? == 0 {
            return Err(parse_error("no answer: cat-file exited".into()));
        }
        let line = line.strip_suffix('\n').unwrap_or(&line);
        if let Some(said) = line.strip_prefix(rev) {
            if matches!(said, " missing" | " ambiguous") {
                return Ok(None);
            }
        }
        parse_header(line).map(Some)
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // cat-file holds nothing to save: stop it, and wait so no zombie is left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_header(line: &str) -> Result<Header> {
    let mut fields = line.split(' ');
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(id), Some(kind), Some(size), None) => Ok(Header {
            id: id.to_string(),
            kind: kind.to_string(),
            size: size.parse().map_err(|_| parse_error(format!("the answer `{line}`")))?,
        }),
        _ => Err(parse_error(format!("the answer `{line}`"))),
    }
}

fn parse_error(detail: String) -> GitError {
    GitError::Parse {
        args: ARGS.join(" "),
        detail,
    }
}

fn broken(source: std::io::Error) -> GitError {
    GitError::Io {
        what: format!("talk to `git {}`", ARGS.join(" ")),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_and_anything_else_is_an_error() {
        let h = parse_header("0123456789012345678901234567890123456789 blob 12").unwrap();
        assert_eq!((h.kind.as_str(), h.size), ("blob", 12));
        for bad in ["", "x blob", "x blob twelve", "x blob 1 2"] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }
}
