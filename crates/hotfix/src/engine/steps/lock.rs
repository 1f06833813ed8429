//! Takes the release branch's lock, so no other hotfix moves release
//! meanwhile. The lock ref is created by compare-and-swap (it must not
//! exist) in the same push as the journal; a published run already holds it.

use crate::engine::execute::{append_local, done, push_with_journal, Context};
use crate::engine::WorkflowError;
use crate::git::RefUpdate;
use crate::journal::{Evidence, Journal, JournalStore};
use crate::record::plan::Step;

pub(super) fn lock(cx: &Context<'_>, journal: &mut Journal, step: &Step, branch: &str) -> Result<(), WorkflowError> {
    let branch = branch.to_string();
    let lock_ref = JournalStore::lock_ref(&branch);
    let value = journal.lock_value().clone();
    let evidence = Evidence::Lock {
        lock_ref: lock_ref.clone(),
        value: value.clone(),
    };
    if journal.is_published() {
        // Published runs took the lock in the publishing push.
        append_local(cx, journal, vec![done(step, evidence)])?;
        return Ok(());
    }
    let update = RefUpdate {
        name: lock_ref,
        new: Some(value),
        expected: None,
    };
    let outcome = push_with_journal(
        cx,
        journal,
        vec![done(step, evidence)],
        vec![update],
        "lock:after-remote",
    )?;
    if outcome.accepted() {
        return Ok(());
    }
    let store = cx.store(&journal.run);
    store.refresh()?;
    let holder = store
        .lock_holder(&branch)?
        .map_or_else(|| "(unknown)".to_string(), |(_, id)| id);
    store.discard_unpublished(journal)?;
    Err(WorkflowError::ReleaseLocked { branch, holder })
}
