//! from-tag (seed 003) on real git: two products in one repository, each
//! released by tagging; a hotfix branch from the production tag, the fix
//! picked onto it, a PATCH-only bump of every version file, a CHANGELOG
//! entry, the annotated production tag by compare-and-swap, the way back to
//! main, and the deploy with `HOTFIX_TAG` and `HOTFIX_VERSION`.

use std::path::{Path, PathBuf};
use std::process::Command;

use hotfix_testkit::repo::{pinned, project, Project};

use crate::common::{Run, BIN};

const CONFIG: &str = r#"strategy = "from-tag"
remote = "origin"
[branches]
main = "main"

[products.worker]
tag = "worker/prod-v{version}"
version_files = ["apps/worker/pubspec.yaml"]
changelog = "apps/worker/CHANGELOG.md"

[products.web]
tag = "web/prod-v{version}"
version_files = ["apps/web/package.json", "apps/web/VERSION", "apps/web/native/Cargo.toml"]
changelog = "apps/web/CHANGELOG.md"
"#;

const WORKER_CHANGELOG: &str = "# Worker changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n| 2026-02-01 | 0.1.0 | First release |\n";
const WEB_CHANGELOG: &str = "# Changelog\n\n## [Unreleased]\n\n## [2.3.4] - 2026-01-10\n### Added\n- First release\n";
const PACKAGE_JSON: &str = "{\n    \"name\": \"web\",\n    \"version\": \"2.3.4\",\n    \"private\": true\n}\n";
const CARGO_TOML: &str =
    "[package]\nname = \"web-native\" # the native helper\nversion = \"2.3.4\"\nedition = \"2021\"\n";

/// A repository with two products, each tagged at what production runs:
///
/// ```text
/// worker/prod-v0.0.9 (build +7) - worker/prod-v0.1.0 (+5), web/prod-v2.3.4 = T
/// main: ... T - [F: fixes the worker's crash, right after the tag]
/// ```
struct Fixture {
    repo: Project,
    /// The commit both production tags name.
    tagged: String,
    /// The worker fix.
    fix: String,
    out: PathBuf,
}

impl std::ops::Deref for Fixture {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.repo
    }
}

impl Fixture {
    /// Builds the two products; `main_moves` puts an unrelated commit on
    /// main between the tag and the fix.
    fn new(main_moves: bool) -> Fixture {
        let repo = project()
            .file(
                "apps/worker/pubspec.yaml",
                "name: worker\n# the store build follows the +\nversion: 0.0.9+7\n",
            )
            .file("apps/worker/CHANGELOG.md", WORKER_CHANGELOG)
            .file(
                "apps/worker/lib/main.dart",
                "void main() {\n  start();\n  crash();\n}\n",
            )
            .file("apps/web/package.json", &PACKAGE_JSON.replace("2.3.4", "2.3.3"))
            .file("apps/web/VERSION", "2.3.3\n")
            .file("apps/web/native/Cargo.toml", &CARGO_TOML.replace("2.3.4", "2.3.3"))
            .file("apps/web/CHANGELOG.md", WEB_CHANGELOG)
            .file("apps/web/src/app.js", "render();\n")
            .build();
        let old = repo.commit("worker 0.0.9");
        repo.annotated_tag("worker/prod-v0.0.9", "worker 0.0.9", &old);
        repo.write(
            "apps/worker/pubspec.yaml",
            "name: worker\n# the store build follows the +\nversion: 0.1.0+5\n",
        );
        repo.write("apps/web/package.json", PACKAGE_JSON);
        repo.write("apps/web/VERSION", "2.3.4\n");
        repo.write("apps/web/native/Cargo.toml", CARGO_TOML);
        let tagged = repo.commit("release worker 0.1.0 and web 2.3.4");
        repo.annotated_tag("worker/prod-v0.1.0", "worker 0.1.0", &tagged);
        repo.tag("web/prod-v2.3.4", &tagged);
        if main_moves {
            repo.write("apps/worker/lib/feature.dart", "void feature() {}\n");
            repo.commit("feat: unreleased worker feature");
        }
        repo.write("apps/worker/lib/main.dart", "void main() {\n  start();\n}\n");
        let fix = repo.commit("fix(worker): do not crash at start");
        repo.push(&["main", "--tags"]);
        let out = repo.root().join("deploys.log");
        let config = format!(
            "{CONFIG}\n[deploy]\ncommand = 'echo \"$HOTFIX_TAG $HOTFIX_VERSION $HOTFIX_RELEASE_SHA $HOTFIX_PHASE\" >> \"{}\"'\n",
            out.display()
        );
        std::fs::write(repo.work.join("hotfix.toml"), config).expect("config");
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        Fixture { repo, tagged, fix, out }
    }

