//! The one HTTP client every forge call goes through: the token header, a
//! per-request timeout, retries with backoff for answers and faults that are
//! safe to repeat, pagination, the proxy from the environment, and errors that
//! say what was asked and what the forge answered, never the token.
//!
//! Blocking, over `ureq` 2 with rustls. Time comes through [`Clock`], so tests
//! see every backoff without sleeping.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;

use super::{ForgeError, Token};

/// How a request is authenticated, as each forge documents it.
#[derive(Clone, Debug)]
pub enum Auth {
    /// GitLab: `PRIVATE-TOKEN: <token>` (doc/api/rest/authentication.md, personal/project access tokens).
    GitLab(Token),
    /// GitHub: `Authorization: Bearer <token>`, with the media type and API version
    /// every REST call should name (docs.github.com/rest/authentication, /rest/about-the-rest-api/api-versions).
    GitHub(Token),
}

impl Auth {
    fn token(&self) -> &Token {
        match self {
            Auth::GitLab(t) | Auth::GitHub(t) => t,
        }
    }

    /// Returns the headers every request carries, the secret one included.
    fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            // A CI job's own token goes in `JOB-TOKEN` (doc/ci/jobs/ci_job_token.md).
            Auth::GitLab(t) if t.is_job_token() => vec![("JOB-TOKEN", t.expose().to_string())],
            Auth::GitLab(t) => vec![("PRIVATE-TOKEN", t.expose().to_string())],
            Auth::GitHub(t) => vec![
                ("Authorization", format!("Bearer {}", t.expose())),
                ("Accept", "application/vnd.github+json".to_string()),
                ("X-GitHub-Api-Version", GITHUB_API_VERSION.to_string()),
            ],
        }
    }
}

/// The GitHub REST API version the client is written against.
pub const GITHUB_API_VERSION: &str = "2022-11-28";

/// The clock and the sleeper the retries use; tests inject one that records.
pub trait Clock: Send + Sync {
    /// Returns the current wall-clock time (to read `Retry-After` dates).
    fn now(&self) -> SystemTime;
    /// Waits `duration` before the next attempt.
    fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Settings with defaults; see [`ClientOptions::default`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// The whole of one request: connect, send, read the answer.
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first backoff when the forge names no `Retry-After`; doubles each attempt.
    pub backoff: Duration,
    /// The longest one backoff of our own.
    pub backoff_cap: Duration,
    /// The most time spent waiting between attempts of one request; a
    /// `Retry-After` beyond it ends the retries rather than stall a hotfix.
    pub retry_budget: Duration,
    /// The most pages one listing follows before it fails.
    pub max_pages: usize,
    /// The proxy to go through (`http://host:port`), normally from [`proxy_from_env`].
    pub proxy: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            timeout: Duration::from_secs(30),
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            retry_budget: Duration::from_secs(120),
            max_pages: 50,
            proxy: None,
        }
    }
}

/// An HTTP method; [`Method::safe_to_repeat`] says which are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Put,
    Delete,
    Post,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }

    /// True for the methods HTTP defines as idempotent (RFC 9110 §9.2.2).
    pub fn safe_to_repeat(self) -> bool {
        matches!(self, Method::Get | Method::Head | Method::Put | Method::Delete)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request: the path under the API base (`/projects/7?per_page=100`),
/// a JSON body, and whether a POST may be sent again.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<serde_json::Value>,
    /// Set for a POST the forge deduplicates (or that changes nothing), so a
    /// 502 or a dropped connection may be answered by sending it again.
    pub idempotent: bool,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Call {
        Call {
            method: Method::Get,
            path: path.into(),
            body: None,
            idempotent: false,
        }
    }

    pub fn post(path: impl Into<String>, body: serde_json::Value) -> Call {
        Call {
            method: Method::Post,
            path: path.into(),
            body: Some(body),
            idempotent: false,
        }
    }

    pub fn delete(path: impl Into<String>) -> Call {
        Call {
            method: Method::Delete,
            path: path.into(),
            body: None,
            idempotent: false,
        }
    }

    /// Returns the call marked safe to send again.
    pub fn idempotent(mut self) -> Call {
        self.idempotent = true;
        self
    }

    fn may_repeat(&self) -> bool {
        self.idempotent || self.method.safe_to_repeat()
    }
}

/// A successful (2xx) answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// How many attempts it took.
    pub attempts: u32,
}

