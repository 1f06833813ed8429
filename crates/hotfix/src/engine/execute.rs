//! Carries out a run's steps. Every step is idempotent: it first looks at
//! what the journal and the remote already hold, so running it again after a
//! crash converges on the same state with no duplicate commits.
//!
//! Steps that only read or write objects append to the local journal; steps
//! that move a remote ref push it in one atomic push together with the
//! journal, so "release moved" and "the journal says release moved" land
//! together or not at all.

use std::collections::BTreeSet;

use crate::ambient::Ambient;
use crate::config::Config;
use crate::git::{tracking_ref, Git, Oid, PushOutcome, RefUpdate, Signature};
use crate::interrupt::StopRequest;
use crate::journal::{Actor, BuiltPick, Event, Evidence, Journal, JournalError, JournalStore, Run};
use crate::providers::http::Observation;
use crate::secrets::Redactor;

use crate::engine::gates::{self, Gate};
use crate::engine::WorkflowError;
use crate::record::plan::{Check, CheckStatus, Plan, Step, StepName};
use crate::record::step::RefMove;
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
}

impl Context<'_> {
    pub(super) fn store(&self, run: &Run) -> JournalStore<'_> {
        JournalStore::new(self.git, &run.record.remote)
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
    while let Some(step) = journal.run.next_step().cloned() {
        let name = &step.name;
        if let Some(signal) = cx.stop.raised() {
            return Err(stop_at(cx, journal, name, signal.name()));
        }
        if let Some(attempt) = journal.run.open_attempt(name) {
            // Other clones must see the attempt as this one does.
            let _ = mirror(cx, journal);
            return Err(gates::attempt_blocker(cx, attempt));
        }
        if let Some(gate) = gates::gate_before(cx, &journal.run, &step) {
            mirror(cx, journal)?;
            return Ok(Outcome {
                steps_done,
                gate: Some(gate),
                caught_up: 0,
            });
        }
        cx.ambient.checkpoint(&format!("before:{name}"))?;
        let steps = journal.run.steps();
        let at = StepPosition {
            index: steps.iter().position(|s| s.name == *name).map_or(0, |i| i + 1),
            total: steps.len(),
        };
        cx.progress.step_started(&step, at);
        let result = super::steps::perform(cx, journal, &step);
        match result {
            Ok(()) => {}
            // An injected fault stands in for a crash: a crash records nothing.
            Err(WorkflowError::Fault(f)) => return Err(f.into()),
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
                record_failure(cx, journal, name, &e);
                return Err(e);
            }
        }
        if let Some(evidence) = journal.run.done(name) {
            steps_done += 1;
            cx.progress.step_done(&step, at, evidence);
        }
        cx.ambient.checkpoint(&format!("after:{name}"))?;
    }
    // Other clones (approvers, a colleague who takes over) see the whole record.
    mirror(cx, journal)?;
    Ok(Outcome {
        steps_done,
        gate: None,
        caught_up: 0,
    })
}

/// Appends events to this clone's journal only.
pub fn append_local(cx: &Context<'_>, journal: &mut Journal, events: Vec<Event>) -> Result<(), JournalError> {
    let store = cx.store(&journal.run);
    let count = events.len();
    let staged = journal.stage(&store, events, &cx.actor, &cx.signature_now())?;
    journal.commit(&store, staged)?;
    gates::announce(cx, &journal.run, count);
    Ok(())
}

/// Pushes `updates` and the journal with `events` appended in one atomic push;
/// on acceptance the events become this clone's journal too.
pub(super) fn push_with_journal(
    cx: &Context<'_>,
    journal: &mut Journal,
    events: Vec<Event>,
    updates: Vec<RefUpdate>,
    fault_after_remote: &str,
) -> Result<PushOutcome, WorkflowError> {
    let store = cx.store(&journal.run);
    let count = events.len();
    let staged = journal.stage(&store, events, &cx.actor, &cx.signature_now())?;
    let mut all = vec![journal.mirror_update(&staged.head)];
    all.extend(updates);
    let outcome = cx.git.push_atomic(&journal.run.record.remote, &all)?;
    if outcome.accepted() {
        cx.ambient.checkpoint(fault_after_remote)?;
        let head = staged.head.clone();
        journal.commit(&store, staged)?;
        journal.mark_mirrored(head);
        gates::announce(cx, &journal.run, count);
    }
    Ok(outcome)
}

