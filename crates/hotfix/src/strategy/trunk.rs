//! trunk (seed 004), for teams that ship every change from main through
//! their standard release, several times a week. A hotfix is a fix merged to
//! main and that release, when main since production is releasable (`[trunk]
//! releasable` decides: the team's command or main's pipeline on the forge).
//!
//! On the day main is not releasable, the exceptional path the seed asks
//! for: a hotfix branch from production's commit with the fixes picked (the
//! pick engine and checks of from-tag), deployed to the hotfix staging
//! environment (`[staging]`) and checked there, then the hotfix tag
//! (`v1.4.0-hotfix.1`) the production workflow releases, the production
//! checks, and the fix's way back to main.
//!
//! The staging steps are commands and HTTP polls like production's, and
//! [`Step::touches_production`] counts them: they act outside git, on an
//! environment people share, so they wait for `--yes` as production's do,
//! and a staging deploy that may have run is run again only on a decision.

use crate::config::{Config, Staging};
use crate::engine::WorkflowError;
use crate::git::{CommitInfo, Git, Oid};
use crate::pick::checks::{merged_check, scope, scope_checks};
use crate::pick::RunTrailers;
use crate::providers::production::{ProductionError, ProductionReading, ProductionSha};
use crate::record::plan::{
    Check, CheckStatus, MainReleasable, PickStatus, Plan, RefMove, Scope, Step, StepName, Steps, TrunkPath,
    TrunkRelease,
};
use crate::record::step::{Action, CommandStep, VerifyContains};
use crate::strategy::evidence::{EvidenceSpec, Proof};
use crate::strategy::from_tag::{self, FromTag};
use crate::strategy::{self as strategies, inputs, Inputs, PlanInput, Strategy};

/// The name in `strategy = "..."`.
pub const NAME: &str = "trunk";

pub struct Trunk;

impl Trunk {
    pub const PUSH_BRANCH: StepName = StepName::known("push-hotfix-branch");
    pub const STAGING_DEPLOY: StepName = StepName::known("staging-deploy");
    pub const STAGING_VERIFY: StepName = StepName::known("staging-verify");
    pub const STAGING_SMOKE: StepName = StepName::known("staging-smoke");
    pub const TAG: StepName = StepName::known("tag");
    pub const REDEPLOY: StepName = StepName::known("redeploy-production");
}

