//! `git hotfix attest`: record a person's word for an evidence item that no
//! step of the run proves (a deploy done by hand, say).

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The evidence item, as `git hotfix report` names it (e.g. deploy-completed)
    pub item: String,
    /// What proves it: a pipeline URL, a log line, who checked
    #[arg(long, value_name = "TEXT")]
    pub detail: String,
    /// The run (default: the one holding the release lock, else the newest unfinished)
    #[arg(long)]
    pub run: Option<String>,
    /// Print what happened as one JSON object at the end (schemas/attest.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let journal = ops::attest(&session, args.run.as_deref(), &args.item, &args.detail)?;
    out!("run {}: {} attested", journal.id, args.item);
    ui::next(&ui::next_for(&journal.run, &[]));
    if args.json {
        json::print(
            "attest",
            json::run_outcome(
                &journal,
                None,
                0,
                serde_json::json!({ "item": args.item, "detail": args.detail }),
            ),
        );
    }
    Ok(())
}
