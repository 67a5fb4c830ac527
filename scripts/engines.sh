#!/usr/bin/env bash
# Local engines for the scale-out tests (docs/scale-out.md), all on 127.0.0.1:
#   5433  PostgreSQL 15 cluster "aludel_primary"  (max_prepared_transactions = 10)
#   5434  PostgreSQL 15 cluster "aludel_second"   (max_prepared_transactions = 10)
#   5435  PostgreSQL 15 cluster "aludel_replica"  (hot standby streaming from 5433)
#   6433  PgBouncer, transaction pooling, in front of 5433
#   6434  HAProxy 2.6 (Debian's haproxy), TCP, for reads: the replica 5435, with the
#         primary 5433 as its backup (used when the replica's health check fails); its
#         admin socket /run/aludel-haproxy/admin.sock lets tests take a backend down
#   3307  MariaDB started with read_only = ON, with a user "aludel_app" (without the
#         READ ONLY ADMIN privilege, so its writes are refused as on a read-only replica)
#   3310, 3311  a two-node MariaDB Galera cluster (Debian's galera-4): both nodes primaries
# The main cluster (5432) and the MariaDB service are left alone: other tests use them.
#
#   scripts/engines.sh start    create what is missing, start what is stopped (idempotent)
#   scripts/engines.sh stop     stop them (the clusters are kept for the next start)
#   scripts/engines.sh status   say what answers (exit status 1 when something is down)
#   scripts/engines.sh env      print the export lines of the engines that answer
#
# `start` ends with the URLs the scale-out tests read; `eval "$(scripts/engines.sh env)"`
# sets them in the calling shell (a test whose engine is missing prints SKIPPED). `start`
# needs root and Debian's postgresql-15; pgbouncer, haproxy and galera-4 are installed with
# apt-get when missing (as root), mariadb-server is optional (each engine that still cannot
# start only skips its tests).
set -euo pipefail

VERSION=15
PRIMARY=aludel_primary
SECOND=aludel_second
REPLICA=aludel_replica
PRIMARY_PORT=5433
SECOND_PORT=5434
REPLICA_PORT=5435
BOUNCER_PORT=6433
BOUNCER_DIR=/var/lib/postgresql/aludel-pgbouncer
HAPROXY_PORT=6434
HAPROXY_DIR=/run/aludel-haproxy
MARIADB_RO_PORT=3307
MARIADB_RO_DIR=/var/lib/aludel-mariadb-read-only
GALERA_DIR=/var/lib/aludel-galera
GALERA_PROVIDER=/usr/lib/galera/libgalera_smm.so

log() { echo "engines: $*" >&2; }

answers() { # answers PORT: the server at PORT runs a query
    psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1
}

wait_until() { # wait_until WHAT COMMAND...: up to ~30 s for COMMAND to succeed
    local what=$1 i
    shift
    for i in $(seq 1 60); do
        if "$@"; then return 0; fi
        sleep 0.5
    done
    log "$what did not answer within 30 s"
    return 1
}

wait_port() { # wait_port PORT NAME
    wait_until "$2 on port $1" answers "$1"
}

cluster_exists() { pg_lsclusters -h 2>/dev/null | awk -v c="$1" '$2 == c { found = 1 } END { exit !found }'; }

start_cluster() { # start_cluster NAME PORT
    pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$1" start >/dev/null 2>&1 || true
    wait_port "$2" "$1"
}

create_primary_like() { # create_primary_like NAME PORT: a cluster ready for 2PC and replication
    if ! cluster_exists "$1"; then
        log "creating cluster $1 on port $2"
        pg_createcluster "$VERSION" "$1" --port "$2" \
            -o max_prepared_transactions=10 \
            -o wal_level=replica -o max_wal_senders=4 -o fsync=off >/dev/null
        # Loopback only, no passwords: the same trust the main test cluster has.
        local hba="/etc/postgresql/$VERSION/$1/pg_hba.conf"
        {
            echo "local all all trust"
            echo "host all all 127.0.0.1/32 trust"
            echo "host replication all 127.0.0.1/32 trust"
        } >"$hba"
    fi
    start_cluster "$1" "$2"
    psql -h 127.0.0.1 -p "$2" -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null 2>&1 || true
}

