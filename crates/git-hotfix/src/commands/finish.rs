//! `git hotfix finish`: close a run whose evidence is complete and give the
//! release lock back.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let (journal, items) = ops::finish(&session, args.run.as_deref()).map_err(|e| {
        let mut err = CommandError::from(e);
        if let Ok(report) = ops::report(&session, args.run.as_deref()) {
            for item in report
                .evidence
                .iter()
                .filter(|i| i.status != hotfix::journal::ItemStatus::Ok)
            {
                err.details
                    .push(format!("{:<8} {}: {}", item.status.as_str(), item.id, item.detail));
            }
        }
        err
    })?;
    for item in &items {
        out!("  {:<8} {:<26} {}", item.status.as_str(), item.id, item.detail);
    }
    out!(
        "run {}: {}; refs/hotfix/locks/{} released",
        journal.id,
        journal.run.state().as_str(),
        journal.run.record.release_branch
    );
    ui::next(&ui::next_for(&journal.run, &[]));
    Ok(())
}
