//! The sandbox behind `git hotfix demo`: an origin in the runbook's situation
//! and an operator's clone, built with real git in a directory of its own.
//!
//! History on the origin:
//! ```text
//! main:    base - P - U1 - U2 - F          (F: the approved fix, merged)
//! release: base - P - U1 - U2              (cut off from main, not yet deployed)
//! tag prod-2026.11.20 -> P                 (what production runs)
//! ```
//! F touches a file U1 and U2 did not, so a selective hotfix is possible.
//!
//! Production is a local HTTP service reporting the SHA it runs at
//! `/version`; the demo's deploy command switches it by writing that SHA to a
//! file, as a real deploy would switch the running build.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::http::{Request, Response, Server};

/// Why the sandbox could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`git {args}` failed ({status}): {stderr}")]
    Git {
        args: String,
        status: String,
        stderr: String,
    },
}

/// A built sandbox.
pub struct Sandbox {
    pub root: PathBuf,
    pub origin: PathBuf,
    /// The operator's clone, with a dirty work tree and hotfix.toml.
    pub operator: PathBuf,
    /// The commit production runs (tag `prod-2026.11.20`).
    pub production: String,
    /// The approved fix on main.
    pub fix: String,
    /// The commits on release that production does not run.
    pub unreleased: Vec<String>,
    /// The production service's `/version` URL.
    pub service_url: String,
    /// The file holding the SHA the service reports.
    pub deployed_sha: PathBuf,
    /// The production service; it answers until the sandbox is dropped.
    pub service: Server,
}

/// Returns the short form of a commit id, as git-hotfix shows it.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

const FILES: &[(&str, &str)] = &[
    (
        "checkout/cart.py",
        "def total(items):\n    return sum(i.price for i in items)\n",
    ),
    (
        "checkout/payment.py",
        "def charge(card, amount):\n    return card.charge(amount)\n",
    ),
    ("README.md", "# shop\n"),
];

/// The demo's hotfix.toml; `{url}` and `{sha_file}` are filled in.
const CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
service = "checkout"

[branches]
main = "main"
release = "release"
develop = "develop"

[production]
# Two sources that must agree: the deploy tag and the service itself.
tag = "prod-*"
http = { url = "{url}", pointer = "/sha" }

[approvals]
roles = ["tech-lead", "pm"]

[release]
command = "echo \"pipeline: running job '$HOTFIX_ACTION' in $HOTFIX_PROJECT for $HOTFIX_RELEASE_SHA (confirm=$HOTFIX_CONFIRM)\""
action = "release checkout"
project = "shop/orchestration"

[deploy]
command = "echo \"deploying $HOTFIX_RELEASE_SHA to production\"; sleep 1; printf %s \"$HOTFIX_RELEASE_SHA\" > '{sha_file}'; echo 'deploy finished'"
timeout = "2m"

[verify]
monitor = "2h"

