//! Everything the CLI writes to the terminal: plans, progress, status.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use hotfix::ambient::format_utc;
use hotfix::config::format_duration;
use hotfix::engine::execute::{Progress, StepPosition};
use hotfix::engine::gates::Gate;
use hotfix::journal::{Event, Evidence, OpenAttempt, Phase, Run, RunState};
use hotfix::ops::RunStatus;
use hotfix::providers::command::CommandOutcome;
use hotfix::providers::http::Observation;
use hotfix::record::plan::{self, Action, CheckStatus, Pick, PickStatus, Plan, Step, StepName, TakenOut};

use crate::output;

/// Prints a line to stdout, masked (see [`mask`]), or to stderr under
/// `--json` (stdout is the JSON document's); a closed pipe (`| head`)
/// is not an error worth a panic.
/// Nothing is printed under `--quiet`: only errors, JSON and the `next:`
/// line are.
macro_rules! out {
    ($($arg:tt)*) => {{
        if !$crate::output::quiet() {
            $crate::output::human_line(&$crate::ui::mask(&format!($($arg)*)));
        }
    }};
}
pub(crate) use out;

/// The session's secrets, once a command has opened one; before that, the
/// environment's variables named like secrets.
static REDACTOR: std::sync::Mutex<Option<hotfix::secrets::Redactor>> = std::sync::Mutex::new(None);

/// Masks the values of the session's secret variables in everything printed from now on.
pub fn mask_secrets_of(session: &hotfix::ops::Session) {
    if let Ok(mut r) = REDACTOR.lock() {
        *r = Some(session.redactor.clone());
    }
}

/// Returns `text` as it may reach a terminal: secret values masked, and
/// control characters (from HTTP bodies, command output, journal entries)
/// escaped, so nothing from outside can move the cursor or retitle the window.
pub fn mask(text: &str) -> String {
    let text = match REDACTOR.lock() {
        Ok(mut r) => r
            .get_or_insert_with(|| hotfix::secrets::Redactor::from_env(&Default::default()))
            .redact(text),
        // A panic elsewhere poisoned it: mask with the environment alone.
        Err(_) => hotfix::secrets::Redactor::from_env(&Default::default()).redact(text),
    };
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return text;
    }
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Prints the one line saying what happens next (under `--quiet` too).
pub fn next(text: &str) {
    crate::json::remember_next(text);
    output::human_line(&format!("{} {}", output::paint(output::NEXT, "next:"), mask(text)));
}

/// Prints `value` on stdout, always (under `--quiet` too): it is the
/// command's one JSON document.
pub fn print_json(value: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(value).expect("plans and runs serialize: plain data with string keys");
    output::out_line(&mask(&text));
    crate::json::mark_printed();
}

/// Prints `tag` in `style` (words git-hotfix writes itself) and then `rest`,
/// masked; nothing under `--quiet`.
pub fn styled(style: anstyle::Style, tag: &str, rest: &str) {
    if !output::quiet() {
        output::human_line(&format!("{}{}", output::paint(style, tag), mask(rest)));
    }
}

/// The longest line `print_plan` writes; longer ones are cut (the JSON plan keeps everything).
const MAX_LINE: usize = 400;

/// Returns `line` cut to [`MAX_LINE`] characters.
fn fit(line: String) -> String {
    if line.chars().count() <= MAX_LINE {
        line
    } else {
        plan::shorten(&line, MAX_LINE)
    }
}

/// Prints what a merge-main plan deploys: the fix, the commit, and every
/// commit shipped beyond the fix.
fn print_main_deploy(plan: &Plan, deploy: &hotfix::record::plan::MainDeploy) {
    if let Some(r) = &deploy.request {
        out!(
            "{}",
            fit(format!("  request     {} `{}`: {}", r.reference, r.state, r.web_url))
        );
        if let Some(p) = &r.pipeline {
            out!(
                "{}",
                fit(format!(
                    "              {}'s pipeline #{} `{}`: {}",
                    plan.main_branch, p.id, p.status, p.web_url
                ))
            );
        }
    }
    out!(
        "{}",
        fit(format!(
            "  fix         {}  {}",
            deploy.fix.id.short(),
            deploy.fix.subject
        ))
    );
    out!(
        "  deploy      {}  ({}), {} tip {} read from {}",
        deploy.target.short(),
        if deploy.target_is_fix {
            "the fix commit itself".to_string()
        } else {
            format!("the first {} commit containing the fix", plan.main_branch)
        },
        plan.main_branch,
        plan.main_tip.short(),
        plan.remote
    );
    out!(
        "  ships       production..{}: {} commit(s) without merges, {} on {}'s first-parent line",
        deploy.target.short(),
        deploy.ships_total,
        deploy.first_parent.len(),
        plan.main_branch
    );
    for c in &deploy.first_parent {
        out!(
            "{}",
            fit(format!("                first-parent {}  {}", c.id.short(), c.subject))
        );
    }
    for c in &deploy.ships {
        out!(
            "{}",
            fit(format!("                commit       {}  {}", c.id.short(), c.subject))
        );
    }
    if deploy.beyond_fix.is_empty() {
        out!("  beyond fix  none: the deploy ships only the fix");
    } else {
        out!(
            "  beyond fix  {} commit(s) that are not the fix (start needs --allow-extra):",
            deploy.beyond_fix.len()
        );
        for c in &deploy.beyond_fix {
            out!("{}", fit(format!("                {}  {}", c.id.short(), c.subject)));
        }
    }
    if deploy.migrations.is_empty() {
        out!("  migrations  none touched: no migration step");
    } else {
        out!("{}", fit(format!("  migrations  {}", deploy.migrations.join(", "))));
    }
}

