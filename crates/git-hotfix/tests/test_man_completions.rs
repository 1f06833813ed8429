//! `git hotfix man` and `git hotfix completions`: git turns `git hotfix --help`
//! into `man git-hotfix`, and git's shell completion calls into ours for
//! `git hotfix <TAB>`; both are run here as git and the shells run them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{pinned, Run, Scenario, BIN};

/// git's bash completion, where Debian and most distributions install it.
const GIT_BASH_COMPLETION: &str = "/usr/share/bash-completion/completions/git";

/// Returns PATH with the directory of the binary under test first, as an
/// installed `git-hotfix` is for git.
fn path_with_bin() -> String {
    let bin_dir = Path::new(BIN).parent().expect("the binary lives in a directory");
    format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// Runs `program args` in `dir` with the pinned environment, the binary on PATH and `extra`.
fn run_in(home: &Path, dir: &Path, program: &str, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(program);
    pinned(&mut cmd, home);
    cmd.env("PATH", path_with_bin());
    cmd.envs(extra.iter().copied());
    Run::from(
        cmd.current_dir(dir)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}")),
    )
}

fn hotfix(home: &Path, args: &[&str]) -> Run {
    run_in(home, home, BIN, args, &[])
}

/// Returns the directory on PATH holding `program`, if any.
fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Returns man's output as plain words: overstrike (bold, underline) undone,
/// the justification's extra spaces and the line breaks folded.
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    let text: String = out.into_iter().collect();
    // groff hyphenates at the line's end ("re‐\n store"); join the halves.
    let text = text.replace("\u{2010}\n", "").replace("-\n", "-");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns the subcommands a `--help` lists under `Commands:`, without `help`.
fn commands_in_help(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect()
}

/// Returns the page names every command clap knows must have: the top one,
/// then `git-hotfix-<command>` and `git-hotfix-<command>-<nested>`.
fn expected_pages(home: &Path) -> BTreeSet<String> {
    let top = hotfix(home, &["--help"]);
    top.expect_code(0);
    let commands = commands_in_help(&top.stdout);
    assert!(
        commands.len() > 10,
        "commands read from --help: {commands:?}\n{}",
        top.stdout
    );
    let mut pages = BTreeSet::from(["git-hotfix.1".to_string()]);
    for command in &commands {
        pages.insert(format!("git-hotfix-{command}.1"));
        let help = hotfix(home, &[command, "--help"]);
        help.expect_code(0);
        for nested in commands_in_help(&help.stdout) {
            pages.insert(format!("git-hotfix-{command}-{nested}.1"));
        }
    }
    pages
}

#[track_caller]
fn write_pages(home: &Path) -> PathBuf {
    let out = home.join("man");
    let run = hotfix(home, &["man", "--output", out.to_str().expect("utf-8 temp path")]);
    run.expect_code(0);
    out
}

#[test]
fn man_writes_a_page_for_every_command_clap_knows() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = home.path().join("man");
    let run = hotfix(
        home.path(),
        &["man", "--output", out.to_str().expect("utf-8 temp path")],
    );
    run.expect_code(0);

    let written: BTreeSet<String> = std::fs::read_dir(out.join("man1"))
        .expect("man1 was created")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let expected = expected_pages(home.path());
    assert_eq!(written, expected, "pages written against commands clap lists");
    assert!(
        written.contains("git-hotfix-backport-resolve.1"),
        "nested pages: {written:?}"
    );
    assert!(
        !written.iter().any(|p| p.contains("__complete")),
        "hidden plumbing has no page"
    );

    for page in &expected {
        let line = format!("wrote {}", out.join("man1").join(page).display());
        assert!(run.stdout.lines().any(|l| l == line), "{line} in\n{}", run.stdout);
    }
    let last = run.stdout.lines().last().expect("output");
    assert!(last.starts_with("next: "), "{}", run.stdout);
    assert!(last.contains(&format!("MANPATH={}:$MANPATH", out.display())), "{last}");

    let page = std::fs::read_to_string(out.join("man1/git-hotfix-plan.1")).expect("plan page");
    assert!(
        page.contains(".SH NAME\ngit\\-hotfix\\-plan \\- Show what a hotfix would do"),
        "{page}"
    );
    assert!(
        page.contains("git-hotfix 0.1.0"),
        "each page names the program and version:\n{page}"
    );
}

