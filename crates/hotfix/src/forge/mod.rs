//! The forge a team releases through (GitLab or GitHub), behind one trait,
//! over one HTTP client ([`client::Client`]).
//!
//! `[forge]` in hotfix.toml ([`crate::config::Forge`]) names the forge, its
//! URL and the project; the token comes from the environment or from
//! `git credential fill` ([`token`]) and is registered with the secret
//! redactor, so it is masked in everything git-hotfix writes.
//!
//! Who the token is, which project it reaches, production from an
//! environment, and the release pipeline and its jobs (GitLab pipelines,
//! GitHub Actions runs); approvals, merge requests, incidents and releases
//! (issue 13) are built on it.

pub mod client;
pub mod github;
pub mod gitlab;
pub mod gitlab_approvals;
mod gitlab_incident;
mod gitlab_merged;
mod gitlab_requests;
pub mod token;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{self, ForgeKind};
pub use crate::record::forge::{
    DeploymentApprovals, DeploymentRef, ForgeApproval, ForgeApprover, InputValue, JobRef, MergeRequestRef,
    NewMergeRequest, NewRelease, PipelineRef, PipelineRequest, ReleaseRef,
};
pub use client::{Auth, Call, Client, ClientOptions, Clock, Method, Reply, ScopeHint, SystemClock};
pub use token::{resolve_token, Token, TokenSource};

/// Errors talking to a forge; each names the request (method and path, never
/// the query or the token) and what the forge answered.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// The forge answered, and not with a 2xx.
    #[error("{0}")]
    Status(Box<Refusal>),
    #[error("{method} {path} {}: {reason}{}", if *timed_out { "timed out" } else { "failed" }, retried(*attempts))]
    Transport {
        method: Method,
        path: String,
        reason: String,
        timed_out: bool,
        attempts: u32,
    },
    #[error("{method} {path} answered a body that is not what the API documents: {reason}")]
    Body {
        method: Method,
        path: String,
        reason: String,
    },
    #[error("listing {path} has more than {pages} pages; stopped at the cap")]
    TooManyPages { path: String, pages: usize },
    #[error("{method} {path}: the next page is not on {origin}; the token is not sent elsewhere")]
    ForeignLink {
        method: Method,
        path: String,
        origin: String,
    },
    #[error("`{url}` {reason}")]
    BadUrl { url: String, reason: String },
    #[error("no token for {host}: {tried}")]
    NoToken { host: String, tried: String },
    /// Asked nothing: what the forge shows makes the request not this step's
    /// to send (an approval that is not the token's user's, or not provably its job's).
    #[error("did not {0}")]
    NotSent(String),
    #[error("git-hotfix cannot {what} on {forge:?} yet")]
    Unsupported { forge: ForgeKind, what: &'static str },
}

/// A non-2xx answer: the request, the status, and what the forge said.
#[derive(Debug, thiserror::Error)]
#[error(
    "{method} {path} answered HTTP {status}{}{}{}{}{}",
    message.as_ref().map(|m| format!(": {m}")).unwrap_or_default(),
    scopes.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
    location.as_ref().map(|l| format!(" (moved to {l})")).unwrap_or_default(),
    documentation_url.as_ref().map(|u| format!(" (see {u})")).unwrap_or_default(),
    retried(*attempts),
)]
pub struct Refusal {
    pub method: Method,
    pub path: String,
    pub status: u16,
    /// The forge's message from the body, escaped.
    pub message: Option<String>,
    /// GitHub's `documentation_url`.
    pub documentation_url: Option<String>,
    /// For 401/403: the scope the endpoint needs and the token's.
    pub scopes: Option<ScopeHint>,
    /// For a 3xx: where the forge points (redirects are not followed with the token).
    pub location: Option<String>,
    pub attempts: u32,
}

fn retried(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl ForgeError {
    /// True for faults worth trying again later (the network, the forge busy
    /// or down), as gitoxide's and cargo's `is_spurious`.
    pub fn is_spurious(&self) -> bool {
        match self {
            ForgeError::Transport { .. } => true,
            ForgeError::Status(r) => matches!(r.status, 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Returns the HTTP status the forge answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ForgeError::Status(r) => Some(r.status),
            _ => None,
        }
    }
}

/// The user a token acts as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeUser {
    pub id: u64,
    /// GitLab `username`, GitHub `login`.
    pub username: String,
    pub name: Option<String>,
    pub web_url: Option<String>,
}

/// The project (GitLab) or repository (GitHub) the hotfix is released from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeProject {
    pub id: u64,
    /// GitLab `path_with_namespace`, GitHub `full_name`.
    pub path: String,
    pub default_branch: Option<String>,
    pub web_url: String,
}

