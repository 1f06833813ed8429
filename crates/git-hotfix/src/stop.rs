//! Ctrl-C and SIGTERM while a command carries out steps: the handler only
//! raises the session's stop request, and the library, which polls it,
//! forwards the signal to a running production command, waits for it and
//! journals the interruption. At a yes/no prompt nothing runs, so there the
//! signal ends git-hotfix as it would without a handler.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use hotfix::interrupt::StopRequest;
use signal_hook::consts::{SIGINT, SIGTERM};

/// True while git-hotfix waits at a yes/no prompt.
static PROMPTING: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Points SIGINT and SIGTERM at `stop` for the rest of the process.
pub fn on_signals(stop: &StopRequest) {
    let prompting = PROMPTING.get_or_init(Arc::default);
    for signal in [SIGINT, SIGTERM] {
        // Registration fails only for forbidden signals; without a handler a
        // signal ends git-hotfix as before, and the journal's `step-started`
        // entry still tells the next `continue` what may have run.
        // The default action goes first: it must win at a prompt.
        let _ = signal_hook::flag::register_conditional_default(signal, Arc::clone(prompting));
        let _ = signal_hook::flag::register_usize(signal, stop.cell(), signal as usize);
    }
}

/// Marks that git-hotfix waits at (or left) a yes/no prompt.
pub fn prompting(on: bool) {
    if let Some(flag) = PROMPTING.get() {
        flag.store(on, Ordering::SeqCst);
    }
}
