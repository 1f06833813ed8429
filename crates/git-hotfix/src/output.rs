//! How much the CLI says and how it looks: `--quiet` and `--verbose`, and
//! colors (`--color auto|always|never`, `NO_COLOR`, `CLICOLOR_FORCE`),
//! through anstream as clap does: every line goes through an auto-stream
//! that drops the styles when the destination should not get them.
//!
//! Styles are only ever put on words git-hotfix writes itself (`ok`,
//! `BLOCK`, `error:`, `next:`); text from outside is masked first
//! ([`crate::ui::mask`]), which escapes every control byte it holds.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use anstyle::{AnsiColor, Effects, Style};

/// How much a command prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Errors and the final `next:` line (and JSON asked for).
    Quiet = 0,
    Normal = 1,
    /// Also every git and HTTP call made, and every team command started.
    Verbose = 2,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Normal as u8);

/// `--color`: when lines get styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// When the destination is a terminal, unless `NO_COLOR` is set
    /// (`CLICOLOR_FORCE` forces them)
    Auto,
    Always,
    Never,
}

/// Sets how much is printed and how, for the whole process.
pub fn configure(color: ColorWhen, level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
    let choice = match color {
        // anstream reads NO_COLOR, CLICOLOR_FORCE, CLICOLOR and TERM itself.
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    if level == Level::Verbose {
        hotfix::trace::set(|line| err_line(&format!("{}{}", paint(DIM, "trace: "), crate::ui::mask(line))));
    }
}

/// Returns the level set by [`configure`].
pub fn level() -> Level {
    match LEVEL.load(Ordering::Relaxed) {
        0 => Level::Quiet,
        2 => Level::Verbose,
        _ => Level::Normal,
    }
}

pub fn quiet() -> bool {
    level() == Level::Quiet
}

pub const OK: Style = AnsiColor::Green.on_default();
pub const WARN: Style = AnsiColor::Yellow.on_default();
pub const BAD: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
pub const NEXT: Style = AnsiColor::Cyan.on_default().effects(Effects::BOLD);
pub const HINT: Style = AnsiColor::Yellow.on_default().effects(Effects::BOLD);
pub const DIM: Style = Style::new().effects(Effects::DIMMED);

/// Returns `word` in `style`; the auto-stream drops the style where colors are off.
pub fn paint(style: Style, word: &str) -> String {
    format!("{style}{word}{style:#}")
}

/// Writes `line` and a newline to stdout; a closed pipe (`| head`) is not
/// worth a panic.
pub fn out_line(line: &str) {
    let mut out = anstream::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
}

/// Writes a line meant for a person: to stdout, or to stderr under
/// `--json`, where stdout is the JSON document's.
pub fn human_line(line: &str) {
    if crate::json::enabled() {
        err_line(line);
    } else {
        out_line(line);
    }
}

/// Writes `line` and a newline to stderr.
pub fn err_line(line: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.write_all(b"\n");
}
