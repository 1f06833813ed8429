//! `git hotfix plan`: what a hotfix would do, and whether it is safe.

use hotfix::ops::{self, HotfixRequest};

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::ui::{self, out};

/// Which fixes, onto which production.
#[derive(clap::Args, Clone)]
pub struct FixArgs {
    /// Approved fix on the main branch: a commit, a merge (its merged change), or a range A..B
    /// (B's first-parent commits since A, oldest first); repeat for several, picked in the order given
    #[arg(long = "fix", value_name = "REV", required = true, num_args = 1..)]
    pub fixes: Vec<String>,
    /// The commit production runs now (overrides the [production] sources)
    #[arg(long, value_name = "REV")]
    pub production: Option<String>,
    /// Parent number to pick merge commits against (default 1)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub mainline: Option<u32>,
    /// Go on although a fix depends on unreleased work: the escalated decision, with its reason
    /// (kept in the journal and the report)
    #[arg(long, value_name = "REASON")]
    pub allow_dependency: Option<String>,
    /// Go on with a --production that the configured sources contradict or that release never held
    /// (neither in its history nor tagged): the reason, kept in the journal and the report
    #[arg(long, value_name = "REASON")]
    pub production_override: Option<String>,
}

impl FixArgs {
    pub fn request(&self) -> HotfixRequest {
        HotfixRequest {
            fixes: self.fixes.clone(),
            production: self.production.clone(),
            mainline: self.mainline,
            allow_dependency: self.allow_dependency.clone(),
            production_override: self.production_override.clone(),
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fix: FixArgs,
    /// Print the plan as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let run_id = session.new_run_id();
    let plan = ops::prepare(&session, &args.fix.request(), &run_id)?;
    if args.json {
        ui::print_json(&plan);
    } else {
        ui::print_plan(&plan);
    }
    if !plan.is_safe() {
        return Err(blocked(&plan));
    }
    if !args.json {
        out!("nothing was changed (the commits above exist only as objects)");
        ui::next(&format!("`git hotfix start {}` carries this out", fix_flags(&args.fix)));
    }
    Ok(())
}

/// The error for a plan that a check blocks, listing every reason.
pub fn blocked(plan: &hotfix::workflow::plan::Plan) -> CommandError {
    let mut e = CommandError::blocked(
        format!("the hotfix is blocked by {} check(s)", plan.blocking().count()),
        "nothing was changed; a fix that depends on unreleased work needs an escalated decision, not a selective \
         hotfix: once it is made, pass --allow-dependency \"reason\"",
    );
    e.details = plan.blocking().map(|c| format!("{}: {}", c.name, c.detail)).collect();
    e
}

/// Renders the fix flags back as the operator would type them.
pub fn fix_flags(fix: &FixArgs) -> String {
    let mut parts: Vec<String> = fix.fixes.iter().map(|f| format!("--fix {f}")).collect();
    if let Some(p) = &fix.production {
        parts.push(format!("--production {p}"));
    }
    if let Some(m) = fix.mainline {
        parts.push(format!("--mainline {m}"));
    }
    if let Some(r) = &fix.allow_dependency {
        parts.push(format!("--allow-dependency {r:?}"));
    }
    if let Some(r) = &fix.production_override {
        parts.push(format!("--production-override {r:?}"));
    }
    parts.join(" ")
}
