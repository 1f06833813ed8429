//! Tags the build's commit. The tag ref is created by compare-and-swap
//! (it must not exist) in the same push as the journal, so a tag is never
//! moved and a second attempt cannot make a second one.

use crate::engine::execute::{built, done, is_stale, push_with_journal, Context};
use crate::engine::WorkflowError;
use crate::git::RefUpdate;
use crate::journal::{Evidence, Journal, JournalError, JournalStore};
use crate::record::plan::Step;

/// Creates the annotated tag `tag` on the build's commit, by
/// compare-and-swap: the tag must not exist on the remote.
pub(super) fn create_tag(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    tag: &str,
    message: &str,
) -> Result<(), WorkflowError> {
    let (_, _, _, commit) = built(&journal.run)?;
    let tag_ref = format!("refs/tags/{tag}");
    let object = cx.git.write_tag(&commit, tag, &cx.signature_now(), message)?;
    let evidence = Evidence::Tagged {
        tag_ref: tag_ref.clone(),
        object: object.clone(),
        commit,
    };
    let update = RefUpdate {
        name: tag_ref.clone(),
        new: Some(object),
        expected: None,
    };
    let fault = format!("{}:after-remote", step.name);
    let outcome = push_with_journal(cx, journal, vec![done(step, evidence)], vec![update], &fault)?;
    if outcome.accepted() {
        return Ok(());
    }
    if is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let found = cx.git.remote_ref(&journal.run.record.remote, &tag_ref)?;
    Err(WorkflowError::RefExists { name: tag_ref, found })
}
