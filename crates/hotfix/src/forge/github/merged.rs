//! What merge-main asks GitHub: the pull request that holds the fix (merged,
//! and by which commit) and whether the checks of a commit passed: its check
//! runs (GitHub Actions and apps) and its combined commit status, as one
//! pipeline status. Each call names its docs.github.com page.

use serde::Deserialize;

use super::GitHub;
use crate::forge::{encode_segment, CommitPipelineRef, ForgeError, MergeRequestState, PipelineRef};

/// The fields of "Get a pull request" (docs.github.com/rest/pulls/pulls#get-a-pull-request) read.
#[derive(Deserialize)]
struct Pull {
    number: u64,
    html_url: String,
    /// `open` or `closed`; a merged pull request is `closed` with `merged`.
    state: String,
    #[serde(default)]
    merged: bool,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    base: Base,
}

#[derive(Deserialize)]
struct Base {
    #[serde(rename = "ref")]
    git_ref: String,
}

/// "List check runs for a Git reference" (docs.github.com/rest/checks/runs).
#[derive(Deserialize)]
struct CheckRuns {
    total_count: u64,
    check_runs: Vec<CheckRun>,
}

#[derive(Deserialize)]
struct CheckRun {
    status: String,
    conclusion: Option<String>,
}

/// "Get the combined status for a specific reference" (docs.github.com/rest/commits/statuses).
#[derive(Deserialize)]
struct Combined {
    /// `failure`, `pending` or `success`.
    state: String,
    total_count: u64,
}

impl GitHub {
    pub(crate) fn github_pull(&self, number: u64) -> Result<MergeRequestState, ForgeError> {
        // GET /repos/{owner}/{repo}/pulls/{pull_number}: "Get a pull request".
        let pull: Pull = self
            .client()
            .get_json(&format!("{}/pulls/{number}", self.repo_path()))?;
        Ok(MergeRequestState {
            iid: pull.number,
            state: if pull.merged { "merged".into() } else { pull.state },
            web_url: pull.html_url,
            target_branch: pull.base.git_ref,
            // GitHub's `merge_commit_sha` is the merge, squash or rebase commit once merged.
            merge_commit_sha: pull.merge_commit_sha.filter(|_| pull.merged),
            squash_commit_sha: None,
        })
    }

    pub(crate) fn github_commit_checks(&self, sha: &str) -> Result<Option<CommitPipelineRef>, ForgeError> {
        let sha = encode_segment(sha);
        // GET /repos/{owner}/{repo}/commits/{ref}/check-runs: "List check runs for a Git reference".
        let runs: CheckRuns = self
            .client()
            .get_json(&format!("{}/commits/{sha}/check-runs?per_page=100", self.repo_path()))?;
        // GET /repos/{owner}/{repo}/commits/{ref}/status: "Get the combined status for a specific reference".
        let combined: Combined = self
            .client()
            .get_json(&format!("{}/commits/{sha}/status", self.repo_path()))?;
        if runs.total_count == 0 && combined.total_count == 0 {
            return Ok(None);
        }
        let failed = runs.check_runs.iter().any(|r| {
            matches!(
                r.conclusion.as_deref(),
                Some("failure" | "cancelled" | "timed_out" | "action_required" | "startup_failure" | "stale")
            )
        }) || (combined.total_count > 0 && matches!(combined.state.as_str(), "failure" | "error"));
        let running = runs.check_runs.iter().any(|r| r.status != "completed")
            || (combined.total_count > 0 && combined.state == "pending");
        let status = if failed {
            "failed"
        } else if running {
            "running"
        } else {
            "success"
        };
        Ok(Some(CommitPipelineRef {
            pipeline: PipelineRef {
                project: self.full_name(),
                id: 0,
                web_url: format!(
                    "{}/{}/commit/{sha}",
                    self.web_base().trim_end_matches('/'),
                    self.full_name()
                ),
            },
            status: status.to_string(),
        }))
    }
}
