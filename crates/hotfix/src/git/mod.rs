//! Object-level git: every read and write goes through the user's own `git`,
//! parsed from `-z` / `--porcelain` output, never from prose.
//!
//! Nothing here touches a working tree, the index or `HEAD`: commits are built
//! with `commit-tree`, cherry-picks with `merge-tree --write-tree --merge-base`
//! (git's ort merge, so results equal `git cherry-pick`), and refs move only
//! through `update-ref` with an expected old value or `push --force-with-lease`.
//! The one exception is `worktree`: `git hotfix resolve` lays a conflict out
//! in a linked worktree of its own for a person to edit, never the operator's.

mod batch;
mod diff;
mod memo;
pub mod refname;
mod signing;
mod transport;
mod tree_edit;
mod worktree;

pub use signing::{SignatureCheck, Verdict};

pub use diff::{AddedLines, FileHunks, GrepHit, Hunk};

pub use transport::{branch_refspecs, tracking_ref, PushOutcome, PushRefStatus, RefUpdate};
pub use tree_edit::{tree_path_problem, TreeEditError};

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The oldest git whose `merge-tree` has `--write-tree --merge-base`.
pub const MIN_GIT_VERSION: (u32, u32) = (2, 40);

/// The ref namespaces only git-hotfix writes: the runs and locks, and the
/// remote's copies of them. Stale ref locks are cleared here and nowhere else.
pub const OWN_REF_NAMESPACES: [&str; 2] = ["refs/hotfix/", "refs/hotfix-remote/"];

/// How old a ref lock file must be before it counts as left by a dead process.
pub const STALE_REF_LOCK: std::time::Duration = std::time::Duration::from_secs(5);

fn own_namespace(name: &str) -> bool {
    OWN_REF_NAMESPACES.iter().any(|ns| name.starts_with(ns)) && !name.split('/').any(|c| c == "..")
}

/// Removes the lock file at `path` when it was last written more than
/// [`STALE_REF_LOCK`] ago; returns true when it did.
fn remove_if_stale(path: &Path) -> bool {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok());
    age.is_some_and(|a| a > STALE_REF_LOCK) && std::fs::remove_file(path).is_ok()
}

/// Errors of the git layer; each carries the command and what git said.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("could not run `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`git {args}` failed ({status}): {stderr}")]
    Failed {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("`git {args}` printed output that could not be read: {detail}")]
    Parse { args: String, detail: String },
    #[error("`{rev}` is not a commit in this repository")]
    UnknownRevision { rev: String },
    #[error("git {found} is too old: git-hotfix needs git {}.{} or newer for `merge-tree --merge-base`", MIN_GIT_VERSION.0, MIN_GIT_VERSION.1)]
    TooOld { found: String },
    #[error("{path} is not inside a git repository")]
    NotARepository { path: PathBuf },
    #[error("git does not know who you are: no committer name and email are configured")]
    NoIdentity,
    #[error("the push option `{}` is refused: it is empty, starts with `-` or holds a control character", .option.escape_debug())]
    BadPushOption { option: String },
}

impl GitError {
    /// Returns true for faults worth retrying: the network, not the request.
    pub fn is_spurious(&self) -> bool {
        match self {
            GitError::Failed { stderr, .. } => {
                let s = stderr.to_ascii_lowercase();
                [
                    "could not resolve host",
                    "connection timed out",
                    "connection reset",
                    "early eof",
                    "the remote end hung up unexpectedly",
                    "operation timed out",
                ]
                .iter()
                .any(|needle| s.contains(needle))
            }
            _ => false,
        }
    }
}

pub type Result<T, E = GitError> = std::result::Result<T, E>;

/// A full object id as git prints it (hex, SHA-1 or SHA-256).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Oid(String);

impl<'de> serde::Deserialize<'de> for Oid {
    /// Reads an object id from a journal or a service, which come from
    /// outside: anything but 40 or 64 lowercase hex digits is refused.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Oid, D::Error> {
        let text = String::deserialize(deserializer)?;
        match Oid::parse(&text) {
            Some(oid) if oid.0 == text => Ok(oid),
            _ => Err(serde::de::Error::custom(format!(
                "`{}` is not an object id",
                text.chars().take(80).collect::<String>().escape_debug()
            ))),
        }
    }
}

