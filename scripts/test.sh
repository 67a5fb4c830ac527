#!/usr/bin/env bash
# The one test command (README, CI): format check, clippy, then every test with all
# features on every backend whose service answers. PostgreSQL and MariaDB tests run when
# ALUDEL_TEST_POSTGRES / ALUDEL_TEST_MYSQL are set; this script sets them to the local
# services when those answer (starting them first when installed, stopped, and we are root).
# With CI=true a backend that cannot be reached is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_DEFAULT="postgresql://postgres@127.0.0.1:5432/test"
MY_DEFAULT="mysql://root@127.0.0.1:3306/test"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_answers() {
    if command -v psql >/dev/null; then
        psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1
    else
        port_open 5432
    fi
}

my_answers() {
    if command -v mariadb >/dev/null; then
        mariadb -uroot -h127.0.0.1 -e 'select 1' >/dev/null 2>&1
    else
        port_open 3306
    fi
}

wait_for() { # wait_for NAME CHECK: up to ~20 s
    local i
    for i in $(seq 1 40); do
        if "$2"; then return 0; fi
        sleep 0.5
    done
    echo "$1 did not answer within 20 s" >&2
    return 1
}

start_services() {
    [ "$(id -u)" = 0 ] || return 0
    if [ -z "${ALUDEL_TEST_POSTGRES:-}" ] && ! pg_answers && command -v pg_ctlcluster >/dev/null \
        && [ -d /etc/postgresql ]; then
        echo "starting PostgreSQL" >&2
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
        wait_for PostgreSQL pg_answers || true
    fi
    if [ -z "${ALUDEL_TEST_MYSQL:-}" ] && ! my_answers && [ -x /usr/sbin/mariadbd ]; then
        echo "starting MariaDB" >&2
        mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
        wait_for MariaDB my_answers || true
    fi
}

declare -A STATUS
# The scale-out engines (docs/scale-out.md): extra PostgreSQL clusters, a replica and
# PgBouncer from scripts/engines.sh, started here when we are root and the packages are
# installed (seconds once created; the first creation takes about half a minute).
configure_scale_out() {
    if [ -n "${ALUDEL_TEST_PG_PRIMARY:-}" ]; then
        STATUS[scale-out]="ran"
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v pg_createcluster >/dev/null && [ -d /etc/postgresql ]; then
        scripts/engines.sh start >/dev/null || true
    fi
    eval "$(scripts/engines.sh env 2>/dev/null)"
    if scripts/engines.sh status >/dev/null 2>&1; then
        STATUS[scale-out]="ran"
    elif [ -n "${ALUDEL_TEST_PG_PRIMARY:-}" ]; then
        STATUS[scale-out]="ran in part (scripts/engines.sh status says what is down; those tests printed SKIPPED)"
    else
        STATUS[scale-out]="SKIPPED (no scale-out engines: run scripts/engines.sh start as root with postgresql-15 and pgbouncer installed)"
    fi
    if [[ "${STATUS[scale-out]}" != ran ]]; then
        echo "scale-out: ${STATUS[scale-out]}" >&2
    fi
}

configure_backends() {
    if [ -n "${ALUDEL_TEST_POSTGRES:-}" ]; then
        STATUS[postgresql]="ran"
    elif pg_answers; then
        export ALUDEL_TEST_POSTGRES="$PG_DEFAULT"
        psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null 2>&1 || true
        STATUS[postgresql]="ran"
    else
        STATUS[postgresql]="SKIPPED (ALUDEL_TEST_POSTGRES not set and no PostgreSQL at 127.0.0.1:5432)"
    fi
    if [ -n "${ALUDEL_TEST_MYSQL:-}" ]; then
        STATUS[mysql]="ran"
    elif my_answers; then
        export ALUDEL_TEST_MYSQL="$MY_DEFAULT"
        mariadb -uroot -h127.0.0.1 -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null 2>&1 || true
        STATUS[mysql]="ran"
    else
        STATUS[mysql]="SKIPPED (ALUDEL_TEST_MYSQL not set and no MariaDB/MySQL at 127.0.0.1:3306)"
    fi
    STATUS[sqlite]="ran"
    if [ "${CI:-}" = "true" ]; then
        for b in postgresql mysql; do
            if [[ "${STATUS[$b]}" == SKIPPED* ]]; then
                echo "CI: the $b service is required but unavailable: ${STATUS[$b]}" >&2
                exit 1
            fi
        done
    fi
}

summary() {
    local result=$1 b
    for b in sqlite postgresql mysql scale-out; do
        if [[ "${STATUS[$b]:-}" == ran ]]; then
            echo "$b: ran, $result"
        else
            echo "$b: ${STATUS[$b]:-not reached}"
        fi
    done
}

start_services
configure_backends
configure_scale_out

# The workspace's default members (aludel, aludel-macros): the bench crate and its
# Diesel/SeaORM dependencies are built only by the bench command itself.
cargo fmt --all -- --check
cargo clippy --all-targets --all-features -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps --all-features -p aludel -p aludel-macros

status=0
log=$(mktemp)
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --all-features --no-fail-fast 2>&1 | tee -a "$log" || status=1
else
    cargo test --all-features --no-fail-fast --lib --bins --tests 2>&1 | tee -a "$log" || status=1
fi
cargo test --all-features --doc 2>&1 | tee -a "$log" || status=1

# The differential suite against SQLAlchemy 2.1 (skipped, loudly, without Python/PyPI).
bash scripts/differential/run.sh 2>&1 | tee -a "$log" || status=1

# The README's demo must keep working: run it on a scratch SQLite file.
demo_dir=$(mktemp -d)
DATABASE_URL="sqlite:///$demo_dir/employees.db" cargo run --quiet --example employees >"$demo_dir/out.txt" \
    && grep -q "session is session1: true" "$demo_dir/out.txt" \
    && echo "demo: cargo run --example employees ran" || { echo "demo: FAILED"; cat "$demo_dir/out.txt"; status=1; }
rm -rf "$demo_dir"

# The managers-layer example (seed 003) must keep working too.
cargo run --quiet --example blog >"$log.blog" 2>&1 \
    && grep -q "one row" "$log.blog" && grep -q "Please do not shout" "$log.blog" \
    && echo "demo: cargo run --example blog ran" || { echo "demo: blog FAILED"; cat "$log.blog"; status=1; }
rm -f "$log.blog"

if [ "$status" = 0 ]; then summary passed; else summary FAILED; fi
# One closing line over every runner above: nextest's "N tests run: P passed, F failed"
# and libtest's "test result: ok. P passed; F failed".
awk '
    /tests? run: [0-9]+ passed/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^test result: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    END { printf "total: %d passed, %d failed\n", p, f }
' "$log"
rm -f "$log"
exit "$status"
