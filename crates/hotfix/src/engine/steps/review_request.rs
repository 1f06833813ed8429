//! Opens the review request of a branch on the forge (seed 003 step 6: the
//! hotfix branch into main, labelled `URGENT`; the backport branch
//! likewise), or adopts the one already open for the same branches.
//!
//! Opening a request is safe to ask again: the forge refuses a second open
//! request for the same branches (GitLab 409, GitHub 422) and the forge
//! implementation adopts the open one, so a `continue` after a crash between
//! the forge's answer and the journal entry converges on the same request.

use crate::engine::execute::{mirror, Context};
use crate::engine::gates::conclude;
use crate::engine::steps::forge_job::{forge_failed, open_forge};
use crate::engine::WorkflowError;
use crate::forge::{Forge, ForgeError, NewMergeRequest};
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn review_request(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    request: &NewMergeRequest,
) -> Result<(), WorkflowError> {
    ask_forge(
        cx,
        journal,
        step,
        |forge| forge.open_merge_request(request),
        |mr| {
            format!(
                "{} review request !{} of {} into {}: {}",
                if mr.adopted { "adopted the open" } else { "opened" },
                mr.iid,
                request.source_branch,
                request.target_branch,
                mr.web_url
            )
        },
        |merge_request| Evidence::ReviewRequested {
            request: request.clone(),
            merge_request,
        },
    )
}

/// Asks the run's forge for what `ask` asks (a request the forge itself
/// refuses to make twice, so asking again after a crash adopts the first),
/// shows its answer as `said` words, and journals `evidence` of it.
pub(super) fn ask_forge<T>(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    ask: impl FnOnce(&dyn Forge) -> Result<T, ForgeError>,
    said: impl FnOnce(&T) -> String,
    evidence: impl FnOnce(T) -> Evidence,
) -> Result<(), WorkflowError> {
    let forge = open_forge(cx, &step.name)?;
    super::stop_if_asked(cx, &step.name)?;
    let answer = ask(&*forge).map_err(|e| forge_failed(cx, &step.name, &e))?;
    cx.progress.output(&step.name, &said(&answer));
    // A crash here leaves the answer on the forge and nothing journaled:
    // `continue` asks again and adopts it.
    cx.ambient.checkpoint(&format!("{}:requested", step.name))?;
    conclude(cx, journal, step, Ok(()), evidence(answer))?;
    let _ = mirror(cx, journal);
    Ok(())
}
