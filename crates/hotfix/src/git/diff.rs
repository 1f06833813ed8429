//! Line-level views of a change: hunk ranges from `diff-tree -p` and the
//! commits `blame` names for lines. Only hunk headers are parsed, never the
//! lines themselves.

use super::{CommitSummary, Git, GitError, Oid, Result};

/// One hunk header, `@@ -old_start,old_len +new_start,new_len @@`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: u32,
    pub old_len: u32,
    pub new_start: u32,
    pub new_len: u32,
}

/// The hunks of one path (none for a binary or mode-only change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHunks {
    pub path: String,
    pub hunks: Vec<Hunk>,
}

impl Git {
    /// Returns the hunks of `from..to` in `paths`, with `context` lines
    /// around each change, renames off (each path is compared with itself).
    pub fn hunks(&self, from: &Oid, to: &Oid, paths: &[String], context: u32) -> Result<Vec<FileHunks>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.patch(from, to, paths, context)?;
        parse_hunks(&out).map_err(|detail| GitError::Parse {
            args: "diff-tree -p".into(),
            detail,
        })
    }

    /// Returns the commits reachable from `tip` but not from `exclude` that
    /// last wrote any of `lines` (1-based, inclusive) of `path` at `tip`.
    pub fn blame_commits(
        &self,
        tip: &Oid,
        exclude: &Oid,
        path: &str,
        lines: &[(u32, u32)],
    ) -> Result<Vec<CommitSummary>> {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let ranges: Vec<String> = lines.iter().map(|(s, e)| format!("-L{s},{e}")).collect();
        Ok(parse_blame(&self.blame_porcelain(tip, exclude, path, &ranges)?))
    }

    /// Runs `blame --porcelain` of `ranges` (`-L<from>,<to>`) of `path` at
    /// `tip`, stopping at `exclude`.
    fn blame_porcelain(&self, tip: &Oid, exclude: &Oid, path: &str, ranges: &[String]) -> Result<String> {
        let not = format!("^{exclude}");
        let mut args = vec!["blame", "--porcelain"];
        args.extend(ranges.iter().map(String::as_str));
        args.extend([tip.as_str(), &not, "--", path]);
        Ok(String::from_utf8_lossy(&self.run_bytes(&args, None)?).into_owned())
    }
}

impl Git {
    /// In a treeless partial clone (`--filter=tree:0`), fetches the trees of
    /// the commits of `exclude..tip` in one request: a path-limited walk
    /// reads every commit's tree, and git would fetch each alone (200
    /// fetches for a 200-commit range). Best effort: what it does not fetch,
    /// git fetches as before.
    fn prefetch_trees(&self, exclude: &Oid, tip: &Oid) {
        let Some(remote) = self.treeless_promisor() else {
            return;
        };
        let not = format!("^{exclude}");
        // `%T` is read from the commit: no tree is fetched to print it.
        let Ok(out) = self.run(&["log", "--format=%T", &not, tip.as_str()]) else {
            return;
        };
        if out.lines().count() < 2 {
            return;
        }
        let input = format!("{out}\n");
        let args = [
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--no-tags",
            "--no-write-fetch-head",
            "--quiet",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
            "--",
            remote.as_str(),
        ];
        let _ = self.run_with(&args, Some(input.as_bytes()), &[]);
    }

    /// Returns the promisor remote of a treeless partial clone (its
    /// `remote.<name>.partialclonefilter` is `tree:<depth>`), read once.
    fn treeless_promisor(&self) -> Option<String> {
        self.memo
            .treeless
            .get_or_init(|| {
                let args = ["config", "--get-regexp", "^remote\\..*\\.partialclonefilter$"];
                let (status, out, _) = self.run_raw(&args, None, &[]).ok()?;
                if !status.success() {
                    return None;
                }
                String::from_utf8_lossy(&out).lines().find_map(|l| {
                    let (key, filter) = l.split_once(' ')?;
                    let remote = key.strip_prefix("remote.")?.strip_suffix(".partialclonefilter")?;
                    filter.starts_with("tree:").then(|| remote.to_string())
                })
            })
            .clone()
    }

