#!/usr/bin/env bash
# Benchmark: git hotfix plan/start against
#   (a) the runbook's own commands in a checkout (seed 000: restore, commit, push, diff,
#       cherry-pick -x, push), and
#   (b) a minimal git plumbing script doing the same object work: fetch, reachability,
#       commit-tree restore, merge-tree pick, commit-tree, scope diff, overlap log,
#       patch-id, one leased push, re-fetch and verify.
# on generated repositories (bench/genrepo.py) of SIZES files and COMMITS commits,
# release 200 commits ahead of production. Wall time is the median of REPS runs;
# peak memory is the largest resident set of any process in the run (GNU time %M).
#
# usage: bench/run.sh [SIZES="10000 100000"] [COMMITS=20000] [REPS=5]
#   env: SIZES, COMMITS, REPS, WORK (scratch dir, default a new temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SIZES:-"10000 100000"}
COMMITS=${COMMITS:-20000}
REPS=${REPS:-5}
WORK=${WORK:-$(mktemp -d)}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
(cd "$here/.." && cargo build --release --quiet)
HOTFIX="$here/../target/release/git-hotfix"

# Prints "<seconds> <peak KiB>" for one run of the command.
measure() {
  local f; f=$(mktemp)
  if ! /usr/bin/time -o "$f" -f "%e %M" "$@" >"$f.log" 2>&1; then
    echo "benchmark command failed: $*" >&2; cat "$f.log" >&2; exit 1
  fi
  tail -1 "$f"; rm -f "$f" "$f.log"
}

# Puts origin and the operator clone back to the starting state (not timed).
reset_state() {
  git -C "$ORIGIN" update-ref refs/heads/release "$RELEASE"
  git -C "$ORIGIN" for-each-ref --format='delete %(refname)' refs/hotfix/ | git -C "$ORIGIN" update-ref --stdin
  git -C "$CLONE" for-each-ref --format='delete %(refname)' refs/hotfix/ refs/hotfix-remote/ | git -C "$CLONE" update-ref --stdin
  git -C "$CLONE" update-ref refs/remotes/origin/release "$RELEASE"
  git -C "$CLONE" checkout -q -f main
  git -C "$CLONE" branch -q -D release 2>/dev/null || true
  git -C "$CLONE" cherry-pick --abort 2>/dev/null || true
}

runbook() {  # (a) seed 000, in the operator's checkout
  cd "$CLONE"
  git fetch -q --all
  git checkout -q -B release origin/release
  git restore --source="$PRODUCTION" --staged --worktree .
  git commit -q --allow-empty --message "fix: restore release to last production state"
  git push -q origin release
  git fetch -q origin release
  git diff --quiet "$PRODUCTION"..origin/release
  git cherry-pick -x "$FIX" >/dev/null
  git push -q origin release
}

plumbing() {  # (b) $1 = plan | start
  cd "$CLONE"
  git fetch -q origin +refs/heads/release:refs/remotes/origin/release +refs/heads/main:refs/remotes/origin/main
  local tip ptree restore tree pick paths
  tip=$(git rev-parse origin/release)
  git merge-base --is-ancestor "$FIX" origin/main
  ptree=$(git rev-parse "$PRODUCTION^{tree}")
  restore=$(git commit-tree "$ptree" -p "$tip" -m "fix: restore release to last production state")
  tree=$(git merge-tree --write-tree --merge-base="$FIX^" "$restore" "$FIX")
  pick=$(git log -1 --format=%B "$FIX" | git commit-tree "$tree" -p "$restore" -F -)
  paths=$(git diff-tree -r --name-only "$FIX^" "$FIX")
  git diff-tree -r --numstat "$PRODUCTION" "$pick" >/dev/null
  git log --format=%H "$PRODUCTION..$tip" -- $paths >/dev/null
  printf '%s %s\n%s %s\n' "$FIX" "$FIX^" "$pick" "$restore" | git diff-tree --stdin -p | git patch-id --stable >/dev/null
  [ "$1" = start ] || return 0
  git push -q --atomic --porcelain --force-with-lease="refs/heads/release:$tip" origin "$pick:refs/heads/release" >/dev/null
  git fetch -q origin +refs/heads/release:refs/remotes/origin/release
  test "$(git rev-list --first-parent --count "$tip..origin/release")" = 2
}

hotfix_plan() { cd "$CLONE" && "$HOTFIX" plan --fix "$FIX" --production "$PRODUCTION"; }
hotfix_start() { cd "$CLONE" && "$HOTFIX" start --fix "$FIX" --production "$PRODUCTION" --yes; }

# median of REPS measurements of "$@" (state reset before each run)
bench() {
  local times=() mems=() i
  for ((i = 0; i < REPS; i++)); do
    reset_state
    read -r t m < <(measure "$@")
    times+=("$t"); mems+=("$m")
  done
  local mt mm
  mt=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  mm=$(printf '%s\n' "${mems[@]}" | sort -g | tail -1)
  echo "$mt $mm"
}

export -f runbook plumbing hotfix_plan hotfix_start
printf '%-8s %-8s | %-22s %-22s %-22s | %-22s %-22s | %s\n' files commits "start (s, MiB)" "(a) runbook" "(b) plumbing" "plan" "(b) plumbing plan" "ratios start/a start/b plan/b"
for files in $SIZES; do
  ORIGIN="$WORK/origin-$files.git"; CLONE="$WORK/clone-$files"
  if [ ! -d "$ORIGIN" ]; then
    eval "$(python3 "$here/genrepo.py" "$ORIGIN" "$files" "$COMMITS")" > /dev/null
    printf 'PRODUCTION=%s\nRELEASE=%s\nFIX=%s\n' "$PRODUCTION" "$RELEASE" "$FIX" > "$ORIGIN/bench.env"
    git clone -q "$ORIGIN" "$CLONE"
    printf 'strategy = "restore-release"\n[branches]\nmain = "main"\nrelease = "release"\n' > "$CLONE/hotfix.toml"
    echo hotfix.toml >> "$CLONE/.git/info/exclude"
  fi
  # One pack on the origin, and small pushes kept as loose objects, so that
  # earlier runs' pushes do not slow later runs' connectivity checks.
  git -C "$ORIGIN" repack -adq
  git -C "$ORIGIN" config receive.unpackLimit 100000
  # shellcheck disable=SC1091
  source "$ORIGIN/bench.env"
  export ORIGIN CLONE PRODUCTION RELEASE FIX HOTFIX
  read -r s_t s_m < <(bench bash -c hotfix_start)
  read -r a_t a_m < <(bench bash -c runbook)
  read -r b_t b_m < <(bench bash -c "plumbing start")
  read -r p_t p_m < <(bench bash -c hotfix_plan)
  read -r bp_t bp_m < <(bench bash -c "plumbing plan")
  mib() { awk -v k="$1" 'BEGIN{printf "%.0f", k/1024}'; }
  ratio() { awk -v x="$1" -v y="$2" 'BEGIN{ if (y > 0) printf "%.2f", x/y; else print "n/a" }'; }
  printf '%-8s %-8s | %-22s %-22s %-22s | %-22s %-22s | %s %s %s\n' "$files" "$COMMITS" \
    "$s_t s, $(mib "$s_m") MiB" "$a_t s, $(mib "$a_m") MiB" "$b_t s, $(mib "$b_m") MiB" \
    "$p_t s, $(mib "$p_m") MiB" "$bp_t s, $(mib "$bp_m") MiB" \
    "$(ratio "$s_t" "$a_t")" "$(ratio "$s_t" "$b_t")" "$(ratio "$p_t" "$bp_t")"
done
reset_state
echo "scratch: $WORK"
