#!/usr/bin/env bash
# tradestored's kafka-source into postgres-store against Kafka Connect with the Debezium JDBC
# sink, in one run on one broker and one PostgreSQL server, on the same trades (default
# 1,000,000 over 3 partitions, 50,000 ids, every message a new version; bench/kafka_trades.py):
#  (c) tradestored (trade-rules, postgres-store, kafka-source) on a topic of plain JSON trades,
#      rules, audit and source positions included;
#  (k) Kafka Connect standalone (connect-runtime, connect-json) with io.debezium's JDBC sink and
#      the PostgreSQL JDBC driver, on a second topic holding the same trades in Connect's JSON
#      schema envelope, upserting on trade_id into the same indexed trades table (made by
#      tradestored itself, in a database of its own); once per sink configuration in
#      CONNECT_VARIANTS, the best one taken for the ratio.
# Each is timed from its first row to its last (polled: (c) by its source positions, (k) by
# sum(version) over the table, which reaches N when every trade holds its last version); the
# CPU seconds of the consumer process (tradestored or the Connect JVM) and of PostgreSQL (the
# postmaster's children, from /proc) are taken over the same window. Both final tables are
# checked: 50,000 rows (or N if fewer), each at its trade's last version.
#
#   bench/kafka_vs_connect.sh [BUILD_DIR] [N]     e.g. bench/kafka_vs_connect.sh build/default
#
# Environment: BATCH_SIZE (kafka-source batch_size, default 2000, its own default); CONNECT_VARIANTS: sink
# configurations to run, separated by ';', each a list of key=value that override the base
# configuration below (keys consumer.* go to the worker; connection.url.params is appended to
# the JDBC URL); CONNECT_JAVA_OPTS: more JVM options (e.g.
# "-Dorg.slf4j.simpleLogger.log.io.debezium.connector.jdbc=debug
# -Dorg.slf4j.simpleLogger.logFile=/tmp/connect.log" shows the sink's UNNEST batches).
# The jars come from Maven Central (`mvn dependency:copy-dependencies` on small poms written to
# the cache) the first time the benchmark runs, and are kept outside the clone, in
# ${TRADESTORE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore}/kafka-connect/.
set -euo pipefail

count=${2:-1000000}
batch_size=${BATCH_SIZE:-2000}
connect_version=4.3.0       # the Kafka Connect API the Debezium sink below is built against
debezium_version=3.6.0.Final  # 3.6.1.Final's JDBC connector is not served here
postgres_jdbc_version=42.7.8
agroal_version=7.2.19.Final  # Hibernate's Agroal provider (Debezium's default pool): 7.2.6.Final is not served
slf4j_version=1.7.36
# The sink's documented throughput settings: UNNEST inserts, large batches (a batch is at most
# one poll, so max.poll.records and the fetch size must let a poll hold it), and the reduction
# buffer (one row per key per batch). A first run also tried batch.size=5000 with
# reWriteBatchedInserts instead of UNNEST: no faster, more CPU.
unnest="dialect.postgres.unnest.insert.enabled=true"
big_fetch="consumer.max.partition.fetch.bytes=16777216"
default_variants="batch.size=5000 consumer.max.poll.records=5000 $unnest;"
default_variants+="batch.size=20000 consumer.max.poll.records=20000 $unnest use.reduction.buffer=true;"
default_variants+="batch.size=20000 consumer.max.poll.records=20000 $unnest use.reduction.buffer=true $big_fetch;"
default_variants+="batch.size=50000 consumer.max.poll.records=50000 $unnest use.reduction.buffer=true $big_fetch"
variants=${CONNECT_VARIANTS:-$default_variants}
# shellcheck source=kafka_bench_lib.sh
. "$(dirname "$0")/kafka_bench_lib.sh"
bench_init "${1:-$here/build/default}"
command -v java >/dev/null && command -v mvn >/dev/null ||
  { echo "kafka_vs_connect: needs java (17) and mvn" >&2; exit 1; }

connect_cache="${TRADESTORE_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore}/kafka-connect"
connect_dir="$connect_cache/connect-$connect_version-debezium-jdbc-$debezium_version"

