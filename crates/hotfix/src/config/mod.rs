//! `hotfix.toml`: the schema, its defaults and its validation.
//!
//! Every table refuses unknown keys, so a typo is an error naming the key and
//! the keys that are accepted, never a silently ignored setting.

mod backport;
pub(crate) mod duration;
mod forge;
mod gates;
mod incident;
mod merge_requests;
mod migrations;
mod products;
mod services;
mod trunk;
mod value;

pub use backport::Backport;
pub use duration::{format_duration, parse_duration};
pub use forge::{Forge, ForgeKind};
pub use gates::{
    forbidden_action, ApprovalCheck, Approvals, Communication, Deploy, HttpCheck, InputValue, JobPipeline, Notify,
    PipelineRequest, ReleaseAction, Secrets, Smoke, Verify,
};
pub use incident::Incident;
pub use merge_requests::MergeRequests;
pub use migrations::Migrations;
pub use products::Product;
pub use services::Service;
pub use trunk::{ForgeWord, Releasable, ReleasableCommand, Staging, Trunk};

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::strategy;

/// The file name looked for at the root of the operator's checkout.
pub const FILE_NAME: &str = "hotfix.toml";

/// Errors reading or validating `hotfix.toml`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no {FILE_NAME} found (looked for {looked})")]
    NotFound { looked: PathBuf },
    #[error("failed to read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The whole of `hotfix.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Which runbook this repository follows.
    pub strategy: String,
    /// The remote that holds the release branch (a name or URL).
    #[serde(default = "default_remote")]
    pub remote: String,
    /// The service or product name used in messages and reports.
    #[serde(default)]
    pub service: Option<String>,
    pub branches: Branches,
    #[serde(default)]
    pub production: ProductionSources,
    #[serde(default)]
    pub checks: Checks,
    #[serde(default)]
    pub severity: SeverityLimits,
    #[serde(default)]
    pub approvals: Approvals,
    #[serde(default)]
    pub release: Option<ReleaseAction>,
    #[serde(default)]
    pub deploy: Option<Deploy>,
    #[serde(default)]
    pub verify: Verify,
    #[serde(default)]
    pub smoke: Vec<Smoke>,
    #[serde(default)]
    pub notify: Notify,
    #[serde(default)]
    pub secrets: Secrets,
    #[serde(default)]
    pub communication: Communication,
    /// The GitLab or GitHub the team releases through; absent from records
    /// that have none, so the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<Forge>,
    /// How the review requests opened on the forge look; absent: the
    /// defaults (`URGENT`), and the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_requests: Option<MergeRequests>,
    /// The production migrations and the job that runs them (merge-main);
    /// absent from records that have none, so the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations: Option<Migrations>,
    /// The products released from this repository on their own, by name (`[products.<name>]`).
    #[serde(
        default,
        deserialize_with = "products::deserialize",
        skip_serializing_if = "std::collections::BTreeMap::is_empty"
    )]
    pub products: std::collections::BTreeMap<String, Product>,
    /// Where fixes are backported once production has them (`[backport]`);
    /// absent from records that have none, so the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backport: Option<Backport>,
    /// The services a hotfix may ship (`[[services]]`); absent: one service,
    /// the top-level tables', and the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// Every service ships with every hotfix (seed 002: "all 3 production
    /// apps are deployed every time").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deploy_all_services: bool,
    /// The services' steps run side by side, each service in a lane of its
    /// own, rather than one service after the other.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parallel_services: bool,
    /// The other repositories one incident's hotfixes span (`[incident]`);
    /// absent from records that have none, so the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<Incident>,
    /// How a trunk team decides main is releasable and names its
    /// exceptional hotfix tags (`[trunk]`, seed 004); absent from records
    /// that have none, so the recorded format is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trunk: Option<Trunk>,
    /// The hotfix staging environment a trunk hotfix branch is deployed to
    /// before production (`[staging]`); absent from records that have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staging: Option<Staging>,
}

