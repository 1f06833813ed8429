//! `git hotfix continue`: carry on a run from its first unfinished step.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Release moved under the run: restore and re-pick on its new tip
    #[arg(long)]
    pub rebuild: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let journal = ops::resume(&session, args.run.as_deref(), args.rebuild, &ui::StepPrinter)?;
    if journal.discarded > 0 {
        out!(
            "note: another clone carried run {} on; {} unpushed entr(ies) of this clone were dropped and their steps redone",
            journal.id, journal.discarded
        );
    }
    out!("run {}: {}", journal.id, journal.run.state().as_str());
    ui::next(&ui::next_for(&journal.run));
    Ok(())
}
