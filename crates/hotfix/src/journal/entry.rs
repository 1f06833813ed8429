//! Journal entries and the run state derived from them. State is never stored
//! on its own: it is always recomputed from the entries.

use serde::{Deserialize, Serialize};

use crate::config::{Config, Severity};
use crate::git::{CommitSummary, Oid};
use crate::providers::command::CommandOutcome;
use crate::providers::http::HttpVerdict;
use crate::providers::production::ProductionSha;
use crate::workflow::plan::{
    Check, PickStatus, Plan, Resolution, RestoreCommit, StepName, PRODUCTION_STEPS, UNREPEATABLE_STEPS,
};

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
        /// What the step saw before it failed (a deploy's output, the last poll).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Box<Evidence>>,
    },
    /// A person signed off on the pushed release in a role of `[approvals]`.
    Approved {
        approval: Approval,
    },
    /// A person vouches for an evidence item no configured step proves
    /// (a deploy run by hand, say), with what they point to.
    Attested {
        item: String,
        detail: String,
    },
    /// The operator rolled production back: the rollback steps follow.
    RollbackStarted {
        reason: String,
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
    /// A person resolved a conflicting pick in the `resolve` worktree. The
    /// entry's commit carries the resolved tree, so every clone that reads
    /// the journal has it.
    Resolved {
        resolution: Resolution,
    },
    /// The escalated decision to go on although a fix depends on unreleased
    /// work (`continue --allow-dependency`).
    DependencyAllowed {
        reason: String,
    },
    /// `finish`: every evidence item was there, and the lock was given back
    /// in the same push.
    Finished {
        lock_ref: String,
        items: Vec<EvidenceItem>,
    },
    /// `continue --replan`: the remaining steps follow this configuration
    /// (the clone's hotfix.toml then), a person's explicit decision.
    ConfigReplaced {
        config: Box<Config>,
        /// The top-level keys that changed.
        changed: Vec<String>,
    },
    /// A production command's shell was started, held at its gate, in
    /// process group `pgid` on `host`. The command runs only once this entry
    /// is on the remote, so two operators never both run it.
    StepStarted {
        step: StepName,
        #[serde(default)]
        pgid: u32,
        #[serde(default)]
        host: String,
        #[serde(default)]
        command: String,
    },
    /// The operator stopped git-hotfix (Ctrl-C, SIGTERM) while the step's
    /// command ran: the signal was forwarded to its process group and the
    /// group ended. The command may have done its work, in part or whole.
    StepInterrupted {
        step: StepName,
        #[serde(default)]
        signal: String,
        /// What the command did until it ended: its output tail, its exit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<CommandOutcome>,
    },
    /// The operator stopped git-hotfix outside a production command: `step`
    /// is not done (steps outside production commands are idempotent, so
    /// `continue` carries it out from the start).
    Interrupted {
        step: StepName,
        #[serde(default)]
        signal: String,
    },
    /// The operator's decision to run `step` again although an earlier
    /// attempt may have run (`continue --rerun STEP`).
    RerunAllowed { step: StepName },
}

impl Event {
    /// Returns the tree this entry's commit must carry (a resolution's), so
    /// pushing the journal carries the tree's objects.
    pub fn attached_tree(&self) -> Option<&Oid> {
        match self {
            Event::Resolved { resolution } => Some(&resolution.tree),
            _ => None,
        }
    }

