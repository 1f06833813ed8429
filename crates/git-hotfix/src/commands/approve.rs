//! `git hotfix approve`: sign off on the pushed release in a role.

use hotfix::ambient::format_utc;
use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// The role you approve in, one of [approvals] roles
    #[arg(long)]
    pub role: String,
    /// Print what happened as one JSON object at the end (schemas/approve.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let ops::Approved {
        journal,
        approval,
        missing,
    } = ops::approve(&session, args.run.as_deref(), &args.role)?;
    out!(
        "run {}: approved as {} by {} at {} (release {}), {}",
        journal.id,
        approval.role,
        approval.ident,
        format_utc(approval.at),
        approval.release_tip.short(),
        ui::verification(&approval)
    );
    if missing.is_empty() {
        out!("every role has approved");
    } else {
        out!("still missing: {}", missing.join(", "));
    }
    ui::next(&ui::next_for(&journal.run, &missing));
    if args.json {
        let verification = ui::verification(&approval);
        json::print(
            "approve",
            json::run_outcome(
                &journal,
                None,
                0,
                serde_json::json!({ "approval": approval, "verification": verification, "missing": missing }),
            ),
        );
    }
    Ok(())
}
