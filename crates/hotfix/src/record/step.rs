//! A plan's steps as data. Each step says what it does and carries every
//! parameter it needs (the command, the roles, the ref it moves and the
//! value it expects there), so the run record freezes them at `start` and
//! `continue`, from any clone, carries out exactly what `plan` showed.
//!
//! A step's [`Action`] is one of a small set of primitives; strategies
//! combine them under names of their own. The engine has one handler per
//! action.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{Approvals, Deploy, JobPipeline, Migrations, ReleaseAction, Smoke, Verify};
use crate::git::Oid;
use crate::record::forge::{NewMergeRequest, NewRelease, PipelineRequest};

/// A step's name: unique within a run, and the key of its journal entries
/// (`deploy`, `push-release`). Names are lowercase words joined by `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StepName(Cow<'static, str>);

impl StepName {
    pub const RECORD_PRODUCTION: StepName = StepName::known("record-production");
    pub const LOCK: StepName = StepName::known("lock");
    pub const BUILD: StepName = StepName::known("build");
    pub const PUSH_RELEASE: StepName = StepName::known("push-release");
    pub const VERIFY_RELEASE: StepName = StepName::known("verify-release");
    pub const APPROVALS: StepName = StepName::known("approvals");
    pub const RELEASE_ACTION: StepName = StepName::known("release-action");
    pub const DEPLOY: StepName = StepName::known("deploy");
    pub const VERIFY_PRODUCTION: StepName = StepName::known("verify-production");
    pub const SMOKE: StepName = StepName::known("smoke");
    pub const ROLLBACK_RESTORE: StepName = StepName::known("rollback-restore");
    pub const BACKPORT: StepName = StepName::known("backport");
    // merge-main (issue 14).
    pub const MAIN_PIPELINE: StepName = StepName::known("main-pipeline");
    pub const MIGRATIONS: StepName = StepName::known("migrations");

    /// The longest name a step may have.
    pub const MAX_LEN: usize = 64;

    /// Returns a name written in code (a strategy's own step); it must be a
    /// valid name, as [`StepName::new`] checks names read from outside.
    pub const fn known(name: &'static str) -> StepName {
        StepName(Cow::Borrowed(name))
    }

