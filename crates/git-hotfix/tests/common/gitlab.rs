//! The fake GitLab of seed 000/001 and the hotfix.toml that reaches it,
//! shared by the GitLab, incident and doctor tests.

use hotfix_testkit::forge_gitlab::{FakeGitLab, Setup};

use super::Scenario;

pub const TOKEN: &str = "glpat-S3CRET-forge-gitlab";

pub fn env() -> [(&'static str, &'static str); 1] {
    [("GITLAB_TOKEN", TOKEN)]
}

/// Seed 000/001's GitLab: production deployed P; the orchestration
/// pipeline has `release billing`, whose bridge triggers the downstream
/// pipeline holding `deploy-production`.
pub fn fake(s: &Scenario, tweak: impl FnOnce(&mut Setup)) -> FakeGitLab {
    let mut setup = Setup {
        token: TOKEN.into(),
        deployed_sha: s.p.clone(),
        jobs: vec!["release billing".into(), "cut-off".into()],
        downstream_jobs: vec!["deploy-production".into()],
        ..Setup::default()
    };
    tweak(&mut setup);
    FakeGitLab::start(setup).expect("the fake GitLab starts")
}

pub fn configure(s: &Scenario, gitlab: &FakeGitLab, action: &str) {
    s.tag("prod-1", &s.p);
    s.git(&s.work, &["push", "-q", "origin", "prod-1"]);
    s.configure(&format!(
        r#"
[production]
tag = "prod-*"
forge_environment = "production"

[forge]
kind = "gitlab"
url = "{url}"
project = "fleet/billing"

[release]
pipeline = {{ project = "fleet/develop", ref = "main", inputs = {{ action = "{action}", project = "fleet/billing", confirm = true }} }}
job = "release billing"
poll_interval = "5ms"
start_timeout = "300ms"
timeout = "2s"

[deploy]
job = "deploy-production"
pipeline = "downstream"
poll_interval = "5ms"
start_timeout = "300ms"
timeout = "2s"
"#,
        url = gitlab.url()
    ));
}