/// The branch names of the team's flow.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Branches {
    /// Where fixes are merged first; every fix must be reachable from it.
    pub main: String,
    /// The branch production is deployed from (empty: a tagging strategy
    /// has none; restore-release refuses it).
    #[serde(default)]
    pub release: String,
    /// The integration branch that gets backports, when the team has one.
    #[serde(default)]
    pub develop: Option<String>,
}

/// Where the commit production runs is read from; several sources must agree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionSources {
    /// The newest tag matching this glob (`prod-*`) names production.
    #[serde(default)]
    pub tag: Option<String>,
    /// A shell command whose output is the production SHA.
    #[serde(default)]
    pub command: Option<String>,
    /// A `/version`-style endpoint holding the SHA.
    #[serde(default)]
    pub http: Option<HttpSource>,
    /// How long `command` may take before it is killed (30 s when unset).
    #[serde(
        default,
        deserialize_with = "duration::deserialize_opt",
        serialize_with = "duration::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub command_timeout: Option<Duration>,
    /// The `[forge]` environment whose last successful deployment is production.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge_environment: Option<String>,
}

impl ProductionSources {
    pub fn is_empty(&self) -> bool {
        self.tag.is_none() && self.command.is_none() && self.http.is_none() && self.forge_environment.is_none()
    }
}

/// An HTTP endpoint reporting the deployed commit.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSource {
    pub url: String,
    /// JSON pointer (RFC 6901) to the SHA in the response, e.g. `/version/sha`.
    #[serde(default = "default_pointer")]
    pub pointer: String,
    /// Seconds before the request is given up.
    #[serde(default = "default_http_timeout", deserialize_with = "value::whole")]
    pub timeout_secs: u64,
}

/// Limits that turn into plan warnings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Warn when the hotfix changes more files than this.
    #[serde(default = "default_max_files", deserialize_with = "value::whole")]
    pub max_files: usize,
    /// Warn when the hotfix changes more lines (added + removed) than this.
    #[serde(default = "default_max_lines", deserialize_with = "value::whole")]
    pub max_lines: u64,
    /// Paths matching these globs are flagged as migrations for the deploy.
    #[serde(default = "default_migrations")]
    pub migrations: Vec<String>,
    /// Block when the fixes expand to more commits than this (a range that
    /// names a branch, not a fix).
    #[serde(default = "default_max_picks")]
    pub max_picks: usize,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            max_files: default_max_files(),
            max_lines: default_max_lines(),
            migrations: default_migrations(),
            max_picks: default_max_picks(),
        }
    }
}

fn default_max_picks() -> usize {
    20
}

/// How long a hotfix of each severity may take, as durations like `1h` or `90m`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityLimits {
    #[serde(
        default = "default_critical",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub critical: Duration,
    #[serde(
        default = "default_high",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub high: Duration,
}

impl Default for SeverityLimits {
    fn default() -> Self {
        SeverityLimits {
            critical: default_critical(),
            high: default_high(),
        }
    }
}

fn default_remote() -> String {
    "origin".into()
}
fn default_pointer() -> String {
    "/sha".into()
}
fn default_http_timeout() -> u64 {
    10
}
fn default_max_files() -> usize {
    20
}
fn default_max_lines() -> u64 {
    500
}
fn default_migrations() -> Vec<String> {
    vec!["**/migrations/**".into(), "**/migrate/**".into(), "**/*.sql".into()]
}
fn default_critical() -> Duration {
    Duration::from_secs(3600)
}
fn default_high() -> Duration {
    Duration::from_secs(4 * 3600)
}

impl Config {
    /// Returns the globs of the paths that are migrations: `[migrations]
    /// paths` when given, else `[checks] migrations`.
    pub fn migration_paths(&self) -> &[String] {
        match &self.migrations {
            Some(m) if !m.paths.is_empty() => &m.paths,
            _ => &self.checks.migrations,
        }
    }

