//! The operator's request to stop (Ctrl-C, SIGTERM), as a flag the library
//! polls. The CLI points its signal handler at the flag; the library never
//! installs a handler itself, so tests can raise the flag directly.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The signal the operator stopped with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C on a terminal.
    Interrupt,
    /// SIGTERM: a supervisor or `kill`.
    Terminate,
}

impl StopSignal {
    /// Returns the signal's number, as a handler stores it in the flag.
    pub fn number(self) -> usize {
        match self {
            StopSignal::Interrupt => 2,
            StopSignal::Terminate => 15,
        }
    }

    /// Returns the signal's name (`SIGINT`).
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }
}

/// A stop request shared between a signal handler and the steps that poll it.
#[derive(Clone, Debug, Default)]
pub struct StopRequest(Arc<AtomicUsize>);

impl StopRequest {
    /// Returns the cell a signal handler stores the signal's number in
    /// (`signal_hook::flag::register_usize`).
    pub fn cell(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.0)
    }

    /// Raises the request, as the handler does when `signal` arrives.
    pub fn raise(&self, signal: StopSignal) {
        self.0.store(signal.number(), Ordering::SeqCst);
    }

    /// Returns the signal the operator stopped with, if they did.
    pub fn raised(&self) -> Option<StopSignal> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            2 => Some(StopSignal::Interrupt),
            _ => Some(StopSignal::Terminate),
        }
    }
}
