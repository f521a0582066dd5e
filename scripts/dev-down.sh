#!/usr/bin/env bash
# Stops what scripts/dev-up.sh started and removes its state in .dev/.
set -uo pipefail
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = "--quiet" ] && quiet=1
dev=$PWD/.dev
for pidfile in "$dev"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    [ $quiet -eq 1 ] || echo "stopped $(basename "$pidfile" .pid)"
  fi
done
rm -rf "$dev"
[ $quiet -eq 1 ] || echo "dev control plane is down"
