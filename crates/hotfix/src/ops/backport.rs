//! The `backport` operation: brings a run's fixes (or one fix named outside
//! any run) to the `[backport] to` branches, or those `--to` names. Each
//! target gets its branch and request, or is reported as already having the
//! fix; the operator's checkout, index and HEAD are never touched.

use crate::engine::backport::{carry_out, fixes_of, resolve_targets, BackportContext, BackportFix};
use crate::engine::backport_resolve::{find, open, push_resolution, ConflictedBackport, Pushed};
use crate::engine::execute::{self, Progress};
use crate::engine::WorkflowError;
use crate::journal::Event;
use crate::record::backport::{Backport, BackportState};
use crate::secrets::Redactor;
use crate::Error;

use super::run::{load_run, open_run};
use super::Session;

/// What to backport, and where.
#[derive(Clone, Debug, Default)]
pub struct BackportOptions {
    /// The run whose fixes to backport (default: the one `status` picks).
    pub run: Option<String>,
    /// One fix outside any run, instead of a run's.
    pub fix: Option<String>,
    /// The parent of a merge fix its change is taken against (default 1).
    pub mainline: Option<u32>,
    /// Target branches or patterns; empty: `[backport] to`.
    pub to: Vec<String>,
}

/// Backports and returns what each fix and target got.
pub fn backport(session: &Session, options: &BackportOptions) -> Result<Vec<Backport>, Error> {
    let git = &session.git;
    let (config, fixes) = match &options.fix {
        Some(rev) => {
            let config = session.config.clone();
            super::run::fetch_branches(session, &[("branches.main", &config.branches.main)])?;
            let id = git
                .resolve_commit(rev)
                .map_err(|_| Error::UnknownFix { rev: rev.clone() })?;
            let fix = BackportFix {
                commit: git.commit(&id)?,
                mainline: options.mainline,
            };
            (config, vec![fix])
        }
        None => {
            let journal = load_run(session, options.run.as_deref())?;
            let config = journal.run.config(&session.config);
            // A clone other than the run's may lack the fixes: main has them.
            git.fetch_branches(&config.remote, &[&config.branches.main])?;
            (config, fixes_of(git, journal.run.plan())?)
        }
    };
    let table = config.backport.clone().unwrap_or_default();
    let patterns = if options.to.is_empty() { &table.to } else { &options.to };
    let targets = resolve_targets(git, &config.remote, patterns)?;
    let mut redactor = Redactor::from_env(&config.secrets);
    let forge = open_forge(&config, git, &table, &mut redactor)?;
    let committer = session.operator()?;
    let cx = BackportContext {
        git,
        remote: &config.remote,
        options: &table,
        forge: forge.as_deref(),
        committer: &committer,
        redactor: &redactor,
    };
    Ok(carry_out(&cx, &fixes, &targets)?)
}

/// Which conflicted backport to resolve, and whether to take its resolution.
#[derive(Clone, Debug, Default)]
pub struct BackportResolveOptions {
    /// The run whose conflicted backport to resolve (default: the one `status` picks).
    pub run: Option<String>,
    /// The fix of a backport made outside any run, instead of a run's.
    pub fix: Option<String>,
    /// The parent of a merge fix its change is taken against (`--fix` only).
    pub mainline: Option<u32>,
    /// The backport's target branch (needed with `--fix`, or when a run
    /// has several conflicted backports).
    pub to: Option<String>,
    /// Take the resolution from the worktree and push it, instead of laying
    /// the conflict out.
    pub push: bool,
}

/// What `backport resolve` did.
#[derive(Clone, Debug)]
pub enum BackportResolveOutcome {
    /// The conflict is laid out in `worktree` (made now, or there already).
    Opened {
        run: Option<String>,
        conflict: ConflictedBackport,
        worktree: std::path::PathBuf,
        created: bool,
    },
    /// The resolution is on the branch, the request relabelled, the run's
    /// journal told.
    Pushed { run: Option<String>, pushed: Pushed },
}

