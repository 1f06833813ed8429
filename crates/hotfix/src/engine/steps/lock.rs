//! Takes the release branch's lock, so no other hotfix moves release
//! meanwhile. The lock ref is created by compare-and-swap (it must not
//! exist) in the same push as the journal; a published run already holds it.
//!
//! A run not on the remote yet whose next steps build release's commits and
//! push them takes the lock in that push: one atomic push creates the run,
//! creates the lock and moves release from the tip it read, or does none of
//! it. Building needs no lock (it writes objects only); every step that does
//! more runs after the push, with the lock held.
use crate::engine::execute::{append_local, done, push_with_journal, release_locked, Context};
use crate::engine::WorkflowError;
use crate::git::RefUpdate;
use crate::journal::{Evidence, Journal, JournalStore};
use crate::record::plan::{Action, Step};

pub(super) fn lock(cx: &Context<'_>, journal: &mut Journal, step: &Step, branch: &str) -> Result<(), WorkflowError> {
    let lock_ref = JournalStore::lock_ref(branch);
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
    if pushes_next(journal, step) {
        // The push after the build creates the lock with the run
        // ([`crate::engine::execute`]'s lease on an unpublished run).
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
    Err(release_locked(cx, journal, true)?)
}

/// Returns true when the steps after `lock` up to the first that is no
/// build are done by a push: nothing but objects is written before it.
fn pushes_next(journal: &Journal, lock: &Step) -> bool {
    let steps = journal.run.steps();
    steps
        .iter()
        .skip_while(|s| s.name != lock.name)
        .skip(1)
        .find(|s| !matches!(s.action, Action::Build))
        .is_some_and(|s| matches!(s.action, Action::Push(_)))
}
