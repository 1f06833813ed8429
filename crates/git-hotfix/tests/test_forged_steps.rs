//! Step parameters and production forged on the remote (issue 12): every
//! parameter of a recorded step (timeouts, forbidden actions, URLs, roles)
//! must be what the run's strategy makes from its plan with a trusted
//! hotfix.toml, and production is read again from the trusted sources
//! before release is pushed. A forged record is refused with exit 3, the
//! parameter or the source named, and nothing changes on the origin.

use crate::common::Scenario;
use crate::test_forged_journal::forge_run_created;
use crate::test_forged_plan::{assert_origin_unchanged, published_run, refs, victim};

/// The team's production steps: every kind of parameter a forger could change.
const TEAM_STEPS: &str = r#"
[approvals]
roles = ["sre", "pm"]
verify = "none"
[release]
command = "true"
action = "release checkout"
[deploy]
command = "true"
timeout = "10m"
[[verify.http]]
url = "http://127.0.0.1:9/version"
"#;

/// Returns the hotfix step called `name` of a `run-created` entry.
fn step<'a>(entry: &'a mut serde_json::Value, name: &str) -> &'a mut serde_json::Value {
    let steps = entry["plan"]["steps"]["hotfix"].as_array_mut().expect("steps");
    let step = steps.iter_mut().find(|s| s["name"] == name).expect("the step");
    &mut step["action"]
}

/// Publishes the team's run, forges its `run-created` entry with `forge`,
/// and checks that a victim with the team's hotfix.toml refuses it naming
/// `key`, with nothing changed on the origin or in the victim's journal.
fn assert_forged_step_refused(key: &str, forge: impl Fn(&mut serde_json::Value)) {
    let s = Scenario::new();
    s.configure(TEAM_STEPS);
    let id = published_run(&s);
    forge_run_created(&s, &id, forge);
    let victim = victim(&s);
    let origin_before = refs(&s, &s.origin, "refs/");
    let go = s.hotfix(&victim, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(
        go.stderr.contains(&format!(
            "run {id} records steps that this clone's hotfix.toml (nor the one on main) does not make: {key}"
        )),
        "{key}: {}",
        go.stderr
    );
    assert!(go.stderr.contains("git hotfix continue --replan"), "{}", go.stderr);
    assert_origin_unchanged(&s, &origin_before);
    let forged_head = s.rev(&s.origin, &format!("refs/hotfix/runs/{id}"));
    assert_eq!(
        refs(&s, &victim, "refs/hotfix/runs/").trim(),
        format!("{forged_head} refs/hotfix/runs/{id}"),
        "the victim's journal is the remote's, not added to"
    );
}

#[test]
fn a_forged_deploy_timeout_is_refused() {
    assert_forged_step_refused("deploy.timeout", |entry| {
        step(entry, "deploy")["timeout"] = "1s".into();
    });
}

#[test]
fn a_release_job_without_forbidden_actions_is_refused() {
    // With no forbidden action recorded, a cut-off job would pass the step's own check.
    assert_forged_step_refused("release-action.release_job.forbidden_actions", |entry| {
        step(entry, "release-action")["release_job"]["forbidden_actions"] = serde_json::json!([]);
    });
}

#[test]
fn a_verification_pointing_elsewhere_is_refused() {
    assert_forged_step_refused("verify-production.http[0].url", |entry| {
        step(entry, "verify-production")["http"][0]["url"] = "http://127.0.0.1:9/elsewhere".into();
    });
}

#[test]
fn approvals_with_fewer_roles_are_refused() {
    assert_forged_step_refused("approvals.roles", |entry| {
        step(entry, "approvals")["roles"] = serde_json::json!(["sre"]);
    });
}

/// The team's hotfix.toml with a production source saying `sha`.
fn with_production_source(s: &Scenario, sha: &str) -> String {
    let base = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    format!("{base}\n[production]\ncommand = \"echo {sha}\"\n")
}

#[test]
fn a_run_recording_another_production_is_refused_before_the_push() {
    let s = Scenario::new();
    // The team's sources say P; someone who may push only refs/hotfix/* starts a
    // run from their clone (no sources there) naming U1, a commit of the
    // repository: the plan, its trees and its steps are all consistent with U1.
    let team = with_production_source(&s, &s.p);
    let attacker = s.clone_as("attacker");
    let start = s.hotfix_env(
        &attacker,
        &["start", "--fix", &s.f, "--production", &s.u1, "--yes"],
        &[("GIT_HOTFIX_INJECT_INTERRUPT", "before:push-release")],
    );
    assert_eq!(start.code, 130, "{}", start.all());
    let victim = s.clone_as("victim");
    std::fs::write(victim.join("hotfix.toml"), &team).expect("config");
    let origin_before = refs(&s, &s.origin, "refs/");
    let go = s.hotfix(&victim, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(
        go.stderr.contains(&format!(
            "records production {}, but command `echo {}` says {} now; nothing was pushed",
            &s.u1[..7],
            s.p,
            &s.p[..7]
        )),
        "{}",
        go.stderr
    );
    assert!(go.stderr.contains("git hotfix abort"), "{}", go.stderr);
    assert_origin_unchanged(&s, &origin_before);
}

#[test]
fn a_run_started_elsewhere_with_the_same_hotfix_toml_goes_on() {
    let s = Scenario::new();
    let deployed = s.root().join("deployed");
    s.configure(&format!("\n[deploy]\ncommand = \"touch '{}'\"\n", deployed.display()));
    let team = with_production_source(&s, &s.p);
    std::fs::write(s.work.join("hotfix.toml"), &team).expect("config");
    s.start_interrupted_before("push-release");
    // A colleague's clone with the same hotfix.toml: the steps are the
    // ones it makes, and production still is P.
    let colleague = s.clone_as("colleague");
    std::fs::write(colleague.join("hotfix.toml"), &team).expect("config");
    let go = s.hotfix(&colleague, &["continue", "--yes"]);
    go.expect_code(0);
    assert_ne!(s.rev(&s.origin, "refs/heads/release"), s.release0, "release was pushed");
    assert!(deployed.exists(), "the recorded deploy ran: {}", go.all());
}
