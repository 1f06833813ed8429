//! Names git reads as refs: branch names as `git check-ref-format --branch`
//! accepts them, and remotes given as a name, a URL or a path.
//!
//! Checked in Rust, not by asking git, so that `hotfix.toml` is refused at
//! load with a message that names the key; a unit test holds the rules to
//! git's own verdicts.

/// Returns why `name` is not a branch name git accepts, or `None` when it is.
pub fn branch_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.starts_with('-') {
        return Some("it starts with `-`");
    }
    if name == "@" || name == "HEAD" {
        return Some("it is a reserved name");
    }
    if name.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Some("it holds a space or a control character");
    }
    if let Some(c) = name.chars().find(|c| "~^:?*[\\".contains(*c)) {
        return Some(match c {
            '~' => "it holds `~`",
            '^' => "it holds `^`",
            ':' => "it holds `:`",
            '?' => "it holds `?`",
            '*' => "it holds `*`",
            '[' => "it holds `[`",
            _ => "it holds `\\`",
        });
    }
    if name.contains("..") {
        return Some("it holds `..`");
    }
    if name.contains("@{") {
        return Some("it holds `@{`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Some("it starts or ends with `/`, or holds `//`");
    }
    if name.ends_with('.') {
        return Some("it ends with `.`");
    }
    if name.split('/').any(|c| c.starts_with('.') || c.ends_with(".lock")) {
        return Some("a part of it starts with `.` or ends with `.lock`");
    }
    None
}

/// Returns why `refs/tags/<name>` is not a tag ref git accepts (by
/// `git check-ref-format`'s rules), or `None` when it is. A tag is named
/// without its `refs/tags/` prefix and never starts with `-`.
pub fn tag_name_problem(name: &str) -> Option<&'static str> {
    if name.starts_with("refs/") {
        return Some("it is a full ref name, not a tag's name");
    }
    branch_name_problem(name)
}

/// Returns true when `remote` is a remote's name (`origin`), not a URL or a path.
pub fn is_remote_name(remote: &str) -> bool {
    !remote.contains(['/', ':', '\\']) && branch_name_problem(remote).is_none()
}

/// Returns `remote` as one ref-name component: a name as it is, a URL or
/// path with every character outside `[A-Za-z0-9_-]` replaced by `_`.
pub fn remote_component(remote: &str) -> String {
    if is_remote_name(remote) {
        return remote.to_string();
    }
    remote
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &[
        "release",
        "release/1.x",
        "hotfix/worker-mobile-v0.1.1",
        "rel ease",
        "a..b",
        "-rel",
        "rel~1",
        "rel^",
        "a:b",
        "a?b",
        "a*b",
        "a[b",
        "a\\b",
        "/rel",
        "rel/",
        "a//b",
        "rel.",
        "rel.lock",
        "a/.b",
        ".hidden",
        "a@{b",
        "HEAD",
        "a@b",
        "v1.2.3",
        "naïve",
        "tab\there",
    ];

    /// The rules above give git's own verdict on every sample name (`@` is
    /// left out: `--branch` expands it to the current branch).
    #[test]
    fn branch_names_are_judged_as_git_check_ref_format_does() {
        for name in NAMES {
            let git = std::process::Command::new("git")
                .args(["check-ref-format", "--branch", name])
                .output()
                .expect("git runs");
            assert_eq!(
                branch_name_problem(name).is_none(),
                git.status.success(),
                "`{name}`: ours {:?}, git {}",
                branch_name_problem(name),
                git.status
            );
        }
    }

    /// A tag name accepted here makes a ref git accepts under `refs/tags/`.
    #[test]
    fn tag_names_are_judged_as_git_check_ref_format_does() {
        for name in NAMES.iter().chain(&["refs/tags/v1", "-v1"]) {
            let git = std::process::Command::new("git")
                .args(["check-ref-format", &format!("refs/tags/{name}")])
                .output()
                .expect("git runs");
            if tag_name_problem(name).is_none() {
                assert!(git.status.success(), "`{name}`: ours accepts it, git refuses it");
            } else if !["HEAD", "-rel", "-v1", "refs/tags/v1"].contains(name) {
                assert!(
                    !git.status.success(),
                    "`{name}`: ours {:?}, git accepts it",
                    tag_name_problem(name)
                );
            }
        }
    }

    #[test]
    fn urls_and_paths_are_not_remote_names() {
        assert!(is_remote_name("origin"));
        assert!(is_remote_name("up-stream.2"));
        assert!(!is_remote_name("/srv/git/origin.git"));
        assert!(!is_remote_name("git@gitlab.example.com:fleet/billing.git"));
        assert!(!is_remote_name("--upload-pack=x"));
        assert_eq!(remote_component("origin"), "origin");
        assert_eq!(remote_component("/srv/o.git"), "_srv_o_git");
    }
}
