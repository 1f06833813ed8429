//! What people see of a hotfix on GitHub: the pull request it proposes
//! (adopted when one is already open for the branch), the incident issue
//! and its comments, and the release of the tag it creates.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::GitHub;
use crate::forge::{encode_segment, Call, ForgeError};

/// A pull request to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewPullRequest {
    pub title: String,
    pub body: String,
    /// The branch with the changes (in this repository).
    pub head: String,
    /// The branch they go into.
    pub base: String,
    pub draft: bool,
    pub labels: Vec<String>,
}

/// A pull request, opened or adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullRequest {
    pub number: u64,
    pub html_url: String,
    /// True when it was already open for the branch and is reused.
    pub adopted: bool,
}

/// The fields of "Create a pull request" and "List pull requests" (docs.github.com/rest/pulls/pulls) read.
#[derive(Deserialize)]
struct PullFields {
    number: u64,
    html_url: String,
}

/// An issue or a comment: its number (or id) and page.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Issue {
    pub number: u64,
    pub html_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Comment {
    pub id: u64,
    pub html_url: String,
}

/// A release to create for an existing tag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewRelease {
    pub tag: String,
    pub name: String,
    pub body: String,
    /// False for a tag not on the newest line: GitHub is told
    /// `make_latest: "false"`, so the newest line's release stays "Latest".
    pub latest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Release {
    pub id: u64,
    pub html_url: String,
    pub tag_name: String,
}

