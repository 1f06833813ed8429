//! GitLab's REST API v4 (`{url}/api/v4`), as doc/api/*.md in gitlabhq/gitlabhq documents it.

use serde::Deserialize;
use serde_json::json;

use super::{
    encode_segment, Call, Client, DeploymentRef, Forge, ForgeError, ForgeProject, ForgeUser, JobRef, PipelineRef,
    PipelineRequest,
};
use crate::config::ForgeKind;

/// A GitLab project reached through one client.
#[derive(Debug)]
pub struct GitLab {
    client: Client,
    /// `:id` as the API takes it: the numeric id, or the path URL-encoded.
    project_id: String,
}

impl GitLab {
    pub fn new(client: Client, project: &str) -> GitLab {
        GitLab {
            client,
            project_id: encode_segment(project),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Returns `/projects/:id`, the prefix of every project endpoint.
    pub fn project_path(&self) -> String {
        format!("/projects/{}", self.project_id)
    }

    /// Returns `/projects/:id` for `project` (a path or numeric id), or for
    /// the configured project when `None`.
    pub(super) fn path_of(&self, project: Option<&str>) -> String {
        match project {
            Some(p) => format!("/projects/{}", encode_segment(p)),
            None => self.project_path(),
        }
    }

    /// Returns the web URL the API base is under (`https://gitlab.example.com`).
    fn web_base(&self) -> &str {
        self.client.base().trim_end_matches("/api/v4")
    }

    fn job_ref(&self, project: &str, job: Job) -> JobRef {
        JobRef {
            project: project.to_string(),
            pipeline: job.pipeline.map_or(0, |p| p.id),
            id: job.id,
            name: job.name,
            status: job.status,
            web_url: job.web_url,
        }
    }
}

/// The fields of doc/api/environments.md "List environments" that git-hotfix reads.
#[derive(Deserialize)]
struct EnvironmentListed {
    id: u64,
    name: String,
}

/// The fields of doc/api/environments.md "Get a specific environment".
#[derive(Deserialize)]
struct Environment {
    id: u64,
    name: String,
    last_deployment: Option<Deployment>,
}

/// A deployment as doc/api/deployments.md documents it.
#[derive(Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    status: String,
}

/// A pipeline as doc/api/pipelines.md "Create a new pipeline" answers it.
#[derive(Deserialize)]
struct Pipeline {
    id: u64,
    project_id: Option<u64>,
    web_url: String,
}

/// A job as doc/api/jobs.md documents it.
#[derive(Deserialize)]
struct Job {
    id: u64,
    name: String,
    status: String,
    web_url: String,
    pipeline: Option<JobPipeline>,
}

#[derive(Deserialize)]
struct JobPipeline {
    id: u64,
}

/// A bridge (trigger job) as doc/api/jobs.md "List pipeline trigger jobs" documents it.
#[derive(Deserialize)]
struct Bridge {
    downstream_pipeline: Option<Pipeline>,
}

/// The fields of doc/api/users.md "Get the current user" that git-hotfix reads.
#[derive(Deserialize)]
struct User {
    id: u64,
    username: String,
    name: Option<String>,
    web_url: Option<String>,
}

/// The fields of doc/api/projects.md "Get a single project" that git-hotfix reads.
#[derive(Deserialize)]
pub(super) struct Project {
    pub(super) id: u64,
    pub(super) path_with_namespace: String,
    pub(super) default_branch: Option<String>,
    pub(super) web_url: String,
}

impl Forge for GitLab {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitlab
    }

    fn whoami(&self) -> Result<ForgeUser, ForgeError> {
        // GET /user: doc/api/users.md, "Get the current user" (200; 401 without a valid token).
        let user: User = self.client.get_json("/user")?;
        Ok(ForgeUser {
            id: user.id,
            username: user.username,
            name: user.name,
            web_url: user.web_url,
        })
    }

    fn project(&self) -> Result<ForgeProject, ForgeError> {
        // GET /projects/:id: doc/api/projects.md, "Get a single project"; `:id` is the
        // numeric id or the URL-encoded path (doc/api/rest/_index.md, namespaced paths);
        // 404 `{"message":"404 Project Not Found"}` when the token cannot see it.
        let project: Project = self.client.get_json(&self.project_path())?;
        Ok(ForgeProject {
            id: project.id,
            path: project.path_with_namespace,
            default_branch: project.default_branch,
            web_url: project.web_url,
        })
    }

