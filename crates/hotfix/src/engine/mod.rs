//! The engine: carries a run's steps out against the journal ([`execute`]),
//! with the gates that hold production steps back ([`gates`]) and one
//! handler per step kind ([`steps`]).

pub mod approvals;
pub mod backport;
pub mod backport_resolve;
pub mod execute;
pub mod forge_approvals;
pub mod gates;
pub mod incident;
mod parallel;
pub mod steps;

use crate::git::{CommitSummary, GitError, Oid};
use crate::journal::Evidence;
use crate::record::plan::StepName;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("fix {fix} is a root commit; there is no change to pick")]
    RootCommitFix { fix: Oid },
    #[error("fix {fix} has {parents} parents; mainline {mainline} does not name one")]
    BadMainline { fix: Oid, mainline: u32, parents: usize },
    #[error("{} moved while this hotfix was being prepared: expected {}, found {}", .branch, .expected.short(), .found.as_ref().map_or("nothing (deleted)", |f| f.short()))]
    ReleaseMoved {
        branch: String,
        expected: Oid,
        found: Option<Oid>,
        /// Commits on the remote that this run did not expect, newest first.
        unexpected: Vec<CommitSummary>,
    },
    #[error("{branch} is locked by hotfix run {holder}")]
    ReleaseLocked { branch: String, holder: String },
    /// The run took its lock and finds it gone, or held at another value,
    /// before a push: nothing was pushed.
    #[error("{0}")]
    LockLost(Box<LostLock>),
    #[error("the rebuilt plan no longer gives the tree that was confirmed (expected {expected}, got {got})")]
    PlanChanged { expected: Oid, got: Oid },
    /// The run's recorded plan names something its own inputs (production,
    /// the fixes, the resolutions) do not give: a record forged or damaged
    /// on the remote. Nothing was pushed.
    #[error("{0}")]
    PlanMismatch(Box<PlanMismatch>),
    #[error("the plan is blocked on resume: {reasons}")]
    BlockedOnResume { reasons: String },
    #[error("release verification failed: {reasons}")]
    VerificationFailed { reasons: String },
    #[error("run {id} is {state}; there is nothing to continue")]
    RunFinished { id: String, state: &'static str },
    #[error("{name} already exists on the remote{}; nothing was pushed", .found.as_ref().map_or(String::new(), |f| format!(" (at {})", f.short())))]
    RefExists { name: String, found: Option<Oid> },
    #[error("{}", match .name { Some(n) => format!("hotfix.toml has no [products.{n}]; its products are: {products}"), None => format!("several products: name one with --product ({products})") })]
    UnknownProduct { name: Option<String>, products: String },
    #[error("{reason}")]
    NoProductionTag { reason: String },
    #[error("the remote refused the push: {detail}")]
    PushRefused { detail: String },
    #[error("{step} is in the run's plan but hotfix.toml has no {key}")]
    GateNotConfigured { step: StepName, key: String },
    #[error("release action `{action}` is forbidden (forbidden_actions has `{forbidden}`); it was not run")]
    ForbiddenAction { action: String, forbidden: String },
    #[error("{branch} moved after it was pushed for this run: expected {}, found {}; approvals given for {} are void", .expected.short(), .found.as_ref().map_or("nothing (deleted)", |f| f.short()), .expected.short())]
    ReleaseMovedAfterPush {
        branch: String,
        expected: Oid,
        found: Option<Oid>,
        /// True when a release job or deploy of this run already ran: then
        /// production may run the pushed commit, and only a rollback helps.
        production_touched: bool,
    },
    #[error("{step} failed: {reason}")]
    ProductionStepFailed {
        step: StepName,
        reason: String,
        /// What the step saw, kept in the journal with the failure.
        evidence: Option<Box<Evidence>>,
        rollback: bool,
    },
    #[error("unknown approval role `{role}`; [approvals] roles are: {}", .roles.join(", "))]
    UnknownRole { role: String, roles: Vec<String> },
    #[error("run {id} did not change service `{service}`; {}", if .changed.is_empty() { "it ships no [[services]]: roll it back without --service".to_string() } else { format!("it changed: {}", .changed.join(", ")) })]
    NotAChangedService {
        id: String,
        service: String,
        changed: Vec<String>,
    },
    #[error("run {id} has nothing to {what} yet: release is not pushed")]
    NotPushed { id: String, what: &'static str },
    #[error("{ident} already approved as {other_role}; each role needs a different person")]
    SamePerson { ident: String, other_role: String },
    #[error("{ident} authored fix {fix}; the author of a fix may not approve it")]
    FixAuthor { ident: String, fix: Oid },
    #[error("role {role} is already approved by {ident}")]
    RoleTaken { role: String, ident: String },
    /// `approve` under `verify = "signature"`: the staged entry would not
    /// count. Nothing was pushed.
    #[error("approval as {role} refused: {refusal}; nothing was pushed")]
    ApprovalRefused { role: String, refusal: approvals::Refusal },
    #[error("the allowed signers file {} ([approvals] allowed_signers) does not exist", .path.display())]
    AllowedSignersMissing { path: std::path::PathBuf },
    #[error("{} evidence item(s) missing: {}", .missing.len(), .missing.iter().map(|i| i.id.as_str()).collect::<Vec<_>>().join(", "))]
    EvidenceMissing { missing: Vec<crate::journal::EvidenceItem> },
    #[error("run {id} is inside its monitoring window: production is watched until {} ({} left)", crate::ambient::format_utc(*.until), crate::config::format_duration(std::time::Duration::from_secs((*.left_secs).max(0) as u64)))]
    MonitoringWindow { id: String, until: i64, left_secs: i64 },
    #[error("hotfix.toml changes {} of run {id}, which define the run and cannot change mid-run", .keys.join(", "))]
    ReplanRefused { id: String, keys: Vec<String> },
    #[error("run {id} records steps that {against}: {}; nothing was run", .keys.join(", "))]
    UntrustedSteps {
        id: String,
        /// The differing parameters (`deploy.timeout`), or steps only one side has.
        keys: Vec<String>,
        /// Which trusted configuration was compared ("this clone's hotfix.toml ... does not make").
        against: &'static str,
        have_config: bool,
    },
    /// The team names allowed signers and a decision of the run is not
    /// signed by one of them: who made it is unknown.
    #[error("run {id} has decisions no allowed signer signed: {}; nothing was run", .failures.join("; "))]
    DecisionsUnsigned { id: String, failures: Vec<String> },
    #[error("run {id} records production {}, but {} now; nothing was pushed", .recorded.short(), crate::providers::production::describe(.readings))]
    ProductionChanged {
        id: String,
        recorded: Oid,
        /// What the trusted sources said when read again (secrets masked).
        readings: Vec<crate::providers::production::ProductionReading>,
    },
    #[error("run {id} still has steps to do: next is {next}")]
    StepsRemain { id: String, next: StepName },
    #[error("`{item}` is not an evidence item a person can attest: {reason}")]
    NotAttestable { item: String, reason: String },
    #[error("{} conflicts with production in {}", .fix.short(), .conflicts.join(", "))]
    PickConflict {
        fix: Oid,
        subject: String,
        conflicts: Vec<String>,
        /// Unreleased commits that touched the conflicting paths.
        unreleased: Vec<CommitSummary>,
    },
    #[error("run {id} has no conflict to resolve: {why}")]
    NothingToResolve { id: String, why: String },
    #[error("{path} still has a conflict marker at line {line} (in {})", .worktree.display())]
    UnresolvedMarkers {
        path: String,
        line: usize,
        worktree: std::path::PathBuf,
    },
    #[error("the resolution of {} leaves the tree as it was: the fix would be an empty commit", .fix.short())]
    ResolutionEmpty { fix: Oid, worktree: std::path::PathBuf },
    #[error("the resolution of {} also changes {}, which the fix does not touch; nothing was pushed", .fix.short(), .paths.join(", "))]
    ResolutionOutOfScope {
        fix: Oid,
        paths: Vec<String>,
        worktree: std::path::PathBuf,
    },
    #[error("{} exists but is not a worktree of this repository", .path.display())]
    WorktreeInTheWay { path: std::path::PathBuf },
    #[error("{}", interrupted_message(.step, .signal, *.during_command))]
    Interrupted {
        /// The step whose command was stopped, or the step that had not begun.
        step: StepName,
        signal: String,
        /// True when the step's command was running and got the signal.
        during_command: bool,
        /// True when that command changes production: it may have run, and
        /// runs again only on the operator's decision.
        may_have_run: bool,
    },
    #[error(
        "{step} is still running: process group {pgid} on {host}, started at {} by {started_by}; it is not started twice",
        crate::ambient::format_utc(*.started_at)
    )]
    StepStillRunning {
        step: StepName,
        pgid: u32,
        host: String,
        started_at: i64,
        started_by: String,
    },
    #[error("{}", undecided_message(.attempt))]
    RerunUndecided {
        attempt: crate::journal::OpenAttempt,
        /// True when the attempt's host is this host and its process group is gone.
        known_gone: bool,
    },
    #[error("`--rerun {step}`: {step} has no interrupted or unfinished attempt in run {id}")]
    NothingToRerun { id: String, step: StepName },
    // Backport (`git hotfix backport`, the backport step).
    #[error("backport branch {branch} on the remote is at {}, not the backport of {} to {target}; nothing was pushed", .found.short(), .fix.short())]
    BackportBranchMoved {
        branch: String,
        target: String,
        fix: Oid,
        found: Oid,
    },
    #[error("backport branch {branch} has no conflict to resolve: {detail}")]
    NotAConflictedBackport { branch: String, detail: String },
    #[error("no backport target: {detail}")]
    NoBackportTarget { detail: String },
    #[error("the request of backport branch {branch} was not opened: {detail}")]
    BackportRequestFailed { branch: String, detail: String },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Fault(#[from] crate::ambient::InjectedFault),
}