    /// Returns a one-line summary for the entry's commit subject.
    pub fn summary(&self) -> String {
        match self {
            Event::RunCreated(r) => format!("run created ({}, {} fix(es))", r.strategy, r.fixes.len()),
            Event::StepDone { step, .. } => format!("{step} done"),
            Event::StepFailed { step, .. } => format!("{step} failed"),
            Event::Approved { approval: a } => format!("approved as {} by {}", a.role, a.ident),
            Event::Attested { item, .. } => format!("{item} attested"),
            Event::RollbackStarted { .. } => "rollback started".into(),
            Event::Rebuilt { to_tip, .. } => format!("rebuild on {}", to_tip.short()),
            Event::Aborted { .. } => "aborted".into(),
            Event::Resolved { resolution } => format!("conflict of {} resolved", resolution.fix.short()),
            Event::DependencyAllowed { reason } => format!("dependency allowed: {reason}"),
            Event::Finished { .. } => "finished".into(),
            Event::ConfigReplaced { changed, .. } => format!("configuration replaced ({})", changed.join(", ")),
            Event::StepStarted { step, pgid, host, .. } => {
                format!("{step} started (process group {pgid} on {host})")
            }
            Event::StepInterrupted { step, signal, .. } => format!("{step} interrupted by {signal}"),
            Event::Interrupted { step, signal } => format!("interrupted by {signal} at {step}"),
            Event::RerunAllowed { step } => format!("rerun of {step} decided"),
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
    /// `--allow-dependency` at start: why the run goes on although a fix
    /// depends on unreleased work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_dependency: Option<String>,
    /// `--production-override` at start: why the run goes on with a
    /// production commit the sources contradict or release never held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_override: Option<String>,
    /// The plan shown to the operator before they confirmed.
    pub plan: Plan,
    /// The configuration the run was started with: every later command on
    /// the run, from any clone, reads it from here (runs recorded before it
    /// was kept fall back to the clone's hotfix.toml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Box<Config>>,
}

impl RunRecord {
    /// Returns the run's recorded configuration (or, for a run recorded
    /// without one, `base`) with the remote and branches the run was started on.
    pub fn config(&self, base: &Config) -> Config {
        self.named(self.config.as_deref().unwrap_or(base))
    }

    /// Returns `config` with this run's remote and branches.
    fn named(&self, config: &Config) -> Config {
        let mut config = config.clone();
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
    /// The approvals in force when the deploy gate opened.
    Approvals {
        approvals: Vec<Approval>,
    },
    ReleaseAction {
        action: String,
        project: Option<String>,
        confirm: bool,
        /// The release commit the job was triggered for.
        release_sha: Oid,
        outcome: CommandOutcome,
    },
    Deployed {
        release_sha: Oid,
        outcome: CommandOutcome,
    },
    ProductionVerified {
        release_sha: Oid,
        checks: Vec<HttpVerdict>,
        /// When the monitoring window ends (seconds since the epoch).
        monitor_until: Option<i64>,
    },
    Smoke {
        results: Vec<SmokeResult>,
    },
    /// Release restored to production's tree for a rollback, `old` -> `new`
    /// by compare-and-swap in the push that carried this entry.
    RolledBack {
        branch_ref: String,
        old: Oid,
        new: Oid,
        production: Oid,
        tree: Oid,
        /// True when release already had production's tree: nothing was pushed.
        already: bool,
    },
}

/// A sign-off: who, in which role, on which release commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub role: String,
    /// `Name <email>` from git's committer identity.
    pub ident: String,
    pub at: i64,
    /// The release tip approved; the approval is void once release moves.
    pub release_tip: Oid,
}

impl Approval {
    /// Returns the approver's email, lowercased: one person, one email.
    pub fn person(&self) -> String {
        person_of(&self.ident)
    }
}

/// Returns the lowercased email of a `Name <email>` identity (or the whole of it).
pub fn person_of(ident: &str) -> String {
    ident
        .rsplit_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or(ident, |(email, _)| email)
        .trim()
        .to_ascii_lowercase()
}

/// One smoke check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeResult {
    pub name: String,
    pub outcome: CommandOutcome,
}

/// One line of the runbook's "Validation And Evidence" list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// A stable id (`restore-diff-empty`).
    pub id: String,
    /// The runbook's words.
    pub item: String,
    pub status: ItemStatus,
    pub detail: String,
}

