//! The `init` operation: writes a commented hotfix.toml.

use std::path::{Path, PathBuf};

use crate::config::{self, Config, ConfigError};
use crate::git::{tracking_ref, Git};
use crate::Error;

/// Writes a commented `hotfix.toml` for the repository at `dir`, with branch
/// names detected from the remote-tracking refs. Returns where it was written.
pub fn init(dir: &Path, remote: &str, force: bool) -> Result<PathBuf, Error> {
    let git = Git::open(dir)?;
    let root = git.work_tree().unwrap_or(git.git_dir()).to_path_buf();
    let path = root.join(config::FILE_NAME);
    if path.exists() && !force {
        return Err(Error::ConfigExists { path });
    }
    let prefix = tracking_ref(remote, "");
    let mut names: Vec<String> = git
        .list_refs(&prefix)?
        .into_iter()
        .map(|(n, _)| n.trim_start_matches(&prefix).to_string())
        .collect();
    if names.is_empty() {
        names = git
            .list_refs("refs/heads/")?
            .into_iter()
            .map(|(n, _)| n.trim_start_matches("refs/heads/").to_string())
            .collect();
    }
    let first = |candidates: &[&str]| {
        candidates
            .iter()
            .find(|c| names.iter().any(|n| n == *c))
            .map(|c| c.to_string())
    };
    let main = first(&["main", "master", "trunk"]).unwrap_or_else(|| "main".into());
    let release = first(&["release", "production", "prod", "stable"]).unwrap_or_else(|| "release".into());
    let develop = first(&["develop", "dev", "development"]);
    let text = config::template(&main, &release, develop.as_deref(), remote);
    Config::parse(&text, &path)?;
    std::fs::write(&path, text).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