/// Prints which of seed 004's paths a trunk plan takes and why, and what it ships.
fn print_trunk_release(plan: &Plan, trunk: &hotfix::record::plan::TrunkRelease) {
    out!(
        "{}",
        fit(format!("  path        {} — {}", trunk.path.as_str(), trunk.why))
    );
    let fixes: Vec<&str> = trunk.fixes.iter().map(|f| f.short()).collect();
    match trunk.path {
        hotfix::record::plan::TrunkPath::Standard => {
            out!(
                "  release     {} {}  (the standard release ships main's tip; production must contain {})",
                plan.main_branch,
                plan.new_tip.short(),
                fixes.join(", ")
            );
        }
        hotfix::record::plan::TrunkPath::Exceptional => {
            if let Some(t) = &trunk.production_tag {
                out!(
                    "  version     {t} ({})",
                    trunk.production_version.as_deref().unwrap_or("?")
                );
            }
            out!(
                "  branch      {} from production {}",
                trunk.branch.as_deref().unwrap_or(&plan.release_branch),
                plan.production.commit.short()
            );
            if let Some(t) = &trunk.tag {
                out!("  tag         {t}  (staging first, then the production release of the tag)");
            }
        }
    }
}

pub fn print_plan(plan: &Plan) {
    let production = &plan.production;
    let source = production.sources();
    let picks = plan.picks.len();
    out!(
        "hotfix plan: {} on {}/{}, picking {picks} commit{}",
        plan.strategy,
        plan.remote,
        plan.release_branch,
        if picks == 1 { "" } else { "s" }
    );
    out!("  production  {}  (from {source})", production.commit.short());
    if let Some(deploy) = plan.merge_main.as_deref() {
        print_main_deploy(plan, deploy);
    } else if let Some(release) = plan.from_tag.as_deref() {
        print_tag_release(plan, release);
    } else if let Some(trunk) = plan.trunk.as_deref() {
        print_trunk_release(plan, trunk);
    } else {
        out!(
            "  release     {}  (tip read from {}; the push expects it unchanged)",
            plan.release_tip.short(),
            plan.remote
        );
    }
    match &plan.restore {
        _ if plan.from_tag.is_some() || plan.merge_main.is_some() || plan.trunk.is_some() => {}
        Some(r) => {
            out!(
                "  restore     {}  tree {} = production's tree, parent {}",
                r.commit.short(),
                r.tree.short(),
                r.parent.short()
            );
            if let Some(t) = &r.takes_out {
                for line in taken_out_lines(t) {
                    out!("              {line}");
                }
            }
        }
        None => out!("  restore     skipped: release already has production's tree"),
    }
    for (i, pick) in plan.picks.iter().enumerate() {
        out!("{}", fit(format!("  pick {:<6} {}", i + 1, describe_pick(pick))));
    }
    let gained = plan.new_commits().len();
    if !plan.ships_from_main() {
        out!(
            "  result      tree {}, {} -> {} (+{gained} commit{})",
            plan.release_tree.short(),
            if plan.from_tag.is_some() || plan.trunk.is_some() {
                plan.release_branch.as_str()
            } else {
                "release"
            },
            plan.new_tip.short(),
            if gained == 1 { "" } else { "s" }
        );
    }
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
        out!("{}", fit(format!("                {}  {counts}", change.path)));
    }
    if !plan.services.is_empty() {
        out!("services");
        for t in &plan.services {
            let tag = match (t.ships, t.own_run) {
                (true, _) => "ships",
                (false, true) => "later",
                (false, false) => "skip ",
            };
            let production = t
                .production
                .as_ref()
                .map_or(String::new(), |p| format!(" (production {})", p.commit.short()));
            out!("{}", fit(format!("  {tag} {:<16} {}{production}", t.name, t.why)));
        }
    }
    out!("checks");
    for c in &plan.checks {
        let (style, tag) = match c.status {
            CheckStatus::Pass => (output::OK, "ok   "),
            CheckStatus::Warn => (output::WARN, "warn "),
            CheckStatus::Block => (output::BAD, "BLOCK"),
        };
        styled(
            style,
            &format!("  {tag}"),
            &fit(format!(" {:<34} {}", c.name, c.detail)),
        );
    }
    out!("steps");
    for (i, step) in plan.steps.hotfix.iter().enumerate() {
        out!("  {}. {:<22} {}", i + 1, step.name.as_str(), step.about);
        for line in parameter_lines(step) {
            out!("{}", fit(format!("       {line}")));
        }
    }
    if !plan.steps.rollback.is_empty() {
        let names: Vec<&str> = plan.steps.rollback.iter().map(|s| s.name.as_str()).collect();
        out!("rollback: {}", names.join(", "));
    }
}

