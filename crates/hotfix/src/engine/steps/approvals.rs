//! Records the approvals that count on the pushed release, once release
//! still holds what this run pushed, each with how it was verified. The
//! approvals are checked again from the journal (`engine::approvals`), so
//! recording them again gives the same evidence.

use crate::engine::approvals;
use crate::engine::execute::{append_local, done, Context};
use crate::engine::gates::release_unmoved;
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn approvals(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    release_unmoved(cx, &journal.run)?;
    let approvals = approvals::review(cx.git, &journal.run, cx.config)?.approvals();
    append_local(cx, journal, vec![done(step, Evidence::Approvals { approvals })])?;
    Ok(())
}
