#!/bin/bash
# Runs inside the fresh Debian 12 root that packaging/tests/run.sh prepares, with the .debs of
# version N in /tmp/debs and of N+1 in /tmp/debs-next.
# Usage: in-chroot.sh N_VERSION N+1_VERSION ARCH [PACKAGE:PLUGIN]...
#   PACKAGE:PLUGIN: the plugin packages (tradestore-PACKAGE ships PLUGIN.so)
set -euo pipefail
version=$1 next_version=$2 arch=$3
shift 3
plugin_packages=() plugin_names=()
for entry in "$@"; do
  plugin_packages+=("tradestore-${entry%%:*}")
  plugin_names+=("${entry#*:}")
done
# debs DIR VERSION: the .debs of tradestore, tradestore-docs and every plugin package
debs() {
  local p
  echo "$1/tradestore_${2}_$arch.deb"
  echo "$1/tradestore-docs_${2}_all.deb"
  for p in $(printf '%s\n' "${plugin_packages[@]}" | sort -u); do echo "$1/${p}_${2}_$arch.deb"; done
}
export DEBIAN_FRONTEND=noninteractive
config=/etc/tradestore/tradestore.ini
plugins=/usr/lib/tradestore/plugins
calls=/tmp/systemd-calls.log
pids=()

ok() { echo "  ok    $*"; }
fail() {
  echo "  FAIL  $*" >&2
  local log
  log=$(ls -t /tmp/daemon-*.log 2>/dev/null | head -1)
  [ -z "$log" ] || tail -n 20 "$log" | sed "s|^|  $log: |" >&2
  exit 1
}
check() {  # check DESCRIPTION COMMAND... (the command's output is not shown)
  local what=$1; shift
  if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}
section() { echo "::: in-chroot: $* (${SECONDS} s)"; }
apt_install() {
  apt-get install -y -q=2 --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
    >/tmp/apt.log 2>&1 || { tail -40 /tmp/apt.log; fail "apt-get install $*"; }
}
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

# The daemon as the tradestore user, in the background: start_daemon NAME CONFIG
start_daemon() {
  local name=$1 conf=$2 port
  port=$(sed -n 's/^port *= *\([0-9]*\)$/\1/p' "$conf")
  setpriv --reuid=tradestore --regid=tradestore --init-groups --inh-caps=-all \
    /usr/sbin/tradestored --config "$conf" >"/tmp/daemon-$name.log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
  daemon_url="http://127.0.0.1:$port"
  base="$daemon_url/api/v1"
  local i
  for i in $(seq 1 100); do
    curl -fsS -o /dev/null "$base/health" 2>/dev/null && return 0
    kill -0 "$daemon_pid" 2>/dev/null || fail "$name: the daemon exited at start"
    sleep 0.1
  done
  fail "$name: no answer on $base/health within 10 s"
}
# SIGTERM, then a clean exit (status 0, "tradestored stopped" logged): stop_daemon NAME
stop_daemon() {
  local name=$1 rc=0
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || rc=$?
  check "$name: SIGTERM stops the daemon with status 0" test "$rc" -eq 0
  check "$name: it drained and logged its stop" grep -q "tradestored stopped" "/tmp/daemon-$name.log"
}
# post BODY: HTTP status and body of POST /trades in $status and $body
post() {
  local out
  out=$(curl -sS -w '\n%{http_code}' -XPOST "$base/trades" -H 'Content-Type: application/json' -d "$1")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
}
trade() {  # trade ID BOOK: a trade maturing far in the future
  printf '{"trade_id":"%s","version":1,"counter_party_id":"CP-1","book_id":"%s","maturity_date":"2099-12-31"}' "$1" "$2"
}

