//! A run as the journal's entries make it: its phase, the steps done, and
//! where it stands. State is never stored on its own: it is always
//! recomputed from the entries.

use serde::Serialize;

use crate::config::Config;
use crate::git::Oid;
use crate::record::entry::RunRecord;
use crate::record::entry::{Approval, Entry, Event, Evidence};
use crate::record::plan::{Action, Plan, Resolution, Step, StepName};
use crate::record::v0;

/// An attempt at a step whose command changes production that started and has no
/// clean end: it may have run, or may still run.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenAttempt {
    pub step: StepName,
    /// When the command was started, and by whom (the `step-started` entry).
    pub started_at: i64,
    pub started_by: String,
    pub host: String,
    pub pgid: u32,
    /// The signal it was interrupted with, when git-hotfix lived to say so;
    /// `None` when git-hotfix died while it ran.
    pub interrupted: Option<String>,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Steps remain; `continue` carries on (perhaps after a gate opens).
    InProgress,
    /// The last attempt at a step failed; `continue` retries it.
    Stopped,
    /// Every step is done; `finish` closes the run once the evidence is complete.
    Released,
    /// Every rollback step is done; `finish` closes the run. (`rolled-back`
    /// in JSON, as before finished rollbacks had a state of their own.)
    #[serde(rename = "rolled-back")]
    RollbackAwaitingFinish,
    /// Finished: the hotfix is in production.
    Completed,
    /// Finished after a rollback: production runs the recorded production commit again.
    #[serde(rename = "rolled-back-finished")]
    RolledBack,
    Aborted,
    /// The release job or deploy started and has no clean end (interrupted,
    /// or git-hotfix died): it may have run, and runs again only with
    /// `continue --rerun STEP`.
    Interrupted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::InProgress => "in progress",
            RunState::Stopped => "stopped",
            RunState::Released => "released, awaiting finish",
            RunState::RollbackAwaitingFinish => "rolled back, awaiting finish",
            RunState::Completed => "completed",
            RunState::RolledBack => "rolled-back",
            RunState::Aborted => "aborted",
            RunState::Interrupted => "interrupted: a production command may have run",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Completed | RunState::RolledBack | RunState::Aborted)
    }
}

/// Which sequence of steps a run is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Hotfix,
    /// After `rollback`: restore, then the production steps again.
    Rollback,
}

/// A run: its record and every entry, oldest first.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub record: RunRecord,
    pub entries: Vec<(Oid, Entry)>,
}

impl Run {
    /// Checks the signature of every entry of the run, in order, against
    /// `allowed_signers`: one `git log` for the whole journal.
    pub fn signatures(
        &self,
        git: &crate::git::Git,
        allowed_signers: &std::path::Path,
    ) -> Result<Vec<crate::git::SignatureCheck>, crate::git::GitError> {
        let commits: Vec<Oid> = self.entries.iter().map(|(oid, _)| oid.clone()).collect();
        git.check_signatures(&commits, allowed_signers)
    }

    pub(crate) fn from_entries(id: &str, entries: Vec<(Oid, Entry)>) -> Result<Run, String> {
        let record = match entries.first().map(|(_, e)| &e.event) {
            Some(Event::RunCreated(r)) => (**r).clone(),
            _ => return Err("the first entry is not `run-created`".into()),
        };
        if record.run_id != id {
            return Err(format!("the first entry names run `{}`", record.run_id));
        }
        // Journals come from the remote, which more people can write than
        // release: nothing in them may reach git as an option or a bad ref.
        for (seq, (_, entry)) in entries.iter().enumerate() {
            entry.event.validate().map_err(|why| match seq {
                0 => why,
                _ => format!("entry #{seq}: {why}"),
            })?;
        }
        let mut run = Run {
            id: id.into(),
            record,
            entries,
        };
        run.give_v0_parameters(&Config::for_runs_only());
        Ok(run)
    }

    /// Puts the secret values masked in the run's steps back from the
    /// environment `redactor` read (in memory only: the journal keeps them masked).
    pub fn restore_secrets(&mut self, redactor: &crate::secrets::Redactor) {
        let v0_names = std::mem::take(&mut self.record.plan.steps.v0_names);
        self.record.plan.steps = redactor.restore_all(&self.record.plan.steps);
        self.record.plan.steps.v0_names = v0_names;
        for (_, entry) in &mut self.entries {
            match &mut entry.event {
                Event::ConfigReplaced { steps: Some(steps), .. } => **steps = redactor.restore_all(&**steps),
                Event::Replanned { plan, .. } => plan.steps = redactor.restore_all(&plan.steps),
                _ => {}
            }
        }
    }

