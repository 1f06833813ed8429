//! `[incident]`: the other repositories one incident's hotfixes may span.
//!
//! `git hotfix report --incident ID` reads every run with that incident in
//! this repository and in each one listed here, and gives one record across
//! them. The paths are relative to this repository's root (`../api`).

use serde::{Deserialize, Serialize};

/// The `[incident]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "IncidentTable")]
pub struct Incident {
    /// The other repositories' checkouts, relative to this repository's root.
    pub repositories: Vec<String>,
}

/// `[incident]` as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentTable {
    #[serde(default)]
    repositories: Vec<String>,
}

impl TryFrom<IncidentTable> for Incident {
    type Error = String;

    fn try_from(table: IncidentTable) -> Result<Self, String> {
        if let Some(at) = table.repositories.iter().position(|r| r.trim().is_empty()) {
            return Err(format!(
                "`incident.repositories` entry {} is empty: each entry is the path of a repository's checkout, \
                 relative to this repository's root (`../api`)",
                at + 1
            ));
        }
        Ok(Incident {
            repositories: table.repositories,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    const BASE: &str = "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n";

    #[test]
    fn repositories_are_read_and_left_out_of_a_config_without_them() {
        let text = format!("{BASE}[incident]\nrepositories = [\"../admin\", \"../api\"]\n");
        let config = Config::parse(&text, Path::new("hotfix.toml")).expect("valid");
        let incident = config.incident.as_ref().expect("the table is read");
        assert_eq!(incident.repositories, ["../admin", "../api"]);
        let plain = Config::parse(BASE, Path::new("hotfix.toml")).expect("valid");
        assert_eq!(plain.incident, None);
        let recorded = serde_json::to_value(&plain).expect("serializes");
        assert!(recorded.get("incident").is_none(), "{recorded}");
    }

    #[test]
    fn an_empty_path_or_an_unknown_key_is_refused_naming_it() {
        let empty = format!("{BASE}[incident]\nrepositories = [\"../api\", \" \"]\n");
        let e = Config::parse(&empty, Path::new("hotfix.toml")).expect_err("an empty path");
        assert!(
            e.to_string().contains("`incident.repositories` entry 2 is empty"),
            "{e}"
        );
        let typo = format!("{BASE}[incident]\nrepos = [\"../api\"]\n");
        let e = Config::parse(&typo, Path::new("hotfix.toml")).expect_err("an unknown key");
        assert!(e.to_string().contains("repos"), "{e}");
    }
}
