//! What merge-main asks GitLab: the merge request that holds the fix (merged,
//! and by which commit) and main's pipeline for a commit. Each call names the
//! page of gitlabhq/gitlabhq `doc/api/` it follows.

use serde::Deserialize;

use super::gitlab::GitLab;
use super::{encode_segment, CommitPipelineRef, ForgeError, MergeRequestState, PipelineRef};

/// The fields of doc/api/merge_requests.md, "Get single MR".
#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    state: String,
    web_url: String,
    target_branch: String,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    squash_commit_sha: Option<String>,
}

/// The fields of doc/api/pipelines.md, "List project pipelines".
#[derive(Deserialize)]
struct Pipeline {
    id: u64,
    status: String,
    web_url: String,
}

impl GitLab {
    pub(super) fn gitlab_merge_request(&self, iid: u64) -> Result<MergeRequestState, ForgeError> {
        // GET /projects/:id/merge_requests/:merge_request_iid: doc/api/merge_requests.md,
        // "Get single MR": `state` (`opened`, `closed`, `locked`, `merged`),
        // `merge_commit_sha`, `squash_commit_sha`; 404 when there is none.
        let mr: MergeRequest = self
            .client()
            .get_json(&format!("{}/merge_requests/{iid}", self.project_path()))?;
        Ok(MergeRequestState {
            iid: mr.iid,
            state: mr.state,
            web_url: mr.web_url,
            target_branch: mr.target_branch,
            merge_commit_sha: mr.merge_commit_sha,
            squash_commit_sha: mr.squash_commit_sha,
        })
    }

    pub(super) fn gitlab_commit_pipeline(
        &self,
        sha: &str,
        branch: &str,
    ) -> Result<Option<CommitPipelineRef>, ForgeError> {
        // GET /projects/:id/pipelines: doc/api/pipelines.md, "List project pipelines",
        // filtered by `sha` and `ref`, newest first (`order_by=id`, `sort=desc`).
        let listed: Vec<Pipeline> = self.client().get_json(&format!(
            "{}/pipelines?sha={}&ref={}&order_by=id&sort=desc&per_page=1",
            self.project_path(),
            encode_segment(sha),
            encode_segment(branch)
        ))?;
        Ok(listed.into_iter().next().map(|p| CommitPipelineRef {
            pipeline: PipelineRef {
                project: self.configured_project(),
                id: p.id,
                web_url: p.web_url,
            },
            status: p.status,
        }))
    }
}