    /// Returns, for each of `lines` (1-based) of `path` at `tip` that a
    /// commit reachable from `tip` but not from `exclude` last wrote, that
    /// commit: one `blame` for all of them.
    pub fn blame_lines(
        &self,
        tip: &Oid,
        exclude: &Oid,
        path: &str,
        lines: &[u32],
    ) -> Result<Vec<(u32, CommitSummary)>> {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let ranges: Vec<String> = lines.iter().map(|l| format!("-L{l},{l}")).collect();
        Ok(parse_blame_lines(&self.blame_porcelain(tip, exclude, path, &ranges)?))
    }
}

/// Each line `blame --porcelain` attributes to a non-boundary commit: its
/// number at the tip, and the commit.
fn parse_blame_lines(out: &str) -> Vec<(u32, CommitSummary)> {
    let commits = parse_blame(out);
    let mut lines = Vec::new();
    for line in out.lines().filter(|l| !l.starts_with('\t')) {
        let mut fields = line.split(' ');
        let (Some(id), Some(_), Some(at)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (Some(id), Ok(at)) = (Oid::parse(id), at.parse::<u32>()) else {
            continue;
        };
        if let Some(commit) = commits.iter().find(|c| c.id == id) {
            lines.push((at, commit.clone()));
        }
    }
    lines
}

/// The lines one path gains in a change, with their line numbers on the new side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddedLines {
    pub path: String,
    pub lines: Vec<(u32, String)>,
}

/// At most this many production-side commits are compared by patch-id.
const PATCH_ID_CANDIDATES: usize = 500;

/// A commit of a path-limited walk.
struct PathCommit {
    summary: CommitSummary,
    parent: Option<Oid>,
    paths: Vec<String>,
}

/// One line `git grep -n` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrepHit {
    pub path: String,
    pub line: u32,
    pub text: String,
}

