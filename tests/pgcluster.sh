# pgcluster.sh - start and stop a private PostgreSQL cluster on a Unix
# socket in a directory of ours; sourced by tests/run-all and tests/demo.
# initdb refuses to run as root, so as root the server runs as the
# `postgres` user (runuser) in a directory that user owns.
#
#   pg_cluster_start DIR   -> exports PGHOST PGPORT PGUSER PGDATABASE
#   pg_cluster_stop DIR

pg_bindir() {
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    echo "pgcluster: no initdb found (install the postgresql package)" >&2
    return 1
}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_cluster_start() {
    dir=$1
    bindir=$(pg_bindir) || return 1
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            echo "pgcluster: the postgres user cannot write $dir (a parent directory is private)" >&2
            return 1
        fi
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    if ! pg_as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses='' -c unix_socket_directories='$dir' -p 5432 -c fsync=off" \
            start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
    fi
    export PGHOST="$dir" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

pg_cluster_stop() {
    dir=$1
    bindir=$(pg_bindir) || return 0
    [ -f "$dir/data/PG_VERSION" ] || return 0
    pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
