//! from-tag (seed 003), for teams that release by tagging: a hotfix branch
//! `hotfix/<product>-v<X.Y.Z+1>` from the product's production tag, the
//! fixes cherry-picked onto it (the same pick engine and checks as
//! restore-release), a PATCH-only version bump in every version file and a
//! CHANGELOG entry in one commit, the annotated tag `<product>/prod-v<version>`
//! created by compare-and-swap, the fix's way back to main, then the deploy.

pub mod bump;
pub mod changelog;
pub mod checklist;
pub mod tags;
#[cfg(test)]
mod test_repo;
pub mod version_files;

use std::collections::BTreeSet;

use crate::config::{Config, Product};
use crate::engine::WorkflowError;
use crate::git::{CommitInfo, Git, NewCommit, Oid};
use crate::pick::checks::{pick_checks, scope, scope_checks};
use crate::pick::onto::{pending_pick, pick_one, Target};
use crate::pick::RunTrailers;
use crate::providers::production::{ProductionError, ProductionReading, ProductionSha};
use crate::record::forge::{NewMergeRequest, NewRelease};
use crate::record::plan::{
    Check, CheckStatus, Pick, PickStatus, Plan, RefMove, Scope, Step, StepName, Steps, TagRelease, VersionBump, WayBack,
};
use crate::record::step::{Action, CommandStep};
use crate::strategy::{self as strategies, inputs, Inputs, PlanInput, Strategy};

pub struct FromTag;

impl FromTag {
    pub const PUSH_BRANCH: StepName = StepName::known("push-hotfix-branch");
    pub const MERGE_MAIN: StepName = StepName::known("merge-main");
    pub const PUSH_BACKPORT: StepName = StepName::known("push-backport");
    pub const TAG: StepName = StepName::known("tag");
    pub const REVIEW: StepName = StepName::known("review");
    pub const REVIEW_BACKPORT: StepName = StepName::known("review-backport");
    pub const FORGE_RELEASE: StepName = StepName::known("forge-release");
    pub const REDEPLOY: StepName = StepName::known("redeploy-production-tag");
    pub const CREATE_BRANCH: StepName = StepName::known("create-hotfix-branch");
    pub const WAIT_FOR_FIX: StepName = StepName::known("wait-for-fix");
}

impl FromTag {
    /// Returns `plan` with its checks, what it decided and its steps.
    fn completed(&self, mut plan: Plan, release: TagRelease, checks: Vec<Check>, config: &Config) -> Plan {
        plan.checks = checks;
        plan.from_tag = Some(Box::new(release));
        plan.steps = self.steps(&plan, config);
        plan
    }
}