impl Git {
    /// Returns the lines `from..to` adds in `paths` (renames off), each with
    /// its number on the new side; file content is read lossily as UTF-8.
    pub fn added_lines(&self, from: &Oid, to: &Oid, paths: &[String]) -> Result<Vec<AddedLines>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let out = self.patch(from, to, paths, 0)?;
        parse_added(&out).map_err(|detail| GitError::Parse {
            args: "diff-tree -p -U0".into(),
            detail,
        })
    }

    /// Returns the text of `path` at `commit` (lossily UTF-8), or `None` when
    /// the commit has no such file.
    pub fn file_text(&self, commit: &Oid, path: &str) -> Result<Option<String>> {
        Ok(self
            .file_at(commit, path)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The patch of `from..to` in `paths` with `context` lines, renames off,
    /// read lossily: only its headers and `+` lines are used, and file
    /// content may be in any encoding.
    fn patch(&self, from: &Oid, to: &Oid, paths: &[String], context: u32) -> Result<String> {
        let unified = format!("-U{context}");
        let mut args = vec![
            "-c",
            "core.quotePath=false",
            "diff-tree",
            "-r",
            "-p",
            "--no-color",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            &unified,
            from.as_str(),
            to.as_str(),
            "--",
        ];
        args.extend(paths.iter().map(String::as_str));
        Ok(String::from_utf8_lossy(&self.run_bytes(&args, None)?).into_owned())
    }

    /// Returns the hunks between two blobs named `<commit>:<path>` (the spec
    /// starts with an id, so it is never read as an option), `-U0`.
    pub fn blob_hunks(&self, from: &Oid, from_path: &str, to: &Oid, to_path: &str) -> Result<Vec<Hunk>> {
        let old = format!("{from}:{from_path}");
        let new = format!("{to}:{to_path}");
        let args = [
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            &old,
            &new,
        ];
        let out = String::from_utf8_lossy(&self.run_bytes(&args, None)?).into_owned();
        let mut hunks = Vec::new();
        for line in out.lines() {
            if let Some(rest) = line.strip_prefix("@@ -") {
                hunks.push(parse_hunk_header(rest).ok_or_else(|| GitError::Parse {
                    args: "diff -U0".into(),
                    detail: format!("hunk header `{line}`"),
                })?);
            }
        }
        Ok(hunks)
    }

    /// Returns the pairs `(old, new)` that `from..to` renames, rename
    /// detection looking only at `paths`.
    pub fn renames(&self, from: &Oid, to: &Oid, paths: &[String]) -> Result<Vec<(String, String)>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec![
            "diff-tree",
            "-r",
            "-z",
            "-M",
            "--name-status",
            "--diff-filter=R",
            from.as_str(),
            to.as_str(),
            "--",
        ];
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(&args)?;
        let mut fields = out.split('\0').filter(|f| !f.is_empty());
        let mut pairs = Vec::new();
        while let Some(status) = fields.next() {
            let (Some(old), Some(new)) = (fields.next(), fields.next()) else {
                break;
            };
            if status.starts_with('R') {
                pairs.push((old.to_string(), new.to_string()));
            }
        }
        Ok(pairs)
    }

    /// Returns the paths `to` has and `from` lacks, among `paths` (all when empty).
    pub fn added_paths(&self, from: &Oid, to: &Oid, paths: &[String]) -> Result<Vec<String>> {
        self.paths_between(from, to, Some("--diff-filter=A"), paths)
    }

    /// Returns the paths among `paths` that differ between two tree-ishes.
    pub fn changed_among(&self, from: &Oid, to: &Oid, paths: &[String]) -> Result<Vec<String>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        self.paths_between(from, to, None, paths)
    }

    /// `diff-tree --name-only` between two tree-ishes, renames off, with an
    /// optional `--diff-filter`, limited to `paths` (all when empty).
    pub(super) fn paths_between(
        &self,
        from: &Oid,
        to: &Oid,
        filter: Option<&str>,
        paths: &[String],
    ) -> Result<Vec<String>> {
        let mut args = vec!["diff-tree", "-r", "-z", "--name-only", "--no-renames"];
        args.extend(filter);
        args.extend([from.as_str(), to.as_str(), "--"]);
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(&args)?;
        Ok(out.split('\0').filter(|p| !p.is_empty()).map(str::to_string).collect())
    }

    /// Returns the lines of `tree` in `pathspecs` that match any of the
    /// extended regular expressions `patterns` (text files only).
    pub fn grep_lines(&self, tree: &Oid, patterns: &[String], pathspecs: &[String]) -> Result<Vec<GrepHit>> {
        if patterns.is_empty() {
            return Ok(Vec::new());
        }
        // The patterns are POSIX extended expressions that mean the same in
        // PCRE (git's `-P`), which runs an alternation of many names tens of
        // times faster than the C library's regex (10 s against 0.3 s on
        // containerd's 1,673 Go files a fix's release line lacked); a git
        // built without PCRE gets `-E`.
        let grep = |syntax: &'static str| {
            let mut args = vec![
                "-c",
                "grep.fallbackToNoIndex=false",
                "grep",
                "-z",
                "-n",
                "-I",
                syntax,
                "--no-color",
                "--full-name",
            ];
            for p in patterns {
                // `-e` keeps a pattern from being read as an option.
                args.extend(["-e", p.as_str()]);
            }
            args.extend([tree.as_str(), "--"]);
            args.extend(pathspecs.iter().map(String::as_str));
            self.grep_output(&args)
        };
        let out = match self.memo.pcre.get() {
            Some(false) => grep("-E")?,
            _ => match grep("-P") {
                Ok(out) => {
                    let _ = self.memo.pcre.set(true);
                    out
                }
                // Any failure of `-P` (no PCRE, a pattern it reads otherwise)
                // gets the expressions' own syntax.
                Err(GitError::Failed { .. }) => {
                    let _ = self.memo.pcre.set(false);
                    grep("-E")?
                }
                Err(e) => return Err(e),
            },
        };
        let prefix = format!("{tree}:");
        let out = String::from_utf8_lossy(&out).into_owned();
        let mut hits = Vec::new();
        for record in out.split('\n') {
            let mut fields = record.splitn(3, '\0');
            let (Some(path), Some(line), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            let Ok(line) = line.parse() else { continue };
            hits.push(GrepHit {
                path: path.strip_prefix(&prefix).unwrap_or(path).to_string(),
                line,
                text: text.to_string(),
            });
        }
        Ok(hits)
    }

    /// Returns which of `words` occur as whole words in `tree`'s files in `pathspecs`.
    pub fn grep_words(&self, tree: &Oid, words: &[String], pathspecs: &[String]) -> Result<Vec<String>> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["grep", "-h", "-o", "-w", "-I", "-F", "--no-color"];
        for w in words {
            args.extend(["-e", w.as_str()]);
        }
        args.extend([tree.as_str(), "--"]);
        args.extend(pathspecs.iter().map(String::as_str));
        let out = String::from_utf8_lossy(&self.grep_output(&args)?).into_owned();
        let mut found: Vec<String> = Vec::new();
        for w in out.lines() {
            if words.iter().any(|x| x == w) && !found.iter().any(|f| f == w) {
                found.push(w.to_string());
            }
        }
        Ok(found)
    }

    /// Runs `git grep`: exit 1 means "nothing found", not a failure.
    fn grep_output(&self, args: &[&str]) -> Result<Vec<u8>> {
        let (status, stdout, stderr) = self.run_raw(args, None, &[])?;
        match status.code() {
            Some(0) => Ok(stdout),
            Some(1) if stderr.trim().is_empty() => Ok(Vec::new()),
            _ => Err(self.failed(args, &status, &stderr)),
        }
    }

    /// Lists the commits, newest first, that `tip` has and `production`
    /// lacks, leaving out merges and commits whose change production already
    /// has (same patch-id), that touched `path`.
    pub fn unreleased_commits_touching(&self, production: &Oid, tip: &Oid, path: &str) -> Result<Vec<CommitSummary>> {
        let found = self.unreleased_commits_by_path(production, tip, &[path.to_string()])?;
        Ok(found.into_iter().map(|(c, _)| c).collect())
    }

    /// Like [`Git::unreleased_commits_touching`] for several paths in one
    /// walk: each commit with the paths among `paths` it touched. This is
    /// `log --cherry-pick --right-only production...tip -- paths`, computed
    /// from two path-limited walks so that only commits touching `paths` get
    /// a patch-id (git's `--cherry-pick` computes one for every commit of the
    /// symmetric difference first).
    pub fn unreleased_commits_by_path(
        &self,
        production: &Oid,
        tip: &Oid,
        paths: &[String],
    ) -> Result<Vec<(CommitSummary, Vec<String>)>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let right = self.commits_by_path(production, tip, paths)?;
        if right.is_empty() {
            return Ok(Vec::new());
        }
        let mut left = self.commits_by_path(tip, production, paths)?;
        left.truncate(PATCH_ID_CANDIDATES);
        if left.is_empty() {
            return Ok(right.into_iter().map(|c| (c.summary, c.paths)).collect());
        }
        let pairs: Vec<(Oid, Oid)> = right
            .iter()
            .chain(&left)
            .filter_map(|c| Some((c.summary.id.clone(), c.parent.clone()?)))
            .collect();
        let ids = self.patch_ids(&pairs)?;
        let pid = |id: &Oid| ids.iter().find(|(c, _)| c == id).and_then(|(_, p)| p.clone());
        let released: Vec<String> = left.iter().filter_map(|c| pid(&c.summary.id)).collect();
        Ok(right
            .into_iter()
            .filter(|c| pid(&c.summary.id).is_none_or(|p| !released.contains(&p)))
            .map(|c| (c.summary, c.paths))
            .collect())
    }

    /// The non-merge commits of `exclude..tip` that touched `paths`, newest
    /// first, each with its first parent and the paths among `paths` it touched.
    fn commits_by_path(&self, exclude: &Oid, tip: &Oid, paths: &[String]) -> Result<Vec<PathCommit>> {
        self.prefetch_trees(exclude, tip);
        let not = format!("^{exclude}");
        let mut args = vec![
            "-c",
            "core.quotePath=false",
            "log",
            "-z",
            "--no-renames",
            "--no-merges",
            "--name-only",
            "--format=%x01%H%x02%P%x02%s",
            tip.as_str(),
            &not,
            "--",
        ];
        args.extend(paths.iter().map(String::as_str));
        let out = self.run(&args)?;
        let mut found = Vec::new();
        for record in out.split('\u{1}').filter(|r| !r.is_empty()) {
            let mut fields = record.split('\0');
            let Some(head) = fields.next() else { continue };
            let mut head = head.splitn(3, '\u{2}');
            let (Some(id), Some(parents), subject) = (head.next(), head.next(), head.next()) else {
                continue;
            };
            let Some(id) = Oid::parse(id) else { continue };
            let touched: Vec<String> = fields
                .map(|f| f.trim_start_matches('\n'))
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
            found.push(PathCommit {
                summary: CommitSummary {
                    id,
                    subject: subject.unwrap_or("").to_string(),
                },
                parent: parents.split(' ').next().and_then(Oid::parse),
                paths: touched,
            });
        }
        Ok(found)
    }

    /// Returns the commit `tip` has and `exclude` lacks that added `path`.
    pub fn commit_adding(&self, tip: &Oid, exclude: &Oid, path: &str) -> Result<Option<CommitSummary>> {
        let not = format!("^{exclude}");
        let out = self.run(&[
            "log",
            "-z",
            "-1",
            "--no-renames",
            "--diff-filter=A",
            "--format=%H %s",
            tip.as_str(),
            &not,
            "--",
            path,
        ])?;
        Ok(super::parse_summaries(&out).into_iter().next())
    }

    /// Returns the best common ancestor of two commits, if any.
    pub fn merge_base(&self, a: &Oid, b: &Oid) -> Result<Option<Oid>> {
        if a == b {
            return Ok(Some(a.clone()));
        }
        if let Some(known) = self.memo.merge_base(a, b) {
            return Ok(Some(known));
        }
        let (status, stdout, stderr) = self.run_raw(&["merge-base", a.as_str(), b.as_str()], None, &[])?;
        match status.code() {
            Some(0) => Ok(Oid::parse(String::from_utf8_lossy(&stdout).trim())),
            Some(1) => Ok(None),
            _ => Err(self.failed(&["merge-base", a.as_str(), b.as_str()], &status, &stderr)),
        }
    }
}

