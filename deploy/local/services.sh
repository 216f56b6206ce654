#!/usr/bin/env bash
# The Relais services as plain background processes: per service an API, a stream worker and an outbox relay
# (the relay in its own process publishes on the second core while the worker consumes).
# Usage: deploy/local/services.sh start|stop|restart|status
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SERVICES=(intake campaigns outcomes)
declare -A PORTS=([intake]="${RELAIS_INTAKE_PORT:-8001}" [campaigns]="${RELAIS_CAMPAIGNS_PORT:-8002}" [outcomes]="${RELAIS_OUTCOMES_PORT:-8003}")
# Workers and relays serve no API: their /metrics (Prometheus) are on ports of their own, the API's + 1100 / + 1200.
declare -A METRICS_OFFSET=([worker]=1100 [relay]=1200)
metrics_port() { echo $(( PORTS[$1] + METRICS_OFFSET[$2] )); }  # metrics_port SERVICE worker|relay

export RELAIS_ENV="${RELAIS_ENV:-local}"
export RELAIS_DATABASE_URL="${RELAIS_DATABASE_URL:-postgresql://relais@127.0.0.1:$PG_PORT/relais}"
export RELAIS_KAFKA_BOOTSTRAP="${RELAIS_KAFKA_BOOTSTRAP:-127.0.0.1:$KAFKA_PORT}"
export RELAIS_FAUST_DATADIR="${RELAIS_FAUST_DATADIR:-$LOCAL/faust}"

launch() {  # launch NAME LOGFILE CMD...
  local name="$1" logfile="$2"; shift 2
  local pidfile="$RUN_DIR/$name.pid"
  if pid_alive "$pidfile"; then log "$name already running (pid $(cat "$pidfile"))"; return 0; fi
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

wait_http() {  # wait_http NAME URL
  local i
  for ((i = 0; i < 120; i++)); do
    if "$PY" -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$2" 2>/dev/null; then
      return 0
    fi
    pid_alive "$RUN_DIR/$1.pid" || die "$1 exited during start-up; see $LOG_DIR/$1.log"
    sleep 0.5
  done
  die "$1 is not ready after 60s ($2); see $LOG_DIR/$1.log"
}

wait_file() {  # wait_file NAME FILE: a worker writes FILE once it is through start-up
  local i
  for ((i = 0; i < 120; i++)); do
    [[ -f "$2" ]] && return 0
    pid_alive "$RUN_DIR/$1.pid" || die "$1 exited during start-up; see $LOG_DIR/$1.log"
    sleep 0.5
  done
  die "$1 did not start in 60s; see $LOG_DIR/$1.log"
}

start() {
  local svc
  for svc in "${SERVICES[@]}"; do
    "$VENV/bin/relais-$svc" migrate >>"$LOG_DIR/migrate.log" 2>&1 || die "migrations of $svc failed; see $LOG_DIR/migrate.log"
  done
  for svc in "${SERVICES[@]}"; do
    RELAIS_HTTP_PORT="${PORTS[$svc]}" launch "$svc-api" "$LOG_DIR/$svc-api.log" "$VENV/bin/relais-$svc" api
    pid_alive "$RUN_DIR/$svc-worker.pid" || rm -f "$RUN_DIR/$svc-worker.ready"
    RELAIS_WORKER_READY_FILE="$RUN_DIR/$svc-worker.ready" RELAIS_OUTBOX_RELAY_IN_WORKER=false \
      RELAIS_METRICS_PORT="$(metrics_port "$svc" worker)" launch "$svc-worker" "$LOG_DIR/$svc-worker.log" "$VENV/bin/relais-$svc" worker
    RELAIS_METRICS_PORT="$(metrics_port "$svc" relay)" launch "$svc-relay" "$LOG_DIR/$svc-relay.log" "$VENV/bin/relais-$svc" relay
  done
  for svc in "${SERVICES[@]}"; do
    wait_http "$svc-api" "http://127.0.0.1:${PORTS[$svc]}/readyz"
    wait_file "$svc-worker" "$RUN_DIR/$svc-worker.ready"
    pid_alive "$RUN_DIR/$svc-relay.pid" || die "$svc-relay exited during start-up; see $LOG_DIR/$svc-relay.log"
  done
  log "services ready: intake :${PORTS[intake]}, campaigns :${PORTS[campaigns]}, outcomes :${PORTS[outcomes]}"
}

stop() {
  local svc
  for svc in "${SERVICES[@]}"; do
    stop_pid "$RUN_DIR/$svc-api.pid" "$svc-api" 20
    stop_pid "$RUN_DIR/$svc-worker.pid" "$svc-worker" 30
    stop_pid "$RUN_DIR/$svc-relay.pid" "$svc-relay" 20
    rm -f "$RUN_DIR/$svc-worker.ready"
  done
}

status() {
  local svc kind
  for svc in "${SERVICES[@]}"; do
    for kind in api worker relay; do
      if pid_alive "$RUN_DIR/$svc-$kind.pid"; then
        printf '%-18s running pid %s %s\n' "$svc-$kind:" "$(cat "$RUN_DIR/$svc-$kind.pid")" \
          "$([[ $kind == api ]] && echo "http://127.0.0.1:${PORTS[$svc]}/docs" \
             || echo "http://127.0.0.1:$(metrics_port "$svc" "$kind")/metrics")"
      else
        printf '%-18s stopped\n' "$svc-$kind:"
      fi
    done
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) die "usage: $0 start|stop|restart|status" ;;
esac
