//! restore-release (seeds 000, 001): a commit on release whose tree is
//! production's, then only the approved fixes on top.

use std::collections::BTreeSet;

use crate::git::{CommitInfo, CommitSummary, Git, GitError, Oid};

use crate::config::Config;
use crate::engine::WorkflowError;
use crate::pick::dependency::{self, Findings};
use crate::pick::glob;
use crate::pick::{self, RunTrailers};
use crate::record::plan::StepName;
use crate::record::plan::{self, Check, CheckStatus, Pick, PickStatus, Plan, RestoreCommit, Scope, TakenOut};
use crate::record::plan::{Step, Steps};
use crate::record::step::RefMove;
use crate::strategy::evidence::{EvidenceSpec, Proof};
use crate::strategy::inputs;
use crate::strategy::{self, PlanInput, Strategy};

pub struct RestoreRelease;

impl Strategy for RestoreRelease {
    fn name(&self) -> &'static str {
        "restore-release"
    }

    fn summary(&self) -> &'static str {
        "restore release to production's tree, then cherry-pick only the approved fixes"
    }

    fn evidence(&self) -> &'static [EvidenceSpec] {
        EVIDENCE
    }

    fn check_config(&self, config: &Config) -> Result<(), String> {
        if config.branches.release.is_empty() {
            return Err(
                "missing field `release` in `[branches]`: the branch production is deployed from, e.g. `release = \"release\"`"
                    .into(),
            );
        }
        Ok(())
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let git = input.git;
        let Some(production_sha) = &input.production else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "restore-release needs the production commit".into(),
            });
        };
        let production = &production_sha.commit;
        let [production_commit, release] =
            <[_; 2]>::try_from(git.commits(&[production.clone(), input.release_tip.clone()])?).map_err(|_| {
                crate::git::GitError::UnknownRevision {
                    rev: input.release_tip.to_string(),
                }
            })?;
        let production_tree = production_commit.tree;
        let trailers = RunTrailers {
            run_id: &input.run_id,
            production,
        };

        // The runbook's exception: release already matching production needs no restore.
        let restore = if release.tree == production_tree {
            None
        } else {
            let commit = pick::write_restore_commit(git, &production_tree, &release.id, &input.operator, &trailers)?;
            Some(RestoreCommit {
                commit,
                parent: release.id.clone(),
                tree: production_tree.clone(),
                takes_out: Some(taken_out(git, production, &production_tree, &release)?),
            })
        };

        let mut checks = inputs::production_checks(
            git,
            production_sha,
            &input.release_tip,
            input.production_override.as_deref(),
        )?;
        let mut onto = restore.as_ref().map_or(release.id.clone(), |r| r.commit.clone());
        let mut onto_tree = production_tree.clone();
        if restore.is_none() {
            onto_tree = release.tree.clone();
        }
        let mut picks = Vec::new();
        let mut stopped = false;
        for fix in &input.fixes {
            checks.push(merged_check(git, input, fix)?);
            if stopped {
                picks.push(pending_pick(git, fix, input.mainline, &onto_tree)?);
                continue;
            }
            let target = Target {
                commit: &onto,
                tree: &onto_tree,
            };
            let pick = pick_one(git, input, production, &target, fix, &trailers)?;
            checks.extend(pick_checks(&pick, input.allow_dependency.as_deref()));
            if let Some(c) = &pick.commit {
                onto = c.clone();
                onto_tree = pick.tree.clone();
            }
            stopped = pick.status == PickStatus::Conflict;
            picks.push(pick);
        }

        let release_tree = onto_tree;
        let new_tip = onto;
        if let Some(r) = &restore {
            checks.push(restore_check(git, production, &production_tree, r)?);
        }
        let scope = scope(git, &production_tree, &release_tree, &input.config.checks.migrations)?;
        checks.push(only_fixes_check(&picks, &scope));
        checks.extend(patch_id_checks(
            git,
            &picks,
            restore.as_ref().map_or(&release.id, |r| &r.commit),
        )?);
        checks.extend(scope_checks(&scope, picks.len(), &input.config.checks));
        if let Some(release) = &input.config.release {
            checks.push(match release.forbidden() {
                Some(f) => Check::new(
                    "release-action-allowed",
                    CheckStatus::Block,
                    format!(
                        "[release] action `{}` is forbidden (forbidden_actions has `{f}`): it would drag unreleased work into release",
                        release.action
                    ),
                ),
                None => Check::new(
                    "release-action-allowed",
                    CheckStatus::Pass,
                    format!("the release job is `{}`, not a forbidden action", release.action),
                ),
            });
        }
        if !picks.iter().any(|p| p.status.is_applied()) && !stopped {
            checks.push(Check::new(
                "something-to-release",
                CheckStatus::Block,
                "every fix is already in production; there is nothing to hotfix",
            ));
        }

        let mut plan = Plan {
            strategy: self.name().to_string(),
            remote: input.config.remote.clone(),
            release_branch: input.config.branches.release.clone(),
            main_branch: input.config.branches.main.clone(),
            release_tip: input.release_tip.clone(),
            main_tip: input.main_tip.clone(),
            production: production_sha.clone(),
            production_tree,
            restore,
            picks,
            release_tree,
            new_tip,
            scope,
            checks,
            extra_commits: Vec::new(),
            steps: Steps::default(),
            from_tag: None,
        };
        plan.steps = self.steps(&plan, input.config);
        Ok(plan)
    }

    /// Record production, lock release, build, push release by
    /// compare-and-swap, prove it, then the configured gates; the rollback
    /// restores production's tree and runs the production steps again.
    fn steps(&self, plan: &Plan, config: &Config) -> Steps {
        let release = &plan.release_branch;
        let push = RefMove {
            name: format!("refs/heads/{release}"),
            expected: Some(plan.release_tip.clone()),
            new: plan.new_tip.clone(),
        };
        let mut hotfix = vec![
            Step::record_production(),
            Step::lock(release),
            Step::build(),
            Step::push_release(push),
            Step::verify_release(release, Vec::new()),
        ];
        hotfix.extend(strategy::gate_steps(config));
        let rollback = std::iter::once(Step::rollback_restore(release))
            .chain(strategy::production_steps(config))
            .collect();
        Steps {
            hotfix,
            rollback,
            v0_names: Vec::new(),
        }
    }
}

