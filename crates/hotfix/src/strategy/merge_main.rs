//! merge-main (seed 002): the hotfix merge request is merged straight to
//! main, and production is deployed from main's commit that holds the fix,
//! behind two approvals, then health-checked; eligible migrations run in
//! production before the run finishes; the backport to develop follows.
//!
//! Nothing is built and no branch moves: the plan proves the fix is on main,
//! finds the commit to deploy, and lists every commit that deploy ships
//! beyond the fix, since the seed's rule is that "the fix is scoped and
//! low-risk".

use std::collections::BTreeSet;

use crate::config::Config;
use crate::engine::WorkflowError;
use crate::git::{CommitInfo, CommitSummary, Git, Oid};
use crate::pick::checks::{scope, scope_checks};
use crate::providers::production::{ProductionError, ProductionReading};
use crate::record::plan::{self, Action, Check, CheckStatus, MainDeploy, MergedRequest, Plan, Step, StepName, Steps};
use crate::strategy::evidence::{EvidenceSpec, Proof};
use crate::strategy::{self, inputs, Inputs, PlanInput, Strategy};

pub struct MergeMain;

impl Strategy for MergeMain {
    fn name(&self) -> &'static str {
        "merge-main"
    }

    fn summary(&self) -> &'static str {
        "deploy main's commit holding the merged fix behind two approvals, health-check it, run its migrations"
    }

    fn inputs(&self) -> Inputs {
        Inputs {
            release_branch: false,
            tags: false,
            fixes_later: false,
        }
    }

    fn evidence(&self) -> &'static [EvidenceSpec] {
        EVIDENCE
    }

    fn check_config(&self, config: &Config) -> Result<(), String> {
        // Each service may carry its own deploy; one without falls back to the top-level one.
        let undeployed = match config.services.as_slice() {
            [] => config.deploy.is_none(),
            services => config.deploy.is_none() && services.iter().any(|s| s.deploy.is_none()),
        };
        if undeployed {
            return Err(
                "merge-main needs `[deploy]` (or a `[services.deploy]` in every `[[services]]`): the production \
                 deploy job (`job = \"deploy-prod-hotfix\"`) or `command`"
                    .into(),
            );
        }
        if config.release.is_some() {
            return Err("merge-main deploys main's commit itself; `[release]` (a release job) does not apply".into());
        }
        Ok(())
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let git = input.git;
        let Some(production_sha) = &input.production else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "merge-main needs the production commit: configure [production] or pass --production".into(),
            });
        };
        let production = &production_sha.commit;
        let main = &input.config.branches.main;
        let mut checks = vec![inputs::sources_agree(
            production_sha,
            input.production_override.as_deref(),
        )];
        checks.extend(strategy::services::production_check(&input.services, production_sha));
        let [fix] = input.fixes.as_slice() else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: format!(
                    "merge-main deploys one fix merged to {main}; {} were given",
                    input.fixes.len()
                ),
            });
        };
        let request = input.fix_requests.iter().find(|r| r.commit == fix.id).cloned();
        let fix_on_main = git.is_ancestor(&fix.id, &input.main_tip)?;
        let production_on_main = git.is_ancestor(production, &input.main_tip)?;
        checks.push(if fix_on_main {
            Check::new(
                "fix-on-main",
                CheckStatus::Pass,
                format!("fix {} is in {main}'s history", fix.id.short()),
            )
        } else {
            Check::new(
                "fix-on-main",
                CheckStatus::Block,
                format!(
                    "fix {} is not in {main}'s history: merge it to {main} first (seed 002: the hotfix MR targets {main})",
                    fix.id.short()
                ),
            )
        });
        checks.push(if production_on_main {
            Check::new(
                "production-on-main",
                CheckStatus::Pass,
                format!("production {} is in {main}'s history", production.short()),
            )
        } else {
            Check::new(
                "production-on-main",
                CheckStatus::Block,
                format!(
                    "production {} is not in {main}'s history: deploying {main} would drop what production runs",
                    production.short()
                ),
            )
        });
        let (target, target_is_fix) = if fix_on_main && production_on_main {
            deploy_target(git, production, &input.main_tip, &fix.id)?
        } else {
            (fix.id.clone(), true)
        };
        if git.is_ancestor(&fix.id, production)? {
            checks.push(Check::new(
                "something-to-release",
                CheckStatus::Block,
                format!(
                    "fix {} is already in production {}; there is nothing to hotfix",
                    fix.id.short(),
                    production.short()
                ),
            ));
        }
        checks.extend(request_checks(request.as_ref(), main));

        let [production_commit, target_commit] =
            <[_; 2]>::try_from(git.commits(&[production.clone(), target.clone()])?)
                .expect("git reads one commit per id asked for");
        let (ships, ships_total) = git.commits_only_in(production, &target, MainDeploy::LISTED)?;
        let first_parent_ids = if production_on_main {
            git.first_parent_range(production.as_str(), target.as_str())?
        } else {
            Vec::new()
        };
        let first_parent: Vec<CommitSummary> = git.commits(&first_parent_ids)?.iter().map(summary).collect();
        let mut own = fix_own_commits(git, fix)?;
        if !target_is_fix {
            // The merge that brought the fix to main's first-parent line.
            own.insert(target.clone());
        }
        let mut seen = BTreeSet::new();
        let beyond_fix: Vec<CommitSummary> = ships
            .iter()
            .chain(first_parent.iter().rev())
            .filter(|c| !own.contains(&c.id) && seen.insert(c.id.clone()))
            .cloned()
            .collect();
        checks.push(extra_check(&beyond_fix, ships_total, &target, target_is_fix, fix));

        let scope = scope(
            git,
            &production_commit.tree,
            &target_commit.tree,
            input.config.migration_paths(),
        )?;
        checks.extend(scope_checks(&scope, 1, &input.config.checks));
        checks.push(migrations_check(&scope.migrations, input.config));

        let mut plan = Plan {
            strategy: self.name().to_string(),
            remote: input.config.remote.clone(),
            release_branch: main.clone(),
            main_branch: main.clone(),
            release_tip: input.main_tip.clone(),
            main_tip: input.main_tip.clone(),
            production: production_sha.clone(),
            production_tree: production_commit.tree,
            restore: None,
            picks: Vec::new(),
            release_tree: target_commit.tree,
            new_tip: target.clone(),
            extra_commits: Vec::new(),
            scope: scope.clone(),
            checks,
            steps: Steps::default(),
            from_tag: None,
            services: input.services.clone(),
            trunk: None,
            merge_main: Some(Box::new(MainDeploy {
                fix: summary(fix),
                request,
                target,
                target_is_fix,
                ships,
                ships_total,
                first_parent,
                beyond_fix,
                migrations: scope.migrations,
            })),
        };
        plan.steps = self.steps(&plan, input.config);
        Ok(plan)
    }

    /// Record production, lock main, find main's pipeline when a job runs in
    /// it, the approvals, the deploy of the target commit, the migrations
    /// when the change carries any, the health check, the smoke checks; the
    /// rollback deploys production's commit again (behind approvals of its
    /// own under `[approvals] verify = "forge"`).
    fn steps(&self, plan: &Plan, config: &Config) -> Steps {
        let main = &plan.main_branch;
        let deploy_job = config.deploy.as_ref().is_some_and(|d| d.job.is_some());
        let migrations = plan
            .merge_main
            .as_ref()
            .map(|m| m.migrations.as_slice())
            .unwrap_or_default();
        let migration_step = (!migrations.is_empty()).then(|| match &config.migrations {
            Some(m) => Step::migrations(m),
            None => Step::new(
                StepName::MIGRATIONS,
                StepName::MIGRATIONS.describe_known(),
                Action::Unconfigured {
                    key: "[migrations]".into(),
                },
            ),
        });
        let migration_job = migration_step
            .as_ref()
            .is_some_and(|s| matches!(s.action, Action::ForgeJob(_)));

        let mut hotfix = vec![Step::record_production(), Step::lock(main)];
        if deploy_job || migration_job {
            hotfix.push(Step::main_pipeline(main, &plan.new_tip));
        }
        if !config.approvals.roles.is_empty() {
            hotfix.push(Step::approvals(&config.approvals));
        }
        if plan.services.is_empty() {
            hotfix.extend(deploy_step(config));
            hotfix.extend(migration_step);
            hotfix.extend(checks_of_production(config));
        } else {
            // Seed 002: each app is deployed and health-checked in turn; the
            // migrations run once, after the apps.
            hotfix.extend(strategy::services::per_service(plan, config, deploy_and_checks));
            hotfix.extend(migration_step);
        }
        // Seed 002 backports to develop once the production deploy succeeded
        // and production was checked.
        hotfix.extend(strategy::backport_step(config));

        let mut rollback = Vec::new();
        if deploy_job {
            rollback.push(Step::main_pipeline(main, &plan.production.commit));
        }
        rollback.extend(strategy::services::per_service(plan, config, deploy_and_checks));
        // The deploy job of main's pipeline for the production commit makes
        // a deployment of the protected environment of its own.
        let rollback = strategy::with_rollback_approvals(config, rollback);
        Steps {
            hotfix,
            rollback,
            v0_names: Vec::new(),
        }
    }

    /// Reads the `[production]` sources as `start` does.
    fn read_production_again(
        &self,
        git: &Git,
        config: &Config,
        plan: &Plan,
    ) -> Result<Vec<ProductionReading>, ProductionError> {
        inputs::read_production_of(git, config, plan)
    }
}

