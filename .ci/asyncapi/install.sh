#!/usr/bin/env bash
# Installs the official AsyncAPI parser (package.json, pinned by package-lock.json) into
# .ci/asyncapi/node_modules; does nothing when it is already installed as locked.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.dutytrail-lock
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
npm ci --no-audit --no-fund --silent
cp package-lock.json "$stamp"
