//! `git hotfix demo`, the README's first command, runs the whole runbook.

use crate::common::Scenario;

#[test]
fn the_demo_runs_the_whole_runbook_and_writes_a_complete_incident_record() {
    let s = Scenario::new();
    let dir = s.root().join("demo");
    let demo = s.hotfix(s.root(), &["demo", "--dir", dir.to_str().expect("utf-8 temp path")]);
    demo.expect_code(0);
    for line in [
        "approved as tech-lead by Tess Lead",
        "approved as pm by Pat Product",
        "| pipeline: running job 'release checkout'",
        "| deploying ",
        "verify-production  done",
        "smoke              done",
        "refs/hotfix/locks/release released",
    ] {
        assert!(demo.stdout.contains(line), "`{line}` in\n{}", demo.stdout);
    }
    let record = std::fs::read_to_string(dir.join("incident.md")).expect("incident record written");
    assert_eq!(
        record.matches("- [x] **").count(),
        9,
        "every evidence item ok:\n{record}"
    );
    assert!(!record.contains("- [ ] **"), "{record}");
    let deployed = std::fs::read_to_string(dir.join("service/deployed-sha")).expect("service state");
    let release = s.git(&dir.join("origin.git"), &["rev-parse", "refs/heads/release"]);
    assert_eq!(deployed.trim(), release, "the service runs the release commit");
}