    /// Adds a tech-lead approval gate before the tag.
    fn configure_approvals(&self) {
        let path = self.work.join("hotfix.toml");
        let mut text = std::fs::read_to_string(&path).expect("config");
        text.push_str("\n[approvals]\nroles = [\"tech-lead\"]\nverify = \"none\"\n");
        std::fs::write(path, text).expect("config");
    }

    fn hotfix(&self, args: &[&str]) -> Run {
        self.hotfix_in(&self.work, args)
    }

    fn hotfix_in(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        Run::from(cmd.current_dir(dir).args(args).output().expect("git-hotfix runs"))
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let run = self.hotfix(args);
        assert_eq!(run.code, 0, "{args:?}\n{}", run.all());
        serde_json::from_str(&run.stdout).expect("JSON")
    }

    fn show(&self, rev: &str, path: &str) -> String {
        self.git(&self.origin, &["show", &format!("{rev}:{path}")])
    }

    fn deploys(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Asserts `git diff --name-only from to` on the origin is `expected` (sorted).
    #[track_caller]
    fn assert_changed(&self, from: &str, to: &str, expected: &[&str]) {
        let mut changed = self.names_between(from, to);
        changed.sort();
        assert_eq!(changed, expected, "git diff --name-only {from} {to}");
    }

    fn names_between(&self, from: &str, to: &str) -> Vec<String> {
        let out = self.git(&self.origin, &["diff", "--name-only", from, to]);
        out.lines().map(str::to_string).collect()
    }
}

#[test]
fn a_worker_hotfix_is_branched_from_its_tag_bumped_tagged_merged_and_deployed() {
    let f = Fixture::new(false);
    let before_web = f.origin_ref("refs/tags/web/prod-v2.3.4");

    let plan = f.json(&["plan", "--product", "worker", "--fix", &f.fix, "--json"]);
    let steps: Vec<&str> = plan["steps"]["hotfix"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        steps,
        [
            "record-production",
            "lock",
            "build",
            "push-hotfix-branch",
            "verify-release",
            "tag",
            "merge-main",
            "deploy"
        ]
    );
    let release = &plan["from_tag"];
    assert_eq!(release["production_tag"], "worker/prod-v0.1.0");
    assert_eq!(release["version"], "0.1.1");
    assert_eq!(release["tag"], "worker/prod-v0.1.1");
    assert_eq!(release["branch"], "hotfix/worker-v0.1.1");
    // The store refuses a build number not above every earlier upload:
    // 0.0.9 shipped as +7, so 0.1.1 is +8, not 0.1.0's +5 plus one.
    assert_eq!(release["build"], 8);
    // The deploy's parameters are in the plan, frozen with it.
    let deploy = &plan["steps"]["hotfix"][7]["action"];
    assert_eq!(deploy["kind"], "command");
    assert!(deploy["command"].as_str().expect("command").contains("HOTFIX_TAG"));
    assert_eq!(
        deploy["env"][0],
        serde_json::json!(["HOTFIX_TAG", "worker/prod-v0.1.1"])
    );
    assert_eq!(plan["production"]["commit"], f.tagged.as_str());

    let start = f.hotfix(&["start", "--product", "worker", "--fix", &f.fix, "--yes"]);
    assert_eq!(start.code, 0, "{}", start.all());

    // The hotfix branch: the fix (main's own commit, as it sits right on the
    // tag), then the version commit.
    let branch = f
        .origin_ref("refs/heads/hotfix/worker-v0.1.1")
        .expect("the hotfix branch is pushed");
    assert_eq!(
        f.rev(&f.origin, &format!("{branch}^")),
        f.fix,
        "the fix sits under the version commit"
    );
    assert_eq!(
        f.show(&branch, "apps/worker/pubspec.yaml"),
        "name: worker\n# the store build follows the +\nversion: 0.1.1+8"
    );
    let changelog = f.show(&branch, "apps/worker/CHANGELOG.md");
    let rows: Vec<&str> = changelog.lines().collect();
    assert!(
        rows[4].starts_with("| 2026-") && rows[4].contains("| 0.1.1 | HOTFIX: fix(worker): do not crash at start |"),
        "the new row goes on top of the table:\n{changelog}"
    );
    assert_eq!(rows[5], "| 2026-02-01 | 0.1.0 | First release |");

    // The tag: annotated, on the version commit, created where none was.
    let tag = f.origin_ref("refs/tags/worker/prod-v0.1.1").expect("the tag is pushed");
    assert_eq!(f.git(&f.origin, &["cat-file", "-t", &tag]), "tag");
    assert_eq!(f.rev(&f.origin, "worker/prod-v0.1.1^{commit}"), branch);
    // Only the fix's path, the product's version file and its CHANGELOG changed.
    f.assert_changed(
        "worker/prod-v0.1.0",
        "worker/prod-v0.1.1",
        &[
            "apps/worker/CHANGELOG.md",
            "apps/worker/lib/main.dart",
            "apps/worker/pubspec.yaml",
        ],
    );
    // The other product is untouched: its tag, its files.
    assert_eq!(f.origin_ref("refs/tags/web/prod-v2.3.4"), before_web);
    assert!(f.origin_ref("refs/tags/web/prod-v2.3.5").is_none());
    assert_eq!(f.show(&branch, "apps/web/package.json"), PACKAGE_JSON.trim_end());

    // Main had not moved past the tag: it fast-forwards (seed 003's `merge --ff-only`).
    assert_eq!(f.origin_ref("refs/heads/main").as_deref(), Some(branch.as_str()));
    // The deploy ran once, for the new tag and the version commit.
    assert_eq!(f.deploys(), [format!("worker/prod-v0.1.1 0.1.1 {branch} hotfix")]);

    let status = f.json(&["status", "--json"]);
    assert_eq!(status["state"], "released");
    // verify-release proves the branch starts at production (no restore to prove).
    let verified = status["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["entry"]["step"] == "verify-release")
        .expect("verify-release is done");
    let names: Vec<&str> = verified["entry"]["evidence"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "remote-tip",
            "starts-at-production",
            "only-restore-and-fixes",
            "production-plus-fixes"
        ]
    );

    // The report's evidence is seed 003's "Hotfix Checklist", 17 items, each
    // proven by a step of the run or left to a person to attest.
    let report = f.json(&["report", "--format", "json"]);
    let items: Vec<(&str, &str)> = report["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|i| (i["id"].as_str().expect("id"), i["status"].as_str().expect("status")))
        .collect();
    assert_eq!(
        items,
        [
            ("severity-assessed", "ok"),
            ("branch-from-tag", "ok"),
            ("fix-tested", "missing"),
            ("version-patch-only", "ok"),
            ("changelog-entry", "ok"),
            ("commit-message", "missing"),
            ("review-requested", "missing"),
            ("approval-obtained", "missing"),
            ("merged-to-main", "ok"),
            ("tag-created", "ok"),
            ("tag-pushed", "ok"),
            ("deployed", "ok"),
            ("smoke-passed", "missing"),
            ("monitored", "missing"),
            ("users-notified", "missing"),
            ("github-release", "missing"),
            ("incident-documented", "missing"),
        ]
    );
    let detail = |id: &str| {
        evidence_item(&report, id)["detail"]
            .as_str()
            .expect("detail")
            .to_string()
    };
    assert!(
        detail("version-patch-only").contains("apps/worker/pubspec.yaml 0.1.0+5 -> 0.1.1+8"),
        "{}",
        detail("version-patch-only")
    );
    assert!(
        detail("branch-from-tag").contains("from worker/prod-v0.1.0"),
        "{}",
        detail("branch-from-tag")
    );
    assert!(
        detail("tag-pushed").contains("annotated tag"),
        "{}",
        detail("tag-pushed")
    );
    assert!(
        detail("fix-tested").contains("git hotfix attest fix-tested"),
        "{}",
        detail("fix-tested")
    );
    assert_eq!(report["checklist"], "Hotfix: worker v0.1.0 → v0.1.1");
    let markdown = f.hotfix(&["report"]);
    assert!(
        markdown.stdout.contains("Hotfix: worker v0.1.0 → v0.1.1"),
        "{}",
        markdown.stdout
    );
    // The run is still open, so its total time runs on: the markdown's figure
    // lies between the JSON report's before it and a reading after it.
    let before = report["total_minutes"].as_u64().expect("minutes");
    let after = f.json(&["report", "--format", "json"])["total_minutes"]
        .as_u64()
        .expect("minutes");
    assert!(
        (before..=after).any(|total| markdown.stdout.contains(&format!("Total Time: {total} minutes"))),
        "between {before} and {after} minutes: {}",
        markdown.stdout
    );

    // A person attests what no step proves; finish then closes the run.
    for (item, detail) in [
        ("fix-tested", "reproduced and fixed on a device"),
        ("commit-message", "says what broke and why"),
        ("review-requested", "PR #12, URGENT"),
        ("approval-obtained", "approved by Tess in PR #12"),
        ("smoke-passed", "app launches, login works"),
        ("monitored", "error logs quiet for 2 hours"),
        ("users-notified", "posted in #status"),
        ("github-release", "release v0.1.1 published"),
        ("incident-documented", "INC-7 updated"),
    ] {
        let run = f.hotfix(&["attest", item, "--detail", detail]);
        assert_eq!(run.code, 0, "{item}: {}", run.all());
    }
    let refused = f.hotfix(&["attest", "tag-created", "--detail", "trust me"]);
    assert_eq!(refused.code, 2, "a step proves the tag: {}", refused.all());
    let finish = f.hotfix(&["finish"]);
    assert_eq!(finish.code, 0, "{}", finish.all());
    assert!(
        f.origin_ref("refs/hotfix/locks/hotfix/worker-v0.1.1").is_none(),
        "the lock is given back"
    );
}

#[test]
fn main_moved_past_the_tag_gets_a_backport_branch_and_keeps_its_versions() {
    let f = Fixture::new(true);
    // The fix is made on a branch of its own from the tag, not yet on main.
    f.git(&f.work, &["checkout", "-q", "-b", "fix/web-render", &f.tagged]);
    f.write("apps/web/src/app.js", "render({ safe: true });\n");
    let web_fix = f.commit("fix(web): render safely");
    f.push(&["fix/web-render"]);
    f.git(&f.work, &["checkout", "-q", "main"]);
    let main_before = f.origin_ref("refs/heads/main").expect("main");

    let start = f.hotfix(&["start", "--product", "web", "--fix", &web_fix, "--yes"]);
    assert_eq!(start.code, 0, "{}", start.all());
    let branch = f.origin_ref("refs/heads/hotfix/web-v2.3.5").expect("the hotfix branch");
    // Every version file of the product: PATCH only, formatting kept.
    assert_eq!(
        f.show(&branch, "apps/web/package.json"),
        PACKAGE_JSON.replace("2.3.4", "2.3.5").trim_end()
    );
    assert_eq!(f.show(&branch, "apps/web/VERSION"), "2.3.5");
    assert_eq!(
        f.show(&branch, "apps/web/native/Cargo.toml"),
        CARGO_TOML.replace("2.3.4", "2.3.5").trim_end(),
        "comments and layout are kept"
    );
    // Keep a Changelog: a section of its own under [Unreleased].
    let changelog = f.show(&branch, "apps/web/CHANGELOG.md");
    let at = changelog.find("## [2.3.5] - 2026-").expect("a 2.3.5 section");
    assert!(
        at > changelog.find("## [Unreleased]").expect("unreleased")
            && at < changelog.find("## [2.3.4]").expect("2.3.4")
    );
    assert!(changelog.contains("HOTFIX: fix(web): render safely"), "{changelog}");
    f.assert_changed(
        "web/prod-v2.3.4",
        "web/prod-v2.3.5",
        &[
            "apps/web/CHANGELOG.md",
            "apps/web/VERSION",
            "apps/web/native/Cargo.toml",
            "apps/web/package.json",
            "apps/web/src/app.js",
        ],
    );

    // Main moved on: it does not move; the fix, without the version bump,
    // waits on a backport branch picked onto main.
    assert_eq!(f.origin_ref("refs/heads/main").as_deref(), Some(main_before.as_str()));
    let short = &web_fix[..7];
    let backport = f
        .origin_ref(&format!("refs/heads/backport/main-{short}"))
        .expect("a backport branch");
    assert_eq!(f.rev(&f.origin, &format!("{backport}^")), main_before);
    assert_eq!(f.names_between(&main_before, &backport), ["apps/web/src/app.js"]);
    assert_eq!(
        f.show(&backport, "apps/web/VERSION"),
        "2.3.4",
        "main's versions are never touched"
    );
    // Worker's tags and files did not change.
    assert!(f.origin_ref("refs/tags/worker/prod-v0.1.1").is_none());
}

#[test]
fn a_version_already_tagged_is_skipped_and_the_plan_says_why() {
    let f = Fixture::new(false);
    // 0.1.1 shipped once and production was rolled back from it.
    f.git(&f.work, &["tag", "worker/prod-v0.1.1", &f.fix]);
    f.push(&["--tags"]);
    let plan = f.json(&[
        "plan",
        "--product",
        "worker",
        "--fix",
        &f.fix,
        "--production",
        "worker/prod-v0.1.0",
        "--json",
    ]);
    assert_eq!(plan["from_tag"]["version"], "0.1.2");
    assert_eq!(plan["from_tag"]["branch"], "hotfix/worker-v0.1.2");
    let version = plan["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "version")
        .expect("a version check");
    assert_eq!(version["status"], "warn");
    assert!(
        version["detail"].as_str().expect("detail").contains("0.1.1"),
        "{version}"
    );
    let human = f.hotfix(&[
        "plan",
        "--product",
        "worker",
        "--fix",
        &f.fix,
        "--production",
        "worker/prod-v0.1.0",
    ]);
    assert!(human.stdout.contains("0.1.0 -> 0.1.2"), "{}", human.stdout);
    assert!(
        human.stdout.contains("next: `git hotfix start --product worker --fix "),
        "the next line repeats the product: {}",
        human.stdout
    );
}

#[test]
fn a_tag_that_exists_on_the_remote_is_refused_and_nothing_changes() {
    // Known at plan time: the plan blocks, nothing is pushed.
    let f = Fixture::new(false);
    let other = f.clone_origin("colleague");
    f.git(
        &other,
        &["tag", "-a", "-m", "not ours", "worker/prod-v0.1.1", &f.tagged],
    );
    f.git(&other, &["push", "-q", "origin", "worker/prod-v0.1.1"]);
    // ... and the version moves on to 0.1.2 (a tag takes 0.1.1).
    let plan = f.json(&[
        "plan",
        "--product",
        "worker",
        "--fix",
        &f.fix,
        "--production",
        "worker/prod-v0.1.0",
        "--json",
    ]);
    assert_eq!(plan["from_tag"]["tag"], "worker/prod-v0.1.2");

    // Made between the plan and the tag step: the compare-and-swap refuses it.
    let f = Fixture::new(false);
    f.configure_approvals();
    let start = f.hotfix(&["start", "--product", "worker", "--fix", &f.fix, "--yes"]);
    assert_eq!(start.code, 0, "{}", start.all());
    let head = f.origin_ref("refs/heads/hotfix/worker-v0.1.1").expect("branch pushed");
    let main = f.origin_ref("refs/heads/main");
    let other = f.clone_origin("colleague");
    f.git(
        &other,
        &["tag", "-a", "-m", "not ours", "worker/prod-v0.1.1", &f.tagged],
    );
    f.git(&other, &["push", "-q", "origin", "worker/prod-v0.1.1"]);
    let theirs = f.origin_ref("refs/tags/worker/prod-v0.1.1").expect("their tag");
    let mut approve = Command::new(BIN);
    pinned(&mut approve, f.root());
    let approved = approve
        .current_dir(&f.work)
        .env("GIT_COMMITTER_NAME", "Tess Lead")
        .env("GIT_COMMITTER_EMAIL", "tess@example.com")
        .args(["approve", "--role", "tech-lead"])
        .output()
        .expect("approve runs");
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );

    let go = f.hotfix(&["continue", "--yes"]);
    assert_eq!(go.code, 3, "{}", go.all());
    assert!(
        go.stderr
            .contains("refs/tags/worker/prod-v0.1.1 already exists on the remote"),
        "{}",
        go.stderr
    );
    assert!(go.stderr.contains("hint:"), "{}", go.stderr);
    assert_eq!(
        f.origin_ref("refs/tags/worker/prod-v0.1.1"),
        Some(theirs),
        "their tag stays"
    );
    assert_eq!(f.origin_ref("refs/heads/main"), main, "main did not move");
    assert_eq!(f.origin_ref("refs/heads/hotfix/worker-v0.1.1"), Some(head));
    assert!(f.deploys().is_empty(), "nothing was deployed");
}

#[test]
fn a_fix_that_conflicts_with_the_tag_stops_before_anything_is_pushed() {
    let f = Fixture::new(true);
    // A fix written against main's newer code: it does not apply to the tag.
    f.write("apps/worker/lib/feature.dart", "void feature() { safe(); }\n");
    let fix = f.commit("fix(worker): make the feature safe");
    f.push(&["main"]);
    let before = f.origin_refs();
    let start = f.hotfix(&["start", "--product", "worker", "--fix", &fix, "--yes"]);
    assert_eq!(start.code, 3, "{}", start.all());
    assert!(f.origin_ref("refs/heads/hotfix/worker-v0.1.1").is_none());
    assert!(f.origin_ref("refs/tags/worker/prod-v0.1.1").is_none());
    assert_eq!(f.origin_ref("refs/heads/main"), before_ref(&before, "refs/heads/main"));
    assert!(f.deploys().is_empty());
}

/// Returns the report's evidence item `id`.
#[track_caller]
fn evidence_item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no evidence item {id}"))
}

fn before_ref(refs: &str, name: &str) -> Option<String> {
    refs.lines()
        .find(|l| l.ends_with(&format!("\t{name}")))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_string)
}

