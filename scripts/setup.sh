#!/usr/bin/env bash
# One-time set-up of a fresh Debian machine: the system packages the tests use, then the
# project (npm ci also builds it through the `prepare` script).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: docker-compose validates docker-compose.yml offline (no engine needed),
# redis-server backs the Redis store tests, luajit compiles the Lua guard kong-ctl emits.
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v luajit >/dev/null 2>&1 || need+=(luajit)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

npm ci --no-audit --no-fund
