//! `git hotfix report`: the incident record of a run, as Markdown or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use hotfix::journal::Event;
use hotfix::ops;
use hotfix::report::IncidentReport;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult, ExitKind};
use crate::json;
use crate::ui::{self, out};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Md,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The run (default: the one holding the release lock, else the newest unfinished)
    pub run: Option<String>,
    #[command(flatten)]
    pub across: AcrossArgs,
    /// md: the Markdown record; json: the same as --json
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Print the record as JSON (schemas/report.v1.json; with --incident, schemas/incident-report.v1.json)
    #[arg(long)]
    pub json: bool,
    /// Write the report to FILE instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--incident` and `--repo`: one record of an incident across repositories.
#[derive(clap::Args, Default)]
pub struct AcrossArgs {
    /// Report every run of incident ID, in this repository and the others, as one record
    #[arg(long, value_name = "ID", conflicts_with = "run")]
    pub incident: Option<String>,
    /// Read this repository's runs of the incident too (repeatable; replaces `[incident] repositories`)
    #[arg(long = "repo", value_name = "PATH", requires = "incident")]
    pub repos: Vec<PathBuf>,
}

impl Args {
    /// Returns whether the record is asked for as JSON: `--json` or its alias `--format json`.
    pub fn wants_json(&self) -> bool {
        self.json || matches!(self.format, Format::Json)
    }
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    if let Some(incident) = &args.across.incident {
        return incident_run(globals, &session, incident, &args);
    }
    let report = ops::report(&session, args.run.as_deref())?;
    let text = if args.wants_json() {
        document("report", &report)
    } else {
        markdown(&report)
    };
    // The journal holds no secrets, but the environment of this command may
    // hold some the run never saw.
    let text = session.redactor.redact(&text);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| CommandError {
                kind: ExitKind::Error,
                message: format!("failed to write {}: {e}", path.display()),
                details: Vec::new(),
                hints: vec!["check the directory exists and is writable".into()],
            })?;
            out!("report of run {} written to {}", report.run_id, path.display());
            ui::next("attach it to the incident record");
            written(&args, &report.run_id, path);
        }
        None => {
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), ui::mask(&text).as_bytes());
            if args.wants_json() {
                json::mark_printed();
            }
        }
    }
    Ok(())
}

/// Returns a record as its JSON document, with its schema id.
fn document(schema: &str, record: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(&json::with_schema(schema, record))
        .expect("reports serialize: plain data with string keys")
        + "\n"
}

/// Under `--json --output FILE`, prints on stdout where the record went
/// (the file holds the record's own document).
fn written(args: &Args, of: &str, path: &std::path::Path) {
    if args.wants_json() {
        json::print(
            "report-output",
            serde_json::json!({ "of": of, "output": path.display().to_string(), "next": json::last_next() }),
        );
    }
}

/// Runs `report --incident`: the record of every run of the incident across
/// this repository and the others, as Markdown or JSON.
fn incident_run(globals: &Globals, session: &hotfix::ops::Session, incident: &str, args: &Args) -> CommandResult {
    // `--repo` paths are read as git reads paths after `-C`: from that directory.
    let others: Vec<(String, PathBuf)> = if args.across.repos.is_empty() {
        ops::incident_repositories(session)
    } else {
        args.across
            .repos
            .iter()
            .map(|p| (p.display().to_string(), globals.dir.join(p)))
            .collect()
    };
    let report = ops::incident_report(session, incident, &others).map_err(incident_error)?;
    let text = if args.wants_json() {
        document("incident-report", &report)
    } else {
        incident_markdown(&report)
    };
    let text = session.redactor.redact(&text);
    let next = incident_next(&report);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| CommandError {
                kind: ExitKind::Error,
                message: format!("failed to write {}: {e}", path.display()),
                details: Vec::new(),
                hints: vec!["check the directory exists and is writable".into()],
            })?;
            out!(
                "report of incident {} ({} run(s)) written to {}",
                report.incident,
                report.run_count(),
                path.display()
            );
            ui::next(&next);
            written(args, &report.incident, path);
        }
        None => {
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), ui::mask(&text).as_bytes());
            // JSON stays one document that parses.
            if args.wants_json() {
                json::mark_printed();
            } else {
                ui::next(&next);
            }
        }
    }
    Ok(())
}

