//! `git hotfix demo`: a full restore-release hotfix in a sandbox it creates,
//! run through the same commands an operator types: plan, start, two
//! approvals, then for each of the two services the fix touches (`checkout`
//! and `billing`) its release job, deploy, verification against its local
//! production service and smoke check; the incident record with its table
//! of targets, and finish.
//!
//! `git hotfix demo --strategy from-tag`: a hotfix of one of two products
//! released by tagging (seed 003): plan, start, status, report, then what
//! it left on the origin (the hotfix branch, the bumped version, the
//! CHANGELOG row, the tag and what changed between the two tags).
//!
//! `git hotfix demo --forge gitlab|github`: the restore-release runbook
//! through the test kit's fake forge, started in this process: each person
//! approves with their own token, then what the fake forge received.

use std::path::PathBuf;

use hotfix::config::Severity;
use hotfix_testkit::demo::short;

use crate::cli::Globals;
use crate::commands::{approve, continue_run, finish, log, plan, report, start, status};
use crate::error::{CommandError, CommandResult};
use crate::ui::out;

#[derive(clap::Args)]
pub struct Args {
    /// Build the sandbox here instead of a new temporary directory
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The strategy the demo runs
    #[arg(long, value_enum, default_value_t = DemoStrategy::RestoreRelease)]
    pub strategy: DemoStrategy,
    /// Carry the runbook out through a fake forge, started in this process
    #[arg(long, value_enum, value_name = "FORGE", conflicts_with = "strategy")]
    pub forge: Option<DemoForge>,
}

/// The forges the demo has a fake of.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DemoForge {
    /// GitLab: environment, orchestration pipeline, manual jobs, approvals, incident
    Gitlab,
    /// GitHub: deployments, workflow_dispatch, environment reviewers, approvals, issue
    Github,
}

/// The strategies the demo has a sandbox for.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DemoStrategy {
    /// Restore release to production, pick the fix, approvals, release job, deploy
    RestoreRelease,
    /// A hotfix branch from a product's production tag, a version bump, a new tag
    FromTag,
}

pub fn run(args: Args) -> CommandResult {
    let root = match args.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!(
            "git-hotfix-demo-{}",
            hotfix::ambient::Ambient::from_env().random_hex(6)
        )),
    };
    if root.exists() && std::fs::read_dir(&root).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(CommandError::usage(
            format!("{} exists and is not empty", root.display()),
            "pass --dir with a new directory, or leave it out for a fresh temporary one",
        ));
    }
    match (args.forge, args.strategy) {
        (Some(DemoForge::Gitlab), _) => forge_gitlab(root),
        (Some(DemoForge::Github), _) => forge_github(root),
        (None, DemoStrategy::RestoreRelease) => restore_release(root),
        (None, DemoStrategy::FromTag) => from_tag(root),
    }
}

fn restore_release(root: PathBuf) -> CommandResult {
    let sandbox = hotfix_testkit::demo::build(&root)?;
    out!("demo: sandbox in {}", sandbox.root.display());
    out!(
        "  origin.git  the team's remote: production runs tag prod-2026.11.20 ({})",
        short(&sandbox.production)
    );
    out!(
        "              release has {} unreleased commits; main has the approved fix {}",
        sandbox.unreleased.len(),
        short(&sandbox.fix)
    );
    for service in &sandbox.services {
        out!(
            "  {:<10}  a production service at {} reporting the SHA it runs",
            service.name,
            service.url
        );
    }
    out!("  operator/   the operator's clone, with uncommitted work that git-hotfix leaves alone");
    out!("              its hotfix.toml has [[services]] checkout (checkout/**) and billing (billing/**)");
    let operator = Globals {
        dir: sandbox.operator.clone(),
        config: None,
        operator: None,
    };
    let fix = fix_args(&sandbox.fix);

    banner(&format!("git hotfix plan --fix {}", short(&sandbox.fix)));
    plan::run(
        &operator,
        plan::Args {
            fix: fix.clone(),
            json: false,
        },
    )?;

    banner(&format!(
        "git hotfix start --fix {} --severity critical --incident INC-1042 --yes",
        short(&sandbox.fix)
    ));
    start::run(
        &operator,
        start::Args {
            fix,
            severity: Severity::Critical,
            incident: Some("INC-1042: payments accept negative amounts".into()),
            yes: true,
            force: false,
        },
    )?;

    if sandbox.signed {
        out!("  approvals are signed with each person's SSH key and checked against .hotfix/allowed_signers");
    } else {
        out!("  ssh-keygen is not available: approvals are self-declared (verify = \"none\") and marked unverified");
    }
    for approver in &sandbox.approvers {
        banner(&format!(
            "git hotfix approve --role {}      # as {}, in their own clone{}",
            approver.role,
            approver.name,
            if sandbox.signed { ", signed with their key" } else { "" }
        ));
        approve::run(
            &Globals {
                dir: approver.clone.clone(),
                config: None,
                operator: Some((approver.name.into(), approver.email.into())),
            },
            approve::Args {
                run: None,
                role: approver.role.into(),
                json: false,
            },
        )?;
    }

    banner("git hotfix continue --yes      # each service's release job, deploy, verification, smoke check");
    continue_run::run(&operator, continue_args())?;

    banner("git hotfix status");
    status::run(&operator, status::Args { run: None, json: false })?;
    let record = sandbox.root.join("incident.md");
    banner(&format!("git hotfix report --output {}", record.display()));
    report::run(
        &operator,
        report::Args {
            run: None,
            across: Default::default(),
            format: report::Format::Md,
            output: Some(record.clone()),
            json: false,
        },
    )?;
    print_targets(&record)?;
    banner("git hotfix finish --force      # a real run waits out the 2h monitoring window first");
    finish::run(
        &operator,
        finish::Args {
            run: None,
            force: true,
            json: false,
        },
    )?;
    banner("git hotfix log");
    log::run(&operator, log::Args { json: false })?;

    out!("");
    out!("demo: done; the sandbox stays in {}", sandbox.root.display());
    let running: Vec<String> = sandbox
        .services
        .iter()
        .map(|s| format!("{} runs {}", s.name, short(&s.running())))
        .collect();
    out!(
        "  one fix, one release, two services: {} (the release commit)",
        running.join(", ")
    );
    out!("  the incident record is {}", record.display());
    out!(
        "next: cd {} and try `git hotfix status` or `git hotfix report`, or `git log --oneline origin/release`",
        sandbox.operator.display()
    );
    Ok(())
}

