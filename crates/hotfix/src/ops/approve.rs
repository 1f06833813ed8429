//! The `approve` operation: records an approval of the pushed release.

use crate::engine::execute;
use crate::engine::gates;
use crate::journal::Journal;
use crate::Error;

use super::run::open_run;
use super::Session;

/// Records the operator's approval of the pushed release in `role`.
pub fn approve(session: &Session, id: Option<&str>, role: &str) -> Result<(Journal, crate::journal::Approval), Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    let approval = gates::approve(&cx, &mut journal, role)?;
    Ok((journal, approval))
}
