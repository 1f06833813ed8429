//! The session every operation runs in: the repository, its hotfix.toml, the
//! ambient seam and the operator.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use crate::ambient::{format_utc, Ambient};
use crate::config::{Config, ConfigError};
use crate::engine::execute::{Context, Progress};
use crate::git::{Git, Signature};
use crate::interrupt::StopRequest;
use crate::journal::{Actor, JournalStore};
use crate::secrets::Redactor;
use crate::Error;

/// A repository, its configuration and the ambient seam, opened once per command.
pub struct Session {
    pub git: Git,
    /// This clone's hotfix.toml, or, in a clone without one, just enough to
    /// find runs on `origin` (commands on a run read the run's own record).
    pub config: Config,
    pub config_path: PathBuf,
    /// False when this clone has no hotfix.toml.
    pub(super) config_found: bool,
    pub ambient: Ambient,
    /// Masks the values of secret environment variables.
    pub redactor: Redactor,
    /// The operator's git identity, read once per command.
    pub(super) ident: OnceCell<Signature>,
    /// Raised when the operator asks to stop; the CLI points its signal
    /// handler at it.
    pub stop: StopRequest,
    /// Signs the decision entries this session writes: this clone's
    /// hotfix.toml (or the run's record) names allowed signers.
    pub(super) sign_decisions: bool,
    /// True once this command fetched the remote's runs and locks (with
    /// the plan's branches): `start` accepts them from that fetch.
    pub(super) journals_fetched: std::cell::Cell<bool>,
}

impl Session {
    /// Opens the repository at `dir` and its `hotfix.toml`.
    ///
    /// A clone without `hotfix.toml` still opens: approvers and colleagues
    /// work on runs whose records carry their configuration. Commands that
    /// need the file itself (`plan`, `start`, `guard`) refuse then.
    pub fn open(dir: &Path, config_path: Option<&Path>) -> Result<Session, Error> {
        let git = Git::open(dir)?;
        let (config, config_path, config_found) = match Config::load(config_path, git.work_tree(), git.git_dir()) {
            Ok((config, path)) => (config, path, true),
            Err(ConfigError::NotFound { looked }) => (Config::for_runs_only(), looked, false),
            Err(e) => return Err(e.into()),
        };
        let sign_decisions = config_found && config.approvals.allowed_signers.is_some();
        Ok(Session {
            git,
            redactor: Redactor::from_env(&config.secrets),
            config,
            config_path,
            config_found,
            ambient: Ambient::from_env(),
            ident: OnceCell::new(),
            stop: StopRequest::default(),
            sign_decisions,
            journals_fetched: std::cell::Cell::new(false),
        })
    }

    /// Returns an error when this clone has no hotfix.toml: a new run, or a
    /// guard with no run to read, needs the team's configuration.
    pub fn require_config(&self) -> Result<(), Error> {
        if self.config_found {
            return Ok(());
        }
        Err(ConfigError::NotFound {
            looked: self.config_path.clone(),
        }
        .into())
    }

    /// Acts as `ident` (`Name <email>`) instead of git's committer identity.
    pub fn act_as(&mut self, name: &str, email: &str) {
        self.ident = OnceCell::from(Signature {
            name: name.to_string(),
            email: email.to_string(),
            time: 0,
            offset: "+0000".into(),
        });
    }

    /// Returns the operator's git identity, stamped with the current time.
    pub fn operator(&self) -> Result<Signature, Error> {
        let mut sig = match self.ident.get() {
            Some(sig) => sig.clone(),
            None => {
                let sig = self.git.committer_ident()?;
                self.ident.get_or_init(|| sig).clone()
            }
        };
        sig.time = self.ambient.now();
        Ok(sig)
    }

    pub(super) fn context<'a>(&'a self, progress: &'a dyn Progress, confirmed: bool) -> Result<Context<'a>, Error> {
        let operator = self.operator()?;
        let actor = Actor {
            ident: operator.ident(),
            host: self.ambient.hostname().to_string(),
        };
        Ok(Context {
            git: &self.git,
            config: &self.config,
            ambient: &self.ambient,
            operator,
            actor,
            progress,
            redactor: &self.redactor,
            confirmed,
            stop: &self.stop,
            sign_decisions: self.sign_decisions,
            shared: None,
        })
    }

    pub(super) fn store(&self) -> JournalStore<'_> {
        JournalStore::new(&self.git, &self.config.remote).signing(self.sign_decisions)
    }

    /// Returns a new run id: UTC time, then random hex (`20261121-223000-a1b2`).
    pub fn new_run_id(&self) -> String {
        let stamp = format_utc(self.ambient.now()).replace(['-', ':'], "");
        let (date, time) = stamp.trim_end_matches('Z').split_once('T').unwrap_or((&stamp, ""));
        format!("{date}-{time}-{}", self.ambient.random_hex(4))
    }
}
