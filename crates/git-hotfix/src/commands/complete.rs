//! `git hotfix __complete`: the values a shell completes that only the repository knows.
//!
//! Hidden plumbing for the scripts `git hotfix completions` prints: one value
//! a line and nothing else (no `next:` line, which a shell would offer as a
//! value); a shell discards stderr, so errors still say what went wrong.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::out;

#[derive(clap::Args)]
pub struct Args {
    /// Which values to print
    pub values: Values,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Values {
    /// Run ids this clone or the remote knows, newest first (as `git hotfix log`)
    Runs,
    /// The approval roles of hotfix.toml's [approvals]
    Roles,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    match args.values {
        Values::Runs => {
            for run in ops::runs(&session)? {
                out!("{}", run.id);
            }
        }
        Values::Roles => {
            for role in &session.config.approvals.roles {
                out!("{role}");
            }
        }
    }
    Ok(())
}
