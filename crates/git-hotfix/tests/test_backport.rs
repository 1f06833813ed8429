//! Seed 002 step 3, the backport: after production has a fix, each target
//! branch (`develop`, `release/*`) gets `backport/<target>-<short sha>` with
//! the pick (`cherry-pick -x`, `-m 1` for a merge) and a merge request
//! labelled `backport, auto-backport`; a conflicted pick gets an empty
//! commit and a request labelled `backport, conflicts` whose description
//! says how to resolve it; a target that has the fix gets no branch. A
//! re-run adopts what the first made; a branch someone else moved is never
//! clobbered. Without a forge, a GitLab remote is asked with push options
//! and any other remote gets the URL to open the request at.
//!
//! The fake GitLab stands for doc/api/merge_requests.md (Create MR, List
//! MRs); the bare repository's hook for GitLab's push options
//! (doc/topics/git/merge_requests_push_options).

use std::process::Command;

use hotfix_testkit::forge_gitlab::{FakeGitLab, Setup};
use hotfix_testkit::repo::{pinned, project, Project, AUTHOR};

use crate::common::{Run, BIN};

const TOKEN: &str = "glpat-S3CRET-backport";

const CONFIG: &str = r#"strategy = "restore-release"
remote = "origin"
[branches]
main = "main"
release = "production"
"#;

const APP: &str = "fn main() {\n    start();\n    crash();\n    work();\n    work();\n    work();\n    stop();\n}\n";

/// main with a fix of `app.rs` (`crash()` removed), and `develop`,
/// `production`, `release/1.x` and `release-candidate` cut before it; `develop` moves on with an
/// unrelated feature.
struct Fixture {
    repo: Project,
    fix: String,
    env: Vec<(&'static str, &'static str)>,
}

impl std::ops::Deref for Fixture {
    type Target = Project;

    fn deref(&self) -> &Project {
        &self.repo
    }
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// Builds the fixture; `before_fix` runs on `develop` checked out, before main gets the fix.
    fn with(before_fix: impl FnOnce(&Project)) -> Fixture {
        let repo = project().file("src/app.rs", APP).file("README", "worker\n").build();
        repo.commit("initial");
        for b in ["develop", "production", "release/1.x", "release-candidate"] {
            repo.branch(b);
        }
        repo.checkout("develop");
        repo.write("src/feature.rs", "pub fn feature() {}\n");
        repo.commit("feat: unreleased feature");
        before_fix(&repo);
        repo.checkout("main");
        repo.write("src/app.rs", &APP.replace("    crash();\n", ""));
        let fix = repo.commit("fix: do not crash at start\n\nThe crash call was left over.");
        repo.push(&["main", "develop", "production", "release/1.x", "release-candidate"]);
        std::fs::write(repo.work.join(".git/info/exclude"), "hotfix.toml\n").expect("exclude");
        let f = Fixture {
            repo,
            fix,
            env: Vec::new(),
        };
        f.configure("");
        f
    }

    fn configure(&self, extra: &str) {
        std::fs::write(self.work.join("hotfix.toml"), format!("{CONFIG}\n{extra}")).expect("config");
    }

    fn gitlab(&mut self, extra: &str) -> FakeGitLab {
        let gitlab = FakeGitLab::start(Setup {
            token: TOKEN.into(),
            repository: Some(self.origin.clone()),
            ..Setup::default()
        })
        .expect("the fake GitLab starts");
        self.env = vec![("GITLAB_TOKEN", TOKEN)];
        self.configure(&format!(
            "[forge]\nkind = \"gitlab\"\nurl = \"{}\"\nproject = \"fleet/worker\"\n{extra}",
            gitlab.url()
        ));
        gitlab
    }

    fn hotfix(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(BIN);
        pinned(&mut cmd, self.root());
        cmd.envs(self.env.iter().copied());
        Run::from(
            cmd.current_dir(&self.work)
                .args(args)
                .output()
                .expect("git-hotfix runs"),
        )
    }

    fn backport(&self, extra: &[&str]) -> Run {
        let mut args = vec!["backport", "--fix", &self.fix];
        args.extend_from_slice(extra);
        self.hotfix(&args)
    }

    fn short(&self) -> &str {
        &self.fix[..7]
    }

