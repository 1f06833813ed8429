//! `git hotfix guard`: for a team's pipeline jobs (cut-off first): fails
//! while a hotfix holds the branch's lock, or an unfinished run's lock is missing.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::json;
use crate::ui::out;

#[derive(clap::Args)]
pub struct Args {
    /// The pipeline action about to run (e.g. bring-all-code-to-release-branch)
    #[arg(long)]
    pub action: String,
    /// The branch it would change (default: the configured release branch)
    #[arg(long)]
    pub branch: Option<String>,
    /// Print the verdict as JSON (the exit code is the same)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let verdict = ops::guard(&session, &args.action, args.branch.as_deref())?;
    if args.json {
        json::print("guard", &verdict);
    }
    if let (false, Some(run)) = (verdict.allowed, &verdict.lock_lost_by) {
        return Err(CommandError::blocked(
            format!("`{}` refused: {}", verdict.action, verdict.reason),
            format!(
                "find out who removed the lock; `git hotfix abort {run}` closes the run (or `git hotfix status {run}` \
                 shows where it stands)"
            ),
        ));
    }
    if !verdict.allowed {
        let run = verdict.locked_by.clone().unwrap_or_default();
        return Err(CommandError::blocked(
            format!("`{}` refused: {}", verdict.action, verdict.reason),
            format!("wait until `git hotfix finish {run}` (or `git hotfix abort {run}`) releases the lock"),
        ));
    }
    if !args.json {
        out!("`{}` allowed: {}", verdict.action, verdict.reason);
    }
    Ok(())
}
