//! Records the approvals given on the pushed release, once release still
//! holds what this run pushed. Approvals are journal entries, so recording
//! them again gives the same evidence.

use crate::engine::execute::{append_local, done, Context};
use crate::engine::gates::release_unmoved;
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn approvals(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    release_unmoved(cx, &journal.run)?;
    let approvals = journal.run.approvals().into_iter().cloned().collect();
    append_local(cx, journal, vec![done(step, Evidence::Approvals { approvals })])?;
    Ok(())
}
