//! `[trunk]` and `[staging]` (seed 004): how a trunk team decides whether
//! main since production is releasable, how its exceptional hotfix tags are
//! named, and the hotfix staging environment a hotfix branch is deployed to
//! before production.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration;
use super::gates::{Deploy, Smoke, Verify};

/// `[trunk]`: the standard path's verdict on main, and the exceptional
/// path's tags.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Trunk {
    /// How main's releasability is decided: `{ command = "..." }` or `"forge"`.
    pub releasable: Releasable,
    /// The glob of the tags that name production's version (`v*`); the
    /// newest such tag on production's commit gives it, `v` stripped.
    #[serde(default = "default_production_tag")]
    pub production_tag: String,
    /// The exceptional path's tag: `{version}` is production's version,
    /// `{n}` counts that version's hotfix tags from 1.
    #[serde(default = "default_tag")]
    pub tag: String,
}

/// How main's releasability is decided.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Releasable {
    /// A team command: exit 0 means releasable. It gets `HOTFIX_MAIN_SHA`.
    Command(ReleasableCommand),
    /// `"forge"`: main's latest pipeline for main's tip passed.
    Forge(ForgeWord),
}

/// The one word `releasable` may be instead of a command table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeWord {
    Forge,
}

/// `releasable = { command = "./ci/main-releasable.sh" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasableCommand {
    pub command: String,
    #[serde(
        default = "default_releasable_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
}

/// `[staging]`: the hotfix staging environment (seed 004's "separate
/// hotfix staging environment"), in the shapes of the top-level `[deploy]`,
/// `[verify]` and `[[smoke]]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Staging {
    pub deploy: Deploy,
    #[serde(default)]
    pub verify: Verify,
    #[serde(default)]
    pub smoke: Vec<Smoke>,
}

impl Trunk {
    /// Says what is wrong with the table, naming the key.
    pub(super) fn check(&self, has_forge: bool) -> Result<(), String> {
        match &self.releasable {
            Releasable::Command(c) if c.command.trim().is_empty() => {
                return Err(
                    "`trunk.releasable.command` is empty: give the command that exits 0 when main is releasable".into(),
                )
            }
            Releasable::Forge(_) if !has_forge => {
                return Err("`trunk.releasable = \"forge\"` needs `[forge]`, whose pipeline of main decides".into())
            }
            _ => {}
        }
        if self.production_tag.trim().is_empty() {
            return Err("`trunk.production_tag` is empty: give the glob of production's version tags (`v*`)".into());
        }
        if glob::Pattern::new(&self.production_tag).is_err() {
            return Err(format!(
                "`trunk.production_tag` has `{}`, which is not a glob",
                self.production_tag
            ));
        }
        let order = self.tag.find("{version}").zip(self.tag.find("{n}"));
        if order.is_none_or(|(version, n)| version > n) {
            return Err(format!(
                "`trunk.tag` is `{}`: it needs `{{version}}`, then `{{n}}` (default `v{{version}}-hotfix.{{n}}`)",
                self.tag
            ));
        }
        Ok(())
    }

    /// Returns the hotfix tag of `version` numbered `n`.
    pub fn tag_for(&self, version: &str, n: u64) -> String {
        self.tag.replace("{version}", version).replace("{n}", &n.to_string())
    }

    /// Returns the version `tag` is a hotfix of, when it is a hotfix tag.
    pub fn hotfix_version_of(&self, tag: &str) -> Option<String> {
        let (prefix, rest) = self.tag.split_once("{version}")?;
        let (middle, suffix) = rest.split_once("{n}")?;
        let inner = tag.strip_prefix(prefix)?.strip_suffix(suffix)?;
        let (version, n) = inner.rsplit_once(middle)?;
        (!version.is_empty() && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then(|| version.to_string())
    }

    /// Returns `n` when `tag` is the hotfix tag of `version` numbered `n`.
    pub fn number_of(&self, version: &str, tag: &str) -> Option<u64> {
        let with_version = self.tag.replace("{version}", version);
        let (before, after) = with_version.split_once("{n}")?;
        let n = tag.strip_prefix(before)?.strip_suffix(after)?;
        (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .then(|| n.parse().ok())
            .flatten()
    }
}

impl Staging {
    /// Says what is wrong with the table, naming the key.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.deploy.command.trim().is_empty() {
            return Err(
                "`staging.deploy.command` is required: the command that deploys the hotfix branch to the hotfix \
                 staging environment"
                    .into(),
            );
        }
        if self.deploy.job.is_some() {
            return Err("`staging.deploy.job` is not supported: the staging deploy is a `command`".into());
        }
        Ok(())
    }
}

fn default_production_tag() -> String {
    "v*".into()
}
fn default_tag() -> String {
    "v{version}-hotfix.{n}".into()
}
fn default_releasable_timeout() -> Duration {
    Duration::from_secs(5 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(tag: &str) -> Trunk {
        Trunk {
            releasable: Releasable::Forge(ForgeWord::Forge),
            production_tag: "v*".into(),
            tag: tag.into(),
        }
    }

    #[test]
    fn hotfix_tags_are_numbered() {
        let t = trunk("v{version}-hotfix.{n}");
        assert_eq!(t.tag_for("1.4.0", 2), "v1.4.0-hotfix.2");
        assert_eq!(t.number_of("1.4.0", "v1.4.0-hotfix.12"), Some(12));
        assert_eq!(t.number_of("1.4.0", "v1.4.1-hotfix.1"), None);
        assert_eq!(t.number_of("1.4.0", "v1.4.0-hotfix."), None);
        assert_eq!(t.number_of("1.4.0", "v1.4.0-hotfix.1x"), None);
        assert_eq!(t.hotfix_version_of("v1.4.0-hotfix.3").as_deref(), Some("1.4.0"));
        assert_eq!(t.hotfix_version_of("v1.4.0"), None);
    }

    #[test]
    fn releasable_reads_a_command_or_forge() {
        let c: Trunk = toml::from_str("releasable = { command = \"./ci/ok.sh\" }").expect("a command table");
        assert!(matches!(c.releasable, Releasable::Command(ref r) if r.command == "./ci/ok.sh"));
        let f: Trunk = toml::from_str("releasable = \"forge\"").expect("the word forge");
        assert_eq!(f.releasable, Releasable::Forge(ForgeWord::Forge));
        assert!(toml::from_str::<Trunk>("releasable = \"gitlab\"").is_err());
        assert!(trunk("v{version}").check(true).is_err());
    }
}
