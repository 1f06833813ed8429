//! A strategy added from outside the library ([`hotfix_testkit::toy_strategy`]):
//! one module and one registration, carried out by the engine as it carries
//! out restore-release. Library-level, through `hotfix::ops`: a registered
//! strategy lives in this process, not in the binary.

use std::path::Path;

use hotfix::config::Severity;
use hotfix::engine::execute::Silent;
use hotfix::engine::WorkflowError;
use hotfix::journal::ItemStatus;
use hotfix::journal::{Event, Evidence};
use hotfix::ops::{self, HotfixRequest, Session, StartOptions};
use hotfix_testkit::repo::{project, Project};
use hotfix_testkit::toy_strategy::{self, GOODBYE, GREETING_VAR, HELLO};

/// A project whose origin has `main` (a fix ahead) and `release`, and a
/// hotfix.toml naming `strategy`, whose deploy appends to `announced.log`
/// and whose smoke check to `smoked.log`, both in the temp dir.
fn toy_project(strategy: &str) -> Project {
    let p = project().file("app.txt", "one\n").build();
    p.commit("base");
    p.branch("release");
    p.write("app.txt", "one, fixed\n");
    p.commit("fix: repair app.txt");
    p.push(&["main", "release"]);
    let out = |name: &str| p.root().join(name).display().to_string();
    let config = format!(
        r#"strategy = "{strategy}"
remote = "origin"
[branches]
main = "main"
release = "release"
[deploy]
command = 'echo "${GREETING_VAR} $HOTFIX_RUN_ID" >> "{announced}"'
[[smoke]]
name = "toy smoke"
command = 'echo "smoke $HOTFIX_RUN_ID" >> "{smoked}"'
"#,
        announced = out("announced.log"),
        smoked = out("smoked.log"),
    );
    std::fs::write(p.work.join("hotfix.toml"), config).expect("config");
    std::fs::write(p.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
    p
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn open_as_operator(dir: &Path) -> Session {
    let mut session = Session::open(dir, None).expect("the session opens");
    session.act_as("Olly Operator", "olly@example.com");
    session
}

/// Returns the names of the steps done, in journal order, each with its evidence.
fn done_steps(run: &hotfix::journal::Run) -> Vec<(String, Evidence)> {
    run.entries
        .iter()
        .filter_map(|(_, e)| match &e.event {
            Event::StepDone { step, evidence } => Some((step.to_string(), evidence.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_registered_strategy_runs_its_own_steps_and_moves_no_branch() {
    toy_strategy::register();
    let p = toy_project("toy-announce");
    let release_before = p.origin_ref("refs/heads/release").expect("release is on origin");
    let session = open_as_operator(&p.work);
    assert_eq!(session.config.strategy, "toy-announce");

    // prepare refuses a request without fixes whatever the strategy
    // (Error::NoFix); the toy plans with the fix and ignores it.
    let no_fix = HotfixRequest {
        production: Some(release_before.clone()),
        ..HotfixRequest::default()
    };
    let run_id = session.new_run_id();
    assert!(matches!(
        ops::prepare(&session, &no_fix, &run_id),
        Err(hotfix::Error::NoFix)
    ));
    let request = HotfixRequest {
        fixes: vec!["main".into()],
        ..no_fix
    };
    let plan = ops::prepare(&session, &request, &run_id).expect("the toy plans");
    assert_eq!(plan.strategy, "toy-announce");
    assert!(plan.picks.is_empty() && plan.restore.is_none());
    assert_eq!(plan.new_tip.as_str(), release_before);
    let names: Vec<&str> = plan.steps.hotfix.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["record-production", "lock", "announce", "smoke"]);
    let rollback: Vec<&str> = plan.steps.rollback.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(rollback, ["retract"]);

    let options = StartOptions {
        severity: Severity::Critical,
        incident: Some("INC-7".into()),
        force: false,
        confirmed: true,
    };
    let (journal, outcome) = ops::start(&session, &run_id, &request, plan, &options, &Silent).expect("the run starts");
    assert_eq!(outcome.gate, None, "a confirmed run waits at no gate");
    assert_eq!(outcome.steps_done, 4);

    // The announcement ran once, under its own name, with its own variable.
    let announced = lines(&p.root().join("announced.log"));
    assert_eq!(announced, [format!("{HELLO} {}", journal.id)]);
    assert_eq!(lines(&p.root().join("smoked.log")), [format!("smoke {}", journal.id)]);
    assert_eq!(
        p.origin_ref("refs/heads/release").as_deref(),
        Some(release_before.as_str())
    );

    // The journal on origin has the toy's steps, in order, each with its evidence.
    assert!(p.origin_ref(&format!("refs/hotfix/runs/{}", journal.id)).is_some());
    let status = ops::status(&session, Some(&journal.id)).expect("status reads the run");
    let done = done_steps(&status.run);
    let names: Vec<&str> = done.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["record-production", "lock", "announce", "smoke"]);
    assert!(matches!(&done[0].1, Evidence::Production { production } if production.commit.as_str() == release_before));
    assert!(matches!(&done[1].1, Evidence::Lock { lock_ref, .. } if lock_ref.ends_with("release")));
    let Evidence::Deployed { release_sha, outcome } = &done[2].1 else {
        panic!("announce's evidence is a command's: {:?}", done[2].1);
    };
    assert_eq!(release_sha.as_str(), release_before);
    assert_eq!(outcome.exit_code, Some(0));
    assert!(outcome.command.contains("announced.log"), "{}", outcome.command);
    let Evidence::Smoke { results } = &done[3].1 else {
        panic!("smoke's evidence: {:?}", done[3].1);
    };
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].name, "toy smoke");

    // Another clone, with no hotfix.toml of its own, reads the same run.
    let other = p.clone_origin("colleague");
    let colleague = open_as_operator(&other);
    let seen = ops::status(&colleague, Some(&journal.id)).expect("the colleague reads the run");
    assert_eq!(done_steps(&seen.run), done);
    assert_eq!(seen.run.record.strategy, "toy-announce");

    // The report builds from the journal alone.
    let report = ops::report(&colleague, Some(&journal.id)).expect("the report builds");
    assert_eq!(report.production_sha, release_before);
    assert_eq!(report.release_sha.as_deref(), Some(release_before.as_str()));

    // Continuing a run whose steps are all done runs nothing again.
    let confirmed = ops::ResumeOptions {
        confirmed: true,
        ..ops::ResumeOptions::default()
    };
    let (_, again) = ops::resume(&session, Some(&journal.id), confirmed, &Silent).expect("continue");
    assert_eq!(again.steps_done, 0);
    assert_eq!(
        lines(&p.root().join("announced.log")).len(),
        1,
        "announce ran exactly once"
    );

    // The evidence items are the toy's own checklist, each proven by its step.
    let items: Vec<(String, ItemStatus)> = report.evidence.iter().map(|i| (i.id.clone(), i.status)).collect();
    assert_eq!(
        items,
        [
            ("production-recorded".to_string(), ItemStatus::Ok),
            ("announced".to_string(), ItemStatus::Ok),
            ("smoke-passed".to_string(), ItemStatus::Ok),
        ]
    );
    assert!(
        report.evidence[1].detail.contains("announce"),
        "the announce step's evidence proves it: {}",
        report.evidence[1].detail
    );
    // So finish closes the run and gives the lock back.
    let (_, closed) = ops::finish(&session, Some(&journal.id), false).expect("finish closes the toy run");
    assert_eq!(closed.len(), 3);
    assert!(
        p.origin_ref("refs/hotfix/locks/release").is_none(),
        "the lock is given back"
    );

    // The colleague's clone has no hotfix.toml, and main's has not the
    // recorded commands: it runs none of them.
    assert!(matches!(
        ops::rollback(&colleague, Some(&journal.id), "toy test", &[], &Silent),
        Err(hotfix::Error::Workflow(WorkflowError::UntrustedSteps { .. }))
    ));

    // The way back is the toy's own step, with its own variable, and it
    // moves no branch either.
    let (back, _) = ops::rollback(&session, Some(&journal.id), "toy test", &[], &Silent).expect("the rollback runs");
    let names: Vec<String> = done_steps(&back.run).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.last().map(String::as_str), Some("retract"));
    assert_eq!(
        lines(&p.root().join("announced.log")),
        [format!("{HELLO} {}", journal.id), format!("{GOODBYE} {}", journal.id)]
    );
    assert_eq!(
        p.origin_ref("refs/heads/release").as_deref(),
        Some(release_before.as_str())
    );
}

#[test]
fn a_strategy_nobody_registered_is_refused_when_the_config_is_read() {
    let p = toy_project("toy-never-registered");
    let Err(error) = Session::open(&p.work, None) else {
        panic!("an unregistered strategy was accepted");
    };
    let message = error.to_string();
    assert!(message.contains("unknown strategy `toy-never-registered`"), "{message}");
    assert!(message.contains("restore-release"), "{message}");
}
