//! Carries backports out: for each fix and target branch, the pick on
//! objects ([`crate::pick::backport`]), the branch pushed by compare-and-swap
//! (the branch must not exist; one already holding exactly our commit is
//! adopted; one someone else moved is refused, never clobbered), then the
//! request: on the `[forge]`, by GitLab push options for a GitLab remote,
//! or the page where a person opens it.
//!
//! Shared by `git hotfix backport` and a run's backport step.

use crate::config;
use crate::engine::WorkflowError;
use crate::forge::{Forge, NewMergeRequest};
use crate::git::{tracking_ref, CommitInfo, Git, Oid, RefUpdate, Signature};
use crate::pick::backport::{prepare, request_text, same_commit, BackportTarget, Prepared};
use crate::pick::glob;
use crate::record::backport::{Backport, BackportLanding, BackportRequest, BackportState, Landing};
use crate::secrets::Redactor;

/// One fix to backport, with the parent its change is taken against.
#[derive(Clone, Debug)]
pub struct BackportFix {
    pub commit: CommitInfo,
    pub mainline: Option<u32>,
}

/// Returns the fixes `plan` backports: its picks (restore-release,
/// from-tag), else merge-main's fix as it was merged to main (a merge
/// commit taken against its first parent, as seed 002's `cherry-pick -m 1`).
pub fn fixes_of(git: &Git, plan: &crate::record::plan::Plan) -> Result<Vec<BackportFix>, WorkflowError> {
    if let Some(main) = plan.merge_main.as_ref().filter(|_| plan.picks.is_empty()) {
        let commit = git.commit(&main.fix.id)?;
        let mainline = (commit.parents.len() > 1).then_some(1);
        return Ok(vec![BackportFix { commit, mainline }]);
    }
    plan.picks
        .iter()
        .map(|pick| {
            Ok(BackportFix {
                commit: git.commit(&pick.fix)?,
                mainline: pick.mainline,
            })
        })
        .collect()
}

/// What carrying backports out takes.
pub struct BackportContext<'a> {
    pub git: &'a Git,
    /// The remote (name or URL) the targets and branches live on.
    pub remote: &'a str,
    pub options: &'a config::Backport,
    /// The `[forge]` to open requests on, when there is one.
    pub forge: Option<&'a dyn Forge>,
    /// Who commits the picks, and when.
    pub committer: &'a Signature,
    /// Masks secrets in what the forge says.
    pub redactor: &'a Redactor,
}

/// Returns the remote's branches `patterns` name (`release/*` by glob, a
/// plain name exactly), in the order given, each once, with its tip.
pub fn resolve_targets(git: &Git, remote: &str, patterns: &[String]) -> Result<Vec<(String, Oid)>, WorkflowError> {
    if patterns.is_empty() {
        return Err(WorkflowError::NoBackportTarget {
            detail: "give `--to BRANCH` or set `[backport] to` in hotfix.toml".into(),
        });
    }
    let heads: Vec<(String, Oid)> = git
        .ls_remote(remote, &["refs/heads/*"])?
        .into_iter()
        .filter_map(|(name, oid)| Some((name.strip_prefix("refs/heads/")?.to_string(), oid)))
        .collect();
    let mut found: Vec<(String, Oid)> = Vec::new();
    for pattern in patterns {
        let matched: Vec<&(String, Oid)> = heads
            .iter()
            .filter(|(name, _)| {
                if pattern.contains(['*', '?', '[']) {
                    glob::matches(pattern, name)
                } else {
                    name == pattern
                }
            })
            .collect();
        if matched.is_empty() {
            return Err(WorkflowError::NoBackportTarget {
                detail: format!("{remote} has no branch `{pattern}`"),
            });
        }
        for (name, oid) in matched {
            if !found.iter().any(|(n, _)| n == name) {
                found.push((name.clone(), oid.clone()));
            }
        }
    }
    Ok(found)
}

/// Backports each of `fixes` to each of `targets` and returns what each did.
pub fn carry_out(
    cx: &BackportContext<'_>,
    fixes: &[BackportFix],
    targets: &[(String, Oid)],
) -> Result<Vec<Backport>, WorkflowError> {
    let names: Vec<&str> = targets.iter().map(|(n, _)| n.as_str()).collect();
    cx.git.fetch_branches(cx.remote, &names)?;
    let mut done = Vec::new();
    for fix in fixes {
        for (target, tip) in targets {
            done.push(backport_one(cx, fix, target, tip)?);
        }
    }
    Ok(done)
}