    /// Returns the tree `git cherry-pick -x <args> <fix>` gives on `target`, in a clone of its own.
    fn cherry_pick_tree(&self, target: &str, args: &[&str]) -> String {
        let dir = self.root().join(format!("pick-{}", target.replace('/', "-")));
        if !dir.exists() {
            self.git(
                self.root(),
                &["clone", "-q", "origin.git", dir.to_str().expect("utf-8 path")],
            );
        }
        self.git(&dir, &["checkout", "-q", "-B", "pick", &format!("origin/{target}")]);
        let mut pick = vec!["cherry-pick", "-x"];
        pick.extend_from_slice(args);
        pick.push(&self.fix);
        self.git(&dir, &pick);
        self.rev(&dir, "HEAD^{tree}")
    }

    fn origin_branches(&self, prefix: &str) -> Vec<String> {
        let out = self.git(
            &self.origin,
            &["for-each-ref", "--format=%(refname)", &format!("refs/heads/{prefix}")],
        );
        out.lines().map(str::to_string).collect()
    }
}

fn json(run: &Run) -> Vec<serde_json::Value> {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.all()))
}

#[test]
fn a_clean_backport_to_develop_gets_the_seeds_branch_the_x_trailer_and_labelled_request() {
    let mut f = Fixture::new();
    let gitlab = f.gitlab("[backport]\nto = [\"develop\"]\n");
    let run = f.backport(&[]);
    run.expect_code(0);
    let branch = format!("backport/develop-{}", f.short());
    assert!(
        run.stdout
            .contains(&format!("backport {} to develop: clean", f.short())),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains(&format!("branch   {branch} (pushed)")),
        "{}",
        run.all()
    );

    let head = f
        .origin_ref(&format!("refs/heads/{branch}"))
        .expect("the branch is pushed");
    let develop = f.origin_ref("refs/heads/develop").expect("develop");
    assert_eq!(
        f.rev(&f.origin, &format!("{head}^")),
        develop,
        "the branch is develop's tip plus the pick"
    );
    let message = f.git(&f.origin, &["log", "-1", "--format=%B", &head]);
    assert!(
        message.contains(&format!(
            "The crash call was left over.\n\n(cherry picked from commit {})",
            f.fix
        )),
        "{message}"
    );
    let author = f.git(&f.origin, &["log", "-1", "--format=%an <%ae> %at", &head]);
    let fix_author = f.git(&f.origin, &["log", "-1", "--format=%an <%ae> %at", &f.fix]);
    assert_eq!(author, fix_author, "the author is kept");
    assert!(author.starts_with(AUTHOR.0), "{author}");
    assert_eq!(
        f.rev(&f.origin, &format!("{head}^{{tree}}")),
        f.cherry_pick_tree("develop", &[]),
        "the pick's tree is git cherry-pick's"
    );
    assert_eq!(f.rev(&f.work, "HEAD"), f.fix, "the operator's checkout is untouched");
    assert_eq!(f.git(&f.work, &["status", "--porcelain"]), "");

    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1, "{mrs:?}");
    assert_eq!(
        (mrs[0].source_branch.as_str(), mrs[0].target_branch.as_str()),
        (branch.as_str(), "develop")
    );
    assert_eq!(mrs[0].labels, ["backport", "auto-backport"]);
    assert!(mrs[0].title.contains("fix: do not crash at start"), "{}", mrs[0].title);

    // Again: the branch and the request are adopted, not doubled.
    let again = f.backport(&["--json"]);
    again.expect_code(0);
    let out = json(&again);
    assert_eq!(out[0]["adopted"], true, "{out:?}");
    assert_eq!(out[0]["request"]["merge_request"]["adopted"], true, "{out:?}");
    assert_eq!(out[0]["commit"], head.as_str());
    assert_eq!(
        f.origin_ref(&format!("refs/heads/{branch}")).as_deref(),
        Some(head.as_str())
    );
    assert_eq!(gitlab.merge_requests().len(), 1, "one request in the fake");
    assert!(!again.all().contains(TOKEN));
}

