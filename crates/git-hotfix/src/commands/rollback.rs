//! `git hotfix rollback`: restore release to the recorded last-good
//! production commit, then run the release job, deploy, verification and
//! smoke checks again.

use std::io::IsTerminal;

use hotfix::ops;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Why production is rolled back, kept in the journal and the report
    #[arg(long, value_name = "TEXT", default_value = "the hotfix failed in production")]
    pub reason: String,
    /// Roll back without asking (required when stdin is not a terminal)
    #[arg(long)]
    pub yes: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CommandError::usage(
                "refusing to roll back without confirmation: stdin is not a terminal",
                "pass --yes",
            ));
        }
        if !ui::confirm("Restore release to the last good production commit and redeploy it?") {
            out!("not rolled back; nothing was changed");
            return Ok(());
        }
    }
    crate::stop::on_signals(&session.stop);
    let printer = ui::StepPrinter::default();
    let (journal, _) = ops::rollback(&session, args.run.as_deref(), &args.reason, &printer)?;
    out!("run {}: {}", journal.id, journal.run.state().as_str());
    ui::next(&ui::next_for(&journal.run, &[]));
    Ok(())
}
