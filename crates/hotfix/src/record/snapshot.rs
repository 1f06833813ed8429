//! The snapshot of the record's JSON: a change to the format shows up as a
//! change to `snapshots/format-<N>.json`, made on purpose and reviewed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::record::entry::{Entry, Event, RunRecord};
use crate::record::sample;

/// What the snapshot holds: an entry of every event, the first (`run-created`)
/// carrying a record of the current format.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct Snapshot {
    entries: Vec<Entry>,
}

fn sample() -> Snapshot {
    let entries = sample::entries();
    assert!(
        matches!(&entries[0].event, Event::RunCreated(r) if r.format == RunRecord::FORMAT),
        "the sample starts with a record of the current format"
    );
    Snapshot { entries }
}

/// Returns the sample as the snapshot file holds it.
fn sample_json() -> String {
    let mut json = serde_json::to_string_pretty(&sample()).expect("the sample serializes");
    json.push('\n');
    json
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/record/snapshots")
        .join(format!("format-{}.json", RunRecord::FORMAT))
}

/// Returns the event's kind; a new event fails to compile here until the
/// sample has one.
fn kind(event: &Event) -> &'static str {
    match event {
        Event::RunCreated(_) => "run-created",
        Event::StepDone { .. } => "step-done",
        Event::StepFailed { .. } => "step-failed",
        Event::Approved { .. } => "approved",
        Event::Attested { .. } => "attested",
        Event::RollbackStarted { .. } => "rollback-started",
        Event::Rebuilt { .. } => "rebuilt",
        Event::Aborted { .. } => "aborted",
        Event::Resolved { .. } => "resolved",
        Event::DependencyAllowed { .. } => "dependency-allowed",
        Event::Finished { .. } => "finished",
        Event::ConfigReplaced { .. } => "config-replaced",
        Event::Replanned { .. } => "replanned",
        Event::StepStarted { .. } => "step-started",
        Event::StepInterrupted { .. } => "step-interrupted",
        Event::Interrupted { .. } => "interrupted",
        Event::RerunAllowed { .. } => "rerun-allowed",
        Event::PipelineCreated { .. } => "pipeline-created",
        Event::BackportResolved { .. } => "backport-resolved",
    }
}

#[test]
fn the_sample_has_every_event_evidence_and_action() {
    let snapshot = sample();
    let events: BTreeSet<&str> = snapshot.entries.iter().map(|e| kind(&e.event)).collect();
    assert_eq!(events.len(), 19, "{events:?}");
    let json = serde_json::to_value(&snapshot.entries).expect("entries serialize");
    let evidence: BTreeSet<&str> = json
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["evidence"]["kind"].as_str())
        .collect();
    assert_eq!(evidence.len(), 15, "{evidence:?}");
    let Event::RunCreated(record) = &snapshot.entries[0].event else {
        panic!("the sample starts with `run-created`");
    };
    let steps = &record.plan.steps;
    let actions: BTreeSet<&str> = steps
        .hotfix
        .iter()
        .chain(&steps.rollback)
        .map(|s| s.action.kind())
        .collect();
    assert_eq!(actions.len(), 15, "{actions:?}");
}

#[test]
fn the_record_format_matches_its_snapshot() {
    let path = path();
    let json = sample_json();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &json).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    if stored != json {
        let line = stored
            .lines()
            .zip(json.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| stored.lines().count().min(json.lines().count()));
        panic!(
            "the record's JSON differs from {} from line {}:\n  stored: {}\n  now:    {}\n\
             records already on remotes must still read (else raise RunRecord::FORMAT and keep a reader \
             for the old one); when the change is meant, run `UPDATE_SNAPSHOTS=1 cargo test -p hotfix record::` and commit the file",
            path.display(),
            line + 1,
            stored.lines().nth(line).unwrap_or("(end of file)"),
            json.lines().nth(line).unwrap_or("(end of file)"),
        );
    }
}

#[test]
fn the_snapshot_reads_back_to_the_sample() {
    let path = path();
    // While the file is rewritten beside this test, the new text is the one to read back.
    let stored = match std::env::var_os("UPDATE_SNAPSHOTS") {
        Some(_) => sample_json(),
        None => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
    };
    let read: Snapshot = serde_json::from_str(&stored).expect("the snapshot is a record of this format");
    assert_eq!(read, sample());
}
