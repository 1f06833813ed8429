//! What a forge answered about the pipelines and jobs a run drives, as the
//! journal keeps it: enough for any clone to follow the same pipeline and
//! for the report to point at it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A pipeline on the forge: the project it runs in, its id and its page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineRef {
    /// The project as the API takes it (`fleet/billing` or a numeric id).
    pub project: String,
    pub id: u64,
    pub web_url: String,
}

/// A job (GitLab) of a pipeline, with the status the forge last gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRef {
    pub project: String,
    pub pipeline: u64,
    pub id: u64,
    pub name: String,
    /// The forge's status word (`manual`, `pending`, `running`, `success`, `failed`, ...).
    pub status: String,
    pub web_url: String,
}

impl JobRef {
    /// True once the job ended, whichever way.
    pub fn finished(&self) -> bool {
        matches!(self.status.as_str(), "success" | "failed" | "canceled" | "skipped")
    }

    /// True once the job has started (or ended): it is not waiting for a
    /// person, a runner or an earlier stage.
    pub fn started(&self) -> bool {
        self.finished() || matches!(self.status.as_str(), "running" | "canceling")
    }
}

/// The deployment production runs, as the forge's environment records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRef {
    pub environment: String,
    pub id: u64,
    pub sha: String,
    pub web_url: String,
}

/// A review request to open: a GitLab merge request or a GitHub pull
/// request of `source_branch` into `target_branch` (seed 003 step 6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMergeRequest {
    pub title: String,
    pub description: String,
    pub source_branch: String,
    pub target_branch: String,
    /// Added to a request already open for the branches too (`URGENT`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
    /// GitLab deletes the source branch once merged; GitHub has no such
    /// field on a pull request (a repository setting decides).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove_source_branch: bool,
}

/// A review request on the forge, opened by the step or adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequestRef {
    /// GitLab `iid`, GitHub `number`.
    pub iid: u64,
    pub web_url: String,
    /// True when one was already open for the same branches and is reused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

/// A release to create on the forge for an existing tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRelease {
    pub tag: String,
    pub name: String,
    pub description: String,
    /// False for a tag below the product's highest version: GitHub is told
    /// `make_latest: "false"`, so the newest line's release stays Latest
    /// (GitLab orders releases by `released_at` and has no such flag).
    pub latest: bool,
}

/// A release on the forge, created by the step or adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    pub tag: String,
    pub web_url: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

/// How a pipeline is asked for: where, on which ref, with which inputs.
///
/// On GitHub a "pipeline" is a workflow run: `project` is the workflow's
/// `owner/repo`, `workflow` its file name (or id), dispatched on `ref` with
/// `inputs` (sent as strings, as `workflow_dispatch` inputs are).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineRequest {
    /// The project the pipeline runs in; `None`: `[forge] project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// GitHub only: the workflow dispatched (`release.yml`, or its numeric id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Name and value of each input.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs: BTreeMap<String, InputValue>,
    /// Sends the inputs as CI/CD `variables` (GitLab before pipeline inputs, 17.x).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub variables: bool,
}

/// A pipeline input's value: GitLab's `spec:inputs` are strings, booleans or numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputValue {
    Bool(bool),
    Number(i64),
    Text(String),
}

impl std::fmt::Display for InputValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputValue::Bool(b) => write!(f, "{b}"),
            InputValue::Number(n) => write!(f, "{n}"),
            InputValue::Text(s) => f.write_str(s),
        }
    }
}

