//! Which `[[services]]` a hotfix ships (seeds 000, 001, 002), and their
//! steps: each shipped service gets the production steps of its own
//! configuration, named for it (`deploy-portal`), in the order the services
//! are configured.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::pick::glob;
use crate::providers::production::ProductionSha;
use crate::record::plan::{list_paths, Check, CheckStatus, Plan, ServiceTarget, Step};

/// A service named with `--service` that `[[services]]` does not have.
#[derive(Debug, thiserror::Error)]
#[error("hotfix.toml has no service `{name}`; its [[services]] are: {known}")]
pub struct UnknownService {
    pub name: String,
    pub known: String,
}

/// Returns every configured service with whether this hotfix ships it and
/// why: the services `named` (`--service`), else those whose `paths` the
/// fixes' `touched` paths match, else all of them under
/// `deploy_all_services`. Without `[[services]]`, none.
pub fn select(
    config: &Config,
    named: &[String],
    touched: &BTreeSet<String>,
) -> Result<Vec<ServiceTarget>, UnknownService> {
    if let Some(name) = named.iter().find(|n| config.service(n).is_none()) {
        return Err(UnknownService {
            name: name.clone(),
            known: config.service_names().join(", "),
        });
    }
    let targets = config.services.iter().map(|service| {
        let hits: Vec<&String> = touched
            .iter()
            .filter(|path| service.paths.iter().any(|p| glob::matches(p, path)))
            .collect();
        let (ships, why) = if !named.is_empty() {
            let ships = named.contains(&service.name);
            (
                ships,
                if ships {
                    "named with --service".to_string()
                } else {
                    "not named with --service".to_string()
                },
            )
        } else if config.deploy_all_services {
            (true, "deploy_all_services = true: every service ships".to_string())
        } else if !hits.is_empty() {
            (true, format!("the fixes touch {}", list_paths(&hits)))
        } else if service.paths.is_empty() {
            (
                false,
                "it has no `paths`: it ships only when named with --service".to_string(),
            )
        } else {
            (false, format!("the fixes touch none of {}", list_paths(&service.paths)))
        };
        ServiceTarget {
            name: service.name.clone(),
            ships,
            why,
            release_branch: config.service_branch(&service.name).to_string(),
            production: None,
            own_run: false,
        }
    });
    Ok(targets.collect())
}

/// Keeps shipping in this run only the services deployed from `branch`;
/// the others shipped get a run of their own (their own restore, lock and
/// push), which `start` makes after this one.
pub fn on_branch(targets: &mut [ServiceTarget], branch: &str) {
    for target in targets.iter_mut().filter(|t| t.ships && t.release_branch != branch) {
        target.ships = false;
        target.own_run = true;
        target.why = format!(
            "{}; deployed from {}, it ships in a run of its own",
            target.why, target.release_branch
        );
    }
}

/// Returns the release branches of the services `targets` ship, in order,
/// each once.
pub fn branches(targets: &[ServiceTarget]) -> Vec<String> {
    let mut seen = Vec::new();
    for t in targets.iter().filter(|t| t.ships || t.own_run) {
        if !seen.contains(&t.release_branch) {
            seen.push(t.release_branch.clone());
        }
    }
    seen
}

/// Returns the plan's check that the services it ships, which share one
/// release branch, run one production commit: one restore cannot serve two.
pub fn production_check(targets: &[ServiceTarget], plan_production: &ProductionSha) -> Option<Check> {
    let shipped: Vec<&ServiceTarget> = targets.iter().filter(|t| t.ships).collect();
    if shipped.is_empty() {
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        return (!targets.is_empty()).then(|| {
            Check::new(
                "services-selected",
                CheckStatus::Block,
                format!(
                    "no service ships: the fixes touch none of the services' `paths`; name them with --service ({})",
                    names.join(", ")
                ),
            )
        });
    }
    let sha = |t: &ServiceTarget| {
        t.production
            .as_ref()
            .map_or(&plan_production.commit, |p| &p.commit)
            .clone()
    };
    let each = shipped
        .iter()
        .map(|t| format!("{} runs {}", t.name, sha(t).short()))
        .collect::<Vec<_>>()
        .join(", ");
    let differ = shipped.iter().any(|t| sha(t) != plan_production.commit);
    Some(if differ {
        Check::new(
            "services-share-production",
            CheckStatus::Block,
            format!(
                "the services share release branch {} but run different commits ({each}): one restore cannot serve both; \
                 give each its own `release_branch`, or ship them one at a time with --service",
                shipped[0].release_branch
            ),
        )
    } else {
        Check::new(
            "services-share-production",
            CheckStatus::Pass,
            format!(
                "every service shipped runs production {} ({each})",
                plan_production.commit.short()
            ),
        )
    })
}

