//! The [`Forge`](crate::forge::Forge) pipeline calls in terms of GitHub Actions.
//!
//! | Forge (GitLab's words) | GitHub Actions |
//! | --- | --- |
//! | a pipeline: project, id, page | a `workflow_dispatch` run: `owner/repo`, run id, its `html_url` |
//! | a job of the pipeline | a job of the run's latest attempt, by name |
//! | `manual` | `waiting`: on an environment's protection rules (required reviewers) |
//! | playing a manual job | approving the run's one pending deployment, as the token's user |
//! | `pending`, `running` | `queued` / `pending` / `requested`, `in_progress` |
//! | `success`, `failed`, `canceled`, `skipped` | the `completed` job's conclusion (`timed_out`, `action_required`, `startup_failure`, `neutral`: `failed`) |
//! | a downstream pipeline | none: a called workflow's jobs are the run's own (refused at load) |
//!
//! A job is approved only while it is the run's one waiting job and the run
//! has one pending deployment: GitHub's pending deployments name an
//! environment, not a job, so with two waiting the step cannot tell which
//! approval is its job's and leaves both to the environments' reviewers.

use std::collections::BTreeMap;
use std::time::Duration;

use super::actions::{Dispatch, Job, Review};
use super::GitHub;
use crate::forge::{ForgeError, JobRef, Method, PipelineRef, PipelineRequest};

/// How many times a run the dispatch did not name (a 204) is looked for.
const FIND_RUN_READS: u32 = 10;
/// The wait between two looks: GitHub lists a dispatched run within seconds.
const FIND_RUN_WAIT: Duration = Duration::from_secs(3);

/// Dispatches the request's workflow (once: never retried) and returns its run.
pub(super) fn start(github: &GitHub, request: &PipelineRequest) -> Result<PipelineRef, ForgeError> {
    let repo = github.on(request.project.as_deref())?;
    let Some(workflow) = request.workflow.as_deref() else {
        // Refused at load; a record without it is not dispatched either.
        return Err(ForgeError::BadUrl {
            url: repo.full_name(),
            reason: "names no workflow to dispatch (`release.pipeline.workflow`)".into(),
        });
    };
    // `workflow_dispatch` inputs are strings (a boolean input is "true" or "false").
    let inputs: BTreeMap<String, String> = request
        .inputs
        .iter()
        .map(|(name, value)| (name.clone(), value.to_string()))
        .collect();
    // Read before asking: a server that answers 204 names no run, and ids
    // (not this machine's clock) tell the new run from the older ones.
    let before = repo.newest_dispatched_run(workflow, &request.git_ref)?.unwrap_or(0);
    let run_id = match repo.dispatch_workflow(workflow, &request.git_ref, &inputs)? {
        Dispatch::Run { run_id, .. } => run_id,
        Dispatch::Accepted { dispatched_at } => {
            find_run(&repo, workflow, &request.git_ref, &dispatched_at, Some(before))?
        }
    };
    // The run's page, as GitHub gives it (the dispatch's `html_url` is the same page).
    let run = repo.workflow_run(run_id)?;
    Ok(PipelineRef {
        project: repo.full_name(),
        id: run_id,
        web_url: run.html_url,
    })
}

/// Returns the run a 204 dispatch started, looked for among the runs created
/// since; one never listed is a transport failure, so the engine keeps the
/// attempt open (it may have started) for the operator's decision.
fn find_run(repo: &GitHub, workflow: &str, branch: &str, since: &str, after: Option<u64>) -> Result<u64, ForgeError> {
    for read in 0..FIND_RUN_READS {
        if read > 0 {
            repo.client().clock().sleep(FIND_RUN_WAIT);
        }
        if let Some(id) = repo.find_dispatched_run(workflow, branch, since, after)? {
            return Ok(id);
        }
    }
    Err(ForgeError::Transport {
        method: Method::Post,
        path: format!("{}/actions/workflows/{workflow}/dispatches", repo.repo_path()),
        reason: format!(
            "GitHub accepted the dispatch (204, no run named) and listed no run of it created since {since}"
        ),
        timed_out: true,
        attempts: 1,
    })
}

/// Returns the job `name` of the run, or `None` while the run has none.
pub(super) fn find_job(github: &GitHub, pipeline: &PipelineRef, name: &str) -> Result<Option<JobRef>, ForgeError> {
    let repo = github.on(Some(&pipeline.project))?;
    Ok(jobs_now(&repo, pipeline.id)?
        .into_iter()
        .find(|j| j.name == name)
        .map(|j| job_ref(&repo, pipeline.id, pipeline, j)))
}

