//! Finds main's pipeline for the commit a merge-main run deploys (seed 002:
//! `deploy-prod-hotfix` and `run-migrations-prod` are manual jobs of the
//! pipeline main ran for the merged hotfix). The pipeline is journaled as the
//! step's, so the deploy and migration steps find their jobs in it on any
//! clone; reading it again after a crash finds the same one.

use crate::engine::execute::{mirror, push_with_journal, Context};
use crate::engine::gates::conclude;
use crate::engine::steps::forge_job::{forge_failed, journaled_pipeline, open_forge};
use crate::engine::WorkflowError;
use crate::git::Oid;
use crate::journal::{Event, Evidence, Journal, JournalError};
use crate::record::plan::Step;

/// Returns true when a step of the run plays a job in this step's pipeline.
fn step_plays_jobs(journal: &Journal) -> bool {
    journal.run.steps().iter().any(|s| {
        matches!(&s.action, crate::record::plan::Action::ForgeJob(j) if j.pipeline_of == crate::record::plan::StepName::MAIN_PIPELINE)
    })
}

/// The pipeline statuses that mean main's pipeline broke: nothing is
/// deployed from it.
const BROKEN: &[&str] = &["failed", "canceled", "skipped"];

pub(super) fn main_pipeline(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    branch: &str,
    commit: &Oid,
) -> Result<(), WorkflowError> {
    let forge = open_forge(cx, &step.name)?;
    let found = forge
        .commit_pipeline(commit.as_str(), branch)
        .map_err(|e| forge_failed(cx, &step.name, &e))?;
    let Some(found) = found else {
        return Err(WorkflowError::ProductionStepFailed {
            step: step.name.clone(),
            reason: format!(
                "the forge has no pipeline of `{branch}` for {}: nothing to deploy from",
                commit.short()
            ),
            evidence: None,
            rollback: false,
        });
    };
    cx.progress.output(
        &step.name,
        &format!(
            "{branch}'s pipeline #{} for {} is `{}`: {}",
            found.pipeline.id,
            commit.short(),
            found.status,
            found.pipeline.web_url
        ),
    );
    let pipeline = found.pipeline;
    if pipeline.id == 0 && (step_plays_jobs(journal)) {
        return Err(WorkflowError::ProductionStepFailed {
            step: step.name.clone(),
            reason: format!(
                "the forge gives {}'s checks, not a pipeline whose jobs can be played: on GitHub, deploy and \
                 migrate with `command`",
                commit.short()
            ),
            evidence: None,
            rollback: false,
        });
    }
    if journaled_pipeline(&journal.run, &step.name).as_ref() != Some(&pipeline) {
        let created = Event::PipelineCreated {
            step: step.name.clone(),
            pipeline: pipeline.clone(),
        };
        let fault = format!("{}-pipeline:after-remote", step.name);
        if !push_with_journal(cx, journal, vec![created], Vec::new(), &fault)?.accepted() {
            return Err(JournalError::Contended { id: journal.id.clone() }.into());
        }
    }
    let ok = if BROKEN.contains(&found.status.as_str()) {
        Err(format!(
            "{branch}'s pipeline #{} for {} is `{}` ({})",
            pipeline.id,
            commit.short(),
            found.status,
            pipeline.web_url
        ))
    } else {
        Ok(())
    };
    let evidence = Evidence::MainPipeline {
        branch: branch.to_string(),
        commit: commit.clone(),
        pipeline,
        status: found.status,
    };
    conclude(cx, journal, step, ok, evidence)?;
    let _ = mirror(cx, journal);
    Ok(())
}