impl Reply {
    /// Returns the first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The one HTTP client of a forge.
pub struct Client {
    agent: ureq::Agent,
    /// The API base, `https://gitlab.example.com/api/v4`, no trailing slash.
    base: String,
    /// `scheme://host[:port]` of `base`: the only origin the token is sent to.
    origin: String,
    auth: Auth,
    options: ClientOptions,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to, before the retry decision.
enum Attempt {
    Answer {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Fault {
        reason: String,
        timed_out: bool,
    },
}

impl Client {
    /// Returns a client for the API at `base` (`https://host/api/v4`).
    pub fn new(base: &str, auth: Auth, options: ClientOptions, clock: Arc<dyn Clock>) -> Result<Client, ForgeError> {
        let base = base.trim_end_matches('/').to_string();
        let origin = origin_of(&base).ok_or_else(|| ForgeError::BadUrl {
            url: base.clone(),
            reason: "not an http(s) URL".into(),
        })?;
        let mut builder = ureq::AgentBuilder::new()
            .timeout(options.timeout)
            .user_agent(concat!("git-hotfix/", env!("CARGO_PKG_VERSION")))
            // A redirect may lead to another host, and `PRIVATE-TOKEN` would follow it.
            .redirects(0)
            // The proxy is chosen by `proxy_from_env` (it reads NO_PROXY, which ureq 2 does not).
            .try_proxy_from_env(false);
        if let Some(proxy) = &options.proxy {
            let proxy = ureq::Proxy::new(proxy).map_err(|e| ForgeError::BadUrl {
                url: proxy.clone(),
                reason: format!("not a usable proxy: {e}"),
            })?;
            builder = builder.proxy(proxy);
        }
        Ok(Client {
            agent: builder.build(),
            base,
            origin,
            auth,
            options,
            clock,
        })
    }

    /// Returns the API base this client calls.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `call`, retrying what is safe to repeat, and returns the 2xx answer.
    pub fn send(&self, call: &Call) -> Result<Reply, ForgeError> {
        let url = format!("{}{}", self.base, call.path);
        self.send_to(call, &url)
    }

    /// Sends a GET and parses its JSON answer.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ForgeError> {
        let call = Call::get(path);
        let reply = self.send(&call)?;
        self.parse(&call, &reply.body)
    }

    /// Sends `call` and parses its JSON answer.
    pub fn json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, ForgeError> {
        let reply = self.send(call)?;
        self.parse(call, &reply.body)
    }

    /// GETs every page of a listing (each page a JSON array), following
    /// `Link: <...>; rel="next"` or else GitLab's `X-Next-Page`, up to the page cap.
    pub fn get_pages<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, ForgeError> {
        let call = Call::get(path);
        let mut url = format!("{}{}", self.base, path);
        let mut items = Vec::new();
        for _ in 0..self.options.max_pages {
            let reply = self.send_to(&call, &url)?;
            let page: Vec<T> = self.parse(&call, &reply.body)?;
            items.extend(page);
            match next_page(&reply.headers, &url) {
                None => return Ok(items),
                Some(next) => {
                    if !next.starts_with(&format!("{}/", self.origin)) {
                        return Err(ForgeError::ForeignLink {
                            method: call.method,
                            path: display_path(&call.path),
                            origin: self.origin.clone(),
                        });
                    }
                    url = next;
                }
            }
        }
        Err(ForgeError::TooManyPages {
            path: display_path(path),
            pages: self.options.max_pages,
        })
    }

    /// Returns the clock the client waits with, so a caller's own polling and
    /// timestamps use the same seam.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// GETs `path`, which answers with a redirect to a signed download URL
    /// (GitHub's job logs: `302 Location`), and returns the text there,
    /// fetched without the token: the URL authorizes itself, and it is on
    /// another host. A 2xx answer is taken as the text itself.
    pub fn get_redirected_text(&self, path: &str) -> Result<String, ForgeError> {
        let call = Call::get(path);
        let url = format!("{}{}", self.base, call.path);
        let attempt = self.attempt(&call, &url);
        let location = match &attempt {
            Attempt::Answer { status, headers, .. } if (300..400).contains(status) => {
                header(headers, "location").map(str::to_string)
            }
            _ => None,
        };
        let Some(location) = location else {
            return self.conclude(&call, attempt, 1).map(|reply| reply.body);
        };
        if origin_of(&location).is_none() {
            return Err(ForgeError::BadUrl {
                url: display_path(&location),
                reason: format!(
                    "is where {} {} points, and not an http(s) URL",
                    call.method,
                    display_path(path)
                ),
            });
        }
        let fault = |reason: String, timed_out| ForgeError::Transport {
            method: call.method,
            path: format!("{} (its download)", display_path(path)),
            reason: self.clean(&reason),
            timed_out,
            attempts: 1,
        };
        match self.agent.get(&location).call() {
            Ok(response) => response.into_string().map_err(|e| {
                fault(
                    format!("reading the download failed: {e}"),
                    matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock),
                )
            }),
            Err(ureq::Error::Status(status, _)) => Err(fault(format!("the download answered HTTP {status}"), false)),
            Err(ureq::Error::Transport(t)) => Err(fault(t.kind().to_string(), false)),
        }
    }

