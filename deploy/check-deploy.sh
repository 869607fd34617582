#!/usr/bin/env bash
# The deployment files validate (docs/runbook.md): the compose file (docker-compose config),
# the Kubernetes manifests against the Kubernetes schemas, offline (kubernetes-validate), the
# Prometheus configuration and alert rules (promtool check) and the rules' unit tests
# (promtool test rules). Installs what this machine lacks (Debian's docker-compose and
# prometheus packages; kubernetes-validate comes with the dev extras), quickly when present.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${DUTYTRAIL_VENV:-.venv}

say() { echo "[check-deploy] $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v docker-compose >/dev/null; then
  say "installing docker-compose"; apt_install docker-compose
fi
if ! command -v promtool >/dev/null; then
  say "installing prometheus (for promtool)"
  # The package's server must not start (it would take port 9090): where no policy says so
  # already, forbid service starts for the install's duration.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee $policy >/dev/null; as_root chmod +x $policy
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt_install prometheus
  # On a host where systemd started it all the same, the server this install brought stops.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    say "stopping and disabling the prometheus server the package started"
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  say "installing the dev extras (kubernetes-validate)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[dev]'
fi

say "compose: docker-compose config"
# The file requires these secrets from the environment; any value shows it is well formed.
RABBITMQ_PASSWORD=check POSTGRES_PASSWORD=check GRAFANA_ADMIN_PASSWORD=check \
  docker-compose -f deploy/compose.yaml config -q

say "kubernetes: kubernetes-validate --strict"
"$VENV/bin/kubernetes-validate" --strict --quiet deploy/k8s/*.yaml deploy/k8s/secrets/*.yaml

say "prometheus: promtool check config, check rules, test rules"
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts_test.yml)
say "ok"
