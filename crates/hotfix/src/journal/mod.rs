//! The run journal: an append-only, hash-chained record of every step and its
//! evidence, kept as a chain of git commits.
//!
//! Each entry is one commit whose message holds the entry as JSON and whose
//! parent is the previous entry, so git's object hashing is the hash chain:
//! changing any past entry changes the head id. Locally the chain lives at
//! `refs/hotfix/runs/<id>` (objects and ref written with `core.fsync`); it is
//! mirrored to the same ref on the remote by compare-and-swap pushes, so any
//! clone can read and continue the run. The remote's copy is fetched into
//! `refs/hotfix-remote/<remote>/...`.
//!
//! History is append-only. The remote's runs are fetched into
//! `refs/hotfix-remote/<remote>/offered/runs/<id>`, and the remote-tracking
//! `refs/hotfix-remote/<remote>/runs/<id>` (the history this clone has seen)
//! only moves to an offered head that extends it. An offered head that does
//! not (a chain rewritten, truncated or replaced by a commit that is no entry)
//! is left where it is, and loading the run stops with
//! [`JournalError::Diverged`]; neither this clone's journal nor what it saw
//! is overwritten.
//!
//! The lock on a release branch is the remote ref `refs/hotfix/locks/<branch>`,
//! pointing at the first entry of the run that holds it. It is created with
//! `--force-with-lease=<ref>:` (must not exist) in the same atomic push that
//! publishes the run, so a run exists on the remote if and only if it took the lock.

mod run;

pub use crate::record::entry::{
    person_of, Actor, Approval, BuiltPick, Entry, Event, Evidence, EvidenceItem, ItemStatus, RunRecord, SmokeResult,
    Verification,
};
pub use run::{OpenAttempt, Phase, Run, RunState};

use crate::git::{Git, GitError, NewCommit, Oid, RefUpdate, Signature};

/// Where runs live, locally and on the remote.
pub const RUNS_PREFIX: &str = "refs/hotfix/runs/";
/// Where locks live on the remote.
pub const LOCKS_PREFIX: &str = "refs/hotfix/locks/";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("no hotfix run `{id}` here or on the remote")]
    RunNotFound { id: String },
    #[error("no hotfix runs found here or on the remote")]
    NoRuns,
    #[error("journal entry {commit} of run `{id}` cannot be read: {detail}")]
    Corrupt { id: String, commit: Oid, detail: String },
    #[error(
        "the journal of run `{id}` moved on the remote while this command ran (another operator is working on it)"
    )]
    Contended { id: String },
    /// The remote's journal does not extend the chain this clone has seen:
    /// rewritten, truncated, or a commit that is no journal entry.
    #[error(
        "the remote's journal of run `{id}` does not extend the one this clone has (rewritten, truncated or \
         not a journal entry); this clone's copy is kept"
    )]
    Diverged { id: String, local: Oid, remote: Oid },
    /// The remote no longer has a run this clone saw there.
    #[error("run `{id}` is no longer on the remote, though this clone saw it there; this clone's copy is kept")]
    Vanished { id: String, local: Oid },
    /// A decision entry had to be signed (the team names allowed signers)
    /// and the user's git could not sign it.
    #[error(
        "entry `{event}` of run `{id}` must be signed because `[approvals] allowed_signers` is set, but git could \
         not sign it: {reason}"
    )]
    SigningFailed { id: String, event: String, reason: String },
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Reads and writes journals of one remote.
pub struct JournalStore<'a> {
    git: &'a Git,
    remote: String,
    /// Signs the entries that carry decisions ([`Event::is_decision`]).
    sign_decisions: bool,
}

impl<'a> JournalStore<'a> {
    pub fn new(git: &'a Git, remote: &str) -> Self {
        JournalStore {
            git,
            remote: remote.to_string(),
            sign_decisions: false,
        }
    }

    /// Signs the entries this store writes that carry decisions, with the
    /// user's git signing configuration: on when the team names allowed
    /// signers (`[approvals] allowed_signers`).
    pub fn signing(mut self, on: bool) -> Self {
        self.sign_decisions = on;
        self
    }

    pub fn run_ref(id: &str) -> String {
        format!("{RUNS_PREFIX}{id}")
    }