#[test]
fn without_a_fix_start_pushes_the_branch_and_continue_takes_the_fix_committed_there() {
    let f = Fixture::new(false);
    let main_before = f.origin_ref("refs/heads/main").expect("main");
    let start = f.hotfix(&["start", "--product", "worker", "--yes"]);
    assert_eq!(start.code, 0, "{}", start.all());
    assert!(
        start.stdout.contains("commit the fix on hotfix/worker-v0.1.1, push it"),
        "{}",
        start.stdout
    );
    let created = f
        .origin_ref("refs/heads/hotfix/worker-v0.1.1")
        .expect("the branch is pushed at the tag");
    assert_eq!(created, f.tagged);
    assert!(f.origin_ref("refs/tags/worker/prod-v0.1.1").is_none());

    // Nothing committed yet: continue stays at the gate (exit 3, as at any
    // gate it cannot pass) and changes nothing.
    let early = f.hotfix(&["continue", "--yes"]);
    assert_eq!(early.code, 3, "{}", early.all());
    assert!(
        early
            .stderr
            .contains("waiting for the fix: commit it on hotfix/worker-v0.1.1"),
        "{}",
        early.stderr
    );
    assert_eq!(
        f.origin_ref("refs/heads/hotfix/worker-v0.1.1").as_deref(),
        Some(created.as_str())
    );

    // A developer commits the fix on the hotfix branch (seed 003's Step 3).
    let dev = f.clone_origin("developer");
    f.git(&dev, &["checkout", "-q", "hotfix/worker-v0.1.1"]);
    std::fs::write(
        dev.join("apps/worker/lib/main.dart"),
        "void main() {\n  start();\n  // no crash\n}\n",
    )
    .expect("edit");
    f.git(
        &dev,
        &[
            "commit",
            "-q",
            "-am",
            "fix(worker): no crash at start, on the hotfix branch",
        ],
    );
    let fix = f.rev(&dev, "HEAD");
    f.git(&dev, &["push", "-q", "origin", "hotfix/worker-v0.1.1"]);

    let go = f.hotfix(&["continue", "--yes"]);
    assert_eq!(go.code, 0, "{}", go.all());
    let tip = f.origin_ref("refs/heads/hotfix/worker-v0.1.1").expect("branch");
    assert_eq!(
        f.rev(&f.origin, &format!("{tip}^")),
        fix,
        "the developer's commit is kept, the version commit on it"
    );
    assert_eq!(
        f.show(&tip, "apps/worker/pubspec.yaml"),
        "name: worker\n# the store build follows the +\nversion: 0.1.1+8"
    );
    assert_eq!(f.rev(&f.origin, "worker/prod-v0.1.1^{commit}"), tip);
    f.assert_changed(
        "worker/prod-v0.1.0",
        "worker/prod-v0.1.1",
        &[
            "apps/worker/CHANGELOG.md",
            "apps/worker/lib/main.dart",
            "apps/worker/pubspec.yaml",
        ],
    );
    // Main holds another fix of the same line since the tag: it does not
    // move, no backport branch is made, and the checklist says a person
    // brings the fix there.
    assert_eq!(f.origin_ref("refs/heads/main").as_deref(), Some(main_before.as_str()));
    let short = &fix[..7];
    assert!(f.origin_ref(&format!("refs/heads/backport/main-{short}")).is_none());
    let report = f.json(&["report", "--format", "json"]);
    let merged = evidence_item(&report, "merged-to-main");
    assert_eq!(merged["status"], "missing");
    let detail = merged["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&format!(
            "{short} conflicts on main in apps/worker/lib/main.dart: bring it there by hand"
        )),
        "{detail}"
    );
    assert_eq!(f.deploys(), [format!("worker/prod-v0.1.1 0.1.1 {tip} hotfix")]);
    let status = f.json(&["status", "--json"]);
    let kinds: Vec<&str> = status["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["entry"]["event"].as_str())
        .collect();
    assert!(kinds.contains(&"replanned"), "the new plan is journaled: {kinds:?}");
    assert!(kinds.contains(&"step-done"), "{kinds:?}");
}

