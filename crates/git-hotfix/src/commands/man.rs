//! `git hotfix man`: the manual pages, generated from the command line's own definition.
//!
//! git turns `git hotfix --help` into `man git-hotfix`, so the pages are named
//! as git names them: `git-hotfix.1`, `git-hotfix-plan.1`, `git-hotfix-backport-resolve.1`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::error::{CommandError, CommandResult};
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// Write the pages under DIR/man1, creating it (DIR as in MANPATH, e.g. ~/.local/share/man)
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    /// Print the pages written as JSON (schemas/man.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CommandResult {
    let section = args.output.join("man1");
    std::fs::create_dir_all(&section).map_err(|e| io_error(format!("failed to create {}", section.display()), e))?;
    let written = write_pages(&section)?;
    for path in &written {
        out!("wrote {}", path.display());
    }
    let dir = args.output.display();
    // man-db looks in ~/.local/share/man by itself when ~/.local/bin is on PATH.
    ui::next(&format!(
        "`export MANPATH={dir}:$MANPATH` makes `git hotfix --help` show them \
         (pages under ~/.local/share/man need no MANPATH while ~/.local/bin is on PATH)"
    ));
    if args.json {
        let pages: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        crate::json::print(
            "man",
            serde_json::json!({ "pages": pages, "next": crate::json::last_next() }),
        );
    }
    Ok(())
}

/// Returns the page of every command `git hotfix` has, as
/// `(name, roff)`: the top-level one first, then each subcommand, depth first.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect(&cmd, &mut pages);
    pages
}

fn collect(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    // A subcommand has no version of its own, so clap_mangen would sign its page "resolve ".
    let man = clap_mangen::Man::new(cmd.clone()).source(concat!("git-hotfix ", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)
        .expect("rendering into a Vec cannot fail: writes to memory do not error");
    pages.push((man.get_filename(), roff));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
}

fn write_pages(section: &Path) -> Result<Vec<PathBuf>, CommandError> {
    let mut written = Vec::new();
    for (name, roff) in pages() {
        let path = section.join(name);
        std::fs::write(&path, roff).map_err(|e| io_error(format!("failed to write {}", path.display()), e))?;
        written.push(path);
    }
    Ok(written)
}

fn io_error(message: String, e: std::io::Error) -> CommandError {
    CommandError {
        kind: crate::error::ExitKind::Error,
        message,
        details: vec![e.to_string()],
        hints: vec!["pick a directory you can write to with `--output DIR`".into()],
    }
}