    /// Returns the name `name`, or why it is none.
    pub fn new(name: &str) -> Result<StepName, String> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if name.is_empty()
            || name.len() > Self::MAX_LEN
            || !name.chars().all(ok_char)
            || name.starts_with('-')
            || name.ends_with('-')
        {
            return Err(format!(
                "`{}` is not a step name (lowercase letters, digits and `-`, at most {} characters)",
                name.escape_debug(),
                Self::MAX_LEN
            ));
        }
        Ok(StepName(Cow::Owned(name.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns what a step of restore-release's does, for runs recorded
    /// before steps carried their own description.
    pub fn describe_known(&self) -> &'static str {
        match self.as_str() {
            "record-production" => "record the commit production runs",
            "lock" => "lock the release branch on the remote",
            "build" => "build the restore commit and cherry-picks (objects only)",
            "push-release" => "push release with compare-and-swap",
            "verify-release" => "re-read release and prove it holds restore + fixes only",
            "approvals" => "wait until every approval role has signed off",
            "release-action" => "run the release job (never cut-off)",
            "deploy" => "run the production deploy",
            "verify-production" => "poll production until it reports the release and is healthy",
            "smoke" => "run the smoke checks",
            "rollback-restore" => "restore release to production's tree again (compare-and-swap)",
            "main-pipeline" => "find main's pipeline for the commit deployed (it must not have failed)",
            "migrations" => "run the production migrations and prove they completed",
            _ => "",
        }
    }
}

impl<'de> Deserialize<'de> for StepName {
    /// Reads a name from a journal, which comes from outside: a name that is
    /// not a step name is a corrupt entry.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StepName, D::Error> {
        let name = String::deserialize(deserializer)?;
        StepName::new(&name).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for StepName {
    type Err = String;

    fn from_str(name: &str) -> Result<StepName, String> {
        StepName::new(name)
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for StepName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// One step of a plan: its name, what it does in words, and the action with
/// every parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: StepName,
    /// What the step does, for the plan and `status`.
    pub about: String,
    pub action: Action,
    /// The `[[services]]` service the step acts on, in a run that ships
    /// several; its name then ends in `-<service>` (`deploy-portal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Step {
    /// Returns the step recording the plan's production commit.
    pub fn record_production() -> Step {
        Step::known(StepName::RECORD_PRODUCTION, Action::RecordProduction)
    }

    /// Returns the step locking `branch` on the remote.
    pub fn lock(branch: &str) -> Step {
        Step::known(
            StepName::LOCK,
            Action::Lock {
                branch: branch.to_string(),
            },
        )
    }

    /// Returns the step writing the strategy's commits.
    pub fn build() -> Step {
        Step::known(StepName::BUILD, Action::Build)
    }

    /// Returns the step pushing release by compare-and-swap.
    pub fn push_release(release: RefMove) -> Step {
        Step::known(StepName::PUSH_RELEASE, Action::Push(release))
    }

    /// Returns the step proving `branch` holds production plus the build's
    /// commits only (and `also_paths`, which the build changes beside the fixes).
    pub fn verify_release(branch: &str, also_paths: Vec<String>) -> Step {
        Step::known(
            StepName::VERIFY_RELEASE,
            Action::VerifyRelease {
                branch: branch.to_string(),
                also_paths,
            },
        )
    }

    /// Returns the step gated by `[approvals]`.
    pub fn approvals(approvals: &Approvals) -> Step {
        Step::known(StepName::APPROVALS, Action::Approvals(approvals.clone()))
    }

    /// Returns the step triggering `[release]`'s job: its command, or the
    /// pipeline the forge creates and the manual job played in it.
    pub fn release_action(release: &ReleaseAction) -> Step {
        let action = match &release.pipeline {
            Some(request) => Action::ForgePipeline(ForgePipelineStep {
                request: request.clone(),
                job: release.job.clone(),
                forbidden_actions: release.forbidden_actions.clone(),
                wait: JobWait::of(release.timeout, release.poll_interval, release.start_timeout),
            }),
            None => Action::Command(CommandStep::release_job(release)),
        };
        Step::known(StepName::RELEASE_ACTION, action)
    }

    /// Returns the step running `[deploy]`'s command, or playing its job in
    /// the pipeline of the release step; `forbidden` are the actions the
    /// job must never be.
    pub fn deploy(deploy: &Deploy, forbidden: &[String]) -> Step {
        let action = match &deploy.job {
            Some(job) => Action::ForgeJob(ForgeJobStep {
                job: job.clone(),
                pipeline_of: StepName::RELEASE_ACTION,
                downstream: deploy.pipeline == Some(JobPipeline::Downstream),
                forbidden_actions: forbidden.to_vec(),
                wait: JobWait::of(deploy.timeout, deploy.poll_interval, deploy.start_timeout),
            }),
            None => Action::Command(CommandStep::deploy(deploy)),
        };
        Step::known(StepName::DEPLOY, action)
    }

    /// Returns the step polling `[verify]`'s endpoints.
    pub fn verify_production(verify: &Verify) -> Step {
        Step::known(StepName::VERIFY_PRODUCTION, Action::VerifyHttp(verify.clone()))
    }

    /// Returns the step running the `[[smoke]]` checks.
    pub fn smoke(checks: &[Smoke]) -> Step {
        Step::known(
            StepName::SMOKE,
            Action::Smoke {
                checks: checks.to_vec(),
            },
        )
    }

    // merge-main (issue 14): main's pipeline and the migrations.

    /// Returns the step finding `branch`'s pipeline for `commit`, whose jobs
    /// the deploy and migration steps play.
    pub fn main_pipeline(branch: &str, commit: &Oid) -> Step {
        Step::known(
            StepName::MAIN_PIPELINE,
            Action::MainPipeline {
                branch: branch.to_string(),
                commit: commit.clone(),
            },
        )
    }

    /// Returns the step running `[migrations]`: its command, or its job in
    /// the pipeline the `main-pipeline` step found.
    pub fn migrations(migrations: &Migrations) -> Step {
        let action = match &migrations.job {
            Some(job) => Action::ForgeJob(ForgeJobStep {
                job: job.clone(),
                pipeline_of: StepName::MAIN_PIPELINE,
                downstream: false,
                forbidden_actions: Vec::new(),
                wait: JobWait::of(migrations.timeout, migrations.poll_interval, migrations.start_timeout),
            }),
            None => Action::Command(CommandStep {
                command: migrations.command.clone(),
                timeout: migrations.timeout,
                changes_production: true,
                release_job: None,
                env: Vec::new(),
            }),
        };
        Step::known(StepName::MIGRATIONS, action)
    }

    /// Returns `[deploy]`'s step for a deploy from main: its command, or its
    /// job in the pipeline the `main-pipeline` step found.
    pub fn deploy_from_main(deploy: &Deploy) -> Step {
        let action = match &deploy.job {
            Some(job) => Action::ForgeJob(ForgeJobStep {
                job: job.clone(),
                pipeline_of: StepName::MAIN_PIPELINE,
                downstream: deploy.pipeline == Some(JobPipeline::Downstream),
                forbidden_actions: Vec::new(),
                wait: JobWait::of(deploy.timeout, deploy.poll_interval, deploy.start_timeout),
            }),
            None => Action::Command(CommandStep::deploy(deploy)),
        };
        Step::known(StepName::DEPLOY, action)
    }

    /// Returns the rollback step putting production's tree on `branch` again.
    pub fn rollback_restore(branch: &str) -> Step {
        Step::known(
            StepName::ROLLBACK_RESTORE,
            Action::RestoreRelease {
                branch: branch.to_string(),
            },
        )
    }

    fn known(name: StepName, action: Action) -> Step {
        let about = name.describe_known();
        Step::new(name, about, action)
    }

    pub fn new(name: StepName, about: impl Into<String>, action: Action) -> Step {
        Step {
            name,
            about: about.into(),
            action,
            service: None,
        }
    }

    /// Returns this step as service `service`'s: named `<name>-<service>`,
    /// its command told which service (`HOTFIX_SERVICE`), and a forge job
    /// played in the pipeline of the service's own release step.
    pub fn for_service(mut self, service: &str) -> Step {
        let named = |name: &StepName| {
            StepName::new(&format!("{name}-{service}")).expect("service names are checked step-name words")
        };
        self.name = named(&self.name);
        self.about = format!("{}: {}", service, self.about);
        match &mut self.action {
            Action::Command(c) => c.env.push(("HOTFIX_SERVICE".into(), service.to_string())),
            Action::ForgeJob(job) if job.pipeline_of == StepName::RELEASE_ACTION => {
                job.pipeline_of = named(&job.pipeline_of)
            }
            _ => {}
        }
        self.service = Some(service.to_string());
        self
    }

    /// Returns the step's name without its service: `deploy` for
    /// `deploy-portal`; the name itself for a step of no service.
    pub fn base_name(&self) -> StepName {
        let base = self
            .service
            .as_deref()
            .and_then(|s| self.name.as_str().strip_suffix(s))
            .and_then(|rest| rest.strip_suffix('-'));
        match base {
            Some(base) => StepName::new(base).unwrap_or_else(|_| self.name.clone()),
            None => self.name.clone(),
        }
    }

    /// Returns true when the step acts on production (a release job, a
    /// deploy, a verification or a smoke check): it runs only once the
    /// operator confirmed (`--yes`).
    pub fn touches_production(&self) -> bool {
        matches!(
            self.action,
            Action::Command(_)
                | Action::VerifyHttp(_)
                | Action::VerifyContains(_)
                | Action::Smoke { .. }
                | Action::ForgePipeline(_)
                | Action::ForgeJob(_)
        )
    }

    /// Returns true when the step is the release job (a command or a forge
    /// pipeline): its failure leaves production as it was.
    pub fn is_release_job(&self) -> bool {
        self.release_job().is_some() || matches!(self.action, Action::ForgePipeline(_))
    }

    /// Returns the release job the step triggers, if it is one.
    pub fn release_job(&self) -> Option<&ReleaseJob> {
        match &self.action {
            Action::Command(c) => c.release_job.as_ref(),
            _ => None,
        }
    }

    /// Returns true when the step's command changes production: an attempt
    /// that may have run is run again only on the operator's decision
    /// (`continue --rerun STEP`). Verifications only read production.
    pub fn is_unrepeatable(&self) -> bool {
        match &self.action {
            Action::Command(c) => c.changes_production,
            Action::ForgePipeline(_) | Action::ForgeJob(_) => true,
            _ => false,
        }
    }
}

/// What a step does: one primitive, with its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// Records the plan's production commit and how it was established,
    /// before anything moves.
    RecordProduction,
    /// Locks `branch`: creates its lock ref on the remote (it must not
    /// exist), with the run's first push.
    Lock { branch: String },
    /// Writes the strategy's commits to the object store (on a new tip when
    /// the run is rebuilt).
    Build,
    /// Moves one ref on the remote by compare-and-swap, to the commit the
    /// build made. `expected` and `new` are the plan's; a rebuild carries
    /// them onto the tip it was rebuilt on.
    Push(RefMove),
    /// Re-reads `branch` on the remote and proves it holds the build's
    /// commits on production and nothing else.
    VerifyRelease {
        branch: String,
        /// Paths the build may change beside the fixes' (version files, a changelog).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        also_paths: Vec<String>,
    },
    /// Waits until every role signed off, each a different person.
    Approvals(Approvals),
    /// Runs a team command (the release job, the deploy).
    Command(CommandStep),
    /// Creates the release pipeline on the forge (once: its id is journaled
    /// before it is followed) and plays its manual release job.
    ForgePipeline(ForgePipelineStep),
    /// Plays a manual job of the release step's pipeline (or of its
    /// downstream pipeline) and follows it to its end.
    ForgeJob(ForgeJobStep),
    /// Polls production until it reports the release and is healthy.
    VerifyHttp(Verify),
    /// Polls production until it reports a commit that contains every
    /// commit of `contains` (in `branch`'s history) and is healthy: a
    /// standard release may ship a newer commit than the one planned.
    VerifyContains(VerifyContains),
    /// Runs the smoke checks.
    Smoke { checks: Vec<Smoke> },
    /// Creates an annotated tag on the build's commit by compare-and-swap
    /// (the tag must not exist).
    CreateTag { tag: String, message: String },
    /// Rollback: puts production's tree on `branch` again, by compare-and-swap.
    RestoreRelease { branch: String },
    /// Waits until commits are pushed to `branch` on top of `base` (a person
    /// commits the fix there); then the plan is made again with those
    /// commits as the fixes, and the run follows it.
    WaitForFix { branch: String, base: Oid },
    /// Opens the review request of a branch on the forge (a GitLab merge
    /// request, a GitHub pull request), or adopts the one open for the same
    /// branches: never a second one.
    ReviewRequest(NewMergeRequest),
    /// Creates the forge's release of a tag, or adopts the tag's release.
    ForgeRelease(NewRelease),
    // Backport (issue 14).
    /// Backports the run's fixes to the `to` branches once production has
    /// them: a branch and request per target, or word that it has the fix.
    Backport(crate::config::Backport),
    // merge-main (issue 14).
    /// Finds `branch`'s newest pipeline for `commit` on the forge and
    /// journals it, for the deploy and migration jobs to be played in; a
    /// failed or canceled pipeline stops the run.
    MainPipeline { branch: String, commit: Oid },
    /// A step the run planned whose parameters this clone cannot give (a
    /// format-0 run whose configuration lacks `key`): it fails when reached.
    Unconfigured { key: String },
}

impl Action {
    /// Returns the kind's name, as the JSON record has it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::RecordProduction => "record-production",
            Action::Lock { .. } => "lock",
            Action::Build => "build",
            Action::Push(_) => "push",
            Action::VerifyRelease { .. } => "verify-release",
            Action::Approvals(_) => "approvals",
            Action::Command(_) => "command",
            Action::ForgePipeline(_) => "forge-pipeline",
            Action::ForgeJob(_) => "forge-job",
            Action::VerifyHttp(_) => "verify-http",
            Action::VerifyContains(_) => "verify-contains",
            Action::Smoke { .. } => "smoke",
            Action::CreateTag { .. } => "create-tag",
            Action::RestoreRelease { .. } => "restore-release",
            Action::WaitForFix { .. } => "wait-for-fix",
            Action::ReviewRequest(_) => "review-request",
            Action::ForgeRelease(_) => "forge-release",
            Action::Backport(_) => "backport",
            Action::MainPipeline { .. } => "main-pipeline",
            Action::Unconfigured { .. } => "unconfigured",
        }
    }
}

/// What [`Action::VerifyContains`] polls, and the commits production must contain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyContains {
    pub verify: Verify,
    /// The fixes: the commit production reports must contain each.
    pub contains: Vec<Oid>,
    /// The branch fetched to know the commit production reports.
    pub branch: String,
}