/// The `+` lines of a `-U0` patch, per file, numbered on the new side.
fn parse_added(out: &str) -> std::result::Result<Vec<AddedLines>, String> {
    let mut files: Vec<AddedLines> = Vec::new();
    let mut next_line: Option<u32> = None;
    for line in out.lines() {
        if let Some(header) = line.strip_prefix("diff --git ") {
            let path = header_path(header).ok_or_else(|| format!("diff header `{line}`"))?;
            if files.last().is_none_or(|f| f.path != path) {
                files.push(AddedLines {
                    path,
                    lines: Vec::new(),
                });
            }
            next_line = None;
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            let hunk = parse_hunk_header(rest).ok_or_else(|| format!("hunk header `{line}`"))?;
            next_line = Some(hunk.new_start);
        } else if let Some(n) = next_line.as_mut() {
            if let Some(added) = line.strip_prefix('+') {
                if let Some(file) = files.last_mut() {
                    file.lines.push((*n, added.to_string()));
                }
                *n += 1;
            } else if line.starts_with('-') || line.starts_with('\\') {
                // Old-side lines and "\ No newline" take no new-side number.
            } else {
                // Extended headers of the next file (index, mode, ---/+++) come before any hunk.
                next_line = None;
            }
        }
    }
    Ok(files)
}

