//! Strategies: one runbook each. A strategy gathers its inputs, plans
//! (composing the engine's step primitives, each with its parameters), and
//! names its rollback. Adding one is a module implementing [`Strategy`] and
//! one registration: a line in [`BUILT_IN`], or [`register`] for one that
//! lives outside this crate (a test kit's toy strategy).

pub mod evidence;
pub mod from_tag;
pub mod inputs;
pub mod merge_main;
pub mod restore_release;
pub mod services;
pub mod trunk;

use crate::config::Config;
use crate::git::{CommitInfo, Git, Oid, Signature};
use crate::providers::production::{ProductionError, ProductionReading, ProductionSha};

use crate::engine::WorkflowError;
use crate::pick::onto::PickRun;
use crate::record::plan::{Plan, Resolution, Step, Steps};

/// What a strategy needs to compute a plan: everything already read and resolved.
pub struct PlanInput<'a> {
    pub git: &'a Git,
    pub config: &'a Config,
    /// The commit production runs, when the strategy's inputs find it
    /// before it plans (restore-release always; from-tag when
    /// `[production]` sources are configured).
    pub production: Option<ProductionSha>,
    /// `--production` as the operator gave it (a tag, for from-tag).
    pub production_given: Option<String>,
    /// `--product`: which product of `[products]` a from-tag run is for.
    pub product: Option<String>,
    /// The tip of the run's own branch the fixes were pushed to (from-tag,
    /// after `start` without `--fix`): the plan builds on it.
    pub branch_tip: Option<Oid>,
    /// Release's tip as read from the remote.
    pub release_tip: Oid,
    /// Main's tip as read from the remote.
    pub main_tip: Oid,
    /// The fixes, in the order they are picked.
    pub fixes: Vec<CommitInfo>,
    pub mainline: Option<u32>,
    /// Who commits, and when.
    pub operator: Signature,
    /// Written into every commit's `Hotfix-Run:` trailer.
    pub run_id: String,
    /// Conflicts a person resolved in this run (`git hotfix resolve`).
    pub resolutions: Vec<Resolution>,
    /// The escalated decision to go on although a fix depends on unreleased
    /// work (`--allow-dependency`): the reason given.
    pub allow_dependency: Option<String>,
    /// The reason the operator gave to go on with a production commit the
    /// sources contradict or release never held (`--production-override`).
    pub production_override: Option<String>,
    /// The merge requests fixes were named by (`--fix !42`), as the forge
    /// had them: merged, by which commit, and main's pipeline for it.
    pub fix_requests: Vec<crate::record::plan::MergedRequest>,
    /// Every service of `[[services]]`, with whether the run ships it
    /// (empty without `[[services]]`).
    pub services: Vec<crate::record::plan::ServiceTarget>,
    /// Trunk (seed 004): whether main was releasable, as `[trunk]
    /// releasable` said when the run was planned.
    pub main_releasable: Option<crate::record::plan::MainReleasable>,
}

impl PlanInput<'_> {
    /// Returns what picking a fix takes from this input.
    pub(crate) fn pick_run(&self) -> PickRun<'_> {
        PickRun {
            release_tip: &self.release_tip,
            main_tip: &self.main_tip,
            mainline: self.mainline,
            resolutions: &self.resolutions,
            operator: &self.operator,
        }
    }
}

/// A runbook turned into a plan.
pub trait Strategy: Sync {
    /// The name used in `hotfix.toml` (`strategy = "..."`).
    fn name(&self) -> &'static str;
    /// Returns one line on when to use it.
    fn summary(&self) -> &'static str;
    /// Returns what `plan` needs fetched and read before it plans.
    fn inputs(&self) -> Inputs {
        Inputs {
            release_branch: true,
            tags: false,
            fixes_later: false,
        }
    }
    /// Returns the runbook's checklist: each item and what proves it.
    fn evidence(&self) -> &'static [evidence::EvidenceSpec];
    /// Says what is wrong with `config` for this strategy (a table it needs
    /// that is missing), naming the key.
    fn check_config(&self, _config: &Config) -> Result<(), String> {
        Ok(())
    }
    /// Computes the plan; writes only unreachable objects, never moves a ref.
    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError>;
    /// Returns the steps of `plan` with their parameters from `config`: the
    /// hotfix's and the rollback's. `plan` calls it, and so does
    /// `continue --replan` with the new configuration.
    fn steps(&self, plan: &Plan, config: &Config) -> Steps;
    /// Reads the run's production input again from where `config` (a
    /// trusted one, with the run's remote) says it comes from, for
    /// `continue` to compare with the production `plan` recorded before it
    /// pushes: the record comes from `refs/hotfix/*`, and a forged production
    /// commit would make the build's restore consistently. Returns no
    /// reading when `config` names nowhere to read it (the run was started
    /// with `--production`); the default, for strategies without one.
    fn read_production_again(
        &self,
        _git: &Git,
        _config: &Config,
        _plan: &Plan,
    ) -> Result<Vec<ProductionReading>, ProductionError> {
        Ok(Vec::new())
    }
}