impl Strategy for FromTag {
    fn name(&self) -> &'static str {
        "from-tag"
    }

    fn summary(&self) -> &'static str {
        "a hotfix branch from the production tag, a PATCH-only version bump and CHANGELOG entry, a production tag"
    }

    fn inputs(&self) -> Inputs {
        Inputs {
            release_branch: false,
            tags: true,
            fixes_later: true,
        }
    }

    fn evidence(&self) -> &'static [crate::strategy::evidence::EvidenceSpec] {
        checklist::EVIDENCE
    }

    fn check_config(&self, config: &Config) -> Result<(), String> {
        if config.products.is_empty() {
            return Err(
                "strategy `from-tag` needs a `[products.<name>]` table with `tag`, `version_files` and `changelog`"
                    .into(),
            );
        }
        if !config.services.is_empty() {
            return Err(
                "strategy `from-tag` releases `[products.<name>]`, each from its own tag; `[[services]]` is for \
                 restore-release and merge-main: give each service a product"
                    .into(),
            );
        }
        // Its rollback redeploys the production tag with the deploy command;
        // a forge pipeline for from-tag is not built yet.
        if config.deploy.as_ref().is_some_and(|d| d.job.is_some())
            || config.release.as_ref().is_some_and(|r| r.pipeline.is_some())
        {
            return Err(
                "strategy `from-tag` runs `[release]` and `[deploy]` as commands; forge pipelines and jobs are \
                 for `restore-release` for now"
                    .into(),
            );
        }
        Ok(())
    }

    fn plan(&self, input: &PlanInput<'_>) -> Result<Plan, WorkflowError> {
        let git = input.git;
        let product = product(input.config, input.product.as_deref())?;
        let given = production_tag_given(git, product, input)?;
        let hv = tags::hotfix_version(git, product, given.as_deref()).map_err(|e| blocked(e.to_string()))?;
        let base = git.commit(&hv.production.commit)?;
        let production_commit = base.id.clone();
        let version = hv.next.version.clone();
        let tag = product.tag.tag_for(&version);
        let branch = product.hotfix_branch(&version);
        let production = production_sha(input, &hv.production);
        let trailers = RunTrailers {
            run_id: &input.run_id,
            production: &production_commit,
        };

        let mut checks = vec![Check::new(
            "production-tag",
            CheckStatus::Pass,
            format!(
                "production runs {} ({}, {})",
                hv.production.name,
                hv.production.version,
                production_commit.short()
            ),
        )];
        checks.push(inputs::sources_agree(&production, input.production_override.as_deref()));
        checks.push(version_check(&hv.production.version, &hv.next));
        let mut release = TagRelease {
            product: product.name.clone(),
            production_tag: hv.production.name.clone(),
            production_version: hv.production.version.to_string(),
            version: version.to_string(),
            tag: tag.clone(),
            branch: branch.clone(),
            skipped: hv.next.skipped.clone(),
            build: hv.build.as_ref().map(|b| b.build),
            version_commit: production_commit.clone(),
            version_files: Vec::new(),
            changelog: product.changelog.clone(),
            way_back: None,
            awaiting_fix: input.fixes.is_empty(),
            branch_tip: input.branch_tip.clone(),
            older_line: hv.tags.iter().any(|t| t.version.pre.is_empty() && t.version > version),
        };
        // What the branch holds before any fix: the tag's commit.
        let mut plan = Plan {
            strategy: self.name().to_string(),
            remote: input.config.remote.clone(),
            release_branch: branch.clone(),
            main_branch: input.config.branches.main.clone(),
            release_tip: production_commit.clone(),
            main_tip: input.main_tip.clone(),
            production,
            production_tree: base.tree.clone(),
            restore: None,
            picks: Vec::new(),
            release_tree: base.tree.clone(),
            new_tip: production_commit.clone(),
            extra_commits: Vec::new(),
            scope: Scope::default(),
            checks: Vec::new(),
            steps: Steps::default(),
            from_tag: None,
            merge_main: None,
            services: Vec::new(),
            trunk: None,
        };
        if release.awaiting_fix {
            checks.push(tag_free_check(git, &tag)?);
            checks.push(Check::new(
                "fix-awaited",
                CheckStatus::Pass,
                format!(
                    "no --fix: start pushes {branch} at {} and waits for the fix to be committed there",
                    hv.production.name
                ),
            ));
            return Ok(self.completed(plan, release, checks, input.config));
        }
        let (picks, onto, onto_tree, pick_checks) = pick_all(git, input, &base, &trailers)?;
        if let Some(tip) = &input.branch_tip {
            if onto != *tip {
                checks.push(Check::new(
                    "fixes-on-branch",
                    CheckStatus::Block,
                    format!(
                        "the commits on {branch} do not sit on {} as one line up to its tip {}: push them as commits on top of the tag",
                        hv.production.name,
                        tip.short()
                    ),
                ));
            }
        }
        checks.extend(pick_checks);
        let conflicted = picks.iter().any(|p| p.status == PickStatus::Conflict);
        if !picks.iter().any(|p| p.status.is_applied()) && !conflicted {
            checks.push(Check::new(
                "something-to-release",
                CheckStatus::Block,
                "every fix is already in the production tag; there is nothing to hotfix",
            ));
        }

        let summary = summary(&picks);
        let date = crate::ambient::format_utc(input.operator.time);
        let date = date.get(..10).unwrap_or(&date);
        let bumped = bump::bump(
            git,
            &bump::BumpRequest {
                product,
                base: &onto,
                tag_commit: &production_commit,
                production: &hv.production.version,
                version: &version,
                build: hv.build.as_ref().map(|b| b.build),
                date,
                summary: &summary,
            },
        );
        let (version_commit, bumped) = match bumped {
            Ok(bumped) => {
                let commit = write_version_commit(git, input, &onto, &bumped.tree, &version, &tag, &trailers)?;
                (commit, Some(bumped))
            }
            Err(e) => {
                checks.push(Check::new("version-bump", CheckStatus::Block, e.to_string()));
                (onto.clone(), None)
            }
        };
        let version_files: Vec<VersionBump> = bumped.iter().flat_map(|b| &b.files).map(file_bump).collect();
        if let Some(b) = &bumped {
            checks.push(Check::new(
                "version-bump",
                CheckStatus::Pass,
                format!(
                    "{} -> {} in {} (PATCH only){}",
                    hv.production.version,
                    version,
                    plan_paths(&version_files),
                    b.changelog
                        .as_ref()
                        .map_or(String::new(), |c| format!("; CHANGELOG entry in {c}"))
                ),
            ));
        }
        if let Some(build) = &hv.build {
            checks.push(Check::new(
                "build-number",
                CheckStatus::Pass,
                format!(
                    "build +{}: above +{}, the highest of any tag ({} in {})",
                    build.build, build.highest, build.path, build.tag
                ),
            ));
        }
        checks.push(tag_free_check(git, &tag)?);
        let release_tree = git.commit(&version_commit).map(|c| c.tree).unwrap_or(onto_tree);
        let allowed: BTreeSet<String> = picks
            .iter()
            .filter(|p| p.status.is_applied())
            .flat_map(|p| p.touched.iter().chain(&p.placed).cloned())
            .chain(version_files.iter().map(|f| f.path.clone()))
            .chain(bumped.as_ref().and_then(|b| b.changelog.clone()))
            .collect();
        let changed = git.changed_paths(&production_commit, &version_commit)?;
        let extra: Vec<&String> = changed.iter().filter(|p| !allowed.contains(*p)).collect();
        checks.push(if extra.is_empty() {
            Check::new(
                "tag-is-production-plus-fixes",
                CheckStatus::Pass,
                format!(
                    "{tag} differs from {} only in the fixes' paths, the version files and the CHANGELOG ({} path(s))",
                    hv.production.name,
                    changed.len()
                ),
            )
        } else {
            Check::new(
                "tag-is-production-plus-fixes",
                CheckStatus::Block,
                format!(
                    "the hotfix also changes paths no fix touches: {}",
                    crate::record::plan::list_paths(&extra)
                ),
            )
        });
        let way_back = way_back(git, input, &picks, &version_commit, &trailers, &mut checks)?;
        if let (Some(WayBack::FastForward { .. }), Some(b)) = (&way_back, &bumped) {
            let main_versions = bump::versions_at(git, &input.main_tip, product).unwrap_or_default();
            for d in bump::downgrades(&main_versions, b) {
                checks.push(Check::new(
                    "main-not-downgraded",
                    CheckStatus::Block,
                    format!("merging would lower {} on main from {} to {}", d.path, d.main, d.hotfix),
                ));
            }
        }
        let scope = scope(git, &base.tree, &release_tree, input.config.migration_paths())?;
        checks.extend(scope_checks(&scope, picks.len(), &input.config.checks));

        plan.extra_commits = bumped.as_ref().map(|_| version_commit.clone()).into_iter().collect();
        plan.picks = picks;
        plan.release_tree = release_tree;
        plan.new_tip = version_commit.clone();
        plan.scope = scope;
        release.version_commit = version_commit;
        release.version_files = version_files;
        release.changelog = bumped.and_then(|b| b.changelog);
        release.way_back = way_back;
        Ok(self.completed(plan, release, checks, input.config))
    }

    /// Record production, lock the hotfix branch, build, push the branch
    /// (it must not exist), prove it, approvals, the tag (it must not exist:
    /// it claims the version before anything else moves), the way back to
    /// main, then the deploy (with `HOTFIX_TAG` and `HOTFIX_VERSION`) and its
    /// checks. The rollback deploys the production tag again.
    /// Reads the production tag the plan names from the remote: the tag is
    /// the production input (a tag moved or forged in the record shows here).
    fn read_production_again(
        &self,
        git: &Git,
        config: &Config,
        plan: &Plan,
    ) -> Result<Vec<ProductionReading>, ProductionError> {
        let Some(release) = plan.from_tag.as_deref() else {
            return Ok(Vec::new());
        };
        let tag = &release.production_tag;
        let source_name = format!("tag {tag} on {}", config.remote);
        // The record names the tag: it must be one of the product's tags as
        // the trusted configuration spells them, not any tag of the remote.
        let pattern = config.products.get(&release.product).map(|p| &p.tag);
        if pattern.is_none_or(|p| p.version_of(tag).is_none()) {
            return Err(ProductionError::NothingFound {
                source_name,
                detail: match pattern {
                    Some(p) => format!("the tag is not one of product {}'s tags ({p})", release.product),
                    None => format!("hotfix.toml has no product {}", release.product),
                },
            });
        }
        let name = format!("refs/tags/{tag}");
        let peeled = format!("{name}^{{}}");
        let found = git.ls_remote(&config.remote, &[&name, &peeled])?;
        // An annotated tag's commit is its peeled line; a lightweight tag has only one line.
        let commit = [&peeled, &name]
            .into_iter()
            .find_map(|n| found.iter().find(|(f, _)| f == n))
            .map(|(_, commit)| commit.clone())
            .ok_or_else(|| ProductionError::NothingFound {
                source_name: source_name.clone(),
                detail: "the remote has no such tag".into(),
            })?;
        Ok(vec![ProductionReading {
            source: source_name,
            said: tag.clone(),
            commit,
        }])
    }

    fn steps(&self, plan: &Plan, config: &Config) -> Steps {
        let Some(release) = plan.from_tag.as_deref() else {
            return Steps::default();
        };
        if release.awaiting_fix {
            let create = RefMove {
                name: format!("refs/heads/{}", release.branch),
                expected: None,
                new: plan.new_tip.clone(),
            };
            let hotfix = vec![
                Step::record_production(),
                Step::lock(&release.branch),
                Step::new(
                    Self::CREATE_BRANCH,
                    format!(
                        "create {} at {} (it must not exist)",
                        release.branch, release.production_tag
                    ),
                    Action::Push(create),
                ),
                Step::new(
                    Self::WAIT_FOR_FIX,
                    format!("wait for the fix to be committed on {}", release.branch),
                    Action::WaitForFix {
                        branch: release.branch.clone(),
                        base: plan.new_tip.clone(),
                    },
                ),
            ];
            return Steps {
                hotfix,
                rollback: Vec::new(),
                v0_names: Vec::new(),
            };
        }
        let push = RefMove {
            name: format!("refs/heads/{}", release.branch),
            expected: release.branch_tip.clone(),
            new: plan.new_tip.clone(),
        };
        let also: Vec<String> = release
            .version_files
            .iter()
            .map(|f| f.path.clone())
            .chain(release.changelog.clone())
            .collect();
        let mut hotfix = vec![
            Step::record_production(),
            Step::lock(&release.branch),
            Step::build(),
            Step::new(
                Self::PUSH_BRANCH,
                match &release.branch_tip {
                    None => format!("push {} (it must not exist)", release.branch),
                    Some(tip) => format!("push the version commit onto {} (at {})", release.branch, tip.short()),
                },
                Action::Push(push),
            ),
        ];
        let forge = config.forge.is_some();
        if forge {
            hotfix.push(Step::new(
                Self::REVIEW,
                format!(
                    "open the review request of {} into {} on the forge",
                    release.branch, plan.main_branch
                ),
                Action::ReviewRequest(review_request(plan, release, config, &release.branch)),
            ));
        }
        hotfix.push(Step::verify_release(&release.branch, also));
        if !config.approvals.roles.is_empty() {
            hotfix.push(Step::approvals(&config.approvals));
        }
        hotfix.push(Step::new(
            Self::TAG,
            format!("create the annotated tag {} (it must not exist)", release.tag),
            Action::CreateTag {
                tag: release.tag.clone(),
                message: format!("HOTFIX: {}", summary(&plan.picks)),
            },
        ));
        if forge {
            hotfix.push(Step::new(
                Self::FORGE_RELEASE,
                format!(
                    "create the forge's release of {}{}",
                    release.tag,
                    if release.older_line {
                        " (not marked latest: a higher version is tagged)"
                    } else {
                        ""
                    }
                ),
                Action::ForgeRelease(forge_release(plan, release)),
            ));
        }
        hotfix.extend(way_back_step(plan, release.way_back.as_ref()));
        if let (true, Some(WayBack::Backport { branch, .. })) = (forge, &release.way_back) {
            let name = branch.name.trim_start_matches("refs/heads/");
            hotfix.push(Step::new(
                Self::REVIEW_BACKPORT,
                format!(
                    "open the review request of {name} into {} on the forge",
                    plan.main_branch
                ),
                Action::ReviewRequest(review_request(plan, release, config, name)),
            ));
        }
        let tagged = |tag: &str, version: &str| {
            vec![
                ("HOTFIX_TAG".to_string(), tag.to_string()),
                ("HOTFIX_VERSION".to_string(), version.to_string()),
                ("HOTFIX_PRODUCT".to_string(), release.product.clone()),
            ]
        };
        let production = strategies::production_steps(config);
        for step in &production {
            let mut step = step.clone();
            if let Action::Command(c) = &mut step.action {
                c.env.extend(tagged(&release.tag, &release.version));
            }
            hotfix.push(step);
        }
        let redeploy = config.deploy.as_ref().map(|deploy| {
            let mut command = CommandStep::deploy(deploy);
            command.env = tagged(&release.production_tag, &release.production_version);
            Step::new(
                Self::REDEPLOY,
                format!("deploy {} again, the tag production ran", release.production_tag),
                Action::Command(command),
            )
        });
        strategies::with_redeploy_rollback(config, hotfix, redeploy, production)
    }
}

