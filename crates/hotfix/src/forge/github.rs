//! GitHub's REST API (`https://api.github.com`, or `{url}/api/v3` on
//! Enterprise Server), version 2022-11-28, as docs.github.com/rest documents it.
//!
//! Besides the [`Forge`] calls, inherent methods for the runbook, each naming
//! its docs.github.com page: production from deployments ([`deployments`]),
//! workflow runs, their jobs and environment reviewers ([`actions`]), pull
//! requests, incident issues and releases ([`collaboration`]), incidents
//! and what `doctor` asks ([`incident`]). The operations
//! and request fields they use are those of
//! `crates/hotfix-testkit/openapi/github-subset.json`, which a test checks.
//!
//! The [`Forge`] pipeline calls map GitLab's words onto GitHub Actions
//! ([`pipelines`]): a pipeline is a `workflow_dispatch` run, a job is a job
//! of the run's latest attempt, and "playing" a manual job is approving the
//! deployment it waits for on an environment with required reviewers (what
//! the run page's "Review deployments" does). Approvals of two roles ride on
//! commit comments by the environment's reviewers ([`approvals`]).

pub mod actions;
mod approvals;
pub mod collaboration;
pub mod deployments;
pub mod incident;
mod merged;
pub mod pipelines;

use std::sync::Arc;

use serde::Deserialize;

use super::{
    encode_segment, Client, DeploymentApprovals, DeploymentRef, Forge, ForgeApproval, ForgeError, ForgeProject,
    ForgeUser, IncidentRef, JobRef, PipelineRef, PipelineRequest,
};
use crate::config::ForgeKind;

/// A GitHub repository reached through one client.
#[derive(Debug)]
pub struct GitHub {
    /// Shared with [`GitHub::on`]'s views of other repositories.
    client: Arc<Client>,
    owner: String,
    repo: String,
}

impl GitHub {
    /// Returns the forge for `project`, `owner/repo`.
    pub fn new(client: Client, project: &str) -> Result<GitHub, ForgeError> {
        Self::with_client(Arc::new(client), project)
    }

    /// Returns the same forge for another repository, `owner/repo` (a
    /// release workflow that lives in an orchestration repository), or for
    /// this one when `None`.
    pub fn on(&self, project: Option<&str>) -> Result<GitHub, ForgeError> {
        match project {
            Some(project) => Self::with_client(self.client.clone(), project),
            None => Ok(GitHub {
                client: self.client.clone(),
                owner: self.owner.clone(),
                repo: self.repo.clone(),
            }),
        }
    }

    /// Returns `owner/repo`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// Returns the web URL the API base serves: `https://github.com` for
    /// `https://api.github.com`, Enterprise Server's `{url}` for `{url}/api/v3`.
    pub fn web_base(&self) -> String {
        let base = self.client.base();
        if base == "https://api.github.com" {
            return "https://github.com".into();
        }
        base.trim_end_matches("/api/v3").to_string()
    }

