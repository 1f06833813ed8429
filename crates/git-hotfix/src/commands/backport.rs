//! `git hotfix backport`: brings a run's fixes, or one fix named with
//! `--fix`, to the `[backport] to` branches (or those `--to` names): a
//! branch and a request per target, or word that the target has the fix.

use hotfix::ops;
use hotfix::record::backport::{Backport, BackportRequest, BackportState};

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::json;
use crate::ui::{self, out};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Subcommand>,
    /// The run whose fixes to backport (default: the one holding the release lock, else the newest unfinished)
    #[arg(conflicts_with = "fix")]
    pub run: Option<String>,
    /// Backport this commit, outside any run
    #[arg(long, value_name = "REV")]
    pub fix: Option<String>,
    /// Backport to this branch or pattern (`release/*`) instead of `[backport] to`; repeat for several
    #[arg(long = "to", value_name = "BRANCH")]
    pub to: Vec<String>,
    /// Take a merge fix's change against this parent (default 1, as `cherry-pick -m 1`)
    #[arg(long, short = 'm', value_name = "PARENT")]
    pub mainline: Option<u32>,
    /// Print the backports as a JSON array (schemas/backport.v1.json)
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Subcommand)]
pub enum Subcommand {
    /// Lay a conflicted backport out in a worktree of its own; with --push, push its resolution
    Resolve(ResolveArgs),
}

#[derive(clap::Args)]
pub struct ResolveArgs {
    /// The run whose conflicted backport to resolve (default: the one holding the release lock, else the newest unfinished)
    #[arg(conflicts_with = "fix")]
    pub run: Option<String>,
    /// Resolve the backport of this commit, made outside any run (with --to)
    #[arg(long, value_name = "REV")]
    pub fix: Option<String>,
    /// The backport's target branch
    #[arg(long = "to", value_name = "BRANCH")]
    pub to: Option<String>,
    /// Take a merge fix's change against this parent (with --fix)
    #[arg(long, short = 'm', value_name = "PARENT")]
    pub mainline: Option<u32>,
    /// Take the resolution from the worktree, commit it on the branch, push it and relabel the request
    #[arg(long)]
    pub push: bool,
    /// Print the outcome as JSON
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// Returns whether `backport` or `backport resolve` was asked for `--json`.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Some(Subcommand::Resolve(r)) => r.json,
            None => self.json,
        }
    }
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    if let Some(Subcommand::Resolve(resolve)) = args.command {
        return run_resolve(globals, resolve);
    }
    let session = globals.session()?;
    let backports = ops::backport(
        &session,
        &ops::BackportOptions {
            run: args.run,
            fix: args.fix,
            mainline: args.mainline,
            to: args.to,
        },
    )?;
    if args.json {
        ui::print_json(&backports);
    } else {
        print(&backports);
    }
    Ok(())
}

/// One paragraph per target: its state, its branch, its request.
fn print(backports: &[Backport]) {
    for b in backports {
        out!("backport {} to {}: {}", b.fix.short(), b.target, state_words(b));
        if let Some(branch) = &b.branch {
            let how = if b.adopted { "already there, adopted" } else { "pushed" };
            out!("  branch   {branch} ({how})");
        }
        for path in &b.conflicts {
            out!("  conflict {path}");
        }
        match &b.request {
            Some(BackportRequest::Forge { merge_request }) => out!(
                "  request  !{} {}{}",
                merge_request.iid,
                merge_request.web_url,
                if merge_request.adopted { " (adopted)" } else { "" }
            ),
            Some(BackportRequest::PushOptions { options }) if options.is_empty() => {
                out!("  request  asked of GitLab when the branch was first pushed")
            }
            Some(BackportRequest::PushOptions { .. }) => {
                out!("  request  asked of GitLab with push options (merge_request.create)")
            }
            Some(BackportRequest::OpenAt { url }) => out!("  request  open it at {url}"),
            Some(BackportRequest::BranchOnly) => {
                out!("  request  none: no forge is configured; open one for the branch")
            }
            None => {}
        }
    }
    if backports.iter().any(|b| b.state == BackportState::Conflicted) {
        ui::next(
            "resolve each conflicted backport on its branch (the request says how), then have it reviewed and merged",
        );
    } else if backports.iter().any(|b| b.branch.is_some()) {
        ui::next("have each backport request reviewed and merged");
    }
}

fn state_words(b: &Backport) -> String {
    match (b.state, &b.applied_as) {
        (BackportState::Clean, _) => format!("clean{}", if b.mainline.is_some() { " (-m 1)" } else { "" }),
        (BackportState::Conflicted, _) => "conflicted: manual resolution needed".into(),
        (BackportState::Resolved, _) => "resolved by hand".into(),
        (BackportState::AlreadyApplied, Some(c)) => {
            format!("already applied as {} {}; no branch", c.id.short(), c.subject)
        }
        (BackportState::AlreadyApplied, None) => "already applied (the pick changes nothing); no branch".into(),
    }
}

fn run_resolve(globals: &Globals, args: ResolveArgs) -> CommandResult {
    let session = globals.session()?;
    let printer = ui::StepPrinter::default();
    let outcome = ops::backport_resolve(
        &session,
        &ops::BackportResolveOptions {
            run: args.run,
            fix: args.fix,
            mainline: args.mainline,
            to: args.to,
            push: args.push,
        },
        &printer,
    )?;
    match outcome {
        ops::BackportResolveOutcome::Opened {
            run,
            conflict,
            worktree,
            created,
        } => {
            let path = worktree.display().to_string();
            if args.json {
                json::print(
                    "backport-resolve",
                    serde_json::json!({
                        "run": run,
                        "branch": conflict.branch,
                        "target": conflict.target,
                        "fix": conflict.fix.id,
                        "worktree": path,
                        "conflicts": conflict.conflicts,
                        "created": created,
                    }),
                );
                return Ok(());
            }
            let verb = if created { "opened" } else { "is still open" };
            out!(
                "backport {} to {}: the conflict on {} {verb} in {path}",
                conflict.fix.id.short(),
                conflict.target,
                conflict.branch
            );
            for c in &conflict.conflicts {
                out!("  conflict    {c}");
            }
            out!("your own checkout, index and HEAD are untouched");
            let again = match &run {
                Some(id) => format!("git hotfix backport resolve {id} --to {} --push", conflict.target),
                None => format!(
                    "git hotfix backport resolve --fix {} --to {} --push",
                    conflict.fix.id, conflict.target
                ),
            };
            ui::next(&format!(
                "edit the files in {path} (change only what the fix changes), then `{again}`"
            ));
        }
        ops::BackportResolveOutcome::Pushed { run, pushed } => {
            for notice in &pushed.notices {
                hotfix::engine::execute::Progress::notice(&printer, notice);
            }
            if args.json {
                json::print(
                    "backport-resolve",
                    serde_json::json!({ "run": run, "backport": pushed.backport }),
                );
                return Ok(());
            }
            print(std::slice::from_ref(&pushed.backport));
        }
    }
    Ok(())
}
