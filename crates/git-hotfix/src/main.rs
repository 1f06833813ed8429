//! `git-hotfix`: carry out a production hotfix release safely.

mod cli;
mod commands;
mod error;
mod json;
mod output;
mod stop;
mod ui;

fn main() -> std::process::ExitCode {
    cli::run()
}
