//! `git hotfix verify`: a whole run checked as anyone reading it later would
//! (its chain, its decisions' signatures against the allowed signers this
//! clone trusts, its commits against its inputs), on a clean signed run and
//! on journals tampered with on the remote (`refs/hotfix/*` is writable by
//! more people than release).

use std::path::{Path, PathBuf};

use hotfix_testkit::signing::{write_allowed_signers, Signer};

use crate::common::{Run, Scenario};
use crate::test_forged_journal::{forge_run, forge_run_signed};
use crate::test_forged_plan::refs;
use crate::test_journal_history::run_id;

/// A scenario whose team names Tess's key as its one allowed signer, with
/// the operator's clone signing as Tess.
struct Signed {
    s: Scenario,
    tess: Signer,
    allowed: PathBuf,
}

impl Signed {
    fn new() -> Signed {
        let s = Scenario::new();
        let tess = Signer::new(s.root(), "tess@example.com");
        let allowed = s.root().join("allowed_signers");
        write_allowed_signers(&allowed, &[&tess]);
        s.configure(&approvals(&allowed));
        tess.configure(s.root(), &s.work);
        Signed { s, tess, allowed }
    }

    /// Starts the standard hotfix, signed by Tess; returns the run's id.
    fn start(&self) -> String {
        self.s.start_fix(&[]).expect_code(0);
        run_id(&self.s)
    }

    /// A clone that never saw the run, trusting the same allowed signers.
    fn verifier(&self, name: &str) -> PathBuf {
        let dir = self.s.clone_as(name);
        append(&dir, &approvals(&self.allowed));
        dir
    }
}

fn approvals(allowed: &Path) -> String {
    format!("\n[approvals]\nallowed_signers = \"{}\"\n", allowed.display())
}

fn append(dir: &Path, text: &str) {
    let path = dir.join("hotfix.toml");
    let mut config = std::fs::read_to_string(&path).expect("config");
    config.push_str(text);
    std::fs::write(path, config).expect("config");
}

/// Runs `verify --json` in `dir`, checks its exit code, and returns the JSON.
#[track_caller]
fn verify_json(s: &Scenario, dir: &Path, code: i32) -> serde_json::Value {
    let run: Run = s.hotfix(dir, &["verify", "--json"]);
    run.expect_code(code);
    serde_json::from_str(&run.stdout).expect("verify JSON")
}

/// Returns check `name` of a verification.
fn check<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .expect("the check is reported")
}

/// Asserts the human output of `verify` in `dir` fails (exit 4) naming `line`.
#[track_caller]
fn fails_naming(s: &Scenario, dir: &Path, line: &str) {
    let run = s.hotfix(dir, &["verify"]);
    run.expect_code(4);
    assert!(run.stdout.contains(line), "{}", run.all());
    assert!(run.stdout.contains("next: "), "{}", run.stdout);
}