/// Pushes local journal entries the remote lacks (best effort at the end of a command).
pub fn mirror(cx: &Context<'_>, journal: &mut Journal) -> Result<(), WorkflowError> {
    if !journal.is_published() || journal.remote_head.as_ref() == Some(&journal.head) {
        return Ok(());
    }
    let update = journal.mirror_update(&journal.head);
    let outcome = cx.git.push_atomic(&journal.run.record.remote, &[update])?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let head = journal.head.clone();
    journal.mark_mirrored(head);
    Ok(())
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

pub(super) fn record_production(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    let production = journal.run.record.plan.production.clone();
    append_local(cx, journal, vec![done(step, Evidence::Production { production })])?;
    Ok(())
}

pub(super) fn lock(cx: &Context<'_>, journal: &mut Journal, step: &Step, branch: &str) -> Result<(), WorkflowError> {
    let branch = branch.to_string();
    let lock_ref = JournalStore::lock_ref(&branch);
    let value = journal.lock_value().clone();
    let evidence = Evidence::Lock {
        lock_ref: lock_ref.clone(),
        value: value.clone(),
    };
    if journal.is_published() {
        // Published runs took the lock in the publishing push.
        append_local(cx, journal, vec![done(step, evidence)])?;
        return Ok(());
    }
    let update = RefUpdate {
        name: lock_ref,
        new: Some(value),
        expected: None,
    };
    let outcome = push_with_journal(
        cx,
        journal,
        vec![done(step, evidence)],
        vec![update],
        "lock:after-remote",
    )?;
    if outcome.accepted() {
        return Ok(());
    }
    let store = cx.store(&journal.run);
    store.refresh()?;
    let holder = store
        .lock_holder(&branch)?
        .map_or_else(|| "(unknown)".to_string(), |(_, id)| id);
    store.discard_unpublished(journal)?;
    Err(WorkflowError::ReleaseLocked { branch, holder })
}

pub(super) fn build(cx: &Context<'_>, journal: &mut Journal, step: &Step) -> Result<(), WorkflowError> {
    let run = &journal.run;
    let confirmed = run.plan();
    let rebuilt = run.expected_tip() != &confirmed.release_tip;
    // The plan confirmed at start already wrote these objects, unless this is
    // another clone or a rebuild on a new tip.
    // A confirmed plan that stopped at a conflict goes on only through a
    // resolution, so it is always recomputed with the run's resolutions.
    let complete = confirmed.conflict().is_none();
    let plan = if !rebuilt && complete && cx.git.has_object(&confirmed.new_tip)? {
        confirmed.clone()
    } else {
        replan(cx, run)?
    };
    if let Some(pick) = plan.conflict() {
        return Err(WorkflowError::PickConflict {
            fix: pick.fix.clone(),
            subject: pick.subject.clone(),
            conflicts: pick.conflicts.clone(),
            unreleased: pick.unreleased.clone(),
        });
    }
    if !plan.is_safe() {
        let reasons = plan.blocking().map(|c| c.detail.clone()).collect::<Vec<_>>().join("; ");
        return Err(WorkflowError::BlockedOnResume { reasons });
    }
    if !rebuilt && complete && plan.release_tree != confirmed.release_tree {
        return Err(WorkflowError::PlanChanged {
            expected: confirmed.release_tree.clone(),
            got: plan.release_tree,
        });
    }
    let picks = plan
        .picks
        .iter()
        .map(|p| BuiltPick {
            fix: p.fix.clone(),
            subject: p.subject.clone(),
            status: p.status,
            commit: p.commit.clone(),
            touched: p.touched.clone(),
            placed: p.placed.clone(),
        })
        .collect();
    let evidence = Evidence::Built {
        parent: plan.release_tip.clone(),
        restore: plan.restore.clone(),
        picks,
        new_tip: plan.new_tip.clone(),
        release_tree: plan.release_tree.clone(),
        checks: plan.checks.clone(),
        extra_commits: plan.extra_commits.clone(),
    };
    append_local(cx, journal, vec![done(step, evidence)])?;
    // The resolution is in the journal and the commits are built: the
    // worktree has served its purpose.
    crate::pick::resolve::close(cx, &journal.id);
    Ok(())
}

/// Recomputes the plan from the run's record onto the tip the run now
/// expects, with the conflicts resolved so far.
pub(crate) fn replan(cx: &Context<'_>, run: &Run) -> Result<Plan, WorkflowError> {
    let plan = run.plan();
    let fixes: Vec<Oid> = plan.picks.iter().map(|p| p.fix.clone()).collect();
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
    };
    strategy.plan(&input)
}

