//! `git hotfix continue`: carry on a run from its first unfinished step.

use hotfix::ops::{self, ResumeOptions};
use hotfix::record::plan::StepName;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    /// Release moved under the run: restore and re-pick on its new tip
    #[arg(long)]
    pub rebuild: bool,
    /// Run the production steps (release job, deploy) without asking
    #[arg(long)]
    pub yes: bool,
    /// Go on although a fix depends on unreleased work: the escalated decision, with its reason
    #[arg(long, value_name = "REASON")]
    pub allow_dependency: Option<String>,
    /// Take this clone's hotfix.toml for the remaining steps (the run otherwise follows the
    /// configuration it recorded at start); the change is journaled with who made it
    #[arg(long)]
    pub replan: bool,
    /// Run STEP again although its last attempt was interrupted or never ended (it may have run): the decision is journaled
    #[arg(long, value_name = "STEP", value_parser = ["release-action", "deploy"])]
    pub rerun: Option<String>,
    /// Print what happened as one JSON object at the end (schemas/continue.v1.json); the progress goes to stderr
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let rerun = match args.rerun.as_deref().map(str::parse::<StepName>) {
        None => None,
        Some(Ok(step)) => Some(step),
        Some(Err(why)) => {
            return Err(CommandError::usage(
                why,
                "pass --rerun release-action or --rerun deploy",
            ))
        }
    };
    let options = ResumeOptions {
        allow_dependency: args.allow_dependency.clone(),
        rebuild: args.rebuild,
        confirmed: args.yes,
        replan: args.replan,
        rerun,
    };
    crate::stop::on_signals(&session.stop);
    let printer = ui::StepPrinter::default();
    let (journal, outcome) = ops::resume(&session, args.run.as_deref(), options, &printer)?;
    if journal.discarded > 0 {
        out!(
            "note: another clone carried run {} on; {} unpushed entr(ies) of this clone were dropped and their steps redone",
            journal.id, journal.discarded
        );
    }
    if outcome.caught_up > 0 {
        out!(
            "pushed {} journal entr(ies) of run {} that {} lacked",
            outcome.caught_up,
            journal.id,
            journal.run.record.remote
        );
    }
    let (journal, outcome) = ui::pass_gate(&session, journal, outcome, args.yes, &printer)?;
    if let Some(gate) = &outcome.gate {
        if outcome.steps_done == 0 {
            let mut e = CommandError::blocked(
                format!("run {}: {}; nothing was run", journal.id, ui::describe_gate(gate)),
                ui::next_for(&journal.run, &ui::missing_roles_of(Some(gate))),
            );
            e.details.push(format!("state: {}", journal.run.state().as_str()));
            return Err(e);
        }
        out!("run {}: {}", journal.id, ui::describe_gate(gate));
    } else {
        out!("run {}: {}", journal.id, journal.run.state().as_str());
    }
    ui::next(&ui::next_for(
        &journal.run,
        &ui::missing_roles_of(outcome.gate.as_ref()),
    ));
    if args.json {
        json::print(
            "continue",
            json::run_outcome(
                &journal,
                outcome.gate.as_ref(),
                outcome.steps_done,
                serde_json::json!({ "caught_up": outcome.caught_up, "discarded": journal.discarded }),
            ),
        );
    }
    Ok(())
}
