//! Helpers the operations on an existing run share: finding and loading the
//! run, a session on its own configuration, fetching its branches, trusting its steps.

use std::path::Path;

use crate::ambient::Ambient;
use crate::config::{self, Config};
use crate::engine::WorkflowError;
use crate::git::{branch_refspecs, tracking_ref, GitError};
use crate::journal::{Journal, JournalError, JournalStore, Phase, Run};
use crate::record::step::{Action, Step, Steps};
use crate::record::v0;
use crate::secrets::Redactor;
use crate::strategy;
use crate::Error;

use super::Session;

/// Fetches the session's release and main branches (a run's session has the
/// run's own) into their remote-tracking refs.
pub(super) fn fetch_release_and_main(session: &Session) -> Result<(), Error> {
    fetch_branches(session, &release_and_main(session))
}

/// Fetches the session's release and main branches as
/// [`fetch_release_and_main`] does and, in the same fetch, the remote's runs
/// and locks (a new run's `start` reads them).
pub(super) fn fetch_release_main_and_journals(session: &Session) -> Result<(), Error> {
    fetch_with_journals(session, &release_and_main(session))
}

/// Fetches `branches` as [`fetch_branches`] does and, in the same fetch, the
/// remote's runs and locks.
pub(super) fn fetch_with_journals(session: &Session, branches: &[(&'static str, &str)]) -> Result<(), Error> {
    let names: Vec<&str> = branches.iter().map(|(_, b)| *b).collect();
    let specs = branch_refspecs(&session.config.remote, &names);
    match session.store().fetch_with(&specs) {
        Ok(()) => {
            session.journals_fetched.set(true);
            Ok(())
        }
        Err(JournalError::Git(e)) => Err(branch_missing(session, branches, e)),
        Err(e) => Err(e.into()),
    }
}

fn release_and_main(session: &Session) -> Vec<(&'static str, &str)> {
    let branches = &session.config.branches;
    let named: Vec<(&'static str, &str)> = [
        ("branches.release", branches.release.as_str()),
        ("branches.main", branches.main.as_str()),
    ]
    .into_iter()
    // A strategy without a release branch (from-tag) names none.
    .filter(|(_, name)| !name.is_empty())
    .collect();
    named
}

/// Fetches `branches` into their remote-tracking refs; a branch the remote
/// lacks is an error naming the config key.
pub(super) fn fetch_branches(session: &Session, branches: &[(&'static str, &str)]) -> Result<(), Error> {
    let names: Vec<&str> = branches.iter().map(|(_, b)| *b).collect();
    session
        .git
        .fetch_branches(&session.config.remote, &names)
        .map_err(|e| branch_missing(session, branches, e))
}

/// Returns the error for a fetch of `branches` that failed: the branch the
/// remote lacks, named by its config key, or the fetch's own error.
fn branch_missing(session: &Session, branches: &[(&'static str, &str)], e: GitError) -> Error {
    match &e {
        GitError::Failed { stderr, .. } if stderr.contains("couldn't find remote ref") => {
            let (key, name) = branches
                .iter()
                .find(|(_, b)| stderr.contains(&format!("refs/heads/{b}")))
                .copied()
                .unwrap_or(branches[0]);
            Error::BranchMissing {
                key,
                name: name.to_string(),
                remote: session.config.remote.clone(),
            }
        }
        _ => e.into(),
    }
}

/// Picks the run a command means: the one named, else the one holding the
/// release lock, else the newest unfinished run.
pub(super) fn pick_run(session: &Session, store: &JournalStore<'_>, id: Option<&str>) -> Result<String, Error> {
    if let Some(id) = id {
        return Ok(id.to_string());
    }
    if session.config_found && !session.config.branches.release.is_empty() {
        if let Some((_, holder)) = store.lock_holder(&session.config.branches.release)? {
            return Ok(holder);
        }
    } else if let [only] = store.lock_holders()?.as_slice() {
        // Without hotfix.toml the release branch is unknown: one held lock says which run.
        return Ok(only.clone());
    }
    let ids = store.list_runs()?;
    for id in ids.iter().rev() {
        if !store.load(id)?.run.state().is_finished() {
            return Ok(id.clone());
        }
    }
    ids.last()
        .cloned()
        .ok_or(Error::Journal(crate::journal::JournalError::NoRuns))
}

/// Loads a run after fetching the remote's journals.
pub fn load_run(session: &Session, id: Option<&str>) -> Result<Journal, Error> {
    let store = session.store();
    store.refresh()?;
    load_fetched(session, &store, id)
}

/// Loads a run to read it (`status`, `report`, `verify`): after fetching
/// the remote's journals when the remote answers, else from this clone's
/// copy, with why in the second value. A command that changes anything
/// uses [`load_run`], which refuses without the remote.
pub fn load_run_to_read(session: &Session, id: Option<&str>) -> Result<(Journal, Option<String>), Error> {
    let store = session.store();
    let offline = match store.refresh() {
        Ok(()) => None,
        Err(JournalError::Git(e)) => Some(format!(
            "the remote `{}` did not answer ({}): this is this clone's copy of the journal, as of its last fetch",
            session.config.remote,
            e.to_string().lines().next().unwrap_or_default()
        )),
        Err(e) => return Err(e.into()),
    };
    Ok((load_fetched(session, &store, id)?, offline))
}

fn load_fetched(session: &Session, store: &JournalStore<'_>, id: Option<&str>) -> Result<Journal, Error> {
    let id = pick_run(session, store, id)?;
    let mut journal = store.load(&id)?;
    journal.run.give_v0_parameters(&session.config);
    // The record keeps secrets masked; the steps run with the values this
    // environment has.
    let config = journal.run.config(&session.config);
    journal.run.restore_secrets(&Redactor::from_env(&config.secrets));
    Ok(journal)
}

/// A session on the run's own configuration, as its record holds it.
pub(super) fn session_for_run(session: &Session, run: &Run) -> Session {
    let config = run_config(session, run);
    // This clone's rule holds on every run, whatever the record says.
    let sign_decisions = session.sign_decisions || config.approvals.allowed_signers.is_some();
    Session {
        git: session.git.clone(),
        redactor: Redactor::from_env(&config.secrets),
        config,
        config_path: session.config_path.clone(),
        config_found: session.config_found,
        ambient: Ambient::from_env(),
        ident: session.ident.clone(),
        stop: session.stop.clone(),
        sign_decisions,
        journals_fetched: session.journals_fetched.clone(),
    }
}

/// Where a trusted configuration comes from: a run's record comes from the
/// remote, which more people can write than release, so its steps are
/// checked against one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustSource {
    /// This clone's hotfix.toml.
    Clone,
    /// The hotfix.toml committed on the run's main branch.
    Main,
    /// Neither exists: the run's own record, for a run that runs no team command.
    Record,
}

impl TrustSource {
    /// Returns what a refusal says of it.
    fn does_not_make(self) -> &'static str {
        match self {
            TrustSource::Clone => "this clone's hotfix.toml (nor the one on main) does not make",
            TrustSource::Main | TrustSource::Record => "the hotfix.toml on main does not make",
        }
    }
}

/// A configuration the run's steps were found to follow.
pub(super) struct Trusted {
    pub config: Config,
    pub source: TrustSource,
}

/// Refuses a run whose steps are not exactly those its strategy makes from
/// its plan with a trusted configuration; returns that configuration.
///
/// Every parameter counts (timeouts, forbidden actions, URLs, roles, which
/// command runs in which step), not just the commands: the hotfix's and the
/// rollback's steps, as the newest `continue --replan` left them, are made
/// again with this clone's hotfix.toml, else the one committed on main
/// (`continue --replan` records this clone's own). Values the steps take
/// from the plan (the push's expected and new commits, from-tag's branch and
/// tags) come out the same because they are made from the recorded plan,
/// which the build makes again from its inputs before anything is pushed.
pub(super) fn steps_trusted(session: &Session, run: &Run) -> Result<Trusted, Error> {
    let redactor = masking(session, run);
    let recorded = recorded_steps(run, &redactor);
    let mut compared: Option<(&'static str, Vec<String>)> = None;
    for (source, config) in trusted_configs(session, run)? {
        let differing = match expected_steps(run, &config) {
            Some(expected) => differences(&recorded, &redactor.redact_all(&expected)),
            None => vec![format!("strategy `{}`", run.record.strategy)],
        };
        if differing.is_empty() {
            return Ok(Trusted { config, source });
        }
        // The clone's own file is the one the operator can fix: it names the keys.
        compared.get_or_insert((source.does_not_make(), differing));
    }
    let (against, keys) = match compared {
        Some(found) => found,
        None => {
            // Nothing to make the steps with (no hotfix.toml here or on main):
            // as before the steps carried parameters, a run that runs no team
            // command goes on from its record; one that does is refused.
            let keys = command_keys(&recorded);
            if keys.is_empty() {
                return Ok(Trusted {
                    config: run.config(&session.config),
                    source: TrustSource::Record,
                });
            }
            ("no hotfix.toml can vouch for (none in this clone, none on main)", keys)
        }
    };
    Err(WorkflowError::UntrustedSteps {
        id: run.id.clone(),
        keys,
        against,
        have_config: session.config_found,
    }
    .into())
}

/// Refuses to push release for a run whose recorded production is not what
/// the trusted configuration's sources say now (restore-release: its
/// `[production]` sources; from-tag: the production tag on the remote).
///
/// The build makes the commits again from the recorded production, so a
/// record forged with another production commit builds consistently: only
/// reading production again shows it. Checked in the hotfix phase while the
/// push of release is still to come, for runs loaded from the journal (one `start`
/// made in this process read production moments ago), never in the
/// rollback, whose way back is the recorded production. Without a trusted
/// configuration there is no trusted source to read.
pub(super) fn production_unchanged(journal: &Journal, git: &crate::git::Git, trusted: &Trusted) -> Result<(), Error> {
    let run = &journal.run;
    let release_ref = format!("refs/heads/{}", run.record.release_branch);
    let pushes_later = run.steps_of(Phase::Hotfix).iter().any(|s| {
        matches!(&s.action, Action::Push(m) if m.name == release_ref) && run.done_in(Phase::Hotfix, &s.name).is_none()
    });
    if journal.created_here || trusted.source == TrustSource::Record || run.phase() != Phase::Hotfix || !pushes_later {
        return Ok(());
    }
    let Some(strategy) = strategy::find(&run.record.strategy) else {
        return Ok(());
    };
    let config = run.record.named(&trusted.config);
    let redactor = Redactor::from_env(&config.secrets);
    let readings = strategy
        .read_production_again(git, &config, run.plan())
        .map_err(|e| e.redacted(&redactor))?;
    let recorded = &run.record.plan.production.commit;
    if readings.iter().all(|r| r.commit == *recorded) {
        return Ok(());
    }
    let differing = readings.into_iter().filter(|r| r.commit != *recorded).collect();
    Err(WorkflowError::ProductionChanged {
        id: run.id.clone(),
        recorded: recorded.clone(),
        readings: crate::providers::production::redact_readings(differing, &redactor),
    }
    .into())
}

/// Returns the configurations a run's steps may follow, in the order they
/// are tried: this clone's hotfix.toml when found, then main's.
fn trusted_configs(session: &Session, run: &Run) -> Result<Vec<(TrustSource, Config)>, Error> {
    let mut configs = Vec::new();
    if session.config_found {
        configs.push((TrustSource::Clone, session.config.clone()));
    }
    let main = tracking_ref(&run.record.remote, &run.record.main_branch);
    let committed = match session.git.read_ref(&main)? {
        Some(tip) => session.git.file_at(&tip, config::FILE_NAME)?,
        None => None,
    };
    let committed = committed
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Config::parse(&text, Path::new(config::FILE_NAME)).ok());
    configs.extend(committed.map(|c| (TrustSource::Main, c)));
    Ok(configs)
}

/// Returns the redactor both sides are masked with: the secrets of the
/// run's configuration and of this clone's, so a value one side names as a
/// secret compares equal to the other's mask.
fn masking(session: &Session, run: &Run) -> Redactor {
    let mut secrets = run.config(&session.config).secrets;
    secrets.env.extend(session.config.secrets.env.iter().cloned());
    Redactor::from_env(&secrets)
}

/// Returns the run's current steps, hotfix then rollback, masked.
fn recorded_steps(run: &Run, redactor: &Redactor) -> Steps {
    let steps = Steps {
        hotfix: run.steps_of(Phase::Hotfix).to_vec(),
        rollback: run.steps_of(Phase::Rollback).to_vec(),
        v0_names: Vec::new(),
    };
    redactor.redact_all(&steps)
}

/// Returns the steps the run's strategy makes from the run's plan with
/// `config` (with the run's remote and branches, as `--replan` makes them);
/// format 0 runs get theirs as their reader gives them. `None` when this
/// git-hotfix does not know the strategy.
fn expected_steps(run: &Run, config: &Config) -> Option<Steps> {
    let config = run.record.named(config);
    let names = &run.record.plan.steps.v0_names;
    if run.record.format == 0 && !names.is_empty() {
        let plan = &run.record.plan;
        let release = v0::release_push(&run.record.release_branch, &plan.release_tip, &plan.new_tip);
        return Some(v0::steps(names, &config, &release));
    }
    let strategy = strategy::find(&run.record.strategy)?;
    Some(strategy.steps(run.plan(), &config))
}

/// Returns the keys of the commands the steps run (`deploy.command`,
/// `smoke.checks[0].command`), for a run no configuration can vouch for.
fn command_keys(steps: &Steps) -> Vec<String> {
    let mut keys = Vec::new();
    for (prefix, steps) in phases(steps) {
        for step in steps {
            match &step.action {
                Action::Command(_) => keys.push(format!("{prefix}{}.command", step.name)),
                Action::Smoke { checks } => {
                    keys.extend((0..checks.len()).map(|i| format!("{prefix}{}.checks[{i}].command", step.name)))
                }
                _ => {}
            }
        }
    }
    keys
}

/// Returns each phase's steps with the prefix its keys get.
fn phases(steps: &Steps) -> impl Iterator<Item = (&'static str, &[Step])> {
    [("", steps.hotfix.as_slice()), ("rollback.", steps.rollback.as_slice())].into_iter()
}

/// Returns the keys in which `recorded` differs from `expected`: a step's
/// parameter (`deploy.timeout`, `verify-production.http[0].url`,
/// `rollback.deploy.command`), a step only one side has (`approvals`), or
/// the order (`rollback.steps`).
fn differences(recorded: &Steps, expected: &Steps) -> Vec<String> {
    let mut keys = Vec::new();
    for ((prefix, ours), (_, theirs)) in phases(recorded).zip(phases(expected)) {
        for step in ours {
            match theirs.iter().find(|t| t.name == step.name) {
                Some(trusted) => json_differences(
                    &format!("{prefix}{}", step.name),
                    &step_json(step),
                    &step_json(trusted),
                    &mut keys,
                ),
                None => keys.push(format!("{prefix}{}", step.name)),
            }
        }
        let missing = theirs.iter().filter(|t| !ours.iter().any(|s| s.name == t.name));
        keys.extend(missing.map(|t| format!("{prefix}{}", t.name)));
        let names = |steps: &[Step]| steps.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        if keys.is_empty() && names(ours) != names(theirs) {
            keys.push(format!("{prefix}steps"));
        }
    }
    keys
}

/// Returns a step as the JSON its keys name: the action's parameters at the
/// top (`deploy.timeout`, not `deploy.action.timeout`), beside `about`.
fn step_json(step: &Step) -> serde_json::Value {
    let mut json = serde_json::to_value(&step.action).expect("steps serialize: plain data, string keys");
    if let Some(fields) = json.as_object_mut() {
        fields.insert("about".into(), step.about.clone().into());
    }
    json
}

/// Pushes onto `keys` the paths under `path` where `a` and `b` differ:
/// objects field by field, lists of one length item by item.
fn json_differences(path: &str, a: &serde_json::Value, b: &serde_json::Value, keys: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
            fields.sort();
            fields.dedup();
            for field in fields {
                let (x, y) = (
                    a.get(field).unwrap_or(&Value::Null),
                    b.get(field).unwrap_or(&Value::Null),
                );
                json_differences(&format!("{path}.{field}"), x, y, keys);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                json_differences(&format!("{path}[{i}]"), x, y, keys);
            }
        }
        _ if a != b => keys.push(path.to_string()),
        _ => {}
    }
}

/// Returns the configuration the run follows, its masked secrets put back
/// from this environment.
///
/// The forge is never the record's: `[forge]` names where the token is sent
/// and whose answers (pipelines, deploy jobs, approvals) the run believes, and
/// the record comes from `refs/hotfix/*`. It is this clone's hotfix.toml's,
/// and none without one.
pub(super) fn run_config(session: &Session, run: &Run) -> Config {
    let mut config = run.config(&session.config);
    config.forge = session.config_found.then(|| session.config.forge.clone()).flatten();
    let redactor = Redactor::from_env(&config.secrets);
    redactor.restore_config(&config)
}

/// Loads a run that is not finished, with a session on its own remote and branches.
pub(super) fn open_run(session: &Session, id: Option<&str>) -> Result<(Journal, Session), Error> {
    let journal = load_run(session, id)?;
    let on_run = unfinished(session, &journal)?;
    Ok((journal, on_run))
}

/// Refuses a finished run; returns a session on the run's remote and branches.
pub(super) fn unfinished(session: &Session, journal: &Journal) -> Result<Session, Error> {
    let state = journal.run.state();
    if state.is_finished() {
        return Err(WorkflowError::RunFinished {
            id: journal.id.clone(),
            state: state.as_str(),
        }
        .into());
    }
    Ok(session_for_run(session, &journal.run))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    #[test]
    fn differences_name_each_parameter_and_each_step_one_side_lacks() {
        let trusted = sample::steps();
        assert!(differences(&trusted, &trusted).is_empty());
        let mut forged = trusted.clone();
        for step in forged.hotfix.iter_mut().chain(forged.rollback.iter_mut()) {
            match &mut step.action {
                Action::Command(c) if step.name == crate::record::step::StepName::DEPLOY => {
                    c.timeout = std::time::Duration::from_secs(1)
                }
                Action::Approvals(a) => a.roles.truncate(1),
                _ => {}
            }
        }
        forged
            .rollback
            .retain(|s| s.name != crate::record::step::StepName::ROLLBACK_RESTORE);
        assert_eq!(
            differences(&forged, &trusted),
            [
                "approvals.roles",
                "deploy.timeout",
                "rollback.deploy.timeout",
                "rollback.rollback-restore"
            ]
        );
    }
}
