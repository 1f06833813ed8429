//! GitHub incidents and what `git hotfix doctor` asks of GitHub, as the
//! GitLab counterparts (`gitlab_incident`): an incident is an issue
//! labelled `incident`, its milestones and report are comments (GitHub has
//! no timeline quick action, so a timeline event is a comment too); the
//! token's scopes, another repository, the release workflow and the
//! deploy environment. Each call names its docs.github.com page.

use serde::Deserialize;

use super::GitHub;
use crate::forge::{encode_segment, Call, ForgeError, ForgeProject, IncidentRef};

/// The label that makes an issue the hotfix's incident.
pub const INCIDENT_LABEL: &str = "incident";

/// The fields of "Get an issue" (docs.github.com/rest/issues/issues#get-an-issue) read:
/// a pull request is an issue too, with `pull_request`.
#[derive(Deserialize)]
struct IssueFields {
    number: u64,
    html_url: String,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

/// The fields of "Get a workflow" (docs.github.com/rest/actions/workflows#get-a-workflow) read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Workflow {
    pub id: u64,
    pub path: String,
    /// `active`, `disabled_manually`, `disabled_inactivity`, ...
    pub state: String,
}

/// The fields of "Get an environment" (docs.github.com/rest/deployments/environments#get-an-environment) read.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Environment {
    pub id: u64,
    pub name: String,
    pub html_url: String,
    #[serde(default)]
    pub protection_rules: Vec<ProtectionRule>,
}

/// A deployment protection rule of an environment: `required_reviewers`
/// lists `reviewers`; `wait_timer` and `branch_policy` list none.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProtectionRule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    reviewers: Vec<super::actions::PendingReviewer>,
}

impl Environment {
    /// Returns the environment's required reviewers that are users.
    pub fn required_reviewers(&self) -> Vec<crate::forge::ForgeApprover> {
        let rules = self.protection_rules.iter().filter(|r| r.kind == "required_reviewers");
        super::actions::users(rules.flat_map(|r| r.reviewers.clone()).collect())
    }
}

impl GitHub {
    pub(super) fn github_token_scopes(&self) -> Result<Option<Vec<String>>, ForgeError> {
        // GET /user: docs.github.com/rest/users/users#get-the-authenticated-user; a classic
        // token's answer carries `X-OAuth-Scopes` (docs.github.com/apps/oauth-apps/building-oauth-apps/
        // scopes-for-oauth-apps), a fine-grained token's none.
        let reply = self.client.send(&Call::get("/user"))?;
        Ok(reply.header("x-oauth-scopes").map(|scopes| {
            scopes
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        }))
    }

    pub(super) fn github_other_project(&self, project: &str) -> Result<ForgeProject, ForgeError> {
        crate::forge::Forge::project(&self.on(Some(project))?)
    }

    pub(super) fn github_open_incident(&self, title: &str, description: &str) -> Result<IncidentRef, ForgeError> {
        let issue = self.create_issue(title, description, &[INCIDENT_LABEL.to_string()])?;
        Ok(IncidentRef {
            iid: issue.number,
            web_url: issue.html_url,
        })
    }

    pub(super) fn github_incident(&self, reference: &str) -> Result<IncidentRef, ForgeError> {
        let bad = |reason: String| ForgeError::BadUrl {
            url: reference.to_string(),
            reason,
        };
        let number = issue_number(&self.full_name(), reference).ok_or_else(|| {
            bad(format!(
                "is neither an issue number nor an issue page of {} ({}/{}/issues/7)",
                self.full_name(),
                self.web_base(),
                self.full_name()
            ))
        })?;
        // GET /repos/{owner}/{repo}/issues/{issue_number}: docs.github.com/rest/issues/issues#get-an-issue
        // (200, 301 for an issue transferred elsewhere, 404, 410 for a deleted one).
        let issue: IssueFields = self.client.get_json(&format!("{}/issues/{number}", self.repo_path()))?;
        if issue.pull_request.is_some() {
            return Err(bad(format!("is pull request #{}, not an issue", issue.number)));
        }
        Ok(IncidentRef {
            iid: issue.number,
            web_url: issue.html_url,
        })
    }

    pub(super) fn github_note_incident(&self, incident: &IncidentRef, body: &str) -> Result<Option<u64>, ForgeError> {
        Ok(Some(self.comment_on_issue(incident.iid, body)?.id))
    }

    /// Returns the workflow `workflow` (its file name or id).
    pub fn workflow(&self, workflow: &str) -> Result<Workflow, ForgeError> {
        // GET .../actions/workflows/{workflow_id}: docs.github.com/rest/actions/workflows#get-a-workflow (200, 404).
        self.client.get_json(&format!(
            "{}/actions/workflows/{}",
            self.repo_path(),
            encode_segment(workflow)
        ))
    }

    /// Returns the environment `name`.
    pub fn environment(&self, name: &str) -> Result<Environment, ForgeError> {
        // GET .../environments/{environment_name}: docs.github.com/rest/deployments/environments#get-an-environment (200, 404).
        self.client
            .get_json(&format!("{}/environments/{}", self.repo_path(), encode_segment(name)))
    }
}

/// Returns the issue number `reference` names in repository `project`
/// (`owner/repo`): `7`, `#7`, or its issue page, `…/owner/repo/issues/7`
/// (not `/pull/7`: a pull request is no incident; not another repository's).
pub fn issue_number(project: &str, reference: &str) -> Option<u64> {
    let r = reference.trim().trim_end_matches('/');
    let last = r.rsplit('/').next()?.trim_start_matches('#');
    let number: u64 = last.parse().ok()?;
    let page = format!("/{project}/issues/{last}").to_ascii_lowercase();
    let is_page = r.contains("://") && r.to_ascii_lowercase().ends_with(&page);
    (r == last || r.trim_start_matches('#') == last || is_page).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::issue_number;

    #[test]
    fn an_issue_is_named_by_its_number_or_its_page() {
        let n = |r| issue_number("fleet/billing", r);
        assert_eq!(n("7"), Some(7));
        assert_eq!(n("#7"), Some(7));
        assert_eq!(n("https://github.com/fleet/billing/issues/12"), Some(12));
        assert_eq!(n("https://github.com/Fleet/Billing/issues/12/"), Some(12));
        assert_eq!(n("https://github.com/fleet/billing/pull/12"), None);
        assert_eq!(n("https://github.com/fleet/other/issues/12"), None);
        assert_eq!(n("https://gitlab.example.com/fleet/billing/-/issues/12"), None);
        assert_eq!(n("INC-42"), None);
        assert_eq!(n("https://example.com/a/12"), None);
    }
}
