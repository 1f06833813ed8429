#!/usr/bin/env bash
# Benchmark: git hotfix plan/start against
#   (a) the runbook's own commands in a checkout (seed 000: restore, commit, push, diff,
#       cherry-pick -x, push), and
#   (b) a minimal git plumbing script doing the same object work (the floor): fetch,
#       reachability, commit-tree restore, merge-tree pick, commit-tree, scope diff,
#       overlap log, patch-id, one leased push, re-fetch and verify.
# on generated repositories (bench/genrepo.py) of SIZES files and COMMITS commits,
# release 200 commits ahead of production. Wall time is the median of REPS runs.
# Two memory figures, each the largest over the REPS runs:
#   MiB      the largest resident set of any process in the run, git's children
#            included (GNU time %M; "n/a" without /usr/bin/time)
#   alone    git-hotfix's own process, apart from the git processes it starts (its
#            VmHWM, printed by git-hotfix under GIT_HOTFIX_REPORT_RSS=1; Linux only)
# It prints one Markdown table, a row per size; progress goes to stderr.
#
# usage: bench/run.sh
#   env: SIZES      file counts, default "10000 100000 1000000"
#        COMMITS    commits per repository, default 20000
#        COMMITS_<files>  commits for one size (COMMITS_1000000 defaults to 100000)
#        REPS       runs per measurement, default 5
#        WORK       scratch dir, default a new temp dir; generated repositories are
#                   kept there (origin-<files>-<commits>.git) and reused
#        HOTFIX     the git-hotfix binary to run; unset: `cargo build --release` first
#        GNU_TIME   GNU time, default /usr/bin/time; empty or missing: no all-process MiB
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SIZES=${SIZES:-"10000 100000 1000000"}
COMMITS=${COMMITS:-20000}
COMMITS_1000000=${COMMITS_1000000:-100000}
REPS=${REPS:-5}
WORK=${WORK:-$(mktemp -d)}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
if [ -z "${HOTFIX:-}" ]; then
  (cd "$here/.." && cargo build --release --quiet)
  HOTFIX="${CARGO_TARGET_DIR:-$here/../target}/release/git-hotfix"
fi
if [ ! -x "$HOTFIX" ]; then
  echo "bench/run.sh: HOTFIX=$HOTFIX is not an executable" >&2; exit 1
fi
GNU_TIME=${GNU_TIME-/usr/bin/time}
if [ -n "$GNU_TIME" ] && ! "$GNU_TIME" -f %M true >/dev/null 2>&1; then
  echo "bench/run.sh: no GNU time at $GNU_TIME: the all-process MiB figures say n/a" >&2
  GNU_TIME=
fi

now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# Prints "<seconds> <peak KiB of any process> <peak KiB of git-hotfix alone>" for one
# run of the command ("-" for a figure not measured).
measure() {
  local f t0 t1 all alone; f=$(mktemp)
  t0=$(now)
  if [ -n "$GNU_TIME" ]; then
    GIT_HOTFIX_REPORT_RSS=1 "$GNU_TIME" -o "$f" -f "%M" "$@" >"$f.log" 2>&1 || { fail "$f.log" "$@"; }
    all=$(tail -1 "$f")
  else
    GIT_HOTFIX_REPORT_RSS=1 "$@" >"$f.log" 2>&1 || { fail "$f.log" "$@"; }
    all=-
  fi
  t1=$(now)
  alone=$(sed -n 's/^git-hotfix: peak resident memory \([0-9][0-9]*\) KiB$/\1/p' "$f.log" | tail -1)
  awk -v a="$t0" -v b="$t1" -v m="$all" -v s="${alone:--}" 'BEGIN{printf "%.3f %s %s\n", b - a, m, s}'
  rm -f "$f" "$f.log"
}

