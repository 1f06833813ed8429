//! `[forge]`: the GitLab or GitHub the team releases through.
//!
//! ```toml
//! [forge]
//! kind = "gitlab"                        # or "github"
//! url = "https://gitlab.example.com"     # GitLab: API at {url}/api/v4; GitHub: https://api.github.com or {url}/api/v3
//! project = "fleet/billing"              # GitLab path or numeric id; GitHub "owner/repo"
//! token_env = "GITLAB_TOKEN"             # default GITLAB_TOKEN / GITHUB_TOKEN; else `git credential fill` for the host
//! timeout = "30s"                        # one request, connect to last byte (default 30s)
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration;

/// Which forge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    Gitlab,
    Github,
}

/// `[forge]` of hotfix.toml.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Forge {
    pub kind: ForgeKind,
    /// The forge's web URL (`https://gitlab.example.com`, `https://github.com`).
    pub url: String,
    /// GitLab: `group/project` or the numeric id; GitHub: `owner/repo`.
    pub project: String,
    /// The variable holding the token; `GITLAB_TOKEN` / `GITHUB_TOKEN` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// How long one request may take, connect to last byte, before it is
    /// a transport fault (retried when safe); 30 s when unset.
    #[serde(
        default,
        deserialize_with = "duration::deserialize_opt",
        serialize_with = "duration::serialize_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

/// The longest `forge.timeout`: a request that hangs longer is a forge
/// that is down, and the operator should hear so.
const MAX_TIMEOUT: Duration = Duration::from_secs(600);

impl Forge {
    /// Returns the name of the variable the token is read from.
    pub fn token_env_name(&self) -> &str {
        match (&self.token_env, self.kind) {
            (Some(name), _) => name,
            (None, ForgeKind::Gitlab) => "GITLAB_TOKEN",
            (None, ForgeKind::Github) => "GITHUB_TOKEN",
        }
    }

    /// Returns the REST API base: GitLab `{url}/api/v4`; GitHub
    /// `https://api.github.com` for github.com, else Enterprise Server's `{url}/api/v3`.
    pub fn api_url(&self) -> String {
        let url = self.url.trim_end_matches('/');
        match self.kind {
            ForgeKind::Gitlab => format!("{url}/api/v4"),
            ForgeKind::Github => match self.protocol_and_host() {
                Some((_, host)) if host == "github.com" || host == "api.github.com" => "https://api.github.com".into(),
                _ => format!("{url}/api/v3"),
            },
        }
    }

    /// Returns `("https", "host[:port]")`, what `git credential fill` is asked for.
    pub fn protocol_and_host(&self) -> Option<(&str, String)> {
        let (scheme, rest) = self.url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        (!authority.is_empty()).then(|| (scheme, authority.to_ascii_lowercase()))
    }

