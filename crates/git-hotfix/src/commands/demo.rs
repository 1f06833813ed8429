//! `git hotfix demo`: a full restore-release hotfix in a sandbox it creates,
//! run through the same commands an operator types.

use std::path::PathBuf;

use hotfix::config::Severity;

use crate::cli::Globals;
use crate::commands::{log, plan, start, status};
use crate::error::{CommandError, CommandResult};
use crate::ui::out;

#[derive(clap::Args)]
pub struct Args {
    /// Build the sandbox here instead of a new temporary directory
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args) -> CommandResult {
    let root = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "git-hotfix-demo-{}",
            hotfix::ambient::Ambient::from_env().random_hex(6)
        )),
    };
    if root.exists() && std::fs::read_dir(&root).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(CommandError::usage(
            format!("{} exists and is not empty", root.display()),
            "pass --dir with a new directory, or leave it out for a fresh temporary one",
        ));
    }
    let sandbox = hotfix::demo::build(&root).map_err(hotfix::Error::from)?;
    out!("demo: sandbox in {}", sandbox.root.display());
    out!(
        "  origin.git  the team's remote: production runs tag prod-2026.11.20 ({})",
        sandbox.production.short()
    );
    out!(
        "              release has {} unreleased commits; main has the approved fix {}",
        sandbox.unreleased.len(),
        sandbox.fix.short()
    );
    out!("  operator/   the operator's clone, with uncommitted work that git-hotfix leaves alone");
    let globals = Globals {
        dir: sandbox.operator.clone(),
        config: None,
    };
    let fix = plan::FixArgs {
        fixes: vec![sandbox.fix.short().to_string()],
        production: None,
        mainline: None,
    };

    banner(&format!("git hotfix plan --fix {}", sandbox.fix.short()));
    plan::run(
        &globals,
        plan::Args {
            fix: fix.clone(),
            json: false,
        },
    )?;

    banner(&format!(
        "git hotfix start --fix {} --severity critical --yes",
        sandbox.fix.short()
    ));
    start::run(
        &globals,
        start::Args {
            fix,
            severity: Severity::Critical,
            incident: Some("demo: payments accept negative amounts".into()),
            yes: true,
            force: false,
        },
    )?;

    banner("git hotfix status");
    status::run(&globals, status::Args { run: None, json: false })?;
    banner("git hotfix log");
    log::run(&globals, log::Args { json: false })?;

    out!("");
    out!("demo: done; the sandbox stays in {}", sandbox.root.display());
    out!(
        "next: cd {} and try `git hotfix status`, or `git log --oneline origin/release`",
        sandbox.operator.display()
    );
    Ok(())
}

fn banner(command: &str) {
    out!("");
    out!("$ {command}");
}
