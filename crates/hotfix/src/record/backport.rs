//! What a backport did for one target branch: the evidence a run journals
//! and the outcome `git hotfix backport` shows.

use serde::{Deserialize, Serialize};

use crate::git::{CommitSummary, Oid};
use crate::record::forge::MergeRequestRef;

/// How a fix landed on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackportState {
    /// The pick merged cleanly: the branch holds it.
    Clean,
    /// The pick conflicted: the branch holds an empty commit saying so, and a
    /// person resolves it.
    Conflicted,
    /// The target already has the fix: no branch.
    AlreadyApplied,
    /// The pick conflicted and a person resolved it (`git hotfix backport
    /// resolve`): the branch holds the resolution on top of the empty commit.
    Resolved,
}

impl BackportState {
    pub fn as_str(self) -> &'static str {
        match self {
            BackportState::Clean => "clean",
            BackportState::Conflicted => "conflicted",
            BackportState::AlreadyApplied => "already-applied",
            BackportState::Resolved => "resolved",
        }
    }
}

/// Where the request of a backport branch is, or how to open it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BackportRequest {
    /// Opened (or adopted) on the `[forge]`.
    Forge { merge_request: MergeRequestRef },
    /// Asked of GitLab with push options as the branch was pushed.
    PushOptions { options: Vec<String> },
    /// No forge to ask: the page where a person opens it.
    OpenAt { url: String },
    /// No forge and no known web page: the branch is all there is.
    BranchOnly,
}

/// One target's backport.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backport {
    pub fix: Oid,
    pub subject: String,
    pub target: String,
    /// The target's tip the pick was made on.
    pub target_tip: Oid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mainline: Option<u32>,
    pub state: BackportState,
    /// The backport branch; none when the target already has the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The branch's commit: the pick, or the empty commit of a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<Oid>,
    /// True when the branch already held exactly this commit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// The target's commit that makes the same change, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_as: Option<CommitSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<BackportRequest>,
}

/// Where a backport's request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Landing {
    Opened,
    Merged,
    Closed,
}

impl Landing {
    pub fn as_str(self) -> &'static str {
        match self {
            Landing::Opened => "opened",
            Landing::Merged => "merged",
            Landing::Closed => "closed",
        }
    }
}

/// A backport's landing, and how it was learnt (`forge`: the request's
/// state; `reachable`: the branch's commit is on the target, or not yet).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackportLanding {
    pub fix: Oid,
    pub target: String,
    pub landing: Landing,
    pub by: &'static str,
}
