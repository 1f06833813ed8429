//! A sample run record with fixed ids and times: every action kind among
//! its steps and an entry of every event (every evidence kind among them),
//! for the snapshot of the JSON format and for tests that forge journals.

use std::path::Path;

use crate::config::{Config, Severity};
use crate::git::{CommitSummary, Oid};
use crate::providers::command::CommandOutcome;
use crate::providers::http::{HttpVerdict, Observation};
use crate::providers::production::{ProductionReading, ProductionSha, UnreadSource};
use crate::record::entry::{
    Actor, Approval, BuiltPick, Entry, Event, Evidence, EvidenceItem, ItemStatus, RunRecord, SmokeResult, Verification,
};
use crate::record::plan::{
    Check, CheckStatus, NameDependency, PathDependency, Pick, PickStatus, Plan, Resolution, RestoreCommit, Scope,
    ScopeChange, TakenOut,
};
use crate::record::plan::{TagRelease, VersionBump, WayBack};
use crate::record::step::{Action, RefMove, Step, StepName, Steps};

pub const RUN_ID: &str = "20261201-111500-a1b2";
const AT: i64 = 1_796_123_700;

/// Returns the object id made of `digit` 40 times.
pub fn oid(digit: char) -> Oid {
    Oid::parse(&digit.to_string().repeat(40)).expect("40 hex digits are an object id")
}

fn commit(digit: char, subject: &str) -> CommitSummary {
    CommitSummary {
        id: oid(digit),
        subject: subject.into(),
    }
}

/// Returns the configuration the sample run was started with.
pub fn config() -> Config {
    let text = r#"
strategy = "restore-release"
remote = "origin"
service = "billing"
[branches]
main = "main"
release = "release"
[approvals]
roles = ["sre", "pm"]
allowed_signers = ".hotfix/allowed_signers"
[release]
command = "./release.sh"
action = "release checkout"
project = "billing"
[deploy]
command = "./deploy.sh --key $DEPLOY_KEY"
timeout = "600s"
[verify]
monitor = "2h"
[[verify.http]]
url = "https://billing.example.com/version"
sha_pointer = "/sha"
[[smoke]]
name = "login"
command = "./smoke/login.sh"
[secrets]
env = ["DEPLOY_KEY"]
"#;
    Config::parse(text, Path::new("hotfix.toml")).expect("the sample configuration is valid")
}

/// Returns a release pipeline step with seed 001's guided inputs.
fn forge_pipeline_step() -> crate::record::step::ForgePipelineStep {
    crate::record::step::ForgePipelineStep {
        request: forge_request(),
        job: Some("release billing".into()),
        forbidden_actions: vec!["bring-all-code-to-release-branch".into()],
        wait: wait(),
    }
}

fn wait() -> crate::record::step::JobWait {
    crate::record::step::JobWait {
        timeout: std::time::Duration::from_secs(1800),
        poll_interval: std::time::Duration::from_secs(5),
        start_timeout: std::time::Duration::from_secs(600),
    }
}

fn forge_request() -> crate::record::forge::PipelineRequest {
    use crate::record::forge::InputValue;
    crate::record::forge::PipelineRequest {
        project: Some("fleet/develop".into()),
        workflow: None,
        git_ref: "main".into(),
        inputs: [
            (
                "action".to_string(),
                InputValue::Text("deploy-release-branch-to-staging".into()),
            ),
            ("project".to_string(), InputValue::Text("fleet/billing".into())),
            ("attempt".to_string(), InputValue::Number(1)),
            ("confirm".to_string(), InputValue::Bool(true)),
        ]
        .into_iter()
        .collect(),
        variables: false,
    }
}

fn pipeline_ref() -> crate::record::forge::PipelineRef {
    crate::record::forge::PipelineRef {
        project: "fleet/develop".into(),
        id: 901,
        web_url: "https://gitlab.example.com/fleet/develop/-/pipelines/901".into(),
    }
}

fn job_ref(id: u64, name: &str, status: &str) -> crate::record::forge::JobRef {
    crate::record::forge::JobRef {
        project: "fleet/develop".into(),
        pipeline: 901,
        id,
        name: name.into(),
        status: status.into(),
        web_url: format!("https://gitlab.example.com/fleet/develop/-/jobs/{id}"),
    }
}