fn built(run: &Run) -> Result<(Oid, Option<crate::record::plan::RestoreCommit>, Vec<BuiltPick>, Oid), WorkflowError> {
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

/// Returns `planned` carried onto what the build made: a rebuild on a new
/// tip changes the commit pushed and the value expected there.
fn as_built(run: &Run, planned: &RefMove) -> RefMove {
    let plan = run.plan();
    let Ok((parent, _, _, new_tip)) = built(run) else {
        return planned.clone();
    };
    RefMove {
        name: planned.name.clone(),
        expected: match &planned.expected {
            Some(e) if *e == plan.release_tip => Some(parent),
            other => other.clone(),
        },
        new: if planned.new == plan.new_tip {
            new_tip
        } else {
            planned.new.clone()
        },
    }
}

pub(super) fn push(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    planned: &RefMove,
) -> Result<(), WorkflowError> {
    let RefMove {
        name: branch_ref,
        expected,
        new: new_tip,
    } = as_built(&journal.run, planned);
    if !cx.git.has_object(&new_tip)? {
        // Another clone built these commits and stopped before pushing them:
        // nothing of them is on the remote, so build again here.
        let expected = journal.run.expected_tip().clone();
        let event = Event::Rebuilt {
            from_tip: expected.clone(),
            to_tip: expected,
            reason: format!(
                "the built commits ({}) are not in this clone; building them here",
                new_tip.short()
            ),
        };
        append_local(cx, journal, vec![event])?;
        return Ok(());
    }
    let remote = journal.run.record.remote.clone();
    let branch = branch_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&branch_ref)
        .to_string();
    let pushed = |already| {
        done(
            step,
            Evidence::Pushed {
                branch_ref: branch_ref.clone(),
                old: expected.clone(),
                new: new_tip.clone(),
                already,
            },
        )
    };
    let update = RefUpdate {
        name: branch_ref.clone(),
        new: Some(new_tip.clone()),
        expected: expected.clone(),
    };
    let fault = format!("{}:after-remote", step.name);
    let outcome = push_with_journal(cx, journal, vec![pushed(false)], vec![update], &fault)?;
    if outcome.accepted() {
        return Ok(());
    }
    if is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let found = cx.git.remote_ref(&remote, &branch_ref)?;
    if found.as_ref() == Some(&new_tip) {
        // An earlier attempt pushed release but not its journal entry.
        append_local(cx, journal, vec![pushed(true)])?;
        return Ok(());
    }
    if !is_stale(&outcome, &branch_ref) {
        let detail = outcome
            .rejected()
            .map(|r| format!("{} {}", r.name, r.summary))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(WorkflowError::PushRefused { detail });
    }
    let Some(parent) = expected else {
        return Err(WorkflowError::RefExists {
            name: branch_ref,
            found,
        });
    };
    let unexpected = match &found {
        Some(tip) => {
            cx.git.fetch_branches(&remote, &[&branch])?;
            if cx.git.is_ancestor(&parent, tip)? {
                cx.git.first_parent_chain(&parent, tip)?
            } else {
                cx.git.first_parent_chain(&new_tip, tip)?
            }
        }
        None => Vec::new(),
    };
    Err(WorkflowError::ReleaseMoved {
        branch,
        expected: parent,
        found,
        unexpected,
    })
}

