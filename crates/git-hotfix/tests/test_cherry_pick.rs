//! Differential tests: for each case the engine's pick (as `plan --json`
//! reports it) must equal `git cherry-pick` run in a scratch worktree, tree
//! for tree and clean/conflict for clean/conflict, with the same conflicted
//! paths. Each case also states the verdict it was built for, so a case that
//! quietly stopped testing its situation fails.

use std::path::PathBuf;

use crate::common::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Clean,
    Conflict,
    /// Clean, and the result is the target's own tree.
    Empty,
}

struct Lab {
    s: Scenario,
}

/// One pick: `fix` onto `onto`.
struct Case {
    name: &'static str,
    onto: String,
    fix: String,
    mainline: Option<u32>,
    expect: Verdict,
}

impl Lab {
    fn new() -> Lab {
        let s = Scenario::new();
        // Every case starts from X, a commit off production with varied content.
        s.git(&s.work, &["checkout", "-q", "--detach", &s.p]);
        let a: String = (1..=12).map(|i| format!("a{i}\n")).collect();
        s.write("a.txt", &a);
        s.write("b.txt", "b\n");
        s.write("dir/one.txt", "one\n");
        s.write("dir/two.txt", "two\n");
        s.write("script.sh", "#!/bin/sh\necho hi\n");
        std::fs::write(s.work.join("bin.dat"), [0u8, 1, 2, 3, 255, 0, 7]).expect("binary");
        std::os::unix::fs::symlink("a.txt", s.work.join("link")).expect("symlink");
        // Text that is not UTF-8: Latin-1 `é` is the lone byte 0xE9.
        let latin1: Vec<u8> = (1..=12)
            .flat_map(|i| [&b"caf\xe9 "[..], i.to_string().as_bytes(), b"\n"].concat())
            .collect();
        std::fs::write(s.work.join("latin1.txt"), latin1).expect("latin-1 text");
        s.commit("X: the lab's base");
        s.git(&s.work, &["branch", "lab-x"]);
        Lab { s }
    }

    /// X, where every case starts.
    fn x_base(&self) -> String {
        self.s.rev(&self.s.work, "lab-x")
    }

    fn x(&self) -> String {
        self.s.rev(&self.s.work, "HEAD")
    }

    /// Checks `rev` out detached; the next commits build on it.
    fn at(&self, rev: &str) {
        self.s.git(&self.s.work, &["checkout", "-q", "--detach", rev]);
    }

    fn path(&self, p: &str) -> PathBuf {
        self.s.work.join(p)
    }

    fn edit_line(&self, file: &str, n: usize, text: &str) {
        self.edit_line_bytes(file, n, text.as_bytes());
    }

    /// Replaces line `n` (from 1) of `file`, whatever its encoding.
    fn edit_line_bytes(&self, file: &str, n: usize, text: &[u8]) {
        let body = std::fs::read(self.path(file)).expect("read");
        let out: Vec<u8> = body
            .split_inclusive(|b| *b == b'\n')
            .enumerate()
            .flat_map(|(i, l)| if i + 1 == n { [text, b"\n"].concat() } else { l.to_vec() })
            .collect();
        std::fs::write(self.path(file), out).expect("write");
    }

    fn git(&self, args: &[&str]) -> String {
        self.s.git(&self.s.work, args)
    }

    fn commit(&self, msg: &str) -> String {
        self.s.commit(msg)
    }

    /// Sets the gitlink `path` to `sha` and commits (a submodule pointer).
    fn gitlink(&self, path: &str, sha: &str, msg: &str) -> String {
        std::fs::create_dir_all(self.path(path)).expect("mkdir");
        self.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{sha},{path}")]);
        self.git(&["commit", "-q", "-m", msg]);
        self.x()
    }