    fn parse<T: DeserializeOwned>(&self, call: &Call, body: &str) -> Result<T, ForgeError> {
        serde_json::from_str(body).map_err(|e| ForgeError::Body {
            method: call.method,
            path: display_path(&call.path),
            reason: self.mask(&e.to_string()),
        })
    }

    fn send_to(&self, call: &Call, url: &str) -> Result<Reply, ForgeError> {
        let mut waited = Duration::ZERO;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let began = std::time::Instant::now();
            let attempt = self.attempt(call, url);
            crate::trace::emit(|| {
                let answer = match &attempt {
                    Attempt::Answer { status, .. } => format!("HTTP {status}"),
                    Attempt::Fault { reason, .. } => self.clean(reason),
                };
                format!(
                    "{} {} -> {answer} in {} ms",
                    call.method.as_str(),
                    self.clean(url),
                    began.elapsed().as_millis()
                )
            });
            let retryable = match &attempt {
                Attempt::Answer { status, .. } => matches!(status, 429 | 502 | 503 | 504),
                Attempt::Fault { .. } => true,
            };
            if retryable && call.may_repeat() && attempts < self.options.max_attempts {
                let delay = match &attempt {
                    Attempt::Answer { headers, .. } => header(headers, "retry-after")
                        .and_then(|v| retry_after(v, self.clock.now()))
                        .unwrap_or_else(|| self.backoff(attempts)),
                    Attempt::Fault { .. } => self.backoff(attempts),
                };
                if waited + delay <= self.options.retry_budget {
                    self.clock.sleep(delay);
                    waited += delay;
                    continue;
                }
            }
            return self.conclude(call, attempt, attempts);
        }
    }

    /// Returns the backoff of our own before attempt `attempts + 1`.
    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
        self.options
            .backoff
            .checked_mul(factor)
            .unwrap_or(self.options.backoff_cap)
            .min(self.options.backoff_cap)
    }

    fn attempt(&self, call: &Call, url: &str) -> Attempt {
        let mut request = self.agent.request(call.method.as_str(), url);
        for (name, value) in self.auth.headers() {
            request = request.set(name, &value);
        }
        let result = match &call.body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_string(&body.to_string()),
            None => request.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                let timed_out = std::error::Error::source(&t)
                    .and_then(|s| s.downcast_ref::<std::io::Error>())
                    .is_some_and(|e| matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock));
                // Built from the parts, not `t`'s Display, which carries the URL;
                // ureq's source repeats the kind (`Network Error: ...`), said once here.
                let kind = t.kind().to_string();
                let mut reason = kind.clone();
                let parts = t
                    .message()
                    .map(str::to_string)
                    .into_iter()
                    .chain(std::error::Error::source(&t).map(|s| s.to_string()));
                for part in parts {
                    reason.push_str(": ");
                    reason.push_str(part.strip_prefix(&format!("{kind}: ")).unwrap_or(&part));
                }
                if timed_out {
                    reason = format!(
                        "no answer within {} ({reason})",
                        crate::config::format_duration(self.options.timeout)
                    );
                }
                return Attempt::Fault { reason, timed_out };
            }
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.to_ascii_lowercase(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        match response.into_string() {
            Ok(body) => Attempt::Answer { status, headers, body },
            Err(e) => Attempt::Fault {
                timed_out: matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock),
                reason: format!("reading the answer failed: {e}"),
            },
        }
    }

    fn conclude(&self, call: &Call, attempt: Attempt, attempts: u32) -> Result<Reply, ForgeError> {
        let path = display_path(&call.path);
        match attempt {
            Attempt::Answer { status, headers, body } if (200..300).contains(&status) => Ok(Reply {
                status,
                headers,
                body,
                attempts,
            }),
            Attempt::Answer { status, headers, body } => {
                let said = ForgeMessage::from_body(&body);
                Err(ForgeError::Status(Box::new(super::Refusal {
                    method: call.method,
                    path,
                    status,
                    message: said.message.map(|m| self.clean(&m)),
                    documentation_url: said.documentation_url.map(|m| self.clean(&m)),
                    scopes: ScopeHint::from_headers(status, &headers, self.auth.token().is_job_token())
                        .map(|s| s.cleaned(|t| self.clean(t))),
                    location: (300..400)
                        .contains(&status)
                        .then(|| header(&headers, "location").map(|l| self.clean(l)))
                        .flatten(),
                    attempts,
                })))
            }
            Attempt::Fault { reason, timed_out } => Err(ForgeError::Transport {
                method: call.method,
                path,
                reason: self.clean(&reason),
                timed_out,
                attempts,
            }),
        }
    }

    /// Returns `text` with the token masked.
    fn mask(&self, text: &str) -> String {
        let token = self.auth.token().expose();
        if token.is_empty() {
            text.to_string()
        } else {
            text.replace(token, "[redacted token]")
        }
    }

    /// Returns text from the forge fit for an error: token masked, control
    /// bytes escaped (a body must not move the operator's cursor), bounded.
    fn clean(&self, text: &str) -> String {
        const MAX: usize = 400;
        let masked = self.mask(text);
        let mut out: String = masked.chars().take(MAX).collect::<String>().escape_debug().to_string();
        if masked.chars().count() > MAX {
            out.push_str("...");
        }
        out
    }
}

