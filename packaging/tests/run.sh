#!/usr/bin/env bash
# `make test-packages`: builds the packages (packaging/build.sh), checks the .deb and .rpm
# files from outside, then installs the .debs into a fresh Debian 12 root (debootstrap, the
# tarball cached outside the clone) and runs packaging/tests/in-chroot.sh there: install,
# --check-config, the daemon as the tradestore user over HTTP, SIGTERM, systemd-analyze
# verify, the SDK example built out of tree and loaded, upgrade N -> N+1 with an edited
# conffile, remove and purge.
#
# Needs root (debootstrap, chroot, mount). Leaves no mounts or processes behind.
# Environment:
#   PACKAGE_DIR       build output (default build/package)
#   TRADESTORE_CACHE  cache outside the clone (default ${XDG_CACHE_HOME:-~/.cache}/tradestore):
#                     bookworm-root.tar (the debootstrapped root), apt/ (downloaded .debs, lists)
#   DEBIAN_MIRROR     default http://deb.debian.org/debian
#   SKIP_BUILD=1      test the packages already in PACKAGE_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=${PACKAGE_DIR:-$root/build/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${TRADESTORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs_tar=$cache/bookworm-root.tar
chroot_dir=$out/chroot
start=$SECONDS

source packaging/lib.sh
version=$(tradestore_version)
arch=$(dpkg --print-architecture)