/// An incident on the forge: its number in the project and its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRef {
    /// GitLab `iid`, GitHub `number`.
    pub iid: u64,
    pub web_url: String,
}

/// A merge request (GitLab) or pull request (GitHub) as the forge has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeRequestState {
    pub iid: u64,
    /// `merged`, `opened`, `closed`, ... (GitHub: `merged` once `merged` is true).
    pub state: String,
    pub web_url: String,
    pub target_branch: String,
    /// The commit the merge made, once merged.
    pub merge_commit_sha: Option<String>,
    /// The squashed commit, when the request was squashed.
    pub squash_commit_sha: Option<String>,
}

/// A commit's pipeline (GitLab) or its checks (GitHub), with its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitPipelineRef {
    /// GitHub's checks have no pipeline: id 0, the commit's page.
    pub pipeline: PipelineRef,
    /// `success`, `failed`, `running`, `manual`, ... as the forge says.
    pub status: String,
}

/// What git-hotfix asks of a forge. Each implementation names, on each call,
/// the documented endpoint it uses.
pub trait Forge: Send + Sync {
    fn kind(&self) -> ForgeKind;
    /// Returns the user the token acts as.
    fn whoami(&self) -> Result<ForgeUser, ForgeError>;
    /// Returns the configured project, which proves the token reaches it.
    fn project(&self) -> Result<ForgeProject, ForgeError>;

    /// Returns the newest successful deployment to `environment`, or `None`
    /// when the environment has none.
    fn production_deployment(&self, environment: &str) -> Result<Option<DeploymentRef>, ForgeError> {
        let _ = environment;
        Err(self.unsupported("read an environment's deployment"))
    }

    /// Creates a pipeline (GitLab) or dispatches a workflow run (GitHub).
    /// Never retried: a second request would be a second pipeline.
    fn start_pipeline(&self, request: &PipelineRequest) -> Result<PipelineRef, ForgeError> {
        let _ = request;
        Err(self.unsupported("start a pipeline"))
    }

    /// Returns the job called `name` in `pipeline`, or with `downstream` in
    /// the pipeline a bridge of `pipeline` triggered; `None` while there is none.
    fn find_job(&self, pipeline: &PipelineRef, name: &str, downstream: bool) -> Result<Option<JobRef>, ForgeError> {
        let _ = (pipeline, name, downstream);
        Err(self.unsupported("find a job"))
    }