/// What the restore takes out of release: the files and lines release
/// differs from production in, and the commits behind them.
fn taken_out(
    git: &Git,
    production: &Oid,
    production_tree: &Oid,
    release: &CommitInfo,
) -> Result<TakenOut, WorkflowError> {
    let paths = git.changed_paths(production_tree, &release.tree)?;
    let (lines_added, lines_removed) = if paths.len() <= TakenOut::COUNTED_FILES {
        let changes = git.diff_stat(production_tree, &release.tree)?;
        (
            Some(changes.iter().filter_map(|c| c.added).sum()),
            Some(changes.iter().filter_map(|c| c.removed).sum()),
        )
    } else {
        (None, None)
    };
    let (commits, commits_total) = git.commits_only_in(production, &release.id, 100)?;
    Ok(TakenOut {
        files: paths.len(),
        lines_added,
        lines_removed,
        commits,
        commits_total,
    })
}

/// Where the next pick lands: production plus the run's earlier picks.
pub(crate) struct Target<'a> {
    pub(crate) commit: &'a Oid,
    pub(crate) tree: &'a Oid,
}

/// Picks one fix onto `target`: git's merge, then a production commit with the
/// same change, then a person's resolution of a conflict, then the commit.
pub(crate) fn pick_one(
    git: &Git,
    input: &PlanInput<'_>,
    production: &Oid,
    target: &Target<'_>,
    fix: &CommitInfo,
    trailers: &RunTrailers<'_>,
) -> Result<Pick, WorkflowError> {
    let attempt = pick::attempt(git, target.commit, target.tree, fix, input.mainline)?;
    let touched = git.changed_paths(&attempt.base, &fix.id)?;
    let mut status = attempt.status;
    let mut tree = attempt.tree;
    let mut applied_as = None;
    if status != PickStatus::Clean {
        applied_as = pick::equivalent_in(git, production, &attempt.base, &fix.id, &touched)?;
        if applied_as.is_some() {
            status = PickStatus::AlreadyApplied;
        }
    }
    if status == PickStatus::Conflict {
        let resolved = input
            .resolutions
            .iter()
            .rev()
            .find(|r| r.fix == fix.id && &r.onto_tree == target.tree);
        if let Some(r) = resolved {
            status = PickStatus::Resolved;
            tree = r.tree.clone();
        }
    }
    let moved = if status.is_applied() {
        moved_paths(git, &attempt.base, target, &tree, &touched)?
    } else {
        Vec::new()
    };
    let findings = if status == PickStatus::AlreadyApplied {
        Findings::default()
    } else {
        // Release's own commits since production are unreleased main work
        // only where main has them too (an earlier backport of this very fix
        // on release is not work the fix needs).
        let shared = git.merge_base(&input.release_tip, &input.main_tip)?;
        dependency::analyse(
            git,
            production,
            &shared.iter().collect::<Vec<_>>(),
            target.commit,
            &attempt.base,
            &fix.id,
            &touched,
            &moved,
        )?
    };
    let placed: Vec<String> = moved.into_iter().map(|(_, to)| to).collect();
    let unreleased = if attempt.conflicts.is_empty() {
        findings.commits()
    } else {
        git.commits_touching(production, &[&input.release_tip, &attempt.base], &attempt.conflicts)?
    };
    let commit = if status.is_applied() {
        Some(pick::write_pick_commit(
            git,
            fix,
            &tree,
            target.commit,
            &input.operator,
            trailers,
        )?)
    } else {
        None
    };
    Ok(Pick {
        fix: fix.id.clone(),
        subject: fix.subject().to_string(),
        base: attempt.base,
        mainline: attempt.mainline,
        status,
        commit,
        tree,
        touched,
        placed,
        conflicts: attempt.conflicts,
        unreleased,
        dependencies: findings.overlaps,
        same_file: findings.same_file,
        uses_unreleased: findings.names,
        applied_as,
        onto: Some(target.commit.clone()),
        onto_tree: Some(target.tree.clone()),
    })
}