# Service manager calls in the maintainer scripts: no systemd runs in a chroot, so the
# scripts' `[ -d /run/systemd/system ]` branch is entered with stand-ins (dpkg-divert moves
# the real ones aside) that record their arguments: deb-systemd-invoke does nothing more;
# systemctl runs the real one after (`preset` works offline; daemon-reload fails, as the
# scripts allow). deb-systemd-helper (enable, purge) is the real one.
fake_systemd() {
  mkdir -p /run/systemd/system
  local tool then
  for tool in /usr/bin/systemctl /usr/bin/deb-systemd-invoke; do
    dpkg-divert --quiet --local --no-rename --divert "$tool.real" --add "$tool"
    mv "$tool" "$tool.real"
    then="exit 0"
    [ "${tool##*/}" = systemctl ] && then="exec $tool.real \"\$@\""
    printf '#!/bin/sh\necho "%s $*" >>%s\n%s\n' "${tool##*/}" "$calls" "$then" >"$tool"
    chmod +x "$tool"
  done
  : >"$calls"
}
called() { grep -qx -- "$1" "$calls"; }

section "apt-get update; the tools the tests use (curl; systemd for systemd-analyze; cmake, g++, make, libgtest-dev for the SDK)"
apt-get update -q=2 >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "apt-get update"; }
apt_install curl systemd cmake g++ make libgtest-dev

section "install tradestore $version and the plugin packages with apt"
fake_systemd
mapfile -t n_debs < <(debs /tmp/debs "$version")
apt_install "${n_debs[@]}"
check "installed: tradestore $version" \
  test "$(dpkg-query -W -f='${Version} ${Status}' tradestore)" = "$version install ok installed"
check "the tradestore system user and group exist" getent passwd tradestore
uid=$(id -u tradestore)
check "it is a system user (uid $uid < 1000), no login shell" \
  test "$uid" -lt 1000 -a "$(getent passwd tradestore | cut -d: -f7)" = /usr/sbin/nologin
check "/var/lib/tradestore belongs to tradestore, mode 750" \
  test "$(stat -c '%U:%G %a' /var/lib/tradestore)" = "tradestore:tradestore 750"
check "the config is root:tradestore 640" test "$(stat -c '%U:%G %a' $config)" = "root:tradestore 640"
check "the config is a conffile" grep -qx " $config [0-9a-f]*" \
  <(dpkg-query -W -f='${Conffiles}\n' tradestore)
check "the unit is enabled (deb-systemd-helper)" \
  test -L /etc/systemd/system/multi-user.target.wants/tradestore.service
check "postinst reloaded systemd and started the service" \
  called "deb-systemd-invoke start tradestore.service"
check "man page" test -f /usr/share/man/man8/tradestored.8.gz
check "monitoring kit: alert rules, their tests, the Grafana dashboard" \
  test -f /usr/share/tradestore/monitoring/tradestore-alerts.yml -a \
  -f /usr/share/tradestore/monitoring/tests/kafka-test.yml -a \
  -f /usr/share/tradestore/monitoring/grafana/tradestore.json
check "the man page names the folder for third-party plugins, /usr/local/lib/tradestore/plugins" \
  zgrep -q 'usr/local/lib/tradestore/plugins' /usr/share/man/man8/tradestored.8.gz
check "no package owns /usr/local/lib/tradestore (the administrator's)" \
  bash -c '! dpkg -S /usr/local/lib/tradestore 2>/dev/null'
check "copyright: Apache-2.0 (DEP-5)" grep -qx 'License: Apache-2.0' /usr/share/doc/tradestore/copyright
check "the upstream changelog with upgrade notes" test -f /usr/share/doc/tradestore/changelog.gz
for p in "${plugin_packages[@]}"; do
  for example in $(dpkg -L "$p" | grep "^/usr/share/doc/$p/examples/.*\.ini$"); do
    # The values its comment asks for; --check-config connects to nothing.
    check "$p: example ${example##*/} passes --check-config with the installed plugins" \
      env TRADESTORE_PG_URI=postgresql://tradestore@db.invalid/tradestore \
      TRADESTORE_KAFKA_BROKERS=kafka.invalid:9092 KAFKA_BROKERS=kafka.invalid:9092 \
      MONGO_USER=tradestore MONGO_PASSWORD=x MONGO_HOSTS=mongo.invalid:27017 \
      TRADESTORE_DATA_DIR=/tmp \
      /usr/sbin/tradestored --check-config --config "$example"
  done