create_replica() {
    local data="/var/lib/postgresql/$VERSION/$REPLICA"
    if ! cluster_exists "$REPLICA"; then
        log "creating streaming replica $REPLICA of $PRIMARY on port $REPLICA_PORT"
        pg_createcluster "$VERSION" "$REPLICA" --port "$REPLICA_PORT" \
            -o max_prepared_transactions=10 -o hot_standby=on -o fsync=off >/dev/null
        cp "/etc/postgresql/$VERSION/$PRIMARY/pg_hba.conf" "/etc/postgresql/$VERSION/$REPLICA/pg_hba.conf"
    fi
    if [ ! -f "$data/standby.signal" ]; then
        # -R writes standby.signal and primary_conninfo: the copy starts as a hot standby.
        pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$REPLICA" stop 2>/dev/null || true
        rm -rf "$data"
        install -d -o postgres -g postgres -m 700 "$data"
        su postgres -c "pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D $data -R -X stream -c fast" >/dev/null
    fi
    start_cluster "$REPLICA" "$REPLICA_PORT"
}

# Installs Debian package $1 when the file or command $2 is missing and we are root (the
# engines come from Debian's packages; a fresh machine may lack the optional ones). Fails,
# and the caller says what is missing, when it cannot be installed.
ensure_package() {
    local package=$1 probe=$2
    if [ -e "$probe" ] || command -v "$probe" >/dev/null; then return 0; fi
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    log "installing $package from Debian's packages"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package")
    "${apt[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && "${apt[@]}" >/dev/null 2>&1; } || true
    [ -e "$probe" ] || command -v "$probe" >/dev/null
}

start_bouncer() {
    if port_open "$BOUNCER_PORT"; then return 0; fi
    ensure_package pgbouncer pgbouncer || { log "pgbouncer is not installed (apt-get install pgbouncer)"; return 1; }
    mkdir -p "$BOUNCER_DIR"
    cat >"$BOUNCER_DIR/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
admin_users = postgres
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
EOF
    echo '"postgres" ""' >"$BOUNCER_DIR/userlist.txt"
    chown -R postgres:postgres "$BOUNCER_DIR"
    su postgres -c "pgbouncer -d $BOUNCER_DIR/pgbouncer.ini"
    wait_port "$BOUNCER_PORT" PgBouncer
}

start_haproxy() {
    if port_open "$HAPROXY_PORT"; then return 0; fi
    ensure_package haproxy haproxy || { log "haproxy is not installed (apt-get install haproxy)"; return 1; }
    mkdir -p "$HAPROXY_DIR"
    # TCP proxying of the PostgreSQL protocol; a server is up while PostgreSQL answers
    # its startup message (pgsql-check), checked every 500 ms. The primary is a backup:
    # reads go to it only while the replica is down. A server marked down has its
    # sessions cut, as a crashed server would.
    cat >"$HAPROXY_DIR/haproxy.cfg" <<EOF
global
    daemon
    pidfile $HAPROXY_DIR/haproxy.pid
    stats socket $HAPROXY_DIR/admin.sock mode 600 level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h

listen reads
    bind 127.0.0.1:$HAPROXY_PORT
    option pgsql-check user postgres
    default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
    server replica 127.0.0.1:$REPLICA_PORT check
    server primary 127.0.0.1:$PRIMARY_PORT check backup
EOF
    haproxy -f "$HAPROXY_DIR/haproxy.cfg"
    wait_port "$HAPROXY_PORT" HAProxy
}

stop_haproxy() {
    local pidfile="$HAPROXY_DIR/haproxy.pid"
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    fi
}

mariadb_ro_answers() {
    mariadb -uroot -h127.0.0.1 -P"$MARIADB_RO_PORT" -e 'select 1' >/dev/null 2>&1
}

