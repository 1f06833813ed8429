//! A fake GitLab (REST API v4 under `/api/v4`), stateful, for the seed
//! 000/001 runbook: a production environment with its last deployment, and
//! pipelines created on request whose manual jobs move
//! `manual -> pending -> running -> success` (or `failed`) as they are
//! polled, with a bridge to a downstream pipeline holding the manual
//! production deploy; merge requests and the releases of the tags of a
//! bare repository (`Setup::repository`).
//!
//! Each route names the page of gitlabhq/gitlabhq `doc/api/` it stands for,
//! and rejects what GitLab rejects: no `PRIVATE-TOKEN` (401), a pipeline
//! without `ref` (400), the wrong method (405), playing a job that is not
//! manual (400 "Unplayable Job"), a merge request without `title` or
//! either branch (400) or a second open one of the same branches (409), a
//! release without `tag_name` (400), of a tag that does not exist without
//! `ref` (422 "Ref is not specified", Releases::CreateService) or of a tag
//! that has one (409 "Release already exists").

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::http::{Request, Response, Server};

/// What the fake holds before any request.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The token every request must carry as `PRIVATE-TOKEN`.
    pub token: String,
    /// The environment (`production`) and the SHA of its last deployment.
    pub environment: String,
    pub deployed_sha: String,
    /// The status of that deployment (`success`; anything else is not production).
    pub deployment_status: String,
    /// The manual jobs each created pipeline has (`release billing`).
    pub jobs: Vec<String>,
    /// The manual jobs of the downstream pipeline a bridge triggers once the
    /// pipeline's jobs all succeeded (`deploy-production`); empty: no bridge.
    pub downstream_jobs: Vec<String>,
    /// The job that fails when it runs, with the log it writes.
    pub failing_job: Option<String>,
    /// A job that, once played, stays `pending` (no runner picks it up).
    pub stuck_job: Option<String>,
    /// The scopes `/personal_access_tokens/self` reports (`api`).
    pub scopes: Vec<String>,
    /// Incidents the project already has, by `iid`.
    pub incidents: Vec<u64>,
    /// Notes on issues answer 500 while this is set.
    pub notes_fail: bool,
    /// People, each with their own token: two tokens are two GitLab users.
    /// `token` acts as user 1, `operator`.
    pub users: Vec<FakeUser>,
    /// The downstream job that deploys to `environment` behind protected-environment
    /// approvals, and how many approvals it needs (doc/api/deployments.md:
    /// its deployment is `blocked` until they are given).
    pub protected_job: Option<String>,
    pub required_approvals: u64,
    /// `POST /pipeline` creates the pipeline, then answers only after this
    /// long: a client that timed out never learns it exists.
    pub slow_pipeline: Option<std::time::Duration>,
    /// What a deploy job's runner ships when it succeeds; `None`: nothing.
    pub deploys: Option<ReleaseDeploy>,
    /// The bare repository the project's tags are read from (a release is
    /// for an existing tag); `None`: the project has no tags.
    pub repository: Option<std::path::PathBuf>,
    /// Merge requests the project already has.
    pub merge_requests: Vec<FakeMergeRequest>,
    /// Pipelines the project already ran for commits (`GET /pipelines?sha=`).
    pub commit_pipelines: Vec<CommitPipeline>,
}

pub use crate::release_deploy::ReleaseDeploy;

/// A merge request as the fake keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeMergeRequest {
    pub iid: u64,
    pub title: String,
    pub description: String,
    pub source_branch: String,
    pub target_branch: String,
    pub labels: Vec<String>,
    pub remove_source_branch: bool,
    /// `opened`, `merged` or `closed`.
    pub state: String,
    /// The commit the merge made on the target branch, once `merged`.
    pub merge_commit_sha: Option<String>,
}

/// A pipeline the project ran for a commit of a branch (main's pipeline of
/// a merged hotfix, seed 002), with its manual jobs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitPipeline {
    pub sha: String,
    pub git_ref: String,
    /// `success`, `failed`, `manual`, ...
    pub status: String,
    /// Its manual jobs (`deploy-prod-hotfix`, `run-migrations-prod`).
    pub jobs: Vec<String>,
}

/// A release as the fake keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRelease {
    pub tag_name: String,
    pub name: String,
    pub description: String,
}

/// A GitLab user and the token that acts as them.
#[derive(Clone, Debug)]
pub struct FakeUser {
    pub token: String,
    pub id: u64,
    pub username: String,
}

/// A deployment approval as the fake keeps it.
#[derive(Clone, Debug)]
pub struct FakeApproval {
    pub user: FakeUser,
    pub status: String,
    pub comment: Option<String>,
    pub created_at: String,
}