    /// Parses and validates the text of a `hotfix.toml` read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let config: Config =
            toml::from_str(text).map_err(|e| invalid(e.message().to_string() + &span_hint(text, e.span())))?;
        if strategy::find(&config.strategy).is_none() {
            return Err(invalid(format!(
                "unknown strategy `{}` in key `strategy`; accepted values: {}",
                config.strategy,
                strategy::names().join(", ")
            )));
        }
        let strategy = strategy::find(&config.strategy).expect("the strategy was found above");
        strategy.check_config(&config).map_err(invalid)?;
        if strategy.inputs().release_branch && config.branches.main == config.branches.release {
            return Err(invalid(format!(
                "`branches.main` and `branches.release` are both `{}`; a release-branch hotfix needs two branches",
                config.branches.main
            )));
        }
        let mut roles = std::collections::BTreeSet::new();
        for role in &config.approvals.roles {
            if role.trim().is_empty() || !roles.insert(role.as_str()) {
                return Err(invalid(format!(
                    "`approvals.roles` has an empty or repeated role `{role}`; each role needs one approver"
                )));
            }
        }
        gates::check_approvals(&config.approvals, config.forge.is_some()).map_err(invalid)?;
        if let Some(migrations) = &config.migrations {
            migrations.check(config.forge.is_some()).map_err(invalid)?;
        }
        if let Some(trunk) = &config.trunk {
            trunk.check(config.forge.is_some()).map_err(invalid)?;
        }
        if let Some(staging) = &config.staging {
            staging.check().map_err(invalid)?;
        }
        let own_paths = config.migrations.as_ref().filter(|m| !m.paths.is_empty()).is_some();
        let key = if own_paths {
            "migrations.paths"
        } else {
            "checks.migrations"
        };
        for pattern in config.migration_paths() {
            // The same grammar pick::glob matches with; checked here so a typo fails
            // at load, not by silently flagging nothing.
            if let Err(e) = glob::Pattern::new(pattern) {
                return Err(invalid(format!(
                    "`{key}` has `{pattern}`, which is not a glob: {} (at character {})",
                    e.msg,
                    e.pos + 1
                )));
            }
        }
        if let Some(forge) = &config.forge {
            forge.check().map_err(invalid)?;
        }
        if let Some(env) = &config.production.forge_environment {
            if config.forge.is_none() {
                return Err(invalid(
                    "`production.forge_environment` needs `[forge]`, the forge whose environment it is".into(),
                ));
            }
            crate::record::forge::forge_text_problem("`production.forge_environment`", env).map_err(invalid)?;
        }
        if let Some(backport) = &config.backport {
            backport.check().map_err(invalid)?;
        }
        value::check(&config).map_err(invalid)?;
        services::check(&config).map_err(invalid)?;
        Ok(config)
    }

    /// Reads `hotfix.toml` from `explicit`, or else from the checkout root
    /// (`work_tree`) or, in a bare repository, from the git directory.
    pub fn load(
        explicit: Option<&Path>,
        work_tree: Option<&Path>,
        git_dir: &Path,
    ) -> Result<(Config, PathBuf), ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => work_tree.unwrap_or(git_dir).join(FILE_NAME),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                return Err(ConfigError::NotFound { looked: path })
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let config = Config::parse(&text, &path)?;
        Ok((config, path))
    }

    /// Returns the configuration of a clone without `hotfix.toml`: enough to
    /// find runs on `origin`, whose records carry their own configuration.
    pub fn for_runs_only() -> Config {
        let text = "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n";
        Config::parse(text, Path::new(FILE_NAME)).expect("the built-in minimal configuration is valid")
    }

    /// Returns the time limit for a severity, or `None` for one that has no hotfix path.
    pub fn limit_for(&self, severity: Severity) -> Option<Duration> {
        match severity {
            Severity::Critical => Some(self.severity.critical),
            Severity::High => Some(self.severity.high),
            Severity::Medium => None,
        }
    }
}

