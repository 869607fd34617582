#!/usr/bin/env bash
# The district demo, end to end: set-up, start every service and relay on fresh stores under
# var/demo, play a seeded year over RPC, print the report, stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/bootstrap.sh
VENV=${DUTYTRAIL_VENV:-.venv}
export DUTYTRAIL_VAR_DIR=${DUTYTRAIL_VAR_DIR:-$PWD/var/demo}
rm -rf "$DUTYTRAIL_VAR_DIR"; mkdir -p "$DUTYTRAIL_VAR_DIR"
# DEVELOPMENT keys only (never in production): the services' event-signing keys and the token
# authority's key that signs the demo's callers' tokens are generated afresh under
# $DUTYTRAIL_VAR_DIR/keys/dev, shared by `up` and `demo` (shared/keys.py).
export DUTYTRAIL_DEV_KEYS=1
# The demo registers the district's discipline commission (区纪委监委) as unit D01: it receives
# the quarterly reports and owes none itself (docs/operations.md).
export DUTYTRAIL_COMMISSION_UNIT_CODE=${DUTYTRAIL_COMMISSION_UNIT_CODE:-D01}
LOG="$DUTYTRAIL_VAR_DIR/up.log"
"$VENV/bin/dutytrail" up >"$LOG" 2>&1 &
UP=$!
trap 'kill -INT $UP 2>/dev/null; wait $UP 2>/dev/null || true' EXIT
echo "[demo] services starting (log: $LOG)"
"$VENV/bin/dutytrail" demo "$@"
echo "[demo] done; stopping the services"
