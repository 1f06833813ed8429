//! `git hotfix demo`: a full restore-release hotfix in a sandbox it creates,
//! run through the same commands an operator types: plan, start, two
//! approvals, the release job, deploy, verification against a local
//! production service, smoke checks, the incident record and finish.

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
    out!(
        "  production  a local service at {} reporting the SHA it runs",
        sandbox.service_url
    );
    out!("  operator/   the operator's clone, with uncommitted work that git-hotfix leaves alone");
    let as_person = |who: Option<(&str, &str)>| Globals {
        dir: sandbox.operator.clone(),
        config: None,
        operator: who.map(|(n, e)| (n.to_string(), e.to_string())),
    };
    let operator = as_person(None);
    let fix = plan::FixArgs {
        fixes: vec![short(&sandbox.fix).to_string()],
        production: None,
        product: None,
        mainline: None,
        allow_dependency: None,
        production_override: None,
    };

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

    for (role, name, email) in [
        ("tech-lead", "Tess Lead", "tess@example.com"),
        ("pm", "Pat Product", "pat@example.com"),
    ] {
        banner(&format!(
            "git hotfix approve --role {role}      # as {name}, in their own clone"
        ));
        approve::run(
            &as_person(Some((name, email))),
            approve::Args {
                run: None,
                role: role.into(),
            },
        )?;
    }

    banner("git hotfix continue --yes      # the release job, the deploy, verification, smoke checks");
    continue_run::run(
        &operator,
        continue_run::Args {
            run: None,
            rebuild: false,
            yes: true,
            allow_dependency: None,
            replan: false,
            rerun: None,
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
            format: report::Format::Md,
            output: Some(record.clone()),
        },
    )?;
    banner("git hotfix finish --force      # a real run waits out the 2h monitoring window first");
    finish::run(&operator, finish::Args { run: None, force: true })?;
    banner("git hotfix log");
    log::run(&operator, log::Args { json: false })?;

    out!("");
    out!("demo: done; the sandbox stays in {}", sandbox.root.display());
    out!("  the incident record is {}", record.display());
    out!(
        "next: cd {} and try `git hotfix status` or `git hotfix report`, or `git log --oneline origin/release`",
        sandbox.operator.display()
    );
    Ok(())
}

fn banner(command: &str) {
    out!("");
    out!("$ {command}");
}
