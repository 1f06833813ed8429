//! Production verification over HTTP: poll an endpoint until it answers the
//! expected status and reports the release commit, or until its deadline.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::HttpCheck;
use crate::interrupt::StopRequest;
use crate::secrets::Redactor;

/// One answer from the endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub status: Option<u16>,
    /// What the response holds at the SHA pointer.
    pub sha: Option<String>,
    /// Why the request or its body failed, when it did.
    pub error: Option<String>,
}

impl Observation {
    /// Returns "HTTP 200, sha 1a2b3c4" or the error.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(sha) = &self.sha {
            parts.push(format!("sha {}", short(sha)));
        }
        if let Some(e) = &self.error {
            parts.push(e.clone());
        }
        parts.join(", ")
    }
}

/// The outcome of polling one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpVerdict {
    pub url: String,
    pub expect_status: u16,
    pub sha_pointer: Option<String>,
    pub expected_sha: String,
    /// The commits the reported one had to contain, when containing them
    /// was the test (a standard release ships main's newest commit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    pub attempts: u32,
    pub duration_ms: u64,
    pub last: Observation,
    pub ok: bool,
}

/// Polls `check` until it is healthy and reports `expected_sha`, calling
/// `on_attempt` after every request. Gives up early, with the verdict so
/// far, when `stop` is raised.
pub fn poll(
    check: &HttpCheck,
    expected_sha: &str,
    redactor: &Redactor,
    stop: &StopRequest,
    on_attempt: &mut dyn FnMut(u32, Duration, &Observation),
) -> HttpVerdict {
    poll_until(
        check,
        expected_sha,
        &mut |reported| same_commit(reported, expected_sha),
        redactor,
        stop,
        on_attempt,
    )
}

/// Polls `check` as [`poll`] does, with `accept` saying whether the
/// commit the endpoint reports is the one looked for.
pub fn poll_until(
    check: &HttpCheck,
    expected_sha: &str,
    accept: &mut dyn FnMut(&str) -> bool,
    redactor: &Redactor,
    stop: &StopRequest,
    on_attempt: &mut dyn FnMut(u32, Duration, &Observation),
) -> HttpVerdict {
    let started = Instant::now();
    let agent = ureq::AgentBuilder::new()
        .timeout(check.interval.max(Duration::from_secs(5)))
        .build();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let last = observe(&agent, check, redactor);
        let ok = last.status == Some(check.expect_status)
            && (check.sha_pointer.is_none() || last.sha.as_deref().is_some_and(&mut *accept));
        on_attempt(attempts, started.elapsed(), &last);
        let out_of_time = started.elapsed() + check.interval > check.timeout;
        if ok || out_of_time || stop.raised().is_some() {
            return HttpVerdict {
                url: redactor.redact(&check.url),
                expect_status: check.expect_status,
                sha_pointer: check.sha_pointer.clone(),
                expected_sha: expected_sha.to_string(),
                contains: Vec::new(),
                attempts,
                duration_ms: started.elapsed().as_millis() as u64,
                last,
                ok,
            };
        }
        let next = Instant::now() + check.interval;
        while stop.raised().is_none() && Instant::now() < next {
            std::thread::sleep(
                next.saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(100)),
            );
        }
    }
}

fn observe(agent: &ureq::Agent, check: &HttpCheck, redactor: &Redactor) -> Observation {
    let (status, body) = match agent.get(&check.url).call() {
        Ok(r) => (r.status(), r.into_string()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string()),
        Err(ureq::Error::Transport(t)) => {
            return Observation {
                error: Some(redactor.redact(&format!("request failed: {t}"))),
                ..Observation::default()
            }
        }
    };
    let mut obs = Observation {
        status: Some(status),
        ..Observation::default()
    };
    let Some(pointer) = &check.sha_pointer else {
        return obs;
    };
    let parsed = body
        .map_err(|e| format!("could not read the body: {e}"))
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).map_err(|e| format!("the body is not JSON: {e}")));
    match parsed {
        Ok(json) => match json.pointer(pointer) {
            Some(serde_json::Value::String(s)) => obs.sha = Some(s.trim().to_string()),
            Some(other) => obs.error = Some(format!("`{pointer}` holds {other}, not a SHA")),
            None => obs.error = Some(format!("nothing at `{pointer}`")),
        },
        Err(e) => obs.error = Some(e),
    }
    obs
}

/// True when `reported` names `expected`: the full SHA, or an abbreviation of at least 7 hex digits.
fn same_commit(reported: &str, expected: &str) -> bool {
    let reported = reported.to_ascii_lowercase();
    reported.len() >= 7 && reported.chars().all(|c| c.is_ascii_hexdigit()) && expected.starts_with(&reported)
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::same_commit;

    #[test]
    fn abbreviations_count_but_short_or_foreign_values_do_not() {
        let full = "0123456789abcdef0123456789abcdef01234567";
        assert!(same_commit(full, full));
        assert!(same_commit("0123456", full));
        assert!(same_commit("0123456789ABCDEF", full));
        assert!(!same_commit("012345", full));
        assert!(!same_commit("1123456", full));
        assert!(!same_commit("v1.2.3-0123456", full));
    }
}
