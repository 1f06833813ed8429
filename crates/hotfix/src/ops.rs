//! Every operation of git-hotfix, each a function the CLI calls: open a
//! session, plan, start, continue, approve, attest, rollback, finish, abort,
//! guard, status, report, log, init.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use crate::ambient::{format_utc, Ambient};
use crate::config::{self, Config, ConfigError, Severity};
use crate::engine::execute::{self, Context, Outcome, Progress};
use crate::engine::gates;
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, Git, GitError, Oid, Signature};
use crate::interrupt::StopRequest;
use crate::journal::{Actor, Entry, Event, Journal, JournalStore, Run, RunRecord, RunState};
use crate::journal::{EvidenceItem, Phase};
use crate::pick::resolve::{self, Opened};
use crate::providers::production;
use crate::record::plan::{Plan, StepName, PRODUCTION_STEPS};
use crate::report::{self, IncidentReport};
use crate::secrets::Redactor;
use crate::strategy::restore_release::read_fixes;
use crate::strategy::{self, PlanInput};
use crate::Error;

/// A repository, its configuration and the ambient seam, opened once per command.
pub struct Session {
    pub git: Git,
    /// This clone's hotfix.toml, or, in a clone without one, just enough to
    /// find runs on `origin` (commands on a run read the run's own record).
    pub config: Config,
    pub config_path: PathBuf,
    /// False when this clone has no hotfix.toml.
    config_found: bool,
    pub ambient: Ambient,
    /// Masks the values of secret environment variables.
    pub redactor: Redactor,
    /// The operator's git identity, read once per command.
    ident: OnceCell<Signature>,
    /// Raised when the operator asks to stop; the CLI points its signal
    /// handler at it.
    pub stop: StopRequest,
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
        Ok(Session {
            git,
            redactor: Redactor::from_env(&config.secrets),
            config,
            config_path,
            config_found,
            ambient: Ambient::from_env(),
            ident: OnceCell::new(),
            stop: StopRequest::default(),
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

    fn context<'a>(&'a self, progress: &'a dyn Progress, confirmed: bool) -> Result<Context<'a>, Error> {
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
        })
    }

    fn store(&self) -> JournalStore<'_> {
        JournalStore::new(&self.git, &self.config.remote)
    }

    /// Returns a new run id: UTC time, then random hex (`20261121-223000-a1b2`).
    pub fn new_run_id(&self) -> String {
        let stamp = format_utc(self.ambient.now()).replace(['-', ':'], "");
        let (date, time) = stamp.trim_end_matches('Z').split_once('T').unwrap_or((&stamp, ""));
        format!("{date}-{time}-{}", self.ambient.random_hex(4))
    }
}

/// What the operator asked to hotfix.
#[derive(Clone, Debug, Default)]
pub struct HotfixRequest {
    /// Fix revisions as given (`abc123`, `origin/main~2`).
    pub fixes: Vec<String>,
    /// Overrides the configured production sources.
    pub production: Option<String>,
    /// Parent to pick merge commits against (1 unless given).
    pub mainline: Option<u32>,
    /// Go on although a fix depends on unreleased work: the escalated
    /// decision's reason, recorded in the journal and the report.
    pub allow_dependency: Option<String>,
    /// Go on with a production commit the sources contradict or release
    /// never held: the reason, recorded in the journal and the report.
    pub production_override: Option<String>,
}

