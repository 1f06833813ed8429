//! Backports the run's fixes once production has them (seed 002 step 3,
//! "after the production deploy succeeds"): a branch and request per
//! target, or word that the target has the fix, journaled as one piece of
//! evidence per target.
//!
//! Carrying it out again converges: a branch already holding the same
//! pick is adopted, and the forge adopts the request open for it; a branch
//! someone else moved stops the step, and nothing is pushed over it.

use crate::engine::backport::{carry_out, fixes_of, resolve_targets, BackportContext};
use crate::engine::execute::{mirror, Context};
use crate::engine::gates::conclude;
use crate::engine::steps::forge_job::open_forge;
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal};
use crate::record::backport::BackportState;
use crate::record::plan::Step;

pub(super) fn backport(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    options: &crate::config::Backport,
) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let fixes = fixes_of(cx.git, run.plan())?;
    if fixes.is_empty() {
        cx.progress.output(&step.name, "the run has no fix to backport");
    }
    let remote = &run.record.remote;
    let targets = resolve_targets(cx.git, remote, &options.to)?;
    let forge = match cx.config.forge {
        Some(_) => Some(open_forge(cx, &step.name)?),
        None => None,
    };
    let bx = BackportContext {
        git: cx.git,
        remote,
        options,
        forge: forge.as_deref(),
        committer: &cx.operator,
        redactor: cx.redactor,
    };
    let backports = carry_out(&bx, &fixes, &targets)?;
    for b in &backports {
        let said = match (&b.branch, b.state) {
            (None, _) => format!("{} already has {}: no branch", b.target, b.fix.short()),
            (Some(branch), BackportState::Conflicted) => {
                format!(
                    "{branch}: {} conflicted onto {}, resolve it by hand",
                    b.fix.short(),
                    b.target
                )
            }
            (Some(branch), _) => format!("{branch}: {} onto {}", b.fix.short(), b.target),
        };
        cx.progress.output(&step.name, &said);
    }
    conclude(cx, journal, step, Ok(()), Evidence::Backported { backports })?;
    let _ = mirror(cx, journal);
    Ok(())
}
