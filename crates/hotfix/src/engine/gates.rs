//! The release gates after release is pushed and verified (seeds 000-003):
//! approvals, the release job, the production deploy, production
//! verification, smoke checks, rollback, and the announcements of each.
//! The steps themselves are in [`super::steps`]; this module holds what
//! holds them back (the gates, an open attempt), the operator's decisions
//! (approve, attest, rerun, roll back) and the announcements.
//!
//! Each step touching production first checks that release still holds the
//! commit this run pushed, so nothing deploys a release nobody approved.

use crate::config::ApprovalCheck;
use crate::git::{tracking_ref, Git, Oid, RefUpdate};
use crate::journal::{
    person_of, Approval, Event, Evidence, Journal, JournalError, JournalStore, OpenAttempt, Phase, Run,
};
use crate::providers::command;
use crate::providers::notify;
use crate::report;

use crate::engine::approvals::{self, Refusal};
use crate::engine::execute::{append_local, done, is_stale, push_staged, push_with_journal, Context};
use crate::engine::WorkflowError;
use crate::record::plan::{Action, Step, StepName};

/// Where a run waits for a person.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum Gate {
    /// Roles of `[approvals]` without an approval that counts, and each
    /// approval given that does not count, with why.
    Approvals {
        missing: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        not_counted: Vec<String>,
    },
    /// The next step touches production and needs the operator's go (`--yes`).
    Confirmation { step: StepName },
    /// The run waits for a person to commit the fix on `branch` (from-tag
    /// without `--fix`).
    Fix { branch: String },
}

/// Returns the approval roles of the run's current steps, with whether a
/// fix's author may approve.
pub fn approval_roles(run: &Run) -> Option<&crate::config::Approvals> {
    run.steps().iter().find_map(|s| match &s.action {
        Action::Approvals(a) => Some(a),
        _ => None,
    })
}

/// Returns the gate that holds `step` back, if any.
pub fn gate_before(cx: &Context<'_>, run: &Run, step: &Step) -> Option<Gate> {
    if let Action::WaitForFix { branch, base } = &step.action {
        // A fetch that fails here fails again in the step, which says why.
        let pushed = super::steps::pushed_fixes(cx, &run.record.remote, branch, base);
        return matches!(pushed, Ok((commits, _)) if commits.is_empty()).then(|| Gate::Fix { branch: branch.clone() });
    }
    if let Action::Approvals(approvals) = &step.action {
        return approvals_gate(cx, run, &approvals.roles);
    }
    if step.touches_production() {
        // The approvals step's `done` entry is as forgeable as an approval:
        // every production step checks the approvals again (a rollback's
        // too, when it has an approvals step of its own).
        let passed = run
            .steps()
            .iter()
            .find(|s| matches!(s.action, Action::Approvals(_)))
            .filter(|s| run.done(&s.name).is_some());
        if let (Some(_), Some(approvals)) = (passed, approval_roles(run)) {
            if let Some(gate) = approvals_gate(cx, run, &approvals.roles) {
                return Some(gate);
            }
        }
    }
    (step.touches_production() && !cx.confirmed).then_some(Gate::Confirmation {
        step: step.name.clone(),
    })
}

/// Returns the approvals gate while a role of `roles` lacks an approval
/// that counts, checked again from the journal. Approvals that cannot be
/// checked do not count.
fn approvals_gate(cx: &Context<'_>, run: &Run, roles: &[String]) -> Option<Gate> {
    let (missing, not_counted) = match approvals::review(cx.git, run, cx.config) {
        Ok(review) => (
            review.missing(roles),
            review.objections().map(approvals::NotCounted::describe).collect(),
        ),
        Err(e) => (roles.to_vec(), vec![format!("the approvals could not be checked: {e}")]),
    };
    (!missing.is_empty()).then_some(Gate::Approvals { missing, not_counted })
}

/// Returns the run's approval roles without an approval that counts.
pub fn missing_roles(git: &Git, run: &Run, config: &crate::config::Config) -> Result<Vec<String>, WorkflowError> {
    let roles = approval_roles(run).map(|a| a.roles.clone()).unwrap_or_default();
    Ok(approvals::review(git, run, config)?.missing(&roles))
}

/// Returns the commit this run put on release, or why there is none to `what`.
pub(super) fn pushed_sha(run: &Run, what: &'static str) -> Result<Oid, WorkflowError> {
    run.release_sha().cloned().ok_or_else(|| WorkflowError::NotPushed {
        id: run.id.clone(),
        what,
    })
}

