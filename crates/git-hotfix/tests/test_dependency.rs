//! Precision of the dependency and scope checks: a fix blocks when it
//! changes lines unreleased work wrote or calls something only unreleased
//! work defines; it does not when git's merge placed it without them.

use crate::common::{Run, Scenario};

/// Production runs a tagged build: a commit of main release never held is
/// only a plausible production once a tag names it.
fn tag_production(s: &Scenario, prod: &str) {
    s.git(&s.work, &["tag", &format!("prod-{}", &prod[..12]), prod]);
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("plan --json is JSON")
}

/// A production commit with `prod` files, an unreleased commit writing
/// `unreleased`, and a fix writing `fix` on top of it, all on main.
struct Case {
    s: Scenario,
    prod: String,
    unreleased: String,
    fix: String,
}

fn case(prod: &[(&str, &str)], unreleased: &[(&str, &str)], fix: &[(&str, &str)]) -> Case {
    let s = Scenario::new();
    for (path, text) in prod {
        s.write(path, text);
    }
    let prod = s.commit("P3: what production runs now");
    tag_production(&s, &prod);
    for (path, text) in unreleased {
        s.write(path, text);
    }
    let unreleased = s.commit("U4: unreleased helper");
    for (path, text) in fix {
        s.write(path, text);
    }
    let fix = s.commit("fix: call site repaired");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    Case {
        s,
        prod,
        unreleased,
        fix,
    }
}

impl Case {
    fn plan(&self, extra: &[&str]) -> Run {
        let mut args = vec!["plan", "--fix", &self.fix, "--production", &self.prod];
        args.extend_from_slice(extra);
        self.s.hotfix(&self.s.work, &args)
    }

    /// The plan blocks on `depends-on-unreleased`, naming the unreleased commit.
    #[track_caller]
    fn assert_blocked_by_name(&self, name: &str) {
        let run = self.plan(&[]);
        run.expect_code(3);
        let text = run.all();
        assert!(text.contains("BLOCK depends-on-unreleased"), "{text}");
        assert!(text.contains(&format!("`{name}`")), "names the use: {text}");
        assert!(
            text.contains(&self.unreleased[..7]),
            "names the unreleased commit: {text}"
        );
        assert!(text.contains("--allow-dependency"), "the hint fits the block: {text}");
        assert_short_lines(&run);
        let v = json(&self.plan(&["--json"]).stdout);
        assert_eq!(v["picks"][0]["status"], "clean", "git merges it cleanly");
        assert_eq!(v["picks"][0]["uses_unreleased"][0]["name"], name);
        assert_eq!(
            v["picks"][0]["uses_unreleased"][0]["commit"]["id"],
            self.unreleased.as_str()
        );
        let allowed = self.plan(&["--allow-dependency", "CTO approved"]);
        allowed.expect_code(0);
        assert!(allowed.stdout.contains("allowed: CTO approved"), "{}", allowed.stdout);
    }
}

#[track_caller]
fn assert_short_lines(run: &Run) {
    for line in run.all().lines() {
        assert!(line.chars().count() <= 400, "a line over 400 characters: {line}");
    }
}

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix}{i}\n")).collect()
}

#[test]
fn python_fix_calling_a_function_only_unreleased_work_defines_blocks() {
    let util = "def old_helper():\n    return 1\n";
    let main = "import util\n\n\ndef run():\n    return util.old_helper()\n";
    let c = case(
        &[("lib/util.py", util), ("app/main.py", main)],
        &[(
            "lib/util.py",
            "def old_helper():\n    return 1\n\n\ndef fresh_helper(x):\n    return x\n",
        )],
        &[(
            "app/main.py",
            "import util\n\n\ndef run():\n    # fresh_helper in a comment is no use\n    return util.fresh_helper(util.old_helper())\n",
        )],
    );
    c.assert_blocked_by_name("fresh_helper");
}

/// A Go fix calling a method only unreleased work defines (`retryBudget`).
fn go_case() -> Case {
    let util = "package app\n\nfunc OldHelper() int { return 1 }\n";
    let main = "package app\n\nfunc Run() int {\n\treturn OldHelper()\n}\n";
    case(
        &[("pkg/app/util.go", util), ("pkg/app/main.go", main)],
        &[(
            "pkg/app/util.go",
            "package app\n\nfunc OldHelper() int { return 1 }\n\nfunc (s *Server) retryBudget() int { return 2 }\n",
        )],
        &[(
            "pkg/app/main.go",
            "package app\n\nfunc Run() int {\n\ts := &Server{}\n\treturn OldHelper() + s.retryBudget()\n}\n",
        )],
    )
}