/// Whether an evidence item is proven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    Ok,
    Missing,
    Failed,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Ok => "ok",
            ItemStatus::Missing => "missing",
            ItemStatus::Failed => "failed",
        }
    }
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
    /// Paths git's merge changed in the fix's place, following a rename the
    /// target made (absent in journals written before it was recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placed: Vec<String>,
}

/// An attempt at a step of [`UNREPEATABLE_STEPS`] that started and has no
/// clean end: it may have run, or may still run.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAttempt {
    pub step: StepName,
    /// When the command was started, and by whom (the `step-started` entry).
    pub started_at: i64,
    pub started_by: String,
    pub host: String,
    pub pgid: u32,
    /// The signal it was interrupted with, when git-hotfix lived to say so;
    /// `None` when git-hotfix died while it ran.
    pub interrupted: Option<String>,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Steps remain; `continue` carries on (perhaps after a gate opens).
    InProgress,
    /// The last attempt at a step failed; `continue` retries it.
    Stopped,
    /// Every step is done; `finish` closes the run once the evidence is complete.
    Released,
    /// Every rollback step is done; `finish` closes the run. (`rolled-back`
    /// in JSON, as before finished rollbacks had a state of their own.)
    #[serde(rename = "rolled-back")]
    RollbackAwaitingFinish,
    /// Finished: the hotfix is in production.
    Completed,
    /// Finished after a rollback: production runs the recorded production commit again.
    #[serde(rename = "rolled-back-finished")]
    RolledBack,
    Aborted,
    /// The release job or deploy started and has no clean end (interrupted,
    /// or git-hotfix died): it may have run, and runs again only with
    /// `continue --rerun STEP`.
    Interrupted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::InProgress => "in progress",
            RunState::Stopped => "stopped",
            RunState::Released => "released, awaiting finish",
            RunState::RollbackAwaitingFinish => "rolled back, awaiting finish",
            RunState::Completed => "completed",
            RunState::RolledBack => "rolled-back",
            RunState::Aborted => "aborted",
            RunState::Interrupted => "interrupted: a production command may have run",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Completed | RunState::RolledBack | RunState::Aborted)
    }
}

