//! The `report` operation: the incident record of a run.

use crate::engine::approvals;
use crate::report::{self, IncidentReport};
use crate::Error;

use super::run::{load_run_to_read, run_config};
use super::verify::verify_journal;
use super::Session;

/// Returns the incident record of a run.
pub fn report(session: &Session, id: Option<&str>) -> Result<IncidentReport, Error> {
    let (journal, offline) = load_run_to_read(session, id)?;
    let config = run_config(session, &journal.run);
    let mut report = report::build(&journal.run, &config, session.ambient.now());
    let review = approvals::review(&session.git, &journal.run, &session.config)?;
    report.approvals = review.approvals();
    report.approvals_not_counted = review.objections().cloned().collect();
    report.verification = Some(verify_journal(session, &journal)?);
    report.offline = offline;
    Ok(report)
}
