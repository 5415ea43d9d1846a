#!/usr/bin/env bash
# A throwaway Apache Kafka broker for the kafka-source tests and benchmark: one KRaft node
# (broker and controller combined) on free loopback ports, its log dirs in a temp directory.
#
#   scripts/kafka-test-broker.sh start <state-dir>   start one; "host:port" goes to <state-dir>/bootstrap
#                                                    (PLAINTEXT) and <state-dir>/sasl_bootstrap
#                                                    (SASL_SSL)
#   scripts/kafka-test-broker.sh stop  <state-dir>   stop it and remove its data
#   scripts/kafka-test-broker.sh jars                fetch the broker's jars (if needed); print their folder
#
# The broker has two listeners: PLAINTEXT, and SASL_SSL with the server certificate of
# scripts/test-certs.sh (files in <state-dir>/certs; ca.pem is the CA to trust) and one
# SCRAM-SHA-512 user, `tradestore`, whose password goes to <state-dir>/sasl_password.
#
# The tests run `start` once per run as a CTest fixture (FIXTURES_SETUP) and `stop` after
# (FIXTURES_CLEANUP).
#  - With TRADESTORE_TEST_KAFKA_BROKERS set, `start` writes that address and starts nothing.
#  - The jars come from Maven Central through tests/kafka/broker/pom.xml
#    (`mvn dependency:copy-dependencies`) and are cached outside the clone, in
#    ${TRADESTORE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore}/kafka-<version>/libs.
#  - Without java or mvn (Debian: openjdk-17-jre-headless, maven), `start` writes no address
#    and succeeds, so the tests skip; with CI=true it fails instead.
set -euo pipefail

command=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
pom="$here/../tests/kafka/broker/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
cache_root=${TRADESTORE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore}
libs="$cache_root/kafka-$version/libs"

log() { echo "kafka-test-broker: $*" >&2; }

missing_tool() {  # <message>
  if [ "${CI:-}" = "true" ]; then
    log "$1 (CI=true: failing instead of skipping)"
    exit 1
  fi
  log "$1; the kafka tests will skip"
  exit 0
}

fetch_jars() {
  if [ -f "$libs/.complete" ]; then
    return
  fi
  command -v mvn >/dev/null || missing_tool "mvn not found (install Debian's maven)"
  mkdir -p "$cache_root"
  # One fetch at a time; a half-copied folder is never used.
  exec 9>"$cache_root/.kafka-$version.lock"
  flock 9
  if [ ! -f "$libs/.complete" ]; then
    log "fetching Apache Kafka $version from Maven Central into $libs"
    local staging="$libs.partial"
    rm -rf "$staging"
    mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$staging" >&2
    touch "$staging/.complete"
    rm -rf "$libs"
    mv "$staging" "$libs"
  fi
  flock -u 9
}

# shellcheck source=test-server-port.sh
. "$here/test-server-port.sh"

free_port() {  # a port below the ephemeral range that nothing listens on
  local port
  port=$(random_server_port)
  while port_in_use "$port"; do port=$(random_server_port); done
  echo "$port"
}

stop_broker() {  # <state-dir>
  local state=$1
  if [ -f "$state/pid" ]; then
    local pid
    pid=$(cat "$state/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "broker $pid did not stop in 30 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  if [ -f "$state/dir" ]; then
    rm -rf "$(cat "$state/dir")"
  fi
  rm -f "$state/bootstrap" "$state/sasl_bootstrap" "$state/sasl_password" "$state/pid" \
    "$state/dir"
}

start_broker() {  # <state-dir>
  local state=$1
  stop_broker "$state"  # a broker left over from an interrupted run
  if [ -n "${TRADESTORE_TEST_KAFKA_BROKERS:-}" ]; then
    echo "$TRADESTORE_TEST_KAFKA_BROKERS" >"$state/bootstrap"
    log "using the broker at $TRADESTORE_TEST_KAFKA_BROKERS (TRADESTORE_TEST_KAFKA_BROKERS)"
    return
  fi
  command -v java >/dev/null || missing_tool "java not found (install Debian's openjdk-17-jre-headless)"
  fetch_jars
  # A port taken between the choice and the broker's bind (a parallel test's server) makes
  # the broker exit at startup: it is tried again on other ports.
  local attempt
  for attempt in 1 2 3; do
    launch_broker "$state" && return
    log "attempt $attempt: the broker did not start; trying other ports"
  done
  log "the broker did not start in 3 attempts"
  exit 1
}

launch_broker() {  # <state-dir>: 0 once the broker is ready, 1 when it exited at startup
  local state=$1
  local dir port sasl_port controller cluster password
  dir=$(mktemp -d "${TMPDIR:-/tmp}/tradestore-kafka.XXXXXX")
  echo "$dir" >"$state/dir"
  port=$(free_port)
  sasl_port=$(free_port)
  while [ "$sasl_port" = "$port" ]; do sasl_port=$(free_port); done
  controller=$(free_port)
  while [ "$controller" = "$port" ] || [ "$controller" = "$sasl_port" ]; do
    controller=$(free_port)
  done
  "$here/test-certs.sh" "$state/certs"
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  # A cluster id is 16 random bytes, base64url without padding; not one starting with "-",
  # which kafka-storage would read as an option (1 start in 64 failed so; Kafka's own
  # Uuid.randomUuid() skips those too).
  cluster=-
  while [ "${cluster:0:1}" = - ]; do
    cluster=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done

  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sasl_port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sasl_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$state/certs/server-bundle.pem
ssl.enabled.protocols=TLSv1.2,TLSv1.3
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=4
log.retention.check.interval.ms=3600000
EOF
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
  local java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$dir")
  java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    -t "$cluster" -c "$dir/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=tradestore,password=$password]" >"$dir/format.log" 2>&1 || {
    log "formatting the storage failed:"
    cat "$dir/format.log" >&2
    exit 1
  }
  # Detached from the caller's session and output, so CTest does not wait for it.
  setsid java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/stdout.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$state/pid"

  local deadline=$((SECONDS + 120))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the broker exited during startup:"
      tail -n 40 "$dir/stdout.log" "$dir/server.log" >&2 2>/dev/null || true
      stop_broker "$state"
      return 1
    fi
    if grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null &&
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$password" >"$state/sasl_password"
      chmod 600 "$state/sasl_password"
      echo "127.0.0.1:$sasl_port" >"$state/sasl_bootstrap"
      echo "127.0.0.1:$port" >"$state/bootstrap"
      log "Apache Kafka $version (KRaft) ready on 127.0.0.1:$port (SASL_SSL: $sasl_port), pid $pid, data in $dir"
      return
    fi
    sleep 0.2
  done
  log "the broker did not become ready in 120 s:"
  tail -n 40 "$dir/server.log" >&2 2>/dev/null || true
  stop_broker "$state"
  exit 1
}

case "$command" in
  start | stop)
    state=${2:-}
    if [ -z "$state" ]; then
      echo "usage: $0 start|stop <state-dir> | jars" >&2
      exit 2
    fi
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    if [ "$command" = start ]; then start_broker "$state"; else stop_broker "$state"; fi
    ;;
  jars)
    fetch_jars
    echo "$libs"
    ;;
  *)
    echo "usage: $0 start|stop <state-dir> | jars" >&2
    exit 2
    ;;
esac