    pub fn lock_ref(branch: &str) -> String {
        format!("{LOCKS_PREFIX}{branch}")
    }

    fn tracking_prefix(&self) -> String {
        format!(
            "refs/hotfix-remote/{}/",
            crate::git::refname::remote_component(&self.remote)
        )
    }

    fn tracking(&self, remote_ref: &str) -> String {
        let rest = remote_ref.strip_prefix("refs/hotfix/").unwrap_or(remote_ref);
        format!("{}{rest}", self.tracking_prefix())
    }

    /// Where the remote's runs are fetched to, before they are accepted.
    fn offered(&self, id: &str) -> String {
        format!("{}offered/runs/{id}", self.tracking_prefix())
    }

    /// Fetches every run and lock from the remote: locks into the tracking
    /// namespace, runs into the offered one, and moves the tracking ref of
    /// each run whose offered head extends what this clone has seen.
    pub fn refresh(&self) -> Result<(), JournalError> {
        self.fetch_with(&[])?;
        self.accept_offered()
    }

    /// Fetches the remote's runs and locks as [`refresh`](Self::refresh)
    /// does, and `refspecs` (the branches a plan reads) in the same fetch;
    /// [`accept_offered`](Self::accept_offered) then finishes the refresh.
    pub fn fetch_with(&self, refspecs: &[String]) -> Result<(), JournalError> {
        let prefix = self.tracking_prefix();
        let locks = format!("+{LOCKS_PREFIX}*:{prefix}locks/*");
        let runs = format!("+{RUNS_PREFIX}*:{prefix}offered/runs/*");
        let fetch = || {
            let mut args = vec![
                "fetch",
                "--no-write-fetch-head",
                "--no-tags",
                "--quiet",
                "--no-recurse-submodules",
                "--prune",
                "--",
                &self.remote,
                &locks,
                &runs,
            ];
            args.extend(refspecs.iter().map(String::as_str));
            self.git.run(&args)
        };
        match fetch() {
            Ok(_) => {}
            // A git-hotfix killed mid-fetch leaves a lock that fails every later fetch.
            Err(_) if self.git.clear_stale_ref_locks(&prefix)? > 0 => drop(fetch()?),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Moves the tracking ref of each run whose offered head (as fetched)
    /// extends what this clone has seen.
    pub fn accept_offered(&self) -> Result<(), JournalError> {
        let prefix = self.tracking_prefix();
        let offered_prefix = format!("{prefix}offered/runs/");
        for (name, offered) in self.git.list_refs(&offered_prefix)? {
            let id = name.trim_start_matches(&offered_prefix);
            let tracking = format!("{prefix}runs/{id}");
            let seen = self.git.read_ref(&tracking)?;
            if seen.as_ref() != Some(&offered) && self.extends(id, seen.as_ref(), &offered)? {
                self.git.update_ref(
                    &tracking,
                    &offered,
                    seen.as_ref(),
                    "hotfix: remote run extends the one seen",
                )?;
            }
        }
        Ok(())
    }

    /// Returns true when `offered`, the remote's head of run `id`, extends
    /// the history this clone has: what it saw on the remote (`seen`), else
    /// its own journal, which the remote may lack unpushed entries of.
    fn extends(&self, id: &str, seen: Option<&Oid>, offered: &Oid) -> Result<bool, JournalError> {
        let local = self.git.read_ref(&Self::run_ref(id))?;
        let descends = |base: &Oid| -> Result<bool, JournalError> {
            // An entry's only parent is an entry: a commit that is no entry
            // cannot be the head of a chain this clone has.
            Ok(self.git.is_ancestor(base, offered)? && self.read_entry(id, offered).is_ok())
        };
        match (seen, local) {
            (Some(seen), _) => descends(seen),
            // Never seen on the remote, but held here: the remote's head
            // carries this clone's journal on, or lacks its unpushed entries.
            (None, Some(local)) => Ok(descends(&local)? || self.git.is_ancestor(offered, &local)?),
            // A run this clone never saw is adopted as the remote has it.
            (None, None) => Ok(true),
        }
    }

    /// Notes that the remote accepted `head` as run `id`'s journal, so that
    /// the history this clone saw includes it.
    pub fn mark_pushed(&self, id: &str, head: &Oid) -> Result<(), JournalError> {
        self.move_refs(&self.pushed_moves(id, head)?, head, "hotfix: pushed run")
    }

    /// Returns the refs that say what the remote holds of run `id`, each
    /// with its value, that do not say `head` yet.
    fn pushed_moves(&self, id: &str, head: &Oid) -> Result<Vec<(String, Option<Oid>)>, JournalError> {
        let mut moves = Vec::new();
        for name in [self.tracking(&Self::run_ref(id)), self.offered(id)] {
            let old = self.git.read_ref(&name)?;
            if old.as_ref() != Some(head) {
                moves.push((name, old));
            }
        }
        Ok(moves)
    }

    /// Moves each of `moves` (a ref and the value it holds) to `head` in one transaction.
    fn move_refs(&self, moves: &[(String, Option<Oid>)], head: &Oid, reason: &str) -> Result<(), JournalError> {
        if moves.is_empty() {
            return Ok(());
        }
        let updates: Vec<(&str, &Oid, Option<&Oid>)> = moves
            .iter()
            .map(|(name, old)| (name.as_str(), head, old.as_ref()))
            .collect();
        Ok(self.git.update_refs(&updates, reason)?)
    }

    /// Returns the remote's lock on `branch` as last fetched: the lock value
    /// and the id of the run holding it.
    pub fn lock_holder(&self, branch: &str) -> Result<Option<(Oid, String)>, JournalError> {
        let Some(value) = self.git.read_ref(&self.tracking(&Self::lock_ref(branch)))? else {
            return Ok(None);
        };
        let entry = self.read_entry("lock", &value)?;
        let id = match entry.event {
            Event::RunCreated(record) => record.run_id,
            _ => "(unknown run)".into(),
        };
        Ok(Some((value, id)))
    }

    /// Returns the value of the remote's lock on `branch` as last fetched,
    /// without reading which run it names (it may name none).
    pub fn lock_value(&self, branch: &str) -> Result<Option<Oid>, JournalError> {
        Ok(self.git.read_ref(&self.tracking(&Self::lock_ref(branch)))?)
    }

    /// Returns the ids of the runs holding any lock on the remote, as last fetched.
    pub fn lock_holders(&self) -> Result<Vec<String>, JournalError> {
        let prefix = format!("{}locks/", self.tracking_prefix());
        let mut ids = Vec::new();
        for (name, _) in self.git.list_refs(&prefix)? {
            let branch = name.trim_start_matches(&prefix);
            if let Some((_, id)) = self.lock_holder(branch)? {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Lists run ids known locally or on the remote, oldest first (ids sort by time).
    pub fn list_runs(&self) -> Result<Vec<String>, JournalError> {
        let mut ids: Vec<String> = self
            .git
            .list_refs(RUNS_PREFIX)?
            .into_iter()
            .chain(self.git.list_refs(&format!("{}runs/", self.tracking_prefix()))?)
            .filter_map(|(name, _)| name.rsplit('/').next().map(str::to_string))
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Loads run `id`, reconciling this clone's copy with the remote's
    /// (call [`refresh`](Self::refresh) first to see the remote's newest).
    pub fn load(&self, id: &str) -> Result<Journal, JournalError> {
        let local_ref = Self::run_ref(id);
        let local = self.git.read_ref(&local_ref)?;
        let remote = self.git.read_ref(&self.tracking(&local_ref))?;
        let offered = self.git.read_ref(&self.offered(id))?;
        match (&remote, offered) {
            (_, Some(offered)) if remote.as_ref() != Some(&offered) => {
                let local = local.or(remote).unwrap_or_else(|| offered.clone());
                return Err(JournalError::Diverged {
                    id: id.into(),
                    local,
                    remote: offered,
                });
            }
            (Some(seen), None) => {
                return Err(JournalError::Vanished {
                    id: id.into(),
                    local: local.unwrap_or_else(|| seen.clone()),
                })
            }
            _ => {}
        }
        let mut discarded = 0;
        // The local ref moves (`reason`) only once the chain it would name reads as a run.
        let (head, reason) = match (&local, &remote) {
            (None, None) => return Err(JournalError::RunNotFound { id: id.into() }),
            (Some(l), None) => (l.clone(), None),
            (None, Some(r)) => (r.clone(), Some("hotfix: adopt run from remote")),
            (Some(l), Some(r)) if l == r => (l.clone(), None),
            (Some(l), Some(r)) => {
                if self.git.is_ancestor(l, r)? {
                    (r.clone(), Some("hotfix: fast-forward run from remote"))
                } else if self.git.is_ancestor(r, l)? {
                    (l.clone(), None)
                } else {
                    // Another clone carried the run on while this one held unpushed
                    // entries (the remote's head extends what this clone saw there,
                    // or refresh would not have taken it). Every remote effect
                    // reaches the remote in the same atomic push as its entry, so
                    // entries only this clone has changed nothing remote: the
                    // remote's record wins and the steps they covered are redone
                    // idempotently.
                    discarded = self.count_since(r, l)?;
                    (r.clone(), Some("hotfix: adopt remote run, drop unpushed entries"))
                }
            }
        };
        let entries = self.read_chain(id, &head)?;
        let journal = Journal::new(id, head, remote, entries, discarded)?;
        if let Some(reason) = reason {
            self.git.update_ref(&local_ref, &journal.head, local.as_ref(), reason)?;
        }
        Ok(journal)
    }

    /// Counts first-parent entries in `base..tip`.
    fn count_since(&self, base: &Oid, tip: &Oid) -> Result<usize, JournalError> {
        let out = self
            .git
            .run(&["rev-list", "--first-parent", "--count", &format!("{base}..{tip}")])?;
        Ok(out.trim().parse().unwrap_or(0))
    }

    fn read_chain(&self, id: &str, head: &Oid) -> Result<Vec<(Oid, Entry)>, JournalError> {
        let out = self.git.run(&[
            "log",
            "--first-parent",
            "--reverse",
            "-z",
            "--format=%H%n%B",
            head.as_str(),
        ])?;
        out.split('\0')
            .filter(|r| !r.trim().is_empty())
            .map(|record| {
                let record = record.trim_start_matches('\n');
                let (hash, body) = record.split_once('\n').unwrap_or((record, ""));
                let commit = Oid::parse(hash).ok_or_else(|| JournalError::Corrupt {
                    id: id.into(),
                    commit: head.clone(),
                    detail: format!("bad log record `{hash}`"),
                })?;
                let entry = parse_entry(body).map_err(|detail| JournalError::Corrupt {
                    id: id.into(),
                    commit: commit.clone(),
                    detail,
                })?;
                Ok((commit, entry))
            })
            .collect()
    }

    fn read_entry(&self, id: &str, commit: &Oid) -> Result<Entry, JournalError> {
        let info = self.git.commit(commit)?;
        parse_entry(&info.message).map_err(|detail| JournalError::Corrupt {
            id: id.into(),
            commit: commit.clone(),
            detail,
        })
    }

    /// Writes an entry commit on top of `parent`; no ref moves.
    ///
    /// An entry's only parent is the previous entry: `git push` proves each
    /// journal update is a fast-forward, and a parent leading into release's
    /// history would make that proof walk the whole history.
    pub fn write_entry(
        &self,
        run_id: &str,
        parent: Option<&Oid>,
        entry: &Entry,
        who: &Signature,
    ) -> Result<Oid, JournalError> {
        let json = serde_json::to_string(entry).expect("journal entries always serialize: plain data, string keys");
        let message = format!("hotfix {run_id} #{}: {}\n\n{json}\n", entry.seq, entry.event.summary());
        let tree = match entry.event.attached_tree() {
            Some(attached) => self.carrying(attached)?,
            None => self.git.empty_tree()?,
        };
        let parents: Vec<Oid> = parent.into_iter().cloned().collect();
        let sign = self.sign_decisions && entry.event.is_decision();
        let written = self.git.commit_tree(&NewCommit {
            tree: &tree,
            parents: &parents,
            author: who,
            committer: who,
            message: &message,
            sign,
        });
        match written {
            Ok(oid) => Ok(oid),
            Err(GitError::Failed { stderr, .. }) if sign => Err(JournalError::SigningFailed {
                id: run_id.into(),
                event: entry.event.summary(),
                reason: stderr.trim().to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// A tree whose one entry, `resolution`, is `tree`.
    fn carrying(&self, tree: &Oid) -> Result<Oid, GitError> {
        let listing = format!("040000 tree {tree}\tresolution\n");
        let out = self.git.run_with(&["mktree"], Some(listing.as_bytes()), &[])?;
        Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "mktree".into(),
            detail: out,
        })
    }

    /// Creates run `id`'s local journal with its first entries (not yet on the remote).
    pub fn create(&self, id: &str, entries: Vec<Entry>, who: &Signature) -> Result<Journal, JournalError> {
        let mut head: Option<Oid> = None;
        let mut written = Vec::new();
        for entry in entries {
            let oid = self.write_entry(id, head.as_ref(), &entry, who)?;
            written.push((oid.clone(), entry));
            head = Some(oid);
        }
        let head = head.expect("a run is created with at least its RunCreated entry");
        self.git
            .update_ref(&Self::run_ref(id), &head, None, "hotfix: create run")?;
        let mut journal = Journal::new(id, head, None, written, 0)?;
        journal.created_here = true;
        Ok(journal)
    }

    /// Forgets a run that never reached the remote (its lock push was refused).
    pub fn discard_unpublished(&self, journal: &Journal) -> Result<(), JournalError> {
        self.git.delete_ref(&Self::run_ref(&journal.id), &journal.head)?;
        Ok(())
    }
}

fn parse_entry(message: &str) -> Result<Entry, String> {
    let json = message
        .lines()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| "no JSON entry in the commit message".to_string())?;
    serde_json::from_str(json).map_err(|e| format!("entry JSON not understood: {e}"))
}

/// One run's journal, as this clone holds it.
#[derive(Clone)]
pub struct Journal {
    pub id: String,
    /// This clone's head.
    pub head: Oid,
    /// The remote's head as last seen; `None` when the run is not on the remote.
    pub remote_head: Option<Oid>,
    pub run: Run,
    /// Entries this clone had not pushed, dropped because another clone carried
    /// the run on (their steps are redone).
    pub discarded: usize,
    /// True when this process created the run from the plan it computed:
    /// nothing of its record came from the remote.
    pub created_here: bool,
    /// True when this process's build step made release's commits from the
    /// run's inputs (its evidence names nothing that came from the remote).
    pub built_here: bool,
    /// The refs this process's pushes moved, each with the value the remote
    /// accepted: read again, they would say the same.
    pub pushed_here: Vec<(String, Oid)>,
}

/// Entries written on top of a journal's head but not yet recorded locally,
/// waiting for the push that makes them true.
pub struct Staged {
    pub head: Oid,
    entries: Vec<(Oid, Entry)>,
}

impl Staged {
    /// Returns the staged entries, each with its commit, oldest first.
    pub fn entries(&self) -> &[(Oid, Entry)] {
        &self.entries
    }
}

impl Journal {
    fn new(
        id: &str,
        head: Oid,
        remote_head: Option<Oid>,
        entries: Vec<(Oid, Entry)>,
        discarded: usize,
    ) -> Result<Journal, JournalError> {
        let run = Run::from_entries(id, entries).map_err(|detail| JournalError::Corrupt {
            id: id.into(),
            commit: head.clone(),
            detail,
        })?;
        Ok(Journal {
            id: id.into(),
            head,
            remote_head,
            run,
            discarded,
            created_here: false,
            built_here: false,
            pushed_here: Vec::new(),
        })
    }

    /// Returns true when the remote holds this run.
    pub fn is_published(&self) -> bool {
        self.remote_head.is_some()
    }

    /// Writes entries on top of the head without moving any ref.
    pub fn stage(
        &self,
        store: &JournalStore<'_>,
        events: Vec<Event>,
        actor: &Actor,
        who: &Signature,
    ) -> Result<Staged, JournalError> {
        let mut head = self.head.clone();
        let first_seq = self.run.entries.last().map_or(0, |(_, e)| e.seq + 1);
        let mut entries = Vec::new();
        for (i, event) in events.into_iter().enumerate() {
            let seq = first_seq + i as u32;
            let entry = Entry {
                seq,
                at: who.time,
                actor: actor.clone(),
                event,
            };
            head = store.write_entry(&self.id, Some(&head), &entry, who)?;
            entries.push((head.clone(), entry));
        }
        Ok(Staged { head, entries })
    }

    /// Records staged entries as this clone's head (compare-and-swap on the old head).
    pub fn commit(&mut self, store: &JournalStore<'_>, staged: Staged) -> Result<(), JournalError> {
        store.git.update_ref(
            &JournalStore::run_ref(&self.id),
            &staged.head,
            Some(&self.head),
            "hotfix: journal entry",
        )?;
        self.adopt(staged);
        Ok(())
    }

    /// Makes staged entries, written to the local ref already, this journal's own.
    fn adopt(&mut self, staged: Staged) {
        self.head = staged.head;
        for (oid, entry) in staged.entries {
            self.run.push(oid, entry);
        }
    }

    /// Records staged entries the remote accepted: this clone's head and
    /// what it saw of the remote move to them in one transaction.
    pub fn commit_pushed(&mut self, store: &JournalStore<'_>, staged: Staged) -> Result<(), JournalError> {
        let mut moves = store.pushed_moves(&self.id, &staged.head)?;
        moves.push((JournalStore::run_ref(&self.id), Some(self.head.clone())));
        store.move_refs(&moves, &staged.head, "hotfix: journal entry pushed")?;
        self.adopt(staged);
        Ok(())
    }

    /// Returns the remote update that mirrors `head` (leased on the remote head last seen).
    pub fn mirror_update(&self, head: &Oid) -> RefUpdate {
        RefUpdate {
            name: JournalStore::run_ref(&self.id),
            new: Some(head.clone()),
            expected: self.remote_head.clone(),
        }
    }

    /// Returns how many entries this clone holds that the remote (as last
    /// seen) lacks.
    pub fn unmirrored(&self) -> usize {
        let Some(remote) = &self.remote_head else {
            return 0;
        };
        let entries = &self.run.entries;
        entries
            .iter()
            .rposition(|(oid, _)| oid == remote)
            .map_or(0, |i| entries.len() - 1 - i)
    }

    /// Notes that the remote now holds `head`.
    pub fn mark_mirrored(&mut self, head: Oid) {
        self.remote_head = Some(head);
    }

    /// Returns the first entry's commit: the value of this run's lock.
    pub fn lock_value(&self) -> &Oid {
        &self.run.entries[0].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::plan::StepName;
    use crate::record::sample;

    /// Returns the sample's `run-created` entry as JSON, for forging.
    fn run_created() -> serde_json::Value {
        serde_json::to_value(&sample::entries()[0]).expect("entries serialize")
    }

    /// Loads a journal of `entries`, each read as a commit message holds it.
    fn load(entries: &[serde_json::Value]) -> Result<Journal, JournalError> {
        let entries = entries
            .iter()
            .enumerate()
            .map(|(i, json)| {
                let message = format!("hotfix {} #{i}: forged\n\n{json}\n", sample::RUN_ID);
                let entry = parse_entry(&message).expect("the forged entry is JSON of an entry");
                (
                    sample::oid(char::from_digit(i as u32 % 16, 16).expect("a hex digit")),
                    entry,
                )
            })
            .collect();
        Journal::new(sample::RUN_ID, sample::oid('f'), None, entries, 0)
    }

    /// Returns the corrupt entry's detail, failing when the journal loads.
    fn corrupt(entries: &[serde_json::Value]) -> String {
        match load(entries) {
            Err(JournalError::Corrupt { detail, .. }) => detail,
            Err(e) => panic!("not a corrupt entry: {e}"),
            Ok(_) => panic!("the forged journal loaded"),
        }
    }

    /// Returns the step `name` of the forged entry's plan, in `phase`.
    fn step<'a>(entry: &'a mut serde_json::Value, phase: &str, name: &str) -> &'a mut serde_json::Value {
        entry["plan"]["steps"][phase]
            .as_array_mut()
            .and_then(|steps| steps.iter_mut().find(|s| s["name"] == name))
            .expect("the sample has the step")
    }

    #[test]
    fn the_sample_journal_loads() {
        let entries: Vec<_> = sample::entries()
            .iter()
            .map(|e| serde_json::to_value(e).expect("entries serialize"))
            .collect();
        let journal = load(&entries).expect("the sample loads");
        assert_eq!(journal.run.entries.len(), entries.len());
    }

    #[test]
    fn a_run_owns_its_lock_from_the_lock_step_until_it_finishes() {
        let entries: Vec<_> = sample::entries()
            .iter()
            .map(|e| serde_json::to_value(e).expect("entries serialize"))
            .collect();
        let owns_after = |n: usize| load(&entries[..n]).expect("the sample loads").run.owns_lock();
        let lock = sample::entries()
            .iter()
            .position(|e| matches!(&e.event, Event::StepDone { step, .. } if *step == StepName::LOCK))
            .expect("the sample takes the lock");
        let finished = sample::entries()
            .iter()
            .position(|e| matches!(e.event, Event::Finished { .. }))
            .expect("the sample finishes");
        assert!(!owns_after(lock), "not before the lock step");
        assert!(owns_after(lock + 1), "from the lock step");
        assert!(owns_after(finished), "until finish");
        assert!(!owns_after(finished + 1), "finish gave it back");
    }

    #[test]
    fn forged_refs_are_corrupt_entries_naming_field_and_value() {
        let forgeries: &[(&str, &str, &str, &str)] = &[
            ("hotfix", "push-release", "name", "refs/heads/-x"),
            ("hotfix", "push-release", "name", "refs/hotfix/locks/release"),
            ("hotfix", "push-release", "name", "--upload-pack=touch pwned"),
            ("hotfix", "lock", "branch", "--delete"),
            ("hotfix", "verify-release", "branch", "release..main"),
            ("rollback", "rollback-restore", "branch", "HEAD"),
            ("hotfix", "tag-release", "tag", "-v1"),
            ("hotfix", "tag-release", "tag", "v1\u{1b}[31m"),
            ("hotfix", "tag-release", "tag", "refs/heads/release"),
        ];
        for (phase, name, field, value) in forgeries {
            let mut entry = run_created();
            step(&mut entry, phase, name)["action"][field] = (*value).into();
            let detail = corrupt(&[entry]);
            let escaped = value.escape_debug().to_string();
            assert!(
                detail.contains(&format!("{phase} step `{name}` has action.{field} `{escaped}`")),
                "{detail}"
            );
        }
    }

    #[test]
    fn forged_environment_is_a_corrupt_entry() {
        let mut entry = run_created();
        step(&mut entry, "hotfix", "deploy")["action"]["env"] = serde_json::json!([["BASH_ENV", "/tmp/x"]]);
        let detail = corrupt(&[entry]);
        assert!(detail.contains("has action.env `BASH_ENV`"), "{detail}");
    }

    #[test]
    fn a_step_named_twice_is_a_corrupt_entry() {
        for phase in ["hotfix", "rollback"] {
            let mut entry = run_created();
            let steps = entry["plan"]["steps"][phase].as_array_mut().expect("steps");
            let first = steps[0].clone();
            steps.push(first);
            let detail = corrupt(&[entry]);
            assert!(detail.contains(&format!("names {phase} step")), "{detail}");
        }
    }

    #[test]
    fn forged_replanned_steps_are_a_corrupt_entry() {
        let entries = sample::entries();
        let mut replaced = entries
            .iter()
            .find(|e| matches!(e.event, Event::ConfigReplaced { .. }))
            .map(|e| serde_json::to_value(e).expect("entries serialize"))
            .expect("the sample replans");
        replaced["seq"] = 1.into();
        let lock = replaced["steps"]["hotfix"]
            .as_array_mut()
            .and_then(|steps| steps.iter_mut().find(|s| s["name"] == "lock"))
            .expect("a lock step");
        lock["action"]["branch"] = "-f".into();
        let detail = corrupt(&[run_created(), replaced]);
        assert!(
            detail.starts_with("entry #1: the replan's hotfix step `lock` has action.branch `-f`"),
            "{detail}"
        );
    }

    #[test]
    fn a_forged_branch_or_remote_is_a_corrupt_entry() {
        for (field, value) in [
            ("release_branch", "-x"),
            ("main_branch", "a b"),
            ("remote", "--upload-pack=x"),
        ] {
            let mut entry = run_created();
            entry[field] = value.into();
            let detail = corrupt(&[entry]);
            assert!(detail.contains(&format!("`{value}`")), "{detail}");
        }
    }
}
