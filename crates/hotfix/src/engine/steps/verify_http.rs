//! Verifies that production serves the pushed release, by polling its
//! HTTP endpoints. It only reads production, so polling again after a
//! crash gives a fresh verdict on the same release.

use crate::config::Verify;
use crate::engine::execute::Context;
use crate::engine::gates::{conclude, pushed_sha};
use crate::engine::WorkflowError;
use crate::git::{tracking_ref, Git, Oid};
use crate::journal::{Evidence, Journal};
use crate::providers::http;
use crate::record::plan::Step;
use crate::record::step::VerifyContains;

pub(super) fn verify_production(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    verify: &Verify,
) -> Result<(), WorkflowError> {
    let checks = &verify.http;
    if checks.is_empty() {
        return Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: "[[verify.http]]".into(),
        });
    }
    let release_sha = pushed_sha(&journal.run, "verify")?;
    let mut verdicts = Vec::new();
    for check in checks {
        let url = cx.redactor.redact(&check.url);
        let verdict = http::poll(
            check,
            release_sha.as_str(),
            cx.redactor,
            cx.stop,
            &mut |attempt, elapsed, seen| cx.progress.polling(&url, attempt, elapsed, seen),
        );
        // Verification only reads production: nothing to record but the stop.
        super::stop_if_asked(cx, &step.name)?;
        let ok = verdict.ok;
        verdicts.push(verdict);
        if !ok {
            break;
        }
    }
    let ok = match verdicts.iter().find(|v| !v.ok) {
        None => Ok(()),
        Some(v) => Err(format!(
            "production did not report {} with HTTP {} within {:.0} s: {} last answered {}",
            release_sha.short(),
            v.expect_status,
            v.duration_ms as f64 / 1000.0,
            v.url,
            v.last.describe()
        )),
    };
    let monitor_until = verify.monitor.map(|m| cx.ambient.now() + m.as_secs() as i64);
    let evidence = Evidence::ProductionVerified {
        release_sha,
        checks: verdicts,
        monitor_until,
    };
    conclude(cx, journal, step, ok, evidence)
}

/// Verifies that production serves a commit of `branch` that contains
/// every fix: trunk's standard release ships main's newest commit, which
/// may be newer than the one planned. The branch is fetched first, and once
/// more when production names a commit not seen yet.
pub(super) fn verify_contains(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    verify: &VerifyContains,
) -> Result<(), WorkflowError> {
    let checks = &verify.verify.http;
    if checks.is_empty() || checks.iter().all(|c| c.sha_pointer.is_none()) {
        return Err(WorkflowError::GateNotConfigured {
            step: step.name.clone(),
            key: "[[verify.http]] sha_pointer".into(),
        });
    }
    let release_sha = pushed_sha(&journal.run, "verify")?;
    let remote = journal.run.record.remote.clone();
    cx.git.fetch_branches(&remote, &[&verify.branch])?;
    let branch_ref = tracking_ref(&remote, &verify.branch);
    let mut fetched_again = false;
    let mut accept = |reported: &str| {
        let found = resolve_reported(cx.git, reported).or_else(|| {
            if fetched_again {
                return None;
            }
            fetched_again = true;
            cx.git.fetch_branches(&remote, &[&verify.branch]).ok()?;
            resolve_reported(cx.git, reported)
        });
        found.is_some_and(|commit| holds_fixes(cx.git, &commit, &branch_ref, &verify.contains))
    };
    let mut verdicts = Vec::new();
    for check in checks {
        let url = cx.redactor.redact(&check.url);
        let mut verdict = http::poll_until(
            check,
            release_sha.as_str(),
            &mut accept,
            cx.redactor,
            cx.stop,
            &mut |attempt, elapsed, seen| cx.progress.polling(&url, attempt, elapsed, seen),
        );
        verdict.contains = verify.contains.iter().map(ToString::to_string).collect();
        super::stop_if_asked(cx, &step.name)?;
        let ok = verdict.ok;
        verdicts.push(verdict);
        if !ok {
            break;
        }
    }
    let fixes: Vec<&str> = verify.contains.iter().map(Oid::short).collect();
    let ok = match verdicts.iter().find(|v| !v.ok) {
        None => Ok(()),
        Some(v) => Err(format!(
            "production did not report a commit of {} containing {} with HTTP {} within {:.0} s: {} last answered {}",
            verify.branch,
            fixes.join(", "),
            v.expect_status,
            v.duration_ms as f64 / 1000.0,
            v.url,
            v.last.describe()
        )),
    };
    let monitor_until = verify.verify.monitor.map(|m| cx.ambient.now() + m.as_secs() as i64);
    let evidence = Evidence::ProductionVerified {
        release_sha,
        checks: verdicts,
        monitor_until,
    };
    conclude(cx, journal, step, ok, evidence)
}

/// Returns the commit production reported (a full SHA or 7+ hex digits),
/// when this repository has it.
fn resolve_reported(git: &Git, reported: &str) -> Option<Oid> {
    let hex = reported.len() >= 7 && reported.len() <= 64 && reported.chars().all(|c| c.is_ascii_hexdigit());
    hex.then(|| git.resolve_commit(reported).ok()).flatten()
}

/// True when `commit` is in the history of `branch_ref` and contains every fix.
fn holds_fixes(git: &Git, commit: &Oid, branch_ref: &str, fixes: &[Oid]) -> bool {
    let on_branch = match git.read_ref(branch_ref) {
        Ok(Some(tip)) => git.is_ancestor(commit, &tip).unwrap_or(false),
        _ => false,
    };
    on_branch && fixes.iter().all(|f| git.is_ancestor(f, commit).unwrap_or(false))
}