#[test]
fn a_merge_commit_fix_is_picked_against_its_first_parent() {
    let mut f = Fixture::new();
    // The fix reaches main as a merge of a fix branch.
    f.git(&f.work, &["checkout", "-q", "-b", "fix/stop", "main~1"]);
    f.write("src/app.rs", &APP.replace("    stop();\n", "    stop(0);\n"));
    f.commit("fix: stop with a status");
    f.checkout("main");
    f.git(
        &f.work,
        &["merge", "-q", "--no-ff", "-m", "Merge branch 'fix/stop'", "fix/stop"],
    );
    f.repo.push(&["main"]);
    f.fix = f.rev(&f.work, "HEAD");
    let gitlab = f.gitlab("");

    let run = f.backport(&["--to", "develop", "--json"]);
    run.expect_code(0);
    let out = json(&run);
    assert_eq!(
        (out[0]["state"].as_str(), out[0]["mainline"].as_u64()),
        (Some("clean"), Some(1)),
        "{out:?}"
    );
    let head = out[0]["commit"].as_str().expect("a commit");
    let parents = f.git(&f.origin, &["log", "-1", "--format=%P", head]);
    assert_eq!(
        parents,
        f.origin_ref("refs/heads/develop").expect("develop"),
        "one parent: develop"
    );
    assert_eq!(
        f.rev(&f.origin, &format!("{head}^{{tree}}")),
        f.cherry_pick_tree("develop", &["-m", "1"]),
        "the tree is `git cherry-pick -m 1`'s"
    );
    // Only the merged branch's change: main's earlier fix stays off develop.
    let app = f.git(&f.origin, &["show", &format!("{head}:src/app.rs")]);
    assert!(app.contains("stop(0)") && app.contains("crash()"), "{app}");
    assert!(gitlab.merge_requests()[0].description.contains("-m 1"));
}

#[test]
fn a_conflicted_backport_gets_an_empty_commit_the_conflict_labels_and_the_way_to_resolve_it() {
    let mut f = Fixture::with(|repo| {
        repo.write("src/app.rs", &APP.replace("    crash();\n", "    crash_softly();\n"));
        repo.commit("feat: crash softly on develop");
    });
    let gitlab = f.gitlab("[backport]\nto = [\"develop\"]\n");
    let run = f.backport(&["--json"]);
    run.expect_code(0);
    let out = json(&run);
    assert_eq!(out[0]["state"], "conflicted", "{out:?}");
    assert_eq!(out[0]["conflicts"], serde_json::json!(["src/app.rs"]));
    let branch = format!("backport/develop-{}", f.short());
    let head = f
        .origin_ref(&format!("refs/heads/{branch}"))
        .expect("the branch is pushed");
    let develop = f.origin_ref("refs/heads/develop").expect("develop");
    assert_eq!(f.rev(&f.origin, &format!("{head}^")), develop);
    assert_eq!(
        f.rev(&f.origin, &format!("{head}^{{tree}}")),
        f.rev(&f.origin, &format!("{develop}^{{tree}}")),
        "an empty commit: develop's tree"
    );
    let message = f.git(&f.origin, &["log", "-1", "--format=%B", &head]);
    assert!(message.contains("conflicted in:\n  src/app.rs"), "{message}");
    assert!(message.contains(&format!("Backport-Of: {}", f.fix)), "{message}");

    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1);
    assert_eq!(mrs[0].labels, ["backport", "conflicts"]);
    let d = &mrs[0].description;
    for wanted in [
        "manual resolution is needed",
        "- `src/app.rs`",
        "feat: crash softly on develop",
        "git fetch origin",
        &format!("git switch {branch}"),
        &format!("git cherry-pick -x {}", f.fix),
        "git add -- src/app.rs",
        "git cherry-pick --continue",
        &format!("git push origin {branch}"),
    ] {
        assert!(d.contains(wanted), "the description lacks {wanted:?}:\n{d}");
    }
    assert!(
        !d.contains("feat: unreleased feature"),
        "only commits that touched the paths:\n{d}"
    );
}