/// A deployment a deploy job makes, with its approvals.
#[derive(Clone, Debug)]
pub struct FakeDeployment {
    pub id: u64,
    pub job: u64,
    pub approvals: Vec<FakeApproval>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            token: String::new(),
            environment: "production".into(),
            deployed_sha: String::new(),
            deployment_status: "success".into(),
            jobs: Vec::new(),
            downstream_jobs: Vec::new(),
            failing_job: None,
            stuck_job: None,
            scopes: vec!["api".into()],
            incidents: Vec::new(),
            notes_fail: false,
            users: Vec::new(),
            protected_job: None,
            required_approvals: 0,
            slow_pipeline: None,
            deploys: None,
            repository: None,
            merge_requests: Vec::new(),
            commit_pipelines: Vec::new(),
        }
    }
}

/// The web host of every `web_url` the fake gives.
pub const WEB: &str = "https://gitlab.fake";

/// A job as the fake keeps it.
#[derive(Clone, Debug)]
pub struct FakeJob {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub pipeline: u64,
    pub project: String,
}

#[derive(Clone, Debug)]
struct FakePipeline {
    id: u64,
    project: String,
    downstream: Option<u64>,
    /// The commit and branch of a pipeline of `Setup::commit_pipelines`, and its status.
    commit: Option<CommitPipeline>,
}

/// An issue as the fake keeps it.
#[derive(Clone, Debug)]
pub struct FakeIssue {
    pub iid: u64,
    pub title: String,
    pub description: String,
    pub issue_type: String,
}

/// A note on an issue as the fake keeps it.
#[derive(Clone, Debug)]
pub struct FakeNote {
    pub issue: u64,
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Default)]
struct State {
    issues: Vec<FakeIssue>,
    notes: Vec<FakeNote>,
    setup: Setup,
    next_id: u64,
    pipelines: Vec<FakePipeline>,
    jobs: Vec<FakeJob>,
    /// The downstream project's numeric id.
    downstream_project: u64,
    deployments: Vec<FakeDeployment>,
    /// The user the current request's token acts as.
    caller: Option<FakeUser>,
    merge_requests: Vec<FakeMergeRequest>,
    releases: Vec<FakeRelease>,
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn add_pipeline(&mut self, project: &str, jobs: &[String]) -> u64 {
        let id = self.id();
        self.pipelines.push(FakePipeline {
            id,
            project: project.to_string(),
            downstream: None,
            commit: None,
        });
        for name in jobs {
            let job = FakeJob {
                id: self.id(),
                name: name.clone(),
                status: "manual".into(),
                pipeline: id,
                project: project.to_string(),
            };
            if self.setup.protected_job.as_deref() == Some(name.as_str()) {
                let deployment = FakeDeployment {
                    id: self.id(),
                    job: job.id,
                    approvals: Vec::new(),
                };
                self.deployments.push(deployment);
            }
            self.jobs.push(job);
        }
        id
    }

    /// Triggers the downstream pipeline once a job of `pipeline` succeeded
    /// and none it ran is still going (manual jobs left alone do not hold it).
    fn maybe_trigger(&mut self, pipeline: u64) {
        let ran: Vec<&FakeJob> = self
            .jobs
            .iter()
            .filter(|j| j.pipeline == pipeline && j.status != "manual")
            .collect();
        let ready = ran.iter().any(|j| j.status == "success") && ran.iter().all(|j| j.status == "success");
        let Some(index) = self.pipelines.iter().position(|p| p.id == pipeline) else {
            return;
        };
        // A downstream pipeline has no bridge of its own.
        let is_downstream = self.pipelines[index].project == self.downstream_project.to_string();
        if !ready
            || is_downstream
            || self.pipelines[index].downstream.is_some()
            || self.setup.downstream_jobs.is_empty()
        {
            return;
        }
        let jobs = self.setup.downstream_jobs.clone();
        let down = self.add_pipeline(&self.downstream_project.to_string(), &jobs);
        self.pipelines[index].downstream = Some(down);
    }

    /// Moves a played job one status on, as a runner would between polls.
    fn advance(&mut self, id: u64) {
        let setup = self.setup.clone();
        let Some(job) = self.jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        let next = match job.status.as_str() {
            "pending" if setup.stuck_job.as_deref() == Some(job.name.as_str()) => "pending",
            "pending" => "running",
            "running" if setup.failing_job.as_deref() == Some(job.name.as_str()) => "failed",
            "running" => "success",
            other => other,
        }
        .to_string();
        let shipped = next == "success" && job.status != "success";
        job.status = next;
        let (pipeline, name) = (job.pipeline, job.name.clone());
        if shipped {
            self.ship(&name, pipeline);
        }
        self.maybe_trigger(pipeline);
    }

