//! A fake GitHub REST API (Enterprise Server's `/api/v3` base) for one
//! repository, stateful as a hotfix drives it: deployments and their
//! statuses, a dispatched workflow whose run's jobs move `queued` →
//! `in_progress` → `completed` as the run is polled, a job deploying to an
//! environment with reviewers waiting in `pending_deployments` until
//! approved (and, with [`ReleaseDeploy`], shipping a branch to a local
//! production service as a new deployment when it succeeds), pull requests (a second one for the same head is refused with
//! 422), issues with labels and comments, releases, commit comments (the
//! approvals of `[approvals] verify = "forge"`), and users: each token is a
//! [`FakeUser`], with the `X-OAuth-Scopes` a classic token sends (none for
//! a fine-grained one) and whether it is a required reviewer of the
//! environments.
//!
//! It rejects what GitHub rejects: no `Authorization` → 401 "Requires
//! authentication", a wrong token → 401 "Bad credentials", a request body
//! missing a property the OpenAPI description requires → 422, a method or
//! path GitHub does not have → 404 "Not Found" (as GitHub answers). Every
//! route is an operation of [`crate::openapi::Subset::github`] and names its
//! docs.github.com page.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::http::{Request, Response, Server};
use crate::openapi::{body_violations, Subset};
pub use crate::release_deploy::ReleaseDeploy;

/// The API base under the server's URL.
pub const API_PREFIX: &str = "/api/v3";

/// The route the job-log redirect points to: a signed blob URL, not an API operation.
pub const LOG_DOWNLOAD_ROUTE: &str = "/_signed/job-logs/:job_id";

/// What a job of a workflow does when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeJob {
    pub name: String,
    /// The environment it deploys to; with reviewers, it waits for approval.
    pub environment: Option<String>,
    pub succeeds: bool,
    pub log: String,
}

impl FakeJob {
    /// Returns a job that succeeds.
    pub fn passing(name: &str) -> FakeJob {
        FakeJob {
            name: name.to_string(),
            environment: None,
            succeeds: true,
            log: format!("{name}: done\n"),
        }
    }

    /// Returns a job that fails with `log`.
    pub fn failing(name: &str, log: &str) -> FakeJob {
        FakeJob {
            succeeds: false,
            log: log.to_string(),
            ..FakeJob::passing(name)
        }
    }

    /// Returns the job deploying to `environment`, gated by its reviewers.
    pub fn deploying_to(mut self, environment: &str) -> FakeJob {
        self.environment = Some(environment.to_string());
        self
    }
}

/// The head commit of every run (the fake runs no git).
pub const HEAD_SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// A user of the fake GitHub, known by the token it is asked with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeUser {
    pub token: String,
    pub id: u64,
    pub login: String,
    /// What `GET /user` sends as `X-OAuth-Scopes` (a classic token,
    /// `"repo, workflow"`); `None` for a fine-grained token, which sends none.
    pub scopes: Option<String>,
    /// Whether the user is one of the environments' required reviewers.
    pub reviewer: bool,
}

impl FakeUser {
    /// Returns a fine-grained token's user who reviews the environments.
    pub fn reviewer(token: &str, id: u64, login: &str) -> FakeUser {
        FakeUser {
            token: token.to_string(),
            id,
            login: login.to_string(),
            scopes: None,
            reviewer: true,
        }
    }
}

/// A commit comment: (id, sha, author's user index, body, created_at).
type CommitComment = (u64, String, usize, String, String);

#[derive(Debug)]
struct JobState {
    id: u64,
    spec: FakeJob,
    /// `queued`, `waiting`, `in_progress`, `completed`.
    status: &'static str,
    conclusion: Option<&'static str>,
    review: Option<&'static str>,
}

#[derive(Debug)]
struct RunState {
    id: u64,
    workflow: String,
    git_ref: String,
    inputs: Value,
    created_at: String,
    jobs: Vec<JobState>,
}

impl RunState {
    /// Moves the first unfinished job one step, as time passing between
    /// polls would; returns the job that has just succeeded, if one has.
    fn advance(&mut self) -> Option<FakeJob> {
        let job = self.jobs.iter_mut().find(|j| j.status != "completed")?;
        match job.status {
            "queued" if job.spec.environment.is_some() && job.review.is_none() => job.status = "waiting",
            "queued" => job.status = "in_progress",
            "waiting" => match job.review {
                Some("approved") => job.status = "in_progress",
                Some(_) => {
                    job.status = "completed";
                    job.conclusion = Some("failure");
                }
                None => {}
            },
            "in_progress" => {
                job.status = "completed";
                job.conclusion = Some(if job.spec.succeeds { "success" } else { "failure" });
            }
            _ => {}
        }
        let succeeded = (job.conclusion == Some("success")).then(|| job.spec.clone());
        if job.conclusion == Some("failure") {
            for later in self.jobs.iter_mut().filter(|j| j.status != "completed") {
                later.status = "completed";
                later.conclusion = Some("skipped");
            }
        }
        succeeded
    }

    fn status(&self) -> (&'static str, Option<&'static str>) {
        if self.jobs.iter().all(|j| j.status == "completed") {
            let failed = self.jobs.iter().any(|j| j.conclusion == Some("failure"));
            return ("completed", Some(if failed { "failure" } else { "success" }));
        }
        if self.jobs.iter().any(|j| j.status == "waiting") {
            return ("waiting", None);
        }
        if self.jobs.iter().all(|j| j.status == "queued") {
            return ("queued", None);
        }
        ("in_progress", None)
    }
}

