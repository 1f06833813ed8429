//! The incident through GitLab (doc/api/issues.md, notes.md): `--incident
//! new` opens one incident (`issue_type=incident`) before the run's record,
//! which carries its page, so a resume from another clone opens no second;
//! each milestone is a timeline note (`/timeline`) naming the run; `finish`
//! adds the report; a note GitLab refuses with 500 is a notice and the run
//! goes on; `--incident 7` adopts an existing one; without `[forge]`,
//! `--incident TEXT` stays free text.

use crate::common::forge;
use crate::common::gitlab::{configure, env, fake, TOKEN};
use crate::common::Scenario;

fn start(s: &Scenario, incident: &str, extra: &[(&str, &str)]) -> crate::common::Run {
    forge::start_with_incident(s, &env(), incident, extra)
}

fn finish(s: &Scenario, dir: &std::path::Path) -> crate::common::Run {
    forge::finish_attested(s, dir, &env())
}

#[test]
fn incident_new_is_opened_once_with_a_timeline_and_the_report() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");

    let stopped = start(&s, "new", &[("GIT_HOTFIX_INJECT_FAULT", "before:deploy")]);
    assert_eq!(stopped.code, 1, "{}", stopped.all());
    let issues = gitlab.issues();
    assert_eq!(issues.len(), 1, "one incident: {issues:?}");
    assert_eq!(issues[0].issue_type, "incident");
    let run_id = forge::run_id(&s);
    assert!(issues[0].title.contains(&run_id), "{issues:?}");

    // Another clone carries the run on: it writes on the same incident.
    let other = s.clone_as("other");
    std::fs::copy(s.work.join("hotfix.toml"), other.join("hotfix.toml")).expect("config");
    let resumed = s.hotfix_env(&other, &["continue", "--yes"], &env());
    resumed.expect_code(0);
    let done = finish(&s, &other);
    done.expect_code(0);
    assert_eq!(gitlab.issues().len(), 1, "no second incident on resume");

    let notes = gitlab.notes();
    let timeline: Vec<&str> = notes
        .iter()
        .filter(|n| n.body.contains("\n/timeline "))
        .map(|n| n.body.as_str())
        .collect();
    for milestone in [
        "started",
        "release pushed",
        "deploy job `deploy-production` success",
        "finished",
    ] {
        assert!(
            timeline
                .iter()
                .any(|n| n.contains(&format!("hotfix {run_id}")) && n.contains(milestone)),
            "no timeline note for {milestone}: {timeline:#?}"
        );
    }
    let report = notes
        .iter()
        .find(|n| n.body.contains("git-hotfix report"))
        .expect("finish adds the report");
    assert!(report.body.contains(&run_id), "{}", report.body);
    assert!(!report.body.contains("/timeline"), "the report is a plain note");
    for n in &notes {
        assert!(!n.body.contains(TOKEN), "the token is in a note");
    }

    let json = s.hotfix_env(&other, &["report", "--format", "json"], &env());
    json.expect_code(0);
    let url = format!("https://gitlab.fake/fleet/billing/-/issues/{}", issues[0].iid);
    assert!(json.stdout.contains(&url), "{}", json.stdout);
    assert!(json.stdout.contains("the report is note #"), "{}", json.stdout);
}

#[test]
fn a_failing_timeline_note_is_a_notice_and_the_run_goes_on() {
    let s = Scenario::new();
    let gitlab = fake(&s, |g| g.notes_fail = true);
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = start(&s, "new", &[]);
    run.expect_code(0);
    assert!(run.all().contains("incident timeline not updated"), "{}", run.all());
    assert!(run.all().contains("HTTP 500"), "{}", run.all());
    s.assert_hotfixed(&s.release0, &[&s.f]);

    // The report is evidence: finish waits until GitLab takes it.
    let refused = finish(&s, &s.work);
    refused.expect_code(3);
    assert!(
        refused.all().contains("could not be added to incident"),
        "{}",
        refused.all()
    );
    gitlab.fail_notes(false);
    finish(&s, &s.work).expect_code(0);
    assert!(gitlab.notes().iter().any(|n| n.body.contains("git-hotfix report")));
}

#[test]
fn incident_7_is_adopted() {
    let s = Scenario::new();
    let gitlab = fake(&s, |g| g.incidents = vec![7]);
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    start(&s, "7", &[]).expect_code(0);
    assert_eq!(gitlab.issues().len(), 1, "nothing opened");
    assert!(gitlab.requests_to("POST", "/issues").is_empty());
    assert!(gitlab.notes().iter().all(|n| n.issue == 7) && !gitlab.notes().is_empty());
}

#[test]
fn an_unknown_incident_stops_start_before_anything() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = start(&s, "12", &[]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("incident `12`") && run.stderr.contains("404"),
        "{}",
        run.stderr
    );
    assert!(gitlab.requests_to("POST", "/pipeline").is_empty());
    assert_eq!(s.git(&s.work, &["for-each-ref", "refs/hotfix/runs/"]).trim(), "");
}

#[test]
fn without_a_forge_the_incident_is_free_text() {
    let s = Scenario::new();
    s.start_fix(&["--incident", "INC-42"]).expect_code(0);
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    report.expect_code(0);
    assert!(report.stdout.contains("incident `INC-42`"), "{}", report.stdout);
}
