//! The `ci` operation: writes the hotfix pipeline's CI template into the repository.

use std::path::{Path, PathBuf};

use crate::ci::{self, CiError, CiForge};
use crate::ops::Session;

/// Writes the template of the session's hotfix pipeline for `forge` to
/// `output` (relative to the repository root; default
/// [`CiForge::default_path`]), refusing to replace a file unless `force`.
/// Returns where it was written.
pub fn write_ci(
    session: &Session,
    forge: CiForge,
    output: Option<&Path>,
    force: bool,
) -> Result<PathBuf, crate::Error> {
    session.require_config()?;
    let text = ci::template(&session.config, forge)?;
    let root = session.git.work_tree().unwrap_or(session.git.git_dir());
    let path = root.join(output.unwrap_or(Path::new(forge.default_path())));
    if path.exists() && !force {
        return Err(CiError::Exists { path }.into());
    }
    let write = |source| CiError::Write {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write)?;
    }
    std::fs::write(&path, text).map_err(write)?;
    Ok(path)
}
