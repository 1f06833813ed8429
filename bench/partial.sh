#!/usr/bin/env bash
# Objects a hotfix fetches in a partial clone: `git hotfix plan` and `start` of the
# standard fix (bench/genrepo.py's F onto production = release~200) in a blobless
# (`--filter=blob:none`) and a treeless (`--filter=tree:0`) clone of a generated
# repository, served over file:// with uploadpack.allowFilter and
# uploadpack.allowAnySHA1InWant. Prints, per clone and command, the objects fetched
# (packed objects gained: what git-hotfix writes itself is loose), the objects the
# clone still lacks after it (reachable ones git knows of: a treeless clone learns of
# blobs as it fetches trees) and the lazy fetches git made (trace2 `fetch ... --stdin`
# children, one process each). Plain numbers; nothing is asserted.
#
# usage: bench/partial.sh <repo> [FILES=10000] [COMMITS=2000]
#   <repo>: a bare repository genrepo.py made (made there when missing)
#   env: HOTFIX (the binary, default a release build), WORK (scratch dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
REPO=${1:?usage: bench/partial.sh <repo> [FILES] [COMMITS]}
FILES=${2:-10000}
COMMITS=${3:-2000}
WORK=${WORK:-$(mktemp -d)}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
if [ -z "${HOTFIX:-}" ]; then
  (cd "$here/.." && cargo build --release --quiet)
  HOTFIX="${CARGO_TARGET_DIR:-$here/../target}/release/git-hotfix"
fi
[ -d "$REPO" ] || python3 "$here/genrepo.py" "$REPO" "$FILES" "$COMMITS" > /dev/null
REPO=$(cd "$REPO" && pwd)
PRODUCTION=$(git -C "$REPO" rev-parse release~200)
FIX=$(git -C "$REPO" rev-parse main)

packed() { git -C "$1" count-objects -v | awk '/^in-pack:/ {print $2}'; }
missing() { git -C "$1" rev-list --objects --missing=print --all | grep -c '^?' || true; }
lazy_fetches() { grep -c '"event":"child_start".*"fetch".*"--stdin"' "$1" 2>/dev/null || true; }

echo "repository: $REPO ($(git -C "$REPO" rev-list --objects --all | wc -l) objects)"
printf '%-9s %-6s %8s %14s %13s\n' clone step fetched missing-after lazy-fetches
for filter in blob:none tree:0; do
  # A scratch origin borrowing the repository's objects, so the push changes nothing there.
  origin="$WORK/origin-${filter%%:*}.git"; clone="$WORK/clone-${filter%%:*}"
  rm -rf "$origin" "$clone"
  git clone -q --bare --shared "$REPO" "$origin"
  git -C "$origin" config uploadpack.allowFilter true
  git -C "$origin" config uploadpack.allowAnySHA1InWant true
  git clone -q --no-checkout --filter="$filter" "file://$origin" "$clone"
  printf '%-9s %-6s %8s %14s %13s\n' "$filter" clone "$(packed "$clone")" "$(missing "$clone")" -
  printf 'strategy = "restore-release"\n[branches]\nmain = "main"\nrelease = "release"\n' > "$clone/hotfix.toml"
  for step in plan start; do
    before=$(packed "$clone")
    trace="$WORK/trace-${filter%%:*}-$step.json"; rm -f "$trace"
    args=("$step" --fix "$FIX" --production "$PRODUCTION")
    [ "$step" = start ] && args+=(--yes)
    (cd "$clone" && GIT_TRACE2_EVENT="$trace" "$HOTFIX" "${args[@]}" > "$WORK/$step.log" 2>&1) \
      || { echo "git hotfix $step failed in the $filter clone:" >&2; cat "$WORK/$step.log" >&2; exit 1; }
    after=$(packed "$clone")
    printf '%-9s %-6s %8s %14s %13s\n' "$filter" "$step" $((after - before)) "$(missing "$clone")" "$(lazy_fetches "$trace")"
  done
done
