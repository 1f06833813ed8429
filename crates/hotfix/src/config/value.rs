//! Values of `hotfix.toml` that serde alone would explain poorly (a number
//! written as a string) and the checks that refuse at load what could only
//! fail later, mid-incident: a JSON pointer without its `/`, an empty
//! command, a branch name git refuses, a remote that would be read as an option.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

use super::Config;
use crate::git::refname::{branch_name_problem, is_remote_name};

/// Deserializes a whole number; a quoted, negative or fractional one is an
/// error a person understands.
pub(super) fn whole<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    struct Whole<T>(PhantomData<T>);

    impl<T: TryFrom<u64>> Visitor<'_> for Whole<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number such as 20")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::custom(format!("{v} is too large here")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::custom(format!("{v} is negative; write a whole number, 0 or more"))),
            }
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            Err(E::custom(format!("{v} is not a whole number")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Err(E::custom(format!(
                "expected a whole number, found the string \"{v}\"; write it without quotes, e.g. {}",
                v.trim()
            )))
        }
    }

    d.deserialize_any(Whole(PhantomData))
}

/// Refuses what parses but cannot work; the message names the key.
pub(super) fn check(config: &Config) -> Result<(), String> {
    let mut branches = vec![("branches.main", &config.branches.main)];
    // A tagging strategy has no release branch; the strategy says when one is missing.
    if !config.branches.release.is_empty() {
        branches.push(("branches.release", &config.branches.release));
    }
    if let Some(develop) = &config.branches.develop {
        branches.push(("branches.develop", develop));
    }
    for (key, name) in branches {
        if let Some(why) = branch_name_problem(name) {
            return Err(format!(
                "key `{key}` = `{name}` is not a branch name git accepts ({why}); see `git check-ref-format --branch`"
            ));
        }
    }
    let remote = config.remote.trim();
    if remote.is_empty() {
        return Err("key `remote` is empty; name a remote such as `origin`, or give its URL or path".into());
    }
    if remote.starts_with('-') {
        return Err(format!(
            "key `remote` = `{remote}` starts with `-`, which git would read as an option; name a remote, a URL or a path"
        ));
    }
    if !remote.contains(['/', ':', '\\']) && !is_remote_name(remote) {
        return Err(format!(
            "key `remote` = `{remote}` is not a remote name git accepts; name a remote such as `origin`, or give its URL or path"
        ));
    }
    let mut commands = vec![];
    if let Some(c) = &config.production.command {
        commands.push(("production.command".to_string(), c));
    }
    if let Some(r) = &config.release {
        match &r.pipeline {
            Some(pipeline) => {
                check_forge_job("release", config, &r.command, r.job.as_deref())?;
                pipeline.check("release.pipeline")?;
                check_pipeline_for_forge(config, pipeline)?;
            }
            None if r.job.is_some() => {
                return Err("key `release.job` needs `release.pipeline`, the pipeline the job is in".into())
            }
            None => {
                commands.push(("release.command".to_string(), &r.command));
                if r.action.trim().is_empty() {
                    return Err(
                        "key `release.action` is empty; name the service's release job, e.g. `release checkout`".into(),
                    );
                }
            }
        }
        // A command's action is the plan's to block (its check says why); a
        // pipeline's job and inputs go to the forge as they are, refused here.
        if let Some((what, forbidden)) = r.offending().filter(|_| r.pipeline.is_some()) {
            return Err(format!(
                "[release] `{}` is forbidden (`release.forbidden_actions` has `{forbidden}`): it would drag \
                 unreleased work into release",
                what.escape_debug()
            ));
        }
    }
    if let Some(d) = &config.deploy {
        if d.job.is_some()
            && d.pipeline == Some(super::JobPipeline::Downstream)
            && config.forge.as_ref().map(|f| f.kind) == Some(super::ForgeKind::Github)
        {
            return Err(
                "key `deploy.pipeline` = \"downstream\" is GitLab's (a bridge's pipeline): GitHub Actions has none; \
                 a called workflow's jobs are jobs of the release workflow's run, where `deploy.job` is found: \
                 drop `deploy.pipeline`"
                    .into(),
            );
        }
        match &d.job {
            Some(job) => {
                check_forge_job("deploy", config, &d.command, Some(job))?;
                // merge-main finds the deploy job in main's pipeline for the commit it deploys.
                let from_main = config.strategy == "merge-main";
                if !from_main && config.release.as_ref().and_then(|r| r.pipeline.as_ref()).is_none() {
                    return Err(
                        "key `deploy.job` needs `release.pipeline`: the deploy job is found in the release pipeline"
                            .into(),
                    );
                }
                let forbidden = config
                    .release
                    .as_ref()
                    .map(|r| r.forbidden_actions.clone())
                    .unwrap_or_default();
                if let Some(f) = super::forbidden_action(job, &forbidden) {
                    return Err(format!(
                        "[deploy] job `{}` is forbidden (`release.forbidden_actions` has `{f}`)",
                        job.escape_debug()
                    ));
                }
            }
            None if d.pipeline.is_some() => {
                return Err("key `deploy.pipeline` needs `deploy.job`, the job to play there".into())
            }
            None => commands.push(("deploy.command".to_string(), &d.command)),
        }
    }
    for (i, s) in config.smoke.iter().enumerate() {
        commands.push((format!("smoke[{i}].command"), &s.command));
    }
    for (key, command) in commands {
        if command.trim().is_empty() {
            return Err(format!(
                "key `{key}` is empty: an empty command proves nothing; write the command, or remove the table"
            ));
        }
    }
    let mut urls = vec![];
    if let Some(http) = &config.production.http {
        urls.push(("production.http.url".to_string(), &http.url));
        if !http.pointer.is_empty() {
            pointer("production.http.pointer", &http.pointer)?;
        }
    }
    for (i, h) in config.verify.http.iter().enumerate() {
        urls.push((format!("verify.http[{i}].url"), &h.url));
        if let Some(p) = &h.sha_pointer {
            pointer(&format!("verify.http[{i}].sha_pointer"), p)?;
        }
    }
    if let Some(w) = &config.notify.webhook {
        urls.push(("notify.webhook".to_string(), w));
    }
    for (key, url) in urls {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("key `{key}` = `{url}` is not an http:// or https:// URL"));
        }
    }
    Ok(())
}

