//! `[products.<name>]`: the products one repository releases on its own
//! (seed 003: worker mobile, client mobile, web, backend), each with its
//! production tags, its version files and its CHANGELOG.
//!
//! Everything the from-tag strategy would trip over mid-incident is refused
//! at load, naming the key: a tag pattern without `{version}`, a version file
//! of a kind no bump knows, a name that cannot be part of a branch name.

use std::collections::BTreeMap;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};

use crate::git::refname::branch_name_problem;
use crate::git::tree_path_problem;
use crate::strategy::from_tag::version_files::{TagPattern, VersionFile};

/// One product of the repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The key of its table (`[products.worker-mobile]`); part of the hotfix branch name.
    #[serde(skip)]
    pub name: String,
    /// Its production tags, e.g. `worker-mobile/prod-v{version}`.
    #[serde(serialize_with = "display")]
    pub tag: TagPattern,
    /// The repository paths of the files holding its version, each of a kind
    /// [`VersionFile::of`] knows.
    pub version_files: Vec<String>,
    /// The repository path of its CHANGELOG, when it keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changelog: Option<String>,
}

impl Product {
    /// Returns the branch a hotfix of `version` is prepared on (seed 003:
    /// `hotfix/<product>-v<PATCH+1>`).
    pub fn hotfix_branch(&self, version: &semver::Version) -> String {
        format!("hotfix/{}-v{version}", self.name)
    }
}

/// A product table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    tag: String,
    version_files: Vec<String>,
    #[serde(default)]
    changelog: Option<String>,
}