/// Returns the product the run is for: the one named, or the only one.
fn product<'a>(config: &'a Config, name: Option<&str>) -> Result<&'a Product, WorkflowError> {
    let names = || config.products.keys().cloned().collect::<Vec<_>>().join(", ");
    match name {
        Some(name) => config.products.get(name).ok_or_else(|| WorkflowError::UnknownProduct {
            name: Some(name.to_string()),
            products: names(),
        }),
        None if config.products.len() == 1 => Ok(config.products.values().next().expect("one product")),
        None => Err(WorkflowError::UnknownProduct {
            name: None,
            products: names(),
        }),
    }
}

fn blocked(reason: String) -> WorkflowError {
    WorkflowError::NoProductionTag { reason }
}

/// Returns the production tag the operator or the production sources name,
/// if any: `--production <tag>`, or the product's highest tag on the
/// commit the sources read.
fn production_tag_given(git: &Git, product: &Product, input: &PlanInput<'_>) -> Result<Option<String>, WorkflowError> {
    if let Some(given) = &input.production_given {
        let name = given.strip_prefix("refs/tags/").unwrap_or(given);
        if product.tag.version_of(name).is_some() {
            return Ok(Some(name.to_string()));
        }
    }
    let Some(read) = &input.production else {
        return Ok(None);
    };
    let tags = tags::product_tags(git, product).map_err(|e| blocked(e.to_string()))?;
    let on_commit = tags
        .iter()
        .filter(|t| t.commit == read.commit && t.version.pre.is_empty())
        .max_by(|a, b| a.version.cmp(&b.version));
    match on_commit {
        Some(tag) => Ok(Some(tag.name.clone())),
        None => Err(blocked(format!(
            "production runs {} ({}), which no tag of product `{}` ({}) names; pass --production <tag>",
            read.commit.short(),
            read.sources(),
            product.name,
            product.tag
        ))),
    }
}