/// Returns `[deploy]`'s step, deploying from main.
fn deploy_step(config: &Config) -> Option<Step> {
    config.deploy.as_ref().map(Step::deploy_from_main)
}

/// Returns the deploy, then the health check and the smoke checks, that
/// `config` configures.
fn deploy_and_checks(config: &Config) -> Vec<Step> {
    deploy_step(config)
        .into_iter()
        .chain(checks_of_production(config))
        .collect()
}

/// Returns the health check and the smoke checks `config` configures.
fn checks_of_production(config: &Config) -> Vec<Step> {
    let verify = (!config.verify.http.is_empty()).then(|| Step::verify_production(&config.verify));
    let smoke = (!config.smoke.is_empty()).then(|| Step::smoke(&config.smoke));
    [verify, smoke].into_iter().flatten().collect()
}

/// Returns the commit production is deployed to and whether it is the fix:
/// the fix itself when it is on main's first-parent line since production,
/// else the first commit of that line that contains it (the merge that
/// brought it in).
fn deploy_target(git: &Git, production: &Oid, main_tip: &Oid, fix: &Oid) -> Result<(Oid, bool), WorkflowError> {
    let line = git.first_parent_range(production.as_str(), main_tip.as_str())?;
    if line.contains(fix) {
        return Ok((fix.clone(), true));
    }
    for commit in &line {
        if git.is_ancestor(fix, commit)? {
            return Ok((commit.clone(), false));
        }
    }
    Ok((main_tip.clone(), false))
}