/// A ref moved by compare-and-swap: `name` goes from `expected` (`None`:
/// it must not exist) to `new`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefMove {
    pub name: String,
    pub expected: Option<Oid>,
    pub new: Oid,
}

/// A team command and what it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandStep {
    pub command: String,
    #[serde(
        deserialize_with = "crate::config::duration::deserialize",
        serialize_with = "crate::config::duration::serialize"
    )]
    pub timeout: std::time::Duration,
    /// True when the command changes production (a release job, a deploy):
    /// it starts only once its start is on the remote journal, and never
    /// twice without a decision.
    pub changes_production: bool,
    /// The release job it triggers, with the actions it must never be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_job: Option<ReleaseJob>,
    /// Variables the command gets beside the run's `HOTFIX_*` facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
}

/// The release pipeline a forge creates, and the manual job played in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgePipelineStep {
    pub request: PipelineRequest,
    /// The manual job to play (`release <service>`); `None`: the pipeline
    /// is the release job (seed 001's guided inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub forbidden_actions: Vec<String>,
    pub wait: JobWait,
}

/// A manual job of another step's pipeline, played and followed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeJobStep {
    pub job: String,
    /// The step whose journaled pipeline holds the job.
    pub pipeline_of: StepName,
    /// True when the job is in the pipeline a bridge of that one triggered.
    pub downstream: bool,
    pub forbidden_actions: Vec<String>,
    pub wait: JobWait,
}

