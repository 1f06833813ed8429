//! `git hotfix ci`: the hotfix pipeline of a repository as a CI template,
//! for GitLab CI or GitHub Actions, from its `hotfix.toml`.
//!
//! Generation is two pure steps. [`pipeline`] turns the config into a
//! [`Pipeline`]: the inputs an operator gives and the jobs, each with its
//! trigger, environment and script lines; which jobs there are is the
//! strategy's, one small function per strategy (a new strategy is one match
//! arm in [`pipeline`]). Then [`gitlab::render`] or [`github::render`] writes
//! that pipeline as the forge's YAML, with comments, as text: comments are
//! what the team reads when it adapts the file, and no YAML serializer keeps
//! them (the tests parse every template back and check it against the
//! forge's schema).
//!
//! The inputs are untrusted text typed into a web form. Every script reads
//! them from environment variables and hands them to git-hotfix as single
//! `"--flag=$VARIABLE"` arguments, never as shell text; fixes are split on
//! blanks with globbing off and each word checked to look like a revision.

pub mod github;
pub mod gitlab;

use crate::config::Config;

/// The strategies `git hotfix ci` writes a pipeline for.
pub const STRATEGIES: &[&str] = &["restore-release", "merge-main", "from-tag", "trunk"];

/// The file the status of a run is written to, as a job artifact.
pub const STATUS_ARTIFACT: &str = "hotfix-status.json";
/// The file the incident report is written to, as a job artifact.
pub const REPORT_ARTIFACT: &str = "hotfix-report.json";

/// Which forge's CI a template is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiForge {
    Gitlab,
    Github,
}

impl CiForge {
    /// Returns where the template goes in the repository by default.
    pub fn default_path(self) -> &'static str {
        match self {
            CiForge::Gitlab => ".gitlab/hotfix.gitlab-ci.yml",
            CiForge::Github => ".github/workflows/hotfix.yml",
        }
    }
}

/// Errors writing a CI template.
#[derive(Debug, thiserror::Error)]
pub enum CiError {
    #[error("`git hotfix ci` has no pipeline for strategy `{strategy}`; supported: {}", STRATEGIES.join(", "))]
    UnknownStrategy { strategy: String },
    #[error("{} already exists", path.display())]
    Exists { path: std::path::PathBuf },
    #[error("failed to write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The hotfix pipeline of one repository, independent of the forge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `strategy` of hotfix.toml.
    pub strategy: String,
    /// What the operator fills in when running the pipeline by hand.
    pub inputs: Vec<Input>,
    pub jobs: Vec<Job>,
    /// The variable the forge token is read from (`[forge] token_env`).
    pub token_env: String,
    /// The remote git-hotfix pushes to (`remote` of hotfix.toml).
    pub remote: String,
}

/// One input of the manually run pipeline, passed to jobs as `variable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The GitHub `workflow_dispatch` input name (`fixes`).
    pub name: &'static str,
    /// The environment variable the scripts read (`HOTFIX_FIXES`); on GitLab
    /// also the CI/CD variable of the "Run pipeline" form.
    pub variable: &'static str,
    pub description: &'static str,
    /// The choices, when the input is one of a few (severity).
    pub options: &'static [&'static str],
    pub default: &'static str,
    pub required: bool,
}

/// When a job runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// In the manually run hotfix pipeline, by itself once the jobs it needs passed.
    Dispatch,
    /// In the manually run hotfix pipeline, when someone plays it (GitLab
    /// `when: manual`; on GitHub the environment's required reviewers are the gate).
    DispatchManual,
    /// In the pipeline of a pushed tag matching one of `tags`, played by hand.
    Tag { tags: Vec<TagMatch> },
    /// In the team's other pipelines, the ones its cut-off job runs in.
    Guard,
}

/// A family of hotfix tags: a literal prefix, a semver version, a literal
/// suffix, and for a counted tag (trunk's `v{version}-hotfix.{n}`) a number
/// and a literal tail after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagMatch {
    pub prefix: String,
    pub suffix: String,
    /// `Some(tail)` when a number follows the suffix, then `tail`.
    pub counted: Option<String>,
}

impl TagMatch {
    /// Returns the glob GitHub's `on: push: tags:` filters with.
    pub fn glob(&self) -> String {
        match &self.counted {
            Some(tail) => format!("{}*{}*{}", self.prefix, self.suffix, tail),
            None => format!("{}*{}", self.prefix, self.suffix),
        }
    }