    /// The engine's verdict, tree and conflicted paths, from `plan --json`.
    fn engine(&self, case: &Case) -> (bool, String, Vec<String>, String) {
        let mut args = vec!["plan", "--json", "--fix", &case.fix, "--production", &case.onto];
        let m = case.mainline.map(|m| m.to_string());
        if let Some(m) = &m {
            args.extend(["--mainline", m]);
        }
        let run = self.s.hotfix(&self.s.work, &args);
        assert!(run.code == 0 || run.code == 3, "{}: {}", case.name, run.all());
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
        let pick = &v["picks"][0];
        let mut conflicts: Vec<String> = pick["conflicts"]
            .as_array()
            .expect("conflicts")
            .iter()
            .map(|c| c.as_str().expect("path").to_string())
            .collect();
        conflicts.sort();
        (
            conflicts.is_empty(),
            pick["tree"].as_str().expect("tree").to_string(),
            conflicts,
            pick["status"].as_str().expect("status").to_string(),
        )
    }

    /// `git cherry-pick --no-commit` in a scratch worktree: clean?, tree, conflicted paths.
    fn git_pick(&self, case: &Case) -> (bool, String, Vec<String>) {
        let scratch = self.s.root().join("scratch");
        let shown = scratch.to_string_lossy().to_string();
        self.git(&["worktree", "add", "-q", "--detach", &shown, &case.onto]);
        let mut cmd = vec!["cherry-pick", "--no-commit"];
        let m = case.mainline.map(|m| m.to_string());
        if let Some(m) = &m {
            cmd.extend(["-m", m]);
        }
        cmd.push(&case.fix);
        let out = std::process::Command::new("git")
            .current_dir(&scratch)
            .env("GIT_CONFIG_GLOBAL", self.s.root().join(".gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.s.root())
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@x")
            .env("GIT_COMMITTER_NAME", "C")
            .env("GIT_COMMITTER_EMAIL", "c@x")
            .args(&cmd)
            .output()
            .expect("git runs");
        let mut conflicts: Vec<String> = self
            .s
            .git(&scratch, &["diff", "--name-only", "-z", "--diff-filter=U"])
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        conflicts.sort();
        conflicts.dedup();
        let clean = out.status.success();
        assert!(
            clean || !conflicts.is_empty() || out.status.code() == Some(1),
            "{}: git cherry-pick failed oddly: {}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = if clean {
            self.s.git(&scratch, &["write-tree"])
        } else {
            String::new()
        };
        self.git(&["worktree", "remove", "--force", "--force", &shown]);
        (clean, tree, conflicts)
    }

    #[track_caller]
    fn check(&self, case: &Case) {
        let (clean, tree, conflicts, status) = self.engine(case);
        let (git_clean, git_tree, git_conflicts) = self.git_pick(case);
        assert_eq!(
            clean, git_clean,
            "{}: clean/conflict verdict differs from git",
            case.name
        );
        if clean {
            assert_eq!(tree, git_tree, "{}: tree differs from git cherry-pick's", case.name);
        } else {
            assert_eq!(
                conflicts, git_conflicts,
                "{}: conflicted paths differ from git",
                case.name
            );
        }
        let onto_tree = self.s.rev(&self.s.work, &format!("{}^{{tree}}", case.onto));
        let verdict = match (clean, tree == onto_tree) {
            (false, _) => Verdict::Conflict,
            (true, true) => Verdict::Empty,
            (true, false) => Verdict::Clean,
        };
        assert_eq!(
            verdict, case.expect,
            "{}: the case no longer builds its situation",
            case.name
        );
        if verdict == Verdict::Empty {
            assert_eq!(
                status, "already-applied",
                "{}: an empty result is already-applied",
                case.name
            );
        }
    }
}

/// Builds a case: from X, `target` makes the onto commit, `fix` the fix.
fn case(lab: &Lab, name: &'static str, expect: Verdict, target: impl FnOnce(&Lab), fix: impl FnOnce(&Lab)) -> Case {
    let x = lab.x_base();
    lab.at(&x);
    target(lab);
    let onto = lab.commit(&format!("{name}: target"));
    lab.at(&x);
    fix(lab);
    let fix = lab.commit(&format!("{name}: fix"));
    Case {
        name,
        onto,
        fix,
        mainline: None,
        expect,
    }
}

#[test]
fn content_adds_deletes_and_empty_results_match_git() {
    let lab = Lab::new();
    let cases = [
        case(
            &lab,
            "edit-clean",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 2, "target 2"),
            |l| l.edit_line("a.txt", 10, "fix 10"),
        ),
        case(
            &lab,
            "edit-conflict",
            Verdict::Conflict,
            |l| l.edit_line("a.txt", 5, "target 5"),
            |l| l.edit_line("a.txt", 5, "fix 5"),
        ),
        case(
            &lab,
            "add-and-delete",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 1, "target 1"),
            |l| {
                l.s.write("new.txt", "new\n");
                std::fs::remove_file(l.path("b.txt")).expect("rm");
            },
        ),
        case(
            &lab,
            "modify-delete-conflict",
            Verdict::Conflict,
            |l| std::fs::remove_file(l.path("b.txt")).expect("rm"),
            |l| l.s.write("b.txt", "b changed\n"),
        ),
        case(
            &lab,
            "add-add-conflict",
            Verdict::Conflict,
            |l| l.s.write("both.txt", "target's\n"),
            |l| l.s.write("both.txt", "fix's\n"),
        ),
        case(
            &lab,
            "already-on-target",
            Verdict::Empty,
            |l| l.edit_line("a.txt", 7, "same"),
            |l| l.edit_line("a.txt", 7, "same"),
        ),
        case(
            &lab,
            "latin-1-text",
            Verdict::Clean,
            |l| l.edit_line_bytes("latin1.txt", 2, b"caf\xe9 target"),
            |l| l.edit_line_bytes("latin1.txt", 11, b"caf\xe9 fixed"),
        ),
        case(
            &lab,
            "empty-inside-a-bigger-change",
            Verdict::Empty,
            |l| {
                l.edit_line("a.txt", 7, "same");
                l.s.write("b.txt", "b, and more\n");
            },
            |l| l.edit_line("a.txt", 7, "same"),
        ),
    ];
    for c in &cases {
        lab.check(c);
    }
}