impl Strategy for Trunk {
    fn name(&self) -> &'static str {
        NAME
    }

    fn summary(&self) -> &'static str {
        "the fix merged to main and the standard release; when main is unreleasable, a hotfix branch from \
         production, the hotfix staging environment and a hotfix tag"
    }

    fn inputs(&self) -> Inputs {
        Inputs {
            release_branch: false,
            tags: true,
            fixes_later: false,
        }
    }

    fn evidence(&self) -> &'static [EvidenceSpec] {
        EVIDENCE
    }

    fn check_config(&self, config: &Config) -> Result<(), String> {
        if config.trunk.is_none() {
            return Err(
                "strategy `trunk` needs `[trunk]` with `releasable` (`{ command = \"./ci/main-releasable.sh\" }` or \
                 `\"forge\"`): it decides whether main ships the fix"
                    .into(),
            );
        }
        if config.staging.is_none() {
            return Err(
                "strategy `trunk` needs `[staging]` with `deploy`: the hotfix staging environment of the exceptional \
                 path"
                    .into(),
            );
        }
        if config.release.is_none() && config.deploy.is_none() {
            return Err(
                "strategy `trunk` needs `[release]` (the standard release: a command or a forge pipeline) or \
                 `[deploy]`"
                    .into(),
            );
        }
        if !config.services.is_empty() || !config.products.is_empty() {
            return Err(
                "strategy `trunk` ships one service from main; `[[services]]` and `[products]` do not apply".into(),
            );
        }
        if !config.verify.http.is_empty() && config.verify.http.iter().all(|c| c.sha_pointer.is_none()) {
            return Err(
                "strategy `trunk` proves production contains the fix: `[[verify.http]]` needs `sha_pointer`".into(),
            );
        }
        Ok(())
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let config = input.config;
        let Some(production) = &input.production else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "trunk needs the production commit: configure [production] or pass --production".into(),
            });
        };
        let Some(verdict) = &input.main_releasable else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "trunk needs `[trunk] releasable`'s verdict on main".into(),
            });
        };
        if input.fixes.is_empty() {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "trunk ships fixes merged to main; none were given".into(),
            });
        }
        let mut checks = vec![inputs::sources_agree(production, input.production_override.as_deref())];
        let (path, why) = path_of(verdict, &config.branches.main);
        checks.push(Check::new(
            "path",
            CheckStatus::Pass,
            format!("path: {} — {why}", path.as_str()),
        ));
        let release = TrunkRelease {
            path,
            why,
            releasable: verdict.clone(),
            fixes: input.fixes.iter().map(|f| f.id.clone()).collect(),
            production_tag: None,
            production_version: None,
            tag: None,
            branch: None,
            way_back: None,
        };
        let plan = match path {
            TrunkPath::Standard => standard(input, production, release, checks)?,
            TrunkPath::Exceptional => exceptional(input, production, release, checks)?,
        };
        let mut plan = plan;
        plan.steps = self.steps(&plan, config);
        Ok(plan)
    }

    /// Standard path: record production, lock main, approvals, the standard
    /// release and the deploy (`HOTFIX_RELEASE_SHA` is main's tip), the
    /// verification that production runs a commit of main that contains
    /// the fixes, the smoke checks. Exceptional path: record production,
    /// lock the hotfix branch, build, push it (it must not exist), prove it,
    /// the staging deploy, verification and smoke checks, approvals, the
    /// hotfix tag, production's release, deploy, verification (the tag's
    /// commit) and smoke checks (`HOTFIX_TAG` set), the way back to main.
    /// Either rollback deploys production's commit again.
    fn steps(&self, plan: &Plan, config: &Config) -> Steps {
        let Some(release) = plan.trunk.as_deref() else {
            return Steps::default();
        };
        let approvals = (!config.approvals.roles.is_empty()).then(|| Step::approvals(&config.approvals));
        let mut hotfix = vec![Step::record_production()];
        let tag_env = |tag: &Option<String>| -> Vec<(String, String)> {
            tag.iter().map(|t| ("HOTFIX_TAG".to_string(), t.clone())).collect()
        };
        match release.path {
            TrunkPath::Standard => {
                hotfix.push(Step::lock(&plan.main_branch));
                hotfix.extend(approvals);
                for step in strategies::production_steps(config) {
                    hotfix.push(match step.action {
                        Action::VerifyHttp(verify) => Step::new(
                            StepName::VERIFY_PRODUCTION,
                            format!(
                                "poll production until it reports a commit of {} that contains the fix",
                                plan.main_branch
                            ),
                            Action::VerifyContains(VerifyContains {
                                verify,
                                contains: release.fixes.clone(),
                                branch: plan.main_branch.clone(),
                            }),
                        ),
                        _ => step,
                    });
                }
            }
            TrunkPath::Exceptional => {
                let branch = release.branch.clone().unwrap_or_else(|| plan.release_branch.clone());
                hotfix.push(Step::lock(&branch));
                hotfix.push(Step::build());
                hotfix.push(Step::new(
                    Self::PUSH_BRANCH,
                    format!("push {branch} (it must not exist)"),
                    Action::Push(RefMove {
                        name: format!("refs/heads/{branch}"),
                        expected: None,
                        new: plan.new_tip.clone(),
                    }),
                ));
                hotfix.push(Step::verify_release(&branch, Vec::new()));
                if let Some(staging) = &config.staging {
                    hotfix.extend(staging_steps(staging, &branch));
                }
                hotfix.extend(approvals);
                if let Some(tag) = &release.tag {
                    hotfix.push(Step::new(
                        Self::TAG,
                        format!("create the annotated hotfix tag {tag} (it must not exist)"),
                        Action::CreateTag {
                            tag: tag.clone(),
                            message: format!("HOTFIX: {}", from_tag::summary(&plan.picks)),
                        },
                    ));
                }
                for mut step in strategies::production_steps(config) {
                    if let Action::Command(c) = &mut step.action {
                        c.env.extend(tag_env(&release.tag));
                    }
                    hotfix.push(step);
                }
                hotfix.extend(from_tag::way_back_step(plan, release.way_back.as_ref()));
            }
        }

        // Deploy production's commit again: the deploy when there is one,
        // else the release job, given production's commit to ship.
        let redeploy = config.deploy.as_ref().map(CommandStep::deploy).or_else(|| {
            config
                .release
                .as_ref()
                .filter(|r| r.pipeline.is_none())
                .map(CommandStep::release_job)
        });
        let redeploy = redeploy.map(|mut command| {
            command.env.extend(tag_env(&release.production_tag));
            Step::new(
                Self::REDEPLOY,
                format!(
                    "deploy production's commit {} again{}",
                    plan.production.commit.short(),
                    release
                        .production_tag
                        .as_ref()
                        .map_or(String::new(), |t| format!(" ({t})"))
                ),
                Action::Command(command),
            )
        });
        strategies::with_redeploy_rollback(config, hotfix, redeploy, strategies::production_steps(config))
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

/// Returns the path main's verdict sends the hotfix on, and why.
fn path_of(verdict: &MainReleasable, main: &str) -> (TrunkPath, String) {
    if verdict.releasable {
        (
            TrunkPath::Standard,
            format!("{main} ({}) is releasable: {}", verdict.main.short(), verdict.detail),
        )
    } else {
        (TrunkPath::Exceptional, verdict.detail.clone())
    }
}

/// Returns the staging environment's steps: its deploy of the hotfix
/// branch, its verification that it runs the branch's commit, its smoke
/// checks.
fn staging_steps(staging: &Staging, branch: &str) -> Vec<Step> {
    let mut deploy = CommandStep::deploy(&staging.deploy);
    deploy.env.push(("HOTFIX_ENVIRONMENT".into(), "staging".into()));
    let mut steps = vec![Step::new(
        Trunk::STAGING_DEPLOY,
        format!("deploy {branch} to the hotfix staging environment"),
        Action::Command(deploy),
    )];
    if !staging.verify.http.is_empty() {
        steps.push(Step::new(
            Trunk::STAGING_VERIFY,
            "poll staging until it reports the hotfix branch's commit and is healthy",
            Action::VerifyHttp(staging.verify.clone()),
        ));
    }
    if !staging.smoke.is_empty() {
        steps.push(Step::new(
            Trunk::STAGING_SMOKE,
            "run the smoke checks against staging",
            Action::Smoke {
                checks: staging.smoke.clone(),
            },
        ));
    }
    steps
}

/// Plans the standard path: the fixes are on main, and the standard
/// release ships main's tip.
fn standard(
    input: &PlanInput<'_>,
    production_sha: &ProductionSha,
    release: TrunkRelease,
    mut checks: Vec<Check>,
) -> Result<Plan, WorkflowError> {
    let git = input.git;
    let config = input.config;
    let main = &config.branches.main;
    let production = &production_sha.commit;
    for fix in &input.fixes {
        checks.push(merged_check(git, config, &input.main_tip, fix)?);
    }
    checks.push(if git.is_ancestor(production, &input.main_tip)? {
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
                "production {} is not in {main}'s history: releasing {main} would drop what production runs",
                production.short()
            ),
        )
    });
    let mut shipped = false;
    for fix in &input.fixes {
        shipped |= !git.is_ancestor(&fix.id, production)?;
    }
    if !shipped {
        checks.push(Check::new(
            "something-to-release",
            CheckStatus::Block,
            format!(
                "production {} already holds every fix; there is nothing to hotfix",
                production.short()
            ),
        ));
    }
    let (ships, total) = git.commits_only_in(production, &input.main_tip, 200)?;
    checks.push(
        Check::new(
            "ships",
            CheckStatus::Pass,
            plan_ships(&ships, total, &input.main_tip, main),
        )
        .with_commits(ships),
    );
    let [production_commit, main_commit] =
        <[_; 2]>::try_from(git.commits(&[production.clone(), input.main_tip.clone()])?)
            .expect("git reads one commit per id asked for");
    let scope = scope(
        git,
        &production_commit.tree,
        &main_commit.tree,
        config.migration_paths(),
    )?;
    checks.extend(scope_checks(&scope, input.fixes.len(), &config.checks));
    Ok(Plan {
        strategy: NAME.to_string(),
        remote: config.remote.clone(),
        release_branch: main.clone(),
        main_branch: main.clone(),
        release_tip: input.main_tip.clone(),
        main_tip: input.main_tip.clone(),
        production: production_sha.clone(),
        production_tree: production_commit.tree,
        restore: None,
        picks: Vec::new(),
        release_tree: main_commit.tree,
        new_tip: input.main_tip.clone(),
        extra_commits: Vec::new(),
        scope,
        checks,
        steps: Steps::default(),
        from_tag: None,
        merge_main: None,
        services: Vec::new(),
        trunk: Some(Box::new(release)),
    })
}

