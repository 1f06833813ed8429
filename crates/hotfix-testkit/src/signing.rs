//! SSH signing keys for tests and the demo: a person's key made with
//! `ssh-keygen`, the team's allowed-signers file naming them, and a clone
//! set to sign with one of them, as a person's git would be.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One person's SSH signing key.
#[derive(Clone, Debug)]
pub struct Signer {
    /// Who the allowed signers say the key is: an email.
    pub principal: String,
    /// The private key's file (`user.signingKey` may name it).
    pub key: PathBuf,
    /// The public key, one line (`ssh-ed25519 AAAA... comment`).
    pub public: String,
}

/// Returns true when this machine can make SSH signing keys.
pub fn available() -> bool {
    Command::new("ssh-keygen")
        .arg("-?")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

impl Signer {
    /// Makes a new ed25519 key without a passphrase in `dir`, named after
    /// `principal`.
    #[track_caller]
    pub fn new(dir: &Path, principal: &str) -> Signer {
        let name: String = principal
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let key = dir.join(format!("{name}.key"));
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", principal, "-f"])
            .arg(&key)
            .output()
            .expect("ssh-keygen runs");
        assert!(
            out.status.success(),
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = std::fs::read_to_string(key.with_extension("key.pub"))
            .expect("ssh-keygen wrote the public key")
            .trim()
            .to_string();
        Signer {
            principal: principal.to_string(),
            key,
            public,
        }
    }

    /// Returns this key's line of an allowed-signers file.
    pub fn allowed_line(&self) -> String {
        format!("{} {}\n", self.principal, self.public)
    }

    /// The git configuration that signs with this key: `-c` pairs for a
    /// command line, or keys to set in a clone.
    pub fn git_config(&self) -> [(&'static str, String); 2] {
        [
            ("gpg.format", "ssh".to_string()),
            ("user.signingKey", self.key.display().to_string()),
        ]
    }

    /// Sets the clone at `dir` (pinned to `home`) to sign with this key.
    #[track_caller]
    pub fn configure(&self, home: &Path, dir: &Path) {
        for (key, value) in self.git_config() {
            crate::repo::git(home, dir, &["config", key, &value]);
        }
    }
}

/// Writes the allowed-signers file at `path`, naming each of `signers`.
#[track_caller]
pub fn write_allowed_signers(path: &Path, signers: &[&Signer]) {
    let text: String = signers.iter().map(|s| s.allowed_line()).collect();
    std::fs::write(path, text).expect("write the allowed signers");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signer_has_a_key_and_an_allowed_signers_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tess = Signer::new(dir.path(), "tess@example.com");
        assert!(tess.key.exists());
        assert!(tess.public.starts_with("ssh-ed25519 "), "{}", tess.public);
        let path = dir.path().join("allowed_signers");
        write_allowed_signers(&path, &[&tess]);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("tess@example.com {}\n", tess.public));
    }
}
