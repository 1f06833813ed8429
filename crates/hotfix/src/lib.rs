//! The engine of git-hotfix: plans and carries out production hotfix releases
//! on git objects, journaling every step with its evidence.
//!
//! The library never prints; it returns data and reports progress through
//! [`engine::execute::Progress`]. The `git-hotfix` binary is a thin CLI on top.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod ambient;
pub mod ci;
pub mod config;
pub mod engine;
pub mod forge;
pub mod git;
pub mod interrupt;
pub mod journal;
pub mod ops;
pub mod pick;
pub mod providers;
pub mod record;
pub mod report;
pub mod secrets;
pub mod strategy;
pub mod trace;

use std::path::PathBuf;

use config::ConfigError;
use engine::WorkflowError;
use git::GitError;
use journal::JournalError;
use providers::production::ProductionError;

/// Every error an operation can end with; each says what was checked and found.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Ci(#[from] crate::ci::CiError),
    #[error(transparent)]
    Production(#[from] ProductionError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("remote `{remote}` is not configured in this repository")]
    MissingRemote { remote: String },
    #[error("branch `{name}` ({key} in hotfix.toml) does not exist on {remote}")]
    BranchMissing {
        key: &'static str,
        name: String,
        remote: String,
    },
    #[error("fix `{rev}` is not a commit in this repository")]
    UnknownFix { rev: String },
    #[error("no fix given")]
    NoFix,
    #[error(transparent)]
    UnknownService(#[from] crate::strategy::services::UnknownService),
    #[error("range `{range}` names no commit")]
    EmptyRange { range: String },
    #[error("severity medium has no hotfix path: the runbooks send it to the normal release")]
    MediumSeverity,
    #[error("the plan is blocked by {checks} check(s)")]
    Blocked { checks: usize },
    #[error("{} already exists", .path.display())]
    ConfigExists { path: PathBuf },
    #[error("incident `{reference}`: {reason}")]
    Incident { reference: String, reason: String },
    #[error("fix {reference}: {reason}")]
    FixRequest { reference: String, reason: String },
    #[error("the deploy ships {count} commit(s) beyond the fix")]
    ExtraCommits { count: usize },
    #[error("could not learn whether {main} is releasable: {reason}")]
    MainVerdict { main: String, reason: String },
}