/// Returns the path to show in an error: without the query, which may carry
/// anything (a private token, a search), as the forge's own logs would.
pub(crate) fn display_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.escape_debug().to_string()
}

/// Returns `scheme://authority` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// The forge's own words from an error body: GitLab `{"message": ...}` or
/// `{"error": ..., "error_description": ...}`; GitHub `{"message", "documentation_url"}`.
#[derive(Debug, Default, PartialEq, Eq)]
struct ForgeMessage {
    message: Option<String>,
    documentation_url: Option<String>,
}

impl ForgeMessage {
    fn from_body(body: &str) -> ForgeMessage {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
            let text = body.trim();
            return ForgeMessage {
                message: (!text.is_empty() && !text.starts_with('<')).then(|| text.to_string()),
                documentation_url: None,
            };
        };
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            // GitLab validation errors: {"message": {"name": ["has already been taken"]}}.
            other => Some(other.to_string()),
        };
        let message = json.get("message").and_then(text).or_else(|| {
            let error = json.get("error").and_then(text)?;
            Some(match json.get("error_description").and_then(text) {
                Some(d) => format!("{error}: {d}"),
                None => error,
            })
        });
        ForgeMessage {
            message,
            documentation_url: json.get("documentation_url").and_then(text),
        }
    }
}

/// What a 401/403 says about the token's scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeHint {
    /// The scope(s) the endpoint needs (GitHub `X-Accepted-OAuth-Scopes`, GitLab `scope=` of `WWW-Authenticate`).
    pub needed: Option<String>,
    /// The scopes the token has (GitHub `X-OAuth-Scopes`).
    pub token_has: Option<String>,
    /// The token is a CI job's own (`CI_JOB_TOKEN`), which GitLab accepts
    /// on a few endpoints only.
    pub job_token: bool,
}

impl ScopeHint {
    fn from_headers(status: u16, headers: &[(String, String)], job_token: bool) -> Option<ScopeHint> {
        if !matches!(status, 401 | 403) {
            return None;
        }
        let github_needed = header(headers, "x-accepted-oauth-scopes").filter(|s| !s.trim().is_empty());
        let token_has = header(headers, "x-oauth-scopes").map(str::to_string);
        // GitLab: `WWW-Authenticate: Bearer realm="", error="insufficient_scope", ..., scope="api"`.
        let gitlab_needed = header(headers, "www-authenticate")
            .filter(|v| v.contains("insufficient_scope"))
            .map(|v| auth_param(v, "scope").unwrap_or_else(|| "a wider scope".to_string()));
        let needed = github_needed.map(str::to_string).or(gitlab_needed);
        (needed.is_some() || token_has.is_some() || job_token).then_some(ScopeHint {
            needed,
            token_has,
            job_token,
        })
    }

    fn cleaned(self, clean: impl Fn(&str) -> String) -> ScopeHint {
        ScopeHint {
            needed: self.needed.as_deref().map(&clean),
            token_has: self.token_has.as_deref().map(&clean),
            job_token: self.job_token,
        }
    }
}