    /// Gives a format-0 run's steps their parameters (see [`v0`]): from the
    /// configuration the run recorded, else from `fallback` (the clone's
    /// hotfix.toml, as format 0 did). Does nothing to newer runs.
    pub fn give_v0_parameters(&mut self, fallback: &Config) {
        if self.record.format != 0 || self.record.plan.steps.v0_names.is_empty() {
            return;
        }
        let names = self.record.plan.steps.v0_names.clone();
        let plan = &self.record.plan;
        let release = v0::release_push(&self.record.release_branch, &plan.release_tip, &plan.new_tip);
        let mut steps = v0::steps(&names, &self.record.config(fallback), &release);
        steps.v0_names = names.clone();
        self.record.plan.steps = steps;
        let record = self.record.clone();
        for (_, entry) in &mut self.entries {
            if let Event::ConfigReplaced { config, steps, .. } = &mut entry.event {
                *steps = Some(Box::new(v0::steps(&names, &record.named(config), &release)));
            }
        }
    }

    pub(crate) fn push(&mut self, oid: Oid, entry: Entry) {
        self.entries.push((oid, entry));
    }

    /// Index of the `rollback-started` entry, if the run was rolled back.
    fn rollback_at(&self) -> Option<usize> {
        self.entries
            .iter()
            .position(|(_, e)| matches!(e.event, Event::RollbackStarted { .. }))
    }

    pub fn phase(&self) -> Phase {
        if self.rollback_at().is_some() {
            Phase::Rollback
        } else {
            Phase::Hotfix
        }
    }

    /// The steps of `phase`, in order, with their parameters: the plan's
    /// (frozen when the run started), or the newest `continue --replan`'s.
    pub fn steps_of(&self, phase: Phase) -> &[Step] {
        let replanned = self.entries.iter().rev().find_map(|(_, e)| match &e.event {
            Event::ConfigReplaced { steps: Some(steps), .. } => Some(&**steps),
            Event::Replanned { plan, .. } => Some(&plan.steps),
            _ => None,
        });
        let plan = replanned.unwrap_or(&self.record.plan.steps);
        match phase {
            Phase::Hotfix => &plan.hotfix,
            Phase::Rollback => &plan.rollback,
        }
    }

    /// The steps of the current phase, in order.
    pub fn steps(&self) -> &[Step] {
        self.steps_of(self.phase())
    }

