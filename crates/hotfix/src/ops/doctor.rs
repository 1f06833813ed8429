//! The `doctor` operation: checks, before an incident, everything a hotfix
//! will reach: the configuration, the remote's release and main branches,
//! and with `[forge]` the token (where it comes from, never its value), who
//! it acts as, its scopes, the project, production's environment and its
//! deployment, and the release pipeline's project (on GitHub also the
//! release workflow and the deploy environment); then that production's
//! sources agree on one commit. It changes nothing but remote-tracking refs
//! and tags.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::config::{Config, ForgeKind};
use crate::forge::{self, Forge, ForgeError, SystemClock};
use crate::providers::production;
use crate::strategy::from_tag::tags;

use super::run::fetch_release_and_main;
use super::Session;

/// What `doctor` found: one check per line, in the order they ran.
#[derive(Clone, Debug, Serialize)]
pub struct Doctor {
    pub ok: bool,
    pub checks: Vec<DoctorCheck>,
}

/// One check: its name, whether it passed, and what it saw or why it failed.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorCheck {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

impl Doctor {
    fn push(&mut self, name: &'static str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        self.checks.push(DoctorCheck {
            name,
            ok,
            detail: result.unwrap_or_else(|e| e),
        });
        self.ok &= ok;
        ok
    }
}

/// Runs every check for the repository at `dir` with the hotfix.toml at
/// `config_path` (default: the checkout's). `var` reads the environment
/// (the token's variable). A check that cannot run because an earlier one
/// failed is left out.
pub fn doctor(dir: &Path, config_path: Option<&Path>, var: &dyn Fn(&str) -> Option<String>) -> Doctor {
    let mut doctor = Doctor {
        ok: true,
        checks: Vec::new(),
    };
    let mut session = match Session::open(dir, config_path) {
        Ok(session) if session.config_found => session,
        Ok(session) => {
            doctor.push(
                "config",
                Err(format!("no hotfix.toml at {}", session.config_path.display())),
            );
            return doctor;
        }
        Err(e) => {
            doctor.push("config", Err(e.to_string()));
            return doctor;
        }
    };
    let cfg = session.config.clone();
    doctor.push(
        "config",
        Ok(format!("{} (strategy {})", session.config_path.display(), cfg.strategy)),
    );
    let remote = fetch_release_and_main(&session)
        .map(|()| match cfg.branches.release.as_str() {
            "" => format!("{} has {}", cfg.remote, cfg.branches.main),
            release => format!("{} has {release} and {}", cfg.remote, cfg.branches.main),
        })
        .map_err(|e| e.to_string());
    let remote_ok = doctor.push("remote", remote);
    if let Some(forge) = &cfg.forge {
        forge_checks(&mut doctor, &mut session, &cfg, forge, var);
    }
    // Services with sources of their own need none at the top.
    let services_own_production = !cfg.services.is_empty() && cfg.services.iter().all(|s| s.production.is_some());
    if remote_ok && !cfg.services.is_empty() {
        doctor.push("services", services_check(&session, &cfg));
    }
    if remote_ok && cfg.production.is_empty() && !cfg.products.is_empty() {
        doctor.push("production", product_tags(&session, &cfg));
    } else if remote_ok && !(services_own_production && cfg.production.is_empty()) {
        let read = (|| {
            if cfg.production.tag.is_some() {
                session.git.fetch_tags(&cfg.remote).map_err(|e| e.to_string())?;
            }
            production::resolve(&session.git, &cfg.production, cfg.forge.as_ref(), None)
                .map(|p| format!("{} ({})", p.commit.short(), p.sources()))
                .map_err(|e| e.redacted(&session.redactor).to_string())
        })();
        doctor.push("production", read);
    }
    for check in &mut doctor.checks {
        check.detail = session.redactor.redact(&check.detail);
    }
    doctor
}

