//! Where the commit production runs comes from: `--production`, the newest
//! matching tag, a command, or an HTTP `/version` endpoint.
//!
//! The runbook's rule: if the deployed SHA is not clear, stop. So nothing
//! found, a SHA not in the repository, or two sources that disagree are errors
//! that show every reading.

use std::time::Duration;

use crate::config::{HttpSource, ProductionSources};
use crate::git::{Git, GitError, Oid};
use crate::interrupt::StopRequest;
use crate::providers::command::{self, Job, Stream};
use crate::secrets::Redactor;

/// How long `[production] command` may take when `command_timeout` is unset.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// One source's answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductionReading {
    /// Which source (`--production`, `tag prod-*`, `command ...`, `http URL#/ptr`).
    pub source: String,
    /// What it said, verbatim (a rev, tag name or SHA).
    pub said: String,
    /// The commit it resolves to.
    pub commit: Oid,
}

/// The commit production runs, with the readings that establish it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProductionSha {
    pub commit: Oid,
    /// Every reading: `--production` first when it was given, then each
    /// configured source. With `--production` they may disagree; the plan
    /// says so and blocks unless the operator gave a reason.
    pub readings: Vec<ProductionReading>,
    /// Configured sources that could not be read while `--production` was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<UnreadSource>,
}

/// A configured source that gave no answer, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnreadSource {
    pub source: String,
    pub detail: String,
}