impl Oid {
    /// Parses a hex object id, refusing anything that is not one.
    pub fn parse(s: &str) -> Option<Oid> {
        let s = s.trim();
        let ok = (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| Oid(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the 7-character abbreviation used in messages.
    pub fn short(&self) -> &str {
        &self.0[..7]
    }

    /// Returns true for git's all-zero id, meaning "no object".
    pub fn is_null(&self) -> bool {
        self.0.bytes().all(|b| b == b'0')
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({})", self.short())
    }
}

/// A person and a moment, as in a commit header (`Name <email> 1700000000 +0000`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub time: i64,
    /// Offset as git writes it, e.g. `+0000`.
    pub offset: String,
}

impl Signature {
    /// Parses `Name <email> 1700000000 +0000`.
    pub fn parse(s: &str) -> Option<Signature> {
        let open = s.find('<')?;
        let close = s.rfind('>')?;
        let name = s[..open].trim().to_string();
        let email = s[open + 1..close].to_string();
        let mut rest = s[close + 1..].split_whitespace();
        let time = rest.next()?.parse().ok()?;
        let offset = rest.next().unwrap_or("+0000").to_string();
        Some(Signature {
            name,
            email,
            time,
            offset,
        })
    }

    /// Returns the `Name <email>` part.
    pub fn ident(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }

    fn git_date(&self) -> String {
        format!("@{} {}", self.time, self.offset)
    }
}

/// The parts of a commit object git-hotfix reads.
#[derive(Clone, Debug)]
pub struct CommitInfo {
    pub id: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
    pub author: Signature,
    pub committer: Signature,
    pub message: String,
}

impl CommitInfo {
    /// Returns the first line of the message.
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// A commit to write with `commit-tree`.
pub struct NewCommit<'a> {
    pub tree: &'a Oid,
    pub parents: &'a [Oid],
    pub author: &'a Signature,
    pub committer: &'a Signature,
    pub message: &'a str,
    /// Signs the commit with the user's git signing configuration (`-S`).
    pub sign: bool,
}

/// What `merge-tree --write-tree` produced.
#[derive(Clone, Debug)]
pub struct MergeOutcome {
    pub tree: Oid,
    /// Paths with conflicts; empty for a clean merge.
    pub conflicts: Vec<String>,
}

/// One path changed between two trees, with added and removed line counts
/// (`None` for binary files).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    pub path: String,
    pub added: Option<u64>,
    pub removed: Option<u64>,
}

/// One commit of a chain, as [`Git::chain_links`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    pub commit: Oid,
    pub tree: Oid,
    pub parents: Vec<Oid>,
    pub message: String,
}

/// A commit named by id and subject, for listing in messages.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitSummary {
    pub id: Oid,
    pub subject: String,
}

/// A handle on one repository, run through the user's `git`.
#[derive(Clone, Debug)]
pub struct Git {
    program: OsString,
    /// Where git runs (`-C`): a work tree or a bare repository.
    dir: PathBuf,
    git_dir: PathBuf,
    /// `None` in a bare repository.
    work_tree: Option<PathBuf>,
    /// Configuration every command of this repository gets through the
    /// environment (`GIT_CONFIG_COUNT`), never written to a config file: the
    /// sparse checkout of a resolve worktree ([`worktree::SPARSE_MARK`]).
    config_env: Vec<(&'static str, &'static str)>,
    /// An index file that does not exist, for commands that compare trees
    /// only but read the index anyway (`diff-tree` loads it whole: 35 ms at
    /// 100,000 files, for nothing). `None` in a bare repository, or when
    /// something holds that path.
    no_index: Option<PathBuf>,
    /// The long-lived `cat-file` object reads go to, shared by the handle's
    /// clones (the services' lanes read side by side).
    objects: Objects,
    /// What this process learned of the repository's objects: each answer
    /// is asked of git once ([`memo`]).
    memo: std::sync::Arc<memo::Memo>,
}

/// The `cat-file --batch-command` of a repository, started on first use.
#[derive(Clone, Default)]
struct Objects(std::sync::Arc<std::sync::Mutex<Option<batch::Batch>>>);

impl fmt::Debug for Objects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Objects")
    }
}

/// The file [`Git::command`] names as `GIT_INDEX_FILE` for tree-only commands:
/// in the git dir, never created.
const NO_INDEX_FILE: &str = "git-hotfix-no-index";

/// The git commands that compare trees only, yet read the index.
const TREE_ONLY_COMMANDS: [&str; 1] = ["diff-tree"];

