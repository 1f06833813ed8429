//! `--json`: stdout holds exactly one JSON document, and every document
//! names its schema (`git-hotfix/<command>/v1`, described by
//! `schemas/<command>.v1.json`).
//!
//! Under `--json` the human lines (progress, `next:`, prompts) go to stderr
//! rather than being dropped: a person watching a CI job still sees what
//! ran, and a script reads stdout alone. A command that got as far as its
//! result prints that (a blocked plan, a refused guard, a failed verify or
//! doctor: the exit code says the rest); one that failed before prints the
//! error object ([`error_object`]) instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use hotfix::engine::gates::Gate;
use hotfix::journal::Journal;
use serde_json::{json, Map, Value};

use crate::error::CommandError;

static ENABLED: AtomicBool = AtomicBool::new(false);
/// Set once the command's document is on stdout: an error after it (a
/// blocked plan) must not add a second one.
static PRINTED: AtomicBool = AtomicBool::new(false);
/// The text of the last `next:` line, for the document of a command that acts.
static NEXT: Mutex<Option<String>> = Mutex::new(None);

/// Sends the human lines to stderr from now on: the command prints JSON.
pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
}

/// Returns whether the command was asked for `--json`.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// Returns whether the command's document was printed.
pub fn printed() -> bool {
    PRINTED.load(Ordering::SeqCst)
}

pub(crate) fn mark_printed() {
    PRINTED.store(true, Ordering::SeqCst);
}

/// Keeps the text of a `next:` line for [`run_outcome`].
pub(crate) fn remember_next(text: &str) {
    if let Ok(mut next) = NEXT.lock() {
        *next = Some(text.to_string());
    }
}

/// Returns the text of the last `next:` line, if any was printed.
pub fn last_next() -> Option<String> {
    NEXT.lock().ok().and_then(|n| n.clone())
}

/// Returns the schema id of `command`'s JSON, e.g. `git-hotfix/plan/v1`.
pub fn schema_id(command: &str) -> String {
    format!("git-hotfix/{command}/v1")
}

/// Returns `value` with `"schema"` added, when it is an object
/// (arrays, as `log --json` prints, keep their shape: their schema file names the id).
pub fn with_schema(command: &str, value: impl serde::Serialize) -> Value {
    let value = serde_json::to_value(value).expect("command results serialize: plain data with string keys");
    match value {
        Value::Object(fields) => {
            let mut out = Map::new();
            out.insert("schema".into(), Value::String(schema_id(command)));
            for (k, v) in fields {
                if k != "schema" {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// Prints `value` as `command`'s document, with its schema id.
pub fn print(command: &str, value: impl serde::Serialize) {
    crate::ui::print_json(&with_schema(command, value));
}

/// Returns the document of a command that acts on a run: where the run
/// stands after it, plus the command's own `extra` fields.
pub fn run_outcome(journal: &Journal, gate: Option<&Gate>, steps_done: usize, extra: Value) -> Value {
    let run = &journal.run;
    let mut doc = json!({
        "run": journal.id,
        "state": run.state(),
        "phase": run.phase(),
        "next_step": run.next_step().map(|s| &s.name),
        "gate": gate,
        "steps_done": steps_done,
        "release_sha": run.release_sha(),
        "next": last_next(),
    });
    if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, extra) {
        doc.extend(extra);
    }
    doc
}

/// Returns the error object printed on stdout when a `--json` command fails
/// before its result: the same message, details and hints as stderr.
pub fn error_object(e: &CommandError) -> Value {
    json!({
        "schema": schema_id("error"),
        "error": crate::ui::mask(&e.message),
        "details": e.details.iter().map(|d| crate::ui::mask(d)).collect::<Vec<_>>(),
        "hints": e.hints.iter().map(|h| crate::ui::mask(h)).collect::<Vec<_>>(),
        "exit_code": e.kind.code(),
    })
}