start_mariadb_read_only() {
    if mariadb_ro_answers; then return 0; fi
    command -v mariadb-install-db >/dev/null || { log "MariaDB is not installed"; return 1; }
    if [ ! -d "$MARIADB_RO_DIR/data/mysql" ]; then
        log "creating a read-only MariaDB on port $MARIADB_RO_PORT"
        install -d -o mysql -g mysql "$MARIADB_RO_DIR"
        mariadb-install-db --no-defaults --user=mysql --datadir="$MARIADB_RO_DIR/data" \
            --auth-root-authentication-method=normal >/dev/null
    fi
    # Started as root, mariadbd drops to the mysql user; setsid detaches it from this shell.
    setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MARIADB_RO_DIR/data" \
        --port="$MARIADB_RO_PORT" --bind-address=127.0.0.1 --socket="$MARIADB_RO_DIR/mariadbd.sock" \
        --pid-file="$MARIADB_RO_DIR/mariadbd.pid" --skip-log-bin --innodb-buffer-pool-size=32M \
        --read-only=ON >"$MARIADB_RO_DIR/mariadbd.log" 2>&1 &
    wait_until "the read-only MariaDB on port $MARIADB_RO_PORT" mariadb_ro_answers || return 1
    # root keeps READ ONLY ADMIN (it writes the fixtures); aludel_app does not. The
    # anonymous users mariadb-install-db creates would match before 'aludel_app'@'%'.
    mariadb -uroot -h127.0.0.1 -P"$MARIADB_RO_PORT" -e "CREATE DATABASE IF NOT EXISTS test; \
        DROP USER IF EXISTS ''@'localhost'; DROP USER IF EXISTS ''@'$(hostname)'; \
        CREATE USER IF NOT EXISTS 'aludel_app'@'%'; GRANT ALL ON test.* TO 'aludel_app'@'%'"
}

stop_mariadb_read_only() {
    local pidfile="$MARIADB_RO_DIR/mariadbd.pid"
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
}

galera_answers() { # galera_answers NODE: the node is up and synced
    local state
    state=$(mariadb -uroot -h127.0.0.1 -P"$((3309 + $1))" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null)
    [[ "$state" == *Synced* ]]
}

start_galera_node() { # start_galera_node N [--wsrep-new-cluster]: node N of 2 on loopback
    local n=$1 off=$((($1 - 1) * 10)) dir="$GALERA_DIR/n$1"
    shift
    if [ ! -d "$dir/data/mysql" ]; then
        install -d -o mysql -g mysql "$dir"
        mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" \
            --auth-root-authentication-method=normal >/dev/null
    fi
    setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$dir/data" \
        --port="$((3309 + n))" --bind-address=127.0.0.1 --socket="$dir/mariadbd.sock" \
        --pid-file="$dir/mariadbd.pid" --innodb-buffer-pool-size=32M \
        --binlog-format=ROW --innodb-autoinc-lock-mode=2 --wsrep-on=ON \
        --wsrep-provider="$GALERA_PROVIDER" --wsrep-cluster-name=aludel \
        --wsrep-cluster-address=gcomm://127.0.0.1:4567,127.0.0.1:4577 --wsrep-node-name="n$n" \
        --wsrep-node-address="127.0.0.1:$((4567 + off))" \
        --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$((4567 + off));ist.recv_addr=127.0.0.1:$((4568 + off))" \
        --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$((4444 + off))" \
        "$@" >>"$dir/mariadbd.log" 2>&1 &
    wait_until "Galera node $n (see $dir/mariadbd.log)" galera_answers "$n"
}

start_galera() {
    ensure_package galera-4 "$GALERA_PROVIDER" || { log "galera-4 is not installed (apt-get install galera-4)"; return 1; }
    command -v mariadb-install-db >/dev/null || { log "MariaDB is not installed"; return 1; }
    if ! galera_answers 1 && ! galera_answers 2; then
        log "bootstrapping the Galera cluster from node 1"
        # Test data: node 1 may always bootstrap, whichever node stopped last.
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$GALERA_DIR/n1/data/grastate.dat" 2>/dev/null || true
        start_galera_node 1 --wsrep-new-cluster || return 1
        mariadb -uroot -h127.0.0.1 -P3310 -e "CREATE DATABASE IF NOT EXISTS test"
    fi
    galera_answers 1 || start_galera_node 1 || return 1
    galera_answers 2 || start_galera_node 2
}

