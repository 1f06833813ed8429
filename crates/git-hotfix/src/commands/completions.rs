//! `git hotfix completions`: a shell's completion script, from the command line's own definition.
//!
//! clap_complete writes the static part (commands, options); this adds what
//! only the repository knows (run ids and approval roles, through the hidden
//! `git hotfix __complete`), and, for bash, the `_git_hotfix` function git's
//! completion calls for `git hotfix <TAB>`.

use std::io::Write;

use clap::CommandFactory;

use crate::error::CommandResult;

/// The binary the scripts complete; `git hotfix` runs it.
const BIN: &str = "git-hotfix";

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete in
    pub shell: Shell,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub fn run(args: Args) -> CommandResult {
    let mut text = script(args.shell);
    // Every command ends with a `next:` line; here it is a comment, so the script stays one.
    text.push_str(&format!("# next: {}\n", install_hint(args.shell)));
    // A script holds no secrets to mask, and `| head` closing the pipe is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

fn install_hint(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => {
            "save it as ~/.local/share/bash-completion/completions/git-hotfix (git's completion loads it \
             for `git hotfix`), or `source` it from ~/.bashrc after git's completion"
        }
        Shell::Zsh => "save it as _git-hotfix in a directory of $fpath, then `compinit`",
        Shell::Fish => "save it as ~/.config/fish/completions/git-hotfix.fish",
    }
}

/// Returns the completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut cmd = visible_commands();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut raw = Vec::new();
    clap_complete::generate(generator, &mut cmd, BIN, &mut raw);
    let raw = String::from_utf8(raw).expect("clap_complete writes UTF-8: it formats Rust strings");
    let sites = Sites::of(&cmd);
    match shell {
        Shell::Bash => bash(raw, &sites),
        Shell::Zsh => zsh(raw, &sites),
        Shell::Fish => fish(raw, &sites),
    }
}

/// Returns the command line without its hidden commands: `__complete` is
/// plumbing, not something to offer at `git hotfix <TAB>` (and clap_complete's
/// bash generator cannot path a name holding `__`).
fn visible_commands() -> clap::Command {
    let full = crate::cli::Cli::command();
    let mut cmd = clap::Command::new(BIN);
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    cmd.version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// Where a run id or an approval role goes on the command line.
#[derive(Default)]
struct Sites {
    /// Every command path below `git-hotfix` ("plan", "backport resolve").
    commands: Vec<String>,
    /// The commands whose RUN positional takes a run id.
    run_positionals: Vec<Vec<String>>,
    /// (command path, `--long`) of the options taking a run id.
    run_options: Vec<(Vec<String>, String)>,
    /// (command path, `--long`) of the options taking an approval role.
    role_options: Vec<(Vec<String>, String)>,
    /// Every option taking a value, so the word after it is never a run.
    value_options: std::collections::BTreeSet<String>,
}

impl Sites {
    fn of(cmd: &clap::Command) -> Sites {
        let mut sites = Sites::default();
        sites.visit(cmd, &mut Vec::new());
        sites
    }

    fn visit(&mut self, cmd: &clap::Command, path: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let takes_value = arg.get_action().takes_values();
            if arg.is_positional() {
                if arg.get_id() == "run" && !path.is_empty() {
                    self.run_positionals.push(path.clone());
                }
                continue;
            }
            if !takes_value {
                continue;
            }
            if let Some(short) = arg.get_short() {
                self.value_options.insert(format!("-{short}"));
            }
            if let Some(long) = arg.get_long() {
                let long = format!("--{long}");
                self.value_options.insert(long.clone());
                match arg.get_id().as_str() {
                    "run" => self.run_options.push((path.clone(), long)),
                    "role" => self.role_options.push((path.clone(), long)),
                    _ => {}
                }
            }
        }
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            path.push(sub.get_name().to_string());
            self.commands.push(path.join(" "));
            self.visit(sub, path);
            path.pop();
        }
    }
}

fn bash(raw: String, sites: &Sites) -> String {
    let options = |list: &[(Vec<String>, String)]| {
        list.iter()
            .map(|(path, long)| format!("{} {long}", path.join(" ")))
            .collect::<Vec<_>>()
            .join("|")
    };
    let hook = include_str!("completions/hook.bash")
        .replace("@COMMANDS@", &sites.commands.join("|"))
        .replace(
            "@RUN_COMMANDS@",
            &sites
                .run_positionals
                .iter()
                .map(|p| p.join(" "))
                .collect::<Vec<_>>()
                .join("|"),
        )
        .replace(
            "@VALUE_OPTIONS@",
            &sites.value_options.iter().cloned().collect::<Vec<_>>().join("|"),
        )
        .replace("@RUN_OPTIONS@", &options(&sites.run_options))
        .replace("@ROLE_OPTIONS@", &options(&sites.role_options));
    raw + &hook
}

/// Points clap's `_default` (anything) at the run and role functions of `hook.zsh`.
fn zsh(raw: String, sites: &Sites) -> String {
    let complete_with = |line: &str| -> Option<&'static str> {
        let spec = line.trim_start();
        if spec.starts_with("'::run -- ") || spec.starts_with("':run -- ") {
            return Some("__git_hotfix_runs");
        }
        let long = spec.strip_prefix('\'')?.split(['=', '[']).next()?;
        if sites.run_options.iter().any(|(_, l)| l == long) {
            return Some("__git_hotfix_runs");
        }
        if sites.role_options.iter().any(|(_, l)| l == long) {
            return Some("__git_hotfix_roles");
        }
        None
    };
    let mut text = String::new();
    for line in raw.lines() {
        if line.starts_with("if [ \"$funcstack[1]\" = \"_git-hotfix\" ]") {
            text.push_str(include_str!("completions/hook.zsh"));
        }
        match complete_with(line) {
            Some(function) => text.push_str(&line.replacen(":_default'", &format!(":{function}'"), 1)),
            None => text.push_str(line),
        }
        text.push('\n');
    }
    text
}

fn fish(raw: String, sites: &Sites) -> String {
    let condition = |path: &[String]| match path {
        [] => "__fish_git_hotfix_needs_command".to_string(),
        [top] => format!("__fish_git_hotfix_using_subcommand {top}"),
        [top, rest @ ..] => format!(
            "__fish_git_hotfix_using_subcommand {top}; and __fish_seen_subcommand_from {}",
            rest.join(" ")
        ),
    };
    let runs = "(git-hotfix __complete runs 2>/dev/null)";
    let roles = "(git-hotfix __complete roles 2>/dev/null)";
    let mut lines = Vec::new();
    for path in &sites.run_positionals {
        lines.push(format!(
            "complete -c {BIN} -n \"{}\" -f -a \"{runs}\" -d 'hotfix run'",
            condition(path)
        ));
    }
    for (list, values, what) in [
        (&sites.run_options, runs, "hotfix run"),
        (&sites.role_options, roles, "approval role"),
    ] {
        for (path, long) in list {
            lines.push(format!(
                "complete -c {BIN} -n \"{}\" -l {} -x -a \"{values}\" -d '{what}'",
                condition(path),
                long.trim_start_matches("--")
            ));
        }
    }
    raw + &include_str!("completions/hook.fish").replace("@RUN_LINES@", &lines.join("\n"))
}
