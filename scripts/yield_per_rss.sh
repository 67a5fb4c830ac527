#!/usr/bin/env bash
# Streams ROWS generated rows (default 10,000,000) through Core's `Connection::stream` and
# through `Query::yield_per(1000).for_each` on every backend and prints each one's elapsed
# time and resident memory (start, largest sample, process peak). The test asserts the RSS
# of each stream grows by less than 32 MiB; a buffered result of this size would need
# gigabytes. It is the memory test of tests/orm_yield_per.rs at full size (the suite runs
# it at 1,000,000). PostgreSQL and MariaDB run when ALUDEL_TEST_POSTGRES / ALUDEL_TEST_MYSQL
# are set.
#
#   ALUDEL_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test \
#   ALUDEL_TEST_MYSQL=mysql://root@127.0.0.1:3306/test scripts/yield_per_rss.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ALUDEL_STREAM_ROWS="${1:-10000000}" cargo nextest run --all-features --test orm_yield_per \
    --no-capture --test-threads 1 a_million_rows_stream_in_flat_memory 2>&1 |
    grep -E "rows on|PASS|FAIL|panicked"
