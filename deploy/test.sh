#!/usr/bin/env bash
# The whole test suite: set-up, lint, types, then every test (unit, integration on the real
# RabbitMQ and PostgreSQL, end to end with real processes).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/bootstrap.sh --postgres
VENV=${DUTYTRAIL_VENV:-.venv}
echo "[test] ruff"; "$VENV/bin/ruff" check .
echo "[test] mypy"; "$VENV/bin/mypy"
# docs/asyncapi.yaml and docs/events.md current, and valid for the official AsyncAPI parser
# (installed, pinned, into .ci/asyncapi/node_modules on first use).
echo "[test] asyncapi"; DUTYTRAIL_VENV="$VENV" .ci/asyncapi/check.sh
echo "[test] deployment files"; deploy/check-deploy.sh
echo "[test] pytest"
exec "$VENV/bin/pytest" "$@"
