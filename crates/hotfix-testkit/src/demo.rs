//! The sandbox behind `git hotfix demo`: an origin in the runbook's situation
//! and an operator's clone, built with real git in a directory of its own.
//!
//! History on the origin:
//! ```text
//! main:    base - P - U1 - U2 - F          (F: the approved fix, merged)
//! release: base - P - U1 - U2              (cut off from main, not yet deployed)
//! tag prod-2026.11.20 -> P                 (what production runs)
//! ```
//! F touches files U1 and U2 did not, so a selective hotfix is possible,
//! and it touches the code of two services, `checkout` and `billing`, so
//! it ships to both (`[[services]]` with their `paths`).
//!
//! Production is two local HTTP services, each reporting the SHA it runs
//! at `/version`; the demo's deploy command switches the service it is told
//! (`HOTFIX_SERVICE`) by writing that SHA to the service's file, as a real
//! deploy would switch the running build. The forge variants ship to
//! `checkout` alone: their fake forge's deploy job switches one service.
//!
//! [`build_from_tag`] builds the sandbox of `git hotfix demo --strategy
//! from-tag`: one repository with two products released by tagging (seed
//! 003), see [`FromTagSandbox`].

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
    /// The production services, `checkout` and `billing`, in the order
    /// hotfix.toml's `[[services]]` has them; they answer until the sandbox
    /// is dropped.
    pub services: Vec<ShopService>,
    /// Who approves, each from their own clone.
    pub approvers: Vec<Approver>,
    /// True when approvals are signed with the approvers' SSH keys and
    /// checked against the sandbox's allowed signers; false when this
    /// machine has no `ssh-keygen` (then `verify = "none"`).
    pub signed: bool,
}

/// A person who approves the demo's hotfix.
pub struct Approver {
    pub role: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    /// Their clone, with hotfix.toml and (when signed) their signing key.
    pub clone: PathBuf,
}

/// The demo's approvers: (role, name, email).
const APPROVERS: [(&str, &str, &str); 2] = [
    ("tech-lead", "Tess Lead", "tess@example.com"),
    ("pm", "Pat Product", "pat@example.com"),
];

/// Where each clone finds the team's allowed signers, relative to its top.
const ALLOWED_SIGNERS: &str = ".hotfix/allowed_signers";

/// Returns the short form of a commit id, as git-hotfix shows it.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