# Writes a pom of <dependencies> to the cache and copies their runtime jars into <folder>.
fetch_jars() {  # <folder> <excluded artifact ids> <dependency xml>...
  local folder=$1 excluded=$2 pom="$connect_dir/$(basename "$1").pom.xml"
  shift 2
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
    echo "<groupId>dev.tradestore.bench</groupId><artifactId>$(basename "$folder")</artifactId>"
    echo '<version>1</version><packaging>pom</packaging><dependencies>'
    printf '%s\n' "$@"
    echo '</dependencies></project>'
  } >"$pom"
  rm -rf "$folder.partial"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DexcludeArtifactIds="$excluded" -DoutputDirectory="$folder.partial" >&2
  rm -rf "$folder"
  mv "$folder.partial" "$folder"
}

dependency() {  # <group> <artifact> <version> [exclusion group:artifact]
  local exclusion=""
  if [ -n "${4:-}" ]; then
    exclusion="<exclusions><exclusion><groupId>${4%%:*}</groupId><artifactId>${4#*:}</artifactId></exclusion></exclusions>"
  fi
  echo "<dependency><groupId>$1</groupId><artifactId>$2</artifactId><version>$3</version>$exclusion</dependency>"
}

if [ ! -f "$connect_dir/.complete" ]; then
  mkdir -p "$connect_dir"
  exec 9>"$connect_dir.lock"
  flock 9
  if [ ! -f "$connect_dir/.complete" ]; then
    echo "kafka_vs_connect: fetching Kafka Connect $connect_version and Debezium JDBC sink $debezium_version into $connect_dir"
    fetch_jars "$connect_dir/runtime" "" \
      "$(dependency org.apache.kafka connect-runtime "$connect_version")" \
      "$(dependency org.apache.kafka connect-json "$connect_version")" \
      "$(dependency org.slf4j slf4j-simple "$slf4j_version")"
    # The sink is a Connect plugin, in a folder of its own under plugin.path; the Connect API,
    # the Kafka client, SLF4J and Jackson come from the runtime (a second jackson-databind in the
    # plugin breaks Hibernate's ServiceLoader lookup of the runtime's Jackson modules). The Agroal provider the sink names,
    # org.hibernate:hibernate-agroal 7.2.6.Final (a relocation stub), is not served: its
    # org.hibernate.orm successor of the same 7.2 line stands in.
    fetch_jars "$connect_dir/plugins/debezium-jdbc" \
      "connect-api,kafka-clients,slf4j-api,lz4-java,snappy-java,zstd-jni,jackson-annotations,jackson-core,jackson-databind" \
      "$(dependency io.debezium debezium-connector-jdbc "$debezium_version" org.hibernate:hibernate-agroal)" \
      "$(dependency org.postgresql postgresql "$postgres_jdbc_version")" \
      "$(dependency org.hibernate.orm hibernate-agroal "$agroal_version")"
    touch "$connect_dir/.complete"
  fi
  flock -u 9
fi