#[test]
fn go_fix_calling_a_function_only_unreleased_work_defines_blocks() {
    let c = go_case();
    c.assert_blocked_by_name("retryBudget");
}

#[test]
fn rust_fix_using_a_constant_only_unreleased_work_defines_blocks() {
    let util = "pub fn old_helper() -> u32 {\n    1\n}\n";
    let main = "fn run() -> u32 {\n    util::old_helper()\n}\n";
    let c = case(
        &[("src/util.rs", util), ("src/main.rs", main)],
        &[(
            "src/util.rs",
            "pub fn old_helper() -> u32 {\n    1\n}\n\npub const RETRY_LIMIT: u32 = 3;\n",
        )],
        &[(
            "src/main.rs",
            "fn run() -> u32 {\n    util::old_helper().min(util::RETRY_LIMIT)\n}\n",
        )],
    );
    c.assert_blocked_by_name("RETRY_LIMIT");
}

#[test]
fn typescript_fix_calling_a_function_only_unreleased_work_defines_blocks() {
    let util = "export function oldHelper(): number {\n  return 1;\n}\n";
    let main = "import { oldHelper } from './util';\n\nexport const run = () => oldHelper();\n";
    let c = case(
        &[("web/util.ts", util), ("web/main.ts", main)],
        &[(
            "web/util.ts",
            "export function oldHelper(): number {\n  return 1;\n}\n\nexport async function loadQuota(): Promise<number> {\n  return 2;\n}\n",
        )],
        &[(
            "web/main.ts",
            "import { oldHelper, loadQuota } from './util';\n\nexport const run = () => oldHelper() + 'loadQuota'.length;\nexport const quota = () => loadQuota();\n",
        )],
    );
    c.assert_blocked_by_name("loadQuota");
}

#[test]
fn java_fix_calling_a_method_only_unreleased_work_defines_blocks() {
    let util =
        "package app;\n\npublic class Util {\n    public static int oldHelper() {\n        return 1;\n    }\n}\n";
    let main = "package app;\n\npublic class Main {\n    int run() {\n        return Util.oldHelper();\n    }\n}\n";
    let c = case(
        &[("src/app/Util.java", util), ("src/app/Main.java", main)],
        &[(
            "src/app/Util.java",
            "package app;\n\npublic class Util {\n    public static int oldHelper() {\n        return 1;\n    }\n\n    public static int quotaLeft(int used) {\n        return 10 - used;\n    }\n}\n",
        )],
        &[(
            "src/app/Main.java",
            "package app;\n\npublic class Main {\n    int run() {\n        return Util.quotaLeft(Util.oldHelper());\n    }\n}\n",
        )],
    );
    c.assert_blocked_by_name("quotaLeft");
}

#[test]
fn c_fix_calling_a_function_only_unreleased_work_defines_blocks() {
    let util = "#include \"util.h\"\n\nint old_helper(void) {\n    return 1;\n}\n";
    let main = "#include \"util.h\"\n\nint run(void) {\n    return old_helper();\n}\n";
    let c = case(
        &[("src/util.c", util), ("src/main.c", main)],
        &[(
            "src/util.c",
            "#include \"util.h\"\n\nint old_helper(void) {\n    return 1;\n}\n\nstatic int clientQuota(client *c) {\n    return c->quota;\n}\n",
        )],
        &[(
            "src/main.c",
            "#include \"util.h\"\n\nint run(void) {\n    /* clientQuota(c) would be nicer */\n    return old_helper() + clientQuota(NULL);\n}\n",
        )],
    );
    c.assert_blocked_by_name("clientQuota");
}

#[test]
fn python_fix_importing_a_module_only_unreleased_work_added_blocks() {
    let main = "import os\n\n\ndef run():\n    return os.getcwd()\n";
    let c = case(
        &[("lib/app/main.py", main)],
        &[("lib/app/quota.py", "def left():\n    return 1\n")],
        &[(
            "lib/app/main.py",
            "import os\nfrom app import quota\n\n\ndef run():\n    return os.getcwd()\n",
        )],
    );
    let run = c.plan(&[]);
    run.expect_code(3);
    assert!(run.stdout.contains("lib/app/quota.py"), "{}", run.stdout);
    assert!(run.stdout.contains(&c.unreleased[..7]), "{}", run.stdout);
}