    /// Starts a manual job. GitHub has none: a job `waiting` on an
    /// environment's reviewers is the forge's `manual`, and playing it approves
    /// its one pending deployment as the token's user (see `github::pipelines`).
    fn play_job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        let _ = job;
        Err(self.unsupported("play a job"))
    }

    /// Returns the job as the forge has it now.
    fn job(&self, job: &JobRef) -> Result<JobRef, ForgeError> {
        let _ = job;
        Err(self.unsupported("read a job"))
    }

    /// Returns the last `lines` lines of the job's log.
    fn job_log_tail(&self, job: &JobRef, lines: usize) -> Result<String, ForgeError> {
        let _ = (job, lines);
        Err(self.unsupported("read a job's log"))
    }

    // Incidents and what `doctor` asks (issue 13). Kept in one block so the
    // pipeline and approval work on other branches merges without conflict.

    /// Returns the scopes the token has, or `None` when the forge does not say
    /// (a GitHub fine-grained token sends no `X-OAuth-Scopes`).
    fn token_scopes(&self) -> Result<Option<Vec<String>>, ForgeError> {
        Err(self.unsupported("read the token's scopes"))
    }

    /// Returns `project` (a path or numeric id), which proves the token reaches it.
    fn other_project(&self, project: &str) -> Result<ForgeProject, ForgeError> {
        let _ = project;
        Err(self.unsupported("read another project"))
    }

    /// Opens an incident (GitLab) or an issue labelled `incident` (GitHub).
    /// Never retried: a second request would be a second incident.
    fn open_incident(&self, title: &str, description: &str) -> Result<IncidentRef, ForgeError> {
        let _ = (title, description);
        Err(self.unsupported("open an incident"))
    }

    /// Returns the incident `reference` names: its number (`7`) or its page.
    fn incident(&self, reference: &str) -> Result<IncidentRef, ForgeError> {
        let _ = reference;
        Err(self.unsupported("read an incident"))
    }

    /// Adds `body` to the incident, as a timeline event when `timeline`
    /// (GitLab's `/timeline` quick action), and returns the note's id when the
    /// forge gives one (GitLab answers 202 without a note for quick actions only).
    fn note_incident(&self, incident: &IncidentRef, body: &str, timeline: bool) -> Result<Option<u64>, ForgeError> {
        let _ = (incident, body, timeline);
        Err(self.unsupported("write on an incident"))
    }

    // Deployment approvals (`[approvals] verify = "forge"`).

    /// Returns the deployment to `environment` that `job` (the deploy job)
    /// made, with the approvals the forge holds for it; `None` while there is none.
    fn job_deployment(&self, job: &JobRef, environment: &str) -> Result<Option<DeploymentApprovals>, ForgeError> {
        let _ = (job, environment);
        Err(self.unsupported("read a deployment's approvals"))
    }

    /// Approves `deployment` as the token's user, with `comment`; returns
    /// the approval as the forge recorded it.
    fn approve_deployment(&self, deployment: &DeploymentApprovals, comment: &str) -> Result<ForgeApproval, ForgeError> {
        let _ = (deployment, comment);
        Err(self.unsupported("approve a deployment"))
    }

    // Review requests and releases (issue 13).

    /// Opens a merge request (GitLab) or pull request (GitHub), or adopts the
    /// one already open for the same branches and adds the labels it lacks.
    /// Never opens a second one.
    fn open_merge_request(&self, request: &NewMergeRequest) -> Result<MergeRequestRef, ForgeError> {
        let _ = request;
        Err(self.unsupported("open a merge request"))
    }

    /// Creates the release of the existing tag `release.tag`, or adopts the
    /// release the tag already has. Never creates a second one.
    fn create_release(&self, release: &NewRelease) -> Result<ReleaseRef, ForgeError> {
        let _ = release;
        Err(self.unsupported("create a release"))
    }

    // merge-main (issue 14): the merge request that holds a fix, and main's
    // pipeline for a commit. Kept in one block beside the backport's.

    /// Returns merge request (GitLab) or pull request (GitHub) `iid` as the
    /// forge has it now.
    fn merge_request(&self, iid: u64) -> Result<MergeRequestState, ForgeError> {
        let _ = iid;
        Err(self.unsupported("read a merge request"))
    }

    /// Returns the newest pipeline for commit `sha` on `branch` (GitHub: the
    /// commit's check runs and combined status, as one), or `None` when the
    /// forge has none for it.
    fn commit_pipeline(&self, sha: &str, branch: &str) -> Result<Option<CommitPipelineRef>, ForgeError> {
        let _ = (sha, branch);
        Err(self.unsupported("read a commit's pipeline"))
    }

    /// Takes the labels `remove` off merge request (GitLab) or pull request
    /// (GitHub) `iid` and puts `add` on it, keeping its other labels
    /// (`backport resolve`: the conflict labels give way to the clean ones).
    fn relabel_merge_request(&self, iid: u64, remove: &[String], add: &[String]) -> Result<(), ForgeError> {
        let _ = (iid, remove, add);
        Err(self.unsupported("relabel a merge request"))
    }

    #[doc(hidden)]
    fn unsupported(&self, what: &'static str) -> ForgeError {
        ForgeError::Unsupported {
            forge: self.kind(),
            what,
        }
    }
}

/// Opens the forge `config` names with the token of the process
/// environment (or `git credential fill` run in `cwd`), the real clock and
/// the proxy the environment names. The token is added to `redactor`.
pub fn open_from_env(
    config: &config::Forge,
    cwd: &std::path::Path,
    redactor: &mut crate::secrets::Redactor,
) -> Result<Box<dyn Forge>, ForgeError> {
    let (token, _) = resolve_token(config, &|name| std::env::var(name).ok(), cwd, redactor)?;
    open(config, token, options_from_env(config), Arc::new(SystemClock))
}