#[test]
fn man_finds_the_page_through_manpath() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = write_pages(home.path());
    let man = find_on_path("man").unwrap_or_else(|| {
        panic!("`man` is not installed (not on PATH): the man page cannot be checked; install man-db")
    });
    let manpath = out.to_str().expect("utf-8");
    let found = run_in(
        home.path(),
        home.path(),
        man.to_str().expect("utf-8"),
        &["-w", "git-hotfix"],
        &[("MANPATH", manpath)],
    );
    found.expect_code(0);
    assert_eq!(found.stdout.trim(), out.join("man1/git-hotfix.1").display().to_string());
}

/// Returns the environment under which man prints the page as plain text.
fn man_env(manpath: &str) -> Vec<(&str, &str)> {
    vec![
        ("MANPATH", manpath),
        ("MANPAGER", "cat"),
        ("PAGER", "cat"),
        ("MANWIDTH", "80"),
    ]
}

#[test]
fn git_help_hotfix_shows_the_man_page() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = write_pages(home.path());
    let manpath = out.to_str().expect("utf-8");
    let help = run_in(home.path(), home.path(), "git", &["help", "hotfix"], &man_env(manpath));
    help.expect_code(0);
    let text = plain(&help.stdout);
    assert!(
        text.contains("NAME git-hotfix - Carry out a production hotfix release safely"),
        "{text}"
    );
    assert!(text.contains("SYNOPSIS git hotfix"), "{text}");
    assert!(
        text.contains("git-hotfix-plan(1)"),
        "the page lists the commands' pages: {text}"
    );
}

#[test]
fn git_hotfix_dash_dash_help_shows_the_man_page_and_dash_h_the_short_help() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = write_pages(home.path());
    let manpath = out.to_str().expect("utf-8");
    let env = man_env(manpath);

    let long = run_in(home.path(), home.path(), "git", &["hotfix", "--help"], &env);
    long.expect_code(0);
    let text = plain(&long.stdout);
    assert!(
        text.contains("NAME git-hotfix - Carry out a production hotfix release safely"),
        "{text}"
    );
    assert!(
        !long.stdout.contains("Usage:"),
        "the page, not clap's help: {}",
        long.stdout
    );

    let short = run_in(home.path(), home.path(), "git", &["hotfix", "-h"], &env);
    short.expect_code(0);
    assert!(
        short.stdout.contains("Usage: git hotfix [OPTIONS] <COMMAND>"),
        "{}",
        short.stdout
    );
    assert!(!short.stdout.contains("NAME"), "{}", short.stdout);

    // Run directly, not through git, `--help` stays clap's long help.
    let direct = run_in(home.path(), home.path(), BIN, &["--help"], &env);
    direct.expect_code(0);
    assert!(
        direct.stdout.contains("Usage: git hotfix [OPTIONS] <COMMAND>"),
        "{}",
        direct.stdout
    );
    assert!(direct.stdout.contains("Exit codes:"), "{}", direct.stdout);
}

#[track_caller]
fn completion_script(home: &Path, shell: &str) -> PathBuf {
    let run = hotfix(home, &["completions", shell]);
    run.expect_code(0);
    let last = run.stdout.lines().last().expect("a script");
    assert!(last.starts_with("# next: "), "ends with a next: comment: {last}");
    let path = home.join(format!("git-hotfix.{shell}"));
    std::fs::write(&path, &run.stdout).expect("write script");
    path
}

#[test]
fn completions_are_generated_and_parse_in_each_shell() {
    let home = tempfile::tempdir().expect("temp dir");
    for (shell, hook, runs, roles) in [
        (
            "bash",
            "_git_hotfix()",
            "__git_hotfix_values runs",
            "__git_hotfix_values roles",
        ),
        (
            "zsh",
            "_git-hotfix()",
            ":__git_hotfix_runs'",
            ":ROLE:__git_hotfix_roles'",
        ),
        (
            "fish",
            "__fish_git_using_command hotfix",
            "-a \"(git-hotfix __complete runs 2>/dev/null)\"",
            "-l role -x -a \"(git-hotfix __complete roles 2>/dev/null)\"",
        ),
    ] {
        let script = completion_script(home.path(), shell);
        let text = std::fs::read_to_string(&script).expect("script");
        assert!(text.contains(hook), "{shell}: git's hook {hook}");
        assert!(text.contains(runs), "{shell}: run ids come from the repository");
        assert!(text.contains(roles), "{shell}: roles come from hotfix.toml");
        assert!(!text.contains("__complete\""), "{shell}: the plumbing is not offered");
        if find_on_path(shell).is_none() {
            println!("note: {shell} is not installed; `{shell} -n` on its script was skipped");
            assert_ne!(shell, "bash", "bash must be here to check the bash script");
            continue;
        }
        let check = run_in(
            home.path(),
            home.path(),
            shell,
            &["-n", script.to_str().expect("utf-8")],
            &[],
        );
        assert_eq!(check.code, 0, "{shell} -n: {}", check.all());
    }
}