/// Returns how production was established: the sources' readings, with the
/// tag's own.
fn production_sha(input: &PlanInput<'_>, tag: &tags::ProductTag) -> ProductionSha {
    let mut readings = input
        .production
        .as_ref()
        .map(|p| p.readings.clone())
        .unwrap_or_default();
    readings.push(ProductionReading {
        source: format!("tag {}", tag.name),
        said: tag.name.clone(),
        commit: tag.commit.clone(),
    });
    ProductionSha {
        commit: tag.commit.clone(),
        readings,
        unread: input.production.as_ref().map(|p| p.unread.clone()).unwrap_or_default(),
    }
}

fn version_check(production: &semver::Version, next: &tags::NextVersion) -> Check {
    match &next.skipped {
        None => Check::new(
            "version",
            CheckStatus::Pass,
            format!("{production} -> {} (PATCH + 1)", next.version),
        ),
        Some(why) => Check::new(
            "version",
            CheckStatus::Warn,
            format!("{production} -> {}: {why}", next.version),
        ),
    }
}

/// Picks every fix onto the production tag's commit, each onto the one
/// before, with restore-release's checks.
pub(crate) fn pick_all(
    git: &Git,
    input: &PlanInput<'_>,
    base: &CommitInfo,
    trailers: &RunTrailers<'_>,
) -> Result<(Vec<Pick>, Oid, Oid, Vec<Check>), WorkflowError> {
    let mut checks = Vec::new();
    let mut onto = base.id.clone();
    let mut onto_tree = base.tree.clone();
    let mut picks = Vec::new();
    let mut stopped = false;
    for fix in &input.fixes {
        checks.push(on_main_check(git, input, fix)?);
        if stopped {
            picks.push(pending_pick(git, fix, input.mainline, &onto_tree)?);
            continue;
        }
        let target = Target {
            commit: &onto,
            tree: &onto_tree,
        };
        let mut pick = pick_one(git, &input.pick_run(), &base.id, &target, fix, trailers)?;
        // A fix made right on the tag (on the hotfix branch, as seed 003
        // does it) is taken as it is, so main can fast-forward to it.
        if pick.status == PickStatus::Clean && fix.parents == [onto.clone()] && pick.tree == fix.tree {
            pick.commit = Some(fix.id.clone());
        }
        checks.extend(pick_checks(&pick, input.allow_dependency.as_deref()));
        if let Some(c) = &pick.commit {
            onto = c.clone();
            onto_tree = pick.tree.clone();
        }
        stopped = pick.status == PickStatus::Conflict;
        picks.push(pick);
    }
    Ok((picks, onto, onto_tree, checks))
}