/// Returns the sample's release push.
pub fn release_push() -> RefMove {
    RefMove {
        name: "refs/heads/release".into(),
        expected: Some(oid('1')),
        new: oid('5'),
    }
}

/// Returns steps of every action kind.
pub fn steps() -> Steps {
    let config = config();
    let hotfix = vec![
        Step::record_production(),
        Step::lock("release"),
        Step::build(),
        Step::push_release(release_push()),
        Step::verify_release("release", vec!["CHANGELOG.md".into()]),
        Step::approvals(&config.approvals),
        Step::release_action(config.release.as_ref().expect("the sample has [release]")),
        Step::deploy(config.deploy.as_ref().expect("the sample has [deploy]"), &[]),
        Step::verify_production(&config.verify),
        Step::smoke(&config.smoke),
        Step::new(
            StepName::new("wait-for-fix").expect("a step name"),
            "wait for the fix to be committed on the hotfix branch",
            Action::WaitForFix {
                branch: "hotfix/billing-v1.4.1".into(),
                base: oid('2'),
            },
        ),
        Step::new(
            StepName::new("tag-release").expect("a step name"),
            "tag the release commit",
            Action::CreateTag {
                tag: "v1.4.1".into(),
                message: "billing 1.4.1".into(),
            },
        ),
        Step::new(
            StepName::new("forge-release").expect("a step name"),
            "create the release pipeline and play its release job",
            Action::ForgePipeline(forge_pipeline_step()),
        ),
        Step::new(
            StepName::new("forge-deploy").expect("a step name"),
            "play the downstream production deploy job",
            Action::ForgeJob(crate::record::step::ForgeJobStep {
                job: "deploy-production".into(),
                pipeline_of: StepName::new("forge-release").expect("a step name"),
                downstream: true,
                forbidden_actions: vec!["cut-off".into()],
                wait: wait(),
            }),
        ),
        Step::new(
            StepName::new("notify").expect("a step name"),
            "",
            Action::Unconfigured {
                key: "[notify] command".into(),
            },
        ),
    ];
    let rollback = vec![
        Step::rollback_restore("release"),
        Step::deploy(config.deploy.as_ref().expect("the sample has [deploy]"), &[]),
        Step::smoke(&config.smoke),
    ];
    Steps {
        hotfix,
        rollback,
        v0_names: Vec::new(),
    }
}

fn production() -> ProductionSha {
    ProductionSha {
        commit: oid('2'),
        readings: vec![ProductionReading {
            source: "--production".into(),
            said: "prod-2026-11-30".into(),
            commit: oid('2'),
        }],
        unread: vec![UnreadSource {
            source: "http https://billing.example.com/version#/sha".into(),
            detail: "connection refused".into(),
        }],
    }
}

fn restore() -> RestoreCommit {
    RestoreCommit {
        commit: oid('3'),
        parent: oid('1'),
        tree: oid('a'),
        takes_out: Some(TakenOut {
            files: 2,
            lines_added: Some(10),
            lines_removed: Some(4),
            commits: vec![commit('6', "feat: invoices in bulk")],
            commits_total: 1,
        }),
    }
}

fn checks() -> Vec<Check> {
    vec![
        Check::new("fixes-on-main", CheckStatus::Pass, "every fix is on main"),
        Check::new(
            "same-file",
            CheckStatus::Warn,
            "src/billing.rs: unreleased work changed other lines",
        )
        .with_commits(vec![commit('6', "feat: invoices in bulk")])
        .with_paths(vec!["src/billing.rs".into()]),
    ]
}

