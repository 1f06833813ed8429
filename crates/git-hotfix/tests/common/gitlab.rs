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
    super::forge::configure_runbook(
        s,
        &format!("[forge]\nkind = \"gitlab\"\nurl = \"{}\"\nproject = \"fleet/billing\"\n", gitlab.url()),
        &format!(
            "{{ project = \"fleet/develop\", ref = \"main\", inputs = {{ action = \"{action}\", project = \"fleet/billing\", confirm = true }} }}"
        ),
        "pipeline = \"downstream\"\n",
    );
}
