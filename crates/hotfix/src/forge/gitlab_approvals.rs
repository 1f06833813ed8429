//! GitLab protected-environment deployment approvals (doc/api/deployments.md):
//! the deployment a deploy job made, its `pending_approval_count` and
//! `approvals`, and `POST .../approval` as the token's user.

use serde::Deserialize;
use serde_json::json;

use super::gitlab::GitLab;
use super::{encode_segment, Call, DeploymentApprovals, ForgeApproval, ForgeApprover, ForgeError, JobRef};

/// A deployment of doc/api/deployments.md "List project deployments" /
/// "Get a specific deployment", the fields read here.
#[derive(Deserialize)]
struct Deployment {
    id: u64,
    status: String,
    deployable: Option<Deployable>,
    #[serde(default)]
    pending_approval_count: u64,
    #[serde(default)]
    approvals: Vec<Approval>,
}

#[derive(Deserialize)]
struct Deployable {
    id: u64,
}

/// An approval: doc/api/deployments.md, "Approve or reject a blocked deployment".
#[derive(Deserialize)]
struct Approval {
    user: User,
    status: String,
    created_at: String,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    username: String,
}

fn approval_of(deployment: u64, a: Approval) -> ForgeApproval {
    ForgeApproval {
        deployment,
        user: ForgeApprover {
            id: a.user.id,
            username: a.user.username,
        },
        status: a.status,
        created_at: a.created_at,
        comment: a.comment,
    }
}

pub(super) fn job_deployment(
    gitlab: &GitLab,
    job: &JobRef,
    environment: &str,
) -> Result<Option<DeploymentApprovals>, ForgeError> {
    let project = gitlab.path_of(Some(&job.project));
    // GET /projects/:id/deployments?environment=: doc/api/deployments.md, "List project
    // deployments"; each names its `deployable` (the job that deploys).
    let listed: Vec<Deployment> = gitlab.client().get_pages(&format!(
        "{project}/deployments?environment={}&order_by=id&sort=desc",
        encode_segment(environment)
    ))?;
    let Some(found) = listed
        .into_iter()
        .find(|d| d.deployable.as_ref().is_some_and(|j| j.id == job.id))
    else {
        return Ok(None);
    };
    // GET /projects/:id/deployments/:deployment_id: doc/api/deployments.md, "Get a specific
    // deployment", which carries `pending_approval_count` and `approvals`.
    let d: Deployment = gitlab
        .client()
        .get_json(&format!("{project}/deployments/{}", found.id))?;
    Ok(Some(DeploymentApprovals {
        project: job.project.clone(),
        id: d.id,
        status: d.status,
        pending_approval_count: d.pending_approval_count,
        approvals: d.approvals.into_iter().map(|a| approval_of(d.id, a)).collect(),
        pipeline: None,
        sha: None,
    }))
}

pub(super) fn approve_deployment(
    gitlab: &GitLab,
    deployment: &DeploymentApprovals,
    comment: &str,
) -> Result<ForgeApproval, ForgeError> {
    // POST /projects/:id/deployments/:deployment_id/approval: doc/api/deployments.md,
    // "Approve or reject a blocked deployment": `status` (`approved` or `rejected`)
    // required, `comment`; 201 with the approval and its user.
    let path = format!(
        "{}/deployments/{}/approval",
        gitlab.path_of(Some(&deployment.project)),
        deployment.id
    );
    let given: Approval = gitlab
        .client()
        .json(&Call::post(path, json!({ "status": "approved", "comment": comment })))?;
    Ok(approval_of(deployment.id, given))
}
