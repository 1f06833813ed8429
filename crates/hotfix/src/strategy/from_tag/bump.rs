//! The hotfix's version commit as a tree (seed 003, steps 4 and 5): every
//! version file of the product raised to the new PATCH version, a pubspec's
//! build number raised, and the CHANGELOG entry on top; written as objects
//! only, on the production tag's tree.
//!
//! What is refused, and why:
//! - a new version that is not the production version with only PATCH
//!   raised (the runbook's "PATCH only");
//! - a version file missing at the base, or holding no version;
//! - a version file whose version is not the production tag's: the tag and
//!   the files disagree about what production runs, and raising either
//!   would be a guess (fix the file on a commit of its own, or name the
//!   right tag);
//! - a pubspec whose build number would not go up (the store refuses an
//!   upload whose build is not above every earlier one);
//! - a configured CHANGELOG missing at the base (a typo in `hotfix.toml`
//!   rather than a file to create at 3 AM).

use semver::Version;

use super::changelog::{self, Entry};
use super::version_files::{FileVersion, VersionError, VersionFile};
use crate::config::Product;
use crate::git::{Git, GitError, Oid, TreeEditError};

/// What the version commit is to say.
#[derive(Clone, Debug)]
pub struct BumpRequest<'a> {
    pub product: &'a Product,
    /// The commit the version commit goes on (the production tag's commit,
    /// or the last fix picked onto it): the files are rewritten from here.
    pub base: &'a Oid,
    /// The production tag's commit: its version files must hold `production`.
    pub tag_commit: &'a Oid,
    /// The version production runs: the production tag's.
    pub production: &'a Version,
    /// The hotfix's version: `production` with PATCH raised.
    pub version: &'a Version,
    /// The store build number every pubspec gets (see [`super::tags::next_build`]).
    pub build: Option<u64>,
    /// The CHANGELOG entry's date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// What the hotfix fixes, one line; written as `HOTFIX: <summary>`.
    pub summary: &'a str,
}

/// One version file raised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileBump {
    pub path: String,
    pub from: FileVersion,
    pub to: FileVersion,
}

/// The bumped tree and what changed in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bumped {
    /// The base tree with the version files and the CHANGELOG replaced.
    pub tree: Oid,
    pub files: Vec<FileBump>,
    /// The CHANGELOG's path, when the product keeps one.
    pub changelog: Option<String>,
}

/// A version on main that merging the hotfix would lower.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downgrade {
    pub path: String,
    pub main: FileVersion,
    pub hotfix: FileVersion,
}