stop_galera() {
    local n pidfile
    for n in 2 1; do
        pidfile="$GALERA_DIR/n$n/mariadbd.pid"
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null || true
            # One node at a time, so the last one down is safe to bootstrap from.
            while kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; do sleep 0.2; done
        fi
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_bouncer() {
    local pidfile="$BOUNCER_DIR/pgbouncer.pid"
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null || true
        rm -f "$pidfile"
    fi
}

print_env() { # the URLs of the engines that answer, as export lines
    local primary="postgresql://postgres@127.0.0.1:$PRIMARY_PORT/test"
    if answers "$PRIMARY_PORT"; then
        echo "export ALUDEL_TEST_PG_PRIMARY=$primary"
        echo "export ALUDEL_TEST_PG_2PC=$primary"
    fi
    if answers "$SECOND_PORT"; then
        echo "export ALUDEL_TEST_PG_2PC_SECOND=postgresql://postgres@127.0.0.1:$SECOND_PORT/test"
    fi
    if answers "$REPLICA_PORT"; then
        echo "export ALUDEL_TEST_PG_REPLICA=postgresql://postgres@127.0.0.1:$REPLICA_PORT/test"
    fi
    if answers "$BOUNCER_PORT"; then
        echo "export ALUDEL_TEST_PGBOUNCER=postgresql://postgres@127.0.0.1:$BOUNCER_PORT/test"
    fi
    if answers "$HAPROXY_PORT"; then
        echo "export ALUDEL_TEST_HAPROXY=postgresql://postgres@127.0.0.1:$HAPROXY_PORT/test"
        echo "export ALUDEL_TEST_HAPROXY_ADMIN=$HAPROXY_DIR/admin.sock"
    fi
    if galera_answers 1 && galera_answers 2; then
        echo "export ALUDEL_TEST_GALERA_1=mysql://root@127.0.0.1:3310/test"
        echo "export ALUDEL_TEST_GALERA_2=mysql://root@127.0.0.1:3311/test"
    fi
    if mariadb_ro_answers; then
        echo "export ALUDEL_TEST_MYSQL_READ_ONLY=mysql://aludel_app@127.0.0.1:$MARIADB_RO_PORT/test"
        echo "export ALUDEL_TEST_MYSQL_READ_ONLY_ADMIN=mysql://root@127.0.0.1:$MARIADB_RO_PORT/test"
    fi
}

status() {
    local ok=0 port name
    for pair in "$PRIMARY_PORT:primary" "$SECOND_PORT:second" "$REPLICA_PORT:replica" "$BOUNCER_PORT:pgbouncer" "$HAPROXY_PORT:haproxy"; do
        port=${pair%%:*}
        name=${pair#*:}
        if answers "$port"; then log "$name answers on $port"; else log "$name DOWN on $port"; ok=1; fi
    done
    if mariadb_ro_answers; then
        log "read-only mariadb answers on $MARIADB_RO_PORT"
    else
        log "read-only mariadb DOWN on $MARIADB_RO_PORT"
        ok=1
    fi
    for n in 1 2; do
        if galera_answers "$n"; then
            log "galera node $n synced on $((3309 + n))"
        else
            log "galera node $n DOWN on $((3309 + n))"
            ok=1
        fi
    done
    if answers "$REPLICA_PORT"; then
        log "replica in recovery: $(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -d postgres -Atc 'select pg_is_in_recovery()')"
    fi
    return "$ok"
}

case "${1:-status}" in
    start)
        [ "$(id -u)" = 0 ] || { log "start needs root (pg_createcluster, pg_ctlcluster)"; exit 1; }
        command -v pg_createcluster >/dev/null || { log "postgresql-common is not installed"; exit 1; }
        create_primary_like "$PRIMARY" "$PRIMARY_PORT"
        create_primary_like "$SECOND" "$SECOND_PORT"
        create_replica
        # PgBouncer, HAProxy, MariaDB and Galera are optional: without them only their
        # tests skip.
        start_bouncer || true
        start_haproxy || true
        start_mariadb_read_only || true
        start_galera || true
        status || true
        print_env
        ;;
    stop)
        stop_haproxy
        stop_bouncer
        stop_mariadb_read_only
        stop_galera
        for c in "$REPLICA" "$SECOND" "$PRIMARY"; do
            if cluster_exists "$c"; then pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$c" stop 2>/dev/null || true; fi
        done
        log "stopped"
        ;;
    status)
        status
        ;;
    env)
        print_env
        ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
