#!/usr/bin/env bash
# CI (deploy/test.sh): docs/asyncapi.yaml and docs/events.md are what the contracts generate
# now, and docs/asyncapi.yaml is valid AsyncAPI 3 for the official parser (@asyncapi/parser).
# Regenerate both with:
#   dutytrail schemas asyncapi --out docs/asyncapi.yaml
#   dutytrail schemas catalogue --out docs/events.md
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
VENV=${DUTYTRAIL_VENV:-.venv}
"$VENV/bin/dutytrail" schemas asyncapi --out docs/asyncapi.yaml --check
"$VENV/bin/dutytrail" schemas catalogue --out docs/events.md --check
.ci/asyncapi/install.sh
node .ci/asyncapi/validate.mjs docs/asyncapi.yaml
