//! Argument parsing and dispatch; each command lives in `commands/<name>.rs`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::error::CommandError;
use crate::ui;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  done, or stopped at a gate after making progress
  1  error: git, network, config or journal trouble, or a failed deploy,
     verification or smoke check (the run stops and says how to roll back);
     `doctor` found a check failing
  2  usage: the command line is wrong
  3  blocked: a safety check, a missing approval or evidence item, a held
     lock (guard), a release job or deploy that may have run (--rerun);
     nothing was changed
  4  verification failed: `git hotfix verify` found a run's chain,
     signatures or commits not as they must be
  130  interrupted: Ctrl-C or SIGTERM, forwarded to a running command and
     journaled";

/// Carry out a production hotfix release safely: plan, restore, cherry-pick, prove
#[derive(Parser)]
#[command(name = "git-hotfix", bin_name = "git hotfix", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Run as if started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read the configuration from PATH instead of hotfix.toml at the repository root
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// When to color the output (NO_COLOR and CLICOLOR_FORCE are read under auto)
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: crate::output::ColorWhen,
    /// Print only errors, JSON asked for, and the final `next:` line
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also show every git and HTTP call made and every team command started (on stderr)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Show what a hotfix would do and whether it is safe; changes nothing
    Plan(commands::plan::Args),
    /// Create a run and carry out the plan
    Start(commands::start::CliArgs),
    /// Carry on a run from where it stopped, from any clone
    Continue(commands::continue_run::Args),
    /// Open a conflicting pick in a separate worktree to resolve it by hand
    Resolve(commands::resolve::Args),
    /// Sign off on the pushed release in an approval role
    Approve(commands::approve::Args),
    /// Record evidence for an item no step of the run proves
    Attest(commands::attest::Args),
    /// Bring a run's fixes, or one fix, to the backport branches and open their requests
    Backport(commands::backport::Args),
    /// Restore release to the last good production commit and redeploy it
    Rollback(commands::rollback::Args),
    /// Close a run whose evidence is complete and release the lock
    Finish(commands::finish::Args),
    /// Fail while a hotfix holds the branch (for cut-off and other pipeline jobs)
    Guard(commands::guard::Args),
    /// Write the incident record: timeline, evidence, follow-ups, messages
    Report(commands::report::Args),
    /// Stop a run for good and release its lock
    Abort(commands::abort::Args),
    /// Show a run's steps, evidence and time against its severity limit
    Status(commands::status::Args),
    /// Check a whole run: its chain, its signatures, its commits against its inputs
    Verify(commands::verify::Args),
    /// List hotfix runs, newest first
    Log(commands::log::Args),
    /// Write a commented hotfix.toml, detecting the branch names
    Init(commands::init::Args),
    /// Run a full hotfix in a sandbox it creates
    Demo(commands::demo::Args),
    /// Check before an incident that the config, the remote and the forge are ready
    Doctor(commands::doctor::Args),
    /// Write the hotfix pipeline for GitLab CI or GitHub Actions
    Ci(commands::ci::Args),
    /// Write the manual pages, which `git hotfix --help` and `git help hotfix` show
    Man(commands::man::Args),
    /// Print a shell's completion script, which completes through `git hotfix` too
    Completions(commands::completions::Args),
    #[command(name = "__complete", hide = true)]
    Complete(commands::complete::Args),
}

/// Shared by every command: where the repository is and which config to read.
pub struct Globals {
    pub dir: PathBuf,
    pub config: Option<PathBuf>,
    /// Acts as this person (name, email) instead of git's committer
    /// identity: the demo plays several people in one process.
    pub operator: Option<(String, String)>,
}

impl Globals {
    pub fn session(&self) -> Result<hotfix::ops::Session, CommandError> {
        let mut session = hotfix::ops::Session::open(&self.dir, self.config.as_deref())?;
        ui::mask_secrets_of(&session);
        if let Some((name, email)) = &self.operator {
            session.act_as(name, email);
        }
        Ok(session)
    }
}