fn plan() -> Plan {
    Plan {
        strategy: "restore-release".into(),
        remote: "origin".into(),
        release_branch: "release".into(),
        main_branch: "main".into(),
        release_tip: oid('1'),
        main_tip: oid('7'),
        production: production(),
        production_tree: oid('a'),
        restore: Some(restore()),
        picks: vec![Pick {
            fix: oid('8'),
            subject: "fix: rounding of totals".into(),
            base: oid('9'),
            mainline: None,
            status: PickStatus::Clean,
            commit: Some(oid('4')),
            tree: oid('b'),
            touched: vec!["src/billing.rs".into()],
            placed: vec!["src/billing/total.rs".into()],
            conflicts: Vec::new(),
            unreleased: vec![commit('6', "feat: invoices in bulk")],
            dependencies: Vec::new(),
            same_file: vec![PathDependency {
                path: "src/billing.rs".into(),
                commits: vec![commit('6', "feat: invoices in bulk")],
                context_only: true,
            }],
            uses_unreleased: vec![NameDependency {
                name: "bulk_total".into(),
                used_in: "src/billing.rs".into(),
                defined_in: "src/bulk.rs".into(),
                line: 12,
                commit: commit('6', "feat: invoices in bulk"),
            }],
            applied_as: None,
            onto: Some(oid('3')),
            onto_tree: Some(oid('a')),
        }],
        release_tree: oid('c'),
        new_tip: oid('5'),
        extra_commits: vec![oid('d')],
        scope: Scope {
            files: 1,
            lines_added: 3,
            lines_removed: 1,
            changes: vec![ScopeChange {
                path: "src/billing.rs".into(),
                added: Some(3),
                removed: Some(1),
            }],
            migrations: Vec::new(),
        },
        checks: checks(),
        steps: steps(),
        from_tag: Some(Box::new(TagRelease {
            product: "worker".into(),
            production_tag: "worker/prod-v0.1.0".into(),
            production_version: "0.1.0".into(),
            version: "0.1.1".into(),
            tag: "worker/prod-v0.1.1".into(),
            branch: "hotfix/worker-v0.1.1".into(),
            skipped: None,
            build: Some(6),
            version_commit: oid('4'),
            version_files: vec![VersionBump {
                path: "apps/worker/pubspec.yaml".into(),
                from: "0.1.0+5".into(),
                to: "0.1.1+6".into(),
            }],
            changelog: Some("apps/worker/CHANGELOG.md".into()),
            way_back: Some(WayBack::FastForward {
                main: RefMove {
                    name: "refs/heads/main".into(),
                    expected: Some(oid('7')),
                    new: oid('4'),
                },
            }),
            awaiting_fix: false,
            branch_tip: None,
            older_line: false,
        })),
        merge_main: None,
        services: Vec::new(),
        trunk: None,
    }
}

/// Returns the sample run's record, of the format this git-hotfix writes.
pub fn record() -> RunRecord {
    RunRecord {
        format: RunRecord::FORMAT,
        run_id: RUN_ID.into(),
        strategy: "restore-release".into(),
        remote: "origin".into(),
        release_branch: "release".into(),
        main_branch: "main".into(),
        fixes: vec![oid('8')],
        mainline: None,
        severity: Severity::Critical,
        incident: Some("INC-42".into()),
        limit_secs: Some(3600),
        allow_dependency: Some("bulk_total ships in the same release".into()),
        production_override: None,
        plan: plan(),
        config: Some(Box::new(config())),
    }
}

fn outcome(command: &str) -> CommandOutcome {
    CommandOutcome {
        command: command.into(),
        exit_code: Some(0),
        timed_out: false,
        duration_ms: 1200,
        env: vec!["HOTFIX_RELEASE_SHA".into()],
        output: vec!["done".into()],
        output_dropped: 0,
        interrupted: None,
    }
}

fn approval(role: &str, ident: &str) -> Approval {
    Approval {
        role: role.into(),
        ident: ident.into(),
        at: AT + 60,
        release_tip: oid('5'),
        verified: None,
        forge: None,
        rollback: false,
    }
}

