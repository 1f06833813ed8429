#!/usr/bin/env bash
# Replays a repository's real clean backports ("(cherry picked from commit X)",
# shipped exactly as `git cherry-pick` gives them) as `git hotfix plan` runs of
# the real binary, and prints one table row: picks, blocked, blocks by check,
# the longest output line and the lines over 400 characters.
# Usage: bench/replay_plans.sh <repository> [max-picks, default 150]
# The repository is cloned --bare into a temp dir (its objects hard-linked, its
# branches and tags only, as a team's clone has them): it is never written to.
# Not --shared: every fetch would then walk the source's refs too
# (`--alternate-refs`), 0.9 s a plan on ansible's 60,000 refs.
set -euo pipefail
src=$1
max=${2:-150}
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --bare "$src" "$tmp/repo.git"
(cd "$here" && cargo build -q --release -p git-hotfix -p hotfix --bins --example replay_plans)
REPLAY_NAME=${REPLAY_NAME:-$(basename "$(dirname "$src")")} TMPDIR=$tmp \
  "$target/release/examples/replay_plans" "$tmp/repo.git" "$target/release/git-hotfix" "$max"