/// Which sequence of steps a run is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Hotfix,
    /// After `rollback`: restore, then the production steps again.
    Rollback,
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
        // Journals come from the remote, which more people can write than
        // release: nothing in them may reach git as an option or a bad ref.
        if record.remote.trim().is_empty() || record.remote.starts_with('-') {
            return Err(format!("the run names remote `{}`, which git would read as an option", record.remote));
        }
        for branch in [&record.release_branch, &record.main_branch] {
            if let Some(why) = crate::git::refname::branch_name_problem(branch) {
                return Err(format!("the run names branch `{branch}`, which is no branch name ({why})"));
            }
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

    /// Index of the `rollback-started` entry, if the run was rolled back.
    fn rollback_at(&self) -> Option<usize> {
        self.entries
            .iter()
            .position(|(_, e)| matches!(e.event, Event::RollbackStarted { .. }))
    }

    pub fn phase(&self) -> Phase {
        if self.rollback_at().is_some() {
            Phase::Rollback
        } else {
            Phase::Hotfix
        }
    }

    /// The steps of `phase`, in order.
    pub fn steps_of(&self, phase: Phase) -> Vec<StepName> {
        match phase {
            Phase::Hotfix => self.record.plan.steps.clone(),
            Phase::Rollback => std::iter::once(StepName::RollbackRestore)
                .chain(
                    self.record
                        .plan
                        .steps
                        .iter()
                        .copied()
                        .filter(|s| PRODUCTION_STEPS.contains(s)),
                )
                .collect(),
        }
    }

    /// The steps of the current phase, in order.
    pub fn steps(&self) -> Vec<StepName> {
        self.steps_of(self.phase())
    }

    /// Entries of `phase` that count: for the hotfix, those since the last
    /// rebuild (steps before the build stay done across it) and before any
    /// rollback; for the rollback, those after it started.
    fn entries_of(&self, phase: Phase) -> Box<dyn Iterator<Item = &Entry> + '_> {
        let end = self.rollback_at().unwrap_or(self.entries.len());
        if phase == Phase::Rollback {
            return Box::new(self.entries[end.min(self.entries.len())..].iter().map(|(_, e)| e));
        }
        let hotfix = &self.entries[..end];
        let from = hotfix
            .iter()
            .rposition(|(_, e)| matches!(e.event, Event::Rebuilt { .. }))
            .map_or(0, |i| i + 1);
        let rebuilt = from > 0;
        let kept = hotfix[..from].iter().map(|(_, e)| e).filter(move |e| {
            rebuilt && matches!(&e.event, Event::StepDone { step, .. } if matches!(step, StepName::RecordProduction | StepName::Lock))
        });
        Box::new(kept.chain(hotfix[from..].iter().map(|(_, e)| e)))
    }

    /// Returns the entry that did `step` in `phase`, if it is done.
    pub fn done_entry_in(&self, phase: Phase, step: StepName) -> Option<(&Entry, &Evidence)> {
        self.entries_of(phase).find_map(|e| match &e.event {
            Event::StepDone { step: s, evidence } if *s == step => Some((e, evidence)),
            _ => None,
        })
    }

    /// Returns the evidence of `step` in `phase` if it is done.
    pub fn done_in(&self, phase: Phase, step: StepName) -> Option<&Evidence> {
        self.done_entry_in(phase, step).map(|(_, ev)| ev)
    }

    /// Returns the evidence of `step` if it is done: in the rollback phase,
    /// the rollback's own steps, and the hotfix's for the rest.
    pub fn done(&self, step: StepName) -> Option<&Evidence> {
        let phase = match self.phase() {
            Phase::Rollback if self.steps_of(Phase::Rollback).contains(&step) => Phase::Rollback,
            _ => Phase::Hotfix,
        };
        self.done_in(phase, step)
    }

    /// Returns the last failure of `step` in `phase` not followed by its success.
    pub fn failure_in(&self, phase: Phase, step: StepName) -> Option<(&str, Option<&Evidence>)> {
        if self.done_in(phase, step).is_some() {
            return None;
        }
        self.entries_of(phase)
            .filter_map(|e| match &e.event {
                Event::StepFailed {
                    step: s,
                    error,
                    evidence,
                } if *s == step => Some((error.as_str(), evidence.as_deref())),
                _ => None,
            })
            .last()
    }

    /// Returns the attempt at `step` (one of [`UNREPEATABLE_STEPS`]) that
    /// started in the current phase and has no clean end: no done or failed
    /// entry after it, and no decision to run it again.
    pub fn open_attempt(&self, step: StepName) -> Option<OpenAttempt> {
        if !UNREPEATABLE_STEPS.contains(&step) {
            return None;
        }
        let phase = match self.phase() {
            Phase::Rollback if self.steps_of(Phase::Rollback).contains(&step) => Phase::Rollback,
            _ => Phase::Hotfix,
        };
        let mut open: Option<OpenAttempt> = None;
        for entry in self.entries_of(phase) {
            match &entry.event {
                Event::StepStarted {
                    step: s, pgid, host, ..
                } if *s == step => {
                    open = Some(OpenAttempt {
                        step,
                        started_at: entry.at,
                        started_by: entry.actor.ident.clone(),
                        host: host.clone(),
                        pgid: *pgid,
                        interrupted: None,
                    });
                }
                Event::StepInterrupted { step: s, signal, .. } if *s == step => {
                    if let Some(o) = open.as_mut() {
                        o.interrupted = Some(signal.clone());
                    }
                }
                Event::StepDone { step: s, .. }
                | Event::StepFailed { step: s, .. }
                | Event::RerunAllowed { step: s }
                    if *s == step =>
                {
                    open = None;
                }
                _ => {}
            }
        }
        open
    }

    /// Returns the first step of the current phase not done yet.
    pub fn next_step(&self) -> Option<StepName> {
        self.steps().into_iter().find(|s| self.done(*s).is_none())
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

    /// Returns the commit release holds for this run now: the rollback's
    /// restore once rolled back, else the pushed hotfix tip.
    pub fn release_sha(&self) -> Option<&Oid> {
        match self.done(StepName::RollbackRestore) {
            Some(Evidence::RolledBack { new, .. }) => return Some(new),
            _ if self.phase() == Phase::Rollback => return None,
            _ => {}
        }
        match self.done_in(Phase::Hotfix, StepName::PushRelease) {
            Some(Evidence::Pushed { new, .. }) => Some(new),
            _ => None,
        }
    }

    /// Returns the approvals given for the release commit this run pushed, oldest first.
    pub fn approvals(&self) -> Vec<&Approval> {
        let Some(tip) = self.release_sha().filter(|_| self.phase() == Phase::Hotfix) else {
            return Vec::new();
        };
        self.entries
            .iter()
            .filter_map(|(_, e)| match &e.event {
                Event::Approved { approval: a } if &a.release_tip == tip => Some(a),
                _ => None,
            })
            .collect()
    }

    /// Returns what a person attested for `item`, with who and when.
    pub fn attestation(&self, item: &str) -> Option<(&Entry, &str)> {
        self.entries.iter().rev().find_map(|(_, e)| match &e.event {
            Event::Attested { item: i, detail } if i == item => Some((e, detail.as_str())),
            _ => None,
        })
    }

    /// When the monitoring window ends, if production was verified with one.
    pub fn monitor_until(&self) -> Option<i64> {
        match self.done(StepName::VerifyProduction) {
            Some(Evidence::ProductionVerified { monitor_until, .. }) => *monitor_until,
            _ => None,
        }
    }

    pub fn state(&self) -> RunState {
        let last = self.entries.last().map(|(_, e)| &e.event);
        match last {
            Some(Event::Finished { .. }) if self.phase() == Phase::Rollback => RunState::RolledBack,
            Some(Event::Finished { .. }) => RunState::Completed,
            Some(Event::Aborted { .. }) => RunState::Aborted,
            _ if self.next_step().and_then(|s| self.open_attempt(s)).is_some() => RunState::Interrupted,
            Some(Event::StepFailed { .. }) => RunState::Stopped,
            _ if self.next_step().is_some() => RunState::InProgress,
            _ if self.phase() == Phase::Rollback => RunState::RollbackAwaitingFinish,
            _ => RunState::Released,
        }
    }

    /// Returns the configuration the run's next steps follow: the newest
    /// `continue --replan`, else the one recorded at start (else `base`, for
    /// runs recorded without one), with the run's remote and branches.
    pub fn config(&self, base: &Config) -> Config {
        let replaced = self.entries.iter().rev().find_map(|(_, e)| match &e.event {
            Event::ConfigReplaced { config, .. } => Some(config),
            _ => None,
        });
        match replaced {
            Some(config) => self.record.named(config),
            None => self.record.config(base),
        }
    }

    /// Returns the conflicts people resolved in this run, oldest first.
    pub fn resolutions(&self) -> Vec<Resolution> {
        self.entries
            .iter()
            .filter_map(|(_, e)| match &e.event {
                Event::Resolved { resolution } => Some(resolution.clone()),
                _ => None,
            })
            .collect()
    }

    /// Returns the reason given to go on despite a dependency on unreleased
    /// work: the newest `continue --allow-dependency`, else the one at start.
    pub fn allowed_dependency(&self) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                Event::DependencyAllowed { reason } => Some(reason.as_str()),
                _ => None,
            })
            .or(self.record.allow_dependency.as_deref())
    }

    /// Returns the last failure, when the run is stopped.
    pub fn last_failure(&self) -> Option<(StepName, &str)> {
        match self.entries.last().map(|(_, e)| &e.event) {
            Some(Event::StepFailed { step, error, .. }) => Some((*step, error.as_str())),
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