#[test]
fn a_name_production_already_defines_is_no_dependency() {
    let util = "def old_helper():\n    return 1\n";
    let main = "import util\n\n\ndef run():\n    return 0\n";
    let c = case(
        &[("lib/util.py", util), ("app/main.py", main)],
        // Unreleased work changes util.py, but old_helper is production's.
        &[(
            "lib/util.py",
            "def old_helper():\n    return 1\n\n\ndef fresh_helper(x):\n    return x\n",
        )],
        &[(
            "app/main.py",
            "import util\n\n\ndef run():\n    return util.old_helper()\n",
        )],
    );
    let run = c.plan(&[]);
    run.expect_code(0);
    assert!(!run.stdout.contains("depends-on-unreleased"), "{}", run.stdout);
}

#[test]
fn a_name_the_fix_defines_itself_is_no_dependency() {
    let util = "def old_helper():\n    return 1\n";
    let main = "import util\n\n\ndef run():\n    return 0\n";
    let c = case(
        &[("lib/util.py", util), ("app/main.py", main)],
        &[(
            "lib/util.py",
            "def old_helper():\n    return 1\n\n\ndef fresh_helper(x):\n    return x\n",
        )],
        &[(
            "app/main.py",
            "import util\n\n\ndef fresh_helper(x):\n    return x + 1\n\n\ndef run():\n    return fresh_helper(0)\n",
        )],
    );
    let run = c.plan(&[]);
    run.expect_code(0);
    assert!(!run.stdout.contains("depends-on-unreleased"), "{}", run.stdout);
}

/// The precise rule: a fix that only meets unreleased lines in its context
/// lines is a warning, not a block.
#[test]
fn only_context_lines_from_unreleased_work_are_a_warning() {
    let s = Scenario::new();
    s.write("num.txt", &numbered("n", 20));
    let prod = s.commit("P3: num.txt in production");
    tag_production(&s, &prod);
    s.write("num.txt", &numbered("n", 20).replace("n10\n", "U4 ten\n"));
    let u = s.commit("U4: unreleased change of line ten");
    s.write(
        "num.txt",
        &numbered("n", 20)
            .replace("n10\n", "U4 ten\n")
            .replace("n12\n", "fixed twelve\n"),
    );
    let fix = s.commit("fix: line twelve");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let run = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod]);
    run.expect_code(0);
    assert!(run.stdout.contains("warn  context-from-unreleased"), "{}", run.stdout);
    assert!(run.stdout.contains(&u[..7]), "{}", run.stdout);
}

#[test]
fn only_context_lines_from_unreleased_work_are_named_by_their_own_check() {
    let s = Scenario::new();
    s.write("num.txt", &numbered("n", 20));
    let prod = s.commit("P3: num.txt in production");
    tag_production(&s, &prod);
    s.write("num.txt", &numbered("n", 20).replace("n10\n", "U4 ten\n"));
    let u = s.commit("U4: unreleased change of line ten");
    // Inserted after line 12: next to U4's line, changing none of it.
    s.write(
        "num.txt",
        &numbered("n", 20)
            .replace("n10\n", "U4 ten\n")
            .replace("n12\n", "n12\nnew\n"),
    );
    let fix = s.commit("fix: a line after twelve");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let v = json(
        &s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"])
            .stdout,
    );
    let check = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "context-from-unreleased")
        .expect("a context-from-unreleased check");
    assert_eq!(check["commits"][0]["id"], u.as_str());
    assert!(
        !v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["name"] == "depends-on-unreleased"),
        "{v}"
    );
}

