//! Carries out a run's steps. Every step is idempotent: it first looks at
//! what the journal and the remote already hold, so running it again after a
//! crash converges on the same state with no duplicate commits.
//!
//! Steps that only read or write objects append to the local journal; steps
//! that move a remote ref push it in one atomic push together with the
//! journal, so "release moved" and "the journal says release moved" land
//! together or not at all.

use crate::ambient::Ambient;
use crate::config::Config;
use crate::git::{tracking_ref, Git, Oid, PushOutcome, RefUpdate, Signature};
use crate::interrupt::StopRequest;
use crate::journal::{Actor, BuiltPick, Event, Evidence, Journal, JournalError, JournalStore, Run, Staged};
use crate::providers::http::Observation;
use crate::secrets::Redactor;

use crate::engine::gates::{self, Gate};
use crate::engine::WorkflowError;
use crate::record::plan::{Plan, Step, StepName};
use crate::strategy::restore_release::read_fixes;
use crate::strategy::{self, PlanInput};

/// Where a step stands in its run: `index` (from 1) of `total`.
#[derive(Clone, Copy, Debug)]
pub struct StepPosition {
    pub index: usize,
    pub total: usize,
}

/// Receives progress as steps run; the library never prints. Every text it
/// gets has secrets masked already.
pub trait Progress {
    fn step_started(&self, step: &Step, at: StepPosition);
    fn step_done(&self, step: &Step, at: StepPosition, evidence: &Evidence);
    /// A line of output from a release, deploy or smoke command.
    fn output(&self, _step: &StepName, _line: &str) {}
    /// One poll of a verification endpoint.
    fn polling(&self, _url: &str, _attempt: u32, _elapsed: std::time::Duration, _seen: &Observation) {}
    /// Something the operator should know that is not an error (a webhook that failed).
    fn notice(&self, _text: &str) {}
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {
    fn step_started(&self, _: &Step, _: StepPosition) {}
    fn step_done(&self, _: &Step, _: StepPosition, _: &Evidence) {}
}

/// How far a command took a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Steps done by this command.
    pub steps_done: usize,
    /// The gate the run waits at, when it stopped at one.
    pub gate: Option<Gate>,
    /// Journal entries an earlier command left on this clone only, pushed
    /// to the remote by this one.
    pub caught_up: usize,
}

/// What steps need from the session.
pub struct Context<'a> {
    pub git: &'a Git,
    /// The run's configuration: remote and branches as the run recorded them.
    pub config: &'a Config,
    pub ambient: &'a Ambient,
    /// The operator, with the current time.
    pub operator: Signature,
    pub actor: Actor,
    pub progress: &'a dyn Progress,
    /// Masks secrets in everything that reaches the journal or the progress.
    pub redactor: &'a Redactor,
    /// The operator confirmed the production steps (`--yes` or a prompt).
    pub confirmed: bool,
    /// Raised when the operator asks to stop (Ctrl-C, SIGTERM).
    pub stop: &'a StopRequest,
    /// Signs the decision entries ([`Event::is_decision`]) the run writes.
    pub sign_decisions: bool,
    /// The run's journal, shared by the services' lanes that run side by
    /// side ([`super::parallel`]): every write to the journal is made on it,
    /// under its lock, and the lane's own copy is brought up to date after.
    /// `None` outside a lane.
    pub shared: Option<&'a std::sync::Mutex<Journal>>,
}

impl Context<'_> {
    pub(super) fn store(&self, run: &Run) -> JournalStore<'_> {
        JournalStore::new(self.git, &run.record.remote).signing(self.sign_decisions)
    }

    /// The operator stamped with the time now: a deploy may take half an
    /// hour, and the timeline must say when each step really ended.
    pub(super) fn signature_now(&self) -> Signature {
        Signature {
            time: self.ambient.now(),
            ..self.operator.clone()
        }
    }
}