/// Shows the incident record's table of targets, `record`'s `## Targets`
/// section: what the run did to each service.
fn print_targets(record: &std::path::Path) -> CommandResult {
    let text = std::fs::read_to_string(record).map_err(|e| CommandError {
        kind: crate::error::ExitKind::Error,
        message: format!("failed to read the incident record {}: {e}", record.display()),
        details: Vec::new(),
        hints: Vec::new(),
    })?;
    banner(&format!("sed -n '/^## Targets/,/^## Fix/p' {}", record.display()));
    let section = text
        .lines()
        .skip_while(|l| *l != "## Targets")
        .take_while(|l| *l != "## Fix");
    for line in section {
        out!("{line}");
    }
    Ok(())
}

/// The runbook through the fake GitLab: plan, start with a new incident,
/// two approvals each with its own token, continue, finish, report.
fn forge_gitlab(root: PathBuf) -> CommandResult {
    let sandbox = hotfix_testkit::demo::build_gitlab(&root)?;
    let forge = format!(
        "  gitlab      a fake GitLab at {}: pipelines, manual jobs, protected-environment approvals, incidents",
        sandbox.gitlab.url()
    );
    forge_sandbox_intro(&sandbox.root, &sandbox.shop, "GitLab", &forge);
    run_forge_runbook(
        "GITLAB_TOKEN",
        "GitLab",
        &sandbox.operator,
        &sandbox.operator_token,
        &sandbox.shop.fix,
        &sandbox.approvers,
    )?;

    let gitlab = &sandbox.gitlab;
    out!("");
    out!("demo: done; what the fake GitLab received:");
    for created in gitlab.requests_to("POST", "/pipeline") {
        let body: serde_json::Value = serde_json::from_slice(&created.body).unwrap_or_default();
        out!("  pipeline created on {} with inputs {}", created.path, body["inputs"]);
    }
    let jobs = gitlab.jobs();
    for played in gitlab.requests_to("POST", "/play") {
        let job = jobs.iter().find(|j| played.path.contains(&format!("/jobs/{}/", j.id)));
        if let Some(job) = job {
            out!("  job played: `{}` #{}, now {}", job.name, job.id, job.status);
        }
    }
    for deployment in gitlab.deployments() {
        let users: Vec<String> = deployment
            .approvals
            .iter()
            .map(|a| format!("@{}", a.user.username))
            .collect();
        out!(
            "  deployment #{} of the protected production environment approved by {}",
            deployment.id,
            users.join(", ")
        );
    }
    for issue in gitlab.issues() {
        let notes = gitlab.notes().iter().filter(|n| n.issue == issue.iid).count();
        out!(
            "  incident #{} `{}`: {notes} notes (the timeline and the report)",
            issue.iid,
            issue.title
        );
    }
    out!(
        "  the sandbox stays in {}; the fake GitLab stopped with this process",
        sandbox.root.display()
    );
    Ok(())
}

