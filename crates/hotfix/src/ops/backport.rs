//! The `backport` operation: brings a run's fixes (or one fix named outside
//! any run) to the `[backport] to` branches, or those `--to` names. Each
//! target gets its branch and request, or is reported as already having the
//! fix; the operator's checkout, index and HEAD are never touched.

use crate::engine::backport::{carry_out, fixes_of, resolve_targets, BackportContext, BackportFix};
use crate::engine::WorkflowError;
use crate::record::backport::Backport;
use crate::secrets::Redactor;
use crate::Error;

use super::run::load_run;
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
    let forge = match &config.forge {
        Some(forge_config) => {
            let forge = crate::forge::open_from_env(forge_config, git.git_dir(), &mut redactor).map_err(|e| {
                WorkflowError::BackportRequestFailed {
                    branch: table.branch.clone(),
                    detail: redactor.redact(&e.to_string()),
                }
            })?;
            Some(forge)
        }
        None => None,
    };
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