/// Returns an entry of every event, in the order a run could write them.
pub fn events() -> Vec<Event> {
    let done = |step: StepName, evidence: Evidence| Event::StepDone { step, evidence };
    vec![
        Event::RunCreated(Box::new(record())),
        done(
            StepName::RECORD_PRODUCTION,
            Evidence::Production {
                production: production(),
            },
        ),
        done(
            StepName::LOCK,
            Evidence::Lock {
                lock_ref: "refs/hotfix/locks/release".into(),
                value: oid('e'),
            },
        ),
        Event::Resolved {
            resolution: Resolution {
                fix: oid('8'),
                onto_tree: oid('a'),
                tree: oid('b'),
                conflicts: vec!["src/billing.rs".into()],
            },
        },
        Event::DependencyAllowed {
            reason: "bulk_total ships in the same release".into(),
        },
        done(
            StepName::BUILD,
            Evidence::Built {
                parent: oid('1'),
                restore: Some(restore()),
                picks: vec![BuiltPick {
                    fix: oid('8'),
                    subject: "fix: rounding of totals".into(),
                    status: PickStatus::Resolved,
                    commit: Some(oid('4')),
                    touched: vec!["src/billing.rs".into()],
                    placed: Vec::new(),
                }],
                new_tip: oid('5'),
                release_tree: oid('c'),
                checks: checks(),
                extra_commits: vec![oid('d')],
            },
        ),
        Event::Rebuilt {
            from_tip: oid('1'),
            to_tip: oid('f'),
            reason: "release moved: a colleague's commit".into(),
        },
        done(
            StepName::PUSH_RELEASE,
            Evidence::Pushed {
                branch_ref: "refs/heads/release".into(),
                old: Some(oid('1')),
                new: oid('5'),
                already: false,
            },
        ),
        done(
            StepName::VERIFY_RELEASE,
            Evidence::Verified {
                remote_tip: oid('5'),
                production_tree: oid('a'),
                restore_tree: Some(oid('a')),
                gained: vec![
                    commit('4', "fix: rounding of totals"),
                    commit('3', "restore production"),
                ],
                changed_paths: vec!["src/billing.rs".into()],
                checks: checks(),
            },
        ),
        Event::Approved {
            approval: approval("sre", "Sam Reliability <sam@example.com>"),
        },
        done(
            StepName::APPROVALS,
            Evidence::Approvals {
                approvals: vec![
                    Approval {
                        verified: Some(Verification::Signature {
                            key: "SHA256:sRsVn0rRf8p0tBzM3TLjzZ9q3vfJ0cvRCZB1rAwq6aU".into(),
                            principal: "sam@example.com".into(),
                        }),
                        ..approval("sre", "Sam Reliability <sam@example.com>")
                    },
                    Approval {
                        verified: Some(Verification::Unverified),
                        ..approval("pm", "Pat Manager <pat@example.com>")
                    },
                ],
            },
        ),
        Event::StepStarted {
            step: StepName::RELEASE_ACTION,
            pgid: 4242,
            host: "laptop".into(),
            command: "./release.sh".into(),
        },
        done(
            StepName::RELEASE_ACTION,
            Evidence::ReleaseAction {
                action: "release checkout".into(),
                project: Some("billing".into()),
                confirm: true,
                release_sha: oid('5'),
                outcome: outcome("./release.sh"),
            },
        ),
        Event::StepStarted {
            step: StepName::DEPLOY,
            pgid: 4343,
            host: "laptop".into(),
            command: "./deploy.sh --key ***".into(),
        },
        Event::StepInterrupted {
            step: StepName::DEPLOY,
            signal: "SIGINT".into(),
            outcome: Some(CommandOutcome {
                exit_code: None,
                interrupted: Some("SIGINT".into()),
                ..outcome("./deploy.sh --key ***")
            }),
        },
        Event::BackportResolved {
            backport: crate::record::backport::Backport {
                fix: oid('f'),
                subject: "fix: handle empty invoice".into(),
                target: "develop".into(),
                target_tip: oid('d'),
                mainline: None,
                state: crate::record::backport::BackportState::Resolved,
                branch: Some("backport/develop-fffffff".into()),
                commit: Some(oid('e')),
                adopted: false,
                conflicts: vec!["src/invoice.rs".into()],
                applied_as: None,
                request: Some(crate::record::backport::BackportRequest::Forge {
                    merge_request: crate::record::forge::MergeRequestRef {
                        iid: 12,
                        web_url: "https://gitlab.example.com/fleet/billing/-/merge_requests/12".into(),
                        adopted: true,
                    },
                }),
            },
        },
        Event::RerunAllowed { step: StepName::DEPLOY },
        done(
            StepName::DEPLOY,
            Evidence::Deployed {
                release_sha: oid('5'),
                outcome: outcome("./deploy.sh --key ***"),
            },
        ),
        Event::PipelineCreated {
            step: StepName::new("forge-release").expect("a step name"),
            pipeline: pipeline_ref(),
        },
        done(
            StepName::new("forge-release").expect("a step name"),
            Evidence::ForgePipeline {
                release_sha: oid('5'),
                request: forge_pipeline_step().request,
                pipeline: pipeline_ref(),
                job: Some(job_ref(9011, "release billing", "success")),
                played: true,
                log_tail: None,
            },
        ),
        done(
            StepName::new("forge-deploy").expect("a step name"),
            Evidence::ForgeJob {
                release_sha: oid('5'),
                pipeline: pipeline_ref(),
                job: job_ref(9021, "deploy-production", "failed"),
                played: false,
                log_tail: Some("deploying\nerror: health check failed".into()),
            },
        ),
        Event::Interrupted {
            step: StepName::VERIFY_PRODUCTION,
            signal: "SIGTERM".into(),
        },
        Event::StepFailed {
            step: StepName::VERIFY_PRODUCTION,
            error: "production reports 2222222 after 10 attempts".into(),
            evidence: Some(Box::new(Evidence::ProductionVerified {
                release_sha: oid('5'),
                checks: vec![verdict(false)],
                monitor_until: None,
            })),
        },
        done(
            StepName::VERIFY_PRODUCTION,
            Evidence::ProductionVerified {
                release_sha: oid('5'),
                checks: vec![verdict(true)],
                monitor_until: Some(AT + 7200),
            },
        ),
        done(
            StepName::SMOKE,
            Evidence::Smoke {
                results: vec![SmokeResult {
                    name: "login".into(),
                    outcome: outcome("./smoke/login.sh"),
                }],
            },
        ),
        done(
            StepName::new("wait-for-fix").expect("a step name"),
            Evidence::FixesPushed {
                branch_ref: "refs/heads/hotfix/billing-v1.4.1".into(),
                commits: vec![commit('8', "fix: rounding of totals")],
                tip: oid('8'),
            },
        ),
        Event::Replanned {
            plan: Box::new(plan()),
            reason: "1 commit(s) pushed to hotfix/billing-v1.4.1 since 2222222".into(),
        },
        done(
            StepName::new("tag-release").expect("a step name"),
            Evidence::Tagged {
                tag_ref: "refs/tags/v1.4.1".into(),
                object: oid('0'),
                commit: oid('5'),
            },
        ),
        Event::Attested {
            item: "customer-comms".into(),
            detail: "status page updated, see INC-42".into(),
        },
        Event::ConfigReplaced {
            config: Box::new(config()),
            changed: vec!["severity".into()],
            steps: Some(Box::new(steps())),
            changed_steps: vec!["deploy".into(), "+smoke".into()],
        },
        Event::RollbackStarted {
            reason: "totals still wrong".into(),
            services: Vec::new(),
        },
        done(
            StepName::ROLLBACK_RESTORE,
            Evidence::RolledBack {
                branch_ref: "refs/heads/release".into(),
                old: oid('5'),
                new: oid('6'),
                production: oid('2'),
                tree: oid('a'),
                already: false,
            },
        ),
        Event::Finished {
            lock_ref: "refs/hotfix/locks/release".into(),
            items: vec![EvidenceItem {
                id: "restore-diff-empty".into(),
                item: "the restore commit's diff against production is empty".into(),
                status: ItemStatus::Ok,
                detail: "tree aaaaaaa".into(),
            }],
        },
        Event::Aborted {
            reason: "written for the snapshot only".into(),
        },
    ]
}

fn verdict(ok: bool) -> HttpVerdict {
    HttpVerdict {
        url: "https://billing.example.com/version".into(),
        expect_status: 200,
        sha_pointer: Some("/sha".into()),
        contains: Vec::new(),
        expected_sha: oid('5').to_string(),
        attempts: if ok { 1 } else { 10 },
        duration_ms: 300,
        last: Observation {
            status: Some(200),
            sha: Some(if ok { oid('5') } else { oid('2') }.to_string()),
            error: None,
        },
        ok,
    }
}

/// Returns the events as entries, numbered from 0 a minute apart.
pub fn entries() -> Vec<Entry> {
    events()
        .into_iter()
        .enumerate()
        .map(|(i, event)| Entry {
            seq: i as u32,
            at: AT + 60 * i as i64,
            actor: Actor {
                ident: "Olly Operator <olly@example.com>".into(),
                host: "laptop".into(),
            },
            event,
        })
        .collect()
}
