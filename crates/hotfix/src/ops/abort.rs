//! The `abort` operation: stops a run for good.

use crate::engine::execute;
use crate::journal::Journal;
use crate::Error;

use super::run::open_run;
use super::Session;

/// Stops a run for good and gives its lock back.
pub fn abort(session: &Session, id: Option<&str>, reason: &str) -> Result<Journal, Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    execute::abort(&cx, &mut journal, reason)?;
    Ok(journal)
}
