//! The `plan` operation: fetches what a hotfix needs and computes its plan.

use crate::git::{tracking_ref, Git, Oid};
use crate::providers::production::{self, ProductionError};
use crate::record::plan::{CommitPipeline, MergedRequest, Plan};
use crate::strategy::restore_release::read_fixes;
use crate::strategy::{self, PlanInput};
use crate::Error;

use super::run::{fetch_branches, fetch_release_main_and_journals, fetch_with_journals};
use super::Session;

/// What the operator asked to hotfix.
#[derive(Clone, Debug, Default)]
pub struct HotfixRequest {
    /// Fix revisions as given (`abc123`, `origin/main~2`).
    pub fixes: Vec<String>,
    /// Overrides the configured production sources (a from-tag run takes a tag).
    pub production: Option<String>,
    /// `--product`: the product of `[products]` a from-tag run is for.
    pub product: Option<String>,
    /// Parent to pick merge commits against (1 unless given).
    pub mainline: Option<u32>,
    /// Go on although a fix depends on unreleased work: the escalated
    /// decision's reason, recorded in the journal and the report.
    pub allow_dependency: Option<String>,
    /// Go on with a production commit the sources contradict or release
    /// never held: the reason, recorded in the journal and the report.
    pub production_override: Option<String>,
    /// merge-main: go on although main's commit that holds the fix ships
    /// other commits too (the plan lists them).
    pub allow_extra: bool,
    /// `--service`: the `[[services]]` to ship (else those the fixes touch).
    pub services: Vec<String>,
    /// The release branch whose services this run ships, when the hotfix's
    /// services are deployed from several (each branch is a run of its own).
    pub release_branch: Option<String>,
}

