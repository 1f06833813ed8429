//! The `report --incident` operation: one record of an incident whose
//! hotfixes ran in several repositories.
//!
//! Runs in different repositories that were started with the same
//! `--incident` form one hotfix. Each repository's journals are read as
//! `report` reads one run's (fetched from its remote, else this clone's copy,
//! with a notice), and every run whose incident matches is gathered: which
//! repositories and services changed, each run's evidence, and one timeline
//! merged across them in time order.
//!
//! Which runs match the id given ([`IncidentId::matches`]):
//! - the run's incident is exactly the id (`INC-42`);
//! - the id is a number and the run's incident is a forge page whose last
//!   path segment is that number (`7` matches `https://gitlab.example/g/p/-/issues/7`),
//!   as `start --incident 7` records it with a `[forge]`;
//! - the id is a page's URL and the run's incident is that URL (a trailing
//!   `/`, query or fragment aside).
//!
//! A page's URL never matches a bare number: `7` alone does not say whose
//! issue 7 it was.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Config;
use crate::journal::{ItemStatus, JournalError, Phase, Run, RunState};
use crate::report::{self, Target, TimelineEntry};
use crate::Error;

use super::run::run_config;
use super::Session;

/// Errors gathering the record of an incident across repositories.
#[derive(Debug, thiserror::Error)]
pub enum IncidentReportError {
    #[error("`{}` is not a git repository (a repository of incident `{incident}`)", .path.display())]
    NotARepository { path: PathBuf, incident: String },
    #[error("repository `{}`: {source}", .path.display())]
    Repository {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },
}

/// The incident id a record across repositories is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentId(String);

/// How a run's incident matched the id asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    /// The same text.
    Exact,
    /// The id is the number ending the run's incident page.
    PageNumber,
    /// The same page, but for a trailing `/`, query or fragment.
    Page,
}

impl IncidentId {
    pub fn new(id: &str) -> IncidentId {
        IncidentId(id.trim().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns how `recorded` (a run's `record.incident`) matches this id, if it does.
    pub fn matches(&self, recorded: &str) -> Option<Match> {
        let (id, recorded) = (self.0.as_str(), recorded.trim());
        if id.is_empty() {
            return None;
        }
        if id == recorded {
            return Some(Match::Exact);
        }
        let page = |s: &str| {
            let s = s.split(['#', '?']).next().unwrap_or(s);
            (s.starts_with("https://") || s.starts_with("http://")).then(|| s.trim_end_matches('/').to_string())
        };
        let recorded_page = page(recorded)?;
        if id.bytes().all(|b| b.is_ascii_digit()) {
            let last = recorded_page.rsplit('/').next().unwrap_or_default();
            return (last.trim_start_matches('0') == id.trim_start_matches('0')).then_some(Match::PageNumber);
        }
        (page(id).as_deref() == Some(recorded_page.as_str())).then_some(Match::Page)
    }
}

/// Whether the incident's hotfixes are over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentState {
    /// No repository has a run of the incident.
    NoRuns,
    /// A run is not finished yet (a rollback that has not finished either):
    /// the record is not final.
    SomeOpen,
    /// Every run is finished, and at least one was rolled back.
    SomeRolledBack,
    /// Every run is finished and none was rolled back (aborted runs count as finished).
    AllCompleted,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::NoRuns => "no runs",
            IncidentState::SomeOpen => "some open",
            IncidentState::SomeRolledBack => "some rolled back",
            IncidentState::AllCompleted => "all completed",
        }
    }

    fn of(runs: &[&Run]) -> IncidentState {
        if runs.is_empty() {
            IncidentState::NoRuns
        } else if runs.iter().any(|r| !r.state().is_finished()) {
            IncidentState::SomeOpen
        } else if runs.iter().any(|r| r.phase() == Phase::Rollback) {
            IncidentState::SomeRolledBack
        } else {
            IncidentState::AllCompleted
        }
    }
}