impl GitHub {
    /// Opens a pull request from `head` into `base`, or adopts the one
    /// already open for `head` (GitHub answers 422 "A pull request already
    /// exists"), then adds the labels to it. Never opens a second one.
    pub fn open_pull_request(&self, new: &NewPullRequest) -> Result<PullRequest, ForgeError> {
        // POST /repos/{owner}/{repo}/pulls: docs.github.com/rest/pulls/pulls#create-a-pull-request (201, 422).
        let created = self.client.json::<PullFields>(&Call::post(
            format!("{}/pulls", self.repo_path()),
            json!({ "title": new.title, "body": new.body, "head": new.head, "base": new.base, "draft": new.draft }),
        ));
        let (pull, adopted) = match created {
            Ok(pull) => (pull, false),
            Err(e) if e.status() == Some(422) => match self.open_pull_request_for(&new.head, &new.base)? {
                Some(pull) => (pull, true),
                // A 422 for another reason (no commits between, a base that is not there).
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        if !new.labels.is_empty() {
            self.add_labels(pull.number, &new.labels)?;
        }
        Ok(PullRequest {
            number: pull.number,
            html_url: pull.html_url,
            adopted,
        })
    }

    fn open_pull_request_for(&self, head: &str, base: &str) -> Result<Option<PullFields>, ForgeError> {
        // GET /repos/{owner}/{repo}/pulls?head=owner:branch: docs.github.com/rest/pulls/pulls#list-pull-requests.
        let open: Vec<PullFields> = self.client.get_json(&format!(
            "{}/pulls?state=open&head={}%3A{}&base={}",
            self.repo_path(),
            encode_segment(&self.owner),
            encode_segment(head),
            encode_segment(base)
        ))?;
        Ok(open.into_iter().next())
    }

    /// Adds `labels` to issue or pull request `number` (labels it already has stay).
    pub fn add_labels(&self, number: u64, labels: &[String]) -> Result<(), ForgeError> {
        // POST .../issues/{issue_number}/labels: docs.github.com/rest/issues/labels#add-labels-to-an-issue.
        // Adding a label twice changes nothing, so it may be sent again.
        self.client.send(
            &Call::post(
                format!("{}/issues/{number}/labels", self.repo_path()),
                json!({ "labels": labels }),
            )
            .idempotent(),
        )?;
        Ok(())
    }

    /// Takes `remove` off issue or pull request `number` and adds `add`: a
    /// resolved backport loses its conflict labels. A label it does not
    /// have (GitHub answers 404) is already off, so both may be sent again.
    pub fn relabel(&self, number: u64, remove: &[String], add: &[String]) -> Result<(), ForgeError> {
        for label in remove {
            // DELETE .../issues/{issue_number}/labels/{name}: docs.github.com/rest/issues/labels#remove-a-label-from-an-issue (200, 404).
            let call = Call::delete(format!(
                "{}/issues/{number}/labels/{}",
                self.repo_path(),
                encode_segment(label)
            ));
            match self.client.send(&call) {
                Ok(_) => {}
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e),
            }
        }
        if !add.is_empty() {
            self.add_labels(number, add)?;
        }
        Ok(())
    }

    /// Creates an issue with `labels` (`incident` for a hotfix's incident).
    pub fn create_issue(&self, title: &str, body: &str, labels: &[String]) -> Result<Issue, ForgeError> {
        // POST /repos/{owner}/{repo}/issues: docs.github.com/rest/issues/issues#create-an-issue (201).
        self.client.json(&Call::post(
            format!("{}/issues", self.repo_path()),
            json!({ "title": title, "body": body, "labels": labels }),
        ))
    }

    /// Comments on issue `number`: a milestone of the hotfix, or its report.
    pub fn comment_on_issue(&self, number: u64, body: &str) -> Result<Comment, ForgeError> {
        // POST .../issues/{issue_number}/comments: docs.github.com/rest/issues/comments#create-an-issue-comment (201).
        self.client.json(&Call::post(
            format!("{}/issues/{number}/comments", self.repo_path()),
            json!({ "body": body }),
        ))
    }

    /// Creates a published release of the existing tag `new.tag`; a tag
    /// that has one already is GitHub's 422 (see [`GitHub::create_or_adopt_release`]).
    pub fn create_release(&self, new: &NewRelease) -> Result<Release, ForgeError> {
        // POST /repos/{owner}/{repo}/releases: docs.github.com/rest/releases/releases#create-a-release (201, 422).
        self.client.json(&Call::post(
            format!("{}/releases", self.repo_path()),
            json!({
                "tag_name": new.tag,
                "name": new.name,
                "body": new.body,
                "make_latest": if new.latest { "true" } else { "false" },
            }),
        ))
    }

    /// Creates the release of `new.tag`, or adopts the release the tag
    /// already has (GitHub answers 422 `already_exists`); returns it and
    /// whether it was adopted. Never creates a second one.
    pub fn create_or_adopt_release(&self, new: &NewRelease) -> Result<(Release, bool), ForgeError> {
        match self.create_release(new) {
            Ok(release) => Ok((release, false)),
            Err(e) if e.status() == Some(422) => {
                // GET /repos/{owner}/{repo}/releases/tags/{tag}:
                // docs.github.com/rest/releases/releases#get-a-release-by-tag-name (200, 404).
                match self.client.get_json::<Release>(&format!(
                    "{}/releases/tags/{}",
                    self.repo_path(),
                    encode_segment(&new.tag)
                )) {
                    Ok(release) if release.tag_name == new.tag => Ok((release, true)),
                    // A 422 for another reason (a tag name GitHub refuses): its answer is the error.
                    Ok(_) => Err(e),
                    Err(found) if found.status() == Some(404) => Err(e),
                    Err(found) => Err(found),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The forge-neutral review request as a pull request of `source_branch`
/// into `target_branch` (GitHub has no per-request `remove_source_branch`).
pub(super) fn open_merge_request(
    github: &GitHub,
    request: &crate::forge::NewMergeRequest,
) -> Result<crate::forge::MergeRequestRef, ForgeError> {
    let pull = github.open_pull_request(&NewPullRequest {
        title: request.title.clone(),
        body: request.description.clone(),
        head: request.source_branch.clone(),
        base: request.target_branch.clone(),
        draft: request.draft,
        labels: request.labels.clone(),
    })?;
    Ok(crate::forge::MergeRequestRef {
        iid: pull.number,
        web_url: pull.html_url,
        adopted: pull.adopted,
    })
}

/// The forge-neutral release as a GitHub release of the tag.
pub(super) fn create_release(
    github: &GitHub,
    release: &crate::forge::NewRelease,
) -> Result<crate::forge::ReleaseRef, ForgeError> {
    let (created, adopted) = github.create_or_adopt_release(&NewRelease {
        tag: release.tag.clone(),
        name: release.name.clone(),
        body: release.description.clone(),
        latest: release.latest,
    })?;
    Ok(crate::forge::ReleaseRef {
        tag: created.tag_name,
        web_url: created.html_url,
        adopted,
    })
}