/// Says whether the fix is on main already; one that is not reaches main
/// by the way back (seed 003 makes the fix on the hotfix branch).
fn on_main_check(git: &Git, input: &PlanInput<'_>, fix: &CommitInfo) -> Result<Check, WorkflowError> {
    let main = &input.config.branches.main;
    let label = format!("{} {}", fix.id.short(), crate::record::plan::shorten(fix.subject(), 80));
    Ok(if git.is_ancestor(&fix.id, &input.main_tip)? {
        Check::new("fix-on-main", CheckStatus::Pass, format!("{label} is on {main}"))
    } else {
        Check::new(
            "fix-on-main",
            CheckStatus::Pass,
            format!("{label} is not on {main} yet: the way back brings it there"),
        )
    })
}

/// Returns the hotfix's one-line summary: its fixes' subjects.
/// Returns seed 003 step 6's review request of `branch` into main:
/// `HOTFIX: <summary>`, the fixes, the production tag and the version.
fn review_request(plan: &Plan, release: &TagRelease, config: &Config, branch: &str) -> NewMergeRequest {
    let options = config.merge_requests.clone().unwrap_or_default();
    NewMergeRequest {
        title: format!("HOTFIX: {}", summary(&plan.picks)),
        description: release_notes(plan, release),
        source_branch: branch.to_string(),
        target_branch: plan.main_branch.clone(),
        labels: options.labels,
        draft: options.draft,
        remove_source_branch: options.remove_source_branch,
    }
}