/// What a strategy needs before it plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// The release branch's tip, and the production commit from the
    /// `[production]` sources (which must be configured, or `--production` given).
    pub release_branch: bool,
    /// The remote's tags.
    pub tags: bool,
    /// The fixes may come later: `start` without `--fix` waits for a person
    /// to commit them on the run's branch.
    pub fixes_later: bool,
}

/// Returns the steps after the release is pushed and proven that `config`
/// configures, in order: approvals, then the production steps. Under
/// `[approvals] verify = "forge"` with a forge deploy job, the approvals
/// come just before the deploy: they are the approvals of the deploy job's
/// deployment, which exists once the release job made its pipeline.
pub fn gate_steps(plan: &Plan, config: &Config) -> Vec<Step> {
    let approvals = (!config.approvals.roles.is_empty()).then(|| Step::approvals(&config.approvals));
    let mut steps = services::per_service(plan, config, production_steps);
    let at = match config.approvals.verify {
        crate::config::ApprovalCheck::Forge => steps
            .iter()
            .position(|s| matches!(s.action, crate::record::plan::Action::ForgeJob(_)))
            .unwrap_or(0),
        _ => 0,
    };
    steps.splice(at..at, approvals);
    steps
}

/// Returns a run's steps when its way back deploys production's own build
/// again: `hotfix`, then for the rollback `redeploy` and the `production`
/// steps that run no command (verification, smoke), with the approvals a
/// forge deploy waits for.
pub fn with_redeploy_rollback(
    config: &Config,
    hotfix: Vec<Step>,
    redeploy: Option<Step>,
    production: Vec<Step>,
) -> Steps {
    let mut rollback: Vec<Step> = redeploy.into_iter().collect();
    rollback.extend(
        production
            .into_iter()
            .filter(|s| !matches!(s.action, crate::record::step::Action::Command(_))),
    );
    Steps {
        hotfix,
        rollback: with_rollback_approvals(config, rollback),
        v0_names: Vec::new(),
    }
}

/// Returns a rollback's `steps` with, under `[approvals] verify = "forge"`,
/// the approvals step just before the forge deploy job: the rollback's
/// deploy makes a new deployment of the protected environment, which the
/// forge holds until it is approved. Under `verify = "signature"` or
/// `"none"` a rollback needs no approvals: the way back waits for nobody.
pub fn with_rollback_approvals(config: &Config, mut steps: Vec<Step>) -> Vec<Step> {
    if config.approvals.roles.is_empty() || config.approvals.verify != crate::config::ApprovalCheck::Forge {
        return steps;
    }
    if let Some(at) = steps
        .iter()
        .position(|s| matches!(s.action, crate::record::plan::Action::ForgeJob(_)))
    {
        steps.insert(at, Step::approvals(&config.approvals));
    }
    steps
}

/// Returns the steps that act on production that `config` configures, in
/// order: the release job, the deploy, the verification, the smoke checks.
/// Returns the backport step a run ends with once production has the fix,
/// when `[backport] to` names a branch.
pub fn backport_step(config: &Config) -> Option<Step> {
    let options = config.backport.as_ref().filter(|b| !b.to.is_empty())?;
    Some(Step::new(
        crate::record::step::StepName::BACKPORT,
        "backport the fixes",
        crate::record::plan::Action::Backport(options.clone()),
    ))
}

pub fn production_steps(config: &Config) -> Vec<Step> {
    let release = config.release.as_ref().map(Step::release_action);
    let forbidden = config
        .release
        .as_ref()
        .map(|r| r.forbidden_actions.clone())
        .unwrap_or_default();
    let deploy = config.deploy.as_ref().map(|d| Step::deploy(d, &forbidden));
    let verify = (!config.verify.http.is_empty()).then(|| Step::verify_production(&config.verify));
    let smoke = (!config.smoke.is_empty()).then(|| Step::smoke(&config.smoke));
    [release, deploy, verify, smoke].into_iter().flatten().collect()
}

/// The strategies git-hotfix ships.
pub static BUILT_IN: &[&dyn Strategy] = &[
    &restore_release::RestoreRelease,
    &from_tag::FromTag,
    &merge_main::MergeMain,
    &trunk::Trunk,
];

/// Strategies registered at run time, after the built-in ones.
static REGISTERED: std::sync::RwLock<Vec<&'static dyn Strategy>> = std::sync::RwLock::new(Vec::new());

/// Registers `strategy`, so hotfix.toml may name it; registering a name
/// twice keeps the first.
pub fn register(strategy: &'static dyn Strategy) {
    let mut registered = REGISTERED.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let known = BUILT_IN
        .iter()
        .chain(registered.iter())
        .any(|s| s.name() == strategy.name());
    if !known {
        registered.push(strategy);
    }
}

/// Returns every strategy: the built-in ones, then the registered.
pub fn all() -> Vec<&'static dyn Strategy> {
    let registered = REGISTERED.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    BUILT_IN.iter().copied().chain(registered.iter().copied()).collect()
}

/// Returns the strategy called `name`.
pub fn find(name: &str) -> Option<&'static dyn Strategy> {
    all().into_iter().find(|s| s.name() == name)
}

/// Returns the names accepted in `strategy = "..."`.
pub fn names() -> Vec<&'static str> {
    all().into_iter().map(|s| s.name()).collect()
}
