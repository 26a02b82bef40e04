#!/usr/bin/env bash
# Stop the local Kafka broker started by kafka-up.sh. Idempotent: nothing running is fine.
#
#   bash deploy/kafka/kafka-down.sh            (or: npm run kafka:down)
#   bash deploy/kafka/kafka-down.sh --purge    also delete the broker's data (.cache/kafka/data)
#
# SIGTERM first (Kafka shuts down cleanly: flushes logs, closes the KRaft quorum), then
# SIGKILL if it is still there after WARDEN_KAFKA_STOP_TIMEOUT_SECONDS (default 30).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
CACHE_DIR="$REPO_ROOT/.cache/kafka"
DATA_DIR="$CACHE_DIR/data"
CONF_FILE="$CACHE_DIR/server.properties"
PID_FILE="$CACHE_DIR/kafka.pid"
LOCK_FILE="$CACHE_DIR/.lock"
STOP_TIMEOUT_SECONDS=${WARDEN_KAFKA_STOP_TIMEOUT_SECONDS:-30}

log() { printf 'kafka-down: %s\n' "$*" >&2; }
die() {
  printf 'kafka-down: ERROR: %s\n' "$*" >&2
  exit 1
}

purge=false
for arg in "$@"; do
  case $arg in
  --purge) purge=true ;;
  -h | --help)
    sed -n '2,8p' "$0"
    exit 0
    ;;
  *) die "unknown argument: $arg (usage: kafka-down.sh [--purge])" ;;
  esac
done

# Our broker is a java process running kafka.Kafka on our generated config.
is_our_broker() {
  local argv0=""
  [[ -r /proc/$1/cmdline ]] || return 1
  IFS= read -r -d '' argv0 2>/dev/null <"/proc/$1/cmdline" || [[ -n $argv0 ]] || return 1
  [[ ${argv0##*/} == java ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q -F " kafka.Kafka $CONF_FILE"
}

# The pid file, or (if it was lost) a process whose command line names our config file.
find_broker_pids() {
  local pid p
  if [[ -f $PID_FILE ]]; then
    pid=$(<"$PID_FILE")
    if [[ $pid =~ ^[0-9]+$ ]] && is_our_broker "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    is_our_broker "$p" 2>/dev/null && printf '%s\n' "$p"
  done
  return 0
}

[[ -d $CACHE_DIR ]] || {
  log "nothing to stop (no $CACHE_DIR)"
  exit 0
}

if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "could not take the lock $LOCK_FILE within 600s"
fi

mapfile -t pids < <(find_broker_pids)
if ((${#pids[@]} == 0)); then
  log "no broker running"
else
  for pid in "${pids[@]}"; do
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && is_our_broker "$pid" && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null && is_our_broker "$pid"; then
      log "pid $pid still running after ${STOP_TIMEOUT_SECONDS}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null && is_our_broker "$pid"; do sleep 0.1; done
    fi
  done
  log "stopped"
fi
rm -f "$PID_FILE"

if [[ $purge == true ]]; then
  rm -rf "$DATA_DIR"
  log "purged $DATA_DIR"
fi
