//! The plan's checks on picks and on the hotfix's scope: whether a fix is
//! on main, how each pick applies and where it meets unreleased work, that
//! each pick keeps the fix's patch-id, and how big the hotfix is. Shared by
//! every strategy.

use crate::config::Config;
use crate::engine::WorkflowError;
use crate::git::{CommitInfo, CommitSummary, Git, Oid};
use crate::pick::glob;
use crate::record::plan::{self, Check, CheckStatus, Pick, PickStatus, Scope};

pub fn merged_check(git: &Git, config: &Config, main_tip: &Oid, fix: &CommitInfo) -> Result<Check, WorkflowError> {
    let label = label(&fix.id, fix.subject());
    Ok(if git.is_ancestor(&fix.id, main_tip)? {
        Check::new(
            "fix-merged",
            CheckStatus::Pass,
            format!("{label} is on {}", config.branches.main),
        )
    } else {
        Check::new(
            "fix-merged",
            CheckStatus::Block,
            format!(
                "{label} is not on {}/{}; merge it there first",
                config.remote, config.branches.main
            ),
        )
    })
}

fn label(fix: &Oid, subject: &str) -> String {
    format!("{} {}", fix.short(), plan::shorten(subject, plan::SUBJECT_CHARS))
}

/// The end of a blocking dependency's detail: the runbook's answer.
const ESCALATE: &str = "; stop and escalate, or go on with --allow-dependency \"reason\" once that is decided";

/// What the plan says about one pick: how it applies, and where it meets
/// unreleased work. Details name a few commits and paths; the check carries
/// them all.
pub fn pick_checks(pick: &Pick, allow_dependency: Option<&str>) -> Vec<Check> {
    let label = label(&pick.fix, &pick.subject);
    let mut checks = Vec::new();
    let unreleased = if pick.unreleased.is_empty() {
        String::new()
    } else {
        let room = plan::DETAIL_MAX.saturating_sub(label.chars().count() + 200);
        format!(
            "; unreleased commits touched them: {}",
            plan::list_commits_within(&pick.unreleased, room)
        )
    };
    checks.push(match pick.status {
        PickStatus::Clean => Check::new(
            "applies-to-production",
            CheckStatus::Pass,
            format!("{label} applies cleanly"),
        ),
        PickStatus::Resolved => Check::new(
            "applies-to-production",
            CheckStatus::Warn,
            format!(
                "{label} conflicted in {} and was resolved by hand; review `git show {}`",
                plan::list_paths(&pick.conflicts),
                pick.commit.as_ref().map_or("", |c| c.short())
            ),
        )
        .with_paths(pick.conflicts.clone()),
        PickStatus::AlreadyApplied => Check::new(
            "already-applied",
            CheckStatus::Pass,
            match &pick.applied_as {
                Some(c) if c.id == pick.fix => format!("{label} is already in production; skipped, no commit"),
                Some(c) => format!(
                    "{label} is already in production as {} {} (same patch-id); skipped, no commit",
                    c.id.short(),
                    plan::shorten(&c.subject, plan::SUBJECT_CHARS)
                ),
                None => format!("{label} changes nothing on production (empty result); skipped, no commit"),
            },
        ),
        PickStatus::Conflict => Check::new(
            "conflict",
            CheckStatus::Warn,
            format!(
                "{label} conflicts with production in {}{unreleased}; `start` stops here and `git hotfix resolve` \
                 opens the conflict in a separate worktree",
                plan::list_paths(&pick.conflicts)
            ),
        )
        .with_paths(pick.conflicts.clone())
        .with_commits(pick.unreleased.clone()),
        PickStatus::Pending => Check::new(
            "applies-to-production",
            CheckStatus::Warn,
            format!("{label} is picked after the conflict above is resolved"),
        ),
    });
    // A dependency's detail ends with what to do about it, and the list of
    // commits gets the room that is left.
    let tail = |blocks: bool| match allow_dependency {
        Some(reason) => format!("; allowed: {}", plan::shorten(reason, 120)),
        None if blocks => ESCALATE.to_string(),
        None => String::new(),
    };
    let status = |blocks: bool| match allow_dependency {
        None if blocks => CheckStatus::Block,
        _ => CheckStatus::Warn,
    };
    for d in &pick.dependencies {
        let (name, blocks, head) = if d.context_only {
            (
                "context-from-unreleased",
                // Git's merge placed the change and the lines it changes are
                // production's: unreleased lines in its context only warn.
                false,
                format!(
                    "{label} changes {} next to lines production lacks (they are only its context), written by ",
                    plan::shorten(&d.path, 80)
                ),
            )
        } else {
            (
                "depends-on-unreleased",
                true,
                format!(
                    "{label} depends on unreleased work: it changes lines of {} that production lacks, written by ",
                    plan::shorten(&d.path, 80)
                ),
            )
        };
        checks.push(
            Check::new(
                name,
                status(blocks),
                plan::detail_with_commits(&head, &d.commits, &tail(blocks)),
            )
            .with_paths(vec![d.path.clone()])
            .with_commits(d.commits.clone()),
        );
    }
    if !pick.uses_unreleased.is_empty() {
        let head =
            format!("{label} depends on unreleased work: its added lines use what only unreleased commits define: ");
        let tail = tail(true);
        let room = plan::DETAIL_MAX.saturating_sub(head.chars().count() + tail.chars().count() + 16);
        // As many names as fit with their facts legible, at least one.
        let shown = pick.uses_unreleased.len().min(plan::LISTED).min((room / 90).max(1));
        let per = room / shown;
        let names: Vec<String> = pick
            .uses_unreleased
            .iter()
            .take(shown)
            .map(|n| {
                let entry = format!(
                    "`{}` ({}, from {} {})",
                    plan::shorten(&n.name, 40),
                    plan::shorten(&n.defined_in, 80),
                    n.commit.id.short(),
                    plan::shorten(&n.commit.subject, plan::SUBJECT_CHARS)
                );
                plan::shorten(&entry, per.saturating_sub(2))
            })
            .collect();
        let more = pick.uses_unreleased.len() - shown;
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let mut commits: Vec<CommitSummary> = Vec::new();
        for n in &pick.uses_unreleased {
            if !commits.iter().any(|c| c.id == n.commit.id) {
                commits.push(n.commit.clone());
            }
        }
        let mut paths: Vec<String> = pick.uses_unreleased.iter().map(|n| n.defined_in.clone()).collect();
        paths.dedup();
        checks.push(
            Check::new(
                "depends-on-unreleased",
                status(true),
                format!("{head}{}{more}{tail}", names.join("; ")),
            )
            .with_paths(paths)
            .with_commits(commits),
        );
    }
    for d in &pick.same_file {
        let head = format!(
            "{label} changes {}, which unreleased commits also changed elsewhere: ",
            plan::shorten(&d.path, 80)
        );
        checks.push(
            Check::new(
                "unreleased-same-file",
                CheckStatus::Warn,
                plan::detail_with_commits(&head, &d.commits, ""),
            )
            .with_paths(vec![d.path.clone()])
            .with_commits(d.commits.clone()),
        );
    }
    checks
}

