//! Every operation of git-hotfix, each a function the CLI calls: open a
//! session, plan, start, continue, approve, attest, rollback, finish, abort,
//! guard, status, report (of one run, or of an incident across repositories),
//! verify, log, init, doctor.

mod abort;
mod approve;
mod attest;
mod backport;
mod ci;
mod doctor;
mod finish;
mod guard;
mod incident_report;
mod init;
mod log;
mod prepare;
mod report;
mod resolve;
mod resume;
mod rollback;
mod run;
mod session;
mod start;
mod status;
mod verify;

pub use self::abort::abort;
pub use self::approve::{approve, Approved};
pub use self::attest::attest;
pub use self::backport::{backport, backport_resolve, BackportOptions, BackportResolveOptions, BackportResolveOutcome};
pub use self::ci::write_ci;
pub use self::doctor::{doctor, Doctor, DoctorCheck};
pub use self::finish::finish;
pub use self::guard::{guard, GuardVerdict};
pub use self::incident_report::{
    incident_report, incident_repositories, CombinedReport, CombinedTarget, CombinedTimelineEntry, IncidentId,
    IncidentReportError, IncidentRun, IncidentState, Match, RepositoryRuns, RunEvidence,
};
pub use self::init::init;
pub use self::log::{runs, RunSummary};
pub use self::prepare::{prepare, prepare_all, HotfixRequest};
pub use self::report::report;
pub use self::resolve::resolve;
pub use self::resume::{resume, ResumeOptions};
pub use self::rollback::{rollback, rollback_preview, RollbackPreview};
pub use self::run::load_run;
pub use self::session::Session;
pub use self::start::{check_severity, start, StartOptions};
pub use self::status::{status, RunStatus};
pub use self::verify::verify;
