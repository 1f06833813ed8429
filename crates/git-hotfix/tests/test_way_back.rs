//! There is always a way back, and output says only what happened:
//! rollback of finished and aborted runs, the rollback commit saying why,
//! abort after a deploy pointing at rollback, a release moved at a gate
//! rebuilt with approvals asked again, and clones without hotfix.toml.

use crate::common::service::Service;
use crate::common::{Run, Scenario, MINIMAL_CONFIG};
use crate::test_gates::{gates_config, ALICE, BOB};

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout))
}

/// A second fix on main, in a file of its own: it applies anywhere.
fn fix_h(s: &Scenario) -> String {
    s.write("h.txt", "h\n");
    let h = s.commit("fix: H adds h.txt");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    h
}

fn attest_all(s: &Scenario) {
    for id in [
        "release-job",
        "deploy-completed",
        "production-reflects-fix",
        "smoke-passed",
        "incident-record",
    ] {
        s.hotfix(&s.work, &["attest", id, "--detail", "done by hand"])
            .expect_code(0);
    }
}

#[test]
fn a_finished_run_rolls_back_and_ends_rolled_back_everywhere() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    attest_all(&s);
    s.hotfix(&s.work, &["finish"]).expect_code(0);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
    let hotfix_tip = s.origin_ref("refs/heads/release").expect("release");

    // Asked without a terminal, it says what it would do, after checking it can.
    let ask = s.hotfix(&s.work, &["rollback", "--reason", "checkout errors doubled"]);
    ask.expect_code(2);
    assert!(ask.stderr.contains("roll back run "), "{}", ask.stderr);
    assert!(
        ask.stderr
            .contains(&format!("gets production {}'s tree in a new commit", &s.p[..7])),
        "{}",
        ask.stderr
    );
    assert!(
        ask.stderr.contains(&format!("now {}", &hotfix_tip[..7])),
        "{}",
        ask.stderr
    );
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(hotfix_tip.as_str()));

    let rollback = s.hotfix(&s.work, &["rollback", "--yes", "--reason", "checkout errors doubled"]);
    rollback.expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(s.rev(&s.origin, &format!("{tip}^")), hotfix_tip, "on top of the hotfix");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p))
    );
    let message = s.git(&s.origin, &["log", "-1", "--format=%B", &tip]);
    assert!(
        message.starts_with(&format!("rollback: restore release to production {}", &s.p[..7])),
        "{message}"
    );
    assert!(message.contains("is rolled back: checkout errors doubled"), "{message}");
    assert!(
        s.origin_ref("refs/hotfix/locks/release").is_some(),
        "the rollback holds the lock again"
    );

    s.hotfix(&s.work, &["finish"]).expect_code(0);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);
    let log = s.hotfix(&s.work, &["log"]);
    log.expect_code(0);
    assert!(log.stdout.contains("rolled-back"), "{}", log.stdout);
    assert!(!log.stdout.contains("completed"), "{}", log.stdout);
    let status = s.hotfix(&s.work, &["status"]);
    assert!(status.stdout.contains("rolled-back"), "{}", status.stdout);
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    let r = json(&report);
    assert_eq!(r["state"], "rolled-back");
    let deployed = r["communication"]["deployed"].as_str().expect("message");
    assert!(deployed.starts_with("PRODUCTION HOTFIX ROLLED BACK"), "{deployed}");
    assert!(deployed.contains("checkout errors doubled"), "{deployed}");
    assert!(!deployed.contains("No user action required"), "{deployed}");
    assert!(r["communication"]["status_24h"]
        .as_str()
        .expect("message")
        .contains("was rolled back"));
    // A second rollback of a rolled-back run is refused: there is nothing to undo.
    let again = s.hotfix(&s.work, &["rollback", "--yes"]);
    again.expect_code(1);
    assert!(again.stderr.contains("is rolled-back"), "{}", again.stderr);
}

#[test]
fn an_aborted_run_after_its_deploy_says_so_and_rolls_back() {
    let s = Scenario::new();
    let service = Service::start(s.root(), &s.p);
    s.configure(&gates_config(&s, &service, ""));
    s.start_stopped_at("before:verify-production");
    let pushed = s.origin_ref("refs/heads/release").expect("release");
    let abort = s.hotfix(&s.work, &["abort", "--reason", "the incident lead stopped it"]);
    abort.expect_code(0);
    assert!(
        abort
            .stdout
            .contains(&format!("production may run {} of this aborted run", &pushed[..7])),
        "{}",
        abort.stdout
    );
    assert!(abort.stdout.contains("next: `git hotfix rollback "), "{}", abort.stdout);
    // The deploy before the abort took: production switches once it is polled.
    service.wait_for(&pushed);

    let rollback = s.hotfix(&s.work, &["rollback", "--yes", "--reason", "aborted mid-release"]);
    rollback.expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(service.reported(), tip, "the rollback redeployed production's tree");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p))
    );
}

