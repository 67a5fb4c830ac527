#!/usr/bin/env bash
# Issue 12's flush limit, measured by peak memory (tests/limits.rs): a session of
# 1,000,000 new instances flushed, on every backend whose URL is set (ALUDEL_TEST_POSTGRES,
# ALUDEL_TEST_MYSQL; SQLite always), one at a time, each in its own process; prints the
# figures. A minute or so per backend in a debug build; not part of scripts/test.sh.
# (10,000,000 streamed rows: scripts/yield_per_rss.sh.)
set -euo pipefail
cd "$(dirname "$0")/.."
export ALUDEL_LIMITS=1
. scripts/slow-test.sh
run_slow limits 'LIMIT' "$@"