#[test]
fn renames_directory_renames_modes_symlinks_and_binaries_match_git() {
    let lab = Lab::new();
    let cases = [
        case(
            &lab,
            "rename-in-fix",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 2, "target 2"),
            |l| {
                l.git(&["mv", "a.txt", "a-renamed.txt"]);
                l.edit_line("a-renamed.txt", 11, "fix 11");
            },
        ),
        case(
            &lab,
            "rename-in-target",
            Verdict::Clean,
            |l| {
                std::fs::create_dir_all(l.path("moved")).expect("mkdir");
                l.git(&["mv", "a.txt", "moved/a.txt"]);
            },
            |l| l.edit_line("a.txt", 11, "fix 11"),
        ),
        case(
            &lab,
            "rename-rename-conflict",
            Verdict::Conflict,
            |l| {
                l.git(&["mv", "a.txt", "x.txt"]);
            },
            |l| {
                l.git(&["mv", "a.txt", "y.txt"]);
            },
        ),
        case(
            &lab,
            "directory-rename",
            Verdict::Conflict,
            |l| {
                l.git(&["mv", "dir", "newdir"]);
            },
            |l| l.s.write("dir/three.txt", "three\n"),
        ),
        case(
            &lab,
            "directory-rename-edit",
            Verdict::Clean,
            |l| {
                l.git(&["mv", "dir", "newdir"]);
            },
            |l| l.s.write("dir/one.txt", "one, fixed\n"),
        ),
        case(
            &lab,
            "mode-change",
            Verdict::Clean,
            |l| l.s.write("script.sh", "#!/bin/sh\necho hello\n"),
            |l| {
                l.git(&["update-index", "--chmod=+x", "script.sh"]);
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(l.path("script.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
            },
        ),
        case(
            &lab,
            "symlink-retarget-and-add",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 3, "target 3"),
            |l| {
                std::fs::remove_file(l.path("link")).expect("rm");
                std::os::unix::fs::symlink("b.txt", l.path("link")).expect("symlink");
                std::os::unix::fs::symlink("dir/one.txt", l.path("link2")).expect("symlink");
            },
        ),
        case(
            &lab,
            "symlink-conflict",
            Verdict::Conflict,
            |l| {
                std::fs::remove_file(l.path("link")).expect("rm");
                std::os::unix::fs::symlink("script.sh", l.path("link")).expect("symlink");
            },
            |l| {
                std::fs::remove_file(l.path("link")).expect("rm");
                std::os::unix::fs::symlink("b.txt", l.path("link")).expect("symlink");
            },
        ),
        case(
            &lab,
            "binary-clean",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 4, "target 4"),
            |l| std::fs::write(l.path("bin.dat"), [9u8, 0, 8, 255]).expect("binary"),
        ),
        case(
            &lab,
            "binary-conflict",
            Verdict::Conflict,
            |l| std::fs::write(l.path("bin.dat"), [1u8, 0, 1]).expect("binary"),
            |l| std::fs::write(l.path("bin.dat"), [2u8, 0, 2]).expect("binary"),
        ),
        case(
            &lab,
            "spaces-and-non-ascii",
            Verdict::Clean,
            |l| l.edit_line("a.txt", 6, "target 6"),
            |l| {
                l.s.write("dir with space/naïve file.txt", "unicode, fixed\n");
                l.s.write("ünï cödé/ファイル.txt", "new\n");
            },
        ),
        case(
            &lab,
            "spaces-and-non-ascii-conflict",
            Verdict::Conflict,
            |l| l.s.write("dir with space/naïve file.txt", "target's\n"),
            |l| l.s.write("dir with space/naïve file.txt", "fix's\n"),
        ),
    ];
    for c in &cases {
        lab.check(c);
    }
}