/// How long a forge job is waited for, and how often it is polled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobWait {
    /// The whole job, from the moment it starts.
    #[serde(
        deserialize_with = "crate::config::duration::deserialize",
        serialize_with = "crate::config::duration::serialize"
    )]
    pub timeout: std::time::Duration,
    #[serde(
        deserialize_with = "crate::config::duration::deserialize",
        serialize_with = "crate::config::duration::serialize"
    )]
    pub poll_interval: std::time::Duration,
    /// How long the job may wait to start.
    #[serde(
        deserialize_with = "crate::config::duration::deserialize",
        serialize_with = "crate::config::duration::serialize"
    )]
    pub start_timeout: std::time::Duration,
}

impl JobWait {
    fn of(
        timeout: std::time::Duration,
        poll_interval: std::time::Duration,
        start_timeout: std::time::Duration,
    ) -> JobWait {
        JobWait {
            timeout,
            poll_interval,
            start_timeout,
        }
    }
}

impl ForgePipelineStep {
    /// Returns the input value or job that is a forbidden action, with the
    /// entry it matches.
    pub fn forbidden(&self) -> Option<(String, &str)> {
        let mut candidates: Vec<String> = self.job.iter().cloned().collect();
        candidates.extend(self.request.inputs.values().map(ToString::to_string));
        candidates
            .into_iter()
            .find_map(|c| crate::config::forbidden_action(&c, &self.forbidden_actions).map(|f| (c, f)))
    }
}

