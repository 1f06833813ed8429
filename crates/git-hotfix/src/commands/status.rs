//! `git hotfix status`: a run's steps, evidence and time against its limit.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui;

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Print the run as JSON, with every journal entry
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let status = ops::status(&session, args.run.as_deref())?;
    if args.json {
        let run = &status.run;
        let entries: Vec<_> = run
            .entries
            .iter()
            .map(|(commit, entry)| serde_json::json!({ "commit": commit, "entry": entry }))
            .collect();
        json::print(
            "status",
            serde_json::json!({
                "id": run.id,
                "state": run.state(),
                "next_step": run.next_step().map(|s| &s.name),
                "holds_lock": status.holds_lock,
                "lock_lost": status.lock_lost,
                "offline": status.offline,
                "elapsed_secs": status.elapsed(),
                "remaining_secs": status.remaining(),
                "phase": run.phase(),
                "release_sha": run.release_sha(),
                "approvals": status.approvals.approvals(),
                "approvals_not_counted": status.approvals.objections().collect::<Vec<_>>(),
                "missing_roles": status.missing_roles,
                "monitor_until": run.monitor_until(),
                "record": run.record,
                "entries": entries,
            }),
        );
        return Ok(());
    }
    ui::print_status(&status);
    ui::next(&ui::next_for(&status.run, &status.missing_roles));
    Ok(())
}
