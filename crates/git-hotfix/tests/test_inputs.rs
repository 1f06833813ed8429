//! What the operator gives is checked before anything moves: a
//! `--production` the configured sources contradict, or that release never
//! held, blocks unless a reason is given; the plan says what the restore
//! takes out of release; a remote may be a path; config that cannot work is
//! refused at load.

use crate::common::Scenario;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn check<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {plan}"))
}

#[test]
fn a_production_the_sources_contradict_blocks_unless_overridden_with_a_reason() {
    let s = Scenario::new();
    s.configure(&format!("\n[production]\ncommand = \"echo {}\"\n", s.p));
    let before = s.origin_refs();
    // U1 is on release, so only the sources speak against it.
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.u1, "--json"]);
    plan.expect_code(3);
    let v = json(&plan.stdout);
    let agree = check(&v, "production-sources-agree");
    assert_eq!(agree["status"], "block", "{agree}");
    let detail = agree["detail"].as_str().expect("detail");
    assert!(detail.contains(&s.u1[..7]) && detail.contains(&s.p[..7]), "{detail}");
    assert!(detail.contains("--production-override"), "{detail}");
    let human = s.hotfix(&s.work, &["start", "--fix", &s.f, "--production", &s.u1, "--yes"]);
    human.expect_code(3);
    assert!(human.stderr.contains("production-sources-agree"), "{}", human.stderr);
    assert!(human.stderr.contains("--production-override"), "hint: {}", human.stderr);
    assert_eq!(s.origin_refs(), before, "nothing moved");

    // The same --production agreeing with the source passes.
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    plan.expect_code(0);
    assert_eq!(check(&json(&plan.stdout), "production-sources-agree")["status"], "pass");

    // With a reason it goes on, and the decision is in the journal and the report.
    let start = s.hotfix(
        &s.work,
        &[
            "start",
            "--fix",
            &s.f,
            "--production",
            &s.u1,
            "--production-override",
            "the deploy page shows U1; the version endpoint is stale",
            "--yes",
        ],
    );
    start.expect_code(0);
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    report.expect_code(0);
    let r = json(&report.stdout);
    let decisions = r["decisions"].to_string();
    assert!(decisions.contains("the version endpoint is stale"), "{decisions}");
    assert!(decisions.contains(&s.p[..7]), "names what the source said: {decisions}");
    let journal = s.git(&s.origin, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"]);
    assert!(
        journal.contains("\"production_override\":\"the deploy page shows U1"),
        "{journal}"
    );
}

#[test]
fn a_production_release_never_held_blocks_and_a_tag_or_a_reason_lets_it_through() {
    let s = Scenario::new();
    let before = s.origin_refs();
    // F is on main only: restoring to it would ship main's tree.
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.g, "--production", &s.f, "--json"]);
    plan.expect_code(3);
    let on_release = check(&json(&plan.stdout), "production-on-release").clone();
    assert_eq!(on_release["status"], "block", "{on_release}");
    assert!(
        on_release["detail"]
            .as_str()
            .expect("detail")
            .contains("neither in release's history nor tagged"),
        "{on_release}"
    );
    let start = s.hotfix(&s.work, &["start", "--fix", &s.g, "--production", &s.f, "--yes"]);
    start.expect_code(3);
    assert_eq!(s.origin_refs(), before, "nothing moved");

    let plan = s.hotfix(
        &s.work,
        &[
            "plan",
            "--fix",
            &s.g,
            "--production",
            &s.f,
            "--production-override",
            "hand-deployed",
            "--json",
        ],
    );
    let v = json(&plan.stdout);
    assert_eq!(check(&v, "production-on-release")["status"], "warn");
    assert!(check(&v, "production-on-release")["detail"]
        .as_str()
        .expect("detail")
        .contains("overridden: hand-deployed"));

    s.git(&s.work, &["tag", "v1.0.1", &s.f]);
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.g, "--production", &s.f, "--json"]);
    let v = json(&plan.stdout);
    assert_eq!(check(&v, "production-on-release")["status"], "pass", "{v}");
    assert!(check(&v, "production-on-release")["detail"]
        .as_str()
        .expect("detail")
        .contains("tagged v1.0.1"));
}

