#!/usr/bin/env bash
# Replays a repository's real PATCH releases as strategy from-tag hotfixes with
# the real binary: does `git hotfix` ship the fixes the maintainers shipped?
#
# For each pair of tags T = X.Y.Z and T' = X.Y.(Z+1) of the pattern where T is
# an ancestor of T', the fixes are T..T' (first-parent, oldest first) minus the
# release commits: a commit whose changed paths (against its first parent) are
# a subset of {version file, changelog, $RELEASE_EXTRA} and that changes only
# the version line of the version file (see is_release). In a fresh
# `--shared --mirror` clone (the `origin` of a bare clone the tool runs in) with
# T' and every tag above T deleted, so that the next free version is X.Y.(Z+1):
#   1. `git hotfix plan --product p --production T --fix F1 --fix F2 ... --json`
#      records blocked or not (and the BLOCKing checks), and the plan's version;
#   2. when not blocked, `git hotfix start --yes` (no deploy configured) runs it,
#      and `git diff --name-only T <new tag>` on origin is compared with
#      `git diff --name-only T T'` (paths in $RELEASE_EXTRA are left out of both
#      sides and counted apart: the tool does not bump them, e.g. a lock file).
# Prints one table row: pairs, blocked, blocked %, blocks by check, version
# right, paths equal; then one line per block, error or mismatch.
#
# Usage: bench/replay_from_tag.sh <repository> <product-tag-pattern> <version-file> [changelog] [max]
#   e.g. bench/replay_from_tag.sh /path/to/backport.git 'v{version}' package.json CHANGELOG.md 30
#   changelog may be "-" for none; max (default 30) bounds the pairs, newest first.
#   RELEASE_EXTRA="package-lock.json" (space-separated) names more release-only paths.
#   REPLAY_NAME names the row (default: the repository's directory name).
#   KEEP=1 keeps the temp dir (its path is printed) to look at a pair.
# The repository is cloned --shared --mirror per pair into a temp dir: it is never written to.
set -euo pipefail
src=$(cd "$1" && pwd)
pattern=$2
vfile=$3
changelog=${4:--}
max=${5:-30}
extra=${RELEASE_EXTRA:-}
name=${REPLAY_NAME:-$(basename "$(dirname "$src")")}
here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bin=$target/release/git-hotfix
tmp=$(mktemp -d)
if [[ -n ${KEEP:-} ]]; then echo "temp dir: $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi
(cd "$here" && cargo build -q --release -p git-hotfix --bins)
export GIT_AUTHOR_NAME=Replay GIT_AUTHOR_EMAIL=replay@example.com
export GIT_COMMITTER_NAME=Replay GIT_COMMITTER_EMAIL=replay@example.com