done
check "tradestored --help" /usr/sbin/tradestored --help
listing=$(/usr/sbin/tradestored --list-plugins --plugin-dir $plugins)
for p in trade-rules sqlite-store rest-source expiry-scheduler "${plugin_names[@]}"; do
  check "--list-plugins: $p" grep -q "^$p " <<<"$listing"
done

section "tradestored --check-config on the packaged config"
check "tradestored --check-config --config $config" \
  /usr/sbin/tradestored --check-config --config $config

section "the daemon on the packaged config, as the tradestore user"
run_config=$config
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  # 8080 is taken on this machine (the chroot shares its network): a copy on a free port.
  port=18080
  while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
  run_config=/tmp/tradestore-port.ini
  sed "s/^port = 8080$/port = $port/" $config >$run_config
  chown root:tradestore $run_config
  chmod 0640 $run_config
  echo "  (port 8080 is in use: the packaged config with port = $port, $run_config)"
fi
start_daemon packaged $run_config
check "its user is tradestore" test "$(stat -c %U "/proc/$daemon_pid")" = tradestore
post "$(trade T1 B1)"
check "POST /api/v1/trades: 201 created" test "$status" = 201
check "... outcome created" grep -q '"outcome":"created"' <<<"$body"
trades=$(curl -fsS "$base/trades")
check "GET /api/v1/trades lists T1" grep -q '"trade_id":"T1"' <<<"$trades"
# /docs from tradestore-docs, at the rest-source plugin's default docs_dir.
docs_page=$(curl -fsS "$daemon_url/docs") || fail "GET /docs"
check "GET /docs: 200, the Swagger UI page on /openapi.json" grep -q 'url: "/openapi.json"' <<<"$docs_page"
for asset in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png; do
  grep -q "/docs/$asset" <<<"$docs_page" || fail "/docs does not load $asset"
  check "GET /docs/$asset: 200, the bytes of tradestore-docs' file" cmp -s \
    <(curl -fsS "$daemon_url/docs/$asset") /usr/share/tradestore/swagger-ui/$asset
done
check "GET /openapi.json: 200" curl -fsS -o /dev/null "$daemon_url/openapi.json"
if [ -x /usr/bin/tradestorectl ]; then
  check "tradestorectl stats (the operator tool in the package)" \
    /usr/bin/tradestorectl --url "$daemon_url" stats
  check "tradestorectl --version" grep -q '^tradestorectl [0-9]' <<<"$(/usr/bin/tradestorectl --version)"
  check "tradestorectl's bash completion" test -f /usr/share/bash-completion/completions/tradestorectl
fi
if printf '%s\n' "${plugin_packages[@]}" | grep -qx tradestore-kafka; then
  check "tradestorectl dlq replay --help (tradestorectl-kafka, from tradestore-kafka)" \
    sh -c '/usr/bin/tradestorectl dlq replay --help | grep -q -- --dlq-topic'
fi
stop_daemon packaged
check "the database is /var/lib/tradestore/tradestore.db, owned by tradestore" \
  test "$(stat -c %U /var/lib/tradestore/tradestore.db)" = tradestore

section "systemd-analyze verify and the maintainer scripts"
# --man=no: man-db is not installed here; the page Documentation= names is checked above.
verify=$(systemd-analyze verify --man=no /lib/systemd/system/tradestore.service 2>&1) ||
  { echo "$verify"; fail "systemd-analyze verify tradestore.service"; }
if grep -q "tradestore" <<<"$verify"; then echo "$verify"; fail "systemd-analyze verify: warnings"; fi
ok "systemd-analyze verify tradestore.service: no findings"
# The template, through an instance of it; its config need not exist for the verifier.
verify=$(systemd-analyze verify --man=no /lib/systemd/system/tradestore@blue.service 2>&1) ||
  { echo "$verify"; fail "systemd-analyze verify tradestore@blue.service"; }
if grep -q "tradestore" <<<"$verify"; then echo "$verify"; fail "systemd-analyze verify tradestore@: warnings"; fi
ok "systemd-analyze verify tradestore@blue.service (the template): no findings"
check "the template is installed but not enabled (an instance is the administrator's choice)" \
  bash -c '! ls /etc/systemd/system/multi-user.target.wants/ | grep -q "tradestore@"'