/// The runbook through the fake GitHub: plan, start with a new incident,
/// two approvals each with its own token, continue, finish, report.
fn forge_github(root: PathBuf) -> CommandResult {
    let sandbox = hotfix_testkit::demo::build_github(&root)?;
    let github = &sandbox.github;
    let forge = format!(
        "  github      a fake GitHub at {}: deployments, workflow_dispatch, environment reviewers, issues",
        github.url()
    );
    forge_sandbox_intro(&sandbox.root, &sandbox.shop, "GitHub", &forge);
    run_forge_runbook(
        "GITHUB_TOKEN",
        "GitHub",
        &sandbox.operator,
        &sandbox.operator_token,
        &sandbox.shop.fix,
        &sandbox.approvers,
    )?;

    out!("");
    out!("demo: done; what the fake GitHub received:");
    for (run, workflow, git_ref, inputs) in github.runs() {
        out!("  workflow `{workflow}` dispatched on `{git_ref}` with inputs {inputs}: run #{run}");
    }
    for (id, name, status, _) in github.jobs() {
        out!("  job `{name}` #{id}: {status}");
    }
    let reviews = github
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/pending_deployments"));
    for review in reviews {
        let body: serde_json::Value = serde_json::from_slice(&review.body).unwrap_or_default();
        out!(
            "  pending deployment reviewed: {} for environments {}",
            body["state"],
            body["environment_ids"]
        );
    }
    for (sha, user, body) in github.commit_comments() {
        out!("  commit comment by @{user} on {}: {body}", short(&sha));
    }
    for (number, labels) in github.issues() {
        let comments = github.comments().iter().filter(|c| c.0 == number).count();
        out!(
            "  issue #{number} labelled {}: {comments} comments (the milestones and the report)",
            labels.join(", ")
        );
    }
    if let Some((id, environment, sha, _)) = github.deployments().last() {
        out!(
            "  deployment #{id} of `{environment}`: {} (production's newest successful one)",
            short(sha)
        );
    }
    out!(
        "  the sandbox stays in {}; the fake GitHub stopped with this process",
        sandbox.root.display()
    );
    Ok(())
}

/// Says what a forge demo's sandbox holds: the shop's origin, `forge_line`
/// (the fake forge), the production service.
fn forge_sandbox_intro(root: &std::path::Path, shop: &hotfix_testkit::demo::Shop, forge: &str, forge_line: &str) {
    out!("demo: sandbox in {}", root.display());
    out!(
        "  origin.git  the team's remote: production runs {} ({forge}'s production environment, tag prod-2026.11.20)",
        short(&shop.production)
    );
    out!(
        "              release has {} unreleased commits; main has the approved fix {}",
        shop.unreleased.len(),
        short(&shop.fix)
    );
    out!("{forge_line}");
    out!(
        "  production  a local checkout service at {} that deploy-production ships release to",
        shop.checkout().url
    );
}

/// Runs the runbook through a fake forge as its people would, each command
/// with its person's token in `token_env`: plan, start with a new incident,
/// the approvals of `approvers`, each with their own token, continue,
/// finish, report.
fn run_forge_runbook(
    token_env: &str,
    forge: &str,
    dir: &std::path::Path,
    operator_token: &str,
    fix: &str,
    approvers: &[hotfix_testkit::demo::ForgeApprover],
) -> CommandResult {
    let operator = Globals {
        dir: dir.to_path_buf(),
        config: None,
        operator: None,
    };
    let fix_short = short(fix);
    let fix = fix_args(fix);
    // Each person's commands read their own token, as each would in their own shell.
    let as_token = |token: &str| std::env::set_var(token_env, token);
    as_token(operator_token);

    banner(&format!("{token_env}=<operator's> git hotfix plan --fix {fix_short}"));
    plan::run(
        &operator,
        plan::Args {
            fix: fix.clone(),
            json: false,
        },
    )?;
    banner(&format!(
        "git hotfix start --fix {fix_short} --severity critical --incident new --yes"
    ));
    start::run(
        &operator,
        start::Args {
            fix,
            severity: Severity::Critical,
            incident: Some("new".into()),
            yes: true,
            force: false,
        },
    )?;
    for approver in approvers {
        let (role, username) = (approver.role, approver.username);
        banner(&format!(
            "{token_env}=<{username}'s> git hotfix approve --role {role}      # approved on {forge} as @{username}"
        ));
        as_token(&approver.token);
        approve::run(
            &Globals {
                dir: dir.to_path_buf(),
                config: None,
                operator: Some((username.to_string(), format!("{username}@example.com"))),
            },
            approve::Args {
                run: None,
                role: role.to_string(),
                json: false,
            },
        )?;
    }
    as_token(operator_token);
    banner("git hotfix continue --yes      # runs deploy-production, follows it, verifies production, smoke");
    continue_run::run(&operator, continue_args())?;
    banner("git hotfix finish --force      # a real run waits out any monitoring window first");
    finish::run(
        &operator,
        finish::Args {
            run: None,
            force: true,
            json: false,
        },
    )?;
    banner("git hotfix report");
    report::run(
        &operator,
        report::Args {
            run: None,
            across: Default::default(),
            format: report::Format::Md,
            output: None,
            json: false,
        },
    )
}