fn plan_ships(ships: &[crate::git::CommitSummary], total: usize, tip: &Oid, main: &str) -> String {
    crate::record::plan::detail_with_commits(
        &format!(
            "the standard release ships {main}'s tip {}: {total} commit(s) since production (without merges): ",
            tip.short()
        ),
        ships,
        "",
    )
}

/// Plans the exceptional path: the fixes picked onto production's commit
/// on a hotfix branch, its hotfix tag, and the way back to main.
fn exceptional(
    input: &PlanInput<'_>,
    production_sha: &ProductionSha,
    mut release: TrunkRelease,
    mut checks: Vec<Check>,
) -> Result<Plan, WorkflowError> {
    let git = input.git;
    let config = input.config;
    let trunk = config.trunk.as_ref().ok_or_else(|| WorkflowError::BlockedOnResume {
        reasons: "hotfix.toml has no [trunk]".into(),
    })?;
    let base: CommitInfo = git.commit(&production_sha.commit)?;
    let production = base.id.clone();

    let production_tag = production_version_tag(git, trunk, &production)?;
    let tag = match &production_tag {
        Some((name, version)) => {
            let n = git
                .list_refs("refs/tags/")?
                .iter()
                .filter_map(|(r, _)| trunk.number_of(version, r.strip_prefix("refs/tags/").unwrap_or(r)))
                .max()
                .unwrap_or(0)
                + 1;
            let tag = trunk.tag_for(version, n);
            checks.push(Check::new(
                "production-version",
                CheckStatus::Pass,
                format!(
                    "production {} is {name} (version {version}); the hotfix tag is {tag} (hotfix {n} of {version})",
                    production.short()
                ),
            ));
            checks.push(from_tag::tag_free_check(git, &tag)?);
            release.production_version = Some(version.clone());
            Some(tag)
        }
        None => {
            checks.push(Check::new(
                "production-version",
                CheckStatus::Block,
                format!(
                    "no tag matching `{}` (`[trunk] production_tag`) names production {}: its version names the \
                     hotfix tag",
                    trunk.production_tag,
                    production.short()
                ),
            ));
            None
        }
    };
    let branch = format!(
        "hotfix/{}",
        tag.clone().unwrap_or_else(|| production.short().to_string())
    );
    let trailers = RunTrailers {
        run_id: &input.run_id,
        production: &production,
    };
    let (picks, onto, onto_tree, pick_checks) = from_tag::pick_all(git, input, &base, &trailers)?;
    checks.extend(pick_checks);
    let conflicted = picks.iter().any(|p| p.status == PickStatus::Conflict);
    if !picks.iter().any(|p| p.status.is_applied()) && !conflicted {
        checks.push(Check::new(
            "something-to-release",
            CheckStatus::Block,
            format!(
                "production {} already holds every fix; there is nothing to hotfix",
                production.short()
            ),
        ));
    }
    let way_back = from_tag::way_back(git, input, &picks, &onto, &trailers, &mut checks)?;
    let scope: Scope = scope(git, &base.tree, &onto_tree, config.migration_paths())?;
    checks.extend(scope_checks(&scope, picks.len(), &config.checks));

    release.production_tag = production_tag.map(|(name, _)| name);
    release.tag = tag;
    release.branch = Some(branch.clone());
    release.way_back = way_back;
    Ok(Plan {
        strategy: NAME.to_string(),
        remote: config.remote.clone(),
        release_branch: branch,
        main_branch: config.branches.main.clone(),
        release_tip: production.clone(),
        main_tip: input.main_tip.clone(),
        production: production_sha.clone(),
        production_tree: base.tree.clone(),
        restore: None,
        picks,
        release_tree: onto_tree,
        new_tip: onto,
        extra_commits: Vec::new(),
        scope,
        checks,
        steps: Steps::default(),
        from_tag: None,
        merge_main: None,
        services: Vec::new(),
        trunk: Some(Box::new(release)),
    })
}