#[test]
fn a_clean_signed_run_passes_and_the_report_says_so() {
    let t = Signed::new();
    let s = &t.s;
    let id = t.start();
    s.hotfix(&s.work, &["abort"]).expect_code(0);
    let head = s.origin_ref(&format!("refs/hotfix/runs/{id}")).expect("the run");
    let run_created = s.git(&s.origin, &["rev-list", "--max-parents=0", &head]);
    let allowed = format!("gpg.ssh.allowedSignersFile={}", t.allowed.display());
    let signed = s.git(
        &s.work,
        &["-c", &allowed, "log", "-1", "--format=%G? %GS", &run_created],
    );
    assert_eq!(
        signed,
        format!("G {}", t.tess.principal),
        "run-created is signed by Tess"
    );
    let aborted = s.git(&s.work, &["-c", &allowed, "log", "-1", "--format=%G?", &head]);
    assert_eq!(aborted, "G", "the abort is signed");

    let verifier = t.verifier("verifier");
    for dir in [&s.work, &verifier] {
        let v = verify_json(s, dir, 0);
        assert_eq!(v["run"], id.as_str());
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(
            check(&v, "signatures")["detail"],
            "2 decisions signed by allowed signers"
        );
        assert_eq!(check(&v, "commits")["detail"], "commits match inputs");
    }
    let human = s.hotfix(&verifier, &["verify"]);
    human.expect_code(0);
    assert!(
        human.stdout.contains("signatures ok      2 decisions signed"),
        "{}",
        human.stdout
    );

    let report = s.hotfix(&verifier, &["report"]);
    report.expect_code(0);
    assert!(
        report.stdout.contains(
            "Verification: passed (chain of 7 entries, 2 decisions signed by allowed signers, commits match inputs)"
        ),
        "{}",
        report.stdout
    );
    let json = s.hotfix(&verifier, &["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("report JSON");
    assert_eq!(v["verification"]["ok"], true, "{}", json.stdout);
    assert_eq!(v["verification"]["checks"].as_array().map(Vec::len), Some(3));
}

#[test]
fn an_unsigned_decision_appended_on_the_remote_fails_naming_it() {
    let t = Signed::new();
    let s = &t.s;
    let id = t.start();
    let run_ref = format!("refs/hotfix/runs/{id}");
    let head = s.origin_ref(&run_ref).expect("the run");
    let last = s.git(&s.origin, &["log", "-1", "--format=%B", &head]);
    let last: serde_json::Value =
        serde_json::from_str(last.split_once("\n\n").expect("subject, then entry").1.trim()).expect("entry JSON");
    let seq = last["seq"].as_u64().expect("seq") + 1;
    let entry = serde_json::json!({
        "seq": seq,
        "at": last["at"],
        "actor": last["actor"],
        "event": "attested",
        "item": "smoke",
        "detail": "looked fine to me",
    });
    let message = format!("hotfix {id} #{seq}: smoke attested\n\n{entry}\n");
    let tree = s.git(&s.origin, &["log", "-1", "--format=%T", &head]);
    let forged = s.git(&s.origin, &["commit-tree", &tree, "-p", &head, "-m", &message]);
    s.git(&s.origin, &["update-ref", &run_ref, &forged, &head]);

    // The operator's clone fetches it: it extends the chain, so it loads.
    let v = verify_json(s, &s.work, 4);
    assert_eq!(v["ok"], false);
    assert_eq!(check(&v, "chain")["ok"], true, "{v}");
    let failures = &check(&v, "signatures")["failures"];
    assert_eq!(failures[0]["seq"], seq, "{v}");
    assert_eq!(failures[0]["event"], "attested");
    assert_eq!(failures[0]["commit"], forged.as_str());
    assert_eq!(failures[0]["reason"], "not signed");
    fails_naming(
        s,
        &s.work,
        &format!("entry #{seq} (attested, {}): not signed", &forged[..7]),
    );
}

#[test]
fn a_chain_rewritten_and_signed_by_a_key_not_allowed_fails_naming_run_created() {
    let t = Signed::new();
    let s = &t.s;
    let id = t.start();
    let mallory = Signer::new(s.root(), "mallory@example.com");
    forge_run_signed(s, &id, usize::MAX, Some(&mallory), |entry| {
        entry["incident"] = "INC-forged".into();
    });
    // A clone that never saw the original: the append-only check cannot tell.
    let fresh = t.verifier("fresh");
    let v = verify_json(s, &fresh, 4);
    assert_eq!(check(&v, "chain")["ok"], true, "{v}");
    let failure = &check(&v, "signatures")["failures"][0];
    assert_eq!(failure["seq"], 0, "{v}");
    assert_eq!(failure["event"], "run-created");
    let reason = failure["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with("signed by a key the allowed signers do not name (SHA256:"),
        "{reason}"
    );
    fails_naming(s, &fresh, "entry #0 (run-created, ");
}

#[test]
fn an_entry_edited_and_the_chain_rehashed_unsigned_fails_naming_it() {
    let t = Signed::new();
    let s = &t.s;
    let id = t.start();
    forge_run(s, &id, usize::MAX, |entry| {
        entry["incident"] = "INC-edited".into();
    });
    let fresh = t.verifier("fresh");
    let v = verify_json(s, &fresh, 4);
    let failure = &check(&v, "signatures")["failures"][0];
    assert_eq!(failure["seq"], 0, "{v}");
    assert_eq!(failure["reason"], "not signed");
    fails_naming(s, &fresh, "entry #0 (run-created, ");
    // The clone that saw the original refuses the rewritten chain as a failed check.
    let seen = verify_json(s, &s.work, 4);
    let chain = check(&seen, "chain");
    assert_eq!(chain["ok"], false, "{seen}");
    assert!(
        chain["failures"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("does not extend the one this clone has")),
        "{seen}"
    );
}

#[test]
fn an_insiders_signed_plan_with_a_forged_release_tree_fails_the_commits_check() {
    let t = Signed::new();
    let s = &t.s;
    let id = t.start();
    let forged_tree = s.rev(&s.origin, &format!("{}^{{tree}}", s.u2));
    forge_run_signed(s, &id, usize::MAX, Some(&t.tess), |entry| {
        entry["plan"]["release_tree"] = forged_tree.as_str().into();
    });
    let fresh = t.verifier("fresh");
    let v = verify_json(s, &fresh, 4);
    assert_eq!(check(&v, "chain")["ok"], true, "{v}");
    assert_eq!(check(&v, "signatures")["ok"], true, "an allowed key signed it: {v}");
    let commits = check(&v, "commits");
    assert_eq!(commits["ok"], false, "{v}");
    let failure = &commits["failures"][0];
    assert_eq!(failure["seq"], 0);
    assert_eq!(failure["event"], "run-created");
    let reason = failure["reason"].as_str().expect("a reason");
    assert!(
        reason.starts_with(&format!("release's tree is {} in the record", &forged_tree[..7])),
        "{reason}"
    );
    fails_naming(s, &fresh, "entry #0 (run-created, ");
    let report = s.hotfix(&fresh, &["report"]);
    report.expect_code(0);
    assert!(
        report
            .stdout
            .contains("Verification: FAILED: commits: entry #0 (run-created, "),
        "{}",
        report.stdout
    );
}

#[test]
fn without_allowed_signers_the_chain_and_commits_are_checked_and_signatures_not_configured() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let v = verify_json(&s, &s.work, 0);
    assert_eq!(check(&v, "chain")["ok"], true, "{v}");
    assert_eq!(check(&v, "commits")["detail"], "commits match inputs");
    let signatures = check(&v, "signatures");
    assert_eq!(signatures["ok"], true);
    assert_eq!(signatures["detail"], "not configured: entries are not signed");
    let human = s.hotfix(&s.work, &["verify"]);
    human.expect_code(0);
    assert!(
        human.stdout.contains("not configured: entries are not signed"),
        "{}",
        human.stdout
    );
}

#[test]
fn start_refuses_before_the_remote_when_signing_is_required_and_git_cannot_sign() {
    let s = Scenario::new();
    let tess = Signer::new(s.root(), "tess@example.com");
    let allowed = s.root().join("allowed_signers");
    write_allowed_signers(&allowed, &[&tess]);
    s.configure(&approvals(&allowed));
    s.git(&s.work, &["config", "gpg.format", "ssh"]);
    let start = s.start_fix(&[]);
    start.expect_code(1);
    assert!(
        start
            .stderr
            .contains("must be signed because `[approvals] allowed_signers` is set"),
        "{}",
        start.stderr
    );
    assert!(
        start
            .stderr
            .contains("git config user.signingKey ~/.ssh/id_ed25519.pub"),
        "{}",
        start.stderr
    );
    let pushed = s.git(&s.origin, &["for-each-ref", "refs/hotfix/"]);
    assert_eq!(pushed, "", "nothing reached the remote");
    assert_eq!(s.origin_ref("refs/heads/release").as_deref(), Some(s.release0.as_str()));
}

#[test]
fn a_rolled_back_run_signs_its_rollback_and_verifies() {
    let t = Signed::new();
    let s = &t.s;
    t.start();
    s.hotfix(&s.work, &["rollback", "--reason", "errors went up", "--yes"])
        .expect_code(0);
    let v = verify_json(s, &t.verifier("verifier"), 0);
    assert_eq!(
        check(&v, "signatures")["detail"],
        "2 decisions signed by allowed signers",
        "{v}"
    );
    assert_eq!(check(&v, "commits")["ok"], true, "{v}");
}

#[test]
fn continue_and_rollback_refuse_a_run_whose_decisions_no_allowed_signer_signed() {
    let t = Signed::new();
    let s = &t.s;
    // Stopped with release pushed, so that a rollback has something to do.
    s.start_stopped_at("before:verify-release");
    let id = run_id(s);
    // Someone who can push refs/hotfix/* but holds no allowed key re-signs
    // the run as their own: the chain is whole, the signature is not Tess's.
    let mallory = Signer::new(s.root(), "mallory@example.com");
    forge_run_signed(s, &id, usize::MAX, Some(&mallory), |entry| {
        entry["incident"] = "INC-forged".into();
    });
    let victim = t.verifier("victim");
    let before = refs(s, &s.origin, "refs/");
    for args in [
        &["continue", "--yes"][..],
        &["rollback", "--yes", "--reason", "forged"][..],
    ] {
        let run = s.hotfix(&victim, args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.all());
        assert!(
            run.stderr.contains(&format!(
                "run {id} has decisions no allowed signer signed: entry #0 (run-created, "
            )),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("signed by a key the allowed signers do not name"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("git hotfix verify"), "the hint: {}", run.stderr);
        assert_eq!(refs(s, &s.origin, "refs/"), before, "nothing changed on the origin");
    }
}

#[test]
fn a_remote_that_does_not_answer_leaves_commits_not_checked_not_failed() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let away = s.root().join("origin-away");
    std::fs::rename(&s.origin, &away).expect("the remote goes away");

    // verify, report and status read this clone's copy, and say so.
    let v = verify_json(&s, &s.work, 1);
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["offline"].as_str().unwrap_or_default().contains("did not answer"),
        "{v}"
    );
    let commits = check(&v, "commits");
    assert_eq!(
        (commits["ok"].clone(), commits["checked"].clone()),
        (false.into(), false.into()),
        "{v}"
    );
    assert!(
        commits["failures"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("could not be fetched"),
        "{v}"
    );
    assert_eq!(check(&v, "chain")["checked"], true, "{v}");
    let human = s.hotfix(&s.work, &["verify"]);
    human.expect_code(1);
    assert!(
        human
            .stderr
            .contains("could not be verified here: commits not checked; nothing checked failed")
            && human.stdout.contains("commits    not checked"),
        "{}",
        human.all()
    );
    let report = s.hotfix(&s.work, &["report"]);
    report.expect_code(0);
    assert!(
        report
            .stdout
            .contains("**Not the remote's record**: the remote `origin` did not answer")
            && report.stdout.contains("NOT CHECKED: commits:")
            && !report.stdout.contains("FAILED"),
        "{}",
        report.all()
    );
    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("warning: the remote `origin` did not answer"),
        "{}",
        status.all()
    );
    // What changes anything still needs the remote.
    let carry_on = s.hotfix(&s.work, &["continue", "--yes"]);
    assert_eq!(carry_on.code, 1, "{}", carry_on.all());

    std::fs::rename(&away, &s.origin).expect("the remote is back");
    let v = verify_json(&s, &s.work, 0);
    assert_eq!(check(&v, "commits")["checked"], true, "{v}");
    assert!(v.get("offline").is_none(), "{v}");
}
