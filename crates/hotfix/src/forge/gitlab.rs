//! GitLab's REST API v4 (`{url}/api/v4`), as doc/api/*.md in gitlabhq/gitlabhq documents it.

use serde::Deserialize;

use super::{encode_segment, Client, Forge, ForgeError, ForgeProject, ForgeUser};
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
struct Project {
    id: u64,
    path_with_namespace: String,
    default_branch: Option<String>,
    web_url: String,
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
}
