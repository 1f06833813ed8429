//! The `verify` operation: checks a whole run, as anyone reading it later
//! would: its chain of entries, the signatures of its decisions against the
//! allowed signers this clone trusts, and that its commits are what its
//! inputs give. It never writes the journal.

use crate::engine::execute::Silent;
use crate::engine::{steps, WorkflowError};
use crate::git::{Git, Oid, Verdict};
use crate::journal::{Entry, Event, Evidence, Journal, JournalError, Phase, Run};
use crate::record::plan::StepName;
use crate::record::step::Action;
use crate::report::{Verification, VerificationCheck, VerificationFailure};
use crate::Error;

use super::run::{fetch_release_and_main, load_run_to_read, session_for_run};
use super::Session;

/// Checks run `id` (default: the one `status` picks) and returns what each
/// check found. A journal that does not load (rewritten on the remote,
/// corrupt) fails the chain check instead of being an error.
pub fn verify(session: &Session, id: Option<&str>) -> Result<Verification, Error> {
    let (journal, offline) = match load_run_to_read(session, id) {
        Ok(read) => read,
        Err(Error::Journal(e)) => return unreadable(e),
        Err(e) => return Err(e),
    };
    let mut verification = verify_journal(session, &journal)?;
    verification.offline = offline;
    Ok(verification)
}

/// Checks a loaded run: the one function `verify` and `report` share.
pub(super) fn verify_journal(session: &Session, journal: &Journal) -> Result<Verification, Error> {
    let checks = vec![
        chain(&session.git, journal)?,
        signatures(session, &journal.run)?,
        commits(session, &journal.run)?,
    ];
    Ok(Verification {
        run: journal.id.clone(),
        ok: checks.iter().all(|c| c.ok),
        checks,
        offline: None,
    })
}

/// The verification of a run whose journal does not load.
fn unreadable(e: JournalError) -> Result<Verification, Error> {
    let (run, failure) = match &e {
        JournalError::Diverged { id, local, remote } => (
            id.clone(),
            unplaced(
                Some(remote),
                format!(
                    "the remote's journal (head {}) does not extend the one this clone has (head {})",
                    remote.short(),
                    local.short()
                ),
            ),
        ),
        JournalError::Vanished { id, local } => (
            id.clone(),
            unplaced(
                Some(local),
                "the run is no longer on the remote, though this clone saw it there".into(),
            ),
        ),
        JournalError::Corrupt { id, commit, detail } => (
            id.clone(),
            unplaced(
                Some(commit),
                format!("entry {} cannot be read: {detail}", commit.short()),
            ),
        ),
        _ => return Err(e.into()),
    };
    let not_checked = |name| VerificationCheck {
        name,
        ok: false,
        checked: false,
        detail: "not checked: the journal does not load".into(),
        failures: Vec::new(),
    };
    Ok(Verification {
        run,
        offline: None,
        ok: false,
        checks: vec![
            VerificationCheck {
                name: "chain",
                ok: false,
                checked: true,
                detail: "the journal does not load".into(),
                failures: vec![failure],
            },
            not_checked("signatures"),
            not_checked("commits"),
        ],
    })
}

/// Returns a failure no one entry is to blame for.
fn unplaced(commit: Option<&Oid>, reason: String) -> VerificationFailure {
    VerificationFailure {
        seq: None,
        event: None,
        commit: commit.map(Oid::to_string),
        reason,
    }
}

/// Returns the failure of `entry`, naming it.
fn failure(seq: u32, commit: &Oid, entry: Option<&Entry>, reason: String) -> VerificationFailure {
    VerificationFailure {
        seq: Some(seq),
        event: entry.map(|e| event_name(&e.event)),
        commit: Some(commit.to_string()),
        reason,
    }
}

