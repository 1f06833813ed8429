//! The `status` operation: where a run stands.

use crate::engine::approvals::{self, Review};
use crate::journal::{Phase, Run};
use crate::Error;

use super::run::{load_run_to_read, run_config};
use super::Session;

/// A run as `status` shows it.
pub struct RunStatus {
    pub run: Run,
    /// True when the remote's lock on release names this run.
    pub holds_lock: bool,
    /// True when the run took the lock, has not given it back, and the
    /// remote's lock is gone or names something else: someone removed it.
    pub lock_lost: bool,
    pub now: i64,
    /// The `[approvals]` roles, and those still without a valid approval.
    pub roles: Vec<String>,
    pub missing_roles: Vec<String>,
    /// Why this is this clone's copy of the run, when the remote did not answer.
    pub offline: Option<String>,
    /// The approvals given, sorted into those that count and those that do not.
    pub approvals: Review,
    /// Where each backport's request stands (opened, merged, closed).
    pub backport_landings: Vec<crate::record::backport::BackportLanding>,
    /// What could not be learnt of them (a forge that did not answer).
    pub notices: Vec<String>,
}

impl RunStatus {
    /// Seconds from the run's start to its end, or to now.
    pub fn elapsed(&self) -> i64 {
        self.run.ended_at().unwrap_or(self.now) - self.run.started_at()
    }

    /// Seconds left of the severity's limit (negative when over).
    pub fn remaining(&self) -> Option<i64> {
        self.run.record.limit_secs.map(|l| l as i64 - self.elapsed())
    }
}

/// Returns where a run stands.
pub fn status(session: &Session, id: Option<&str>) -> Result<RunStatus, Error> {
    let (journal, offline) = load_run_to_read(session, id)?;
    let store = session.store();
    let holds_lock = store
        .lock_holder(&journal.run.record.release_branch)?
        .is_some_and(|(value, _)| &value == journal.lock_value());
    let lock_lost = journal.run.owns_lock() && !holds_lock;
    // A rollback waits for the roles of its own approvals step, if it has one.
    let roles = match journal.run.phase() {
        Phase::Hotfix => run_config(session, &journal.run).approvals.roles,
        Phase::Rollback => crate::engine::gates::approval_roles(&journal.run)
            .map(|a| a.roles.clone())
            .unwrap_or_default(),
    };
    let approvals = approvals::review(&session.git, &journal.run, &session.config)?;
    let missing_roles = approvals.missing(&roles);
    let config = run_config(session, &journal.run);
    let (backport_landings, notices) = super::backport::run_landings(session, &journal.run, &config);
    Ok(RunStatus {
        backport_landings,
        notices,
        run: journal.run,
        holds_lock,
        lock_lost,
        now: session.ambient.now(),
        roles,
        missing_roles,
        approvals,
        offline,
    })
}
