#!/usr/bin/env bash
# Project-local developer tools, built from crates.io (no prebuilt binaries: CI reaches crates.io, npm and PyPI
# only), and cargo-deny run against whichever RustSec advisory database can be had there.
#
# Usage: infra/scripts/tools.sh install|deny|advisory-snapshot CHECKOUT
#   install      `cargo install --locked cargo-deny` at the pinned version into <repo>/.local/tools; skipped when
#                that version is already there
#   deny [CHECK...]
#                install, then `cargo deny check` (default: advisories bans licenses sources) for the workspace
#                and for fuzz/ (its own lockfile), against the first advisory database of:
#                  1. CREATOROS_ADVISORY_DB, a local git checkout of the RustSec advisory-db;
#                  2. the RustSec advisory-db on GitHub, fetched now (where GitHub answers);
#                  3. a database fetched by an earlier run (cargo-deny refuses one older than 90 days);
#                  4. the vendored snapshot in infra/advisory-db, if one is committed there: only the advisories
#                     of the crates in our lockfiles at its commit, so crates added since are not covered (they
#                     are listed) and it is refused, like any database, 90 days after its commit date.
#                With none of them the advisories check cannot run: the other checks still do and the script
#                says loudly that advisories were NOT checked (exit 0, or 1 with CREATOROS_REQUIRE_ADVISORIES=1).
#                The bans in deny.toml refuse the crates we dropped for their advisories even then.
#   advisory-snapshot CHECKOUT
#                rewrite infra/advisory-db from a full advisory-db checkout: the advisories of every crate named
#                in Cargo.lock and fuzz/Cargo.lock, the database's licence, and SNAPSHOT (source commit and date,
#                and the crate names it covers)
# Environment:
#   CREATOROS_TOOLS_JOBS           build jobs for cargo install (default: 1, all cores when CI=true)
#   CREATOROS_ADVISORY_DB          see deny, 1.
#   CREATOROS_ADVISORY_FETCH_SECS  time allowed for fetching the database from GitHub (default 120)
#   CREATOROS_REQUIRE_ADVISORIES   1: fail when advisories cannot be checked for every locked crate
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
TOOLS="$REPO_ROOT/.local/tools"
DENY_VERSION=0.20.2
DENY="$TOOLS/bin/cargo-deny"
SNAPSHOT_DIR="$REPO_ROOT/infra/advisory-db"
export CREATOROS_ADVISORY_DBS="$REPO_ROOT/.local/advisory-dbs"
ADVISORY_URL=https://github.com/rustsec/advisory-db
LOCKFILES=("$REPO_ROOT/Cargo.lock" "$REPO_ROOT/fuzz/Cargo.lock")
MANIFESTS=("$REPO_ROOT/Cargo.toml" "$REPO_ROOT/fuzz/Cargo.toml")
MAX_AGE_DAYS=90

say() { echo "tools: $*" >&2; }

install_deny() {
  if [[ -x $DENY && "$("$DENY" --version 2>/dev/null)" == "cargo-deny $DENY_VERSION" ]]; then
    return
  fi
  local jobs=${CREATOROS_TOOLS_JOBS:-}
  [[ -n $jobs ]] || { [[ ${CI:-} == true ]] && jobs=$(nproc) || jobs=1; }
  say "building cargo-deny $DENY_VERSION from crates.io into $TOOLS ($jobs jobs; several minutes on first use)"
  local start=$SECONDS
  # Its own temporary target directory: a shared CARGO_TARGET_DIR would keep its artefacts for nothing.
  env -u CARGO_TARGET_DIR cargo install --locked --quiet cargo-deny --version "$DENY_VERSION" --root "$TOOLS" \
    -j "$jobs"
  say "cargo-deny $DENY_VERSION built in $((SECONDS - start)) s"
}