fail() {
  local log=$1; shift
  echo "benchmark command failed: $*" >&2; cat "$log" >&2; exit 1
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
  # diff-tree reads the whole index though it compares trees only (0.35 s at
  # 1,000,000 files): the floor, as git-hotfix, points it at none.
  export GIT_INDEX_FILE="$CLONE/.git/bench-no-index"
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

# "<median seconds> <max KiB any process> <max KiB git-hotfix alone>" of REPS runs of
# "$@" (state reset before each run)
bench() {
  local times=() mems=() alones=() i t m a
  for ((i = 0; i < REPS; i++)); do
    reset_state
    read -r t m a < <(measure "$@")
    times+=("$t"); mems+=("$m"); alones+=("$a")
  done
  echo "$(median "${times[@]}") $(largest "${mems[@]}") $(largest "${alones[@]}")"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
largest() { printf '%s\n' "$@" | awk '$1 == "-" {na=1} $1 != "-" && $1 > m {m=$1} END{print na ? "-" : m}'; }
mib() { awk -v k="$1" 'BEGIN{ if (k == "-") print "n/a"; else printf "%.0f", k/1024 }'; }
ratio() { awk -v x="$1" -v y="$2" 'BEGIN{ if (y > 0) printf "%.2f", x/y; else print "n/a" }'; }

export -f runbook plumbing hotfix_plan hotfix_start
echo "| files | commits | start (s, MiB) | start: git-hotfix alone (MiB) | (a) runbook (s, MiB) | (b) plumbing floor (s, MiB) | plan (s, MiB) | plan: git-hotfix alone (MiB) | (b) floor plan (s, MiB) | start/a | start/b | plan/b |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for files in $SIZES; do
  var=COMMITS_$files
  commits=${!var:-$COMMITS}
  ORIGIN="$WORK/origin-$files-$commits.git"; CLONE="$WORK/clone-$files-$commits"
  if [ ! -f "$ORIGIN/bench.env" ]; then
    echo "bench/run.sh: generating $files files, $commits commits in $ORIGIN" >&2
    rm -rf "$ORIGIN" "$CLONE"
    eval "$(python3 "$here/genrepo.py" "$ORIGIN" "$files" "$commits")" > /dev/null
    git clone -q "$ORIGIN" "$CLONE"
    printf 'strategy = "restore-release"\n[branches]\nmain = "main"\nrelease = "release"\n' > "$CLONE/hotfix.toml"
    echo hotfix.toml >> "$CLONE/.git/info/exclude"
    printf 'PRODUCTION=%s\nRELEASE=%s\nFIX=%s\n' "$PRODUCTION" "$RELEASE" "$FIX" > "$ORIGIN/bench.env"
  fi
  # One pack on the origin, and small pushes kept as loose objects, so that
  # earlier runs' pushes do not slow later runs' connectivity checks.
  git -C "$ORIGIN" repack -adq
  git -C "$ORIGIN" config receive.unpackLimit 100000
  # shellcheck disable=SC1091
  source "$ORIGIN/bench.env"
  export ORIGIN CLONE PRODUCTION RELEASE FIX HOTFIX
  echo "bench/run.sh: measuring $files files, $commits commits, $REPS runs each" >&2
  read -r s_t s_m s_a < <(bench bash -c hotfix_start)
  read -r a_t a_m _ < <(bench bash -c runbook)
  read -r b_t b_m _ < <(bench bash -c "plumbing start")
  read -r p_t p_m p_a < <(bench bash -c hotfix_plan)
  read -r bp_t bp_m _ < <(bench bash -c "plumbing plan")
  printf '| %s | %s | %s s, %s MiB | %s | %s s, %s MiB | %s s, %s MiB | %s s, %s MiB | %s | %s s, %s MiB | %s | %s | %s |\n' \
    "$files" "$commits" "$s_t" "$(mib "$s_m")" "$(mib "$s_a")" "$a_t" "$(mib "$a_m")" "$b_t" "$(mib "$b_m")" \
    "$p_t" "$(mib "$p_m")" "$(mib "$p_a")" "$bp_t" "$(mib "$bp_m")" \
    "$(ratio "$s_t" "$a_t")" "$(ratio "$s_t" "$b_t")" "$(ratio "$p_t" "$bp_t")"
  reset_state
done
echo "bench/run.sh: scratch $WORK" >&2