/// Returns `make`'s steps for each service `plan` ships, in order, each
/// named for its service and made from its own configuration; `make(config)`
/// itself for a plan that ships no `[[services]]`.
pub fn per_service(plan: &Plan, config: &Config, make: impl Fn(&Config) -> Vec<Step>) -> Vec<Step> {
    if plan.services.is_empty() {
        return make(config);
    }
    // The plan may come from a journal on the remote: only services this
    // configuration has get steps (their names are checked step-name words).
    let shipped: Vec<&str> = plan
        .shipped_services()
        .filter(|name| config.service(name).is_some())
        .collect();
    shipped
        .into_iter()
        .flat_map(|name| {
            make(&config.for_service(name))
                .into_iter()
                .map(move |step| step.for_service(name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Config {
        let text = format!(
            "strategy = \"restore-release\"\n{extra}\n[branches]\nmain = \"main\"\nrelease = \"release\"\n\
             [[services]]\nname = \"portal\"\npaths = [\"portal/**\"]\n\
             [[services]]\nname = \"admin\"\npaths = [\"admin/**\"]\nrelease_branch = \"release-admin\"\n\
             [[services]]\nname = \"api\"\n"
        );
        Config::parse(&text, std::path::Path::new("hotfix.toml")).expect("a valid config")
    }

    fn touched(paths: &[&str]) -> BTreeSet<String> {
        paths.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn the_fixes_paths_name_the_services_then_the_operator_or_the_rule_does() {
        let c = config("");
        let by_paths = select(&c, &[], &touched(&["portal/app.js", "docs/x.md"])).expect("known names");
        let ships: Vec<bool> = by_paths.iter().map(|t| t.ships).collect();
        assert_eq!(ships, [true, false, false]);
        assert!(by_paths[0].why.contains("portal/app.js"), "{}", by_paths[0].why);
        assert!(by_paths[2].why.contains("no `paths`"), "{}", by_paths[2].why);
        assert_eq!(by_paths[1].release_branch, "release-admin");

        let named = select(&c, &["api".into()], &touched(&["portal/app.js"])).expect("known names");
        assert_eq!(named.iter().map(|t| t.ships).collect::<Vec<_>>(), [false, false, true]);

        let all = select(&config("deploy_all_services = true"), &[], &touched(&[])).expect("known names");
        assert!(all.iter().all(|t| t.ships));

        let unknown = select(&c, &["portl".into()], &touched(&[])).expect_err("portl is no service");
        assert_eq!(unknown.known, "portal, admin, api");
    }

    #[test]
    fn services_on_another_branch_get_a_run_of_their_own() {
        let c = config("deploy_all_services = true");
        let mut targets = select(&c, &[], &touched(&[])).expect("known names");
        assert_eq!(branches(&targets), ["release", "release-admin"]);
        on_branch(&mut targets, "release");
        assert_eq!(targets.iter().map(|t| t.ships).collect::<Vec<_>>(), [true, false, true]);
        assert!(targets[1].own_run);
        assert_eq!(branches(&targets), ["release", "release-admin"]);
    }

    #[test]
    fn a_recorded_plan_naming_a_service_the_config_lacks_gets_no_steps_for_it() {
        let c = config("");
        let mut plan = crate::record::sample::record().plan;
        let mut targets = select(&c, &["portal".into()], &touched(&[])).expect("known names");
        // A journal on the remote may say anything: a name no config has, not even a step word.
        targets.push(ServiceTarget {
            name: "Not A Word".into(),
            ships: true,
            ..targets[0].clone()
        });
        plan.services = targets;
        let steps = per_service(&plan, &c, crate::strategy::production_steps);
        let c_with_deploy = Config {
            deploy: crate::record::sample::config().deploy,
            ..c.clone()
        };
        let with_deploy = per_service(&plan, &c_with_deploy, crate::strategy::production_steps);
        assert!(steps.is_empty(), "no production table configured");
        let names: Vec<&str> = with_deploy.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["deploy-portal"]);
        assert_eq!(with_deploy[0].service.as_deref(), Some("portal"));
        assert_eq!(with_deploy[0].base_name(), crate::record::plan::StepName::DEPLOY);
    }

    #[test]
    fn a_bad_service_table_is_refused_naming_its_key() {
        let bad = |services: &str| {
            let text = format!(
                "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n{services}"
            );
            Config::parse(&text, std::path::Path::new("hotfix.toml"))
                .expect_err("refused")
                .to_string()
        };
        assert!(bad("[[services]]\nname = \"Portal\"\n").contains("services[0].name"));
        assert!(bad("[[services]]\nname = \"a\"\n[[services]]\nname = \"a\"\n").contains("twice"));
        assert!(bad("[[services]]\nname = \"a\"\npaths = [\"[\"]\n").contains("services[0].paths"));
        assert!(bad("[[services]]\nname = \"a\"\nrelease_branch = \"main\"\n").contains("release_branch"));
        assert!(bad("[[services]]\nname = \"a\"\ncolour = 1\n").contains("colour"));
        assert!(bad("deploy_all_services = true\n").contains("deploy_all_services"));
    }
}