    /// Returns the regular expression (RE2, between slashes) GitLab's
    /// `$CI_COMMIT_TAG =~` matches with.
    pub fn regex(&self) -> String {
        let counted = self
            .counted
            .as_ref()
            .map_or(String::new(), |tail| format!("[0-9]+{}", regex_escape(tail)));
        format!(
            "/^{}[0-9]+\\.[0-9]+\\.[0-9]+{}{counted}$/",
            regex_escape(&self.prefix),
            regex_escape(&self.suffix)
        )
    }

    /// Returns the family of tags `pattern` makes (`{version}` once, `{n}` at most once after it).
    fn of_pattern(pattern: &str) -> Option<TagMatch> {
        let (prefix, rest) = pattern.split_once("{version}")?;
        let (suffix, counted) = match rest.split_once("{n}") {
            Some((suffix, tail)) => (suffix, Some(tail.to_string())),
            None => (rest, None),
        };
        Some(TagMatch {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
            counted,
        })
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if !(c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The tier of a protected environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Staging,
    Production,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }
}

/// The protected environment a job deploys to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
}

/// One job of the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The job's name (`hotfix-start`); other jobs name it in `needs`.
    pub name: &'static str,
    /// What the job does and why, written above it.
    pub comment: Vec<String>,
    pub trigger: Trigger,
    /// The job that must have passed first, in the same pipeline.
    pub needs: Option<&'static str>,
    pub environment: Option<Environment>,
    /// The inputs' variables are set for the script.
    pub reads_inputs: bool,
    /// Shell lines, run in one POSIX shell, in order.
    pub script: Vec<String>,
    /// Files the job keeps, even when it fails.
    pub artifacts: Vec<&'static str>,
}

/// Returns the hotfix pipeline of the repository `config` describes.
pub fn pipeline(config: &Config) -> Result<Pipeline, CiError> {
    let jobs = match config.strategy.as_str() {
        "restore-release" => restore_release(config),
        "merge-main" => merge_main(config),
        "from-tag" => from_tag(config),
        "trunk" => trunk(config),
        other => {
            return Err(CiError::UnknownStrategy {
                strategy: other.to_string(),
            })
        }
    };
    let mut inputs = vec![FIXES, SEVERITY, INCIDENT, PRODUCTION, PRODUCTION_OVERRIDE];
    if config.strategy == "from-tag" {
        inputs.push(PRODUCT);
    }
    Ok(Pipeline {
        strategy: config.strategy.clone(),
        inputs,
        jobs,
        token_env: token_env(config),
        remote: config.remote.clone(),
    })
}

/// Returns the template of `config`'s hotfix pipeline for `forge`.
pub fn template(config: &Config, forge: CiForge) -> Result<String, CiError> {
    let pipeline = pipeline(config)?;
    Ok(match forge {
        CiForge::Gitlab => gitlab::render(&pipeline),
        CiForge::Github => github::render(&pipeline),
    })
}

fn token_env(config: &Config) -> String {
    match &config.forge {
        Some(forge) => forge.token_env_name().to_string(),
        None => "GITLAB_TOKEN".to_string(),
    }
}

/// Restore-release (seed 000): start restores release and picks the fixes,
/// the production job carries on past the approvals, backport last.
fn restore_release(config: &Config) -> Vec<Job> {
    let mut jobs = vec![
        start_job(),
        production_job(Trigger::DispatchManual, Some("hotfix-start")),
    ];
    jobs.extend(backport_job(config, &Trigger::Dispatch));
    jobs.push(guard_job(config));
    jobs
}

/// Merge-main (seed 002): the fix is merged already; start checks and records
/// it, the production job deploys behind the environment's approvals, then
/// the backport to develop (`hotfix-backport`).
fn merge_main(config: &Config) -> Vec<Job> {
    let mut jobs = vec![
        start_job(),
        production_job(Trigger::DispatchManual, Some("hotfix-start")),
    ];
    jobs.extend(backport_job(config, &Trigger::Dispatch));
    jobs.push(guard_job(config));
    jobs
}

/// From-tag (seed 003): start builds the hotfix branch and, once approved,
/// tags it; the tag's own pipeline holds the production job.
fn from_tag(config: &Config) -> Vec<Job> {
    let tags: Vec<TagMatch> = config
        .products
        .values()
        .map(|product| {
            let glob = product.tag.glob();
            let (prefix, suffix) = glob
                .split_once('*')
                .expect("a product's tag glob holds one `*`, where `{version}` was");
            TagMatch {
                prefix: prefix.to_string(),
                suffix: suffix.to_string(),
                counted: None,
            }
        })
        .collect();
    let production = Trigger::Tag { tags };
    let mut jobs = vec![start_job(), production_job(production.clone(), None)];
    jobs.extend(backport_job(config, &production));
    jobs.push(guard_job(config));
    jobs
}

