//! The fake GitHub of seed 000/001 and the hotfix.toml that reaches it,
//! shared by the GitHub end-to-end, incident, doctor and approvals tests.

use hotfix_testkit::forge_github::{FakeGitHub, FakeJob};

use super::Scenario;

pub const TOKEN: &str = "ghp_S3CRETforgegithube2e";

pub fn env() -> [(&'static str, &'static str); 1] {
    [("GITHUB_TOKEN", TOKEN)]
}

/// Seed 000/001 on GitHub: production deployed P (a newer deployment
/// failed); `release.yml` releases the service, then deploys it to the
/// `production` environment, which has required reviewers. Returns the
/// fake and production's deployment id.
pub fn fake(s: &Scenario, deploy: FakeJob) -> (FakeGitHub, u64) {
    let github = FakeGitHub::start("fleet/billing", TOKEN);
    let production = github.add_deployment("production", &s.p, &["in_progress", "success"]);
    github.add_deployment("production", &s.release0, &["in_progress", "failure"]);
    github.add_workflow(
        "release.yml",
        vec![FakeJob::passing("release billing"), deploy.deploying_to("production")],
    );
    (github, production)
}

/// Writes seed 000/001's runbook on `github`.
pub fn configure(s: &Scenario, github: &FakeGitHub) {
    super::forge::configure_runbook(
        s,
        &format!("[forge]\nkind = \"github\"\nurl = \"{}\"\nproject = \"fleet/billing\"\n", github.url()),
        "{ workflow = \"release.yml\", ref = \"main\", inputs = { action = \"deploy-release-branch-to-staging\", project = \"fleet/billing\", confirm = true } }",
        "",
    );
}

/// Returns how many `method` requests the fake received on a path ending in `suffix`.
pub fn requests_to(github: &FakeGitHub, method: &str, suffix: &str) -> usize {
    github
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .count()
}
