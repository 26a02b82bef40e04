#!/usr/bin/env bash
# Start a local single-node Apache Kafka broker (KRaft, broker + controller in one JVM)
# from Maven Central jars and the machine's Java. No Docker. Idempotent: if the broker
# this script started is already up and answering, it does nothing.
#
#   bash deploy/kafka/kafka-up.sh        (or: npm run kafka:up)
#
# Progress goes to stderr; on success the last line on stdout is the bootstrap address.
# Everything lives under <repo>/.cache/kafka: libs/ (jars), data/ (KRaft log dirs),
# logs/ (server.log, kafka-authorizer.log, kafka.out), server.properties, kafka.pid.
#
# Environment (all optional):
#   WARDEN_KAFKA_UP_TIMEOUT_SECONDS  how long to wait for the broker (default 90)
#   WARDEN_KAFKA_HEAP_OPTS           JVM heap flags (default -Xms128m -Xmx512m)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
CACHE_DIR="$REPO_ROOT/.cache/kafka"
LIBS_DIR="$CACHE_DIR/libs"
DATA_DIR="$CACHE_DIR/data"
LOGS_DIR="$CACHE_DIR/logs"
CONF_FILE="$CACHE_DIR/server.properties"
PID_FILE="$CACHE_DIR/kafka.pid"
LOCK_FILE="$CACHE_DIR/.lock"

HOST=127.0.0.1
PLAINTEXT_PORT=19092
SASL_PORT=19093
CONTROLLER_PORT=19094
TIMEOUT_SECONDS=${WARDEN_KAFKA_UP_TIMEOUT_SECONDS:-90}
HEAP_OPTS=${WARDEN_KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}

log() { printf 'kafka-up: %s\n' "$*" >&2; }
die() {
  printf 'kafka-up: ERROR: %s\n' "$*" >&2
  exit 1
}

# Sizes of the log files when this start began, so that a failure shows this start's lines only.
declare -A LOG_OFFSETS=()
mark_logs() {
  local f
  for f in "$LOGS_DIR/kafka.out" "$LOGS_DIR/server.log"; do
    LOG_OFFSETS[$f]=$( (stat -c %s "$f" 2>/dev/null || echo 0) | tr -d ' ')
  done
}

show_log_tail() {
  local f from
  for f in "$LOGS_DIR/kafka.out" "$LOGS_DIR/server.log"; do
    from=$((${LOG_OFFSETS[$f]:-0} + 1))
    if [[ -s $f ]] && (($(stat -c %s "$f") >= from)); then
      printf -- '----- last 40 lines of %s -----\n' "$f" >&2
      tail -c "+$from" "$f" | tail -n 40 >&2
    fi
  done
}

# ---------------------------------------------------------------- prerequisites

