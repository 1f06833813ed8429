//! Approvals under `[approvals] verify = "signature"` (the default): an
//! approval counts only when its entry is signed by a key of the team's
//! allowed signers, and the approver is that key, not the email they typed.
//! Each person approves from their own clone, set to sign with their key.

use std::path::{Path, PathBuf};

use hotfix_testkit::signing::{self, Signer};

use crate::common::service::Service;
use crate::common::{Run, Scenario};
use crate::test_conflicts::{start_conflicting, RESOLVED};
use crate::test_gates::{gates_config, ALICE, BOB};

/// Alice and Bob approve; Dana wrote the fixes; Olly started the run.
struct Team {
    s: Scenario,
    _service: Service,
    alice: Signer,
    bob: Signer,
    dana: Signer,
    olly: Signer,
    /// Signs, but the allowed signers do not name the key.
    mallory: Signer,
}

const DANA: &[(&str, &str)] = &[
    ("GIT_COMMITTER_NAME", "Dana Dev"),
    ("GIT_COMMITTER_EMAIL", "dana@example.com"),
];

impl Team {
    /// The scenario's run started by Olly, waiting for tech-lead and pm.
    fn at_the_gate() -> Option<Team> {
        let team = Team::new()?;
        team.s.start_fix(&[]).expect_code(0);
        Some(team)
    }

    /// The team's keys and configuration, no run started yet.
    fn new() -> Option<Team> {
        if !signing::available() {
            eprintln!("ssh-keygen is not available: signed approvals are not tested here");
            return None;
        }
        let s = Scenario::new();
        let service = Service::start(s.root(), &s.p);
        let keys = s.root().join("keys");
        std::fs::create_dir_all(&keys).expect("keys dir");
        let signer = |who| Signer::new(&keys, who);
        let team = Team {
            alice: signer("alice@example.com"),
            bob: signer("bob@example.com"),
            dana: signer("dana@example.com"),
            olly: signer("olly@example.com"),
            mallory: signer("mallory@example.com"),
            _service: service,
            s,
        };
        let s = &team.s;
        s.configure(&gates_config(s, &team._service, ""));
        s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nallowed_signers = \"allowed_signers\"\n");
        signing::write_allowed_signers(
            &s.work.join("allowed_signers"),
            &[&team.alice, &team.bob, &team.dana, &team.olly],
        );
        team.olly.configure(s.root(), &s.work);
        Some(team)
    }

    /// A clone of the origin with the operator's hotfix.toml and allowed
    /// signers, signing with `signer` (or not at all).
    fn clone_for(&self, name: &str, signer: Option<&Signer>) -> PathBuf {
        let s = &self.s;
        let dir = s.clone_as(name);
        for file in ["hotfix.toml", "allowed_signers"] {
            std::fs::copy(s.work.join(file), dir.join(file)).expect("copy");
        }
        if let Some(signer) = signer {
            signer.configure(s.root(), &dir);
        }
        dir
    }

    fn approve(&self, dir: &Path, role: &str, who: &[(&str, &str)]) -> Run {
        self.s.hotfix_env(dir, &["approve", "--role", role], who)
    }

    /// The refs of the origin and of `dir`'s journal.
    fn refs(&self, dir: &Path) -> (String, String) {
        let s = &self.s;
        (
            s.git(&s.origin, &["for-each-ref"]),
            s.git(dir, &["for-each-ref", "refs/hotfix/", "refs/hotfix-remote/"]),
        )
    }

    /// Asserts that `role` approved from `dir` as `who` is refused with
    /// `reason`, nothing pushed and the local journal unchanged.
    #[track_caller]
    fn refused(&self, dir: &Path, role: &str, who: &[(&str, &str)], reason: &str) -> Run {
        // The clone catches up with the remote first: adopting what others
        // pushed is not what the refusal is about.
        self.s.hotfix(dir, &["status"]).expect_code(0);
        let before = self.refs(dir);
        let run = self.approve(dir, role, who);
        run.expect_code(3);
        assert!(run.stderr.contains(reason), "`{reason}` in\n{}", run.stderr);
        assert!(run.stderr.contains("nothing was pushed"), "{}", run.stderr);
        assert_eq!(self.refs(dir), before, "a refused approval changes no ref");
        run
    }

    fn release_job_ran(&self) -> bool {
        self.s.root().join("release-job.log").exists()
    }
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", run.all()))
}