step() { echo "::: test-packages: $* ($((SECONDS - start)) s)"; }
ok() { echo "  ok    $*"; }
fail() { echo "  FAIL  $*" >&2; exit 1; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
has_line() {  # has_line PATTERN TEXT: an extended-regexp line match in TEXT
  grep -Eq -- "$1" <<<"$2"
}
sandbox() {  # sandbox UNIT: its lines from "# Sandbox" to the end of [Service]
  sed -n '/^# Sandbox/,/^\[Install\]/p' "$1"
}
# The Swagger UI files npm ci installs from web/swagger/package-lock.json (the pinned ones).
swagger_ui_pinned=$(web/swagger/install.sh)

[ "$(id -u)" -eq 0 ] || { echo "test-packages: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

# --- 1. Build: version N (make package), then N+1 (the next Debian revision) -------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  step "make package"
  packaging/build.sh all
fi
deb_version=$(dpkg-deb -f "$out"/deb/tradestore_*_"$arch".deb Version)
revision=${deb_version##*-}
next_version="$version-$((revision + 1))"
src="$out/src/tradestore-$version"
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -d "$out/deb-next" ]; then
  step "build $next_version for the upgrade test"
  # The same build (-nc: the build stamp is kept, so only the binary stage reruns), with
  # the next revision and a changed conffile, as a release with a config change would be.
  set_deb_version "$src/debian" "$next_version" "Upgrade test build."
  printf '\n# (%s: a line the upgrade test adds to the packaged config)\n' "$next_version" \
    >>"$src/packaging/common/tradestore.ini"
  rm -f "$src/debian/files"  # N's list; -nc skips the clean that would remove it
  profiles=$(deb_profiles "$src")
  run_dpkg_buildpackage "$src" "$out/build-deb-next.log" -b -nc -us -uc ${profiles:+-P"$profiles"}
  rm -rf "$out/deb-next"
  mkdir -p "$out/deb-next"
  mv "$out/src"/*.deb "$out/deb-next/"
  rm -f "$out/src"/*.changes "$out/src"/*.buildinfo
fi

# --- 2. The .debs from outside -----------------------------------------------------------------
step "inspect the .debs"
deb() { echo "$out/deb/$1_${deb_version}_$2.deb"; }
main_deb=$(deb tradestore "$arch")
listing=$(dpkg-deb -c "$main_deb" | awk '{print $6}')
for f in ./usr/sbin/tradestored ./etc/tradestore/tradestore.ini \
    ./lib/systemd/system/tradestore.service ./lib/systemd/system/tradestore@.service \
    ./usr/share/man/man8/tradestored.8.gz \
    ./usr/lib/tradestore/plugins/{trade-rules,sqlite-store,rest-source,expiry-scheduler}.so; do
  check "tradestore ships $f" has_line "^${f//./\\.}\$" "$listing"
done
check "tradestore: version $deb_version, upstream from CMakeLists.txt" \
  test "${deb_version%-*}" = "$version"
check "tradestore: architecture $arch" test "$(dpkg-deb -f "$main_deb" Architecture)" = "$arch"
depends=$(dpkg-deb -f "$main_deb" Depends)
check "tradestore: Depends computed by shlibdeps (libpoconet80, libsqlite3-0, libstdc++6)" \
  has_line 'libpoconet80.*libsqlite3-0.*libstdc\+\+6' "$depends"
check "tradestore: Depends on adduser (postinst) and tzdata" has_line 'adduser.*tzdata' "$depends"
check "tradestore: Recommends tradestore-docs (/docs)" \
  test "$(dpkg-deb -f "$main_deb" Recommends)" = tradestore-docs
check "tradestore@.service has tradestore.service's sandbox, line for line" \
  cmp -s <(sandbox packaging/common/tradestore.service) <(sandbox packaging/common/tradestore@.service)
for d in "$out"/deb/*.deb; do
  if dpkg-deb -c "$d" | awk '{print $6}' | grep -q '^\./usr/local'; then
    fail "${d##*/} ships a file under /usr/local (the admin's: third-party plugins go there)"
  fi
done
ok "no package ships anything under /usr/local (/usr/local/lib/tradestore/plugins is the admin's)"
check "tradestore: the config is a conffile" \
  has_line '^/etc/tradestore/tradestore.ini$' "$(dpkg-deb -I "$main_deb" conffiles)"
# Plugin packages: every tradestore-<name> stanza in debian/control but -dev, each with its
# plugins in debian/tradestore-<name>.install.
# Those whose plugin is not in this source are skipped (see deb_profiles in packaging/lib.sh).
plugin_packages=$(sed -n 's/^Package: tradestore-\(.*\)$/\1/p' packaging/debian/control | grep -vx -e dev -e docs)
plugin_names=""
for p in $plugin_packages; do
  plugin_deb=$(deb "tradestore-$p" "$arch")
  if [ ! -f "$plugin_deb" ]; then
    plugin=$(sed -n 's|^usr/lib/tradestore/plugins/\(.*\)\.so$|\1|p' "packaging/debian/tradestore-$p.install")
    if plugin_in_source "$src" "$plugin"; then fail "tradestore-$p was not built"; fi
    echo "  skip  tradestore-$p: plugins/$plugin is not in this source"
    continue
  fi
  p_depends=$(dpkg-deb -f "$plugin_deb" Depends)
  check "tradestore-$p: depends on tradestore (= $deb_version)" \
    has_line "tradestore \(= $deb_version\)" "$p_depends"
  check "tradestore-$p: library Depends from shlibs: ${p_depends#*), }" \
    has_line 'lib[a-z0-9.+-]+ \(>=' "$p_depends"
  for so in $(sed -n 's|^usr/lib/tradestore/plugins/\(.*\)\.so$|\1|p' \
      "packaging/debian/tradestore-$p.install"); do
    check "tradestore-$p ships $so.so" has_line "^\./usr/lib/tradestore/plugins/$so\.so$" \
      "$(dpkg-deb -c "$plugin_deb" | awk '{print $6}')"
    plugin_names+=" $p:$so"
  done
  examples_file=packaging/debian/tradestore-$p.examples
  [ -f "$examples_file" ] || fail "tradestore-$p: no example config ($examples_file)"
  for example in $(cat "$examples_file"); do
    check "tradestore-$p ships its example ${example##*/}" has_line \
      "^\./usr/share/doc/tradestore-$p/examples/${example##*/}(\.gz)?\$" \
      "$(dpkg-deb -c "$plugin_deb" | awk '{print $6}')"
  done
done
docs_deb=$(deb tradestore-docs all)
check "tradestore-docs: Architecture all" test "$(dpkg-deb -f "$docs_deb" Architecture)" = all
docs_tmp=$(mktemp -d)
dpkg-deb -x "$docs_deb" "$docs_tmp"
for f in $swagger_ui_assets; do
  check "tradestore-docs ships /usr/share/tradestore/swagger-ui/$f as npm ci installed it" \
    cmp -s "$swagger_ui_pinned/$f" "$docs_tmp/usr/share/tradestore/swagger-ui/$f"
done
for f in NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  check "tradestore-docs ships swagger-ui's $f" \
    test -e "$docs_tmp/usr/share/doc/tradestore-docs/$f" -o -e "$docs_tmp/usr/share/doc/tradestore-docs/$f.gz"
done
check "debian/copyright: Apache-2.0, and swagger-ui's licenses" grep -q \
  '^License: Apache-2.0 and MIT and BSD-3-Clause and (Apache-2.0 or MPL-2.0)$' \
  "$docs_tmp/usr/share/doc/tradestore-docs/copyright"
rm -rf "$docs_tmp"
check "tradestore-postgres ships the owner/writer roles script" has_line \
  '^\./usr/share/doc/tradestore-postgres/examples/postgres-roles\.sql$' \
  "$(dpkg-deb -c "$(deb tradestore-postgres "$arch")" | awk '{print $6}')"
dev_deb=$(deb tradestore-dev all)
dev_listing=$(dpkg-deb -c "$dev_deb" | awk '{print $6}')
for f in ./usr/include/tradestore/tradestore.h ./usr/include/tradestore/testing.h ./usr/lib/cmake/TradeStore/TradeStoreConfig.cmake \
    ./usr/lib/cmake/TradeStore/TradeStoreConfigVersion.cmake \
    ./usr/share/doc/tradestore-dev/examples/book-allowlist/CMakeLists.txt; do
  check "tradestore-dev ships $f" has_line "^${f//./\\.}\$" "$dev_listing"
done
tmp_ctrl=$(mktemp -d)
trap 'rm -rf "$tmp_ctrl"' EXIT
dpkg-deb -e "$main_deb" "$tmp_ctrl/n"
dpkg-deb -e "$out/deb-next/tradestore_${next_version}_$arch.deb" "$tmp_ctrl/n1"
check "postinst enables the unit (deb-systemd-helper enable)" \
  grep -q "deb-systemd-helper enable 'tradestore.service'" "$tmp_ctrl/n/postinst"
check "postinst starts it, restarts it on upgrade (deb-systemd-invoke)" \
  grep -q "_dh_action=restart" "$tmp_ctrl/n/postinst"
check "postinst creates the tradestore system user (adduser --system)" \
  grep -q "adduser --system" "$tmp_ctrl/n/postinst"
check "prerm stops it on removal (deb-systemd-invoke stop)" \
  grep -q "deb-systemd-invoke stop 'tradestore.service'" "$tmp_ctrl/n/prerm"
check "postrm purges the unit's state (deb-systemd-helper purge)" \
  grep -q "deb-systemd-helper purge 'tradestore.service'" "$tmp_ctrl/n/postrm"
check "postinst of $next_version asks for a restart (deb-systemd-invoke restart)" \
  grep -q "deb-systemd-invoke \$_dh_action 'tradestore.service'" "$tmp_ctrl/n1/postinst"

# --- 3. The .rpms from outside (built on Debian: inspected, not installed) ----------------------
step "inspect the .rpms"
rpm_main=$(ls "$out"/rpm/tradestore-"$version"-*.rpm)
rpm_files=$(rpm -qlp "$rpm_main")
for f in /usr/sbin/tradestored /etc/tradestore/tradestore.ini \
    /usr/lib/systemd/system/tradestore.service /usr/lib/systemd/system/tradestore@.service \
    /usr/share/man/man8/tradestored.8.gz /var/lib/tradestore /usr/lib/tradestore/plugins/{trade-rules,sqlite-store,rest-source,expiry-scheduler}.so; do
  check "tradestore.rpm ships $f" has_line "^${f//./\\.}\$" "$rpm_files"
done
check "tradestore.rpm ships LICENSE (%license)" \
  has_line '^/usr/share/licenses/tradestore[^/]*/LICENSE$' "$rpm_files"
check "tradestore.rpm: License Apache-2.0" test "$(rpm -qp --qf '%{LICENSE}' "$rpm_main")" = Apache-2.0
rpm_docs=$(ls "$out"/rpm/tradestore-docs-"$version"-*.noarch.rpm)
for f in $swagger_ui_assets; do
  check "tradestore-docs.rpm (noarch) ships /usr/share/tradestore/swagger-ui/$f" \
    has_line "^/usr/share/tradestore/swagger-ui/${f//./\\.}\$" "$(rpm -qlp "$rpm_docs")"
done
check "tradestore.rpm: the config is %config(noreplace)" \
  test "$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$rpm_main" |
    awk '$1 == "/etc/tradestore/tradestore.ini" {print $2}')" = cn
requires=$(rpm -qp --requires "$rpm_main")
check "tradestore.rpm: library Requires found by rpm (libPocoNet, libsqlite3)" \
  has_line '^libPocoNet\.so\.[0-9]+\(\)\(64bit\)$' "$requires"
check "tradestore.rpm: Requires libsqlite3.so.0" has_line '^libsqlite3\.so\.0' "$requires"
check "tradestore.rpm: Requires tzdata, shadow-utils (pre)" has_line '^shadow-utils$' "$requires"
scripts=$(rpm -qp --scripts "$rpm_main")
check "tradestore.rpm %pre creates the tradestore system user" has_line 'useradd -r .* tradestore$' "$scripts"
check "tradestore.rpm %post presets the unit" has_line 'systemctl .*preset tradestore.service|systemd-update-helper install-system-units tradestore.service' "$scripts"
check "tradestore.rpm %preun disables and stops it on erase" has_line 'disable --now tradestore.service|remove-system-units tradestore.service' "$scripts"
check "tradestore.rpm %postun restarts it on upgrade" has_line 'try-restart tradestore.service|mark-restart-system-units tradestore.service' "$scripts"
for entry in $plugin_names; do
  name=${entry%%:*} plugin=${entry#*:}
  r=$(ls "$out"/rpm/tradestore-"$name"-"$version"-*.rpm)
  check "tradestore-$name.rpm ships $plugin.so" \
    has_line "^/usr/lib/tradestore/plugins/$plugin\.so$" "$(rpm -qlp "$r")"
  for example in $(cat "packaging/debian/tradestore-$name.examples"); do
    check "tradestore-$name.rpm ships its example ${example##*/}" \
      has_line "/doc/tradestore-$name[^/]*/${example##*/}\$" "$(rpm -qlp "$r")"
  done
  r_requires=$(rpm -qp --requires "$r")
  check "tradestore-$name.rpm requires the same tradestore build and its libraries" \
    has_line "^tradestore\(.*\) = $version-" "$r_requires"
  has_line '^lib[A-Za-z0-9_.+-]+\.so[.0-9]*\(\)' \
    "$(grep -v -e '^libc\.so' -e '^libstdc++' -e '^libgcc_s' -e '^libm\.so' <<<"$r_requires")" ||
    fail "tradestore-$name.rpm: no library Requires"
done
r=$(ls "$out"/rpm/tradestore-devel-"$version"-*.noarch.rpm)
check "tradestore-devel.rpm (noarch): headers, CMake package, example" has_line \
  '^/usr/lib/cmake/TradeStore/TradeStoreConfig\.cmake$' "$(rpm -qlp "$r")"
has_line '^/usr/include/tradestore/tradestore\.h$' "$(rpm -qlp "$r")" || fail "devel: no headers"
has_line '/examples/book-allowlist/CMakeLists\.txt$' "$(rpm -qlp "$r")" || fail "devel: no example"
check "tradestore-postgres.rpm ships the owner/writer roles script" has_line \
  '/doc/tradestore-postgres[^/]*/postgres-roles\.sql$' \
  "$(rpm -qlp "$(ls "$out"/rpm/tradestore-postgres-"$version"-*.rpm)")"

# --- 4. A fresh Debian 12 root ------------------------------------------------------------------
mounts=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Processes left in the chroot (the inner script stops its daemons; this is the backstop).
  if [ -d "$chroot_dir" ]; then
    local p real left try
    real=$(readlink -f "$chroot_dir")
    for try in 1 2 3 4 5 6 7 8 9 10; do
      left=0
      for p in /proc/[0-9]*; do
        if [ "$(readlink "$p/root" 2>/dev/null)" = "$real" ]; then
          kill -KILL "${p#/proc/}" 2>/dev/null || true
          left=1
        fi
      done
      [ "$left" = 0 ] && break
      sleep 0.5
    done
  fi
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  if [ -d "$chroot_dir" ] && findmnt -rn -o TARGET | grep -q "^$chroot_dir"; then
    echo "test-packages: mounts remain under $chroot_dir; not removing it" >&2
  elif [ -d "$chroot_dir" ]; then
    rmdir "$chroot_dir" 2>/dev/null || true
  fi
  # An interrupted debootstrap: its mounts, then its folder.
  if [ -n "${bootstrap:-}" ] && [ -d "$bootstrap" ]; then
    findmnt -rn -o TARGET | grep "^$bootstrap/" | sort -r | xargs -r -n1 umount -l || true
    findmnt -rn -o TARGET | grep -q "^$bootstrap/" || rm -rf --one-file-system "$bootstrap"
  fi
  rm -rf "$tmp_ctrl"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() {  # mount_in TARGET MOUNT-ARGS...
  mkdir -p "$1"
  mount "${@:2}" "$1"
  mounts+=("$1")
}

if [ ! -f "$rootfs_tar" ]; then
  step "debootstrap bookworm (minbase) from $mirror -> $rootfs_tar"
  mkdir -p "$cache"
  bootstrap=$(mktemp -d "$cache/bootstrap.XXXXXX")
  debootstrap --variant=minbase bookworm "$bootstrap" "$mirror" >"$out/debootstrap.log" 2>&1 ||
    { tail -20 "$out/debootstrap.log"; fail "debootstrap"; }
  cat >"$bootstrap/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  rm -rf "$bootstrap"/var/cache/apt/archives/*.deb "$bootstrap"/var/lib/apt/lists/*
  chmod 0755 "$bootstrap"  # mktemp made it 0700; it is the root's /
  tar -C "$bootstrap" -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf --one-file-system "$bootstrap"
  bootstrap=""
fi

step "unpack the Debian 12 root ($rootfs_tar) into $chroot_dir"
if [ -d "$chroot_dir" ]; then
  findmnt -rn -o TARGET | grep -q "^$chroot_dir" && fail "mounts remain under $chroot_dir"
  rm -rf --one-file-system "$chroot_dir"
fi
mkdir -p "$chroot_dir"
# In memory: unpacking and dpkg's many fsyncs are fast there, and unmounting removes it all.
mount_in "$chroot_dir" -t tmpfs -o size=6g,mode=0755 tmpfs
tar -C "$chroot_dir" -xf "$rootfs_tar"
chmod 0755 "$chroot_dir"
mount_in "$chroot_dir/proc" -t proc proc
mount_in "$chroot_dir/sys" -t sysfs -o ro sysfs
mount_in "$chroot_dir/dev" --bind /dev
mount_in "$chroot_dir/dev/pts" --bind /dev/pts
# Downloaded .debs and package lists survive between runs (outside the clone).
mkdir -p "$cache/apt/archives/partial" "$cache/apt/lists/partial"
mount_in "$chroot_dir/var/cache/apt/archives" --bind "$cache/apt/archives"
mount_in "$chroot_dir/var/lib/apt/lists" --bind "$cache/apt/lists"
cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$chroot_dir/usr/sbin/policy-rc.d"
chmod +x "$chroot_dir/usr/sbin/policy-rc.d"

mkdir -p "$chroot_dir/tmp/debs" "$chroot_dir/tmp/debs-next" "$chroot_dir/tmp/tests"
cp "$out"/deb/*.deb "$chroot_dir/tmp/debs/"
cp "$out"/deb-next/*.deb "$chroot_dir/tmp/debs-next/"
cp packaging/tests/in-chroot.sh "$chroot_dir/tmp/tests/"

step "tests in the Debian 12 root"
# In the background, so that a signal to this script runs its cleanup at once.
chroot "$chroot_dir" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive \
  bash /tmp/tests/in-chroot.sh "$deb_version" "$next_version" "$arch" $plugin_names </dev/null &
rc=0
wait $! || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

step "all package tests passed"
