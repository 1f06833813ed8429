//! The incident record of a run (seed 000's last step, seed 003's
//! communication and postmortem): built from the journal alone, so any clone
//! gives the same record, and every "Validation And Evidence" item points at
//! the journal entry that proves it, or says it is missing.

use serde::Serialize;

use crate::ambient::format_utc;
use crate::config::{format_duration, Config};
use crate::journal::{Approval, Entry, Event, Evidence, EvidenceItem, ItemStatus, Phase, Run};
use crate::record::plan::{CheckStatus, StepName, WayBack};
use crate::strategy::evidence::{EvidenceSpec, Proof};
use crate::strategy::{self, restore_release};

/// Returns the checklist of `run`'s strategy (restore-release's for a
/// strategy this git-hotfix does not know).
fn checklist(run: &Run) -> &'static [EvidenceSpec] {
    strategy::find(&run.record.strategy).map_or(restore_release::EVIDENCE, |s| s.evidence())
}

/// Returns true when `spec` is an item of `run`'s checklist.
fn applies(run: &Run, spec: &EvidenceSpec) -> bool {
    match &spec.proof {
        Proof::Steps {
            steps,
            only_if_planned: true,
            ..
        } => steps.iter().any(|s| run.plans(s)),
        _ => true,
    }
}

/// Returns the step of `spec`'s proof that `run` plans, if any.
fn proving_step<'a>(run: &Run, spec: &'a EvidenceSpec) -> Option<&'a StepName> {
    match &spec.proof {
        Proof::Steps { steps, .. } => steps.iter().find(|s| run.plans(s)),
        _ => None,
    }
}

/// Returns the steps of the services the run ships that prove `spec`
/// (`deploy-portal`, `deploy-admin` for `deploy`), each with its service;
/// empty for a run of no `[[services]]`.
fn service_steps(run: &Run, spec: &EvidenceSpec) -> Vec<(String, StepName)> {
    let Some(base) = proving_step(run, spec) else {
        return Vec::new();
    };
    run.steps_of(Phase::Hotfix)
        .iter()
        .filter(|s| s.base_name() == *base)
        .filter_map(|s| Some((s.service.clone()?, s.name.clone())))
        .collect()
}

/// Returns every evidence item of `run`, each ok, missing or failed.
pub fn evidence_items(run: &Run, config: &Config) -> Vec<EvidenceItem> {
    let _ = config;
    checklist(run)
        .iter()
        .filter(|spec| applies(run, spec))
        .map(|spec| {
            let (status, detail) = assess(run, spec);
            EvidenceItem {
                id: spec.id.to_string(),
                item: spec.item.to_string(),
                status,
                detail,
            }
        })
        .collect()
}

/// Returns true when item `id` of `run`'s checklist is its incident record.
pub fn is_incident_item(run: &Run, id: &str) -> bool {
    checklist(run)
        .iter()
        .any(|s| s.id == id && matches!(s.proof, Proof::Incident))
}

