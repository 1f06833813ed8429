//! restore-release (seeds 000, 001): a commit on release whose tree is
//! production's, then only the approved fixes on top.

use std::collections::BTreeSet;

use crate::git::{CommitInfo, Git, Oid};

use crate::config::Config;
use crate::engine::WorkflowError;
use crate::pick::checks::{merged_check, patch_id_checks, pick_checks, scope, scope_checks};
use crate::pick::onto::{pending_pick, pick_one, Target};
use crate::pick::{self, RunTrailers};
use crate::providers::production::{ProductionError, ProductionReading};
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
        checks.extend(strategy::services::production_check(&input.services, production_sha));
        let mut onto = restore.as_ref().map_or(release.id.clone(), |r| r.commit.clone());
        let mut onto_tree = production_tree.clone();
        if restore.is_none() {
            onto_tree = release.tree.clone();
        }
        let mut picks = Vec::new();
        let mut stopped = false;
        for fix in &input.fixes {
            checks.push(merged_check(git, input.config, &input.main_tip, fix)?);
            if stopped {
                picks.push(pending_pick(git, fix, input.mainline, &onto_tree)?);
                continue;
            }
            let target = Target {
                commit: &onto,
                tree: &onto_tree,
            };
            let pick = pick_one(git, &input.pick_run(), production, &target, fix, &trailers)?;
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
        let scope = scope(git, &production_tree, &release_tree, input.config.migration_paths())?;
        checks.push(only_fixes_check(&picks, &scope));
        checks.extend(patch_id_checks(
            git,
            &picks,
            restore.as_ref().map_or(&release.id, |r| &r.commit),
        )?);
        checks.extend(scope_checks(&scope, picks.len(), &input.config.checks));
        checks.extend(release_action_check(input.config, &input.services));
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
            merge_main: None,
            services: input.services.clone(),
            trunk: None,
        };
        plan.steps = self.steps(&plan, input.config);
        Ok(plan)
    }

    /// Record production, lock release, build, push release by
    /// compare-and-swap, prove it, then the configured gates; the rollback
    /// restores production's tree and runs the production steps again.
    /// Reads the `[production]` sources as `start` does, every one of
    /// which must agree.
    fn read_production_again(
        &self,
        git: &Git,
        config: &Config,
        plan: &Plan,
    ) -> Result<Vec<ProductionReading>, ProductionError> {
        inputs::read_production_of(git, config, plan)
    }

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
        hotfix.extend(strategy::gate_steps(plan, config));
        hotfix.extend(strategy::backport_step(config));
        let rollback = std::iter::once(Step::rollback_restore(release))
            .chain(strategy::services::per_service(
                plan,
                config,
                strategy::production_steps,
            ))
            .collect();
        let rollback = strategy::with_rollback_approvals(config, rollback);
        Steps {
            hotfix,
            rollback,
            v0_names: Vec::new(),
        }
    }
}

/// Returns the check that the release job is no forbidden action: the
/// release job of each service shipped, each service's own `[release]` or
/// the top-level one; the top-level `[release]`'s for a run of no
/// `[[services]]`. None when no release job is configured.
fn release_action_check(config: &Config, services: &[plan::ServiceTarget]) -> Option<Check> {
    let shipped: Vec<&plan::ServiceTarget> = services.iter().filter(|t| t.ships).collect();
    let releases: Vec<(Option<&str>, crate::config::ReleaseAction)> = if shipped.is_empty() {
        config.release.iter().map(|r| (None, r.clone())).collect()
    } else {
        shipped
            .into_iter()
            .filter_map(|t| Some((Some(t.name.as_str()), config.for_service(&t.name).release?)))
            .collect()
    };
    let of = |name: Option<&str>| name.map_or(String::new(), |n| format!("{n}'s "));
    if let Some((name, what, f)) = releases
        .iter()
        .find_map(|(name, r)| r.offending().map(|(what, f)| (*name, what, f.to_string())))
    {
        return Some(Check::new(
            "release-action-allowed",
            CheckStatus::Block,
            format!(
                "{}[release] action `{what}` is forbidden (forbidden_actions has `{f}`): it would drag unreleased work into release",
                of(name)
            ),
        ));
    }
    let jobs: Vec<String> = releases
        .iter()
        .map(|(name, r)| format!("{}`{}`", of(*name), r.label()))
        .collect();
    (!jobs.is_empty()).then(|| {
        let (job, is) = if jobs.len() == 1 {
            ("the release job is", "not a forbidden action")
        } else {
            ("the release jobs are", "none a forbidden action")
        };
        Check::new(
            "release-action-allowed",
            CheckStatus::Pass,
            format!("{job} {}, {is}", jobs.join(", ")),
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, ships: bool) -> plan::ServiceTarget {
        plan::ServiceTarget {
            name: name.into(),
            ships,
            why: String::new(),
            release_branch: "release".into(),
            production: None,
            own_run: false,
        }
    }

    #[test]
    fn each_shipped_services_release_job_is_checked_against_the_forbidden_actions() {
        let config = Config::parse(
            "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n\
             [release]\ncommand = \"true\"\naction = \"release shop\"\n\
             [[services]]\nname = \"portal\"\n[services.release]\ncommand = \"true\"\naction = \"release portal\"\n\
             [[services]]\nname = \"admin\"\n[services.release]\ncommand = \"true\"\naction = \"cut-off\"\n",
            std::path::Path::new("hotfix.toml"),
        )
        .expect("a valid config");
        let check = |targets: &[plan::ServiceTarget]| {
            let c = release_action_check(&config, targets).expect("a release job is configured");
            (c.status, c.detail)
        };
        let (status, detail) = check(&[target("portal", true), target("admin", true)]);
        assert_eq!(status, CheckStatus::Block, "{detail}");
        assert!(detail.starts_with("admin's [release] action `cut-off`"), "{detail}");
        let (status, detail) = check(&[target("portal", true), target("admin", false)]);
        assert_eq!(
            (status, detail.as_str()),
            (
                CheckStatus::Pass,
                "the release job is portal's `release portal`, not a forbidden action"
            )
        );
        let (_, detail) = check(&[]);
        assert_eq!(detail, "the release job is `release shop`, not a forbidden action");
    }
}