# The folder cargo-deny opens for a database URL under db-path: the URL's last path segment and the XXH64 (seed
# 0xca80de71) of the lower-cased URL, as cargo-deny 0.20 names it.
db_dir() {
  python3 - "$1" <<'EOF'
import sys
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                      9650029242287828579, 2870177450012600261)
rotl = lambda x, r: ((x << r) | (x >> (64 - r))) & M
def rnd(acc, lane): return rotl((acc + lane * P2) & M, 31) * P1 & M
def merge(acc, v): return ((acc ^ rnd(0, v)) * P1 + P4) & M
def xxh64(data, seed):
    n, i = len(data), 0
    u64 = lambda j: int.from_bytes(data[j:j + 8], "little")
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            v = [rnd(v[k], u64(i + 8 * k)) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = merge(h, x)
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, u64(i)), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (int.from_bytes(data[i:i + 4], "little") * P1 & M), 23) * P2 + P3) & M
        i += 4
    while i < n:
        h = rotl(h ^ (data[i] * P5 & M), 11) * P1 & M
        i += 1
    h = (h ^ (h >> 33)) * P2 & M
    h = (h ^ (h >> 29)) * P3 & M
    return h ^ (h >> 32)
url = sys.argv[1].lower().rstrip("/")
print(f"{url.rsplit('/', 1)[1]}-{xxh64(url.encode(), 0xca80de71):016x}")
EOF
}

# Crate names in our lockfiles, one a line, sorted.
locked_crates() {
  python3 - "${LOCKFILES[@]}" <<'EOF'
import sys, tomllib
names = set()
for lock in sys.argv[1:]:
    with open(lock, "rb") as f:
        names.update(p["name"] for p in tomllib.load(f)["package"] if "source" in p)
print("\n".join(sorted(names)))
EOF
}

# Puts a git repository holding CHECKOUT's crates/ where cargo-deny looks, committed and dated DATE (so that
# cargo-deny's staleness check sees the data's age, not the copy's).
materialise() {
  local from=$1 date=$2 label=$3
  local dir
  dir="$CREATOROS_ADVISORY_DBS/$(db_dir "$ADVISORY_URL")"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -R "$from/crates" "$dir/crates"
  (
    cd "$dir"
    git init -q -b main
    git add -A
    GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
      git -c user.name=creatoros-tools -c user.email=tools@creatoros.invalid -c commit.gpgsign=false \
      commit -q -m "$label"
    touch -d "$date" .git/HEAD
  )
}

older_than_max_age() {
  local date=$1
  (($(date +%s) - $(date -d "$date" +%s) > MAX_AGE_DAYS * 86400))
}

# Decides where the advisories come from; prints full, snapshot, partial (a snapshot missing crates) or none.
advisory_source() {
  local dir
  dir="$CREATOROS_ADVISORY_DBS/$(db_dir "$ADVISORY_URL")"
  mkdir -p "$CREATOROS_ADVISORY_DBS"
  if [[ -n ${CREATOROS_ADVISORY_DB:-} ]]; then
    local date
    date=$(git -C "$CREATOROS_ADVISORY_DB" log -1 --format=%cI)
    materialise "$CREATOROS_ADVISORY_DB" "$date" "from $CREATOROS_ADVISORY_DB"
    echo checkout >"$CREATOROS_ADVISORY_DBS/source"
    say "advisories: the checkout $CREATOROS_ADVISORY_DB ($(git -C "$CREATOROS_ADVISORY_DB" rev-parse --short HEAD), $date)"
    echo full
    return
  fi
  # A clone left by step 4 is not the full database: drop it before fetching.
  [[ $(cat "$CREATOROS_ADVISORY_DBS/source" 2>/dev/null) == full ]] || rm -rf "$dir"
  local log="$CREATOROS_ADVISORY_DBS/fetch.log"
  if timeout "${CREATOROS_ADVISORY_FETCH_SECS:-120}" "$DENY" --manifest-path "${MANIFESTS[0]}" fetch db \
    >"$log" 2>&1; then
    echo full >"$CREATOROS_ADVISORY_DBS/source"
    say "advisories: the RustSec advisory-db, fetched now"
    echo full
    return
  fi
  say "advisories: could not fetch $ADVISORY_URL (details in ${log#"$REPO_ROOT"/})"
  if [[ $(cat "$CREATOROS_ADVISORY_DBS/source" 2>/dev/null) == full && -d $dir/.git ]]; then
    say "advisories: the copy fetched on $(date -r "$dir/.git/FETCH_HEAD" -I 2>/dev/null || git -C "$dir" log -1 --format=%cs)"
    echo full
    return
  fi
  if [[ -f $SNAPSHOT_DIR/SNAPSHOT ]]; then
    local commit date
    commit=$(sed -n 's/^commit: //p' "$SNAPSHOT_DIR/SNAPSHOT")
    date=$(sed -n 's/^date: //p' "$SNAPSHOT_DIR/SNAPSHOT")
    if older_than_max_age "$date"; then
      say "advisories: the vendored snapshot ($commit, $date) is older than $MAX_AGE_DAYS days: regenerate it"
      say "  (infra/scripts/tools.sh advisory-snapshot <advisory-db checkout>)"
    else
      materialise "$SNAPSHOT_DIR" "$date" "snapshot of advisory-db $commit"
      echo snapshot >"$CREATOROS_ADVISORY_DBS/source"
      say "advisories: the vendored snapshot of advisory-db $commit ($date)"
      local uncovered
      uncovered=$(comm -23 <(locked_crates) <(sed -n 's/^covers: //p' "$SNAPSHOT_DIR/SNAPSHOT" | tr ' ' '\n' | sort))
      if [[ -n $uncovered ]]; then
        say "advisories: crates added since the snapshot, NOT covered by it: $(echo $uncovered)"
        echo partial
      else
        echo snapshot
      fi
      return
    fi
  fi
  echo none
}