/// Returns the fix's own commits: the fix, and for a merge, what it merged
/// (`fix^1..fix`).
fn fix_own_commits(git: &Git, fix: &CommitInfo) -> Result<BTreeSet<Oid>, WorkflowError> {
    let mut own: BTreeSet<Oid> = BTreeSet::from([fix.id.clone()]);
    if let Some(first) = fix.parents.first() {
        if fix.parents.len() > 1 {
            // A merge request of more commits than this is no hotfix; the
            // rest would show as beyond the fix, which is the safe side.
            let (merged, _) = git.commits_only_in(first, &fix.id, 10_000)?;
            own.extend(merged.into_iter().map(|c| c.id));
        }
    }
    Ok(own)
}

fn summary(commit: &CommitInfo) -> CommitSummary {
    CommitSummary {
        id: commit.id.clone(),
        subject: commit.subject().to_string(),
    }
}

/// Returns the check on what the deploy ships beyond the fix: listed, for
/// `start` to refuse without `--allow-extra`.
fn extra_check(beyond: &[CommitSummary], total: usize, target: &Oid, target_is_fix: bool, fix: &CommitInfo) -> Check {
    let which = if target_is_fix {
        format!("deploys the fix {} itself", target.short())
    } else {
        format!(
            "deploys {}, the first main commit that contains fix {}",
            target.short(),
            fix.id.short()
        )
    };
    if beyond.is_empty() {
        Check::new(
            "ships-only-the-fix",
            CheckStatus::Pass,
            format!("{which}; production..{} holds only the fix", target.short()),
        )
    } else {
        Check::new(
            "ships-only-the-fix",
            CheckStatus::Warn,
            format!(
                "{which}; it also ships {} commit(s) beyond the fix ({total} in production..{} without merges): {}; \
                 `start` needs --allow-extra",
                beyond.len(),
                target.short(),
                plan::list_commits(beyond)
            ),
        )
        .with_commits(beyond.to_vec())
    }
}

