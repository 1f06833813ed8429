//! The attacks of issue 12, reproduced as described and refused: option
//! injection through `remote` (item 2), secrets reaching the journal, the
//! report, the terminal or a webhook (item 7), raw bytes from an HTTP body
//! on the terminal (item 8). Each refusal leaves the remote's refs and the
//! local journal as they were. (The tests of test_secrets.rs live here now.)

use std::path::Path;

use hotfix_testkit::http::{self, Response, Server};

use crate::common::service::webhook;
use crate::common::{serve, Run, Scenario};
use crate::test_forged_journal::forge_run_created;

/// The value issue 12 puts in `remote`: git reads it as `--upload-pack`.
const INJECTED_REMOTE: &str = "--upload-pack=touch${IFS}pwned;";

const TOKEN: (&str, &str) = ("MY_TOKEN", "s3cr3t-tok-4242");
const MASKED: &str = "[redacted MY_TOKEN]";

/// The journal refs of the repository at `dir` (runs, locks, everything under `refs/hotfix/`).
fn journal_heads(s: &Scenario, dir: &Path) -> String {
    s.git(dir, &["for-each-ref", "refs/hotfix/"])
}

/// Every file or directory called `pwned` under `dir`.
fn pwned_under(dir: &Path) -> Vec<String> {
    let mut found = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().contains("pwned") {
                found.push(path.display().to_string());
            }
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                todo.push(path);
            }
        }
    }
    found
}

fn run_id(s: &Scenario) -> String {
    let id = s.git(
        &s.origin,
        &["for-each-ref", "--format=%(refname:lstrip=3)", "refs/hotfix/runs/"],
    );
    assert_eq!(id.lines().count(), 1, "one run on origin: {id}");
    id
}

// ---- item 2: command execution through `remote` ----

#[test]
fn an_option_as_remote_in_hotfix_toml_is_refused_by_plan_start_and_guard() {
    let s = Scenario::new();
    let config =
        crate::common::MINIMAL_CONFIG.replace("remote = \"origin\"", &format!("remote = \"{INJECTED_REMOTE}\""));
    assert!(config.contains(INJECTED_REMOTE), "the config names the injected remote");
    std::fs::write(s.work.join("hotfix.toml"), config).expect("config");
    let origin = s.origin_refs();
    let local = journal_heads(&s, &s.work);
    for args in [
        vec!["plan", "--fix", &s.f, "--production", &s.p],
        vec!["guard", "--action", "cut-off"],
        vec!["start", "--fix", &s.f, "--production", &s.p, "--yes"],
    ] {
        let run = s.hotfix(&s.work, &args);
        assert_ne!(run.code, 0, "{args:?} is refused\n{}", run.all());
        assert!(
            run.stderr.contains(&format!("key `remote` = `{INJECTED_REMOTE}`"))
                && run.stderr.contains("which git would read as an option"),
            "{args:?}: a clear error naming the key\n{}",
            run.stderr
        );
        assert_eq!(
            pwned_under(s.root()),
            Vec::<String>::new(),
            "{args:?} ran the injected command"
        );
        assert_eq!(s.origin_refs(), origin, "{args:?} changed nothing on the remote");
        assert_eq!(
            journal_heads(&s, &s.work),
            local,
            "{args:?} left the local journal alone"
        );
    }
}

#[test]
fn an_option_as_remote_in_a_forged_run_created_entry_is_a_corrupt_journal() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let id = run_id(&s);
    forge_run_created(&s, &id, |entry| {
        assert_eq!(entry["remote"], "origin", "the entry records its remote");
        entry["remote"] = INJECTED_REMOTE.into();
        assert_eq!(entry["plan"]["remote"], "origin", "the plan records its remote");
        entry["plan"]["remote"] = INJECTED_REMOTE.into();
    });
    let chain = s.git(&s.origin, &["rev-list", "--reverse", &format!("refs/hotfix/runs/{id}")]);
    let first = chain.lines().next().expect("an entry");
    let forged = s.git(&s.origin, &["log", "-1", "--format=%B", first]);
    assert!(forged.contains(INJECTED_REMOTE), "the forgery is on origin: {forged}");

    // A clone that never saw the run, as the victim's.
    let fresh = s.clone_as("fresh");
    let origin = s.origin_refs();
    let local = journal_heads(&s, &fresh);
    let go = s.hotfix(&fresh, &["continue", "--yes"]);
    assert_ne!(go.code, 0, "continue refuses\n{}", go.all());
    assert!(
        go.stderr.contains("journal entry ") && go.stderr.contains(&format!("of run `{id}` cannot be read")),
        "names the unreadable entry: {}",
        go.stderr
    );
    assert!(
        go.stderr.contains("which git would read as an option"),
        "says why: {}",
        go.stderr
    );
    assert_eq!(pwned_under(s.root()), Vec::<String>::new(), "the injected command ran");
    assert_eq!(s.origin_refs(), origin, "nothing changed on the remote");
    assert_eq!(
        s.rev(&s.origin, "refs/heads/release"),
        s.release0,
        "release did not move"
    );
    assert_eq!(journal_heads(&s, &fresh), local, "the victim's journal is unchanged");
}

