#!/usr/bin/env bash
# Issue 12's full concurrent load: 16 threads x 1,000 transfers between 100 accounts, in the
# SERIALIZABLE and SELECT ... FOR UPDATE variants, on every backend whose URL is set
# (ALUDEL_TEST_POSTGRES, ALUDEL_TEST_MYSQL; SQLite always). One test at a time, so the
# figures are not shared with another run; prints transactions/s and attempts re-run per
# backend and variant. Not part of scripts/test.sh (which runs the CI-sized load).
#   scripts/load.sh                    # both variants
#   scripts/load.sh serializable       # a filter on the test names
set -euo pipefail
cd "$(dirname "$0")/.."
export ALUDEL_LOAD_FULL=1
. scripts/slow-test.sh
run_slow load_transfers 'transactions/s' "$@"