#[test]
fn a_target_that_already_has_the_fix_gets_no_branch_and_says_so() {
    let mut f = Fixture::new();
    // develop got the fix by hand, and moved on.
    f.checkout("develop");
    f.git(&f.work, &["cherry-pick", "-x", &f.fix.clone()]);
    let applied = f.rev(&f.work, "HEAD");
    f.write(
        "src/app.rs",
        &format!("// develop\n{}", APP.replace("    crash();\n", "")),
    );
    f.commit("chore: note develop");
    f.checkout("main");
    f.repo.push(&["develop"]);
    let gitlab = f.gitlab("");

    let run = f.backport(&["--to", "develop", "--to", "release/1.x"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains(&format!(
            "backport {} to develop: already applied as {} fix: do not crash at start; no branch",
            f.short(),
            &applied[..7]
        )),
        "{}",
        run.all()
    );
    assert_eq!(
        f.origin_branches("backport/"),
        [format!("refs/heads/backport/release/1.x-{}", f.short())]
    );
    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1);
    assert_eq!(mrs[0].target_branch, "release/1.x");
}

#[test]
fn two_targets_by_name_and_pattern_each_get_a_branch_and_a_request() {
    let mut f = Fixture::new();
    let gitlab = f.gitlab("[backport]\nto = [\"develop\", \"release/*\"]\n");
    let run = f.backport(&["--json"]);
    run.expect_code(0);
    let out = json(&run);
    let targets: Vec<&str> = out.iter().map(|b| b["target"].as_str().expect("target")).collect();
    assert_eq!(
        targets,
        ["develop", "release/1.x"],
        "`release/*` names release/1.x, not release-candidate"
    );
    assert_eq!(
        f.origin_branches("backport/"),
        [
            format!("refs/heads/backport/develop-{}", f.short()),
            format!("refs/heads/backport/release/1.x-{}", f.short())
        ]
    );
    for target in ["develop", "release/1.x"] {
        let head = f
            .origin_ref(&format!("refs/heads/backport/{target}-{}", f.short()))
            .expect("branch");
        assert_eq!(
            f.rev(&f.origin, &format!("{head}^{{tree}}")),
            f.cherry_pick_tree(target, &[]),
            "{target}"
        );
    }
    let mut targets: Vec<String> = gitlab.merge_requests().into_iter().map(|m| m.target_branch).collect();
    targets.sort();
    assert_eq!(targets, ["develop", "release/1.x"]);
}

#[test]
fn a_backport_branch_someone_else_moved_is_never_clobbered() {
    let mut f = Fixture::new();
    let gitlab = f.gitlab("");
    let branch = format!("backport/develop-{}", f.short());
    // A colleague's own attempt, on the branch name the backport would use.
    f.checkout("develop");
    f.write("src/app.rs", "fn main() {}\n");
    let theirs = f.commit("wip: my own backport");
    f.repo.push(&[&format!("HEAD:refs/heads/{branch}")]);
    f.checkout("main");

    let run = f.backport(&["--to", "develop"]);
    run.expect_code(3);
    assert!(
        run.stderr.contains(&format!(
            "backport branch {branch} on the remote is at {}",
            &theirs[..7]
        )),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("nothing was pushed"), "{}", run.all());
    assert_eq!(
        f.origin_ref(&format!("refs/heads/{branch}")).as_deref(),
        Some(theirs.as_str())
    );
    assert!(
        gitlab.merge_requests().is_empty(),
        "no request for a branch that is not ours"
    );
}

/// Points `origin` at `url` while pushes still reach the local bare repository.
fn remote_looks_like(f: &Fixture, url: &str) {
    let origin = f.origin.to_str().expect("utf-8 path");
    f.git(&f.work, &["config", &format!("url.{origin}.insteadOf"), url]);
    f.git(&f.work, &["remote", "set-url", "origin", url]);
}