/// Fetches what the plan needs and computes it; moves no ref but the
/// remote-tracking refs of the release and main branches, and this clone's
/// copies of the remote's runs and locks (fetched with them).
pub fn prepare(session: &Session, request: &HotfixRequest, run_id: &str) -> Result<Plan, Error> {
    session.require_config()?;
    let git = &session.git;
    let cfg = &session.config;
    if !cfg.approvals.roles.is_empty() && cfg.approvals.verify == crate::config::ApprovalCheck::Signature {
        // Approvals nobody could verify would hold the run at its gate for good.
        crate::engine::approvals::allowed_signers(git, &cfg.approvals)?;
    }
    if !git.remote_exists(&cfg.remote)? {
        return Err(Error::MissingRemote {
            remote: cfg.remote.clone(),
        });
    }
    let strategy = strategy::find(&cfg.strategy).expect("the strategy name was validated when the config was read");
    let needs = strategy.inputs();
    if request.fixes.is_empty() && !needs.fixes_later {
        return Err(Error::NoFix);
    }
    if !request.services.is_empty() && cfg.services.is_empty() {
        return Err(Error::UnknownService(strategy::services::UnknownService {
            name: request.services[0].clone(),
            known: "none (hotfix.toml has no [[services]])".into(),
        }));
    }
    // Which services ship is known once the fixes are: fetch main (and the
    // configured release branch) first.
    // The remote's runs and locks come in the same fetch: `start` reads them.
    if needs.release_branch {
        fetch_release_main_and_journals(session)?;
    } else {
        fetch_with_journals(session, &[("branches.main", &cfg.branches.main)])?;
    }
    let (given, fix_requests) = merged_requests(session, &request.fixes)?;
    let fixes = read_fixes(git, &expand_fixes(git, &given)?)?;
    let mut services = strategy::services::select(cfg, &request.services, &touched_by(git, &fixes, request.mainline)?)
        .map_err(Error::UnknownService)?;
    // The run ships the services of one release branch: the one asked for,
    // else the first shipped service's.
    let branch = request
        .release_branch
        .clone()
        .or_else(|| strategy::services::branches(&services).into_iter().next())
        .unwrap_or_else(|| cfg.branches.release.clone());
    strategy::services::on_branch(&mut services, &branch);
    let mut run_cfg = cfg.clone();
    run_cfg.branches.release = branch.clone();
    let cfg = &run_cfg;
    if needs.release_branch && branch != session.config.branches.release {
        fetch_branches(session, &[("release_branch", &branch)])?;
    }
    let shipped: Vec<String> = services.iter().filter(|t| t.ships).map(|t| t.name.clone()).collect();
    let sources_tag = shipped
        .iter()
        .map(|name| cfg.for_service(name).production)
        .chain(std::iter::once(cfg.production.clone()))
        .any(|p| p.tag.is_some());
    if needs.tags || (sources_tag && request.production.is_none()) {
        git.fetch_tags(&cfg.remote)?;
    }
    // Source names are URLs and commands; what they said came from outside.
    let read = |sources: &crate::config::ProductionSources| {
        production::resolve(git, sources, cfg.forge.as_ref(), request.production.as_deref())
            .map(|p| p.redacted(&session.redactor))
            .map_err(|e| e.redacted(&session.redactor))
    };
    let production = match shipped.first() {
        // Each service shipped reads its own sources (sources several share
        // are read once); the plan builds on the first's.
        Some(_) if request.production.is_none() => {
            let mut read_already: Vec<(
                crate::config::ProductionSources,
                crate::providers::production::ProductionSha,
            )> = Vec::new();
            for target in services.iter_mut().filter(|t| t.ships) {
                let sources = cfg.for_service(&target.name).production;
                let reading = match read_already.iter().find(|(s, _)| *s == sources) {
                    Some((_, reading)) => reading.clone(),
                    None => {
                        let reading = read(&sources)?;
                        read_already.push((sources, reading.clone()));
                        reading
                    }
                };
                target.production = Some(reading);
            }
            services.iter().find_map(|t| t.production.clone())
        }
        _ => match read(&cfg.production) {
            Ok(p) => Some(p),
            // A tagging strategy finds production among its tags when no source says.
            Err(ProductionError::NoSource) if !needs.release_branch => None,
            Err(e) => return Err(e.into()),
        },
    };
    let main_ref = tracking_ref(&cfg.remote, &cfg.branches.main);
    let release_ref = tracking_ref(&cfg.remote, &cfg.branches.release);
    let refs: Vec<&str> = if needs.release_branch {
        vec![&main_ref, &release_ref]
    } else {
        vec![&main_ref]
    };
    let mut resolved = git.resolve_commits(&refs)?.into_iter();
    let mut tip = |key: &'static str, branch: &str| {
        resolved.next().flatten().ok_or_else(|| Error::BranchMissing {
            key,
            name: branch.to_string(),
            remote: cfg.remote.clone(),
        })
    };
    let main_tip = tip("branches.main", &cfg.branches.main)?;
    // A tagging strategy has no release branch: its picks' unreleased work
    // is main's.
    let release_tip = if needs.release_branch {
        tip("branches.release", &cfg.branches.release)?
    } else {
        main_tip.clone()
    };
    let input = PlanInput {
        git,
        config: cfg,
        production,
        production_given: request.production.clone(),
        product: request.product.clone(),
        branch_tip: None,
        release_tip,
        main_tip,
        fixes,
        mainline: request.mainline,
        operator: session.operator()?,
        run_id: run_id.to_string(),
        resolutions: Vec::new(),
        allow_dependency: request.allow_dependency.as_deref().map(|r| session.redactor.redact(r)),
        production_override: request
            .production_override
            .as_deref()
            .map(|r| session.redactor.redact(r)),
        fix_requests,
        services,
        main_releasable: None,
    };
    let input = match &cfg.trunk {
        Some(trunk) if strategy.name() == crate::strategy::trunk::NAME => PlanInput {
            main_releasable: Some(main_releasable(session, trunk, &input.main_tip)?),
            ..input
        },
        _ => input,
    };
    Ok(strategy.plan(&input)?)
}

