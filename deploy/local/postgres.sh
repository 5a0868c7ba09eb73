#!/usr/bin/env bash
# deploy/local/postgres.sh - make a local PostgreSQL ready for Saga Warden.
#
# Idempotent; safe to run any number of times. It:
#   1. uses a PostgreSQL already answering on 127.0.0.1:5432, or else
#   2. starts an installed Debian cluster configured for port 5432
#      (pg_ctlcluster --skip-systemctl-redirect <version> <name> start), or else
#   3. installs PostgreSQL with apt-get (as root, or via sudo), creates a
#      cluster on port 5432 if there is none, and starts it;
#   4. creates (or repairs) the role "sagawarden" (LOGIN CREATEDB, password
#      "sagawarden") and the databases "sagawarden" (application / dev mode)
#      and "sagawarden_test" (tests create throwaway databases from it), both
#      owned by "sagawarden";
#   5. makes sure the pgbench command exists (optional; only warns on failure);
#   6. verifies a password login over TCP:
#        PGPASSWORD=sagawarden psql -h 127.0.0.1 -U sagawarden -d sagawarden_test
#
# Host and port are fixed: 127.0.0.1:5432 (PGHOST, PGPORT etc. are ignored).
# Superuser access is taken as the "postgres" OS user (runuser when root,
# sudo otherwise), falling back to "psql -h 127.0.0.1 -U postgres" (works with
# trust auth, or with PGPASSWORD set to the postgres password).
#
# Exits non-zero with a message on stderr when PostgreSQL cannot be made ready.
set -euo pipefail

readonly PG_HOST=127.0.0.1
readonly PG_PORT=5432
readonly APP_ROLE=sagawarden
readonly APP_PASSWORD=sagawarden
readonly APP_DBS=(sagawarden sagawarden_test)
readonly WAIT_SECONDS=30

# Host/port/user/database are fixed; don't let the environment redirect psql.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGOPTIONS || true
export PGCONNECT_TIMEOUT=5

log()  { echo "postgres.sh: $*"; }
warn() { echo "postgres.sh: warning: $*" >&2; }
die()  { echo "postgres.sh: error: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when root, else through sudo (non-interactive
# when there is no terminal to type a password into).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
    else
        echo "postgres.sh: error: need root for: $*; not root and sudo is not available" >&2
        return 1
    fi
}

can_be_root() { is_root || command -v sudo >/dev/null 2>&1; }

# Run a command as the "postgres" OS user.
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif is_root && command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo -u postgres "$@"; else sudo -n -u postgres "$@"; fi
    else
        return 1
    fi
}

# A client binary is usable (on Debian /usr/bin/psql etc. are wrappers that
# exist without any client installed, so "command -v" alone is not enough).
works() { "$1" --version >/dev/null 2>&1; }

