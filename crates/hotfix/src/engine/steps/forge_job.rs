//! Plays a manual job on the forge and follows it to its end: the release
//! pipeline's `release <service>` job, and the production deploy job of
//! the release pipeline or of its downstream pipeline (seed 000/001).
//!
//! Nothing is asked twice that is not safe to repeat: a job is played only
//! while the forge says it is `manual` (a job already running or done is
//! followed, not played again), and the deploy looks for its job in the
//! pipeline the release step journaled.

use std::time::Duration;

use crate::engine::execute::{mirror, Context};
use crate::engine::gates::{conclude, release_unmoved};
use crate::engine::WorkflowError;
use crate::forge::{Forge, ForgeError};
use crate::journal::{Event, Evidence, Journal, Run};
use crate::record::forge::{JobRef, PipelineRef};
use crate::record::plan::{Step, StepName};
use crate::record::step::{ForgeJobStep, JobWait};

/// How many lines of a failed job's log the journal keeps.
const LOG_TAIL_LINES: usize = 40;

/// The hint every wait that gives up carries.
const WAIT_HINT: &str = "check the job's page: it may wait for a runner, an earlier stage or a protected-environment \
                         approval; `git hotfix continue` follows the same pipeline again";

/// Opens the run's forge with the operator's token.
pub(super) fn open_forge(cx: &Context<'_>, step: &StepName) -> Result<Box<dyn Forge>, WorkflowError> {
    let Some(config) = &cx.config.forge else {
        return Err(WorkflowError::ProductionStepFailed {
            step: step.clone(),
            reason: "the step plays a forge job, and the run's configuration has no [forge]".into(),
            evidence: None,
            rollback: false,
        });
    };
    let mut redactor = cx.redactor.clone();
    crate::forge::open_from_env(config, cx.git.git_dir(), &mut redactor).map_err(|e| forge_failed(cx, step, &e))
}

/// Returns the step failed on a forge error, the token masked.
pub(super) fn forge_failed(cx: &Context<'_>, step: &StepName, e: &ForgeError) -> WorkflowError {
    WorkflowError::ProductionStepFailed {
        step: step.clone(),
        reason: cx.redactor.redact(&e.to_string()),
        evidence: None,
        rollback: false,
    }
}

/// Returns the error of a play the forge refused. A 403 is most often a
/// job deploying to a protected environment whose deployment waits for its
/// approvals (a rollback's new deployment has none yet): the reason says
/// where to give them.
fn refused_play(cx: &Context<'_>, step: &StepName, job: &JobRef, e: ForgeError) -> WorkflowError {
    match &e {
        ForgeError::Status(refusal) if refusal.status == 403 => WorkflowError::ProductionStepFailed {
            step: step.clone(),
            reason: cx.redactor.redact(&format!(
                "{e}; when `{}` #{} deploys to a protected environment, its deployment waits for approvals: \
                 have them given on the forge ({}), or have someone allowed to run it play it",
                job.name, job.id, job.web_url
            )),
            evidence: None,
            rollback: false,
        },
        _ => forge_failed(cx, step, &e),
    }
}

/// Returns the pipeline `step` created in the run's current phase and
/// journaled, unless a failure or a decision to run it again came after.
pub(crate) fn journaled_pipeline(run: &Run, step: &StepName) -> Option<PipelineRef> {
    let mut found = None;
    for entry in run.entries_of(run.phase()) {
        match &entry.event {
            Event::PipelineCreated { step: s, pipeline } if *s == *step => found = Some(pipeline.clone()),
            Event::StepFailed { step: s, .. } | Event::RerunAllowed { step: s } if *s == *step => found = None,
            _ => {}
        }
    }
    found
}

/// How a followed job ended.
pub(super) struct Followed {
    pub job: JobRef,
    /// False when the job was already past `manual` (played by an earlier attempt or a person).
    pub played: bool,
}