/// Runs every remaining step of `journal`'s run, in order, until the run is
/// done or waits at a gate.
pub fn run_steps(cx: &Context<'_>, journal: &mut Journal) -> Result<Outcome, WorkflowError> {
    let mut steps_done = 0;
    super::steps::check_plan_before_build(cx, journal)?;
    let gated = |cx: &Context<'_>, journal: &mut Journal, steps_done, gate| -> Result<Outcome, WorkflowError> {
        mirror(cx, journal)?;
        Ok(Outcome {
            steps_done,
            gate: Some(gate),
            caught_up: 0,
        })
    };
    while let Some(step) = journal.run.next_step().cloned() {
        // `parallel_services = true`: the services' steps from here run side by side.
        if let Some(lanes) = super::parallel::lanes(cx, &journal.run) {
            let (done, gate) = super::parallel::run_lanes(cx, journal, lanes)?;
            steps_done += done;
            match gate {
                Some(gate) => return gated(cx, journal, steps_done, gate),
                None => continue,
            }
        }
        match one_step(cx, journal, &step)? {
            Ran::Gate(gate) => return gated(cx, journal, steps_done, gate),
            Ran::Done => steps_done += 1,
            Ran::NotDone => {}
        }
    }
    // Other clones (approvers, a colleague who takes over) see the whole record.
    mirror(cx, journal)?;
    Ok(Outcome {
        steps_done,
        gate: None,
        caught_up: 0,
    })
}

/// What became of one step.
pub(super) enum Ran {
    /// It is done (its evidence is journaled).
    Done,
    /// It ran and left nothing done (a step that only waits).
    NotDone,
    /// It waits at a gate; nothing of it ran.
    Gate(Gate),
}

