//! The release gates of `hotfix.toml`: approvals, the release action, the
//! deploy, production verification, smoke checks, notifications, secrets and
//! the communication templates. Every table is optional; a gate that is not
//! configured is not a step of the run, and its evidence item must then be
//! attested by a person (`git hotfix attest`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration;
pub use crate::record::forge::{InputValue, PipelineRequest};

/// `[approvals]`: who must sign off before production is touched (seed 002).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// Every role needs an approval, each from a different person.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Lets the author of a fix approve it.
    #[serde(default)]
    pub allow_fix_author: bool,
    /// The team's allowed signers (git's `gpg.ssh.allowedSignersFile`
    /// format), relative to the repository's top: the keys whose signatures
    /// prove who approved, and who made each decision of a run.
    #[serde(default)]
    pub allowed_signers: Option<String>,
    /// What makes an approval count.
    #[serde(default)]
    pub verify: ApprovalCheck,
    /// Under `verify = "forge"`: the forge username of each git email
    /// (`"alice@example.com" = "alice"`), so the operator, the resolvers and
    /// the fixes' authors and committers are known on the forge, which does
    /// not show other users' emails.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub forge_users: std::collections::BTreeMap<String, String>,
}

impl Approvals {
    /// Returns the allowed-signers file, its path taken from `top` (the
    /// repository's top, where hotfix.toml is) when relative.
    pub fn allowed_signers_in(&self, top: &std::path::Path) -> Option<std::path::PathBuf> {
        self.allowed_signers.as_deref().map(|path| top.join(path))
    }
}

/// Checks that `[approvals]` can tell who approved: roles under
/// `verify = "signature"` need the allowed signers, under `verify = "forge"`
/// a `[forge]` (`has_forge`) to ask.
pub(super) fn check_approvals(approvals: &Approvals, has_forge: bool) -> Result<(), String> {
    if approvals.roles.is_empty() {
        return Ok(());
    }
    match approvals.verify {
        ApprovalCheck::Signature if approvals.allowed_signers.is_none() => Err(
            "`approvals.roles` needs `approvals.allowed_signers` under `approvals.verify = \"signature\"` (the \
             default): name the team's allowed signers with `allowed_signers = \"...\"`, or accept self-declared \
             identities with `verify = \"none\"`"
                .into(),
        ),
        ApprovalCheck::Forge if !has_forge => Err(
            "`approvals.verify = \"forge\"` needs a forge, and no `[forge]` is configured; name it in `[forge]`, \
             or use `verify = \"signature\"` with `allowed_signers`, or `verify = \"none\"`"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// `[approvals] verify`: what makes an approval count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalCheck {
    /// Its journal entry is signed by a key of the allowed signers.
    #[default]
    Signature,
    /// The forge recorded it (protected-environment approvals, environment
    /// reviewers).
    Forge,
    /// Self-declared git identities: every approval is marked unverified.
    None,
}

/// `[release]`: the release pipeline's service job (seed 001's guided
/// invocation): a shell command, or a pipeline the forge creates and a
/// manual job in it that git-hotfix plays.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseAction {
    /// A shell command that triggers the release job; it gets `HOTFIX_ACTION`,
    /// `HOTFIX_PROJECT` and `HOTFIX_CONFIRM` in its environment.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// The job to run, e.g. `release checkout` (with a command).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub action: String,
    /// The pipeline `[forge]` creates: `{ project, ref, inputs }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<PipelineRequest>,
    /// The manual job git-hotfix plays in that pipeline (`release <service>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// How often the forge job is polled.
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub poll_interval: Duration,
    /// How long the forge job may take to start (a runner, an earlier stage)
    /// before the wait gives up.
    #[serde(
        default = "default_start_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub start_timeout: Duration,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default = "yes")]
    pub confirm: bool,
    /// Actions that must never run during a hotfix (the cut-off job).
    #[serde(default = "default_forbidden")]
    pub forbidden_actions: Vec<String>,
    #[serde(
        default = "default_command_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
}

impl ReleaseAction {
    /// Returns the forbidden action this one is, if any: its action, its
    /// pipeline's job or one of the pipeline's inputs.
    pub fn forbidden(&self) -> Option<&str> {
        self.offending().map(|(_, f)| f)
    }

    /// Returns what is forbidden (the action, job or input value) and the
    /// entry of `forbidden_actions` it is.
    pub fn offending(&self) -> Option<(String, &str)> {
        let mut candidates = vec![self.action.clone()];
        candidates.extend(self.job.clone());
        if let Some(p) = &self.pipeline {
            candidates.extend(p.inputs.values().map(ToString::to_string));
        }
        candidates
            .into_iter()
            .filter(|c| !c.trim().is_empty())
            .find_map(|c| forbidden_action(&c, &self.forbidden_actions).map(|f| (c, f)))
    }

    /// Returns what the release job is, in words: the action, else the
    /// pipeline's job, else its `action` input, else the pipeline itself.
    pub fn label(&self) -> String {
        if !self.action.trim().is_empty() {
            return self.action.clone();
        }
        if let Some(job) = &self.job {
            return job.clone();
        }
        match &self.pipeline {
            Some(p) => match p.inputs.get("action") {
                Some(a) => a.to_string(),
                None => format!("pipeline on `{}`", p.git_ref),
            },
            None => String::new(),
        }
    }
}

/// `[deploy] pipeline`: where the deploy job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobPipeline {
    /// In the release pipeline itself.
    Release,
    /// In the pipeline a bridge (trigger job) of the release pipeline started.
    Downstream,
}