/// Returns each service's release branch on the remote and the commit its
/// production sources name: `portal: release, production abc1234 (tag prod-*)`.
fn services_check(session: &Session, cfg: &Config) -> Result<String, String> {
    let mut seen = Vec::new();
    for service in &cfg.services {
        let branch = cfg.service_branch(&service.name);
        if !seen.contains(&branch) {
            super::run::fetch_branches(session, &[("services.release_branch", branch)]).map_err(|e| e.to_string())?;
            seen.push(branch);
        }
    }
    if cfg
        .services
        .iter()
        .any(|s| cfg.for_service(&s.name).production.tag.is_some())
    {
        session.git.fetch_tags(&cfg.remote).map_err(|e| e.to_string())?;
    }
    let mut each = Vec::new();
    for service in &cfg.services {
        let own = cfg.for_service(&service.name);
        let read = production::resolve(&session.git, &own.production, cfg.forge.as_ref(), None)
            .map_err(|e| format!("{}: {}", service.name, e.redacted(&session.redactor)))?;
        each.push(format!(
            "{}: {}, production {} ({})",
            service.name,
            own.branches.release,
            read.commit.short(),
            read.sources()
        ));
    }
    Ok(each.join("; "))
}

/// from-tag without `[production]` sources: each product's production tag,
/// its highest version without a pre-release part, as `plan` takes it.
fn product_tags(session: &Session, cfg: &Config) -> Result<String, String> {
    session.git.fetch_tags(&cfg.remote).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for product in cfg.products.values() {
        let tags = tags::product_tags(&session.git, product).map_err(|e| e.to_string())?;
        let tag = tags::production_tag(&session.git, product, &tags, None).map_err(|e| e.to_string())?;
        found.push(format!("{} {} ({})", product.name, tag.name, tag.commit.short()));
    }
    Ok(found.join(", "))
}

/// The forge's checks: token, user, scopes, project, environment, pipeline project.
fn forge_checks(
    doctor: &mut Doctor,
    session: &mut Session,
    cfg: &Config,
    config: &crate::config::Forge,
    var: &dyn Fn(&str) -> Option<String>,
) {
    let found = forge::resolve_token(config, var, session.git.dir(), &mut session.redactor);
    let token = match found {
        Ok((token, source)) => {
            let from = match source {
                forge::TokenSource::Env(name) => format!("from `{name}`"),
                forge::TokenSource::Credential { host } => format!("from `git credential fill` for {host}"),
                forge::TokenSource::JobToken => format!(
                    "the CI job's own `{}` (`{}` is not set): GitLab accepts it on some endpoints only",
                    forge::token::JOB_TOKEN,
                    config.token_env_name()
                ),
            };
            doctor.push("token", Ok(from));
            token
        }
        Err(e) => {
            doctor.push("token", Err(e.to_string()));
            return;
        }
    };
    let github = (config.kind == ForgeKind::Github).then(|| {
        forge::open_github(
            config,
            token.clone(),
            forge::options_from_env(config),
            Arc::new(SystemClock),
        )
    });
    let opened = forge::open(config, token, forge::options_from_env(config), Arc::new(SystemClock));
    let forge = match opened {
        Ok(forge) => forge,
        Err(e) => {
            doctor.push("forge", Err(e.to_string()));
            return;
        }
    };
    let user = forge
        .whoami()
        .map(|u| format!("{:?} answers as @{}", config.kind, u.username).to_lowercase());
    if !doctor.push("whoami", user.map_err(|e| e.to_string())) {
        // Without a valid token every other request answers the same 401.
        return;
    }
    doctor.push("scopes", scopes(forge.as_ref(), cfg));
    doctor.push(
        "project",
        forge
            .project()
            .map(|p| format!("{} ({})", p.path, p.web_url))
            .map_err(|e| e.to_string()),
    );
    if let Some(environment) = &cfg.production.forge_environment {
        let deployment = match forge.production_deployment(environment) {
            Ok(Some(d)) => Ok(format!("`{}` deployment #{} of {}", d.environment, d.id, short(&d.sha))),
            Ok(None) => Err(format!(
                "no environment `{environment}` with a successful deployment in {}",
                config.project
            )),
            Err(e) => Err(e.to_string()),
        };
        doctor.push("environment", deployment);
    }
    if let Some(project) = cfg
        .release
        .as_ref()
        .and_then(|r| r.pipeline.as_ref())
        .and_then(|p| p.project.as_deref())
    {
        doctor.push(
            "pipeline project",
            forge
                .other_project(project)
                .map(|p| format!("{} reachable for the release pipeline", p.path))
                .map_err(|e| e.to_string()),
        );
    }
    if let Some(Ok(github)) = github {
        github_checks(doctor, &github, cfg);
    }
}

