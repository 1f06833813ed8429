//! How much the CLI prints and how it looks: `--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`, `--quiet`, `--verbose`, and suggestions for typos.

use crate::common::Scenario;

const ESC: char = '\u{1b}';

/// Pins the time and randomness, so two runs of a plan name the same commits.
const PINNED: [(&str, &str); 2] = [
    ("GIT_HOTFIX_TIMESTAMP", "1795000000"),
    ("GIT_HOTFIX_RANDOMNESS_SEED", "7"),
];

#[test]
fn colors_follow_the_flag_and_the_environment() {
    let s = Scenario::new();
    // G depends on unreleased work: a blocked plan has ok, BLOCK, error: and hint: lines.
    let plan = |extra_args: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["plan", "--fix", &s.g, "--production", &s.p];
        args.extend_from_slice(extra_args);
        let mut env = env.to_vec();
        env.extend(PINNED);
        let run = s.hotfix_env(&s.work, &args, &env);
        run.expect_code(3);
        run
    };
    let piped = plan(&[], &[]);
    assert!(!piped.all().contains(ESC), "auto, piped: no color\n{}", piped.all());
    let never = plan(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!never.all().contains(ESC), "--color never wins\n{}", never.all());
    let no_color = plan(&[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!no_color.all().contains(ESC), "NO_COLOR\n{}", no_color.all());
    let always = plan(&["--color=always"], &[("NO_COLOR", "1")]);
    assert!(always.stdout.contains(&format!("{ESC}[")), "{}", always.stdout);
    assert!(always.stderr.contains(&format!("{ESC}[")), "{}", always.stderr);
    let forced = plan(&[], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.stdout.contains(ESC),
        "CLICOLOR_FORCE colors a pipe\n{}",
        forced.stdout
    );
    // The styles sit on git-hotfix's own words; the text around them is as before.
    let strip = |t: &str| {
        let mut out = String::new();
        let mut chars = t.chars();
        while let Some(c) = chars.next() {
            if c == ESC {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(strip(&always.stdout), piped.stdout);
    assert_eq!(strip(&always.stderr), piped.stderr);
}

#[test]
fn quiet_prints_only_errors_and_the_final_line_and_verbose_shows_the_calls() {
    let s = Scenario::new();
    let quiet = s.hotfix(&s.work, &["--quiet", "plan", "--fix", &s.f, "--production", &s.p]);
    quiet.expect_code(0);
    let lines: Vec<&str> = quiet.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", quiet.stdout);
    assert!(lines[0].starts_with("next: `git hotfix start"), "{}", quiet.stdout);
    assert_eq!(quiet.stderr, "");

    let blocked = s.hotfix(&s.work, &["-q", "plan", "--fix", &s.g, "--production", &s.p]);
    blocked.expect_code(3);
    assert_eq!(blocked.stdout, "", "a blocked plan under --quiet: the error only");
    assert!(
        blocked.stderr.starts_with("error: the hotfix is blocked"),
        "{}",
        blocked.stderr
    );

    let json = s.hotfix(&s.work, &["-q", "plan", "--fix", &s.f, "--production", &s.p, "--json"]);
    json.expect_code(0);
    let _: serde_json::Value = serde_json::from_str(&json.stdout).expect("--json is printed under --quiet");

    let verbose = s.hotfix_env(
        &s.work,
        &["--verbose", "plan", "--fix", &s.f, "--production", &s.p],
        &PINNED,
    );
    verbose.expect_code(0);
    assert!(
        verbose.stderr.lines().any(|l| l.starts_with("trace: git fetch")),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose
            .stderr
            .lines()
            .any(|l| l.starts_with("trace: git merge-tree --write-tree")),
        "{}",
        verbose.stderr
    );
    let normal = s.hotfix_env(&s.work, &["plan", "--fix", &s.f, "--production", &s.p], &PINNED);
    assert_eq!(verbose.stdout, normal.stdout, "the trace goes to stderr only");

    let both = s.hotfix(&s.work, &["-q", "-v", "status"]);
    both.expect_code(2);
}

#[test]
fn a_typo_of_a_command_gets_a_suggestion() {
    let s = Scenario::new();
    let typo = s.hotfix(&s.work, &["stauts"]);
    typo.expect_code(2);
    assert!(
        typo.stderr
            .contains("tip: some similar subcommands exist: 'start', 'status'"),
        "{}",
        typo.stderr
    );
}