/// Where a TOML error sits, as ` (line N: `the line`)`, so the key is in view.
fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(r) = span else {
        return String::new();
    };
    let start = r.start.min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let content = text.lines().nth(line - 1).unwrap_or("").trim();
    if content.is_empty() || content.len() > 120 {
        format!(" (line {line})")
    } else {
        format!(" (line {line}: `{content}`)")
    }
}

/// How urgent a hotfix is (seed 003's levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            other => Err(format!(
                "unknown severity `{other}`; accepted values: critical, high, medium"
            )),
        }
    }
}

/// Returns a commented `hotfix.toml` for the detected branch names.
pub fn template(main: &str, release: &str, develop: Option<&str>, remote: &str) -> String {
    let develop_line = match develop {
        Some(d) => format!("develop = \"{d}\""),
        None => "# develop = \"develop\"".to_string(),
    };
    format!(
        r#"# git-hotfix configuration; every key is described in the README.
# Which runbook this repository follows. Accepted: {strategies}
strategy = "restore-release"
# The remote holding the release branch.
remote = "{remote}"
# The service name used in messages and reports.
# service = "checkout-api"

[branches]
# Fixes must be merged here before they can be hotfixed.
main = "{main}"
# Production is deployed from this branch.
release = "{release}"
# The integration branch that receives backports.
{develop_line}

[production]
# Where the commit production runs is read from. Several sources must agree;
# `--production <rev>` on the command line overrides them all.
# tag = "prod-*"                                    # newest tag matching a glob
# command = "./scripts/production-sha.sh"           # prints a SHA
# command_timeout = "30s"                           # the command is killed after this
# http = {{ url = "https://example.com/version", pointer = "/sha" }}

[checks]
# A hotfix larger than this is flagged in the plan.
max_files = 20
max_lines = 500
# Changed paths matching these globs are flagged as migrations.
migrations = ["**/migrations/**", "**/migrate/**", "**/*.sql"]

[severity]
# Time allowed from start to production, shown by `git hotfix status`.
critical = "1h"
high = "4h"

# The release gates; each becomes a step of the run when configured.
# [approvals]
# roles = ["tech-lead", "pm"]        # each approved by a different person
# allowed_signers = ".hotfix/allowed_signers"  # `principal key` lines (gpg.ssh.allowedSignersFile):
#                                    # an approval counts when its entry is signed by one of them
# verify = "signature"               # "signature" (the default); "none" accepts self-declared
#                                    # git emails and marks every approval unverified
#
# [release]                          # the service's release job, never cut-off
# command = "./ci/trigger.sh"        # gets HOTFIX_ACTION, HOTFIX_PROJECT, HOTFIX_CONFIRM
# action = "release my-service"
# project = "group/orchestration"
#
# [deploy]
# command = "./ci/deploy-production.sh"   # gets HOTFIX_RELEASE_SHA, HOTFIX_RUN_ID, ...
# timeout = "30m"
#
# [verify]
# monitor = "2h"
# [[verify.http]]
# url = "https://my-service.example.com/version"
# sha_pointer = "/sha"
#
# [[smoke]]
# name = "health"
# command = "curl -fsS https://my-service.example.com/health"
#
# [notify]
# webhook = "https://hooks.slack.com/services/..."
#
# [secrets]
# env = ["DEPLOY_KEY"]               # besides *TOKEN*, *PASSWORD*, *SECRET*
"#,
        strategies = strategy::names().join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
strategy = "restore-release"
remote = "origin"
[branches]
main = "main"
release = "release"
develop = "develop"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("hotfix.toml"))
    }

    #[test]
    fn malformed_migration_globs_fail_at_load() {
        let err = parse(&format!("{MINIMAL}[checks]\nmigrations = [\"db/[abc\"]\n")).unwrap_err();
        assert!(err.to_string().contains("`db/[abc`, which is not a glob"), "{err}");
    }

    #[test]
    fn minimal_form_is_accepted_with_defaults() {
        let c = parse(MINIMAL).expect("the issue's minimal form must parse");
        assert_eq!(c.branches.release, "release");
        assert_eq!(c.checks.max_files, 20);
        assert_eq!(c.severity.critical, Duration::from_secs(3600));
        assert!(c.production.is_empty());
    }

    #[test]
    fn unknown_key_names_the_key_and_accepted_keys() {
        let err = parse(&MINIMAL.replace("remote = ", "remotee = "))
            .unwrap_err()
            .to_string();
        assert!(err.contains("remotee"), "{err}");
        assert!(err.contains("strategy") && err.contains("branches"), "{err}");
    }

    #[test]
    fn wrong_type_and_missing_branch_are_errors() {
        let err = parse(&MINIMAL.replace("main = \"main\"", "main = 3"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid type"), "{err}");
        let err = parse(&MINIMAL.replace("release = \"release\"\n", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `release`"), "{err}");
    }

    #[test]
    fn unknown_strategy_lists_accepted_values() {
        let err = parse(&MINIMAL.replace("restore-release", "yolo"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`yolo`") && err.contains("restore-release"), "{err}");
    }

    #[test]
    fn gates_parse_with_defaults_and_repeated_roles_are_refused() {
        let text = format!(
            "{MINIMAL}\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n[release]\ncommand = \"true\"\naction = \"release x\"\n\
             [[verify.http]]\nurl = \"http://x/version\"\nsha_pointer = \"/sha\"\ninterval = \"250ms\"\n"
        );
        let c = parse(&text).expect("gates parse");
        let release = c.release.expect("release");
        assert!(release.confirm);
        assert_eq!(release.forbidden(), None);
        assert_eq!(c.verify.http[0].expect_status, 200);
        assert_eq!(c.verify.http[0].interval, Duration::from_millis(250));
        let forbidden = text.replace("action = \"release x\"", "action = \"Cut-Off\"");
        assert_eq!(
            parse(&forbidden).expect("parses").release.expect("release").forbidden(),
            Some("cut-off")
        );
        let err = parse(&text.replace("\"pm\"", "\"tech-lead\"")).unwrap_err().to_string();
        assert!(err.contains("repeated role `tech-lead`"), "{err}");
    }

    #[test]
    fn approvals_need_a_way_to_verify_who_approved() {
        let roles = format!("{MINIMAL}\n[approvals]\nroles = [\"tech-lead\"]\n");
        let err = parse(&roles).unwrap_err().to_string();
        for part in [
            "approvals.allowed_signers",
            "approvals.verify",
            "allowed_signers = \"...\"",
            "verify = \"none\"",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
        let c = parse(&format!("{roles}allowed_signers = \".hotfix/allowed_signers\"\n")).expect("parses");
        assert_eq!(c.approvals.verify, ApprovalCheck::Signature);
        assert_eq!(
            c.approvals.allowed_signers_in(Path::new("/repo")),
            Some(Path::new("/repo/.hotfix/allowed_signers").to_path_buf())
        );
        assert_eq!(
            parse(&format!("{roles}verify = \"none\"\n"))
                .expect("parses")
                .approvals
                .verify,
            ApprovalCheck::None
        );
        let err = parse(&format!("{roles}verify = \"forge\"\n")).unwrap_err().to_string();
        assert!(err.contains("no `[forge]` is configured"), "{err}");
        let with_forge = format!(
            "{roles}verify = \"forge\"\n[forge]\nkind = \"gitlab\"\nurl = \"https://gitlab.example.com\"\nproject = \"fleet/billing\"\n"
        );
        assert_eq!(
            parse(&with_forge).expect("a forge to ask").approvals.verify,
            ApprovalCheck::Forge
        );
        parse(&format!("{MINIMAL}\n[approvals]\nverify = \"forge\"\n")).expect("no roles, nothing to verify");
    }

    #[test]
    fn values_that_cannot_work_are_refused_at_load_naming_the_key() {
        let cases: &[(&str, &str)] = &[
            (
                "[[verify.http]]\nurl = \"http://x/v\"\nsha_pointer = \"sha\"\n",
                "verify.http[0].sha_pointer` = `sha` is not a JSON pointer",
            ),
            (
                "[production]\nhttp = { url = \"http://x/v\", pointer = \"sha\" }\n",
                "production.http.pointer",
            ),
            ("[deploy]\ncommand = \"\"\n", "`deploy.command` is empty"),
            ("[[smoke]]\ncommand = \"  \"\n", "`smoke[0].command` is empty"),
            ("[production]\ncommand = \"\"\n", "`production.command` is empty"),
            (
                "[deploy]\ncommand = \"true\"\ntimeout = \"5124095576031h\"\n",
                "longer than 100 years",
            ),
            (
                "[checks]\nmax_files = \"20\"\n",
                "found the string \"20\"; write it without quotes, e.g. 20",
            ),
            ("[checks]\nmax_lines = -5\n", "-5 is negative"),
            (
                "[[verify.http]]\nurl = \"x/version\"\n",
                "is not an http:// or https:// URL",
            ),
        ];
        for (extra, wanted) in cases {
            let err = parse(&format!("{MINIMAL}{extra}")).unwrap_err().to_string();
            assert!(err.contains(wanted), "{extra}: {err}");
        }
        for (from, to, wanted) in [
            (
                "release = \"release\"",
                "release = \"rel ease\"",
                "`branches.release` = `rel ease` is not a branch name git accepts",
            ),
            ("main = \"main\"", "main = \"a..b\"", "`branches.main` = `a..b`"),
            ("develop = \"develop\"", "develop = \"-d\"", "`branches.develop` = `-d`"),
            (
                "remote = \"origin\"",
                "remote = \"--upload-pack=touch${IFS}pwned;\"",
                "starts with `-`",
            ),
        ] {
            let err = parse(&MINIMAL.replace(from, to)).unwrap_err().to_string();
            assert!(err.contains(wanted), "{to}: {err}");
        }
    }

    #[test]
    fn remote_may_be_a_name_a_url_or_a_path() {
        for remote in [
            "origin",
            "/srv/git/origin.git",
            "../origin.git",
            "git@gitlab.example.com:fleet/billing.git",
        ] {
            let c = parse(&MINIMAL.replace("remote = \"origin\"", &format!("remote = \"{remote}\"")))
                .unwrap_or_else(|e| panic!("{remote}: {e}"));
            assert_eq!(c.remote, remote);
        }
    }

    #[test]
    fn config_round_trips_through_json_for_the_run_record() {
        let text = format!(
            "{MINIMAL}[production]\ncommand = \"./sha\"\ncommand_timeout = \"5s\"\n[deploy]\ncommand = \"./deploy\"\ntimeout = \"1s500ms\"\n[verify]\nmonitor = \"2h\"\n"
        );
        let c = parse(&text).expect("parses");
        let json = serde_json::to_string(&c).expect("serializes");
        let back: Config = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, c);
        assert_eq!(back.deploy.expect("deploy").timeout, Duration::from_millis(1500));
        assert_eq!(back.verify.monitor, Some(Duration::from_secs(7200)));
        let minimal = parse(MINIMAL).expect("parses");
        let back: Config = serde_json::from_str(&serde_json::to_string(&minimal).expect("json")).expect("reads back");
        assert_eq!(back, minimal, "unset optional keys read back as unset");
    }

    #[test]
    fn template_parses_back() {
        let text = template("main", "release", Some("develop"), "origin");
        let c = parse(&text).expect("the template is valid");
        assert_eq!(c.branches.develop.as_deref(), Some("develop"));
    }

    /// Fails unless `text` is refused with a message holding `needle`.
    #[track_caller]
    fn refused(text: String, needle: &str) {
        let err = parse(&text).expect_err("refused").to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }

    #[test]
    fn forge_pipelines_and_jobs_are_checked_at_load() {
        let forge = "[forge]\nkind = \"gitlab\"\nurl = \"https://gitlab.example.com\"\nproject = \"fleet/billing\"\n";
        let release = "[release]\npipeline = { ref = \"main\", inputs = { action = \"deploy-release-branch-to-staging\", confirm = true } }\njob = \"release billing\"\n";
        let deploy = "[deploy]\njob = \"deploy-production\"\npipeline = \"downstream\"\n";
        let c = parse(&format!("{MINIMAL}{forge}{release}{deploy}")).expect("seed 000/001's setup parses");
        let r = c.release.as_ref().expect("release");
        assert_eq!(r.label(), "release billing");
        assert_eq!(
            r.pipeline.as_ref().expect("pipeline").inputs["confirm"],
            InputValue::Bool(true)
        );
        assert_eq!(
            c.deploy.as_ref().expect("deploy").pipeline,
            Some(JobPipeline::Downstream)
        );

        refused(format!("{MINIMAL}{release}"), "no `[forge]`");
        refused(format!("{MINIMAL}{forge}{deploy}"), "needs `release.pipeline`");
        refused(
            format!(
                "{MINIMAL}{forge}{}",
                release.replace("deploy-release-branch-to-staging", "cut-off")
            ),
            "forbidden",
        );
        refused(
            format!(
                "{MINIMAL}{forge}{}",
                release.replace("release billing", "release\\u0007x")
            ),
            "control",
        );
        refused(
            format!("{MINIMAL}{forge}{}", release.replace("\"main\"", "\"-x\"")),
            "starts with `-`",
        );
        refused(
            format!("{MINIMAL}{forge}{release}command = \"./release.sh\"\n"),
            "both `command` and a forge",
        );
        refused(
            format!("{MINIMAL}[production]\nforge_environment = \"production\"\n"),
            "needs `[forge]`",
        );
        refused(
            format!(
                "{MINIMAL}{forge}{}",
                release.replace("ref = ", "workflow = \"release.yml\", ref = ")
            ),
            "`release.pipeline.workflow` is GitHub's",
        );
    }

    #[test]
    fn a_github_release_pipeline_names_its_workflow_and_has_no_downstream() {
        let forge = "[forge]\nkind = \"github\"\nurl = \"https://github.com\"\nproject = \"fleet/billing\"\n";
        let release = "[release]\npipeline = { workflow = \"release.yml\", ref = \"main\", inputs = { confirm = true } }\njob = \"release billing\"\n";
        let deploy = "[deploy]\njob = \"deploy-production\"\n";
        let c = parse(&format!("{MINIMAL}{forge}{release}{deploy}")).expect("a GitHub setup parses");
        let pipeline = c.release.as_ref().and_then(|r| r.pipeline.as_ref()).expect("pipeline");
        assert_eq!(pipeline.workflow.as_deref(), Some("release.yml"));

        refused(
            format!("{MINIMAL}{forge}{release}{deploy}pipeline = \"downstream\"\n"),
            "GitHub Actions has none",
        );
        for (from, to, needle) in [
            (
                "workflow = \"release.yml\", ",
                "",
                "`release.pipeline.workflow` is missing",
            ),
            (
                "release.yml",
                ".github/workflows/release.yml",
                "not a workflow file name",
            ),
            ("ref = ", "project = \"develop\", ref = ", "not GitHub's `owner/repo`"),
            (
                "} }",
                "}, variables = true }",
                "`release.pipeline.variables` is GitLab's",
            ),
        ] {
            refused(format!("{MINIMAL}{forge}{}", release.replace(from, to)), needle);
        }
    }
}
