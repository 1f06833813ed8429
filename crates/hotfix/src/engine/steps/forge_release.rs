//! Creates the forge's release of the tag a from-tag run pushed (the
//! checklist's "GitHub Release created"), or adopts the release the tag
//! already has: GitLab answers 409 and GitHub 422 for a second one, so a
//! `continue` after a crash between the answer and the journal entry finds
//! the same release. On GitHub a tag below the product's highest version is
//! released with `make_latest: "false"` (decided at plan time, in the step).

use crate::engine::execute::{mirror, Context};
use crate::engine::gates::conclude;
use crate::engine::steps::forge_job::{forge_failed, open_forge, stop_before_request};
use crate::engine::WorkflowError;
use crate::forge::{NewRelease, ReleaseRef};
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn forge_release(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    release: &NewRelease,
) -> Result<(), WorkflowError> {
    let forge = open_forge(cx, &step.name)?;
    stop_before_request(cx, &step.name)?;
    let created: ReleaseRef = forge
        .create_release(release)
        .map_err(|e| forge_failed(cx, &step.name, &e))?;
    cx.progress.output(
        &step.name,
        &format!(
            "{} the release of {}{}: {}",
            if created.adopted { "adopted" } else { "created" },
            created.tag,
            if release.latest { "" } else { " (not marked latest)" },
            created.web_url
        ),
    );
    cx.ambient.checkpoint(&format!("{}:requested", step.name))?;
    let evidence = Evidence::ForgeRelease {
        release: release.clone(),
        created,
    };
    conclude(cx, journal, step, Ok(()), evidence)?;
    let _ = mirror(cx, journal);
    Ok(())
}