/// The release job a command triggers (seed 001's guided invocation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseJob {
    pub action: String,
    #[serde(default)]
    pub project: Option<String>,
    pub confirm: bool,
    pub forbidden_actions: Vec<String>,
}

impl ReleaseJob {
    /// Returns the forbidden action this job is, if any.
    pub fn forbidden(&self) -> Option<&str> {
        crate::config::forbidden_action(&self.action, &self.forbidden_actions)
    }
}

impl CommandStep {
    /// Returns the step that triggers `[release]`'s job.
    pub fn release_job(release: &ReleaseAction) -> CommandStep {
        CommandStep {
            command: release.command.clone(),
            timeout: release.timeout,
            changes_production: true,
            release_job: Some(ReleaseJob {
                action: release.action.clone(),
                project: release.project.clone(),
                confirm: release.confirm,
                forbidden_actions: release.forbidden_actions.clone(),
            }),
            env: vec![
                ("HOTFIX_ACTION".into(), release.action.clone()),
                ("HOTFIX_PROJECT".into(), release.project.clone().unwrap_or_default()),
                ("HOTFIX_CONFIRM".into(), release.confirm.to_string()),
            ],
        }
    }

    /// Returns the step that runs `[deploy]`'s command.
    pub fn deploy(deploy: &Deploy) -> CommandStep {
        CommandStep {
            command: deploy.command.clone(),
            timeout: deploy.timeout,
            changes_production: true,
            release_job: None,
            env: Vec::new(),
        }
    }
}

