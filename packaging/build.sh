#!/usr/bin/env bash
# `make package`: the .debs (dpkg-buildpackage with packaging/debian as debian/) and the .rpms
# (rpmbuild with packaging/rpm/tradestore.spec), then lintian and rpmlint on them.
#
# Usage: packaging/build.sh [deb|rpm|all]      (default all)
# Output (PACKAGE_DIR, default build/package):
#   deb/*.deb, *.changes, *.buildinfo   lintian.txt   build-deb.log
#   rpm/*.rpm                           rpmlint.txt   build-rpm.log
# Environment:
#   DEB_REVISION    Debian revision (default: the top entry of packaging/debian/changelog when
#                   its upstream version is the CMake project version, else 1)
#   DEB_CHANGELOG   the changelog line for an entry this script adds (see set_deb_version)
#   CCACHE_DIR      ccache's cache (default ~/.cache/tradestore-ccache, as .ci/run)
#   DEB_BUILD_OPTIONS  passed on; parallel=2 is added when no parallel= is given
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
out=${PACKAGE_DIR:-$root/build/package}
mkdir -p "$out"
out=$(cd "$out" && pwd)

source packaging/lib.sh
version=$(tradestore_version)
[ -n "$version" ] || { echo "build.sh: no project version in CMakeLists.txt" >&2; exit 1; }

export CCACHE_DIR="${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tradestore-ccache}"
case " ${DEB_BUILD_OPTIONS:-} " in
  *" parallel="*) ;;
  *) export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=2" ;;
esac

log() { echo "::: package: $*"; }

build_debs() {
  local src_parent="$out/src" src="$out/src/tradestore-$version"
  local top_version revision
  top_version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
  if [ "${top_version%-*}" = "$version" ]; then revision=${top_version##*-}; else revision=1; fi
  revision=${DEB_REVISION:-$revision}

  log "staging the source in $src"
  rm -rf "$src_parent"
  stage_source "$src"
  stage_swagger_ui "$src"
  # The tarball the .rpms build from: the same tree, before debian/ is added.
  tar -czf "$src_parent/tradestore-$version.tar.gz" -C "$src_parent" "tradestore-$version"
  cp -a packaging/debian "$src/debian"
  set_deb_version "$src/debian" "$version-$revision" \
    "${DEB_CHANGELOG:-Build of upstream version $version.}"

  local profiles
  profiles=$(deb_profiles "$src")
  [ -z "$profiles" ] || log "plugins not in this source, their packages skipped: $profiles"
  log "dpkg-buildpackage $version-$revision (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
  run_dpkg_buildpackage "$src" "$out/build-deb.log" -b -us -uc ${profiles:+-P"$profiles"}

  rm -rf "$out/deb"
  mkdir -p "$out/deb"
  mv "$src_parent"/*.deb "$src_parent"/*.changes "$src_parent"/*.buildinfo "$out/deb/"
  run_lintian
}

run_lintian() {
  log "lintian (report: $out/lintian.txt)"
  local rc=0
  # Suppressed, for every package: initial-upload-closes-no-bugs (these packages are not
  # uploaded to Debian, so there is no ITP bug to close). Explanations of any tag:
  # lintian-explain-tags TAG.
  lintian --display-info --pedantic --fail-on error \
    --suppress-tags initial-upload-closes-no-bugs "$out"/deb/*.changes \
    >"$out/lintian.txt" 2>&1 || rc=$?
  sed 's/^/  /' "$out/lintian.txt"
  if [ "$rc" -ne 0 ]; then
    echo "build.sh: lintian reports errors (see above)" >&2
    exit 1
  fi
  log "lintian: $(grep -c '^E:' "$out/lintian.txt" || true) errors," \
    "$(grep -c '^W:' "$out/lintian.txt" || true) warnings," \
    "$(grep -c '^[IP]:' "$out/lintian.txt" || true) info/pedantic"
}

build_rpms() {
  local tarball="$out/src/tradestore-$version.tar.gz"
  if [ "$what" = rpm ]; then  # else build_debs has just made it from the same tree
    rm -rf "$out/src"
    stage_source "$out/src/tradestore-$version"
    stage_swagger_ui "$out/src/tradestore-$version"
    tar -czf "$tarball" -C "$out/src" "tradestore-$version"
  fi
  log "rpmbuild $version"
  if ! TARBALL=$tarball packaging/rpm/build-rpm.sh "$out/rpm" >"$out/build-rpm.log" 2>&1; then
    tail -n 80 "$out/build-rpm.log"
    echo "build.sh: rpmbuild failed; the whole log is $out/build-rpm.log" >&2
    exit 1
  fi
  log "rpmlint (report: $out/rpmlint.txt)"
  rpmlint -c packaging/rpm/rpmlint.toml "$out"/rpm/*.rpm >"$out/rpmlint.txt" 2>&1 || true
  sed 's/^/  /' "$out/rpmlint.txt"
  # Errors that remain are explained in packaging/README.md; a new one fails the build.
  if grep -E '^[^ ]+: E: ' "$out/rpmlint.txt" | grep -v -E -f packaging/rpm/rpmlint-known.txt; then
    echo "build.sh: rpmlint reports an error not explained in packaging/README.md" >&2
    exit 1
  fi
}

scripts/install-deps.sh package
case "$what" in
  deb) build_debs ;;
  rpm) build_rpms ;;
  all) build_debs; build_rpms ;;
  *) echo "usage: $0 [deb|rpm|all]" >&2; exit 2 ;;
esac

log "packages in $out:"
# Only the folders this run or an earlier one made: `build.sh deb` alone has no rpm/.
folders=()
for folder in "$out/deb" "$out/rpm"; do [ ! -d "$folder" ] || folders+=("$folder"); done
find "${folders[@]}" -maxdepth 1 \( -name '*.deb' -o -name '*.rpm' \) -printf '%10s  %p\n' |
  sort -k2
