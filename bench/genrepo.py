#!/usr/bin/env python3
"""Generates a benchmark origin with git fast-import.

History (linear):  c1 (all FILES files) .. c[COMMITS]   each later commit edits one file
  files are src/dAA/dBB/fCC.txt, at most 100 entries a directory (up to 1,000,000 files)
  production = c[COMMITS-200], release = c[COMMITS], main = release + F
F edits a file that none of the 200 unreleased commits touched.
Prints: production, release, fix SHAs as shell assignments.

usage: genrepo.py BARE_REPO_DIR FILES COMMITS
"""
import subprocess
import sys

repo, files, commits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
UNRELEASED = 200
subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", repo], check=True)
fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE)
out = fi.stdin


def w(s):
    out.write(s.encode() if isinstance(s, str) else s)


def path(n):
    # At most 100 entries a directory, as in real trees: a commit then rewrites three
    # small trees, where one src/ of 10,000 entries made 1M files too slow to generate.
    return f"src/d{n // 10000:02d}/d{n // 100 % 100:02d}/f{n % 100:02d}.txt"


def data(b):
    w(f"data {len(b)}\n")
    w(b)
    w("\n")


def edited(i):
    return (i * 7919) % files


t = 1_700_000_000
w("commit refs/heads/main\nmark :1\n")
w(f"author Gen <gen@example.com> {t} +0000\ncommitter Gen <gen@example.com> {t} +0000\n")
data(b"c1: initial tree")
for n in range(files):
    w(f"M 100644 inline {path(n)}\n")
    data(f"file {n}\nline two\nline three\n".encode())
for i in range(2, commits + 1):
    n = edited(i)
    w(f"commit refs/heads/main\nmark :{i}\n")
    w(f"author Gen <gen@example.com> {t + i} +0000\ncommitter Gen <gen@example.com> {t + i} +0000\n")
    data(f"c{i}: edit {path(n)}".encode())
    w(f"M 100644 inline {path(n)}\n")
    data(f"file {n}\nline two v{i}\nline three\n".encode())
w(f"reset refs/heads/release\nfrom :{commits}\n\n")
touched = {edited(i) for i in range(commits - UNRELEASED + 1, commits + 1)}
target = next(n for n in range(files) if n not in touched)
w(f"commit refs/heads/main\nmark :{commits + 1}\n")
w(f"author Dana <dana@example.com> {t + commits + 1} +0000\ncommitter Dana <dana@example.com> {t + commits + 1} +0000\n")
data(b"fix: the urgent one")
# The fix edits line three of a file the unreleased work never touched.
last = max([i for i in range(2, commits - UNRELEASED + 1) if edited(i) == target], default=None)
line_two = f"line two v{last}" if last else "line two"
w(f"M 100644 inline {path(target)}\n")
data(f"file {target}\n{line_two}\nline three, fixed\n".encode())
w("done\n")
out.close()
if fi.wait() != 0:
    sys.exit("fast-import failed")


def rev(r):
    return subprocess.run(["git", "-C", repo, "rev-parse", r], check=True, capture_output=True, text=True).stdout.strip()


print(f"PRODUCTION={rev(f'release~{UNRELEASED}')}")
print(f"RELEASE={rev('release')}")
print(f"FIX={rev('main')}")
