//! GitLab merge requests and releases: the review request of a hotfix
//! branch (adopted when one is already open for the same branches) and the
//! release of the tag a hotfix creates (adopted when the tag has one). Each
//! call names the page of gitlabhq/gitlabhq `doc/api/` it follows.

use serde::Deserialize;
use serde_json::json;

use super::gitlab::GitLab;
use super::{encode_segment, Call, ForgeError, MergeRequestRef, Method, NewMergeRequest, NewRelease, ReleaseRef};

/// The fields of doc/api/merge_requests.md "Create MR" / "List project merge requests".
#[derive(Deserialize)]
struct MergeRequest {
    iid: u64,
    web_url: String,
    source_branch: String,
    target_branch: String,
    #[serde(default)]
    labels: Vec<String>,
}

/// The fields of doc/api/releases/index.md "Create a release" / "Get a release by a tag name".
#[derive(Deserialize)]
struct Release {
    tag_name: String,
    #[serde(rename = "_links")]
    links: Option<ReleaseLinks>,
}

#[derive(Deserialize)]
struct ReleaseLinks {
    #[serde(rename = "self")]
    self_url: Option<String>,
}

/// GitLab marks a draft by the title's prefix (doc/api/merge_requests.md,
/// "Create MR": `title`; doc/user/project/merge_requests/drafts.md).
const DRAFT_PREFIX: &str = "Draft: ";

impl GitLab {
    pub(super) fn gitlab_open_merge_request(&self, new: &NewMergeRequest) -> Result<MergeRequestRef, ForgeError> {
        let title = if new.draft && !new.title.starts_with(DRAFT_PREFIX) {
            format!("{DRAFT_PREFIX}{}", new.title)
        } else {
            new.title.clone()
        };
        // POST /projects/:id/merge_requests: doc/api/merge_requests.md, "Create MR":
        // `source_branch`, `target_branch`, `title` (required), `description`, `labels`
        // (comma-separated), `remove_source_branch`; 201, 409 when an open merge
        // request of the same source and target branches exists.
        // Not `idempotent()`: a lost answer is found again by the list below on resume.
        let body = json!({
            "source_branch": new.source_branch,
            "target_branch": new.target_branch,
            "title": title,
            "description": new.description,
            "labels": new.labels.join(","),
            "remove_source_branch": new.remove_source_branch,
        });
        let path = format!("{}/merge_requests", self.project_path());
        match self.client().json::<MergeRequest>(&Call::post(path, body)) {
            Ok(mr) => Ok(MergeRequestRef {
                iid: mr.iid,
                web_url: mr.web_url,
                adopted: false,
            }),
            Err(e) if e.status() == Some(409) => match self.gitlab_open_merge_request_for(new)? {
                Some(mr) => self.gitlab_adopt(mr, &new.labels),
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Returns the open merge request of `new`'s branches, if there is one.
    fn gitlab_open_merge_request_for(&self, new: &NewMergeRequest) -> Result<Option<MergeRequest>, ForgeError> {
        // GET /projects/:id/merge_requests: doc/api/merge_requests.md, "List project merge
        // requests", filtered by `state=opened`, `source_branch` and `target_branch`.
        let open: Vec<MergeRequest> = self.client().get_pages(&format!(
            "{}/merge_requests?state=opened&source_branch={}&target_branch={}",
            self.project_path(),
            encode_segment(&new.source_branch),
            encode_segment(&new.target_branch)
        ))?;
        Ok(open
            .into_iter()
            .find(|mr| mr.source_branch == new.source_branch && mr.target_branch == new.target_branch))
    }

    fn gitlab_adopt(&self, mr: MergeRequest, labels: &[String]) -> Result<MergeRequestRef, ForgeError> {
        let missing: Vec<&str> = labels
            .iter()
            .filter(|l| !mr.labels.contains(l))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            // PUT /projects/:id/merge_requests/:merge_request_iid: doc/api/merge_requests.md,
            // "Update MR": `add_labels` (comma-separated) keeps the labels it has.
            self.client().send(&Call {
                method: Method::Put,
                path: format!("{}/merge_requests/{}", self.project_path(), mr.iid),
                body: Some(json!({ "add_labels": missing.join(",") })),
                idempotent: false,
            })?;
        }
        Ok(MergeRequestRef {
            iid: mr.iid,
            web_url: mr.web_url,
            adopted: true,
        })
    }

    pub(super) fn gitlab_relabel_merge_request(
        &self,
        iid: u64,
        remove: &[String],
        add: &[String],
    ) -> Result<(), ForgeError> {
        // PUT /projects/:id/merge_requests/:merge_request_iid: doc/api/merge_requests.md,
        // "Update MR": `remove_labels` and `add_labels` (comma-separated) leave the others.
        self.client().send(&Call {
            method: Method::Put,
            path: format!("{}/merge_requests/{iid}", self.project_path()),
            body: Some(json!({ "remove_labels": remove.join(","), "add_labels": add.join(",") })),
            idempotent: true,
        })?;
        Ok(())
    }

    pub(super) fn gitlab_create_release(&self, new: &NewRelease) -> Result<ReleaseRef, ForgeError> {
        // POST /projects/:id/releases: doc/api/releases/index.md, "Create a release":
        // `tag_name` (required), `name`, `description`; no `ref`, so a tag that is not
        // there is refused (422 "Ref is not specified") rather than made from a branch;
        // 409 "Release already exists".
        let body = json!({ "tag_name": new.tag, "name": new.name, "description": new.description });
        let path = format!("{}/releases", self.project_path());
        let (release, adopted) = match self.client().json::<Release>(&Call::post(path, body)) {
            Ok(release) => (release, false),
            Err(e) if e.status() == Some(409) => {
                // GET /projects/:id/releases/:tag_name: doc/api/releases/index.md,
                // "Get a release by a tag name".
                let release: Release = self.client().get_json(&format!(
                    "{}/releases/{}",
                    self.project_path(),
                    encode_segment(&new.tag)
                ))?;
                if release.tag_name != new.tag {
                    return Err(e);
                }
                (release, true)
            }
            Err(e) => return Err(e),
        };
        let web_url = release.links.and_then(|l| l.self_url).unwrap_or_else(|| {
            format!(
                "{}/-/releases/{}",
                self.web_project_url(),
                encode_segment(&release.tag_name)
            )
        });
        Ok(ReleaseRef {
            tag: release.tag_name,
            web_url,
            adopted,
        })
    }
}
