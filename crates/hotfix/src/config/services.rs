//! `[[services]]`: the services one hotfix may ship (seeds 000, 001, 002).
//!
//! Each service names its code (`paths`) and may have its own production
//! sources, release job, deploy, verification and smoke checks; a table it
//! leaves out is the top-level one. A run ships the services the operator
//! names (`--service`), else those whose paths the fixes touch, else all of
//! them when `deploy_all_services = true`.

use serde::{Deserialize, Serialize};

use super::{Config, Deploy, ProductionSources, ReleaseAction, Smoke, Verify};

/// One `[[services]]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The service's name: a step-name word (`portal`, `api-gateway`).
    pub name: String,
    /// Globs of the service's code: a fix touching one of them ships it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The branch the service is deployed from, when not `branches.release`:
    /// it gets its own restore, lock and push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production: Option<ProductionSources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verify>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smoke: Option<Vec<Smoke>>,
}

/// The longest service name: step names carry it (`verify-production-<name>`).
pub const NAME_MAX: usize = 32;

impl Config {
    /// Returns the `[[services]]` table called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Returns the names of the configured services, in order.
    pub fn service_names(&self) -> Vec<&str> {
        self.services.iter().map(|s| s.name.as_str()).collect()
    }

    /// Returns the configuration of service `name`: its own tables where it
    /// has them, the top-level ones where it does not. Unknown names give
    /// the configuration as it is.
    pub fn for_service(&self, name: &str) -> Config {
        let mut config = self.clone();
        let Some(service) = self.service(name) else {
            return config;
        };
        config.service = Some(service.name.clone());
        if let Some(branch) = &service.release_branch {
            config.branches.release = branch.clone();
        }
        if let Some(production) = &service.production {
            config.production = production.clone();
        }
        if service.release.is_some() {
            config.release = service.release.clone();
        }
        if service.deploy.is_some() {
            config.deploy = service.deploy.clone();
        }
        if let Some(verify) = &service.verify {
            config.verify = verify.clone();
        }
        if let Some(smoke) = &service.smoke {
            config.smoke = smoke.clone();
        }
        config
    }

    /// Returns the release branch service `name` is deployed from.
    pub fn service_branch<'a>(&'a self, name: &str) -> &'a str {
        self.service(name)
            .and_then(|s| s.release_branch.as_deref())
            .unwrap_or(&self.branches.release)
    }
}

/// Says what is wrong with the `[[services]]` of `config`, naming the key.
pub(super) fn check(config: &Config) -> Result<(), String> {
    if config.deploy_all_services && config.services.is_empty() {
        return Err("`deploy_all_services = true` needs `[[services]]` to deploy".into());
    }
    if config.parallel_services && config.services.is_empty() {
        return Err("`parallel_services = true` needs `[[services]]` to run side by side".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, service) in config.services.iter().enumerate() {
        let key = format!("services[{i}]");
        let name = &service.name;
        let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if name.is_empty()
            || name.len() > NAME_MAX
            || !name.chars().all(word)
            || name.starts_with('-')
            || name.ends_with('-')
        {
            return Err(format!(
                "`{key}.name` is `{}`: a service name is lowercase letters, digits and `-`, at most {NAME_MAX} characters",
                name.escape_debug()
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(format!("`{key}.name`: service `{name}` is configured twice"));
        }
        for pattern in &service.paths {
            if let Err(e) = glob::Pattern::new(pattern) {
                return Err(format!(
                    "`{key}.paths` has `{pattern}`, which is not a glob: {} (at character {})",
                    e.msg,
                    e.pos + 1
                ));
            }
        }
        if let Some(branch) = &service.release_branch {
            if let Some(reason) = crate::git::refname::branch_name_problem(branch) {
                return Err(format!("`{key}.release_branch` is `{branch}`: {reason}"));
            }
            if *branch == config.branches.main {
                return Err(format!(
                    "`{key}.release_branch` is `{branch}`, which is `branches.main`; a service's release branch is its own"
                ));
            }
        }
        if let Some(env) = service.production.as_ref().and_then(|p| p.forge_environment.as_ref()) {
            if config.forge.is_none() {
                return Err(format!(
                    "`{key}.production.forge_environment` needs `[forge]`, the forge whose environment it is"
                ));
            }
            crate::record::forge::forge_text_problem(&format!("`{key}.production.forge_environment`"), env)?;
        }
        super::value::check(&config.for_service(name)).map_err(|e| format!("service `{name}`: {e}"))?;
    }
    Ok(())
}
