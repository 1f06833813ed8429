//! Checks on what the operator typed: a `--production` that the configured
//! sources contradict, or that is neither in release's history nor tagged,
//! is most likely the wrong commit (a main commit pasted by mistake), and a
//! restore to it would ship a tree production never ran. Such a plan blocks
//! unless the operator gives the reason (`--production-override`).

use crate::git::{Git, GitError, Oid};
use crate::providers::production::ProductionSha;

use crate::record::plan::{Check, CheckStatus};

/// Returns the checks on the production commit: the sources agree with it,
/// and it is a commit release once held or a tag names.
pub fn production_checks(
    git: &Git,
    production: &ProductionSha,
    release_tip: &Oid,
    override_reason: Option<&str>,
) -> Result<Vec<Check>, GitError> {
    let commit = &production.commit;
    let blocked = |name: &str, found: String| overridable(name, found, override_reason);
    let mut checks = vec![sources_agree(production, override_reason)];
    let on_release = git.is_ancestor(commit, release_tip)?;
    let tags = if on_release {
        Vec::new()
    } else {
        git.tags_pointing_at(commit)?
    };
    checks.push(if on_release {
        Check::new(
            "production-on-release",
            CheckStatus::Pass,
            format!("production {} is in release's history", commit.short()),
        )
    } else if let Some(tag) = tags.first() {
        Check::new(
            "production-on-release",
            CheckStatus::Pass,
            format!("production {} is tagged {tag}", commit.short()),
        )
    } else {
        blocked(
            "production-on-release",
            format!(
                "production {} is neither in release's history nor tagged: release never held it",
                commit.short()
            ),
        )
    });
    Ok(checks)
}

/// Returns the check that the configured sources agree with the production
/// commit (a `--production` they contradict blocks unless overridden).
pub fn sources_agree(production: &ProductionSha, override_reason: Option<&str>) -> Check {
    let commit = &production.commit;
    let blocked = |name: &str, found: String| overridable(name, found, override_reason);
    let disagreeing: Vec<String> = production
        .disagreeing()
        .map(|r| format!("{} says {}", r.source, r.commit.short()))
        .collect();
    if !disagreeing.is_empty() {
        blocked(
            "production-sources-agree",
            format!("--production is {}, but {}", commit.short(), disagreeing.join(", ")),
        )
    } else if !production.unread.is_empty() {
        Check::new(
            "production-sources-agree",
            CheckStatus::Warn,
            format!(
                "production {} is not confirmed: {}",
                commit.short(),
                production
                    .unread
                    .iter()
                    .map(|u| format!("{} could not be read", u.source))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else {
        Check::new(
            "production-sources-agree",
            CheckStatus::Pass,
            format!("production {} from {}", commit.short(), production.sources()),
        )
    }
}

/// Reads the `[production]` sources as `start` does, every one of which
/// must agree; none configured: no reading.
pub fn read_production_sources(
    git: &Git,
    config: &crate::config::Config,
) -> Result<Vec<crate::providers::production::ProductionReading>, crate::providers::production::ProductionError> {
    use crate::providers::production::{self, ProductionError};
    if config.production.tag.is_some() {
        git.fetch_tags(&config.remote)?;
    }
    match production::resolve(git, &config.production, config.forge.as_ref(), None) {
        Ok(found) => Ok(found.readings),
        Err(ProductionError::NoSource) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Reads the production sources of every service `plan` ships (each
/// service's own, as `plan` read them), or the `[production]` sources for a
/// plan of no `[[services]]`.
pub fn read_production_of(
    git: &Git,
    config: &crate::config::Config,
    plan: &crate::record::plan::Plan,
) -> Result<Vec<crate::providers::production::ProductionReading>, crate::providers::production::ProductionError> {
    let shipped: Vec<&str> = plan.shipped_services().collect();
    if shipped.is_empty() {
        return read_production_sources(git, config);
    }
    // Sources several services share are read once.
    let mut read_already: Vec<crate::config::ProductionSources> = Vec::new();
    let mut readings = Vec::new();
    for service in shipped {
        let own = config.for_service(service);
        if read_already.contains(&own.production) {
            continue;
        }
        readings.extend(read_production_sources(git, &own)?);
        read_already.push(own.production);
    }
    Ok(readings)
}

/// Returns a check that blocks unless the operator gave a reason to go on.
fn overridable(name: &str, found: String, override_reason: Option<&str>) -> Check {
    match override_reason {
        Some(reason) => Check::new(name, CheckStatus::Warn, format!("{found}; overridden: {reason}")),
        None => Check::new(
            name,
            CheckStatus::Block,
            format!("{found}; check which commit production runs, or pass --production-override \"reason\""),
        ),
    }
}