fn incident_error(e: ops::IncidentReportError) -> CommandError {
    match e {
        ops::IncidentReportError::NotARepository { .. } => CommandError::usage(
            e.to_string(),
            "`--repo` and `[incident] repositories` name a repository's checkout (relative paths in hotfix.toml are \
             read from this repository's root)",
        ),
        ops::IncidentReportError::Repository { path, source } => {
            let mut error = CommandError::from(*source);
            error.message = format!("repository `{}`: {}", path.display(), error.message);
            error
        }
    }
}

/// Returns what to do next with the record: carry on the first open run, else file it.
fn incident_next(r: &ops::CombinedReport) -> String {
    let open = r
        .repositories
        .iter()
        .flat_map(|repo| repo.runs.iter().map(move |run| (repo, run)))
        .find(|(_, run)| !run.state.is_finished());
    match (r.state, open) {
        (ops::IncidentState::NoRuns, _) => format!(
            "no run of incident `{}` was found; `git hotfix log` lists each repository's runs",
            r.incident
        ),
        (_, Some((repo, run))) => format!(
            "`git hotfix {}status {}` shows what the open run still needs",
            match repo.path.as_str() {
                "." => String::new(),
                other => format!("-C {other} "),
            },
            run.run_id
        ),
        _ => "attach it to the incident record".into(),
    }
}

/// Renders the record of an incident across repositories as Markdown.
fn incident_markdown(r: &ops::CombinedReport) -> String {
    let mut md = String::new();
    let w = &mut md;
    let cell = |v: &str| v.replace('|', "\\|");
    let _ = writeln!(w, "# Incident {}", r.incident);
    for repo in &r.repositories {
        if let Some(why) = &repo.offline {
            let _ = writeln!(w, "\n> **Not the remote's record** of `{}`: {why}.", repo.path);
        }
    }
    for notice in &r.notices {
        let _ = writeln!(w, "\n> note: {notice}");
    }
    let _ = writeln!(
        w,
        "\n{} repositories, {} runs, {} services changed; {}",
        r.repositories.len(),
        r.run_count(),
        r.services_changed(),
        r.state.as_str()
    );

    let _ = writeln!(w, "\n## Repositories and runs\n");
    let _ = writeln!(
        w,
        "| Repository | Remote | Run | State | Strategy | Release branch | Production before | Release commit | Services changed |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
    let short = |sha: &str| format!("`{}`", &sha[..12.min(sha.len())]);
    for repo in &r.repositories {
        let remote = match &repo.remote_url {
            Some(url) => format!("{} ({url})", repo.remote),
            None => repo.remote.clone(),
        };
        if repo.runs.is_empty() {
            let _ = writeln!(
                w,
                "| {} | {} | (no run of this incident) | - | - | - | - | - | - |",
                cell(&repo.path),
                cell(&remote)
            );
        }
        for run in &repo.runs {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&repo.path),
                cell(&remote),
                run.run_id,
                run.state.as_str(),
                cell(&run.strategy),
                cell(&run.release_branch),
                short(&run.production_before),
                run.release_commit.as_deref().map_or("-".to_string(), short),
                match run.services_changed.as_slice() {
                    [] => "-".to_string(),
                    each => cell(&each.join(", ")),
                }
            );
        }
    }

    if !r.targets.is_empty() {
        let _ = writeln!(w, "\n## Targets\n");
        let rows: Vec<(Vec<String>, &hotfix::report::Target)> = r
            .targets
            .iter()
            .map(|t| (vec![t.repository.clone(), t.run_id.clone()], &t.target))
            .collect();
        labelled_targets_table(w, &["Repository", "Run"], &rows);
    }

    let _ = writeln!(w, "\n## Timeline (UTC)\n");
    let _ = writeln!(w, "| Time | Repository | Run | Actor | What |");
    let _ = writeln!(w, "|---|---|---|---|---|");
    for t in &r.timeline {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            t.entry.time,
            cell(&t.repository),
            t.run_id,
            cell(&t.entry.actor),
            cell(&t.entry.what)
        );
    }

    let _ = writeln!(w, "\n## Evidence\n");
    for e in &r.evidence {
        let ids = |ids: &[String]| match ids {
            [] => String::new(),
            each => format!(" ({})", each.join(", ")),
        };
        let _ = writeln!(
            w,
            "- `{}` run {}: {} ok, {} missing{}, {} failed{}",
            e.repository,
            e.run_id,
            e.ok,
            e.missing,
            ids(&e.missing_ids),
            e.failed,
            ids(&e.failed_ids)
        );
    }
    if r.evidence.is_empty() {
        let _ = writeln!(w, "- no run, no evidence");
    }
    md
}