/// Prints what a from-tag plan decided: the product's tags, the version,
/// the version files and the way back to main.
fn print_tag_release(plan: &Plan, release: &plan::TagRelease) {
    out!(
        "  product     {}: {} ({}) -> {}, tag {}",
        release.product,
        release.production_tag,
        release.production_version,
        release.version,
        release.tag
    );
    if let Some(why) = &release.skipped {
        out!("{}", fit(format!("              {why}")));
    }
    out!(
        "  branch      {} from {} ({})",
        release.branch,
        release.production_tag,
        plan.release_tip.short()
    );
    if release.awaiting_fix {
        out!("  fix         none yet: committed on {} after start", release.branch);
        return;
    }
    for f in &release.version_files {
        out!("{}", fit(format!("  version     {}  {} -> {}", f.path, f.from, f.to)));
    }
    if let Some(c) = &release.changelog {
        out!("  changelog   {c}: an entry for {} on top", release.version);
    }
    let main = &plan.main_branch;
    let way = match &release.way_back {
        Some(plan::WayBack::FastForward { main: m }) => format!("{main} fast-forwards to {}", m.new.short()),
        Some(plan::WayBack::Backport { branch, commits }) => format!(
            "{} with {} fix commit(s) picked onto {main}",
            branch.name.trim_start_matches("refs/heads/"),
            commits.len()
        ),
        Some(plan::WayBack::OnMain) => format!("{main} already has every fix"),
        Some(plan::WayBack::ByHand { fix, .. }) => format!("{} conflicts on {main}: by hand", fix.short()),
        None => "none".into(),
    };
    out!("  way back    {way}");
}

fn forge_job_line(job: &hotfix::record::forge::JobRef, played: bool) -> String {
    format!(
        "job `{}` #{} {}{}: {}",
        job.name,
        job.id,
        job.status,
        if played { "" } else { " (played before)" },
        job.web_url
    )
}

/// Returns the parameters of a step, one short line each, as the plan
/// shows them: what `start` freezes in the run record.
fn parameter_lines(step: &Step) -> Vec<String> {
    let short = |o: &hotfix::git::Oid| o.short().to_string();
    match &step.action {
        Action::RecordProduction | Action::Build => Vec::new(),
        Action::Lock { branch } => vec![format!("creates refs/hotfix/locks/{branch} (must not exist)")],
        Action::Push(m) => vec![format!(
            "{} {} -> {} (compare-and-swap)",
            m.name,
            m.expected.as_ref().map_or("(new)".to_string(), short),
            short(&m.new)
        )],
        Action::VerifyRelease { branch, also_paths } if also_paths.is_empty() => vec![format!("reads {branch}")],
        Action::VerifyRelease { branch, also_paths } => {
            vec![format!(
                "reads {branch}; also allowed: {}",
                plan::list_paths(also_paths)
            )]
        }
        Action::Approvals(a) => vec![format!(
            "roles {}; the fix's author may{} approve",
            a.roles.join(", "),
            if a.allow_fix_author { "" } else { " not" }
        )],
        Action::Command(c) => {
            let mut lines = vec![format!("$ {}  (timeout {})", c.command, format_duration(c.timeout))];
            if let Some(job) = &c.release_job {
                lines.push(format!(
                    "job `{}`{} confirm={}; never: {}",
                    job.action,
                    job.project.as_ref().map_or(String::new(), |p| format!(" in {p}")),
                    job.confirm,
                    job.forbidden_actions.join(", ")
                ));
            }
            lines
        }
        Action::ForgePipeline(p) => {
            let inputs: Vec<String> = p.request.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let what = match &p.request.workflow {
                Some(workflow) => format!("dispatches workflow `{workflow}`"),
                None => "creates a pipeline".to_string(),
            };
            let mut lines = vec![format!(
                "{what}{} on `{}`{} {}",
                p.request.project.as_ref().map_or(String::new(), |p| format!(" in {p}")),
                p.request.git_ref,
                if p.request.variables {
                    " with variables"
                } else {
                    " with inputs"
                },
                inputs.join(" ")
            )];
            if let Some(job) = &p.job {
                lines.push(format!(
                    "plays manual job `{job}` and follows it (timeout {}); never: {}",
                    format_duration(p.wait.timeout),
                    p.forbidden_actions.join(", ")
                ));
            }
            lines
        }
        Action::ReviewRequest(r) => vec![
            format!(
                "opens `{}` from {} into {}{} (or adopts the one open for them)",
                r.title,
                r.source_branch,
                r.target_branch,
                if r.draft { " as a draft" } else { "" }
            ),
            format!(
                "labels [{}]; remove_source_branch={}",
                r.labels.join(", "),
                r.remove_source_branch
            ),
        ],
        Action::Backport(b) => vec![
            format!(
                "backports each fix to {} as `{}`, once production has it (a target that has the fix gets no branch)",
                b.to.join(", "),
                b.branch
            ),
            format!(
                "labels [{}], on a conflict [{}] with an empty commit",
                b.labels.join(", "),
                b.conflict_labels.join(", ")
            ),
        ],
        Action::ForgeRelease(r) => vec![format!(
            "creates release `{}` of tag {} (or adopts the tag's); latest={}",
            r.name, r.tag, r.latest
        )],
        Action::MainPipeline { branch, commit } => vec![format!(
            "finds {branch}'s newest pipeline for {} on the forge (it must not have failed)",
            commit.short()
        )],
        Action::ForgeJob(j) => vec![format!(
            "plays manual job `{}` in {} pipeline of `{}` and follows it (timeout {})",
            j.job,
            if j.downstream { "the downstream" } else { "the" },
            j.pipeline_of,
            format_duration(j.wait.timeout)
        )],
        Action::VerifyHttp(v) => {
            let mut lines: Vec<String> = v
                .http
                .iter()
                .map(|c| {
                    format!(
                        "GET {} until HTTP {}{} (within {})",
                        c.url,
                        c.expect_status,
                        c.sha_pointer
                            .as_ref()
                            .map_or(String::new(), |p| format!(" and {p} = the release")),
                        format_duration(c.timeout)
                    )
                })
                .collect();
            if let Some(m) = v.monitor {
                lines.push(format!("then watch production for {}", format_duration(m)));
            }
            lines
        }
        Action::VerifyContains(v) => {
            let fixes: Vec<&str> = v.contains.iter().map(|c| c.short()).collect();
            let mut lines: Vec<String> = v
                .verify
                .http
                .iter()
                .map(|c| {
                    format!(
                        "GET {} until HTTP {}{} (within {})",
                        c.url,
                        c.expect_status,
                        c.sha_pointer.as_ref().map_or(String::new(), |p| format!(
                            " and {p} names a commit of {} that contains {}",
                            v.branch,
                            fixes.join(", ")
                        )),
                        format_duration(c.timeout)
                    )
                })
                .collect();
            if let Some(m) = v.verify.monitor {
                lines.push(format!("then watch production for {}", format_duration(m)));
            }
            lines
        }
        Action::Smoke { checks } => checks
            .iter()
            .map(|c| format!("$ {}  (timeout {})", c.command, format_duration(c.timeout)))
            .collect(),
        Action::CreateTag { tag, .. } => vec![format!("creates refs/tags/{tag}, annotated (must not exist)")],
        Action::RestoreRelease { branch } => vec![format!("{branch} gets production's tree again")],
        Action::Unconfigured { key } => vec![format!("hotfix.toml has no {key}: this step fails")],
        Action::WaitForFix { branch, base } => vec![format!(
            "until commits are pushed to {branch} on top of {}; then the plan is made again with them",
            base.short()
        )],
    }
}