/// Returns the forge's release of the hotfix's tag.
fn forge_release(plan: &Plan, release: &TagRelease) -> NewRelease {
    NewRelease {
        tag: release.tag.clone(),
        name: format!("{} {}", release.product, release.version),
        description: release_notes(plan, release),
        latest: !release.older_line,
    }
}

/// Returns what a review request and a release say of the hotfix.
fn release_notes(plan: &Plan, release: &TagRelease) -> String {
    let fixes: String = plan
        .applied_picks()
        .map(|p| format!("- {} {}\n", p.fix.short(), p.subject))
        .collect();
    format!(
        "**URGENT PRODUCTION FIX**\n\nProduct: {}\nVersion: {} (production runs {}, {})\nProduction tag: {}\n\nFixes:\n{}",
        release.product, release.version, release.production_tag, release.production_version, release.tag, fixes
    )
}

pub(crate) fn summary(picks: &[Pick]) -> String {
    let subjects: Vec<&str> = picks.iter().map(|p| p.subject.as_str()).collect();
    let text = if subjects.is_empty() {
        "production hotfix".to_string()
    } else {
        subjects.join("; ")
    };
    crate::record::plan::shorten(&text, 200)
}

fn file_bump(f: &bump::FileBump) -> VersionBump {
    VersionBump {
        path: f.path.clone(),
        from: f.from.to_string(),
        to: f.to.to_string(),
    }
}

