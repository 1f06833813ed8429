//! `git hotfix report`: the incident record of a run, as Markdown or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use hotfix::journal::Event;
use hotfix::ops;
use hotfix::report::IncidentReport;

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult, ExitKind};
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
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let report = ops::report(&session, args.run.as_deref())?;
    let text = match args.format {
        Format::Md => markdown(&report),
        Format::Json => {
            serde_json::to_string_pretty(&report).expect("reports serialize: plain data with string keys") + "\n"
        }
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
        }
        None => {
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), ui::mask(&text).as_bytes());
        }
    }
    Ok(())
}

/// Writes the table of targets: every service, changed or not, with what the
/// run did to it; `repository` heads a first column when the table spans several.
pub fn targets_table(w: &mut String, targets: &[hotfix::report::Target], repository: Option<&str>) {
    let short = |sha: &Option<String>| {
        sha.as_deref()
            .map_or("-".to_string(), |s| format!("`{}`", &s[..12.min(s.len())]))
    };
    let (head, rule) = match repository {
        Some(_) => ("| Repository ", "|---"),
        None => ("", ""),
    };
    let _ = writeln!(
        w,
        "{head}| Service | Changed | Production before | Release commit | Release job | Deploy | Verification | Smoke | Rolled back |"
    );
    let _ = writeln!(w, "{rule}|---|---|---|---|---|---|---|---|---|");
    for t in targets {
        let cell = |v: &str| v.replace('|', "\\|");
        let _ = writeln!(
            w,
            "{}| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            repository.map_or(String::new(), |r| format!("| {} ", cell(r))),
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