/// What a restore takes out of release, in a few short lines.
fn taken_out_lines(t: &TakenOut) -> Vec<String> {
    if t.commits_total == 0 {
        return vec![if t.files == 0 {
            "takes nothing out: release holds no work production lacks".into()
        } else {
            format!(
                "takes no commit out: release's history is all in production; {} file(s) move to production's tree",
                t.files
            )
        }];
    }
    let mut lines = vec![format!(
        "takes out {} commit(s) release has and production lacks: {} file(s), {}",
        t.commits_total,
        t.files,
        t.lines()
    )];
    for c in t.commits.iter().take(3) {
        lines.push(format!(
            "  {} {}",
            c.id.short(),
            plan::shorten(&c.subject, plan::SUBJECT_CHARS)
        ));
    }
    if t.commits_total > 3 {
        lines.push(format!(
            "  and {} more (land them again after the hotfix)",
            t.commits_total - 3
        ));
    }
    lines
}

fn describe_pick(pick: &Pick) -> String {
    let merge = pick.mainline.map_or(String::new(), |m| format!(" (merge, -m {m})"));
    let commit = pick.commit.as_ref().map_or("?", |c| c.short());
    let result = match pick.status {
        PickStatus::Clean => format!("clean -> {commit}"),
        PickStatus::Resolved => format!("resolved by hand -> {commit}"),
        PickStatus::AlreadyApplied => match &pick.applied_as {
            Some(c) if c.id != pick.fix => format!("already-applied as {}, skipped", c.id.short()),
            _ => "already-applied, skipped".into(),
        },
        PickStatus::Conflict => format!("CONFLICT in {}", plan::list_paths(&pick.conflicts)),
        PickStatus::Pending => "pending: picked after the conflict is resolved".into(),
    };
    format!(
        "{}  {}{merge}  {result}",
        pick.fix.short(),
        plan::shorten(&pick.subject, plan::SUBJECT_CHARS)
    )
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
                    (PickStatus::Resolved, Some(c)) => format!("resolved by hand, picked as {}", c.short()),
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
            match old {
                Some(old) => format!(
                    "{branch_ref} {}..{} (compare-and-swap on {})",
                    old.short(),
                    new.short(),
                    old.short()
                ),
                None => format!("{branch_ref} created at {} (it did not exist)", new.short()),
            }
        }],
        Evidence::Verified { checks, .. } => checks.iter().map(|c| c.detail.clone()).collect(),
        Evidence::FixesPushed {
            branch_ref,
            commits,
            tip,
        } => std::iter::once(format!(
            "{branch_ref} at {}: {} commit(s) pushed; the plan was made again with them",
            tip.short(),
            commits.len()
        ))
        .chain(
            commits
                .iter()
                .map(|c| format!("{} {}", c.id.short(), plan::shorten(&c.subject, 80))),
        )
        .collect(),
        Evidence::Tagged {
            tag_ref,
            object,
            commit,
        } => vec![format!(
            "{tag_ref} created: tag object {} on {} (it did not exist)",
            object.short(),
            commit.short()
        )],
        Evidence::Approvals { approvals } => approvals
            .iter()
            .map(|a| format!("{}: {} at {}, {}", a.role, a.ident, format_utc(a.at), verification(a)))
            .collect(),
        Evidence::ReleaseAction {
            action,
            project,
            confirm,
            release_sha,
            outcome,
        } => vec![
            format!(
                "release job `{action}`{} confirm={confirm} for {}",
                project.as_ref().map_or(String::new(), |p| format!(" in {p}")),
                release_sha.short()
            ),
            command_line(outcome),
        ],
        Evidence::Deployed { release_sha, outcome } => {
            vec![format!("deployed {}", release_sha.short()), command_line(outcome)]
        }
        Evidence::MainPipeline {
            branch,
            commit,
            pipeline,
            status,
        } => vec![format!(
            "{branch}'s pipeline #{} for {} is `{status}`: {}",
            pipeline.id,
            commit.short(),
            pipeline.web_url
        )],
        Evidence::ReviewRequested { request, merge_request } => vec![format!(
            "review request !{} of {} into {}{}: {}",
            merge_request.iid,
            request.source_branch,
            request.target_branch,
            if merge_request.adopted { " (adopted)" } else { "" },
            merge_request.web_url
        )],
        Evidence::Backported { backports } => backports.iter().map(backport_line).collect(),
        Evidence::ForgeRelease { release, created } => vec![format!(
            "release of {}{}{}: {}",
            created.tag,
            if created.adopted { " (adopted)" } else { "" },
            if release.latest { "" } else { ", not latest" },
            created.web_url
        )],
        Evidence::ForgePipeline {
            release_sha,
            request,
            pipeline,
            job,
            played,
            log_tail,
        } => {
            let inputs: Vec<String> = request.inputs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mut lines = vec![format!(
                "pipeline #{} for {} on `{}` ({}): {}",
                pipeline.id,
                release_sha.short(),
                request.git_ref,
                inputs.join(" "),
                pipeline.web_url
            )];
            lines.extend(job.iter().map(|j| forge_job_line(j, *played)));
            lines.extend(log_tail.iter().flat_map(|t| t.lines().map(|l| format!("| {l}"))));
            lines
        }
        Evidence::ForgeJob {
            release_sha,
            pipeline,
            job,
            played,
            log_tail,
        } => {
            let mut lines = vec![
                format!("deploy of {} in pipeline #{}", release_sha.short(), pipeline.id),
                forge_job_line(job, *played),
            ];
            lines.extend(log_tail.iter().flat_map(|t| t.lines().map(|l| format!("| {l}"))));
            lines
        }
        Evidence::ProductionVerified {
            release_sha,
            checks,
            monitor_until,
        } => {
            let mut lines: Vec<String> = checks
                .iter()
                .map(|c| {
                    format!(
                        "{} {}: {} after {} poll(s)",
                        c.url,
                        if c.ok { "reports" } else { "did NOT report" },
                        if c.ok {
                            release_sha.short().to_string()
                        } else {
                            c.last.describe()
                        },
                        c.attempts
                    )
                })
                .collect();
            if let Some(until) = monitor_until {
                lines.push(format!("monitoring window until {}", format_utc(*until)));
            }
            lines
        }
        Evidence::Smoke { results } => results
            .iter()
            .map(|r| format!("{}: {}", r.name, r.outcome.describe()))
            .collect(),
        Evidence::RolledBack {
            branch_ref,
            old,
            new,
            production,
            already,
            ..
        } => vec![if *already {
            format!(
                "{branch_ref} already has production {}'s tree at {}",
                production.short(),
                new.short()
            )
        } else {
            format!(
                "{branch_ref} {}..{}: restore to production {}'s tree (compare-and-swap on {})",
                old.short(),
                new.short(),
                production.short(),
                old.short()
            )
        }],
    }
}