fn interrupted_message(step: &StepName, signal: &str, during_command: bool) -> String {
    if during_command {
        format!("{step} interrupted by {signal}: the signal was forwarded to its process group, which has ended; it may have run")
    } else {
        format!("interrupted by {signal} at {step}; {step} is not done, and nothing of it is half-done")
    }
}

fn undecided_message(a: &crate::journal::OpenAttempt) -> String {
    let when = crate::ambient::format_utc(a.started_at);
    match &a.interrupted {
        Some(signal) => format!(
            "{} was interrupted by {signal} (started at {when} by {} on {}): it may have run; it is not run again without a decision",
            a.step, a.started_by, a.host
        ),
        // A forge request has no process group: it asked, and no answer was journaled.
        None if a.pgid == 0 => format!(
            "{} asked the forge at {when} ({} on {}) and its answer was never journaled: the forge may have acted; \
             it is not asked again without a decision",
            a.step, a.started_by, a.host
        ),
        None => format!(
            "{} started at {when} by {} on {} (process group {}) and never ended: it may have run; it is not run again without a decision",
            a.step, a.started_by, a.host, a.pgid
        ),
    }
}

/// The facts of [`WorkflowError::PlanMismatch`].
#[derive(Debug)]
pub struct PlanMismatch {
    pub id: String,
    /// What differs: "release's tree", "the tree after pick 1 (fix …)", …
    pub what: String,
    /// What the run's record names.
    pub recorded: Oid,
    /// What the run's inputs give.
    pub derived: Oid,
    /// The production commit the inputs start from.
    pub production: Oid,
}