/// Returns the paths the pick changed (target tree to `result`) that the fix
/// does not touch but that git's merge reached by following a rename the
/// target made since the fix's `base`, each with the fix's path it stands
/// for: a renamed file the fix changes (`contrib/x` ->
/// `components/cli/contrib/x`), or a file the fix adds in a directory the
/// target renamed. Any other path stays out, so the scope checks still catch it.
fn moved_paths(
    git: &Git,
    base: &Oid,
    target: &Target<'_>,
    result: &Oid,
    touched: &[String],
) -> Result<Vec<(String, String)>, GitError> {
    let extra: Vec<String> = git
        .changed_paths(target.tree, result)?
        .into_iter()
        .filter(|p| !touched.contains(p))
        .collect();
    if extra.is_empty() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<String> = touched.to_vec();
    paths.extend(extra.iter().cloned());
    let renames = git.renames(base, target.commit, &paths)?;
    let mut placed = Vec::new();
    for q in &extra {
        if let Some((old, _)) = renames.iter().find(|(old, new)| new == q && touched.contains(old)) {
            placed.push((old.clone(), q.clone()));
            continue;
        }
        // A directory rename: P = D/rest, Q = D'/rest, and the target renamed D/.. to D'/...
        let moved = touched.iter().find_map(|p| {
            p.match_indices('/').find_map(|(i, _)| {
                let (dir, rest) = (&p[..i], &p[i + 1..]);
                let new_dir = q.strip_suffix(rest)?.strip_suffix('/')?;
                (new_dir != dir).then(|| (p.clone(), dir.to_string(), new_dir.to_string()))
            })
        });
        if let Some((p, dir, new_dir)) = moved {
            let specs = [format!("{dir}/"), format!("{new_dir}/")];
            let renamed_dir = git.renames(base, target.commit, &specs)?.iter().any(|(old, new)| {
                old.strip_prefix(&specs[0])
                    .is_some_and(|r| new.strip_prefix(&specs[1]) == Some(r))
            });
            if renamed_dir {
                placed.push((p, q.clone()));
            }
        }
    }
    Ok(placed)
}

/// A fix after an unresolved conflict: listed in order, picked once the
/// conflict is resolved.
pub(crate) fn pending_pick(
    git: &Git,
    fix: &CommitInfo,
    mainline: Option<u32>,
    onto_tree: &Oid,
) -> Result<Pick, WorkflowError> {
    let (base, mainline) = pick::change_base(fix, mainline)?;
    let touched = git.changed_paths(&base, &fix.id)?;
    Ok(Pick {
        fix: fix.id.clone(),
        subject: fix.subject().to_string(),
        base,
        mainline,
        status: PickStatus::Pending,
        commit: None,
        tree: onto_tree.clone(),
        touched,
        placed: Vec::new(),
        conflicts: Vec::new(),
        unreleased: Vec::new(),
        dependencies: Vec::new(),
        same_file: Vec::new(),
        uses_unreleased: Vec::new(),
        applied_as: None,
        onto: None,
        onto_tree: None,
    })
}

