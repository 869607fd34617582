#!/usr/bin/env bash
# Prepares this machine for dutytrail: a Python 3.11 virtual environment with the project and
# its pinned dependencies, RabbitMQ running, and (with --postgres) PostgreSQL running with the
# `test` database. Installs what is missing with apt. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${DUTYTRAIL_VENV:-.venv}
WITH_POSTGRES=0
[ "${1:-}" = "--postgres" ] && WITH_POSTGRES=1

say() { echo "[bootstrap] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# Python 3.11 (the project requires ~=3.11.0).
PY=$(command -v python3.11 || true)
if [ -z "$PY" ]; then
  if python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    PY=$(command -v python3)
  else
    say "installing Python 3.11"; apt_install python3.11 python3.11-venv; PY=$(command -v python3.11)
  fi
fi
if [ "${DUTYTRAIL_FRESH_VENV:-0}" = 1 ]; then rm -rf "$VENV"; fi
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"; "$PY" -m venv "$VENV"
fi
# setuptools < 81: nameko imports pkg_resources (docs/operations.md, "Pinned versions").
mkdir -p var
PIPLOG=var/pip-install.log
if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip 'setuptools<81' wheel \
       && "$VENV/bin/python" -m pip install --disable-pip-version-check -e '.[dev]'; } >"$PIPLOG" 2>&1; then
  tail -30 "$PIPLOG"; say "the Python install failed (full log: $PIPLOG)"; exit 1
fi

# RabbitMQ.
if ! command -v rabbitmq-server >/dev/null; then
  say "installing RabbitMQ"; apt_install rabbitmq-server
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  say "starting RabbitMQ"; as_root rabbitmq-server -detached
fi
for _ in $(seq 1 60); do rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
rabbitmqctl -q await_startup >/dev/null 2>&1 || { say "RabbitMQ did not start"; exit 1; }

# PostgreSQL (tests run every store test on it too).
if [ $WITH_POSTGRES = 1 ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    say "installing PostgreSQL"; apt_install postgresql
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      # Trust local connections, as on the machines this project runs on.
      as_root sed -i -E 's/^(local|host)(\s+all\s+all\s+.*\s)(peer|md5|scram-sha-256)$/\1\2trust/' "$hba"
    done
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { say "PostgreSQL did not start"; exit 1; }
  # Replicas of every service with their relays hold about 80 connections (docs/reliability.md,
  # "Replicas"); the cluster's default of 100 leaves too little beside the other tests, and
  # 300 ran out once ("too many clients") in a suite of 1,088 tests.
  if [ "$(psql -h 127.0.0.1 -U postgres -tAc 'SHOW max_connections')" -lt 500 ]; then
    say "raising PostgreSQL's max_connections to 500 (restarts it)"
    psql -h 127.0.0.1 -U postgres -qc 'ALTER SYSTEM SET max_connections = 500'
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main restart
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test' >/dev/null
  fi
fi
say "ready"
