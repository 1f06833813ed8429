//! Plans and steps: each strategy turns a runbook into a [`plan::Plan`];
//! [`execute`] carries a run's steps out against the journal.

pub mod execute;
pub mod glob;
pub mod pick;
pub mod plan;
pub mod restore_release;
pub mod strategy;

use crate::git::{CommitSummary, GitError, Oid};

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
    #[error("the rebuilt plan no longer gives the tree that was confirmed (expected {expected}, got {got})")]
    PlanChanged { expected: Oid, got: Oid },
    #[error("the plan is blocked on resume: {reasons}")]
    BlockedOnResume { reasons: String },
    #[error("release verification failed: {reasons}")]
    VerificationFailed { reasons: String },
    #[error("run {id} is {state}; there is nothing to continue")]
    RunFinished { id: String, state: &'static str },
    #[error("the remote refused the push: {detail}")]
    PushRefused { detail: String },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Fault(#[from] crate::ambient::InjectedFault),
}
