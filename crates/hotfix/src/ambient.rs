//! The one seam for what a run reads from the world besides git: the clock,
//! randomness, the host name, and (for resume tests) injected faults.
//!
//! Tests pin them with environment variables, as jj does:
//! `GIT_HOTFIX_TIMESTAMP` (seconds since the epoch), `GIT_HOTFIX_RANDOMNESS_SEED`,
//! `GIT_HOTFIX_HOSTNAME`, `GIT_HOTFIX_INJECT_FAULT=<point>` to fail at a
//! named step boundary (`before:build`, `after:push-release`, ...), and
//! `GIT_HOTFIX_INJECT_INTERRUPT=before:<step>` to press Ctrl-C there.

use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A failure injected at a named point, standing in for a crash or Ctrl-C.
#[derive(Debug, thiserror::Error)]
#[error("fault injected at `{point}` (GIT_HOTFIX_INJECT_FAULT)")]
pub struct InjectedFault {
    pub point: String,
}

/// Clock, randomness, host and fault points, pinned or live.
#[derive(Debug)]
pub struct Ambient {
    pinned_time: Option<i64>,
    rng_state: Cell<u64>,
    hostname: String,
    fault: Option<String>,
    interrupt: Option<String>,
}

impl Ambient {
    /// Reads pins from the environment; anything unpinned is live.
    pub fn from_env() -> Ambient {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let seed = var("GIT_HOTFIX_RANDOMNESS_SEED")
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(os_random);
        Ambient {
            pinned_time: var("GIT_HOTFIX_TIMESTAMP").and_then(|s| s.parse().ok()),
            rng_state: Cell::new(seed),
            hostname: var("GIT_HOTFIX_HOSTNAME").unwrap_or_else(system_hostname),
            fault: var("GIT_HOTFIX_INJECT_FAULT"),
            interrupt: var("GIT_HOTFIX_INJECT_INTERRUPT"),
        }
    }

    /// Returns the current time in seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.pinned_time.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
    }

    /// Returns `len` random lowercase hex digits.
    pub fn random_hex(&self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }

    fn next_u64(&self) -> u64 {
        // splitmix64 over a getrandom seed: a pinned seed must name the same run ids in
        // every version (tests/fixtures/journals/make-v0.sh relies on it), so the
        // stream is kept here rather than left to a crate free to change its algorithm.
        let mut z = self.rng_state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng_state.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Returns true when `point` is where the operator is made to press
    /// Ctrl-C (`GIT_HOTFIX_INJECT_INTERRUPT`): unlike a fault, which stands
    /// in for a crash, the run stops as an interrupted run does, journaled.
    pub fn interrupts_at(&self, point: &str) -> bool {
        self.interrupt.as_deref() == Some(point)
    }

    /// Fails when `point` is the injected fault point.
    pub fn checkpoint(&self, point: &str) -> Result<(), InjectedFault> {
        match &self.fault {
            Some(f) if f == point => Err(InjectedFault {
                point: point.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

fn os_random() -> u64 {
    let mut buf = [0u8; 8];
    match getrandom::getrandom(&mut buf) {
        Ok(()) => u64::from_le_bytes(buf),
        // No OS randomness: time and pid still make ids unlikely to collide.
        Err(_) => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            nanos ^ (u64::from(std::process::id()) << 32)
        }
    }
}

fn system_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// The last second humantime formats (`9999-12-31T23:59:59Z`).
const LAST_FORMATTABLE: i64 = 253_402_300_799;

/// Formats seconds since the epoch as RFC 3339 UTC (`2026-11-21T22:30:00Z`).
///
/// Instants before 1970 or after 9999 (only a mistyped `GIT_HOTFIX_TIMESTAMP`
/// makes one) are clamped to that range rather than panicking in humantime.
pub fn format_utc(secs: i64) -> String {
    let secs = secs.clamp(0, LAST_FORMATTABLE) as u64;
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_795_300_200), "2026-11-21T22:30:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(-1), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn seeded_randomness_repeats() {
        let a = Ambient {
            pinned_time: None,
            rng_state: Cell::new(7),
            hostname: "h".into(),
            fault: None,
            interrupt: None,
        };
        let b = Ambient {
            pinned_time: None,
            rng_state: Cell::new(7),
            hostname: "h".into(),
            fault: None,
            interrupt: None,
        };
        assert_eq!(a.random_hex(12), b.random_hex(12));
    }
}