impl Git {
    /// Opens the repository containing `dir` and checks the git version.
    pub fn open(dir: &Path) -> Result<Git> {
        let program = std::env::var_os("GIT_HOTFIX_GIT").unwrap_or_else(|| "git".into());
        let mut git = Git {
            program,
            dir: dir.to_path_buf(),
            git_dir: PathBuf::new(),
            work_tree: None,
            config_env: Vec::new(),
            no_index: None,
            objects: Objects::default(),
            memo: Default::default(),
        };
        git.check_version()?;
        let not_a_repo = || GitError::NotARepository {
            path: dir.to_path_buf(),
        };
        // One process in a work tree, the usual place; `--show-toplevel`
        // fails in a bare repository (and inside `.git`), which ask again.
        let layout = match git.run(&[
            "rev-parse",
            "--is-bare-repository",
            "--absolute-git-dir",
            "--show-toplevel",
        ]) {
            Ok(layout) => layout,
            Err(_) => git
                .run(&["rev-parse", "--is-bare-repository", "--absolute-git-dir"])
                .map_err(|_| not_a_repo())?,
        };
        let mut lines = layout.lines();
        let bare = lines.next() == Some("true");
        git.git_dir = PathBuf::from(lines.next().ok_or_else(not_a_repo)?);
        if !bare {
            let top = match lines.next() {
                Some(top) => top.to_string(),
                None => git.run(&["rev-parse", "--show-toplevel"])?.trim().to_string(),
            };
            git.work_tree = Some(PathBuf::from(top));
            let no_index = git.git_dir.join(NO_INDEX_FILE);
            git.no_index = (!no_index.exists()).then_some(no_index);
        }
        if git.git_dir.join(worktree::SPARSE_MARK).is_file() {
            git.config_env = worktree::SPARSE_CONFIG.to_vec();
        }
        Ok(git)
    }

