//! Talking to the remote with the user's own `git fetch` / `git push`, so
//! credentials, ssh config and hooks behave as they always do.

use super::{Git, GitError, Oid, Result};

/// One ref to move on the remote, as a compare-and-swap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    /// Full ref name on the remote (`refs/heads/release`).
    pub name: String,
    /// The value to set; `None` deletes the ref.
    pub new: Option<Oid>,
    /// The value the remote must hold now; `None`: the ref must not exist.
    pub expected: Option<Oid>,
}

/// What the remote said about one ref of a push.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushRefStatus {
    pub name: String,
    /// git's porcelain flag: ` ` fast-forward, `+` forced, `-` deleted, `*` new,
    /// `=` up to date, `!` rejected.
    pub flag: char,
    pub summary: String,
}

impl PushRefStatus {
    pub fn accepted(&self) -> bool {
        self.flag != '!'
    }
}

/// The remote's answer to an atomic push.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushOutcome {
    pub refs: Vec<PushRefStatus>,
}

impl PushOutcome {
    pub fn accepted(&self) -> bool {
        !self.refs.is_empty() && self.refs.iter().all(PushRefStatus::accepted)
    }

    /// Returns the refs the remote rejected because they no longer held the expected value.
    pub fn rejected(&self) -> impl Iterator<Item = &PushRefStatus> {
        self.refs.iter().filter(|r| !r.accepted())
    }
}

/// Returns where a remote branch is tracked locally: `refs/remotes/<remote>/<branch>`
/// for a remote's name, `refs/hotfix-branches/<remote as one component>/<branch>`
/// for a remote given as a URL or a path (which no `refs/remotes/` name can hold).
pub fn tracking_ref(remote: &str, branch: &str) -> String {
    if super::refname::is_remote_name(remote) {
        format!("refs/remotes/{remote}/{branch}")
    } else {
        format!(
            "refs/hotfix-branches/{}/{branch}",
            super::refname::remote_component(remote)
        )
    }
}

/// Returns the refspecs that fetch `branches` of `remote` into their
/// remote-tracking refs.
pub fn branch_refspecs(remote: &str, branches: &[&str]) -> Vec<String> {
    branches
        .iter()
        .map(|b| format!("+refs/heads/{b}:{}", tracking_ref(remote, b)))
        .collect()
}

impl Git {
    /// Fetches `branches` of `remote` into their remote-tracking refs.
    pub fn fetch_branches(&self, remote: &str, branches: &[&str]) -> Result<()> {
        self.fetch(remote, &branch_refspecs(remote, branches))
    }

    /// Fetches `refspecs` from `remote` without touching `FETCH_HEAD`, tags or the checkout.
    pub fn fetch(&self, remote: &str, refspecs: &[String]) -> Result<()> {
        let mut args = vec![
            "fetch",
            "--no-write-fetch-head",
            "--no-tags",
            "--quiet",
            "--no-recurse-submodules",
            // A remote from config or a journal is never read as an option.
            "--",
            remote,
        ];
        args.extend(refspecs.iter().map(String::as_str));
        self.run(&args).map(drop)
    }

    /// Fetches every tag of `remote` (for tag-based production sources).
    pub fn fetch_tags(&self, remote: &str) -> Result<()> {
        self.run(&[
            "fetch",
            "--no-write-fetch-head",
            "--quiet",
            "--",
            remote,
            "+refs/tags/*:refs/tags/*",
        ])
        .map(drop)
    }

