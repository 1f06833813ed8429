//! Journal entries and the run state derived from them. State is never stored
//! on its own: it is always recomputed from the entries.

use serde::{Deserialize, Serialize};

use crate::config::{Config, Severity};
use crate::git::{CommitSummary, Oid};
use crate::providers::production::ProductionSha;
use crate::workflow::plan::{Check, PickStatus, Plan, RestoreCommit, StepName};

/// Who wrote an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `Name <email>` from git's committer identity.
    pub ident: String,
    pub host: String,
}

/// One journal record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u32,
    /// Seconds since the epoch.
    pub at: i64,
    pub actor: Actor,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    RunCreated(Box<RunRecord>),
    StepDone {
        step: StepName,
        evidence: Evidence,
    },
    StepFailed {
        step: StepName,
        error: String,
    },
    /// Release moved under the run and the operator chose to rebuild on the new tip.
    Rebuilt {
        from_tip: Oid,
        to_tip: Oid,
        reason: String,
    },
    Aborted {
        reason: String,
    },
    Completed,
}

impl Event {
    /// Returns a one-line summary for the entry's commit subject.
    pub fn summary(&self) -> String {
        match self {
            Event::RunCreated(r) => format!("run created ({}, {} fix(es))", r.strategy, r.fixes.len()),
            Event::StepDone { step, .. } => format!("{step} done"),
            Event::StepFailed { step, .. } => format!("{step} failed"),
            Event::Rebuilt { to_tip, .. } => format!("rebuild on {}", to_tip.short()),
            Event::Aborted { .. } => "aborted".into(),
            Event::Completed => "completed".into(),
        }
    }
}

/// Everything a run was started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    pub strategy: String,
    pub remote: String,
    pub release_branch: String,
    pub main_branch: String,
    /// The fixes as given, resolved to commits.
    pub fixes: Vec<Oid>,
    pub mainline: Option<u32>,
    pub severity: Severity,
    pub incident: Option<String>,
    /// The time limit for the severity, in seconds.
    pub limit_secs: Option<u64>,
    /// The plan shown to the operator before they confirmed.
    pub plan: Plan,
}

impl RunRecord {
    /// Returns `base` with the remote and branches this run was started on
    /// (hotfix.toml may have changed since).
    pub fn config(&self, base: &Config) -> Config {
        let mut config = base.clone();
        config.remote = self.remote.clone();
        config.branches.release = self.release_branch.clone();
        config.branches.main = self.main_branch.clone();
        config
    }
}

/// What a step proved, kept verbatim in the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Evidence {
    Production {
        production: ProductionSha,
    },
    /// The lock ref and its value; the entry reached the remote in the same
    /// atomic push that created the lock, so its presence there proves it.
    Lock {
        lock_ref: String,
        value: Oid,
    },
    Built {
        /// The release tip the commits sit on (the compare-and-swap expectation).
        parent: Oid,
        restore: Option<RestoreCommit>,
        picks: Vec<BuiltPick>,
        new_tip: Oid,
        release_tree: Oid,
        checks: Vec<Check>,
    },
    /// Release moved `old` -> `new` in the same atomic push that carried this entry.
    Pushed {
        branch_ref: String,
        old: Oid,
        new: Oid,
        /// True when the remote already held `new` (an earlier attempt's push).
        already: bool,
    },
    Verified {
        remote_tip: Oid,
        /// Production's tree, and the restore commit's tree as read back from
        /// the object store: equal ids mean `git diff <production>..<restore>` is empty.
        production_tree: Oid,
        restore_tree: Option<Oid>,
        /// Commits release gained, newest first (`git log --first-parent old..new`).
        gained: Vec<CommitSummary>,
        /// Paths release changes relative to production.
        changed_paths: Vec<String>,
        checks: Vec<Check>,
    },
    Unlocked {
        lock_ref: String,
    },
}

/// A fix as built into the release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltPick {
    pub fix: Oid,
    pub subject: String,
    pub status: PickStatus,
    pub commit: Option<Oid>,
    /// Paths the fix changes: the only paths release may differ from production in.
    pub touched: Vec<String>,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Steps remain; `continue` carries on.
    InProgress,
    /// The last attempt at a step failed; `continue` retries it.
    Stopped,
    Completed,
    Aborted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::InProgress => "in progress",
            RunState::Stopped => "stopped",
            RunState::Completed => "completed",
            RunState::Aborted => "aborted",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Completed | RunState::Aborted)
    }
}

/// A run: its record and every entry, oldest first.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub record: RunRecord,
    pub entries: Vec<(Oid, Entry)>,
}

impl Run {
    pub(super) fn from_entries(id: &str, entries: Vec<(Oid, Entry)>) -> Result<Run, String> {
        let record = match entries.first().map(|(_, e)| &e.event) {
            Some(Event::RunCreated(r)) => (**r).clone(),
            _ => return Err("the first entry is not `run-created`".into()),
        };
        if record.run_id != id {
            return Err(format!("the first entry names run `{}`", record.run_id));
        }
        Ok(Run {
            id: id.into(),
            record,
            entries,
        })
    }

    pub(super) fn push(&mut self, oid: Oid, entry: Entry) {
        self.entries.push((oid, entry));
    }

    /// Entries since the last rebuild: steps before it are redone on the new tip.
    fn current(&self) -> impl Iterator<Item = &Entry> {
        let from = self
            .entries
            .iter()
            .rposition(|(_, e)| matches!(e.event, Event::Rebuilt { .. }))
            .map_or(0, |i| i + 1);
        let rebuilt = from > 0;
        // Steps before the first build stay done across a rebuild.
        let kept = self.entries.iter().take(from).map(|(_, e)| e).filter(move |e| {
            rebuilt && matches!(&e.event, Event::StepDone { step, .. } if matches!(step, StepName::RecordProduction | StepName::Lock))
        });
        kept.chain(self.entries[from..].iter().map(|(_, e)| e))
    }

    /// Returns the evidence of `step` if it is done.
    pub fn done(&self, step: StepName) -> Option<&Evidence> {
        self.current().find_map(|e| match &e.event {
            Event::StepDone { step: s, evidence } if *s == step => Some(evidence),
            _ => None,
        })
    }

    /// Returns the first step not done yet.
    pub fn next_step(&self) -> Option<StepName> {
        self.record.plan.steps.iter().copied().find(|s| self.done(*s).is_none())
    }

    /// Returns the release tip the run expects to replace.
    pub fn expected_tip(&self) -> &Oid {
        self.entries
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                Event::Rebuilt { to_tip, .. } => Some(to_tip),
                _ => None,
            })
            .unwrap_or(&self.record.plan.release_tip)
    }

    pub fn state(&self) -> RunState {
        let last = self.entries.last().map(|(_, e)| &e.event);
        match last {
            Some(Event::Completed) => RunState::Completed,
            Some(Event::Aborted { .. }) => RunState::Aborted,
            Some(Event::StepFailed { .. }) => RunState::Stopped,
            _ => RunState::InProgress,
        }
    }

    /// Returns the last failure, when the run is stopped.
    pub fn last_failure(&self) -> Option<(StepName, &str)> {
        match self.entries.last().map(|(_, e)| &e.event) {
            Some(Event::StepFailed { step, error }) => Some((*step, error.as_str())),
            _ => None,
        }
    }

    pub fn started_at(&self) -> i64 {
        self.entries[0].1.at
    }

    pub fn ended_at(&self) -> Option<i64> {
        self.state()
            .is_finished()
            .then(|| self.entries.last().map_or(0, |(_, e)| e.at))
    }
}
