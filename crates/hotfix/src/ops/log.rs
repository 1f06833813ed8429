//! The `log` operation: every run this clone or the remote knows.

use crate::config::Severity;
use crate::git::Oid;
use crate::journal::RunState;
use crate::Error;

use super::Session;

/// One line of `log`.
pub struct RunSummary {
    pub id: String,
    pub state: RunState,
    pub started_at: i64,
    pub started_by: String,
    pub release_branch: String,
    pub fixes: Vec<Oid>,
    pub severity: Severity,
}

/// Lists every run this clone or the remote knows, newest first.
pub fn runs(session: &Session) -> Result<Vec<RunSummary>, Error> {
    let store = session.store();
    store.refresh()?;
    let mut out = Vec::new();
    for id in store.list_runs()?.iter().rev() {
        let run = store.load(id)?.run;
        out.push(RunSummary {
            id: id.clone(),
            state: run.state(),
            started_at: run.started_at(),
            started_by: run.entries[0].1.actor.ident.clone(),
            release_branch: run.record.release_branch.clone(),
            fixes: run.record.fixes.clone(),
            severity: run.record.severity,
        });
    }
    Ok(out)
}
