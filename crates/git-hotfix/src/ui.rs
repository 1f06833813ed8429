//! Everything the CLI writes to the terminal: plans, progress, status.

use std::io::{IsTerminal, Write};

use hotfix::ambient::format_utc;
use hotfix::config::format_duration;
use hotfix::journal::{Event, Evidence, Run};
use hotfix::ops::RunStatus;
use hotfix::workflow::execute::{Progress, StepPosition};
use hotfix::workflow::plan::{CheckStatus, Pick, PickStatus, Plan, StepName};

/// Prints a line to stdout; a closed pipe (`| head`) is not an error worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!("{}\n", format_args!($($arg)*)));
    }};
}
pub(crate) use out;

/// Prints the one line saying what happens next.
pub fn next(text: &str) {
    out!("next: {text}");
}

pub fn print_json(value: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(value).expect("plans and runs serialize: plain data with string keys");
    out!("{text}");
}

pub fn print_plan(plan: &Plan) {
    let production = &plan.production;
    let source = production
        .readings
        .iter()
        .map(|r| r.source.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    out!(
        "hotfix plan: {} on {}/{}",
        plan.strategy,
        plan.remote,
        plan.release_branch
    );
    out!("  production  {}  (from {source})", production.commit.short());
    out!(
        "  release     {}  (tip read from {}; the push expects it unchanged)",
        plan.release_tip.short(),
        plan.remote
    );
    match &plan.restore {
        Some(r) => out!(
            "  restore     {}  tree {} = production's tree, parent {}",
            r.commit.short(),
            r.tree.short(),
            r.parent.short()
        ),
        None => out!("  restore     skipped: release already has production's tree"),
    }
    for (i, pick) in plan.picks.iter().enumerate() {
        out!("  pick {:<6} {}", i + 1, describe_pick(pick));
    }
    let gained = plan.new_commits().len();
    out!(
        "  result      tree {}, release -> {} (+{gained} commit{})",
        plan.release_tree.short(),
        plan.new_tip.short(),
        if gained == 1 { "" } else { "s" }
    );
    let s = &plan.scope;
    out!(
        "  scope       {} file(s), +{} -{} lines",
        s.files,
        s.lines_added,
        s.lines_removed
    );
    for change in &s.changes {
        let counts = match (change.added, change.removed) {
            (Some(a), Some(r)) => format!("+{a} -{r}"),
            _ => "binary".into(),
        };
        out!("                {}  {counts}", change.path);
    }
    out!("checks");
    for c in &plan.checks {
        let tag = match c.status {
            CheckStatus::Pass => "ok   ",
            CheckStatus::Warn => "warn ",
            CheckStatus::Block => "BLOCK",
        };
        out!("  {tag} {:<34} {}", c.name, c.detail);
    }
    out!("steps");
    for (i, step) in plan.steps.iter().enumerate() {
        out!("  {}. {:<18} {}", i + 1, step.as_str(), step.describe());
    }
}

fn describe_pick(pick: &Pick) -> String {
    let merge = pick.mainline.map_or(String::new(), |m| format!(" (merge, -m {m})"));
    let result = match pick.status {
        PickStatus::Clean => format!("clean -> {}", pick.commit.as_ref().map_or("?", |c| c.short())),
        PickStatus::AlreadyApplied => "already-applied, skipped".into(),
        PickStatus::Conflict => format!("CONFLICT in {}", pick.conflicts.join(", ")),
    };
    format!("{}  {}{merge}  {result}", pick.fix.short(), pick.subject)
}

/// Returns the evidence of a step as short lines.
pub fn evidence_lines(evidence: &Evidence) -> Vec<String> {
    match evidence {
        Evidence::Production { production } => production
            .readings
            .iter()
            .map(|r| format!("production {} from {} (said `{}`)", r.commit.short(), r.source, r.said))
            .collect(),
        Evidence::Lock { lock_ref, value } => vec![format!(
            "{lock_ref} created -> {} (compare-and-swap: must not exist)",
            value.short()
        )],
        Evidence::Built {
            parent,
            restore,
            picks,
            new_tip,
            release_tree,
            ..
        } => {
            let mut lines = Vec::new();
            if let Some(r) = restore {
                lines.push(format!(
                    "restore {} on {}: tree {} = production's",
                    r.commit.short(),
                    parent.short(),
                    r.tree.short()
                ));
            }
            for p in picks {
                let what = match (&p.status, &p.commit) {
                    (PickStatus::Clean, Some(c)) => format!("picked as {}", c.short()),
                    (PickStatus::AlreadyApplied, _) => "already applied, skipped".into(),
                    _ => "not picked".into(),
                };
                lines.push(format!("fix {} {}: {what}", p.fix.short(), p.subject));
            }
            lines.push(format!(
                "release will be {} (tree {})",
                new_tip.short(),
                release_tree.short()
            ));
            lines
        }
        Evidence::Pushed {
            branch_ref,
            old,
            new,
            already,
        } => vec![if *already {
            format!("{branch_ref} already at {} (an earlier attempt pushed it)", new.short())
        } else {
            format!(
                "{branch_ref} {}..{} (compare-and-swap on {})",
                old.short(),
                new.short(),
                old.short()
            )
        }],
        Evidence::Verified { checks, .. } => checks.iter().map(|c| c.detail.clone()).collect(),
        Evidence::Unlocked { lock_ref } => vec![format!("{lock_ref} deleted")],
    }
}

/// Prints steps as they run.
pub struct StepPrinter;

impl Progress for StepPrinter {
    fn step_started(&self, _: StepName, _: StepPosition) {}

    fn step_done(&self, step: StepName, at: StepPosition, evidence: &Evidence) {
        out!("[{}/{}] {:<18} done", at.index, at.total, step.as_str());
        for line in evidence_lines(evidence) {
            out!("        {line}");
        }
    }
}

pub fn print_status(status: &RunStatus) {
    let run = &status.run;
    let record = &run.record;
    out!("run {}  {}  {}", run.id, record.strategy, run.state().as_str());
    let started = &run.entries[0].1;
    out!(
        "  started    {} by {} on {}",
        format_utc(started.at),
        started.actor.ident,
        started.actor.host
    );
    let elapsed = format_duration(std::time::Duration::from_secs(status.elapsed().max(0) as u64));
    match status.remaining() {
        Some(r) if r >= 0 => out!(
            "  severity   {}: elapsed {elapsed}, {} left of {}",
            record.severity.as_str(),
            format_duration(std::time::Duration::from_secs(r as u64)),
            format_duration(std::time::Duration::from_secs(record.limit_secs.unwrap_or(0)))
        ),
        Some(r) => out!(
            "  severity   {}: elapsed {elapsed}, OVER the {} limit by {}",
            record.severity.as_str(),
            format_duration(std::time::Duration::from_secs(record.limit_secs.unwrap_or(0))),
            format_duration(std::time::Duration::from_secs((-r) as u64))
        ),
        None => out!("  severity   {}: elapsed {elapsed}", record.severity.as_str()),
    }
    if let Some(incident) = &record.incident {
        out!("  incident   {incident}");
    }
    out!("  release    {}/{}", record.remote, record.release_branch);
    out!("  production {}", record.plan.production.commit);
    for fix in &record.plan.picks {
        out!("  fix        {} {}", fix.fix.short(), fix.subject);
    }
    out!(
        "  lock       {}",
        if status.holds_lock {
            "held by this run"
        } else {
            "not held"
        }
    );
    out!("steps");
    for step in &record.plan.steps {
        match done_entry(run, *step) {
            Some((at, who, evidence)) => {
                out!("  done  {:<18} {}  {}", step.as_str(), format_utc(at), who);
                for line in evidence_lines(evidence) {
                    out!("          {line}");
                }
            }
            None => out!("  ....  {:<18} {}", step.as_str(), step.describe()),
        }
    }
    for (_, entry) in &run.entries {
        match &entry.event {
            Event::StepFailed { step, error } => out!("  failed {step} at {}: {error}", format_utc(entry.at)),
            Event::Rebuilt { from_tip, to_tip, .. } => {
                out!(
                    "  rebuilt at {}: release moved {} -> {}",
                    format_utc(entry.at),
                    from_tip.short(),
                    to_tip.short()
                )
            }
            Event::Aborted { reason } => out!(
                "  aborted at {} by {}: {reason}",
                format_utc(entry.at),
                entry.actor.ident
            ),
            _ => {}
        }
    }
}

fn done_entry(run: &Run, step: StepName) -> Option<(i64, String, &Evidence)> {
    let evidence = run.done(step)?;
    run.entries.iter().rev().find_map(|(_, e)| match &e.event {
        Event::StepDone { step: s, evidence: ev } if *s == step && std::ptr::eq(ev, evidence) => {
            Some((e.at, e.actor.ident.clone(), ev))
        }
        _ => None,
    })
}

/// Returns the "next:" line for a run.
pub fn next_for(run: &Run) -> String {
    use hotfix::journal::RunState;
    match run.state() {
        RunState::Completed => format!(
            "release is pushed and verified; deploy {} and watch production (run {} is complete)",
            run.record.release_branch, run.id
        ),
        RunState::Aborted => "nothing more happens in this run; `git hotfix log` lists runs".into(),
        RunState::Stopped => format!("fix what stopped it, then `git hotfix continue {}`", run.id),
        RunState::InProgress => match run.next_step() {
            Some(step) => format!("`git hotfix continue {}` will {}", run.id, step.describe()),
            None => format!("`git hotfix continue {}` finishes the run", run.id),
        },
    }
}

/// Asks a yes/no question on the terminal; false unless the answer is yes.
pub fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{question} [y/N] ");
    let _ = stdout.flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}