#[test]
fn changing_a_line_unreleased_work_wrote_still_blocks_naming_only_that_commit() {
    let s = Scenario::new();
    s.write("num.txt", &numbered("n", 30));
    let prod = s.commit("P3: num.txt in production");
    tag_production(&s, &prod);
    s.write("num.txt", &numbered("n", 30).replace("n5\n", "U4 five\n"));
    let u4 = s.commit("U4: unreleased change of line five");
    let text = numbered("n", 30)
        .replace("n5\n", "U4 five\n")
        .replace("n25\n", "U5 twenty-five\n");
    s.write("num.txt", &text);
    let u5 = s.commit("U5: unreleased change of line twenty-five");
    s.write("num.txt", &text.replace("U4 five\n", "U4 five, fixed\n"));
    let fix = s.commit("fix: line five");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let run = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    run.expect_code(3);
    let v = json(&run.stdout);
    let dep = &v["picks"][0]["dependencies"][0];
    assert_eq!(dep["path"], "num.txt");
    let ids: Vec<&str> = dep["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [u4.as_str()], "blames only the changed line, not U5's");
    let _ = u5;
}

#[test]
fn a_pick_across_a_directory_rename_passes_the_scope_checks() {
    let s = Scenario::new();
    s.write(
        "contrib/completion/bash",
        "complete one\ncomplete two\ncomplete three\n",
    );
    s.write("contrib/completion/zsh", "zsh one\nzsh two\nzsh three\n");
    let fork = s.commit("contrib: completions");
    // Production runs a release line where contrib/ moved under components/cli/.
    s.git(&s.work, &["checkout", "-q", "-b", "release-line", &fork]);
    s.git(&s.work, &["mv", "contrib", "components-tmp"]);
    std::fs::create_dir_all(s.work.join("components/cli")).expect("mkdir");
    s.git(&s.work, &["mv", "components-tmp", "components/cli/contrib"]);
    let prod = s.commit("release line: components/cli layout");
    tag_production(&s, &prod);
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.write(
        "contrib/completion/bash",
        "complete one\ncomplete two, fixed\ncomplete three\n",
    );
    let fix = s.commit("fix: bash completion");
    s.git(&s.work, &["push", "-q", "origin", "main", "release-line"]);

    let plan = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    plan.expect_code(0);
    let v = json(&plan.stdout);
    assert_eq!(v["picks"][0]["status"], "clean");
    assert_eq!(v["picks"][0]["placed"][0], "components/cli/contrib/completion/bash");
    assert_eq!(
        v["scope"]["changes"][0]["path"],
        "components/cli/contrib/completion/bash"
    );

    // The same rule holds after the push: verify-release accepts the renamed path.
    let start = s.hotfix(&s.work, &["start", "--fix", &fix, "--production", &prod, "--yes"]);
    start.expect_code(0);
    assert!(
        !start.all().contains("production-plus-fixes: release also"),
        "{}",
        start.all()
    );
    let tip = s.origin_ref("refs/heads/release").expect("release");
    let shown = s.git(
        &s.origin,
        &["show", &format!("{tip}:components/cli/contrib/completion/bash")],
    );
    assert!(shown.contains("complete two, fixed"), "{shown}");
}

#[test]
fn a_pick_without_renames_places_nothing_elsewhere() {
    let s = Scenario::new();
    s.write("a/x.txt", "one\ntwo\nthree\n");
    let prod = s.commit("P3: a/x.txt");
    tag_production(&s, &prod);
    s.write("a/x.txt", "one\ntwo, fixed\nthree\n");
    let fix = s.commit("fix: x");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let plan = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    plan.expect_code(0);
    let v = json(&plan.stdout);
    assert!(v["picks"][0].get("placed").is_none(), "nothing placed elsewhere: {v}");
}

#[test]
fn long_commit_lists_are_cut_in_human_output_and_complete_in_json() {
    let s = Scenario::new();
    s.write("num.txt", &numbered("n", 40));
    let prod = s.commit("P3: num.txt in production");
    tag_production(&s, &prod);
    let mut text = numbered("n", 40);
    let mut unreleased = Vec::new();
    for i in 0..6 {
        text.push_str(&format!("u{i}\n"));
        s.write("num.txt", &text);
        let subject = format!("U{i}: unreleased append {}", "with a very long subject ".repeat(8));
        unreleased.push(s.commit(&subject));
    }
    s.write("num.txt", &text.replacen("n1\n", "n1 fixed\n", 1));
    let fix = s.commit("fix: line one");
    s.git(&s.work, &["push", "-q", "origin", "main"]);

    let human = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod]);
    human.expect_code(0);
    let line = human
        .stdout
        .lines()
        .find(|l| l.contains("unreleased-same-file"))
        .expect("a same-file warning");
    assert!(line.contains("and 3 more"), "{line}");
    assert!(line.contains('…'), "long subjects are cut: {line}");
    assert_short_lines(&human);

    let v = json(
        &s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"])
            .stdout,
    );
    let check = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "unreleased-same-file")
        .expect("the check");
    let ids: Vec<&str> = check["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 6, "{check}");
    for u in &unreleased {
        assert!(ids.contains(&u.as_str()), "{u} in {ids:?}");
    }
}

