//! `git hotfix finish`: close a run whose evidence is complete and give the
//! release lock back.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Close the run although its monitoring window has not ended
    #[arg(long)]
    pub force: bool,
    /// Print what happened as one JSON object at the end (schemas/finish.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let (journal, items) = ops::finish(&session, args.run.as_deref(), args.force)?;
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
    if args.json {
        json::print(
            "finish",
            json::run_outcome(&journal, None, 0, serde_json::json!({ "evidence": items })),
        );
    }
    Ok(())
}
