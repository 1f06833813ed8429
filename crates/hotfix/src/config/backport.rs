//! `[backport]`: where a fix goes after production has it (seed 002 step 3:
//! "automatically creates a merge request to bring the hotfix into develop"),
//! and how the branches and requests it opens look.

use serde::{Deserialize, Serialize};

use crate::git::refname::branch_name_problem;

/// The branches a fix is backported to, and the names and labels it gets.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backport {
    /// Branches or patterns (`release/*`) of the remote.
    #[serde(default)]
    pub to: Vec<String>,
    /// The backport branch's name: `{target}` and `{short_sha}` are filled in.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Labels of the request of a clean backport.
    #[serde(default = "default_labels")]
    pub labels: Vec<String>,
    /// Labels of the request of a backport that conflicted.
    #[serde(default = "default_conflict_labels")]
    pub conflict_labels: Vec<String>,
}

fn default_branch() -> String {
    "backport/{target}-{short_sha}".into()
}

fn default_labels() -> Vec<String> {
    vec!["backport".into(), "auto-backport".into()]
}

fn default_conflict_labels() -> Vec<String> {
    vec!["backport".into(), "conflicts".into()]
}

impl Default for Backport {
    fn default() -> Backport {
        Backport {
            to: Vec::new(),
            branch: default_branch(),
            labels: default_labels(),
            conflict_labels: default_conflict_labels(),
        }
    }
}

impl Backport {
    /// Returns the backport branch of `fix`'s short id onto `target`.
    pub fn branch_for(&self, target: &str, short_sha: &str) -> String {
        self.branch
            .replace("{target}", target)
            .replace("{short_sha}", short_sha)
    }

    /// Returns what is wrong with the table, in words for the operator.
    pub fn check(&self) -> Result<(), String> {
        if !self.branch.contains("{short_sha}") {
            return Err(format!(
                "`backport.branch` is `{}`: it needs `{{short_sha}}`, so each fix gets a branch of its own",
                self.branch
            ));
        }
        if let Some(problem) = branch_name_problem(&self.branch_for("develop", "0123456")) {
            return Err(format!(
                "`backport.branch` `{}` gives no branch name: {problem}",
                self.branch
            ));
        }
        for target in &self.to {
            // A pattern's `*` is no branch character; its other characters must be.
            if let Some(problem) = branch_name_problem(&target.replace('*', "x")) {
                return Err(format!(
                    "`backport.to` has `{target}`, which names no branch: {problem}"
                ));
            }
        }
        for label in self.labels.iter().chain(&self.conflict_labels) {
            crate::record::forge::forge_text_problem("a `[backport]` label", label)?;
            if label.contains(',') {
                return Err(format!(
                    "the `[backport]` label `{label}` has a comma, which forges read as two labels"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const MINIMAL: &str = "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n";

    #[test]
    fn the_table_has_seed_002s_defaults_and_refuses_what_names_no_branch() {
        let none = Config::parse(MINIMAL, Path::new("hotfix.toml")).expect("parses");
        assert_eq!(none.backport, None);
        let table = Config::parse(
            &format!("{MINIMAL}[backport]\nto = [\"develop\"]\n"),
            Path::new("hotfix.toml"),
        )
        .expect("parses")
        .backport
        .expect("the table");
        assert_eq!(table.branch_for("develop", "abc1234"), "backport/develop-abc1234");
        assert_eq!(table.labels, ["backport", "auto-backport"]);
        assert_eq!(table.conflict_labels, ["backport", "conflicts"]);
        for bad in [
            "to = [\"-develop\"]",
            "branch = \"backport/{target}\"",
            "branch = \"back..port/{short_sha}\"",
            "labels = [\"a,b\"]",
            "tos = [\"develop\"]",
        ] {
            let e = Config::parse(&format!("{MINIMAL}[backport]\n{bad}\n"), Path::new("hotfix.toml")).expect_err(bad);
            assert!(
                e.to_string().contains("backport") || e.to_string().contains("tos"),
                "{bad}: {e}"
            );
        }
    }
}