#[test]
fn same_file_leaves_out_commits_production_has_by_patch_id_and_release_only_commits() {
    let s = Scenario::new();
    s.write("num.txt", &numbered("n", 40));
    let fork = s.commit("P3: num.txt");
    // Main: an early fix X, then unreleased U, then the fix F.
    let x_text = numbered("n", 40).replace("n20\n", "n20 x\n");
    s.write("num.txt", &x_text);
    let x = s.commit("fix: X on line twenty");
    let u_text = format!("{x_text}u\n");
    s.write("num.txt", &u_text);
    let u = s.commit("U4: unreleased append");
    s.write("num.txt", &u_text.replacen("n1\n", "n1 fixed\n", 1));
    let fix = s.commit("fix: F on line one");
    // Production: the fork plus X picked by hand (same patch-id, another commit).
    s.git(&s.work, &["checkout", "-q", "-b", "prod-line", &fork]);
    s.git(&s.work, &["cherry-pick", "-x", &x]);
    let prod = s.rev(&s.work, "HEAD");
    tag_production(&s, &prod);
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.git(&s.work, &["push", "-q", "origin", "main", "prod-line"]);
    s.force_release(&prod);

    let v = json(
        &s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"])
            .stdout,
    );
    let check = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "unreleased-same-file")
        .expect("the check");
    let ids: Vec<&str> = check["commits"]
        .as_array()
        .expect("commits")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [u.as_str()], "X is in production by patch-id: {check}");
}

#[test]
fn a_range_of_more_picks_than_max_picks_blocks() {
    let s = Scenario::new();
    let from = s.rev(&s.work, "HEAD");
    for i in 0..21 {
        s.write(&format!("many/f{i}.txt"), "x\n");
        s.commit(&format!("fix: part {i}"));
    }
    let to = s.rev(&s.work, "HEAD");
    s.git(&s.work, &["push", "-q", "origin", "main"]);
    let range = format!("{from}..{to}");
    let run = s.hotfix(&s.work, &["plan", "--fix", &range, "--production", &s.p]);
    run.expect_code(3);
    let text = run.all();
    assert!(text.contains("BLOCK max-picks"), "{text}");
    assert!(text.contains("picking 21 commits"), "{text}");
    assert!(
        text.contains("21 commits, 21 files"),
        "the scope counts every pick: {text}"
    );
    assert!(
        text.contains("raise [checks] max_picks"),
        "the hint names the key: {text}"
    );
    assert!(
        !run.stderr.contains("--allow-dependency"),
        "no dependency hint for a block that is none: {}",
        run.stderr
    );
    assert_short_lines(&run);

    s.configure("[checks]\nmax_picks = 25\n");
    let run = s.hotfix(&s.work, &["plan", "--fix", &range, "--production", &s.p]);
    run.expect_code(0);
}

#[test]
fn lines_production_has_at_a_renamed_path_are_no_unreleased_work() {
    let s = Scenario::new();
    s.write(
        "contrib/completion/bash",
        "complete one\ncomplete two\ncomplete three\n",
    );
    s.write("contrib/completion/zsh", "zsh one\nzsh two\nzsh three\n");
    let fork = s.commit("contrib: completions");
    s.write(
        "contrib/completion/bash",
        "complete one\ncomplete two (m)\ncomplete three\n",
    );
    let m = s.commit("M: completion line two");
    s.git(&s.work, &["checkout", "-q", "-b", "release-line", &fork]);
    std::fs::create_dir_all(s.work.join("components/cli")).expect("mkdir");
    s.git(&s.work, &["mv", "contrib", "components/cli/contrib"]);
    s.commit("release line: components/cli layout");
    // M reached production too, as its own backport, at the renamed path.
    s.git(&s.work, &["cherry-pick", "-x", &m]);
    let prod = s.rev(&s.work, "HEAD");
    tag_production(&s, &prod);
    s.git(&s.work, &["checkout", "-q", "main"]);
    s.write(
        "contrib/completion/bash",
        "complete one\ncomplete two (m), fixed\ncomplete three\n",
    );
    let fix = s.commit("fix: bash completion line two");
    s.git(&s.work, &["push", "-q", "origin", "main"]);

    let plan = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    plan.expect_code(0);
    let v = json(&plan.stdout);
    assert!(
        v["picks"][0]["dependencies"].as_array().expect("list").is_empty(),
        "M's line is production's, at components/cli/: {v}"
    );
}