/// Trunk (seed 004): start asks whether main is releasable and, on the
/// exceptional path, builds the hotfix branch and deploys it to the hotfix
/// staging environment before anything reaches production; the production
/// job carries the run on: in the hotfix tag's pipeline on the exceptional
/// path, in the hotfix pipeline by hand on the standard one.
fn trunk(config: &Config) -> Vec<Job> {
    let pattern = config
        .trunk
        .as_ref()
        .map_or("v{version}-hotfix.{n}", |t| t.tag.as_str());
    let mut start = start_job();
    start.environment = Some(Environment {
        name: "hotfix-staging".into(),
        tier: Tier::Staging,
    });
    start.comment.push(
        "Trunk's exceptional path deploys the hotfix branch to the hotfix staging environment here, first.".into(),
    );
    let mut jobs = vec![start, production_job(Trigger::DispatchManual, Some("hotfix-start"))];
    if let Some(tags) = TagMatch::of_pattern(pattern) {
        let mut tagged = production_job(Trigger::Tag { tags: vec![tags] }, None);
        tagged.name = "hotfix-production-tag";
        tagged.comment.push(format!(
            "Trunk's exceptional path: the production workflow of the hotfix tag (`{pattern}`)."
        ));
        jobs.push(tagged);
    }
    jobs.extend(backport_job(config, &Trigger::Dispatch));
    jobs.push(guard_job(config));
    jobs
}

const FIXES: Input = Input {
    name: "fixes",
    variable: "HOTFIX_FIXES",
    description: "The fixes, separated by spaces: commits, A..B ranges, or !IID merge requests",
    options: &[],
    default: "",
    required: true,
};
const SEVERITY: Input = Input {
    name: "severity",
    variable: "HOTFIX_SEVERITY",
    description: "critical (1h) or high (4h); medium goes to the normal release",
    options: &["critical", "high"],
    default: "high",
    required: true,
};
const INCIDENT: Input = Input {
    name: "incident",
    variable: "HOTFIX_INCIDENT",
    description: "The incident: new (opens one), its number or page, or any text",
    options: &[],
    default: "",
    required: false,
};
const PRODUCTION: Input = Input {
    name: "production",
    variable: "HOTFIX_PRODUCTION",
    description: "The commit (from-tag: the tag) production runs, when the configured sources cannot tell",
    options: &[],
    default: "",
    required: false,
};
const PRODUCTION_OVERRIDE: Input = Input {
    name: "production_override",
    variable: "HOTFIX_PRODUCTION_OVERRIDE",
    description: "The reason to go on with a production commit the sources contradict (--production-override)",
    options: &[],
    default: "",
    required: false,
};
const PRODUCT: Input = Input {
    name: "product",
    variable: "HOTFIX_PRODUCT",
    description: "The product of [products] the hotfix is for (may be empty with one product)",
    options: &[],
    default: "",
    required: false,
};

/// Returns the lines that hand the inputs to `plan` and `start`.
///
/// Each input reaches git-hotfix as one `--flag=value` argument built with
/// `set --`, so no value is ever parsed as shell text or taken for a flag.
fn start_script() -> Vec<String> {
    [
        "set -f",
        "set --",
        "for fix in $HOTFIX_FIXES; do case \"$fix\" in -*|*[!A-Za-z0-9._/@^~!:-]*) printf \"%s\\n\" \"refused: not a revision: $fix\" >&2; exit 2;; esac; set -- \"$@\" \"--fix=$fix\"; done",
        "if [ \"$#\" -eq 0 ]; then echo \"refused: HOTFIX_FIXES names no fix\" >&2; exit 2; fi",
        "if [ -n \"$HOTFIX_PRODUCTION\" ]; then set -- \"$@\" \"--production=$HOTFIX_PRODUCTION\"; fi",
        "if [ -n \"$HOTFIX_PRODUCTION_OVERRIDE\" ]; then set -- \"$@\" \"--production-override=$HOTFIX_PRODUCTION_OVERRIDE\"; fi",
        "if [ -n \"$HOTFIX_PRODUCT\" ]; then set -- \"$@\" \"--product=$HOTFIX_PRODUCT\"; fi",
        "git hotfix plan \"$@\"",
        "if [ -n \"$HOTFIX_INCIDENT\" ]; then set -- \"$@\" \"--incident=$HOTFIX_INCIDENT\"; fi",
        "rc=0; git hotfix start --yes \"--severity=$HOTFIX_SEVERITY\" \"$@\" || rc=$?",
    ]
    .into_iter()
    .map(String::from)
    .chain(artifact_lines())
    .collect()
}