pub(crate) fn merged_check(git: &Git, input: &PlanInput<'_>, fix: &CommitInfo) -> Result<Check, WorkflowError> {
    let label = label(&fix.id, fix.subject());
    Ok(if git.is_ancestor(&fix.id, &input.main_tip)? {
        Check::new(
            "fix-merged",
            CheckStatus::Pass,
            format!("{label} is on {}", input.config.branches.main),
        )
    } else {
        Check::new(
            "fix-merged",
            CheckStatus::Block,
            format!(
                "{label} is not on {}/{}; merge it there first",
                input.config.remote, input.config.branches.main
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
pub(crate) fn pick_checks(pick: &Pick, allow_dependency: Option<&str>) -> Vec<Check> {
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

fn restore_check(
    git: &Git,
    production: &Oid,
    production_tree: &Oid,
    restore: &RestoreCommit,
) -> Result<Check, WorkflowError> {
    // Equal tree ids prove identical content, at no cost in repository size.
    let tree = crate::engine::execute::read_tree(git, &restore.commit)?;
    Ok(if &tree == production_tree {
        Check::new(
            "restore-equals-production",
            CheckStatus::Pass,
            format!(
                "git diff {}..{} is empty (both trees are {})",
                production.short(),
                restore.commit.short(),
                tree.short()
            ),
        )
    } else {
        Check::new(
            "restore-equals-production",
            CheckStatus::Block,
            format!(
                "restore commit tree {} is not production's tree {}",
                tree.short(),
                production_tree.short()
            ),
        )
    })
}

pub(crate) fn scope(
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

/// Release may differ from production only in paths the fixes change.
fn only_fixes_check(picks: &[Pick], scope: &Scope) -> Check {
    let allowed: BTreeSet<&str> = picks
        .iter()
        .filter(|p| p.status.is_applied())
        .flat_map(|p| p.touched.iter().chain(&p.placed).map(String::as_str))
        .collect();
    let extra: Vec<&str> = scope
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .filter(|p| !allowed.contains(p))
        .collect();
    if extra.is_empty() {
        Check::new(
            "release-is-production-plus-fixes",
            CheckStatus::Pass,
            format!(
                "release differs from production only in the fixes' {} path(s)",
                scope.files
            ),
        )
    } else {
        Check::new(
            "release-is-production-plus-fixes",
            CheckStatus::Block,
            format!(
                "release would also change paths no fix touches: {}",
                plan::list_paths(&extra)
            ),
        )
        .with_paths(extra.iter().map(|p| p.to_string()).collect())
    }
}

/// Each pick's change must be the fix's change (stable patch-id).
fn patch_id_checks(git: &Git, picks: &[Pick], first_onto: &Oid) -> Result<Vec<Check>, WorkflowError> {
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
pub(crate) fn scope_checks(scope: &Scope, picks: usize, limits: &crate::config::Checks) -> Vec<Check> {
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

/// Returns the fixes as commits, checking each names one.
pub fn read_fixes(git: &Git, revs: &[Oid]) -> Result<Vec<CommitInfo>, WorkflowError> {
    Ok(git.commits(revs)?)
}

/// Seed 000's "Validation And Evidence", in the runbook's order, then seed
/// 002's approvals when the run has them.
pub const EVIDENCE: &[EvidenceSpec] = &[
    EvidenceSpec {
        id: "production-recorded",
        item: "the last known-good production SHA was recorded before the restore",
        proof: Proof::Steps {
            steps: &[StepName::RECORD_PRODUCTION],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "restore-diff-empty",
        item: "the `git diff <production>..release` check was empty immediately after the restore commit",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_RELEASE],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "release-restore-plus-fix",
        item: "the release branch contains only the restore step plus the intended hotfix",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_RELEASE],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "release-job",
        item: "the correct service release job was run, not cut-off",
        proof: Proof::Steps {
            steps: &[StepName::RELEASE_ACTION],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "deploy-completed",
        item: "the production deployment completed successfully for the target service",
        proof: Proof::Steps {
            steps: &[StepName::DEPLOY],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "production-reflects-fix",
        item: "the production environment reflects the intended hotfix commit or build",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_PRODUCTION],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "smoke-passed",
        item: "the focused production smoke checks passed",
        proof: Proof::Steps {
            steps: &[StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "incident-record",
        item: "the incident records the timeline, fix, validation evidence, and any follow-up work",
        proof: Proof::Incident,
    },
    EvidenceSpec {
        id: "approvals",
        item: "every approval role signed off, each by a different person, before the deploy",
        proof: Proof::Steps {
            steps: &[StepName::APPROVALS],
            attestable: false,
            only_if_planned: true,
        },
    },
];