#[test]
fn a_change_production_already_made_another_way_is_no_dependency() {
    let s = Scenario::new();
    s.write("ci.yml", &numbered("step ", 20));
    let fork = s.commit("P3: ci.yml");
    let installed = numbered("step ", 20).replace("step 10\n", "apt-get install -y vagrant ovmf\n");
    // Production got the ovmf line by a commit of its own.
    s.git(&s.work, &["checkout", "-q", "-b", "prod-line", &fork]);
    s.write("ci.yml", &installed);
    let prod = s.commit("P4: install ovmf");
    tag_production(&s, &prod);
    s.git(&s.work, &["checkout", "-q", "main"]);
    // Main wrote another line there, then the fix makes it production's again.
    s.write(
        "ci.yml",
        &numbered("step ", 20).replace("step 10\n", "apt-get install -y vagrant\n"),
    );
    s.commit("U4: older package set");
    s.write("ci.yml", &installed.replace("step 15\n", "step 15, fixed\n"));
    let fix = s.commit("fix: install ovmf again, and step 15");
    s.git(&s.work, &["push", "-q", "origin", "main", "prod-line"]);

    let run = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    let v = json(&run.stdout);
    assert_eq!(v["picks"][0]["status"], "clean", "{v}");
    assert!(
        v["picks"][0]["dependencies"].as_array().expect("list").is_empty(),
        "the fix's line is production's already: {v}"
    );
    run.expect_code(0);
}

#[test]
fn deleting_lines_production_never_had_is_no_dependency() {
    let s = Scenario::new();
    s.write("io.go", &numbered("line ", 20));
    let prod = s.commit("P3: io.go");
    tag_production(&s, &prod);
    let mut with_helper = numbered("line ", 20);
    with_helper.push_str("func TerminalLogURI() {\n\treturn\n}\n");
    s.write("io.go", &with_helper);
    s.commit("U4: TerminalLogURI, unreleased");
    // The fix moves it out: the deletion agrees with production, which never had it.
    s.write("io.go", &numbered("line ", 20).replace("line 5\n", "line 5, fixed\n"));
    s.write("io_unix.go", "func TerminalLogURI() {\n\treturn\n}\n");
    let fix = s.commit("fix: TerminalLogURI per platform, and line 5");
    s.git(&s.work, &["push", "-q", "origin", "main"]);

    let run = s.hotfix(&s.work, &["plan", "--fix", &fix, "--production", &prod, "--json"]);
    let v = json(&run.stdout);
    assert_eq!(v["picks"][0]["status"], "clean", "{v}");
    assert!(
        v["picks"][0]["dependencies"].as_array().expect("list").is_empty(),
        "production never had the deleted lines: {v}"
    );
    run.expect_code(0);
}

#[test]
fn a_git_without_pcre_finds_the_same_definitions() {
    // A git built without PCRE refuses `grep -P`; the names check then
    // greps with the expressions' own syntax and finds the same.
    let c = go_case();
    let git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .expect("sh")
            .stdout,
    )
    .expect("path");
    let wrapper = c.s.work.parent().expect("root").join("git-without-pcre");
    let log = c.s.work.parent().expect("root").join("greps");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do\n  if [ \"$a\" = -P ]; then echo P >> '{log}'; echo 'fatal: cannot use Perl-compatible regexes when not compiled with USE_LIBPCRE' >&2; exit 128; fi\n  if [ \"$a\" = -E ]; then echo E >> '{log}'; fi\ndone\nexec '{}' \"$@\"\n",
            git.trim(),
            log = log.display()
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let wrapped = wrapper.to_string_lossy().into_owned();
    let run = c.s.hotfix_env(
        &c.s.work,
        &["plan", "--fix", &c.fix, "--production", &c.prod],
        &[("GIT_HOTFIX_GIT", wrapped.as_str())],
    );
    run.expect_code(3);
    assert!(run.all().contains("`retryBudget`"), "{}", run.all());
    assert!(run.all().contains(&c.unreleased[..7]), "{}", run.all());
    assert_eq!(
        std::fs::read_to_string(&log).expect("the wrapper ran grep"),
        "P\nE\n",
        "`-P` once, refused, then `-E`"
    );
}