fn fix_args(fix: &str) -> plan::FixArgs {
    plan::FixArgs {
        fixes: vec![short(fix).to_string()],
        production: None,
        product: None,
        mainline: None,
        allow_dependency: None,
        production_override: None,
        services: Vec::new(),
    }
}

fn continue_args() -> continue_run::Args {
    continue_run::Args {
        run: None,
        rebuild: false,
        yes: true,
        allow_dependency: None,
        replan: false,
        rerun: None,
        json: false,
    }
}

fn from_tag(root: PathBuf) -> CommandResult {
    let sandbox = hotfix_testkit::demo::build_from_tag(&root)?;
    let product = sandbox.product.as_str();
    out!("demo: sandbox in {}", sandbox.root.display());
    out!("  origin.git  the team's remote: two products released by tagging, worker-mobile and web");
    out!(
        "              production runs {} ({}); main has moved on ({}, unreleased) and has the approved fix {}",
        sandbox.production_tag,
        short(&sandbox.production),
        short(&sandbox.unreleased),
        short(&sandbox.fix)
    );
    out!(
        "  production  a local service at {} reporting the tag it runs",
        sandbox.service_url
    );
    out!("  operator/   the operator's clone, with hotfix.toml (strategy = \"from-tag\")");
    let operator = Globals {
        dir: sandbox.operator.clone(),
        config: None,
        operator: None,
    };
    let fix = plan::FixArgs {
        fixes: vec![short(&sandbox.fix).to_string()],
        production: None,
        product: Some(product.to_string()),
        mainline: None,
        allow_dependency: None,
        production_override: None,
        services: Vec::new(),
    };

    banner(&format!(
        "git hotfix plan --product {product} --fix {}",
        short(&sandbox.fix)
    ));
    plan::run(
        &operator,
        plan::Args {
            fix: fix.clone(),
            json: false,
        },
    )?;

    banner(&format!(
        "git hotfix start --product {product} --fix {} --severity critical --incident INC-2077 --yes",
        short(&sandbox.fix)
    ));
    start::run(
        &operator,
        start::Args {
            fix,
            severity: Severity::Critical,
            incident: Some("INC-2077: worker app crashes syncing an empty job list".into()),
            yes: true,
            force: false,
        },
    )?;

    banner("git hotfix status");
    status::run(&operator, status::Args { run: None, json: false })?;
    let record = sandbox.root.join("incident.md");
    banner(&format!("git hotfix report --output {}", record.display()));
    report::run(
        &operator,
        report::Args {
            run: None,
            across: Default::default(),
            format: report::Format::Md,
            output: Some(record.clone()),
            json: false,
        },
    )?;

    // What the run left on the origin, read with plain git.
    let git = |args: &[&str]| -> Result<String, CommandError> {
        let shown: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
        banner(&format!("git {}      # in origin.git", shown.join(" ")));
        let text = sandbox.git(args)?;
        for line in text.lines() {
            out!("{line}");
        }
        Ok(text)
    };
    let pattern = format!("refs/heads/hotfix/{product}-v*");
    let branch = git(&["for-each-ref", "--format=%(refname:short)", &pattern])?;
    let branch = branch.lines().next().unwrap_or_default().to_string();
    let tags = format!("{product}/*");
    let listed = git(&["tag", "--list", "-n1", "--sort=-v:refname", &tags])?;
    let tag = listed
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    git(&["log", "--oneline", &format!("{}..{branch}", sandbox.production_tag)])?;
    git(&["show", &format!("{tag}:apps/mobile/pubspec.yaml")])?;
    git(&["show", &format!("{tag}:apps/mobile/CHANGELOG.md")])?;
    git(&["diff", "--name-only", &sandbox.production_tag, &tag])?;
    git(&["tag", "--list", "web/*"])?;

    out!("");
    out!("demo: done; the sandbox stays in {}", sandbox.root.display());
    out!("  {tag} is deployed; web and its tag did not change");
    out!("  the incident record is {}", record.display());
    out!(
        "next: cd {} and try `git hotfix status` or `git hotfix report`, `git log --oneline --graph --all`, then `git hotfix finish --force`",
        sandbox.operator.display()
    );
    Ok(())
}

/// Quotes `word` for a shell when it holds characters a shell would expand.
fn shell_word(word: &str) -> String {
    if word.chars().any(|c| " *?%()[]$'\"".contains(c)) {
        format!("'{}'", word.replace('\'', "'\\''"))
    } else {
        word.to_string()
    }
}

fn banner(command: &str) {
    out!("");
    out!("$ {command}");
}
