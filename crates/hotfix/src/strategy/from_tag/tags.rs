//! A product's production tags (seed 003: `krow-withus-worker-mobile/prod-v0.1.0`):
//! which of the local tags are its own, which one production runs, and the
//! version and store build number the hotfix takes.
//!
//! Only local `refs/tags/` are read: the caller fetches the remote's tags
//! first, so that what is seen here is what the team has tagged.

use semver::Version;

use super::version_files::{VersionError, VersionFile};
use crate::config::Product;
use crate::git::{Git, GitError, Oid};

/// One of a product's production tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductTag {
    /// The tag's name without `refs/tags/`.
    pub name: String,
    /// The version the name carries.
    pub version: Version,
    /// The commit the tag names, annotated tags peeled.
    pub commit: Oid,
}

/// The version a hotfix takes, and why when it is not production's PATCH + 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextVersion {
    pub version: Version,
    /// Set when versions were skipped because tags already take them (a
    /// release production was rolled back from).
    pub skipped: Option<String>,
}

/// The store build number a hotfix takes (a pubspec's `+N`): one above the
/// highest any of the product's tags ever carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextBuild {
    pub build: u64,
    /// The highest build number found, and where.
    pub highest: u64,
    pub tag: String,
    pub path: String,
}

/// Errors finding a product's tags.
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("product `{product}` has no production tag: no local tag matches `{pattern}` without a pre-release part (fetch the tags first: `git fetch --tags`, or name the tag)")]
    NoTags { product: String, pattern: String },
    #[error("tag `{tag}` is not one of product `{product}`'s production tags: they match `{pattern}`")]
    NotThisProduct {
        tag: String,
        product: String,
        pattern: String,
    },
    #[error("tag `{tag}` does not exist locally (fetch the tags first: `git fetch --tags`)")]
    NotFound { tag: String },
    #[error("tag `{tag}` does not name a commit")]
    NotACommit { tag: String },
    #[error("{path} at tag `{tag}` cannot be read for its build number: {source}")]
    BuildUnreadable {
        tag: String,
        path: String,
        #[source]
        source: VersionError,
    },
    #[error("{path} at tag `{tag}` is not UTF-8 text")]
    NotText { tag: String, path: String },
    #[error("build number {highest} of {path} at tag `{tag}` has no successor")]
    BuildOverflow { highest: u64, tag: String, path: String },
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Returns the product's production tags among the local tags, lowest
/// version first; annotated and lightweight tags alike, each peeled to its
/// commit. A matching tag that names no commit is left out.
pub fn product_tags(git: &Git, product: &Product) -> Result<Vec<ProductTag>, TagError> {
    let out = git.run(&["for-each-ref", "--format=%(refname)", "refs/tags/"])?;
    // Filtered here, not by a for-each-ref glob: a pattern's own `[` or `*` is no wildcard.
    let matching: Vec<(&str, Version)> = out
        .lines()
        .filter_map(|refname| {
            let name = refname.strip_prefix("refs/tags/")?;
            Some((refname, product.tag.version_of(name)?))
        })
        .collect();
    let refnames: Vec<&str> = matching.iter().map(|(r, _)| *r).collect();
    let commits = git.resolve_commits(&refnames)?;
    let mut tags: Vec<ProductTag> = matching
        .into_iter()
        .zip(commits)
        .filter_map(|((refname, version), commit)| {
            Some(ProductTag {
                name: refname.trim_start_matches("refs/tags/").to_string(),
                version,
                commit: commit?,
            })
        })
        .collect();
    tags.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
    Ok(tags)
}

/// Returns the tag production runs: `explicit` when given (it must be one
/// of the product's tags), else the highest version among `tags` that has
/// no pre-release part (`prod-v1.1.0-rc.1` is production only when named).
pub fn production_tag<'a>(
    git: &Git,
    product: &Product,
    tags: &'a [ProductTag],
    explicit: Option<&str>,
) -> Result<&'a ProductTag, TagError> {
    let Some(explicit) = explicit else {
        return tags
            .iter()
            .filter(|t| t.version.pre.is_empty())
            .max_by(|a, b| a.version.cmp(&b.version))
            .ok_or_else(|| TagError::NoTags {
                product: product.name.clone(),
                pattern: product.tag.to_string(),
            });
    };
    let name = explicit.strip_prefix("refs/tags/").unwrap_or(explicit);
    if product.tag.version_of(name).is_none() {
        return Err(TagError::NotThisProduct {
            tag: name.to_string(),
            product: product.name.clone(),
            pattern: product.tag.to_string(),
        });
    }
    if let Some(tag) = tags.iter().find(|t| t.name == name) {
        return Ok(tag);
    }
    // Left out of `tags`: either missing, or naming something other than a commit.
    match git.read_ref(&format!("refs/tags/{name}"))? {
        Some(_) => Err(TagError::NotACommit { tag: name.to_string() }),
        None => Err(TagError::NotFound { tag: name.to_string() }),
    }
}