/// Finds `name` in `pipeline` (waiting while the pipeline has not made it
/// yet), plays it if it is manual, and follows it to its end, each status
/// change reported as progress. Gives up after `start_timeout` of polls
/// without a start, and after `timeout` of polls once it runs.
#[allow(clippy::too_many_arguments)]
pub(super) fn play_and_follow(
    cx: &Context<'_>,
    forge: &dyn Forge,
    step: &StepName,
    pipeline: &PipelineRef,
    name: &str,
    downstream: bool,
    wait: &JobWait,
) -> Result<Followed, WorkflowError> {
    let JobWait {
        timeout,
        poll_interval,
        start_timeout,
    } = *wait;
    let failed = |e: ForgeError| forge_failed(cx, step, &e);
    let gave_up = |what: String, url: &str| WorkflowError::ProductionStepFailed {
        step: step.clone(),
        reason: cx.redactor.redact(&format!("{what} ({url}); {WAIT_HINT}")),
        evidence: None,
        rollback: false,
    };
    let mut waited = Duration::ZERO;
    let where_ = if downstream {
        "the downstream pipeline of"
    } else {
        "pipeline"
    };
    let mut job = loop {
        if let Some(job) = forge.find_job(pipeline, name, downstream).map_err(failed)? {
            break job;
        }
        if waited >= start_timeout {
            return Err(gave_up(
                format!(
                    "no job `{name}` appeared in {where_} #{} within {}",
                    pipeline.id,
                    wait_text(start_timeout)
                ),
                &pipeline.web_url,
            ));
        }
        sleep(cx, poll_interval);
        waited += poll_interval;
    };
    cx.progress.output(
        step,
        &format!("job `{}` #{} is {}: {}", job.name, job.id, job.status, job.web_url),
    );
    let mut played = false;
    if job.status == "manual" {
        super::stop_if_asked(cx, step)?;
        job = forge.play_job(&job).map_err(|e| refused_play(cx, step, &job, e))?;
        played = true;
        cx.progress
            .output(step, &format!("played `{}` #{}: {}", job.name, job.id, job.status));
    }
    let mut started_after = if job.started() { Some(waited) } else { None };
    while !job.finished() {
        match started_after {
            None if waited >= start_timeout => {
                return Err(gave_up(
                    format!(
                        "job `{}` #{} did not start within {}: still `{}`",
                        job.name,
                        job.id,
                        wait_text(start_timeout),
                        job.status
                    ),
                    &job.web_url,
                ))
            }
            Some(at) if waited - at >= timeout => {
                return Err(gave_up(
                    format!(
                        "job `{}` #{} did not end within {}: still `{}`",
                        job.name,
                        job.id,
                        wait_text(timeout),
                        job.status
                    ),
                    &job.web_url,
                ))
            }
            _ => {}
        }
        sleep(cx, poll_interval);
        waited += poll_interval;
        let now = forge.job(&job).map_err(failed)?;
        if now.status != job.status {
            cx.progress.output(
                step,
                &format!("job `{}` #{}: {} -> {}", now.name, now.id, job.status, now.status),
            );
        }
        job = now;
        if started_after.is_none() && job.started() {
            started_after = Some(waited);
        }
    }
    Ok(Followed { job, played })
}

/// Returns a wait for a message: `300ms` below a second, else as `status` shows durations.
fn wait_text(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        crate::config::format_duration(d)
    }
}

fn sleep(cx: &Context<'_>, interval: Duration) {
    if !interval.is_zero() && cx.stop.raised().is_none() {
        std::thread::sleep(interval);
    }
}

/// Returns the job's log tail, masked and escaped, or why it could not be read.
pub(super) fn log_tail(cx: &Context<'_>, forge: &dyn Forge, job: &JobRef) -> String {
    match forge.job_log_tail(job, LOG_TAIL_LINES) {
        Ok(tail) => cx.redactor.redact(&tail),
        Err(e) => format!("(the log could not be read: {})", cx.redactor.redact(&e.to_string())),
    }
}

/// Returns the verdict on a followed job: success, or why not with its log.
pub(super) fn verdict(what: &str, followed: &Followed) -> Result<(), String> {
    if followed.job.status == "success" {
        Ok(())
    } else {
        Err(format!(
            "{what} `{}` #{} ended `{}` ({})",
            followed.job.name, followed.job.id, followed.job.status, followed.job.web_url
        ))
    }
}

/// Plays the deploy job of the release step's pipeline and follows it.
pub(super) fn forge_job(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    action: &ForgeJobStep,
) -> Result<(), WorkflowError> {
    if let Some(forbidden) = crate::config::forbidden_action(&action.job, &action.forbidden_actions) {
        return Err(WorkflowError::ForbiddenAction {
            action: action.job.clone(),
            forbidden: forbidden.to_string(),
        });
    }
    let release_sha = release_unmoved(cx, &journal.run)?;
    let Some(pipeline) = journaled_pipeline(&journal.run, &action.pipeline_of) else {
        return Err(WorkflowError::ProductionStepFailed {
            step: step.name.clone(),
            reason: format!(
                "no pipeline of step `{}` is journaled to find job `{}` in",
                action.pipeline_of, action.job
            ),
            evidence: None,
            rollback: false,
        });
    };
    let forge = open_forge(cx, &step.name)?;
    let followed = play_and_follow(
        cx,
        &*forge,
        &step.name,
        &pipeline,
        &action.job,
        action.downstream,
        &action.wait,
    )?;
    let ok = verdict("the deploy job", &followed);
    let log_tail = ok.is_err().then(|| log_tail(cx, &*forge, &followed.job));
    let evidence = Evidence::ForgeJob {
        release_sha,
        pipeline,
        job: followed.job,
        played: followed.played,
        log_tail,
    };
    conclude(cx, journal, step, ok, evidence)?;
    let _ = mirror(cx, journal);
    Ok(())
}
