//! GitHub Actions: a workflow dispatched with inputs, its run and jobs
//! followed, environment reviewers' pending deployments approved or
//! rejected, and the tail of a job's log.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::GitHub;
use crate::forge::{encode_segment, Call, ForgeApprover, ForgeError};

/// What a dispatch came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dispatch {
    /// GitHub answered 200 with the run (`return_run_details: true`, on
    /// api.github.com since 2025 and on Enterprise Server versions that have it).
    Run { run_id: u64, html_url: Option<String> },
    /// GitHub answered 204, naming no run (a server without
    /// `return_run_details`): [`GitHub::find_dispatched_run`] finds it among
    /// the runs created since `dispatched_at`.
    Accepted { dispatched_at: String },
}

/// A workflow run, as "Get a workflow run" (docs.github.com/rest/actions/workflow-runs#get-a-workflow-run) answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct WorkflowRun {
    pub id: u64,
    /// `queued`, `in_progress`, `waiting` (on an environment's reviewers), `completed`, ...
    pub status: Option<String>,
    /// Once completed: `success`, `failure`, `cancelled`, ...
    pub conclusion: Option<String>,
    pub html_url: String,
    pub head_sha: String,
    pub created_at: String,
}

impl WorkflowRun {
    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("completed")
    }

    pub fn succeeded(&self) -> bool {
        self.is_completed() && self.conclusion.as_deref() == Some("success")
    }
}

/// A job of a run, as "List jobs for a workflow run" (docs.github.com/rest/actions/workflow-jobs) answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub html_url: Option<String>,
}

#[derive(Deserialize)]
struct Jobs {
    jobs: Vec<Job>,
}

#[derive(Deserialize)]
struct Runs {
    workflow_runs: Vec<ListedRun>,
}

#[derive(Deserialize)]
struct ListedRun {
    id: u64,
    created_at: String,
}

#[derive(Deserialize)]
struct DispatchDetails {
    workflow_run_id: u64,
    html_url: Option<String>,
}

/// A deployment of a run waiting on an environment's reviewers, as "Get
/// pending deployments for a workflow run" (docs.github.com/rest/actions/workflow-runs) answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDeployment {
    pub environment_id: u64,
    pub environment: String,
    /// Minutes the environment waits after approval.
    pub wait_timer: u64,
    /// Whether the token's user is one of the environment's reviewers.
    pub current_user_can_approve: bool,
    /// The environment's required reviewers that are users (a team is
    /// left out: its members are not listed).
    pub reviewers: Vec<ForgeApprover>,
}

#[derive(Deserialize)]
struct Pending {
    environment: PendingEnvironment,
    wait_timer: u64,
    current_user_can_approve: bool,
    #[serde(default)]
    reviewers: Vec<PendingReviewer>,
}

/// A required reviewer: a `User` or a `Team` (which has no `login`), as
/// pending deployments and an environment's protection rules list them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(super) struct PendingReviewer {
    #[serde(rename = "type")]
    kind: String,
    reviewer: Option<ReviewerFields>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(super) struct ReviewerFields {
    id: u64,
    login: Option<String>,
}