require_java() {
  command -v java >/dev/null 2>&1 || die "Java 17+ not found: install openjdk-17-jre-headless"
  local version_line major
  version_line=$(java -version 2>&1 | head -n 1) || true
  # 'openjdk version "17.0.15" 2025-04-15' or 'java version "1.8.0_392"'
  major=$(sed -E -n 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/p' <<<"$version_line")
  if [[ $major == 1\ * ]]; then major=${major#1 }; else major=${major%% *}; fi
  if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
    die "Java 17+ not found: install openjdk-17-jre-headless (found: ${version_line:-nothing usable})"
  fi
}

# The classpath comes from deploy/kafka/pom.xml; it is fetched again only when that
# pom changes (its checksum is kept next to the jars).
ensure_libs() {
  local want have="" tmp
  want=$(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)
  [[ -f $LIBS_DIR/.pom.sha256 ]] && have=$(<"$LIBS_DIR/.pom.sha256")
  if [[ $want == "$have" ]] && compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "Maven not found: install maven (needed once, to fetch the Kafka jars from Maven Central into $LIBS_DIR)"
  log "fetching the Kafka broker's jars from Maven Central into $LIBS_DIR (first run only; may take a few minutes)"
  tmp="$CACHE_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$CACHE_DIR/mvn.log" 2>&1; then
    cat "$CACHE_DIR/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch the Kafka jars (see the output above)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "mvn finished but no kafka_2.13 jar was copied to $tmp"
  printf '%s\n' "$want" >"$tmp/.pom.sha256"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
}

kafka_version() {
  local jar
  jar=$(compgen -G "$LIBS_DIR/kafka_2.13-*.jar" | head -n 1)
  jar=${jar##*/kafka_2.13-}
  printf '%s' "${jar%.jar}"
}

# ---------------------------------------------------------------- process state

# Our broker: a java process running kafka.Kafka on our generated config (a pid from the
# pid file may have been reused by something else since).
is_our_broker() {
  local argv0=""
  [[ -r /proc/$1/cmdline ]] || return 1
  IFS= read -r -d '' argv0 2>/dev/null <"/proc/$1/cmdline" || [[ -n $argv0 ]] || return 1
  [[ ${argv0##*/} == java ]] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q -F " kafka.Kafka $CONF_FILE"
}

# The pid of the broker this script started, if it is still running: from the pid file or,
# if that was lost, from the process table (and then the pid file is written again).
running_pid() {
  local pid="" p
  [[ -f $PID_FILE ]] && pid=$(<"$PID_FILE")
  if [[ $pid =~ ^[0-9]+$ ]] && is_our_broker "$pid"; then
    printf '%s' "$pid"
    return 0
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    if is_our_broker "$p"; then
      printf '%s\n' "$p" >"$PID_FILE"
      printf '%s' "$p"
      return 0
    fi
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# A Metadata request (v4) on the PLAINTEXT listener, in raw Kafka protocol over bash's
# /dev/tcp: healthy means the broker answers with our correlation id and lists at least
# one registered broker (itself).
broker_answers() (
  exec 3<>"/dev/tcp/$HOST/$PLAINTEXT_PORT" || exit 1
  # size=24 | api_key=3 (Metadata) | api_version=4 | correlation_id=42 | client_id="warden-up"
  # | topics=[] (none) | allow_auto_topic_creation=false
  printf '\x00\x00\x00\x18\x00\x03\x00\x04\x00\x00\x00\x2a\x00\x09warden-up\x00\x00\x00\x00\x00' >&3 || exit 1
  hex=$(timeout 5 dd bs=1 count=4 <&3 2>/dev/null | od -An -tx1 -v | tr -d ' \n') || true
  [[ ${#hex} -eq 8 ]] || exit 1
  size=$((16#$hex))
  ((size >= 12 && size < 1048576)) || exit 1
  body=$(timeout 5 dd bs=1 count="$size" <&3 2>/dev/null | od -An -tx1 -v | tr -d ' \n') || true
  # correlation_id (4 bytes) | throttle_time_ms (4) | brokers count (4) | ...
  [[ ${#body} -ge 24 && ${body:0:8} == 0000002a ]] || exit 1
  ((16#${body:16:8} >= 1))
) 2>/dev/null

ready_message() {
  log "Kafka $(kafka_version) is up (pid $1): PLAINTEXT $HOST:$PLAINTEXT_PORT, SASL_PLAINTEXT (PLAIN) $HOST:$SASL_PORT; logs in $LOGS_DIR"
  printf '%s:%s\n' "$HOST" "$PLAINTEXT_PORT"
}

wait_until_ready() {
  local pid=$1 deadline=$((SECONDS + TIMEOUT_SECONDS))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail
      rm -f "$PID_FILE"
      die "the Kafka broker (pid $pid) exited during start-up (log tail above)"
    fi
    if port_open "$PLAINTEXT_PORT" && broker_answers; then
      return 0
    fi
    sleep 0.5
  done
  show_log_tail
  die "the Kafka broker (pid $pid) did not answer on $HOST:$PLAINTEXT_PORT within ${TIMEOUT_SECONDS}s; it is left running (stop it with: bash deploy/kafka/kafka-down.sh)"
}

# ---------------------------------------------------------------- main

mkdir -p "$CACHE_DIR" "$LOGS_DIR"

# One caller at a time: test files running in parallel may all call this script.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$LOCK_FILE"
  flock -w 600 9 || die "could not take the lock $LOCK_FILE within 600s"
fi
mark_logs

require_java

if pid=$(running_pid); then
  if broker_answers; then
    ready_message "$pid"
    exit 0
  fi
  log "a broker started earlier (pid $pid) is running but not answering yet; waiting"
  wait_until_ready "$pid"
  ready_message "$pid"
  exit 0
fi
rm -f "$PID_FILE"

for port in "$PLAINTEXT_PORT" "$SASL_PORT" "$CONTROLLER_PORT"; do
  if port_open "$port"; then
    die "port $HOST:$port is already in use by a process this script did not start; stop it, or point the tests at an existing broker with WARDEN_KAFKA_BROKERS"
  fi
done

ensure_libs

sed "s|@DATA_DIR@|$DATA_DIR|g" "$SCRIPT_DIR/server.properties" >"$CONF_FILE.tmp"
mv "$CONF_FILE.tmp" "$CONF_FILE"

CLASSPATH_ARG="$LIBS_DIR/*"
# No log4j shutdown hook: the broker logs its own shutdown, and that should reach server.log.
JAVA_LOG_OPTS=(-Dlog4j2.configurationFile="$SCRIPT_DIR/log4j2.properties" -Dkafka.logs.dir="$LOGS_DIR"
  -Dlog4j2.shutdownHookEnabled=false)

if [[ ! -f $DATA_DIR/meta.properties ]]; then
  # No meta.properties means no usable cluster here (never formatted, or interrupted): start clean.
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  cluster_id=$(java "${JAVA_LOG_OPTS[@]}" -cp "$CLASSPATH_ARG" kafka.tools.StorageTool random-uuid 2>>"$LOGS_DIR/kafka.out") ||
    die "could not generate a cluster id (see $LOGS_DIR/kafka.out)"
  log "formatting $DATA_DIR for a new cluster (id $cluster_id)"
  if ! java "${JAVA_LOG_OPTS[@]}" -cp "$CLASSPATH_ARG" kafka.tools.StorageTool format \
    --cluster-id "$cluster_id" --config "$CONF_FILE" >>"$LOGS_DIR/kafka.out" 2>&1; then
    show_log_tail
    rm -rf "$DATA_DIR"
    die "formatting the KRaft storage in $DATA_DIR failed (log tail above)"
  fi
fi

log "starting Kafka $(kafka_version) (heap: $HEAP_OPTS)"
started_at=$SECONDS
# shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags
set -- java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
  -Djava.awt.headless=true "${JAVA_LOG_OPTS[@]}" -cp "$CLASSPATH_ARG" kafka.Kafka "$CONF_FILE"
launcher=()
# Its own session: a Ctrl-C in the terminal or a test runner's process group does not take
# the broker down with it; kafka-down.sh stops it.
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
# The inner shell writes its own pid and then becomes java (exec), so the pid file names
# the JVM. stdin/stdout/stderr are detached so callers reading our output do not hang, and
# the lock (fd 9) is closed so the broker does not hold it for its whole life.
# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
nohup "${launcher[@]}" bash -c 'echo "$$" >"$0"; exec "$@"' "$PID_FILE" "$@" \
  </dev/null >>"$LOGS_DIR/kafka.out" 2>&1 9>&- &

for _ in $(seq 1 50); do
  [[ -s $PID_FILE ]] && break
  sleep 0.1
done
pid=$(running_pid) || {
  sleep 1
  pid=$(running_pid) || {
    show_log_tail
    rm -f "$PID_FILE"
    die "the Kafka broker did not start (log tail above)"
  }
}

wait_until_ready "$pid"
log "ready after $((SECONDS - started_at))s"
ready_message "$pid"