/// GitHub's own checks: the release workflow `workflow_dispatch` starts
/// exists and is active, and the deploy job's environment exists (its
/// required reviewers are the deploy's gate).
fn github_checks(doctor: &mut Doctor, github: &forge::github::GitHub, cfg: &Config) {
    if let Some(pipeline) = cfg.release.as_ref().and_then(|r| r.pipeline.as_ref()) {
        if let Some(file) = pipeline.workflow.as_deref() {
            let checked = github.on(pipeline.project.as_deref()).and_then(|repo| {
                let found = repo.workflow(file)?;
                Ok((repo.full_name(), found))
            });
            doctor.push(
                "workflow",
                match checked {
                    Ok((repo, w)) if w.state == "active" => Ok(format!("`{file}` ({}) in {repo} is active", w.path)),
                    Ok((repo, w)) => Err(format!(
                        "`{file}` ({}) in {repo} is {}: a dispatch would be refused",
                        w.path, w.state
                    )),
                    Err(e) if e.status() == Some(404) => Err(format!(
                        "no workflow `{file}` in {} (or the token cannot see it): {e}",
                        pipeline.project.as_deref().unwrap_or(&github.full_name())
                    )),
                    Err(e) => Err(e.to_string()),
                },
            );
        }
    }
    if cfg.deploy.as_ref().is_some_and(|d| d.job.is_some()) {
        let name = cfg.production.forge_environment.as_deref().unwrap_or("production");
        doctor.push(
            "deploy environment",
            match github.environment(name) {
                Ok(env) => Ok(format!("`{}` #{} ({})", env.name, env.id, env.html_url)),
                Err(e) if e.status() == Some(404) => Err(format!(
                    "no environment `{name}` in {}: the deploy job's reviewers gate it: {e}",
                    github.full_name()
                )),
                Err(e) => Err(e.to_string()),
            },
        );
    }
}

/// Returns the scope the configured steps need on `forge`: GitLab's `api`
/// to create pipelines, play jobs and write incidents, `read_api` to read
/// production only; GitHub's `repo` (classic tokens), which every endpoint
/// git-hotfix calls documents (issues, pull requests, releases, deployments,
/// and `workflow_dispatch` itself: "need the `repo` scope to use this endpoint").
fn needed_scope(kind: ForgeKind, cfg: &Config) -> &'static [&'static str] {
    let writes = cfg
        .release
        .as_ref()
        .is_some_and(|r| r.pipeline.is_some() || r.job.is_some())
        || cfg.deploy.as_ref().is_some_and(|d| d.job.is_some());
    match kind {
        ForgeKind::Gitlab if writes => &["api"],
        ForgeKind::Gitlab => &["api", "read_api"],
        ForgeKind::Github => &["repo"],
    }
}

fn scopes(forge: &dyn Forge, cfg: &Config) -> Result<String, String> {
    let accepted = needed_scope(forge.kind(), cfg);
    match forge.token_scopes() {
        Ok(Some(has)) if has.iter().any(|s| accepted.contains(&s.as_str())) => {
            Ok(format!("the token has {}", has.join(", ")))
        }
        Ok(Some(has)) => Err(format!(
            "the token has {}, the configured steps need `{}`",
            if has.is_empty() {
                "no scope".to_string()
            } else {
                has.join(", ")
            },
            accepted[0]
        )),
        Ok(None) | Err(ForgeError::Unsupported { .. }) => Ok("the forge does not say (fine-grained token)".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