#[test]
fn the_product_must_be_named_when_there_are_several() {
    let f = Fixture::new(false);
    let before = f.origin_refs();
    let unnamed = f.hotfix(&["plan", "--fix", &f.fix]);
    assert_eq!(unnamed.code, 2, "{}", unnamed.all());
    assert!(
        unnamed
            .stderr
            .contains("several products: name one with --product (web, worker)"),
        "{}",
        unnamed.stderr
    );
    let unknown = f.hotfix(&["start", "--product", "admin", "--fix", &f.fix, "--yes"]);
    assert_eq!(unknown.code, 2, "{}", unknown.all());
    assert!(
        unknown
            .stderr
            .contains("hotfix.toml has no [products.admin]; its products are: web, worker"),
        "{}",
        unknown.stderr
    );
    assert_eq!(f.origin_refs(), before, "nothing was pushed");
}

#[test]
fn production_is_the_tag_on_the_commit_the_sources_read_and_they_must_agree() {
    let f = Fixture::new(false);
    // 0.1.1 shipped and production was rolled back from it: the highest tag
    // is not what production runs, the configured source says so.
    f.git(&f.work, &["tag", "worker/prod-v0.1.1", &f.fix]);
    f.push(&["--tags"]);
    let path = f.work.join("hotfix.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    std::fs::write(
        &path,
        format!("{text}\n[production]\ncommand = \"echo {}\"\n", f.tagged),
    )
    .expect("config");
    let plan = f.json(&["plan", "--product", "worker", "--fix", &f.fix, "--json"]);
    assert_eq!(plan["from_tag"]["production_tag"], "worker/prod-v0.1.0");
    assert_eq!(
        plan["from_tag"]["version"], "0.1.2",
        "0.1.1 is taken by the tag production left"
    );
    let sources: Vec<&str> = plan["production"]["readings"]
        .as_array()
        .expect("readings")
        .iter()
        .map(|r| r["source"].as_str().expect("source"))
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources[0].starts_with("command "), "{sources:?}");
    assert_eq!(sources[1], "tag worker/prod-v0.1.0");

    // A --production the source contradicts blocks, as restore-release's does.
    let contradicted = f.hotfix(&[
        "plan",
        "--product",
        "worker",
        "--fix",
        &f.fix,
        "--production",
        "worker/prod-v0.1.1",
    ]);
    assert_eq!(contradicted.code, 3, "{}", contradicted.all());
    assert!(
        contradicted.stdout.contains("BLOCK production-sources-agree"),
        "{}",
        contradicted.stdout
    );
}

