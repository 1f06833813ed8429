//! Secrets given on the command line or carried by URLs and command output
//! reach neither the journal nor the report nor the terminal, and control
//! bytes from outside are escaped before they reach the terminal.

use crate::common::service::webhook;
use crate::common::{serve, Scenario};

const TOKEN: (&str, &str) = ("MY_TOKEN", "s3cr3t-tok-4242");

#[test]
fn a_token_given_in_free_text_urls_and_stderr_is_masked_everywhere() {
    let s = Scenario::new();
    let secret = TOKEN.1;
    let body = format!("{{\"sha\": \"{}\"}}", s.p);
    let service = serve(200, body);
    let url = service.url();
    let (hook, posted) = webhook();
    s.configure(&format!(
        "\n[production]\nhttp = {{ url = \"{url}/version?token={secret}\", pointer = \"/sha\" }}\n\
         [release]\ncommand = \"true\"\naction = \"release checkout\"\nproject = \"shop/{secret}\"\n\
         [notify]\nwebhook = \"{hook}\"\n"
    ));
    let mut terminal = String::new();
    let plan = s.hotfix_env(&s.work, &["plan", "--fix", &s.f], &[TOKEN]);
    plan.expect_code(0);
    terminal.push_str(&plan.all());
    let start = s.hotfix_env(
        &s.work,
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
        &[TOKEN],
    );
    start.expect_code(0);
    terminal.push_str(&start.all());
    for args in [
        vec!["status"],
        vec!["report"],
        vec!["report", "--format", "json"],
        vec!["log"],
    ] {
        let run = s.hotfix_env(&s.work, &args, &[TOKEN]);
        run.expect_code(0);
        terminal.push_str(&run.all());
    }
    let abort = s.hotfix_env(&s.work, &["abort", "--reason", &format!("rotate {secret}")], &[TOKEN]);
    abort.expect_code(0);
    terminal.push_str(&abort.all());
    // A failing production command that prints the token on stderr.
    let text = std::fs::read_to_string(s.work.join("hotfix.toml")).expect("config");
    let broken = text.replace(
        &format!("http = {{ url = \"{url}/version?token={secret}\", pointer = \"/sha\" }}"),
        &format!("command = \"echo auth failed for {secret} >&2; exit 1\""),
    );
    std::fs::write(s.work.join("hotfix.toml"), broken).expect("config");
    let failing = s.hotfix_env(&s.work, &["plan", "--fix", &s.f], &[TOKEN]);
    failing.expect_code(1);
    assert!(
        failing.stderr.contains("auth failed for [redacted MY_TOKEN]"),
        "{}",
        failing.stderr
    );
    terminal.push_str(&failing.all());

    assert!(
        terminal.contains("[redacted MY_TOKEN]"),
        "masked, not dropped: {terminal}"
    );
    assert!(!terminal.contains(secret), "terminal: {terminal}");
    let journal = s.git(&s.origin, &["log", "--format=%B", "--glob=refs/hotfix/*"]);
    assert!(journal.contains("INC-1 token [redacted MY_TOKEN] leaked"), "{journal}");
    assert!(journal.contains("rotate [redacted MY_TOKEN]"), "{journal}");
    assert!(!journal.contains(secret), "journal: {journal}");
    let local = s.git(&s.work, &["log", "--format=%B", "--glob=refs/hotfix/*"]);
    assert!(!local.contains(secret), "local journal: {local}");
    let bodies = posted.bodies().join("\n");
    assert!(!bodies.is_empty() && !bodies.contains(secret), "webhooks: {bodies}");
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