fn backport_one(
    cx: &BackportContext<'_>,
    fix: &BackportFix,
    target: &str,
    tip: &Oid,
) -> Result<Backport, WorkflowError> {
    let branch = cx.options.branch_for(target, fix.commit.id.short());
    let on = BackportTarget {
        name: target,
        tip,
        branch: &branch,
    };
    let mut prepared = prepare(cx.git, &fix.commit, fix.mainline, &on, cx.committer)?;
    let Some(commit) = prepared.backport.commit.clone() else {
        return Ok(prepared.backport);
    };
    let web = RemoteWeb::of(cx.git, cx.remote)?;
    let labels = match prepared.backport.state {
        BackportState::Conflicted => &cx.options.conflict_labels,
        _ => &cx.options.labels,
    };
    let push_options = match (cx.forge, &web) {
        (None, RemoteWeb::GitLab) => gitlab_push_options(target, labels),
        _ => Vec::new(),
    };
    let pushed = push_branch(cx, &mut prepared, &branch, &commit, &push_options)?;
    let request = match (cx.forge, &web) {
        (Some(forge), _) => {
            let (title, description) = request_text(&prepared, cx.remote);
            let merge_request = forge
                .open_merge_request(&NewMergeRequest {
                    title,
                    description,
                    source_branch: branch.clone(),
                    target_branch: target.to_string(),
                    labels: labels.clone(),
                    draft: false,
                    remove_source_branch: true,
                })
                .map_err(|e| WorkflowError::BackportRequestFailed {
                    branch: branch.clone(),
                    detail: cx.redactor.redact(&e.to_string()),
                })?;
            BackportRequest::Forge { merge_request }
        }
        (None, RemoteWeb::GitLab) if pushed => BackportRequest::PushOptions { options: push_options },
        // The branch was there already: the push that made it asked GitLab.
        (None, RemoteWeb::GitLab) => BackportRequest::PushOptions { options: Vec::new() },
        (None, RemoteWeb::GitHub { repo }) => BackportRequest::OpenAt {
            url: format!("https://github.com/{repo}/compare/{target}...{branch}?expand=1"),
        },
        (None, RemoteWeb::Unknown) => BackportRequest::BranchOnly,
    };
    prepared.backport.request = Some(request);
    Ok(prepared.backport)
}

/// Returns where each backport with a branch stands: its request's state on
/// the forge when it has one there, else merged once its commit is
/// reachable from the target on the remote. What cannot be learnt (a forge
/// or remote that does not answer) is a notice, and the backport is left out.
pub fn landings(
    git: &Git,
    remote: &str,
    forge: Option<&dyn Forge>,
    backports: &[Backport],
    notices: &mut Vec<String>,
) -> Vec<BackportLanding> {
    let mut found = Vec::new();
    let mut fetched: Vec<String> = Vec::new();
    for b in backports {
        let Some(commit) = &b.commit else { continue };
        let landing = |landing, by| BackportLanding {
            fix: b.fix.clone(),
            target: b.target.clone(),
            landing,
            by,
        };
        if let (Some(forge), Some(BackportRequest::Forge { merge_request })) = (forge, &b.request) {
            match forge.merge_request(merge_request.iid) {
                Ok(state) => {
                    let l = match state.state.as_str() {
                        "merged" => Landing::Merged,
                        "closed" | "locked" => Landing::Closed,
                        _ => Landing::Opened,
                    };
                    found.push(landing(l, "forge"));
                }
                Err(e) => notices.push(format!(
                    "the state of backport request !{} was not read: {e}",
                    merge_request.iid
                )),
            }
            continue;
        }
        if !fetched.contains(&b.target) {
            if let Err(e) = git.fetch_branches(remote, &[&b.target]) {
                notices.push(format!("`{}` was not fetched from {remote}: {e}", b.target));
                continue;
            }
            fetched.push(b.target.clone());
        }
        let reachable = git
            .read_ref(&tracking_ref(remote, &b.target))
            .and_then(|tip| match tip {
                Some(tip) => git.is_ancestor(commit, &tip),
                None => Ok(false),
            });
        match reachable {
            Ok(true) => found.push(landing(Landing::Merged, "reachable")),
            Ok(false) => found.push(landing(Landing::Opened, "reachable")),
            Err(e) => notices.push(format!(
                "whether `{}` has {} was not learnt: {e}",
                b.target,
                commit.short()
            )),
        }
    }
    found
}

/// Pushes `commit` as `branch`, which must not exist, or adopts the branch
/// when it already holds the same commit. Returns true when this push made it.
fn push_branch(
    cx: &BackportContext<'_>,
    prepared: &mut Prepared,
    branch: &str,
    commit: &Oid,
    push_options: &[String],
) -> Result<bool, WorkflowError> {
    let name = format!("refs/heads/{branch}");
    if let Some(found) = cx.git.remote_ref(cx.remote, &name)? {
        adopt(cx, prepared, branch, commit, &found)?;
        return Ok(false);
    }
    let outcome = cx.git.push_atomic_with_options(
        cx.remote,
        &[RefUpdate {
            name: name.clone(),
            new: Some(commit.clone()),
            expected: None,
        }],
        push_options,
    )?;
    if outcome.accepted() {
        return Ok(true);
    }
    // Someone made the branch between our look and our push.
    match cx.git.remote_ref(cx.remote, &name)? {
        Some(found) => {
            adopt(cx, prepared, branch, commit, &found)?;
            Ok(false)
        }
        None => Err(WorkflowError::PushRefused {
            detail: outcome
                .rejected()
                .map(|r| r.summary.clone())
                .collect::<Vec<_>>()
                .join("; "),
        }),
    }
}