/// Fetches what the plan needs and computes it; moves no ref but the
/// remote-tracking refs of the release and main branches.
pub fn prepare(session: &Session, request: &HotfixRequest, run_id: &str) -> Result<Plan, Error> {
    session.require_config()?;
    if request.fixes.is_empty() {
        return Err(Error::NoFix);
    }
    let git = &session.git;
    let cfg = &session.config;
    if !git.remote_exists(&cfg.remote)? {
        return Err(Error::MissingRemote {
            remote: cfg.remote.clone(),
        });
    }
    fetch_release_and_main(session)?;
    if cfg.production.tag.is_some() && request.production.is_none() {
        git.fetch_tags(&cfg.remote)?;
    }
    // Source names are URLs and commands; what they said came from outside.
    let production = production::resolve(git, &cfg.production, request.production.as_deref())
        .map(|p| p.redacted(&session.redactor))
        .map_err(|e| e.redacted(&session.redactor))?;
    let release_ref = tracking_ref(&cfg.remote, &cfg.branches.release);
    let main_ref = tracking_ref(&cfg.remote, &cfg.branches.main);
    let mut resolved = git.resolve_commits(&[&release_ref, &main_ref])?.into_iter();
    let mut tip = |key: &'static str, branch: &str| {
        resolved.next().flatten().ok_or_else(|| Error::BranchMissing {
            key,
            name: branch.to_string(),
            remote: cfg.remote.clone(),
        })
    };
    let release_tip = tip("branches.release", &cfg.branches.release)?;
    let main_tip = tip("branches.main", &cfg.branches.main)?;
    let fixes = expand_fixes(git, &request.fixes)?;
    let strategy = strategy::find(&cfg.strategy).expect("the strategy name was validated when the config was read");
    let input = PlanInput {
        git,
        config: cfg,
        production,
        release_tip,
        main_tip,
        fixes: read_fixes(git, &fixes)?,
        mainline: request.mainline,
        operator: session.operator()?,
        run_id: run_id.to_string(),
        resolutions: Vec::new(),
        allow_dependency: request.allow_dependency.as_deref().map(|r| session.redactor.redact(r)),
        production_override: request
            .production_override
            .as_deref()
            .map(|r| session.redactor.redact(r)),
    };
    Ok(strategy.plan(&input)?)
}

/// Turns the fixes as given into the commits to pick, in order: a revision
/// is one commit (a merge stands for the change it merged), a range `A..B`
/// is B's first-parent history since A, oldest first. A commit named twice
/// is picked once, where it first appears.
fn expand_fixes(git: &Git, given: &[String]) -> Result<Vec<Oid>, Error> {
    let is_range = |rev: &str| rev.contains("..") && !rev.contains("...");
    let singles: Vec<&str> = given.iter().map(String::as_str).filter(|r| !is_range(r)).collect();
    let mut resolved = git.resolve_commits(&singles)?.into_iter();
    let mut fixes: Vec<Oid> = Vec::new();
    for rev in given {
        let commits = if is_range(rev) {
            let (from, to) = rev.split_once("..").expect("a range has `..`");
            let (from, to) = (or_head(from), or_head(to));
            let unknown = |r: &str| Error::UnknownFix { rev: r.to_string() };
            git.resolve_commit(from).map_err(|_| unknown(from))?;
            git.resolve_commit(to).map_err(|_| unknown(to))?;
            let commits = git.first_parent_range(from, to)?;
            if commits.is_empty() {
                return Err(Error::EmptyRange { range: rev.clone() });
            }
            commits
        } else {
            vec![resolved
                .next()
                .flatten()
                .ok_or_else(|| Error::UnknownFix { rev: rev.clone() })?]
        };
        for c in commits {
            if !fixes.contains(&c) {
                fixes.push(c);
            }
        }
    }
    Ok(fixes)
}

/// `A..` means `A..HEAD`, as in git.
fn or_head(rev: &str) -> &str {
    if rev.is_empty() {
        "HEAD"
    } else {
        rev
    }
}

