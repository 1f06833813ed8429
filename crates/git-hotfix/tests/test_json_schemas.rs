//! `--json` on every command: stdout is exactly one JSON document, it names
//! its schema (`git-hotfix/<command>/v1`) and validates against
//! `schemas/<command>.v1.json`, checked by `check-jsonschema` (installed by
//! `.ci/run` into `.ci/venv`); the human lines go to stderr; a failing
//! command prints the error object. The values a script acts on (a blocked
//! plan's verdict, the exit codes) are asserted too, so a schema loose
//! enough to accept anything still fails here.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::service::Service;
use crate::common::{Run, Scenario};
use crate::test_conflicts::start_conflicting;
use crate::test_gates::{gates_config, ALICE, BOB};

/// Every schema file the commands' documents name.
const SCHEMAS: [&str; 23] = [
    "abort",
    "approve",
    "attest",
    "backport",
    "backport-resolve",
    "ci",
    "continue",
    "doctor",
    "error",
    "finish",
    "guard",
    "incident-report",
    "init",
    "log",
    "man",
    "plan",
    "report",
    "report-output",
    "resolve",
    "rollback",
    "start",
    "status",
    "verify",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Validates the documents `--json` printed against their schema files.
struct Validator {
    tool: PathBuf,
    out: PathBuf,
    count: usize,
}

impl Validator {
    fn new(s: &Scenario) -> Validator {
        let out = s.root().join("json-out");
        std::fs::create_dir_all(&out).expect("output dir");
        Validator {
            tool: crate::common::check_jsonschema(),
            out,
            count: 0,
        }
    }

    /// Asserts `run` exited `code` with one JSON document on stdout that
    /// `schemas/<schema>.v1.json` accepts; returns the document.
    #[track_caller]
    fn check(&mut self, what: &str, run: &Run, code: i32, schema: &str) -> Value {
        assert_eq!(
            run.code, code,
            "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout, run.stderr
        );
        let doc: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{what}: stdout is not one JSON document ({e}):\n{}", run.stdout));
        if let Value::Object(fields) = &doc {
            assert_eq!(
                fields.get("schema").and_then(Value::as_str),
                Some(format!("git-hotfix/{schema}/v1").as_str()),
                "{what}: the schema id"
            );
        }
        self.count += 1;
        let file = self
            .out
            .join(format!("{:02}-{}.json", self.count, what.replace(' ', "-")));
        std::fs::write(&file, &run.stdout).expect("write the document");
        let schema_file = workspace().join(format!("schemas/{schema}.v1.json"));
        let out = Command::new(&self.tool)
            .arg("--schemafile")
            .arg(&schema_file)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", self.tool.display()));
        assert!(
            out.status.success(),
            "{what}: schemas/{schema}.v1.json rejects the document\n{}{}\n--- document\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            run.stdout
        );
        doc
    }

    /// Asserts `run` failed with `code` and printed the error object.
    #[track_caller]
    fn error(&mut self, what: &str, run: &Run, code: i32) -> Value {
        let e = self.check(what, run, code, "error");
        assert_eq!(e["exit_code"], code, "{what}: {e}");
        assert!(
            run.stderr
                .contains(&format!("error: {}", e["error"].as_str().expect("error text"))),
            "{what}: the human error stays on stderr: {}",
            run.stderr
        );
        e
    }
}

#[test]
fn schema_files_are_valid_draft_2020_12_schemas() {
    let mut cmd = Command::new(crate::common::check_jsonschema());
    cmd.arg("--check-metaschema");
    for name in SCHEMAS {
        let file = workspace().join(format!("schemas/{name}.v1.json"));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(
            schema["$id"]
                .as_str()
                .is_some_and(|id| id.contains(&format!("{name}.v1"))),
            "{name}: $id names the file"
        );
        cmd.arg(file);
    }
    let out = cmd.output().expect("check-jsonschema runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The whole flow of a run with approvals, release job, deploy,
/// verification and smoke checks, each command with `--json`.
#[test]
fn every_command_of_a_full_run_prints_one_document_its_schema_accepts() {
    let s = Scenario::new();
    let mut v = Validator::new(&s);
    let service = Service::start(s.root(), &s.p);
    s.configure(&gates_config(&s, &service, ""));
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n");

    let fresh = s.clone_as("fresh");
    std::fs::remove_file(fresh.join("hotfix.toml")).expect("rm config");
    let init = v.check("init", &s.hotfix(&fresh, &["init", "--json"]), 0, "init");
    assert!(init["path"].as_str().expect("path").ends_with("hotfix.toml"), "{init}");
    assert!(
        init["next"].as_str().is_some_and(|n| n.contains("git hotfix plan")),
        "{init}"
    );

    let ci = v.check("ci", &s.hotfix(&s.work, &["ci", "--gitlab", "--json"]), 0, "ci");
    let written = s.work.join(".gitlab/hotfix.gitlab-ci.yml");
    assert_eq!(ci["path"], written.to_string_lossy().as_ref(), "{ci}");
    assert!(written.is_file());
    assert_eq!(
        (ci["forge"].as_str(), ci["strategy"].as_str()),
        (Some("gitlab"), Some("restore-release"))
    );
    let man_dir = s.root().join("man");
    let man = v.check(
        "man",
        &s.hotfix(&s.work, &["man", "--output", &man_dir.to_string_lossy(), "--json"]),
        0,
        "man",
    );
    let pages = man["pages"].as_array().expect("pages");
    assert!(
        pages
            .iter()
            .any(|p| p.as_str().is_some_and(|p| p.ends_with("man1/git-hotfix.1"))),
        "{man}"
    );

    let doctor = s.hotfix(&s.work, &["doctor", "--json"]);
    let code = doctor.code;
    let d = v.check("doctor", &doctor, code, "doctor");
    assert_eq!(d["ok"], code == 0, "doctor's ok and its exit code agree: {d}");

    let safe = v.check(
        "plan safe",
        &s.hotfix(&s.work, &["plan", "--json", "--fix", &s.f, "--production", &s.p]),
        0,
        "plan",
    );
    assert_eq!(safe["verdict"], "safe");
    assert_eq!(safe["blocking"], serde_json::json!([]));
    // G edits the line unreleased U1 introduced: blocked, and the plan says so at the top.
    let blocked = v.check(
        "plan blocked",
        &s.hotfix(&s.work, &["plan", "--json", "--fix", &s.g, "--production", &s.p]),
        3,
        "plan",
    );
    assert_eq!(blocked["verdict"], "blocked", "{blocked}");
    let names: Vec<&str> = blocked["blocking"]
        .as_array()
        .expect("blocking")
        .iter()
        .map(|n| n.as_str().expect("name"))
        .collect();
    assert!(names.contains(&"depends-on-unreleased"), "{names:?}");
    for name in &names {
        let check = blocked["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == *name)
            .expect("a blocking name is a check");
        assert_eq!(check["status"], "block", "{check}");
    }

    let start = s.start_fix(&["--json", "--incident", "INC-7"]);
    let st = v.check("start", &start, 0, "start");
    assert_eq!(st["started"], true);
    assert_eq!(st["gate"]["gate"], "approvals", "{st}");
    assert_eq!(st["gate"]["missing"], serde_json::json!(["tech-lead", "pm"]));
    assert!(st["steps_done"].as_u64().expect("steps_done") > 0, "{st}");
    assert_eq!(st["runs"].as_array().map(Vec::len), Some(1));
    let run = st["run"].as_str().expect("run id").to_string();
    assert!(
        st["next"].as_str().is_some_and(|n| n.contains("git hotfix approve")),
        "{st}"
    );
    assert!(
        start.stderr.contains("next: ") && start.stderr.contains("[1/"),
        "the plan, progress and next: line go to stderr under --json: {}",
        start.stderr
    );

    // At a gate, continue refuses: the error object, exit 3.
    let early = v.error(
        "continue at a gate",
        &s.hotfix(&s.work, &["continue", "--yes", "--json"]),
        3,
    );
    assert!(
        early["error"].as_str().expect("error").contains("not approved"),
        "{early}"
    );
    assert!(!early["hints"].as_array().expect("hints").is_empty(), "{early}");

    let unknown = v.error(
        "approve an unknown role",
        &s.hotfix_env(&s.work, &["approve", "--role", "ceo", "--json"], BOB),
        2,
    );
    assert!(unknown["error"].as_str().expect("error").contains("ceo"), "{unknown}");
    let a = v.check(
        "approve",
        &s.hotfix_env(&s.work, &["approve", "--role", "tech-lead", "--json"], ALICE),
        0,
        "approve",
    );
    assert_eq!(a["run"], run.as_str());
    assert_eq!(a["missing"], serde_json::json!(["pm"]));
    assert_eq!(a["approval"]["role"], "tech-lead");
    let a = v.check(
        "approve pm",
        &s.hotfix_env(&s.work, &["approve", "--role", "pm", "--json"], BOB),
        0,
        "approve",
    );
    assert_eq!(a["missing"], serde_json::json!([]));

    let go = s.hotfix(&s.work, &["continue", "--yes", "--json"]);
    let c = v.check("continue", &go, 0, "continue");
    assert_eq!(c["state"], "released", "{c}");
    assert_eq!(c["gate"], Value::Null);
    assert!(c["steps_done"].as_u64().expect("steps_done") >= 4, "{c}");
    assert!(
        go.stderr.contains("| deploying"),
        "deploy output goes to stderr: {}",
        go.stderr
    );
    assert_eq!(service.reported(), c["release_sha"].as_str().expect("release sha"));

    let status = v.check("status", &s.hotfix(&s.work, &["status", "--json"]), 0, "status");
    assert_eq!(status["state"], "released");
    assert_eq!(status["id"], run.as_str());
    let verify = v.check("verify", &s.hotfix(&s.work, &["verify", "--json"]), 0, "verify");
    assert_eq!(verify["ok"], true, "{verify}");
    let log = v.check("log", &s.hotfix(&s.work, &["log", "--json"]), 0, "log");
    assert_eq!(log[0]["id"], run.as_str(), "log --json stays an array: {log}");
    let report = v.check("report", &s.hotfix(&s.work, &["report", "--json"]), 0, "report");
    assert_eq!(report["run_id"], run.as_str());
    let alias = v.check(
        "report --format json",
        &s.hotfix(&s.work, &["report", "--format", "json"]),
        0,
        "report",
    );
    assert_eq!(alias["evidence"], report["evidence"], "--format json is --json");
    let file = s.root().join("incident.json");
    let file_arg = file.to_str().expect("utf-8 path");
    let written = v.check(
        "report --output",
        &s.hotfix(&s.work, &["report", "--json", "--output", file_arg]),
        0,
        "report-output",
    );
    assert_eq!(written["output"], file_arg);
    let in_file: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("the record")).expect("JSON");
    assert_eq!(in_file["schema"], "git-hotfix/report/v1");
    let incident = v.check(
        "report --incident",
        &s.hotfix(&s.work, &["report", "--incident", "INC-7", "--json"]),
        0,
        "incident-report",
    );
    assert_eq!(incident["incident"], "INC-7");

    let refused = v.check(
        "guard refused",
        &s.hotfix(
            &s.work,
            &["guard", "--action", "bring-all-code-to-release-branch", "--json"],
        ),
        3,
        "guard",
    );
    assert_eq!(refused["allowed"], false, "{refused}");
    let allowed = v.check(
        "guard allowed",
        &s.hotfix(&s.work, &["guard", "--action", "release checkout", "--json"]),
        0,
        "guard",
    );
    assert_eq!(allowed["allowed"], true, "{allowed}");

    v.error(
        "attest a proven item",
        &s.hotfix(
            &s.work,
            &["attest", "incident-record", "--detail", "INC-7 page", "--json"],
        ),
        2,
    );

    let finish = v.check(
        "finish",
        &s.hotfix(&s.work, &["finish", "--force", "--json"]),
        0,
        "finish",
    );
    assert_eq!(finish["state"], "completed", "{finish}");
    assert!(!finish["evidence"].as_array().expect("evidence").is_empty());
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);

    let rollback = v.check(
        "rollback",
        &s.hotfix(
            &s.work,
            &["rollback", "--yes", "--json", "--reason", "checking the way back"],
        ),
        0,
        "rollback",
    );
    assert_eq!(rollback["run"], run.as_str());
    assert_eq!(rollback["rolled_back"], true);
    assert!(rollback["steps_done"].as_u64().expect("steps_done") > 0, "{rollback}");
}

/// A conflicting pick (`resolve`, `abort`), a conflicted backport
/// (`backport`, `backport resolve`), and errors, clap's included.
#[test]
fn resolve_abort_backport_and_errors_print_documents_their_schemas_accept() {
    let s = Scenario::new();
    let mut v = Validator::new(&s);

    let usage = v.error(
        "an unknown flag",
        &s.hotfix(&s.work, &["plan", "--json", "--no-such-flag"]),
        2,
    );
    assert!(
        usage["error"].as_str().expect("error").contains("--no-such-flag"),
        "{usage}"
    );
    v.error(
        "status of an unknown run",
        &s.hotfix(&s.work, &["status", "no-such-run", "--json"]),
        1,
    );

    // A backport of G to production's commit conflicts: G edits a line P lacks.
    s.git(&s.work, &["push", "-q", "origin", &format!("{}:refs/heads/maint", s.p)]);
    let backport = v.check(
        "backport",
        &s.hotfix(&s.work, &["backport", "--fix", &s.g, "--to", "maint", "--json"]),
        0,
        "backport",
    );
    assert_eq!(backport[0]["state"], "conflicted", "{backport}");
    let opened = v.check(
        "backport resolve",
        &s.hotfix(
            &s.work,
            &["backport", "resolve", "--fix", &s.g, "--to", "maint", "--json"],
        ),
        0,
        "backport-resolve",
    );
    assert_eq!(opened["target"], "maint");
    assert!(Path::new(opened["worktree"].as_str().expect("worktree")).exists());

    let id = start_conflicting(&s);
    let resolve = v.check("resolve", &s.hotfix(&s.work, &["resolve", "--json"]), 0, "resolve");
    assert_eq!(resolve["run"], id.as_str());
    assert!(
        !resolve["conflicts"].as_array().expect("conflicts").is_empty(),
        "{resolve}"
    );
    // The pick conflicts: continue stops with the error object, exit 3.
    v.error("continue a conflict", &s.hotfix(&s.work, &["continue", "--json"]), 3);
    let abort = v.check(
        "abort",
        &s.hotfix(&s.work, &["abort", "--json", "--reason", "the fix needs U1"]),
        0,
        "abort",
    );
    assert_eq!(abort["run"], id.as_str());
    assert_eq!(abort["state"], "aborted", "{abort}");
    assert_eq!(abort["production_touched"], false);
    assert_eq!(s.origin_ref("refs/hotfix/locks/release"), None);

    // No gates configured: the team deploys by hand and attests it.
    let start = v.check("start without gates", &s.start_fix(&["--json"]), 0, "start");
    assert_eq!(start["gate"], Value::Null, "{start}");
    let attest = v.check(
        "attest",
        &s.hotfix(
            &s.work,
            &["attest", "deploy-completed", "--detail", "pipeline 1234", "--json"],
        ),
        0,
        "attest",
    );
    assert_eq!(attest["item"], "deploy-completed");
    assert_eq!(attest["run"], start["run"]);
    // Evidence is missing: finish refuses with the error object, listing the items.
    let finish = v.error(
        "finish with evidence missing",
        &s.hotfix(&s.work, &["finish", "--json"]),
        3,
    );
    assert!(
        finish["details"]
            .as_array()
            .expect("details")
            .iter()
            .any(|d| d.as_str().is_some_and(|d| d.contains("smoke-passed"))),
        "{finish}"
    );
}
