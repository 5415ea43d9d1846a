#!/usr/bin/env bash
# `make run-stack`: tradestored with REST and Kafka into PostgreSQL (etc/examples/kafka-postgres.ini)
# on throwaway servers of this machine — a PostgreSQL 15 cluster and a one-node Kafka broker
# (KRaft, jars from Maven Central, cached) under var/stack/, stopped and removed when the daemon
# stops (Ctrl-C). For trying the production shape; not a way to run production.
#
#   scripts/run-stack.sh run BUILD_DIR          start both servers, then the daemon in front
#   scripts/run-stack.sh produce TOPIC          send stdin's lines `key|json` to TOPIC
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stack=${TRADESTORE_STACK_DIR:-$here/../var/stack}
mkdir -p "$stack"
stack=$(cd "$stack" && pwd)

kafka_java() {  # <class> <args...>: one of the broker's own command-line tools
  local libs
  libs=$("$here/kafka-test-broker.sh" jars)
  [ -f "$stack/kafka/bootstrap" ] || { echo "run-stack: no broker runs (make run-stack first)" >&2; exit 1; }
  printf '%s\n' 'log4j.rootLogger=ERROR, err' 'log4j.appender.err=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.err.Target=System.err' 'log4j.appender.err.layout=org.apache.log4j.SimpleLayout' \
    >"$stack/tools-log4j.properties"
  java "-Dlog4j.configuration=file:$stack/tools-log4j.properties" -cp "$libs/*" "$@" \
    --bootstrap-server "$(cat "$stack/kafka/bootstrap")"
}

case "${1:-}" in
  run)
    build=${2:?usage: $0 run BUILD_DIR}
    stop_servers() {
      "$here/kafka-test-broker.sh" stop "$stack/kafka" || true
      "$here/pg-test-server.sh" stop "$stack/pg" || true
    }
    trap stop_servers EXIT
    # CI=true makes both scripts fail, not skip, when java, mvn or PostgreSQL are missing.
    CI=true "$here/pg-test-server.sh" start "$stack/pg"
    CI=true "$here/kafka-test-broker.sh" start "$stack/kafka"
    TRADESTORE_PG_URI=$(cat "$stack/pg/uri") \
      TRADESTORE_KAFKA_BROKERS=$(cat "$stack/kafka/bootstrap") \
      TRADESTORE_PLUGIN_DIR="$build/plugins" \
      "$build/kernel/tradestored" --config "$here/../etc/examples/kafka-postgres.ini" "${@:3}"
    ;;
  produce)
    topic=${2:?usage: $0 produce TOPIC}
    kafka_java kafka.tools.ConsoleProducer --topic "$topic" \
      --property parse.key=true --property 'key.separator=|'
    ;;
  *)
    echo "usage: $0 run BUILD_DIR | produce TOPIC" >&2
    exit 2
    ;;
esac
