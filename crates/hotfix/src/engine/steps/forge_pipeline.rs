//! Creates the release pipeline on the forge and plays its manual release
//! job (seed 000's `release <service>`, seed 001's guided inputs).
//!
//! Creating a pipeline is not safe to repeat, so the step journals on the
//! remote that it asks (a `step-started` entry) before the request, and the
//! pipeline's id and page (`pipeline-created`) before it follows it: a
//! `continue` from any clone, after Ctrl-C or a crash, follows the same
//! pipeline; one that died between the two stops for the operator's decision.

use crate::engine::execute::{mirror, push_with_journal, Context};
use crate::engine::gates::{conclude, release_unmoved};
use crate::engine::steps::forge_job::{
    forge_failed, journaled_pipeline, log_tail, open_forge, play_and_follow, verdict,
};
use crate::engine::WorkflowError;
use crate::forge::ForgeError;
use crate::journal::{Event, Evidence, Journal, JournalError};
use crate::record::plan::Step;
use crate::record::step::ForgePipelineStep;

pub(super) fn forge_pipeline(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    action: &ForgePipelineStep,
) -> Result<(), WorkflowError> {
    if let Some((what, forbidden)) = action.forbidden() {
        return Err(WorkflowError::ForbiddenAction {
            action: what,
            forbidden: forbidden.to_string(),
        });
    }
    let release_sha = release_unmoved(cx, &journal.run)?;
    let forge = open_forge(cx, &step.name)?;
    let pipeline = match journaled_pipeline(&journal.run, &step.name) {
        Some(pipeline) => {
            cx.progress.output(
                &step.name,
                &format!(
                    "following pipeline #{} created earlier: {}",
                    pipeline.id, pipeline.web_url
                ),
            );
            pipeline
        }
        None => {
            super::stop_if_asked(cx, &step.name)?;
            let project = action
                .request
                .project
                .clone()
                .or_else(|| cx.config.forge.as_ref().map(|f| f.project.clone()))
                .unwrap_or_default();
            let asking = Event::StepStarted {
                step: step.name.clone(),
                pgid: 0,
                host: cx.actor.host.clone(),
                command: format!("create a pipeline in {project} on `{}`", action.request.git_ref),
            };
            let fault = format!("{}-started:after-remote", step.name);
            if !push_with_journal(cx, journal, vec![asking], Vec::new(), &fault)?.accepted() {
                return Err(JournalError::Contended { id: journal.id.clone() }.into());
            }
            let pipeline = match forge.start_pipeline(&action.request) {
                Ok(pipeline) => pipeline,
                // No answer: the forge may have made the pipeline all the same, so the
                // attempt stays open, for the operator to decide (`--rerun`).
                Err(e @ ForgeError::Transport { .. }) => {
                    cx.progress.notice(&cx.redactor.redact(&format!(
                        "{e}; the forge may have created the pipeline: look at {project}'s pipelines"
                    )));
                    let attempt = journal.run.open_attempt(&step.name);
                    return Err(match attempt {
                        Some(attempt) => WorkflowError::RerunUndecided {
                            attempt,
                            known_gone: true,
                        },
                        None => forge_failed(cx, &step.name, &e),
                    });
                }
                Err(e) => return Err(forge_failed(cx, &step.name, &e)),
            };
            cx.progress.output(
                &step.name,
                &format!("created pipeline #{}: {}", pipeline.id, pipeline.web_url),
            );
            let created = Event::PipelineCreated {
                step: step.name.clone(),
                pipeline: pipeline.clone(),
            };
            let fault = format!("{}-pipeline:after-remote", step.name);
            if !push_with_journal(cx, journal, vec![created], Vec::new(), &fault)?.accepted() {
                return Err(JournalError::Contended { id: journal.id.clone() }.into());
            }
            pipeline
        }
    };
    let (job, played, ok, log) = match &action.job {
        Some(name) => {
            let followed = play_and_follow(cx, &*forge, &step.name, &pipeline, name, false, &action.wait)?;
            let ok = verdict("the release job", &followed);
            let log = ok.is_err().then(|| log_tail(cx, &*forge, &followed.job));
            (Some(followed.job), followed.played, ok, log)
        }
        None => (None, false, Ok(()), None),
    };
    let evidence = Evidence::ForgePipeline {
        release_sha,
        request: action.request.clone(),
        pipeline,
        job,
        played,
        log_tail: log,
    };
    conclude(cx, journal, step, ok, evidence)?;
    let _ = mirror(cx, journal);
    Ok(())
}