#[test]
fn without_a_forge_a_gitlab_remote_is_asked_with_push_options() {
    let f = Fixture::new();
    f.configure("[backport]\nto = [\"develop\"]\n");
    remote_looks_like(&f, "https://gitlab.example.com/fleet/worker.git");
    f.git(&f.origin, &["config", "receive.advertisePushOptions", "true"]);
    let hook = f.origin.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\ni=0\nwhile [ \"$i\" -lt \"${GIT_PUSH_OPTION_COUNT:-0}\" ]; do\n  eval \"echo \\\"\\$GIT_PUSH_OPTION_$i\\\"\" >> push-options\n  i=$((i+1))\ndone\n",
    )
    .expect("hook");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .expect("chmod");

    let run = f.backport(&[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("asked of GitLab with push options"),
        "{}",
        run.all()
    );
    let options = std::fs::read_to_string(f.origin.join("push-options")).expect("the hook saw push options");
    assert_eq!(
        options.lines().collect::<Vec<_>>(),
        [
            "merge_request.create",
            "merge_request.target=develop",
            "merge_request.label=backport",
            "merge_request.label=auto-backport"
        ]
    );
    assert!(f
        .origin_ref(&format!("refs/heads/backport/develop-{}", f.short()))
        .is_some());
}

#[test]
fn without_a_forge_any_other_remote_gets_the_url_to_open_the_request() {
    let f = Fixture::new();
    remote_looks_like(&f, "git@github.com:fleet/worker.git");
    let run = f.backport(&["--to", "develop"]);
    run.expect_code(0);
    let branch = format!("backport/develop-{}", f.short());
    assert!(
        run.stdout.contains(&format!(
            "open it at https://github.com/fleet/worker/compare/develop...{branch}?expand=1"
        )),
        "{}",
        run.all()
    );
    assert!(f.origin_ref(&format!("refs/heads/{branch}")).is_some());

    let plain = Fixture::new();
    let run = plain.backport(&["--to", "develop"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("request  none: no forge is configured"),
        "{}",
        run.all()
    );
}

#[test]
fn a_restore_release_run_ends_with_the_backport_and_reports_it_until_merged() {
    let s = crate::common::Scenario::new();
    // develop was cut where release was, before the fix.
    s.git(
        &s.work,
        &["push", "-q", "origin", &format!("{}:refs/heads/develop", s.u2)],
    );
    s.configure("\n[backport]\nto = [\"develop\"]\n");

    let plan = s.hotfix(&s.work, &["plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let steps = plan["steps"]["hotfix"].as_array().expect("steps");
    let last = steps.last().expect("a step");
    assert_eq!(
        (last["name"].as_str(), last["action"]["kind"].as_str()),
        (Some("backport"), Some("backport")),
        "{last}"
    );

    let run = s.start_fix(&[]);
    run.expect_code(0);
    let branch = format!("refs/heads/backport/develop-{}", &s.f[..7]);
    let head = s
        .origin_ref(&branch)
        .unwrap_or_else(|| panic!("the run pushed {branch}: {}", run.all()));
    assert_eq!(s.rev(&s.origin, &format!("{head}^")), s.u2, "on develop's tip");
    let message = s.git(&s.origin, &["log", "-1", "--format=%B", &head]);
    assert!(
        message.contains(&format!("(cherry picked from commit {})", s.f)),
        "{message}"
    );

    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "backport {} to develop: clean, branch backport/develop-{}",
            &s.f[..7],
            &s.f[..7]
        )),
        "{}",
        status.all()
    );
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    report.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    let follow_ups: Vec<&str> = report["follow_ups"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        follow_ups
            .iter()
            .any(|f| f.starts_with(&format!("review and merge the backport of {} to `develop`", &s.f[..7]))),
        "{follow_ups:?}"
    );
    assert!(
        !follow_ups
            .iter()
            .any(|f| f.starts_with("make sure the fix is on `develop`")),
        "{follow_ups:?}"
    );

    // The step again (as `continue` after a crash would): the branch is adopted, nothing moves.
    let again = s.hotfix(&s.work, &["backport", "--json"]);
    again.expect_code(0);
    assert!(again.stdout.contains("\"adopted\": true"), "{}", again.all());
    assert_eq!(s.origin_ref(&branch).as_deref(), Some(head.as_str()));
}

#[test]
fn github_the_pull_request_gets_the_labels_and_one_already_open_is_adopted() {
    const GITHUB_TOKEN: &str = "ghp_S3CRETbackport";
    let mut f = Fixture::new();
    let github = hotfix_testkit::forge_github::FakeGitHub::start("fleet/worker", GITHUB_TOKEN);
    let branch = format!("backport/release/1.x-{}", f.short());
    // "Create a pull request" answers 422 for a second one of the same head and base.
    let open = github.add_open_pull(&branch, "release/1.x");
    f.env = vec![("GITHUB_TOKEN", GITHUB_TOKEN)];
    f.configure(&format!(
        "[forge]\nkind = \"github\"\nurl = \"{}\"\nproject = \"fleet/worker\"\n[backport]\nto = [\"develop\", \"release/*\"]\n",
        github.url()
    ));
    let run = f.backport(&["--json"]);
    run.expect_code(0);
    let out = json(&run);
    assert_eq!(out[1]["request"]["merge_request"]["iid"], open, "{out:?}");
    assert_eq!(out[1]["request"]["merge_request"]["adopted"], true, "{out:?}");
    let pulls = github.pulls();
    assert_eq!(pulls.len(), 2, "one new (develop), one adopted: {pulls:?}");
    let develop = pulls.iter().find(|p| p.2 == "develop").expect("develop's pull request");
    assert_eq!(develop.1, format!("backport/develop-{}", f.short()));
    assert_eq!(github.labels(develop.0), ["backport", "auto-backport"]);
    assert_eq!(
        github.labels(open),
        ["backport", "auto-backport"],
        "labels added to the adopted one"
    );
    assert!(!run.all().contains(GITHUB_TOKEN));
}

// `git hotfix backport resolve`: the conflict laid out in a worktree of its
// own, as `git hotfix resolve` does; `--push` takes the resolution, commits
// it on the empty commit (`-x` trailer, the fix's author), pushes it by
// compare-and-swap and relabels the request. The fake GitLab's PUT stands
// for doc/api/merge_requests.md "Update MR" (`remove_labels`, `add_labels`).

/// develop changed the line the fix removes: the backport conflicts in `src/app.rs`.
fn conflicted_fixture() -> Fixture {
    Fixture::with(|repo| {
        repo.write("src/app.rs", &APP.replace("    crash();\n", "    crash_softly();\n"));
        repo.commit("feat: crash softly on develop");
    })
}

/// Lays the conflict out and returns its worktree.
fn lay_out_conflict(f: &Fixture, extra: &[&str]) -> std::path::PathBuf {
    let mut args = vec!["backport", "resolve", "--json"];
    args.extend_from_slice(extra);
    let opened = f.hotfix(&args);
    opened.expect_code(0);
    let opened: serde_json::Value = serde_json::from_str(&opened.stdout).expect("resolve JSON");
    assert_eq!(opened["conflicts"], serde_json::json!(["src/app.rs"]), "{opened}");
    assert_eq!(opened["created"], true, "{opened}");
    std::path::PathBuf::from(opened["worktree"].as_str().expect("a worktree"))
}

/// develop's app.rs with the fix's change: the crash line gone.
const RESOLVED: &str = "fn main() {\n    start();\n    work();\n    work();\n    work();\n    stop();\n}\n";

#[test]
fn a_conflicted_backport_is_resolved_in_its_worktree_pushed_on_the_empty_commit_and_relabelled() {
    let mut f = conflicted_fixture();
    let gitlab = f.gitlab("[backport]\nto = [\"develop\"]\n");
    f.backport(&[]).expect_code(0);
    let branch = format!("backport/develop-{}", f.short());
    let empty = f.origin_ref(&format!("refs/heads/{branch}")).expect("the branch");
    assert_eq!(gitlab.merge_requests()[0].labels, ["backport", "conflicts"]);
    let operator_head = f.rev(&f.work, "HEAD");

    let fix = f.fix.clone();
    let worktree = lay_out_conflict(&f, &["--fix", &fix, "--to", "develop"]);
    let laid = std::fs::read_to_string(worktree.join("src/app.rs")).expect("the conflicted file");
    assert!(laid.contains("<<<<<<< ") && laid.contains("crash_softly()"), "{laid}");
    assert_eq!(f.rev(&worktree, "HEAD"), empty, "laid out on the empty commit");
    assert_eq!(
        f.rev(&f.work, "HEAD"),
        operator_head,
        "the operator's checkout is untouched"
    );

    std::fs::write(worktree.join("src/app.rs"), RESOLVED).expect("resolve");
    let pushed = f.hotfix(&[
        "backport", "resolve", "--fix", &fix, "--to", "develop", "--push", "--json",
    ]);
    pushed.expect_code(0);
    let out: serde_json::Value = serde_json::from_str(&pushed.stdout).expect("JSON");
    assert_eq!(out["backport"]["state"], "resolved", "{out}");

    let head = f.origin_ref(&format!("refs/heads/{branch}")).expect("the branch");
    assert_eq!(out["backport"]["commit"], head.as_str());
    assert_eq!(
        f.rev(&f.origin, &format!("{head}^")),
        empty,
        "a new commit on the empty one"
    );
    assert_eq!(
        f.git(&f.origin, &["show", &format!("{head}:src/app.rs")]),
        RESOLVED.trim_end(),
        "the person's resolution"
    );
    let message = f.git(&f.origin, &["log", "-1", "--format=%B", &head]);
    assert!(message.starts_with("fix: do not crash at start"), "{message}");
    assert!(
        message.contains(&format!("(cherry picked from commit {fix})")),
        "{message}"
    );
    assert_eq!(
        f.git(&f.origin, &["log", "-1", "--format=%an <%ae> %at", &head]),
        f.git(&f.origin, &["log", "-1", "--format=%an <%ae> %at", &fix]),
        "the fix's author"
    );
    let mrs = gitlab.merge_requests();
    assert_eq!(mrs.len(), 1, "the request is relabelled, not opened again");
    assert_eq!(mrs[0].labels, ["backport", "auto-backport"]);
    assert!(!worktree.exists(), "the worktree is removed once pushed");
    assert_eq!(f.rev(&f.work, "HEAD"), operator_head);
}

#[test]
fn a_backport_resolution_with_markers_left_or_other_paths_changed_is_refused() {
    let mut f = conflicted_fixture();
    let gitlab = f.gitlab("[backport]\nto = [\"develop\"]\n");
    f.backport(&[]).expect_code(0);
    let branch = format!("backport/develop-{}", f.short());
    let empty = f.origin_ref(&format!("refs/heads/{branch}")).expect("the branch");
    let fix = f.fix.clone();
    let worktree = lay_out_conflict(&f, &["--fix", &fix, "--to", "develop"]);
    let push = || f.hotfix(&["backport", "resolve", "--fix", &fix, "--to", "develop", "--push"]);

    let markers = push();
    markers.expect_code(3);
    assert!(
        markers.stderr.contains("src/app.rs still has a conflict marker"),
        "{}",
        markers.all()
    );

    std::fs::write(worktree.join("src/app.rs"), RESOLVED).expect("resolve");
    std::fs::write(worktree.join("README"), "worker, and more\n").expect("an extra change");
    let extra = push();
    extra.expect_code(3);
    assert!(extra.stderr.contains("also changes README"), "{}", extra.all());

    assert_eq!(
        f.origin_ref(&format!("refs/heads/{branch}")),
        Some(empty),
        "nothing was pushed"
    );
    assert_eq!(gitlab.merge_requests()[0].labels, ["backport", "conflicts"]);
    assert!(worktree.exists(), "the worktree stays for the person to finish");
}

#[test]
fn a_backport_branch_moved_while_it_was_resolved_is_not_pushed_over() {
    let mut f = conflicted_fixture();
    let gitlab = f.gitlab("[backport]\nto = [\"develop\"]\n");
    f.backport(&[]).expect_code(0);
    let branch = format!("backport/develop-{}", f.short());
    let fix = f.fix.clone();
    let worktree = lay_out_conflict(&f, &["--fix", &fix, "--to", "develop"]);
    std::fs::write(worktree.join("src/app.rs"), RESOLVED).expect("resolve");

    // A colleague resolved it their own way meanwhile.
    f.git(&f.work, &["fetch", "-q", "origin", &branch]);
    f.git(&f.work, &["checkout", "-q", "FETCH_HEAD"]);
    f.write("src/app.rs", "fn main() {}\n");
    let theirs = f.commit("resolve it my way");
    f.repo.push(&[&format!("HEAD:refs/heads/{branch}")]);
    f.checkout("main");

    let run = f.hotfix(&["backport", "resolve", "--fix", &fix, "--to", "develop", "--push"]);
    run.expect_code(3);
    assert!(
        run.stderr.contains(&format!(
            "backport branch {branch} on the remote is at {}",
            &theirs[..7]
        )),
        "{}",
        run.all()
    );
    assert_eq!(f.origin_ref(&format!("refs/heads/{branch}")), Some(theirs));
    assert_eq!(
        gitlab.merge_requests()[0].labels,
        ["backport", "conflicts"],
        "not relabelled"
    );
}

#[test]
fn a_runs_conflicted_backport_resolved_is_journaled_and_shown_resolved() {
    let s = crate::common::Scenario::new();
    // develop changed other.txt where F changes it: the backport conflicts.
    s.git(&s.work, &["checkout", "-q", "-b", "develop", &s.u2]);
    s.write("other.txt", "other\ndevelop\n");
    s.commit("develop: its own other.txt");
    s.git(&s.work, &["push", "-q", "origin", "develop"]);
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.configure("\n[backport]\nto = [\"develop\"]\n");
    let run = s.start_fix(&[]);
    run.expect_code(0);
    let short = &s.f[..7];
    let status = s.hotfix(&s.work, &["status"]);
    assert!(
        status
            .stdout
            .contains(&format!("backport {short} to develop: conflicted")),
        "{}",
        status.all()
    );

    let opened = s.hotfix(&s.work, &["backport", "resolve", "--json"]);
    opened.expect_code(0);
    let opened: serde_json::Value = serde_json::from_str(&opened.stdout).expect("JSON");
    assert_eq!(opened["conflicts"], serde_json::json!(["other.txt"]), "{opened}");
    let worktree = std::path::PathBuf::from(opened["worktree"].as_str().expect("a worktree"));
    std::fs::write(worktree.join("other.txt"), "other\ndevelop\nfixed\n").expect("resolve");
    let pushed = s.hotfix(&s.work, &["backport", "resolve", "--push"]);
    pushed.expect_code(0);
    assert!(pushed.stdout.contains("resolved by hand"), "{}", pushed.all());

    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "backport {short} to develop: resolved, branch backport/develop-{short}"
        )),
        "{}",
        status.all()
    );
    let follow_ups = report_follow_ups(&s);
    assert!(
        follow_ups
            .iter()
            .any(|f| f.starts_with(&format!("review and merge the backport of {short} to `develop`"))),
        "{follow_ups:?}"
    );
    assert!(!follow_ups.iter().any(|f| f.contains("conflicted")), "{follow_ups:?}");
    // Resolved once: a second resolve finds nothing conflicted.
    s.hotfix(&s.work, &["backport", "resolve"]).expect_code(2);
}