impl Command {
    /// Returns whether the command was asked for `--json` (`report --format json` too).
    fn json(&self) -> bool {
        match self {
            Command::Plan(a) => a.json,
            Command::Start(a) => a.json,
            Command::Continue(a) => a.json,
            Command::Resolve(a) => a.json,
            Command::Approve(a) => a.json,
            Command::Attest(a) => a.json,
            Command::Backport(a) => a.wants_json(),
            Command::Rollback(a) => a.json,
            Command::Finish(a) => a.json,
            Command::Guard(a) => a.json,
            Command::Report(a) => a.wants_json(),
            Command::Abort(a) => a.json,
            Command::Status(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Log(a) => a.json,
            Command::Init(a) => a.json,
            Command::Doctor(a) => a.json,
            // What these print is the product itself (a template, pages, a script) or a sandbox tour.
            Command::Ci(a) => a.json,
            Command::Man(a) => a.json,
            // What these print is the product itself (a script) or a sandbox tour.
            Command::Demo(_) | Command::Completions(_) | Command::Complete(_) => false,
        }
    }
}

pub fn run() -> ExitCode {
    let code = dispatch();
    if std::env::var_os("GIT_HOTFIX_REPORT_RSS").is_some_and(|v| v == "1") {
        report_peak_rss();
    }
    code
}

/// Writes this process's own peak resident set to stderr, one line, for
/// `bench/run.sh` (`GIT_HOTFIX_REPORT_RSS=1`). Linux's `VmHWM` counts this
/// process alone: the git processes it starts are not in it, where GNU time's
/// `%M` is the largest of any process in the run.
fn report_peak_rss() {
    let line = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().strip_suffix("kB"))
                .map(|kib| format!("git-hotfix: peak resident memory {} KiB", kib.trim()))
        })
        .unwrap_or_else(|| "git-hotfix: peak resident memory unavailable (no /proc/self/status)".to_string());
    crate::output::err_line(&line);
}

fn dispatch() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    if cli.command.json() {
        crate::json::enable();
    }
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => crate::output::Level::Quiet,
        (_, true) => crate::output::Level::Verbose,
        _ => crate::output::Level::Normal,
    };
    crate::output::configure(cli.color, level);
    let globals = Globals {
        dir: cli.dir.unwrap_or_else(|| PathBuf::from(".")),
        config: cli.config,
        operator: None,
    };
    let result = match cli.command {
        Command::Plan(a) => commands::plan::run(&globals, a),
        Command::Start(a) => commands::start::run_cli(&globals, a),
        Command::Continue(a) => commands::continue_run::run(&globals, a),
        Command::Resolve(a) => commands::resolve::run(&globals, a),
        Command::Approve(a) => commands::approve::run(&globals, a),
        Command::Attest(a) => commands::attest::run(&globals, a),
        Command::Backport(a) => commands::backport::run(&globals, a),
        Command::Rollback(a) => commands::rollback::run(&globals, a),
        Command::Finish(a) => commands::finish::run(&globals, a),
        Command::Guard(a) => commands::guard::run(&globals, a),
        Command::Report(a) => commands::report::run(&globals, a),
        Command::Abort(a) => commands::abort::run(&globals, a),
        Command::Status(a) => commands::status::run(&globals, a),
        Command::Verify(a) => commands::verify::run(&globals, a),
        Command::Doctor(a) => commands::doctor::run(&globals, a),
        Command::Ci(a) => commands::ci::run(&globals, a),
        Command::Log(a) => commands::log::run(&globals, a),
        Command::Init(a) => commands::init::run(&globals, a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Man(a) => commands::man::run(a),
        Command::Completions(a) => commands::completions::run(a),
        Command::Complete(a) => commands::complete::run(&globals, a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            if crate::json::enabled() && !crate::json::printed() {
                ui::print_json(&crate::json::error_object(&e));
            }
            ExitCode::from(e.kind.code() as u8)
        }
    }
}

/// Parses the command line; its own help and errors in the colors
/// `--color` asks for (clap reads the choice before the rest).
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let when = args
        .iter()
        .zip(args.iter().skip(1).map(Some).chain(std::iter::once(None)))
        .find_map(|(a, next)| {
            let a = a.to_str()?;
            match a.strip_prefix("--color") {
                Some(rest) if rest.starts_with('=') => Some(rest[1..].to_string()),
                Some("") => next.and_then(|n| n.to_str()).map(str::to_string),
                _ => None,
            }
        });
    let color = match when.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    let matches = Cli::command().color(color).try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// Ends a command line clap refuses; with `--json` among the arguments, the
/// error object goes to stdout too, so a script never reads an empty stdout.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args_os().skip(1).any(|a| a == "--json");
    if !json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let message = lines
        .next()
        .unwrap_or("the command line is wrong")
        .trim_start_matches("error: ")
        .to_string();
    let error = CommandError {
        kind: crate::error::ExitKind::Usage,
        message,
        details: lines
            .filter(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .map(|l| l.trim().to_string())
            .collect(),
        hints: vec!["`git hotfix help` lists the commands and their flags".into()],
    };
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), rendered.as_bytes());
    ui::print_json(&crate::json::error_object(&error));
    ExitCode::from(error.kind.code() as u8)
}

fn report(e: &CommandError) {
    use crate::output::{err_line, paint, BAD, HINT};
    err_line(&format!("{} {}", paint(BAD, "error:"), ui::mask(&e.message)));
    for d in &e.details {
        err_line(&format!("  {}", ui::mask(d)));
    }
    for h in &e.hints {
        err_line(&format!("{} {}", paint(HINT, "hint:"), ui::mask(h)));
    }
}