fn plan_paths(files: &[VersionBump]) -> String {
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    crate::record::plan::list_paths(&paths)
}

/// Writes the version commit on `onto`: the bumped tree, the operator as
/// author and committer, the run's trailers.
fn write_version_commit(
    git: &Git,
    input: &PlanInput<'_>,
    onto: &Oid,
    tree: &Oid,
    version: &semver::Version,
    tag: &str,
    trailers: &RunTrailers<'_>,
) -> Result<Oid, WorkflowError> {
    let message = format!(
        "chore(release): {version} (hotfix)\n\nVersion files and CHANGELOG for {tag}.\n\n{}",
        trailers.lines()
    );
    Ok(git.commit_tree(&NewCommit {
        tree,
        parents: std::slice::from_ref(onto),
        author: &input.operator,
        committer: &input.operator,
        message: &message,
        sign: false,
    })?)
}

/// Blocks when the hotfix's tag already exists here (the tags were just
/// fetched): the version is taken.
pub(crate) fn tag_free_check(git: &Git, tag: &str) -> Result<Check, WorkflowError> {
    Ok(match git.read_ref(&format!("refs/tags/{tag}"))? {
        None => Check::new("tag-free", CheckStatus::Pass, format!("{tag} does not exist yet")),
        Some(found) => Check::new(
            "tag-free",
            CheckStatus::Block,
            format!("{tag} already exists (at {}); nothing would be tagged", found.short()),
        ),
    })
}