#[derive(Debug, Default)]
struct State {
    base_url: String,
    owner: String,
    repo: String,
    now: String,
    next_id: u64,
    next_number: u64,
    return_run_details: bool,
    /// The first is the token `start` names (`olly`).
    users: Vec<FakeUser>,
    /// The user of the request being answered.
    current: usize,
    commit_comments: Vec<CommitComment>,
    /// (id, environment, sha, statuses oldest first).
    deployments: Vec<(u64, String, String, Vec<String>)>,
    environments: BTreeMap<String, u64>,
    workflows: BTreeMap<String, Vec<FakeJob>>,
    runs: Vec<RunState>,
    /// (number, head, base, open).
    pulls: Vec<(u64, String, String, bool)>,
    /// Issue and pull request numbers with their labels.
    labels: BTreeMap<u64, Vec<String>>,
    issues: Vec<u64>,
    comments: Vec<(u64, u64, String)>,
    releases: Vec<(u64, String, String)>,
    /// Statuses the next API requests are answered with, before any route.
    faults: Vec<u16>,
    /// What the deploy job's runner ships when it succeeds.
    deploys: Option<ReleaseDeploy>,
    /// Merged pull requests: (number, base, merge_commit_sha).
    merged_pulls: Vec<(u64, String, String)>,
    /// Check runs by commit: (sha, status, conclusion).
    check_runs: Vec<(String, String, Option<String>)>,
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn web(&self, rest: &str) -> String {
        format!("{}/{}/{}/{rest}", self.base_url, self.owner, self.repo)
    }

    fn api(&self, rest: &str) -> String {
        format!(
            "{}{API_PREFIX}/repos/{}/{}/{rest}",
            self.base_url, self.owner, self.repo
        )
    }

    /// Returns the environments' required reviewers, as pending deployments
    /// and an environment's `required_reviewers` protection rule list them.
    fn reviewers(&self) -> Vec<Value> {
        self.users
            .iter()
            .filter(|u| u.reviewer)
            .map(|u| json!({ "type": "User", "reviewer": { "id": u.id, "login": u.login } }))
            .collect()
    }

    /// Ships the release when `job` is the deploy job: the shipped tip is
    /// a new deployment of the job's environment, its newest successful one.
    fn ship(&mut self, job: &FakeJob) {
        let Some(sha) = self.deploys.as_ref().and_then(|d| d.ship(&job.name)) else {
            return;
        };
        let environment = job.environment.clone().unwrap_or_else(|| "production".to_string());
        let id = self.id();
        self.environment_id(&environment);
        let statuses = vec!["in_progress".to_string(), "success".to_string()];
        self.deployments.push((id, environment, sha, statuses));
    }

    fn environment_id(&mut self, name: &str) -> u64 {
        if let Some(id) = self.environments.get(name) {
            return *id;
        }
        let id = self.id() + 160_000_000;
        self.environments.insert(name.to_string(), id);
        id
    }
}