/// Returns the client options `config` gives (its `timeout`), with the
/// proxy the process environment names for its API (see [`client::proxy_from_env`]).
pub fn options_from_env(config: &config::Forge) -> ClientOptions {
    let defaults = ClientOptions::default();
    ClientOptions {
        proxy: client::proxy_from_env(&config.api_url(), &|name| std::env::var(name).ok()),
        timeout: config.timeout.unwrap_or(defaults.timeout),
        ..defaults
    }
}

/// Returns the forge `config` names, talking through a client with `options`.
pub fn open(
    config: &config::Forge,
    token: Token,
    options: ClientOptions,
    clock: Arc<dyn Clock>,
) -> Result<Box<dyn Forge>, ForgeError> {
    let base = config.api_url();
    Ok(match config.kind {
        ForgeKind::Gitlab => Box::new(gitlab::GitLab::new(
            Client::new(&base, Auth::GitLab(token), options, clock)?,
            &config.project,
        )),
        ForgeKind::Github => Box::new(open_github(config, token, options, clock)?),
    })
}

/// Returns the GitHub repository `config` names, for what only GitHub has
/// (`doctor`'s workflow and environment checks); `config.kind` is not checked.
pub fn open_github(
    config: &config::Forge,
    token: Token,
    options: ClientOptions,
    clock: Arc<dyn Clock>,
) -> Result<github::GitHub, ForgeError> {
    github::GitHub::new(
        Client::new(&config.api_url(), Auth::GitHub(token), options, clock)?,
        &config.project,
    )
}

/// Returns the incident number `reference` names on the forge `config`
/// names: `7`, `#7`, or the forge's own issue page (GitLab's
/// `…/-/issues/7`, GitHub's `…/owner/repo/issues/7` of the configured repository).
pub fn incident_number(config: &config::Forge, reference: &str) -> Option<u64> {
    match config.kind {
        ForgeKind::Gitlab => gitlab_incident::incident_iid(reference),
        ForgeKind::Github => github::incident::issue_number(&config.project, reference),
    }
}

/// The lines of a job log longer than this are cut: a log line is for a person.
const MAX_LOG_LINE: usize = 500;

/// Returns the last `lines` lines of `log`, each escaped (a job log carries
/// ANSI colours and carriage returns) and cut at [`MAX_LOG_LINE`] characters.
pub fn log_tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|line| {
            let line = line.rsplit('\r').next().unwrap_or_default();
            let escaped: String = line.escape_debug().collect();
            match escaped.char_indices().nth(MAX_LOG_LINE) {
                Some((i, _)) => format!("{}…", &escaped[..i]),
                None => escaped,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Returns `segment` percent-encoded for one path segment: GitLab's
/// `fleet/billing` becomes `fleet%2Fbilling` (doc/api/rest/_index.md, namespaced paths).
pub(crate) fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_tail_keeps_the_last_lines_escaped() {
        let log = "one\ntwo\n\u{1b}[0Kthree\nprogress 10%\rprogress 100%\nerror: it broke\n";
        assert_eq!(log_tail(log, 3), "\\u{1b}[0Kthree\nprogress 100%\nerror: it broke");
        let long = "x".repeat(MAX_LOG_LINE + 10);
        assert!(log_tail(&long, 1).ends_with('…'));
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("fleet/billing"), "fleet%2Fbilling");
        assert_eq!(encode_segment("a b.c_d-e~"), "a%20b.c_d-e~");
        assert_eq!(encode_segment("42"), "42");
    }

    #[test]
    fn errors_name_the_request_and_the_forge_answer() {
        let e = ForgeError::Status(Box::new(Refusal {
            method: Method::Get,
            path: "/projects/fleet%2Fbilling".into(),
            status: 403,
            message: Some("403 Forbidden".into()),
            documentation_url: None,
            scopes: Some(ScopeHint {
                needed: Some("api".into()),
                token_has: None,
                job_token: false,
            }),
            location: None,
            attempts: 1,
        }));
        assert_eq!(
            e.to_string(),
            "GET /projects/fleet%2Fbilling answered HTTP 403: 403 Forbidden (the token needs scope `api`)"
        );
        assert!(!e.is_spurious());
        let t = ForgeError::Transport {
            method: Method::Get,
            path: "/user".into(),
            reason: "Network Error: timed out reading response".into(),
            timed_out: true,
            attempts: 3,
        };
        assert_eq!(
            t.to_string(),
            "GET /user timed out: Network Error: timed out reading response (after 3 attempts)"
        );
        assert!(t.is_spurious());
    }
}
