//! `git hotfix rollback`: restore release to the recorded last-good
//! production commit, then run the release job, deploy, verification and
//! smoke checks again.

use hotfix::ops;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Why production is rolled back, kept in the journal and the report
    #[arg(long, value_name = "TEXT", default_value = "the hotfix failed in production")]
    pub reason: String,
    /// Roll back without asking (required when stdin is not a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Roll back only this service of the run's [[services]] (repeatable; default: every service it changed)
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Print what happened as one JSON object at the end (schemas/rollback.v1.json); the progress goes to stderr
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    // Everything that could refuse is checked before anyone is asked.
    let (_, preview) = ops::rollback_preview(&session, args.run.as_deref(), &args.services)?;
    let mut question = question(&preview);
    if !args.services.is_empty() {
        question.push_str(&format!(
            "; only {} is redeployed, the other services keep running the fix until their next deploy",
            args.services.join(", ")
        ));
    }
    if !args.yes {
        if !ui::interactive() {
            return Err(CommandError::usage(
                format!(
                    "refusing to roll back without confirmation: {}",
                    ui::not_interactive_reason()
                ),
                format!("{question}: pass --yes to do it"),
            ));
        }
        if !ui::confirm(&format!("{question}?")) {
            out!("not rolled back; nothing was changed");
            if args.json {
                json::print(
                    "rollback",
                    serde_json::json!({ "run": preview.run_id, "rolled_back": false, "next": null }),
                );
            }
            return Ok(());
        }
    }
    crate::stop::on_signals(&session.stop);
    let printer = ui::StepPrinter::default();
    let (journal, outcome) = ops::rollback(&session, Some(&preview.run_id), &args.reason, &args.services, &printer)?;
    // A rollback under `[approvals] verify = "forge"` waits for the
    // approvals of its own deployment.
    match &outcome.gate {
        Some(gate) => out!("run {}: {}", journal.id, ui::describe_gate(gate)),
        None => out!("run {}: {}", journal.id, journal.run.state().as_str()),
    }
    ui::next(&ui::next_for(
        &journal.run,
        &ui::missing_roles_of(outcome.gate.as_ref()),
    ));
    if args.json {
        json::print(
            "rollback",
            json::run_outcome(
                &journal,
                outcome.gate.as_ref(),
                outcome.steps_done,
                serde_json::json!({ "rolled_back": true, "reason": args.reason, "services": args.services }),
            ),
        );
    }
    Ok(())
}

/// Says what the rollback does: which run, which commit, what runs again.
fn question(p: &ops::RollbackPreview) -> String {
    let release = p
        .release_now
        .as_ref()
        .map_or("release (deleted on the remote)".to_string(), |r| {
            format!("release (now {})", r.short())
        });
    let redeploy: Vec<&str> = p.steps.iter().skip(1).map(|s| s.name.as_str()).collect();
    format!(
        "roll back run {} ({}): {release} gets production {}'s tree in a new commit{}",
        p.run_id,
        p.state.as_str(),
        p.production.short(),
        if redeploy.is_empty() {
            "; no release job or deploy is configured, so redeploy it yourself".to_string()
        } else {
            format!(", then {} run again", redeploy.join(", "))
        }
    )
}
