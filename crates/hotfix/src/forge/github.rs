//! GitHub's REST API (`https://api.github.com`, or `{url}/api/v3` on
//! Enterprise Server), version 2022-11-28, as docs.github.com/rest documents it.
//!
//! Besides the [`Forge`] calls, inherent methods for the runbook, each naming
//! its docs.github.com page: production from deployments ([`deployments`]),
//! workflow runs, their jobs and environment reviewers ([`actions`]), pull
//! requests, incident issues and releases ([`collaboration`]). The operations
//! and request fields they use are those of
//! `crates/hotfix-testkit/openapi/github-subset.json`, which a test checks.

pub mod actions;
pub mod collaboration;
pub mod deployments;

use serde::Deserialize;

use super::{encode_segment, Client, Forge, ForgeError, ForgeProject, ForgeUser};
use crate::config::ForgeKind;

/// A GitHub repository reached through one client.
#[derive(Debug)]
pub struct GitHub {
    client: Client,
    owner: String,
    repo: String,
}

impl GitHub {
    /// Returns the forge for `project`, `owner/repo`.
    pub fn new(client: Client, project: &str) -> Result<GitHub, ForgeError> {
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
}
