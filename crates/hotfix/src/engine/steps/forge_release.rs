//! Creates the forge's release of the tag a from-tag run pushed (the
//! checklist's "GitHub Release created"), or adopts the release the tag
//! already has: GitLab answers 409 and GitHub 422 for a second one, so a
//! `continue` after a crash between the answer and the journal entry finds
//! the same release. On GitHub a tag below the product's highest version is
//! released with `make_latest: "false"` (decided at plan time, in the step).

use crate::engine::execute::Context;
use crate::engine::steps::review_request::ask_forge;
use crate::engine::WorkflowError;
use crate::forge::NewRelease;
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn forge_release(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    release: &NewRelease,
) -> Result<(), WorkflowError> {
    ask_forge(
        cx,
        journal,
        step,
        |forge| forge.create_release(release),
        |created| {
            format!(
                "{} the release of {}{}: {}",
                if created.adopted { "adopted" } else { "created" },
                created.tag,
                if release.latest { "" } else { " (not marked latest)" },
                created.web_url
            )
        },
        |created| Evidence::ForgeRelease {
            release: release.clone(),
            created,
        },
    )
}
