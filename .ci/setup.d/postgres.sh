#!/usr/bin/env bash
# PostgreSQL server binaries for the gateway's PostgreSQL tests (test/gateway/pgServer.ts starts a
# throwaway server from /usr/lib/postgresql/<version>/bin; no cluster is created or started here).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