/// The record of one incident across repositories.
#[derive(Clone, Debug, Serialize)]
pub struct CombinedReport {
    /// The id asked for.
    pub incident: String,
    pub state: IncidentState,
    /// Every repository read, the current one first, with its matching runs.
    pub repositories: Vec<RepositoryRuns>,
    /// Every service of every matching run, tagged with its repository and run.
    pub targets: Vec<CombinedTarget>,
    /// Every entry of every matching run, oldest first.
    pub timeline: Vec<CombinedTimelineEntry>,
    /// Each run's evidence, counted.
    pub evidence: Vec<RunEvidence>,
    /// What the record could not learn or left out: a remote that did not
    /// answer, a repository with no run of the incident.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

impl CombinedReport {
    /// Returns the number of runs gathered.
    pub fn run_count(&self) -> usize {
        self.repositories.iter().map(|r| r.runs.len()).sum()
    }

    /// Returns the number of services the runs changed.
    pub fn services_changed(&self) -> usize {
        self.targets.iter().filter(|t| t.target.changed).count()
    }
}

/// One repository and its runs of the incident.
#[derive(Clone, Debug, Serialize)]
pub struct RepositoryRuns {
    /// The repository as given (`../api`), which the other fields name it by.
    pub path: String,
    /// Its checkout's root.
    pub root: PathBuf,
    /// The remote its journals are read from, and where that is.
    pub remote: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
    /// Why this is this clone's copy of the journals: the remote did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
    pub runs: Vec<IncidentRun>,
}

/// One run of the incident.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentRun {
    pub run_id: String,
    /// The run's incident as recorded, and how it matched.
    pub incident: String,
    pub matched: Match,
    pub state: RunState,
    pub strategy: String,
    pub release_branch: String,
    pub production_before: String,
    pub release_commit: Option<String>,
    pub services_changed: Vec<String>,
    pub started_at: String,
    pub started_by: String,
    pub ended_at: Option<String>,
}

/// A row of a run's table of targets, with whose it is.
#[derive(Clone, Debug, Serialize)]
pub struct CombinedTarget {
    pub repository: String,
    pub run_id: String,
    #[serde(flatten)]
    pub target: Target,
}

/// An entry of a run's timeline, with whose it is.
#[derive(Clone, Debug, Serialize)]
pub struct CombinedTimelineEntry {
    pub repository: String,
    pub run_id: String,
    #[serde(flatten)]
    pub entry: TimelineEntry,
}

/// A run's evidence, counted.
#[derive(Clone, Debug, Serialize)]
pub struct RunEvidence {
    pub repository: String,
    pub run_id: String,
    pub ok: usize,
    pub missing: usize,
    pub failed: usize,
    /// The ids of the items missing (`deploy-verified`).
    pub missing_ids: Vec<String>,
    pub failed_ids: Vec<String>,
}

/// Returns the repositories `[incident] repositories` of `session`'s
/// hotfix.toml names, each with the path it is read from (relative to the
/// repository's root).
pub fn incident_repositories(session: &Session) -> Vec<(String, PathBuf)> {
    let root = session.git.work_tree().unwrap_or(session.git.git_dir());
    session
        .config
        .incident
        .iter()
        .flat_map(|i| &i.repositories)
        .map(|r| (r.clone(), root.join(r)))
        .collect()
}

