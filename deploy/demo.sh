#!/usr/bin/env bash
# The district demo, end to end: set-up, start every service and relay on fresh stores under
# var/demo, play a seeded year over RPC, print the report, stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/bootstrap.sh
VENV=${DUTYTRAIL_VENV:-.venv}
export DUTYTRAIL_VAR_DIR=${DUTYTRAIL_VAR_DIR:-$PWD/var/demo}
rm -rf "$DUTYTRAIL_VAR_DIR"; mkdir -p "$DUTYTRAIL_VAR_DIR"
LOG="$DUTYTRAIL_VAR_DIR/up.log"
"$VENV/bin/dutytrail" up >"$LOG" 2>&1 &
UP=$!
trap 'kill -INT $UP 2>/dev/null; wait $UP 2>/dev/null || true' EXIT
echo "[demo] services starting (log: $LOG)"
"$VENV/bin/dutytrail" demo "$@"
echo "[demo] done; stopping the services"