fn command_line(outcome: &CommandOutcome) -> String {
    format!("`{}` {}", outcome.command, outcome.describe())
}

/// Prints steps as they run and command output as it comes. On a terminal
/// a step that takes longer than [`SPINNER_AFTER`] gets a spinner on stderr
/// with its elapsed time and what it waits for (the endpoint polled, the
/// command running); piped, a poll is one line per change.
#[derive(Default)]
pub struct StepPrinter {
    /// The last poll shown, so a pipe gets one line per change, not per poll.
    last_poll: RefCell<String>,
    /// The running step's spinner, hidden until the step has taken a while.
    spinner: RefCell<Option<indicatif::ProgressBar>>,
}

/// Waits shorter than this show no spinner.
pub const SPINNER_AFTER: Duration = Duration::from_millis(250);

impl StepPrinter {
    /// Starts the spinner of `step`: drawn only once the step has run for
    /// [`SPINNER_AFTER`], only on a terminal, never under `--quiet`.
    fn spin(&self, step: &Step) {
        self.stop_spinner();
        if output::quiet() || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {prefix} {elapsed} {wide_msg}") {
            bar.set_style(style);
        }
        bar.set_prefix(step.name.to_string());
        bar.set_message(mask(&step.about));
        bar.enable_steady_tick(Duration::from_millis(120));
        let later = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SPINNER_AFTER);
            if !later.is_finished() {
                later.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        });
        *self.spinner.borrow_mut() = Some(bar);
    }

    fn stop_spinner(&self) {
        if let Some(bar) = self.spinner.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    /// Prints with the spinner out of the way.
    fn above_spinner(&self, print: impl FnOnce()) {
        match self.spinner.borrow().as_ref() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

impl Drop for StepPrinter {
    fn drop(&mut self) {
        self.stop_spinner();
    }
}

impl Progress for StepPrinter {
    fn step_started(&self, step: &Step, at: StepPosition) {
        if step.touches_production() || matches!(step.action, Action::RestoreRelease { .. }) {
            out!("[{}/{}] {:<18} {}", at.index, at.total, step.name.as_str(), step.about);
        }
        self.spin(step);
    }

    fn step_done(&self, step: &Step, at: StepPosition, evidence: &Evidence) {
        self.stop_spinner();
        let step = &step.name;
        self.last_poll.borrow_mut().clear();
        if !output::quiet() {
            let head = mask(&format!("[{}/{}] {:<18} ", at.index, at.total, step.as_str()));
            output::human_line(&format!("{head}{}", output::paint(output::OK, "done")));
        }
        for line in evidence_lines(evidence) {
            out!("        {line}");
        }
    }

    fn output(&self, _step: &StepName, line: &str) {
        self.above_spinner(|| out!("        | {line}"));
    }

    fn polling(&self, url: &str, attempt: u32, elapsed: Duration, seen: &Observation) {
        let what = seen.describe();
        // Masked like every other line: the URL may carry a secret, the body control bytes.
        let line = mask(&format!(
            "polling {url}: {} (attempt {attempt}, {})",
            if what.is_empty() {
                "no answer".into()
            } else {
                what.clone()
            },
            format_duration(elapsed)
        ));
        if let Some(bar) = self.spinner.borrow().as_ref() {
            bar.set_message(line);
            return;
        }
        if !output::quiet() && *self.last_poll.borrow() != what {
            output::err_line(&format!("        {line}"));
            *self.last_poll.borrow_mut() = what;
        }
    }

    fn notice(&self, text: &str) {
        self.above_spinner(|| out!("note: {text}"));
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
    let lock_ref = hotfix::journal::JournalStore::lock_ref(&record.release_branch);
    out!(
        "  lock       {}",
        if status.holds_lock {
            "held by this run".to_string()
        } else if status.lock_lost {
            format!("LOST: {lock_ref} is gone from the remote or names another run")
        } else {
            "not held".to_string()
        }
    );
    if let Some(why) = &status.offline {
        out!("warning: {why}");
    }
    for l in &status.backport_landings {
        let by = if l.by == "forge" {
            "its request on the forge"
        } else {
            "reachable from the target"
        };
        out!(
            "  backport   {} to {}: {} ({by})",
            l.fix.short(),
            l.target,
            l.landing.as_str()
        );
    }
    for notice in &status.notices {
        out!("note: {notice}");
    }
    if status.lock_lost {
        out!(
            "warning: run {} took {lock_ref} and never gave it back, but no longer holds it: someone removed \
             it; nothing more of this run can be pushed (`git hotfix abort {}` closes it)",
            run.id,
            run.id
        );
    }
    if !status.roles.is_empty() {
        let given: Vec<String> = status
            .approvals
            .counted
            .iter()
            .map(|c| format!("{} by {}", c.approval.role, c.approval.ident))
            .collect();
        let verified: Vec<String> = status
            .approvals
            .counted
            .iter()
            .map(|c| format!("{} {}", c.approval.role, verification(&c.approval)))
            .collect();
        out!(
            "  approvals  {}{}",
            if given.is_empty() {
                "none yet".into()
            } else {
                given.join(", ")
            },
            if status.missing_roles.is_empty() {
                String::new()
            } else {
                format!("; missing: {}", status.missing_roles.join(", "))
            }
        );
        if !verified.is_empty() {
            out!("  verified   {}", verified.join("; "));
        }
    }
    for not in status.approvals.objections() {
        out!("  not counted  {}", not.describe());
    }
    if let Some(attempt) = run.next_step().and_then(|s| run.open_attempt(&s.name)) {
        out!("  attention  {}", describe_attempt(&attempt));
    }
    if let Some(until) = run.monitor_until() {
        if status.now < until {
            out!(
                "  monitor    watch production until {} ({} left)",
                format_utc(until),
                format_duration(Duration::from_secs((until - status.now) as u64))
            );
        } else {
            out!("  monitor    window ended at {}", format_utc(until));
        }
    }
    let mut phases = vec![Phase::Hotfix];
    if run.phase() == Phase::Rollback {
        phases.push(Phase::Rollback);
    }
    for phase in phases {
        out!(
            "{}",
            if phase == Phase::Hotfix {
                "steps"
            } else {
                "rollback steps"
            }
        );
        for step in run.steps_of(phase) {
            let about = &step.about;
            let step = &step.name;
            match run.done_entry_in(phase, step) {
                Some((entry, evidence)) => {
                    out!(
                        "  done  {:<18} {}  {}",
                        step.as_str(),
                        format_utc(entry.at),
                        entry.actor.ident
                    );
                    for line in evidence_lines(evidence) {
                        out!("          {line}");
                    }
                }
                None => match run.open_attempt(step).filter(|_| phase == run.phase()) {
                    Some(a) if a.interrupted.is_some() => {
                        out!("  ????  {:<18} interrupted: it may have run", step.as_str())
                    }
                    Some(_) => out!("  ????  {:<18} started, never ended: it may have run", step.as_str()),
                    None => out!("  ....  {:<18} {about}", step.as_str()),
                },
            }
        }
    }
    for (_, entry) in &run.entries {
        match &entry.event {
            Event::StepFailed { step, error, evidence } => {
                out!("  failed {step} at {}: {error}", format_utc(entry.at));
                for line in evidence.iter().flat_map(|e| evidence_lines(e)) {
                    out!("          {line}");
                }
            }
            Event::Approved { approval: a } => out!(
                "  approved as {} by {} at {} (release {})",
                a.role,
                a.ident,
                format_utc(a.at),
                a.release_tip.short()
            ),
            Event::Attested { item, detail } => out!(
                "  attested {item} by {} at {}: {detail}",
                entry.actor.ident,
                format_utc(entry.at)
            ),
            Event::RollbackStarted { reason, .. } => out!(
                "  rollback started at {} by {}: {reason}",
                format_utc(entry.at),
                entry.actor.ident
            ),
            Event::Finished { .. } => out!("  finished at {} by {}", format_utc(entry.at), entry.actor.ident),
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
            Event::StepStarted { step, pgid, host, .. } => out!(
                "  started {step} at {} by {} on {host} (process group {pgid})",
                format_utc(entry.at),
                entry.actor.ident
            ),
            Event::StepInterrupted { step, signal, outcome } => {
                out!(
                    "  {step} interrupted at {} by {signal}: it may have run",
                    format_utc(entry.at)
                );
                if let Some(o) = outcome {
                    out!("          {}", command_line(o));
                    for line in o.output.iter().rev().take(5).rev() {
                        out!("          | {line}");
                    }
                }
            }
            Event::Interrupted { step, signal } => out!(
                "  interrupted at {} by {signal} at {step}; nothing of it is half-done",
                format_utc(entry.at)
            ),
            Event::RerunAllowed { step } => out!(
                "  decided to run {step} again: {} at {}",
                entry.actor.ident,
                format_utc(entry.at)
            ),
            Event::BackportResolved { backport } => out!(
                "  {} (by {} at {})",
                backport_line(backport),
                entry.actor.ident,
                format_utc(entry.at)
            ),
            _ => {}
        }
    }
}

/// Returns what is known of a production command that has no clean end.
pub fn describe_attempt(a: &OpenAttempt) -> String {
    match &a.interrupted {
        Some(signal) => format!(
            "{} interrupted by {signal}: it may have run (started at {} by {} on {})",
            a.step,
            format_utc(a.started_at),
            a.started_by,
            a.host
        ),
        None => format!(
            "{} started at {} by {} on {} (process group {}) and never ended: it may still run, or have run",
            a.step,
            format_utc(a.started_at),
            a.started_by,
            a.host,
            a.pgid
        ),
    }
}

/// Returns the "next:" line for a run; `missing_roles` are the approval
/// roles still open.
pub fn next_for(run: &Run, missing_roles: &[String]) -> String {
    let id = &run.id;
    let touches_production = |name: &StepName| run.step(name).is_some_and(Step::touches_production);
    match run.state() {
        RunState::Completed => format!(
            "nothing more in run {id}; `git hotfix report {id}` gives the incident record; should production need \
             it, `git hotfix rollback {id}` restores production {}",
            run.record.plan.production.commit.short()
        ),
        RunState::RolledBack => format!(
            "production runs {} again; `git hotfix report {id}` gives the incident record",
            run.record.plan.production.commit.short()
        ),
        RunState::Aborted => "nothing more happens in this run; `git hotfix log` lists runs".into(),
        RunState::Released => {
            let watch = run
                .monitor_until()
                .map_or(String::new(), |u| format!("watch production until {}; ", format_utc(u)));
            format!("{watch}`git hotfix report {id}`, then `git hotfix finish {id}` closes the run and releases the lock")
        }
        RunState::RollbackAwaitingFinish => format!(
            "production is back on {}; `git hotfix report {id}`, then `git hotfix finish {id}`",
            run.record.plan.production.commit.short()
        ),
        RunState::Stopped => match run.last_failure() {
            Some((step, _)) if touches_production(step) && run.phase() == Phase::Hotfix => format!(
                "`git hotfix rollback {id}` restores production {}, or fix the cause and `git hotfix continue {id} --yes`",
                run.record.plan.production.commit.short()
            ),
            Some((step, _)) if touches_production(step) => format!(
                "the rollback did not recover production: fix the cause and `git hotfix continue {id} --yes`, or follow \
                 the service's incident runbook"
            ),
            Some((step, _)) if *step == StepName::BUILD => format!(
                "a conflicting pick: `git hotfix resolve {id}` opens it in a separate worktree; anything else: fix \
                 what stopped it, then `git hotfix continue {id}`"
            ),
            _ => format!("fix what stopped it, then `git hotfix continue {id}`"),
        },
        RunState::Interrupted => match run.next_step().and_then(|s| run.open_attempt(&s.name)) {
            Some(a) => {
                let step = a.step;
                let wait = if a.interrupted.is_some() {
                    String::new()
                } else {
                    format!("if process group {} on {} still runs, wait for it to end; then ", a.pgid, a.host)
                };
                format!(
                    "{wait}find out whether the {step} ran (its own log, production): `git hotfix continue {id} --yes \
                     --rerun {step}` runs it again, or `git hotfix rollback {id}`"
                )
            }
            None => format!("`git hotfix continue {id}`"),
        },
        RunState::InProgress => match run.next_step() {
            Some(step) if matches!(step.action, Action::Approvals(_)) && !missing_roles.is_empty() => format!(
                "waiting for approval ({}): each approver runs `git hotfix approve {id} --role ROLE`",
                missing_roles.join(", ")
            ),
            Some(step) if matches!(step.action, Action::Approvals(_)) => {
                format!("every role approved; `git hotfix continue {id} --yes` runs the release job and the deploy")
            }
            Some(Step {
                action: Action::WaitForFix { branch, .. },
                ..
            }) => format!("commit the fix on {branch}, push it, then `git hotfix continue {id}` takes it"),
            Some(step) if step.touches_production() => {
                format!("`git hotfix continue {id} --yes` will {}", step.about)
            }
            Some(step) => format!("`git hotfix continue {id}` will {}", step.about),
            None => format!("`git hotfix continue {id}` finishes the run"),
        },
    }
}

/// Says how an approval was verified; an approval recorded before
/// approvals were checked says so.
pub fn verification(approval: &hotfix::journal::Approval) -> String {
    approval.verified.as_ref().map_or_else(
        || "not checked (recorded before approvals were verified)".into(),
        |v| v.describe(),
    )
}

/// Returns the one-line message for a run stopped at `gate`.
pub fn describe_gate(gate: &Gate) -> String {
    match gate {
        Gate::Approvals { missing, not_counted } => {
            let mut text = format!("waiting for approvals: {} not approved yet", missing.join(", "));
            for why in not_counted {
                text.push_str(&format!("\n  {why}"));
            }
            text
        }
        Gate::Confirmation { step } => format!("{step} touches production and needs confirmation"),
        Gate::Fix { branch } => format!("waiting for the fix: commit it on {branch} and push it"),
    }
}

/// Asks a yes/no question on the terminal; false unless the answer is yes.
/// Returns true when a person can be asked: stdin is a terminal and the
/// process is not a CI job (`CI=true`, which some runners set beside a
/// pseudo-terminal). In CI nothing is ever asked.
pub fn interactive() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    !ci && std::io::stdin().is_terminal()
}

/// Returns why nobody can be asked, for the refusal: no terminal, or a CI job.
pub fn not_interactive_reason() -> &'static str {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        "this is a CI job (CI=true)"
    } else {
        "stdin is not a terminal"
    }
}