/// Returns the reviewers that are users (a team is left out: its members are not listed).
pub(super) fn users(reviewers: Vec<PendingReviewer>) -> Vec<ForgeApprover> {
    reviewers
        .into_iter()
        .filter(|r| r.kind == "User")
        .filter_map(|r| r.reviewer)
        .filter_map(|r| {
            Some(ForgeApprover {
                id: r.id,
                username: r.login?,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct PendingEnvironment {
    id: u64,
    name: Option<String>,
}

/// A reviewer's decision on pending deployments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Review {
    Approved,
    Rejected,
}

/// The body of "Review pending deployments for a workflow run".
#[derive(Serialize)]
struct ReviewBody<'a> {
    environment_ids: &'a [u64],
    state: Review,
    comment: &'a str,
}

/// A deployment a review started or stopped.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ReviewedDeployment {
    pub id: u64,
    pub environment: String,
}

impl GitHub {
    /// Dispatches `workflow` (its file name or id) on `git_ref` with
    /// `inputs`. Sent once, never retried: a second dispatch is a second
    /// release run.
    pub fn dispatch_workflow(
        &self,
        workflow: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<Dispatch, ForgeError> {
        let dispatched_at = rfc3339(self.client.clock().now());
        // POST .../actions/workflows/{workflow_id}/dispatches:
        // docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event (200 with details, or 204).
        let call = Call::post(
            format!(
                "{}/actions/workflows/{}/dispatches",
                self.repo_path(),
                encode_segment(workflow)
            ),
            json!({ "ref": git_ref, "inputs": inputs, "return_run_details": true }),
        );
        let reply = self.client.send(&call)?;
        if reply.status == 204 || reply.body.trim().is_empty() {
            return Ok(Dispatch::Accepted { dispatched_at });
        }
        let details: DispatchDetails = serde_json::from_str(&reply.body).map_err(|e| ForgeError::Body {
            method: call.method,
            path: call.path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Dispatch::Run {
            run_id: details.workflow_run_id,
            html_url: details.html_url,
        })
    }

    /// Returns the id of the newest `workflow_dispatch` run of `workflow` on
    /// `branch`, or `None` when it has none: read before a dispatch, so the
    /// run a 204 dispatch started is told apart from older ones by its id,
    /// whatever this machine's clock says.
    pub fn newest_dispatched_run(&self, workflow: &str, branch: &str) -> Result<Option<u64>, ForgeError> {
        // GET .../actions/workflows/{workflow_id}/runs: docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow (newest first).
        let runs: Runs = self.client.get_json(&format!(
            "{}/actions/workflows/{}/runs?event=workflow_dispatch&branch={}&per_page=1",
            self.repo_path(),
            encode_segment(workflow),
            encode_segment(branch),
        ))?;
        Ok(runs.workflow_runs.iter().map(|r| r.id).max())
    }

    /// Returns the id of the first `workflow_dispatch` run of `workflow` on
    /// `branch` after run `after` (what [`GitHub::newest_dispatched_run`]
    /// said before the dispatch), or without it the oldest created at or
    /// after `since` less [`CLOCK_SKEW`]; `None` while GitHub lists none yet.
    pub fn find_dispatched_run(
        &self,
        workflow: &str,
        branch: &str,
        since: &str,
        after: Option<u64>,
    ) -> Result<Option<u64>, ForgeError> {
        let not_before = humantime::parse_rfc3339(since)
            .ok()
            .and_then(|t| t.checked_sub(CLOCK_SKEW))
            .map(rfc3339)
            .unwrap_or_else(|| since.to_string());
        // GET .../actions/workflows/{workflow_id}/runs: docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow.
        let runs: Runs = self.client.get_json(&format!(
            "{}/actions/workflows/{}/runs?event=workflow_dispatch&branch={}&created=%3E%3D{}&per_page=100",
            self.repo_path(),
            encode_segment(workflow),
            encode_segment(branch),
            encode_segment(&not_before)
        ))?;
        Ok(runs
            .workflow_runs
            .into_iter()
            .filter(|r| match after {
                Some(after) => r.id > after,
                None => r.created_at.as_str() >= not_before.as_str(),
            })
            .min_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)))
            .map(|r| r.id))
    }

    /// Returns the run `run_id`.
    pub fn workflow_run(&self, run_id: u64) -> Result<WorkflowRun, ForgeError> {
        // GET .../actions/runs/{run_id}: docs.github.com/rest/actions/workflow-runs#get-a-workflow-run.
        self.client
            .get_json(&format!("{}/actions/runs/{run_id}", self.repo_path()))
    }

    /// Returns the jobs of the run's latest attempt.
    pub fn run_jobs(&self, run_id: u64) -> Result<Vec<Job>, ForgeError> {
        // GET .../actions/runs/{run_id}/jobs: docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run.
        let jobs: Jobs = self.client.get_json(&format!(
            "{}/actions/runs/{run_id}/jobs?filter=latest&per_page=100",
            self.repo_path()
        ))?;
        Ok(jobs.jobs)
    }

    /// Returns the run's deployments waiting on environment reviewers.
    pub fn pending_deployments(&self, run_id: u64) -> Result<Vec<PendingDeployment>, ForgeError> {
        // GET .../actions/runs/{run_id}/pending_deployments:
        // docs.github.com/rest/actions/workflow-runs#get-pending-deployments-for-a-workflow-run.
        let pending: Vec<Pending> = self.client.get_json(&format!(
            "{}/actions/runs/{run_id}/pending_deployments",
            self.repo_path()
        ))?;
        Ok(pending
            .into_iter()
            .map(|p| PendingDeployment {
                environment_id: p.environment.id,
                environment: p.environment.name.unwrap_or_default(),
                wait_timer: p.wait_timer,
                current_user_can_approve: p.current_user_can_approve,
                reviewers: users(p.reviewers),
            })
            .collect())
    }

    /// Approves or rejects the run's deployments to `environment_ids` as the
    /// token's user, one of the environments' required reviewers.
    pub fn review_pending_deployments(
        &self,
        run_id: u64,
        environment_ids: &[u64],
        review: Review,
        comment: &str,
    ) -> Result<Vec<ReviewedDeployment>, ForgeError> {
        // POST .../actions/runs/{run_id}/pending_deployments:
        // docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run.
        let body = serde_json::to_value(ReviewBody {
            environment_ids,
            state: review,
            comment,
        })
        .expect("a review serializes: ids, an enum and a string");
        self.client.json(&Call::post(
            format!("{}/actions/runs/{run_id}/pending_deployments", self.repo_path()),
            body,
        ))
    }

    /// Returns the last `lines` lines of the job's log.
    pub fn job_log_tail(&self, job_id: u64, lines: usize) -> Result<String, ForgeError> {
        // GET .../actions/jobs/{job_id}/logs: docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run
        // (302 to a signed URL that expires after a minute).
        let log = self
            .client
            .get_redirected_text(&format!("{}/actions/jobs/{job_id}/logs", self.repo_path()))?;
        Ok(tail(&log, lines))
    }
}

/// Returns the last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Returns `at` as GitHub writes times, `2026-12-01T14:00:00Z`.
/// How far this machine's clock may be ahead of GitHub's when a run is
/// looked for by its creation time.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(600);

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 3), "");
    }

    #[test]
    fn times_are_written_as_github_writes_them() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777);
        assert_eq!(rfc3339(at), "1994-11-06T08:49:37Z");
    }
}