fn parse_hunks(out: &str) -> std::result::Result<Vec<FileHunks>, String> {
    let mut files: Vec<FileHunks> = Vec::new();
    // The number of files seen when the last gitlink header came.
    let mut gitlink = usize::MAX;
    for line in out.lines() {
        if let Some(header) = line.strip_prefix("diff --git ") {
            let path = header_path(header).ok_or_else(|| format!("diff header `{line}`"))?;
            // A type change (file to symlink) is two sections for one path.
            if files.last().is_none_or(|f| f.path != path) {
                files.push(FileHunks {
                    path,
                    hunks: Vec::new(),
                });
            }
        } else if is_gitlink_header(line) {
            // A submodule pointer has a one-line "Subproject commit" hunk: no lines of a file.
            gitlink = files.len();
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            let seen = files.len();
            let file = files.last_mut().ok_or_else(|| "a hunk before any file".to_string())?;
            if gitlink != seen {
                file.hunks
                    .push(parse_hunk_header(rest).ok_or_else(|| format!("hunk header `{line}`"))?);
            }
        }
    }
    Ok(files)
}

/// The extended header lines that say a path is a gitlink (mode 160000).
fn is_gitlink_header(line: &str) -> bool {
    (line.starts_with("index ") && line.ends_with(" 160000"))
        || line == "new file mode 160000"
        || line == "deleted file mode 160000"
}

