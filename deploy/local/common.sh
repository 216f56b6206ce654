# Shared helpers for the local-infrastructure scripts. Sourced, never run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${RELAIS_LOCAL_DIR:-$ROOT/.local}"
RUN_DIR="$LOCAL/run"
LOG_DIR="$LOCAL/logs"
VENV="${RELAIS_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
mkdir -p "$RUN_DIR" "$LOG_DIR"

KAFKA_PORT="${RELAIS_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${RELAIS_KAFKA_CONTROLLER_PORT:-9093}"
PG_PORT="${RELAIS_PG_PORT:-55432}"

log() { printf '\033[1m[relais]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[relais] %s\033[0m\n' "$*" >&2; exit 1; }

# pid_alive FILE -> 0 when FILE names a live process; removes a stale FILE.
pid_alive() {
  local file="$1" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then return 0; fi
  rm -f "$file"
  return 1
}

# stop_pid FILE NAME [TIMEOUT]: SIGTERM, wait, then SIGKILL the process group.
stop_pid() {
  local file="$1" name="$2" timeout="${3:-30}" pid i
  if ! pid_alive "$file"; then log "$name is not running"; return 0; fi
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$file"; log "$name stopped"; return 0; }
    sleep 0.1
  done
  log "$name did not stop in ${timeout}s, killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

# port_free PORT -> 0 when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
