//! Commit signatures, with git's own signing: commits are signed by
//! `commit-tree -S` with the user's usual configuration (`gpg.format`,
//! `user.signingKey`, an agent), and checked by the `%G?` family of
//! `git log` formats, SSH signatures against the allowed-signers file a team
//! names (`gpg.ssh.allowedSignersFile` format), GPG ones against the user's
//! keyring.
//!
//! A check says what git found and by which key, never more: who may sign
//! what is the caller's rule.

use std::path::Path;

use super::{Git, GitError, Oid, Result};

/// What git makes of one commit's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureCheck {
    pub commit: Oid,
    pub verdict: Verdict,
    /// The signing key's fingerprint (`%GK`; `SHA256:...` for SSH). Set for
    /// every signed commit whose signature git could read, good or not.
    pub key: Option<String>,
    /// Who the allowed signers (or the GPG key's user id) say signed (`%GS`);
    /// set only when git could tie the key to one.
    pub signer: Option<String>,
}

impl SignatureCheck {
    /// Returns the signer of a good signature by a key the allowed signers
    /// name, with the key: the only signature that proves who made a commit.
    pub fn verified(&self) -> Option<(&str, &str)> {
        match (self.verdict, &self.key, &self.signer) {
            (Verdict::Good, Some(key), Some(signer)) if !signer.is_empty() => Some((key, signer)),
            _ => None,
        }
    }
}

/// Git's verdict on a signature (`%G?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A good signature by a key the allowed signers name (`G`).
    Good,
    /// No signature (`N`).
    Unsigned,
    /// A signature that does not match the commit (`B`).
    Bad,
    /// A signature by a key nobody trusted names, or one git could not check
    /// (`U`, `E`).
    UnknownKey,
    /// An expired signature or key, or a revoked key (`X`, `Y`, `R`).
    Expired,
}

impl Verdict {
    fn parse(code: &str) -> Option<Verdict> {
        Some(match code {
            "G" => Verdict::Good,
            "N" => Verdict::Unsigned,
            "B" => Verdict::Bad,
            "U" | "E" => Verdict::UnknownKey,
            "X" | "Y" | "R" => Verdict::Expired,
            _ => return None,
        })
    }

    /// Says what the verdict means, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Good => "a good signature by an allowed signer",
            Verdict::Unsigned => "not signed",
            Verdict::Bad => "a signature that does not match the commit",
            Verdict::UnknownKey => "signed by a key the allowed signers do not name",
            Verdict::Expired => "signed by an expired or revoked key",
        }
    }
}

impl Git {
    /// Checks the signatures of `commits`, in order, SSH ones against
    /// `allowed_signers`. One `git log` reads them all.
    pub fn check_signatures(&self, commits: &[Oid], allowed_signers: &Path) -> Result<Vec<SignatureCheck>> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let allowed = format!("gpg.ssh.allowedSignersFile={}", allowed_signers.display());
        let stdin: String = commits.iter().map(|c| format!("{c}\n")).collect();
        let args = [
            "-c",
            allowed.as_str(),
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "-z",
            "--format=%H%x1f%G?%x1f%GK%x1f%GS",
        ];
        let out = self.run_with(&args, Some(stdin.as_bytes()), &[])?;
        let parse_error = |detail: String| GitError::Parse {
            args: "log --format=%G?".into(),
            detail,
        };
        let checks = out
            .split('\0')
            .filter(|record| !record.trim().is_empty())
            .map(|record| {
                let fields: Vec<&str> = record.trim_start_matches('\n').split('\x1f').collect();
                let [hash, code, key, signer] = fields[..] else {
                    return Err(parse_error(format!("record `{record}`")));
                };
                let commit = Oid::parse(hash).ok_or_else(|| parse_error(format!("commit `{hash}`")))?;
                let verdict = Verdict::parse(code).ok_or_else(|| parse_error(format!("verdict `{code}`")))?;
                let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
                Ok(SignatureCheck {
                    commit,
                    verdict,
                    key: some(key),
                    signer: some(signer),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if checks.len() != commits.len() {
            return Err(parse_error(format!(
                "{} commits asked, {} checked",
                commits.len(),
                checks.len()
            )));
        }
        Ok(checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{NewCommit, Signature};
    use std::process::Command;

    fn sh(dir: &Path, program: &str, args: &[&str]) {
        let status = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("runs");
        assert!(status.success(), "{program} {args:?}");
    }

    /// A repository signing with a new SSH key, and an allowed-signers file
    /// naming `principal` for it.
    fn signing_repo(dir: &Path, principal: &str) -> (Git, std::path::PathBuf) {
        sh(dir, "git", &["init", "-q", "repo"]);
        let repo = dir.join("repo");
        sh(dir, "ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-f", "key"]);
        let public = std::fs::read_to_string(dir.join("key.pub")).expect("public key");
        let allowed = dir.join("allowed_signers");
        std::fs::write(&allowed, format!("{principal} {public}")).expect("write");
        let key = dir.join("key");
        for (k, v) in [
            ("gpg.format", "ssh"),
            ("user.signingKey", key.to_str().expect("utf-8 path")),
        ] {
            sh(&repo, "git", &["config", k, v]);
        }
        (Git::open(&repo).expect("opens"), allowed)
    }

    fn commit(git: &Git, sign: bool) -> Oid {
        let who = Signature::parse("Tess <tess@example.com> 1700000000 +0000").expect("signature");
        let tree = Oid::parse(git.run_with(&["mktree"], Some(b""), &[]).expect("mktree").trim()).expect("tree");
        git.commit_tree(&NewCommit {
            tree: &tree,
            parents: &[],
            author: &who,
            committer: &who,
            message: "entry",
            sign,
        })
        .expect("commit")
    }

    #[test]
    fn a_signed_commit_is_good_for_the_allowed_signer_and_unsigned_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (git, allowed) = signing_repo(dir.path(), "tess@example.com");
        let signed = commit(&git, true);
        let unsigned = commit(&git, false);
        let checks = git
            .check_signatures(&[signed.clone(), unsigned.clone()], &allowed)
            .expect("checks");
        assert_eq!(checks[0].commit, signed);
        assert_eq!(checks[0].verdict, Verdict::Good);
        let (key, signer) = checks[0].verified().expect("verified");
        assert!(key.starts_with("SHA256:"), "{key}");
        assert_eq!(signer, "tess@example.com");
        assert_eq!(checks[1].commit, unsigned);
        assert_eq!(checks[1].verdict, Verdict::Unsigned);
        assert_eq!(checks[1].verified(), None);
    }

    #[test]
    fn a_key_the_allowed_signers_do_not_name_is_not_verified() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (git, _) = signing_repo(dir.path(), "tess@example.com");
        let signed = commit(&git, true);
        let empty = dir.path().join("nobody");
        std::fs::write(&empty, "").expect("write");
        let checks = git.check_signatures(&[signed], &empty).expect("checks");
        assert_eq!(checks[0].verdict, Verdict::UnknownKey);
        assert!(checks[0].key.is_some(), "the key is still named");
        assert_eq!(checks[0].verified(), None);
    }
}