/// Returns how the fix reaches main: main fast-forwards when it has not
/// moved past the tag; otherwise the fixes (not the version bump) are picked
/// onto main, on a backport branch. A pick that conflicts on main leaves the
/// way back to a person, and the plan says so.
/// Returns the step that brings the fixes to main the way `way_back` says:
/// main fast-forwarded to the hotfix, or the backport branch pushed for
/// review; none when main has them or a person brings them.
pub(crate) fn way_back_step(plan: &Plan, way_back: Option<&WayBack>) -> Option<Step> {
    match way_back? {
        WayBack::FastForward { main } => Some(Step::new(
            FromTag::MERGE_MAIN,
            format!("fast-forward {} to the hotfix (merge --ff-only)", plan.main_branch),
            Action::Push(main.clone()),
        )),
        WayBack::Backport { branch, .. } => Some(Step::new(
            FromTag::PUSH_BACKPORT,
            format!(
                "push {}: the fixes picked onto {}, for review",
                branch.name.trim_start_matches("refs/heads/"),
                plan.main_branch
            ),
            Action::Push(branch.clone()),
        )),
        WayBack::OnMain | WayBack::ByHand { .. } => None,
    }
}

pub(crate) fn way_back(
    git: &Git,
    input: &PlanInput<'_>,
    picks: &[Pick],
    version_commit: &Oid,
    trailers: &RunTrailers<'_>,
    checks: &mut Vec<Check>,
) -> Result<Option<WayBack>, WorkflowError> {
    let main_branch = &input.config.branches.main;
    let main = &input.main_tip;
    if git.is_ancestor(main, version_commit)? {
        checks.push(Check::new(
            "way-back",
            CheckStatus::Pass,
            format!(
                "{main_branch} ({}) has not moved past the tag: it fast-forwards to the hotfix",
                main.short()
            ),
        ));
        return Ok(Some(WayBack::FastForward {
            main: RefMove {
                name: format!("refs/heads/{main_branch}"),
                expected: Some(main.clone()),
                new: version_commit.clone(),
            },
        }));
    }
    let main_commit = git.commit(main)?;
    let mut onto = main_commit.id.clone();
    let mut onto_tree = main_commit.tree.clone();
    let mut commits = Vec::new();
    for pick in picks.iter().filter(|p| p.status.is_applied()) {
        let fix = git.commit(&pick.fix)?;
        let target = Target {
            commit: &onto,
            tree: &onto_tree,
        };
        let onto_main = pick_one(git, &input.pick_run(), &input.main_tip, &target, &fix, trailers)?;
        match onto_main.status {
            PickStatus::Clean => {
                onto = onto_main.commit.clone().unwrap_or(onto);
                onto_tree = onto_main.tree.clone();
                commits.push(onto.clone());
            }
            PickStatus::AlreadyApplied => {}
            _ => {
                checks.push(Check::new(
                    "way-back",
                    CheckStatus::Warn,
                    format!(
                        "{main_branch} moved past the tag and {} conflicts there in {}: bring the fix to {main_branch} by hand",
                        fix.id.short(),
                        crate::record::plan::list_paths(&onto_main.conflicts)
                    ),
                ));
                return Ok(Some(WayBack::ByHand {
                    fix: fix.id.clone(),
                    conflicts: onto_main.conflicts.clone(),
                }));
            }
        }
    }
    if commits.is_empty() {
        checks.push(Check::new(
            "way-back",
            CheckStatus::Pass,
            format!("{main_branch} already has every fix"),
        ));
        return Ok(Some(WayBack::OnMain));
    }
    let first = picks
        .iter()
        .find(|p| p.status.is_applied())
        .map_or("fix", |p| p.fix.short());
    let branch = format!("backport/{main_branch}-{first}");
    checks.push(Check::new(
        "way-back",
        CheckStatus::Pass,
        format!(
            "{main_branch} moved past the tag: {} fix commit(s) picked onto {} go to {branch} (its version files stay as they are)",
            commits.len(),
            main.short()
        ),
    ));
    Ok(Some(WayBack::Backport {
        branch: RefMove {
            name: format!("refs/heads/{branch}"),
            expected: None,
            new: onto,
        },
        commits,
    }))
}
