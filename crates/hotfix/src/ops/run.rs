//! Helpers the operations on an existing run share: finding and loading the
//! run, a session on its own configuration, fetching its branches, trusting its commands.

use std::path::Path;

use crate::ambient::Ambient;
use crate::config::{self, Config};
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, GitError};
use crate::journal::{Journal, JournalStore, Phase, Run};
use crate::record::step::{Action, StepName};
use crate::secrets::Redactor;
use crate::Error;

use super::Session;

/// Fetches the session's release and main branches (a run's session has the
/// run's own) into their remote-tracking refs.
pub(super) fn fetch_release_and_main(session: &Session) -> Result<(), Error> {
    let branches = &session.config.branches;
    fetch_branches(
        session,
        &[
            ("branches.release", &branches.release),
            ("branches.main", &branches.main),
        ],
    )
}

/// Fetches `branches` into their remote-tracking refs; a branch the remote
/// lacks is an error naming the config key.
pub(super) fn fetch_branches(session: &Session, branches: &[(&'static str, &str)]) -> Result<(), Error> {
    let remote = &session.config.remote;
    let names: Vec<&str> = branches.iter().map(|(_, b)| *b).collect();
    match session.git.fetch_branches(remote, &names) {
        Ok(()) => Ok(()),
        Err(GitError::Failed { stderr, .. }) if stderr.contains("couldn't find remote ref") => {
            let (key, name) = branches
                .iter()
                .find(|(_, b)| stderr.contains(&format!("refs/heads/{b}")))
                .copied()
                .unwrap_or(branches[0]);
            Err(Error::BranchMissing {
                key,
                name: name.to_string(),
                remote: remote.clone(),
            })
        }
        Err(e) => Err(e.into()),
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
    let id = pick_run(session, &store, id)?;
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
    }
}

/// Refuses to run team commands that no trusted configuration names.
///
/// A run's record comes from the remote, which more people can write than
/// release; the commands its steps run (the hotfix's and the rollback's, as
/// the newest `continue --replan` left them) run only when each is a command
/// of this clone's hotfix.toml, or each one of the hotfix.toml committed on
/// the main branch (`continue --replan` records this clone's own).
pub(super) fn commands_trusted(session: &Session, run: &Run) -> Result<(), Error> {
    let planned = planned_commands(session, run);
    if planned.is_empty() {
        return Ok(());
    }
    if session.config_found && untrusted(&planned, &session.config).is_empty() {
        return Ok(());
    }
    let main = tracking_ref(&run.record.remote, &run.record.main_branch);
    let committed = match session.git.read_ref(&main)? {
        Some(tip) => session.git.file_at(&tip, config::FILE_NAME)?,
        None => None,
    };
    let committed = committed
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| Config::parse(&text, Path::new(config::FILE_NAME)).ok());
    if committed.as_ref().is_some_and(|c| untrusted(&planned, c).is_empty()) {
        return Ok(());
    }
    let trusted = if session.config_found {
        Some(&session.config)
    } else {
        committed.as_ref()
    };
    let keys = match trusted {
        Some(trusted) => untrusted(&planned, trusted),
        None => planned.iter().map(|p| p.key.clone()).collect(),
    };
    Err(WorkflowError::UntrustedCommands {
        id: run.id.clone(),
        keys,
        have_config: session.config_found,
    }
    .into())
}

/// A shell command one of the run's steps will run.
struct PlannedCommand {
    /// What names it in messages: the step, and the smoke check
    /// (`deploy.command`, `smoke[0].command`, `rollback.deploy.command`).
    key: String,
    step: StepName,
    /// As it runs: the record's masked secrets put back from this environment.
    command: String,
}

/// Returns the commands the run's steps will run, hotfix then rollback,
/// each once per step.
fn planned_commands(session: &Session, run: &Run) -> Vec<PlannedCommand> {
    let config = run.config(&session.config);
    // Already restored when the run was loaded, but not the steps a replan
    // in this process recorded: restoring twice changes nothing.
    let redactor = Redactor::from_env(&config.secrets);
    let mut planned: Vec<PlannedCommand> = Vec::new();
    for (phase, prefix) in [(Phase::Hotfix, ""), (Phase::Rollback, "rollback.")] {
        for step in run.steps_of(phase) {
            let commands: Vec<(String, &str)> = match &step.action {
                Action::Command(c) => vec![(format!("{prefix}{}.command", step.name), c.command.as_str())],
                Action::Smoke { checks } => checks
                    .iter()
                    .enumerate()
                    .map(|(i, check)| (format!("{prefix}{}[{i}].command", step.name), check.command.as_str()))
                    .collect(),
                _ => Vec::new(),
            };
            for (key, command) in commands {
                let command = redactor.restore(command);
                // The rollback's deploy runs the hotfix's deploy again: named once.
                if !planned.iter().any(|p| p.step == step.name && p.command == command) {
                    planned.push(PlannedCommand {
                        key,
                        step: step.name.clone(),
                        command,
                    });
                }
            }
        }
    }
    planned
}

/// Returns the keys of the planned commands that are none of `trusted`'s.
fn untrusted(planned: &[PlannedCommand], trusted: &Config) -> Vec<String> {
    let theirs = trusted.run_commands();
    planned
        .iter()
        .filter(|p| !theirs.iter().any(|(_, c)| *c == p.command))
        .map(|p| p.key.clone())
        .collect()
}

/// Returns the configuration the run follows, its masked secrets put back
/// from this environment.
pub(super) fn run_config(session: &Session, run: &Run) -> Config {
    let config = run.config(&session.config);
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