    /// Returns why `[forge]` is unusable, naming the key, or `Ok`.
    pub fn check(&self) -> Result<(), String> {
        self.check_url()?;
        self.check_project()?;
        if self.timeout.is_some_and(|t| t.is_zero() || t > MAX_TIMEOUT) {
            return Err(format!(
                "`forge.timeout` is {}; give a duration above 0 and at most {}",
                duration::format_duration(self.timeout.unwrap_or_default()),
                duration::format_duration(MAX_TIMEOUT)
            ));
        }
        if let Some(name) = &self.token_env {
            let mut chars = name.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "`forge.token_env` is `{}`, which is not an environment variable name (letters, digits, `_`)",
                    name.escape_debug()
                ));
            }
        }
        Ok(())
    }

    fn check_url(&self) -> Result<(), String> {
        let bad = |why: &str| Err(format!("`forge.url` is `{}`, {why}", self.url.escape_debug()));
        let Some((scheme, rest)) = self.url.split_once("://") else {
            return bad("which is not a URL (`https://gitlab.example.com`)");
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() || authority.contains(['?', '#']) || rest.contains(['?', '#']) {
            return bad("which needs a host and no query");
        }
        if authority.contains('@') {
            return bad("which carries credentials; give the token with `forge.token_env` or a git credential helper");
        }
        if self.url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return bad("which has spaces or control characters");
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        match scheme {
            "https" => Ok(()),
            "http" if host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) => {
                Ok(())
            }
            "http" => bad(
                "and the token would cross the network in clear; use https (http is for 127.0.0.1 and localhost only)",
            ),
            _ => bad("which is not https"),
        }
    }

    fn check_project(&self) -> Result<(), String> {
        let segment_ok = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && !s.ends_with(".git")
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let segments: Vec<&str> = self.project.split('/').collect();
        let ok = match self.kind {
            ForgeKind::Gitlab => {
                self.project.bytes().all(|b| b.is_ascii_digit()) && !self.project.is_empty()
                    || segments.len() >= 2 && segments.iter().all(|s| segment_ok(s))
            }
            ForgeKind::Github => segments.len() == 2 && segments.iter().all(|s| segment_ok(s)),
        };
        if ok {
            return Ok(());
        }
        let want = match self.kind {
            ForgeKind::Gitlab => "a project path (`fleet/billing`, `group/sub/project`) or a numeric id",
            ForgeKind::Github => "`owner/repo`",
        };
        Err(format!(
            "`forge.project` is `{}`; a {} forge needs {want}",
            self.project.escape_debug(),
            match self.kind {
                ForgeKind::Gitlab => "gitlab",
                ForgeKind::Github => "github",
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forge(kind: &str, url: &str, project: &str) -> Forge {
        toml::from_str(&format!(
            "kind = \"{kind}\"\nurl = \"{url}\"\nproject = \"{project}\"\n"
        ))
        .expect("parses")
    }

    #[test]
    fn api_urls_and_default_token_variables() {
        let gl = forge("gitlab", "https://gitlab.example.com/", "fleet/billing");
        assert_eq!(gl.api_url(), "https://gitlab.example.com/api/v4");
        assert_eq!(gl.token_env_name(), "GITLAB_TOKEN");
        assert_eq!(
            gl.protocol_and_host(),
            Some(("https", "gitlab.example.com".to_string()))
        );
        let gh = forge("github", "https://github.com", "acme/billing");
        assert_eq!(gh.api_url(), "https://api.github.com");
        assert_eq!(gh.token_env_name(), "GITHUB_TOKEN");
        assert_eq!(
            forge("github", "https://ghe.example.com", "acme/billing").api_url(),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            forge("github", "http://127.0.0.1:8080", "a/b").api_url(),
            "http://127.0.0.1:8080/api/v3"
        );
    }

    #[test]
    fn sound_settings_pass() {
        for (kind, url, project) in [
            ("gitlab", "https://gitlab.example.com", "fleet/billing"),
            ("gitlab", "https://gitlab.example.com", "42"),
            (
                "gitlab",
                "https://gitlab.example.com:8443/gitlab",
                "group/sub/my.project",
            ),
            ("github", "https://github.com", "acme/billing-api"),
            ("github", "http://127.0.0.1:9000", "acme/billing"),
            ("gitlab", "http://localhost:9000", "fleet/billing"),
            ("gitlab", "http://[::1]:9000", "fleet/billing"),
        ] {
            assert_eq!(forge(kind, url, project).check(), Ok(()), "{kind} {url} {project}");
        }
    }

    #[test]
    fn unsound_settings_name_the_key() {
        for (kind, url, project, key) in [
            ("gitlab", "http://gitlab.example.com", "fleet/billing", "forge.url"),
            ("gitlab", "ftp://gitlab.example.com", "fleet/billing", "forge.url"),
            ("gitlab", "gitlab.example.com", "fleet/billing", "forge.url"),
            (
                "gitlab",
                "https://user:pw@gitlab.example.com",
                "fleet/billing",
                "forge.url",
            ),
            ("gitlab", "https://gitlab.example.com?x=1", "fleet/billing", "forge.url"),
            ("gitlab", "http://127.0.0.1.evil.example", "fleet/billing", "forge.url"),
            ("gitlab", "https://gitlab.example.com", "billing", "forge.project"),
            (
                "gitlab",
                "https://gitlab.example.com",
                "fleet//billing",
                "forge.project",
            ),
            (
                "gitlab",
                "https://gitlab.example.com",
                "fleet/../billing",
                "forge.project",
            ),
            ("github", "https://github.com", "acme/billing/extra", "forge.project"),
            ("github", "https://github.com", "42", "forge.project"),
        ] {
            let err = forge(kind, url, project).check().expect_err(url);
            assert!(err.contains(&format!("`{key}`")), "{kind} {url} {project}: {err}");
        }
        for timeout in ["0s", "11m"] {
            let text =
                format!("kind = \"gitlab\"\nurl = \"https://g.example\"\nproject = \"a/b\"\ntimeout = \"{timeout}\"\n");
            let err = toml::from_str::<Forge>(&text)
                .expect("parses")
                .check()
                .expect_err(timeout);
            assert!(err.contains("`forge.timeout`"), "{timeout}: {err}");
        }
        let mut bad_env = forge("gitlab", "https://gitlab.example.com", "fleet/billing");
        bad_env.token_env = Some("GITLAB-TOKEN".into());
        assert!(bad_env.check().expect_err("dash").contains("`forge.token_env`"));
    }

    #[test]
    fn the_request_timeout_is_read_and_reaches_the_client() {
        let mut gl = forge("gitlab", "https://gitlab.example.com", "fleet/billing");
        assert_eq!(crate::forge::options_from_env(&gl).timeout, Duration::from_secs(30));
        gl = toml::from_str("kind = \"gitlab\"\nurl = \"https://g.example\"\nproject = \"a/b\"\ntimeout = \"2m\"\n")
            .expect("parses");
        assert_eq!(gl.check(), Ok(()));
        assert_eq!(crate::forge::options_from_env(&gl).timeout, Duration::from_secs(120));
    }

    #[test]
    fn unknown_kinds_and_keys_are_refused() {
        let kind = toml::from_str::<Forge>("kind = \"gitea\"\nurl = \"https://g\"\nproject = \"a/b\"\n");
        assert!(kind.expect_err("gitea").to_string().contains("gitlab"));
        let key = toml::from_str::<Forge>("kind = \"gitlab\"\nurl = \"https://g\"\nproject = \"a/b\"\ntoken = \"x\"\n");
        assert!(key.expect_err("token").to_string().contains("token_env"));
    }
}

#[cfg(test)]
mod in_config {
    use std::path::Path;

    use crate::config::{Config, ForgeKind};

    const BASE: &str = "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n";

    #[test]
    fn hotfix_toml_carries_the_forge_table_and_checks_it() {
        let text = format!(
            "{BASE}[forge]\nkind = \"gitlab\"\nurl = \"https://gitlab.example.com\"\nproject = \"fleet/billing\"\ntoken_env = \"GITLAB_TOKEN\"\n"
        );
        let config = Config::parse(&text, Path::new("hotfix.toml")).expect("valid");
        let forge = config.forge.expect("the table is read");
        assert_eq!(
            (forge.kind, forge.project.as_str()),
            (ForgeKind::Gitlab, "fleet/billing")
        );
        assert_eq!(
            Config::parse(BASE, Path::new("hotfix.toml")).expect("valid").forge,
            None
        );

        let plain =
            format!("{BASE}[forge]\nkind = \"github\"\nurl = \"http://github.example.com\"\nproject = \"a/b\"\n");
        let err = Config::parse(&plain, Path::new("hotfix.toml")).expect_err("http to a remote host");
        assert!(err.to_string().contains("`forge.url`"), "{err}");
    }

    #[test]
    fn a_config_without_forge_serializes_as_before() {
        let config = Config::parse(BASE, Path::new("hotfix.toml")).expect("valid");
        let json = serde_json::to_string(&config).expect("serializes");
        assert!(!json.contains("forge"), "{json}");
    }
}
