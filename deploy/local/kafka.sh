#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft mode, one node (broker + controller in one JVM), from Maven Central jars.
# Usage: deploy/local/kafka.sh install|start|stop|status|reset
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_HOME="$LOCAL/kafka"
LIBS="$KAFKA_HOME/libs"
DATA="$KAFKA_HOME/data"
CONF="$KAFKA_HOME/server.properties"
PIDFILE="$RUN_DIR/kafka.pid"
POM="$ROOT/deploy/local/kafka/pom.xml"
HEAP="${RELAIS_KAFKA_HEAP:-512m}"

install() {
  if [[ -f "$LIBS/.complete" && "$LIBS/.complete" -nt "$POM" ]]; then return 0; fi
  command -v java >/dev/null || die "java (JDK 17) is required for Kafka"
  command -v mvn >/dev/null || die "mvn is required to fetch the Kafka jars from Maven Central"
  log "fetching Kafka jars from Maven Central into $LIBS"
  rm -rf "$LIBS"
  mkdir -p "$LOG_DIR/kafka"
  mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS" >"$LOG_DIR/kafka/maven.log" 2>&1 \
    || die "Maven could not fetch the Kafka jars; see $LOG_DIR/kafka/maven.log"
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$DATA" "$LOG_DIR/kafka"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  cat >"$KAFKA_HOME/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$LOG_DIR/kafka/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
PROPS
}

java_run() {
  java -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" -cp "$LIBS/*" "$@"
}

wait_ready() {
  local i
  for ((i = 0; i < 120; i++)); do
    if "$PY" "$ROOT/deploy/local/kafka_ready.py" "127.0.0.1:$KAFKA_PORT" 2>/dev/null; then return 0; fi
    pid_alive "$PIDFILE" || die "Kafka exited during start-up; see $LOG_DIR/kafka/"
    sleep 0.5
  done
  die "Kafka did not answer a metadata request in 60s; see $LOG_DIR/kafka/"
}

start() {
  if pid_alive "$PIDFILE"; then log "Kafka already running (pid $(cat "$PIDFILE"))"; wait_ready; return 0; fi
  port_free "$KAFKA_PORT" || die "port $KAFKA_PORT is taken by another process (set RELAIS_KAFKA_PORT)"
  install
  write_config
  if [[ ! -f "$DATA/meta.properties" ]]; then
    log "formatting KRaft storage in $DATA"
    java_run kafka.tools.StorageTool format --standalone -t "$(java_run kafka.tools.StorageTool random-uuid)" \
      -c "$CONF" >"$LOG_DIR/kafka/format.log" 2>&1 || die "storage format failed; see $LOG_DIR/kafka/format.log"
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT (heap $HEAP)"
  setsid bash -c "exec java -Xms$HEAP -Xmx$HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile='$KAFKA_HOME/log4j2.properties' -cp '$LIBS/*' kafka.Kafka '$CONF'" \
    >"$LOG_DIR/kafka/stdout.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_ready
  log "Kafka ready"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$PIDFILE" Kafka 60 ;;
  status) if pid_alive "$PIDFILE"; then echo "kafka: running pid $(cat "$PIDFILE") 127.0.0.1:$KAFKA_PORT"; else echo "kafka: stopped"; fi ;;
  reset) stop_pid "$PIDFILE" Kafka 60; rm -rf "$DATA"; log "Kafka data removed" ;;
  *) die "usage: $0 install|start|stop|status|reset" ;;
esac
