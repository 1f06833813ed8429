//! Keeps secret values out of everything git-hotfix writes: the journal, the
//! report, notifications and the terminal. A secret is the value of an
//! environment variable named in `[secrets] env` or whose name contains
//! `TOKEN`, `PASSWORD` or `SECRET`.

use crate::config::{Config, Secrets};

/// Name fragments that mark an environment variable as secret.
const SECRET_NAME_PARTS: &[&str] = &["TOKEN", "PASSWORD", "SECRET"];

/// Values shorter than this are not masked: masking `1` or `on` everywhere
/// would garble output and hide nothing worth hiding.
const MIN_SECRET_LEN: usize = 4;

/// Replaces secret values with `[redacted NAME]`.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (name, value), longest value first so a secret containing another is masked whole.
    secrets: Vec<(String, String)>,
}

impl Redactor {
    /// Collects the secrets from `vars` (normally the process environment).
    pub fn new(config: &Secrets, vars: impl IntoIterator<Item = (String, String)>) -> Redactor {
        let mut secrets: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(name, value)| {
                let upper = name.to_ascii_uppercase();
                value.len() >= MIN_SECRET_LEN
                    && (config.env.iter().any(|n| n == name) || SECRET_NAME_PARTS.iter().any(|p| upper.contains(p)))
            })
            .collect();
        secrets.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        Redactor { secrets }
    }

    /// Collects the secrets from the process environment.
    pub fn from_env(config: &Secrets) -> Redactor {
        Redactor::new(
            config,
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Adds one secret found elsewhere than the environment (a forge token
    /// from `git credential fill`, say), masked as `[redacted NAME]`.
    pub fn add_secret(&mut self, name: &str, value: &str) {
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|(_, v)| v == value) {
            return;
        }
        self.secrets.push((name.to_string(), value.to_string()));
        self.secrets
            .sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// Returns `text` with every secret value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, value) in &self.secrets {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("[redacted {name}]"));
            }
        }
        out
    }

    /// Returns `text` with every `[redacted NAME]` this redactor made put
    /// back to the value: for configuration the journal keeps masked and a
    /// run uses with the operator's own environment.
    pub fn restore(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, value) in &self.secrets {
            let mark = format!("[redacted {name}]");
            if out.contains(&mark) {
                out = out.replace(&mark, value);
            }
        }
        out
    }

    /// Returns `config` with every secret value masked, as the journal keeps it.
    pub fn redact_config(&self, config: &Config) -> Config {
        map_strings(config, |s| self.redact(s))
    }

    /// Returns `value` (a plan's steps, say) with every secret value masked.
    pub fn redact_all<T: serde::Serialize + serde::de::DeserializeOwned>(&self, value: &T) -> T {
        map_strings(value, |s| self.redact(s))
    }

    /// Returns `value` read from the journal with its masked values put back
    /// from this environment (those it lacks stay masked).
    pub fn restore_all<T: serde::Serialize + serde::de::DeserializeOwned>(&self, value: &T) -> T {
        map_strings(value, |s| self.restore(s))
    }

    /// Returns a configuration read from the journal with its masked values
    /// put back from this environment (those it lacks stay masked).
    pub fn restore_config(&self, config: &Config) -> Config {
        map_strings(config, |s| self.restore(s))
    }

    /// Returns the names of the secret variables (never their values).
    pub fn names(&self) -> Vec<&str> {
        self.secrets.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// Applies `f` to every string of `value`, through its JSON form.
fn map_strings<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T, f: impl Fn(&str) -> String) -> T {
    fn walk(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
        match v {
            serde_json::Value::String(s) => *s = f(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, f)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|i| walk(i, f)),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(value).expect("configs and steps serialize: plain data, string keys");
    walk(&mut json, &f);
    serde_json::from_value(json).expect("a value with its strings replaced has the same shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn masks_named_and_pattern_matched_values_only() {
        let config = Secrets {
            env: vec!["DEPLOY_KEY".into()],
        };
        let r = Redactor::new(
            &config,
            vars(&[
                ("GITLAB_TOKEN", "glpat-abc123"),
                ("db_password", "hunter22"),
                ("DEPLOY_KEY", "k3y-value"),
                ("HOME", "/home/olly"),
                ("API_SECRET", "on"),
            ]),
        );
        let text = "token glpat-abc123 pw hunter22 key k3y-value home /home/olly flag on";
        assert_eq!(
            r.redact(text),
            "token [redacted GITLAB_TOKEN] pw [redacted db_password] key [redacted DEPLOY_KEY] home /home/olly flag on"
        );
    }

    #[test]
    fn an_added_secret_is_masked_and_a_known_one_not_added_twice() {
        let mut r = Redactor::new(&Secrets::default(), vars(&[("GITLAB_TOKEN", "glpat-abc123")]));
        r.add_secret("git credential for gitlab.example.com", "from-helper-9");
        r.add_secret("OTHER", "glpat-abc123");
        r.add_secret("SHORT", "abc");
        assert_eq!(
            r.redact("a from-helper-9 b glpat-abc123 abc"),
            "a [redacted git credential for gitlab.example.com] b [redacted GITLAB_TOKEN] abc"
        );
    }

    #[test]
    fn longer_secret_is_masked_whole() {
        let r = Redactor::new(
            &Secrets::default(),
            vars(&[("A_TOKEN", "abcd"), ("B_TOKEN", "abcdefgh")]),
        );
        assert_eq!(r.redact("x abcdefgh y"), "x [redacted B_TOKEN] y");
    }
}