/// Lays a conflicted backport out in a worktree of its own, or (with
/// `push`) takes the person's resolution from it and pushes it.
pub fn backport_resolve(
    session: &Session,
    options: &BackportResolveOptions,
    progress: &dyn Progress,
) -> Result<BackportResolveOutcome, Error> {
    let git = &session.git;
    let (run, fix, mainline, target, base) = match &options.fix {
        Some(rev) => {
            let target = options.to.clone().ok_or_else(|| WorkflowError::NoBackportTarget {
                detail: "give `--to BRANCH`: the target of the backport of `--fix`".into(),
            })?;
            super::run::fetch_branches(session, &[("branches.main", &session.config.branches.main)])?;
            let id = git
                .resolve_commit(rev)
                .map_err(|_| Error::UnknownFix { rev: rev.clone() })?;
            (None, git.commit(&id)?, options.mainline, target, None)
        }
        None => {
            let (journal, on_run) = open_run(session, options.run.as_deref())?;
            let config = journal.run.config(&session.config);
            git.fetch_branches(&config.remote, &[&config.branches.main])?;
            let conflicted: Vec<Backport> = journal
                .run
                .backports()
                .into_iter()
                .filter(|b| b.state == BackportState::Conflicted)
                .filter(|b| options.to.as_ref().is_none_or(|t| &b.target == t))
                .collect();
            let b = match conflicted.as_slice() {
                [one] => one.clone(),
                [] => {
                    return Err(WorkflowError::NoBackportTarget {
                        detail: format!(
                            "run {} has no conflicted backport{}",
                            journal.id,
                            options.to.as_ref().map(|t| format!(" to `{t}`")).unwrap_or_default()
                        ),
                    }
                    .into())
                }
                more => {
                    let targets: Vec<&str> = more.iter().map(|b| b.target.as_str()).collect();
                    return Err(WorkflowError::NoBackportTarget {
                        detail: format!(
                            "run {} has conflicted backports to {}: give `--to BRANCH`",
                            journal.id,
                            targets.join(", ")
                        ),
                    }
                    .into());
                }
            };
            let fix = git.commit(&b.fix)?;
            (Some((journal, on_run)), fix, b.mainline, b.target.clone(), Some(b))
        }
    };
    let config = match &run {
        Some((journal, _)) => journal.run.config(&session.config),
        None => session.config.clone(),
    };
    let table = config.backport.clone().unwrap_or_default();
    let branch = match base.as_ref().and_then(|b| b.branch.clone()) {
        Some(branch) => branch,
        None => table.branch_for(&target, fix.id.short()),
    };
    let run_id = run.as_ref().map(|(j, _)| j.id.clone());
    if !options.push {
        let conflict = find(git, &config.remote, &fix, mainline, &target, &branch)?;
        let (worktree, created) = open(git, &conflict)?;
        return Ok(BackportResolveOutcome::Opened {
            run: run_id,
            conflict,
            worktree,
            created,
        });
    }
    let mut redactor = Redactor::from_env(&config.secrets);
    let forge = open_forge(&config, git, &table, &mut redactor)?;
    let committer = session.operator()?;
    let cx = BackportContext {
        git,
        remote: &config.remote,
        options: &table,
        forge: forge.as_deref(),
        committer: &committer,
        redactor: &redactor,
    };
    let pushed = push_resolution(&cx, &fix, mainline, &target, &branch, base.as_ref())?;
    if let Some((mut journal, on_run)) = run {
        let rcx = on_run.context(progress, false)?;
        execute::append_local(
            &rcx,
            &mut journal,
            vec![Event::BackportResolved {
                backport: pushed.backport.clone(),
            }],
        )
        .map_err(WorkflowError::from)?;
        execute::mirror(&rcx, &mut journal)?;
    }
    Ok(BackportResolveOutcome::Pushed { run: run_id, pushed })
}

/// Opens the `[forge]` the configuration names, when it names one.
fn open_forge(
    config: &crate::config::Config,
    git: &crate::git::Git,
    table: &crate::config::Backport,
    redactor: &mut Redactor,
) -> Result<Option<Box<dyn crate::forge::Forge>>, WorkflowError> {
    let Some(forge_config) = &config.forge else {
        return Ok(None);
    };
    crate::forge::open_from_env(forge_config, git.git_dir(), redactor)
        .map(Some)
        .map_err(|e| WorkflowError::BackportRequestFailed {
            branch: table.branch.clone(),
            detail: redactor.redact(&e.to_string()),
        })
}

/// Returns where each of the run's backports stands (see
/// [`crate::engine::backport::landings`]), with what could not be learnt.
/// Only `status` and `report` ask: `plan` never reads the forge for it.
pub(super) fn run_landings(
    session: &Session,
    run: &crate::journal::Run,
    config: &crate::config::Config,
) -> (Vec<crate::record::backport::BackportLanding>, Vec<String>) {
    let backports = run.backports();
    let mut notices = Vec::new();
    if backports.iter().all(|b| b.commit.is_none()) {
        return (Vec::new(), notices);
    }
    let mut redactor = Redactor::from_env(&config.secrets);
    let table = config.backport.clone().unwrap_or_default();
    let forge = match open_forge(config, &session.git, &table, &mut redactor) {
        Ok(forge) => forge,
        Err(e) => {
            notices.push(redactor.redact(&e.to_string()));
            None
        }
    };
    let found = crate::engine::backport::landings(
        &session.git,
        &run.record.remote,
        forge.as_deref(),
        &backports,
        &mut notices,
    );
    let notices = notices.iter().map(|n| redactor.redact(n)).collect();
    (found, notices)
}