    /// Ships the release when `job` is the deploy job of `setup.deploys`:
    /// the commit of a pipeline run for one (main's pipeline of seed 002's
    /// merge, or of the production commit a rollback deploys again), else
    /// the branch's tip.
    fn ship(&mut self, job: &str, pipeline: u64) {
        let commit = self
            .pipelines
            .iter()
            .find(|p| p.id == pipeline)
            .and_then(|p| p.commit.as_ref())
            .map(|c| c.sha.clone());
        let shipped = self.setup.deploys.as_ref().and_then(|d| match &commit {
            Some(sha) => d.ship_commit(job, sha),
            None => d.ship(job),
        });
        if let Some(sha) = shipped {
            self.setup.deployed_sha = sha;
        }
    }

    fn pipeline_json(&self, p: &FakePipeline) -> Value {
        json!({
            "id": p.id,
            "iid": p.id,
            "project_id": p.project.parse::<u64>().unwrap_or(1),
            "status": p.commit.as_ref().map_or("manual", |c| c.status.as_str()),
            "ref": p.commit.as_ref().map_or("main", |c| c.git_ref.as_str()),
            "sha": p.commit.as_ref().map(|c| c.sha.clone()),
            "web_url": format!("{WEB}/{}/-/pipelines/{}", decode(&p.project), p.id),
        })
    }

    fn approved(&self, d: &FakeDeployment) -> u64 {
        d.approvals.iter().filter(|a| a.status == "approved").count() as u64
    }

    fn deployment_json(&self, d: &FakeDeployment) -> Value {
        let job = self.jobs.iter().find(|j| j.id == d.job);
        let pending = self.setup.required_approvals.saturating_sub(self.approved(d));
        let status = match job.map(|j| j.status.as_str()) {
            Some("manual") if pending > 0 => "blocked",
            Some("manual") | Some("pending") => "created",
            Some(other) => other,
            None => "created",
        };
        json!({
            "id": d.id,
            "iid": d.id,
            "ref": "release",
            "sha": self.setup.deployed_sha,
            "status": status,
            "environment": { "id": 7, "name": self.setup.environment },
            "deployable": job.map(|j| self.job_json(j)),
            "pending_approval_count": pending,
            "approvals": d.approvals.iter().map(approval_json).collect::<Vec<_>>(),
        })
    }

    fn job_json(&self, j: &FakeJob) -> Value {
        json!({
            "id": j.id,
            "name": j.name,
            "status": j.status,
            "stage": "deploy",
            "web_url": format!("{WEB}/{}/-/jobs/{}", decode(&j.project), j.id),
            "pipeline": { "id": j.pipeline, "project_id": j.project.parse::<u64>().unwrap_or(1) },
        })
    }
}

fn issue_json(req: &Request, issue: &FakeIssue) -> Value {
    let project = decode(req.param("id").unwrap_or_default());
    json!({
        "id": 1000 + issue.iid,
        "iid": issue.iid,
        "title": issue.title,
        "description": issue.description,
        "issue_type": issue.issue_type,
        "state": "opened",
        "web_url": format!("{WEB}/{project}/-/issues/{}", issue.iid),
    })
}

fn merge_request_json(req: &Request, mr: &FakeMergeRequest) -> Value {
    let project = decode(req.param("id").unwrap_or_default());
    json!({
        "id": 5000 + mr.iid,
        "iid": mr.iid,
        "title": mr.title,
        "description": mr.description,
        "state": mr.state,
        "source_branch": mr.source_branch,
        "target_branch": mr.target_branch,
        "labels": mr.labels,
        "force_remove_source_branch": mr.remove_source_branch,
        "draft": mr.title.starts_with("Draft:"),
        "merge_commit_sha": mr.merge_commit_sha,
        "squash_commit_sha": null,
        "web_url": format!("{WEB}/{project}/-/merge_requests/{}", mr.iid),
    })
}

fn release_json(req: &Request, r: &FakeRelease) -> Value {
    let project = decode(req.param("id").unwrap_or_default());
    json!({
        "tag_name": r.tag_name,
        "name": r.name,
        "description": r.description,
        "_links": { "self": format!("{WEB}/{project}/-/releases/{}", r.tag_name.replace('/', "%2F")) },
    })
}

/// Returns `text` with its `%XX` escapes decoded (query values, path segments).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns the value of `key` in the request's query string, decoded.
fn query_value(req: &Request, key: &str) -> Option<String> {
    req.query
        .as_deref()?
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .map(percent_decode)
}

/// Returns true when the project's repository has `tag`.
fn tag_exists(setup: &Setup, tag: &str) -> bool {
    let Some(repo) = &setup.repository else {
        return false;
    };
    std::process::Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("refs/tags/{tag}"),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Returns a string field of a JSON body, `None` when absent or empty.
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body[name].as_str().filter(|v| !v.is_empty())
}