/// `-a,b +c,d @@ ...` (the `-` already stripped); a missing length is 1.
fn parse_hunk_header(rest: &str) -> Option<Hunk> {
    let (old, rest) = rest.split_once(" +")?;
    let (new, _) = rest.split_once(" @@")?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((s, l)) => Some((s.parse().ok()?, l.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (new_start, new_len) = range(new)?;
    Some(Hunk {
        old_start,
        old_len,
        new_start,
        new_len,
    })
}

/// The path of `a/P b/P` (no renames, so both sides are the same path): plain,
/// or C-quoted when it holds a quote, a backslash or a control character.
fn header_path(header: &str) -> Option<String> {
    if header.starts_with('"') {
        let (a, _) = unquote(header)?;
        return a.strip_prefix("a/").map(str::to_string);
    }
    // "a/" + P + " b/" + P: P is exactly half of what remains.
    let len = header.len().checked_sub(5)? / 2;
    let path = header.get(2..2 + len)?;
    (header.get(2 + len..)? == format!(" b/{path}")).then(|| path.to_string())
}

/// Reads one C-quoted string from the start of `s`; returns it and the rest.
fn unquote(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut bytes = Vec::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((String::from_utf8(bytes).ok()?, &body[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => bytes.push(b'\n'),
                    't' => bytes.push(b'\t'),
                    '"' => bytes.push(b'"'),
                    '\\' => bytes.push(b'\\'),
                    'a' => bytes.push(7),
                    'b' => bytes.push(8),
                    'f' => bytes.push(12),
                    'r' => bytes.push(b'\r'),
                    'v' => bytes.push(11),
                    '0'..='7' => {
                        let (_, d2) = chars.next()?;
                        let (_, d3) = chars.next()?;
                        let octal: String = [e, d2, d3].iter().collect();
                        bytes.push(u8::from_str_radix(&octal, 8).ok()?);
                    }
                    _ => return None,
                }
            }
            c => {
                let mut buf = [0; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    None
}

/// The non-boundary commits of `blame --porcelain` output, in order of first appearance.
fn parse_blame(out: &str) -> Vec<CommitSummary> {
    let mut found: Vec<(CommitSummary, bool)> = Vec::new();
    let mut current: Option<usize> = None;
    for line in out.lines() {
        if line.starts_with('\t') {
            continue;
        }
        let first = line.split(' ').next().unwrap_or("");
        if let Some(id) = Oid::parse(first).filter(|_| line.split(' ').count() >= 3) {
            current = Some(match found.iter().position(|(c, _)| c.id == id) {
                Some(i) => i,
                None => {
                    found.push((
                        CommitSummary {
                            id,
                            subject: String::new(),
                        },
                        false,
                    ));
                    found.len() - 1
                }
            });
        } else if let Some(i) = current {
            if let Some(summary) = line.strip_prefix("summary ") {
                found[i].0.subject = summary.to_string();
            } else if line == "boundary" {
                found[i].1 = true;
            }
        }
    }
    found
        .into_iter()
        .filter(|(_, boundary)| !boundary)
        .map(|(c, _)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_headers_plain_spaced_and_quoted() {
        assert_eq!(header_path("a/src/x.rs b/src/x.rs").as_deref(), Some("src/x.rs"));
        assert_eq!(header_path("a/my file b/my file").as_deref(), Some("my file"));
        assert_eq!(header_path("a/a b/c b/a b/c").as_deref(), Some("a b/c"));
        assert_eq!(header_path(r#""a/t\tab\"q" "b/t\tab\"q""#).as_deref(), Some("t\tab\"q"));
        assert_eq!(header_path(r#""a/\303\251" "b/\303\251""#).as_deref(), Some("é"));
    }

    #[test]
    fn hunks_by_file() {
        let out = "diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -3,0 +4,2 @@ ctx\n+x\n+y\n\
                   @@ -10 +12 @@\n-a\n+b\ndiff --git a/g b/g\nBinary files a/g and b/g differ\n";
        let files = parse_hunks(out).expect("parses");
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[0].hunks,
            vec![
                Hunk {
                    old_start: 3,
                    old_len: 0,
                    new_start: 4,
                    new_len: 2
                },
                Hunk {
                    old_start: 10,
                    old_len: 1,
                    new_start: 12,
                    new_len: 1
                }
            ]
        );
        assert!(files[1].hunks.is_empty());
        let sub = "diff --git a/sub b/sub\nindex 1..2 160000\n--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n\
                   -Subproject commit 1\n+Subproject commit 2\n";
        assert_eq!(parse_hunks(sub).expect("parses")[0].hunks, Vec::new());
        let sub = "diff --git a/sub b/sub\nindex 1..2 160000\n--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-Subproject commit 1\n+Subproject commit 2\n";
        assert_eq!(parse_hunks(sub).expect("parses")[0].hunks, Vec::new());
    }

    #[test]
    fn blame_lines_names_each_lines_commit_and_not_boundaries() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!(
            "{a} 3 7 1\nauthor A\nsummary first\nfilename f\n\tline seven\n\
             {b} 1 9 2\nauthor B\nsummary old\nboundary\nfilename f\n\tline nine\n\
             {b} 2 10\n\tline ten\n\
             {a} 4 12 1\n\tline twelve\n"
        );
        let lines = parse_blame_lines(&out);
        let at: Vec<(u32, &str)> = lines.iter().map(|(l, c)| (*l, c.subject.as_str())).collect();
        assert_eq!(at, [(7, "first"), (12, "first")]);
    }

    #[test]
    fn blame_keeps_unreleased_commits_only() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!(
            "{a} 1 1 1\nauthor A\nsummary unreleased change\nfilename f\n\tline\n\
             {b} 2 2 1\nauthor B\nsummary old\nboundary\nfilename f\n\tline\n{a} 3 3\n\tline\n"
        );
        let found = parse_blame(&out);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "unreleased change");
    }
}