    /// Returns the remote's values of refs matching `patterns` (`ls-remote`).
    pub fn ls_remote(&self, remote: &str, patterns: &[&str]) -> Result<Vec<(String, Oid)>> {
        let mut args = vec!["ls-remote", "--", remote];
        args.extend(patterns);
        let out = self.run(&args)?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let (oid, name) = l.split_once('\t')?;
                Some((name.to_string(), Oid::parse(oid)?))
            })
            .collect())
    }

    /// Returns what the ref `name` holds on `remote` now, if it exists there.
    pub fn remote_ref(&self, remote: &str, name: &str) -> Result<Option<Oid>> {
        Ok(self
            .ls_remote(remote, &[name])?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o))
    }

    /// Returns true when `remote` names a configured remote or a URL/path git can reach.
    pub fn remote_exists(&self, remote: &str) -> Result<bool> {
        if self.config_get(&format!("remote.{remote}.url"))?.is_some() {
            return Ok(true);
        }
        Ok(remote.contains('/') || remote.contains(':'))
    }

    /// Pushes all `updates` in one atomic, leased push: either every ref moves
    /// or none does. A refusal is returned as an outcome, not an error.
    pub fn push_atomic(&self, remote: &str, updates: &[RefUpdate]) -> Result<PushOutcome> {
        self.push_atomic_with_options(remote, updates, &[])
    }

    /// Returns true when `remote` is this partial clone's promisor remote
    /// (`git clone --filter` sets `remote.<name>.promisor`): objects it
    /// holds may be missing here and are fetched when git reads them.
    pub fn is_promisor(&self, remote: &str) -> bool {
        let mut known = self
            .memo
            .promisor
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(promisor) = known.get(remote) {
            return *promisor;
        }
        let key = format!("remote.{remote}.promisor");
        let promisor = matches!(
            self.run_raw(&["config", "--type=bool", "--get", &key], None, &[]),
            Ok((status, out, _)) if status.success() && out.trim_ascii() == b"true"
        );
        known.insert(remote.to_string(), promisor);
        promisor
    }

    /// Pushes as [`Git::push_atomic`] does, sending each of `options` as a
    /// push option (`-o`, read by the remote's hooks: GitLab's
    /// `merge_request.create`). An option that is empty, starts with `-` or
    /// holds a control character is refused before git runs.
    pub fn push_atomic_with_options(
        &self,
        remote: &str,
        updates: &[RefUpdate],
        options: &[String],
    ) -> Result<PushOutcome> {
        check_push_options(options)?;
        let mut args: Vec<String> = vec!["push".into(), "--porcelain".into(), "--atomic".into()];
        if self.is_promisor(remote) {
            // A thin pack deltifies against the remote's objects, which a
            // partial clone lacks: git would fetch every such base first (the
            // release tip's side of each path a restore reverts).
            args.push("--no-thin".into());
        }
        for o in options {
            // `--push-option=<value>` in one word: git never reads the value as an option.
            args.push(format!("--push-option={o}"));
        }
        for u in updates {
            let expected = u.expected.as_ref().map(Oid::to_string).unwrap_or_default();
            args.push(format!("--force-with-lease={}:{}", u.name, expected));
        }
        args.push("--".into());
        args.push(remote.into());
        for u in updates {
            match &u.new {
                Some(oid) => args.push(format!("{}:{}", oid, u.name)),
                None => args.push(format!(":{}", u.name)),
            }
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (status, stdout, stderr) = self.run_raw(&argv, None, &[])?;
        let text = String::from_utf8_lossy(&stdout);
        let refs = parse_push_porcelain(&text);
        if refs.is_empty() {
            // No per-ref verdict: the push never reached the point of judging refs.
            return Err(GitError::Failed {
                args: argv.join(" "),
                status: status.code().map_or("killed".into(), |c| format!("exit {c}")),
                stderr: stderr.trim().to_string(),
            });
        }
        Ok(PushOutcome { refs })
    }
}

/// Refuses an option that is empty, starts with `-` or holds a control character.
fn check_push_options(options: &[String]) -> Result<()> {
    match options
        .iter()
        .find(|o| o.is_empty() || o.starts_with('-') || o.chars().any(char::is_control))
    {
        Some(bad) => Err(GitError::BadPushOption { option: bad.clone() }),
        None => Ok(()),
    }
}

fn parse_push_porcelain(text: &str) -> Vec<PushRefStatus> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let flag_field = fields.next()?;
            let spec = fields.next()?;
            let summary = fields.next().unwrap_or("").to_string();
            let flag = flag_field.chars().next()?;
            if flag_field.len() != 1 || !" +-*=!".contains(flag) {
                return None;
            }
            let name = spec.rsplit_once(':').map_or(spec, |(_, dst)| dst).to_string();
            Some(PushRefStatus { name, flag, summary })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_options_that_git_could_read_as_options_are_refused_before_git_runs() {
        for bad in ["", "-o", "--mirror", "a\nb"] {
            let e = check_push_options(&["merge_request.create".into(), bad.to_string()]).expect_err(bad);
            assert!(matches!(e, GitError::BadPushOption { .. }), "{bad}: {e}");
        }
        check_push_options(&["merge_request.label=backport".into()]).expect("a plain option passes");
    }

    #[test]
    fn porcelain_reads_accepted_and_rejected_refs() {
        let out = "To ../origin.git\n \trefs/heads/x:refs/heads/release\t1111111..2222222\n!\trefs/heads/y:refs/hotfix/locks/release\t[rejected] (stale info)\nDone\n";
        let refs = parse_push_porcelain(out);
        assert_eq!(refs.len(), 2);
        assert!(refs[0].accepted());
        assert_eq!(refs[1].name, "refs/hotfix/locks/release");
        assert!(!refs[1].accepted());
        assert!(refs[1].summary.contains("stale info"));
    }
}
