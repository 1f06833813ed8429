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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const MINIMAL: &str = "strategy = \"from-tag\"\n[branches]\nmain = \"main\"\n\
                           [products.worker]\ntag = \"worker/prod-v{version}\"\nversion_files = [\"VERSION\"]\n";

    #[test]
    fn the_table_has_seed_003s_defaults_and_refuses_unknown_keys() {
        let none = Config::parse(MINIMAL, Path::new("hotfix.toml")).expect("parses");
        assert_eq!(none.merge_requests, None);
        let empty = Config::parse(&format!("{MINIMAL}[merge_requests]\n"), Path::new("hotfix.toml")).expect("parses");
        let options = empty.merge_requests.expect("the table");
        assert_eq!(
            (options.labels, options.draft, options.remove_source_branch),
            (vec!["URGENT".to_string()], false, true)
        );
        let typo = Config::parse(
            &format!("{MINIMAL}[merge_requests]\nlabel = [\"x\"]\n"),
            Path::new("hotfix.toml"),
        )
        .expect_err("a typo is refused");
        assert!(typo.to_string().contains("label"), "{typo}");
    }
}
