#!/usr/bin/env bash
# Runs a command (network/install.sh) and, while it runs, says every 20 s that it is still
# working and how far npm got, so that the ~4-minute `npm ci` (silent with --loglevel=error,
# and npm draws no progress bar into a pipe) never looks hung. Exits with the command's status.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
interval="${ATLEX_PROGRESS_INTERVAL:-20}"

"$@" &
child=$!
trap 'kill "$child" 2>/dev/null; wait "$child"; exit 130' INT TERM
started=$(date +%s)
while true; do
  for ((i = 0; i < interval * 5; i++)); do
    kill -0 "$child" 2>/dev/null || break 2
    sleep 0.2
  done
  kill -0 "$child" 2>/dev/null || break
  packages=$(find "$here/node_modules" -mindepth 1 -maxdepth 2 -name package.json 2>/dev/null | wc -l)
  printf '[network-install] still working: %d s so far, %d packages in network/node_modules\n' \
    "$(($(date +%s) - started))" "$packages"
done
wait "$child"