#[test]
fn rolling_back_deploys_the_production_tag_again() {
    let f = Fixture::new(false);
    let start = f.hotfix(&["start", "--product", "worker", "--fix", &f.fix, "--yes"]);
    assert_eq!(start.code, 0, "{}", start.all());
    let tip = f.origin_ref("refs/heads/hotfix/worker-v0.1.1").expect("branch");
    let refs = f.origin_refs();
    let back = f.hotfix(&["rollback", "--reason", "crash loop on 0.1.1", "--yes"]);
    assert_eq!(back.code, 0, "{}", back.all());
    // The way back is the tag production ran: deployed again, with its own
    // version; no branch or tag moves (the hotfix's tag stays as the record).
    assert_eq!(
        f.deploys(),
        [
            format!("worker/prod-v0.1.1 0.1.1 {tip} hotfix"),
            format!("worker/prod-v0.1.0 0.1.0 {} rollback", f.tagged),
        ]
    );
    let refs_after = f.origin_refs();
    let after: Vec<&str> = refs_after.lines().filter(|l| !l.contains("refs/hotfix/")).collect();
    let before: Vec<&str> = refs.lines().filter(|l| !l.contains("refs/hotfix/")).collect();
    assert_eq!(after, before, "the rollback moves no branch or tag");
    let status = f.json(&["status", "--json"]);
    assert_eq!(status["phase"], "rollback");
    assert_eq!(status["release_sha"], f.tagged.as_str());
}

#[test]
fn doctor_checks_main_alone_when_the_strategy_has_no_release_branch() {
    let f = Fixture::new(false);
    let run = f.hotfix(&["doctor"]);
    run.expect_code(0);
    assert!(
        run.stdout.lines().any(|l| l == "ok remote: origin has main"),
        "{}",
        run.stdout
    );
    let tagged = &f.tagged[..7];
    assert!(
        run.stdout.lines().any(
            |l| l == format!("ok production: web web/prod-v2.3.4 ({tagged}), worker worker/prod-v0.1.0 ({tagged})")
        ),
        "each product's production tag, as plan takes it: {}",
        run.stdout
    );
}