/// Checks that the remote release still holds the commit this run put
/// there, and returns it.
pub(super) fn release_unmoved(cx: &Context<'_>, run: &Run) -> Result<Oid, WorkflowError> {
    let record = &run.record;
    let expected = pushed_sha(run, "deploy")?;
    if run.phase() == Phase::Rollback && !run.rollback_restores() {
        // The rollback deploys production's own commit: no branch to hold it.
        return Ok(expected);
    }
    cx.git.fetch_branches(&record.remote, &[&record.release_branch])?;
    let found = cx.git.read_ref(&tracking_ref(&record.remote, &record.release_branch))?;
    if run.plan().ships_from_main() {
        // merge-main deploys a commit of main, which goes on growing: main must
        // still hold it (never rewritten away), not stand still at it.
        let held = match &found {
            Some(tip) => cx.git.is_ancestor(&expected, tip)?,
            None => false,
        };
        if !held {
            return Err(WorkflowError::ReleaseMovedAfterPush {
                branch: record.release_branch.clone(),
                expected,
                found,
                production_touched: production_touched(run),
            });
        }
        return Ok(expected);
    }
    if found.as_ref() != Some(&expected) {
        return Err(WorkflowError::ReleaseMovedAfterPush {
            branch: record.release_branch.clone(),
            expected,
            found,
            production_touched: production_touched(run),
        });
    }
    Ok(expected)
}

/// Returns true when a release job or deploy of the run's current phase
/// ran, or may have: production may then run what the run pushed.
pub fn production_touched(run: &Run) -> bool {
    run.steps().iter().filter(|s| s.is_unrepeatable()).any(|step| {
        let step = &step.name;
        run.done(step).is_some()
            || run.entries.iter().any(|(_, e)| {
                matches!(&e.event,
                    Event::StepFailed { step: s, .. }
                    | Event::StepStarted { step: s, .. }
                    | Event::StepInterrupted { step: s, .. } if s == step)
            })
    })
}

/// Returns why `attempt` holds its step back: still running here, or
/// waiting for the operator's decision to run it again.
pub(super) fn attempt_blocker(cx: &Context<'_>, attempt: OpenAttempt) -> WorkflowError {
    let here = attempt.host == cx.actor.host;
    if here && command::group_alive(attempt.pgid) {
        return WorkflowError::StepStillRunning {
            step: attempt.step,
            pgid: attempt.pgid,
            host: attempt.host,
            started_at: attempt.started_at,
            started_by: attempt.started_by,
        };
    }
    WorkflowError::RerunUndecided {
        known_gone: here,
        attempt,
    }
}

/// Records the operator's decision to run `step` again although an earlier
/// attempt may have run; refused while that attempt's process group lives.
pub fn allow_rerun(cx: &Context<'_>, journal: &mut Journal, step: &StepName) -> Result<(), WorkflowError> {
    let Some(attempt) = journal.run.open_attempt(step) else {
        return Err(WorkflowError::NothingToRerun {
            id: journal.id.clone(),
            step: step.clone(),
        });
    };
    if let e @ WorkflowError::StepStillRunning { .. } = attempt_blocker(cx, attempt) {
        return Err(e);
    }
    append_local(cx, journal, vec![Event::RerunAllowed { step: step.clone() }])?;
    Ok(())
}

/// Fails `step` with its evidence when `ok` is false; else journals it as done.
pub(super) fn conclude(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    ok: Result<(), String>,
    evidence: Evidence,
) -> Result<(), WorkflowError> {
    match ok {
        Ok(()) => {
            append_local(cx, journal, vec![done(step, evidence)])?;
            Ok(())
        }
        // A failed release job has not reached production yet; any later
        // step's failure leaves production perhaps half-changed.
        Err(reason) => Err(WorkflowError::ProductionStepFailed {
            step: step.name.clone(),
            reason,
            evidence: Some(Box::new(evidence)),
            rollback: journal.run.phase() == Phase::Hotfix && !step.is_release_job(),
        }),
    }
}