/// Asks `[trunk] releasable` whether main's tip is releasable: the team's
/// command (exit 0: releasable; its output's tail is kept), or main's
/// latest pipeline for the tip on the forge.
fn main_releasable(
    session: &Session,
    trunk: &crate::config::Trunk,
    main_tip: &Oid,
) -> Result<crate::record::plan::MainReleasable, Error> {
    use crate::config::Releasable;
    let cfg = &session.config;
    let verdict = |releasable: bool, source: String, detail: String| crate::record::plan::MainReleasable {
        main: main_tip.clone(),
        releasable,
        source: session.redactor.redact(&source),
        detail: session.redactor.redact(&crate::record::plan::shorten(&detail, 300)),
    };
    match &trunk.releasable {
        Releasable::Command(c) => {
            let env = [("HOTFIX_MAIN_SHA".to_string(), main_tip.to_string())];
            let git = &session.git;
            let job = crate::providers::command::Job {
                command: &c.command,
                dir: git.work_tree().unwrap_or(git.git_dir()),
                env: &env,
                timeout: c.timeout,
            };
            let outcome = crate::providers::command::run(
                &job,
                &session.redactor,
                &crate::interrupt::StopRequest::default(),
                &mut |_, _| {},
            );
            Ok(match outcome {
                Ok(o) => {
                    let tail: Vec<&str> = o.output.iter().rev().take(3).rev().map(|l| l.trim()).collect();
                    let tail = tail.join(" / ");
                    let said = if tail.is_empty() {
                        String::new()
                    } else {
                        format!(": {tail}")
                    };
                    let how = match (o.timed_out, o.exit_code) {
                        (true, _) => format!("timed out after {}", crate::config::format_duration(c.timeout)),
                        (false, Some(code)) => format!("exited {code}"),
                        (false, None) => "was killed".to_string(),
                    };
                    verdict(o.succeeded(), c.command.clone(), format!("{} {how}{said}", c.command))
                }
                Err(e) => verdict(false, c.command.clone(), format!("{} could not start: {e}", c.command)),
            })
        }
        Releasable::Forge(_) => {
            let main = &cfg.branches.main;
            let refused = |reason: String| Error::MainVerdict {
                main: main.clone(),
                reason: session.redactor.redact(&reason),
            };
            let forge =
                crate::engine::incident::open(cfg, session.git.git_dir(), &session.redactor).map_err(refused)?;
            let pipeline = forge
                .commit_pipeline(main_tip.as_str(), main)
                .map_err(|e| refused(e.to_string()))?;
            Ok(match pipeline {
                Some(p) if p.status == "success" => verdict(
                    true,
                    "forge".into(),
                    format!(
                        "{main}'s pipeline #{} for {} passed: {}",
                        p.pipeline.id,
                        main_tip.short(),
                        p.pipeline.web_url
                    ),
                ),
                Some(p) => verdict(
                    false,
                    "forge".into(),
                    format!(
                        "{main}'s pipeline #{} for {} is `{}`, not `success`: {}",
                        p.pipeline.id,
                        main_tip.short(),
                        p.status,
                        p.pipeline.web_url
                    ),
                ),
                None => verdict(
                    false,
                    "forge".into(),
                    format!("the forge has no pipeline of {main} for {}", main_tip.short()),
                ),
            })
        }
    }
}

/// Plans a hotfix as one run per release branch its services are deployed
/// from (one run for a hotfix of no `[[services]]`, or of services sharing a
/// branch): each its own restore, lock and push. The first plan is the one
/// [`prepare`] gives; `new_id` names each run.
pub fn prepare_all(
    session: &Session,
    request: &HotfixRequest,
    mut new_id: impl FnMut() -> String,
) -> Result<Vec<(String, Plan)>, Error> {
    let id = new_id();
    let first = prepare(session, request, &id)?;
    let others = strategy::services::branches(&first.services);
    let mut plans = vec![(id, first)];
    for branch in others.into_iter().skip(1) {
        let request = HotfixRequest {
            release_branch: Some(branch),
            ..request.clone()
        };
        let id = new_id();
        let plan = prepare(session, &request, &id)?;
        plans.push((id, plan));
    }
    Ok(plans)
}