fn display<S: Serializer>(value: &TagPattern, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Deserializes the `[products]` tables and checks each; the error names the key.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Product>, D::Error> {
    let raw = BTreeMap::<String, RawProduct>::deserialize(d)?;
    let mut products = BTreeMap::new();
    for (name, raw) in raw {
        let product = check(&name, raw).map_err(D::Error::custom)?;
        products.insert(name, product);
    }
    overlapping_tags(&products).map_err(D::Error::custom)?;
    Ok(products)
}

fn check(name: &str, raw: RawProduct) -> Result<Product, String> {
    let key = format!("products.{name}");
    let sample = semver::Version::new(1, 2, 3);
    let branch = format!("hotfix/{name}-v{sample}");
    if let Some(why) = branch_name_problem(name).or_else(|| branch_name_problem(&branch)) {
        return Err(format!(
            "product name `{name}` (table `[{key}]`) cannot be part of the branch name `{branch}` ({why})"
        ));
    }
    let tag = TagPattern::parse(&raw.tag).map_err(|e| format!("key `{key}.tag`: {e}"))?;
    let sample_tag = tag.tag_for(&sample);
    if let Some(why) = branch_name_problem(&sample_tag) {
        return Err(format!(
            "key `{key}.tag` = `{}` makes tags such as `{sample_tag}`, which git refuses ({why})",
            raw.tag
        ));
    }
    if raw.version_files.is_empty() {
        return Err(format!(
            "key `{key}.version_files` is empty; a hotfix raises the PATCH version, so list the files that hold it"
        ));
    }
    for (i, path) in raw.version_files.iter().enumerate() {
        let item = format!("{key}.version_files[{i}]");
        if let Some(why) = tree_path_problem(path) {
            return Err(format!("key `{item}` = `{path}` is not a repository path ({why})"));
        }
        if VersionFile::of(path).is_none() {
            return Err(format!(
                "key `{item}` = `{path}` is not a version file git-hotfix can bump; accepted file names: {}",
                VersionFile::KNOWN_NAMES
            ));
        }
        if raw.version_files[..i].contains(path) {
            return Err(format!("key `{item}` = `{path}` is listed twice"));
        }
    }
    if let Some(path) = &raw.changelog {
        if let Some(why) = tree_path_problem(path) {
            return Err(format!(
                "key `{key}.changelog` = `{path}` is not a repository path ({why})"
            ));
        }
        if raw.version_files.contains(path) {
            return Err(format!(
                "key `{key}.changelog` = `{path}` is also one of `{key}.version_files`"
            ));
        }
    }
    Ok(Product {
        name: name.to_string(),
        tag,
        version_files: raw.version_files,
        changelog: raw.changelog,
    })
}

/// Refuses two products whose tag patterns take each other's tags: each
/// product must see only its own production tags.
fn overlapping_tags(products: &BTreeMap<String, Product>) -> Result<(), String> {
    let sample = semver::Version::new(1, 2, 3);
    for (a, pa) in products {
        let tag = pa.tag.tag_for(&sample);
        for (b, pb) in products {
            if a != b && pb.tag.version_of(&tag).is_some() {
                return Err(format!(
                    "keys `products.{a}.tag` = `{}` and `products.{b}.tag` = `{}` overlap: the tag `{tag}` would count as both products'",
                    pa.tag, pb.tag
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const BASE: &str = "strategy = \"restore-release\"\n[branches]\nmain = \"main\"\nrelease = \"release\"\n";

    const PRODUCTS: &str = r#"
[products.worker-mobile]
tag = "worker-mobile/prod-v{version}"
version_files = ["apps/mobile/apps/worker/pubspec.yaml"]
changelog = "apps/mobile/CHANGELOG.md"

[products.web]
tag = "web/prod-v{version}"
version_files = ["apps/web/package.json", "apps/web/VERSION"]
"#;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("hotfix.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn products_parse_and_round_trip_through_json() {
        let c = parse(&format!("{BASE}{PRODUCTS}")).expect("parses");
        let worker = &c.products["worker-mobile"];
        assert_eq!(worker.name, "worker-mobile");
        assert_eq!(worker.tag.to_string(), "worker-mobile/prod-v{version}");
        assert_eq!(worker.changelog.as_deref(), Some("apps/mobile/CHANGELOG.md"));
        assert_eq!(c.products["web"].changelog, None);
        assert_eq!(
            worker.hotfix_branch(&semver::Version::new(0, 1, 1)),
            "hotfix/worker-mobile-v0.1.1"
        );
        let json = serde_json::to_string(&c).expect("serializes");
        let back: Config = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, c);
        assert!(
            parse(BASE).expect("parses").products.is_empty(),
            "[products] is optional"
        );
    }

    #[test]
    fn bad_product_values_are_refused_naming_the_key() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "tag = \"worker-mobile/prod-v{version}\"",
                "tag = \"worker-mobile/prod\"",
                "key `products.worker-mobile.tag`: tag pattern `worker-mobile/prod` must hold `{version}`",
            ),
            (
                "tag = \"web/prod-v{version}\"",
                "tag = \"web prod-v{version}\"",
                "key `products.web.tag` = `web prod-v{version}` makes tags such as `web prod-v1.2.3`",
            ),
            (
                "\"apps/web/VERSION\"",
                "\"apps/web/version.json\"",
                "key `products.web.version_files[1]` = `apps/web/version.json` is not a version file",
            ),
            (
                "\"apps/web/VERSION\"",
                "\"../VERSION\"",
                "key `products.web.version_files[1]` = `../VERSION` is not a repository path",
            ),
            (
                "\"apps/web/VERSION\"",
                "\"apps/web/package.json\"",
                "`products.web.version_files[1]` = `apps/web/package.json` is listed twice",
            ),
            (
                "version_files = [\"apps/web/package.json\", \"apps/web/VERSION\"]",
                "version_files = []",
                "key `products.web.version_files` is empty",
            ),
            (
                "[products.web]",
                "[products.\"we b\"]",
                "product name `we b` (table `[products.we b]`) cannot be part of the branch name",
            ),
            (
                "changelog = \"apps/mobile/CHANGELOG.md\"",
                "changelog = \"/CHANGELOG.md\"",
                "key `products.worker-mobile.changelog` = `/CHANGELOG.md`",
            ),
            (
                "tag = \"web/prod-v{version}\"",
                "tag = \"worker-mobile/prod-v{version}-web\"",
                "overlap",
            ),
            ("changelog = ", "changelg = ", "unknown field `changelg`"),
        ];
        for (from, to, wanted) in cases {
            let text = format!("{BASE}{}", PRODUCTS.replace(from, to));
            assert_ne!(text, format!("{BASE}{PRODUCTS}"), "{to}: the case changes the text");
            let err = parse(&text).unwrap_err();
            assert!(err.contains(wanted), "{to}: {err}");
        }
    }
}
