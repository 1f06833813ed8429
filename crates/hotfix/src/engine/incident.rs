//! The run's incident on the forge: each journal milestone becomes a
//! timeline event of it (GitLab: a note with the `/timeline` quick action;
//! GitHub, which has none: a comment on the incident issue).
//!
//! The incident is in the run record (`incident`: its page, as the forge
//! answered when `start` opened or adopted it), so every clone that
//! continues the run writes on the same one and none opens a second.
//! A post that fails is a notice, never a failed step: production matters
//! more. It is not retried on the next milestone: the report `finish` posts
//! holds the whole timeline, so nothing the incident needs is lost.

use crate::config::Config;
use crate::forge::{self, Forge, IncidentRef};
use crate::journal::{Event, Evidence, Run};
use crate::secrets::Redactor;

use super::execute::Context;

/// Returns the forge incident `run` records, when its configuration has a
/// `[forge]` and its `incident` is one of the forge's pages (free text is not).
pub fn of_run(config: &Config, run: &Run) -> Option<IncidentRef> {
    let forge_config = config.forge.as_ref()?;
    let url = run.record.incident.as_deref()?;
    let iid = forge::incident_number(forge_config, url).filter(|_| url.contains("://"))?;
    Some(IncidentRef {
        iid,
        web_url: url.to_string(),
    })
}

/// Opens the forge of `config` with the operator's token.
pub fn open(config: &Config, git_dir: &std::path::Path, redactor: &Redactor) -> Result<Box<dyn Forge>, String> {
    let forge_config = config.forge.as_ref().ok_or("the run's configuration has no [forge]")?;
    let mut redactor = redactor.clone();
    forge::open_from_env(forge_config, git_dir, &mut redactor).map_err(|e| redactor.redact(&e.to_string()))
}

/// Adds a timeline event to the run's incident for each of the `newest`
/// entries that is a milestone.
pub(super) fn timeline(cx: &Context<'_>, run: &Run, newest: usize) {
    let Some(incident) = of_run(cx.config, run) else {
        return;
    };
    let events: Vec<String> = run.entries[run.entries.len().saturating_sub(newest)..]
        .iter()
        .filter_map(|(_, entry)| milestone(run, &entry.event))
        .collect();
    if events.is_empty() {
        return;
    }
    let forge = match open(cx.config, cx.git.git_dir(), cx.redactor) {
        Ok(forge) => forge,
        Err(why) => {
            cx.progress.notice(&format!("incident timeline not updated: {why}"));
            return;
        }
    };
    for text in events {
        if let Err(e) = forge.note_incident(&incident, &cx.redactor.redact(&text), true) {
            cx.progress.notice(&format!(
                "incident timeline not updated ({}): {}",
                incident.web_url,
                cx.redactor.redact(&e.to_string())
            ));
        }
    }
}

/// Returns the timeline text of a milestone entry, naming the run.
pub fn milestone(run: &Run, event: &Event) -> Option<String> {
    let id = &run.id;
    let short = |s: &crate::git::Oid| s.short().to_string();
    Some(match event {
        Event::StepDone { evidence, step } => match evidence {
            Evidence::Lock { .. } => format!(
                "hotfix {id} started: {} fix(es) onto {}, production {}",
                run.record.fixes.len(),
                run.record.release_branch,
                short(&run.record.plan.production.commit)
            ),
            Evidence::Pushed { branch_ref, new, .. }
                if branch_ref.ends_with(&format!("/{}", run.record.release_branch)) =>
            {
                format!("hotfix {id}: release pushed at {}", short(new))
            }
            Evidence::Deployed { release_sha, .. } => format!("hotfix {id}: deployed {}", short(release_sha)),
            Evidence::ForgeJob { job, release_sha, .. } if step.as_str() == "deploy" => format!(
                "hotfix {id}: deploy job `{}` {} for {} ({})",
                job.name,
                job.status,
                short(release_sha),
                job.web_url
            ),
            Evidence::ProductionVerified { release_sha, .. } => {
                format!("hotfix {id}: production verified on {}", short(release_sha))
            }
            _ => return None,
        },
        Event::StepFailed { step, error, .. } if matches!(step.as_str(), "deploy" | "release-action") => {
            format!("hotfix {id}: {step} failed: {error}")
        }
        Event::Approved { approval } => format!("hotfix {id}: approved as {} by {}", approval.role, approval.ident),
        Event::RollbackStarted { reason, .. } => format!(
            "hotfix {id}: rollback started to {}: {reason}",
            short(&run.record.plan.production.commit)
        ),
        Event::Finished { items, .. } => format!("hotfix {id} finished: {}", super::gates::items_ok(items)),
        _ => return None,
    })
}