impl std::fmt::Display for ScopeHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.needed, &self.token_has) {
            (Some(n), Some(h)) => write!(f, "the token needs scope `{n}`; it has `{h}`"),
            (Some(n), None) => write!(f, "the token needs scope `{n}`"),
            (None, Some(h)) => write!(f, "the token has scopes `{h}`"),
            (None, None) => Ok(()),
        }?;
        if self.job_token {
            let sep = if self.needed.is_some() || self.token_has.is_some() {
                "; "
            } else {
                ""
            };
            write!(
                f,
                "{sep}CI_JOB_TOKEN is not accepted here: set the variable `[forge] token_env` names (default \
                 GITLAB_TOKEN) as a masked CI/CD variable holding a project access token with scope `api`"
            )?;
        }
        Ok(())
    }
}

/// Returns the value of `name="value"` (or `name=value`) in a challenge.
fn auth_param(challenge: &str, name: &str) -> Option<String> {
    let mut rest = challenge;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last();
        let after = &rest[at + name.len()..];
        rest = after;
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let Some(value) = after.trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        return Some(match value.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or_default().to_string(),
            None => value.split([',', ' ']).next().unwrap_or_default().to_string(),
        });
    }
    None
}

/// Returns the delay a `Retry-After` value asks for: delay-seconds or an
/// HTTP date (RFC 9110 §10.2.3); a date in the past means now.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, the form RFC 9110 requires senders to use.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let (_weekday, rest) = value.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else { return None };
    if !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Returns the next page's URL: the `Link` header's `rel="next"`, or else
/// GitLab's `X-Next-Page` (empty on the last page) set as `page=` on `current`.
pub fn next_page(headers: &[(String, String)], current: &str) -> Option<String> {
    let from_link = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("link"))
        .find_map(|(_, v)| link_next(v));
    if from_link.is_some() {
        return from_link;
    }
    let next = header(headers, "x-next-page")?.trim();
    if next.is_empty() || !next.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (base, query) = current.split_once('?').unwrap_or((current, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .collect();
    let page = format!("page={next}");
    pairs.push(&page);
    Some(format!("{base}?{}", pairs.join("&")))
}

/// Returns the target of `rel="next"` in a `Link` header (RFC 8288).
fn link_next(value: &str) -> Option<String> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>')? + open;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| i + close);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &rest[params_end..];
    }
    None
}