impl ProductionSha {
    /// Returns the sources that named it, comma-separated.
    pub fn sources(&self) -> String {
        self.readings
            .iter()
            .filter(|r| r.commit == self.commit)
            .map(|r| r.source.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Returns it with secret values masked in what the sources are and said
    /// (a URL may carry a token).
    pub fn redacted(mut self, redactor: &Redactor) -> ProductionSha {
        self.readings = redact_readings(self.readings, redactor);
        for u in &mut self.unread {
            u.source = redactor.redact(&u.source);
            u.detail = redactor.redact(&u.detail);
        }
        self
    }

    /// Returns the readings that name another commit than the one chosen.
    pub fn disagreeing(&self) -> impl Iterator<Item = &ProductionReading> {
        self.readings.iter().filter(|r| r.commit != self.commit)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    #[error("no production source: pass `--production <rev>` or configure [production] in hotfix.toml")]
    NoSource,
    #[error("{source_name} found no production commit: {detail}")]
    NothingFound { source_name: String, detail: String },
    #[error("{source_name} said `{said}`, which is not a commit in this repository")]
    NotInRepository { source_name: String, said: String },
    #[error("[production] command `{command}` did not answer within {} and was killed", crate::config::format_duration(*.timeout))]
    CommandTimedOut { command: String, timeout: Duration },
    #[error("production sources disagree: {}", describe(.readings))]
    Disagree { readings: Vec<ProductionReading> },
    #[error(transparent)]
    Git(#[from] GitError),
}

impl ProductionError {
    /// Returns it with secret values masked (a failing command's stderr, a URL).
    pub fn redacted(self, redactor: &Redactor) -> ProductionError {
        let r = |s: String| redactor.redact(&s);
        match self {
            ProductionError::NothingFound { source_name, detail } => ProductionError::NothingFound {
                source_name: r(source_name),
                detail: r(detail),
            },
            ProductionError::NotInRepository { source_name, said } => ProductionError::NotInRepository {
                source_name: r(source_name),
                said: r(said),
            },
            ProductionError::Disagree { readings } => ProductionError::Disagree {
                readings: redact_readings(readings, redactor),
            },
            other => other,
        }
    }
}

/// Returns `readings` with secret values masked in what the sources are and said.
pub(crate) fn redact_readings(mut readings: Vec<ProductionReading>, redactor: &Redactor) -> Vec<ProductionReading> {
    for r in &mut readings {
        r.source = redactor.redact(&r.source);
        r.said = redactor.redact(&r.said);
    }
    readings
}

/// Returns what each reading said, for messages (`http URL says 3f2a9c1, ...`).
pub(crate) fn describe(readings: &[ProductionReading]) -> String {
    readings
        .iter()
        .map(|r| format!("{} says {}", r.source, r.commit.short()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves the production commit. Without `explicit`, every configured
/// source is read and all must agree. With it, `explicit` is the commit, and
/// the configured sources are read as well, so that the plan can show (and
/// block on) a `--production` they contradict; a source that cannot be read
/// then is noted, not fatal: a broken source is why people pass `--production`.
pub fn resolve(
    git: &Git,
    sources: &ProductionSources,
    forge: Option<&crate::config::Forge>,
    explicit: Option<&str>,
) -> Result<ProductionSha, ProductionError> {
    let Some(rev) = explicit else {
        let readings = read_sources(git, sources, forge)
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Result<Vec<_>, _>>()?;
        let first = readings.first().ok_or(ProductionError::NoSource)?.commit.clone();
        if readings.iter().any(|r| r.commit != first) {
            return Err(ProductionError::Disagree { readings });
        }
        return Ok(ProductionSha {
            commit: first,
            readings,
            unread: Vec::new(),
        });
    };
    let given = reading(git, "--production".into(), rev.to_string())?;
    let commit = given.commit.clone();
    let mut readings = vec![given];
    let mut unread = Vec::new();
    for (source, result) in read_sources(git, sources, forge) {
        match result {
            Ok(r) => readings.push(r),
            Err(e) => unread.push(UnreadSource {
                source,
                detail: e.to_string(),
            }),
        }
    }
    Ok(ProductionSha {
        commit,
        readings,
        unread,
    })
}

/// Reads each configured source: its name and what it gave.
fn read_sources(
    git: &Git,
    sources: &ProductionSources,
    forge: Option<&crate::config::Forge>,
) -> Vec<(String, Result<ProductionReading, ProductionError>)> {
    let mut readings = Vec::new();
    if let (Some(environment), Some(forge)) = (&sources.forge_environment, forge) {
        readings.push(read_forge(git, forge, environment));
    }
    if let Some(glob) = &sources.tag {
        let name = format!("tag {glob}");
        let found = git.newest_tag(glob).map_err(ProductionError::from).and_then(|tag| {
            let (tag, _) = tag.ok_or_else(|| ProductionError::NothingFound {
                source_name: name.clone(),
                detail: format!("no tag matches `{glob}`"),
            })?;
            reading(git, name.clone(), tag)
        });
        readings.push((name, found));
    }
    if let Some(command) = &sources.command {
        let name = format!("command `{command}`");
        let timeout = sources.command_timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT);
        let found = run_command(git, command, timeout).and_then(|said| {
            let said = said.map_err(|detail| ProductionError::NothingFound {
                source_name: name.clone(),
                detail,
            })?;
            reading(git, name.clone(), said)
        });
        readings.push((name, found));
    }
    if let Some(http) = &sources.http {
        let name = format!("http {}#{}", http.url, http.pointer);
        let found = read_http(http)
            .map_err(|detail| ProductionError::NothingFound {
                source_name: name.clone(),
                detail,
            })
            .and_then(|said| reading(git, name.clone(), said));
        readings.push((name, found));
    }
    readings
}

/// Reads the environment's last successful deployment from the forge; the
/// source names the deployment and its page, so the evidence records them.
fn read_forge(
    git: &Git,
    config: &crate::config::Forge,
    environment: &str,
) -> (String, Result<ProductionReading, ProductionError>) {
    let name = format!("{:?} environment `{environment}`", config.kind).to_lowercase();
    let mut redactor = Redactor::default();
    let found = crate::forge::open_from_env(config, git.dir(), &mut redactor)
        .and_then(|forge| forge.production_deployment(environment))
        .map_err(|e| ProductionError::NothingFound {
            source_name: name.clone(),
            detail: redactor.redact(&e.to_string()),
        })
        .and_then(|deployment| {
            let deployment = deployment.ok_or_else(|| ProductionError::NothingFound {
                source_name: name.clone(),
                detail: "it has no successful deployment".into(),
            })?;
            let source = format!("{name} deployment #{} ({})", deployment.id, deployment.web_url);
            reading(git, source, deployment.sha)
        });
    (name, found)
}

fn reading(git: &Git, source: String, said: String) -> Result<ProductionReading, ProductionError> {
    // No revision holds a control byte (git refuses them in ref names), and a
    // NUL cannot even be passed to git as an argument.
    if said.chars().any(char::is_control) {
        return Err(ProductionError::NotInRepository {
            source_name: source,
            said,
        });
    }
    match git.resolve_commit(&said) {
        Ok(commit) => Ok(ProductionReading { source, said, commit }),
        Err(GitError::UnknownRevision { .. }) => Err(ProductionError::NotInRepository {
            source_name: source,
            said,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Runs the production command in its own process group, killed at
/// `timeout`; returns its first word, or why it gave none.
fn run_command(git: &Git, command: &str, timeout: Duration) -> Result<Result<String, String>, ProductionError> {
    let job = Job {
        command,
        dir: git.dir(),
        env: &[],
        timeout,
    };
    let (mut stdout, mut stderr) = (String::new(), Vec::new());
    let outcome = command::run(
        &job,
        &Redactor::default(),
        &StopRequest::default(),
        &mut |which, line| match which {
            Stream::Stdout => {
                stdout.push_str(line);
                stdout.push('\n');
            }
            Stream::Stderr => stderr.push(line.to_string()),
        },
    );
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return Ok(Err(format!("could not run it: {e}"))),
    };
    if outcome.timed_out {
        return Err(ProductionError::CommandTimedOut {
            command: command.to_string(),
            timeout,
        });
    }
    if !outcome.succeeded() {
        return Ok(Err(format!(
            "it ended with {}: {}",
            outcome.describe(),
            stderr.join("\n").trim()
        )));
    }
    Ok(first_token(&stdout).ok_or_else(|| "it printed nothing".to_string()))
}

fn read_http(source: &HttpSource) -> Result<String, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(source.timeout_secs))
        .build();
    let response = agent.get(&source.url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => format!("GET {} answered HTTP {code}", source.url),
        ureq::Error::Transport(t) => format!("GET {} failed: {t}", source.url),
    })?;
    let body = response
        .into_string()
        .map_err(|e| format!("could not read the response body: {e}"))?;
    if source.pointer.is_empty() {
        return first_token(&body).ok_or_else(|| "the response body is empty".to_string());
    }
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("the response is not JSON ({e}): {}", truncate(&body)))?;
    match json.pointer(&source.pointer) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(other) => Err(format!("`{}` holds {other}, not a SHA", source.pointer)),
        None => Err(format!(
            "the response has nothing at `{}`: {}",
            source.pointer,
            truncate(&body)
        )),
    }
}

fn first_token(text: &str) -> Option<String> {
    text.split_whitespace().next().map(str::to_string)
}

fn truncate(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
