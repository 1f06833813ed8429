//! `git hotfix doctor` against the fake GitLab of seed 000/001: all checks
//! pass with a good setup; a bad token (401), a token without `api`
//! (GET /personal_access_tokens/self), an unknown environment each give a
//! failing line and exit 1; `--json` has the same checks; without `[forge]`
//! the config, the remote and production's sources are still checked.

use crate::common::gitlab::{configure, env, fake, TOKEN};
use crate::common::Scenario;

fn lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL "))
        .collect()
}

#[test]
fn doctor_passes_against_a_ready_gitlab() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = s.hotfix_env(&s.work, &["doctor"], &env());
    run.expect_code(0);
    let names: Vec<&str> = lines(&run.stdout)
        .iter()
        .map(|l| l.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "ok config",
            "ok remote",
            "ok token",
            "ok whoami",
            "ok scopes",
            "ok project",
            "ok environment",
            "ok pipeline project",
            "ok production"
        ],
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ok token: from `GITLAB_TOKEN`"), "{}", run.stdout);
    assert!(run.stdout.contains("@operator"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("of {}", &s.p[..7])), "{}", run.stdout);
    assert!(run.stdout.contains("fleet/develop reachable"), "{}", run.stdout);
    assert!(run.stdout.contains("next:"), "{}", run.stdout);
    assert!(!run.all().contains(TOKEN), "the token leaked: {}", run.all());
}

#[test]
fn a_bad_token_fails_whoami_with_exit_1() {
    let s = Scenario::new();
    let gitlab = fake(&s, |_| {});
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = s.hotfix_env(&s.work, &["doctor"], &[("GITLAB_TOKEN", "glpat-wrong")]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("FAIL whoami: GET /user answered HTTP 401"),
        "{}",
        run.stdout
    );
    assert!(!run.all().contains("glpat-wrong"), "the token leaked: {}", run.all());
}

#[test]
fn a_token_without_api_and_an_unknown_environment_fail_in_json() {
    let s = Scenario::new();
    let gitlab = fake(&s, |g| {
        g.scopes = vec!["read_user".into()];
        g.environment = "prod".into();
    });
    configure(&s, &gitlab, "deploy-release-branch-to-staging");
    let run = s.hotfix_env(&s.work, &["doctor", "--json"], &env());
    run.expect_code(1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("doctor JSON");
    assert_eq!(v["ok"], false);
    let check = |name: &str| {
        v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no check {name}: {v}"))
    };
    assert_eq!(check("whoami")["ok"], true);
    assert_eq!(check("scopes")["ok"], false);
    assert!(
        check("scopes")["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("need `api`"),
        "{v}"
    );
    assert_eq!(check("environment")["ok"], false);
    assert!(
        check("environment")["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no environment `production`"),
        "{v}"
    );
    assert_eq!(check("production")["ok"], false);
}

#[test]
fn without_a_forge_doctor_checks_config_remote_and_production() {
    let s = Scenario::new();
    s.tag("prod-1", &s.p);
    s.git(&s.work, &["push", "-q", "origin", "prod-1"]);
    s.configure("\n[production]\ntag = \"prod-*\"\n");
    let run = s.hotfix(&s.work, &["doctor"]);
    run.expect_code(0);
    let found = lines(&run.stdout);
    assert_eq!(found.len(), 3, "{}", run.stdout);
    assert!(
        found[2].starts_with("ok production: ") && found[2].contains("tag prod-*"),
        "{}",
        run.stdout
    );
}
