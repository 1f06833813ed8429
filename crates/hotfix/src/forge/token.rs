//! The forge token: from the variable `[forge] token_env` names (default
//! `GITLAB_TOKEN` / `GITHUB_TOKEN`), else from `git credential fill` for the
//! forge's host, as `git push` over HTTPS would find it. Whichever it is, the
//! value is registered with the [`Redactor`], so it is masked everywhere.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::ForgeError;
use crate::config;
use crate::secrets::Redactor;

/// A forge token. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    value: String,
    /// A GitLab CI job's own token (`CI_JOB_TOKEN`), sent as `JOB-TOKEN`.
    job: bool,
}

impl Token {
    pub fn new(value: impl Into<String>) -> Token {
        Token {
            value: value.into(),
            job: false,
        }
    }

    /// Returns a GitLab CI job's own token (`CI_JOB_TOKEN`).
    pub fn job(value: impl Into<String>) -> Token {
        Token {
            value: value.into(),
            job: true,
        }
    }

    /// Returns true for a CI job's own token.
    pub fn is_job_token(&self) -> bool {
        self.job
    }

    /// Returns the value, for the request header only.
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Where the token was found (never the token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// An environment variable, by name.
    Env(String),
    /// `git credential fill` for this host.
    Credential { host: String },
    /// The GitLab CI job's own token, `CI_JOB_TOKEN`, when `token_env` is
    /// not set in the job: accepted by some endpoints only.
    JobToken,
}

impl TokenSource {
    /// Returns the name the redactor masks the token with.
    pub fn secret_name(&self) -> String {
        match self {
            TokenSource::Env(name) => name.clone(),
            TokenSource::Credential { host } => format!("git credential for {host}"),
            TokenSource::JobToken => JOB_TOKEN.to_string(),
        }
    }
}

/// The variable a GitLab CI job's own token is in.
pub const JOB_TOKEN: &str = "CI_JOB_TOKEN";

/// Returns the token for `forge`: the variable `token_env` names, read with
/// `var`, else inside a GitLab CI job (`GITLAB_CI=true`) on a GitLab forge
/// the job's own `CI_JOB_TOKEN`, else `git credential fill` run in `cwd`;
/// and registers it with `redactor`.
pub fn resolve_token(
    forge: &config::Forge,
    var: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
    redactor: &mut Redactor,
) -> Result<(Token, TokenSource), ForgeError> {
    let env_name = forge.token_env_name();
    let present = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let in_gitlab_job = forge.kind == config::ForgeKind::Gitlab && present("GITLAB_CI").as_deref() == Some("true");
    let (token, source) = match present(env_name) {
        Some(value) => (value.trim().to_string(), TokenSource::Env(env_name.to_string())),
        None if in_gitlab_job && present(JOB_TOKEN).is_some() => {
            let value = present(JOB_TOKEN).unwrap_or_default().trim().to_string();
            redactor.add_secret(JOB_TOKEN, &value);
            return Ok((Token::job(value), TokenSource::JobToken));
        }
        None => {
            let (protocol, host) = forge.protocol_and_host().ok_or_else(|| ForgeError::BadUrl {
                url: forge.url.clone(),
                reason: "has no host".into(),
            })?;
            let mut command = Command::new("git");
            command.current_dir(cwd);
            match credential_fill(command, protocol, &host) {
                Ok(Some(password)) => (password, TokenSource::Credential { host }),
                Ok(None) => {
                    return Err(ForgeError::NoToken {
                        host,
                        tried: format!("`{env_name}` is not set and `git credential fill` gave no password"),
                    })
                }
                Err(reason) => {
                    return Err(ForgeError::NoToken {
                        host,
                        tried: format!("`{env_name}` is not set and `git credential fill` failed: {reason}"),
                    })
                }
            }
        }
    };
    redactor.add_secret(&source.secret_name(), &token);
    Ok((Token::new(token), source))
}

/// Runs `git credential fill` (the `git` of `command`) for `protocol://host`,
/// never prompting, and returns the `password=` it answers.
pub(crate) fn credential_fill(mut command: Command, protocol: &str, host: &str) -> Result<Option<String>, String> {
    let mut child = command
        .args(["credential", "fill"])
        // A terminal prompt in the middle of an incident, or a GUI askpass, would hang the run.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("SSH_ASKPASS", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run git: {e}"))?;
    let request = format!("protocol={protocol}\nhost={host}\n\n");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(request.as_bytes())
            .map_err(|e| format!("could not write to git: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("could not run git: {e}"))?;
    if !out.status.success() {
        // With no helper and no terminal, git exits non-zero: that is "no credential", not a fault.
        return Ok(None);
    }
    Ok(parse_password(&String::from_utf8_lossy(&out.stdout)))
}

/// Returns the `password=` of a `git credential` answer.
fn parse_password(answer: &str) -> Option<String> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("password="))
        .map(str::to_string)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secrets;

    #[test]
    fn the_token_never_shows_in_debug() {
        assert_eq!(format!("{:?}", Token::new("glpat-secret")), "Token([redacted])");
    }

    #[test]
    fn passwords_are_read_from_the_credential_answer() {
        assert_eq!(
            parse_password("protocol=https\nhost=gitlab.example.com\nusername=ci\npassword=glpat-1234\n"),
            Some("glpat-1234".into())
        );
        assert_eq!(parse_password("protocol=https\nhost=h\n"), None);
        assert_eq!(parse_password("password=\n"), None);
    }

    fn isolated_git(dir: &Path, helper: &str) -> Command {
        let mut command = Command::new("git");
        command
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", dir)
            .args(["-c", &format!("credential.helper={helper}")]);
        command
    }

    #[test]
    fn credential_fill_asks_the_helper_for_the_host() {
        let dir = tempfile::tempdir().expect("temp dir");
        let helper = "!f() { test \"$1\" = get || exit 0; while read l && test -n \"$l\"; do echo \"$l\" >> asked; done; echo username=ci; echo password=from-helper-9; }; f";
        let got = credential_fill(isolated_git(dir.path(), helper), "https", "gitlab.example.com");
        assert_eq!(got, Ok(Some("from-helper-9".into())));
        let asked = std::fs::read_to_string(dir.path().join("asked")).expect("the helper saw the request");
        assert!(
            asked.contains("protocol=https") && asked.contains("host=gitlab.example.com"),
            "{asked}"
        );
        let none = credential_fill(isolated_git(dir.path(), "!true"), "https", "gitlab.example.com");
        assert_eq!(none, Ok(None));
    }

    #[test]
    fn an_env_token_is_registered_with_the_redactor() {
        let forge: config::Forge = toml::from_str(
            "kind = \"gitlab\"\nurl = \"https://gitlab.example.com\"\nproject = \"fleet/billing\"\ntoken_env = \"HOTFIX_FORGE_KEY\"\n",
        )
        .expect("parses");
        let mut redactor = Redactor::new(&Secrets::default(), Vec::new());
        let var = |name: &str| (name == "HOTFIX_FORGE_KEY").then(|| "glpat-abcdef".to_string());
        let (token, source) =
            resolve_token(&forge, &var, Path::new("."), &mut redactor).expect("the variable holds the token");
        assert_eq!(token.expose(), "glpat-abcdef");
        assert_eq!(source, TokenSource::Env("HOTFIX_FORGE_KEY".into()));
        assert_eq!(redactor.redact("sent glpat-abcdef"), "sent [redacted HOTFIX_FORGE_KEY]");
    }
}
