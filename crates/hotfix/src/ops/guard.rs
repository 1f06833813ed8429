//! The `guard` operation: says whether a pipeline action may run on a branch.

use crate::journal::JournalStore;
use crate::Error;

use super::Session;

/// What `guard` found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GuardVerdict {
    pub branch: String,
    pub action: String,
    /// The run holding the branch's lock, if one does.
    pub locked_by: Option<String>,
    /// An unfinished run that took the branch's lock and finds it gone:
    /// someone removed it, and the run may still move the branch.
    pub lock_lost_by: Option<String>,
    pub allowed: bool,
    pub reason: String,
}

/// Says whether a pipeline action may run on `branch` now: while a hotfix
/// holds the branch's lock only the run's own release job may; while an
/// unfinished run that took the lock finds it missing (someone removed it),
/// none may.
pub fn guard(session: &Session, action: &str, branch: Option<&str>) -> Result<GuardVerdict, Error> {
    session.require_config()?;
    let branch = branch.unwrap_or(&session.config.branches.release).to_string();
    let lock_ref = JournalStore::lock_ref(&branch);
    let remote = &session.config.remote;
    let locked_by = match session.git.remote_ref(remote, &lock_ref)? {
        Some(_) => {
            let store = session.store();
            store.refresh()?;
            Some(
                store
                    .lock_holder(&branch)?
                    .map_or_else(|| "(unknown run)".into(), |(_, id)| id),
            )
        }
        None => None,
    };
    let lock_lost_by = match &locked_by {
        Some(_) => None,
        None => unfinished_without_lock(session, &branch)?,
    };
    let own_job = session
        .config
        .release
        .as_ref()
        .filter(|r| r.forbidden().is_none())
        .is_some_and(|r| r.action == action);
    let (allowed, reason) = match (&locked_by, &lock_lost_by) {
        (None, Some(run)) => (
            false,
            format!(
                "hotfix run {run} is unfinished and took {lock_ref}, which is gone from the remote: someone \
                 removed it; `{action}` could drag unreleased work into the hotfix"
            ),
        ),
        (None, None) => (true, format!("no hotfix holds {branch}")),
        (Some(run), _) if own_job => (
            true,
            format!("`{action}` is the hotfix's own release job (run {run} holds {branch})"),
        ),
        (Some(run), _) => (
            false,
            format!("hotfix run {run} holds {branch}; `{action}` could drag unreleased work into it"),
        ),
    };
    Ok(GuardVerdict {
        branch,
        action: action.to_string(),
        locked_by,
        lock_lost_by,
        allowed,
        reason,
    })
}

/// Returns the newest unfinished run on `branch` that took its lock and has
/// not given it back, when the remote has no lock on `branch`.
fn unfinished_without_lock(session: &Session, branch: &str) -> Result<Option<String>, Error> {
    let store = session.store();
    store.refresh()?;
    if store.lock_value(branch)?.is_some() {
        return Ok(None); // taken meanwhile: the next guard sees its holder
    }
    for id in store.list_runs()?.iter().rev() {
        let run = store.load(id)?.run;
        if run.record.release_branch == branch && run.owns_lock() {
            return Ok(Some(id.clone()));
        }
    }
    Ok(None)
}