section "an instance as tradestore@blue.service runs it: /etc/tradestore/blue.ini, its own state dir"
# What systemd gives the instance (StateDirectory=tradestore/%i): the folder, owned by the
# user, and its path in STATE_DIRECTORY, which the instance's config names.
install -d -o tradestore -g tradestore -m 0750 /var/lib/tradestore/blue
port=18180
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
# As docs/packages.md says to make it.
sed -e "s/^port = 8080\$/port = $port/" -e 's|^path = .*|path = ${STATE_DIRECTORY}/tradestore.db|' \
  $config | install -m 0640 -g tradestore /dev/stdin /etc/tradestore/blue.ini
check "tradestore@blue: --check-config" env STATE_DIRECTORY=/var/lib/tradestore/blue \
  /usr/sbin/tradestored --check-config --config /etc/tradestore/blue.ini
STATE_DIRECTORY=/var/lib/tradestore/blue start_daemon blue /etc/tradestore/blue.ini
post "$(trade B-1 B1)"
check "tradestore@blue: POST 201" test "$status" = 201
stop_daemon blue
check "tradestore@blue kept its trades in /var/lib/tradestore/blue/tradestore.db" \
  test -s /var/lib/tradestore/blue/tradestore.db
rm -f /etc/tradestore/blue.ini
security=$(systemd-analyze security --offline=true /lib/systemd/system/tradestore.service 2>&1 |
  tail -1) || true
echo "  (systemd-analyze security: ${security# })"
info=/var/lib/dpkg/info
check "postinst: deb-systemd-helper enable" grep -q "deb-systemd-helper enable 'tradestore.service'" $info/tradestore.postinst
check "postinst: deb-systemd-invoke start/restart" grep -q "deb-systemd-invoke \$_dh_action 'tradestore.service'" $info/tradestore.postinst
check "prerm: deb-systemd-invoke stop" grep -q "deb-systemd-invoke stop 'tradestore.service'" $info/tradestore.prerm
check "postrm: deb-systemd-helper purge" grep -q "deb-systemd-helper purge 'tradestore.service'" $info/tradestore.postrm

section "tradestore-dev: build sdk/examples/book-allowlist out of tree, load it, see it reject"
apt_install /tmp/debs/tradestore-dev_"${version}"_all.deb
rm -rf /tmp/book-allowlist
cp -r /usr/share/doc/tradestore-dev/examples/book-allowlist /tmp/book-allowlist
(cd /tmp/book-allowlist &&
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" &&
  cmake --build build) >/tmp/sdk-build.log 2>&1 || { cat /tmp/sdk-build.log; fail "build the example"; }
ok "built /tmp/book-allowlist/build/book-allowlist.so with the installed SDK only"
check "the example's own test (tradestore/testing.h) passes" \
  ctest --test-dir /tmp/book-allowlist/build --output-on-failure --no-tests=error
printf '%s\n' \
  '{"trade_id":"T1","version":1,"counter_party_id":"CP-1","book_id":"B1","maturity_date":"2099-12-31"}' \
  '{"trade_id":"T1","version":2,"counter_party_id":"CP-1","book_id":"B9","maturity_date":"2099-12-31"}' \
  >/tmp/try-rule.jsonl
tried=$(/usr/sbin/tradestored --try-rule /tmp/book-allowlist/build/book-allowlist.so \
  /tmp/try-rule.jsonl --settings books=B1,B2 2>/tmp/try-rule.err) ||
  { cat /tmp/try-rule.err; fail "tradestored --try-rule on the example"; }
check "--try-rule: created, then BOOK_NOT_ALLOWED" test "$tried" = "line 1  T1 v1  created
line 2  T1 v2  rejected  BOOK_NOT_ALLOWED: Trade T1: book B9 is not in the allow-list"
check "--try-rule ran the packaged trade-rules first" \
  grep -q "^rule 1: trade-rules .* ($plugins/trade-rules.so)$" /tmp/try-rule.err
