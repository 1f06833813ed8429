//! What a fake forge's deploy job ships: a runner that checks out a branch
//! of the team's repository and deploys it, which a test sees as a local
//! production service reporting the branch's tip. Both fake forges use it,
//! so a runbook through either ends with production really switched.

/// A deploy job that ships a branch of a git repository to production, as a
/// runner checking out `release` and deploying it would: when `job`
/// succeeds, the branch's tip is written to `sha_file` (the file a local
/// production service reports) and becomes the environment's last deployment.
#[derive(Clone, Debug)]
pub struct ReleaseDeploy {
    pub job: String,
    /// The repository (a bare origin) and the branch it deploys.
    pub origin: std::path::PathBuf,
    pub branch: String,
    pub sha_file: std::path::PathBuf,
}

impl ReleaseDeploy {
    /// Ships the branch's tip when `job` is this deploy's job; returns the
    /// SHA shipped, `None` when nothing was (another job, no such branch, a
    /// file that cannot be written: verification then fails, as it should).
    pub fn ship(&self, job: &str) -> Option<String> {
        if job != self.job {
            return None;
        }
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&self.origin)
            .args([
                "rev-parse",
                "--verify",
                &format!("refs/heads/{}^{{commit}}", self.branch),
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        let sha = String::from_utf8_lossy(&out.stdout).trim().to_string();
        std::fs::write(&self.sha_file, &sha).ok()?;
        Some(sha)
    }

    /// Ships `sha` when `job` is this deploy's job: a runner of a pipeline
    /// made for that commit deploys it, whatever the branch's tip is now.
    pub fn ship_commit(&self, job: &str, sha: &str) -> Option<String> {
        if job != self.job {
            return None;
        }
        std::fs::write(&self.sha_file, sha).ok()?;
        Some(sha.to_string())
    }
}