#[test]
fn submodule_pointers_and_merge_commits_match_git() {
    let lab = Lab::new();
    let x = lab.x_base();
    let s1 = lab.s.p.clone();
    let s2 = lab.s.u1.clone();
    let s3 = lab.s.u2.clone();
    lab.at(&x);
    let with_sub = lab.gitlink("sub", &s1, "X: add a submodule");
    let mut cases = Vec::new();
    for (name, expect, target_sha, fix_sha) in [
        ("submodule-pointer", Verdict::Clean, None, &s2),
        ("submodule-conflict", Verdict::Conflict, Some(&s3), &s2),
    ] {
        lab.at(&with_sub);
        let onto = match target_sha {
            Some(t) => lab.gitlink("sub", t, "target moves the submodule"),
            None => {
                lab.edit_line("a.txt", 1, "target 1");
                lab.git(&["commit", "-q", "-am", "target edits a.txt"]);
                lab.x()
            }
        };
        lab.at(&with_sub);
        let fix = lab.gitlink("sub", fix_sha, "fix moves the submodule");
        cases.push(Case {
            name,
            onto,
            fix,
            mainline: None,
            expect,
        });
    }

    // A merge: side edits b.txt and adds c.txt; mainline edits a.txt line 12.
    lab.at(&x);
    lab.s.write("b.txt", "b from side\n");
    lab.s.write("c.txt", "c\n");
    let side = lab.commit("side: b and c");
    lab.at(&x);
    lab.edit_line("a.txt", 12, "mainline 12");
    lab.commit("mainline: a12");
    lab.git(&["merge", "-q", "--no-ff", "-m", "Merge side", &side]);
    let merge = lab.x();
    lab.at(&x);
    lab.edit_line("a.txt", 1, "target 1");
    let onto = lab.commit("target for the merge");
    for (name, mainline) in [("merge-m1", 1), ("merge-m2", 2)] {
        cases.push(Case {
            name,
            onto: onto.clone(),
            fix: merge.clone(),
            mainline: Some(mainline),
            expect: Verdict::Clean,
        });
    }
    for c in &cases {
        lab.check(c);
    }
    // -m 1 carries the side's change, -m 2 the mainline's: different trees.
    let tree_of = |c: &Case| lab.engine(c).1;
    assert_ne!(tree_of(&cases[2]), tree_of(&cases[3]));
}
