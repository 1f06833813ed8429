//! `git hotfix doctor`: checks, before an incident, that the configuration,
//! the remote and the forge are ready; exits 1 when a check fails.

use hotfix::ops::{self, Doctor};

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult, ExitKind};
use crate::json;
use crate::ui;

#[derive(clap::Args)]
pub struct Args {
    /// Print the result as JSON: ok, and each check with its name, ok and detail
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let doctor = ops::doctor(&globals.dir, globals.config.as_deref(), &|name| {
        std::env::var(name).ok()
    });
    if args.json {
        json::print("doctor", &doctor);
    } else {
        print(&doctor);
    }
    if doctor.ok {
        return Ok(());
    }
    let failed = doctor.checks.iter().filter(|c| !c.ok).count();
    Err(CommandError {
        kind: ExitKind::Error,
        message: format!("{failed} check(s) failed"),
        details: Vec::new(),
        hints: Vec::new(),
    })
}

/// One line per check, then what next.
fn print(doctor: &Doctor) {
    for c in &doctor.checks {
        let (style, word) = if c.ok {
            (crate::output::OK, "ok")
        } else {
            (crate::output::BAD, "FAIL")
        };
        ui::styled(style, word, &format!(" {}: {}", c.name, c.detail));
    }
    if doctor.ok {
        ui::next("ready: `git hotfix plan --fix <rev>` shows what a hotfix would do");
    } else {
        ui::next("fix the failing checks above before an incident needs them, then run `git hotfix doctor` again");
    }
}
