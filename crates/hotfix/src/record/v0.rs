//! Format 0: the run records git-hotfix wrote before steps carried their
//! parameters. Their plan listed the steps by name, and each step read its
//! parameters from the configuration the run recorded (or, for the oldest,
//! from the clone's hotfix.toml). Reading one gives every step the
//! parameters it ran with then, so such runs go on as they would have.

use crate::config::Config;
use crate::git::Oid;
use crate::record::step::{Action, RefMove, Step, StepName, Steps};

/// Returns format 0's steps, named by `names`, with their parameters from
/// `config`, and the rollback those runs took: restore release, then the
/// production steps again.
pub fn steps(names: &[StepName], config: &Config, release: &RefMove) -> Steps {
    let release_branch = release.name.trim_start_matches("refs/heads/");
    let hotfix: Vec<Step> = names.iter().map(|name| step(name, config, release)).collect();
    let production = hotfix.iter().filter(|s| s.touches_production()).cloned();
    let rollback = std::iter::once(Step::rollback_restore(release_branch))
        .chain(production)
        .collect();
    Steps {
        hotfix,
        rollback,
        v0_names: Vec::new(),
    }
}

/// Returns the step format 0 meant by `name` (`release` is the push the
/// plan made). A step whose table the configuration lacks stays in the run
/// and fails when it is reached, as it did in format 0.
fn step(name: &StepName, config: &Config, release: &RefMove) -> Step {
    let branch = release.name.trim_start_matches("refs/heads/");
    let unconfigured = |key: &str| {
        Step::new(
            name.clone(),
            name.describe_known(),
            Action::Unconfigured { key: key.to_string() },
        )
    };
    match name.as_str() {
        "record-production" => Step::record_production(),
        "lock" => Step::lock(branch),
        "build" => Step::build(),
        "push-release" => Step::push_release(release.clone()),
        "verify-release" => Step::verify_release(branch, Vec::new()),
        // Format 0 predates signed approvals: its approvals were the
        // identities people declared. (A team that names allowed signers
        // carries on no format-0 run: its decisions are not signed.)
        "approvals" => Step::approvals(&crate::config::Approvals {
            verify: crate::config::ApprovalCheck::None,
            allowed_signers: None,
            ..config.approvals.clone()
        }),
        "release-action" => config
            .release
            .as_ref()
            .map_or_else(|| unconfigured("[release] command"), Step::release_action),
        "deploy" => config
            .deploy
            .as_ref()
            .map_or_else(|| unconfigured("[deploy] command"), |d| Step::deploy(d, &[])),
        "verify-production" if config.verify.http.is_empty() => unconfigured("[[verify.http]]"),
        "verify-production" => Step::verify_production(&config.verify),
        "smoke" => Step::smoke(&config.smoke),
        _ => unconfigured("a step this git-hotfix does not know"),
    }
}

/// Returns `release`'s push as format 0 planned it: from the release tip
/// read at plan time to the plan's new tip.
pub fn release_push(release_branch: &str, release_tip: &Oid, new_tip: &Oid) -> RefMove {
    RefMove {
        name: format!("refs/heads/{release_branch}"),
        expected: Some(release_tip.clone()),
        new: new_tip.clone(),
    }
}