/// Errors writing the version commit's tree.
#[derive(Debug, thiserror::Error)]
pub enum BumpError {
    #[error("{to} is not a PATCH release of {from}: a hotfix raises PATCH only (e.g. {from} -> {})", Version::new(from.major, from.minor, from.patch + 1))]
    NotAPatch { from: Version, to: Version },
    #[error("{path} does not exist at {at}; `version_files` of product `{product}` names it")]
    Missing { path: String, at: Oid, product: String },
    #[error("{path} at {at} is not UTF-8 text")]
    NotText { path: String, at: Oid },
    #[error(
        "{path} holds version {found} at the production tag, which says {production}: fix the file or name the right tag"
    )]
    Mismatch {
        path: String,
        found: Version,
        production: Version,
    },
    #[error("a fix sets {path} to version {found}, but the hotfix's version is {version}: pick the fix without its version change, or release it as {found} by hand")]
    FixChangesVersion {
        path: String,
        found: Version,
        version: Version,
    },
    #[error("{path} has build number {found}, and the new build {}: the store needs a build above every earlier one", new.map_or("is unset".to_string(), |b| format!("{b} is not above it")))]
    BuildNotRaised { path: String, found: u64, new: Option<u64> },
    #[error("{path} (the CHANGELOG of product `{product}`) does not exist at {at}")]
    ChangelogMissing { path: String, at: Oid, product: String },
    #[error("the CHANGELOG entry needs a summary: one line on what the hotfix fixes")]
    EmptySummary,
    #[error("the CHANGELOG date `{date}` is not YYYY-MM-DD")]
    BadDate { date: String },
    #[error(
        "`{path}` is not a version file git-hotfix can bump; accepted file names: {}",
        VersionFile::KNOWN_NAMES
    )]
    UnknownKind { path: String },
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    TreeEdit(#[from] TreeEditError),
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Writes the tree of the hotfix's version commit: `request.base`'s tree
/// with the product's version files at `request.version` (a pubspec's build
/// at `request.build`) and the CHANGELOG entry on top, in the file's own
/// format. Writes objects only; no ref, index or work tree changes.
pub fn bump(git: &Git, request: &BumpRequest<'_>) -> Result<Bumped, BumpError> {
    let (from, to) = (request.production, request.version);
    let patch_only = to.major == from.major
        && to.minor == from.minor
        && to.patch > from.patch
        && to.pre.is_empty()
        && to.build.is_empty();
    if !patch_only {
        return Err(BumpError::NotAPatch {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let product = request.product;
    let mut files = Vec::new();
    let mut blobs = Vec::new();
    for path in &product.version_files {
        let kind = VersionFile::of(path).ok_or_else(|| BumpError::UnknownKind { path: path.clone() })?;
        let text = text_at(git, request.base, path)?.ok_or_else(|| BumpError::Missing {
            path: path.clone(),
            at: request.base.clone(),
            product: product.name.clone(),
        })?;
        let at_tag = match request.tag_commit == request.base {
            true => kind.read(path, &text)?,
            false => {
                let tagged = text_at(git, request.tag_commit, path)?.ok_or_else(|| BumpError::Missing {
                    path: path.clone(),
                    at: request.tag_commit.clone(),
                    product: product.name.clone(),
                })?;
                kind.read(path, &tagged)?
            }
        };
        if at_tag.version != *from {
            return Err(BumpError::Mismatch {
                path: path.clone(),
                found: at_tag.version,
                production: from.clone(),
            });
        }
        // A fix may carry the release's own version change (a commit that is
        // the fix and the bump at once): that is the hotfix's version already.
        let old = kind.read(path, &text)?;
        if old.version != *from && old.version != *to {
            return Err(BumpError::FixChangesVersion {
                path: path.clone(),
                found: old.version,
                version: to.clone(),
            });
        }
        let old = at_tag;
        let build = match (kind, old.build) {
            (VersionFile::Pubspec, Some(found)) => match request.build {
                Some(new) if new > found => Some(new),
                new => {
                    return Err(BumpError::BuildNotRaised {
                        path: path.clone(),
                        found,
                        new,
                    })
                }
            },
            (VersionFile::Pubspec, None) => request.build,
            _ => None,
        };
        let new_text = kind.write(path, &text, to, build)?;
        blobs.push((path.as_str(), git.write_blob(new_text.as_bytes())?));
        files.push(FileBump {
            path: path.clone(),
            to: FileVersion {
                version: to.clone(),
                build,
            },
            from: old,
        });
    }
    if let Some(path) = &product.changelog {
        if request.summary.trim().is_empty() {
            return Err(BumpError::EmptySummary);
        }
        if !is_date(request.date) {
            return Err(BumpError::BadDate {
                date: request.date.to_string(),
            });
        }
        let text = text_at(git, request.base, path)?.ok_or_else(|| BumpError::ChangelogMissing {
            path: path.clone(),
            at: request.base.clone(),
            product: product.name.clone(),
        })?;
        let version = to.to_string();
        let entry = Entry {
            version: &version,
            date: request.date,
            summary: request.summary,
        };
        let new_text = changelog::add_entry(&text, &entry);
        blobs.push((path.as_str(), git.write_blob(new_text.as_bytes())?));
    }
    let edits: Vec<(&str, &Oid)> = blobs.iter().map(|(p, b)| (*p, b)).collect();
    let base_tree = git.tree_of(request.base)?;
    let tree = git.tree_with(&base_tree, &edits)?;
    Ok(Bumped {
        tree,
        files,
        changelog: product.changelog.clone(),
    })
}

/// Returns the version each of the product's version files holds at
/// `commit` (main, say), in `version_files` order; a file missing there or
/// holding no version is an error.
pub fn versions_at(git: &Git, commit: &Oid, product: &Product) -> Result<Vec<(String, FileVersion)>, BumpError> {
    product
        .version_files
        .iter()
        .map(|path| {
            let kind = VersionFile::of(path).ok_or_else(|| BumpError::UnknownKind { path: path.clone() })?;
            let text = text_at(git, commit, path)?.ok_or_else(|| BumpError::Missing {
                path: path.clone(),
                at: commit.clone(),
                product: product.name.clone(),
            })?;
            Ok((path.clone(), kind.read(path, &text)?))
        })
        .collect()
}

/// Returns the files whose version on main (`main`, from [`versions_at`])
/// is above the hotfix's: carrying the hotfix's files onto main as they
/// are would lower them. A build number counts only between equal versions.
pub fn downgrades(main: &[(String, FileVersion)], bumped: &Bumped) -> Vec<Downgrade> {
    bumped
        .files
        .iter()
        .filter_map(|f| {
            let (_, on_main) = main.iter().find(|(p, _)| *p == f.path)?;
            let lower = match on_main.version.cmp(&f.to.version) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => on_main.build.unwrap_or(0) > f.to.build.unwrap_or(0),
            };
            lower.then(|| Downgrade {
                path: f.path.clone(),
                main: on_main.clone(),
                hotfix: f.to.clone(),
            })
        })
        .collect()
}

fn text_at(git: &Git, at: &Oid, path: &str) -> Result<Option<String>, BumpError> {
    let Some(bytes) = git.file_at(at, path)? else {
        return Ok(None);
    };
    String::from_utf8(bytes).map(Some).map_err(|_| BumpError::NotText {
        path: path.to_string(),
        at: at.clone(),
    })
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::super::test_repo::{product, TestRepo};
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    const WORKER: &str = "apps/mobile/apps/worker/pubspec.yaml";
    const CLIENT: &str = "apps/mobile/apps/client/pubspec.yaml";
    const MOBILE_LOG: &str = "apps/mobile/CHANGELOG.md";
    const TABLE_LOG: &str = "# Changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n| 2026-02-01 | 0.1.0 | First release |\n";

    fn request<'a>(
        product: &'a Product,
        base: &'a Oid,
        production: &'a Version,
        version: &'a Version,
    ) -> BumpRequest<'a> {
        BumpRequest {
            product,
            base,
            tag_commit: base,
            production,
            version,
            build: None,
            date: "2026-03-05",
            summary: "shift list crashes on empty week",
        }
    }

    fn show(r: &TestRepo, tree: &Oid, path: &str) -> String {
        r.sh(&["show", &format!("{tree}:{path}")])
    }

    #[test]
    fn only_the_chosen_products_files_change() {
        let mut r = TestRepo::new();
        let base = r.commit(
            "two apps",
            &[
                (WORKER, "name: worker\n# the app\nversion: 0.1.0+5 # store build\n"),
                (CLIENT, "name: client\nversion: 0.1.0+5\n"),
                (MOBILE_LOG, TABLE_LOG),
                ("apps/client/CHANGELOG.md", TABLE_LOG),
            ],
        );
        let mut worker = product("worker-mobile", "worker-mobile/prod-v{version}", &[WORKER]);
        worker.changelog = Some(MOBILE_LOG.into());
        let index_before = std::fs::read(r.dir.path().join(".git/index")).expect("index");
        let (from, to) = (v("0.1.0"), v("0.1.1"));
        let bumped = bump(
            &r.git,
            &BumpRequest {
                build: Some(6),
                ..request(&worker, &base, &from, &to)
            },
        )
        .expect("bumps");

        let base_tree = r.git.tree_of(&base).expect("tree");
        let mut changed = r.git.changed_paths(&base_tree, &bumped.tree).expect("diff");
        changed.sort();
        assert_eq!(changed, [MOBILE_LOG, WORKER]);
        assert_eq!(
            show(&r, &bumped.tree, WORKER),
            "name: worker\n# the app\nversion: 0.1.1+6 # store build\n"
        );
        assert_eq!(
            show(&r, &bumped.tree, MOBILE_LOG),
            "# Changelog\n\n| Date | Version | Change |\n|------|---------|--------|\n\
             | 2026-03-05 | 0.1.1 | HOTFIX: shift list crashes on empty week |\n\
             | 2026-02-01 | 0.1.0 | First release |\n"
        );
        assert_eq!(
            bumped.files,
            [FileBump {
                path: WORKER.into(),
                from: FileVersion {
                    version: from.clone(),
                    build: Some(5)
                },
                to: FileVersion {
                    version: to.clone(),
                    build: Some(6)
                },
            }]
        );
        assert_eq!(bumped.changelog.as_deref(), Some(MOBILE_LOG));
        assert_eq!(r.sh(&["rev-parse", "HEAD"]).trim(), base.as_str(), "HEAD stays");
        assert_eq!(
            std::fs::read(r.dir.path().join(".git/index")).expect("index"),
            index_before
        );
        assert_eq!(r.sh(&["status", "--porcelain"]), "", "the work tree stays");
    }

    #[test]
    fn a_fix_that_carries_the_release_version_is_taken_and_another_version_is_refused() {
        // Real history (sorenlouv/backport v8.9.6 -> v8.9.7): the one commit
        // of the patch release is the fix and the version change at once.
        let mut r = TestRepo::new();
        let tag = r.commit(
            "8.9.6",
            &[
                ("package.json", "{\n  \"version\": \"8.9.6\"\n}\n"),
                ("src/a.ts", "a\n"),
            ],
        );
        let fixed = r.commit(
            "v8.9.7",
            &[
                ("package.json", "{\n  \"version\": \"8.9.7\"\n}\n"),
                ("src/a.ts", "b\n"),
            ],
        );
        let web = product("web", "v{version}", &["package.json"]);
        let (from, to) = (v("8.9.6"), v("8.9.7"));
        let bumped = bump(
            &r.git,
            &BumpRequest {
                tag_commit: &tag,
                ..request(&web, &fixed, &from, &to)
            },
        )
        .expect("the fix's own version change is the hotfix's version");
        assert_eq!(
            show(&r, &bumped.tree, "package.json"),
            "{\n  \"version\": \"8.9.7\"\n}\n"
        );
        assert_eq!(bumped.files[0].from.version, from, "the version the tag held");

        let other = r.commit("v8.10.0", &[("package.json", "{\n  \"version\": \"8.10.0\"\n}\n")]);
        let refused = bump(
            &r.git,
            &BumpRequest {
                tag_commit: &tag,
                ..request(&web, &other, &from, &to)
            },
        )
        .expect_err("a fix setting another version is refused");
        assert_eq!(
            refused.to_string(),
            "a fix sets package.json to version 8.10.0, but the hotfix's version is 8.9.7: pick the fix without its \
             version change, or release it as 8.10.0 by hand"
        );
    }

    #[test]
    fn json_toml_and_plain_files_keep_their_formatting() {
        let two =
            "{\n  \"name\": \"web\",\n  \"version\": \"2.3.4\",\n  \"scripts\": {\n    \"build\": \"vite\"\n  }\n}\n";
        let four = "{\n    \"private\": true,\n    \"dependencies\": { \"version\": \"9.9.9\" },\n    \"version\": \"2.3.4\"\n}";
        let cargo = "# the API\n[package]\nname = \"api\"   # crate name\nversion = \"2.3.4\" # bumped by hotfixes\n\n[dependencies]\nserde = { version = \"1\" }\n";
        let py = "[project]\nname = 'worker'\nversion = '2.3.4'\n";
        let mut r = TestRepo::new();
        let base = r.commit(
            "all kinds",
            &[
                ("apps/web/package.json", two),
                ("backend/api/package.json", four),
                ("backend/api/Cargo.toml", cargo),
                ("backend/worker/pyproject.toml", py),
                ("VERSION", "2.3.4\n"),
            ],
        );
        let files = [
            "apps/web/package.json",
            "backend/api/package.json",
            "backend/api/Cargo.toml",
            "backend/worker/pyproject.toml",
            "VERSION",
        ];
        let all = product("all", "prod-v{version}", &files);
        let (from, to) = (v("2.3.4"), v("2.3.5"));
        let bumped = bump(&r.git, &request(&all, &base, &from, &to)).expect("bumps");
        assert_eq!(show(&r, &bumped.tree, files[0]), two.replace("2.3.4", "2.3.5"));
        assert_eq!(
            show(&r, &bumped.tree, files[1]),
            four.replace("\"version\": \"2.3.4\"", "\"version\": \"2.3.5\"")
        );
        assert!(show(&r, &bumped.tree, files[1]).contains("{ \"version\": \"9.9.9\" }"));
        assert_eq!(
            show(&r, &bumped.tree, files[2]),
            cargo.replace("\"2.3.4\"", "\"2.3.5\"")
        );
        assert!(show(&r, &bumped.tree, files[2]).contains("# bumped by hotfixes"));
        assert_eq!(show(&r, &bumped.tree, files[3]), py.replace("2.3.4", "2.3.5"));
        assert_eq!(show(&r, &bumped.tree, files[4]), "2.3.5\n");
        assert_eq!(bumped.changelog, None);
        assert!(bumped.files.iter().all(|f| f.to.build.is_none()));
    }

    #[test]
    fn keep_a_changelog_gets_its_own_section() {
        let mut r = TestRepo::new();
        let log = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-02-01\n\n- first\n";
        let base = r.commit("keep", &[("VERSION", "0.1.0\n"), ("CHANGELOG.md", log)]);
        let mut p = product("api", "api/v{version}", &["VERSION"]);
        p.changelog = Some("CHANGELOG.md".into());
        let (from, to) = (v("0.1.0"), v("0.1.1"));
        let bumped = bump(&r.git, &request(&p, &base, &from, &to)).expect("bumps");
        assert_eq!(
            show(&r, &bumped.tree, "CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n\n## [0.1.1] - 2026-03-05\n\n### Fixed\n\n\
             - HOTFIX: shift list crashes on empty week\n\n## [0.1.0] - 2026-02-01\n\n- first\n"
        );
    }

    #[test]
    fn what_cannot_be_bumped_safely_is_refused() {
        let mut r = TestRepo::new();
        let base = r.commit(
            "state",
            &[
                (WORKER, "name: worker\nversion: 0.1.0+5\n"),
                ("apps/web/package.json", "{\"name\": \"web\"}\n"),
                ("old/VERSION", "0.0.9\n"),
            ],
        );
        let (from, to) = (v("0.1.0"), v("0.1.1"));
        let cases: Vec<(Product, Version, Option<u64>, &str)> = vec![
            (
                product("w", "w/v{version}", &[WORKER]),
                v("0.2.0"),
                Some(6),
                "0.2.0 is not a PATCH release of 0.1.0: a hotfix raises PATCH only (e.g. 0.1.0 -> 0.1.1)",
            ),
            (
                product("w", "w/v{version}", &[WORKER]),
                to.clone(),
                Some(5),
                "has build number 5, and the new build 5 is not above it",
            ),
            (
                product("w", "w/v{version}", &[WORKER]),
                to.clone(),
                None,
                "has build number 5, and the new build is unset",
            ),
            (
                product("web", "web/v{version}", &["apps/web/package.json"]),
                to.clone(),
                None,
                "apps/web/package.json: no version found",
            ),
            (
                product("web", "web/v{version}", &["apps/web/VERSION"]),
                to.clone(),
                None,
                "apps/web/VERSION does not exist at",
            ),
            (
                product("old", "old/v{version}", &["old/VERSION"]),
                to.clone(),
                None,
                "old/VERSION holds version 0.0.9 at the production tag, which says 0.1.0",
            ),
        ];
        for (p, version, build, wanted) in cases {
            let err = bump(
                &r.git,
                &BumpRequest {
                    build,
                    ..request(&p, &base, &from, &version)
                },
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains(wanted), "{wanted}: {err}");
        }
        let mut p = product("w", "w/v{version}", &[WORKER]);
        p.changelog = Some("CHANGELOG.md".into());
        let err = bump(
            &r.git,
            &BumpRequest {
                build: Some(6),
                ..request(&p, &base, &from, &to)
            },
        )
        .unwrap_err();
        assert!(matches!(err, BumpError::ChangelogMissing { .. }), "{err}");
    }

    #[test]
    fn main_versions_are_read_and_downgrades_found() {
        let mut r = TestRepo::new();
        let base = r.commit("0.1.0", &[(WORKER, "version: 0.1.0+5\n"), ("VERSION", "0.1.0\n")]);
        let main = r.commit("0.2.0 on main", &[(WORKER, "version: 0.2.0+7\n")]);
        let p = product("w", "w/v{version}", &[WORKER, "VERSION"]);
        let on_main = versions_at(&r.git, &main, &p).expect("reads");
        assert_eq!(
            on_main,
            [
                (
                    WORKER.to_string(),
                    FileVersion {
                        version: v("0.2.0"),
                        build: Some(7)
                    }
                ),
                (
                    "VERSION".to_string(),
                    FileVersion {
                        version: v("0.1.0"),
                        build: None
                    }
                ),
            ]
        );
        let (from, to) = (v("0.1.0"), v("0.1.1"));
        let bumped = bump(
            &r.git,
            &BumpRequest {
                build: Some(8),
                ..request(&p, &base, &from, &to)
            },
        )
        .expect("bumps");
        let down = downgrades(&on_main, &bumped);
        assert_eq!(down.len(), 1, "{down:?}");
        assert_eq!(down[0].path, WORKER);
        let gone = product("w", "w/v{version}", &["apps/gone/VERSION"]);
        assert!(matches!(
            versions_at(&r.git, &main, &gone),
            Err(BumpError::Missing { .. })
        ));
    }
}
