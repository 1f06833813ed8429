//! `git hotfix start`: create a run and carry out the plan.

use hotfix::config::Severity;
use hotfix::engine::WorkflowError;
use hotfix::ops::{self, StartOptions};

use crate::cli::Globals;
use crate::commands::plan::{blocked, FixArgs};
use crate::error::{CommandError, CommandResult};
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fix: FixArgs,
    /// How urgent: critical (1h), high (4h); medium is refused without --force
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub severity: Severity,
    /// Incident reference or summary, kept in the journal; with [forge], `new` opens an incident and a number or page adopts one
    #[arg(long, value_name = "TEXT")]
    pub incident: Option<String>,
    /// Go ahead without asking, production steps included (required when stdin is not a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Allow a medium-severity hotfix
    #[arg(long)]
    pub force: bool,
}

/// `start`'s arguments on the command line: [`Args`] and the decisions
/// only some strategies ask for (kept apart so `Args` stays what `demo` builds).
#[derive(clap::Args)]
pub struct CliArgs {
    #[command(flatten)]
    pub args: Args,
    /// Strategy merge-main: deploy main's commit although it ships commits beyond the fix (the plan
    /// lists them); without a terminal, only with --yes
    #[arg(long)]
    pub allow_extra: bool,
    /// Print what happened as one JSON object at the end (schemas/start.v1.json); the plan and the progress go
    /// to stderr
    #[arg(long)]
    pub json: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    run_cli(
        globals,
        CliArgs {
            args,
            allow_extra: false,
            json: false,
        },
    )
}

/// Runs `start` as the command line asked: one run, or one per release
/// branch when the services shipped are deployed from several.
pub fn run_cli(globals: &Globals, cli: CliArgs) -> CommandResult {
    let CliArgs {
        args,
        allow_extra,
        json,
    } = cli;
    let session = globals.session()?;
    let mut options = StartOptions {
        severity: args.severity,
        incident: args.incident.clone(),
        force: args.force,
        confirmed: args.yes,
    };
    ops::check_severity(&options)?;
    let mut request = args.fix.request();
    request.allow_extra = allow_extra;
    // Every run is planned before any starts: a blocked one stops them all.
    let plans = ops::prepare_all(&session, &request, || session.new_run_id())?;
    for (run_id, plan) in &plans {
        if plans.len() > 1 {
            out!("run {run_id}: {}/{}", plan.remote, plan.release_branch);
        }
        ui::print_plan(plan);
    }
    if let Some((_, plan)) = plans.iter().find(|(_, p)| !p.is_safe()) {
        return Err(blocked(plan));
    }
    if !args.yes {
        if !ui::interactive() {
            return Err(CommandError::usage(
                format!(
                    "refusing to start without confirmation: {}",
                    ui::not_interactive_reason()
                ),
                "review `git hotfix plan`, then pass --yes",
            ));
        }
        let questions: Vec<String> = plans.iter().map(|(id, plan)| question(id, plan)).collect();
        if !ui::confirm(&format!("{}?", questions.join("; then "))) {
            out!("not started; nothing was changed");
            if json {
                json::print(
                    "start",
                    serde_json::json!({ "run": null, "started": false, "runs": [], "next": null }),
                );
            }
            return Ok(());
        }
        // The question named the commits beyond the fix: a yes is the decision.
        request.allow_extra = true;
    }
    crate::stop::on_signals(&session.stop);
    let count = plans.len();
    let mut runs = Vec::new();
    for (i, (run_id, plan)) in plans.into_iter().enumerate() {
        let (journal, outcome) = start_one(&session, &run_id, &request, plan, &options, args.yes).map_err(|mut e| {
            if i + 1 < count {
                e.details.push(format!(
                    "{} more run(s) of this hotfix were not started: `git hotfix start` them with --service once this one is done",
                    count - i - 1
                ));
            }
            e
        })?;
        // The runs of one hotfix share its incident: the first opened or adopted it.
        options.incident = journal.run.record.incident.clone().or(options.incident);
        runs.push(outcome);
    }
    if json {
        // The last run started is the one the `next:` line is about; `runs` has them all.
        let mut doc = runs.last().cloned().unwrap_or_default();
        if let serde_json::Value::Object(fields) = &mut doc {
            fields.insert("started".into(), true.into());
            fields.insert("runs".into(), runs.into());
        }
        json::print("start", doc);
    }
    Ok(())
}

/// Asks whether to carry out `plan` as run `run_id`.
fn question(run_id: &str, plan: &hotfix::record::plan::Plan) -> String {
    match &plan.merge_main {
        Some(deploy) => format!(
            "Deploy {} from {}/{} to production as run {run_id}{}",
            deploy.target.short(),
            plan.remote,
            plan.main_branch,
            match deploy.beyond_fix.len() {
                0 => String::new(),
                n => format!(", with the {n} commit(s) beyond the fix listed above"),
            }
        ),
        None => format!(
            "Push {} commit(s) to {}/{} as run {run_id}",
            plan.new_commits().len(),
            plan.remote,
            plan.release_branch
        ),
    }
}

/// Starts run `run_id` of `plan` and carries it as far as it goes; returns
/// its journal and where it stands, as `--json` shows it.
fn start_one(
    session: &hotfix::ops::Session,
    run_id: &str,
    request: &hotfix::ops::HotfixRequest,
    plan: hotfix::record::plan::Plan,
    options: &StartOptions,
    yes: bool,
) -> Result<(hotfix::journal::Journal, serde_json::Value), CommandError> {
    out!("run {run_id}: starting");
    let printer = ui::StepPrinter::default();
    let with_run = |e: CommandError| {
        let mut e = e;
        e.details
            .push(format!("run {run_id}; `git hotfix status {run_id}` shows its steps"));
        e
    };
    let (journal, outcome) = ops::start(session, run_id, request, plan, options, &printer).map_err(|e| {
        // A run that lost the lock was discarded: naming it would send the
        // operator to a run `status` cannot find.
        let discarded = matches!(e, hotfix::Error::Workflow(WorkflowError::ReleaseLocked { .. }));
        let e = CommandError::from(e);
        if discarded {
            e
        } else {
            with_run(e)
        }
    })?;
    let (journal, outcome) = ui::pass_gate(session, journal, outcome, yes, &printer).map_err(with_run)?;
    match &outcome.gate {
        Some(gate) => out!("run {run_id}: {}", ui::describe_gate(gate)),
        None => out!("run {run_id}: {}", journal.run.state().as_str()),
    }
    ui::next(&ui::next_for(
        &journal.run,
        &ui::missing_roles_of(outcome.gate.as_ref()),
    ));
    let doc = json::run_outcome(
        &journal,
        outcome.gate.as_ref(),
        outcome.steps_done,
        serde_json::json!({}),
    );
    Ok((journal, doc))
}
