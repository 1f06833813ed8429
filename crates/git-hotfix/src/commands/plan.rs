//! `git hotfix plan`: what a hotfix would do, and whether it is safe.

use hotfix::ops::{self, HotfixRequest};

use crate::cli::Globals;
use crate::error::{CommandError, CommandResult};
use crate::json;
use crate::ui::{self, out};

/// Which fixes, onto which production.
#[derive(clap::Args, Clone)]
pub struct FixArgs {
    /// Approved fix on the main branch: a commit, a merge (its merged change), or a range A..B
    /// (B's first-parent commits since A, oldest first); repeat for several, picked in the order given.
    /// Strategy from-tag may start without one: it waits for the fix on the hotfix branch
    #[arg(long = "fix", value_name = "REV", num_args = 1..)]
    pub fixes: Vec<String>,
    /// The commit production runs now (overrides the [production] sources); for strategy
    /// from-tag, the production tag
    #[arg(long, value_name = "REV")]
    pub production: Option<String>,
    /// The product of [products] the hotfix is for (strategy from-tag; needed when there are several)
    #[arg(long, value_name = "NAME")]
    pub product: Option<String>,
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
    /// A service of [[services]] to ship (repeat for several); without it, the services whose paths
    /// the fixes touch, or all under deploy_all_services
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
}

impl FixArgs {
    pub fn request(&self) -> HotfixRequest {
        HotfixRequest {
            fixes: self.fixes.clone(),
            production: self.production.clone(),
            product: self.product.clone(),
            mainline: self.mainline,
            allow_dependency: self.allow_dependency.clone(),
            production_override: self.production_override.clone(),
            allow_extra: false,
            services: self.services.clone(),
            release_branch: None,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fix: FixArgs,
    /// Print the plan as JSON, with its verdict (schemas/plan.v1.json)
    #[arg(long)]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let session = globals.session()?;
    let plans = ops::prepare_all(&session, &args.fix.request(), || session.new_run_id())?;
    match plans.as_slice() {
        // Services deployed from several release branches: a run, and a plan, per branch.
        [(_, plan)] if args.json => ui::print_json(&plan_json(plan)),
        _ if args.json => ui::print_json(&plans.iter().map(|(_, p)| plan_json(p)).collect::<Vec<_>>()),
        _ => {
            for (_, plan) in &plans {
                if plans.len() > 1 {
                    out!("run on {}/{}:", plan.remote, plan.release_branch);
                }
                ui::print_plan(plan);
            }
        }
    }
    if let Some((_, plan)) = plans.iter().find(|(_, p)| !p.is_safe()) {
        return Err(blocked(plan));
    }
    if !args.json {
        out!("nothing was changed (the commits above exist only as objects)");
        ui::next(&format!("`git hotfix start {}` carries this out", fix_flags(&args.fix)));
    }
    Ok(())
}

/// Returns the plan as `plan --json` prints it: the plan, its schema id, and
/// the verdict a script reads instead of scanning the checks.
fn plan_json(plan: &hotfix::record::plan::Plan) -> serde_json::Value {
    let mut value = json::with_schema("plan", plan);
    if let serde_json::Value::Object(fields) = &mut value {
        let verdict = if plan.is_safe() { "safe" } else { "blocked" };
        fields.insert("verdict".into(), verdict.into());
        let blocking: Vec<&str> = plan.blocking().map(|c| c.name.as_str()).collect();
        fields.insert("blocking".into(), blocking.into());
    }
    value
}

/// The error for a plan that a check blocks, listing every reason, with one
/// hint for each kind of block.
pub fn blocked(plan: &hotfix::record::plan::Plan) -> CommandError {
    let mut hints: Vec<&str> = Vec::new();
    for c in plan.blocking() {
        if !hints.contains(&hint(&c.name)) {
            hints.push(hint(&c.name));
        }
    }
    let mut hints = hints.into_iter();
    let first = hints.next().unwrap_or("inspect the checks above");
    let mut e = CommandError::blocked(
        format!("the hotfix is blocked by {} check(s)", plan.blocking().count()),
        format!("nothing was changed; {first}"),
    );
    e.hints.extend(hints.map(str::to_string));
    e.details = plan
        .blocking()
        .map(|c| hotfix::record::plan::shorten(&format!("{}: {}", c.name, c.detail), 396))
        .collect();
    e
}

/// What to do about a blocking check, by its name.
fn hint(check: &str) -> &'static str {
    match check {
        "depends-on-unreleased" | "context-from-unreleased" => {
            "a fix that depends on unreleased work needs an escalated decision, not a selective hotfix: once it is \
             made, pass --allow-dependency \"reason\""
        }
        "fix-merged" => "merge the fix into the main branch first (a hotfix ships only reviewed, merged fixes)",
        "release-is-production-plus-fixes" => {
            "release would change paths no fix changes: inspect the picks with `git hotfix plan --json` (`paths` \
             names them all) before going on"
        }
        "something-to-release" => "production already has every fix: there is nothing to release",
        "max-picks" => {
            "name the fix commits themselves rather than a branch's range, or raise [checks] max_picks in \
             hotfix.toml if this many commits really are one fix"
        }
        "release-action-allowed" => "set [release] action to the service's release job, never a forbidden one",
        "services-share-production" => {
            "one restore cannot put two production commits on one branch: give the services their own \
             `release_branch` in [[services]], or ship them one at a time with --service"
        }
        "services-selected" => "name the services to ship with --service NAME (repeatable)",
        "restore-equals-production" => "the restore commit is wrong: report this as a bug, nothing was changed",
        _ => "inspect the check above; nothing was changed",
    }
}

/// Renders the fix flags back as the operator would type them.
pub fn fix_flags(fix: &FixArgs) -> String {
    let mut parts: Vec<String> = fix.product.iter().map(|p| format!("--product {p}")).collect();
    parts.extend(fix.services.iter().map(|s| format!("--service {s}")));
    parts.extend(fix.fixes.iter().map(|f| format!("--fix {f}")));
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