/// Returns the fixes with each merge request (`!42`) replaced by the commit
/// its merge made, and those requests as the forge has them: a request that
/// is not merged into main is refused. Main's pipeline for the commit is
/// read too, for the plan to check it passed.
fn merged_requests(session: &Session, given: &[String]) -> Result<(Vec<String>, Vec<MergedRequest>), Error> {
    let cfg = &session.config;
    let mut fixes = Vec::new();
    let mut requests = Vec::new();
    for rev in given {
        let Some(iid) = rev.strip_prefix('!').and_then(|n| n.parse::<u64>().ok()) else {
            fixes.push(rev.clone());
            continue;
        };
        let refused = |reason: String| Error::FixRequest {
            reference: rev.clone(),
            reason: session.redactor.redact(&reason),
        };
        if cfg.forge.is_none() {
            return Err(refused(
                "a merge request is read from the forge, and hotfix.toml has no [forge]".into(),
            ));
        }
        let forge = crate::engine::incident::open(cfg, session.git.git_dir(), &session.redactor).map_err(refused)?;
        let mr = forge.merge_request(iid).map_err(|e| refused(e.to_string()))?;
        if mr.state != "merged" {
            return Err(refused(format!(
                "{} is `{}`, not merged: merge it to {} first ({})",
                rev, mr.state, cfg.branches.main, mr.web_url
            )));
        }
        if mr.target_branch != cfg.branches.main {
            return Err(refused(format!(
                "{} was merged into `{}`, not {} ({})",
                rev, mr.target_branch, cfg.branches.main, mr.web_url
            )));
        }
        let sha = mr.merge_commit_sha.as_deref().or(mr.squash_commit_sha.as_deref());
        let Some(commit) = sha.and_then(Oid::parse) else {
            return Err(refused(format!(
                "the forge gives no merge_commit_sha or squash_commit_sha for {rev} ({})",
                mr.web_url
            )));
        };
        let pipeline = forge
            .commit_pipeline(commit.as_str(), &cfg.branches.main)
            .map_err(|e| refused(e.to_string()))?
            .map(|p| CommitPipeline {
                id: p.pipeline.id,
                status: p.status,
                web_url: p.pipeline.web_url,
            });
        fixes.push(commit.to_string());
        requests.push(MergedRequest {
            reference: rev.clone(),
            iid: mr.iid,
            web_url: mr.web_url,
            state: mr.state,
            commit,
            pipeline,
        });
    }
    Ok((fixes, requests))
}

/// Turns the fixes as given into the commits to pick, in order: a revision
/// is one commit (a merge stands for the change it merged), a range `A..B`
/// is B's first-parent history since A, oldest first. A commit named twice
/// is picked once, where it first appears.
fn expand_fixes(git: &Git, given: &[String]) -> Result<Vec<Oid>, Error> {
    let is_range = |rev: &str| rev.contains("..") && !rev.contains("...");
    let singles: Vec<&str> = given.iter().map(String::as_str).filter(|r| !is_range(r)).collect();
    let mut resolved = git.resolve_commits(&singles)?.into_iter();
    let mut fixes: Vec<Oid> = Vec::new();
    for rev in given {
        let commits = if is_range(rev) {
            let (from, to) = rev.split_once("..").expect("a range has `..`");
            let (from, to) = (or_head(from), or_head(to));
            let unknown = |r: &str| Error::UnknownFix { rev: r.to_string() };
            git.resolve_commit(from).map_err(|_| unknown(from))?;
            git.resolve_commit(to).map_err(|_| unknown(to))?;
            let commits = git.first_parent_range(from, to)?;
            if commits.is_empty() {
                return Err(Error::EmptyRange { range: rev.clone() });
            }
            commits
        } else {
            vec![resolved
                .next()
                .flatten()
                .ok_or_else(|| Error::UnknownFix { rev: rev.clone() })?]
        };
        for c in commits {
            if !fixes.contains(&c) {
                fixes.push(c);
            }
        }
    }
    Ok(fixes)
}

/// Returns the paths the fixes change, each against the parent it is picked
/// against (`mainline`, else the first, for a merge).
fn touched_by(
    git: &Git,
    fixes: &[crate::git::CommitInfo],
    mainline: Option<u32>,
) -> Result<std::collections::BTreeSet<String>, Error> {
    let mut touched = std::collections::BTreeSet::new();
    for fix in fixes {
        let at = mainline.map_or(0, |m| m.saturating_sub(1) as usize);
        if let Some(parent) = fix.parents.get(at).or(fix.parents.first()) {
            let parent_tree = crate::engine::execute::read_tree(git, parent)?;
            touched.extend(git.changed_paths(&parent_tree, &fix.tree)?);
        }
    }
    Ok(touched)
}

/// `A..` means `A..HEAD`, as in git.
fn or_head(rev: &str) -> &str {
    if rev.is_empty() {
        "HEAD"
    } else {
        rev
    }
}