/// Returns the entry of `forbidden` that `action` is (case and surrounding
/// blanks aside), if any.
pub fn forbidden_action<'a>(action: &str, forbidden: &'a [String]) -> Option<&'a str> {
    forbidden
        .iter()
        .find(|f| f.trim().eq_ignore_ascii_case(action.trim()))
        .map(String::as_str)
}

/// `[deploy]`: the manual production deploy: a shell command, or a manual
/// job of the release pipeline (or of its downstream pipeline) git-hotfix plays.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// The manual deploy job (`deploy-production`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Where `job` is: `"release"` (the default) or `"downstream"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<JobPipeline>,
    /// How often the forge job is polled.
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub poll_interval: Duration,
    /// How long the forge job may take to start (a runner, an earlier stage)
    /// before the wait gives up.
    #[serde(
        default = "default_start_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub start_timeout: Duration,
    #[serde(
        default = "default_command_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
}

/// `[verify]`: how production proves it runs the release.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    /// How long production is watched after it is verified (seed 003: 2 hours).
    #[serde(
        default,
        deserialize_with = "duration::deserialize_opt",
        serialize_with = "duration::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub monitor: Option<Duration>,
    #[serde(default)]
    pub http: Vec<HttpCheck>,
}

/// `[[verify.http]]`: an endpoint polled until it is healthy and reports the release.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpCheck {
    pub url: String,
    #[serde(default = "default_status", deserialize_with = "super::value::whole")]
    pub expect_status: u16,
    /// JSON pointer (RFC 6901) to the deployed commit; without it only the status counts.
    #[serde(default)]
    pub sha_pointer: Option<String>,
    #[serde(
        default = "default_verify_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub interval: Duration,
}

/// `[[smoke]]`: a focused smoke check run after production is verified.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Smoke {
    #[serde(default)]
    pub name: Option<String>,
    pub command: String,
    #[serde(
        default = "default_smoke_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
}

impl Smoke {
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.command)
    }
}

/// `[notify]`: where run events are announced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// A Slack-compatible incoming webhook: it gets `{"text": ...}` as JSON.
    #[serde(default)]
    pub webhook: Option<String>,
}

/// `[secrets]`: environment variables whose values never reach the journal,
/// the report or the terminal, besides any named like `*TOKEN*`,
/// `*PASSWORD*` or `*SECRET*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    #[serde(default)]
    pub env: Vec<String>,
}

/// `[communication]`: the messages of seed 003, with `{placeholders}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Communication {
    #[serde(default = "default_deployed_template")]
    pub deployed: String,
    #[serde(default = "default_status_template")]
    pub status: String,
    /// Sent instead of `deployed` when the hotfix was rolled back.
    #[serde(default = "default_rolled_back_template")]
    pub rolled_back: String,
    /// Sent instead of `status` when the hotfix was rolled back.
    #[serde(default = "default_rolled_back_status_template")]
    pub rolled_back_status: String,
}

impl Default for Communication {
    fn default() -> Self {
        Communication {
            deployed: default_deployed_template(),
            status: default_status_template(),
            rolled_back: default_rolled_back_template(),
            rolled_back_status: default_rolled_back_status_template(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_forbidden() -> Vec<String> {
    vec!["bring-all-code-to-release-branch".into(), "cut-off".into()]
}
pub(super) fn default_command_timeout() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_smoke_timeout() -> Duration {
    Duration::from_secs(5 * 60)
}
fn default_verify_timeout() -> Duration {
    Duration::from_secs(10 * 60)
}
pub(super) fn default_interval() -> Duration {
    Duration::from_secs(5)
}
pub(super) fn default_start_timeout() -> Duration {
    Duration::from_secs(10 * 60)
}
fn default_status() -> u16 {
    200
}

fn default_deployed_template() -> String {
    "PRODUCTION HOTFIX DEPLOYED\n\
     Service: {service}\n\
     Severity: {severity}\n\
     Incident: {incident}\n\
     Fix: {fixes}\n\
     Release: {release_sha} (production was {production_sha})\n\
     Status: deployed and verified at {deployed_at}\n\
     No user action required."
        .into()
}

fn default_status_template() -> String {
    "HOTFIX STATUS UPDATE\n\
     The production hotfix for {service} ({release_sha}) was deployed 24 hours ago, at {deployed_at}.\n\
     Monitoring: {monitor}\n\
     Incident: {incident}\n\
     Follow-ups: see the incident record."
        .into()
}

fn default_rolled_back_template() -> String {
    "PRODUCTION HOTFIX ROLLED BACK\n\
     Service: {service}\n\
     Severity: {severity}\n\
     Incident: {incident}\n\
     Fix: {fixes} (release {release_sha}) was rolled back at {rolled_back_at}: {reason}\n\
     Production runs {production_sha} again; the incident is still open."
        .into()
}

fn default_rolled_back_status_template() -> String {
    "HOTFIX STATUS UPDATE\n\
     The production hotfix for {service} was rolled back at {rolled_back_at}; production runs {production_sha}.\n\
     Incident: {incident}\n\
     Next: the root cause of the failed hotfix, then a new attempt; see the incident record."
        .into()
}