    fn with_client(client: Arc<Client>, project: &str) -> Result<GitHub, ForgeError> {
        let (owner, repo) = project
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| ForgeError::BadUrl {
                url: project.to_string(),
                reason: "is not `owner/repo`".into(),
            })?;
        Ok(GitHub {
            client,
            owner: owner.to_string(),
            repo: repo.to_string(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Returns `/repos/{owner}/{repo}`, the prefix of every repository endpoint.
    pub fn repo_path(&self) -> String {
        format!("/repos/{}/{}", encode_segment(&self.owner), encode_segment(&self.repo))
    }
}

/// The fields of "Get the authenticated user" (docs.github.com/rest/users/users) that git-hotfix reads.
#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
    html_url: Option<String>,
}

/// The fields of "Get a repository" (docs.github.com/rest/repos/repos) that git-hotfix reads.
#[derive(Deserialize)]
struct Repository {
    id: u64,
    full_name: String,
    default_branch: Option<String>,
    html_url: String,
}

impl Forge for GitHub {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Github
    }

    fn whoami(&self) -> Result<ForgeUser, ForgeError> {
        // GET /user: docs.github.com/rest/users/users#get-the-authenticated-user (200, 304, 401, 403).
        let user: User = self.client.get_json("/user")?;
        Ok(ForgeUser {
            id: user.id,
            username: user.login,
            name: user.name,
            web_url: user.html_url,
        })
    }

    fn project(&self) -> Result<ForgeProject, ForgeError> {
        // GET /repos/{owner}/{repo}: docs.github.com/rest/repos/repos#get-a-repository
        // (200, 301 for a renamed repository, 403, 404).
        let repo: Repository = self.client.get_json(&self.repo_path())?;
        Ok(ForgeProject {
            id: repo.id,
            path: repo.full_name,
            default_branch: repo.default_branch,
            web_url: repo.html_url,
        })
    }

    fn production_deployment(&self, environment: &str) -> Result<Option<DeploymentRef>, ForgeError> {
        Ok(
            GitHub::production_deployment(self, environment)?.map(|d| DeploymentRef {
                environment: environment.to_string(),
                id: d.id,
                sha: d.sha,
                // The environment's deployment history, which lists this one.
                web_url: format!(
                    "{}/{}/deployments/{}",
                    self.web_base(),
                    self.full_name(),
                    encode_segment(environment)
                ),
            }),
        )
    }

    fn start_pipeline(&self, request: &PipelineRequest) -> Result<PipelineRef, ForgeError> {
        pipelines::start(self, request)
    }

    fn find_job(&self, pipeline: &PipelineRef, name: &str, downstream: bool) -> Result<Option<JobRef>, ForgeError> {
        if downstream {
            // Refused at load (`deploy.pipeline`); a record naming it is not run either.
            return Err(self.unsupported("find a job in a downstream pipeline (GitHub Actions has none)"));
        }
        pipelines::find_job(self, pipeline, name)
    }

    fn play_job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        pipelines::approve_waiting(self, job)
    }

    fn job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        pipelines::job(self, job)
    }

    fn job_log_tail(&self, job: &JobRef, lines: usize) -> Result<String, ForgeError> {
        let tail = self.on(Some(&job.project))?.job_log_tail(job.id, lines)?;
        Ok(super::log_tail(&tail, lines))
    }

    // Deployment approvals: crate::forge::github::approvals.
    fn job_deployment(&self, job: &JobRef, environment: &str) -> Result<Option<DeploymentApprovals>, ForgeError> {
        approvals::job_deployment(self, job, environment)
    }
    fn approve_deployment(&self, deployment: &DeploymentApprovals, comment: &str) -> Result<ForgeApproval, ForgeError> {
        approvals::approve_deployment(self, deployment, comment)
    }

    // Incidents and doctor: crate::forge::github::incident.
    fn token_scopes(&self) -> Result<Option<Vec<String>>, ForgeError> {
        self.github_token_scopes()
    }
    fn other_project(&self, project: &str) -> Result<ForgeProject, ForgeError> {
        self.github_other_project(project)
    }
    fn open_incident(&self, title: &str, description: &str) -> Result<IncidentRef, ForgeError> {
        self.github_open_incident(title, description)
    }
    fn incident(&self, reference: &str) -> Result<IncidentRef, ForgeError> {
        self.github_incident(reference)
    }
    /// GitHub has no timeline: a timeline event is a comment like any other.
    fn note_incident(&self, incident: &IncidentRef, body: &str, timeline: bool) -> Result<Option<u64>, ForgeError> {
        let _ = timeline;
        self.github_note_incident(incident, body)
    }

    // merge-main: github::merged. A commit's checks stand for its pipeline.
    fn merge_request(&self, iid: u64) -> Result<super::MergeRequestState, ForgeError> {
        self.github_pull(iid)
    }
    fn commit_pipeline(&self, sha: &str, branch: &str) -> Result<Option<super::CommitPipelineRef>, ForgeError> {
        let _ = branch;
        self.github_commit_checks(sha)
    }

    // Review requests and releases: github::collaboration.
    fn open_merge_request(&self, request: &super::NewMergeRequest) -> Result<super::MergeRequestRef, ForgeError> {
        collaboration::open_merge_request(self, request)
    }

    fn create_release(&self, release: &super::NewRelease) -> Result<super::ReleaseRef, ForgeError> {
        collaboration::create_release(self, release)
    }

    /// A pull request's labels are its issue's.
    fn relabel_merge_request(&self, iid: u64, remove: &[String], add: &[String]) -> Result<(), ForgeError> {
        self.relabel(iid, remove, add)
    }
}
