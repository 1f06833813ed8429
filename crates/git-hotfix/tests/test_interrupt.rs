//! Safe interruption: a production command journals that it started (with
//! its process group) before it runs and how it ended; Ctrl-C and SIGTERM
//! are forwarded to it; a killed git-hotfix leaves a record `continue`
//! acts on; the `[production] command` has a deadline; a stale ref lock of
//! a killed git-hotfix is cleared.

use std::time::{Duration, Instant};

use crate::common::{Scenario, MINIMAL_CONFIG};

#[test]
fn a_production_command_past_its_timeout_fails_fast_and_changes_nothing() {
    let s = Scenario::new();
    std::fs::write(
        s.work.join("hotfix.toml"),
        format!("{MINIMAL_CONFIG}\n[production]\ncommand = \"sleep 600\"\ncommand_timeout = \"1s\"\n"),
    )
    .expect("config");
    let before = s.origin_refs();
    let began = Instant::now();
    let start = s.hotfix(&s.work, &["start", "--fix", &s.f, "--yes"]);
    let took = began.elapsed();
    start.expect_code(1);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        start
            .stderr
            .contains("[production] command `sleep 600` did not answer within 1s and was killed"),
        "{}",
        start.stderr
    );
    assert!(start.stderr.contains("command_timeout"), "the hint names the key: {}", start.stderr);
    assert_eq!(s.origin_refs(), before, "origin unchanged");
}