const FILES: &[(&str, &str)] = &[
    (
        "billing/invoice.py",
        "def invoice(customer, amount):\n    return customer.bill(amount)\n",
    ),
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

/// The shop's services, each deployed from release: (name, the glob of its code).
const SERVICES: [(&str, &str); 2] = [("checkout", "checkout/**"), ("billing", "billing/**")];

/// The demo's hotfix.toml; `{services_dir}` is filled in, and
/// `{services}` with a [`SERVICE_CONFIG`] for each service.
const CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
service = "shop"

[branches]
main = "main"
release = "release"
develop = "develop"

[production]
# The deploy tag: both services run the commit it names, so they share release.
tag = "prod-*"

[approvals]
roles = ["tech-lead", "pm"]
{approvals_check}

# Every service's deploy and smoke check; each is told its service in HOTFIX_SERVICE.
[deploy]
command = "echo \"deploying $HOTFIX_RELEASE_SHA to $HOTFIX_SERVICE in production\"; sleep 1; printf %s \"$HOTFIX_RELEASE_SHA\" > \"{services_dir}/$HOTFIX_SERVICE/deployed-sha\"; echo 'deploy finished'"
timeout = "2m"

[[smoke]]
name = "the service runs the release"
command = "test \"$(cat \"{services_dir}/$HOTFIX_SERVICE/deployed-sha\")\" = \"$HOTFIX_RELEASE_SHA\""

# A fix touching a service's paths ships it: its own release job, then the
# deploy, its own verification and the smoke check above.
{services}"#;

/// One service's `[[services]]` table; `{name}`, `{paths}` and `{url}`
/// are filled in.
const SERVICE_CONFIG: &str = r#"
[[services]]
name = "{name}"
paths = ["{paths}"]

[services.release]
command = "echo \"pipeline: running job '$HOTFIX_ACTION' in $HOTFIX_PROJECT for $HOTFIX_RELEASE_SHA (confirm=$HOTFIX_CONFIRM)\""
action = "release {name}"
project = "shop/orchestration"

[services.verify]
monitor = "2h"

[[services.verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "30s"
interval = "250ms"
"#;

/// The shop's origin and production services, shared by the sandboxes of
/// the restore-release demo and its forge variants.
pub struct Shop {
    pub origin: PathBuf,
    /// The commit production runs (tag `prod-2026.11.20`).
    pub production: String,
    /// The approved fix on main.
    pub fix: String,
    /// The commits on release that production does not run.
    pub unreleased: Vec<String>,
    /// The production services; they answer until the shop is dropped.
    pub services: Vec<ShopService>,
}

impl Shop {
    /// Returns the `checkout` service, which every shop runs.
    pub fn checkout(&self) -> &ShopService {
        self.services
            .iter()
            .find(|s| s.name == "checkout")
            .expect("every shop starts checkout's service")
    }
}

/// One of the shop's production services.
pub struct ShopService {
    pub name: &'static str,
    /// Its `/version` URL.
    pub url: String,
    /// The file holding the SHA it reports (`services/<name>/deployed-sha`).
    pub deployed_sha: PathBuf,
    /// The service; it answers until dropped.
    pub server: Server,
}

impl ShopService {
    /// Returns the SHA the service runs, as its `/version` reports it.
    pub fn running(&self) -> String {
        std::fs::read_to_string(&self.deployed_sha)
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

/// Writes the shop's history to a new origin under `root` and starts the
/// production services `names`, each reporting the production commit.
fn shop(root: &Path, names: &[&'static str]) -> Result<Shop, DemoError> {
    let (origin, seed) = init_repos(root)?;

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
    write(
        &seed.join("billing/invoice.py"),
        "def invoice(customer, amount):\n    if amount <= 0:\n        raise ValueError(\"refusing to invoice a non-positive amount\")\n    return customer.bill(amount)\n",
    )?;
    let fix = commit_all(
        &seed,
        "fix: never charge or invoice a non-positive amount",
        1_795_200_000,
    )?;
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
    std::fs::remove_dir_all(&seed).map_err(|e| io_error("remove the seed clone", e))?;

    let mut services = Vec::new();
    for &name in names {
        let deployed_sha = services_dir(root).join(name).join("deployed-sha");
        write(&deployed_sha, &production)?;
        let server = production_service(
            &format!("the {name} service's /version: the SHA the running build was made from"),
            deployed_sha.clone(),
            move |sha| format!("{{\"service\":\"{name}\",\"sha\":\"{sha}\"}}"),
        )?;
        services.push(ShopService {
            name,
            url: server.url_for("/version"),
            deployed_sha,
            server,
        });
    }
    Ok(Shop {
        origin,
        production,
        fix,
        unreleased: vec![u1, u2],
        services,
    })
}

/// Returns the directory of the services' deployed-SHA files.
fn services_dir(root: &Path) -> PathBuf {
    root.join("services")
}

/// Builds the sandbox under `root` (which must not exist or be empty).
pub fn build(root: &Path) -> Result<Sandbox, DemoError> {
    let shop = shop(root, &SERVICES.map(|(name, _)| name))?;
    let signed = crate::signing::available();
    let check = if signed {
        format!("allowed_signers = \"{ALLOWED_SIGNERS}\"")
    } else {
        "verify = \"none\"   # no ssh-keygen here: approvals are self-declared".to_string()
    };
    let services: String = SERVICES
        .iter()
        .zip(&shop.services)
        .map(|((name, paths), service)| {
            SERVICE_CONFIG
                .replace("{name}", name)
                .replace("{paths}", paths)
                .replace("{url}", &service.url)
        })
        .collect();
    let config = CONFIG
        .replace("{services_dir}", path_str(&services_dir(root)))
        .replace("{approvals_check}", &check)
        .replace("{services}", &services);
    let operator = clone_operator(root, &shop.origin, &config)?;
    let approvers = clone_approvers(root, &shop.origin, &config, &operator, signed)?;
    // The operator was mid-way through something: git-hotfix must not care.
    write(&operator.join("README.md"), "# shop\n\nwork in progress\n")?;
    Ok(Sandbox {
        root: root.to_path_buf(),
        origin: shop.origin,
        operator,
        production: shop.production,
        fix: shop.fix,
        unreleased: shop.unreleased,
        services: shop.services,
        approvers,
        signed,
    })
}

/// The sandbox of `git hotfix demo --forge gitlab`: the shop's origin and
/// its checkout service, and a fake GitLab (in this process, on 127.0.0.1)
/// set up as seed 000/001's: the production environment's last deployment
/// is the production commit; the orchestration pipeline `shop/develop` has
/// `release checkout` (and `cut-off`, never played); its bridge triggers the
/// downstream pipeline holding `deploy-production`, which deploys to the
/// protected production environment (two approvals) and, when it succeeds,
/// ships release to the production service.
pub struct GitLabSandbox {
    pub root: PathBuf,
    /// The operator's clone, with hotfix.toml.
    pub operator: PathBuf,
    pub shop: Shop,
    pub gitlab: crate::forge_gitlab::FakeGitLab,
    /// The operator's token (GitLab user `operator`).
    pub operator_token: String,
    /// Who approves through GitLab, each with their own token.
    pub approvers: Vec<ForgeApprover>,
}

/// A person who approves through the forge, as the forge user their token acts as.
pub struct ForgeApprover {
    pub role: &'static str,
    pub username: &'static str,
    pub token: String,
}

/// What both forge demos' hotfix.toml start with.
const FORGE_HEAD: &str = r#"strategy = "restore-release"
remote = "origin"
service = "checkout"

[branches]
main = "main"
release = "release"
develop = "develop"

"#;

/// What both forge demos' hotfix.toml end with: production verified at the
/// service, one smoke check; `{url}` and `{sha_file}` are filled in.
const FORGE_TAIL: &str = r#"
[[verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "30s"
interval = "250ms"

[[smoke]]
name = "the service runs the release"
command = "test \"$(cat '{sha_file}')\" = \"$HOTFIX_RELEASE_SHA\""
"#;

/// Returns a forge demo's hotfix.toml: `tables` between the shared head
/// and tail, verified at `shop`'s checkout service.
fn forge_config(tables: &str, shop: &Shop) -> String {
    format!("{FORGE_HEAD}{tables}{FORGE_TAIL}")
        .replace("{url}", &shop.checkout().url)
        .replace("{sha_file}", path_str(&shop.checkout().deployed_sha))
}

/// The GitLab demo's tables of hotfix.toml between [`FORGE_HEAD`] and
/// [`FORGE_TAIL`]; `{gitlab}` is filled in.
const GITLAB_CONFIG: &str = r#"[production]
# Two sources that must agree: GitLab's production environment and the deploy tag.
tag = "prod-*"
forge_environment = "production"

[forge]
kind = "gitlab"
url = "{gitlab}"
project = "shop/checkout"

[approvals]
roles = ["tech-lead", "pm"]
# An approval counts when GitLab holds it on the deploy job's deployment.
verify = "forge"

[release]
# The orchestration pipeline, created with the runbook's guided inputs.
pipeline = { project = "shop/develop", ref = "main", inputs = { action = "deploy-release-branch-to-staging", project = "shop/checkout", confirm = true } }
job = "release checkout"
poll_interval = "200ms"
timeout = "1m"

[deploy]
# The manual production deploy, in the pipeline the release job triggers.
job = "deploy-production"
pipeline = "downstream"
poll_interval = "200ms"
timeout = "1m"
"#;

/// Builds the GitLab sandbox under `root` (which must not exist or be empty).
pub fn build_gitlab(root: &Path) -> Result<GitLabSandbox, DemoError> {
    use crate::forge_gitlab::{FakeGitLab, FakeUser, ReleaseDeploy, Setup};

    let shop = shop(root, &["checkout"])?;
    // Fixed demo tokens: they stand for secrets, and the demo shows they are never printed.
    let (operator_token, approvers) = forge_people(|username| format!("glpat-demo-{username}-S3CRET"));
    let gitlab = FakeGitLab::start(Setup {
        token: operator_token.clone(),
        deployed_sha: shop.production.clone(),
        jobs: vec!["release checkout".into(), "cut-off".into()],
        downstream_jobs: vec!["deploy-production".into()],
        users: approvers
            .iter()
            .zip(7..)
            .map(|(a, id)| FakeUser {
                token: a.token.clone(),
                id,
                username: a.username.into(),
            })
            .collect(),
        protected_job: Some("deploy-production".into()),
        required_approvals: 2,
        deploys: Some(ReleaseDeploy {
            job: "deploy-production".into(),
            origin: shop.origin.clone(),
            branch: "release".into(),
            sha_file: shop.checkout().deployed_sha.clone(),
        }),
        ..Setup::default()
    })
    .map_err(|e| io_error("start the fake GitLab", e))?;
    let config = forge_config(&GITLAB_CONFIG.replace("{gitlab}", &gitlab.url()), &shop);
    let operator = clone_operator(root, &shop.origin, &config)?;
    Ok(GitLabSandbox {
        root: root.to_path_buf(),
        operator,
        shop,
        gitlab,
        operator_token,
        approvers,
    })
}

/// The sandbox of `git hotfix demo --forge github`: the shop's origin and
/// its checkout service, and a fake GitHub (in this process, on 127.0.0.1;
/// `[forge] url` as for GitHub Enterprise Server) set up as seed 000/001's:
/// the `production` environment's newest successful deployment is the
/// production commit; `release.yml` runs `release checkout`, then
/// `deploy-production`, which waits on `production`'s required reviewers
/// (the operator, Tess and Pat) and, when it succeeds, ships release to the
/// production service as production's newest deployment.
pub struct GitHubSandbox {
    pub root: PathBuf,
    /// The operator's clone, with hotfix.toml.
    pub operator: PathBuf,
    pub shop: Shop,
    pub github: crate::forge_github::FakeGitHub,
    /// The operator's token (GitHub user `olly`).
    pub operator_token: String,
    /// Who approves through GitHub, each with their own token.
    pub approvers: Vec<ForgeApprover>,
}

/// The GitHub demo's tables of hotfix.toml (README's "Forge (GitHub)")
/// between [`FORGE_HEAD`] and [`FORGE_TAIL`]; `{github}` is filled in.
const GITHUB_CONFIG: &str = r#"[production]
# Two sources that must agree: the newest successful deployment to `production` and the deploy tag.
tag = "prod-*"
forge_environment = "production"

[forge]
kind = "github"
url = "{github}"
project = "shop/checkout"
token_env = "GITHUB_TOKEN"

[approvals]
roles = ["tech-lead", "pm"]
# An approval is a commit comment by one of `production`'s required reviewers.
verify = "forge"

[release]
# The release workflow, dispatched once with the runbook's guided inputs.
pipeline = { workflow = "release.yml", ref = "main", inputs = { action = "deploy-release-branch-to-staging", project = "shop/checkout", confirm = true } }
job = "release checkout"
poll_interval = "200ms"
timeout = "1m"

[deploy]
# The run's job with `environment: production`, waiting on its reviewers.
job = "deploy-production"
poll_interval = "200ms"
timeout = "1m"
"#;

/// Builds the GitHub sandbox under `root` (which must not exist or be empty).
pub fn build_github(root: &Path) -> Result<GitHubSandbox, DemoError> {
    use crate::forge_github::{FakeGitHub, FakeJob, FakeUser, ReleaseDeploy};

    let shop = shop(root, &["checkout"])?;
    // Fixed demo tokens: they stand for secrets, and the demo shows they are never printed.
    let (operator_token, approvers) = forge_people(|username| format!("ghp_demo_{username}_S3CRET"));
    let github = FakeGitHub::start("shop/checkout", &operator_token);
    github.add_deployment("production", &shop.production, &["in_progress", "success"]);
    github.add_workflow(
        "release.yml",
        vec![
            FakeJob::passing("release checkout"),
            FakeJob::passing("deploy-production").deploying_to("production"),
        ],
    );
    for (approver, id) in approvers.iter().zip(7..) {
        github.add_user(FakeUser::reviewer(&approver.token, id, approver.username));
    }
    github.deploys(ReleaseDeploy {
        job: "deploy-production".into(),
        origin: shop.origin.clone(),
        branch: "release".into(),
        sha_file: shop.checkout().deployed_sha.clone(),
    });
    let config = forge_config(&GITHUB_CONFIG.replace("{github}", &github.url()), &shop);
    let operator = clone_operator(root, &shop.origin, &config)?;
    Ok(GitHubSandbox {
        root: root.to_path_buf(),
        operator,
        shop,
        github,
        operator_token,
        approvers,
    })
}

/// Returns the forge demos' operator's token and approvers, Tess
/// (tech-lead) and Pat (pm), each with the token `token` makes of their
/// username (the operator's: of `operator`).
fn forge_people(token: impl Fn(&str) -> String) -> (String, Vec<ForgeApprover>) {
    let approvers = [("tech-lead", "tess"), ("pm", "pat")]
        .into_iter()
        .map(|(role, username)| ForgeApprover {
            role,
            username,
            token: token(username),
        })
        .collect();
    (token("operator"), approvers)
}

/// Clones the origin for each approver. When `signed`, makes an SSH key for
/// the operator and each approver, names them all in each clone's allowed
/// signers, and sets each clone to sign with its person's key.
fn clone_approvers(
    root: &Path,
    origin: &Path,
    config: &str,
    operator: &Path,
    signed: bool,
) -> Result<Vec<Approver>, DemoError> {
    let mut approvers = Vec::new();
    let mut clones = vec![(operator.to_path_buf(), "operator@example.com")];
    for (role, name, email) in APPROVERS {
        let clone = root.join(role);
        git_in(root, &["clone", "--quiet", path_str(origin), path_str(&clone)])?;
        git_in(&clone, &["config", "user.name", name])?;
        git_in(&clone, &["config", "user.email", email])?;
        write(&clone.join("hotfix.toml"), config)?;
        clones.push((clone.clone(), email));
        approvers.push(Approver {
            role,
            name,
            email,
            clone,
        });
    }
    if signed {
        let keys = root.join("keys");
        std::fs::create_dir_all(&keys).map_err(|e| io_error("create the keys directory", e))?;
        let signers: Vec<crate::signing::Signer> = clones
            .iter()
            .map(|(_, email)| crate::signing::Signer::new(&keys, email))
            .collect();
        let lines: String = signers.iter().map(|s| s.allowed_line()).collect();
        for ((clone, _), signer) in clones.iter().zip(&signers) {
            write(&clone.join(ALLOWED_SIGNERS), &lines)?;
            for (key, value) in signer.git_config() {
                git_in(clone, &["config", key, &value])?;
            }
        }
    }
    Ok(approvers)
}

/// The sandbox of `git hotfix demo --strategy from-tag` (seed 003): one
/// repository, two products released by tagging.
///
/// History on the origin:
/// ```text
/// main: T - W - F
///   T: worker-mobile 0.1.0+5 and web 2.3.4; tags worker-mobile/prod-v0.1.0 (annotated), web/prod-v2.3.4
///   W: an unreleased web feature (main moved on past the tags)
///   F: the approved fix of worker-mobile (a crash when syncing no jobs)
/// ```
/// The hotfix branches from the tag, so W stays out of it; main moved, so
/// the fix goes back to main on a backport branch.
///
/// Production is a local HTTP service reporting the tag, version and SHA the
/// store track runs at `/version`; the demo's deploy command switches it by
/// writing them to a file.
pub struct FromTagSandbox {
    pub root: PathBuf,
    pub origin: PathBuf,
    /// The operator's clone, with hotfix.toml.
    pub operator: PathBuf,
    /// The product the demo hotfixes (`[products.worker-mobile]`).
    pub product: String,
    /// Its production tag, `worker-mobile/prod-v0.1.0`.
    pub production_tag: String,
    /// The commit the production tags name.
    pub production: String,
    /// The unreleased commit on main the hotfix leaves out.
    pub unreleased: String,
    /// The approved fix on main.
    pub fix: String,
    /// The production service's `/version` URL.
    pub service_url: String,
    /// The file holding what the service reports: `<tag> <version> <sha>`.
    pub deployed: PathBuf,
    /// The production service; it answers until the sandbox is dropped.
    pub service: Server,
}

impl FromTagSandbox {
    /// Runs git in the origin, returning its output.
    pub fn git(&self, args: &[&str]) -> Result<String, DemoError> {
        git_in(&self.origin, args)
    }
}

const MOBILE_PUBSPEC: &str = "name: worker_mobile\ndescription: the field workers' app\n# the store build number follows the +\nversion: 0.1.0+5\n";
const MOBILE_CHANGELOG: &str = "# worker-mobile changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n| 2026-11-20 | 0.1.0 | First store release |\n";
const MOBILE_SYNC: &str =
    "Future<void> sync(List<Job> jobs) async {\n  final first = jobs.first; // throws when there are no jobs\n  await upload(first, jobs);\n}\n";
const MOBILE_SYNC_FIXED: &str = "Future<void> sync(List<Job> jobs) async {\n  if (jobs.isEmpty) return;\n  final first = jobs.first;\n  await upload(first, jobs);\n}\n";
const WEB_PACKAGE: &str = "{\n  \"name\": \"web\",\n  \"version\": \"2.3.4\",\n  \"private\": true\n}\n";
const WEB_CHANGELOG: &str = "# web changelog\n\n## [Unreleased]\n\n## [2.3.4] - 2026-11-18\n### Added\n- Job board\n";

/// The from-tag demo's hotfix.toml; `{url}` and `{deployed}` are filled in.
const FROM_TAG_CONFIG: &str = r#"strategy = "from-tag"
remote = "origin"

[branches]
main = "main"

# Two products, each released by tagging; a hotfix names one with --product.
[products.worker-mobile]
tag = "worker-mobile/prod-v{version}"
version_files = ["apps/mobile/pubspec.yaml"]
changelog = "apps/mobile/CHANGELOG.md"

[products.web]
tag = "web/prod-v{version}"
version_files = ["apps/web/package.json"]
changelog = "apps/web/CHANGELOG.md"

[deploy]
# Ships the tag to the store track; the service then reports it.
command = "echo \"deploying $HOTFIX_TAG (version $HOTFIX_VERSION) to the store track\"; sleep 1; echo \"$HOTFIX_TAG $HOTFIX_VERSION $HOTFIX_RELEASE_SHA\" > '{deployed}'; echo 'deploy finished'"
timeout = "2m"

[verify]
monitor = "2h"

[[verify.http]]
url = "{url}"
sha_pointer = "/sha"
timeout = "30s"
interval = "250ms"
"#;

/// Builds the from-tag sandbox under `root` (which must not exist or be empty).
pub fn build_from_tag(root: &Path) -> Result<FromTagSandbox, DemoError> {
    let (origin, seed) = init_repos(root)?;
    for (path, content) in [
        ("README.md", "# field\n\nThe worker app and the web job board.\n"),
        ("apps/mobile/pubspec.yaml", MOBILE_PUBSPEC),
        ("apps/mobile/CHANGELOG.md", MOBILE_CHANGELOG),
        ("apps/mobile/lib/sync.dart", MOBILE_SYNC),
        ("apps/web/package.json", WEB_PACKAGE),
        ("apps/web/CHANGELOG.md", WEB_CHANGELOG),
        (
            "apps/web/src/board.js",
            "export function board(jobs) {\n  return jobs.map(render);\n}\n",
        ),
    ] {
        write(&seed.join(path), content)?;
    }
    let production = commit_all(&seed, "release worker-mobile 0.1.0 and web 2.3.4", 1_795_000_000)?;
    let production_tag = "worker-mobile/prod-v0.1.0";
    annotated_tag(&seed, production_tag, "worker-mobile 0.1.0", &production, 1_795_000_100)?;
    annotated_tag(&seed, "web/prod-v2.3.4", "web 2.3.4", &production, 1_795_000_200)?;
    write(
        &seed.join("apps/web/src/board.js"),
        "export function board(jobs, { dark = false } = {}) {\n  return jobs.map((j) => render(j, dark));\n}\n",
    )?;
    let unreleased = commit_all(&seed, "feat(web): dark job board (unreleased)", 1_795_100_000)?;
    write(&seed.join("apps/mobile/lib/sync.dart"), MOBILE_SYNC_FIXED)?;
    let fix = commit_all(
        &seed,
        "fix(worker-mobile): do not crash syncing an empty job list",
        1_795_200_000,
    )?;
    git_in(&seed, &["push", "--quiet", path_str(&origin), "main", "--tags"])?;

    let deployed = root.join("service").join("deployed");
    write(&deployed, &format!("{production_tag} 0.1.0 {production}\n"))?;
    let service = production_service(
        "the worker-mobile store track's /version: the tag, version and SHA it runs",
        deployed.clone(),
        |state| {
            let mut fields = state.split_whitespace();
            let mut next = || fields.next().unwrap_or_default();
            let (tag, version, sha) = (next(), next(), next());
            format!("{{\"product\":\"worker-mobile\",\"tag\":\"{tag}\",\"version\":\"{version}\",\"sha\":\"{sha}\"}}")
        },
    )?;
    let service_url = service.url_for("/version");
    let config = FROM_TAG_CONFIG
        .replace("{url}", &service_url)
        .replace("{deployed}", path_str(&deployed));
    let operator = clone_operator(root, &origin, &config)?;
    std::fs::remove_dir_all(&seed).map_err(|e| io_error("remove the seed clone", e))?;
    Ok(FromTagSandbox {
        root: root.to_path_buf(),
        origin,
        operator,
        product: "worker-mobile".into(),
        production_tag: production_tag.into(),
        production,
        unreleased,
        fix,
        service_url,
        deployed,
        service,
    })
}

/// Creates `root`, the bare origin (`origin.git`) and the clone the history
/// is written in (`seed`, removed once pushed).
fn init_repos(root: &Path) -> Result<(PathBuf, PathBuf), DemoError> {
    std::fs::create_dir_all(root).map_err(|e| io_error("create a directory", e))?;
    let origin = root.join("origin.git");
    let seed = root.join("seed");
    git_in(
        root,
        &["init", "--quiet", "--bare", "--initial-branch=main", path_str(&origin)],
    )?;
    git_in(root, &["init", "--quiet", "--initial-branch=main", path_str(&seed)])?;
    Ok((origin, seed))
}

/// Clones the origin into `operator/`, as the demo operator, with `config`
/// as its (untracked) hotfix.toml.
fn clone_operator(root: &Path, origin: &Path, config: &str) -> Result<PathBuf, DemoError> {
    let operator = root.join("operator");
    git_in(root, &["clone", "--quiet", path_str(origin), path_str(&operator)])?;
    git_in(&operator, &["config", "user.name", "Demo Operator"])?;
    git_in(&operator, &["config", "user.email", "operator@example.com"])?;
    write(&operator.join("hotfix.toml"), config)?;
    Ok(operator)
}

/// Starts a demo production service: `GET /version` answers `render` of
/// the trimmed contents of `state`, read on every request so the deploy
/// command switches it by writing the file.
fn production_service(
    doc: &str,
    state: PathBuf,
    render: impl Fn(&str) -> String + Send + Sync + 'static,
) -> Result<Server, DemoError> {
    Server::builder()
        .route("GET", "/version", doc, move |_: &Request| {
            let text = std::fs::read_to_string(&state).unwrap_or_default();
            Response::json(200, render(text.trim()))
        })
        .start()
        .map_err(|e| io_error("start the demo service", e))
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
    as_dana(dir, &["commit", "--quiet", "--no-verify", "-m", message], time)?;
    Ok(git_in(dir, &["rev-parse", "--verify", "HEAD^{commit}"])?
        .trim()
        .to_string())
}

/// Creates the annotated tag `name` on `target`, tagged by the same fixed
/// identity and time as the commits.
fn annotated_tag(dir: &Path, name: &str, message: &str, target: &str, time: i64) -> Result<(), DemoError> {
    as_dana(dir, &["tag", "-a", "-m", message, name, target], time)
}

/// Runs git in `dir` as Dana Dev at `time`.
fn as_dana(dir: &Path, args: &[&str], time: i64) -> Result<(), DemoError> {
    let date = format!("@{time} +0000");
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
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
            args: args.first().copied().unwrap_or_default().into(),
            status: format!("{}", out.status),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::client::call;

    #[test]
    fn the_sandbox_runs_production_at_the_tag_and_each_service_follows_its_deployed_file() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let sandbox = build(&tmp.path().join("demo")).expect("sandbox builds");
        let tagged = git_in(&sandbox.origin, &["rev-parse", "prod-2026.11.20^{commit}"]).expect("tag");
        assert_eq!(tagged.trim(), sandbox.production);
        let names: Vec<&str> = sandbox.services.iter().map(|s| s.name).collect();
        assert_eq!(names, ["checkout", "billing"]);
        for service in &sandbox.services {
            let (status, body) = call(&service.server.url(), "GET", "/version", &[], "");
            assert_eq!(
                (status, body),
                (
                    200,
                    format!(
                        "{{\"service\":\"{}\",\"sha\":\"{}\"}}",
                        service.name, sandbox.production
                    )
                )
            );
            assert_eq!(service.url, service.server.url_for("/version"));
        }
        let (checkout, billing) = (&sandbox.services[0], &sandbox.services[1]);
        std::fs::write(&checkout.deployed_sha, &sandbox.fix).expect("deploy");
        let (_, body) = call(&checkout.server.url(), "GET", "/version", &[], "");
        assert!(body.contains(&sandbox.fix), "{body}");
        let (_, body) = call(&billing.server.url(), "GET", "/version", &[], "");
        assert!(
            body.contains(&sandbox.production),
            "billing is switched by its own file: {body}"
        );

        let fixed = git_in(
            &sandbox.origin,
            &["diff", "--name-only", &format!("{}^", sandbox.fix), &sandbox.fix],
        )
        .expect("the fix's paths");
        assert_eq!(
            fixed.lines().collect::<Vec<_>>(),
            ["billing/invoice.py", "checkout/payment.py"],
            "the fix touches both services"
        );
        let config = std::fs::read_to_string(sandbox.operator.join("hotfix.toml")).expect("config");
        assert!(
            config.contains(&checkout.url) && config.contains(&billing.url) && !config.contains("{"),
            "{config}"
        );
    }

    #[test]
    fn the_from_tag_sandbox_tags_both_products_and_main_moved_on_past_them() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let sandbox = build_from_tag(&tmp.path().join("demo")).expect("sandbox builds");
        for tag in ["worker-mobile/prod-v0.1.0", "web/prod-v2.3.4"] {
            let tagged = git_in(&sandbox.origin, &["rev-parse", &format!("{tag}^{{commit}}")]).expect("tag");
            assert_eq!(tagged.trim(), sandbox.production, "{tag}");
        }
        let main = git_in(&sandbox.origin, &["rev-list", "main"]).expect("main");
        assert_eq!(
            main.lines().collect::<Vec<_>>(),
            [
                sandbox.fix.as_str(),
                sandbox.unreleased.as_str(),
                sandbox.production.as_str()
            ]
        );
        let pubspec = git_in(
            &sandbox.origin,
            &["show", "worker-mobile/prod-v0.1.0:apps/mobile/pubspec.yaml"],
        )
        .expect("pubspec");
        assert!(pubspec.contains("version: 0.1.0+5"), "{pubspec}");
        let (status, body) = call(&sandbox.service.url(), "GET", "/version", &[], "");
        assert_eq!(status, 200);
        assert!(body.contains("\"tag\":\"worker-mobile/prod-v0.1.0\""), "{body}");
        assert!(body.contains(&sandbox.production), "{body}");
        let config = std::fs::read_to_string(sandbox.operator.join("hotfix.toml")).expect("config");
        assert!(
            config.contains(&sandbox.service_url) && !config.contains("{deployed}"),
            "{config}"
        );
    }
}
