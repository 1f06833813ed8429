//! The `finish` operation: closes a run and gives the release lock back.

use crate::engine::execute;
use crate::engine::WorkflowError;
use crate::journal::{Entry, Event, Journal};
use crate::journal::{EvidenceItem, Phase};
use crate::report;
use crate::Error;

use super::run::{load_run, unfinished};
use super::Session;

/// Closes a run whose steps are all done and whose evidence is complete,
/// giving the release lock back.
///
/// Inside the monitoring window it refuses unless `force`: production is
/// still being watched.
pub fn finish(session: &Session, id: Option<&str>, force: bool) -> Result<(Journal, Vec<EvidenceItem>), Error> {
    let mut journal = load_run(session, id)?;
    // Finishing twice (say, after a crash right after the push) is a no-op.
    if let Some((
        _,
        Entry {
            event: Event::Finished { items, .. },
            ..
        },
    )) = journal.run.entries.last()
    {
        let items = items.clone();
        return Ok((journal, items));
    }
    let on_run = unfinished(session, &journal)?;
    let run = &journal.run;
    if let Some(next) = run.next_step() {
        return Err(WorkflowError::StepsRemain {
            id: journal.id.clone(),
            next: next.name.clone(),
        }
        .into());
    }
    if let Some(until) = run.monitor_until().filter(|u| *u > session.ambient.now() && !force) {
        if run.phase() == Phase::Hotfix {
            return Err(WorkflowError::MonitoringWindow {
                id: journal.id.clone(),
                until,
                left_secs: until - session.ambient.now(),
            }
            .into());
        }
    }
    let items = report::evidence_items(run, &on_run.config);
    let missing: Vec<EvidenceItem> = items
        .iter()
        .filter(|i| i.status == crate::journal::ItemStatus::Missing)
        .cloned()
        .collect();
    // A rolled-back hotfix never reached its later items; the rollback's own
    // steps are its evidence.
    if !missing.is_empty() && run.phase() == Phase::Hotfix {
        return Err(WorkflowError::EvidenceMissing { missing }.into());
    }
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    execute::finish(&cx, &mut journal, items.clone())?;
    Ok((journal, items))
}