pub fn confirm(question: &str) -> bool {
    if !interactive() {
        return false;
    }
    // Under --json, stdout is the document's.
    let mut prompt: Box<dyn Write> = if crate::json::enabled() {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let _ = write!(prompt, "{question} [y/N] ");
    let _ = prompt.flush();
    drop(prompt);
    let mut answer = String::new();
    crate::stop::prompting(true);
    let read = std::io::stdin().read_line(&mut answer);
    crate::stop::prompting(false);
    if read.is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

/// Returns the approval roles a gate waits for.
pub fn missing_roles_of(gate: Option<&Gate>) -> Vec<String> {
    match gate {
        Some(Gate::Approvals { missing, .. }) => missing.clone(),
        _ => Vec::new(),
    }
}

/// At a confirmation gate on a terminal, asks the operator and, on yes,
/// goes on with the production steps.
pub fn pass_gate(
    session: &hotfix::ops::Session,
    journal: hotfix::journal::Journal,
    outcome: hotfix::engine::execute::Outcome,
    yes: bool,
    printer: &StepPrinter,
) -> Result<(hotfix::journal::Journal, hotfix::engine::execute::Outcome), crate::error::CommandError> {
    let Some(Gate::Confirmation { step }) = &outcome.gate else {
        return Ok((journal, outcome));
    };
    if yes || !interactive() {
        return Ok((journal, outcome));
    }
    let release = journal.run.release_sha().map_or("?", |s| s.short()).to_string();
    let about = journal.run.step(step).map_or("", |s| s.about.as_str());
    let question = format!("Run {step} ({about}) for release {release} against production now?");
    if !confirm(&question) {
        return Ok((journal, outcome));
    }
    let options = hotfix::ops::ResumeOptions {
        confirmed: true,
        ..Default::default()
    };
    let (journal, more) = hotfix::ops::resume(session, Some(&journal.id), options, printer)?;
    let steps_done = outcome.steps_done + more.steps_done;
    Ok((
        journal,
        hotfix::engine::execute::Outcome {
            steps_done,
            gate: more.gate,
            caught_up: outcome.caught_up + more.caught_up,
        },
    ))
}

/// One backport as `status` and the report show it: target, state, branch, request.
pub fn backport_line(b: &hotfix::record::backport::Backport) -> String {
    use hotfix::record::backport::BackportRequest;
    let request = match &b.request {
        Some(BackportRequest::Forge { merge_request }) => {
            format!(", request !{} {}", merge_request.iid, merge_request.web_url)
        }
        Some(BackportRequest::PushOptions { .. }) => ", request asked of GitLab by push options".into(),
        Some(BackportRequest::OpenAt { url }) => format!(", open the request at {url}"),
        Some(BackportRequest::BranchOnly) | None => String::new(),
    };
    format!(
        "backport {} to {}: {}{}{}",
        b.fix.short(),
        b.target,
        b.state.as_str(),
        b.branch.as_deref().map_or(String::new(), |br| format!(", branch {br}")),
        request
    )
}
