//! `git hotfix abort`: stop a run for good and give its lock back.

use hotfix::journal::Evidence;
use hotfix::ops;
use hotfix::workflow::plan::StepName;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Why, for the journal
    #[arg(long, default_value = "aborted by the operator")]
    pub reason: String,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let journal = ops::abort(&session, args.run.as_deref(), &args.reason)?;
    out!("run {}: aborted; the release lock is released", journal.id);
    if let Some(Evidence::Pushed { branch_ref, new, .. }) = journal.run.done(StepName::PushRelease) {
        out!(
            "note: {branch_ref} was already pushed to {} by this run and stays there",
            new.short()
        );
        ui::next(&format!(
            "to put release back, restore it to production {} with a new hotfix run",
            journal.run.record.plan.production.commit.short()
        ));
    } else {
        ui::next("release was not changed by this run; start again with `git hotfix start` when ready");
    }
    Ok(())
}