/// The fake GitHub; dropping it stops the server.
pub struct FakeGitHub {
    server: Server,
    state: Arc<Mutex<State>>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// GitHub's error body.
fn error(status: u16, message: &str, docs: &str) -> Response {
    Response::json(
        status,
        json!({ "message": message, "documentation_url": docs, "status": status.to_string() }).to_string(),
    )
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query.as_deref()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn number(req: &Request, name: &str) -> Option<u64> {
    req.param(name)?.parse().ok()
}

fn body(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap_or(Value::Null)
}

impl FakeGitHub {
    /// Starts a fake GitHub for `owner/repo` answering requests with `token`.
    ///
    /// # Panics
    /// When no loopback port can be bound, or `project` is not `owner/repo`.
    pub fn start(project: &str, token: &str) -> FakeGitHub {
        let (owner, repo) = project.split_once('/').expect("a project is owner/repo");
        let state: Shared = Arc::new(Mutex::new(State {
            owner: owner.to_string(),
            repo: repo.to_string(),
            now: "2026-12-01T09:00:00Z".to_string(),
            next_id: 1000,
            next_number: 40,
            return_run_details: true,
            users: vec![FakeUser::reviewer(token, 583231, "olly")],
            ..State::default()
        }));
        let subset = Arc::new(Subset::github());
        let mut builder = Server::builder();
        for (method, path, doc, handler) in routes() {
            let state = state.clone();
            let subset = subset.clone();
            let full = format!("{API_PREFIX}{path}");
            builder = builder.route(method, &full, doc, move |req: &Request| {
                guarded(&state, &subset, req, handler)
            });
        }
        let downloads = state.clone();
        builder = builder.route(
            "GET",
            LOG_DOWNLOAD_ROUTE,
            "the signed URL \"Download job logs for a workflow run\" redirects to (no token: the URL authorizes itself)",
            move |req: &Request| {
                let state = lock(&downloads);
                let job = number(req, "job_id");
                match state.runs.iter().flat_map(|r| &r.jobs).find(|j| Some(j.id) == job) {
                    Some(job) => Response::text(200, job.spec.log.clone()),
                    None => Response::text(404, "BlobNotFound"),
                }
            },
        );
        let not_found = Response::json(
            404,
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
        );
        let server = builder
            .fallback(
                "GitHub's answer to a method or path it does not have",
                move |_: &Request| not_found.clone(),
            )
            .start()
            .expect("a loopback port");
        lock(&state).base_url = server.url();
        FakeGitHub { server, state }
    }

    /// Returns the server's URL, `http://127.0.0.1:<port>`: `[forge] url` for GitHub Enterprise Server.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Returns the API base, `{url}/api/v3`.
    pub fn api_url(&self) -> String {
        format!("{}{API_PREFIX}", self.server.url())
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Returns every request received, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// Adds a deployment of `sha` to `environment` with `statuses` (oldest
    /// first: `["in_progress", "success"]`); returns its id.
    pub fn add_deployment(&self, environment: &str, sha: &str, statuses: &[&str]) -> u64 {
        let mut state = lock(&self.state);
        let id = state.id();
        state.environment_id(environment);
        state.deployments.push((
            id,
            environment.to_string(),
            sha.to_string(),
            statuses.iter().map(|s| s.to_string()).collect(),
        ));
        id
    }

    /// Defines the workflow `name` (its file name) and the jobs of each run.
    pub fn add_workflow(&self, name: &str, jobs: Vec<FakeJob>) {
        let mut state = lock(&self.state);
        for env in jobs.iter().filter_map(|j| j.environment.clone()) {
            state.environment_id(&env);
        }
        state.workflows.insert(name.to_string(), jobs);
    }

    /// Makes the deploy job's runner ship `deploy` when the job succeeds.
    pub fn deploys(&self, deploy: ReleaseDeploy) {
        lock(&self.state).deploys = Some(deploy);
    }

    /// Makes a dispatch answer 204 without the run, as a server without
    /// `return_run_details` does.
    pub fn without_run_details(&self) {
        lock(&self.state).return_run_details = false;
    }

    /// Makes the token's user no reviewer of any environment: pending
    /// deployments say `current_user_can_approve: false`.
    pub fn without_reviewer_rights(&self) {
        lock(&self.state).users[0].reviewer = false;
    }

    /// Adds a user answering with its own token.
    pub fn add_user(&self, user: FakeUser) {
        lock(&self.state).users.push(user);
    }

    /// Sets what `GET /user` sends as `X-OAuth-Scopes` for `start`'s token
    /// (`None`: a fine-grained token, which sends none).
    pub fn set_scopes(&self, scopes: Option<&str>) {
        lock(&self.state).users[0].scopes = scopes.map(str::to_string);
    }

    /// Adds an environment with no deployment yet; returns its id.
    pub fn add_environment(&self, name: &str) -> u64 {
        lock(&self.state).environment_id(name)
    }

    /// Adds an issue `number` someone opened, with `labels`.
    pub fn add_issue(&self, number: u64, labels: &[&str]) {
        let mut state = lock(&self.state);
        state.issues.push(number);
        state
            .labels
            .insert(number, labels.iter().map(|l| l.to_string()).collect());
    }

    /// Returns the issues opened or added: (number, labels).
    pub fn issues(&self) -> Vec<(u64, Vec<String>)> {
        let state = lock(&self.state);
        state
            .issues
            .iter()
            .map(|n| (*n, state.labels.get(n).cloned().unwrap_or_default()))
            .collect()
    }

    /// Returns the commit comments: (sha, author's login, body).
    pub fn commit_comments(&self) -> Vec<(String, String, String)> {
        let state = lock(&self.state);
        state
            .commit_comments
            .iter()
            .map(|(_, sha, user, body, _)| (sha.clone(), state.users[*user].login.clone(), body.clone()))
            .collect()
    }

    /// Returns the jobs of the newest run: (id, name, status as
    /// [`FakeGitHub::job_status`] words it, page).
    pub fn jobs(&self) -> Vec<(u64, String, String, String)> {
        let state = lock(&self.state);
        let Some(run) = state.runs.last() else {
            return Vec::new();
        };
        run.jobs
            .iter()
            .map(|j| {
                let page = state.web(&format!("actions/runs/{}/job/{}", run.id, j.id));
                (
                    j.id,
                    j.spec.name.clone(),
                    j.conclusion.unwrap_or(j.status).to_string(),
                    page,
                )
            })
            .collect()
    }

    /// Returns the deployments, oldest first: (id, environment, sha, statuses oldest first).
    pub fn deployments(&self) -> Vec<(u64, String, String, Vec<String>)> {
        lock(&self.state).deployments.clone()
    }

    /// Returns the status of the job called `name` of the newest run, as GitHub words it.
    pub fn job_status(&self, name: &str) -> Option<String> {
        let state = lock(&self.state);
        let run = state.runs.last()?;
        run.jobs
            .iter()
            .find(|j| j.spec.name == name)
            .map(|j| j.conclusion.unwrap_or(j.status).to_string())
    }

    /// Answers the next API requests with `statuses` in turn (a 502 from the
    /// load balancer, a 500), whatever they ask; the requests change nothing.
    pub fn fail_next(&self, statuses: &[u16]) {
        lock(&self.state).faults.extend_from_slice(statuses);
    }

    /// Sets the time new runs are created at (`2026-12-01T09:00:00Z`).
    pub fn set_now(&self, now: &str) {
        lock(&self.state).now = now.to_string();
    }

    /// Adds pull request `number`, merged into `base` as `sha`.
    pub fn add_merged_pull(&self, number: u64, base: &str, sha: &str) {
        lock(&self.state)
            .merged_pulls
            .push((number, base.to_string(), sha.to_string()));
    }

    /// Adds a check run of commit `sha` (`completed`, `success` / `failure`).
    pub fn add_check_run(&self, sha: &str, status: &str, conclusion: Option<&str>) {
        lock(&self.state)
            .check_runs
            .push((sha.to_string(), status.to_string(), conclusion.map(str::to_string)));
    }

    /// Opens a pull request from `head` into `base` as someone else did; returns its number.
    pub fn add_open_pull(&self, head: &str, base: &str) -> u64 {
        let mut state = lock(&self.state);
        state.next_number += 1;
        let number = state.next_number;
        state.pulls.push((number, head.to_string(), base.to_string(), true));
        number
    }

    /// Returns the runs dispatched: (id, workflow, ref, inputs).
    pub fn runs(&self) -> Vec<(u64, String, String, Value)> {
        lock(&self.state)
            .runs
            .iter()
            .map(|r| (r.id, r.workflow.clone(), r.git_ref.clone(), r.inputs.clone()))
            .collect()
    }

    /// Returns the labels of issue or pull request `number`.
    pub fn labels(&self, number: u64) -> Vec<String> {
        lock(&self.state).labels.get(&number).cloned().unwrap_or_default()
    }

    /// Returns the pull requests: (number, head, base).
    pub fn pulls(&self) -> Vec<(u64, String, String)> {
        lock(&self.state)
            .pulls
            .iter()
            .map(|(n, h, b, _)| (*n, h.clone(), b.clone()))
            .collect()
    }

    /// Returns the comments: (issue number, comment id, body).
    pub fn comments(&self) -> Vec<(u64, u64, String)> {
        lock(&self.state).comments.clone()
    }
}

type Handle = fn(&mut State, &Request) -> Response;

/// Checks what GitHub checks before any route: the token, then the body
/// against the operation's required properties.
fn guarded(state: &Shared, subset: &Subset, req: &Request, handler: Handle) -> Response {
    let mut state = lock(state);
    if !state.faults.is_empty() {
        let status = state.faults.remove(0);
        return match status {
            502 => Response::text(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            status => error(status, "Server Error", "https://docs.github.com/rest"),
        };
    }
    let Some(value) = req.header("authorization") else {
        return error(401, "Requires authentication", "https://docs.github.com/rest");
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("token "))
        .unwrap_or_default();
    match state.users.iter().position(|u| u.token == token) {
        Some(user) => state.current = user,
        None => return error(401, "Bad credentials", "https://docs.github.com/rest"),
    }
    if let Some(op) = req
        .path
        .strip_prefix(API_PREFIX)
        .and_then(|path| subset.operation(&req.method, path))
    {
        if op.request_body.is_some() {
            let wrong: Vec<String> = body_violations(op, &req.body)
                .into_iter()
                .filter(|w| w.contains("required") || w.contains("JSON object") || !schema_open(op))
                .collect();
            if !wrong.is_empty() {
                return error(
                    422,
                    &format!("Invalid request.\n\n{}", wrong.join("\n")),
                    op.docs.as_deref().unwrap_or("https://docs.github.com/rest"),
                );
            }
        }
    }
    let other_repo = req.param("owner") != Some(state.owner.as_str()) || req.param("repo") != Some(state.repo.as_str());
    if other_repo && req.path != format!("{API_PREFIX}/user") {
        return error(404, "Not Found", "https://docs.github.com/rest");
    }
    handler(&mut state, req)
}

/// True when the description allows properties it does not name (as all
/// the operations used do): GitHub ignores those rather than refuse them.
fn schema_open(op: &crate::openapi::Operation) -> bool {
    op.request_body
        .as_ref()
        .is_some_and(|b| b.alternatives.iter().any(|a| a.additional_properties))
}

fn routes() -> Vec<(&'static str, &'static str, &'static str, Handle)> {
    vec![
        (
            "GET",
            "/user",
            "Get the authenticated user (docs.github.com/rest/users/users#get-the-authenticated-user)",
            |state, _| {
                let user = &state.users[state.current];
                let answer = Response::json(
                    200,
                    json!({
                        "id": user.id, "login": user.login, "name": format!("{} (fake)", user.login),
                        "html_url": format!("https://github.com/{}", user.login),
                    })
                    .to_string(),
                );
                // Classic tokens only: docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps.
                match &user.scopes {
                    Some(scopes) => answer.header("X-OAuth-Scopes", scopes),
                    None => answer,
                }
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo",
            "Get a repository (docs.github.com/rest/repos/repos#get-a-repository)",
            |state, _| {
                Response::json(
                    200,
                    json!({
                        "id": 1296269,
                        "full_name": format!("{}/{}", state.owner, state.repo),
                        "default_branch": "main",
                        "html_url": state.web("").trim_end_matches('/'),
                    })
                    .to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/deployments",
            "List deployments (docs.github.com/rest/deployments/deployments#list-deployments): newest first, `environment` filters",
            |state, req| {
                let environment = query_param(req, "environment");
                let listed: Vec<Value> = state
                    .deployments
                    .iter()
                    .rev()
                    .filter(|(_, env, _, _)| environment.as_ref().is_none_or(|e| e == env))
                    .map(|(id, env, sha, _)| {
                        json!({
                            "id": id, "sha": sha, "ref": "release", "environment": env,
                            "created_at": state.now,
                            "url": state.api(&format!("deployments/{id}")),
                            "statuses_url": state.api(&format!("deployments/{id}/statuses")),
                        })
                    })
                    .collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/deployments/:deployment_id/statuses",
            "List deployment statuses (docs.github.com/rest/deployments/statuses#list-deployment-statuses): newest first",
            |state, req| {
                let id = number(req, "deployment_id");
                let Some((_, env, _, statuses)) = state.deployments.iter().find(|d| Some(d.0) == id) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/deployments/statuses#list-deployment-statuses");
                };
                let per_page = query_param(req, "per_page").and_then(|p| p.parse().ok()).unwrap_or(30);
                let listed: Vec<Value> = statuses
                    .iter()
                    .enumerate()
                    .rev()
                    .take(per_page)
                    .map(|(i, s)| {
                        json!({
                            "id": 9000 + i, "state": s, "created_at": state.now,
                            "environment_url": format!("https://{env}.example.com"), "log_url": "",
                        })
                    })
                    .collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/actions/workflows/:workflow_id/dispatches",
            "Create a workflow dispatch event (docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event): 200 with the run when `return_run_details`, else 204",
            |state, req| {
                let workflow = req.param("workflow_id").unwrap_or_default().to_string();
                let Some(jobs) = state.workflows.get(&workflow).cloned() else {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event");
                };
                let body = body(req);
                let id = state.id();
                let jobs = (0u64..)
                    .zip(jobs)
                    .map(|(i, spec)| JobState {
                        id: id * 100 + i,
                        spec,
                        status: "queued",
                        conclusion: None,
                        review: None,
                    })
                    .collect();
                let created_at = state.now.clone();
                state.runs.push(RunState {
                    id,
                    workflow,
                    git_ref: body["ref"].as_str().unwrap_or_default().to_string(),
                    inputs: body["inputs"].clone(),
                    created_at,
                    jobs,
                });
                if state.return_run_details && body["return_run_details"] == json!(true) {
                    return Response::json(
                        200,
                        json!({
                            "workflow_run_id": id,
                            "run_url": state.api(&format!("actions/runs/{id}")),
                            "html_url": state.web(&format!("actions/runs/{id}")),
                        })
                        .to_string(),
                    );
                }
                Response::new(204)
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/workflows/:workflow_id/runs",
            "List workflow runs for a workflow (docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow)",
            |state, req| {
                let workflow = req.param("workflow_id").unwrap_or_default();
                let branch = query_param(req, "branch");
                let runs: Vec<Value> = state
                    .runs
                    .iter()
                    .rev()
                    .filter(|r| r.workflow == workflow && branch.as_ref().is_none_or(|b| *b == r.git_ref))
                    .map(|r| json!({ "id": r.id, "created_at": r.created_at, "event": "workflow_dispatch" }))
                    .collect();
                Response::json(200, json!({ "total_count": runs.len(), "workflow_runs": runs }).to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/runs/:run_id",
            "Get a workflow run (docs.github.com/rest/actions/workflow-runs#get-a-workflow-run): each read moves the run on",
            |state, req| {
                let id = number(req, "run_id");
                let web = state.web(&format!("actions/runs/{}", id.unwrap_or(0)));
                let Some(run) = state.runs.iter_mut().find(|r| Some(r.id) == id) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run");
                };
                let succeeded = run.advance();
                let (status, conclusion) = run.status();
                let answer = json!({
                    "id": run.id, "status": status, "conclusion": conclusion, "html_url": web,
                    "head_sha": HEAD_SHA, "created_at": run.created_at,
                });
                if let Some(job) = succeeded {
                    state.ship(&job);
                }
                Response::json(200, answer.to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/runs/:run_id/jobs",
            "List jobs for a workflow run (docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run)",
            |state, req| {
                let id = number(req, "run_id");
                let web = state.web("actions/runs");
                let Some(run) = state.runs.iter().find(|r| Some(r.id) == id) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run");
                };
                let jobs: Vec<Value> = run
                    .jobs
                    .iter()
                    .map(|j| {
                        json!({
                            "id": j.id, "name": j.spec.name, "status": j.status, "conclusion": j.conclusion,
                            "html_url": format!("{web}/{}/job/{}", run.id, j.id),
                        })
                    })
                    .collect();
                Response::json(200, json!({ "total_count": jobs.len(), "jobs": jobs }).to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/runs/:run_id/pending_deployments",
            "Get pending deployments for a workflow run (docs.github.com/rest/actions/workflow-runs#get-pending-deployments-for-a-workflow-run)",
            |state, req| {
                let id = number(req, "run_id");
                let environments = state.environments.clone();
                let reviewers = state.reviewers();
                let can_approve = state.users[state.current].reviewer;
                let Some(run) = state.runs.iter().find(|r| Some(r.id) == id) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-runs#get-pending-deployments-for-a-workflow-run");
                };
                let pending: Vec<Value> = run
                    .jobs
                    .iter()
                    .filter(|j| j.status == "waiting" && j.review.is_none())
                    .filter_map(|j| j.spec.environment.as_ref())
                    .map(|env| {
                        json!({
                            "environment": { "id": environments.get(env), "name": env },
                            "wait_timer": 0, "wait_timer_started_at": null,
                            "current_user_can_approve": can_approve,
                            "reviewers": reviewers,
                        })
                    })
                    .collect();
                Response::json(200, Value::Array(pending).to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/actions/runs/:run_id/pending_deployments",
            "Review pending deployments for a workflow run (docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run)",
            |state, req| {
                let docs = "https://docs.github.com/rest/actions/workflow-runs#review-pending-deployments-for-a-workflow-run";
                let id = number(req, "run_id");
                let body = body(req);
                let review: &'static str = match body["state"].as_str() {
                    Some("approved") => "approved",
                    Some("rejected") => "rejected",
                    _ => return error(422, "Invalid request.\n\n`state` is not approved or rejected", docs),
                };
                let ids: Vec<u64> = body["environment_ids"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
                let environments = state.environments.clone();
                let deployment_id = state.id();
                let Some(run) = state.runs.iter_mut().find(|r| Some(r.id) == id) else {
                    return error(404, "Not Found", docs);
                };
                let mut reviewed = Vec::new();
                for job in run.jobs.iter_mut().filter(|j| j.status == "waiting" && j.review.is_none()) {
                    let env = job.spec.environment.clone().unwrap_or_default();
                    if environments.get(&env).is_some_and(|e| ids.contains(e)) {
                        job.review = Some(review);
                        reviewed.push(json!({ "id": deployment_id, "environment": env }));
                    }
                }
                if reviewed.is_empty() {
                    return error(422, "No pending deployment requests to approve or reject", docs);
                }
                Response::json(200, Value::Array(reviewed).to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/jobs/:job_id/logs",
            "Download job logs for a workflow run (docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run): 302 to a signed URL",
            |state, req| {
                let id = number(req, "job_id");
                if !state.runs.iter().flat_map(|r| &r.jobs).any(|j| Some(j.id) == id) {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run");
                }
                let location = format!("{}/_signed/job-logs/{}?sig=s1gn3d", state.base_url, id.unwrap_or(0));
                Response::new(302).header("Location", &location)
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/pulls",
            "List pull requests (docs.github.com/rest/pulls/pulls#list-pull-requests): `head` is `owner:branch`",
            |state, req| {
                let head = query_param(req, "head");
                let base = query_param(req, "base");
                let open_only = query_param(req, "state").is_none_or(|s| s == "open");
                let owner = state.owner.clone();
                let listed: Vec<Value> = state
                    .pulls
                    .iter()
                    .filter(|(_, h, b, open)| {
                        (!open_only || *open)
                            && head.as_ref().is_none_or(|want| *want == format!("{owner}:{h}"))
                            && base.as_ref().is_none_or(|want| want == b)
                    })
                    .map(|(n, h, _, open)| {
                        json!({
                            "number": n, "html_url": state.web(&format!("pull/{n}")),
                            "state": if *open { "open" } else { "closed" }, "draft": false, "head": { "ref": h },
                        })
                    })
                    .collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/pulls",
            "Create a pull request (docs.github.com/rest/pulls/pulls#create-a-pull-request): 422 when one is open for the head",
            |state, req| {
                let body = body(req);
                let head = body["head"].as_str().unwrap_or_default().to_string();
                let base = body["base"].as_str().unwrap_or_default().to_string();
                if state.pulls.iter().any(|(_, h, b, open)| *open && *h == head && *b == base) {
                    let owner = state.owner.clone();
                    return Response::json(
                        422,
                        json!({
                            "message": "Validation Failed",
                            "errors": [{ "resource": "PullRequest", "code": "custom",
                                         "message": format!("A pull request already exists for {owner}:{head}.") }],
                            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                            "status": "422",
                        })
                        .to_string(),
                    );
                }
                state.next_number += 1;
                let n = state.next_number;
                state.pulls.push((n, head.clone(), base, true));
                Response::json(
                    201,
                    json!({
                        "number": n, "html_url": state.web(&format!("pull/{n}")), "state": "open",
                        "draft": body["draft"].as_bool().unwrap_or(false), "head": { "ref": head },
                    })
                    .to_string(),
                )
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/issues/:issue_number/labels",
            "Add labels to an issue (docs.github.com/rest/issues/labels#add-labels-to-an-issue)",
            |state, req| {
                let Some(n) = number(req, "issue_number").filter(|n| state.labels.contains_key(n) || state.pulls.iter().any(|p| p.0 == *n) || state.issues.contains(n)) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue");
                };
                let add: Vec<String> = body(req)["labels"].as_array().into_iter().flatten().filter_map(|l| l.as_str().map(str::to_string)).collect();
                let labels = state.labels.entry(n).or_default();
                for label in add {
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
                let listed: Vec<Value> = labels.iter().map(|l| json!({ "name": l })).collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "DELETE",
            "/repos/:owner/:repo/issues/:issue_number/labels/:name",
            "Remove a label from an issue (docs.github.com/rest/issues/labels#remove-a-label-from-an-issue): 404 when the issue does not have it",
            |state, req| {
                let name = req.param("name").unwrap_or_default().replace("%20", " ");
                let Some(labels) = number(req, "issue_number").and_then(|n| state.labels.get_mut(&n)) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue");
                };
                let Some(at) = labels.iter().position(|l| *l == name) else {
                    return error(404, "Label does not exist", "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue");
                };
                labels.remove(at);
                let listed: Vec<Value> = labels.iter().map(|l| json!({ "name": l })).collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/issues",
            "Create an issue (docs.github.com/rest/issues/issues#create-an-issue)",
            |state, req| {
                let body = body(req);
                state.next_number += 1;
                let n = state.next_number;
                state.issues.push(n);
                let labels: Vec<String> = body["labels"].as_array().into_iter().flatten().filter_map(|l| l.as_str().map(str::to_string)).collect();
                state.labels.insert(n, labels.clone());
                let listed: Vec<Value> = labels.iter().map(|l| json!({ "name": l })).collect();
                Response::json(
                    201,
                    json!({ "number": n, "html_url": state.web(&format!("issues/{n}")), "labels": listed }).to_string(),
                )
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/issues/:issue_number/comments",
            "Create an issue comment (docs.github.com/rest/issues/comments#create-an-issue-comment)",
            |state, req| {
                let Some(n) = number(req, "issue_number").filter(|n| state.issues.contains(n) || state.pulls.iter().any(|p| p.0 == *n)) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/issues/comments#create-an-issue-comment");
                };
                let id = state.id();
                let text = body(req)["body"].as_str().unwrap_or_default().to_string();
                state.comments.push((n, id, text));
                Response::json(
                    201,
                    json!({ "id": id, "html_url": state.web(&format!("issues/{n}#issuecomment-{id}")) }).to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/issues/:issue_number",
            "Get an issue (docs.github.com/rest/issues/issues#get-an-issue): a pull request is an issue with `pull_request`",
            |state, req| {
                let n = number(req, "issue_number");
                if let Some(n) = n.filter(|n| state.issues.contains(n)) {
                    return Response::json(200, json!({ "number": n, "html_url": state.web(&format!("issues/{n}")) }).to_string());
                }
                let Some(n) = n.filter(|n| state.pulls.iter().any(|p| p.0 == *n)) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/issues/issues#get-an-issue");
                };
                let page = state.web(&format!("pull/{n}"));
                Response::json(
                    200,
                    json!({ "number": n, "html_url": page, "pull_request": { "url": state.api(&format!("pulls/{n}")), "html_url": page } }).to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/actions/workflows/:workflow_id",
            "Get a workflow (docs.github.com/rest/actions/workflows#get-a-workflow): `workflow_id` is the file name or the id",
            |state, req| {
                let workflow = req.param("workflow_id").unwrap_or_default();
                let Some(index) = state.workflows.keys().position(|w| w == workflow) else {
                    return error(404, "Not Found", "https://docs.github.com/rest/actions/workflows#get-a-workflow");
                };
                Response::json(
                    200,
                    json!({ "id": 161_335 + index, "name": workflow, "path": format!(".github/workflows/{workflow}"), "state": "active" }).to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/environments/:environment_name",
            "Get an environment (docs.github.com/rest/deployments/environments#get-an-environment)",
            |state, req| {
                let name = percent_decode(req.param("environment_name").unwrap_or_default());
                let Some(id) = state.environments.get(&name).copied() else {
                    return error(404, "Not Found", "https://docs.github.com/rest/deployments/environments#get-an-environment");
                };
                let rules = json!([{ "id": 3755, "node_id": "MDQ6R2F0ZTM3NTU=", "type": "required_reviewers", "reviewers": state.reviewers() }]);
                Response::json(
                    200,
                    json!({ "id": id, "name": name, "html_url": state.web(&format!("deployments/activity_log?environments_filter={name}")), "protection_rules": rules }).to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/commits/:commit_sha/comments",
            "List commit comments (docs.github.com/rest/commits/comments#list-commit-comments), oldest first",
            |state, req| {
                let sha = req.param("commit_sha").unwrap_or_default();
                let listed: Vec<Value> = state
                    .commit_comments
                    .iter()
                    .filter(|c| c.1 == sha)
                    .map(|c| commit_comment_json(state, c))
                    .collect();
                Response::json(200, Value::Array(listed).to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/commits/:commit_sha/comments",
            "Create a commit comment (docs.github.com/rest/commits/comments#create-a-commit-comment): 422 for a commit the repository does not have",
            |state, req| {
                let sha = req.param("commit_sha").unwrap_or_default().to_string();
                if sha != HEAD_SHA {
                    return error(422, "No commit found for SHA", "https://docs.github.com/rest/commits/comments#create-a-commit-comment");
                }
                let id = state.id();
                let text = body(req)["body"].as_str().unwrap_or_default().to_string();
                let comment = (id, sha, state.current, text, state.now.clone());
                let answer = commit_comment_json(state, &comment);
                state.commit_comments.push(comment);
                Response::json(201, answer.to_string())
            },
        ),
        (
            "POST",
            "/repos/:owner/:repo/releases",
            "Create a release (docs.github.com/rest/releases/releases#create-a-release): 422 for a tag that has one",
            |state, req| {
                let body = body(req);
                let tag = body["tag_name"].as_str().unwrap_or_default().to_string();
                if state.releases.iter().any(|(_, t, _)| *t == tag) {
                    return Response::json(
                        422,
                        json!({
                            "message": "Validation Failed",
                            "errors": [{ "resource": "Release", "code": "already_exists", "field": "tag_name" }],
                            "documentation_url": "https://docs.github.com/rest/releases/releases#create-a-release",
                        })
                        .to_string(),
                    );
                }
                let id = state.id();
                let make_latest = body["make_latest"].as_str().unwrap_or("true").to_string();
                state.releases.push((id, tag.clone(), make_latest));
                Response::json(
                    201,
                    json!({ "id": id, "html_url": state.web(&format!("releases/tag/{tag}")), "tag_name": tag }).to_string(),
                )
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/releases/tags/:tag",
            "Get a release by tag name (docs.github.com/rest/releases/releases#get-a-release-by-tag-name): 404 when the tag has none",
            |state, req| {
                let tag = percent_decode(req.param("tag").unwrap_or_default());
                match state.releases.iter().find(|(_, t, _)| *t == tag) {
                    Some((id, tag, _)) => Response::json(
                        200,
                        json!({ "id": id, "html_url": state.web(&format!("releases/tag/{tag}")), "tag_name": tag }).to_string(),
                    ),
                    None => error(404, "Not Found", "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name"),
                }
            },
        ),
        // merge-main (issue 14).
        (
            "GET",
            "/repos/:owner/:repo/pulls/:pull_number",
            "Get a pull request (docs.github.com/rest/pulls/pulls#get-a-pull-request): `merged`, `merge_commit_sha`",
            |state, req| {
                let n = number(req, "pull_number");
                match state.merged_pulls.iter().find(|(number, _, _)| Some(*number) == n) {
                    Some((number, base, sha)) => Response::json(
                        200,
                        json!({
                            "number": number, "html_url": state.web(&format!("pull/{number}")),
                            "state": "closed", "merged": true, "merge_commit_sha": sha,
                            "base": { "ref": base },
                        })
                        .to_string(),
                    ),
                    None => error(404, "Not Found", "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"),
                }
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/commits/:ref/check-runs",
            "List check runs for a Git reference (docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference)",
            |state, req| {
                let sha = percent_decode(req.param("ref").unwrap_or_default());
                let runs: Vec<Value> = state
                    .check_runs
                    .iter()
                    .filter(|(s, _, _)| *s == sha)
                    .map(|(_, status, conclusion)| {
                        json!({ "status": status, "conclusion": conclusion, "html_url": state.web(&format!("commit/{sha}/checks")) })
                    })
                    .collect();
                Response::json(200, json!({ "total_count": runs.len(), "check_runs": runs }).to_string())
            },
        ),
        (
            "GET",
            "/repos/:owner/:repo/commits/:ref/status",
            "Get the combined status for a specific reference (docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference)",
            |_, _| {
                // No commit statuses: `pending` with none, as GitHub answers.
                Response::json(200, json!({ "state": "pending", "total_count": 0, "statuses": [] }).to_string())
            },
        ),
    ]
}

/// A commit comment as "Create a commit comment" and "List commit comments" answer it.
fn commit_comment_json(state: &State, (id, sha, user, body, created_at): &CommitComment) -> Value {
    let user = &state.users[*user];
    json!({
        "id": id, "body": body, "created_at": created_at,
        "html_url": state.web(&format!("commit/{sha}#commitcomment-{id}")),
        "user": { "id": user.id, "login": user.login },
    })
}

impl FakeGitHub {
    /// Adds a release of `tag` made before the run (by a person, or a run that crashed).
    pub fn add_release(&self, tag: &str) {
        let mut state = lock(&self.state);
        let id = state.id();
        state.releases.push((id, tag.to_string(), "true".to_string()));
    }

    /// Returns the releases: (id, tag, `make_latest` as sent, `"true"` when absent).
    pub fn releases(&self) -> Vec<(u64, String, String)> {
        lock(&self.state).releases.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::call;

    #[test]
    fn the_fake_refuses_what_github_refuses() {
        let fake = FakeGitHub::start("fleet/billing", "ghp_t");
        fake.add_workflow("release.yml", vec![FakeJob::passing("build")]);
        let url = fake.url();
        let dispatch = "/api/v3/repos/fleet/billing/actions/workflows/release.yml/dispatches";
        let (status, body) = call(&url, "POST", dispatch, &[], r#"{"ref":"main"}"#);
        assert_eq!(status, 401);
        assert!(body.contains("Requires authentication"), "{body}");
        let (status, body) = call(
            &url,
            "POST",
            dispatch,
            &[("Authorization", "Bearer nope")],
            r#"{"ref":"main"}"#,
        );
        assert_eq!((status, body.contains("Bad credentials")), (401, true), "{body}");
        let auth = [("Authorization", "Bearer ghp_t")];
        let (status, body) = call(&url, "POST", dispatch, &auth, r#"{"inputs":{}}"#);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("`ref`"), "{body}");
        let (status, _) = call(&url, "GET", dispatch, &auth, "");
        assert_eq!(status, 404, "GitHub has no GET on a dispatch");
        let (status, _) = call(&url, "GET", "/api/v3/repos/other/repo", &auth, "");
        assert_eq!(status, 404);
        let (status, _) = call(&url, "POST", dispatch, &auth, r#"{"ref":"main"}"#);
        assert_eq!(status, 204, "no run details unless asked");
        assert_eq!(fake.runs().len(), 1);
        assert_eq!(percent_decode("fleet%3Ahotfix%2F1.4.1+x%zz"), "fleet:hotfix/1.4.1 x%zz");
    }
}