[[verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "30s"
interval = "250ms"

[[smoke]]
name = "the service runs the release"
command = "test \"$(cat '{sha_file}')\" = \"$HOTFIX_RELEASE_SHA\""
"#;

/// Builds the sandbox under `root` (which must not exist or be empty).
pub fn build(root: &Path) -> Result<Sandbox, DemoError> {
    std::fs::create_dir_all(root).map_err(|e| io_error("create a directory", e))?;
    let origin = root.join("origin.git");
    let seed = root.join("seed");
    let operator = root.join("operator");
    git_in(
        root,
        &["init", "--quiet", "--bare", "--initial-branch=main", path_str(&origin)],
    )?;
    git_in(root, &["init", "--quiet", "--initial-branch=main", path_str(&seed)])?;

    for (path, content) in FILES {
        write(&seed.join(path), content)?;
    }
    commit_all(&seed, "Initial shop", 1_795_000_000)?;
    write(
        &seed.join("checkout/cart.py"),
        "def total(items):\n    return round(sum(i.price for i in items), 2)\n",
    )?;
    let production = commit_all(&seed, "Round cart totals", 1_795_100_000)?;
    git_in(&seed, &["tag", "prod-2026.11.20", &production])?;
    write(
        &seed.join("checkout/cart.py"),
        "def total(items, coupon=None):\n    return round(sum(i.price for i in items), 2)\n",
    )?;
    let u1 = commit_all(&seed, "feat: coupons in cart (unreleased)", 1_795_150_000)?;
    write(&seed.join("README.md"), "# shop\n\nNow with coupons.\n")?;
    let u2 = commit_all(&seed, "docs: coupons (unreleased)", 1_795_160_000)?;
    git_in(&seed, &["branch", "release"])?;
    write(
        &seed.join("checkout/payment.py"),
        "def charge(card, amount):\n    if amount <= 0:\n        raise ValueError(\"refusing to charge a non-positive amount\")\n    return card.charge(amount)\n",
    )?;
    let fix = commit_all(&seed, "fix: never charge a non-positive amount", 1_795_200_000)?;
    git_in(&seed, &["branch", "develop"])?;
    git_in(
        &seed,
        &[
            "push",
            "--quiet",
            path_str(&origin),
            "main",
            "release",
            "develop",
            "prod-2026.11.20",
        ],
    )?;

    let deployed_sha = root.join("service").join("deployed-sha");
    write(&deployed_sha, &production)?;
    let service = production_service(deployed_sha.clone()).map_err(|e| io_error("start the demo service", e))?;
    let service_url = service.url_for("/version");

    git_in(root, &["clone", "--quiet", path_str(&origin), path_str(&operator)])?;
    git_in(&operator, &["config", "user.name", "Demo Operator"])?;
    git_in(&operator, &["config", "user.email", "operator@example.com"])?;
    let config = CONFIG
        .replace("{url}", &service_url)
        .replace("{sha_file}", path_str(&deployed_sha));
    write(&operator.join("hotfix.toml"), &config)?;
    // The operator was mid-way through something: git-hotfix must not care.
    write(&operator.join("README.md"), "# shop\n\nwork in progress\n")?;
    std::fs::remove_dir_all(&seed).map_err(|e| io_error("remove the seed clone", e))?;
    Ok(Sandbox {
        root: root.to_path_buf(),
        origin,
        operator,
        production,
        fix,
        unreleased: vec![u1, u2],
        service_url,
        deployed_sha,
        service,
    })
}

/// Starts the demo's production service: `GET /version` answers
/// `{"service": "checkout", "sha": <contents of sha_file>}`, read on every
/// request so the deploy command switches it by writing the file.
fn production_service(sha_file: PathBuf) -> std::io::Result<Server> {
    Server::builder()
        .route(
            "GET",
            "/version",
            "the checkout service's /version: the SHA the running build was made from",
            move |_: &Request| {
                let sha = std::fs::read_to_string(&sha_file).unwrap_or_default();
                Response::json(200, format!("{{\"service\":\"checkout\",\"sha\":\"{}\"}}", sha.trim()))
            },
        )
        .start()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("sandbox paths are built from UTF-8 temp paths")
}

fn io_error(what: &str, source: std::io::Error) -> DemoError {
    DemoError::Io {
        what: what.into(),
        source,
    }
}

fn write(path: &Path, content: &str) -> Result<(), DemoError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error("create a directory", e))?;
    }
    std::fs::write(path, content).map_err(|e| io_error("write a file", e))
}

fn git_in(dir: &Path, args: &[&str]) -> Result<String, DemoError> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|e| io_error("run git", e))?;
    if !out.status.success() {
        return Err(DemoError::Git {
            args: args.join(" "),
            status: format!("{}", out.status),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Commits everything in `dir` with fixed identities and time, so the demo's
/// history is the same on every machine.
fn commit_all(dir: &Path, message: &str, time: i64) -> Result<String, DemoError> {
    git_in(dir, &["add", "-A"])?;
    let date = format!("@{time} +0000");
    let out = Command::new("git")
        .current_dir(dir)
        .args(["commit", "--quiet", "--no-verify", "-m", message])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Dana Dev")
        .env("GIT_COMMITTER_EMAIL", "dana@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .map_err(|e| io_error("run git", e))?;
    if !out.status.success() {
        return Err(DemoError::Git {
            args: "commit".into(),
            status: format!("{}", out.status),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(git_in(dir, &["rev-parse", "--verify", "HEAD^{commit}"])?
        .trim()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::call;

    #[test]
    fn the_sandbox_runs_production_at_the_tag_and_its_service_follows_the_deployed_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let sandbox = build(&tmp.path().join("demo")).expect("sandbox builds");
        let tagged = git_in(&sandbox.origin, &["rev-parse", "prod-2026.11.20^{commit}"]).expect("tag");
        assert_eq!(tagged.trim(), sandbox.production);
        let (status, body) = call(&sandbox.service.url(), "GET", "/version", &[], "");
        assert_eq!(
            (status, body),
            (
                200,
                format!("{{\"service\":\"checkout\",\"sha\":\"{}\"}}", sandbox.production)
            )
        );
        std::fs::write(&sandbox.deployed_sha, &sandbox.fix).expect("deploy");
        let (_, body) = call(&sandbox.service.url(), "GET", "/version", &[], "");
        assert!(body.contains(&sandbox.fix), "{body}");
        assert_eq!(sandbox.service_url, sandbox.service.url_for("/version"));
    }
}