#[test]
fn the_plan_says_what_the_restore_takes_out_and_the_report_lists_it_to_land_again() {
    let s = Scenario::new();
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p]);
    plan.expect_code(0);
    assert!(
        plan.stdout
            .contains("takes out 2 commit(s) release has and production lacks: 1 file(s), +2 -0 lines"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!("{} U2: more unreleased", &s.u2[..7])),
        "{}",
        plan.stdout
    );
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    let v = json(&plan.stdout);
    let taken = &v["restore"]["takes_out"];
    assert_eq!(taken["commits_total"], 2, "{taken}");
    assert_eq!(taken["commits"][0]["id"], s.u2.as_str());
    assert_eq!(taken["commits"][1]["id"], s.u1.as_str());

    s.start_fix(&[]).expect_code(0);
    let report = s.hotfix(&s.work, &["report"]);
    report.expect_code(0);
    assert!(
        report
            .stdout
            .contains("land again on `release` the 2 commit(s) the restore took out"),
        "{}",
        report.stdout
    );
    assert!(report.stdout.contains("U1: unreleased feature"), "{}", report.stdout);
}

#[test]
fn a_remote_given_as_a_path_works_for_plan_and_start() {
    let s = Scenario::new();
    let path = s.origin.to_string_lossy().into_owned();
    let config = crate::common::MINIMAL_CONFIG.replace("remote = \"origin\"", &format!("remote = \"{path}\""));
    std::fs::write(s.work.join("hotfix.toml"), config).expect("config");
    s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p])
        .expect_code(0);
    let start = s.start_fix(&[]);
    start.expect_code(0);
    s.assert_hotfixed(&s.release0, &[&s.f]);
    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("lock       held by this run"),
        "{}",
        status.stdout
    );
}

#[test]
fn config_that_cannot_work_is_refused_at_load_with_the_key_named() {
    let s = Scenario::new();
    let before = s.origin_refs();
    for (extra, wanted) in [
        (
            "\n[[verify.http]]\nurl = \"http://127.0.0.1:9/v\"\nsha_pointer = \"sha\"\n",
            "write `/sha`",
        ),
        ("\n[deploy]\ncommand = \"\"\n", "`deploy.command` is empty"),
        (
            "\n[checks]\nmax_files = \"20\"\n",
            "found the string \"20\"; write it without quotes",
        ),
    ] {
        std::fs::write(
            s.work.join("hotfix.toml"),
            format!("{}{extra}", crate::common::MINIMAL_CONFIG),
        )
        .expect("config");
        let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p]);
        plan.expect_code(1);
        assert!(plan.stderr.contains(wanted), "{extra}: {}", plan.stderr);
        assert!(plan.stderr.contains("hint: "), "{}", plan.stderr);
    }
    let spaced = crate::common::MINIMAL_CONFIG.replace("release = \"release\"", "release = \"rel ease\"");
    std::fs::write(s.work.join("hotfix.toml"), spaced).expect("config");
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p]);
    plan.expect_code(1);
    assert!(
        plan.stderr.contains("is not a branch name git accepts"),
        "{}",
        plan.stderr
    );
    assert_eq!(s.origin_refs(), before);
}

#[test]
fn an_operator_git_does_not_know_is_told_how_to_say_who_they_are() {
    let s = Scenario::new();
    let plan = s.hotfix_env(
        &s.work,
        &["plan", "--fix", &s.f, "--production", &s.p],
        &[("GIT_COMMITTER_NAME", "")],
    );
    plan.expect_code(1);
    assert!(plan.stderr.contains("git does not know who you are"), "{}", plan.stderr);
    assert!(plan.stderr.contains("git config --global user.name"), "{}", plan.stderr);
    assert_eq!(plan.stderr.lines().count(), 2, "one error, one hint: {}", plan.stderr);
}
