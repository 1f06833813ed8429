//! Journal entries and the run state derived from them. State is never stored
//! on its own: it is always recomputed from the entries.

use serde::{Deserialize, Serialize};

use crate::config::{Config, Severity};
use crate::git::{CommitSummary, Oid};
use crate::providers::command::CommandOutcome;
use crate::providers::http::HttpVerdict;
use crate::providers::production::ProductionSha;
use crate::record::forge::{
    JobRef, MergeRequestRef, NewMergeRequest, NewRelease, PipelineRef, PipelineRequest, ReleaseRef,
};
use crate::record::plan::{Check, PickStatus, Plan, Resolution, RestoreCommit, StepName};
use crate::record::step::Steps;

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
        /// The services rolled back (`rollback --service`); empty: every
        /// service the run changed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        services: Vec<String>,
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
    /// The plan made again from what the run waited for (from-tag: the fixes
    /// a person pushed to the hotfix branch): the steps after follow it.
    Replanned {
        plan: Box<Plan>,
        reason: String,
    },
    /// `continue --replan`: the remaining steps follow this configuration
    /// (the clone's hotfix.toml then), a person's explicit decision.
    ConfigReplaced {
        config: Box<Config>,
        /// The top-level keys that changed.
        changed: Vec<String>,
        /// The steps the run follows from here, made from `config` (absent
        /// in format 0, whose steps read the configuration as they ran).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        steps: Option<Box<Steps>>,
        /// The steps whose parameters changed (`deploy`), were added
        /// (`+smoke`) or dropped (`-smoke`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed_steps: Vec<String>,
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
    /// The forge created the pipeline `step` asked for: the step follows it,
    /// on any clone, and never asks for another while it holds.
    PipelineCreated {
        step: StepName,
        pipeline: PipelineRef,
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
    RerunAllowed {
        step: StepName,
    },
    /// A person resolved a conflicted backport (`git hotfix backport
    /// resolve`): the backport as its branch and request are now. It
    /// replaces the backport step's word for the same fix and target.
    BackportResolved {
        backport: crate::record::backport::Backport,
    },
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

    /// Returns true for the entries that carry a person's decision (what
    /// runs, who approved, how a conflict was resolved, that a run ends):
    /// signed when the team names allowed signers. Evidence of a step is
    /// checked against the world instead.
    pub fn is_decision(&self) -> bool {
        matches!(
            self,
            Event::RunCreated(_)
                | Event::Approved { .. }
                | Event::Attested { .. }
                | Event::RollbackStarted { .. }
                | Event::Rebuilt { .. }
                | Event::Aborted { .. }
                | Event::Resolved { .. }
                | Event::DependencyAllowed { .. }
                | Event::Finished { .. }
                | Event::ConfigReplaced { .. }
                | Event::Replanned { .. }
                | Event::RerunAllowed { .. }
        )
    }

    /// Returns true for the decisions that steer what a run does next (what
    /// it builds, which steps run, whether it rolls back): a run with one
    /// no allowed signer signed is not carried on. Approvals and
    /// attestations are weighed one by one instead (an unsigned approval
    /// does not count; the report marks an unsigned attestation).
    pub fn steers_run(&self) -> bool {
        self.is_decision() && !matches!(self, Event::Approved { .. } | Event::Attested { .. })
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
            Event::BackportResolved { backport } => {
                format!("backport of {} to {} resolved", backport.fix.short(), backport.target)
            }
            Event::Finished { .. } => "finished".into(),
            Event::ConfigReplaced {
                changed, changed_steps, ..
            } if !changed_steps.is_empty() => format!(
                "configuration replaced ({}; steps {})",
                changed.join(", "),
                changed_steps.join(", ")
            ),
            Event::ConfigReplaced { changed, .. } => format!("configuration replaced ({})", changed.join(", ")),
            Event::Replanned { plan, .. } => format!("plan made again with {} fix(es)", plan.picks.len()),
            Event::StepStarted {
                step, pgid: 0, host, ..
            } => format!("{step} started on {host}"),
            Event::StepStarted { step, pgid, host, .. } => {
                format!("{step} started (process group {pgid} on {host})")
            }
            Event::PipelineCreated { step, pipeline } => format!("{step}: pipeline #{} created", pipeline.id),
            Event::StepInterrupted { step, signal, .. } => format!("{step} interrupted by {signal}"),
            Event::Interrupted { step, signal } => format!("interrupted by {signal} at {step}"),
            Event::RerunAllowed { step } => format!("rerun of {step} decided"),
        }
    }
}