pub(super) fn verify_release(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    branch: &str,
    also_paths: &[String],
) -> Result<(), WorkflowError> {
    let (parent, restore, picks, new_tip) = built(&journal.run)?;
    let extra_commits = match journal.run.done(&StepName::BUILD) {
        Some(Evidence::Built { extra_commits, .. }) => extra_commits.clone(),
        _ => Vec::new(),
    };
    let record = &journal.run.record;
    let production = &record.plan.production.commit;
    let tracking = tracking_ref(&record.remote, branch);
    cx.git.fetch_branches(&record.remote, &[branch])?;
    let remote_tip = cx
        .git
        .read_ref(&tracking)?
        .ok_or_else(|| WorkflowError::VerificationFailed {
            reasons: format!("{branch} no longer exists on {}", record.remote),
        })?;

    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, pass: String, fail: String| {
        checks.push(Check::new(
            name,
            if ok { CheckStatus::Pass } else { CheckStatus::Block },
            if ok { pass } else { fail },
        ));
    };
    check(
        "remote-tip",
        remote_tip == new_tip,
        format!("{}/{branch} is {}", record.remote, new_tip.short()),
        format!(
            "{}/{branch} is {}, expected {}",
            record.remote,
            remote_tip.short(),
            new_tip.short()
        ),
    );
    // Equal tree ids prove identical content: `git diff <production>..<restore>` is empty.
    let production_tree = record.plan.production_tree.clone();
    let restore_tree = match &restore {
        Some(r) => Some(read_tree(cx.git, &r.commit)?),
        None => None,
    };
    check(
        "restore-diff-empty",
        restore_tree.as_ref().is_none_or(|t| *t == production_tree),
        format!(
            "git diff {}..{} is empty (both trees are {})",
            production.short(),
            restore.as_ref().map_or("release", |r| r.commit.short()),
            production_tree.short()
        ),
        format!(
            "the restore commit's tree {} is not production's tree {}",
            restore_tree.as_ref().map_or("-", |t| t.short()),
            production_tree.short()
        ),
    );
    let gained = if cx.git.is_ancestor(&parent, &remote_tip)? {
        cx.git.first_parent_chain(&parent, &remote_tip)?
    } else {
        Vec::new()
    };
    let mut expected: Vec<Oid> = restore.iter().map(|r| r.commit.clone()).collect();
    expected.extend(picks.iter().filter_map(|p| p.commit.clone()));
    expected.extend(extra_commits.iter().cloned());
    let gained_ids: Vec<Oid> = gained.iter().rev().map(|c| c.id.clone()).collect();
    let what = if restore.is_some() {
        "the restore + the fixes"
    } else {
        "the fixes (no restore: release already had production's tree)"
    };
    check(
        "only-restore-and-fixes",
        gained_ids == expected,
        format!("release gained exactly {} commit(s): {what}", expected.len()),
        format!(
            "release gained {} commit(s) ({}), expected {what} ({})",
            gained_ids.len(),
            gained.iter().map(|c| c.id.short()).collect::<Vec<_>>().join(" "),
            expected.iter().map(Oid::short).collect::<Vec<_>>().join(" ")
        ),
    );
    let changed_paths = cx.git.changed_paths(production, &remote_tip)?;
    let allowed: BTreeSet<&str> = picks
        .iter()
        .filter(|p| p.commit.is_some())
        .flat_map(|p| p.touched.iter().chain(&p.placed).map(String::as_str))
        .chain(also_paths.iter().map(String::as_str))
        .collect();
    let extra: Vec<&str> = changed_paths
        .iter()
        .map(String::as_str)
        .filter(|p| !allowed.contains(p))
        .collect();
    check(
        "production-plus-fixes",
        extra.is_empty(),
        format!(
            "release differs from production only in the fixes' {} path(s)",
            changed_paths.len()
        ),
        format!(
            "release also changes paths no fix touches: {}",
            crate::record::plan::list_paths(&extra)
        ),
    );

    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Block)
        .map(|c| c.detail.clone())
        .collect();
    if !failed.is_empty() {
        return Err(WorkflowError::VerificationFailed {
            reasons: failed.join("; "),
        });
    }
    let evidence = Evidence::Verified {
        remote_tip,
        production_tree,
        restore_tree,
        gained,
        changed_paths,
        checks,
    };
    append_local(cx, journal, vec![done(step, evidence)])?;
    Ok(())
}

/// Creates the annotated tag `tag` on the build's commit, by
/// compare-and-swap: the tag must not exist on the remote.
pub(super) fn create_tag(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    tag: &str,
    message: &str,
) -> Result<(), WorkflowError> {
    let (_, _, _, commit) = built(&journal.run)?;
    let tag_ref = format!("refs/tags/{tag}");
    let object = cx.git.write_tag(&commit, tag, &cx.signature_now(), message)?;
    let evidence = Evidence::Tagged {
        tag_ref: tag_ref.clone(),
        object: object.clone(),
        commit,
    };
    let update = RefUpdate {
        name: tag_ref.clone(),
        new: Some(object),
        expected: None,
    };
    let fault = format!("{}:after-remote", step.name);
    let outcome = push_with_journal(cx, journal, vec![done(step, evidence)], vec![update], &fault)?;
    if outcome.accepted() {
        return Ok(());
    }
    if is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let found = cx.git.remote_ref(&journal.run.record.remote, &tag_ref)?;
    Err(WorkflowError::RefExists { name: tag_ref, found })
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
    let outcome = push_with_journal(cx, journal, vec![event], Vec::new(), fault)?;
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
    let event = Event::ConfigReplaced {
        config: Box::new(config),
        changed,
        steps: Some(Box::new(steps)),
    };
    let outcome = push_with_journal(cx, journal, vec![event], Vec::new(), "replan:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(())
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