pub fn scope(
    git: &Git,
    production_tree: &Oid,
    release_tree: &Oid,
    migration_globs: &[String],
) -> Result<Scope, WorkflowError> {
    let changes = git.diff_stat(production_tree, release_tree)?;
    let migrations = changes
        .iter()
        .filter(|c| migration_globs.iter().any(|g| glob::matches(g, &c.path)))
        .map(|c| c.path.clone())
        .collect();
    Ok(Scope {
        files: changes.len(),
        lines_added: changes.iter().filter_map(|c| c.added).sum(),
        lines_removed: changes.iter().filter_map(|c| c.removed).sum(),
        changes: changes.into_iter().map(Into::into).collect(),
        migrations,
    })
}

/// Each pick's change must be the fix's change (stable patch-id).
pub fn patch_id_checks(git: &Git, picks: &[Pick], first_onto: &Oid) -> Result<Vec<Check>, WorkflowError> {
    let mut pairs = Vec::new();
    let mut onto = first_onto.clone();
    for p in picks {
        if let Some(c) = &p.commit {
            pairs.push((p.fix.clone(), p.base.clone()));
            pairs.push((c.clone(), onto.clone()));
            onto = c.clone();
        }
    }
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let ids = git.patch_ids(&pairs)?;
    Ok(ids
        .chunks(2)
        .map(|pair| {
            let (fix, fix_id) = &pair[0];
            let (_, pick_id) = &pair[1];
            if fix_id == pick_id {
                Check::new(
                    "patch-id",
                    CheckStatus::Pass,
                    format!("pick of {} has the fix's patch-id", fix.short()),
                )
            } else {
                Check::new(
                    "patch-id",
                    CheckStatus::Warn,
                    format!(
                        "pick of {} differs from the fix in context lines (patch-ids differ); inspect the diff",
                        fix.short()
                    ),
                )
            }
        })
        .collect())
}

/// How big the hotfix is: `picks` commits (every pick of the plan), files
/// and lines against `[checks]`.
pub fn scope_checks(scope: &Scope, picks: usize, limits: &crate::config::Checks) -> Vec<Check> {
    let lines = scope.lines_added + scope.lines_removed;
    let size = format!(
        "{picks} commit{}, {} files, +{} -{} lines",
        if picks == 1 { "" } else { "s" },
        scope.files,
        scope.lines_added,
        scope.lines_removed
    );
    let mut checks = vec![if scope.files > limits.max_files || lines > limits.max_lines {
        Check::new(
            "scope",
            CheckStatus::Warn,
            format!(
                "{size}: above the hotfix limit ({} files, {} lines); is this really one urgent fix?",
                limits.max_files, limits.max_lines
            ),
        )
    } else {
        Check::new("scope", CheckStatus::Pass, size)
    }];
    if picks > limits.max_picks {
        checks.push(Check::new(
            "max-picks",
            CheckStatus::Block,
            format!(
                "the fixes expand to {picks} commits, more than [checks] max_picks ({}): a hotfix picks a few \
                 approved fixes, not a branch",
                limits.max_picks
            ),
        ));
    }
    if !scope.migrations.is_empty() {
        checks.push(
            Check::new(
                "migrations",
                CheckStatus::Warn,
                format!(
                    "migration paths change; plan them into the deploy: {}",
                    plan::list_paths(&scope.migrations)
                ),
            )
            .with_paths(scope.migrations.clone()),
        );
    }
    checks
}
