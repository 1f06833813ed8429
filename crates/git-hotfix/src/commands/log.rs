//! `git hotfix log`: every run this clone or the remote knows.

use hotfix::ambient::format_utc;
use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// Print the runs as a JSON array, newest first (schemas/log.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let runs = ops::runs(&session)?;
    if args.json {
        let rows: Vec<_> = runs
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "state": r.state, "started_at": format_utc(r.started_at),
                    "started_by": r.started_by, "release_branch": r.release_branch,
                    "fixes": r.fixes, "severity": r.severity,
                })
            })
            .collect();
        ui::print_json(&rows);
        return Ok(());
    }
    if runs.is_empty() {
        out!("no hotfix runs yet");
        ui::next("`git hotfix plan --fix <rev>` shows what a hotfix would do");
        return Ok(());
    }
    for r in &runs {
        let fixes = r.fixes.iter().map(|f| f.short()).collect::<Vec<_>>().join(",");
        out!(
            "{}  {:<11}  {:<8}  {}  {}  fixes {fixes}  by {}",
            r.id,
            r.state.as_str(),
            r.severity.as_str(),
            format_utc(r.started_at),
            r.release_branch,
            r.started_by
        );
    }
    ui::next("`git hotfix status <run>` shows a run's steps and evidence");
    Ok(())
}
