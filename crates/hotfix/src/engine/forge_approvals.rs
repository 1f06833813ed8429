//! Approvals the forge records (`[approvals] verify = "forge"`): the
//! approvals of the deployment the run's deploy job makes (GitLab
//! protected-environment approvals). An `approved` entry names the forge
//! user it claims; it counts only when the forge, read again, holds an
//! approval of that deployment by that user, with status `approved` and the
//! comment `git hotfix approve` posts naming this run and the role.
//!
//! A rollback's deploy job makes a deployment of its own, approved anew:
//! the phase's own deploy step and the pipeline its own release step
//! journaled name it, and the comment says it approves the rollback.

use crate::config::Config;
use crate::forge::{DeploymentApprovals, Forge, ForgeApproval};
use crate::journal::Run;
use crate::record::forge::approval_comment;
use crate::record::plan::Action;
use crate::secrets::Redactor;

/// The forge and the deployment the run's approvals are given on.
pub struct ForgeTarget {
    pub forge: Box<dyn Forge>,
    /// `None` while the deploy job or its deployment does not exist yet.
    pub deployment: Option<DeploymentApprovals>,
}

/// Returns the environment the deploy job deploys to: `[production]
/// forge_environment`, else `production`.
fn environment(config: &Config) -> String {
    config
        .production
        .forge_environment
        .clone()
        .unwrap_or_else(|| "production".into())
}

/// Opens `config`'s forge and finds the deployment of the deploy job of
/// the run's current phase, in the pipeline that phase's release step
/// journaled (a rollback's, once it rolls back). Errors are for people, secrets masked.
pub fn target(config: &Config, git_dir: &std::path::Path, run: &Run) -> Result<ForgeTarget, String> {
    let Some(forge_config) = &config.forge else {
        return Err("[approvals] verify = \"forge\" and no [forge] is configured".into());
    };
    let mut redactor = Redactor::from_env(&config.secrets);
    let forge = crate::forge::open_from_env(forge_config, git_dir, &mut redactor)
        .map_err(|e| redactor.redact(&e.to_string()))?;
    let Some(step) = run.steps().iter().find_map(|s| match &s.action {
        Action::ForgeJob(step) => Some(step.clone()),
        _ => None,
    }) else {
        return Err("[approvals] verify = \"forge\" needs a forge deploy job (`[deploy] job`) to approve".into());
    };
    let Some(pipeline) = crate::engine::steps::journaled_pipeline(run, &step.pipeline_of) else {
        return Ok(ForgeTarget {
            forge,
            deployment: None,
        });
    };
    let found = forge
        .find_job(&pipeline, &step.job, step.downstream)
        .and_then(|job| match job {
            Some(job) => forge.job_deployment(&job, &environment(config)),
            None => Ok(None),
        })
        .map_err(|e| redactor.redact(&e.to_string()))?;
    Ok(ForgeTarget {
        forge,
        deployment: found,
    })
}

/// Returns the forge's approval of `deployment` that backs the claim
/// `claimed` for `role` in run `run` (of its rollback when `rollback`), or
/// why there is none.
pub fn backing<'a>(
    deployment: &'a DeploymentApprovals,
    run: &str,
    role: &str,
    rollback: bool,
    claimed: Option<&ForgeApproval>,
) -> Result<&'a ForgeApproval, String> {
    let Some(claimed) = claimed else {
        return Err("its entry names no forge approval".into());
    };
    let comment = approval_comment(run, role, rollback);
    deployment
        .approvals
        .iter()
        .find(|a| {
            a.user.id == claimed.user.id && a.status == "approved" && a.comment.as_deref() == Some(comment.as_str())
        })
        .ok_or_else(|| {
            format!(
                "the forge holds no approval of deployment {} by @{} (user {}) as {role} for this run{}",
                deployment.id,
                claimed.user.username,
                claimed.user.id,
                if rollback { "'s rollback" } else { "" }
            )
        })
}