    /// Returns the directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn check_version(&self) -> Result<()> {
        let out = self.run(&["--version"])?;
        let version = out.trim().trim_start_matches("git version ").to_string();
        let mut nums = version.split(|c: char| !c.is_ascii_digit());
        let major: u32 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let minor: u32 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        if (major, minor) < MIN_GIT_VERSION {
            return Err(GitError::TooOld { found: version });
        }
        Ok(())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("-C").arg(&self.dir);
        // Output is parsed: keep it in git's plain, untranslated form.
        cmd.env("LC_ALL", "C").env("GIT_TERMINAL_PROMPT", "0");
        if !self.config_env.is_empty() {
            cmd.env("GIT_CONFIG_COUNT", self.config_env.len().to_string());
            for (i, (key, value)) in self.config_env.iter().enumerate() {
                cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                    .env(format!("GIT_CONFIG_VALUE_{i}"), value);
            }
        }
        if let Some(no_index) = &self.no_index {
            if subcommand(args).is_some_and(|c| TREE_ONLY_COMMANDS.contains(&c)) {
                cmd.env("GIT_INDEX_FILE", no_index);
            }
        }
        cmd
    }

    /// Runs git with `args` and returns stdout; a non-zero exit is an error.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        self.run_with(args, None, &[])
    }

    /// Runs git with `args`, feeding `stdin` and adding `env`.
    pub fn run_with(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Result<String> {
        let (status, stdout, stderr) = self.run_raw(args, stdin, env)?;
        if !status.success() {
            return Err(self.failed(args, &status, &stderr));
        }
        bytes_to_string(args, stdout)
    }

    /// Runs git and returns stdout as bytes: for output that carries file
    /// content (patches, blame), which need not be UTF-8.
    fn run_bytes(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>> {
        let (status, stdout, stderr) = self.run_raw(args, stdin, &[])?;
        if !status.success() {
            return Err(self.failed(args, &status, &stderr));
        }
        Ok(stdout)
    }

    /// Runs git and returns exit status, stdout and stderr without judging the status.
    fn run_raw(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        env: &[(&str, &str)],
    ) -> Result<(std::process::ExitStatus, Vec<u8>, String)> {
        crate::trace::emit(|| format!("git {}", args.join(" ")));
        let mut cmd = self.command(args);
        cmd.args(args)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let spawn_err = |source| GitError::Spawn {
            program: self.program.to_string_lossy().into_owned(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_err)?;
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped because input was given");
            // A writer thread keeps a large input from deadlocking against a full stdout pipe.
            let input = input.to_vec();
            let writer = std::thread::spawn(move || pipe.write_all(&input));
            let out = child.wait_with_output().map_err(spawn_err)?;
            // git may exit before reading all input (an error); its status says why.
            let _ = writer.join();
            return Ok((
                out.status,
                out.stdout,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        Ok((
            out.status,
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    fn failed(&self, args: &[&str], status: &std::process::ExitStatus, stderr: &str) -> GitError {
        GitError::Failed {
            args: args.join(" "),
            status: status.code().map_or("killed".to_string(), |c| format!("exit {c}")),
            stderr: stderr.trim().to_string(),
        }
    }

    /// Resolves `rev` to a commit id, or `UnknownRevision`.
    pub fn resolve_commit(&self, rev: &str) -> Result<Oid> {
        self.resolve_commits(&[rev])?
            .pop()
            .flatten()
            .ok_or_else(|| GitError::UnknownRevision { rev: rev.to_string() })
    }

    /// Resolves a ref name to its value, or `None` when it does not exist.
    pub fn read_ref(&self, name: &str) -> Result<Option<Oid>> {
        // `cat-file` resolves a name as `rev-parse --verify` does, and reads
        // the ref anew each time it is asked.
        Ok(self.with_objects(|b| b.info(name))?.and_then(|h| Oid::parse(&h.id)))
    }

    /// Returns true when the object store holds `id`.
    pub fn has_object(&self, id: &Oid) -> Result<bool> {
        self.names_object(id.as_str())
    }

    /// Returns true when `rev` (`<commit>:<path>`, an id) names an object
    /// the store holds.
    pub fn names_object(&self, rev: &str) -> Result<bool> {
        Ok(self.with_objects(|b| b.info(rev))?.is_some())
    }

    /// Returns the content of `path` in `commit`'s tree, or `None` when it
    /// has no such file.
    pub fn file_at(&self, commit: &Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let spec = format!("{commit}:{path}");
        Ok(match self.with_objects(|b| b.contents(&spec))? {
            Some((header, body)) if header.kind == "blob" => Some(body),
            _ => None,
        })
    }

    /// Returns the id of the empty tree (it depends on the hash), writing it.
    pub fn empty_tree(&self) -> Result<Oid> {
        if let Some(tree) = self.memo.empty_tree.get() {
            return Ok(tree.clone());
        }
        let out = self.run_with(&["mktree"], Some(b""), &[])?;
        let tree = Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "mktree".into(),
            detail: out,
        })?;
        Ok(self.memo.empty_tree.get_or_init(|| tree).clone())
    }

    /// Runs `read` on the repository's long-lived `cat-file`, starting it
    /// first when there is none; one that failed is dropped, and the next
    /// read starts another.
    fn with_objects<T>(&self, read: impl FnOnce(&mut batch::Batch) -> Result<T>) -> Result<T> {
        let mut slot = self.objects.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            *slot = Some(batch::Batch::start(self.command(&["cat-file"]))?);
        }
        let out = read(slot.as_mut().expect("started above"));
        if matches!(out, Err(GitError::Io { .. } | GitError::Parse { .. })) {
            *slot = None;
        }
        out
    }

    /// Reads a commit object.
    pub fn commit(&self, id: &Oid) -> Result<CommitInfo> {
        let mut commits = self.commits(std::slice::from_ref(id))?;
        Ok(commits.remove(0))
    }

    /// Returns true when `ancestor` is reachable from `descendant`.
    pub fn is_ancestor(&self, ancestor: &Oid, descendant: &Oid) -> Result<bool> {
        if ancestor == descendant {
            // git says the same of a commit it has (and this asks of commits
            // read already): no process for it.
            return Ok(true);
        }
        if let Some(known) = self.memo.is_ancestor(ancestor, descendant) {
            return Ok(known);
        }
        let args = ["merge-base", "--is-ancestor", ancestor.as_str(), descendant.as_str()];
        let (status, _, stderr) = self.run_raw(&args, None, &[])?;
        let is = match status.code() {
            Some(0) => true,
            Some(1) => false,
            _ => return Err(self.failed(&args, &status, &stderr)),
        };
        self.memo.keep_ancestry(ancestor, descendant, is);
        Ok(is)
    }

    /// Three-way merges `theirs` into `ours` against `base` with git's ort
    /// strategy, writing the result tree (with conflict markers) to the object store.
    pub fn merge_tree(&self, base: &Oid, ours: &Oid, theirs: &Oid) -> Result<MergeOutcome> {
        let merge_base = format!("--merge-base={base}");
        let args = [
            "merge-tree",
            "--write-tree",
            "-z",
            "--name-only",
            "--no-messages",
            &merge_base,
            ours.as_str(),
            theirs.as_str(),
        ];
        let (status, stdout, stderr) = self.run_raw(&args, None, &[])?;
        // Exit 1 means "conflicts"; anything else but 0 is a real failure.
        if !matches!(status.code(), Some(0) | Some(1)) {
            return Err(self.failed(&args, &status, &stderr));
        }
        let text = bytes_to_string(&args, stdout)?;
        let mut fields = text.split('\0');
        let tree = fields.next().and_then(Oid::parse).ok_or_else(|| GitError::Parse {
            args: args.join(" "),
            detail: "no tree id".into(),
        })?;
        let mut conflicts: Vec<String> = fields.take_while(|f| !f.is_empty()).map(str::to_string).collect();
        conflicts.dedup();
        if status.code() == Some(1) && conflicts.is_empty() {
            return Err(GitError::Parse {
                args: args.join(" "),
                detail: "merge reported conflicts but named no path".into(),
            });
        }
        Ok(MergeOutcome { tree, conflicts })
    }

    /// Writes a commit object and returns its id; no ref moves.
    pub fn commit_tree(&self, c: &NewCommit<'_>) -> Result<Oid> {
        let mut args: Vec<&str> = vec!["commit-tree", c.tree.as_str()];
        for p in c.parents {
            args.push("-p");
            args.push(p.as_str());
        }
        if c.sign {
            args.push("-S");
        }
        args.extend(["-F", "-"]);
        let (ad, cd) = (c.author.git_date(), c.committer.git_date());
        let env = [
            ("GIT_AUTHOR_NAME", c.author.name.as_str()),
            ("GIT_AUTHOR_EMAIL", c.author.email.as_str()),
            ("GIT_AUTHOR_DATE", ad.as_str()),
            ("GIT_COMMITTER_NAME", c.committer.name.as_str()),
            ("GIT_COMMITTER_EMAIL", c.committer.email.as_str()),
            ("GIT_COMMITTER_DATE", cd.as_str()),
        ];
        let out = self.run_with(&args, Some(c.message.as_bytes()), &env)?;
        let id = Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "commit-tree".into(),
            detail: out,
        })?;
        self.memo.keep_written(&id, c.tree, c.parents, c.message);
        Ok(id)
    }

    /// Writes an annotated tag object `name` on `commit` and returns its id;
    /// no ref moves. `git mktag` checks the object as `fsck` would.
    pub fn write_tag(&self, commit: &Oid, name: &str, tagger: &Signature, message: &str) -> Result<Oid> {
        let object = format!(
            "object {commit}\ntype commit\ntag {name}\ntagger {} {} {}\n\n{message}\n",
            tagger.ident(),
            tagger.time,
            tagger.offset
        );
        let out = self.run_with(&["mktag"], Some(object.as_bytes()), &[])?;
        Oid::parse(&out).ok_or_else(|| GitError::Parse {
            args: "mktag".into(),
            detail: out,
        })
    }

    /// Moves a local ref to `new`, only if it currently equals `old`
    /// (`None`: must not exist).
    pub fn update_ref(&self, name: &str, new: &Oid, old: Option<&Oid>, reason: &str) -> Result<()> {
        self.update_refs(&[(name, new, old)], reason)
    }

    /// Moves several local refs in one transaction (`update-ref --stdin`):
    /// each to its new value, only if it equals its old one (`None`: must
    /// not exist); all move or none does.
    pub fn update_refs(&self, updates: &[(&str, &Oid, Option<&Oid>)], reason: &str) -> Result<()> {
        let mut input = Vec::new();
        for (name, new, old) in updates {
            let zero = "0".repeat(new.as_str().len());
            let old = old.map_or(zero.as_str(), Oid::as_str);
            for field in [&format!("update {name}"), new.as_str(), old] {
                input.extend_from_slice(field.as_bytes());
                input.push(0);
            }
        }
        let args = [
            "-c",
            "core.fsync=committed",
            "update-ref",
            "-m",
            reason,
            "-z",
            "--stdin",
        ];
        let names: Vec<&str> = updates.iter().map(|(name, _, _)| *name).collect();
        self.writing_refs(&names, || self.run_with(&args, Some(&input), &[]))
            .map(drop)
    }

    /// Deletes a local ref if it still equals `old`.
    pub fn delete_ref(&self, name: &str, old: &Oid) -> Result<()> {
        self.writing_refs(&[name], || self.run(&["update-ref", "-d", name, old.as_str()]))
            .map(drop)
    }

    /// Runs `write`, a git command that writes the refs `names`; when it
    /// fails and a stale lock of one of them (see
    /// [`clear_stale_ref_locks`](Self::clear_stale_ref_locks)) was in the
    /// way, clears the locks and runs it once more.
    fn writing_refs(&self, names: &[&str], write: impl Fn() -> Result<String>) -> Result<String> {
        match write() {
            Err(e @ GitError::Failed { .. }) => {
                let mut cleared = false;
                for name in names {
                    let lock = self.git_path(&format!("{name}.lock"))?;
                    cleared |= own_namespace(name) && remove_if_stale(&lock);
                }
                if cleared {
                    write()
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    /// Removes ref lock files under `prefix` (one of [`OWN_REF_NAMESPACES`])
    /// older than [`STALE_REF_LOCK`]: a git-hotfix killed while git wrote a
    /// ref leaves one, and every later write of that ref fails on it. Git
    /// holds a ref lock for milliseconds, so one that old has no writer.
    /// Returns how many it removed.
    pub fn clear_stale_ref_locks(&self, prefix: &str) -> Result<usize> {
        if !own_namespace(prefix) {
            return Ok(0);
        }
        let root = self.git_path(prefix.trim_end_matches('/'))?;
        let mut removed = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(path),
                    Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "lock") => {
                        removed += usize::from(remove_if_stale(&path));
                    }
                    _ => {}
                }
            }
        }
        Ok(removed)
    }

    /// Returns the absolute path git uses for `path` in the repository
    /// (refs live in the common directory of linked worktrees).
    fn git_path(&self, path: &str) -> Result<PathBuf> {
        let out = self.run(&["rev-parse", "--path-format=absolute", "--git-path", path])?;
        Ok(PathBuf::from(out.trim_end_matches('\n')))
    }

    /// Lists local refs under `prefix` with their values.
    pub fn list_refs(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        let out = self.run(&["for-each-ref", "--format=%(objectname) %(refname)", prefix])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let (oid, name) = l.split_once(' ')?;
                Some((name.to_string(), Oid::parse(oid)?))
            })
            .collect())
    }

    /// Returns the newest tag (by creation date) matching `glob`, with the commit it names.
    pub fn newest_tag(&self, glob: &str) -> Result<Option<(String, Oid)>> {
        let pattern = format!("refs/tags/{glob}");
        let out = self.run(&[
            "for-each-ref",
            // The last --sort is the primary key: newest first, and for tags
            // made in the same second, the highest version.
            "--sort=-v:refname",
            "--sort=-creatordate",
            "--count=1",
            "--format=%(refname:strip=2)%00%(*objectname)%00%(objectname)",
            &pattern,
        ])?;
        let line = out.trim_end_matches('\n');
        if line.is_empty() {
            return Ok(None);
        }
        let mut f = line.split('\0');
        let name = f.next().unwrap_or_default().to_string();
        // `*objectname` is the peeled commit of an annotated tag, empty for a light one.
        let peeled = f.next().and_then(Oid::parse);
        let direct = f.next().and_then(Oid::parse);
        Ok(peeled.or(direct).map(|oid| (name, oid)))
    }

    /// Returns the tags matching `glob` that name `commit` (directly or
    /// peeled), newest first (creation date, then version order).
    pub fn tags_at(&self, glob: &str, commit: &Oid) -> Result<Vec<String>> {
        let pattern = format!("refs/tags/{glob}");
        let points_at = format!("--points-at={commit}");
        let out = self.run(&[
            "for-each-ref",
            &points_at,
            "--sort=-v:refname",
            "--sort=-creatordate",
            "--format=%(refname:strip=2)",
            &pattern,
        ])?;
        Ok(out.lines().filter(|l| !l.is_empty()).map(str::to_string).collect())
    }

    /// Returns the local tags that name `commit` (directly or peeled).
    pub fn tags_pointing_at(&self, commit: &Oid) -> Result<Vec<String>> {
        let points_at = format!("--points-at={commit}");
        let out = self.run(&["for-each-ref", &points_at, "--format=%(refname:strip=2)", "refs/tags/"])?;
        Ok(out.lines().map(str::to_string).collect())
    }

    /// Returns the commits `include` has and `exclude` lacks, merges left
    /// out, newest first: at most `limit` of them, and how many there are.
    pub fn commits_only_in(&self, exclude: &Oid, include: &Oid, limit: usize) -> Result<(Vec<CommitSummary>, usize)> {
        let range = format!("{exclude}..{include}");
        // One walk gives the list and the count: `rev-list --count` would
        // walk the same commits again in a second process.
        let out = self.run(&["log", "-z", "--no-merges", "--format=%H %s", &range])?;
        let mut commits = parse_summaries(&out);
        let count = commits.len();
        commits.truncate(limit);
        Ok((commits, count))
    }

    /// Returns the files changed from `from` to `to` (any tree-ish), with line counts.
    pub fn diff_stat(&self, from: &Oid, to: &Oid) -> Result<Vec<FileChange>> {
        if let Some(known) = self.memo.stats(from, to) {
            return Ok(known);
        }
        let args = [
            "diff-tree",
            "-r",
            "-z",
            "--numstat",
            "--no-renames",
            from.as_str(),
            to.as_str(),
        ];
        let out = self.run(&args)?;
        let mut changes = Vec::new();
        for record in out.split('\0').filter(|r| !r.is_empty()) {
            let mut parts = record.splitn(3, '\t');
            let (Some(a), Some(r), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(GitError::Parse {
                    args: args.join(" "),
                    detail: format!("numstat record `{record}`"),
                });
            };
            changes.push(FileChange {
                path: path.to_string(),
                added: a.parse().ok(),
                removed: r.parse().ok(),
            });
        }
        self.memo.keep_stats(from, to, &changes);
        Ok(changes)
    }

    /// Returns the paths that differ between two tree-ishes.
    pub fn changed_paths(&self, from: &Oid, to: &Oid) -> Result<Vec<String>> {
        if let Some(known) = self.memo.paths(from, to) {
            return Ok(known);
        }
        let paths = self.paths_between(from, to, None, &[])?;
        self.memo.keep_paths(from, to, &paths);
        Ok(paths)
    }

    /// Lists commits reachable from any of `include` but not from `exclude`
    /// that touched any of `paths`, newest first.
    pub fn commits_touching(&self, exclude: &Oid, include: &[&Oid], paths: &[String]) -> Result<Vec<CommitSummary>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let not = format!("^{exclude}");
        let mut args = vec!["log", "-z", "--no-renames", "--format=%H %s", &not];
        args.extend(include.iter().map(|o| o.as_str()));
        args.push("--");
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(&args)?;
        Ok(parse_summaries(&out))
    }

    /// Lists the commits of range `from..to` along `to`'s first parents,
    /// oldest first: a merge stands for the change it merged.
    pub fn first_parent_range(&self, from: &str, to: &str) -> Result<Vec<Oid>> {
        let not = format!("^{from}");
        let out = self.run(&["rev-list", "--reverse", "--first-parent", "--end-of-options", to, &not])?;
        Ok(out.lines().filter_map(Oid::parse).collect())
    }

    /// Lists the first-parent chain of `exclude..include`, newest first.
    pub fn first_parent_chain(&self, exclude: &Oid, include: &Oid) -> Result<Vec<CommitSummary>> {
        if let Some(known) = self.memo.first_parent_chain(exclude, include) {
            return Ok(known
                .into_iter()
                .map(|(id, subject)| CommitSummary { id, subject })
                .collect());
        }
        let range = format!("{exclude}..{include}");
        let out = self.run(&["log", "-z", "--first-parent", "--format=%H %s", &range])?;
        Ok(parse_summaries(&out))
    }

    /// Returns the commits of `exclude..include` along first parents, newest
    /// first, each with its tree, parents and message: what a chain of
    /// commits holds, whoever made them and when.
    pub fn chain_links(&self, exclude: &Oid, include: &Oid) -> Result<Vec<ChainLink>> {
        let range = format!("{exclude}..{include}");
        let out = self.run(&["log", "-z", "--first-parent", "--format=%H%x1f%T%x1f%P%x1f%B", &range])?;
        out.split('\0')
            .filter(|record| !record.is_empty())
            .map(|record| {
                let bad = || GitError::Parse {
                    args: format!("log --first-parent {range}"),
                    detail: format!("record `{record}`"),
                };
                let mut fields = record.trim_start_matches('\n').splitn(4, '\x1f');
                let mut oid = || fields.next().and_then(Oid::parse).ok_or_else(bad);
                let (commit, tree) = (oid()?, oid()?);
                let parents = fields
                    .next()
                    .ok_or_else(bad)?
                    .split_whitespace()
                    .map(|p| Oid::parse(p).ok_or_else(bad))
                    .collect::<Result<Vec<_>>>()?;
                let message = fields.next().ok_or_else(bad)?.to_string();
                Ok(ChainLink {
                    commit,
                    tree,
                    parents,
                    message,
                })
            })
            .collect()
    }

    /// Returns the stable patch-id of each `(commit, parent)` pair's change,
    /// keyed by commit; a pair with an empty change has none.
    pub fn patch_ids(&self, pairs: &[(Oid, Oid)]) -> Result<Vec<(Oid, Option<String>)>> {
        let input: String = pairs.iter().map(|(c, p)| format!("{c} {p}\n")).collect();
        // Patches carry file content as it is: bytes, not necessarily UTF-8.
        let patches = self.run_bytes(
            &[
                "diff-tree",
                "--stdin",
                "-p",
                "--no-color",
                "--no-renames",
                "--full-index",
            ],
            Some(input.as_bytes()),
        )?;
        let ids = self.run_with(&["patch-id", "--stable"], Some(&patches), &[])?;
        let found: Vec<(Oid, String)> = ids
            .lines()
            .filter_map(|l| {
                let (pid, commit) = l.split_once(' ')?;
                Some((Oid::parse(commit)?, pid.to_string()))
            })
            .collect();
        Ok(pairs
            .iter()
            .map(|(c, _)| {
                let pid = found.iter().find(|(id, _)| id == c).map(|(_, p)| p.clone());
                (c.clone(), pid)
            })
            .collect())
    }

    /// Returns the committer identity git would use now (`git var GIT_COMMITTER_IDENT`).
    pub fn committer_ident(&self) -> Result<Signature> {
        // Every journal entry and commit names its author: without one, nothing can start.
        let out = match self.run(&["var", "GIT_COMMITTER_IDENT"]) {
            Err(GitError::Failed { .. }) => return Err(GitError::NoIdentity),
            other => other?,
        };
        Signature::parse(out.trim()).ok_or_else(|| GitError::Parse {
            args: "var GIT_COMMITTER_IDENT".into(),
            detail: out,
        })
    }

    /// Returns a config value, or `None` when unset.
    pub fn config_get(&self, key: &str) -> Result<Option<String>> {
        let (status, stdout, stderr) = self.run_raw(&["config", "--get", key], None, &[])?;
        match status.code() {
            Some(0) => Ok(Some(String::from_utf8_lossy(&stdout).trim().to_string())),
            Some(1) => Ok(None),
            _ => Err(self.failed(&["config", "--get", key], &status, &stderr)),
        }
    }

    /// Returns the top of the work tree, or `None` in a bare repository.
    pub fn work_tree(&self) -> Option<&Path> {
        self.work_tree.as_deref()
    }

    /// Returns the absolute git directory.
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// Resolves several revisions to commits with the long-lived `cat-file`;
    /// `None` for a revision that names no commit.
    pub fn resolve_commits(&self, revs: &[&str]) -> Result<Vec<Option<Oid>>> {
        if revs.iter().any(|r| r.contains('\n')) {
            return Err(GitError::UnknownRevision { rev: revs.join(" ") });
        }
        self.with_objects(|batch| {
            revs.iter()
                .map(|rev| {
                    Ok(match batch.info(&format!("{rev}^{{commit}}"))? {
                        Some(header) if header.kind == "commit" => Oid::parse(&header.id),
                        _ => None,
                    })
                })
                .collect()
        })
    }

    /// Reads several commit objects with the long-lived `cat-file`.
    pub fn commits(&self, ids: &[Oid]) -> Result<Vec<CommitInfo>> {
        let read: Vec<CommitInfo> = self.with_objects(|batch| {
            ids.iter()
                .map(|id| {
                    if let Some(known) = self.memo.commit(id) {
                        return Ok(known);
                    }
                    let Some((header, body)) = batch.contents(id.as_str())? else {
                        return Err(GitError::UnknownRevision { rev: id.to_string() });
                    };
                    if header.kind != "commit" {
                        return Err(GitError::UnknownRevision { rev: id.to_string() });
                    }
                    parse_commit(id.clone(), &String::from_utf8_lossy(&body)).ok_or_else(|| GitError::Parse {
                        args: format!("cat-file commit {id}"),
                        detail: "commit header not understood".into(),
                    })
                })
                .collect()
        })?;
        for info in &read {
            self.memo.keep_commit(info);
        }
        Ok(read)
    }
}