/// Checks a `[table]` that plays a forge job: a forge to play it on, no
/// command beside it, and a job name that can be sent.
fn check_forge_job(table: &str, config: &Config, command: &str, job: Option<&str>) -> Result<(), String> {
    if config.forge.is_none() {
        return Err(format!(
            "[{table}] names a forge pipeline or job, and no `[forge]` is configured to run it on"
        ));
    }
    if !command.trim().is_empty() {
        return Err(format!(
            "[{table}] has both `command` and a forge pipeline or job; keep one"
        ));
    }
    if let Some(job) = job {
        crate::record::forge::forge_text_problem(&format!("`{table}.job`"), job)?;
    }
    Ok(())
}

/// A JSON pointer (RFC 6901) starts with `/`.
fn pointer(key: &str, value: &str) -> Result<(), String> {
    if value.starts_with('/') {
        return Ok(());
    }
    Err(format!(
        "key `{key}` = `{value}` is not a JSON pointer: it must start with `/` (write `/{}`)",
        value.trim_start_matches('/')
    ))
}

/// Returns why `[release] pipeline` does not fit `[forge] kind`: GitHub
/// dispatches a workflow, which it must name, on an `owner/repo`, and has no
/// CI/CD variables; GitLab's pipeline is the project's, named by no workflow.
fn check_pipeline_for_forge(config: &Config, pipeline: &super::PipelineRequest) -> Result<(), String> {
    match config.forge.as_ref().map(|f| f.kind) {
        Some(super::ForgeKind::Github) => {
            if pipeline.workflow.is_none() {
                return Err(
                    "key `release.pipeline.workflow` is missing: on GitHub the release pipeline is a \
                            `workflow_dispatch` run of a workflow; name its file, e.g. `workflow = \"release.yml\"`"
                        .into(),
                );
            }
            if let Some(project) = &pipeline.project {
                let owner_repo = project
                    .split_once('/')
                    .is_some_and(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'));
                if !owner_repo {
                    return Err(format!(
                        "key `release.pipeline.project` = `{}` is not GitHub's `owner/repo`",
                        project.escape_debug()
                    ));
                }
            }
            if pipeline.variables {
                return Err(
                    "key `release.pipeline.variables` is GitLab's (CI/CD variables); a GitHub workflow gets `inputs`"
                        .into(),
                );
            }
        }
        Some(super::ForgeKind::Gitlab) if pipeline.workflow.is_some() => {
            return Err(
                "key `release.pipeline.workflow` is GitHub's: a GitLab pipeline is the project's \
                        .gitlab-ci.yml on `ref`; drop it"
                    .into(),
            );
        }
        _ => {}
    }
    Ok(())
}