deny() {
  install_deny
  local checks=("$@")
  ((${#checks[@]})) || checks=(advisories bans licenses sources)
  # cargo-deny reads every package of the graph, for every target: have them all before going offline.
  local manifest
  for manifest in "${MANIFESTS[@]}"; do
    cargo fetch --locked --quiet --manifest-path "$manifest"
  done
  local source=none
  if printf '%s\n' "${checks[@]}" | grep -qx advisories; then
    source=$(advisory_source)
    if [[ $source == none ]]; then
      say "WARNING: no advisory database could be had: RustSec advisories were NOT checked"
      say "  (set CREATOROS_ADVISORY_DB to an advisory-db checkout, or vendor a snapshot: see this script)"
      mapfile -t checks < <(printf '%s\n' "${checks[@]}" | grep -vx advisories)
    fi
  fi
  local status=0
  for manifest in "${MANIFESTS[@]}"; do
    ((${#checks[@]})) || break
    say "cargo deny check ${checks[*]} (${manifest#"$REPO_ROOT"/})"
    # --offline: the database was settled above; cargo-deny must not try GitHub itself.
    # The inclusion graphs of the duplicate-version warnings run to thousands of lines: run by hand to see them.
    "$DENY" --offline --manifest-path "$manifest" check --hide-inclusion-graph "${checks[@]}" || status=$?
  done
  if [[ $source == none || $source == partial ]] && [[ ${CREATOROS_REQUIRE_ADVISORIES:-0} == 1 ]]; then
    say "CREATOROS_REQUIRE_ADVISORIES=1 and advisories not checked for every crate: failing"
    status=1
  fi
  return "$status"
}

advisory_snapshot() {
  local checkout=${1:?usage: tools.sh advisory-snapshot ADVISORY_DB_CHECKOUT}
  [[ -d $checkout/crates && -d $checkout/.git ]] || { say "$checkout is no advisory-db checkout"; exit 1; }
  local commit date names
  commit=$(git -C "$checkout" rev-parse HEAD)
  date=$(git -C "$checkout" log -1 --format=%cI)
  names=$(locked_crates)
  rm -rf "$SNAPSHOT_DIR"
  mkdir -p "$SNAPSHOT_DIR/crates"
  local name count=0
  for name in $names; do
    if [[ -d $checkout/crates/$name ]]; then
      cp -R "$checkout/crates/$name" "$SNAPSHOT_DIR/crates/$name"
      count=$((count + 1))
    fi
  done
  cp "$checkout"/LICENSE* "$SNAPSHOT_DIR/" 2>/dev/null || true
  {
    echo "# The RustSec advisories of the crates in Cargo.lock and fuzz/Cargo.lock, for cargo-deny where GitHub"
    echo "# cannot be reached. Regenerate: infra/scripts/tools.sh advisory-snapshot <advisory-db checkout>"
    echo "commit: $commit"
    echo "date: $date"
    echo "covers: $(echo $names)"
  } >"$SNAPSHOT_DIR/SNAPSHOT"
  say "infra/advisory-db: $(find "$SNAPSHOT_DIR/crates" -name '*.md' | wc -l) advisories of $count crates" \
    "($(wc -w <<<"$names") locked) at $commit ($date)"
}

case "${1:-}" in
  install) install_deny ;;
  deny) shift; deny "$@" ;;
  advisory-snapshot) shift; advisory_snapshot "$@" ;;
  *) sed -n '5,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
