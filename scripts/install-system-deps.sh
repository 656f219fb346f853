#!/usr/bin/env bash
# Installs the real software the system tests run (Debian packages only):
# Patroni + PostgreSQL + etcd (PatroniCluster), Redis + Sentinel (RedisSentinel),
# Prometheus promtool (rules), Alertmanager amtool (routing). Idempotent; needs root (or sudo) and Debian's apt.
set -euo pipefail
pkgs=(patroni postgresql pgbouncer etcd-server redis-server redis-sentinel prometheus prometheus-alertmanager lua5.4 python3-psycopg2 procps util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Packages must not start their own daemons: the tests start exactly what they need.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  $SUDO rm -f /usr/sbin/policy-rc.d
fi
# An unprivileged user for the daemons (PostgreSQL refuses to run as root).
id nines >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"; $SUDO useradd --system --create-home --shell /usr/sbin/nologin nines; }
echo "system test dependencies ready: ${pkgs[*]}"
