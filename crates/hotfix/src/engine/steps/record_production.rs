//! Records the production commit the plan was computed against. Appending
//! the same evidence again after a crash changes nothing: the step is done
//! once its entry is in the journal.

use crate::engine::execute::{append_local, done, Context};
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal};
use crate::record::plan::Step;

pub(super) fn record_production(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    let production = journal.run.record.plan.production.clone();
    append_local(cx, journal, vec![done(step, Evidence::Production { production })])?;
    Ok(())
}
