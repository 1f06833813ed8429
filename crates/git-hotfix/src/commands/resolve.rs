//! `git hotfix resolve`: lay a conflicting pick out in a separate worktree.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Print where the worktree is, and what conflicts, as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let printer = ui::StepPrinter::default();
    let (journal, opened) = ops::resolve(&session, args.run.as_deref(), &printer)?;
    let path = opened.path.display().to_string();
    if args.json {
        json::print(
            "resolve",
            serde_json::json!({
                "run": journal.id,
                "worktree": path,
                "fix": opened.fix,
                "conflicts": opened.conflicts,
                "unreleased": opened.unreleased,
                "created": opened.created,
            }),
        );
        return Ok(());
    }
    let verb = if opened.created { "opened" } else { "is still open" };
    out!(
        "run {}: the conflict of {} {} {verb} in {path}",
        journal.id,
        opened.fix.id.short(),
        opened.fix.subject
    );
    for conflict in &opened.conflicts {
        out!("  conflict    {conflict}");
    }
    for c in &opened.unreleased {
        out!("  unreleased  {} {}", c.id.short(), c.subject);
    }
    out!("your own checkout, index and HEAD are untouched");
    ui::next(&format!(
        "edit the files in {path} (change only what the fix changes), then `git hotfix continue {}`; \
         `git hotfix abort {}` removes the worktree",
        journal.id, journal.id
    ));
    Ok(())
}