/// Takes the branch as ours when it holds the commit we would make.
fn adopt(
    cx: &BackportContext<'_>,
    prepared: &mut Prepared,
    branch: &str,
    wanted: &Oid,
    found: &Oid,
) -> Result<(), WorkflowError> {
    let b = &mut prepared.backport;
    let moved = || WorkflowError::BackportBranchMoved {
        branch: branch.to_string(),
        target: b.target.clone(),
        fix: b.fix.clone(),
        found: found.clone(),
    };
    if found == wanted {
        b.adopted = true;
        return Ok(());
    }
    cx.git.fetch_branches(cx.remote, &[branch])?;
    let fetched = cx.git.read_ref(&tracking_ref(cx.remote, branch))?;
    if fetched.as_ref() != Some(found) {
        return Err(moved());
    }
    let theirs = cx.git.commit(found)?;
    let ours = cx.git.commit(wanted)?;
    if !same_commit(&theirs, &ours, b.state) {
        return Err(moved());
    }
    b.commit = Some(found.clone());
    b.adopted = true;
    Ok(())
}

/// GitLab's push options that open the branch's merge request
/// (doc/topics/git/merge_requests_push_options: `merge_request.create`,
/// `merge_request.target=<branch>`, `merge_request.label=<label>`).
fn gitlab_push_options(target: &str, labels: &[String]) -> Vec<String> {
    let mut options = vec![
        "merge_request.create".to_string(),
        format!("merge_request.target={target}"),
    ];
    options.extend(labels.iter().map(|l| format!("merge_request.label={l}")));
    options
}

/// What the remote's URL says about where a request is opened.
enum RemoteWeb {
    GitLab,
    /// `owner/repo` on github.com.
    GitHub {
        repo: String,
    },
    Unknown,
}

impl RemoteWeb {
    fn of(git: &Git, remote: &str) -> Result<RemoteWeb, WorkflowError> {
        let url = if crate::git::refname::is_remote_name(remote) {
            git.config_get(&format!("remote.{remote}.url"))?.unwrap_or_default()
        } else {
            remote.to_string()
        };
        Ok(RemoteWeb::from_url(&url))
    }

    fn from_url(url: &str) -> RemoteWeb {
        let Some((host, path)) = host_and_path(url) else {
            return RemoteWeb::Unknown;
        };
        let host = host.to_ascii_lowercase();
        if host.contains("gitlab") {
            return RemoteWeb::GitLab;
        }
        let repo = path.trim_matches('/').trim_end_matches(".git");
        if host == "github.com" && repo.split('/').count() == 2 && !repo.starts_with('/') {
            return RemoteWeb::GitHub { repo: repo.to_string() };
        }
        RemoteWeb::Unknown
    }
}

/// Splits `https://host/path`, `ssh://user@host:port/path` and scp-like
/// `user@host:path` into host and path; a local path has no host.
fn host_and_path(url: &str) -> Option<(&str, &str)> {
    if let Some((_, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit('@').next()?;
        let host = host.split(':').next()?;
        return Some((host, path));
    }
    let (before, path) = url.split_once(':')?;
    if before.contains('/') {
        return None;
    }
    Some((before.rsplit('@').next()?, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_url_says_where_a_request_is_opened() {
        for url in [
            "https://gitlab.com/fleet/worker.git",
            "git@gitlab.example.org:fleet/worker.git",
            "ssh://git@gitlab.internal:2222/fleet/worker",
        ] {
            assert!(matches!(RemoteWeb::from_url(url), RemoteWeb::GitLab), "{url}");
        }
        for url in ["https://github.com/o/r.git", "git@github.com:o/r.git"] {
            match RemoteWeb::from_url(url) {
                RemoteWeb::GitHub { repo } => assert_eq!(repo, "o/r", "{url}"),
                _ => panic!("{url} is GitHub"),
            }
        }
        for url in ["/srv/git/gitlab/worker.git", "../origin.git", "https://example.com/o/r"] {
            assert!(matches!(RemoteWeb::from_url(url), RemoteWeb::Unknown), "{url}");
        }
    }

    #[test]
    fn push_options_name_the_target_and_each_label() {
        assert_eq!(
            gitlab_push_options("develop", &["backport".into(), "auto-backport".into()]),
            [
                "merge_request.create",
                "merge_request.target=develop",
                "merge_request.label=backport",
                "merge_request.label=auto-backport"
            ]
        );
    }
}