/// Records that the rollback begins; its steps follow with `run_steps`.
/// A finished or aborted run gave its lock back: the rollback takes it again
/// in the same push (it must not exist), so no other hotfix moves release meanwhile.
pub fn start_rollback(
    cx: &Context<'_>,
    journal: &mut Journal,
    reason: &str,
    services: &[String],
) -> Result<(), WorkflowError> {
    let event = Event::RollbackStarted {
        reason: cx.redactor.redact(reason),
        services: services.to_vec(),
    };
    let branch = journal.run.record.release_branch.clone();
    let relock = journal.run.state().is_finished();
    let updates = if relock {
        vec![RefUpdate {
            name: JournalStore::lock_ref(&branch),
            new: Some(journal.lock_value().clone()),
            expected: None,
        }]
    } else {
        Vec::new()
    };
    let outcome = push_with_journal(cx, journal, vec![event], updates, "rollback:after-remote")?;
    if outcome.accepted() {
        return Ok(());
    }
    if relock && !is_stale(&outcome, &JournalStore::run_ref(&journal.id)) {
        let store = JournalStore::new(cx.git, &journal.run.record.remote);
        store.refresh()?;
        let holder = store
            .lock_holder(&branch)?
            .map_or_else(|| "(unknown run)".to_string(), |(_, id)| id);
        return Err(WorkflowError::ReleaseLocked { branch, holder });
    }
    Err(JournalError::Contended { id: journal.id.clone() }.into())
}

