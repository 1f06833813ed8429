//! What the library does, as it does it, for `--verbose`: every git process,
//! HTTP request and team command started. The library never prints; the
//! program that wants the lines sets where they go, once, and the lines it
//! gets still need masking (they name commands and paths, which may carry
//! secrets).

use std::sync::OnceLock;

static SINK: OnceLock<fn(&str)> = OnceLock::new();

/// Sends every trace line to `sink` from now on (the first call wins).
pub fn set(sink: fn(&str)) {
    let _ = SINK.set(sink);
}

/// Returns true when someone reads the trace.
pub fn enabled() -> bool {
    SINK.get().is_some()
}

/// Hands the line `line` makes to the sink, when there is one; `line` is
/// not called otherwise.
pub fn emit(line: impl FnOnce() -> String) {
    if let Some(sink) = SINK.get() {
        sink(&line());
    }
}
