//! `git hotfix verify`: checks a whole run (chain, signatures, commits) and
//! exits 4 when a check fails.

use hotfix::ops;
use hotfix::report::Verification;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult, ExitKind};
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Print the result as JSON: the run, ok, and each check with its failures
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let verification = ops::verify(&session, args.run.as_deref())?;
    if args.json {
        json::print("verify", &verification);
    } else {
        print(&verification);
    }
    if verification.ok {
        return Ok(());
    }
    if !verification.failed() {
        let unchecked: Vec<&str> = verification.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect();
        return Err(CommandError {
            kind: ExitKind::Error,
            message: format!(
                "run {} could not be verified here: {} not checked; nothing checked failed",
                verification.run,
                unchecked.join(", ")
            ),
            details: Vec::new(),
            hints: vec![
                "run `git hotfix verify` again where the remote answers and the allowed signers file is".into(),
            ],
        });
    }
    Err(CommandError {
        kind: ExitKind::VerificationFailed,
        message: format!("run {} failed verification", verification.run),
        details: Vec::new(),
        hints: vec![
            "do not trust this run's record: compare the entries named above with the people who made them, \
             and carry nothing of it on until the journal is explained"
                .into(),
        ],
    })
}

/// One line per check, the failing entries, then what next.
fn print(v: &Verification) {
    out!("verify run {}", v.run);
    if let Some(why) = &v.offline {
        out!("warning: {why}");
    }
    for c in &v.checks {
        out!(
            "  {:<10} {}  {}",
            c.name,
            match (c.ok, c.checked) {
                (true, _) => "ok    ",
                (false, true) => "FAILED",
                (false, false) => "not checked",
            },
            c.detail
        );
    }
    for c in v.checks.iter().filter(|c| !c.ok) {
        for f in &c.failures {
            out!("  {}: {f}", c.name);
        }
    }
    if v.ok {
        ui::next("the run is what its journal says; `git hotfix report` records the result");
    } else if !v.failed() {
        ui::next("nothing checked failed; run `git hotfix verify` again where every check can be made");
    } else {
        ui::next("stop: find who wrote the entries named above before trusting or continuing the run");
    }
}