#[test]
fn a_rollback_while_another_run_holds_release_is_refused_naming_it() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    attest_all(&s);
    let first = json(&s.hotfix(&s.work, &["status", "--json"]))["id"]
        .as_str()
        .expect("id")
        .to_string();
    s.hotfix(&s.work, &["finish"]).expect_code(0);
    let h = fix_h(&s);
    let second = s.hotfix(&s.work, &["start", "--fix", &h, "--production", &s.p, "--yes"]);
    second.expect_code(0);
    let before = s.origin_refs();
    let refused = s.hotfix(&s.work, &["rollback", &first, "--yes"]);
    refused.expect_code(3);
    assert!(refused.stderr.contains("is locked by hotfix run"), "{}", refused.stderr);
    assert_eq!(s.origin_refs(), before, "nothing moved");
}

#[test]
fn release_moved_at_the_approvals_gate_is_named_and_rebuild_asks_again() {
    let s = Scenario::new();
    s.configure("\n[approvals]\nroles = [\"tech-lead\"]\nverify = \"none\"\n");
    s.start_fix(&[]).expect_code(0);
    let pushed = s.origin_ref("refs/heads/release").expect("release");
    // A colleague moves release while the run waits for its approval.
    s.force_release(&s.u1);
    let approve = s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE);
    approve.expect_code(3);
    assert!(approve.stderr.contains("continue --rebuild"), "{}", approve.stderr);
    let go = s.hotfix(&s.work, &["continue"]);
    go.expect_code(3);
    assert!(go.stderr.contains("moved after it was pushed"), "{}", go.stderr);
    assert!(go.stderr.contains("continue --rebuild"), "{}", go.stderr);
    assert_eq!(
        s.origin_ref("refs/heads/release").as_deref(),
        Some(s.u1.as_str()),
        "not clobbered"
    );

    let rebuild = s.hotfix(&s.work, &["continue", "--rebuild"]);
    rebuild.expect_code(0);
    assert!(rebuild.stdout.contains("waiting for approval"), "{}", rebuild.stdout);
    s.assert_hotfixed(&s.u1, &[&s.f]);
    assert_ne!(s.origin_ref("refs/heads/release"), Some(pushed));
    let v = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(v["missing_roles"], serde_json::json!(["tech-lead"]), "asked again: {v}");
    s.hotfix_env(&s.work, &["approve", "--role", "tech-lead"], ALICE)
        .expect_code(0);
}

#[test]
fn a_clone_without_hotfix_toml_approves_reports_and_rolls_back_from_the_record() {
    let s = Scenario::new();
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n");
    s.start_fix(&["--incident", "INC-9"]).expect_code(0);
    s.git(s.root(), &["clone", "-q", "origin.git", "approver"]);
    let approver = s.root().join("approver");
    assert!(!approver.join("hotfix.toml").exists());
    // plan needs the team's configuration and says so.
    s.hotfix(&approver, &["plan", "--fix", &s.f]).expect_code(1);
    s.hotfix_env(&approver, &["approve", "--role", "tech-lead"], ALICE)
        .expect_code(0);
    let status = s.hotfix(&approver, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("missing: pm"),
        "roles from the record: {}",
        status.stdout
    );
    s.hotfix_env(&approver, &["approve", "--role", "pm"], BOB)
        .expect_code(0);
    let report = s.hotfix(&approver, &["report"]);
    report.expect_code(0);
    assert!(report.stdout.contains("INC-9"), "{}", report.stdout);
    let rollback = s.hotfix(
        &approver,
        &["rollback", "--yes", "--reason", "from the approver's clone"],
    );
    rollback.expect_code(0);
    let tip = s.origin_ref("refs/heads/release").expect("release");
    assert_eq!(
        s.rev(&s.origin, &format!("{tip}^{{tree}}")),
        s.rev(&s.origin, &format!("{}^{{tree}}", s.p))
    );
    let _ = MINIMAL_CONFIG;
}

#[test]
fn output_says_only_what_happened() {
    // No restore: release already has production's tree.
    let s = Scenario::new();
    s.force_release(&s.p);
    let start = s.hotfix(&s.work, &["start", "--fix", &s.f, "--production", &s.p, "--yes"]);
    start.expect_code(0);
    let status = s.hotfix(&s.work, &["status"]);
    assert!(status.stdout.contains("the fixes (no restore"), "{}", status.stdout);
    assert!(!status.stdout.contains("restore + fixes"), "{}", status.stdout);

    // A start that loses the lock names the run holding it, not its own discarded one.
    let holder = json(&s.hotfix(&s.work, &["status", "--json"]))["id"]
        .as_str()
        .expect("id")
        .to_string();
    let h = fix_h(&s);
    let second = s.hotfix(&s.work, &["start", "--fix", &h, "--production", &s.p, "--yes"]);
    second.expect_code(3);
    assert!(!second.stderr.contains("shows its steps"), "{}", second.stderr);
    assert!(
        second.stderr.contains(&format!("locked by hotfix run {holder}")),
        "{}",
        second.stderr
    );
}