# ---------------------------------------------------------------------------
# Server reachability
# ---------------------------------------------------------------------------
is_up() {
    if works pg_isready; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
    elif command -v timeout >/dev/null 2>&1; then
        timeout 3 bash -c "exec 3<>/dev/tcp/$PG_HOST/$PG_PORT" 2>/dev/null
    else
        (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
    fi
}

wait_up() {
    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        if is_up; then return 0; fi
        sleep 1
    done
    is_up
}

# ---------------------------------------------------------------------------
# Debian clusters
# ---------------------------------------------------------------------------
# Prints "<version> <name> <port>" for each installed Debian cluster.
list_clusters() {
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h 2>/dev/null | awk 'NF >= 3 { print $1, $2, $3 }'
        return 0
    fi
    local conf ver name port dir
    for conf in /etc/postgresql/*/*/postgresql.conf; do
        [ -f "$conf" ] || continue
        dir=${conf%/postgresql.conf}
        name=${dir##*/}
        ver=${dir%/*}
        ver=${ver##*/}
        port=$(sed -n 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$conf" | tail -n 1)
        echo "$ver $name ${port:-5432}"
    done
}

clusters_on_port() {
    list_clusters | awk -v p="$PG_PORT" '$3 == p { print $1, $2 }'
}

start_cluster() { # <version> <name>
    command -v pg_ctlcluster >/dev/null 2>&1 || die "pg_ctlcluster not found; cannot start cluster $1/$2"
    log "starting PostgreSQL cluster $1/$2 (pg_ctlcluster --skip-systemctl-redirect $1 $2 start)"
    if ! as_root pg_ctlcluster --skip-systemctl-redirect "$1" "$2" start; then
        # pg_ctlcluster fails when the cluster is already running; only that is fine.
        if is_up; then return 0; fi
        warn "pg_ctlcluster $1 $2 start failed"
        return 1
    fi
}

# Start the installed cluster(s) configured for port 5432; returns 1 when
# there is none. STARTED counts the clusters pg_ctlcluster started.
STARTED=0
start_existing_clusters() {
    local found=1 ver name
    while read -r ver name; do
        [ -n "$ver" ] || continue
        found=0
        if start_cluster "$ver" "$name"; then STARTED=$((STARTED + 1)); fi
    done < <(clusters_on_port)
    return "$found"
}

cluster_logs_hint() {
    local ver name
    while read -r ver name; do
        [ -n "$ver" ] || continue
        echo "  see /var/log/postgresql/postgresql-$ver-$name.log" >&2
    done < <(clusters_on_port)
}

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------
APT_UPDATED=no
apt_install() { # <package>...
    command -v apt-get >/dev/null 2>&1 || { echo "postgres.sh: error: apt-get not found; install $* by hand" >&2; return 1; }
    can_be_root || { echo "postgres.sh: error: installing $* needs root, but not root and sudo is not available" >&2; return 1; }
    if [ "$APT_UPDATED" = no ]; then
        log "apt-get update"
        as_root apt-get update || { echo "postgres.sh: error: apt-get update failed" >&2; return 1; }
        APT_UPDATED=yes
    fi
    log "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" \
        || { echo "postgres.sh: error: apt-get install $* failed" >&2; return 1; }
}

server_installed() { compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; }

newest_server_version() {
    local d
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$d" ] || continue
        d=${d%/bin/postgres}
        echo "${d##*/}"
    done | sort -n | tail -n 1
}

install_and_start() {
    if ! server_installed || ! command -v pg_ctlcluster >/dev/null 2>&1; then
        log "no PostgreSQL server installed; installing it"
        apt_install postgresql postgresql-contrib || die "could not install PostgreSQL"
    fi
    # The package normally creates (and may start) a "main" cluster itself.
    if is_up; then return 0; fi
    if [ -z "$(clusters_on_port)" ]; then
        local ver name=main
        ver=$(newest_server_version)
        [ -n "$ver" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql after installing"
        command -v pg_createcluster >/dev/null 2>&1 || die "pg_createcluster not found (package postgresql-common)"
        if [ -d "/etc/postgresql/$ver/$name" ]; then name=sagawarden; fi
        log "creating PostgreSQL cluster $ver/$name on port $PG_PORT"
        as_root pg_createcluster "$ver" "$name" --port "$PG_PORT" \
            || die "pg_createcluster $ver $name --port $PG_PORT failed"
    fi
    start_existing_clusters || die "no PostgreSQL cluster configured for port $PG_PORT"
}

ensure_server() {
    if is_up; then
        log "PostgreSQL already answering on $PG_HOST:$PG_PORT"
        return 0
    fi
    if [ -n "$(clusters_on_port)" ]; then
        start_existing_clusters || true
    else
        install_and_start
    fi
    if [ "$STARTED" -eq 0 ] && ! is_up; then
        echo "postgres.sh: error: could not start a PostgreSQL cluster for port $PG_PORT" >&2
        cluster_logs_hint
        exit 1
    fi
    log "waiting up to ${WAIT_SECONDS}s for PostgreSQL on $PG_HOST:$PG_PORT"
    if ! wait_up; then
        echo "postgres.sh: error: PostgreSQL did not come up on $PG_HOST:$PG_PORT" >&2
        cluster_logs_hint
        exit 1
    fi
    log "PostgreSQL is answering on $PG_HOST:$PG_PORT"
}

ensure_psql() {
    works psql && return 0
    log "psql not found; installing postgresql-client"
    apt_install postgresql-client || die "psql is required but could not be installed"
    works psql || die "psql is still not usable after installing postgresql-client"
}

ensure_pgbench() {
    works pgbench && return 0
    log "pgbench not found; installing it (postgresql-client, postgresql-contrib)"
    if ! apt_install postgresql-client postgresql-contrib || ! works pgbench; then
        warn "pgbench could not be installed; benchmarks that use it will not run"
    fi
    return 0
}

# ---------------------------------------------------------------------------
# Superuser access, role and databases
# ---------------------------------------------------------------------------
PSQL_SUPER=()
readonly PSQL_OPTS=(-X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres)

is_superuser() { # <psql command...>
    local out
    # cd / so psql running as another OS user does not warn about our cwd.
    out=$(cd / && "$@" -Atc 'select rolsuper from pg_roles where rolname = current_user' 2>/dev/null </dev/null) || return 1
    [ "$out" = t ]
}

find_superuser() {
    local -a cand=()
    local psql_bin
    if id postgres >/dev/null 2>&1 && psql_bin=$(command -v psql); then
        if [ "$(id -un)" = postgres ]; then
            cand=("$psql_bin" "${PSQL_OPTS[@]}")
        elif is_root && command -v runuser >/dev/null 2>&1; then
            cand=(runuser -u postgres -- "$psql_bin" "${PSQL_OPTS[@]}")
        elif command -v sudo >/dev/null 2>&1; then
            if [ -t 0 ]; then
                cand=(sudo -u postgres "$psql_bin" "${PSQL_OPTS[@]}")
            else
                cand=(sudo -n -u postgres "$psql_bin" "${PSQL_OPTS[@]}")
            fi
        fi
        if [ "${#cand[@]}" -gt 0 ] && is_superuser "${cand[@]}"; then
            PSQL_SUPER=("${cand[@]}")
            return 0
        fi
    fi
    cand=(psql "${PSQL_OPTS[@]}" -h "$PG_HOST" -U postgres -w)
    if is_superuser "${cand[@]}"; then
        PSQL_SUPER=("${cand[@]}")
        return 0
    fi
    return 1
}

setup_role_and_databases() {
    find_superuser || die "cannot connect as a PostgreSQL superuser: tried the 'postgres' OS user (runuser/sudo) and 'psql -h $PG_HOST -U postgres' (set PGPASSWORD to the postgres password if it needs one)"
    log "creating/updating role $APP_ROLE and databases ${APP_DBS[*]}"
    local sql db
    sql="
SELECT format('CREATE ROLE %I', '$APP_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE') \\gexec
ALTER ROLE $APP_ROLE WITH LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
"
    for db in "${APP_DBS[@]}"; do
        sql+="
SELECT format('CREATE DATABASE %I OWNER %I', '$db', '$APP_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db') \\gexec
ALTER DATABASE $db OWNER TO $APP_ROLE;
"
    done
    (cd / && "${PSQL_SUPER[@]}" <<<"$sql") \
        || die "creating role $APP_ROLE / databases ${APP_DBS[*]} failed"
}

verify_login() {
    local out line
    if ! out=$(PGPASSWORD="$APP_PASSWORD" psql -X -w -At -h "$PG_HOST" -p "$PG_PORT" \
            -U "$APP_ROLE" -d sagawarden_test -c 'select 1' 2>&1 </dev/null) || [ "$out" != 1 ]; then
        echo "postgres.sh: error: password login as $APP_ROLE over TCP to $PG_HOST:$PG_PORT failed:" >&2
        while IFS= read -r line; do echo "  $line"; done <<<"$out" >&2
        echo "  check pg_hba.conf allows 'host all $APP_ROLE 127.0.0.1/32 scram-sha-256' (or md5/trust)" >&2
        exit 1
    fi
}

main() {
    ensure_server
    ensure_psql
    setup_role_and_databases
    ensure_pgbench
    verify_login
    log "PostgreSQL ready on $PG_HOST:$PG_PORT (databases sagawarden, sagawarden_test)"
}

main "$@"