/// Records the operator's sign-off in `role` on the pushed release. Under
/// `verify = "signature"` the entry is signed and checked, by the rules
/// every reader applies, before it is pushed: one that would not count is
/// refused, and nothing is pushed.
pub fn approve(cx: &Context<'_>, journal: &mut Journal, role: &str) -> Result<Approval, WorkflowError> {
    let approvals = approval_roles(&journal.run).cloned().unwrap_or_default();
    let roles = &approvals.roles;
    if !roles.iter().any(|r| r == role) {
        return Err(WorkflowError::UnknownRole {
            role: role.to_string(),
            roles: roles.clone(),
        });
    }
    // A rollback is approved only when its steps have an approvals step
    // (`verify = "forge"`; `approval_roles` reads the current phase's
    // steps), once its restore put the commit to approve on release.
    if journal.run.release_sha().is_none() {
        return Err(WorkflowError::NotPushed {
            id: journal.id.clone(),
            what: "approve",
        });
    }
    let rollback = journal.run.phase() == Phase::Rollback;
    let release_tip = release_unmoved(cx, &journal.run)?;
    let ident = cx.actor.ident.clone();
    let review = approvals::review(cx.git, &journal.run, cx.config)?;
    if approvals.verify == ApprovalCheck::None {
        refuse_by_email(cx, journal, &review, &approvals, role, &ident)?;
        if let Some(given) = review
            .counted
            .iter()
            .find(|c| c.approval.role == role && c.approval.person() == person_of(&ident))
        {
            return Ok(given.approval.clone());
        }
    }
    let approval = Approval {
        role: role.to_string(),
        ident,
        at: cx.ambient.now(),
        release_tip,
        verified: None,
        forge: None,
        rollback,
    };
    if approvals.verify == ApprovalCheck::Forge {
        return approve_on_forge(cx, journal, &review, approval);
    }
    let events = vec![Event::Approved {
        approval: approval.clone(),
    }];
    if approvals.verify == ApprovalCheck::None {
        let outcome = push_with_journal(cx, journal, events, Vec::new(), "approve:after-remote")?;
        if !outcome.accepted() {
            return Err(JournalError::Contended { id: journal.id.clone() }.into());
        }
        return Ok(Approval {
            verified: Some(crate::journal::Verification::Unverified),
            ..approval
        });
    }
    let store = cx.store(&journal.run);
    let refused = |refusal| WorkflowError::ApprovalRefused {
        role: role.to_string(),
        refusal,
    };
    let staged = journal
        .stage(&store, events, &cx.actor, &cx.signature_now())
        .map_err(|e| refused(Refusal::SigningFailed { detail: e.to_string() }))?;
    let mut with_it = journal.run.clone();
    let (oid, entry) = staged.entries().last().cloned().expect("one event staged, one entry");
    with_it.push(oid.clone(), entry);
    let review = approvals::review(cx.git, &with_it, cx.config)?;
    if let Some(not) = review.refused.iter().find(|r| r.entry == oid) {
        if let Refusal::Repeat { .. } = not.refusal {
            let first = review.counted.iter().find(|c| c.approval.role == role);
            return Ok(first.expect("a repeat repeats a counted approval").approval.clone());
        }
        return Err(refused(not.refusal.clone()));
    }
    let counted = review
        .counted
        .into_iter()
        .find(|c| c.entry == oid)
        .expect("a staged approval is counted or refused");
    let outcome = push_staged(cx, journal, &store, staged, Vec::new(), "approve:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(counted.approval)
}

/// Approves the deploy job's deployment on the forge as the token's user
/// (`verify = "forge"`), journals the forge's answer, and returns the
/// approval as the forge, read again, backs it. Checked before anything is
/// posted: one forge user one role, each role one forge user. An approval
/// the forge already holds for this run and role (a crash after the post)
/// is journaled, not posted again.
fn approve_on_forge(
    cx: &Context<'_>,
    journal: &mut Journal,
    review: &approvals::Review,
    approval: Approval,
) -> Result<Approval, WorkflowError> {
    let role = approval.role.clone();
    let refused = |refusal| WorkflowError::ApprovalRefused {
        role: role.clone(),
        refusal,
    };
    let not_on_forge = |reason: String| refused(Refusal::NotOnForge { reason });
    let target =
        crate::engine::forge_approvals::target(cx.config, cx.git.git_dir(), &journal.run).map_err(&not_on_forge)?;
    let Some(deployment) = target.deployment else {
        return Err(not_on_forge(
            "the deploy job has no deployment on the forge yet (it exists once the release job made the deploy \
             pipeline)"
                .into(),
        ));
    };
    let me = target
        .forge
        .whoami()
        .map_err(|e| not_on_forge(cx.redactor.redact(&e.to_string())))?;
    let user = crate::record::forge::ForgeApprover {
        id: me.id,
        username: me.username.clone(),
    };
    let forge = approvals::forge_name(target.forge.kind());
    match approvals::check_forge_approver(cx.git, &journal.run, review, &forge, &role, &user) {
        Ok(()) => {}
        Err(Refusal::Repeat { .. }) => {
            let first = review.counted.iter().find(|c| c.approval.role == role);
            return Ok(first.expect("a repeat repeats a counted approval").approval.clone());
        }
        Err(refusal) => return Err(refused(refusal)),
    }
    let who = format!("@{} (forge user {})", me.username, me.id);
    let comment = crate::record::forge::approval_comment(&journal.id, &role, approval.rollback);
    // GitHub keeps the hotfix's approvals and its rollback's on the same
    // head commit and environment: the other phase's answer is not this one's.
    let other_phase = |a: &crate::record::forge::ForgeApproval| {
        a.comment
            .as_deref()
            .and_then(|c| crate::record::forge::approval_comment_phase(&journal.id, c))
            == Some(!approval.rollback)
    };
    let mine = deployment
        .approvals
        .iter()
        .find(|a| a.user.id == me.id && !other_phase(a));
    let given = match mine {
        Some(a) if a.comment.as_deref() == Some(comment.as_str()) && a.status == "approved" => a.clone(),
        Some(a) => {
            return Err(not_on_forge(format!(
                "{who} already answered deployment {} on the forge ({}{}); one forge user approves one role",
                deployment.id,
                a.status,
                a.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default()
            )))
        }
        None => target
            .forge
            .approve_deployment(&deployment, &comment)
            .map_err(|e| not_on_forge(cx.redactor.redact(&e.to_string())))?,
    };
    let events = vec![Event::Approved {
        approval: Approval {
            forge: Some(given),
            ..approval
        },
    }];
    let outcome = push_with_journal(cx, journal, events, Vec::new(), "approve:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    let oid = journal.run.entries.last().map(|(oid, _)| oid.clone());
    let review = approvals::review(cx.git, &journal.run, cx.config)?;
    if let Some(not) = review.refused.iter().find(|r| Some(&r.entry) == oid.as_ref()) {
        // An earlier entry claiming this forge user in this role (a crash
        // before this one, or someone else's record of it) is backed by the
        // same forge approval now: that one counts, as the forge holds it.
        if let Refusal::Repeat { .. } = not.refusal {
            if let Some(first) = review.counted.iter().find(|c| c.approval.role == role) {
                return Ok(first.approval.clone());
            }
        }
        return Err(refused(not.refusal.clone()));
    }
    review
        .counted
        .into_iter()
        .find(|c| Some(&c.entry) == oid.as_ref())
        .map(|c| c.approval)
        .ok_or_else(|| not_on_forge("the forge does not show the approval it answered".into()))
}

/// Refuses an approval under `verify = "none"` by the email rules: each
/// role one email, each email one role, not a fix's author.
fn refuse_by_email(
    cx: &Context<'_>,
    journal: &Journal,
    review: &approvals::Review,
    approvals: &crate::config::Approvals,
    role: &str,
    ident: &str,
) -> Result<(), WorkflowError> {
    let me = person_of(ident);
    for given in review.counted.iter().map(|c| &c.approval) {
        if given.role == role && given.person() != me {
            return Err(WorkflowError::RoleTaken {
                role: role.to_string(),
                ident: given.ident.clone(),
            });
        }
        if given.role != role && given.person() == me {
            return Err(WorkflowError::SamePerson {
                ident: ident.to_string(),
                other_role: given.role.clone(),
            });
        }
    }
    if !approvals.allow_fix_author {
        for fix in cx.git.commits(&journal.run.record.fixes)? {
            if fix.author.email.to_ascii_lowercase() == me {
                return Err(WorkflowError::FixAuthor {
                    ident: ident.to_string(),
                    fix: fix.id,
                });
            }
        }
    }
    Ok(())
}

/// Records a person's word for an evidence item no configured step proves.
pub fn attest(cx: &Context<'_>, journal: &mut Journal, item: &str, detail: &str) -> Result<(), WorkflowError> {
    report::check_attestable(&journal.run, cx.config, item).map_err(|reason| WorkflowError::NotAttestable {
        item: item.to_string(),
        reason,
    })?;
    let event = Event::Attested {
        item: item.to_string(),
        detail: cx.redactor.redact(detail),
    };
    let outcome = push_with_journal(cx, journal, vec![event], Vec::new(), "attest:after-remote")?;
    if !outcome.accepted() {
        return Err(JournalError::Contended { id: journal.id.clone() }.into());
    }
    Ok(())
}

/// Posts the run's `newest` entries worth announcing to the `[notify]`
/// webhook. A webhook that fails is a notice, never a failed step:
/// production matters more.
pub(super) fn announce(cx: &Context<'_>, run: &Run, newest: usize) {
    super::incident::timeline(cx, run, newest);
    let Some(webhook) = &cx.config.notify.webhook else {
        return;
    };
    for (_, entry) in &run.entries[run.entries.len().saturating_sub(newest)..] {
        let Some(text) = announcement(cx, run, &entry.event) else {
            continue;
        };
        if let Err(why) = notify::post(webhook, &cx.redactor.redact(&text)) {
            cx.progress
                .notice(&format!("notification not sent: {}", cx.redactor.redact(&why)));
        }
    }
}

fn announcement(cx: &Context<'_>, run: &Run, event: &Event) -> Option<String> {
    let service = cx.config.service.as_deref().unwrap_or(&run.record.release_branch);
    let id = &run.id;
    let sha = |s: &Oid| s.short().to_string();
    let text = match event {
        Event::StepDone {
            evidence: Evidence::Lock { .. },
            ..
        } => format!(
            ":rotating_light: hotfix {id} started for {service} ({} severity): {} fix(es) onto {}/{}, production {}",
            run.record.severity.as_str(),
            run.record.fixes.len(),
            run.record.remote,
            run.record.release_branch,
            sha(&run.record.plan.production.commit)
        ),
        Event::Approved { approval: a } => format!(
            "hotfix {id}: {} approved as {} ({})",
            a.ident,
            a.role,
            sha(&a.release_tip)
        ),
        Event::StepDone {
            evidence: Evidence::Deployed { release_sha, .. },
            ..
        } => format!("hotfix {id}: {service} deployed {}", sha(release_sha)),
        Event::StepDone {
            evidence: Evidence::ProductionVerified { release_sha, .. },
            ..
        } => format!("hotfix {id}: production {service} verified on {}", sha(release_sha)),
        Event::RollbackStarted { reason, .. } => format!(
            ":warning: hotfix {id}: rolling {service} back to {}: {reason}",
            sha(&run.record.plan.production.commit)
        ),
        Event::Finished { items, .. } => format!(
            "hotfix {id} finished{}: {}",
            if run.phase() == Phase::Rollback {
                " after a rollback"
            } else {
                ""
            },
            items_ok(items)
        ),
        _ => return None,
    };
    Some(text)
}

/// Says how many of a finished run's evidence items are ok: "3 of 9
/// evidence items ok", as every announcement of a finish puts it.
pub(crate) fn items_ok(items: &[crate::journal::EvidenceItem]) -> String {
    let ok = items
        .iter()
        .filter(|i| i.status == crate::journal::ItemStatus::Ok)
        .count();
    format!("{ok} of {} evidence items ok", items.len())
}