/// Returns production's version tag and its version: the newest tag of
/// `[trunk] production_tag` on production's commit, `v` stripped. A
/// release tag is preferred to a hotfix tag on the same commit; production
/// running a hotfix tag has the version that tag is a hotfix of.
fn production_version_tag(
    git: &Git,
    trunk: &crate::config::Trunk,
    production: &Oid,
) -> Result<Option<(String, String)>, WorkflowError> {
    let tags = git.tags_at(&trunk.production_tag, production)?;
    let release = tags.iter().find(|t| trunk.hotfix_version_of(t).is_none()).map(|t| {
        let version = t.strip_prefix('v').unwrap_or(t).to_string();
        (t.clone(), version)
    });
    Ok(release.or_else(|| {
        tags.iter().find_map(|t| {
            trunk
                .hotfix_version_of(t)
                .map(|v| (t.clone(), v.strip_prefix('v').unwrap_or(&v).to_string()))
        })
    }))
}

/// Seed 004's process steps, its "Updates Needed" for the exceptional path,
/// and its best practices.
pub const EVIDENCE: &[EvidenceSpec] = &[
    EvidenceSpec {
        id: "severity-assessed",
        item: "the hotfix's severity was set",
        proof: Proof::Severity,
    },
    EvidenceSpec {
        id: "production-recorded",
        item: "the commit production ran was recorded before anything shipped",
        proof: Proof::Steps {
            steps: &[StepName::RECORD_PRODUCTION],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "fix-minimal",
        item: "Implement the fix, keeping changes minimal and focused",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "fix-reviewed",
        item: "Create a pull request targeting main; conduct code review and testing as per our standard process",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "fix-merged-to-main",
        item: "Once approved, merge the hotfix into main",
        proof: Proof::Steps {
            steps: &[FromTag::MERGE_MAIN, FromTag::PUSH_BACKPORT, StepName::VERIFY_PRODUCTION],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "hotfix-branch",
        item: "main unreleasable: a hotfix branch from production's commit with the fixes only",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_RELEASE],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "hotfix-staging",
        item: "main unreleasable: the hotfix deployed and checked in the separate hotfix staging environment",
        proof: Proof::Steps {
            steps: &[Trunk::STAGING_VERIFY, Trunk::STAGING_SMOKE, Trunk::STAGING_DEPLOY],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "hotfix-tag",
        item: "main unreleasable: the hotfix tag the production release workflow releases",
        proof: Proof::Steps {
            steps: &[Trunk::TAG],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "approvals",
        item: "the approvers signed off before production, each a different person",
        proof: Proof::Steps {
            steps: &[StepName::APPROVALS],
            attestable: false,
            only_if_planned: true,
        },
    },
    EvidenceSpec {
        id: "released",
        item: "Trigger our standard release process to deploy the hotfix to production",
        proof: Proof::Steps {
            steps: &[StepName::DEPLOY, StepName::RELEASE_ACTION],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "fix-verified-in-production",
        item: "production runs a commit that contains the fix, and is healthy",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_PRODUCTION, StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "thorough-testing",
        item: "Ensure thorough testing despite the urgency",
        proof: Proof::Steps {
            steps: &[StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "communication",
        item: "Maintain clear communication throughout the hotfix process",
        proof: Proof::Incident,
    },
    EvidenceSpec {
        id: "post-mortem",
        item: "Do a post-mortem analysis after the hotfix is deployed to production",
        proof: Proof::Person,
    },
];
