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
    let items = post_report(&on_run, run, items)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    execute::finish(&cx, &mut journal, items.clone())?;
    Ok((journal, items))
}

/// Puts the report in the run's forge incident, when it has one: the
/// incident's evidence item is then proven by the forge's answers (the
/// incident the record names, and this note). A note the forge refuses
/// leaves the item missing, so the run stays open until `finish` succeeds.
fn post_report(
    session: &Session,
    run: &crate::journal::Run,
    mut items: Vec<EvidenceItem>,
) -> Result<Vec<EvidenceItem>, Error> {
    let Some(incident) = crate::engine::incident::of_run(&session.config, run) else {
        return Ok(items);
    };
    let Some(index) = items.iter().position(|i| report::is_incident_item(run, &i.id)) else {
        return Ok(items);
    };
    let text = session.redactor.redact(&report_note(run, &items));
    let posted = crate::engine::incident::open(&session.config, session.git.git_dir(), &session.redactor)
        .and_then(|forge| forge.note_incident(&incident, &text, false).map_err(|e| e.to_string()));
    let item = &mut items[index];
    match posted {
        Ok(note) => {
            item.detail = format!(
                "incident #{} ({}): the report is note {} on it",
                incident.iid,
                incident.web_url,
                note.map_or("(no id given)".to_string(), |n| format!("#{n}"))
            );
            Ok(items)
        }
        Err(why) => {
            item.status = crate::journal::ItemStatus::Missing;
            item.detail = format!(
                "the report could not be added to incident #{}: {}",
                incident.iid,
                session.redactor.redact(&why)
            );
            Err(WorkflowError::EvidenceMissing {
                missing: vec![item.clone()],
            }
            .into())
        }
    }
}

/// Returns the report as a note: the run, its evidence items, its timeline.
fn report_note(run: &crate::journal::Run, items: &[EvidenceItem]) -> String {
    let mut text = format!(
        "## git-hotfix report: run {}\n\nproduction {} on {}, {} fix(es)\n\n### Evidence\n",
        run.id,
        run.record.plan.production.commit.short(),
        run.record.release_branch,
        run.record.fixes.len()
    );
    for i in items {
        let status = if i.status == crate::journal::ItemStatus::Ok {
            "ok"
        } else {
            "MISSING"
        };
        text.push_str(&format!("- [{status}] {}: {}\n", i.item, i.detail));
    }
    text.push_str("\n### Timeline\n");
    for (_, entry) in &run.entries {
        if let Some(line) = crate::engine::incident::milestone(run, &entry.event) {
            text.push_str(&format!("- {} {line}\n", crate::ambient::format_utc(entry.at)));
        }
    }
    text
}