/// Returns the job as GitHub has it now.
pub(super) fn job(github: &GitHub, job: &JobRef) -> Result<JobRef, ForgeError> {
    let repo = github.on(Some(&job.project))?;
    let run = PipelineRef {
        project: job.project.clone(),
        id: job.pipeline,
        web_url: job.web_url.clone(),
    };
    jobs_now(&repo, job.pipeline)?
        .into_iter()
        .find(|j| j.id == job.id)
        .map(|j| job_ref(&repo, job.pipeline, &run, j))
        .ok_or_else(|| ForgeError::Body {
            method: Method::Get,
            path: format!("{}/actions/runs/{}/jobs", repo.repo_path(), job.pipeline),
            reason: format!("job #{} is no longer in the run's latest attempt (re-run?)", job.id),
        })
}

/// Reads the run, then the jobs of its latest attempt: the run is what moves
/// when it is cancelled or re-run, and a re-run makes new jobs.
fn jobs_now(repo: &GitHub, run_id: u64) -> Result<Vec<Job>, ForgeError> {
    repo.workflow_run(run_id)?;
    repo.run_jobs(run_id)
}

/// Approves the deployment `job` waits for, as the token's user: what the
/// run page's "Review deployments" does. Refused, asking nothing, unless
/// `job` is the run's one waiting job, the run has one pending deployment,
/// and the token's user is one of its environment's reviewers.
pub(super) fn approve_waiting(github: &GitHub, job: &JobRef) -> Result<JobRef, ForgeError> {
    let repo = github.on(Some(&job.project))?;
    let refuse = ForgeError::NotSent;
    let waiting: Vec<Job> = repo
        .run_jobs(job.pipeline)?
        .into_iter()
        .filter(|j| j.status == "waiting")
        .collect();
    if waiting.len() != 1 || waiting[0].id != job.id {
        let names: Vec<&str> = waiting.iter().map(|j| j.name.as_str()).collect();
        return Err(refuse(format!(
            "approve `{}` alone: the run's waiting jobs are {names:?}, and GitHub's pending deployments name \
             environments, not jobs; approve it on {}",
            job.name, job.web_url
        )));
    }
    let pending = repo.pending_deployments(job.pipeline)?;
    let [deployment] = pending.as_slice() else {
        return Err(refuse(format!(
            "approve `{}`: the run has {} pending deployments; approve its environment's on {}",
            job.name,
            pending.len(),
            job.web_url
        )));
    };
    if !deployment.current_user_can_approve {
        return Err(refuse(format!(
            "approve `{}`: the token's user is not a reviewer of environment `{}` (or may not review its own \
             run); a required reviewer approves it on {}",
            job.name, deployment.environment, job.web_url
        )));
    }
    repo.review_pending_deployments(
        job.pipeline,
        &[deployment.environment_id],
        Review::Approved,
        &format!("git-hotfix: `{}`, after the hotfix's approvals", job.name),
    )?;
    self::job(github, job)
}

fn job_ref(repo: &GitHub, run_id: u64, run: &PipelineRef, job: Job) -> JobRef {
    let status = status_word(&job.status, job.conclusion.as_deref()).to_string();
    JobRef {
        project: repo.full_name(),
        pipeline: run_id,
        id: job.id,
        name: job.name,
        status,
        web_url: job.html_url.unwrap_or_else(|| run.web_url.clone()),
    }
}

/// Returns GitHub's job status in the forge's words ([`JobRef`]'s).
fn status_word(status: &str, conclusion: Option<&str>) -> &'static str {
    match (status, conclusion) {
        ("completed", Some("success")) => "success",
        ("completed", Some("cancelled")) => "canceled",
        ("completed", Some("skipped")) => "skipped",
        ("completed", _) => "failed",
        ("waiting", _) => "manual",
        ("in_progress", _) => "running",
        _ => "pending",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_statuses_are_the_forge_words() {
        assert_eq!(status_word("waiting", None), "manual");
        assert_eq!(status_word("queued", None), "pending");
        assert_eq!(status_word("in_progress", None), "running");
        assert_eq!(status_word("completed", Some("success")), "success");
        assert_eq!(status_word("completed", Some("timed_out")), "failed");
        assert_eq!(status_word("completed", Some("cancelled")), "canceled");
    }
}
