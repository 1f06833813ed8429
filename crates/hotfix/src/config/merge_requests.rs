//! `[merge_requests]`: how the review requests a run opens on the `[forge]`
//! look (seed 003 step 6: "Create PR on GitHub with URGENT label").

use serde::{Deserialize, Serialize};

/// The review requests (GitLab merge requests, GitHub pull requests) a run opens.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequests {
    /// Labels every request gets, added to one already open too.
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
    /// Opens the request as a draft.
    #[serde(default)]
    pub draft: bool,
    /// GitLab deletes the source branch once the request is merged.
    #[serde(default = "yes")]
    pub remove_source_branch: bool,
}

fn default_labels() -> Vec<String> {
    vec!["URGENT".into()]
}

fn yes() -> bool {
    true
}

impl Default for MergeRequests {
    fn default() -> MergeRequests {
        MergeRequests {
            labels: default_labels(),
            draft: false,
            remove_source_branch: true,
        }
    }
}