/// Returns the lines that keep the run's status and report, whatever the
/// command before them did, and then end with its exit code (`rc`).
fn artifact_lines() -> Vec<String> {
    vec![
        format!("git hotfix status --json > {STATUS_ARTIFACT} || true"),
        format!("git hotfix report --format json --output {REPORT_ARTIFACT} || true"),
        "exit \"$rc\"".to_string(),
    ]
}

fn start_job() -> Job {
    Job {
        name: "hotfix-start",
        comment: vec![
            "Shows the plan, then carries it out: `start --yes` runs every step it may without a person,".into(),
            "and stops at a gate (approvals) with exit 0; the production job carries on from there.".into(),
        ],
        trigger: Trigger::Dispatch,
        needs: None,
        environment: None,
        reads_inputs: true,
        script: start_script(),
        artifacts: vec![STATUS_ARTIFACT, REPORT_ARTIFACT],
    }
}

fn production_job(trigger: Trigger, needs: Option<&'static str>) -> Job {
    let mut comment = vec![
        "The production steps: `continue --yes` carries the run on from its first unfinished step".into(),
        "(approvals gate, deploy, verification, smoke checks). With [approvals] verify = \"forge\"".into(),
        "the approvals are the forge's record of the deploy's deployment (`git hotfix approve --role R`).".into(),
    ];
    if let Trigger::Tag { .. } = trigger {
        comment.push("It runs in the pipeline of the hotfix tag the run pushed (from-tag's `tag` step).".into());
    }
    Job {
        name: "hotfix-production",
        comment,
        trigger,
        needs,
        environment: Some(Environment {
            name: "production".into(),
            tier: Tier::Production,
        }),
        reads_inputs: false,
        script: std::iter::once("rc=0; git hotfix continue --yes || rc=$?".to_string())
            .chain(artifact_lines())
            .collect(),
        artifacts: vec![STATUS_ARTIFACT, REPORT_ARTIFACT],
    }
}

/// Seed 002's `hotfix-backport`: after production, the fixes go to the
/// `[backport] to` branches; none without them.
fn backport_job(config: &Config, trigger: &Trigger) -> Option<Job> {
    let targets = &config.backport.as_ref()?.to;
    if targets.is_empty() {
        return None;
    }
    let trigger = match trigger {
        // The tag's pipeline: after its production job, without a second click.
        Trigger::Tag { tags } => Trigger::Tag { tags: tags.clone() },
        _ => Trigger::Dispatch,
    };
    Some(Job {
        name: "hotfix-backport",
        comment: vec![
            format!(
                "After production: the fixes to {} as branches and merge requests;",
                targets.join(", ")
            ),
            "a target that has them already gets none, and a run's own backport step is adopted, not doubled.".into(),
        ],
        trigger,
        needs: Some("hotfix-production"),
        environment: None,
        reads_inputs: false,
        script: vec!["git hotfix backport".into()],
        artifacts: Vec::new(),
    })
}

fn guard_job(config: &Config) -> Job {
    let branch = if config.strategy == "restore-release" {
        config.branches.release.clone()
    } else {
        config.branches.main.clone()
    };
    Job {
        name: "hotfix-guard",
        comment: vec![
            format!("Fails (exit 3) while a hotfix holds `{branch}`, so a job that needs it cannot start:"),
            "cut-off would bring unreleased work onto the branch mid-hotfix.".into(),
        ],
        trigger: Trigger::Guard,
        needs: None,
        environment: None,
        reads_inputs: false,
        script: vec!["git hotfix guard --action \"$HOTFIX_GUARD_ACTION\"".into()],
        artifacts: Vec::new(),
    }
}

/// Returns `text` as a YAML scalar: plain when YAML reads it back as the
/// same string, else single-quoted (YAML's one escape there is `''`).
pub(crate) fn scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.contains(['\t', '\n'])
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Appends `text` at `indent` spaces and a newline (an empty `text`: an empty line).
pub(crate) fn line(w: &mut String, indent: usize, text: &str) {
    if !text.is_empty() {
        w.extend(std::iter::repeat_n(' ', indent));
        w.push_str(text);
    }
    w.push('\n');
}

#[cfg(test)]
mod tests;