#[test]
fn without_a_forge_a_backport_is_merged_once_its_commit_is_reachable_from_the_target() {
    let s = crate::common::Scenario::new();
    s.git(
        &s.work,
        &["push", "-q", "origin", &format!("{}:refs/heads/develop", s.u2)],
    );
    s.configure("\n[backport]\nto = [\"develop\"]\n");
    s.start_fix(&[]).expect_code(0);
    let short = &s.f[..7];
    let branch = format!("refs/heads/backport/develop-{short}");
    let head = s.origin_ref(&branch).expect("the backport branch");
    let follow_up = format!("review and merge the backport of {short} to `develop`");

    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "backport   {short} to develop: opened (reachable from the target)"
        )),
        "{}",
        status.all()
    );
    assert!(report_follow_ups(&s).iter().any(|f| f.starts_with(&follow_up)));

    // A person merges the request: develop fast-forwards to the backport.
    s.git(
        &s.work,
        &["push", "-q", "origin", &format!("{head}:refs/heads/develop")],
    );
    let status = s.hotfix(&s.work, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "backport   {short} to develop: merged (reachable from the target)"
        )),
        "{}",
        status.all()
    );
    let left = report_follow_ups(&s);
    assert!(!left.iter().any(|f| f.starts_with(&follow_up)), "{left:?}");
}

/// Returns the follow-ups of `git hotfix report --format json`.
fn report_follow_ups(s: &crate::common::Scenario) -> Vec<String> {
    let report = s.hotfix(&s.work, &["report", "--format", "json"]);
    report.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    report["follow_ups"]
        .as_array()
        .expect("follow-ups")
        .iter()
        .filter_map(|f| f.as_str().map(String::from))
        .collect()
}
