//! The `resolve` operation: opens a pick conflict in a worktree of its own.

use crate::engine::execute::Progress;
use crate::journal::Journal;
use crate::pick::resolve::{self, Opened};
use crate::Error;

use super::run::{fetch_release_and_main, open_run};
use super::Session;

/// Opens the conflict run `id` stopped at in a worktree of its own.
pub fn resolve(session: &Session, id: Option<&str>, progress: &dyn Progress) -> Result<(Journal, Opened), Error> {
    let (journal, on_run) = open_run(session, id)?;
    fetch_release_and_main(&on_run)?;
    let cx = on_run.context(progress, false)?;
    let opened = resolve::open(&cx, &journal.run)?;
    Ok((journal, opened))
}