/// The steps of a run: the hotfix's, then the rollback's (frozen with the
/// plan, so the way back is known before release moves).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Steps {
    pub hotfix: Vec<Step>,
    pub rollback: Vec<Step>,
    /// Format 0 kept only the names of the hotfix's steps; the reader of
    /// that format ([`super::v0`]) gives them their parameters.
    #[serde(skip)]
    pub v0_names: Vec<StepName>,
}

impl<'de> Deserialize<'de> for Steps {
    /// Reads the steps of any format: a list of names (format 0) or the
    /// steps with their parameters.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Steps, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Names(Vec<StepName>),
            Steps {
                hotfix: Vec<Step>,
                #[serde(default)]
                rollback: Vec<Step>,
            },
        }
        Ok(match Any::deserialize(deserializer)? {
            Any::Names(v0_names) => Steps {
                v0_names,
                ..Steps::default()
            },
            Any::Steps { hotfix, rollback } => Steps {
                hotfix,
                rollback,
                v0_names: Vec::new(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_outside_are_checked() {
        assert!(StepName::new("deploy").is_ok());
        assert!(StepName::new("push-hotfix-branch").is_ok());
        for bad in ["", "Deploy", "-x", "x-", "a b", "--upload-pack=x", &"a".repeat(65)] {
            assert!(StepName::new(bad).is_err(), "{bad:?}");
            let json = serde_json::to_string(bad).expect("a string serializes");
            assert!(serde_json::from_str::<StepName>(&json).is_err(), "{bad:?}");
        }
        assert_eq!(StepName::new("deploy").expect("a name"), StepName::DEPLOY);
    }

    #[test]
    fn a_step_round_trips_with_its_parameters() {
        let step = Step::new(
            StepName::DEPLOY,
            "run the production deploy",
            Action::Command(CommandStep::deploy(&Deploy {
                command: "./deploy.sh".into(),
                timeout: std::time::Duration::from_secs(600),
                job: None,
                pipeline: None,
                poll_interval: std::time::Duration::from_secs(5),
                start_timeout: std::time::Duration::from_secs(600),
            })),
        );
        let json = serde_json::to_value(&step).expect("steps serialize");
        assert_eq!(json["action"]["kind"], "command");
        assert_eq!(json["action"]["command"], "./deploy.sh");
        assert_eq!(json["action"]["timeout"], "600s");
        let back: Step = serde_json::from_value(json).expect("and read back");
        assert_eq!(back, step);
        assert!(back.is_unrepeatable() && back.touches_production());
    }
}