impl InputValue {
    /// Returns the value as JSON, as the pipeline API takes an input.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            InputValue::Bool(b) => serde_json::Value::Bool(*b),
            InputValue::Number(n) => serde_json::Value::from(*n),
            InputValue::Text(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// Returns why `text` (a project, ref, input or job name read from
/// hotfix.toml or a journal) cannot be sent to a forge: empty, too long,
/// or holding control characters.
pub fn forge_text_problem(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() || text.len() > 255 || text.chars().any(char::is_control) {
        return Err(format!(
            "{what} `{}` is empty, longer than 255 bytes or holds control characters",
            text.escape_debug()
        ));
    }
    Ok(())
}

impl PipelineRequest {
    /// Returns why the request cannot be sent, naming the key under `key`.
    pub fn check(&self, key: &str) -> Result<(), String> {
        if let Some(project) = &self.project {
            forge_text_problem(&format!("`{key}.project`"), project)?;
        }
        if let Some(workflow) = &self.workflow {
            forge_text_problem(&format!("`{key}.workflow`"), workflow)?;
            if workflow.contains('/') || workflow.starts_with('.') {
                return Err(format!(
                    "`{key}.workflow` `{}` is not a workflow file name (`release.yml`) or id",
                    workflow.escape_debug()
                ));
            }
        }
        forge_text_problem(&format!("`{key}.ref`"), &self.git_ref)?;
        if self.git_ref.starts_with('-') {
            return Err(format!("`{key}.ref` `{}` starts with `-`", self.git_ref.escape_debug()));
        }
        for (name, value) in &self.inputs {
            let name_ok = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
            if !name_ok {
                return Err(format!(
                    "`{key}.inputs` has `{}`, which is not an input name (letters, digits, `_`, `-`)",
                    name.escape_debug()
                ));
            }
            if let InputValue::Text(text) = value {
                if text.len() > 4096 || text.chars().any(char::is_control) {
                    return Err(format!(
                        "`{key}.inputs.{name}` is longer than 4096 bytes or holds control characters"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A forge user, as an approval names them: the id is the identity
/// (usernames can be renamed), the username is for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeApprover {
    pub id: u64,
    pub username: String,
}

/// A deployment approval as the forge recorded it (GitLab
/// protected-environment approvals; GitHub: a required reviewer's commit
/// comment on the waiting run's head): who, how, when, with which comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeApproval {
    /// The deployment approved (GitLab deployment id).
    pub deployment: u64,
    pub user: ForgeApprover,
    /// The forge's status word (`approved`, `rejected`).
    pub status: String,
    /// When the forge recorded it, as the forge writes it.
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The deployment of a run's deploy job and the approvals the forge holds for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentApprovals {
    /// The project the deployment is in (the deploy job's).
    pub project: String,
    pub id: u64,
    pub status: String,
    /// How many approvals the protected environment still waits for.
    pub pending_approval_count: u64,
    pub approvals: Vec<ForgeApproval>,
    /// GitHub: the workflow run that waits on the environment (`id` is the
    /// environment's id: a pending deployment has none of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<u64>,
    /// GitHub: the run's head commit, whose commit comments are the approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
}

/// Returns the comment `git hotfix approve` posts with a forge approval:
/// it names the run, the role and, for a rollback's deployment, that it
/// approves the rollback, so the role is the forge's record too and an
/// approval of the hotfix cannot stand for one of its rollback (GitHub
/// keeps both on the same head commit and environment).
pub fn approval_comment(run: &str, role: &str, rollback: bool) -> String {
    let what = if rollback { "approved rollback" } else { "approved" };
    format!("git-hotfix run {run}: {what} as {role}")
}

/// Returns whether `comment` is an approval comment of run `run`'s
/// rollback (`Some(true)`) or of its hotfix (`Some(false)`), or `None` when
/// it is neither.
pub fn approval_comment_phase(run: &str, comment: &str) -> Option<bool> {
    let rest = comment.strip_prefix(&format!("git-hotfix run {run}: "))?;
    if rest.starts_with("approved rollback as ") {
        Some(true)
    } else if rest.starts_with("approved as ") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollback_approval_comment_differs_from_the_hotfix_one_and_says_which_it_is() {
        let hotfix = approval_comment("r1", "pm", false);
        let rollback = approval_comment("r1", "pm", true);
        assert_eq!(
            hotfix, "git-hotfix run r1: approved as pm",
            "old runs' comments unchanged"
        );
        assert_eq!(rollback, "git-hotfix run r1: approved rollback as pm");
        assert_eq!(approval_comment_phase("r1", &hotfix), Some(false));
        assert_eq!(approval_comment_phase("r1", &rollback), Some(true));
        assert_eq!(approval_comment_phase("r2", &rollback), None, "another run's");
        assert_eq!(approval_comment_phase("r1", "looks good"), None);
    }
}