/// Says why `item` may not be attested, if it may not.
pub fn check_attestable(run: &Run, config: &Config, item: &str) -> Result<(), String> {
    let specs = checklist(run);
    let Some(spec) = specs.iter().find(|s| s.id == item && applies(run, s)) else {
        return Err(format!(
            "the items are: {}",
            specs
                .iter()
                .filter(|s| applies(run, s))
                .map(|s| s.id)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if !spec.proof.attestable() {
        return Err("git-hotfix proves it from git itself; `git hotfix continue` records it".into());
    }
    let steps: Vec<StepName> = match service_steps(run, spec) {
        each if each.is_empty() => proving_step(run, spec).into_iter().cloned().collect(),
        each => each.into_iter().map(|(_, step)| step).collect(),
    };
    if let Some(step) = steps.iter().find(|s| run.done_in(Phase::Hotfix, s).is_none()) {
        return Err(format!(
            "the run's {step} step proves it; `git hotfix continue` runs that step"
        ));
    }
    let current = evidence_items(run, config)
        .into_iter()
        .find(|i| i.id == item)
        .map(|i| i.status);
    match current {
        Some(ItemStatus::Missing) | None => Ok(()),
        Some(ItemStatus::Ok) => Err("it is already ok".into()),
        Some(ItemStatus::Failed) => Err("it failed; a failure cannot be attested away".into()),
    }
}

fn assess(run: &Run, spec: &EvidenceSpec) -> (ItemStatus, String) {
    let per_service = service_steps(run, spec);
    if per_service.is_empty() {
        return assess_at(run, spec, proving_step(run, spec));
    }
    // One item for all the services shipped: it holds when it holds for each.
    let each: Vec<(String, (ItemStatus, String))> = per_service
        .into_iter()
        .map(|(service, step)| (service, assess_at(run, spec, Some(&step))))
        .collect();
    let status = [ItemStatus::Failed, ItemStatus::Missing]
        .into_iter()
        .find(|worst| each.iter().any(|(_, (s, _))| s == worst))
        .unwrap_or(ItemStatus::Ok);
    let detail = each
        .iter()
        .map(|(service, (_, detail))| format!("{service}: {detail}"))
        .collect::<Vec<_>>()
        .join("; ");
    (status, detail)
}

fn assess_at(run: &Run, spec: &EvidenceSpec, step: Option<&StepName>) -> (ItemStatus, String) {
    let id = spec.id;
    if let Some(step) = step {
        if let Some((entry, evidence)) = run.done_entry_in(Phase::Hotfix, step) {
            let proven = proven(run, id, entry, evidence);
            if proven.0 != ItemStatus::Missing {
                return proven;
            }
            if let Some(attested) = attested(run, id) {
                return attested;
            }
            return proven;
        }
        if let Some((error, _)) = run.failure_in(Phase::Hotfix, step) {
            return (ItemStatus::Failed, format!("{step} failed: {error}"));
        }
    }
    match &spec.proof {
        Proof::Severity => {
            let r = &run.record;
            let limit = r.limit_secs.map_or(String::new(), |l| {
                format!(" (limit {})", format_duration(std::time::Duration::from_secs(l)))
            });
            return (
                ItemStatus::Ok,
                format!(
                    "severity {}{limit}, recorded at start by {}{}",
                    r.severity.as_str(),
                    run.entries[0].1.actor.ident,
                    r.incident
                        .as_ref()
                        .map_or(String::new(), |i| format!("; incident `{i}`"))
                ),
            );
        }
        Proof::Incident => {
            if let Some(incident) = &run.record.incident {
                return (
                    ItemStatus::Ok,
                    format!("incident `{incident}`; this report holds its timeline, fix, evidence and follow-ups"),
                );
            }
        }
        _ => {}
    }
    if let Some(attested) = attested(run, id) {
        return attested;
    }
    if let Some(detail) = planned(run, id) {
        return (ItemStatus::Ok, detail);
    }
    if let Some(detail) = not_stepped(run, id) {
        return (ItemStatus::Missing, detail);
    }
    let detail = match step {
        Some(step) => {
            format!(
                "the {step} step has not run yet; `git hotfix continue {}` runs it",
                run.id
            )
        }
        None if spec.proof.attestable() => format!(
            "no step of this run proves it; once done, record it with `git hotfix attest {id} --detail \"...\"`"
        ),
        None => "the step has not run yet".into(),
    };
    (ItemStatus::Missing, detail)
}

/// Returns what a person attested for item `id`, as an ok item.
fn attested(run: &Run, id: &str) -> Option<(ItemStatus, String)> {
    let (entry, detail) = run.attestation(id)?;
    Some((
        ItemStatus::Ok,
        format!(
            "attested by {} at {}: {detail}",
            entry.actor.ident,
            format_utc(entry.at)
        ),
    ))
}

/// Says why a from-tag item no step of the run proves is still open, when
/// the plan knows more than "no step proves it".
fn not_stepped(run: &Run, id: &str) -> Option<String> {
    let release = run.plan().from_tag.as_deref()?;
    match (id, &release.way_back) {
        ("merged-to-main", Some(WayBack::Backport { branch, .. })) => Some(format!(
            "the fixes wait on {} ({}) for review; once merged to {}, record it with `git hotfix attest merged-to-main --detail \"...\"`",
            branch.name.trim_start_matches("refs/heads/"),
            branch.new.short(),
            run.record.main_branch
        )),
        ("merged-to-main", Some(WayBack::ByHand { fix, conflicts })) => Some(format!(
            "{} conflicts on {} in {}: bring it there by hand, then record it with `git hotfix attest merged-to-main --detail \"...\"`",
            fix.short(),
            run.record.main_branch,
            conflicts.join(", ")
        )),
        _ => None,
    }
}

/// Returns what the plan already proves of a from-tag item no step proves.
fn planned(run: &Run, id: &str) -> Option<String> {
    let release = run.plan().from_tag.as_deref()?;
    match (id, &release.way_back) {
        ("merged-to-main", Some(WayBack::OnMain)) => Some(format!(
            "{} already had every fix when the run was planned",
            run.record.main_branch
        )),
        _ => None,
    }
}

fn check_detail(checks: &[crate::record::plan::Check], names: &[&str]) -> (ItemStatus, String) {
    let relevant: Vec<_> = checks.iter().filter(|c| names.contains(&c.name.as_str())).collect();
    let status = if relevant.iter().all(|c| c.status != CheckStatus::Block) && !relevant.is_empty() {
        ItemStatus::Ok
    } else {
        ItemStatus::Failed
    };
    let detail = relevant
        .iter()
        .map(|c| c.detail.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    (status, detail)
}

fn proven(run: &Run, id: &str, entry: &Entry, evidence: &Evidence) -> (ItemStatus, String) {
    let when = format!("{} by {}", format_utc(entry.at), entry.actor.ident);
    match evidence {
        Evidence::Production { production } => {
            let pushed = run
                .done_entry_in(Phase::Hotfix, &StepName::PUSH_RELEASE)
                .map(|(e, _)| e.seq);
            let before = pushed.is_none_or(|p| entry.seq < p);
            let sources = production.sources();
            let status = if before { ItemStatus::Ok } else { ItemStatus::Failed };
            (
                status,
                format!(
                    "production {} from {sources}, recorded {when}{}",
                    production.commit,
                    if before {
                        ", before release moved"
                    } else {
                        ", AFTER release moved"
                    }
                ),
            )
        }
        Evidence::Verified { checks, .. } if id == "restore-diff-empty" => {
            check_detail(checks, &["restore-diff-empty"])
        }
        Evidence::Verified { checks, .. } => check_detail(checks, &["only-restore-and-fixes", "production-plus-fixes"]),
        Evidence::ReleaseAction {
            action,
            project,
            confirm,
            release_sha,
            outcome,
        } => (
            ItemStatus::Ok,
            format!(
                "release job `{action}`{} with confirm={confirm} for {}: `{}` {}, {when}; not a forbidden action",
                project.as_ref().map_or(String::new(), |p| format!(" in {p}")),
                release_sha.short(),
                outcome.command,
                outcome.describe()
            ),
        ),
        Evidence::ForgePipeline {
            request,
            pipeline,
            job,
            release_sha,
            ..
        } => (
            ItemStatus::Ok,
            format!(
                "pipeline #{} ({}) on `{}` with {} for {}{}, {when}; no forbidden action",
                pipeline.id,
                pipeline.web_url,
                request.git_ref,
                request
                    .inputs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                release_sha.short(),
                job.as_ref().map_or(String::new(), |j| format!(
                    "; job `{}` #{} {} ({})",
                    j.name, j.id, j.status, j.web_url
                )),
            ),
        ),
        Evidence::ForgeJob {
            release_sha,
            pipeline,
            job,
            ..
        } => (
            ItemStatus::Ok,
            format!(
                "job `{}` #{} of pipeline #{} deployed {}: {} ({}), {when}",
                job.name,
                job.id,
                pipeline.id,
                release_sha.short(),
                job.status,
                job.web_url
            ),
        ),
        Evidence::Deployed { release_sha, outcome } => (
            ItemStatus::Ok,
            format!(
                "`{}` deployed {}: {}, {when}",
                outcome.command,
                release_sha.short(),
                outcome.describe()
            ),
        ),
        Evidence::ProductionVerified {
            release_sha, checks, ..
        } => (
            ItemStatus::Ok,
            checks
                .iter()
                .map(|c| {
                    format!(
                        "{} reported {} ({}) after {} poll(s)",
                        c.url,
                        release_sha.short(),
                        c.last.describe(),
                        c.attempts
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Evidence::Smoke { results } => (
            ItemStatus::Ok,
            results
                .iter()
                .map(|r| format!("`{}` {}", r.name, r.outcome.describe()))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Evidence::Approvals { approvals } => (ItemStatus::Ok, describe_approvals(approvals)),
        Evidence::Built { .. } => built_item(run, id, &when),
        Evidence::Pushed {
            branch_ref, new, old, ..
        } => {
            let from = match (id, run.plan().from_tag.as_deref()) {
                ("branch-from-tag", Some(r)) => format!(
                    " from {} ({})",
                    r.production_tag,
                    run.record.plan.production.commit.short()
                ),
                _ => old.as_ref().map_or(String::new(), |o| format!(" from {}", o.short())),
            };
            (
                ItemStatus::Ok,
                format!(
                    "{branch_ref} moved to {}{from} by compare-and-swap, {when}",
                    new.short()
                ),
            )
        }
        Evidence::Tagged {
            tag_ref,
            object,
            commit,
        } => (
            ItemStatus::Ok,
            format!(
                "{tag_ref}: annotated tag {} on {}, created on {} by compare-and-swap (it did not exist), {when}",
                object.short(),
                commit.short(),
                run.record.remote
            ),
        ),
        Evidence::ReviewRequested { request, merge_request } => {
            let labelled = request.labels.contains(&"URGENT".to_string());
            (
                // Seed 003's item is "marked URGENT": a request without the label does not prove it.
                if labelled { ItemStatus::Ok } else { ItemStatus::Missing },
                format!(
                    "review request !{} of {} into {} ({}){}, labels [{}]{}, {when}",
                    merge_request.iid,
                    request.source_branch,
                    request.target_branch,
                    merge_request.web_url,
                    if merge_request.adopted {
                        ", adopted as already open"
                    } else {
                        ""
                    },
                    request.labels.join(", "),
                    if labelled {
                        ""
                    } else {
                        "; not labelled URGENT: record it with `git hotfix attest review-requested --detail \"...\"`"
                    },
                ),
            )
        }
        Evidence::ForgeRelease { release, created } => (
            ItemStatus::Ok,
            format!(
                "release of {} ({}){}{}, {when}",
                created.tag,
                created.web_url,
                if created.adopted {
                    ", adopted as the tag's own"
                } else {
                    ""
                },
                if release.latest {
                    ", latest"
                } else {
                    ", not marked latest (a higher version is tagged)"
                },
            ),
        ),
        _ => (ItemStatus::Ok, format!("done {when}")),
    }
}

/// Returns what a from-tag build proves for item `id`: the version bump
/// or the CHANGELOG entry.
fn built_item(run: &Run, id: &str, when: &str) -> (ItemStatus, String) {
    let Some(release) = run.plan().from_tag.as_deref() else {
        return (ItemStatus::Ok, format!("done {when}"));
    };
    match id {
        "version-patch-only" => (
            ItemStatus::Ok,
            format!(
                "{} -> {} (PATCH only): {}, {when}",
                release.production_version,
                release.version,
                release
                    .version_files
                    .iter()
                    .map(|f| format!("{} {} -> {}", f.path, f.from, f.to))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        "changelog-entry" => match &release.changelog {
            Some(path) => (
                ItemStatus::Ok,
                format!("entry for {} on top of {path}, {when}", release.version),
            ),
            None => (
                ItemStatus::Missing,
                format!(
                    "[products.{}] names no changelog; once written, record it with `git hotfix attest changelog-entry --detail \"...\"`",
                    release.product
                ),
            ),
        },
        _ => (ItemStatus::Ok, format!("done {when}")),
    }
}

fn describe_approvals(approvals: &[Approval]) -> String {
    approvals
        .iter()
        .map(|a| {
            format!(
                "{}: {} at {} on {}, {}",
                a.role,
                a.ident,
                format_utc(a.at),
                a.release_tip.short(),
                a.verified
                    .as_ref()
                    .map_or_else(|| "not checked".into(), |v| v.describe())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One line of the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    pub at: i64,
    pub time: String,
    pub actor: String,
    pub what: String,
    /// The entry's full event, with its evidence.
    pub event: Event,
}

/// A fix as shipped.
#[derive(Clone, Debug, Serialize)]
pub struct ShippedFix {
    pub fix: String,
    pub subject: String,
    /// How it landed: clean, resolved, already-applied.
    pub status: String,
    pub picked_as: Option<String>,
}

/// The messages of seed 003's "Communicate" step.
#[derive(Clone, Debug, Serialize)]
pub struct Communication {
    /// To send right after the deploy is verified.
    pub deployed: String,
    /// To send 24 hours later.
    pub status_24h: String,
}

/// The incident record.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentReport {
    pub run_id: String,
    /// Why the report is of this clone's copy of the run: the remote did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
    pub summary: String,
    pub state: String,
    pub rolled_back: bool,
    pub service: Option<String>,
    pub severity: String,
    pub time_limit: Option<String>,
    pub incident: Option<String>,
    pub started_at: String,
    pub started_by: String,
    pub ended_at: Option<String>,
    pub elapsed: String,
    /// Whole minutes from start to end (or to now): the checklist's "Total Time".
    pub total_minutes: u64,
    /// The checklist's heading, when the runbook has one (seed 003:
    /// "Hotfix: worker v0.1.0 → v0.1.1").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checklist: Option<String>,
    pub remote: String,
    pub release_branch: String,
    pub production_sha: String,
    pub release_sha: Option<String>,
    pub fixes: Vec<ShippedFix>,
    /// The approvals that count, each with how it was verified
    /// (`ops::report` checks them; `build` alone does not).
    pub approvals: Vec<Approval>,
    /// The approvals of the rollback's own deployment that count (`verify =
    /// "forge"`), each with how it was verified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback_approvals: Vec<Approval>,
    /// The approvals given that do not count, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals_not_counted: Vec<crate::engine::approvals::NotCounted>,
    /// Decisions people took against the plan's defaults: a dependency on
    /// unreleased work allowed, a conflict resolved by hand.
    pub decisions: Vec<String>,
    pub monitor_until: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub evidence: Vec<EvidenceItem>,
    pub follow_ups: Vec<String>,
    pub postmortem: Vec<String>,
    pub communication: Communication,
    /// What `git hotfix verify` finds of the run; set by `ops::report`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// Where each backport's request stands; set by `ops::report`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backport_landings: Vec<crate::record::backport::BackportLanding>,
    /// What the report could not learn (a forge that did not answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    /// Every service of `[[services]]`, changed or not, and what the run
    /// did to it; empty for a run of no `[[services]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
}

/// One service in the report's table of targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    pub service: String,
    /// True when this run shipped the fix to it.
    pub changed: bool,
    /// Why it was shipped, or not.
    pub why: String,
    pub release_branch: String,
    /// The commit it ran before the hotfix.
    pub production_before: Option<String>,
    /// The commit the run put on its release branch, for a changed service.
    pub release_commit: Option<String>,
    /// How its release job and deploy went: `ok <time>`, `failed`, `pending`,
    /// `-` (none configured), `not changed`.
    pub release_job: String,
    pub deploy: String,
    pub verification: String,
    pub smoke: String,
    /// `yes <time>`, `no`, `pending` (the rollback has not reached it).
    pub rolled_back: String,
}

/// Returns the table of targets of `run`: every service of its plan.
pub fn targets(run: &Run) -> Vec<Target> {
    let plan = run.plan();
    let rollback_of = run.entries.iter().find_map(|(_, e)| match &e.event {
        Event::RollbackStarted { services, .. } => Some(services.clone()),
        _ => None,
    });
    let word = |phase: Phase, base: &StepName, service: &str| {
        let Some(step) = run
            .steps_of(phase)
            .iter()
            .find(|s| s.service.as_deref() == Some(service) && s.base_name() == *base)
        else {
            return "-".to_string();
        };
        if let Some((entry, _)) = run.done_entry_in(phase, &step.name) {
            return format!("ok {}", format_utc(entry.at));
        }
        if run.failure_in(phase, &step.name).is_some() {
            return "failed".into();
        }
        "pending".into()
    };
    plan.services
        .iter()
        .map(|t| {
            let s = t.name.as_str();
            let shipped = |base: &StepName| {
                if t.ships {
                    word(Phase::Hotfix, base, s)
                } else {
                    "not changed".into()
                }
            };
            let rolled_back = match &rollback_of {
                _ if !t.ships => "-".to_string(),
                None => "no".into(),
                Some(only) if !only.is_empty() && !only.iter().any(|o| o == s) => "no".into(),
                Some(_) => {
                    let deploy = word(Phase::Rollback, &StepName::DEPLOY, s);
                    match deploy.as_str() {
                        "-" if run.rollback_restores() => "yes (release restored)".into(),
                        "-" => "yes".into(),
                        other if other.starts_with("ok ") => format!("yes {}", &other[3..]),
                        other => other.to_string(),
                    }
                }
            };
            Target {
                service: t.name.clone(),
                changed: t.ships,
                why: t.why.clone(),
                release_branch: t.release_branch.clone(),
                production_before: Some(
                    t.production
                        .as_ref()
                        .map_or(&plan.production.commit, |p| &p.commit)
                        .to_string(),
                ),
                release_commit: t.ships.then(|| run.hotfix_tip().map(|c| c.to_string())).flatten(),
                release_job: shipped(&StepName::RELEASE_ACTION),
                deploy: shipped(&StepName::DEPLOY),
                verification: shipped(&StepName::VERIFY_PRODUCTION),
                smoke: shipped(&StepName::SMOKE),
                rolled_back,
            }
        })
        .collect()
}

/// Returns the run's one row of the table of targets, for a run of no
/// `[[services]]`: the service is `config.service`, else the release branch,
/// and it changed when the run pushed its release.
pub fn run_target(run: &Run, config: &Config) -> Target {
    let pushed = run
        .steps_of(Phase::Hotfix)
        .iter()
        .filter(|s| s.service.is_none())
        .any(|s| {
            matches!(
                run.done_in(Phase::Hotfix, &s.name),
                Some(Evidence::Pushed { .. } | Evidence::Tagged { .. })
            )
        });
    let word = |phase: Phase, base: &StepName| {
        if !run.steps_of(phase).iter().any(|s| s.name == *base) {
            return "-".to_string();
        }
        if let Some((entry, _)) = run.done_entry_in(phase, base) {
            return format!("ok {}", format_utc(entry.at));
        }
        if run.failure_in(phase, base).is_some() {
            return "failed".into();
        }
        "pending".into()
    };
    let rolled_back = match run.phase() {
        _ if !pushed => "-".to_string(),
        Phase::Hotfix => "no".into(),
        Phase::Rollback => match word(Phase::Rollback, &StepName::DEPLOY) {
            none if none == "-" && run.rollback_restores() => "yes (release restored)".into(),
            none if none == "-" => "yes".into(),
            ok if ok.starts_with("ok ") => format!("yes {}", &ok[3..]),
            other => other,
        },
    };
    Target {
        service: config
            .service
            .clone()
            .unwrap_or_else(|| run.record.release_branch.clone()),
        changed: pushed,
        why: if pushed {
            "the run pushed its release".into()
        } else {
            "the run has not pushed its release".into()
        },
        release_branch: run.record.release_branch.clone(),
        production_before: Some(run.record.plan.production.commit.to_string()),
        release_commit: pushed.then(|| run.release_sha().map(|c| c.to_string())).flatten(),
        release_job: word(Phase::Hotfix, &StepName::RELEASE_ACTION),
        deploy: word(Phase::Hotfix, &StepName::DEPLOY),
        verification: word(Phase::Hotfix, &StepName::VERIFY_PRODUCTION),
        smoke: word(Phase::Hotfix, &StepName::SMOKE),
        rolled_back,
    }
}

/// Returns the table of targets of `run` for a record across runs: every
/// service of its `[[services]]`, else its one [`run_target`].
pub fn targets_or_run(run: &Run, config: &Config) -> Vec<Target> {
    match targets(run) {
        none if none.is_empty() => vec![run_target(run, config)],
        each => each,
    }
}

/// Builds the incident record of `run` as of `now`.
pub fn build(run: &Run, config: &Config, now: i64) -> IncidentReport {
    let record = &run.record;
    let evidence = evidence_items(run, config);
    let rolled_back = run.phase() == Phase::Rollback;
    let release_sha = run.release_sha().map(|s| s.to_string());
    let fixes: Vec<ShippedFix> = record
        .plan
        .picks
        .iter()
        .map(|p| {
            let built = match run.done_in(Phase::Hotfix, &StepName::BUILD) {
                Some(Evidence::Built { picks, .. }) => picks.iter().find(|b| b.fix == p.fix),
                _ => None,
            };
            let (status, picked) = built.map_or((p.status, p.commit.clone()), |b| (b.status, b.commit.clone()));
            ShippedFix {
                fix: p.fix.to_string(),
                subject: p.subject.clone(),
                status: status.as_str().to_string(),
                picked_as: picked.map(|c| c.to_string()),
            }
        })
        .collect();
    let timeline = run
        .entries
        .iter()
        .map(|(_, e)| TimelineEntry {
            at: e.at,
            time: format_utc(e.at),
            actor: e.actor.ident.clone(),
            what: e.event.summary(),
            event: e.event.clone(),
        })
        .collect();
    let started = &run.entries[0].1;
    let end = run.ended_at().unwrap_or(now);
    let service = config.service.clone();
    let subject = fixes.iter().map(|f| f.subject.as_str()).collect::<Vec<_>>().join("; ");
    let summary = format!(
        "{} hotfix of {} from production {} with {} fix(es): {subject}{}",
        record.severity.as_str(),
        service.as_deref().unwrap_or(&record.release_branch),
        record.plan.production.commit.short(),
        fixes.len(),
        if rolled_back { "; ROLLED BACK to production" } else { "" }
    );
    let deployed_at = run
        .done_entry_in(Phase::Hotfix, &StepName::VERIFY_PRODUCTION)
        .or_else(|| run.done_entry_in(Phase::Hotfix, &StepName::DEPLOY))
        .map(|(e, _)| format_utc(e.at));
    let monitor_until = run.monitor_until().map(format_utc);
    let rollback = run.entries.iter().find_map(|(_, e)| match &e.event {
        Event::RollbackStarted { reason, .. } => Some((e.at, reason.as_str())),
        _ => None,
    });
    let fill = |template: &str| {
        let mut text = template.to_string();
        for (key, value) in [
            (
                "service",
                service.clone().unwrap_or_else(|| record.release_branch.clone()),
            ),
            ("severity", record.severity.as_str().to_string()),
            (
                "incident",
                record.incident.clone().unwrap_or_else(|| "(none given)".into()),
            ),
            ("fixes", subject.clone()),
            (
                "release_sha",
                release_sha.clone().unwrap_or_else(|| "(not pushed)".into()),
            ),
            ("production_sha", record.plan.production.commit.to_string()),
            (
                "deployed_at",
                deployed_at.clone().unwrap_or_else(|| "(not deployed yet)".into()),
            ),
            (
                "monitor",
                monitor_until
                    .as_ref()
                    .map_or_else(|| "no window configured".into(), |m| format!("watched until {m}")),
            ),
            ("run_id", run.id.clone()),
            (
                "reason",
                rollback.map_or_else(String::new, |(_, reason)| reason.to_string()),
            ),
            (
                "rolled_back_at",
                rollback.map_or_else(|| "(not rolled back)".into(), |(at, _)| format_utc(at)),
            ),
        ] {
            text = text.replace(&format!("{{{key}}}"), &value);
        }
        text
    };
    let templates = &config.communication;
    let communication = if rolled_back {
        Communication {
            deployed: fill(&templates.rolled_back),
            status_24h: fill(&templates.rolled_back_status),
        }
    } else {
        Communication {
            deployed: fill(&templates.deployed),
            status_24h: fill(&templates.status),
        }
    };
    IncidentReport {
        run_id: run.id.clone(),
        summary,
        state: run.state().as_str().to_string(),
        rolled_back,
        service,
        severity: record.severity.as_str().to_string(),
        time_limit: record
            .limit_secs
            .map(|s| format_duration(std::time::Duration::from_secs(s))),
        incident: record.incident.clone(),
        started_at: format_utc(started.at),
        started_by: started.actor.ident.clone(),
        ended_at: run.ended_at().map(format_utc),
        elapsed: format_duration(std::time::Duration::from_secs((end - started.at).max(0) as u64)),
        total_minutes: ((end - started.at).max(0) as u64).div_ceil(60),
        checklist: record
            .plan
            .from_tag
            .as_deref()
            .map(|r| format!("Hotfix: {} v{} → v{}", r.product, r.production_version, r.version)),
        remote: record.remote.clone(),
        release_branch: record.release_branch.clone(),
        production_sha: record.plan.production.commit.to_string(),
        release_sha,
        fixes,
        approvals: run.approvals().into_iter().cloned().collect(),
        rollback_approvals: Vec::new(),
        approvals_not_counted: Vec::new(),
        decisions: decisions(run),
        verification: None,
        offline: None,
        monitor_until,
        timeline,
        follow_ups: follow_ups(run, config, &evidence),
        backport_landings: Vec::new(),
        notices: Vec::new(),
        targets: targets(run),
        evidence,
        postmortem: postmortem(run.started_at()),
        communication,
    }
}

fn decisions(run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(reason) = &run.record.production_override {
        let first = &run.entries[0].1;
        let production = &run.record.plan.production;
        let others: Vec<String> = production
            .disagreeing()
            .map(|r| format!("{} said {}", r.source, r.commit.short()))
            .collect();
        out.push(format!(
            "production {} taken by {} at {}{} (--production-override): {reason}",
            production.commit.short(),
            first.actor.ident,
            format_utc(first.at),
            if others.is_empty() {
                String::new()
            } else {
                format!(" although {}", others.join(", "))
            }
        ));
    }
    if let Some(reason) = &run.record.allow_dependency {
        let first = &run.entries[0].1;
        out.push(format!(
            "dependency on unreleased work allowed at start by {} at {}: {reason}",
            first.actor.ident,
            format_utc(first.at)
        ));
    }
    for (_, e) in &run.entries {
        match &e.event {
            Event::DependencyAllowed { reason } => out.push(format!(
                "dependency on unreleased work allowed by {} at {}: {reason}",
                e.actor.ident,
                format_utc(e.at)
            )),
            Event::ConfigReplaced {
                changed, changed_steps, ..
            } => out.push(format!(
                "configuration replaced by {} at {} (`continue --replan`): {} changed{}",
                e.actor.ident,
                format_utc(e.at),
                changed.join(", "),
                if changed_steps.is_empty() {
                    String::new()
                } else {
                    format!("; steps: {}", changed_steps.join(", "))
                }
            )),
            Event::Resolved { resolution: r } => out.push(format!(
                "conflict of {} in {} resolved by hand by {} at {} (tree {})",
                r.fix.short(),
                r.conflicts.join(", "),
                e.actor.ident,
                format_utc(e.at),
                r.tree.short()
            )),
            Event::RerunAllowed { step } => out.push(format!(
                "{step} run again by decision of {} at {}, although an earlier attempt was interrupted or never ended \
                 and may have run",
                e.actor.ident,
                format_utc(e.at)
            )),
            _ => {}
        }
    }
    out
}

fn follow_ups(run: &Run, config: &Config, evidence: &[EvidenceItem]) -> Vec<String> {
    let mut out = Vec::new();
    for item in evidence.iter().filter(|i| i.status != ItemStatus::Ok) {
        out.push(format!(
            "evidence `{}` is {}: {}",
            item.id,
            item.status.as_str(),
            item.detail
        ));
    }
    if run.phase() == Phase::Rollback {
        let reason = run.entries.iter().find_map(|(_, e)| match &e.event {
            Event::RollbackStarted { reason, .. } => Some(reason.clone()),
            _ => None,
        });
        out.push(format!(
            "the hotfix was rolled back ({}); find out why before the next attempt",
            reason.unwrap_or_default()
        ));
    }
    if let Some(t) = run.record.plan.restore.as_ref().and_then(|r| r.takes_out.as_ref()) {
        if t.commits_total > 0 {
            let listed: Vec<String> = t
                .commits
                .iter()
                .map(|c| format!("{} {}", c.id.short(), c.subject))
                .collect();
            out.push(format!(
                "land again on `{}` the {} commit(s) the restore took out ({} file(s), {}), once the hotfix is \
                 done: {}{}",
                run.record.release_branch,
                t.commits_total,
                t.files,
                t.lines(),
                listed.join("; "),
                if t.commits_total > listed.len() {
                    format!("; and {} more", t.commits_total - listed.len())
                } else {
                    String::new()
                }
            ));
        }
    }
    let backports = run.backports();
    out.extend(backports.iter().filter_map(backport_follow_up));
    if let Some(develop) = &config.branches.develop {
        if !backports.iter().any(|b| &b.target == develop) {
            out.push(format!(
                "make sure the fix is on `{develop}` too (backport), so the next release keeps it"
            ));
        }
    }
    for check in run.record.plan.checks.iter().filter(|c| c.status == CheckStatus::Warn) {
        out.push(format!("plan warning `{}`: {}", check.name, check.detail));
    }
    out.push("hold the postmortem within 24 hours".into());
    out
}

/// Returns what is left of a backport the run opened: its request is
/// reviewed and merged (after its conflicts are resolved); none when the
/// target already had the fix.
pub fn backport_follow_up(b: &crate::record::backport::Backport) -> Option<String> {
    use crate::record::backport::{BackportRequest, BackportState};
    let branch = b.branch.as_deref()?;
    let request = match &b.request {
        Some(BackportRequest::Forge { merge_request }) => {
            format!("request !{} ({})", merge_request.iid, merge_request.web_url)
        }
        Some(BackportRequest::OpenAt { url }) => format!("the request to open at {url}"),
        _ => format!("the request of `{branch}`"),
    };
    Some(match b.state {
        BackportState::Conflicted => format!(
            "backport of {} to `{}` conflicted ({}): resolve it on `{branch}` as its request says, then review and merge {request}",
            b.fix.short(),
            b.target,
            b.conflicts.join(", ")
        ),
        _ => format!(
            "review and merge the backport of {} to `{}`: {request}",
            b.fix.short(),
            b.target
        ),
    })
}

fn postmortem(started: i64) -> Vec<String> {
    vec![
        format!("schedule it before {}", format_utc(started + 24 * 3600)),
        "what happened: the timeline above, from detection to resolution".into(),
        "root cause analysis".into(),
        "why it was not caught before: which tests or checks were missing".into(),
        "prevention: test coverage, CI/CD checks, monitoring and alerts".into(),
        "communicate the findings to the team and update the runbook".into(),
    ]
}

/// What `git hotfix verify` found of a run: each check, passed or not, with
/// the entries that failed it.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub run: String,
    pub ok: bool,
    /// Why this is this clone's copy of the run: the remote did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
    pub checks: Vec<VerificationCheck>,
}

/// One check of a run: `chain`, `signatures` or `commits`.
#[derive(Clone, Debug, Serialize)]
pub struct VerificationCheck {
    pub name: &'static str,
    pub ok: bool,
    /// False when the check could not be made here (the remote unreachable,
    /// the allowed signers file missing): not ok, and not a failure either.
    pub checked: bool,
    /// What was found: "chain of 12 entries", "not configured: entries are not signed".
    pub detail: String,
    pub failures: Vec<VerificationFailure>,
}

/// What failed a check, and at which entry when one is to blame.
#[derive(Clone, Debug, Serialize)]
pub struct VerificationFailure {
    pub seq: Option<u32>,
    /// The entry's event (`approved`, `run-created`).
    pub event: Option<String>,
    pub commit: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.seq, &self.event, &self.commit) {
            (Some(seq), Some(event), Some(commit)) => {
                write!(
                    f,
                    "entry #{seq} ({event}, {}): {}",
                    &commit[..7.min(commit.len())],
                    self.reason
                )
            }
            (Some(seq), _, _) => write!(f, "entry #{seq}: {}", self.reason),
            _ => write!(f, "{}", self.reason),
        }
    }
}

impl Verification {
    /// Returns the result in one line: "passed (chain of 9 entries, 4
    /// decisions signed by allowed signers, commits match inputs)", or
    /// "FAILED: " (or "NOT CHECKED: " when no check that was made failed) and every failure.
    pub fn headline(&self) -> String {
        if self.ok {
            let details: Vec<&str> = self.checks.iter().map(|c| c.detail.as_str()).collect();
            return format!("passed ({})", details.join(", "));
        }
        let verdict = if self.failed() { "FAILED" } else { "NOT CHECKED" };
        let failures: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.ok)
            .flat_map(|c| {
                let failures: Vec<String> = c.failures.iter().map(|f| format!("{}: {f}", c.name)).collect();
                if failures.is_empty() {
                    vec![format!("{}: {}", c.name, c.detail)]
                } else {
                    failures
                }
            })
            .collect();
        format!("{verdict}: {}", failures.join("; "))
    }

    /// Returns true when a check was made and failed; a run whose checks
    /// could only partly be made here is not ok, and has not failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.checked && !c.ok)
    }
}
