//! A product's version files (seed 003, "Update PATCH version only"): the
//! version each holds, and the same file with only PATCH raised, edited in
//! place so that everything else (key order, indentation, comments, quotes)
//! stays byte for byte as it was.
//!
//! Kinds: `pubspec.yaml` (`version: 0.1.0+5`, whose build number stores
//! require to grow), `package.json`, npm's `package-lock.json` (its own
//! version and its root package's), `Cargo.toml`, `pyproject.toml`, and a
//! file holding just the version (`VERSION`, `VERSION.txt`, `version.txt`).
//! Any other name is refused: a bump must never guess where a version is.

use semver::Version;

/// What kind of file holds a version, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionFile {
    Pubspec,
    PackageJson,
    /// npm's `package-lock.json` (or `npm-shrinkwrap.json`): the top-level
    /// `version` and the root package's, `packages[""].version`.
    PackageLock,
    CargoToml,
    PyProject,
    /// The whole file is the version (`VERSION`, `version.txt`).
    Plain,
}

/// The version a file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVersion {
    pub version: Version,
    /// A pubspec's build number (`+5`): stores refuse one not above every earlier upload.
    pub build: Option<u64>,
}

impl std::fmt::Display for FileVersion {
    /// Writes `1.2.3`, or a pubspec's `1.2.3+5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.build {
            Some(build) => write!(f, "{}+{build}", self.version),
            None => write!(f, "{}", self.version),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VersionError {
    #[error("{path}: no version found ({looked})")]
    NotFound { path: String, looked: &'static str },
    #[error("{path}: `{found}` is not a MAJOR.MINOR.PATCH version")]
    NotSemver { path: String, found: String },
    #[error("{path} cannot be read: {detail}")]
    Unreadable { path: String, detail: String },
}

impl VersionFile {
    /// The file names a version file may have, for messages.
    pub const KNOWN_NAMES: &'static str =
        "pubspec.yaml, pubspec.yml, package.json, package-lock.json, npm-shrinkwrap.json, Cargo.toml, pyproject.toml, \
         VERSION, VERSION.txt, version.txt";

    /// Returns the kind of the file at `path` by its file name, or `None`
    /// for a name no kind has.
    pub fn of(path: &str) -> Option<VersionFile> {
        Some(match path.rsplit('/').next().unwrap_or(path) {
            "pubspec.yaml" | "pubspec.yml" => VersionFile::Pubspec,
            "package.json" => VersionFile::PackageJson,
            "package-lock.json" | "npm-shrinkwrap.json" => VersionFile::PackageLock,
            "Cargo.toml" => VersionFile::CargoToml,
            "pyproject.toml" => VersionFile::PyProject,
            "VERSION" | "VERSION.txt" | "version.txt" => VersionFile::Plain,
            _ => return None,
        })
    }

    /// Reads the version `text` (the file at `path`) holds.
    pub fn read(self, path: &str, text: &str) -> Result<FileVersion, VersionError> {
        let raw = self.locate(path, text)?;
        parse(path, &text[raw])
    }

    /// Returns `text` with its version set to `version` (and a pubspec's
    /// build number to `build`), nothing else changed.
    pub fn write(self, path: &str, text: &str, version: &Version, build: Option<u64>) -> Result<String, VersionError> {
        let range = self.locate(path, text)?;
        let old = parse(path, &text[range.clone()])?;
        let new = match (self, build.or(old.build)) {
            (VersionFile::Pubspec, Some(b)) => format!("{version}+{b}"),
            _ => version.to_string(),
        };
        let text = match self {
            // The root package's copy of the version, further down the file:
            // written first, so the top-level range stays where it is.
            VersionFile::PackageLock => match json_string_at(text, &["packages", "", "version"]) {
                Some(root) if root.start > range.end => {
                    format!("{}{new}{}", &text[..root.start], &text[root.end..])
                }
                _ => text.to_string(),
            },
            _ => text.to_string(),
        };
        Ok(format!("{}{new}{}", &text[..range.start], &text[range.end..]))
    }

    /// Returns the byte range of the version's text (quotes excluded).
    fn locate(self, path: &str, text: &str) -> Result<std::ops::Range<usize>, VersionError> {
        let not_found = |looked| VersionError::NotFound {
            path: path.to_string(),
            looked,
        };
        let range = match self {
            VersionFile::Pubspec => pubspec_version(text).ok_or_else(|| not_found("a top-level `version:` line"))?,
            VersionFile::PackageJson | VersionFile::PackageLock => {
                top_level_string(text, "version").ok_or_else(|| not_found("a top-level \"version\" string"))?
            }
            VersionFile::CargoToml => toml_version(
                path,
                text,
                &[&["package", "version"], &["workspace", "package", "version"]],
            )?
            .ok_or_else(|| not_found("`package.version` or `workspace.package.version` as a string"))?,
            VersionFile::PyProject => {
                toml_version(path, text, &[&["project", "version"], &["tool", "poetry", "version"]])?
                    .ok_or_else(|| not_found("`project.version` or `tool.poetry.version` as a string (not dynamic)"))?
            }
            VersionFile::Plain => {
                let start = text.len() - text.trim_start().len();
                let end = text.trim_end().len();
                if start >= end {
                    return Err(not_found("the file is empty"));
                }
                start..end
            }
        };
        Ok(range)
    }
}

/// Parses `1.2.3` or a pubspec's `1.2.3+5`.
fn parse(path: &str, raw: &str) -> Result<FileVersion, VersionError> {
    let bad = || VersionError::NotSemver {
        path: path.to_string(),
        found: raw.to_string(),
    };
    let version = Version::parse(raw.trim()).map_err(|_| bad())?;
    let build = if version.build.is_empty() {
        None
    } else {
        Some(version.build.as_str().parse::<u64>().map_err(|_| bad())?)
    };
    Ok(FileVersion {
        version: Version {
            build: semver::BuildMetadata::EMPTY,
            ..version
        },
        build,
    })
}

/// The value of a top-level `version:` line, inside its quotes if quoted.
fn pubspec_version(text: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("version:") {
            let value_start = offset + "version:".len() + (rest.len() - rest.trim_start().len());
            let value = &text[value_start..offset + line.len()];
            let quoted = value.starts_with(['"', '\'']);
            let body_start = value_start + usize::from(quoted);
            let body = &text[body_start..offset + line.len()];
            let len = body
                .find(|c: char| c.is_whitespace() || c == '#' || c == '"' || c == '\'')
                .unwrap_or(body.len());
            return (len > 0).then(|| body_start..body_start + len);
        }
        offset += line.len();
    }
    None
}

/// The content of the string value of `key` in the top-level JSON object.
fn top_level_string(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i + 1;
                let end = string_end(bytes, start)?;
                // A string at depth 1 followed by `:` is a key of the top-level object.
                let rest = text[end + 1..].trim_start();
                if depth == 1 && &text[start..end] == key {
                    if let Some(value) = rest.strip_prefix(':').map(str::trim_start) {
                        if value.starts_with('"') {
                            let value_start = text.len() - value.len() + 1;
                            return Some(value_start..string_end(bytes, value_start)?);
                        }
                    }
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The span of the string value at `path` (keys from the top-level
/// object down) in a JSON document, quotes excluded.
fn json_string_at(text: &str, path: &[&str]) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    // The key each open object or array sits under (`None` for the root).
    let mut stack: Vec<Option<&str>> = Vec::new();
    let mut key: Option<&str> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => stack.push(key.take()),
            b'}' | b']' => {
                stack.pop();
                key = None;
            }
            b',' => key = None,
            b'"' => {
                let start = i + 1;
                let end = string_end(bytes, start)?;
                let rest = text[end + 1..].trim_start();
                if let Some(value) = rest.strip_prefix(':') {
                    let name = &text[start..end];
                    let (last, parents) = path.split_last()?;
                    let here: Vec<&str> = stack.iter().skip(1).map(|k| k.unwrap_or("")).collect();
                    let value = value.trim_start();
                    if name == *last && here == parents && value.starts_with('"') {
                        let value_start = text.len() - value.len() + 1;
                        return Some(value_start..string_end(bytes, value_start)?);
                    }
                    key = Some(name);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the closing quote of a JSON string whose content starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The span of the first string value among `paths` in a TOML document.
fn toml_version(path: &str, text: &str, paths: &[&[&str]]) -> Result<Option<std::ops::Range<usize>>, VersionError> {
    let doc: toml_edit::ImDocument<&str> =
        toml_edit::ImDocument::parse(text).map_err(|e| VersionError::Unreadable {
            path: path.to_string(),
            detail: e.message().to_string(),
        })?;
    for keys in paths {
        let mut item = Some(doc.as_item());
        for key in *keys {
            item = item.and_then(|i| i.get(key));
        }
        if let Some(toml_edit::Item::Value(toml_edit::Value::String(s))) = item {
            // The span covers the quotes; the version is inside them.
            if let Some(span) = s.span() {
                let quote = text[span.clone()].chars().next().map_or(1, char::len_utf8);
                let raw = &text[span.clone()];
                if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                    continue;
                }
                return Ok(Some(span.start + quote..span.end - quote));
            }
        }
    }
    Ok(None)
}

/// A product's tag pattern, such as `worker-mobile/prod-v{version}`: the
/// tags of one product, and the version each names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagPattern {
    prefix: String,
    suffix: String,
}

impl TagPattern {
    /// Parses a pattern holding `{version}` exactly once.
    pub fn parse(pattern: &str) -> Result<TagPattern, String> {
        match pattern.split_once("{version}") {
            Some((prefix, suffix)) if !suffix.contains("{version}") => Ok(TagPattern {
                prefix: prefix.to_string(),
                suffix: suffix.to_string(),
            }),
            _ => Err(format!(
                "tag pattern `{pattern}` must hold `{{version}}` exactly once, e.g. `worker-mobile/prod-v{{version}}`"
            )),
        }
    }

    /// Returns the tag of `version`.
    pub fn tag_for(&self, version: &Version) -> String {
        format!("{}{version}{}", self.prefix, self.suffix)
    }

    /// Returns the version `tag` names, when it is one of this product's tags.
    pub fn version_of(&self, tag: &str) -> Option<Version> {
        let middle = tag.strip_prefix(&self.prefix)?.strip_suffix(&self.suffix)?;
        Version::parse(middle).ok()
    }

    /// Returns the glob that lists the product's tags (`refs/tags/<glob>`).
    pub fn glob(&self) -> String {
        format!("{}*{}", self.prefix, self.suffix)
    }

    /// Returns the product's highest tag by semver, of `tags`.
    pub fn highest<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, Version)> {
        tags.into_iter()
            .filter_map(|t| self.version_of(t).map(|v| (t, v)))
            .max_by(|a, b| a.1.cmp(&b.1))
    }
}

impl std::fmt::Display for TagPattern {
    /// Writes the pattern as it was given, `{version}` included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{{version}}{}", self.prefix, self.suffix)
    }
}

/// Returns the next PATCH version after `production` that no existing tag
/// takes, and, when it had to skip, why (a version tagged before, say one
/// production was rolled back from).
pub fn next_patch(production: &Version, tagged: &[Version]) -> (Version, Option<String>) {
    let mut next = Version::new(production.major, production.minor, production.patch + 1);
    let mut skipped = Vec::new();
    while tagged
        .iter()
        .any(|t| t.major == next.major && t.minor == next.minor && t.patch == next.patch)
    {
        skipped.push(next.to_string());
        next.patch += 1;
    }
    let why = (!skipped.is_empty()).then(|| {
        format!(
            "{} already tagged (a release production was rolled back from?); taking {next}",
            skipped.join(", ")
        )
    });
    (next, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).expect("version")
    }

    fn bump(path: &str, text: &str, to: &str, build: Option<u64>) -> String {
        VersionFile::of(path)
            .expect("a known kind")
            .write(path, text, &v(to), build)
            .expect("bumps")
    }

    #[test]
    fn pubspec_keeps_everything_but_the_version_and_raises_the_build() {
        let text = "name: worker\n# the app\nversion: 0.1.0+5 # store build\nenvironment:\n  sdk: '>=3.0.0'\n";
        let f = VersionFile::of("apps/mobile/apps/worker/pubspec.yaml");
        assert_eq!(f, Some(VersionFile::Pubspec));
        let f = VersionFile::Pubspec;
        assert_eq!(
            f.read("pubspec.yaml", text),
            Ok(FileVersion {
                version: v("0.1.0"),
                build: Some(5)
            })
        );
        assert_eq!(
            bump("pubspec.yaml", text, "0.1.1", Some(6)),
            "name: worker\n# the app\nversion: 0.1.1+6 # store build\nenvironment:\n  sdk: '>=3.0.0'\n"
        );
        assert_eq!(
            bump("pubspec.yaml", "version: '1.2.3'\n", "1.2.4", None),
            "version: '1.2.4'\n"
        );
    }

    #[test]
    fn package_lock_gets_its_own_and_its_root_packages_version() {
        let text = "{\n  \"name\": \"web\",\n  \"version\": \"2.3.4\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"name\": \"web\",\n      \"version\": \"2.3.4\",\n      \"dependencies\": { \"left-pad\": \"^1.0.0\" }\n    },\n    \"node_modules/left-pad\": {\n      \"version\": \"1.3.0\"\n    }\n  }\n}\n";
        assert_eq!(
            VersionFile::of("apps/web/package-lock.json"),
            Some(VersionFile::PackageLock)
        );
        assert_eq!(
            VersionFile::PackageLock
                .read("package-lock.json", text)
                .expect("reads")
                .version,
            v("2.3.4")
        );
        let bumped = bump("apps/web/package-lock.json", text, "2.3.5", None);
        assert_eq!(
            bumped,
            text.replacen("\"version\": \"2.3.4\"", "\"version\": \"2.3.5\"", 2),
            "both copies of the version, not a dependency's"
        );
        assert!(bumped.contains("\"version\": \"1.3.0\""));
    }

    #[test]
    fn package_json_keeps_key_order_and_indentation() {
        let text = "{\n    \"name\": \"web\",\n    \"engines\": { \"version\": \"9\" },\n    \"version\": \"0.1.0\",\n    \"private\": true\n}\n";
        assert_eq!(
            VersionFile::PackageJson
                .read("package.json", text)
                .expect("reads")
                .version,
            v("0.1.0")
        );
        assert_eq!(
            bump("backend/api/package.json", text, "0.1.1", None),
            text.replace("\"version\": \"0.1.0\"", "\"version\": \"0.1.1\"")
        );
        let err = VersionFile::PackageJson
            .read("package.json", "{\"name\": \"x\"}")
            .unwrap_err();
        assert!(matches!(err, VersionError::NotFound { .. }), "{err}");
    }

    #[test]
    fn cargo_and_pyproject_are_edited_in_place() {
        let cargo = "[package]\nname = \"svc\" # the service\nversion = \"1.4.2\"   # bumped by releases\nedition = \"2021\"\n\n[dependencies]\nserde = { version = \"1\" }\n";
        assert_eq!(
            bump("Cargo.toml", cargo, "1.4.3", None),
            cargo.replace("\"1.4.2\"", "\"1.4.3\"")
        );
        let inherited = "[package]\nname = \"svc\"\nversion.workspace = true\n";
        assert!(VersionFile::CargoToml.read("Cargo.toml", inherited).is_err());
        let py = "[project]\nname = 'svc'\nversion = '2.0.9'\n";
        assert_eq!(
            bump("pyproject.toml", py, "2.0.10", None),
            "[project]\nname = 'svc'\nversion = '2.0.10'\n"
        );
        let poetry = "[tool.poetry]\nversion = \"0.3.0\"\n";
        assert_eq!(
            bump("pyproject.toml", poetry, "0.3.1", None),
            "[tool.poetry]\nversion = \"0.3.1\"\n"
        );
    }

    #[test]
    fn a_file_name_no_kind_has_is_refused() {
        assert_eq!(VersionFile::of("apps/web/VERSION"), Some(VersionFile::Plain));
        assert_eq!(VersionFile::of("apps/web/version.json"), None);
        assert_eq!(VersionFile::of("README.md"), None);
    }

    #[test]
    fn a_plain_file_keeps_its_newline() {
        assert_eq!(bump("VERSION", "0.1.0\n", "0.1.1", None), "0.1.1\n");
        let err = VersionFile::Plain.read("VERSION", "not-a-version\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("`not-a-version` is not a MAJOR.MINOR.PATCH version"),
            "{err}"
        );
    }

    #[test]
    fn a_tag_pattern_names_one_products_tags_and_their_versions() {
        let p = TagPattern::parse("worker-mobile/prod-v{version}").expect("pattern");
        assert_eq!(p.tag_for(&v("0.1.1")), "worker-mobile/prod-v0.1.1");
        assert_eq!(p.to_string(), "worker-mobile/prod-v{version}");
        assert_eq!(p.version_of("worker-mobile/prod-v0.1.0"), Some(v("0.1.0")));
        assert_eq!(p.version_of("client-mobile/prod-v0.1.0"), None);
        assert_eq!(p.version_of("worker-mobile/prod-vnext"), None);
        assert_eq!(p.glob(), "worker-mobile/prod-v*");
        let tags = [
            "worker-mobile/prod-v0.9.0",
            "worker-mobile/prod-v0.10.0",
            "web/prod-v9.0.0",
        ];
        assert_eq!(p.highest(tags), Some(("worker-mobile/prod-v0.10.0", v("0.10.0"))));
        assert!(TagPattern::parse("prod-v").is_err());
        assert!(TagPattern::parse("{version}-{version}").is_err());
    }

    #[test]
    fn the_next_patch_skips_versions_already_tagged() {
        assert_eq!(next_patch(&v("0.1.0"), &[v("0.1.0")]), (v("0.1.1"), None));
        let (next, why) = next_patch(&v("0.1.0"), &[v("0.1.0"), v("0.1.1"), v("0.2.0")]);
        assert_eq!(next, v("0.1.2"));
        assert!(why.expect("says why").contains("0.1.1 already tagged"));
    }
}