    /// Returns the plan the run follows: the one made again from what it
    /// waited for (from-tag's fixes on the hotfix branch), else the one
    /// confirmed at start.
    pub fn plan(&self) -> &Plan {
        self.entries
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                Event::Replanned { plan, .. } => Some(&**plan),
                _ => None,
            })
            .unwrap_or(&self.record.plan)
    }

    /// Returns true when the rollback puts production's tree on the release
    /// branch again (restore-release), rather than redeploying what
    /// production ran (from-tag).
    pub fn rollback_restores(&self) -> bool {
        self.steps_of(Phase::Rollback)
            .iter()
            .any(|s| matches!(s.action, crate::record::plan::Action::RestoreRelease { .. }))
    }

    /// Returns true when the hotfix's steps include one called `name`.
    /// A service's step counts as its kind (`deploy-portal` as `deploy`).
    pub fn plans(&self, name: &StepName) -> bool {
        self.steps_of(Phase::Hotfix)
            .iter()
            .any(|s| &s.name == name || s.base_name() == *name)
    }

    /// Returns the step called `name` in the current phase.
    pub fn step(&self, name: &StepName) -> Option<&Step> {
        self.steps().iter().find(|s| &s.name == name)
    }

    /// Returns the phase whose steps `step` counts in: the rollback's own
    /// steps while rolling back, the hotfix's for the rest.
    fn phase_of(&self, step: &StepName) -> Phase {
        match self.phase() {
            Phase::Rollback if self.steps_of(Phase::Rollback).iter().any(|s| &s.name == step) => Phase::Rollback,
            _ => Phase::Hotfix,
        }
    }

    /// Entries of `phase` that count: for the hotfix, those since the last
    /// rebuild (steps before the build stay done across it) and before any
    /// rollback; for the rollback, those after it started.
    pub fn entries_of(&self, phase: Phase) -> Box<dyn Iterator<Item = &Entry> + '_> {
        let end = self.rollback_at().unwrap_or(self.entries.len());
        if phase == Phase::Rollback {
            return Box::new(self.entries[end.min(self.entries.len())..].iter().map(|(_, e)| e));
        }
        let hotfix = &self.entries[..end];
        let from = hotfix
            .iter()
            .rposition(|(_, e)| matches!(e.event, Event::Rebuilt { .. }))
            .map_or(0, |i| i + 1);
        let rebuilt = from > 0;
        let kept = hotfix[..from].iter().map(|(_, e)| e).filter(move |e| {
            rebuilt && matches!(&e.event, Event::StepDone { step, .. } if *step == StepName::RECORD_PRODUCTION || *step == StepName::LOCK)
        });
        Box::new(kept.chain(hotfix[from..].iter().map(|(_, e)| e)))
    }

    /// Returns the entry that did `step` in `phase`, if it is done.
    pub fn done_entry_in(&self, phase: Phase, step: &StepName) -> Option<(&Entry, &Evidence)> {
        self.entries_of(phase).find_map(|e| match &e.event {
            Event::StepDone { step: s, evidence } if s == step => Some((e, evidence)),
            _ => None,
        })
    }

    /// Returns the evidence of `step` in `phase` if it is done.
    pub fn done_in(&self, phase: Phase, step: &StepName) -> Option<&Evidence> {
        self.done_entry_in(phase, step).map(|(_, ev)| ev)
    }

    /// Returns the run's backports as they are now: the backport step's,
    /// each replaced by the newest `backport resolve` of the same fix and target.
    pub fn backports(&self) -> Vec<crate::record::backport::Backport> {
        let mut backports = match self.done(&StepName::BACKPORT) {
            Some(Evidence::Backported { backports }) => backports.clone(),
            _ => Vec::new(),
        };
        for (_, entry) in &self.entries {
            if let Event::BackportResolved { backport } = &entry.event {
                match backports
                    .iter_mut()
                    .find(|b| b.fix == backport.fix && b.target == backport.target)
                {
                    Some(b) => *b = backport.clone(),
                    None => backports.push(backport.clone()),
                }
            }
        }
        backports
    }

    /// Returns the evidence of `step` if it is done: in the rollback phase,
    /// the rollback's own steps, and the hotfix's for the rest.
    pub fn done(&self, step: &StepName) -> Option<&Evidence> {
        self.done_in(self.phase_of(step), step)
    }

    /// Returns the last failure of `step` in `phase` not followed by its success.
    pub fn failure_in(&self, phase: Phase, step: &StepName) -> Option<(&str, Option<&Evidence>)> {
        if self.done_in(phase, step).is_some() {
            return None;
        }
        self.entries_of(phase)
            .filter_map(|e| match &e.event {
                Event::StepFailed {
                    step: s,
                    error,
                    evidence,
                } if s == step => Some((error.as_str(), evidence.as_deref())),
                _ => None,
            })
            .last()
    }

    /// Returns the attempt at `step` (a command that changes production) that
    /// started in the current phase and has no clean end: no done or failed
    /// entry after it, and no decision to run it again.
    pub fn open_attempt(&self, step: &StepName) -> Option<OpenAttempt> {
        if !self.step(step).is_some_and(Step::is_unrepeatable) {
            return None;
        }
        let phase = self.phase_of(step);
        let mut open: Option<OpenAttempt> = None;
        for entry in self.entries_of(phase) {
            match &entry.event {
                Event::StepStarted {
                    step: s, pgid, host, ..
                } if s == step => {
                    open = Some(OpenAttempt {
                        step: step.clone(),
                        started_at: entry.at,
                        started_by: entry.actor.ident.clone(),
                        host: host.clone(),
                        pgid: *pgid,
                        interrupted: None,
                    });
                }
                Event::StepInterrupted { step: s, signal, .. } if s == step => {
                    if let Some(o) = open.as_mut() {
                        o.interrupted = Some(signal.clone());
                    }
                }
                Event::StepDone { step: s, .. }
                | Event::StepFailed { step: s, .. }
                | Event::RerunAllowed { step: s }
                | Event::PipelineCreated { step: s, .. }
                    if s == step =>
                {
                    open = None;
                }
                _ => {}
            }
        }
        open
    }

    /// Returns the first step of the current phase not done yet.
    pub fn next_step(&self) -> Option<&Step> {
        self.steps()
            .iter()
            .find(|s| self.runs_step(s) && self.done(&s.name).is_none())
    }

    /// Returns the services a rollback of only some (`rollback --service`)
    /// rolls back; `None` when it rolls back every service, or has not begun.
    pub fn rolled_back_services(&self) -> Option<&[String]> {
        self.entries.iter().find_map(|(_, e)| match &e.event {
            Event::RollbackStarted { services, .. } if !services.is_empty() => Some(services.as_slice()),
            _ => None,
        })
    }

    /// Returns false for a step of a service the current rollback leaves as
    /// it is: it is not run.
    pub fn runs_step(&self, step: &Step) -> bool {
        match (self.phase(), self.rolled_back_services(), &step.service) {
            (Phase::Rollback, Some(only), Some(service)) => only.contains(service),
            _ => true,
        }
    }

    /// Returns the release tip the run expects to replace.
    pub fn expected_tip(&self) -> &Oid {
        self.entries
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                Event::Rebuilt { to_tip, .. } => Some(to_tip),
                _ => None,
            })
            .unwrap_or(&self.plan().release_tip)
    }

    /// Returns the commit release holds for this run now: the rollback's
    /// restore once rolled back, else the pushed hotfix tip.
    ///
    /// A phase whose steps leave release alone (a strategy that moves no
    /// branch) holds release where the plan read it.
    pub fn release_sha(&self) -> Option<&Oid> {
        if self.phase() == Phase::Rollback {
            if !self.moves_release(Phase::Rollback) {
                // The rollback redeploys what production ran (from-tag's tag).
                return Some(&self.record.plan.production.commit);
            }
            return self.entries_of(Phase::Rollback).find_map(|e| match &e.event {
                Event::StepDone {
                    evidence: Evidence::RolledBack { new, .. },
                    ..
                } => Some(new),
                _ => None,
            });
        }
        self.hotfix_tip()
    }

    /// Returns the commit the hotfix put on release (rolled back or not),
    /// once it is pushed.
    pub fn hotfix_tip(&self) -> Option<&Oid> {
        if !self.moves_release(Phase::Hotfix) {
            return Some(&self.plan().new_tip);
        }
        let release_ref = format!("refs/heads/{}", self.record.release_branch);
        self.entries_of(Phase::Hotfix)
            .filter_map(|e| match &e.event {
                Event::StepDone {
                    evidence: Evidence::Pushed { branch_ref, new, .. },
                    ..
                } if *branch_ref == release_ref => Some(new),
                _ => None,
            })
            .last()
    }

    /// Returns true unless `phase`'s steps are known and none moves release
    /// (format 0 runs have none until given their parameters).
    fn moves_release(&self, phase: Phase) -> bool {
        let branch = &self.record.release_branch;
        let steps = self.steps_of(phase);
        steps.is_empty()
            || steps.iter().any(|s| match &s.action {
                Action::Push(planned) => planned.name == format!("refs/heads/{branch}"),
                Action::RestoreRelease { branch: restored } => restored == branch,
                _ => false,
            })
    }

    /// Returns the approvals given for the release commit this run pushed, oldest first.
    /// Not checked: whether an approval counts is the approvals gate's rule
    /// (`engine::approvals::review`).
    pub fn approvals(&self) -> Vec<&Approval> {
        self.approval_entries().into_iter().map(|(_, _, a)| a).collect()
    }

    /// Returns the approvals given for the release commit this run's
    /// current phase put on release, oldest first, each with its entry's
    /// commit and the entry. While rolling back these are the rollback's
    /// own, given after it started: the hotfix's approved another
    /// deployment.
    pub fn approval_entries(&self) -> Vec<(&Oid, &Entry, &Approval)> {
        let Some(tip) = self.release_sha() else {
            return Vec::new();
        };
        let rollback = self.phase() == Phase::Rollback;
        let from = if rollback { self.rollback_at().unwrap_or(0) } else { 0 };
        self.entries[from..]
            .iter()
            .filter_map(|(oid, e)| match &e.event {
                Event::Approved { approval: a } if &a.release_tip == tip && a.rollback == rollback => Some((oid, e, a)),
                _ => None,
            })
            .collect()
    }

    /// Returns what a person attested for `item`, with who and when.
    pub fn attestation(&self, item: &str) -> Option<(&Entry, &str)> {
        self.entries.iter().rev().find_map(|(_, e)| match &e.event {
            Event::Attested { item: i, detail } if i == item => Some((e, detail.as_str())),
            _ => None,
        })
    }

    /// When the monitoring window ends, if production was verified with one.
    pub fn monitor_until(&self) -> Option<i64> {
        self.entries_of(self.phase()).find_map(|e| match &e.event {
            Event::StepDone {
                evidence: Evidence::ProductionVerified { monitor_until, .. },
                ..
            } => *monitor_until,
            _ => None,
        })
    }

    /// Returns true when the run took its release lock and has not given it
    /// back: the lock step is done (or a rollback took the lock again) and no
    /// `finish` or `abort` released it since. Such a run must find its lock
    /// on the remote; a missing one means someone removed it.
    pub fn owns_lock(&self) -> bool {
        let mut owns = false;
        for (_, entry) in &self.entries {
            match &entry.event {
                Event::StepDone { step, .. } if *step == StepName::LOCK => owns = true,
                // A rollback keeps the lock, or takes it again in its first push.
                Event::RollbackStarted { .. } => owns = true,
                Event::Finished { .. } | Event::Aborted { .. } => owns = false,
                _ => {}
            }
        }
        owns
    }

    pub fn state(&self) -> RunState {
        let last = self.entries.last().map(|(_, e)| &e.event);
        match last {
            Some(Event::Finished { .. }) if self.phase() == Phase::Rollback => RunState::RolledBack,
            Some(Event::Finished { .. }) => RunState::Completed,
            Some(Event::Aborted { .. }) => RunState::Aborted,
            _ if self.next_step().and_then(|s| self.open_attempt(&s.name)).is_some() => RunState::Interrupted,
            Some(Event::StepFailed { .. }) => RunState::Stopped,
            _ if self.next_step().is_some() => RunState::InProgress,
            _ if self.phase() == Phase::Rollback => RunState::RollbackAwaitingFinish,
            _ => RunState::Released,
        }
    }

    /// Returns the configuration the run's next steps follow: the newest
    /// `continue --replan`, else the one recorded at start (else `base`, for
    /// runs recorded without one), with the run's remote and branches.
    pub fn config(&self, base: &Config) -> Config {
        let replaced = self.entries.iter().rev().find_map(|(_, e)| match &e.event {
            Event::ConfigReplaced { config, .. } => Some(config),
            _ => None,
        });
        match replaced {
            Some(config) => self.record.named(config),
            None => self.record.config(base),
        }
    }

    /// Returns the conflicts people resolved in this run, oldest first.
    pub fn resolutions(&self) -> Vec<Resolution> {
        self.entries
            .iter()
            .filter_map(|(_, e)| match &e.event {
                Event::Resolved { resolution } => Some(resolution.clone()),
                _ => None,
            })
            .collect()
    }

    /// Returns the reason given to go on despite a dependency on unreleased
    /// work: the newest `continue --allow-dependency`, else the one at start.
    pub fn allowed_dependency(&self) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find_map(|(_, e)| match &e.event {
                Event::DependencyAllowed { reason } => Some(reason.as_str()),
                _ => None,
            })
            .or(self.record.allow_dependency.as_deref())
    }

    /// Returns the last failure, when the run is stopped.
    pub fn last_failure(&self) -> Option<(&StepName, &str)> {
        match self.entries.last().map(|(_, e)| &e.event) {
            Some(Event::StepFailed { step, error, .. }) => Some((step, error.as_str())),
            _ => None,
        }
    }

    pub fn started_at(&self) -> i64 {
        self.entries[0].1.at
    }

    pub fn ended_at(&self) -> Option<i64> {
        self.state()
            .is_finished()
            .then(|| self.entries.last().map_or(0, |(_, e)| e.at))
    }
}