/// Runs `words` through bash completion as the shell would for a line
/// ending at the last word, and returns COMPREPLY, one entry a line. With
/// git's completion installed the line goes through git's own entry point;
/// without it, `_git_hotfix` is called with the variables git's would set.
fn bash_complete(home: &Path, dir: &Path, script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let git_side = if Path::new(GIT_BASH_COMPLETION).exists() {
        format!(
            "source {GIT_BASH_COMPLETION}\n\
             source '{script}'\n\
             entry=$(complete -p git | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
             [ -n \"$entry\" ] || {{ echo 'git completion registered nothing' >&2; exit 9; }}\n\
             COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
             $entry\n",
            script = script.display(),
            words = quoted.join(" ")
        )
    } else {
        println!("note: {GIT_BASH_COMPLETION} is absent; calling _git_hotfix as git's completion would");
        format!(
            "source '{script}'\n\
             words=({words}); cword=$(( ${{#words[@]}} - 1 )); cur=\"${{words[cword]}}\"\n\
             prev=\"${{words[cword-1]}}\"; __git_cmd_idx=1\n\
             _git_hotfix\n",
            script = script.display(),
            words = quoted.join(" ")
        )
    };
    let program = format!(
        "{git_side}type -t _git_hotfix >/dev/null || {{ echo '_git_hotfix is not defined' >&2; exit 8; }}\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let run = run_in(home, dir, "bash", &["-c", &program], &[]);
    assert_eq!(run.code, 0, "bash completion: {}", run.all());
    run.stdout.lines().filter(|l| !l.is_empty()).map(String::from).collect()
}

#[test]
fn bash_completes_git_hotfix_subcommands_through_git() {
    let home = tempfile::tempdir().expect("temp dir");
    let script = completion_script(home.path(), "bash");
    let reply = bash_complete(home.path(), home.path(), &script, &["git", "hotfix", "st"]);
    assert_eq!(reply, ["start", "status"]);
    let reply = bash_complete(home.path(), home.path(), &script, &["git", "hotfix", "backport", "res"]);
    assert_eq!(reply, ["resolve"], "nested commands complete");
    let reply = bash_complete(home.path(), home.path(), &script, &["git", "hotfix", "plan", "--fi"]);
    assert_eq!(reply, ["--fix"], "options complete");
}

#[test]
fn bash_completes_run_ids_and_approval_roles() {
    let s = Scenario::new();
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n");
    s.start_fix(&[]).expect_code(0);
    let id = crate::common::forge::run_id(&s);
    assert!(!id.is_empty(), "a run was created");
    let script = completion_script(s.root(), "bash");

    let reply = bash_complete(s.root(), &s.work, &script, &["git", "hotfix", "status", ""]);
    assert!(reply.contains(&id), "the run's id among {reply:?}");
    assert!(!reply.iter().any(|w| w.starts_with('[')), "no placeholder: {reply:?}");
    let reply = bash_complete(s.root(), &s.work, &script, &["git", "hotfix", "approve", "--role", ""]);
    assert_eq!(reply, ["tech-lead", "pm"]);
    let reply = bash_complete(s.root(), &s.work, &script, &["git", "hotfix", "attest", "--run", ""]);
    assert_eq!(reply, [id.as_str()]);
    let reply = bash_complete(s.root(), &s.work, &script, &["git", "hotfix", "plan", "--fix", ""]);
    assert!(!reply.contains(&id), "a value of --fix is no run: {reply:?}");
}

#[test]
fn complete_lists_run_ids_and_roles_one_a_line() {
    let s = Scenario::new();
    s.configure("\n[approvals]\nroles = [\"tech-lead\", \"pm\"]\nverify = \"none\"\n");
    let none = s.hotfix(&s.work, &["__complete", "runs"]);
    none.expect_code(0);
    assert_eq!(none.stdout, "", "no runs yet");
    s.start_fix(&[]).expect_code(0);
    let id = crate::common::forge::run_id(&s);

    let runs = s.hotfix(&s.work, &["__complete", "runs"]);
    runs.expect_code(0);
    assert_eq!(runs.stdout, format!("{id}\n"));
    let roles = s.hotfix(&s.work, &["__complete", "roles"]);
    roles.expect_code(0);
    assert_eq!(roles.stdout, "tech-lead\npm\n");
}
