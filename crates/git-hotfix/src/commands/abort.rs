//! `git hotfix abort`: stop a run for good and give its lock back.

use hotfix::engine::gates;
use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Why, for the journal
    #[arg(long, default_value = "aborted by the operator")]
    pub reason: String,
    /// Print what happened as one JSON object at the end (schemas/abort.v1.json); the progress goes to stderr
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let journal = ops::abort(&session, args.run.as_deref(), &args.reason)?;
    let run = &journal.run;
    out!("run {}: aborted; the release lock is released", journal.id);
    let production = run.record.plan.production.commit.short();
    let production_touched = gates::production_touched(run);
    let pushed = run
        .release_sha()
        .map(|new| (format!("refs/heads/{}", run.record.release_branch), new.clone()));
    match pushed {
        Some((_, new)) if production_touched => {
            out!(
                "warning: this run's release job or deploy ran: production may run {} of this aborted run",
                new.short()
            );
            ui::next(&format!(
                "`git hotfix rollback {}` restores release to production {production}'s tree and redeploys it",
                journal.id
            ));
        }
        Some((branch_ref, new)) => {
            out!(
                "note: {branch_ref} was already pushed to {} by this run and stays there (nothing was deployed)",
                new.short()
            );
            ui::next(&format!(
                "`git hotfix rollback {}` puts production {production}'s tree back on release",
                journal.id
            ));
        }
        None => ui::next("release was not changed by this run; start again with `git hotfix start` when ready"),
    }
    if args.json {
        json::print(
            "abort",
            json::run_outcome(
                &journal,
                None,
                0,
                serde_json::json!({ "reason": args.reason, "production_touched": production_touched }),
            ),
        );
    }
    Ok(())
}