    fn production_deployment(&self, environment: &str) -> Result<Option<DeploymentRef>, ForgeError> {
        // GET /projects/:id/environments?name=: doc/api/environments.md, "List environments"
        // (`name` returns the environment with this exact name).
        let listed: Vec<EnvironmentListed> = self.client.get_pages(&format!(
            "{}/environments?name={}",
            self.project_path(),
            encode_segment(environment)
        ))?;
        let Some(found) = listed.into_iter().find(|e| e.name == environment) else {
            return Ok(None);
        };
        // GET /projects/:id/environments/:environment_id: doc/api/environments.md,
        // "Get a specific environment", the one that carries `last_deployment`.
        let env: Environment = self
            .client
            .get_json(&format!("{}/environments/{}", self.project_path(), found.id))?;
        let Some(deployment) = env.last_deployment.filter(|d| d.status == "success") else {
            return Ok(None);
        };
        Ok(Some(DeploymentRef {
            environment: env.name,
            id: deployment.id,
            sha: deployment.sha,
            web_url: format!(
                "{}/{}/-/environments/{}",
                self.web_base(),
                self.project_id_path(),
                env.id
            ),
        }))
    }

    fn start_pipeline(&self, request: &PipelineRequest) -> Result<PipelineRef, ForgeError> {
        // POST /projects/:id/pipeline: doc/api/pipelines.md, "Create a new pipeline":
        // `ref` (required), `inputs` (a hash, GitLab 17.10+) or `variables`
        // (`[{key, value, variable_type}]`); 201 with the pipeline, 400 when `ref` is missing.
        let mut body = json!({ "ref": request.git_ref });
        if request.variables {
            body["variables"] = request
                .inputs
                .iter()
                .map(|(k, v)| json!({ "key": k, "value": v.to_string(), "variable_type": "env_var" }))
                .collect();
        } else if !request.inputs.is_empty() {
            body["inputs"] = request.inputs.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
        }
        let path = format!("{}/pipeline", self.path_of(request.project.as_deref()));
        // Not `idempotent()`: a lost answer must not become a second pipeline.
        let pipeline: Pipeline = self.client.json(&Call::post(path, body))?;
        let project = request.project.clone().unwrap_or_else(|| self.configured_project());
        Ok(PipelineRef {
            project,
            id: pipeline.id,
            web_url: pipeline.web_url,
        })
    }

    fn find_job(&self, pipeline: &PipelineRef, name: &str, downstream: bool) -> Result<Option<JobRef>, ForgeError> {
        let mut target = pipeline.clone();
        if downstream {
            // GET /projects/:id/pipelines/:pipeline_id/bridges: doc/api/jobs.md,
            // "List pipeline trigger jobs", each with its `downstream_pipeline`.
            let bridges: Vec<Bridge> = self.client.get_pages(&format!(
                "{}/pipelines/{}/bridges",
                self.path_of(Some(&pipeline.project)),
                pipeline.id
            ))?;
            let Some(down) = bridges.into_iter().find_map(|b| b.downstream_pipeline) else {
                return Ok(None);
            };
            target = PipelineRef {
                project: down.project_id.map_or(pipeline.project.clone(), |id| id.to_string()),
                id: down.id,
                web_url: down.web_url,
            };
        }
        // GET /projects/:id/pipelines/:pipeline_id/jobs: doc/api/jobs.md, "List pipeline jobs".
        let jobs: Vec<Job> = self.client.get_pages(&format!(
            "{}/pipelines/{}/jobs",
            self.path_of(Some(&target.project)),
            target.id
        ))?;
        Ok(jobs.into_iter().find(|j| j.name == name).map(|j| JobRef {
            pipeline: target.id,
            ..self.job_ref(&target.project, j)
        }))
    }