/// Writes the table of targets: every service, changed or not, with what the
/// run did to it; `repository` heads a first column when the table spans several.
pub fn targets_table(w: &mut String, targets: &[hotfix::report::Target], repository: Option<&str>) {
    let heads: &[&str] = match repository {
        Some(_) => &["Repository"],
        None => &[],
    };
    let rows: Vec<(Vec<String>, &hotfix::report::Target)> = targets
        .iter()
        .map(|t| (repository.map(str::to_string).into_iter().collect(), t))
        .collect();
    labelled_targets_table(w, heads, &rows);
}

/// Writes the table of targets with a first column for each of `heads`,
/// each row's cells of them given with it.
fn labelled_targets_table(w: &mut String, heads: &[&str], rows: &[(Vec<String>, &hotfix::report::Target)]) {
    let short = |sha: &Option<String>| {
        sha.as_deref()
            .map_or("-".to_string(), |s| format!("`{}`", &s[..12.min(s.len())]))
    };
    let head: String = heads.iter().map(|h| format!("| {h} ")).collect();
    let rule = "|---".repeat(heads.len());
    let _ = writeln!(
        w,
        "{head}| Service | Changed | Production before | Release commit | Release job | Deploy | Verification | Smoke | Rolled back |"
    );
    let _ = writeln!(w, "{rule}|---|---|---|---|---|---|---|---|---|");
    for (labels, t) in rows {
        let cell = |v: &str| v.replace('|', "\\|");
        let _ = writeln!(
            w,
            "{}| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            labels.iter().map(|l| format!("| {} ", cell(l))).collect::<String>(),
            cell(&t.service),
            if t.changed { "yes" } else { "no" },
            short(&t.production_before),
            if t.changed {
                short(&t.release_commit)
            } else {
                "-".into()
            },
            cell(&t.release_job),
            cell(&t.deploy),
            cell(&t.verification),
            cell(&t.smoke),
            cell(&t.rolled_back)
        );
    }
}

