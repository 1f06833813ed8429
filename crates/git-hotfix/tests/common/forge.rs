//! What the forge end-to-end tests (GitLab's and GitHub's) share: starting a
//! run with the forge's token, carrying it on from another clone, and
//! checking the token went nowhere.

use super::{Run, Scenario};

/// Starts the hotfix of the scenario's fix with `env` (the token) and `extra`.
pub fn start(s: &Scenario, env: &[(&str, &str)], extra: &[(&str, &str)]) -> Run {
    let mut vars: Vec<(&str, &str)> = env.to_vec();
    vars.extend_from_slice(extra);
    s.hotfix_env(&s.work, &["start", "--fix", &s.f, "--yes"], &vars)
}

/// Runs `continue --yes` from a colleague's fresh clone with this clone's
/// hotfix.toml: what the journal on the remote carries is all it knows.
pub fn continue_from_another_clone(s: &Scenario, env: &[(&str, &str)]) -> Run {
    let other = s.clone_as("colleague");
    std::fs::copy(s.work.join("hotfix.toml"), other.join("hotfix.toml")).expect("config");
    let mut vars: Vec<(&str, &str)> = env.to_vec();
    vars.push(("GIT_COMMITTER_NAME", "Colleague"));
    s.hotfix_env(&other, &["continue", "--yes"], &vars)
}

/// Returns every journal entry's message on this clone.
pub fn journal_text(s: &Scenario) -> String {
    s.git(&s.work, &["log", "--format=%B", "--glob=refs/hotfix/runs/*"])
}

/// Fails if `token` is in any of `outputs` or in the journal.
#[track_caller]
pub fn assert_no_token(s: &Scenario, token: &str, outputs: &[&Run]) {
    for run in outputs {
        assert!(!run.all().contains(token), "the token leaked: {}", run.all());
    }
    assert!(!journal_text(s).contains(token), "the token is in the journal");
}