    fn play_job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        // POST /projects/:id/jobs/:job_id/play: doc/api/jobs.md, "Run a job" (a manual
        // one); 200 with the job, 400 "Unplayable Job" for one that is not manual.
        let path = format!("{}/jobs/{}/play", self.path_of(Some(&job.project)), job.id);
        let played: Job = self.client.json(&Call::post(path, json!({})))?;
        Ok(JobRef {
            pipeline: job.pipeline,
            ..self.job_ref(&job.project, played)
        })
    }

    fn job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        // GET /projects/:id/jobs/:job_id: doc/api/jobs.md, "Get a single job".
        let now: Job = self
            .client
            .get_json(&format!("{}/jobs/{}", self.path_of(Some(&job.project)), job.id))?;
        Ok(JobRef {
            pipeline: job.pipeline,
            ..self.job_ref(&job.project, now)
        })
    }

    fn job_deployment(
        &self,
        job: &JobRef,
        environment: &str,
    ) -> Result<Option<super::DeploymentApprovals>, ForgeError> {
        super::gitlab_approvals::job_deployment(self, job, environment)
    }

    fn approve_deployment(
        &self,
        deployment: &super::DeploymentApprovals,
        comment: &str,
    ) -> Result<super::ForgeApproval, ForgeError> {
        super::gitlab_approvals::approve_deployment(self, deployment, comment)
    }

    fn job_log_tail(&self, job: &JobRef, lines: usize) -> Result<String, ForgeError> {
        // GET /projects/:id/jobs/:job_id/trace: doc/api/jobs.md, "Get a log file" (plain text).
        let reply = self.client.send(&Call::get(format!(
            "{}/jobs/{}/trace",
            self.path_of(Some(&job.project)),
            job.id
        )))?;
        Ok(super::log_tail(&reply.body, lines))
    }

    // Incidents and doctor: crate::forge::gitlab_incident.
    fn token_scopes(&self) -> Result<Option<Vec<String>>, ForgeError> {
        self.gitlab_token_scopes()
    }
    fn other_project(&self, project: &str) -> Result<ForgeProject, ForgeError> {
        self.gitlab_other_project(project)
    }
    fn open_incident(&self, title: &str, description: &str) -> Result<super::IncidentRef, ForgeError> {
        self.gitlab_open_incident(title, description)
    }
    fn incident(&self, reference: &str) -> Result<super::IncidentRef, ForgeError> {
        self.gitlab_incident(reference)
    }
    fn note_incident(
        &self,
        incident: &super::IncidentRef,
        body: &str,
        timeline: bool,
    ) -> Result<Option<u64>, ForgeError> {
        self.gitlab_note_incident(incident, body, timeline)
    }

    // merge-main: crate::forge::gitlab_merged.
    fn merge_request(&self, iid: u64) -> Result<super::MergeRequestState, ForgeError> {
        self.gitlab_merge_request(iid)
    }
    fn commit_pipeline(&self, sha: &str, branch: &str) -> Result<Option<super::CommitPipelineRef>, ForgeError> {
        self.gitlab_commit_pipeline(sha, branch)
    }

    // Merge requests and releases: crate::forge::gitlab_requests.
    fn open_merge_request(&self, request: &super::NewMergeRequest) -> Result<super::MergeRequestRef, ForgeError> {
        self.gitlab_open_merge_request(request)
    }
    fn relabel_merge_request(&self, iid: u64, remove: &[String], add: &[String]) -> Result<(), ForgeError> {
        self.gitlab_relabel_merge_request(iid, remove, add)
    }
    fn create_release(&self, release: &super::NewRelease) -> Result<super::ReleaseRef, ForgeError> {
        self.gitlab_create_release(release)
    }
}

impl GitLab {
    /// Returns the configured project as hotfix.toml gives it.
    pub(super) fn configured_project(&self) -> String {
        // `project_id` is the encoded form; decoding `%2F` is enough for a path.
        self.project_id.replace("%2F", "/")
    }

    fn project_id_path(&self) -> String {
        self.configured_project()
    }

    /// Returns the project's page (`https://gitlab.example.com/fleet/billing`).
    pub(super) fn web_project_url(&self) -> String {
        format!("{}/{}", self.web_base(), self.configured_project())
    }
}
