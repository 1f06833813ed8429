#!/usr/bin/env bash
# Replays a repository's real backports ("(cherry picked from commit X)")
# with the engine and with `git cherry-pick`, and prints one table row.
# Usage: bench/replay.sh <repository> [max-picks, default 400]
# The repository is cloned --shared into a temp dir: it is never written to.
set -euo pipefail
src=$1
max=${2:-400}
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --shared --mirror "$src" "$tmp/repo.git"
(cd "$here" && cargo build -q --release -p hotfix --example replay_backports)
REPLAY_NAME=${REPLAY_NAME:-$(basename "$src")} TMPDIR=$tmp "$target/release/examples/replay_backports" "$tmp/repo.git" "$max"