impl std::fmt::Display for PlanMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {}'s recorded plan does not match what its inputs give: {} is {} in the record but {} made again \
             from production {} and the fixes; nothing was pushed",
            self.id,
            self.what,
            self.recorded.short(),
            self.derived.short(),
            self.production.short()
        )
    }
}

/// The facts of [`WorkflowError::LockLost`].
#[derive(Debug)]
pub struct LostLock {
    pub id: String,
    pub remote: String,
    pub lock_ref: String,
    /// The lock's value this run set: its first journal entry.
    pub expected: Oid,
    /// What the remote's lock holds now, if it exists.
    pub found: Option<Oid>,
    /// The run the lock now names, when it names one.
    pub holder: Option<String>,
}

impl std::fmt::Display for LostLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (id, lock_ref, expected) = (&self.id, &self.lock_ref, self.expected.short());
        write!(f, "run {id} no longer holds {lock_ref}: ")?;
        match (&self.found, &self.holder) {
            (None, _) => write!(
                f,
                "the lock is gone from the remote (it was {expected}; someone deleted it)"
            )?,
            (Some(found), Some(holder)) => write!(
                f,
                "the lock is held by run {holder} (it is {}, this run set {expected})",
                found.short()
            )?,
            (Some(found), None) => write!(
                f,
                "the lock is held by someone else (it is {}, this run set {expected})",
                found.short()
            )?,
        }
        write!(f, "; nothing was pushed")
    }
}
