# The shell shared by bench/kafka_bench.sh and bench/kafka_vs_connect.sh (sourced, not run):
# the throwaway broker and PostgreSQL server, the workload (bench/kafka_trades.py), databases
# holding postgres-store's schema, and run_daemon, which times tradestored's kafka-source.
#
# The caller sets `count` (messages per topic) and `batch_size` (kafka-source batch_size), then
# calls bench_init BUILD_DIR; the variables below are set by the functions named beside them.
#   here, build, tool, daemon, plugins, work   bench_init
#   brokers                                    bench_start_broker
#   pg_uri, postmaster_pid (empty without a    bench_start_pg (returns 1 when no server
#   local server to read /proc of)             could be had)
#   replica_uri                                bench_start_replica

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_init() {  # <build dir>
  build=$(cd "$1" && pwd)
  tool="$build/tests/kafka/kafka_tool"
  daemon="$build/kernel/tradestored"
  plugins="$build/plugins"
  local needed
  for needed in "$tool" "$daemon" "$plugins/kafka-source.so"; do
    [ -e "$needed" ] || { echo "$(basename "$0"): $needed is missing; build first" >&2; exit 1; }
  done
  work=$(mktemp -d "${TMPDIR:-/tmp}/tradestore-kafka-bench.XXXXXX")
  trap bench_cleanup EXIT
}

bench_cleanup() {
  if [ -n "${daemon_pid:-}" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  "$here/scripts/kafka-test-broker.sh" stop "$work/broker" >/dev/null 2>&1 || true
  # A replica (bench_start_replica) before its primary: its stop drops its slot there.
  if [ -d "$work/pg-replica" ]; then
    "$here/scripts/pg-test-server.sh" stop "$work/pg-replica" >/dev/null 2>&1 || true
  fi
  [ -d "$work/pg" ] && "$here/scripts/pg-test-server.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}

bench_start_broker() {
  "$here/scripts/kafka-test-broker.sh" start "$work/broker"
  brokers=$(cat "$work/broker/bootstrap")
}

# Creates <topic> (3 partitions) and produces `count` trades to it in <format> (see
# bench/kafka_trades.py: plain or connect).
bench_produce() {  # <topic> <format>
  local topic=$1 format=$2 start=$SECONDS
  "$tool" create-topic --brokers "$brokers" --topic "$topic" --partitions 3
  python3 "$here/bench/kafka_trades.py" "$count" "$format" >"$work/messages.jsonl"
  "$tool" produce --brokers "$brokers" --topic "$topic" <"$work/messages.jsonl" >/dev/null
  echo "$(basename "$0"): produced $count $format messages to $topic in $((SECONDS - start)) s"
  rm -f "$work/messages.jsonl"
}

bench_start_pg() {
  [ -e "$plugins/postgres-store.so" ] || return 1
  "$here/scripts/pg-test-server.sh" start "$work/pg"
  [ -f "$work/pg/uri" ] || return 1
  pg_uri=$(cat "$work/pg/uri")
  [ -f "$work/pg/bindir" ] && export PATH="$(cat "$work/pg/bindir"):$PATH"
  postmaster_pid=""
  if [ -f "$work/pg/dir" ]; then
    postmaster_pid=$(head -n 1 "$(cat "$work/pg/dir")/data/postmaster.pid")
  fi
}

# A streaming replica of bench_start_pg's server (scripts/pg-test-server.sh start-replica),
# caught up when this returns; sets replica_uri.
bench_start_replica() {
  "$here/scripts/pg-test-server.sh" start-replica "$work/pg-replica" "$work/pg"
  replica_uri=$(cat "$work/pg-replica/uri")
}

# Creates database <name> on the server, with postgres-store's schema made by tradestored itself
# (started on it with postgres-store alone until it reports STARTED, then stopped); prints its
# URI.
bench_pg_database() {  # <name>
  local name=$1 dir="$work/schema-$1" uri
  uri="${pg_uri%/*}/$name"
  psql -X -q -d "$pg_uri" -c "CREATE DATABASE $name" >/dev/null
  mkdir -p "$dir"
  printf '[kernel]\nplugin_dir = %s\nplugins = postgres-store\n[plugin.postgres-store]\nuri = %s\n' \
    "$plugins" "$uri" >"$dir/tradestore.ini"
  "$daemon" --config "$dir/tradestore.ini" >"$dir/daemon.log" 2>&1 &
  local pid=$! started=0
  for _ in $(seq 1 300); do
    started=$(psql -X -A -t -d "$uri" -c \
      "SELECT count(*) FROM event_outbox WHERE event_type = 'STARTED'" 2>/dev/null || echo 0)
    [ "${started:-0}" -gt 0 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "${started:-0}" -eq 0 ]; then
    echo "$(basename "$0"): tradestored did not create the schema in $name:" >&2
    cat "$dir/daemon.log" >&2
    exit 1
  fi
  echo "$uri"
}

# Runs tradestored with the kafka-source on <topic> into the given store until the store's
# positions reach the end; prints bench/kafka_progress.py's JSON (per_second, seconds,
# seconds_from_start, consumer and PostgreSQL CPU seconds).
bench_daemon_start() {  # <name> <store section> <topic>: starts it, its pid in daemon_pid
  local name=$1 store_section=$2 topic=$3 dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/tradestore.ini" <<EOF
[kernel]
plugin_dir = $plugins
plugins = trade-rules, $store_section
business_date = 2026-11-24
${KERNEL_SETTINGS:-}
[plugin.kafka-source]
brokers = $brokers
topics = $topic
group_id = bench-$name-$topic
dead_letter_topic = $topic.dlq
batch_size = $batch_size
${SOURCE_SETTINGS:-}
EOF
  cat "$dir/store.ini" >>"$dir/tradestore.ini"
  "$daemon" --config "$dir/tradestore.ini" >"$dir/daemon.log" 2>&1 &
  daemon_pid=$!
}

# Prints bench/kafka_progress.py's JSON once the store's positions reach the end of <topic>.
bench_daemon_progress() {  # <position query: sqlite path or pg uri> <topic>
  local where=$1 topic=$2 postmaster=""
  [[ "$where" == postgresql://* ]] && postmaster=${postmaster_pid:-}
  python3 "$here/bench/kafka_progress.py" "$where" \
    "SELECT coalesce(sum(\"offset\" + 1), 0) FROM source_positions
     WHERE source = 'kafka' AND stream = '$topic'" "$count" "$daemon_pid" "$postmaster"
}

bench_daemon_stop() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || true
  daemon_pid=""
}

run_daemon() {  # <name> <store section> <position query: sqlite path or pg uri> <topic>
  bench_daemon_start "$1" "$2" "$4"
  bench_daemon_progress "$3" "$4"
  bench_daemon_stop
}

json_field() {  # <json> <field>
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

ratio() {  # <numerator> <denominator>
  python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.3f}")' "$1" "$2"
}
