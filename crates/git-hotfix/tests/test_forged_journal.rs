//! A journal forged on the remote (`refs/hotfix/*` is writable by more
//! people than release): its steps' commands run only when a trusted
//! hotfix.toml has them.

use crate::common::Scenario;

/// Rewrites run `id`'s journal on the origin, as someone who may push
/// `refs/hotfix/*` could: `forge` edits the `run-created` entry's JSON, the
/// later entries are written again on top, and the lock follows the new
/// first entry.
pub(crate) fn forge_run_created(s: &Scenario, id: &str, forge: impl Fn(&mut serde_json::Value)) {
    forge_run(s, id, usize::MAX, forge);
}

/// Like [`forge_run_created`], keeping only the first `keep` entries (the
/// forged first one included).
pub(crate) fn forge_run(s: &Scenario, id: &str, keep: usize, forge: impl Fn(&mut serde_json::Value)) {
    forge_run_signed(s, id, keep, None, forge);
}

/// Like [`forge_run`], the forged first entry signed by `signer`'s key
/// (someone with a key of their own, or an insider with an allowed one).
pub(crate) fn forge_run_signed(
    s: &Scenario,
    id: &str,
    keep: usize,
    signer: Option<&hotfix_testkit::signing::Signer>,
    forge: impl Fn(&mut serde_json::Value),
) {
    let run_ref = format!("refs/hotfix/runs/{id}");
    let chain = s.git(&s.origin, &["rev-list", "--reverse", "--first-parent", &run_ref]);
    let mut parent: Option<String> = None;
    for (i, commit) in chain.lines().take(keep).enumerate() {
        let mut message = s.git(&s.origin, &["log", "-1", "--format=%B", commit]);
        if i == 0 {
            let (subject, json) = message.split_once("\n\n").expect("a subject, then the entry");
            let mut entry: serde_json::Value = serde_json::from_str(json.trim()).expect("entry JSON");
            forge(&mut entry);
            message = format!("{subject}\n\n{entry}\n");
        }
        let tree = s.git(&s.origin, &["log", "-1", "--format=%T", commit]);
        let config: Vec<String> = match signer.filter(|_| i == 0) {
            Some(signer) => signer.git_config().iter().map(|(k, v)| format!("{k}={v}")).collect(),
            None => Vec::new(),
        };
        let mut args: Vec<&str> = config.iter().flat_map(|c| ["-c", c.as_str()]).collect();
        args.extend(["commit-tree", tree.as_str(), "-m", message.as_str()]);
        if !config.is_empty() {
            args.push("-S");
        }
        if let Some(p) = &parent {
            args.extend(["-p", p.as_str()]);
        }
        let forged = s.git(&s.origin, &args);
        if i == 0 {
            s.git(&s.origin, &["update-ref", "refs/hotfix/locks/release", &forged]);
        }
        parent = Some(forged);
    }
    let head = parent.expect("the run has entries");
    s.git(&s.origin, &["update-ref", &run_ref, &head]);
}

/// Sets the command of every step called `name` (hotfix and rollback).
fn set_command(entry: &mut serde_json::Value, name: &str, command: &str) {
    for phase in ["hotfix", "rollback"] {
        let steps = entry["plan"]["steps"][phase].as_array_mut().expect("steps");
        for step in steps.iter_mut().filter(|s| s["name"] == name) {
            step["action"]["command"] = command.into();
        }
    }
}

#[test]
fn a_forged_deploy_command_is_refused_and_nothing_runs() {
    let s = Scenario::new();
    let log = s.root().join("deploys.log");
    s.configure(&format!(
        "\n[deploy]\ncommand = \"echo deployed >> '{}'\"\n",
        log.display()
    ));
    s.start_stopped_at("before:deploy");
    let status = s.hotfix(&s.work, &["status", "--json"]);
    let id = serde_json::from_str::<serde_json::Value>(&status.stdout).expect("status JSON")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    // The recorded configuration is left as it was: only the step changes.
    forge_run_created(&s, &id, |entry| set_command(entry, "deploy", "touch pwned"));
    // The operator's clone saw the run before: the forged chain does not extend it.
    let seen = s.hotfix(&s.work, &["continue", "--yes"]);
    seen.expect_code(3);
    assert!(
        seen.stderr.contains("does not extend the one this clone has"),
        "{}",
        seen.stderr
    );

    // A clone that never saw the run, with the operator's hotfix.toml, reads the forged one.
    let fresh = s.clone_as("fresh");
    std::fs::copy(s.work.join("hotfix.toml"), fresh.join("hotfix.toml")).expect("config");
    let go = s.hotfix(&fresh, &["continue", "--yes"]);
    go.expect_code(3);
    assert!(
        go.stderr.contains(&format!(
            "run {id} records steps that this clone's hotfix.toml (nor the one on main) does not make: \
             deploy.command, rollback.deploy.command; nothing was run"
        )),
        "{}",
        go.stderr
    );
    // A colleague without hotfix.toml cannot check them either.
    s.git(s.root(), &["clone", "-q", "origin.git", "colleague"]);
    let colleague = s.root().join("colleague");
    s.hotfix(&colleague, &["continue", "--yes"]).expect_code(3);
    // Nor does the rollback run them.
    let back = s.hotfix(&fresh, &["rollback", "--yes", "--reason", "forged"]);
    back.expect_code(3);
    assert!(back.stderr.contains("deploy.command"), "{}", back.stderr);

    for dir in [s.root(), &s.work, &fresh, &colleague, &s.origin] {
        assert!(
            !dir.join("pwned").exists(),
            "the forged command ran in {}",
            dir.display()
        );
    }
    assert!(!log.exists(), "nothing deployed");
}

#[test]
fn a_forged_ref_in_a_step_is_a_corrupt_journal() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let status = s.hotfix(&s.work, &["status", "--json"]);
    let id = serde_json::from_str::<serde_json::Value>(&status.stdout).expect("status JSON")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    forge_run_created(&s, &id, |entry| {
        let steps = entry["plan"]["steps"]["hotfix"].as_array_mut().expect("steps");
        let push = steps.iter_mut().find(|s| s["name"] == "push-release").expect("a push");
        push["action"]["name"] = "refs/heads/--force".into();
    });
    // A clone that never saw the run reads the forged one (the operator's refuses it as rewritten).
    let fresh = s.clone_as("fresh");
    let go = s.hotfix(&fresh, &["continue", "--yes"]);
    assert_ne!(go.code, 0, "{}", go.all());
    assert!(
        go.stderr
            .contains("the plan's hotfix step `push-release` has action.name `refs/heads/--force`"),
        "{}",
        go.stderr
    );
    assert_eq!(
        s.rev(&s.origin, "refs/heads/release"),
        s.release0,
        "release did not move"
    );
}