#[test]
fn signed_approvals_from_two_keys_pass_and_the_report_says_how_each_was_verified() {
    let Some(team) = Team::at_the_gate() else { return };
    let s = &team.s;
    let alice = team.clone_for("alice", Some(&team.alice));
    let bob = team.clone_for("bob", Some(&team.bob));
    let approved = team.approve(&alice, "tech-lead", ALICE);
    approved.expect_code(0);
    assert!(
        approved
            .stdout
            .contains("verified: signed by alice@example.com (SHA256:"),
        "{}",
        approved.stdout
    );
    team.approve(&bob, "pm", BOB).expect_code(0);
    // Approving again in the same role changes nothing.
    let again = team.approve(&alice, "tech-lead", ALICE);
    again.expect_code(0);

    let status = s.hotfix(&s.work, &["status"]);
    assert!(
        status
            .stdout
            .contains("verified   tech-lead verified: signed by alice@example.com"),
        "{}",
        status.stdout
    );
    s.hotfix(&s.work, &["continue", "--yes"]).expect_code(0);
    assert!(team.release_job_ran(), "both roles approved: the release job ran");

    let report = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    let approvals = report["approvals"].as_array().expect("approvals");
    assert_eq!(approvals.len(), 2, "{report}");
    for (a, who) in approvals.iter().zip(["alice@example.com", "bob@example.com"]) {
        assert_eq!(a["verified"]["by"], "signature", "{a}");
        assert_eq!(a["verified"]["principal"], who, "{a}");
        assert!(
            a["verified"]["key"].as_str().is_some_and(|k| k.starts_with("SHA256:")),
            "{a}"
        );
    }
    let markdown = s.hotfix(&s.work, &["report"]);
    assert!(
        markdown.stdout.contains("- pm: Bob PM <bob@example.com> at ")
            && markdown.stdout.contains("verified: signed by bob@example.com (SHA256:"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn approvals_that_would_not_count_are_refused_before_anything_is_pushed() {
    let Some(team) = Team::at_the_gate() else { return };
    let alice = team.clone_for("alice", Some(&team.alice));
    team.approve(&alice, "tech-lead", ALICE).expect_code(0);

    // The same key for a second role, under another email.
    let other_email = [
        ("GIT_COMMITTER_NAME", "A. Lead"),
        ("GIT_COMMITTER_EMAIL", "a.lead@example.org"),
    ];
    team.refused(&alice, "pm", &other_email, "alice@example.com (key SHA256:");
    team.refused(&alice, "pm", &other_email, "already approved as tech-lead");

    // No signing configured: the entry cannot be signed.
    let unsigned = team.clone_for("unsigned", None);
    let run = team.refused(&unsigned, "pm", BOB, "could not sign the approval");
    assert!(run.stderr.contains("git config gpg.format ssh"), "{}", run.stderr);

    // A key the allowed signers do not name, even claiming Bob's email.
    let mallory = team.clone_for("mallory", Some(&team.mallory));
    team.refused(
        &mallory,
        "pm",
        BOB,
        "signed by a key the allowed signers do not name (key SHA256:",
    );

    // The fix's author, by key, whatever the email.
    let dana = team.clone_for("dana", Some(&team.dana));
    team.refused(&dana, "pm", DANA, "authored or committed fix");
    let elsewhere = [
        ("GIT_COMMITTER_NAME", "D."),
        ("GIT_COMMITTER_EMAIL", "dana@elsewhere.org"),
    ];
    team.refused(&dana, "pm", &elsewhere, "authored or committed fix");

    // The operator who started the run.
    let s = &team.s;
    team.refused(&s.work, "pm", &[], "started this run; the operator may not approve it");

    // None of it counts: pm is still missing, and nothing deploys.
    let status = json(&s.hotfix(&s.work, &["status", "--json"]));
    assert_eq!(status["missing_roles"], serde_json::json!(["pm"]), "{status}");
    s.hotfix(&s.work, &["continue", "--yes"]).expect_code(3);
    assert!(!team.release_job_ran());
}

/// Appends `events` (an entry's event fields) to the run on the origin as
/// unsigned entries made with `git commit-tree`, as anyone who may push
/// `refs/hotfix/*` could; returns the run's `status --json` from before.
pub(crate) fn forge_entries(s: &Scenario, events: impl Fn(&str) -> Vec<serde_json::Value>) -> serde_json::Value {
    let status = json(&s.hotfix(&s.work, &["status", "--json"]));
    let id = status["id"].as_str().expect("id").to_string();
    let release = status["release_sha"].as_str().expect("release pushed");
    let run_ref = format!("refs/hotfix/runs/{id}");
    let mut head = s.git(&s.origin, &["rev-parse", &run_ref]);
    let first = status["entries"].as_array().expect("entries").len();
    let tree = s.git(&s.origin, &["log", "-1", "--format=%T", &head]);
    for (seq, event) in events(release).into_iter().enumerate().map(|(i, e)| (first + i, e)) {
        let mut entry = serde_json::json!({
            "seq": seq,
            "at": 1_800_000_000,
            "actor": { "ident": "Alice Lead <alice@example.com>", "host": "laptop" },
        });
        for (k, v) in event.as_object().expect("event fields") {
            entry[k] = v.clone();
        }
        let message = format!("hotfix {id} #{seq}: forged\n\n{entry}\n");
        head = s.git(&s.origin, &["commit-tree", &tree, "-p", &head, "-m", &message]);
    }
    s.git(&s.origin, &["update-ref", &run_ref, &head]);
    status
}

fn forged_approval(role: &str, ident: &str, release: &str) -> serde_json::Value {
    serde_json::json!({
        "event": "approved",
        "approval": {
            "role": role,
            "ident": ident,
            "at": 1_800_000_000,
            "release_tip": release,
            "verified": { "by": "signature", "key": "SHA256:forged", "principal": "alice@example.com" },
        },
    })
}

/// Alice's and Bob's approvals, written by someone else, unsigned.
fn forged_approvals(release: &str) -> Vec<serde_json::Value> {
    vec![
        forged_approval("tech-lead", "Alice Lead <alice@example.com>", release),
        forged_approval("pm", "Bob PM <bob@example.com>", release),
    ]
}

#[test]
fn forged_unsigned_approvals_pushed_to_the_remote_do_not_open_the_gate() {
    let Some(team) = Team::at_the_gate() else { return };
    let s = &team.s;
    forge_entries(s, forged_approvals);

    let cont = s.hotfix(&s.work, &["continue", "--yes"]);
    cont.expect_code(3);
    assert!(cont.stderr.contains("tech-lead, pm not approved"), "{}", cont.stderr);
    assert!(cont.stderr.contains("its entry is not signed"), "{}", cont.all());
    assert!(!team.release_job_ran(), "forged approvals deploy nothing");

    let report = json(&s.hotfix(&s.work, &["report", "--format", "json"]));
    assert_eq!(report["approvals"], serde_json::json!([]), "{report}");
    let refused = report["approvals_not_counted"]
        .as_array()
        .expect("listed as not counted");
    assert_eq!(refused.len(), 2, "{report}");
    assert!(
        refused.iter().all(|r| r["reason"] == "its entry is not signed"),
        "{report}"
    );
    let status = s.hotfix(&s.work, &["status"]);
    assert!(status.stdout.contains("not counted"), "{}", status.stdout);
}

#[test]
fn a_forged_approvals_step_opens_no_production_step() {
    let Some(team) = Team::at_the_gate() else { return };
    let s = &team.s;
    forge_entries(s, |release| {
        let mut events = forged_approvals(release);
        events.push(serde_json::json!({
            "event": "step-done",
            "step": "approvals",
            "evidence": { "kind": "approvals", "approvals": [] },
        }));
        events
    });
    let cont = s.hotfix(&s.work, &["continue", "--yes"]);
    cont.expect_code(3);
    assert!(cont.stderr.contains("tech-lead, pm not approved"), "{}", cont.all());
    assert!(!team.release_job_ran(), "the release job checks the approvals again");
}

#[test]
fn whoever_resolved_a_conflict_of_the_run_does_not_approve_it() {
    let Some(team) = Team::new() else { return };
    let s = &team.s;
    start_conflicting(s);
    // Bob resolves the conflict from his own clone, signing the resolution.
    let bob = team.clone_for("bob", Some(&team.bob));
    let opened = json(&s.hotfix(&bob, &["resolve", "--json"]));
    let worktree = PathBuf::from(opened["worktree"].as_str().expect("worktree"));
    std::fs::write(worktree.join("app.txt"), RESOLVED).expect("resolve");
    s.hotfix_env(&bob, &["continue", "--yes"], BOB).expect_code(0);

    team.refused(&bob, "pm", BOB, "bob@example.com (key SHA256:");
    team.refused(&bob, "pm", BOB, "resolved a conflict of this run");
    let elsewhere = [
        ("GIT_COMMITTER_NAME", "B."),
        ("GIT_COMMITTER_EMAIL", "bob@elsewhere.org"),
    ];
    team.refused(&bob, "tech-lead", &elsewhere, "resolved a conflict of this run");
    // The operator who started the run is refused too.
    team.refused(&s.work, "pm", &[], "started this run");
    let alice = team.clone_for("alice", Some(&team.alice));
    team.approve(&alice, "tech-lead", ALICE).expect_code(0);
}

#[test]
fn plan_and_start_refuse_allowed_signers_that_are_not_there() {
    let Some(team) = Team::new() else { return };
    let s = &team.s;
    std::fs::remove_file(s.work.join("allowed_signers")).expect("remove");
    for command in ["plan", "start"] {
        let mut args = vec![command, "--fix", &s.f, "--production", &s.p];
        if command == "start" {
            args.push("--yes");
        }
        let before = s.git(&s.origin, &["for-each-ref"]);
        let run = s.hotfix(&s.work, &args);
        run.expect_code(1);
        assert!(
            run.stderr.contains("allowed_signers") && run.stderr.contains("does not exist"),
            "{command}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&s.work.join("allowed_signers").display().to_string()),
            "{}",
            run.stderr
        );
        assert_eq!(s.git(&s.origin, &["for-each-ref"]), before, "{command} pushed nothing");
    }
}