/// Returns the proxy for `url` from the environment as curl and git read it:
/// `HTTPS_PROXY` for https, `HTTP_PROXY` for http (lowercase names first),
/// then `ALL_PROXY`; none when `NO_PROXY` names the host (or is `*`).
pub fn proxy_from_env(url: &str, var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let get = |name: &str| {
        var(&name.to_ascii_lowercase())
            .or_else(|| var(name))
            .filter(|v| !v.trim().is_empty())
    };
    let origin = origin_of(url)?;
    let (scheme, authority) = origin.split_once("://")?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .trim_start_matches('[');
    let host = match host.split_once(']') {
        Some((v6, _)) => v6,
        None => host.split(':').next().unwrap_or(host),
    }
    .to_ascii_lowercase();
    if let Some(no_proxy) = get("NO_PROXY") {
        let excluded = no_proxy.split(',').map(str::trim).any(|entry| {
            let entry = entry
                .trim_start_matches('*')
                .trim_start_matches('.')
                .to_ascii_lowercase();
            no_proxy.trim() == "*" || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        });
        if excluded {
            return None;
        }
    }
    let by_scheme = if scheme == "https" {
        get("HTTPS_PROXY")
    } else {
        get("HTTP_PROXY")
    };
    by_scheme.or_else(|| get("ALL_PROXY"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-3", now), None);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_438_400))
        );
    }

    #[test]
    fn next_page_prefers_link_then_x_next_page() {
        let link = r#"<https://api.github.com/repositories/1/issues?page=1>; rel="prev", <https://api.github.com/repositories/1/issues?page=3>; rel="next", <https://api.github.com/repositories/1/issues?page=9>; rel="last""#;
        assert_eq!(
            next_page(&headers(&[("link", link)]), "https://x/").as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=3")
        );
        assert_eq!(
            next_page(
                &headers(&[("link", r#"<https://h/a?page=1>; rel="first""#)]),
                "https://h/a"
            ),
            None
        );
        assert_eq!(
            next_page(
                &headers(&[("x-next-page", "3")]),
                "https://h/api/v4/projects/1/jobs?per_page=2&page=2"
            )
            .as_deref(),
            Some("https://h/api/v4/projects/1/jobs?per_page=2&page=3")
        );
        assert_eq!(next_page(&headers(&[("x-next-page", "")]), "https://h/a"), None);
        assert_eq!(next_page(&[], "https://h/a"), None);
    }

    #[test]
    fn forge_messages_from_gitlab_and_github_bodies() {
        assert_eq!(
            ForgeMessage::from_body(r#"{"message":"404 Project Not Found"}"#)
                .message
                .as_deref(),
            Some("404 Project Not Found")
        );
        assert_eq!(
            ForgeMessage::from_body(r#"{"error":"insufficient_scope","error_description":"needs api"}"#)
                .message
                .as_deref(),
            Some("insufficient_scope: needs api")
        );
        let github = ForgeMessage::from_body(
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest/repos/repos#get-a-repository"}"#,
        );
        assert_eq!(github.message.as_deref(), Some("Not Found"));
        assert!(github
            .documentation_url
            .is_some_and(|u| u.ends_with("#get-a-repository")));
        assert_eq!(
            ForgeMessage::from_body(r#"{"message":{"name":["has already been taken"]}}"#)
                .message
                .as_deref(),
            Some(r#"{"name":["has already been taken"]}"#)
        );
        assert_eq!(ForgeMessage::from_body("<html>bad gateway</html>").message, None);
    }

    #[test]
    fn scope_hints_from_both_forges() {
        let gitlab = ScopeHint::from_headers(
            403,
            &headers(&[(
                "www-authenticate",
                r#"Bearer realm="", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="api""#,
            )]),
            false,
        );
        assert_eq!(
            gitlab.map(|h| h.to_string()).as_deref(),
            Some("the token needs scope `api`")
        );
        let github = ScopeHint::from_headers(
            403,
            &headers(&[("x-accepted-oauth-scopes", "repo"), ("x-oauth-scopes", "read:user")]),
            false,
        );
        assert_eq!(
            github.map(|h| h.to_string()).as_deref(),
            Some("the token needs scope `repo`; it has `read:user`")
        );
        assert_eq!(
            ScopeHint::from_headers(404, &headers(&[("x-oauth-scopes", "repo")]), false),
            None
        );
    }

    #[test]
    fn proxy_follows_scheme_and_no_proxy() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let vars = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("http_proxy", "http://plain:8080"),
            ("NO_PROXY", "localhost,.internal.example"),
        ]);
        assert_eq!(
            proxy_from_env("https://gitlab.com/api/v4", &vars).as_deref(),
            Some("http://proxy:3128")
        );
        assert_eq!(
            proxy_from_env("http://gitlab.com/api/v4", &vars).as_deref(),
            Some("http://plain:8080")
        );
        assert_eq!(proxy_from_env("https://git.internal.example/api/v4", &vars), None);
        assert_eq!(proxy_from_env("http://localhost:8080/api/v4", &vars), None);
        let all = env(&[("ALL_PROXY", "http://all:1"), ("no_proxy", "*")]);
        assert_eq!(proxy_from_env("https://gitlab.com", &all), None);
        assert_eq!(
            proxy_from_env("https://gitlab.com", &env(&[("ALL_PROXY", "http://all:1")])).as_deref(),
            Some("http://all:1")
        );
    }

    #[test]
    fn a_base_must_be_http_or_https_and_names_its_origin() {
        let ftp = Client::new(
            "ftp://h/api",
            Auth::GitLab(Token::new("glpat-x")),
            ClientOptions::default(),
            Arc::new(SystemClock),
        );
        assert!(matches!(ftp, Err(ForgeError::BadUrl { .. })));
        assert_eq!(
            origin_of("https://h:8443/api/v4?x=1").as_deref(),
            Some("https://h:8443")
        );
        assert_eq!(origin_of("https:///api"), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_overflow() {
        let client = Client::new(
            "https://h/api/v4",
            Auth::GitLab(Token::new("glpat-x")),
            ClientOptions::default(),
            Arc::new(SystemClock),
        )
        .expect("https base");
        let waits: Vec<u64> = [1, 2, 3, 5, 6, 40, u32::MAX]
            .iter()
            .map(|a| client.backoff(*a).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 16, 30, 30, 30]);
    }

    #[test]
    fn display_paths_drop_the_query() {
        assert_eq!(
            display_path("/projects/1/jobs?private_token=glpat-x"),
            "/projects/1/jobs"
        );
        assert_eq!(display_path("/user\n"), "/user\\n");
    }
}