/// What a product's hotfix starts from and what it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotfixVersion {
    /// Every production tag of the product, lowest version first.
    pub tags: Vec<ProductTag>,
    /// The tag production runs, the hotfix's base.
    pub production: ProductTag,
    pub next: NextVersion,
    /// The store build number, for a product with a pubspec.
    pub build: Option<NextBuild>,
}

/// Reads the product's tags and returns the production tag (`explicit`,
/// or the highest), the hotfix's version and its build number in one go:
/// [`product_tags`], [`production_tag`], [`next_version`] and [`next_build`].
pub fn hotfix_version(git: &Git, product: &Product, explicit: Option<&str>) -> Result<HotfixVersion, TagError> {
    let tags = product_tags(git, product)?;
    let production = production_tag(git, product, &tags, explicit)?.clone();
    let next = next_version(&production, &tags);
    let build = next_build(git, product, &tags)?;
    Ok(HotfixVersion {
        tags,
        production,
        next,
        build,
    })
}

/// Returns the version the hotfix of `production` takes: its PATCH + 1, or
/// the next PATCH no tag of `tags` takes, saying why.
pub fn next_version(production: &ProductTag, tags: &[ProductTag]) -> NextVersion {
    let tagged: Vec<Version> = tags.iter().map(|t| t.version.clone()).collect();
    let (version, skipped) = super::version_files::next_patch(&production.version, &tagged);
    NextVersion { version, skipped }
}