// ---- item 7: secrets reach the journal ----

/// Asserts `haystack` (what `what` is) holds the masked form `masked` and not the token.
#[track_caller]
fn masked_in(what: &str, haystack: &str, masked: &str) {
    assert!(!haystack.contains(TOKEN.1), "{what} holds the token raw:\n{haystack}");
    assert!(haystack.contains(masked), "{what} lacks `{masked}`:\n{haystack}");
}

#[test]
fn a_token_in_every_channel_of_item_7_is_masked_everywhere() {
    let s = Scenario::new();
    let secret = TOKEN.1;
    let service = serve(200, format!("{{\"sha\": \"{}\"}}", s.p));
    let url = service.url();
    let (hook, posted) = webhook();
    let http_line = format!("http = {{ url = \"{url}/version?token={secret}\", pointer = \"/sha\" }}");
    s.configure(&format!(
        "\n[production]\n{http_line}\n\
         [release]\ncommand = \"true\"\naction = \"release checkout\"\nproject = \"shop/{secret}\"\n\
         [notify]\nwebhook = \"{hook}\"\n"
    ));
    // The service's name reaches every webhook body.
    let path = s.work.join("hotfix.toml");
    let config = std::fs::read_to_string(&path).expect("config");
    std::fs::write(&path, format!("service = \"shop-{secret}\"\n{config}")).expect("config");
    let mut terminal = String::new();
    let mut run = |args: &[&str], code: i32| -> Run {
        let r = s.hotfix_env(&s.work, args, &[TOKEN]);
        r.expect_code(code);
        assert!(!r.all().contains(secret), "{args:?} printed the token:\n{}", r.all());
        terminal.push_str(&r.all());
        r
    };
    // The plan prints the production URL.
    let plan = run(&["plan", "--fix", &s.f], 0);
    masked_in("plan output (production URL)", &plan.stdout, &format!("token={MASKED}"));
    let start = run(
        &[
            "start",
            "--fix",
            &s.f,
            "--incident",
            &format!("INC-1 token {secret} leaked"),
            "--allow-dependency",
            &format!("lead said ok {secret}"),
            "--production-override",
            &format!("checked {secret}"),
            "--yes",
        ],
        0,
    );
    masked_in("start output", &start.all(), MASKED);
    run(&["status"], 0);
    run(&["log"], 0);
    run(&["abort", "--reason", &format!("rotate {secret}")], 0);
    let report = run(&["report"], 0);
    let report_json = run(&["report", "--format", "json"], 0);
    for (what, text) in [
        ("report", &report.stdout),
        ("report --format json", &report_json.stdout),
    ] {
        masked_in(
            &format!("{what}: --incident"),
            text,
            &format!("INC-1 token {MASKED} leaked"),
        );
        masked_in(&format!("{what}: abort --reason"), text, &format!("rotate {MASKED}"));
        masked_in(&format!("{what}: release.project"), text, &format!("shop/{MASKED}"));
    }
    // A failing production command that prints the token on stderr.
    let text = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    assert!(text.contains(&http_line), "the http source is there to replace");
    let broken = text.replace(
        &http_line,
        &format!("command = \"echo auth failed for {secret} >&2; exit 1\""),
    );
    std::fs::write(s.work.join("hotfix.toml"), broken).expect("config");
    let failing = run(&["plan", "--fix", &s.f], 1);
    masked_in(
        "a failing production command's stderr",
        &failing.stderr,
        &format!("auth failed for {MASKED}"),
    );
    masked_in("the terminal", &terminal, MASKED);

    // The remote's journal: every commit with its patch, and each entry's raw object.
    let log = s.git(&s.origin, &["log", "--glob=refs/hotfix/*", "-p"]);
    let mut objects = String::new();
    for commit in s.git(&s.origin, &["rev-list", "--glob=refs/hotfix/*"]).lines() {
        objects.push_str(&s.git(&s.origin, &["cat-file", "-p", commit]));
        objects.push('\n');
    }
    assert!(
        objects.contains("\"event\":\"aborted\"") || objects.contains("abort"),
        "{objects}"
    );
    for (what, text) in [
        ("origin's journal log -p", &log),
        ("origin's journal objects", &objects),
    ] {
        masked_in(
            &format!("{what}: --incident"),
            text,
            &format!("INC-1 token {MASKED} leaked"),
        );
        masked_in(&format!("{what}: abort --reason"), text, &format!("rotate {MASKED}"));
        masked_in(
            &format!("{what}: --allow-dependency"),
            text,
            &format!("lead said ok {MASKED}"),
        );
        masked_in(
            &format!("{what}: --production-override"),
            text,
            &format!("checked {MASKED}"),
        );
        masked_in(
            &format!("{what}: production http URL"),
            text,
            &format!("token={MASKED}"),
        );
        masked_in(&format!("{what}: release.project"), text, &format!("shop/{MASKED}"));
    }
    let local = s.git(&s.work, &["log", "--glob=refs/hotfix/*", "-p"]);
    masked_in("the local journal", &local, MASKED);
    let bodies = posted.bodies();
    assert!(!bodies.is_empty(), "the webhook was called");
    masked_in(
        "webhook bodies",
        &bodies.join("\n"),
        &format!("started for shop-{MASKED}"),
    );
}