install -m 0644 /tmp/book-allowlist/build/book-allowlist.so $plugins/
allow_config=/tmp/tradestore-allowlist.ini
sed -e 's/^plugins = .*/plugins = trade-rules, book-allowlist, sqlite-store, rest-source, expiry-scheduler/' \
  -e 's|^path = .*|path = /tmp/allowlist-test/tradestore.db|' $run_config >$allow_config
printf '\n[plugin.book-allowlist]\nbooks = B1, B2\n' >>$allow_config
chown root:tradestore $allow_config
chmod 0640 $allow_config
check "--check-config with book-allowlist" /usr/sbin/tradestored --check-config --config $allow_config
start_daemon allowlist $allow_config
post "$(trade T9 B9)"
check "book B9: 400 BOOK_NOT_ALLOWED" test "$status" = 400
check "... reason BOOK_NOT_ALLOWED" grep -q '"reasons":\["BOOK_NOT_ALLOWED"\]' <<<"$body"
post "$(trade T2 B2)"
check "book B2: 201" test "$status" = 201
stop_daemon allowlist
rm -f $plugins/book-allowlist.so

section "upgrade $version -> $next_version with an edited conffile"
sed -i 's/^threads = 16$/threads = 8/' $config
echo "# operator's edit" >>$config
: >"$calls"
mapfile -t n1_debs < <(debs /tmp/debs-next "$next_version")
apt_install "${n1_debs[@]}" /tmp/debs-next/tradestore-dev_"${next_version}"_all.deb
check "installed: tradestore $next_version" \
  test "$(dpkg-query -W -f='${Version}' tradestore)" = "$next_version"
check "the operator's edits survive" grep -qx "threads = 8" $config
grep -qx "# operator's edit" $config || fail "the operator's comment is gone"
check "the new packaged config is beside it, as $config.dpkg-dist" \
  grep -q "a line the upgrade test adds" $config.dpkg-dist
check "the maintainer scripts asked for a restart (deb-systemd-invoke restart)" \
  called "deb-systemd-invoke restart tradestore.service"
check "... and not for a stop first (the service keeps running during the upgrade)" \
  bash -c "! grep -q 'deb-systemd-invoke stop' $calls"
check "--check-config on the edited config" /usr/sbin/tradestored --check-config --config $config
if [ "$run_config" != "$config" ]; then sed -i "s/^threads = 16$/threads = 8/" $run_config; fi
start_daemon upgraded $run_config
check "the trades stored before the upgrade are there" \
  grep -q '"trade_id":"T1"' <<<"$(curl -fsS "$base/trades/T1")"
stop_daemon upgraded

section "remove, then purge"
: >"$calls"
all_packages=(tradestore tradestore-docs tradestore-dev "${plugin_packages[@]}")
apt-get remove -y -q=2 "${all_packages[@]}" >/tmp/apt.log 2>&1 ||
  { cat /tmp/apt.log; fail "apt-get remove"; }
check "prerm stopped the service" called "deb-systemd-invoke stop tradestore.service"
check "remove keeps the conffile" test -f $config
# dpkg: apt no longer knows the packages that left nothing behind (tradestore-dev).
dpkg --purge "${all_packages[@]}" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; fail "dpkg --purge"; }
left=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'tradestore*' 2>/dev/null | grep -v '^un ' || true)
check "purged: dpkg lists no tradestore package (not even config-files)" test -z "$left"
for gone in /etc/tradestore /usr/lib/tradestore /usr/share/tradestore /usr/sbin/tradestored /usr/include/tradestore \
    /usr/lib/cmake/TradeStore /lib/systemd/system/tradestore.service \
    /etc/systemd/system/multi-user.target.wants/tradestore.service \
    /var/lib/systemd/deb-systemd-helper-enabled/tradestore.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/tradestore.service; do
  check "purge removed $gone" test ! -e "$gone"
done
check "purge kept the operator's data: /var/lib/tradestore/tradestore.db" \
  test -s /var/lib/tradestore/tradestore.db
check "... and the tradestore user that owns it" getent passwd tradestore

echo "::: in-chroot: all checks passed (${SECONDS} s)"