/// Returns the build number the hotfix takes: one above the highest `+N`
/// any of the product's pubspec files holds at any of `tags`, so that the
/// store accepts the upload whichever tag was uploaded last. `None` when
/// the product has no pubspec or no tag's pubspec carries a build number.
///
/// One number serves every pubspec of the product: the highest of them all.
pub fn next_build(git: &Git, product: &Product, tags: &[ProductTag]) -> Result<Option<NextBuild>, TagError> {
    let pubspecs = product
        .version_files
        .iter()
        .filter(|p| VersionFile::of(p) == Some(VersionFile::Pubspec));
    let mut highest: Option<(u64, &str, &str)> = None;
    for path in pubspecs {
        for tag in tags {
            let Some(bytes) = git.file_at(&tag.commit, path)? else {
                // The file came later than this tag: it carried no build then.
                continue;
            };
            let text = String::from_utf8(bytes).map_err(|_| TagError::NotText {
                tag: tag.name.clone(),
                path: path.clone(),
            })?;
            let found = VersionFile::Pubspec
                .read(path, &text)
                .map_err(|source| TagError::BuildUnreadable {
                    tag: tag.name.clone(),
                    path: path.clone(),
                    source,
                })?;
            if let Some(build) = found.build {
                if highest.is_none_or(|(h, _, _)| build > h) {
                    highest = Some((build, tag.name.as_str(), path.as_str()));
                }
            }
        }
    }
    let Some((highest, tag, path)) = highest else {
        return Ok(None);
    };
    let build = highest.checked_add(1).ok_or_else(|| TagError::BuildOverflow {
        highest,
        tag: tag.to_string(),
        path: path.to_string(),
    })?;
    Ok(Some(NextBuild {
        build,
        highest,
        tag: tag.to_string(),
        path: path.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_repo::{product, TestRepo};
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    const WORKER_PUBSPEC: &str = "apps/mobile/apps/worker/pubspec.yaml";

    /// Two products in one repository, each tagged on its own.
    fn two_products() -> (TestRepo, Product, Product) {
        let mut r = TestRepo::new();
        r.commit(
            "worker 0.1.0",
            &[
                (WORKER_PUBSPEC, "name: worker\nversion: 0.1.0+5\n"),
                ("apps/web/package.json", "{\n  \"version\": \"1.4.0\"\n}\n"),
            ],
        );
        r.tag("worker-mobile/prod-v0.1.0", true);
        r.tag("web/prod-v1.4.0", false);
        r.commit("worker 0.1.1", &[(WORKER_PUBSPEC, "name: worker\nversion: 0.1.1+9\n")]);
        r.tag("worker-mobile/prod-v0.1.1", false);
        r.commit(
            "web 1.5.0",
            &[("apps/web/package.json", "{\n  \"version\": \"1.5.0\"\n}\n")],
        );
        r.tag("web/prod-v1.5.0", true);
        r.tag("worker-mobile/prod-vnext", false);
        let worker = product("worker-mobile", "worker-mobile/prod-v{version}", &[WORKER_PUBSPEC]);
        let web = product("web", "web/prod-v{version}", &["apps/web/package.json"]);
        (r, worker, web)
    }

    #[test]
    fn each_product_sees_only_its_own_tags_peeled_to_commits() {
        let (r, worker, web) = two_products();
        let tags = product_tags(&r.git, &worker).expect("tags");
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["worker-mobile/prod-v0.1.0", "worker-mobile/prod-v0.1.1"]);
        let annotated = r.git.resolve_commit("worker-mobile/prod-v0.1.0").expect("commit");
        assert_eq!(tags[0].commit, annotated, "the annotated tag is peeled to its commit");
        let web_tags = product_tags(&r.git, &web).expect("tags");
        assert_eq!(
            web_tags.iter().map(|t| t.version.clone()).collect::<Vec<_>>(),
            [v("1.4.0"), v("1.5.0")]
        );
        let prod = production_tag(&r.git, &web, &web_tags, None).expect("production");
        assert_eq!(prod.name, "web/prod-v1.5.0");
        assert_eq!(prod.commit, r.git.resolve_commit("HEAD").expect("head"));
    }

    #[test]
    fn an_explicit_production_tag_must_be_the_products_own() {
        let (r, worker, _) = two_products();
        let tags = product_tags(&r.git, &worker).expect("tags");
        let prod =
            production_tag(&r.git, &worker, &tags, Some("refs/tags/worker-mobile/prod-v0.1.0")).expect("explicit");
        assert_eq!(prod.version, v("0.1.0"));
        let err = production_tag(&r.git, &worker, &tags, Some("web/prod-v1.5.0")).unwrap_err();
        assert!(
            err.to_string()
                .contains("`web/prod-v1.5.0` is not one of product `worker-mobile`'s production tags: they match `worker-mobile/prod-v{version}`"),
            "{err}"
        );
        let err = production_tag(&r.git, &worker, &tags, Some("worker-mobile/prod-v0.0.9")).unwrap_err();
        assert!(matches!(err, TagError::NotFound { .. }), "{err}");
        let tree = r.sh(&["rev-parse", "HEAD^{tree}"]);
        r.sh(&["tag", "worker-mobile/prod-v0.0.1", tree.trim()]);
        let tags = product_tags(&r.git, &worker).expect("tags");
        assert_eq!(tags.len(), 2, "a tag of a tree is no production tag");
        let err = production_tag(&r.git, &worker, &tags, Some("worker-mobile/prod-v0.0.1")).unwrap_err();
        assert!(matches!(err, TagError::NotACommit { .. }), "{err}");
        let none = product("api", "api/prod-v{version}", &["VERSION"]);
        let err = production_tag(&r.git, &none, &[], None).unwrap_err();
        assert!(
            err.to_string().contains("no local tag matches `api/prod-v{version}`"),
            "{err}"
        );
    }

    #[test]
    fn the_next_version_skips_a_tag_production_was_rolled_back_from() {
        let (r, worker, _) = two_products();
        let tags = product_tags(&r.git, &worker).expect("tags");
        // Production was rolled back to 0.1.0; 0.1.1 exists.
        let prod = production_tag(&r.git, &worker, &tags, Some("worker-mobile/prod-v0.1.0")).expect("tag");
        let next = next_version(prod, &tags);
        assert_eq!(next.version, v("0.1.2"));
        assert!(
            next.skipped
                .as_deref()
                .is_some_and(|s| s.contains("0.1.1 already tagged")),
            "{next:?}"
        );
        let prod = production_tag(&r.git, &worker, &tags, None).expect("tag");
        assert_eq!(
            next_version(prod, &tags),
            NextVersion {
                version: v("0.1.2"),
                skipped: None
            }
        );
    }

    #[test]
    fn a_pre_release_tag_is_production_only_when_named() {
        let (mut r, worker, _) = two_products();
        r.commit("rc", &[]);
        r.tag("worker-mobile/prod-v0.2.0-rc.1", false);
        let found = hotfix_version(&r.git, &worker, None).expect("version");
        assert_eq!(found.production.name, "worker-mobile/prod-v0.1.1");
        assert_eq!(found.next.version, v("0.1.2"));
        assert_eq!(found.build.map(|b| b.build), Some(10));
        assert_eq!(found.tags.len(), 3);
        let named = hotfix_version(&r.git, &worker, Some("worker-mobile/prod-v0.2.0-rc.1")).expect("named");
        assert_eq!(named.production.version, v("0.2.0-rc.1"));
    }

    #[test]
    fn the_next_build_is_above_every_tagged_build() {
        let (r, worker, web) = two_products();
        let tags = product_tags(&r.git, &worker).expect("tags");
        // Tags carry +5 and +9: production at 0.1.0+5 still takes +10.
        assert_eq!(
            next_build(&r.git, &worker, &tags).expect("build"),
            Some(NextBuild {
                build: 10,
                highest: 9,
                tag: "worker-mobile/prod-v0.1.1".into(),
                path: WORKER_PUBSPEC.into(),
            })
        );
        let only_first = &tags[..1];
        assert_eq!(
            next_build(&r.git, &worker, only_first).expect("build").map(|b| b.build),
            Some(6)
        );
        let web_tags = product_tags(&r.git, &web).expect("tags");
        assert_eq!(next_build(&r.git, &web, &web_tags).expect("no pubspec"), None);
    }
}