bench_start_broker
bench_start_pg || { echo "kafka_vs_connect: no PostgreSQL server or no postgres-store plugin" >&2; exit 1; }
pg_port=${pg_uri##*:}
pg_port=${pg_port%%/*}
stamp=$(date +%s)
topic="bench-$stamp"
connect_topic="bench-connect-$stamp"
echo "kafka_vs_connect: $count messages each to $topic and $connect_topic on $brokers"
bench_produce "$topic" plain
bench_produce "$connect_topic" connect
connect_uri=$(bench_pg_database connect_bench)

# Prints "ok" when the trades table at <uri> holds min(N, 50,000) rows, each at its trade's
# last version (trade B<i> is in messages i, i + 50,000, ...), else what it holds.
check_table() {  # <uri>
  psql -X -A -t -d "$1" -c "
    SELECT CASE WHEN count(*) = least($count, 50000)
                 AND bool_and(version = ($count - 1 - substr(trade_id, 2)::int) / 50000 + 1)
           THEN 'ok' ELSE 'WRONG: ' || count(*) || ' rows, '
                || count(*) FILTER (WHERE version <> ($count - 1 - substr(trade_id, 2)::int) / 50000 + 1)
                || ' not at their last version' END
    FROM trades"
}

# (c) tradestored
mkdir -p "$work/postgres"
printf '[plugin.postgres-store]\nuri = %s\n' "$pg_uri" >"$work/postgres/store.ini"
result_c=$(run_daemon postgres "postgres-store, kafka-source" "$pg_uri" "$topic")
echo "kafka_vs_connect: (c) tradestored kafka-source into postgres-store: $result_c; table $(check_table "$pg_uri")"
rate_c=$(json_field "$result_c" per_second)

# (k) Kafka Connect, once per variant, each into the emptied table with a group of its own.
# Prints kafka_progress.py's JSON.
run_connect() {  # <number> <variant>
  local dir="$work/connect-$1" setting key value url_params="" port
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/worker.properties" <<EOF
bootstrap.servers=$brokers
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=true
offset.storage.file.filename=$dir/offsets
plugin.path=$connect_dir/plugins
listeners=http://127.0.0.1:$port
EOF
  cat >"$dir/connector.properties" <<EOF
name=bench-jdbc-sink-$1
connector.class=io.debezium.connector.jdbc.JdbcSinkConnector
tasks.max=3
topics=$connect_topic
connection.username=postgres
connection.password=
insert.mode=upsert
primary.key.mode=record_value
primary.key.fields=trade_id
schema.evolution=none
collection.name.format=trades
database.time_zone=UTC
EOF
  for setting in $2; do
    key=${setting%%=*}
    value=${setting#*=}
    case $key in
      consumer.*) echo "$setting" >>"$dir/worker.properties" ;;
      connection.url.params) url_params="?$value" ;;
      *) echo "$setting" >>"$dir/connector.properties" ;;
    esac
  done
  echo "connection.url=jdbc:postgresql://127.0.0.1:$pg_port/connect_bench$url_params" >>"$dir/connector.properties"
  psql -X -q -d "$connect_uri" -c "TRUNCATE trades" >/dev/null
  # shellcheck disable=SC2086 # CONNECT_JAVA_OPTS is a list of options
  java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${CONNECT_JAVA_OPTS:-} -cp "$connect_dir/runtime/*" \
    org.apache.kafka.connect.cli.ConnectStandalone "$dir/worker.properties" \
    "$dir/connector.properties" >"$dir/connect.log" 2>&1 &
  local pid=$!
  python3 "$here/bench/kafka_progress.py" "$connect_uri" \
    "SELECT coalesce(sum(version), 0) FROM trades" "$count" "$pid" "${postmaster_pid:-}" ||
    { grep -E 'ERROR|Caused by' "$dir/connect.log" | tail -n 20 >&2; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true; return 1; }
  kill -TERM "$pid"
  wait "$pid" || true
}

best_k=""
best_rate_k=0
number=0
IFS=';' read -r -a variant_list <<<"$variants"
for variant in "${variant_list[@]}"; do
  variant=$(echo $variant)  # trims
  [ -n "$variant" ] || continue
  number=$((number + 1))
  if ! result=$(run_connect "$number" "$variant"); then
    echo "kafka_vs_connect: (k$number) $variant: failed"
    continue
  fi
  echo "kafka_vs_connect: (k$number) Kafka Connect, $variant: $result; table $(check_table "$connect_uri")"
  rate=$(json_field "$result" per_second)
  if [ "$rate" -gt "$best_rate_k" ]; then
    best_rate_k=$rate
    best_k="$number|$variant|$result"
  fi
done
[ -n "$best_k" ] || { echo "kafka_vs_connect: no Kafka Connect run finished" >&2; exit 1; }
IFS='|' read -r best_number best_variant result_k <<<"$best_k"

echo
echo "| run | messages/s | seconds | consumer CPU s | PostgreSQL CPU s |"
echo "|---|---|---|---|---|"
for row in "(c) tradestored kafka-source into postgres-store|$result_c" \
           "(k$best_number) Kafka Connect + Debezium JDBC sink, best: $best_variant|$result_k"; do
  name=${row%%|*}
  json=${row#*|}
  echo "| $name | $(json_field "$json" per_second) | $(json_field "$json" seconds) | $(json_field "$json" consumer_cpu_seconds) | $(json_field "$json" postgres_cpu_seconds) |"
done
echo
echo "tradestored/Connect = $(ratio "$rate_c" "$best_rate_k")"
echo "($count messages per topic, 3 partitions, 50,000 ids, kafka-source batch_size $batch_size, Connect $connect_version, Debezium $debezium_version, $(nproc) cores)"
