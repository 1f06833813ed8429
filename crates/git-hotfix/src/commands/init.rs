//! `git hotfix init`: write a commented hotfix.toml.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The remote whose branches are detected
    #[arg(long, default_value = "origin")]
    pub remote: String,
    /// Overwrite an existing hotfix.toml
    #[arg(long)]
    pub force: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let path = ops::init(&globals.dir, &args.remote, args.force)?;
    out!("wrote {}", path.display());
    ui::next("check the branch names and [production] sources in it, then `git hotfix plan --fix <rev>`");
    Ok(())
}
