#!/usr/bin/env bash
# Replays a repository's real backports ("(cherry picked from commit X)" on a
# branch other than main, X on main) as `git hotfix backport --fix X --to T`
# runs of the real binary, T a branch at the backport's first parent, and
# compares each with `git cherry-pick -x` onto that parent: one table row,
# one line per disagreement, then a one-line summary. Exits 1 on a disagreement.
# Usage: bench/replay_backport.sh <repository> [N newest backports, default 100]
# The repository is cloned --bare --shared (the remote the tool pushes to) and
# that clone cloned --shared (the working clone): the repository is never written to.
set -euo pipefail
src=$1
max=${2:-100}
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --bare --shared "$src" "$tmp/origin.git"
git clone -q --shared --no-checkout "$tmp/origin.git" "$tmp/work"
main=$(git -C "$tmp/origin.git" rev-parse --verify -q refs/heads/main >/dev/null && echo main || echo master)
(cd "$here" && cargo build -q --release -p git-hotfix -p hotfix --bins --example replay_backport)
name=${REPLAY_NAME:-$(basename "$(dirname "$src")")}
REPLAY_NAME=$name TMPDIR=$tmp "$target/release/examples/replay_backport" \
  "$tmp/origin.git" "$tmp/work" "$target/release/git-hotfix" "$main" "$max"