prefix=${pattern%%\{version\}*}
suffix=${pattern#*\{version\}}
main=$(git -C "$src" symbolic-ref --short HEAD)
g() { git -C "$src" "$@"; }

# The release-only paths, one a line.
release_paths=$(printf '%s\n' "$vfile" $([[ $changelog != - ]] && echo "$changelog") $extra)

# X.Y.Z versions of the pattern's tags, ascending.
versions=$(g tag -l "${prefix}*${suffix}" | while read -r t; do
  v=${t#"$prefix"}; v=${v%"$suffix"}
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && echo "$v"
done | sort -V)

# Pairs "T T'" of consecutive patch versions with T an ancestor of T', newest first.
pairs=$(for v in $versions; do
  IFS=. read -r x y z <<<"$v"
  next="$x.$y.$((z + 1))"
  grep -qxF "$next" <<<"$versions" || continue
  t="$prefix$v$suffix" n="$prefix$next$suffix"
  g merge-base --is-ancestor "$t" "$n" && echo "$t $n"
done | tac | head -n "$max")

# Paths a commit changes against its first parent (the root: all its paths).
changed() { g diff-tree --no-commit-id --name-only -r -m --first-parent "$1" 2>/dev/null || true; }
# Drops the release-only paths from a list of paths.
strip_release() { grep -vxF -f <(printf '%s\n' "$release_paths") || true; }
# A release commit changes release-only paths only, and in the version file
# only lines that name a version ("version": "1.2.3", version = "1.2.3", a
# VERSION file's one line): the release itself, a "prepare next version"
# (1.3.0-SNAPSHOT) commit, a CHANGELOG-only commit. A dependency bump that
# changes package.json only is a fix, and so is a commit that changes only
# $RELEASE_EXTRA paths (a lock file checked in on its own).
is_release() {
  local c=$1
  local paths
  paths=$(changed "$c")
  [[ -z $(strip_release <<<"$paths") ]] || return 1
  grep -qxF "$vfile" <<<"$paths" || { [[ $changelog != - ]] && grep -qxF "$changelog" <<<"$paths"; } || return 1
  grep -qxF "$vfile" <<<"$paths" || return 0
  ! g diff -U0 "$c^1" "$c" -- "$vfile" | sed -n '/^[-+][-+][-+] /d; /^[-+]/p' |
    grep -viqE '^[-+]\s*("?version"?\s*[:=]\s*)?"?[0-9]+\.[0-9]+\.[0-9]+[^"]*"?,?\s*$'
}
strip_extra() { if [[ -n $extra ]]; then grep -vxF -f <(printf '%s\n' $extra) || true; else cat; fi; }

count=0 blocked=0 version_ok=0 paths_ok=0 started=0
declare -A by_check=()
notes=()
while read -r t n; do
  [[ -n $t ]] || continue
  fixes=()
  for c in $(g rev-list --first-parent --reverse "$t..$n"); do
    is_release "$c" || fixes+=("$c")
  done
  if [[ ${#fixes[@]} -eq 0 ]]; then
    notes+=("SKIPPED $t -> $n: no commit but release commits")
    continue
  fi
  count=$((count + 1))
  v=${t#"$prefix"}; v=${v%"$suffix"}
  IFS=. read -r x y z <<<"$v"
  want="$x.$y.$((z + 1))"

  # origin: the mirror without T' and the tags above T; repo: a bare clone of
  # it where the tool runs (a repository cannot be its own origin: the run's
  # journal refs and the remote's would be the same refs).
  origin=$tmp/$count.origin.git repo=$tmp/$count.git
  git clone -q --shared --mirror "$src" "$origin"
  for u in $versions; do
    [[ $(printf '%s\n%s\n' "$v" "$u" | sort -V | tail -1) == "$u" && $u != "$v" ]] &&
      git -C "$origin" tag -d "$prefix$u$suffix" >/dev/null
  done
  git clone -q --shared --bare "$origin" "$repo"
  git -C "$repo" config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*'
  git -C "$repo" fetch -q origin
  {
    echo 'strategy = "from-tag"'
    echo 'remote = "origin"'
    echo '[branches]'
    echo "main = \"$main\""
    echo '[products.p]'
    echo "tag = \"$pattern\""
    echo "version_files = [\"$vfile\"]"
    [[ $changelog != - ]] && echo "changelog = \"$changelog\""
  } >"$tmp/$count.toml"
  fix_args=()
  for f in "${fixes[@]}"; do fix_args+=(--fix "$f"); done
  hf() { "$bin" -C "$repo" --config "$tmp/$count.toml" "$@"; }

  set +e
  hf plan --product p --production "$t" "${fix_args[@]}" --json >"$tmp/$count.plan.json" 2>"$tmp/$count.plan.err"
  code=$?
  set -e
  what="$t -> $n (${#fixes[@]} fix(es))"
  got=$(jq -r '.from_tag.version // empty' "$tmp/$count.plan.json" 2>/dev/null || true)
  if [[ $got == "$want" ]]; then
    version_ok=$((version_ok + 1))
  else
    notes+=("VERSION $what: plan says '${got}', want $want")
  fi
  if [[ $code == 3 ]]; then
    blocked=$((blocked + 1))
    checks=$(jq -r '[.checks[]? | select(.status == "block") | .name] | unique | join(", ")' \
      "$tmp/$count.plan.json" 2>/dev/null || true)
    [[ -n $checks ]] || checks=$(sed -n 's/^  \([a-z-]*\): .*/\1/p' "$tmp/$count.plan.err" | sort -u | paste -sd, -)
    for c in ${checks//,/ }; do by_check[$c]=$((${by_check[$c]:-0} + 1)); done
    notes+=("BLOCKED $what: $checks")
    sed 's/^/    /' "$tmp/$count.plan.err" >>"$tmp/blocks.txt"
    continue
  elif [[ $code != 0 ]]; then
    by_check[error]=$((${by_check[error]:-0} + 1))
    notes+=("ERROR plan $what: exit $code: $(tr '\n' ' ' <"$tmp/$count.plan.err" | cut -c1-300)")
    continue
  fi

  set +e
  hf start --product p --production "$t" "${fix_args[@]}" --yes >"$tmp/$count.start.out" 2>&1
  code=$?
  set -e
  new="$prefix$want$suffix"
  if [[ $code != 0 ]] || ! git -C "$origin" rev-parse -q --verify "refs/tags/$new" >/dev/null; then
    notes+=("ERROR start $what: exit $code, tag $new on origin $(git -C "$origin" rev-parse -q --verify "refs/tags/$new" >/dev/null && echo made || echo missing): $(tail -3 "$tmp/$count.start.out" | tr '\n' ' ' | cut -c1-300)")
    continue
  fi
  started=$((started + 1))
  ours=$(git -C "$origin" diff --name-only "$t" "$new" | strip_extra)
  theirs=$(g diff --name-only "$t" "$n" | strip_extra)
  if [[ $ours == "$theirs" ]]; then
    paths_ok=$((paths_ok + 1))
  else
    notes+=("PATHS $what: only ours: $(comm -23 <(echo "$ours") <(echo "$theirs") | paste -sd' ' -)| only theirs: $(comm -13 <(echo "$ours") <(echo "$theirs") | paste -sd' ' -)")
  fi
  if [[ -n $extra ]]; then
    missed=$(g diff --name-only "$t" "$n" | grep -xF -f <(printf '%s\n' $extra) || true)
    [[ -n $missed ]] && notes+=("EXTRA $what: the release also changed $(paste -sd' ' - <<<"$missed"); the hotfix does not")
  fi
done <<<"$pairs"

checks=$(for k in "${!by_check[@]}"; do echo "$k ${by_check[$k]}"; done | sort | paste -sd, - | sed 's/,/, /g')
pct=$(awk -v b=$blocked -v c=$count 'BEGIN { printf "%.1f", c ? b * 100 / c : 0 }')
echo "| repository | pairs | blocked | blocked % | blocks by check | version right | paths equal (of started) |"
echo "|---|---|---|---|---|---|---|"
echo "| $name | $count | $blocked | $pct | ${checks:--} | $version_ok/$count | $paths_ok/$started |"
for l in "${notes[@]}"; do echo "$l"; done
[[ -f $tmp/blocks.txt ]] && { echo "block details:"; cat "$tmp/blocks.txt"; }
exit 0
