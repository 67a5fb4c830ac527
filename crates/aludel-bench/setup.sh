#!/usr/bin/env bash
# One-time setup for the bench (idempotent, needs root for apt): the C client libraries that
# Diesel's PostgreSQL and MySQL backends link against (pq-sys, mysqlclient-sys). Nothing else:
# the bench creates its own Python virtualenv with SQLAlchemy at run time.
set -euo pipefail
need=()
dpkg -s libpq-dev >/dev/null 2>&1 || need+=(libpq-dev)
dpkg -s libmariadb-dev-compat >/dev/null 2>&1 || need+=(libmariadb-dev-compat libmariadb-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
if [ "${#need[@]}" -gt 0 ]; then
    echo "aludel-bench setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
