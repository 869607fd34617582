#!/usr/bin/env bash
# The whole test suite: set-up, lint, types, then every test (unit, integration on the real
# RabbitMQ and PostgreSQL, end to end with real processes).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/bootstrap.sh --postgres
VENV=${DUTYTRAIL_VENV:-.venv}
echo "[test] ruff"; "$VENV/bin/ruff" check .
echo "[test] mypy"; "$VENV/bin/mypy"
echo "[test] deployment files"; deploy/check-deploy.sh
echo "[test] pytest"
exec "$VENV/bin/pytest" "$@"
