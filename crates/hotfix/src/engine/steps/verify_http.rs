//! Verifies that production serves the pushed release, by polling its
//! HTTP endpoints. It only reads production, so polling again after a
//! crash gives a fresh verdict on the same release.

use crate::config::Verify;
use crate::engine::execute::Context;
use crate::engine::gates::{conclude, pushed_sha};
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal};
use crate::providers::http;
use crate::record::plan::Step;

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
        if let Some(signal) = cx.stop.raised() {
            // Verification only reads production: nothing to record but the stop.
            return Err(WorkflowError::Interrupted {
                step: step.name.clone(),
                signal: signal.name().to_string(),
                during_command: false,
                may_have_run: false,
            });
        }
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
