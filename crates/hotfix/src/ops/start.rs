//! The `start` operation: creates a run from a confirmed plan and carries it out.

use crate::config::Severity;
use crate::engine::execute::{self, Outcome, Progress};
use crate::engine::WorkflowError;
use crate::journal::{Entry, Event, Journal, RunRecord};
use crate::record::plan::Plan;
use crate::Error;

use super::{HotfixRequest, Session};

/// How a run is started.
#[derive(Clone, Debug)]
pub struct StartOptions {
    pub severity: Severity,
    pub incident: Option<String>,
    /// Allows a severity without a hotfix path (medium).
    pub force: bool,
    /// The operator confirmed the production steps too (release job, deploy).
    pub confirmed: bool,
}

/// Refuses severities the runbooks send to the normal release.
pub fn check_severity(options: &StartOptions) -> Result<(), Error> {
    if options.severity == Severity::Medium && !options.force {
        return Err(Error::MediumSeverity);
    }
    Ok(())
}

/// Creates run `run_id` from a confirmed `plan` and carries it out.
pub fn start(
    session: &Session,
    run_id: &str,
    request: &HotfixRequest,
    plan: Plan,
    options: &StartOptions,
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    check_severity(options)?;
    if !plan.is_safe() {
        return Err(Error::Blocked {
            checks: plan.blocking().count(),
        });
    }
    if let Some(deploy) = &plan.merge_main {
        // Seed 002: "the fix is scoped and low-risk"; more is a decision.
        if !deploy.beyond_fix.is_empty() && !request.allow_extra {
            return Err(Error::ExtraCommits {
                count: deploy.beyond_fix.len(),
            });
        }
    }
    let store = session.store();
    if session.journals_fetched.get() {
        // The plan's fetch brought the remote's runs and locks.
        store.accept_offered()?;
    } else {
        store.refresh()?;
    }
    if let Some((_, holder)) = store.lock_holder(&plan.release_branch)? {
        return Err(WorkflowError::ReleaseLocked {
            branch: plan.release_branch.clone(),
            holder,
        }
        .into());
    }
    // Before the record: the record carries the incident's page, so no
    // clone that continues the run opens a second one.
    let incident = match options.incident.as_deref() {
        Some(given) => Some(session.redactor.redact(&incident_of(session, run_id, &plan, given)?)),
        None => None,
    };
    let cx = session.context(progress, options.confirmed)?;
    let mut plan = plan;
    // The steps carry commands and URLs; the record keeps their secrets masked.
    plan.steps = session.redactor.redact_all(&plan.steps);
    let record = RunRecord {
        format: RunRecord::FORMAT,
        run_id: run_id.to_string(),
        strategy: plan.strategy.clone(),
        remote: session.config.remote.clone(),
        release_branch: plan.release_branch.clone(),
        main_branch: plan.main_branch.clone(),
        fixes: match (&plan.merge_main, plan.trunk.as_deref()) {
            (Some(deploy), _) => vec![deploy.fix.id.clone()],
            (None, Some(trunk)) if plan.picks.is_empty() => trunk.fixes.clone(),
            (None, _) => plan.picks.iter().map(|p| p.fix.clone()).collect(),
        },
        mainline: request.mainline,
        severity: options.severity,
        incident,
        limit_secs: session.config.limit_for(options.severity).map(|d| d.as_secs()),
        allow_dependency: request.allow_dependency.as_deref().map(|r| session.redactor.redact(r)),
        production_override: request
            .production_override
            .as_deref()
            .map(|r| session.redactor.redact(r)),
        plan,
        // Secret values never reach the journal; the run puts them back
        // from the environment of whoever carries it on.
        config: Some(Box::new(session.redactor.redact_config(&session.config))),
    };
    let created = Entry {
        seq: 0,
        at: cx.operator.time,
        actor: cx.actor.clone(),
        event: Event::RunCreated(Box::new(record)),
    };
    let mut journal = store.create(run_id, vec![created], &cx.operator)?;
    journal.run.restore_secrets(&session.redactor);
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}

/// Returns what the record keeps as the run's incident: with `[forge]`, the
/// page of the incident `new` opens or the one `given` (a number or a page)
/// names, as the forge answered; otherwise, or for other text, `given`.
fn incident_of(session: &Session, run_id: &str, plan: &Plan, given: &str) -> Result<String, Error> {
    let Some(forge_config) = &session.config.forge else {
        return Ok(given.to_string());
    };
    if given != "new" && crate::forge::incident_number(forge_config, given).is_none() {
        return Ok(given.to_string());
    }
    let failed = |reason: String| Error::Incident {
        reference: given.to_string(),
        reason: session.redactor.redact(&reason),
    };
    let forge =
        crate::engine::incident::open(&session.config, session.git.git_dir(), &session.redactor).map_err(failed)?;
    let found = if given == "new" {
        let service = session.config.service.as_deref().unwrap_or(&plan.release_branch);
        let title = format!("hotfix {run_id}: {service} production");
        let description = format!(
            "Opened by git-hotfix for run `{run_id}`: {} fix(es) onto `{}`, production {}.\n\n\
             The timeline follows the run's journal; the report is added when it finishes.",
            plan.picks.len(),
            plan.release_branch,
            plan.production.commit.short()
        );
        forge.open_incident(&title, &session.redactor.redact(&description))
    } else {
        forge.incident(given)
    };
    found.map(|i| i.web_url).map_err(|e| failed(e.to_string()))
}