/// Carries out `step` of `journal`'s run, with every check before it (a
/// stop asked for, an attempt left open, a gate) and every failure
/// journaled; the same for a step run alone and one in a service's lane.
pub(super) fn one_step(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<Ran, WorkflowError> {
    let name = &step.name;
    if cx.ambient.interrupts_at(&format!("before:{name}")) {
        cx.stop.raise(crate::interrupt::StopSignal::Interrupt);
    }
    if let Some(signal) = cx.stop.raised() {
        return Err(stop_at(cx, journal, name, signal.name()));
    }
    if let Some(attempt) = journal.run.open_attempt(name) {
        // Other clones must see the attempt as this one does.
        let _ = mirror(cx, journal);
        return Err(gates::attempt_blocker(cx, attempt));
    }
    if let Some(gate) = gates::gate_before(cx, &journal.run, step) {
        return Ok(Ran::Gate(gate));
    }
    cx.ambient.checkpoint(&format!("before:{name}"))?;
    let steps = journal.run.steps();
    let at = StepPosition {
        index: steps.iter().position(|s| s.name == *name).map_or(0, |i| i + 1),
        total: steps.len(),
    };
    cx.progress.step_started(step, at);
    let result = super::steps::perform(cx, journal, step);
    match result {
        Ok(()) => {}
        // An injected fault stands in for a crash: a crash records nothing.
        Err(WorkflowError::Fault(f)) => return Err(f.into()),
        // A forge request left without an answer keeps its attempt open.
        Err(e @ WorkflowError::RerunUndecided { .. }) => return Err(e),
        // The step journaled the interruption of its command itself.
        Err(
            e @ WorkflowError::Interrupted {
                during_command: true, ..
            },
        ) => return Err(e),
        // The operator's Ctrl-C reached git too (it shares the terminal's
        // process group): the step did not fail, it was stopped.
        Err(_) if cx.stop.raised().is_some() => {
            let signal = cx.stop.raised().map_or("a signal", |s| s.name());
            return Err(stop_at(cx, journal, name, signal));
        }
        Err(e) => {
            let e = with_services(&journal.run, step, e);
            record_failure(cx, journal, name, &e);
            return Err(e);
        }
    }
    let ran = match journal.run.done(name) {
        Some(evidence) => {
            cx.progress.step_done(step, at, evidence);
            Ran::Done
        }
        None => Ran::NotDone,
    };
    cx.ambient.checkpoint(&format!("after:{name}"))?;
    Ok(ran)
}

/// Returns a production step's failure with, for a step of one of several
/// services, which services already run the fix (their release job and
/// deploy are done) and which do not: the operator decides what to roll back.
fn with_services(run: &Run, step: &Step, e: WorkflowError) -> WorkflowError {
    let WorkflowError::ProductionStepFailed {
        step: failed,
        reason,
        evidence,
        rollback,
    } = e
    else {
        return e;
    };
    let reason = match &step.service {
        Some(_) => format!("{reason}; {}", services_running_fix(run)),
        None => reason,
    };
    WorkflowError::ProductionStepFailed {
        step: failed,
        reason,
        evidence,
        rollback,
    }
}

/// Says which services the run ships already run the fix, and which not yet.
pub fn services_running_fix(run: &Run) -> String {
    let steps = run.steps_of(crate::journal::Phase::Hotfix);
    let (mut running, mut not_yet) = (Vec::new(), Vec::new());
    for service in run.plan().shipped_services() {
        let mut changing = steps
            .iter()
            .filter(|s| s.service.as_deref() == Some(service) && s.is_unrepeatable())
            .peekable();
        let deployed = changing.peek().is_some()
            && changing.all(|s| run.done_in(crate::journal::Phase::Hotfix, &s.name).is_some());
        if deployed {
            running.push(service);
        } else {
            not_yet.push(service);
        }
    }
    let list = |names: &[&str]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    format!(
        "services already running the fix: {}; not yet: {}",
        list(&running),
        list(&not_yet)
    )
}

/// Runs `write` on the journal: the lanes' shared one when the step runs in
/// a lane (under its lock, the lane's copy updated after), else `journal`.
fn on_journal<T>(cx: &Context<'_>, journal: &mut Journal, write: impl FnOnce(&mut Journal) -> T) -> T {
    match cx.shared {
        None => write(journal),
        Some(shared) => {
            let mut truth = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let out = write(&mut truth);
            *journal = truth.clone();
            out
        }
    }
}

/// Appends events to this clone's journal only.
pub fn append_local(cx: &Context<'_>, journal: &mut Journal, events: Vec<Event>) -> Result<(), JournalError> {
    on_journal(cx, journal, |journal| append_here(cx, journal, events))
}

fn append_here(cx: &Context<'_>, journal: &mut Journal, events: Vec<Event>) -> Result<(), JournalError> {
    let store = cx.store(&journal.run);
    let count = events.len();
    let staged = journal.stage(&store, events, &cx.actor, &cx.signature_now())?;
    journal.commit(&store, staged)?;
    gates::announce(cx, &journal.run, count);
    Ok(())
}

/// Pushes `updates` and the journal with `events` appended in one atomic push;
/// on acceptance the events become this clone's journal too.
///
/// While the run owns its lock the push also leases the lock ref on the
/// run's lock value (left as it is), so a lock deleted or taken over on the
/// remote refuses the whole push: [`WorkflowError::LockLost`], nothing moved.
/// Pushes that create or delete the lock name it in `updates` themselves.
pub(super) fn push_with_journal(
    cx: &Context<'_>,
    journal: &mut Journal,
    events: Vec<Event>,
    updates: Vec<RefUpdate>,
    fault_after_remote: &str,
) -> Result<PushOutcome, WorkflowError> {
    on_journal(cx, journal, |journal| {
        let lease = lock_lease(journal, &updates);
        push_entries(cx, journal, events, updates, lease, fault_after_remote)
    })
}

/// Returns the update that leases the run's lock unchanged, when the run
/// owns it and `updates` do not move it already.
fn lock_lease(journal: &Journal, updates: &[RefUpdate]) -> Option<RefUpdate> {
    let lock_ref = JournalStore::lock_ref(&journal.run.record.release_branch);
    if !journal.run.owns_lock() || updates.iter().any(|u| u.name == lock_ref) {
        return None;
    }
    let value = journal.lock_value().clone();
    if !journal.is_published() {
        // The lock step left the lock to the run's first push
        // ([`super::steps`]' lock): it creates the lock, which must not exist.
        return Some(RefUpdate {
            name: lock_ref,
            new: Some(value),
            expected: None,
        });
    }
    // git checks a lease on a ref the push leaves as it is too (it reports
    // it `[up to date]` when it holds, refuses the atomic push when not).
    Some(RefUpdate {
        name: lock_ref,
        new: Some(value.clone()),
        expected: Some(value),
    })
}

fn push_entries(
    cx: &Context<'_>,
    journal: &mut Journal,
    events: Vec<Event>,
    updates: Vec<RefUpdate>,
    lease: Option<RefUpdate>,
    fault_after_remote: &str,
) -> Result<PushOutcome, WorkflowError> {
    let store = cx.store(&journal.run);
    let staged = journal.stage(&store, events, &cx.actor, &cx.signature_now())?;
    push_leased(cx, journal, &store, staged, updates, lease, fault_after_remote)
}

/// Pushes entries staged (and checked) by the caller, as `push_with_journal`
/// pushes the entries it stages.
pub(super) fn push_staged(
    cx: &Context<'_>,
    journal: &mut Journal,
    store: &JournalStore<'_>,
    staged: Staged,
    updates: Vec<RefUpdate>,
    fault_after_remote: &str,
) -> Result<PushOutcome, WorkflowError> {
    let lease = lock_lease(journal, &updates);
    push_leased(cx, journal, store, staged, updates, lease, fault_after_remote)
}

fn push_leased(
    cx: &Context<'_>,
    journal: &mut Journal,
    store: &JournalStore<'_>,
    staged: Staged,
    updates: Vec<RefUpdate>,
    lease: Option<RefUpdate>,
    fault_after_remote: &str,
) -> Result<PushOutcome, WorkflowError> {
    let count = staged.entries().len();
    let mut all = vec![journal.mirror_update(&staged.head)];
    all.extend(updates);
    all.extend(lease.iter().cloned());
    let outcome = cx.git.push_atomic(&journal.run.record.remote, &all)?;
    refused_on_lock(cx, journal, &outcome, lease.as_ref())?;
    if outcome.accepted() {
        cx.ambient.checkpoint(fault_after_remote)?;
        let head = staged.head.clone();
        journal.commit_pushed(store, staged)?;
        journal.mark_mirrored(head);
        gates::announce(cx, &journal.run, count);
    }
    Ok(outcome)
}

/// Pushes local journal entries the remote lacks (best effort at the end of a command).
pub fn mirror(cx: &Context<'_>, journal: &mut Journal) -> Result<(), WorkflowError> {
    on_journal(cx, journal, |journal| mirror_here(cx, journal))
}

fn mirror_here(cx: &Context<'_>, journal: &mut Journal) -> Result<(), WorkflowError> {
    // A run not on the remote is published once it holds its lock: the
    // lock step left the lock to a push that has not come (a gate, a
    // failure before it).
    let unpublished = !journal.is_published() && !journal.run.owns_lock();
    if unpublished || journal.remote_head.as_ref() == Some(&journal.head) {
        return Ok(());
    }
    let update = journal.mirror_update(&journal.head);
    let lease = lock_lease(journal, &[]);
    let mut all = vec![update];
    all.extend(lease.iter().cloned());
    let outcome = cx.git.push_atomic(&journal.run.record.remote, &all)?;
    refused_on_lock(cx, journal, &outcome, lease.as_ref())?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let head = journal.head.clone();
    cx.store(&journal.run).mark_pushed(&journal.id, &head)?;
    journal.mark_mirrored(head);
    Ok(())
}

/// Returns the error for a push the remote refused on the run's lock: the
/// lock the push was to create is another run's (the run, never on the
/// remote, is forgotten), or the lock the run holds is lost.
fn refused_on_lock(
    cx: &Context<'_>,
    journal: &Journal,
    outcome: &PushOutcome,
    lease: Option<&RefUpdate>,
) -> Result<(), WorkflowError> {
    let Some(lease) = lease else {
        return Ok(());
    };
    if lease.expected.is_some() {
        if is_stale(outcome, &lease.name) {
            return Err(lock_lost(cx, journal)?);
        }
        return Ok(());
    }
    if outcome.accepted() {
        return Ok(());
    }
    // The lock was free when git read the remote's refs, or the push would
    // say `stale info`; a push that won the race since says only that the
    // atomic transaction failed. Either way the remote's lock says who won.
    let store = cx.store(&journal.run);
    store.refresh()?;
    let branch = &journal.run.record.release_branch;
    match store.lock_value(branch)? {
        Some(value) if value != *journal.lock_value() => Err(release_locked(cx, journal, false)?),
        _ => Ok(()),
    }
}

/// Forgets `journal`'s run, never on the remote, whose push could not create
/// the release lock, and returns the error naming the run that holds it
/// (`refresh`: the remote's locks are fetched first).
pub(super) fn release_locked(
    cx: &Context<'_>,
    journal: &Journal,
    refresh: bool,
) -> Result<WorkflowError, WorkflowError> {
    let store = cx.store(&journal.run);
    if refresh {
        store.refresh()?;
    }
    let branch = journal.run.record.release_branch.clone();
    let holder = store
        .lock_holder(&branch)?
        .map_or_else(|| "(unknown)".to_string(), |(_, id)| id);
    store.discard_unpublished(journal)?;
    Ok(WorkflowError::ReleaseLocked { branch, holder })
}

/// Refuses to go on when the run owns its lock and the remote's lock, as
/// last fetched, is gone or holds another value.
pub fn check_lock(git: &Git, journal: &Journal) -> Result<(), WorkflowError> {
    // A run not on the remote takes its lock with its first push.
    if !journal.run.owns_lock() || !journal.is_published() {
        return Ok(());
    }
    let store = JournalStore::new(git, &journal.run.record.remote);
    let found = store.lock_value(&journal.run.record.release_branch)?;
    if found.as_ref() == Some(journal.lock_value()) {
        return Ok(());
    }
    Err(lock_lost_from(&store, journal, found))
}

/// Returns the error for a push the remote refused on the run's lock,
/// with what the lock holds now.
fn lock_lost(cx: &Context<'_>, journal: &Journal) -> Result<WorkflowError, WorkflowError> {
    let store = cx.store(&journal.run);
    store.refresh()?;
    let found = store.lock_value(&journal.run.record.release_branch)?;
    Ok(lock_lost_from(&store, journal, found))
}

fn lock_lost_from(store: &JournalStore<'_>, journal: &Journal, found: Option<Oid>) -> WorkflowError {
    let branch = &journal.run.record.release_branch;
    // A lock at a commit that is no journal entry names no run.
    let holder = match &found {
        Some(_) => store.lock_holder(branch).ok().flatten().map(|(_, id)| id),
        None => None,
    };
    WorkflowError::LockLost(Box::new(crate::engine::LostLock {
        id: journal.id.clone(),
        remote: journal.run.record.remote.clone(),
        lock_ref: JournalStore::lock_ref(branch),
        expected: journal.lock_value().clone(),
        found,
        holder,
    }))
}

/// Journals that the operator stopped the run at `step` (not done) and
/// returns the error that ends the command.
fn stop_at(cx: &Context<'_>, journal: &mut Journal, step: &StepName, signal: &str) -> WorkflowError {
    let event = Event::Interrupted {
        step: step.clone(),
        signal: signal.to_string(),
    };
    // The stop is what the operator must see; a journal that cannot be
    // written here changes nothing: the step is simply not done.
    if append_local(cx, journal, vec![event]).is_ok() {
        let _ = mirror(cx, journal);
    }
    WorkflowError::Interrupted {
        step: step.clone(),
        signal: signal.to_string(),
        during_command: false,
        may_have_run: false,
    }
}

fn record_failure(cx: &Context<'_>, journal: &mut Journal, step: &StepName, error: &WorkflowError) {
    if matches!(error, WorkflowError::ReleaseLocked { .. }) {
        return; // the run was discarded: it never existed on the remote
    }
    if matches!(error, WorkflowError::LockLost(_)) {
        return; // nothing was pushed, and nothing can be while the lock is lost
    }
    if matches!(error, WorkflowError::PlanMismatch(_)) {
        return; // the record is not to be trusted: add nothing to it
    }
    let evidence = match error {
        WorkflowError::ProductionStepFailed { evidence, .. } => evidence.clone(),
        _ => None,
    };
    let event = Event::StepFailed {
        step: step.clone(),
        error: cx.redactor.redact(&error.to_string()),
        evidence,
    };
    // The error itself is what the operator must see; a journal that cannot be
    // written here is written by the next `continue`.
    if append_local(cx, journal, vec![event]).is_ok() {
        let _ = mirror(cx, journal);
    }
}

pub(super) fn is_stale(outcome: &PushOutcome, name: &str) -> bool {
    outcome.rejected().any(|r| {
        r.name == name
            && (r.summary.contains("stale info")
                || r.summary.contains("fetch first")
                || r.summary.contains("non-fast-forward"))
    })
}

/// Recomputes the plan from the run's record onto the tip the run now
/// expects, with the conflicts resolved so far.
pub(crate) fn replan(cx: &Context<'_>, run: &Run) -> Result<Plan, WorkflowError> {
    let plan = run.plan();
    let fixes: Vec<Oid> = match plan.trunk.as_deref() {
        // A standard trunk plan picks nothing: its fixes are on main.
        Some(t) if plan.picks.is_empty() => t.fixes.clone(),
        _ => plan.picks.iter().map(|p| p.fix.clone()).collect(),
    };
    let branch_tip = plan.from_tag.as_deref().and_then(|t| t.branch_tip.clone());
    replan_with(cx, run, &fixes, branch_tip)
}

/// Makes the run's plan again with `fixes` (and, for from-tag, the hotfix
/// branch's tip they were pushed to).
pub(crate) fn replan_with(
    cx: &Context<'_>,
    run: &Run,
    fixes: &[Oid],
    branch_tip: Option<Oid>,
) -> Result<Plan, WorkflowError> {
    let record = &run.record;
    let main_tip = cx
        .git
        .read_ref(&tracking_ref(&record.remote, &record.main_branch))?
        .unwrap_or_else(|| run.plan().main_tip.clone());
    let strategy = strategy::find(&record.strategy).ok_or_else(|| WorkflowError::BlockedOnResume {
        reasons: format!("this git-hotfix does not know strategy `{}`", record.strategy),
    })?;
    let from_tag = run.plan().from_tag.as_deref();
    let input = PlanInput {
        git: cx.git,
        config: cx.config,
        production: Some(record.plan.production.clone()),
        production_given: from_tag.map(|t| t.production_tag.clone()),
        product: from_tag.map(|t| t.product.clone()),
        branch_tip,
        release_tip: run.expected_tip().clone(),
        main_tip,
        fixes: read_fixes(cx.git, fixes)?,
        mainline: record.mainline,
        operator: cx.operator.clone(),
        run_id: run.id.clone(),
        resolutions: run.resolutions(),
        allow_dependency: run.allowed_dependency().map(str::to_string),
        production_override: record.production_override.clone(),
        fix_requests: run.plan().merge_main.iter().filter_map(|m| m.request.clone()).collect(),
        // Which services ship is the plan's decision, made at start.
        services: run.plan().services.clone(),
        // Which path a trunk run takes is the plan's decision, made at start.
        main_releasable: run.plan().trunk.as_deref().map(|t| t.releasable.clone()),
    };
    strategy.plan(&input)
}

pub(super) fn built(
    run: &Run,
) -> Result<(Oid, Option<crate::record::plan::RestoreCommit>, Vec<BuiltPick>, Oid), WorkflowError> {
    match run.done(&StepName::BUILD) {
        Some(Evidence::Built {
            parent,
            restore,
            picks,
            new_tip,
            ..
        }) => Ok((parent.clone(), restore.clone(), picks.clone(), new_tip.clone())),
        _ => Err(WorkflowError::BlockedOnResume {
            reasons: "the build step has no evidence in the journal".into(),
        }),
    }
}

/// Closes the run: records the evidence items and gives the lock back in one push.
pub fn finish(
    cx: &Context<'_>,
    journal: &mut Journal,
    items: Vec<crate::journal::EvidenceItem>,
) -> Result<(), WorkflowError> {
    let lock_ref = JournalStore::lock_ref(&journal.run.record.release_branch);
    let event = Event::Finished { lock_ref, items };
    push_releasing_lock(cx, journal, event, "finish:after-remote")
}

/// Pushes `event` to the journal and deletes the run's lock in the same
/// atomic push (leased on the lock's value); when the lock is no longer the
/// run's (already released), pushes the journal alone.
fn push_releasing_lock(
    cx: &Context<'_>,
    journal: &mut Journal,
    event: Event,
    fault: &str,
) -> Result<(), WorkflowError> {
    let update = RefUpdate {
        name: JournalStore::lock_ref(&journal.run.record.release_branch),
        new: None,
        expected: Some(journal.lock_value().clone()),
    };
    let outcome = push_with_journal(cx, journal, vec![event.clone()], vec![update], fault)?;
    if outcome.accepted() {
        return Ok(());
    }
    if is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    // The lock is not the run's any more: give nothing back, record the end.
    let outcome = push_entries(cx, journal, vec![event], Vec::new(), None, fault)?;
    if outcome.accepted() {
        Ok(())
    } else {
        Err(JournalError::Contended { id: journal.id.clone() }.into())
    }
}

/// Returns the tree a commit records, read from the object store.
pub(crate) fn read_tree(git: &Git, commit: &Oid) -> Result<Oid, WorkflowError> {
    let mut commits = git.commits(std::slice::from_ref(commit))?;
    Ok(commits.remove(0).tree)
}

pub(super) fn done(step: &Step, evidence: Evidence) -> Event {
    Event::StepDone {
        step: step.name.clone(),
        evidence,
    }
}

/// Releases the run's lock (when it still holds it) and records the abort.
pub fn abort(cx: &Context<'_>, journal: &mut Journal, reason: &str) -> Result<(), WorkflowError> {
    let event = Event::Aborted {
        reason: cx.redactor.redact(reason),
    };
    crate::pick::resolve::close(cx, &journal.id);
    if !journal.is_published() {
        append_local(cx, journal, vec![event])?;
        return Ok(());
    }
    push_releasing_lock(cx, journal, event, "abort:after-remote")
}

/// Records the explicit decision that the remaining steps follow `config`,
/// on the remote, so every clone follows it too.
pub fn replace_config(
    cx: &Context<'_>,
    journal: &mut Journal,
    config: Config,
    changed: Vec<String>,
) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let strategy = strategy::find(&run.record.strategy).ok_or_else(|| WorkflowError::BlockedOnResume {
        reasons: format!("this git-hotfix does not know strategy `{}`", run.record.strategy),
    })?;
    let steps = strategy.steps(run.plan(), &run.record.named(&config));
    // Both sides masked: the run's steps hold this environment's secrets in memory.
    let before = cx
        .redactor
        .redact_all(&run.steps_of(crate::journal::Phase::Hotfix).to_vec());
    let changed_steps = changed_steps(&before, &steps.hotfix);
    let event = Event::ConfigReplaced {
        config: Box::new(config),
        changed,
        steps: Some(Box::new(steps)),
        changed_steps,
    };
    let outcome = push_with_journal(cx, journal, vec![event], Vec::new(), "replan:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(())
}

/// Returns the steps whose parameters differ between `before` and `after`:
/// `name` changed, `+name` added, `-name` dropped.
fn changed_steps(before: &[Step], after: &[Step]) -> Vec<String> {
    let mut changed: Vec<String> = after
        .iter()
        .filter_map(|s| match before.iter().find(|b| b.name == s.name) {
            Some(b) if b.action == s.action => None,
            Some(_) => Some(s.name.to_string()),
            None => Some(format!("+{}", s.name)),
        })
        .collect();
    changed.extend(
        before
            .iter()
            .filter(|b| !after.iter().any(|s| s.name == b.name))
            .map(|b| format!("-{}", b.name)),
    );
    changed
}

/// Records that release moved and the run goes on from `to_tip`.
pub fn rebuild(cx: &Context<'_>, journal: &mut Journal, to_tip: Oid, reason: &str) -> Result<(), WorkflowError> {
    let from_tip = journal.run.expected_tip().clone();
    let event = Event::Rebuilt {
        from_tip,
        to_tip,
        reason: reason.to_string(),
    };
    append_local(cx, journal, vec![event])?;
    Ok(())
}