#[test]
fn a_run_follows_its_recorded_configuration_until_replan_says_otherwise() {
    let s = Scenario::new();
    let log = s.root().join("deploys.log");
    let deploy_to = |log: &std::path::Path, tag: &str| {
        format!(
            "\n[deploy]\ncommand = \"echo {tag} $HOTFIX_RELEASE_SHA >> '{}'\"\n",
            log.display()
        )
    };
    let deploy = |tag: &str| deploy_to(&log, tag);
    let base = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    s.configure(&deploy("recorded"));
    s.start_stopped_at("before:deploy");
    // A colleague's clone without hotfix.toml cannot check the recorded
    // commands (the journal is writable by more people than release): refused.
    s.git(s.root(), &["clone", "-q", "origin.git", "colleague"]);
    let colleague = s.root().join("colleague");
    let go = s.hotfix(&colleague, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(
        go.stderr.contains(
            "records steps that no hotfix.toml can vouch for (none in this clone, none on main): deploy.command"
        ),
        "{}",
        go.stderr
    );
    assert!(!log.exists(), "nothing deployed");
    // Someone edits hotfix.toml mid-run: neither the edit nor the record runs
    // until a person decides which.
    std::fs::write(s.work.join("hotfix.toml"), format!("{base}{}", deploy("edited"))).expect("config");
    let go = s.hotfix(&s.work, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(go.stderr.contains("deploy.command; nothing was run"), "{}", go.stderr);
    assert!(go.stderr.contains("continue --replan"), "{}", go.stderr);
    assert!(!log.exists(), "nothing deployed");
    // A difference in what runs no command is only noted: the run follows its record.
    std::fs::write(
        s.work.join("hotfix.toml"),
        format!("{base}{}[severity]\ncritical = \"2h\"\n", deploy("recorded")),
    )
    .expect("config");
    let go = s.hotfix_env(
        &s.work,
        &["continue", "--yes"],
        &[("GIT_HOTFIX_INJECT_FAULT", "after:deploy")],
    );
    assert!(
        go.stdout.contains("hotfix.toml differs from the configuration run"),
        "{}",
        go.stdout
    );
    assert!(go.stdout.contains("in severity"), "{}", go.stdout);
    let deploys = std::fs::read_to_string(&log).expect("deploy ran");
    assert!(deploys.starts_with("recorded "), "{deploys}");

    // --replan is the explicit, journaled way to change it.
    let s = Scenario::new();
    let log = s.root().join("deploys.log");
    let deploy = |tag: &str| deploy_to(&log, tag);
    s.configure(&deploy("recorded"));
    s.start_stopped_at("before:deploy");
    std::fs::write(s.work.join("hotfix.toml"), format!("{base}{}", deploy("edited"))).expect("config");
    let go = s.hotfix(&s.work, &["continue", "--yes", "--replan"]);
    go.expect_code(0);
    let deploys = std::fs::read_to_string(&log).expect("deploy ran");
    assert!(deploys.contains("edited "), "{deploys}");
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    let decisions = json(&report)["decisions"].to_string();
    assert!(
        decisions.contains("configuration replaced by Olly Operator"),
        "{decisions}"
    );
    assert!(decisions.contains("deploy changed"), "{decisions}");
    // With the team's hotfix.toml committed on main, any clone can check and go on.
    let s = Scenario::new();
    let log = s.root().join("deploys.log");
    s.configure(&deploy_to(&log, "recorded"));
    s.start_stopped_at("before:deploy");
    s.git(&s.work, &["add", "-f", "hotfix.toml"]);
    s.git(&s.work, &["commit", "-q", "-m", "ci: the team's hotfix.toml"]);
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    s.git(s.root(), &["clone", "-q", "origin.git", "colleague"]);
    let colleague = s.root().join("colleague");
    std::fs::remove_file(colleague.join("hotfix.toml")).expect("the clone's checkout has it; only main keeps it");
    s.hotfix(&colleague, &["continue", "--yes"]).expect_code(0);
    assert!(std::fs::read_to_string(&log)
        .expect("deployed")
        .starts_with("recorded "));

    // The remote and branches define a run: a file changing them is refused.
    let s = Scenario::new();
    s.start_stopped_at("before:verify-release");
    let text = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    std::fs::write(
        s.work.join("hotfix.toml"),
        text.replace("main = \"main\"", "main = \"develop\""),
    )
    .expect("config");
    let go = s.hotfix(&s.work, &["continue", "--replan"]);
    go.expect_code(3);
    assert!(go.stderr.contains("changes branches of run"), "{}", go.stderr);
}
