//! The `report` operation: the incident record of a run.

use crate::engine::approvals;
use crate::journal::{Evidence, Phase};
use crate::record::plan::StepName;
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
    let run = &journal.run;
    let review = approvals::review(&session.git, run, &session.config)?;
    if run.phase() == Phase::Rollback {
        // The gate reads the current phase's approvals: the rollback's. The
        // hotfix's are those its approvals step counted when it passed.
        report.approvals = match run.done_entry_in(Phase::Hotfix, &StepName::APPROVALS) {
            Some((_, Evidence::Approvals { approvals })) => approvals.clone(),
            _ => Vec::new(),
        };
        report.rollback_approvals = review.approvals();
    } else {
        report.approvals = review.approvals();
    }
    report.approvals_not_counted = review.objections().cloned().collect();
    report.verification = Some(verify_journal(session, &journal)?);
    report.offline = offline;
    let (landings, notices) = super::backport::run_landings(session, &journal.run, &config);
    // The follow-ups list only the backports not merged yet.
    for b in journal.run.backports() {
        let merged = landings
            .iter()
            .any(|l| l.fix == b.fix && l.target == b.target && l.landing == crate::record::backport::Landing::Merged);
        if let (true, Some(line)) = (merged, report::backport_follow_up(&b)) {
            report.follow_ups.retain(|f| f != &line);
        }
    }
    report.backport_landings = landings;
    report.notices.extend(notices);
    Ok(report)
}