/// Returns the event's name as the journal's JSON has it (`approved`).
fn event_name(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|v| v.get("event").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn check(name: &'static str, detail: String, failures: Vec<VerificationFailure>) -> VerificationCheck {
    VerificationCheck {
        name,
        ok: failures.is_empty(),
        checked: true,
        detail,
        failures,
    }
}

/// A check that could not be made here, and why.
fn unchecked(name: &'static str, reason: String) -> VerificationCheck {
    VerificationCheck {
        name,
        ok: false,
        checked: false,
        detail: "not checked".into(),
        failures: vec![unplaced(None, reason)],
    }
}

/// The chain: entries numbered 0..n, each commit's one parent the previous
/// entry (the first none), each naming this run, and this clone's journal
/// and the remote's one history.
fn chain(git: &Git, journal: &Journal) -> Result<VerificationCheck, Error> {
    let run = &journal.run;
    let log = git.run(&[
        "log",
        "--first-parent",
        "--reverse",
        "-z",
        "--format=%H%x1f%P%x1f%s",
        journal.head.as_str(),
    ])?;
    let commits: Vec<(&str, Vec<&str>, &str)> = log
        .split('\0')
        .map(|r| r.trim_start_matches('\n'))
        .filter(|r| !r.is_empty())
        .map(|r| {
            let mut fields = r.split('\x1f');
            let hash = fields.next().unwrap_or("");
            let parents = fields.next().unwrap_or("").split_whitespace().collect();
            (hash, parents, fields.next().unwrap_or(""))
        })
        .collect();
    let mut failures = Vec::new();
    if commits.len() != run.entries.len() {
        failures.push(unplaced(
            Some(&journal.head),
            format!(
                "{} commits lead to the head, {} entries read",
                commits.len(),
                run.entries.len()
            ),
        ));
    }
    let subject = format!("hotfix {} #", run.id);
    for (i, ((oid, entry), (hash, parents, title))) in run.entries.iter().zip(&commits).enumerate() {
        let fail = |reason: String| failure(entry.seq, oid, Some(entry), reason);
        if oid.as_str() != *hash {
            failures.push(fail(format!("the chain holds {hash} here")));
        }
        if entry.seq as usize != i {
            failures.push(fail(format!("numbered #{} at position {i}", entry.seq)));
        }
        let previous = i.checked_sub(1).map(|p| run.entries[p].0.as_str());
        match (previous, parents.as_slice()) {
            (None, []) => {}
            (Some(previous), [parent]) if previous == *parent => {}
            (None, _) => failures.push(fail(format!("the first entry has parents ({})", parents.join(" ")))),
            (Some(previous), _) => failures.push(fail(format!(
                "its parents are ({}), not only the previous entry {}",
                parents.join(" "),
                &previous[..7]
            ))),
        }
        if !title.starts_with(&subject) {
            failures.push(fail(format!("its subject `{title}` does not name run {}", run.id)));
        }
        if let Event::RunCreated(record) = &entry.event {
            if record.run_id != run.id {
                failures.push(fail(format!("it creates run {}, not {}", record.run_id, run.id)));
            }
        }
    }
    let mut detail = format!("chain of {} entries", run.entries.len());
    if let Some(remote) = &journal.remote_head {
        if *remote != journal.head {
            if git.is_ancestor(remote, &journal.head)? {
                detail.push_str(&format!(" ({} not on the remote yet)", journal.unmirrored()));
            } else if !git.is_ancestor(&journal.head, remote)? {
                failures.push(unplaced(
                    Some(remote),
                    format!(
                        "this clone's journal (head {}) and the remote's (head {}) are two histories",
                        journal.head.short(),
                        remote.short()
                    ),
                ));
            }
        }
    }
    Ok(check("chain", detail, failures))
}

/// Refuses to carry on a run with a decision steering it
/// ([`Event::steers_run`]) that no allowed signer this clone trusts signed:
/// those decisions say what runs, what ships and where a rollback goes, and
/// anyone who can push `refs/hotfix/*` could have written an unsigned one.
pub(super) fn decisions_signed(session: &Session, run: &Run) -> Result<(), Error> {
    let check = signatures(session, run)?;
    let steers = |failure: &&VerificationFailure| {
        let entry = failure
            .seq
            .and_then(|seq| run.entries.iter().find(|(_, e)| e.seq == seq));
        // A failure no entry holds (the allowed signers unreadable) stops it too.
        entry.is_none_or(|(_, e)| e.event.steers_run())
    };
    let failures: Vec<String> = check.failures.iter().filter(steers).map(ToString::to_string).collect();
    if failures.is_empty() {
        return Ok(());
    }
    Err(WorkflowError::DecisionsUnsigned {
        id: run.id.clone(),
        failures,
    }
    .into())
}

/// The signatures: with allowed signers named by this clone's hotfix.toml
/// (never the record's), every decision entry signed by one of their keys,
/// and no entry with a signature that does not match it.
fn signatures(session: &Session, run: &Run) -> Result<VerificationCheck, Error> {
    let top = session.git.work_tree().unwrap_or(session.git.git_dir());
    let allowed = match session.config_found {
        true => session.config.approvals.allowed_signers_in(top),
        false => None,
    };
    let Some(allowed) = allowed else {
        return Ok(check(
            "signatures",
            "not configured: entries are not signed".into(),
            Vec::new(),
        ));
    };
    if !allowed.is_file() {
        let reason = format!(
            "the allowed signers file {} (`[approvals] allowed_signers`) cannot be read",
            allowed.display()
        );
        return Ok(unchecked("signatures", reason));
    }
    let checks = run.signatures(&session.git, &allowed)?;
    let mut failures = Vec::new();
    let mut signed = 0;
    for ((oid, entry), sig) in run.entries.iter().zip(&checks) {
        let decision = entry.event.is_decision();
        if decision && sig.verified().is_some() {
            signed += 1;
            continue;
        }
        if !decision && sig.verdict != Verdict::Bad {
            continue;
        }
        let reason = match (sig.verdict, &sig.key) {
            (Verdict::UnknownKey | Verdict::Good, Some(key)) => {
                format!("{} ({key})", Verdict::UnknownKey.describe())
            }
            (Verdict::Good, None) => Verdict::UnknownKey.describe().to_string(),
            (verdict, _) => verdict.describe().to_string(),
        };
        failures.push(failure(entry.seq, oid, Some(entry), reason));
    }
    let detail = format!(
        "{signed} decision{} signed by allowed signers",
        if signed == 1 { "" } else { "s" }
    );
    Ok(check("signatures", detail, failures))
}

/// The commits: the recorded plan made again from the run's inputs, the
/// build's release tree the one they give, and the release the run pushed
/// the build's tip.
fn commits(session: &Session, run: &Run) -> Result<VerificationCheck, Error> {
    let on_run = session_for_run(session, run);
    let mut failures = Vec::new();
    if let Err(e) = fetch_release_and_main(&on_run) {
        return Ok(unchecked(
            "commits",
            format!("the run's branches could not be fetched: {e}"),
        ));
    }
    // The plan is made again as this operator would make it (its commits
    // carry a committer); nothing is written but unreachable objects.
    let cx = match on_run.context(&Silent, false) {
        Ok(cx) => cx,
        Err(e) => return Ok(unchecked("commits", format!("the plan cannot be made again here: {e}"))),
    };
    // The entry whose plan is the recorded one: the newest replan, else run-created.
    let (plan_at, (plan_oid, plan_entry)) = run
        .entries
        .iter()
        .enumerate()
        .rev()
        .find(|(_, (_, e))| matches!(e.event, Event::Replanned { .. }))
        .unwrap_or((0, &run.entries[0]));
    let derived = match steps::rederive(&cx, run) {
        Ok(derived) => derived,
        Err(WorkflowError::PlanMismatch(m)) => {
            let reason = format!(
                "{} is {} in the record but {} made again from production {} and the fixes",
                m.what,
                m.recorded.short(),
                m.derived.short(),
                m.production.short()
            );
            failures.push(failure(plan_at as u32, plan_oid, Some(plan_entry), reason));
            return Ok(check(
                "commits",
                "the recorded plan is not what its inputs give".into(),
                failures,
            ));
        }
        Err(e) => {
            let reason = format!("the plan could not be made again from its inputs: {e}");
            failures.push(failure(plan_at as u32, plan_oid, Some(plan_entry), reason));
            return Ok(check("commits", "not checked".into(), failures));
        }
    };
    let release_ref = format!("refs/heads/{}", run.record.release_branch);
    let mut built: Option<&Oid> = None;
    let mut pushed_release = false;
    for (oid, entry) in &run.entries {
        let Event::StepDone { step, evidence, .. } = &entry.event else {
            if matches!(entry.event, Event::RollbackStarted { .. }) {
                break;
            }
            continue;
        };
        match evidence {
            Evidence::Built {
                new_tip, release_tree, ..
            } if *step == StepName::BUILD => {
                if derived.conflict().is_none() && *release_tree != derived.release_tree {
                    let reason = format!(
                        "the build's release tree is {}, the inputs give {}",
                        release_tree.short(),
                        derived.release_tree.short()
                    );
                    failures.push(failure(entry.seq, oid, Some(entry), reason));
                }
                built = Some(new_tip);
            }
            Evidence::Pushed { branch_ref, new, .. } if *branch_ref == release_ref => {
                pushed_release = true;
                if built != Some(new) {
                    let reason = match built {
                        Some(tip) => format!("pushed {} to release, the build made {}", new.short(), tip.short()),
                        None => format!("pushed {} to release before any build", new.short()),
                    };
                    failures.push(failure(entry.seq, oid, Some(entry), reason));
                }
            }
            _ => {}
        }
    }
    let moves_release = run.steps_of(Phase::Hotfix).iter().any(|s| match &s.action {
        Action::Push(planned) => planned.name == release_ref,
        _ => false,
    });
    let detail = if moves_release || pushed_release {
        "commits match inputs".to_string()
    } else {
        // From-tag ships a tag, not release: its plan is checked, no release push is.
        format!(
            "commits match inputs (a pushed release commit: not checked for {})",
            run.record.strategy
        )
    };
    Ok(check("commits", detail, failures))
}