fn labels_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(list) => list
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        Value::Array(list) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => Vec::new(),
    }
}

fn user_json(u: &FakeUser) -> Value {
    json!({ "id": u.id, "username": u.username, "name": u.username, "state": "active",
            "web_url": format!("{WEB}/{}", u.username) })
}

fn approval_json(a: &FakeApproval) -> Value {
    json!({ "user": user_json(&a.user), "status": a.status, "created_at": a.created_at, "comment": a.comment })
}

fn decode(project: &str) -> String {
    project.replace("%2F", "/").replace("%2f", "/")
}

/// The fake GitLab: a server and the state its routes share.
pub struct FakeGitLab {
    pub server: Server,
    state: Arc<Mutex<State>>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Wraps a handler with GitLab's authentication: `PRIVATE-TOKEN` must be the token.
fn authed(
    state: &Shared,
    handler: impl Fn(&mut State, &Request) -> Response + Send + 'static,
) -> impl FnMut(&Request) -> Response + Send + 'static {
    let state = state.clone();
    move |req: &Request| {
        let mut s = lock(&state);
        let token = req.header("PRIVATE-TOKEN").unwrap_or_default();
        let operator = FakeUser {
            token: s.setup.token.clone(),
            id: 1,
            username: "operator".into(),
        };
        let caller = std::iter::once(operator)
            .chain(s.setup.users.iter().cloned())
            .find(|u| !token.is_empty() && u.token == token);
        let Some(caller) = caller else {
            // doc/api/rest/troubleshooting.md: 401 Unauthorized without a valid token.
            return Response::json(401, r#"{"message":"401 Unauthorized"}"#);
        };
        s.caller = Some(caller);
        handler(&mut s, req)
    }
}

fn not_found(what: &str) -> Response {
    Response::json(404, json!({ "message": format!("404 {what} Not Found") }).to_string())
}

fn id_param(req: &Request, name: &str) -> u64 {
    req.param(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn method_not_allowed() -> Response {
    // doc/api/rest/troubleshooting.md, status codes: 405 when the resource does not support the method.
    Response::json(405, r#"{"message":"405 Method Not Allowed"}"#)
}

impl FakeGitLab {
    /// Starts the fake with `setup`.
    pub fn start(setup: Setup) -> std::io::Result<FakeGitLab> {
        let issues = setup
            .incidents
            .iter()
            .map(|&iid| FakeIssue {
                iid,
                title: format!("incident {iid}"),
                description: String::new(),
                issue_type: "incident".into(),
            })
            .collect();
        let merge_requests = setup.merge_requests.clone();
        let commit_pipelines = setup.commit_pipelines.clone();
        let state: Shared = Arc::new(Mutex::new(State {
            setup,
            issues,
            merge_requests,
            next_id: 100,
            downstream_project: 2,
            ..State::default()
        }));
        {
            let mut s = lock(&state);
            for c in commit_pipelines {
                let id = s.add_pipeline("1", &c.jobs);
                if let Some(p) = s.pipelines.iter_mut().find(|p| p.id == id) {
                    p.commit = Some(c);
                }
            }
        }
        let server = Server::builder()
            .route(
                "GET",
                "/api/v4/user",
                "GET /user (doc/api/users.md, Get the current user)",
                authed(&state, |s, _| {
                    let me = s.caller.clone().expect("authed sets the caller");
                    Response::json(200, user_json(&me).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/personal_access_tokens/self",
                "GET /personal_access_tokens/self (doc/api/personal_access_tokens.md, Get a single personal access token)",
                authed(&state, |s, _| {
                    Response::json(
                        200,
                        json!({ "id": 9, "name": "hotfix", "revoked": false, "active": true, "scopes": s.setup.scopes, "user_id": 1 })
                            .to_string(),
                    )
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id",
                "GET /projects/:id (doc/api/projects.md, Get a single project)",
                authed(&state, |_, req| {
                    let path = decode(req.param("id").unwrap_or_default());
                    Response::json(
                        200,
                        json!({ "id": 1, "path_with_namespace": path, "default_branch": "main", "web_url": format!("{WEB}/{path}") })
                            .to_string(),
                    )
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/issues",
                "POST /projects/:id/issues (doc/api/issues.md, New issue: `title` required, `issue_type`)",
                authed(&state, |s, req| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    let Some(title) = body["title"].as_str().filter(|t| !t.is_empty()) else {
                        return Response::json(400, r#"{"error":"title is missing"}"#);
                    };
                    let iid = s.issues.iter().map(|i| i.iid).max().unwrap_or(0) + 1;
                    let issue = FakeIssue {
                        iid,
                        title: title.to_string(),
                        description: body["description"].as_str().unwrap_or_default().to_string(),
                        issue_type: body["issue_type"].as_str().unwrap_or("issue").to_string(),
                    };
                    s.issues.push(issue.clone());
                    Response::json(201, issue_json(req, &issue).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/deployments",
                "GET /projects/:id/deployments (doc/api/deployments.md, List project deployments; `environment` filters)",
                authed(&state, |s, req| {
                    let query = req.query.as_deref().unwrap_or_default();
                    let env = query.split('&').find_map(|kv| kv.strip_prefix("environment="));
                    let list: Vec<Value> = match env {
                        Some(e) if e != s.setup.environment => Vec::new(),
                        _ => s.deployments.iter().rev().map(|d| s.deployment_json(d)).collect(),
                    };
                    Response::json(200, Value::Array(list).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/issues/:issue_iid",
                "GET /projects/:id/issues/:issue_iid (doc/api/issues.md, Single project issue)",
                authed(&state, |s, req| {
                    let iid = id_param(req, "issue_iid");
                    match s.issues.iter().find(|i| i.iid == iid) {
                        Some(issue) => Response::json(200, issue_json(req, issue).to_string()),
                        None => not_found("Issue"),
                    }
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/deployments/:deployment_id",
                "GET /projects/:id/deployments/:deployment_id (doc/api/deployments.md, Get a specific deployment)",
                authed(&state, |s, req| {
                    let id = id_param(req, "deployment_id");
                    match s.deployments.iter().find(|d| d.id == id) {
                        Some(d) => Response::json(200, s.deployment_json(d).to_string()),
                        None => not_found("Deployment"),
                    }
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/issues/:issue_iid/notes",
                "POST /projects/:id/issues/:issue_iid/notes (doc/api/notes.md, Create new issue note: `body` required)",
                authed(&state, |s, req| {
                    let iid = id_param(req, "issue_iid");
                    if !s.issues.iter().any(|i| i.iid == iid) {
                        return not_found("Issue");
                    }
                    if s.setup.notes_fail {
                        return Response::json(500, r#"{"message":"500 Internal Server Error"}"#);
                    }
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    let Some(text) = body["body"].as_str().filter(|t| !t.is_empty()) else {
                        return Response::json(400, r#"{"error":"body is missing"}"#);
                    };
                    let id = s.id();
                    s.notes.push(FakeNote {
                        issue: iid,
                        id,
                        body: text.to_string(),
                    });
                    Response::json(
                        201,
                        json!({ "id": id, "body": text, "noteable_iid": iid, "noteable_type": "Issue", "system": false })
                            .to_string(),
                    )
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/deployments/:deployment_id/approval",
                "POST /projects/:id/deployments/:deployment_id/approval (doc/api/deployments.md, Approve or reject a blocked deployment: `status` required; 201)",
                authed(&state, |s, req| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    let status = body["status"].as_str().unwrap_or_default().to_string();
                    if !matches!(status.as_str(), "approved" | "rejected") {
                        return Response::json(400, r#"{"error":"status does not have a valid value"}"#);
                    }
                    let me = s.caller.clone().expect("authed sets the caller");
                    let id = id_param(req, "deployment_id");
                    let Some(index) = s.deployments.iter().position(|d| d.id == id) else {
                        return not_found("Deployment");
                    };
                    if s.deployments[index].approvals.iter().any(|a| a.user.id == me.id) {
                        // The fake's stand-in for GitLab refusing a second answer by the same user.
                        return Response::json(400, r#"{"message":"You have already approved the deployment"}"#);
                    }
                    let approval = FakeApproval {
                        user: me,
                        status,
                        comment: body["comment"].as_str().map(str::to_string),
                        created_at: "2026-12-01T15:00:00.000Z".into(),
                    };
                    s.deployments[index].approvals.push(approval.clone());
                    Response::json(201, approval_json(&approval).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/environments",
                "GET /projects/:id/environments (doc/api/environments.md, List environments; `name` filters)",
                authed(&state, |s, req| {
                    let name = req
                        .query
                        .as_deref()
                        .unwrap_or_default()
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("name="))
                        .unwrap_or_default()
                        .to_string();
                    let list: Vec<Value> = (name == s.setup.environment)
                        .then(|| json!({ "id": 7, "name": s.setup.environment, "state": "available" }))
                        .into_iter()
                        .collect();
                    Response::json(200, Value::Array(list).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/environments/:environment_id",
                "GET /projects/:id/environments/:environment_id (doc/api/environments.md, Get a specific environment)",
                authed(&state, |s, req| {
                    if id_param(req, "environment_id") != 7 {
                        return not_found("Environment");
                    }
                    let body = json!({
                        "id": 7,
                        "name": s.setup.environment,
                        "state": "available",
                        "last_deployment": {
                            "id": 41,
                            "iid": 12,
                            "ref": "release",
                            "sha": s.setup.deployed_sha,
                            "status": s.setup.deployment_status,
                        },
                    });
                    Response::json(200, body.to_string())
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/pipeline",
                "POST /projects/:id/pipeline (doc/api/pipelines.md, Create a new pipeline: `ref` required, `inputs` or `variables`)",
                authed(&state, |s, req| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    if !body["ref"].is_string() {
                        return Response::json(400, r#"{"error":"ref is missing"}"#);
                    }
                    let project = req.param("id").unwrap_or_default().to_string();
                    let jobs = s.setup.jobs.clone();
                    let id = s.add_pipeline(&project, &jobs);
                    let p = s.pipelines.iter().find(|p| p.id == id).cloned().expect("just added");
                    if let Some(delay) = s.setup.slow_pipeline {
                        std::thread::sleep(delay);
                    }
                    Response::json(201, s.pipeline_json(&p).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/pipeline",
                "POST only: doc/api/pipelines.md, Create a new pipeline",
                authed(&state, |_, _| method_not_allowed()),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/pipelines/:pipeline_id/jobs",
                "GET /projects/:id/pipelines/:pipeline_id/jobs (doc/api/jobs.md, List pipeline jobs)",
                authed(&state, |s, req| {
                    let pipeline = id_param(req, "pipeline_id");
                    if !s.pipelines.iter().any(|p| p.id == pipeline) {
                        return not_found("Pipeline");
                    }
                    let jobs: Vec<Value> = s
                        .jobs
                        .iter()
                        .filter(|j| j.pipeline == pipeline)
                        .map(|j| s.job_json(j))
                        .collect();
                    Response::json(200, Value::Array(jobs).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/pipelines/:pipeline_id/bridges",
                "GET /projects/:id/pipelines/:pipeline_id/bridges (doc/api/jobs.md, List pipeline trigger jobs)",
                authed(&state, |s, req| {
                    let pipeline = id_param(req, "pipeline_id");
                    let Some(p) = s.pipelines.iter().find(|p| p.id == pipeline) else {
                        return not_found("Pipeline");
                    };
                    if s.setup.downstream_jobs.is_empty() {
                        return Response::json(200, "[]");
                    }
                    let downstream = p
                        .downstream
                        .and_then(|d| s.pipelines.iter().find(|q| q.id == d))
                        .map(|d| s.pipeline_json(d));
                    let bridge = json!({
                        "id": pipeline * 1000,
                        "name": "trigger-production",
                        "status": if downstream.is_some() { "success" } else { "created" },
                        "downstream_pipeline": downstream,
                    });
                    Response::json(200, json!([bridge]).to_string())
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/jobs/:job_id/play",
                "POST /projects/:id/jobs/:job_id/play (doc/api/jobs.md, Run a job: manual jobs only, else 400)",
                authed(&state, |s, req| {
                    let id = id_param(req, "job_id");
                    let Some(job) = s.jobs.iter_mut().find(|j| j.id == id) else {
                        return not_found("Job");
                    };
                    if job.status != "manual" {
                        return Response::json(400, r#"{"message":"400 Bad request - Unplayable Job"}"#);
                    }
                    let (job_id, required) = (job.id, s.setup.required_approvals);
                    if let Some(d) = s.deployments.iter().find(|d| d.job == job_id) {
                        if s.approved(d) < required {
                            // The job of a protected environment waits for its approvals
                            // (doc/ci/environments/deployment_approvals.md); the fake refuses the play.
                            return Response::json(403, r#"{"message":"403 Forbidden - the deployment is blocked until it is approved"}"#);
                        }
                    }
                    let Some(job) = s.jobs.iter_mut().find(|j| j.id == id) else {
                        return not_found("Job");
                    };
                    job.status = "pending".into();
                    let job = job.clone();
                    Response::json(200, s.job_json(&job).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/jobs/:job_id/play",
                "POST only: doc/api/jobs.md, Run a job",
                authed(&state, |_, _| method_not_allowed()),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/jobs/:job_id",
                "GET /projects/:id/jobs/:job_id (doc/api/jobs.md, Get a single job)",
                authed(&state, |s, req| {
                    let id = id_param(req, "job_id");
                    s.advance(id);
                    match s.jobs.iter().find(|j| j.id == id) {
                        Some(job) => Response::json(200, s.job_json(job).to_string()),
                        None => not_found("Job"),
                    }
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/jobs/:job_id/trace",
                "GET /projects/:id/jobs/:job_id/trace (doc/api/jobs.md, Get a log file)",
                authed(&state, |s, req| {
                    let id = id_param(req, "job_id");
                    match s.jobs.iter().find(|j| j.id == id) {
                        Some(job) => Response::text(
                            200,
                            format!(
                                "\u{1b}[0KRunning with gitlab-runner\nchecking out release\ndeploying {}\nerror: health check failed\r\n",
                                job.name
                            ),
                        ),
                        None => not_found("Job"),
                    }
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/merge_requests",
                "POST /projects/:id/merge_requests (doc/api/merge_requests.md, Create MR: `source_branch`, `target_branch`, `title` required; 409 when an open MR of the same branches exists)",
                authed(&state, |s, req| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    for required in ["source_branch", "target_branch", "title"] {
                        if field(&body, required).is_none() {
                            return Response::json(400, json!({ "error": format!("{required} is missing") }).to_string());
                        }
                    }
                    let source = field(&body, "source_branch").unwrap_or_default().to_string();
                    let target = field(&body, "target_branch").unwrap_or_default().to_string();
                    if let Some(open) = s
                        .merge_requests
                        .iter()
                        .find(|m| m.state == "opened" && m.source_branch == source && m.target_branch == target)
                    {
                        return Response::json(
                            409,
                            json!({ "message": [format!("Another open merge request already exists for this source branch: !{}", open.iid)] })
                                .to_string(),
                        );
                    }
                    let iid = s.merge_requests.iter().map(|m| m.iid).max().unwrap_or(0) + 1;
                    let mr = FakeMergeRequest {
                        iid,
                        title: field(&body, "title").unwrap_or_default().to_string(),
                        description: body["description"].as_str().unwrap_or_default().to_string(),
                        source_branch: source,
                        target_branch: target,
                        labels: labels_of(&body["labels"]),
                        remove_source_branch: body["remove_source_branch"].as_bool().unwrap_or(false),
                        state: "opened".into(),
                        merge_commit_sha: None,
                    };
                    s.merge_requests.push(mr.clone());
                    Response::json(201, merge_request_json(req, &mr).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/merge_requests",
                "GET /projects/:id/merge_requests (doc/api/merge_requests.md, List project merge requests: `state`, `source_branch`, `target_branch` filter)",
                authed(&state, |s, req| {
                    let state = query_value(req, "state");
                    let source = query_value(req, "source_branch");
                    let target = query_value(req, "target_branch");
                    let list: Vec<Value> = s
                        .merge_requests
                        .iter()
                        .filter(|m| state.as_deref().is_none_or(|v| v == "all" || m.state == v))
                        .filter(|m| source.as_deref().is_none_or(|v| m.source_branch == v))
                        .filter(|m| target.as_deref().is_none_or(|v| m.target_branch == v))
                        .map(|m| merge_request_json(req, m))
                        .collect();
                    Response::json(200, Value::Array(list).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/merge_requests/:merge_request_iid",
                "GET /projects/:id/merge_requests/:merge_request_iid (doc/api/merge_requests.md, Get single MR: `state`, `merge_commit_sha`, `squash_commit_sha`)",
                authed(&state, |s, req| {
                    let iid = id_param(req, "merge_request_iid");
                    match s.merge_requests.iter().find(|m| m.iid == iid) {
                        Some(mr) => Response::json(200, merge_request_json(req, mr).to_string()),
                        None => not_found("Merge Request"),
                    }
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/pipelines",
                "GET /projects/:id/pipelines (doc/api/pipelines.md, List project pipelines: `sha`, `ref`, `order_by`, `sort`)",
                authed(&state, |s, req| {
                    let sha = query_value(req, "sha");
                    let git_ref = query_value(req, "ref");
                    let ascending = query_value(req, "sort").as_deref() == Some("asc");
                    let mut listed: Vec<&FakePipeline> = s
                        .pipelines
                        .iter()
                        .filter(|p| {
                            let c = p.commit.as_ref();
                            sha.as_ref().is_none_or(|sha| c.is_some_and(|c| &c.sha == sha))
                                && git_ref.as_ref().is_none_or(|r| c.is_some_and(|c| &c.git_ref == r))
                        })
                        .collect();
                    // GitLab's default order is `id` descending.
                    listed.sort_by_key(|p| std::cmp::Reverse(p.id));
                    if ascending {
                        listed.reverse();
                    }
                    let list: Vec<Value> = listed.into_iter().map(|p| s.pipeline_json(p)).collect();
                    Response::json(200, Value::Array(list).to_string())
                }),
            )
            .route(
                "PUT",
                "/api/v4/projects/:id/merge_requests/:merge_request_iid",
                "PUT /projects/:id/merge_requests/:merge_request_iid (doc/api/merge_requests.md, Update MR: `remove_labels`, `add_labels` comma-separated)",
                authed(&state, |s, req| {
                    let iid = id_param(req, "merge_request_iid");
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    let Some(mr) = s.merge_requests.iter_mut().find(|m| m.iid == iid) else {
                        return not_found("Merge Request");
                    };
                    let removed = labels_of(&body["remove_labels"]);
                    mr.labels.retain(|l| !removed.contains(l));
                    for label in labels_of(&body["add_labels"]) {
                        if !mr.labels.contains(&label) {
                            mr.labels.push(label);
                        }
                    }
                    let mr = mr.clone();
                    Response::json(200, merge_request_json(req, &mr).to_string())
                }),
            )
            .route(
                "POST",
                "/api/v4/projects/:id/releases",
                "POST /projects/:id/releases (doc/api/releases/index.md, Create a release: `tag_name` required; `ref` when the tag does not exist, else 422 \"Ref is not specified\"; 409 \"Release already exists\")",
                authed(&state, |s, req| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
                    let Some(tag) = field(&body, "tag_name").map(String::from) else {
                        return Response::json(400, r#"{"error":"tag_name is missing"}"#);
                    };
                    if s.releases.iter().any(|r| r.tag_name == tag) {
                        return Response::json(409, r#"{"message":"Release already exists"}"#);
                    }
                    if !tag_exists(&s.setup, &tag) && field(&body, "ref").is_none() {
                        return Response::json(422, r#"{"message":"Ref is not specified"}"#);
                    }
                    let release = FakeRelease {
                        name: field(&body, "name").unwrap_or(&tag).to_string(),
                        description: body["description"].as_str().unwrap_or_default().to_string(),
                        tag_name: tag,
                    };
                    s.releases.push(release.clone());
                    Response::json(201, release_json(req, &release).to_string())
                }),
            )
            .route(
                "GET",
                "/api/v4/projects/:id/releases/:tag_name",
                "GET /projects/:id/releases/:tag_name (doc/api/releases/index.md, Get a release by a tag name)",
                authed(&state, |s, req| {
                    let tag = percent_decode(req.param("tag_name").unwrap_or_default());
                    match s.releases.iter().find(|r| r.tag_name == tag) {
                        Some(r) => Response::json(200, release_json(req, r).to_string()),
                        None => Response::json(404, r#"{"message":"404 Not Found"}"#),
                    }
                }),
            )
            .start()?;
        Ok(FakeGitLab { server, state })
    }

    /// Returns the URL to put in `[forge] url`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Returns the jobs as they stand.
    pub fn jobs(&self) -> Vec<FakeJob> {
        lock(&self.state).jobs.clone()
    }

    /// Returns the issues as they stand.
    pub fn issues(&self) -> Vec<FakeIssue> {
        lock(&self.state).issues.clone()
    }

    /// Returns the notes on issues as they stand.
    pub fn notes(&self) -> Vec<FakeNote> {
        lock(&self.state).notes.clone()
    }

    /// Makes notes on issues answer 500 (`true`) or work again.
    pub fn fail_notes(&self, fail: bool) {
        lock(&self.state).setup.notes_fail = fail;
    }

    /// Makes the job named `job` fail when it next runs (`None`: no job fails).
    pub fn fail_job(&self, job: Option<&str>) {
        lock(&self.state).setup.failing_job = job.map(str::to_string);
    }

    /// Records an approval of deployment `id` by the user of `token`, as
    /// that person approving it on GitLab's page would.
    pub fn approve_on_page(&self, id: u64, token: &str) {
        let mut s = lock(&self.state);
        let Some(user) = s.setup.users.iter().find(|u| u.token == token).cloned() else {
            return;
        };
        if let Some(d) = s.deployments.iter_mut().find(|d| d.id == id) {
            d.approvals.push(FakeApproval {
                user,
                status: "approved".into(),
                comment: None,
                created_at: "2026-12-01T16:00:00.000Z".into(),
            });
        }
    }

    /// Returns the deployments the deploy jobs made, with their approvals.
    pub fn deployments(&self) -> Vec<FakeDeployment> {
        lock(&self.state).deployments.clone()
    }

    /// Sets merge request `iid`'s `state` (`merged`, `closed`), as a person on GitLab would.
    pub fn set_merge_request_state(&self, iid: u64, state: &str) {
        if let Some(mr) = lock(&self.state).merge_requests.iter_mut().find(|m| m.iid == iid) {
            mr.state = state.to_string();
        }
    }

    /// Returns the merge requests as they stand.
    pub fn merge_requests(&self) -> Vec<FakeMergeRequest> {
        lock(&self.state).merge_requests.clone()
    }

    /// Returns the releases as they stand.
    pub fn releases(&self) -> Vec<FakeRelease> {
        lock(&self.state).releases.clone()
    }

    /// Returns the requests with `method` whose path ends with `suffix`.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }
}
