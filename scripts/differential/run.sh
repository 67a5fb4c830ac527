#!/usr/bin/env bash
# The differential suite: SQLAlchemy 2.x and aludel run the same queries on the same SQLite
# database and must return the same rows, and flush the same changes with the same writes
# in dependency order. Creates a virtualenv with SQLAlchemy from PyPI (under target/,
# reused), builds the fixture and SQLAlchemy's results with cases.py and the flush results
# with flush_cases.py, then runs crates/aludel/tests/differential.rs and
# differential_flush.rs against them. Exit 0 and a SKIPPED line when
# Python or PyPI is not available (never a silent pass); with CI=true that is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/sqlalchemy-venv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

skip() {
    echo "differential: SKIPPED ($1)"
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    exit 0
}

command -v python3 >/dev/null || skip "no python3"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sqlalchemy' 2>/dev/null; then
    python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 -m venv failed"
    "$venv/bin/pip" install --quiet "sqlalchemy>=2.1,<2.2" >/dev/null 2>&1 \
        || skip "pip could not install SQLAlchemy 2.1"
fi
echo "differential: SQLAlchemy $("$venv/bin/python" -c 'import sqlalchemy; print(sqlalchemy.__version__)')"
"$venv/bin/python" scripts/differential/cases.py "$work/fixture.db" "$work/results.json"
"$venv/bin/python" scripts/differential/flush_cases.py "$work/flush.json"

export ALUDEL_DIFF_DB="$work/fixture.db" ALUDEL_DIFF_RESULTS="$work/results.json"
export ALUDEL_DIFF_FLUSH_RESULTS="$work/flush.json"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --all-features --test differential --test differential_flush
else
    cargo test --all-features --test differential --test differential_flush
fi
