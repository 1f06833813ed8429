//! restore-release (seeds 000, 001): a commit on release whose tree is
//! production's, then only the approved fixes on top.

use std::collections::BTreeSet;

use crate::git::{CommitInfo, CommitSummary, Git, Oid};

use super::glob;
use super::pick::{self, RunTrailers};
use super::plan::{Check, CheckStatus, Pick, PickStatus, Plan, RestoreCommit, Scope, StepName};
use super::strategy::{PlanInput, Strategy};
use super::WorkflowError;

pub struct RestoreRelease;

const STEPS: &[StepName] = &[
    StepName::RecordProduction,
    StepName::Lock,
    StepName::Build,
    StepName::PushRelease,
    StepName::VerifyRelease,
];

impl Strategy for RestoreRelease {
    fn name(&self) -> &'static str {
        "restore-release"
    }

    fn summary(&self) -> &'static str {
        "restore release to production's tree, then cherry-pick only the approved fixes"
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let git = input.git;
        let production = &input.production.commit;
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
            })
        };

        let mut checks = Vec::new();
        let mut onto = restore.as_ref().map_or(release.id.clone(), |r| r.commit.clone());
        let mut onto_tree = production_tree.clone();
        if restore.is_none() {
            onto_tree = release.tree.clone();
        }
        let mut picks = Vec::new();
        for fix in &input.fixes {
            let label = format!("{} {}", fix.id.short(), fix.subject());
            if git.is_ancestor(&fix.id, &input.main_tip)? {
                checks.push(Check::new(
                    "fix-merged",
                    CheckStatus::Pass,
                    format!("{label} is on {}", input.config.branches.main),
                ));
            } else {
                checks.push(Check::new(
                    "fix-merged",
                    CheckStatus::Block,
                    format!(
                        "{label} is not on {}/{}; merge it there first",
                        input.config.remote, input.config.branches.main
                    ),
                ));
            }
            let attempt = pick::attempt(git, &onto, &onto_tree, fix, input.mainline)?;
            let touched = git.changed_paths(&attempt.base, &fix.id)?;
            let watched = if attempt.conflicts.is_empty() {
                &touched
            } else {
                &attempt.conflicts
            };
            let unreleased = unreleased_commits(git, production, &input.release_tip, &attempt.base, watched)?;
            let mut commit = None;
            match attempt.status {
                PickStatus::Clean => {
                    let c = pick::write_pick_commit(git, fix, &attempt.tree, &onto, &input.operator, &trailers)?;
                    onto = c.clone();
                    onto_tree = attempt.tree.clone();
                    commit = Some(c);
                    if unreleased.is_empty() {
                        checks.push(Check::new(
                            "applies-to-production",
                            CheckStatus::Pass,
                            format!("{label} applies cleanly"),
                        ));
                    } else {
                        checks.push(Check::new(
                            "unreleased-overlap",
                            CheckStatus::Warn,
                            format!(
                                "{label} applies cleanly but touches files unreleased commits also changed: {}",
                                list_commits(&unreleased)
                            ),
                        ));
                    }
                }
                PickStatus::AlreadyApplied => checks.push(Check::new(
                    "applies-to-production",
                    CheckStatus::Pass,
                    format!("{label} is already in production; skipped"),
                )),
                PickStatus::Conflict => checks.push(Check::new(
                    "applies-to-production",
                    CheckStatus::Block,
                    format!(
                        "{label} does not apply to production: conflicts in {}; it depends on unreleased work{}; \
                         stop and escalate, a selective hotfix is not the right workflow",
                        attempt.conflicts.join(", "),
                        if unreleased.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", list_commits(&unreleased))
                        }
                    ),
                )),
            }
            picks.push(Pick {
                fix: fix.id.clone(),
                subject: fix.subject().to_string(),
                base: attempt.base,
                mainline: attempt.mainline,
                status: attempt.status,
                commit,
                tree: attempt.tree,
                touched,
                conflicts: attempt.conflicts,
                unreleased,
            });
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
        checks.extend(scope_checks(&scope, &input.config.checks));
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
        if !picks.iter().any(|p| p.status == PickStatus::Clean)
            && picks.iter().all(|p| p.status != PickStatus::Conflict)
        {
            checks.push(Check::new(
                "something-to-release",
                CheckStatus::Block,
                "every fix is already in production; there is nothing to hotfix",
            ));
        }

        Ok(Plan {
            strategy: self.name().to_string(),
            remote: input.config.remote.clone(),
            release_branch: input.config.branches.release.clone(),
            main_branch: input.config.branches.main.clone(),
            release_tip: input.release_tip.clone(),
            main_tip: input.main_tip.clone(),
            production: input.production.clone(),
            production_tree,
            restore,
            picks,
            release_tree,
            new_tip,
            scope,
            checks,
            steps: StepName::with_gates(STEPS, input.config),
        })
    }
}

/// Unreleased commits (on release or on the fix's own history, not in
/// production) that changed any of `paths`, newest first, each once.
fn unreleased_commits(
    git: &Git,
    production: &Oid,
    release_tip: &Oid,
    fix_base: &Oid,
    paths: &[String],
) -> Result<Vec<CommitSummary>, WorkflowError> {
    Ok(git.commits_touching(production, &[release_tip, fix_base], paths)?)
}

fn list_commits(commits: &[CommitSummary]) -> String {
    commits
        .iter()
        .map(|c| format!("{} {}", c.id.short(), c.subject))
        .collect::<Vec<_>>()
        .join("; ")
}

fn restore_check(
    git: &Git,
    production: &Oid,
    production_tree: &Oid,
    restore: &RestoreCommit,
) -> Result<Check, WorkflowError> {
    // Equal tree ids prove identical content, at no cost in repository size.
    let tree = super::execute::read_tree(git, &restore.commit)?;
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

fn scope(
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
        .filter(|p| p.status == PickStatus::Clean)
        .flat_map(|p| p.touched.iter().map(String::as_str))
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
            format!("release would also change paths no fix touches: {}", extra.join(", ")),
        )
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

fn scope_checks(scope: &Scope, limits: &crate::config::Checks) -> Vec<Check> {
    let lines = scope.lines_added + scope.lines_removed;
    let mut checks = vec![if scope.files > limits.max_files || lines > limits.max_lines {
        Check::new(
            "scope",
            CheckStatus::Warn,
            format!(
                "{} files, +{} -{} lines: above the hotfix limit ({} files, {} lines); is this really one urgent fix?",
                scope.files, scope.lines_added, scope.lines_removed, limits.max_files, limits.max_lines
            ),
        )
    } else {
        Check::new(
            "scope",
            CheckStatus::Pass,
            format!(
                "{} files, +{} -{} lines",
                scope.files, scope.lines_added, scope.lines_removed
            ),
        )
    }];
    if !scope.migrations.is_empty() {
        checks.push(Check::new(
            "migrations",
            CheckStatus::Warn,
            format!(
                "migration paths change; plan them into the deploy: {}",
                scope.migrations.join(", ")
            ),
        ));
    }
    checks
}

/// Returns the fixes as commits, checking each names one.
pub fn read_fixes(git: &Git, revs: &[Oid]) -> Result<Vec<CommitInfo>, WorkflowError> {
    Ok(git.commits(revs)?)
}