/// Gathers every run of `incident` in the repository of `current` and in
/// each of `others` (each as given, and the path it is opened at).
///
/// A repository with no run of the incident is listed with none, and a
/// notice; one that is not a git repository is an error naming it.
pub fn incident_report(
    current: &Session,
    incident: &str,
    others: &[(String, PathBuf)],
) -> Result<CombinedReport, IncidentReportError> {
    let id = IncidentId::new(incident);
    let mut opened: Vec<(String, Session)> = Vec::new();
    for (given, path) in others {
        let session = Session::open(path, None).map_err(|e| match e {
            Error::Git(crate::git::GitError::NotARepository { .. }) => IncidentReportError::NotARepository {
                path: PathBuf::from(given),
                incident: id.as_str().to_string(),
            },
            source => IncidentReportError::Repository {
                path: PathBuf::from(given),
                source: Box::new(source),
            },
        })?;
        opened.push((given.clone(), session));
    }
    let current_root = root_of(current);
    let mut notices = Vec::new();
    if others.is_empty() {
        notices.push(
            "only this repository was read: name the others with `--repo PATH` or `[incident] repositories` in \
             hotfix.toml"
                .to_string(),
        );
    }
    let mut read: Vec<(String, Gathered<'_>)> = Vec::new();
    let sessions = std::iter::once((".".to_string(), current)).chain(opened.iter().map(|(g, s)| (g.clone(), s)));
    let mut roots: Vec<PathBuf> = Vec::new();
    for (given, session) in sessions {
        let root = root_of(session);
        if roots.contains(&root) {
            notices.push(format!(
                "`{given}` is {} again, read once",
                if root == current_root {
                    "this repository".to_string()
                } else {
                    format!("`{}`", root.display())
                }
            ));
            continue;
        }
        roots.push(root);
        let gathered = gather(session, &id).map_err(|source| IncidentReportError::Repository {
            path: PathBuf::from(&given),
            source: Box::new(source),
        })?;
        notices.extend(gathered.notices.iter().map(|n| format!("`{given}`: {n}")));
        if gathered.runs.is_empty() {
            notices.push(format!("`{given}` has no run of incident `{}`", id.as_str()));
        }
        read.push((given, gathered));
    }
    Ok(combine(&id, read, notices))
}

/// A repository's runs of the incident, as read.
struct Gathered<'s> {
    session: &'s Session,
    offline: Option<String>,
    runs: Vec<(Run, Config, Match)>,
    notices: Vec<String>,
}

fn root_of(session: &Session) -> PathBuf {
    let root = session.git.work_tree().unwrap_or(session.git.git_dir());
    root.canonicalize().unwrap_or_else(|_| root.to_path_buf())
}

/// Reads `session`'s journals (the remote's, else this clone's copy) and
/// keeps the runs of `id`.
fn gather<'s>(session: &'s Session, id: &IncidentId) -> Result<Gathered<'s>, Error> {
    let store = session.store();
    let offline = match store.refresh() {
        Ok(()) => None,
        Err(JournalError::Git(e)) => Some(format!(
            "the remote `{}` did not answer ({}): this is this clone's copy of the journals, as of its last fetch",
            session.config.remote,
            e.to_string().lines().next().unwrap_or_default()
        )),
        Err(e) => return Err(e.into()),
    };
    let mut runs = Vec::new();
    let mut notices = Vec::new();
    for run_id in store.list_runs()? {
        let mut journal = match store.load(&run_id) {
            Ok(journal) => journal,
            // One unreadable run must not hide the others; it is named.
            Err(e) => {
                notices.push(format!("run {run_id} could not be read, and is left out: {e}"));
                continue;
            }
        };
        let Some(matched) = journal.run.record.incident.as_deref().and_then(|i| id.matches(i)) else {
            continue;
        };
        journal.run.give_v0_parameters(&session.config);
        let config = run_config(session, &journal.run);
        runs.push((journal.run, config, matched));
    }
    runs.sort_by_key(|(run, _, _)| (run.started_at(), run.id.clone()));
    Ok(Gathered {
        session,
        offline,
        runs,
        notices,
    })
}

