//! A toy strategy, the worked example of adding one: a module implementing
//! [`Strategy`] and one call to [`hotfix::strategy::register`].
//!
//! `toy-announce` moves no branch. It records production, locks release,
//! announces the hotfix with `[deploy]`'s command (under a step name of its
//! own, with a variable of its own), runs the `[[smoke]]` checks, and rolls
//! back by announcing the retraction. Tests use it to prove the engine
//! carries out whatever steps a strategy composes, not restore-release's.

use hotfix::config::Config;
use hotfix::engine::WorkflowError;
use hotfix::record::plan::{Check, CheckStatus, Plan, Scope, Step, StepName, Steps};
use hotfix::record::step::{Action, CommandStep};
use hotfix::strategy::evidence::{EvidenceSpec, Proof};
use hotfix::strategy::{PlanInput, Strategy};

/// The toy strategy; hotfix.toml names it `strategy = "toy-announce"`.
pub struct ToyAnnounce;

/// The registered instance.
pub static TOY_ANNOUNCE: ToyAnnounce = ToyAnnounce;

/// The variable the announcement gets beside the run's `HOTFIX_*` facts.
pub const GREETING_VAR: &str = "HOTFIX_TOY_GREETING";
/// Its value in the hotfix's announcement, and in the rollback's.
pub const HELLO: &str = "hello from toy-announce";
pub const GOODBYE: &str = "toy-announce retracted";

/// The toy's checklist: what its steps prove, and what a person attests.
pub const EVIDENCE: &[EvidenceSpec] = &[
    EvidenceSpec {
        id: "production-recorded",
        item: "the production commit was recorded before anything was announced",
        proof: Proof::Steps {
            steps: &[StepName::RECORD_PRODUCTION],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "announced",
        item: "the hotfix was announced",
        proof: Proof::Steps {
            steps: &[StepName::known("announce")],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "smoke-passed",
        item: "the smoke checks passed",
        proof: Proof::Steps {
            steps: &[StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
];

/// Makes `strategy = "toy-announce"` valid in this process.
pub fn register() {
    hotfix::strategy::register(&TOY_ANNOUNCE);
}

impl Strategy for ToyAnnounce {
    fn name(&self) -> &'static str {
        "toy-announce"
    }

    fn evidence(&self) -> &'static [EvidenceSpec] {
        EVIDENCE
    }

    fn summary(&self) -> &'static str {
        "announce a hotfix with the deploy command; moves no branch (a test kit's example)"
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let git = input.git;
        // Its inputs are restore-release's: the release tip and the production sources.
        let Some(production_sha) = input.production.clone() else {
            return Err(WorkflowError::BlockedOnResume {
                reasons: "toy-announce needs the production commit".into(),
            });
        };
        let [production, release] =
            <[_; 2]>::try_from(git.commits(&[production_sha.commit.clone(), input.release_tip.clone()])?)
                .expect("git reads one commit per id asked for");
        // Release stays where it is: the tip read is both the expectation and the result.
        let mut checks = vec![Check::new(
            "release-untouched",
            CheckStatus::Pass,
            format!("toy-announce moves no branch; release stays at {}", release.id.short()),
        )];
        checks.push(match &input.config.deploy {
            Some(_) => Check::new("announcer-configured", CheckStatus::Pass, "[deploy] command announces"),
            None => Check::new(
                "announcer-configured",
                CheckStatus::Block,
                "toy-announce announces with [deploy]'s command, and hotfix.toml has no [deploy]",
            ),
        });
        let mut plan = Plan {
            strategy: self.name().to_string(),
            remote: input.config.remote.clone(),
            release_branch: input.config.branches.release.clone(),
            main_branch: input.config.branches.main.clone(),
            release_tip: release.id.clone(),
            main_tip: input.main_tip.clone(),
            production: production_sha,
            production_tree: production.tree,
            restore: None,
            picks: Vec::new(),
            release_tree: release.tree,
            new_tip: release.id,
            extra_commits: Vec::new(),
            scope: Scope::default(),
            checks,
            steps: Steps::default(),
            from_tag: None,
            merge_main: None,
            services: Vec::new(),
            trunk: None,
        };
        plan.steps = self.steps(&plan, input.config);
        Ok(plan)
    }

    /// Record production, lock release, announce, smoke; the rollback
    /// announces the retraction.
    fn steps(&self, plan: &Plan, config: &Config) -> Steps {
        let mut hotfix = vec![
            Step::record_production(),
            Step::lock(&plan.release_branch),
            announce("announce", "announce the hotfix with [deploy]'s command", config, HELLO),
        ];
        if !config.smoke.is_empty() {
            hotfix.push(Step::smoke(&config.smoke));
        }
        Steps {
            hotfix,
            rollback: vec![announce(
                "retract",
                "announce that the hotfix is retracted",
                config,
                GOODBYE,
            )],
            v0_names: Vec::new(),
        }
    }
}

/// Returns the step `name` running `[deploy]`'s command with `greeting`.
fn announce(name: &str, about: &str, config: &Config, greeting: &str) -> Step {
    let name = StepName::new(name).expect("the toy's step names are lowercase words");
    let action = match &config.deploy {
        Some(deploy) => Action::Command(CommandStep {
            command: deploy.command.clone(),
            timeout: deploy.timeout,
            changes_production: true,
            release_job: None,
            env: vec![(GREETING_VAR.to_string(), greeting.to_string())],
        }),
        None => Action::Unconfigured { key: "[deploy]".into() },
    };
    Step::new(name, about, action)
}
