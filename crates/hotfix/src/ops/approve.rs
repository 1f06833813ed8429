//! The `approve` operation: records an approval of the pushed release.

use crate::engine::execute;
use crate::engine::gates;
use crate::journal::{Approval, Journal};
use crate::Error;

use super::run::open_run;
use super::Session;

/// What `approve` did.
pub struct Approved {
    pub journal: Journal,
    /// The approval, with how it was verified.
    pub approval: Approval,
    /// The run's roles still without an approval that counts.
    pub missing: Vec<String>,
}

/// Records the operator's approval of the pushed release in `role`.
pub fn approve(session: &Session, id: Option<&str>, role: &str) -> Result<Approved, Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    let approval = gates::approve(&cx, &mut journal, role)?;
    let missing = gates::missing_roles(&session.git, &journal.run, &on_run.config)?;
    Ok(Approved {
        journal,
        approval,
        missing,
    })
}
