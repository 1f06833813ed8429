//! Runs the smoke checks against production. They only read production,
//! so running them again after a crash is safe.

use crate::config::Smoke;
use crate::engine::execute::Context;
use crate::engine::gates::{conclude, pushed_sha};
use crate::engine::steps::run_command::{command_env, run_command};
use crate::engine::WorkflowError;
use crate::journal::{Evidence, Journal, SmokeResult};
use crate::record::plan::Step;

pub(super) fn smoke(
    cx: &Context<'_>,
    journal: &mut Journal,
    step: &Step,
    checks: &[Smoke],
) -> Result<(), WorkflowError> {
    let release_sha = pushed_sha(&journal.run, "smoke-test")?;
    let mut env = command_env(cx, &journal.run, &release_sha);
    // A service's smoke checks are told which service they check, as its
    // command steps are (`Step::for_service`).
    if let Some(service) = &step.service {
        env.iter_mut()
            .filter(|(key, _)| key == "HOTFIX_SERVICE")
            .for_each(|(_, value)| *value = service.clone());
    }
    let mut results = Vec::new();
    for check in checks {
        let outcome = run_command(cx, journal, &step.name, &check.command, check.timeout, &env)?;
        results.push(SmokeResult {
            name: cx.redactor.redact(check.label()),
            outcome,
        });
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.outcome.succeeded())
        .map(|r| format!("`{}` {}", r.name, r.outcome.describe()))
        .collect();
    let ok = if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("smoke check(s) failed: {}", failed.join("; ")))
    };
    conclude(cx, journal, step, ok, Evidence::Smoke { results })
}