/// Fetches the session's release and main branches (a run's session has the
/// run's own) into their remote-tracking refs.
fn fetch_release_and_main(session: &Session) -> Result<(), Error> {
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
fn fetch_branches(session: &Session, branches: &[(&'static str, &str)]) -> Result<(), Error> {
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

/// How a run is started.
#[derive(Clone, Debug)]
pub struct StartOptions {
    pub severity: Severity,
    pub incident: Option<String>,
    /// Allows a severity without a hotfix path (medium).
    pub force: bool,
    /// The operator confirmed the production steps too (release job, deploy).
    pub confirmed: bool,
}

/// Refuses severities the runbooks send to the normal release.
pub fn check_severity(options: &StartOptions) -> Result<(), Error> {
    if options.severity == Severity::Medium && !options.force {
        return Err(Error::MediumSeverity);
    }
    Ok(())
}

/// Creates run `run_id` from a confirmed `plan` and carries it out.
pub fn start(
    session: &Session,
    run_id: &str,
    request: &HotfixRequest,
    plan: Plan,
    options: &StartOptions,
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    check_severity(options)?;
    if !plan.is_safe() {
        return Err(Error::Blocked {
            checks: plan.blocking().count(),
        });
    }
    let store = session.store();
    store.refresh()?;
    if let Some((_, holder)) = store.lock_holder(&session.config.branches.release)? {
        return Err(WorkflowError::ReleaseLocked {
            branch: session.config.branches.release.clone(),
            holder,
        }
        .into());
    }
    let cx = session.context(progress, options.confirmed)?;
    let record = RunRecord {
        run_id: run_id.to_string(),
        strategy: plan.strategy.clone(),
        remote: session.config.remote.clone(),
        release_branch: plan.release_branch.clone(),
        main_branch: plan.main_branch.clone(),
        fixes: plan.picks.iter().map(|p| p.fix.clone()).collect(),
        mainline: request.mainline,
        severity: options.severity,
        incident: options.incident.as_deref().map(|i| session.redactor.redact(i)),
        limit_secs: session.config.limit_for(options.severity).map(|d| d.as_secs()),
        allow_dependency: request.allow_dependency.as_deref().map(|r| session.redactor.redact(r)),
        production_override: request
            .production_override
            .as_deref()
            .map(|r| session.redactor.redact(r)),
        plan,
        // Secret values never reach the journal; the run puts them back
        // from the environment of whoever carries it on.
        config: Some(Box::new(session.redactor.redact_config(&session.config))),
    };
    let created = Entry {
        seq: 0,
        at: cx.operator.time,
        actor: cx.actor.clone(),
        event: Event::RunCreated(Box::new(record)),
    };
    let mut journal = store.create(run_id, vec![created], &cx.operator)?;
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}

/// Picks the run a command means: the one named, else the one holding the
/// release lock, else the newest unfinished run.
fn pick_run(session: &Session, store: &JournalStore<'_>, id: Option<&str>) -> Result<String, Error> {
    if let Some(id) = id {
        return Ok(id.to_string());
    }
    if session.config_found {
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
    Ok(store.load(&id)?)
}

/// How `continue` goes on.
#[derive(Clone, Debug, Default)]
pub struct ResumeOptions {
    /// The escalated decision to go on although a fix depends on unreleased
    /// work: its reason, journaled before anything else.
    pub allow_dependency: Option<String>,
    /// Release moved under the run: restore and re-pick on its new tip.
    pub rebuild: bool,
    /// The operator confirmed the production steps (release job, deploy).
    pub confirmed: bool,
    /// Take this clone's hotfix.toml for the remaining steps (journaled).
    pub replan: bool,
    /// The operator's decision to run this step again although an earlier
    /// attempt was interrupted or never ended (it may have run).
    pub rerun: Option<StepName>,
}

/// Carries on a run from its first unfinished step, from any clone.
pub fn resume(
    session: &Session,
    id: Option<&str>,
    options: ResumeOptions,
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    let mut journal = load_run(session, id)?;
    match journal.run.state() {
        // A crash after the last step left its entries on this clone only:
        // other clones must see the run as it ended.
        RunState::Completed | RunState::Released | RunState::RollbackAwaitingFinish | RunState::RolledBack => {
            let caught_up = journal.unmirrored();
            if caught_up > 0 {
                let on_run = session_for_run(session, &journal.run);
                let silent = execute::Silent;
                let cx = on_run.context(&silent, false)?;
                execute::mirror(&cx, &mut journal)?;
            }
            let idle = Outcome {
                steps_done: 0,
                gate: None,
                caught_up,
            };
            return Ok((journal, idle));
        }
        RunState::Aborted => {
            return Err(WorkflowError::RunFinished {
                id: journal.id.clone(),
                state: RunState::Aborted.as_str(),
            }
            .into())
        }
        RunState::InProgress | RunState::Stopped | RunState::Interrupted => {}
    }
    let record = journal.run.record.clone();
    local_veto(session, &journal.run)?;
    let changed = config_changes(session, &journal.run)?;
    if options.replan && !changed.is_empty() {
        let on_old = session_for_run(session, &journal.run);
        let cx = on_old.context(progress, false)?;
        let config = session.redactor.redact_config(&session.config);
        execute::replace_config(&cx, &mut journal, config, changed)?;
    } else if options.replan {
        session.require_config()?;
        progress.notice("hotfix.toml says what the run's record says: nothing to replan");
    } else if !changed.is_empty() {
        progress.notice(&format!(
            "hotfix.toml differs from the configuration run {} follows in {}; the run follows its record \
             (`git hotfix continue --replan` takes the file, journaled)",
            journal.id,
            changed.join(", ")
        ));
    }
    let on_run = session_for_run(session, &journal.run);
    fetch_release_and_main(&on_run)?;
    if journal.run.next_step().is_some_and(|s| PRODUCTION_STEPS.contains(&s)) || options.confirmed {
        commands_trusted(session, &journal.run)?;
    }
    let cx = on_run.context(progress, options.confirmed)?;
    let tip = on_run
        .git
        .read_ref(&tracking_ref(&record.remote, &record.release_branch))?
        .ok_or_else(|| Error::BranchMissing {
            key: "branches.release",
            name: record.release_branch.clone(),
            remote: record.remote.clone(),
        })?;
    let pushed = match journal.run.phase() {
        Phase::Hotfix => journal.run.release_sha().cloned(),
        Phase::Rollback => None,
    };
    match pushed {
        None if options.rebuild && &tip != journal.run.expected_tip() => {
            execute::rebuild(
                &cx,
                &mut journal,
                tip,
                "release moved; the operator chose to rebuild on the new tip",
            )?;
        }
        // Release moved while the run waited at a gate, before anything of it
        // reached production: say so, and rebuild only when asked.
        Some(pushed) if pushed != tip && !gates::production_touched(&journal.run) => {
            if !options.rebuild {
                return Err(WorkflowError::ReleaseMovedAfterPush {
                    branch: record.release_branch.clone(),
                    expected: pushed,
                    found: Some(tip),
                    production_touched: false,
                }
                .into());
            }
            let reason = format!(
                "release moved from {} (pushed by this run) to {} while the run waited; rebuilt on the new tip, \
                 approvals are asked again",
                pushed.short(),
                tip.short()
            );
            execute::rebuild(&cx, &mut journal, tip, &reason)?;
        }
        _ => {}
    }
    if let Some(reason) = &options.allow_dependency {
        let event = Event::DependencyAllowed {
            reason: session.redactor.redact(reason),
        };
        execute::append_local(&cx, &mut journal, vec![event])?;
    }
    if let Some(step) = options.rerun {
        gates::allow_rerun(&cx, &mut journal, step)?;
    }
    resolve::take(&cx, &mut journal)?;
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}

/// Opens the conflict run `id` stopped at in a worktree of its own.
pub fn resolve(session: &Session, id: Option<&str>, progress: &dyn Progress) -> Result<(Journal, Opened), Error> {
    let (journal, on_run) = open_run(session, id)?;
    fetch_release_and_main(&on_run)?;
    let cx = on_run.context(progress, false)?;
    let opened = resolve::open(&cx, &journal.run)?;
    Ok((journal, opened))
}

/// A session on the run's own configuration, as its record holds it.
fn session_for_run(session: &Session, run: &Run) -> Session {
    let config = run_config(session, run);
    Session {
        git: session.git.clone(),
        redactor: Redactor::from_env(&config.secrets),
        config,
        config_path: session.config_path.clone(),
        config_found: session.config_found,
        ambient: Ambient::from_env(),
        ident: session.ident.clone(),
        stop: session.stop.clone(),
    }
}

/// Returns the top-level keys in which this clone's hotfix.toml differs
/// from the configuration the run follows (none without a hotfix.toml).
/// The remote and the branches define the run: a file that changes them is
/// refused, not replanned.
fn config_changes(session: &Session, run: &Run) -> Result<Vec<String>, Error> {
    if !session.config_found || run.record.config.is_none() {
        return Ok(Vec::new());
    }
    let ours = serde_json::to_value(&session.config).expect("configs serialize: plain data, string keys");
    let theirs = serde_json::to_value(run_config(session, run)).expect("configs serialize: plain data, string keys");
    let (Some(ours), Some(theirs)) = (ours.as_object(), theirs.as_object()) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<String> = keys
        .into_iter()
        .filter(|k| ours.get(*k) != theirs.get(*k))
        .cloned()
        .collect();
    let fixed: Vec<String> = changed
        .iter()
        .filter(|k| matches!(k.as_str(), "remote" | "branches" | "strategy"))
        .cloned()
        .collect();
    if !fixed.is_empty() {
        return Err(WorkflowError::ReplanRefused {
            id: run.id.clone(),
            keys: fixed,
        }
        .into());
    }
    Ok(changed)
}

/// Refuses to run team commands that no trusted configuration names.
///
/// A run's record comes from the remote, which more people can write than
/// release; the commands it records run only when this clone's hotfix.toml,
/// or the hotfix.toml committed on the main branch, has the same ones (or
/// after `continue --replan`, which records this clone's own).
fn commands_trusted(session: &Session, run: &Run) -> Result<(), Error> {
    let config = run_config(session, run);
    let recorded = config.run_commands();
    if recorded.is_empty() || run.record.config.is_none() {
        return Ok(());
    }
    let same = |trusted: &Config| {
        let theirs = trusted.run_commands();
        recorded.len() == theirs.len() && recorded.iter().zip(&theirs).all(|(a, b)| a == b)
    };
    if session.config_found && same(&session.config) {
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
    if committed.as_ref().is_some_and(same) {
        return Ok(());
    }
    let trusted = if session.config_found {
        Some(&session.config)
    } else {
        committed.as_ref()
    };
    let differing: Vec<String> = recorded
        .iter()
        .filter(|(key, command)| {
            trusted.is_none_or(|t| !t.run_commands().iter().any(|(k, c)| k == key && c == command))
        })
        .map(|(key, _)| key.clone())
        .collect();
    Err(WorkflowError::UntrustedCommands {
        id: run.id.clone(),
        keys: if differing.is_empty() {
            recorded.iter().map(|(k, _)| k.clone()).collect()
        } else {
            differing
        },
        have_config: session.config_found,
    }
    .into())
}

/// Returns the configuration the run follows, its masked secrets put back
/// from this environment.
fn run_config(session: &Session, run: &Run) -> Config {
    let config = run.config(&session.config);
    let redactor = Redactor::from_env(&config.secrets);
    redactor.restore_config(&config)
}

/// Refuses to go on when this clone's hotfix.toml forbids the release job
/// the run is about to run: the run follows its record, but a clone's own
/// config may veto, never add.
fn local_veto(session: &Session, run: &Run) -> Result<(), Error> {
    let pending = run.steps().contains(&StepName::ReleaseAction) && run.done(StepName::ReleaseAction).is_none();
    let forbidden = session
        .config
        .release
        .as_ref()
        .filter(|_| session.config_found && pending)
        .and_then(|r| r.forbidden().map(|f| (r.action.clone(), f.to_string())));
    match forbidden {
        Some((action, forbidden)) => Err(WorkflowError::ForbiddenAction { action, forbidden }.into()),
        None => Ok(()),
    }
}

/// Loads a run that is not finished, with a session on its own remote and branches.
fn open_run(session: &Session, id: Option<&str>) -> Result<(Journal, Session), Error> {
    let journal = load_run(session, id)?;
    let on_run = unfinished(session, &journal)?;
    Ok((journal, on_run))
}

/// Refuses a finished run; returns a session on the run's remote and branches.
fn unfinished(session: &Session, journal: &Journal) -> Result<Session, Error> {
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

/// Records the operator's approval of the pushed release in `role`.
pub fn approve(session: &Session, id: Option<&str>, role: &str) -> Result<(Journal, crate::journal::Approval), Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    let approval = gates::approve(&cx, &mut journal, role)?;
    Ok((journal, approval))
}

/// Records a person's word for an evidence item no step of the run proves.
pub fn attest(session: &Session, id: Option<&str>, item: &str, detail: &str) -> Result<Journal, Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    gates::attest(&cx, &mut journal, item, detail)?;
    Ok(journal)
}

/// What `rollback` would do, shown before the operator confirms it.
#[derive(Clone, Debug)]
pub struct RollbackPreview {
    pub run_id: String,
    pub state: RunState,
    /// The production commit whose tree release gets again.
    pub production: Oid,
    /// What the remote release holds now.
    pub release_now: Option<Oid>,
    /// The steps the rollback runs, in order.
    pub steps: Vec<StepName>,
}

/// Loads the run a rollback means and checks that it can be rolled back;
/// changes nothing.
pub fn rollback_preview(session: &Session, id: Option<&str>) -> Result<(Journal, RollbackPreview), Error> {
    let journal = load_run(session, id)?;
    refuse_rollback(&journal)?;
    let run = &journal.run;
    let state = run.state();
    let on_run = session_for_run(session, run);
    let release_ref = format!("refs/heads/{}", run.record.release_branch);
    let release_now = on_run.git.remote_ref(&run.record.remote, &release_ref)?;
    let steps = run.steps_of(Phase::Rollback);
    let preview = RollbackPreview {
        run_id: journal.id.clone(),
        state,
        production: run.record.plan.production.commit.clone(),
        release_now,
        steps,
    };
    Ok((journal, preview))
}

/// Refuses a rollback of a run already rolled back, or of one in progress
/// that never pushed release (`abort` stops that).
fn refuse_rollback(journal: &Journal) -> Result<(), Error> {
    let run = &journal.run;
    let state = run.state();
    match (run.phase(), state) {
        (Phase::Rollback, RunState::RolledBack) => Err(WorkflowError::RunFinished {
            id: journal.id.clone(),
            state: state.as_str(),
        }
        .into()),
        (Phase::Hotfix, RunState::InProgress | RunState::Stopped) if run.done(StepName::PushRelease).is_none() => {
            Err(WorkflowError::NotPushed {
                id: journal.id.clone(),
                what: "roll back (`git hotfix abort` stops it)",
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// Rolls production back to the run's recorded production commit: restore
/// release again, then the release job, deploy, verification and smoke
/// checks. Works on runs in progress, finished or aborted, as long as the
/// run recorded production: the way back never depends on how the run ended.
pub fn rollback(
    session: &Session,
    id: Option<&str>,
    reason: &str,
    progress: &dyn Progress,
) -> Result<(Journal, Outcome), Error> {
    // Loaded again, not taken from the preview: the operator may have
    // answered its question minutes later.
    let mut journal = load_run(session, id)?;
    refuse_rollback(&journal)?;
    let on_run = session_for_run(session, &journal.run);
    fetch_release_and_main(&on_run)?;
    commands_trusted(session, &journal.run)?;
    let cx = on_run.context(progress, true)?;
    if journal.run.phase() == Phase::Hotfix {
        gates::start_rollback(&cx, &mut journal, reason)?;
    }
    let outcome = execute::run_steps(&cx, &mut journal)?;
    Ok((journal, outcome))
}

/// Closes a run whose steps are all done and whose evidence is complete,
/// giving the release lock back.
///
/// Inside the monitoring window it refuses unless `force`: production is
/// still being watched.
pub fn finish(session: &Session, id: Option<&str>, force: bool) -> Result<(Journal, Vec<EvidenceItem>), Error> {
    let mut journal = load_run(session, id)?;
    // Finishing twice (say, after a crash right after the push) is a no-op.
    if let Some((
        _,
        Entry {
            event: Event::Finished { items, .. },
            ..
        },
    )) = journal.run.entries.last()
    {
        let items = items.clone();
        return Ok((journal, items));
    }
    let on_run = unfinished(session, &journal)?;
    let run = &journal.run;
    if let Some(next) = run.next_step() {
        return Err(WorkflowError::StepsRemain {
            id: journal.id.clone(),
            next,
        }
        .into());
    }
    if let Some(until) = run.monitor_until().filter(|u| *u > session.ambient.now() && !force) {
        if run.phase() == Phase::Hotfix {
            return Err(WorkflowError::MonitoringWindow {
                id: journal.id.clone(),
                until,
                left_secs: until - session.ambient.now(),
            }
            .into());
        }
    }
    let items = report::evidence_items(run, &on_run.config);
    let missing: Vec<EvidenceItem> = items
        .iter()
        .filter(|i| i.status == crate::journal::ItemStatus::Missing)
        .cloned()
        .collect();
    // A rolled-back hotfix never reached its later items; the rollback's own
    // steps are its evidence.
    if !missing.is_empty() && run.phase() == Phase::Hotfix {
        return Err(WorkflowError::EvidenceMissing { missing }.into());
    }
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    execute::finish(&cx, &mut journal, items.clone())?;
    Ok((journal, items))
}

/// What `guard` found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GuardVerdict {
    pub branch: String,
    pub action: String,
    /// The run holding the branch's lock, if one does.
    pub locked_by: Option<String>,
    pub allowed: bool,
    pub reason: String,
}

/// Says whether a pipeline action may run on `branch` now: while a hotfix
/// holds the branch's lock only the run's own release job may.
pub fn guard(session: &Session, action: &str, branch: Option<&str>) -> Result<GuardVerdict, Error> {
    session.require_config()?;
    let branch = branch.unwrap_or(&session.config.branches.release).to_string();
    let lock_ref = JournalStore::lock_ref(&branch);
    let remote = &session.config.remote;
    let locked_by = match session.git.remote_ref(remote, &lock_ref)? {
        Some(_) => {
            let store = session.store();
            store.refresh()?;
            Some(
                store
                    .lock_holder(&branch)?
                    .map_or_else(|| "(unknown run)".into(), |(_, id)| id),
            )
        }
        None => None,
    };
    let own_job = session
        .config
        .release
        .as_ref()
        .filter(|r| r.forbidden().is_none())
        .is_some_and(|r| r.action == action);
    let (allowed, reason) = match &locked_by {
        None => (true, format!("no hotfix holds {branch}")),
        Some(run) if own_job => (
            true,
            format!("`{action}` is the hotfix's own release job (run {run} holds {branch})"),
        ),
        Some(run) => (
            false,
            format!("hotfix run {run} holds {branch}; `{action}` could drag unreleased work into it"),
        ),
    };
    Ok(GuardVerdict {
        branch,
        action: action.to_string(),
        locked_by,
        allowed,
        reason,
    })
}

/// Returns the incident record of a run.
pub fn report(session: &Session, id: Option<&str>) -> Result<IncidentReport, Error> {
    let journal = load_run(session, id)?;
    let config = run_config(session, &journal.run);
    Ok(report::build(&journal.run, &config, session.ambient.now()))
}

/// Stops a run for good and gives its lock back.
pub fn abort(session: &Session, id: Option<&str>, reason: &str) -> Result<Journal, Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    execute::abort(&cx, &mut journal, reason)?;
    Ok(journal)
}

/// A run as `status` shows it.
pub struct RunStatus {
    pub run: Run,
    /// True when the remote's lock on release names this run.
    pub holds_lock: bool,
    pub now: i64,
    /// The `[approvals]` roles, and those still without a valid approval.
    pub roles: Vec<String>,
    pub missing_roles: Vec<String>,
}

impl RunStatus {
    /// Seconds from the run's start to its end, or to now.
    pub fn elapsed(&self) -> i64 {
        self.run.ended_at().unwrap_or(self.now) - self.run.started_at()
    }

    /// Seconds left of the severity's limit (negative when over).
    pub fn remaining(&self) -> Option<i64> {
        self.run.record.limit_secs.map(|l| l as i64 - self.elapsed())
    }
}

/// Returns where a run stands.
pub fn status(session: &Session, id: Option<&str>) -> Result<RunStatus, Error> {
    let journal = load_run(session, id)?;
    let store = session.store();
    let holds_lock = store
        .lock_holder(&journal.run.record.release_branch)?
        .is_some_and(|(value, _)| &value == journal.lock_value());
    let roles = run_config(session, &journal.run).approvals.roles;
    let missing_roles = gates::missing_roles(&roles, &journal.run);
    Ok(RunStatus {
        run: journal.run,
        holds_lock,
        now: session.ambient.now(),
        roles,
        missing_roles,
    })
}

/// One line of `log`.
pub struct RunSummary {
    pub id: String,
    pub state: RunState,
    pub started_at: i64,
    pub started_by: String,
    pub release_branch: String,
    pub fixes: Vec<Oid>,
    pub severity: Severity,
}

/// Lists every run this clone or the remote knows, newest first.
pub fn runs(session: &Session) -> Result<Vec<RunSummary>, Error> {
    let store = session.store();
    store.refresh()?;
    let mut out = Vec::new();
    for id in store.list_runs()?.iter().rev() {
        let run = store.load(id)?.run;
        out.push(RunSummary {
            id: id.clone(),
            state: run.state(),
            started_at: run.started_at(),
            started_by: run.entries[0].1.actor.ident.clone(),
            release_branch: run.record.release_branch.clone(),
            fixes: run.record.fixes.clone(),
            severity: run.record.severity,
        });
    }
    Ok(out)
}

/// Writes a commented `hotfix.toml` for the repository at `dir`, with branch
/// names detected from the remote-tracking refs. Returns where it was written.
pub fn init(dir: &Path, remote: &str, force: bool) -> Result<PathBuf, Error> {
    let git = Git::open(dir)?;
    let root = git.work_tree().unwrap_or(git.git_dir()).to_path_buf();
    let path = root.join(config::FILE_NAME);
    if path.exists() && !force {
        return Err(Error::ConfigExists { path });
    }
    let prefix = tracking_ref(remote, "");
    let mut names: Vec<String> = git
        .list_refs(&prefix)?
        .into_iter()
        .map(|(n, _)| n.trim_start_matches(&prefix).to_string())
        .collect();
    if names.is_empty() {
        names = git
            .list_refs("refs/heads/")?
            .into_iter()
            .map(|(n, _)| n.trim_start_matches("refs/heads/").to_string())
            .collect();
    }
    let first = |candidates: &[&str]| {
        candidates
            .iter()
            .find(|c| names.iter().any(|n| n == *c))
            .map(|c| c.to_string())
    };
    let main = first(&["main", "master", "trunk"]).unwrap_or_else(|| "main".into());
    let release = first(&["release", "production", "prod", "stable"]).unwrap_or_else(|| "release".into());
    let develop = first(&["develop", "dev", "development"]);
    let text = config::template(&main, &release, develop.as_deref(), remote);
    Config::parse(&text, &path)?;
    std::fs::write(&path, text).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
