//! What every command prints, as a person sees it, pinned as snapshots
//! (insta), as jj does: the environment pinned (time, randomness, host,
//! identities, the temp dir replaced by `[ROOT]`, durations by `[TIME]`),
//! each snapshot the command line, stdout, stderr and the exit status.
//!
//! A change of output shows as a failing snapshot: `cargo insta review`
//! (or `INSTA_UPDATE=always cargo test`) takes the new one after a look.

use std::path::Path;

use crate::common::{Run, Scenario};

/// The time and randomness every command sees.
const PINNED: [(&str, &str); 2] = [
    ("GIT_HOTFIX_TIMESTAMP", "1795000000"),
    ("GIT_HOTFIX_RANDOMNESS_SEED", "42"),
];

/// The config: a deploy and a smoke check as commands, no network.
const CONFIG: &str = r#"
[deploy]
command = "echo deploying $HOTFIX_RELEASE_SHA"
timeout = "20s"

[[smoke]]
name = "health"
command = "echo healthy"
"#;

/// Returns `text` with what differs between machines and runs replaced:
/// the temp dir, how long commands took, process ids.
fn normalized(text: &str, root: &Path) -> String {
    let root = root.to_string_lossy();
    let text = text.replace(root.as_ref(), "[ROOT]");
    // `exit 0 in 0.0 s`, `in 12.3 s`: the measured durations.
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" in ") {
        out.push_str(&rest[..at + 4]);
        rest = &rest[at + 4..];
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits > 0 && rest[digits..].starts_with(" s") && rest[..digits].contains('.') {
            out.push_str("[TIME]");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    // `process group 4072`: the pid the shell got.
    let mut pinned = String::new();
    let mut rest = out.as_str();
    while let Some(at) = rest.find("process group ") {
        pinned.push_str(&rest[..at + 14]);
        rest = &rest[at + 14..];
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits > 0 {
            pinned.push_str("[PGID]");
            rest = &rest[digits..];
        }
    }
    pinned.push_str(rest);
    pinned
}

/// Runs `args` and returns the snapshot text: the command, its output, its exit status.
fn shot(s: &Scenario, dir: &Path, args: &[&str]) -> (Run, String) {
    let run = s.hotfix_env(dir, args, &PINNED);
    let text = format!(
        "$ git hotfix {}\n--- stdout\n{}--- stderr\n{}--- exit {}\n",
        args.join(" "),
        run.stdout,
        run.stderr,
        run.code
    );
    (run, normalized(&text, s.root()))
}

macro_rules! snapshot {
    ($s:expr, $name:literal, $dir:expr, $args:expr) => {{
        let (run, text) = shot($s, $dir, $args);
        insta::assert_snapshot!($name, text);
        run
    }};
}

#[test]
fn every_command_as_a_person_sees_it() {
    let s = Scenario::new();
    s.configure(CONFIG);
    let (f, g, p) = (s.f.as_str(), s.g.as_str(), s.p.as_str());
    let w = &s.work;

    snapshot!(&s, "plan", w, &["plan", "--fix", f, "--production", p]);
    snapshot!(&s, "plan_blocked", w, &["plan", "--fix", g, "--production", p]);
    snapshot!(
        &s,
        "plan_unknown_fix",
        w,
        &["plan", "--fix", "nosuchrev", "--production", p]
    );
    snapshot!(&s, "start_without_yes", w, &["start", "--fix", f, "--production", p]);
    snapshot!(&s, "resolve_nothing", w, &["resolve"]);
    let start = snapshot!(
        &s,
        "start",
        w,
        &["start", "--fix", f, "--production", p, "--yes", "--incident", "INC-1"]
    );
    assert_eq!(start.code, 0);
    snapshot!(
        &s,
        "start_locked",
        w,
        &["start", "--fix", f, "--production", p, "--yes"]
    );
    snapshot!(&s, "status", w, &["status"]);
    snapshot!(&s, "log", w, &["log"]);
    snapshot!(&s, "verify", w, &["verify"]);
    snapshot!(&s, "guard_held", w, &["guard", "--action", "cut-off"]);
    snapshot!(&s, "approve_no_roles", w, &["approve", "--role", "pm"]);
    snapshot!(
        &s,
        "attest_proven",
        w,
        &["attest", "deploy-completed", "--detail", "seen"]
    );
    snapshot!(
        &s,
        "attest",
        w,
        &["attest", "release-job", "--detail", "no release job: deploy only"]
    );
    snapshot!(&s, "report", w, &["report"]);
    snapshot!(&s, "backport_no_target", w, &["backport"]);
    snapshot!(&s, "finish", w, &["finish"]);
    snapshot!(&s, "continue_finished", w, &["continue"]);
    snapshot!(&s, "abort_finished", w, &["abort"]);
    snapshot!(&s, "rollback", w, &["rollback", "--yes", "--reason", "totals wrong"]);
    snapshot!(&s, "status_rolled_back", w, &["status"]);
    snapshot!(&s, "doctor", w, &["doctor"]);
    snapshot!(&s, "typo", w, &["stauts"]);
    snapshot!(&s, "ci_gitlab", w, &["ci", "--gitlab", "--stdout"]);
    let man = s.root().join("man");
    snapshot!(&s, "man", w, &["man", "--output", &man.to_string_lossy()]);
    snapshot!(&s, "init_exists", w, &["init"]);
    let fresh = s.clone_as("fresh");
    std::fs::remove_file(fresh.join("hotfix.toml")).expect("no config yet");
    snapshot!(&s, "init", &fresh, &["init"]);
    snapshot!(
        &s,
        "no_config",
        &fresh,
        &["--config", "missing.toml", "plan", "--fix", f]
    );
}

/// Runs `args` as `who` (a committer identity), pinned, and returns the snapshot text.
fn shot_as(s: &Scenario, who: &[(&str, &str)], args: &[&str]) -> String {
    let mut env: Vec<(&str, &str)> = PINNED.to_vec();
    env.extend_from_slice(who);
    let run = s.hotfix_env(&s.work, args, &env);
    normalized(
        &format!(
            "$ git hotfix {}\n--- stdout\n{}--- stderr\n{}--- exit {}\n",
            args.join(" "),
            run.stdout,
            run.stderr,
            run.code
        ),
        s.root(),
    )
}

/// The successes the first test's run does not reach: a run held at its
/// approvals, approved twice, carried on and finished; a conflict laid out
/// for a person; a run aborted.
#[test]
fn approvals_continue_finish_resolve_and_abort_as_a_person_sees_them() {
    use crate::test_gates::{ALICE, BOB};
    let s = Scenario::new();
    s.configure(CONFIG);
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n");
    let (f, p) = (s.f.as_str(), s.p.as_str());
    let w = &s.work;
    snapshot!(&s, "gated_start", w, &["start", "--fix", f, "--production", p, "--yes"]);
    snapshot!(&s, "continue_at_gate", w, &["continue", "--yes"]);
    insta::assert_snapshot!("approve", shot_as(&s, ALICE, &["approve", "--role", "tech-lead"]));
    insta::assert_snapshot!("approve_second", shot_as(&s, BOB, &["approve", "--role", "pm"]));
    snapshot!(&s, "continue", w, &["continue", "--yes"]);
    snapshot!(&s, "finish_done", w, &["finish", "--force"]);
    snapshot!(&s, "log_two", w, &["log"]);

    let t = Scenario::new();
    let u = &t.work;
    let (g, p2) = (t.g.as_str(), t.p.as_str());
    snapshot!(
        &t,
        "start_conflict",
        u,
        &[
            "start",
            "--fix",
            g,
            "--production",
            p2,
            "--yes",
            "--allow-dependency",
            "escalated: INC-9"
        ]
    );
    snapshot!(&t, "resolve", u, &["resolve"]);
    snapshot!(&t, "abort", u, &["abort", "--reason", "fix it on main first"]);
}
