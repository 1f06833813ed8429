//! Production SHA sources: tag, command, HTTP; unclear answers stop the run.

use crate::common::{serve, Scenario, MINIMAL_CONFIG};

fn with_production(s: &Scenario, table: &str) {
    std::fs::write(
        s.work.join("hotfix.toml"),
        format!("{MINIMAL_CONFIG}\n[production]\n{table}\n"),
    )
    .expect("write");
}

fn plan_production(s: &Scenario) -> (i32, String, String) {
    let run = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--json"]);
    if run.code != 0 {
        return (run.code, String::new(), run.stderr);
    }
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    (
        0,
        v["production"]["commit"].as_str().expect("commit").to_string(),
        run.stderr,
    )
}

#[test]
fn newest_matching_tag() {
    let s = Scenario::new();
    s.annotated_tag("prod-1", "old", &format!("{}^", s.p));
    s.annotated_tag("prod-2", "deployed", &s.p);
    s.tag("staging-3", &s.u1);
    s.push(&["--tags"]);
    s.git(&s.work, &["tag", "-d", "prod-1", "prod-2", "staging-3"]);
    with_production(&s, "tag = \"prod-*\"");
    let (code, commit, _) = plan_production(&s);
    assert_eq!((code, commit), (0, s.p.clone()));
}

#[test]
fn command_source_and_http_source_that_agree() {
    let s = Scenario::new();
    let service = serve(200, format!("{{\"app\":{{\"sha\":\"{}\"}}}}", s.p));
    let url = service.url();
    with_production(
        &s,
        &format!(
            "command = \"echo {}\"\nhttp = {{ url = \"{url}/version\", pointer = \"/app/sha\" }}",
            &s.p[..10]
        ),
    );
    let (code, commit, err) = plan_production(&s);
    assert_eq!((code, commit), (0, s.p.clone()), "{err}");
}

#[test]
fn sources_that_disagree_stop_with_every_reading() {
    let s = Scenario::new();
    let service = serve(200, format!("{{\"sha\":\"{}\"}}", s.u1));
    let url = service.url();
    with_production(
        &s,
        &format!("command = \"echo {}\"\nhttp = {{ url = \"{url}/version\" }}", s.p),
    );
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("disagree") && err.contains(&s.p[..7]) && err.contains(&s.u1[..7]),
        "{err}"
    );
}

#[test]
fn unreachable_or_unclear_sources_stop() {
    let s = Scenario::new();
    // Nothing listens on a port we bound and closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    with_production(
        &s,
        &format!("http = {{ url = \"http://127.0.0.1:{port}/version\", timeout_secs = 2 }}"),
    );
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1);
    assert!(
        err.contains("found no production commit") && err.contains("hint: stop"),
        "{err}"
    );

    let service = serve(503, "{}".into());
    let url = service.url();
    with_production(&s, &format!("http = {{ url = \"{url}/version\" }}"));
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 503"), "{err}");

    with_production(&s, "command = \"echo not-a-sha\"");
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1);
    assert!(err.contains("not-a-sha") && err.contains("not a commit"), "{err}");

    with_production(&s, "tag = \"prod-*\"");
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1);
    assert!(err.contains("no tag matches `prod-*`"), "{err}");

    with_production(&s, "");
    let (code, _, err) = plan_production(&s);
    assert_eq!(code, 1);
    assert!(err.contains("no production source"), "{err}");
}