/// Returns the git command `args` run: the first word after the `-c
/// key=value` pairs.
fn subcommand<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if *word == "-c" {
            words.next();
        } else {
            return Some(word);
        }
    }
    None
}

fn bytes_to_string(args: &[&str], bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| GitError::Parse {
        args: args.join(" "),
        detail: format!("not UTF-8: {e}"),
    })
}

fn parse_summaries(out: &str) -> Vec<CommitSummary> {
    out.split('\0')
        .filter_map(|rec| {
            let rec = rec.trim_start_matches('\n');
            let (id, subject) = rec.split_once(' ').unwrap_or((rec, ""));
            Some(CommitSummary {
                id: Oid::parse(id)?,
                subject: subject.to_string(),
            })
        })
        .collect()
}

fn parse_commit(id: Oid, raw: &str) -> Option<CommitInfo> {
    let (header, message) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let mut tree = None;
    let mut parents = Vec::new();
    let mut author = None;
    let mut committer = None;
    for line in header.lines() {
        if let Some(v) = line.strip_prefix("tree ") {
            tree = Oid::parse(v);
        } else if let Some(v) = line.strip_prefix("parent ") {
            parents.push(Oid::parse(v)?);
        } else if let Some(v) = line.strip_prefix("author ") {
            author = Signature::parse(v);
        } else if let Some(v) = line.strip_prefix("committer ") {
            committer = Signature::parse(v);
        }
    }
    Some(CommitInfo {
        id,
        tree: tree?,
        parents,
        author: author?,
        committer: committer?,
        message: message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_git_header() {
        let s = Signature::parse("Ann Op <ann@example.com> 1700000000 -0500").expect("valid header");
        assert_eq!(s.ident(), "Ann Op <ann@example.com>");
        assert_eq!(s.time, 1_700_000_000);
        assert_eq!(s.git_date(), "@1700000000 -0500");
    }

    #[test]
    fn oid_rejects_non_hex() {
        assert!(Oid::parse("zz").is_none());
        assert!(Oid::parse(&"g".repeat(40)).is_none());
        assert!(Oid::parse(&"a".repeat(40)).is_some());
    }
}
