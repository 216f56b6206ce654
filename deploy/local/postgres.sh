#!/usr/bin/env bash
# PostgreSQL from Debian's packages, with its own data directory and port (never the system cluster).
# Usage: deploy/local/postgres.sh install|start|stop|status|reset
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PGDATA="$LOCAL/pg/data"
PGLOG="$LOG_DIR/postgres.log"
DB_USER="${RELAIS_PG_USER:-relais}"
DB_NAME="${RELAIS_PG_DB:-relais}"

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
  done
  return 1
}

install() {
  find_bindir >/dev/null && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing PostgreSQL from Debian's packages"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    # The package starts a system cluster on 5432; ours is separate, so leave that one alone.
    find_bindir >/dev/null || die "PostgreSQL install did not provide pg_ctl"
  else
    die "PostgreSQL server binaries not found. Install them (Debian: sudo apt-get install -y postgresql) and re-run."
  fi
}

# As root the server must run as the unprivileged 'postgres' user, who must be able to reach PGDATA.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

prepare_dirs() {
  mkdir -p "$PGDATA"
  if [[ "$(id -u)" == 0 ]]; then
    chown -R postgres: "$LOCAL/pg"
    local d="$LOCAL/pg"
    while [[ "$d" != "/" ]]; do
      d="$(dirname "$d")"
      # e.g. a clone under `mktemp -d` (mode 700): let the postgres user traverse, not list.
      runuser -u postgres -- test -x "$d" || { log "granting traverse (o+x) on $d for the postgres user"; chmod o+x "$d"; }
    done
    touch "$PGLOG"; chown postgres: "$PGLOG"
  fi
}

running() { [[ -f "$PGDATA/postmaster.pid" ]] && as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  install
  BIN="$(find_bindir)"
  prepare_dirs
  if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    log "initialising a PostgreSQL cluster in $PGDATA"
    as_pg "$BIN/initdb" -D "$PGDATA" -U "$DB_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOG_DIR/initdb.log" 2>&1 \
      || die "initdb failed; see $LOG_DIR/initdb.log"
  fi
  if running; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    port_free "$PG_PORT" || die "port $PG_PORT is taken by another process (set RELAIS_PG_PORT)"
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # A stale postmaster.pid (after a crash or a machine restart) is handled by pg_ctl itself. Durability stays on
    # (fsync, synchronous commit); bulk writes get room before a checkpoint and compressed full-page images.
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 \
          -c shared_buffers=1GB -c fsync=on -c synchronous_commit=on \
          -c max_wal_size=4GB -c wal_compression=lz4 -c checkpoint_timeout=15min" >/dev/null \
      || die "PostgreSQL did not start; see $PGLOG"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.5
  done
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL is not ready; see $PGLOG"
  ensure_db "$DB_NAME"
  log "PostgreSQL ready"
}

ensure_db() {
  local name="$1"
  if ! "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" "$name"
    log "created database $name"
  fi
}

stop() {
  BIN="$(find_bindir)" || { log "PostgreSQL is not installed"; return 0; }
  if running; then
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
    log "PostgreSQL stopped"
  else
    log "PostgreSQL is not running"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  createdb) BIN="$(find_bindir)"; ensure_db "${2:?database name}" ;;
  status) BIN="$(find_bindir 2>/dev/null || true)"
          if [[ -n "$BIN" ]] && running; then echo "postgres: running 127.0.0.1:$PG_PORT"; else echo "postgres: stopped"; fi ;;
  reset) stop; rm -rf "$LOCAL/pg"; log "PostgreSQL data removed" ;;
  *) die "usage: $0 install|start|stop|status|createdb NAME|reset" ;;
esac
