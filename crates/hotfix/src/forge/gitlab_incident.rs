//! GitLab incidents and what `git hotfix doctor` asks of GitLab: the token's
//! scopes and the other projects the configuration names. Each call names the
//! page of gitlabhq/gitlabhq `doc/api/` it follows.

use serde::Deserialize;
use serde_json::json;

use super::gitlab::{GitLab, Project};
use super::{encode_segment, Call, ForgeError, ForgeProject, IncidentRef};

/// The fields of doc/api/personal_access_tokens.md "Get a single personal
/// access token" (`/personal_access_tokens/self`) that git-hotfix reads.
#[derive(Deserialize)]
struct TokenInfo {
    scopes: Vec<String>,
}

/// The fields of doc/api/issues.md "Single project issue" / "New issue".
#[derive(Deserialize)]
struct Issue {
    iid: u64,
    web_url: String,
}

/// The fields of doc/api/notes.md "Create new issue note"; a note of quick
/// actions only answers 202 without them.
#[derive(Deserialize)]
struct Note {
    id: Option<u64>,
}

impl GitLab {
    pub(super) fn gitlab_token_scopes(&self) -> Result<Option<Vec<String>>, ForgeError> {
        // GET /personal_access_tokens/self: doc/api/personal_access_tokens.md, "Get a
        // single personal access token" (200 with `scopes`; 401 for a token that is not valid).
        let info: TokenInfo = self.client().get_json("/personal_access_tokens/self")?;
        Ok(Some(info.scopes))
    }

    pub(super) fn gitlab_other_project(&self, project: &str) -> Result<ForgeProject, ForgeError> {
        // GET /projects/:id: doc/api/projects.md, "Get a single project" (404 when the token cannot see it).
        let p: Project = self
            .client()
            .get_json(&format!("/projects/{}", encode_segment(project)))?;
        Ok(ForgeProject {
            id: p.id,
            path: p.path_with_namespace,
            default_branch: p.default_branch,
            web_url: p.web_url,
        })
    }

    pub(super) fn gitlab_open_incident(&self, title: &str, description: &str) -> Result<IncidentRef, ForgeError> {
        // POST /projects/:id/issues: doc/api/issues.md, "New issue": `title` (required),
        // `description`, `issue_type` (`issue`, `incident`, `test_case` or `task`); 201.
        // Not `idempotent()`: a lost answer must not become a second incident.
        let body = json!({ "title": title, "description": description, "issue_type": "incident" });
        let issue: Issue = self
            .client()
            .json(&Call::post(format!("{}/issues", self.project_path()), body))?;
        Ok(IncidentRef {
            iid: issue.iid,
            web_url: issue.web_url,
        })
    }

    pub(super) fn gitlab_incident(&self, reference: &str) -> Result<IncidentRef, ForgeError> {
        let iid = incident_iid(reference).ok_or_else(|| ForgeError::BadUrl {
            url: reference.to_string(),
            reason: "is neither an incident number nor an issue or incident page".into(),
        })?;
        // GET /projects/:id/issues/:issue_iid: doc/api/issues.md, "Single project issue" (404 when absent).
        let issue: Issue = self
            .client()
            .get_json(&format!("{}/issues/{iid}", self.project_path()))?;
        Ok(IncidentRef {
            iid: issue.iid,
            web_url: issue.web_url,
        })
    }

    pub(super) fn gitlab_note_incident(
        &self,
        incident: &IncidentRef,
        body: &str,
        timeline: bool,
    ) -> Result<Option<u64>, ForgeError> {
        // POST /projects/:id/issues/:issue_iid/notes: doc/api/notes.md, "Create new issue
        // note": `body` (required); 201 with the note. With doc/user/project/quick_actions.md's
        // `/timeline <text> | <date> <time>` it is also a timeline event of the incident.
        let text = if timeline {
            // The quick action takes one line; the note keeps the whole text.
            let first = body.lines().next().unwrap_or_default().replace('|', "/");
            format!("{body}\n\n/timeline {first}")
        } else {
            body.to_string()
        };
        let note: Note = self.client().json(&Call::post(
            format!("{}/issues/{}/notes", self.project_path(), incident.iid),
            json!({ "body": text }),
        ))?;
        Ok(note.id)
    }
}

/// Returns the incident number `reference` names: `7`, `#7`, or a page
/// ending in `/-/issues/7` or `/-/issues/incident/7`.
pub fn incident_iid(reference: &str) -> Option<u64> {
    let r = reference.trim().trim_end_matches('/');
    let last = r.rsplit('/').next()?.trim_start_matches('#');
    let number: u64 = last.parse().ok()?;
    let is_page = r.contains("/-/issues/");
    (r == last || r.trim_start_matches('#') == last || is_page).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::incident_iid;

    #[test]
    fn an_incident_is_named_by_its_number_or_its_page() {
        assert_eq!(incident_iid("7"), Some(7));
        assert_eq!(incident_iid("#7"), Some(7));
        assert_eq!(
            incident_iid("https://gitlab.example.com/fleet/billing/-/issues/12"),
            Some(12)
        );
        assert_eq!(
            incident_iid("https://gitlab.example.com/fleet/billing/-/issues/incident/12/"),
            Some(12)
        );
        assert_eq!(incident_iid("INC-42"), None);
        assert_eq!(incident_iid("https://example.com/a/12"), None);
    }
}