// ---- item 8: raw bytes from an HTTP body ----

/// What the bodies below carry: an SGR colour, text, a NUL.
const EVIL: &str = "\u{1b}[31mEVIL\u{0}";
const EVIL_ESCAPED: &str = "\\u{1b}[31mEVIL\\u{0}";

/// Asserts no raw ESC or NUL reached the terminal, and the body is shown escaped.
#[track_caller]
fn escaped_on_terminal(what: &str, run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains('\u{1b}'), "{what}: raw ESC on {stream}: {text:?}");
        assert!(!text.contains('\u{0}'), "{what}: raw NUL on {stream}: {text:?}");
    }
    assert!(
        run.all().contains(EVIL_ESCAPED),
        "{what}: shown escaped: {:?}",
        run.all()
    );
}

/// A `/version` answering `body` as raw bytes (not JSON-escaped).
fn serve_raw(body: &str) -> Server {
    Server::builder()
        .route(
            "GET",
            "/version",
            "a production service's /version answering raw control bytes",
            http::always(Response::text(200, body)),
        )
        .start()
        .expect("the fake /version service starts")
}

#[test]
fn nul_and_control_bytes_from_a_production_http_body_are_escaped() {
    let s = Scenario::new();
    // The bytes inside a JSON string, and as the raw body itself.
    let json = serve(200, "{\"sha\": \"\\u001b[31mEVIL\\u0000\"}".to_string());
    let raw = serve_raw(EVIL);
    let base = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    for (what, url, pointer) in [
        ("a JSON string", json.url(), ", pointer = \"/sha\""),
        ("a raw body", raw.url(), ""),
    ] {
        std::fs::write(
            s.work.join("hotfix.toml"),
            format!("{base}\n[production]\nhttp = {{ url = \"{url}/version\"{pointer} }}\n"),
        )
        .expect("config");
        let origin = s.origin_refs();
        let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f]);
        assert_ne!(plan.code, 0, "{what}: not a SHA\n{}", plan.all());
        escaped_on_terminal(what, &plan);
        assert_eq!(s.origin_refs(), origin, "{what}: nothing changed on the remote");
    }
}

#[test]
fn control_bytes_from_an_http_body_are_escaped_on_the_terminal() {
    let s = Scenario::new();
    let service = serve(200, "{\"sha\": \"\\u001b]0;pwned\\u0007\\u001b[2J\"}".to_string());
    let url = service.url();
    s.configure(&format!(
        "\n[production]\nhttp = {{ url = \"{url}/version\", pointer = \"/sha\" }}\n"
    ));
    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f]);
    plan.expect_code(1);
    assert!(
        !plan.all().contains('\u{1b}'),
        "raw escape reached the terminal: {:?}",
        plan.all()
    );
    assert!(!plan.all().contains('\u{7}'), "{:?}", plan.all());
    assert!(
        plan.stderr.contains("\\u{1b}]0;pwned"),
        "shown escaped: {}",
        plan.stderr
    );
}

#[test]
fn nul_and_control_bytes_from_a_verify_http_body_are_escaped() {
    let s = Scenario::new();
    let service = serve(200, "{\"sha\": \"\\u001b[31mEVIL\\u0000\"}".to_string());
    let url = service.url();
    s.configure(&format!(
        "\n[[verify.http]]\nurl = \"{url}/version\"\nsha_pointer = \"/sha\"\ntimeout = \"1s\"\ninterval = \"100ms\"\n"
    ));
    let start = s.start_fix(&[]);
    assert_ne!(start.code, 0, "verification cannot pass\n{}", start.all());
    assert!(
        start.all().contains("verify"),
        "it was verification that stopped: {}",
        start.all()
    );
    escaped_on_terminal("start", &start);
    let status = s.hotfix(&s.work, &["status"]);
    for (stream, text) in [("stdout", &status.stdout), ("stderr", &status.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{0}'),
            "status {stream}: {text:?}"
        );
    }
    let report = s.hotfix(&s.work, &["report"]);
    for (stream, text) in [("stdout", &report.stdout), ("stderr", &report.stderr)] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{0}'),
            "report {stream}: {text:?}"
        );
    }
}