/// Everything a run was started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The record's format: 0 (absent) for runs whose plan named its steps
    /// only, [`RunRecord::FORMAT`] for those whose steps carry their parameters.
    #[serde(default)]
    pub format: u32,
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
    /// The format this git-hotfix writes.
    pub const FORMAT: u32 = 1;

    /// Returns the run's recorded configuration (or, for a run recorded
    /// without one, `base`) with the remote and branches the run was started on.
    pub fn config(&self, base: &Config) -> Config {
        self.named(self.config.as_deref().unwrap_or(base))
    }

    /// Returns `config` with this run's remote and branches.
    pub fn named(&self, config: &Config) -> Config {
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
        /// Commits the strategy adds after the picks, oldest first (from-tag's
        /// version bump).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        extra_commits: Vec<Oid>,
    },
    /// A ref moved `old` -> `new` (`old` absent: created) in the same atomic
    /// push that carried this entry.
    Pushed {
        branch_ref: String,
        old: Option<Oid>,
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
    /// Commits a person pushed to the run's branch while it waited for them.
    FixesPushed {
        branch_ref: String,
        /// Oldest first.
        commits: Vec<CommitSummary>,
        tip: Oid,
    },
    /// An annotated tag created on the build's commit, by compare-and-swap
    /// (it did not exist), in the push that carried this entry.
    Tagged {
        tag_ref: String,
        /// The tag object.
        object: Oid,
        commit: Oid,
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
    /// The release pipeline the forge created, and its release job as it ended.
    ForgePipeline {
        release_sha: Oid,
        request: PipelineRequest,
        pipeline: PipelineRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<JobRef>,
        /// False when the job was past `manual` already (played before).
        played: bool,
        /// The end of a failed job's log, masked and escaped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log_tail: Option<String>,
    },
    /// A forge job played and followed to its end (the production deploy).
    ForgeJob {
        release_sha: Oid,
        pipeline: PipelineRef,
        job: JobRef,
        played: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        log_tail: Option<String>,
    },
    /// Main's pipeline for the commit a merge-main run deploys, as the
    /// forge had it when the step found it.
    MainPipeline {
        branch: String,
        commit: Oid,
        pipeline: PipelineRef,
        status: String,
    },
    /// The review request the forge answered with: opened, or adopted as
    /// the one already open for the same branches.
    ReviewRequested {
        request: NewMergeRequest,
        merge_request: MergeRequestRef,
    },
    /// What the backport step did for each fix and target.
    Backported {
        backports: Vec<crate::record::backport::Backport>,
    },
    /// The forge's release of the tag: created, or adopted as the tag's own.
    ForgeRelease {
        release: NewRelease,
        created: ReleaseRef,
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
    /// How the approval was verified, as the `approvals` step found it when
    /// it counted it. Never read from an `approved` entry: whoever pushes
    /// `refs/hotfix/*` could write anything there; the approvals are
    /// checked again from the journal each time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verification>,
    /// Under `[approvals] verify = "forge"`: the approval the forge answered
    /// when it was posted. A claim like the rest of the entry: the forge is
    /// read again before it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<crate::record::forge::ForgeApproval>,
    /// True for an approval of the rollback's deployment (`verify =
    /// "forge"`): a rollback deploys anew and is approved anew. Absent in
    /// the records of runs before rollbacks were approved, all of whose
    /// approvals are the hotfix's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
}

/// How an approval's approver was established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Verification {
    /// The entry's signature is good and by a key of the allowed signers.
    Signature {
        /// The key's fingerprint (`SHA256:...` for SSH).
        key: String,
        /// Who the allowed signers name for that key.
        principal: String,
    },
    /// The forge recorded the approval of the run's deployment by this user
    /// (`[approvals] verify = "forge"`), read again from the forge.
    Forge {
        /// `GitLab` or `GitHub`.
        forge: String,
        user: crate::record::forge::ForgeApprover,
        deployment: u64,
        created_at: String,
    },
    /// Nothing proves who approved (`[approvals] verify = "none"`): the
    /// git identity is self-declared.
    Unverified,
}

impl Verification {
    /// Says how the approval was verified, for the report and status.
    pub fn describe(&self) -> String {
        match self {
            Verification::Signature { key, principal } => format!("verified: signed by {principal} ({key})"),
            Verification::Forge {
                forge,
                user,
                deployment,
                created_at,
            } => format!(
                "verified: recorded by {forge} (user @{}, deployment {deployment}, {created_at})",
                user.username
            ),
            Verification::Unverified => "unverified (verify = none)".into(),
        }
    }
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