/// Returns the checks on the merge request the fix was named by: merged,
/// and main's pipeline for its commit passed.
fn request_checks(request: Option<&MergedRequest>, main: &str) -> Vec<Check> {
    let Some(r) = request else {
        return Vec::new();
    };
    let pipeline = match &r.pipeline {
        Some(p) if p.status == "success" => Check::new(
            "main-pipeline-passed",
            CheckStatus::Pass,
            format!(
                "{main}'s pipeline #{} for {} passed: {}",
                p.id,
                r.commit.short(),
                p.web_url
            ),
        ),
        Some(p) => Check::new(
            "main-pipeline-passed",
            CheckStatus::Block,
            format!(
                "{main}'s pipeline #{} for {} ({}) is `{}`, not `success`: {}",
                p.id,
                r.commit.short(),
                r.reference,
                p.status,
                p.web_url
            ),
        ),
        None => Check::new(
            "main-pipeline-passed",
            CheckStatus::Block,
            format!(
                "the forge has no pipeline of {main} for {} ({})",
                r.commit.short(),
                r.reference
            ),
        ),
    };
    vec![
        Check::new(
            "fix-request-merged",
            CheckStatus::Pass,
            format!(
                "{} is `{}` as {}: {}",
                r.reference,
                r.state,
                r.commit.short(),
                r.web_url
            ),
        ),
        pipeline,
    ]
}

/// Returns the check that the migrations the change carries will be run.
fn migrations_check(migrations: &[String], config: &Config) -> Check {
    match (migrations.is_empty(), &config.migrations) {
        (true, _) => Check::new(
            "migrations-run",
            CheckStatus::Pass,
            "the change touches no migration path: no migration step",
        ),
        (false, Some(m)) => Check::new(
            "migrations-run",
            CheckStatus::Warn,
            format!(
                "the change touches migration paths, so the run proves {} completed before finish: {}",
                m.job
                    .as_ref()
                    .map_or_else(|| format!("`{}`", m.command), |job| format!("job `{job}`")),
                plan::list_paths(migrations)
            ),
        )
        .with_paths(migrations.to_vec()),
        (false, None) => Check::new(
            "migrations-run",
            CheckStatus::Block,
            format!(
                "the change touches migration paths and hotfix.toml has no [migrations] to run them: {}",
                plan::list_paths(migrations)
            ),
        )
        .with_paths(migrations.to_vec()),
    }
}

/// Seed 002's post-hotfix checklist, after what the run's own steps prove.
pub const EVIDENCE: &[EvidenceSpec] = &[
    EvidenceSpec {
        id: "production-recorded",
        item: "the production SHA was recorded before the deploy",
        proof: Proof::Steps {
            steps: &[StepName::RECORD_PRODUCTION],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "approvals",
        item: "the tech lead and the PM approved the production deploy, each a different person",
        proof: Proof::Steps {
            steps: &[StepName::APPROVALS],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "deploy-completed",
        item: "the production deploy (deploy-prod-hotfix) completed",
        proof: Proof::Steps {
            steps: &[StepName::DEPLOY],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "fix-verified-in-production",
        item: "verify the fix in production",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_PRODUCTION, StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "backport-opened",
        item: "backport MR to develop opened (on a conflict: an empty commit, the conflict labels, the warning)",
        proof: Proof::Steps {
            steps: &[StepName::BACKPORT],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "backport-merged",
        item: "review and merge the backport MR to develop",
        // Opening the MR is the backport step's; merging it is a reviewer's.
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "backport-conflicts-resolved",
        item: "if the backport had conflicts, resolve them before merging",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "migrations-completed",
        item: "if database migrations were part of the hotfix, verify run-migrations-prod completed",
        proof: Proof::Steps {
            steps: &[StepName::MIGRATIONS],
            attestable: false,
            only_if_planned: true,
        },
    },
];
