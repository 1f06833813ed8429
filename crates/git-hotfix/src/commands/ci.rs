//! `git hotfix ci`: write (or print) the hotfix pipeline of the configured
//! strategy as a GitLab CI file or a GitHub Actions workflow.

use std::path::PathBuf;

use hotfix::ci::{self, CiForge};
use hotfix::ops;

use crate::cli::Globals;
use crate::error::CommandResult;
use crate::ui::{self, out};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("forge").required(true).args(["gitlab", "github"])))]
pub struct Args {
    /// Write a GitLab CI file (default .gitlab/hotfix.gitlab-ci.yml)
    #[arg(long)]
    pub gitlab: bool,
    /// Write a GitHub Actions workflow (default .github/workflows/hotfix.yml)
    #[arg(long)]
    pub github: bool,
    /// Print the template instead of writing it
    #[arg(long, conflicts_with_all = ["output", "force"])]
    pub stdout: bool,
    /// Write it to PATH, relative to the repository root
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
    /// Print what was written as JSON (schemas/ci.v1.json)
    #[arg(long, conflicts_with = "stdout")]
    pub json: bool,
}

pub fn run(globals: &Globals, args: Args) -> CommandResult {
    let forge = if args.gitlab { CiForge::Gitlab } else { CiForge::Github };
    let session = globals.session()?;
    if args.stdout {
        session.require_config()?;
        let text = ci::template(&session.config, forge).map_err(hotfix::Error::from)?;
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
        return Ok(());
    }
    let path = ops::write_ci(&session, forge, args.output.as_deref(), args.force)?;
    out!("wrote {}", path.display());
    let shown = args
        .output
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| forge.default_path().to_string());
    match forge {
        CiForge::Gitlab => ui::next(&format!(
            "add `include: [{{ local: {shown} }}]` to .gitlab-ci.yml, the masked CI/CD variable {} (scope api), and `needs: [hotfix-guard]` to cut-off",
            token_name(&session)
        )),
        CiForge::Github => ui::next(
            "commit it; set required reviewers on the `production` environment, and give the cut-off job `needs: hotfix-guard`",
        ),
    }
    if args.json {
        crate::json::print(
            "ci",
            serde_json::json!({
                "path": path.display().to_string(),
                "forge": match forge { CiForge::Gitlab => "gitlab", CiForge::Github => "github" },
                "strategy": session.config.strategy,
                "next": crate::json::last_next(),
            }),
        );
    }
    Ok(())
}

fn token_name(session: &ops::Session) -> String {
    session
        .config
        .forge
        .as_ref()
        .map(|f| f.token_env_name().to_string())
        .unwrap_or_else(|| "GITLAB_TOKEN".into())
}
