//! Approvals through GitHub environment reviewers (`[approvals] verify =
//! "forge"` with `kind = "github"`).
//!
//! GitHub releases a job waiting on an environment on the FIRST required
//! reviewer's approval, so a two-role rule cannot be one deployment review
//! per role. Instead:
//!
//! - the deployment is the run's pending deployment to the environment
//!   ("Get pending deployments for a workflow run"); its `id` is the
//!   environment's id, and it exists only while the deploy job waits;
//!   once the job went past the environment, the environment's required
//!   reviewers are read from its protection rules ("Get an environment"),
//!   so the gates after the deploy still count the same approvals;
//! - an approval is a commit comment on the run's head commit ("Create a
//!   commit comment") whose body is [`approval_comment`](crate::record::forge::approval_comment)
//!   (run and role), by a user the pending deployment lists as a required
//!   reviewer of type `User`; git-hotfix posts it only when GitHub says the
//!   token's user may approve (`current_user_can_approve`);
//! - the deploy step then approves the pending deployment as the
//!   operator's token (`pipelines::approve_waiting`), once git-hotfix's
//!   approvals gate is open. GitHub's environment gate stays; git-hotfix
//!   adds the two-person rule on top of it.

use serde::Deserialize;
use serde_json::json;

use super::GitHub;
use crate::forge::{Call, DeploymentApprovals, ForgeApproval, ForgeApprover, ForgeError, JobRef};

/// What every approval comment starts with (see `approval_comment`): other
/// comments on the commit are no answer to the deployment.
const APPROVAL_PREFIX: &str = "git-hotfix run ";

/// A commit comment, as "Create a commit comment" and "List commit comments"
/// (docs.github.com/rest/commits/comments) answer it, the fields read.
#[derive(Deserialize)]
struct CommitComment {
    body: String,
    user: Option<CommentUser>,
    created_at: String,
}

#[derive(Deserialize)]
struct CommentUser {
    id: u64,
    login: String,
}

fn approval_of(environment_id: u64, comment: CommitComment) -> Option<ForgeApproval> {
    let user = comment.user?;
    Some(ForgeApproval {
        deployment: environment_id,
        user: ForgeApprover {
            id: user.id,
            username: user.login,
        },
        status: "approved".into(),
        created_at: comment.created_at,
        comment: Some(comment.body),
    })
}

impl GitHub {
    fn commit_comments(&self, sha: &str) -> Result<Vec<CommitComment>, ForgeError> {
        // GET .../commits/{commit_sha}/comments: docs.github.com/rest/commits/comments#list-commit-comments.
        self.client
            .get_pages(&format!("{}/commits/{sha}/comments?per_page=100", self.repo_path()))
    }
}

pub(super) fn job_deployment(
    github: &GitHub,
    job: &JobRef,
    environment: &str,
) -> Result<Option<DeploymentApprovals>, ForgeError> {
    let repo = github.on(Some(&job.project))?;
    let pending = repo
        .pending_deployments(job.pipeline)?
        .into_iter()
        .find(|p| p.environment == environment);
    let (environment_id, reviewers, status, pending_approval_count) = match pending {
        // GitHub releases the job on one reviewer's review.
        Some(p) => (p.environment_id, p.reviewers, "waiting", 1),
        None => {
            // Before the job reaches the environment there is nothing to
            // approve; once it went past, its pending deployment is gone and
            // the approvals are still the comments of the environment's
            // required reviewers, which "Get an environment" lists.
            let past = repo
                .run_jobs(job.pipeline)?
                .into_iter()
                .any(|j| j.id == job.id && !matches!(j.status.as_str(), "queued" | "waiting"));
            if !past {
                return Ok(None);
            }
            let env = repo.environment(environment)?;
            (env.id, env.required_reviewers(), "approved", 0)
        }
    };
    let sha = repo.workflow_run(job.pipeline)?.head_sha;
    let approvals = repo
        .commit_comments(&sha)?
        .into_iter()
        .filter(|c| c.body.starts_with(APPROVAL_PREFIX))
        .filter_map(|c| approval_of(environment_id, c))
        .filter(|a| reviewers.iter().any(|r| r.id == a.user.id))
        .collect();
    Ok(Some(DeploymentApprovals {
        project: job.project.clone(),
        id: environment_id,
        status: status.into(),
        pending_approval_count,
        approvals,
        pipeline: Some(job.pipeline),
        sha: Some(sha),
    }))
}

pub(super) fn approve_deployment(
    github: &GitHub,
    deployment: &DeploymentApprovals,
    comment: &str,
) -> Result<ForgeApproval, ForgeError> {
    let repo = github.on(Some(&deployment.project))?;
    let (Some(run_id), Some(sha)) = (deployment.pipeline, deployment.sha.as_deref()) else {
        return Err(ForgeError::NotSent(format!(
            "approve environment #{}: the deployment names no workflow run and head commit",
            deployment.id
        )));
    };
    let pending = repo.pending_deployments(run_id)?;
    let Some(waiting) = pending.iter().find(|p| p.environment_id == deployment.id) else {
        return Err(ForgeError::NotSent(format!(
            "approve environment #{}: workflow run {run_id} no longer waits on it",
            deployment.id
        )));
    };
    if !waiting.current_user_can_approve {
        return Err(ForgeError::NotSent(format!(
            "approve: the token's user is not a required reviewer of environment `{}` (GitHub says \
             `current_user_can_approve: false` for workflow run {run_id})",
            waiting.environment
        )));
    }
    // POST .../commits/{commit_sha}/comments: docs.github.com/rest/commits/comments#create-a-commit-comment
    // (201 with the comment and its `user`). Not `idempotent()`: a lost answer is read back from the list.
    let posted: CommitComment = repo.client.json(&Call::post(
        format!("{}/commits/{sha}/comments", repo.repo_path()),
        json!({ "body": comment }),
    ))?;
    approval_of(deployment.id, posted).ok_or_else(|| ForgeError::Body {
        method: crate::forge::Method::Post,
        path: format!("{}/commits/{sha}/comments", repo.repo_path()),
        reason: "the comment names no user".into(),
    })
}
