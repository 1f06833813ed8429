//! `git hotfix init`: write a commented hotfix.toml.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The remote whose branches are detected
    #[arg(long, default_value = "origin")]
    pub remote: String,
    /// Overwrite an existing hotfix.toml
    #[arg(long)]
    pub force: bool,
    /// Print what was written as JSON (schemas/init.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let path = ops::init(&globals.dir, &args.remote, args.force)?;
    out!("wrote {}", path.display());
    ui::next("check the branch names and [production] sources in it, then `git hotfix plan --fix <rev>`");
    if args.json {
        json::print(
            "init",
            serde_json::json!({ "path": path.display().to_string(), "next": json::last_next() }),
        );
    }
    Ok(())
}