/// Renders the incident record as Markdown for the incident tracker.
fn markdown(r: &IncidentReport) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Production hotfix {}", r.run_id);
    if let Some(why) = &r.offline {
        let _ = writeln!(w, "\n> **Not the remote's record**: {why}.");
    }
    for notice in &r.notices {
        let _ = writeln!(w, "\n> note: {notice}");
    }
    let _ = writeln!(w, "\n{}\n", r.summary);
    let _ = writeln!(w, "| | |\n|---|---|");
    let row = |w: &mut String, k: &str, v: &str| {
        let _ = writeln!(w, "| {k} | {} |", v.replace('|', "\\|"));
    };
    row(w, "State", &r.state);
    row(w, "Service", r.service.as_deref().unwrap_or("-"));
    row(
        w,
        "Severity",
        &format!(
            "{}{}",
            r.severity,
            r.time_limit.as_ref().map_or(String::new(), |l| format!(" (limit {l})"))
        ),
    );
    row(w, "Incident", r.incident.as_deref().unwrap_or("-"));
    row(w, "Started", &format!("{} by {}", r.started_at, r.started_by));
    row(w, "Ended", r.ended_at.as_deref().unwrap_or("(open)"));
    row(w, "Elapsed", &r.elapsed);
    row(w, "Release", &format!("{}/{}", r.remote, r.release_branch));
    row(w, "Production before", &r.production_sha);
    row(w, "Release commit", r.release_sha.as_deref().unwrap_or("(not pushed)"));
    if let Some(m) = &r.monitor_until {
        row(w, "Monitoring until", m);
    }

    if !r.targets.is_empty() {
        let _ = writeln!(w, "\n## Targets\n");
        targets_table(w, &r.targets, None);
    }

    let _ = writeln!(w, "\n## Fix\n");
    for f in &r.fixes {
        let _ = writeln!(
            w,
            "- `{}` {} ({}){}",
            &f.fix[..12.min(f.fix.len())],
            f.subject,
            f.status,
            f.picked_as
                .as_ref()
                .map_or(String::new(), |p| format!(" (picked as `{}`)", &p[..12.min(p.len())]))
        );
    }
    if let Some(v) = &r.verification {
        let _ = writeln!(w, "\n## Verification\n");
        let _ = writeln!(w, "Verification: {}\n", v.headline());
        for c in &v.checks {
            let _ = writeln!(w, "- {} {}: {}", if c.ok { "[x]" } else { "[ ]" }, c.name, c.detail);
            for f in &c.failures {
                let _ = writeln!(w, "  - {f}");
            }
        }
    }
    for (title, approvals) in [
        ("Approvals", &r.approvals),
        ("Rollback approvals", &r.rollback_approvals),
    ] {
        if approvals.is_empty() {
            continue;
        }
        let _ = writeln!(w, "\n## {title}\n");
        for a in approvals {
            let _ = writeln!(
                w,
                "- {}: {} at {}, {}",
                a.role,
                a.ident,
                hotfix::ambient::format_utc(a.at),
                crate::ui::verification(a)
            );
        }
    }
    if !r.approvals_not_counted.is_empty() {
        let _ = writeln!(w, "\n## Approvals that do not count\n");
        for a in &r.approvals_not_counted {
            let _ = writeln!(w, "- {}", a.describe());
        }
    }

    if !r.decisions.is_empty() {
        let _ = writeln!(w, "\n## Decisions\n");
        for d in &r.decisions {
            let _ = writeln!(w, "- {d}");
        }
    }

    let _ = writeln!(w, "\n## Validation and evidence\n");
    if let Some(title) = &r.checklist {
        let _ = writeln!(w, "{title}\n");
    }
    for item in &r.evidence {
        let mark = match item.status {
            hotfix::journal::ItemStatus::Ok => "[x]",
            _ => "[ ]",
        };
        let _ = writeln!(
            w,
            "- {mark} **{}** ({}): {}\n  - {}",
            item.item,
            item.status.as_str(),
            item.id,
            item.detail
        );
    }
    let _ = writeln!(w, "\nTotal Time: {} minutes", r.total_minutes);

    let _ = writeln!(w, "\n## Timeline (UTC)\n");
    for t in &r.timeline {
        let _ = writeln!(w, "- {} {} — {}", t.time, t.what, t.actor);
        let details: Vec<String> = match &t.event {
            Event::StepDone { evidence, .. } => ui::evidence_lines(evidence),
            Event::StepFailed { error, evidence, .. } => std::iter::once(error.clone())
                .chain(evidence.iter().flat_map(|e| ui::evidence_lines(e)))
                .collect(),
            Event::Attested { detail, .. } => vec![detail.clone()],
            Event::BackportResolved { backport } => vec![ui::backport_line(backport)],
            Event::RollbackStarted { reason, .. } | Event::Aborted { reason } | Event::DependencyAllowed { reason } => {
                vec![reason.clone()]
            }
            _ => Vec::new(),
        };
        for d in details {
            let _ = writeln!(w, "  - {d}");
        }
    }

    let _ = writeln!(w, "\n## Follow-ups\n");
    for f in &r.follow_ups {
        let _ = writeln!(w, "- [ ] {f}");
    }
    let _ = writeln!(w, "\n## Postmortem\n");
    for p in &r.postmortem {
        let _ = writeln!(w, "- {p}");
    }
    let _ = writeln!(
        w,
        "\n## Communication\n\nRight after the deploy:\n\n```\n{}\n```\n",
        r.communication.deployed
    );
    let _ = writeln!(w, "24 hours later:\n\n```\n{}\n```", r.communication.status_24h);
    md
}