fn combine(id: &IncidentId, read: Vec<(String, Gathered<'_>)>, notices: Vec<String>) -> CombinedReport {
    let mut repositories = Vec::new();
    let mut targets = Vec::new();
    let mut timeline = Vec::new();
    let mut evidence = Vec::new();
    let mut all_runs: Vec<&Run> = Vec::new();
    for (given, gathered) in &read {
        let session = gathered.session;
        let mut runs = Vec::new();
        for (run, config, matched) in &gathered.runs {
            all_runs.push(run);
            let rows = report::targets_or_run(run, config);
            runs.push(incident_run(run, *matched, &rows));
            targets.extend(rows.into_iter().map(|target| CombinedTarget {
                repository: given.clone(),
                run_id: run.id.clone(),
                target,
            }));
            timeline.extend(run.entries.iter().map(|(_, e)| CombinedTimelineEntry {
                repository: given.clone(),
                run_id: run.id.clone(),
                entry: TimelineEntry {
                    at: e.at,
                    time: crate::ambient::format_utc(e.at),
                    actor: e.actor.ident.clone(),
                    what: e.event.summary(),
                    event: e.event.clone(),
                },
            }));
            evidence.push(run_evidence(given, run, config));
        }
        let remote = session.config.remote.clone();
        let remote_url = session
            .git
            .run(&["remote", "get-url", "--", &remote])
            .ok()
            .map(|u| u.trim().to_string());
        repositories.push(RepositoryRuns {
            path: given.clone(),
            root: root_of(session),
            remote,
            remote_url,
            offline: gathered.offline.clone(),
            runs,
        });
    }
    // Stable: entries at the same second keep their repository's and run's order.
    timeline.sort_by_key(|t| t.entry.at);
    CombinedReport {
        incident: id.as_str().to_string(),
        state: IncidentState::of(&all_runs),
        repositories,
        targets,
        timeline,
        evidence,
        notices,
    }
}

fn incident_run(run: &Run, matched: Match, targets: &[Target]) -> IncidentRun {
    let record = &run.record;
    let pushed = targets.iter().any(|t| t.changed);
    IncidentRun {
        run_id: run.id.clone(),
        incident: record.incident.clone().unwrap_or_default(),
        matched,
        state: run.state(),
        strategy: record.strategy.clone(),
        release_branch: record.release_branch.clone(),
        production_before: record.plan.production.commit.to_string(),
        release_commit: pushed.then(|| run.release_sha().map(|c| c.to_string())).flatten(),
        services_changed: targets
            .iter()
            .filter(|t| t.changed)
            .map(|t| t.service.clone())
            .collect(),
        started_at: crate::ambient::format_utc(run.started_at()),
        started_by: run.entries[0].1.actor.ident.clone(),
        ended_at: run.ended_at().map(crate::ambient::format_utc),
    }
}

fn run_evidence(repository: &str, run: &Run, config: &Config) -> RunEvidence {
    let items = report::evidence_items(run, config);
    let ids = |status: ItemStatus| {
        items
            .iter()
            .filter(|i| i.status == status)
            .map(|i| i.id.clone())
            .collect::<Vec<_>>()
    };
    RunEvidence {
        repository: repository.to_string(),
        run_id: run.id.clone(),
        ok: items.iter().filter(|i| i.status == ItemStatus::Ok).count(),
        missing: ids(ItemStatus::Missing).len(),
        failed: ids(ItemStatus::Failed).len(),
        missing_ids: ids(ItemStatus::Missing),
        failed_ids: ids(ItemStatus::Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::{IncidentId, Match};

    #[test]
    fn an_id_matches_its_text_its_page_number_or_its_page() {
        let page = "https://gitlab.example/group/proj/-/issues/7";
        let cases: [(&str, &str, Option<Match>); 9] = [
            ("INC-42", "INC-42", Some(Match::Exact)),
            ("INC-42", "INC-421", None),
            ("inc-42", "INC-42", None),
            ("7", page, Some(Match::PageNumber)),
            ("17", page, None),
            ("7", "https://gitlab.example/group/proj/-/issues/17", None),
            ("https://gitlab.example/group/proj/-/issues/7/", page, Some(Match::Page)),
            (page, "7", None),
            ("", "", None),
        ];
        for (id, recorded, want) in cases {
            assert_eq!(IncidentId::new(id).matches(recorded), want, "{id} against {recorded}");
        }
    }
}
