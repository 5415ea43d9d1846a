#!/usr/bin/env bash
# Builds the TradeStore .rpms with rpmbuild from packaging/rpm/tradestore.spec.
# Usage: packaging/rpm/build-rpm.sh [OUT_DIR]          (default: build/package/rpm)
# The version comes from CMakeLists.txt; RPM_RELEASE (default: the Debian revision) is the Release.
# The source tarball is made from the tree (git's tracked and untracked, not ignored files),
# or taken from $TARBALL (a tradestore-<version>/ tree as tar.gz, as packaging/build.sh makes).
# On Fedora/RHEL: install the BuildRequires first (dnf builddep packaging/rpm/tradestore.spec).
# On Debian (where `make package` runs it) build dependencies are Debian packages, so
# rpmbuild runs with --nodeps and packaging/rpm/macros.debian-host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:-$root/build/package/rpm}" && cd "${1:-$root/build/package/rpm}" && pwd)
version=$(sed -n 's/^project(TradeStore VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || { echo "build-rpm.sh: no project version in CMakeLists.txt" >&2; exit 1; }

top="$out/rpmbuild"
rm -rf "$top"
mkdir -p "$top"/{BUILD,RPMS,SOURCES,SPECS,SRPMS}
tarball="$top/SOURCES/tradestore-$version.tar.gz"
if [ -n "${TARBALL:-}" ]; then
  cp "$TARBALL" "$tarball"
else
  stage="$top/stage"
  mkdir -p "$stage/tradestore-$version"
  (cd "$root" && git ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf -) | tar -xf - -C "$stage/tradestore-$version"
  (cd "$root" && source packaging/lib.sh && stage_swagger_ui "$stage/tradestore-$version")
  tar -czf "$tarball" -C "$stage" "tradestore-$version"
  rm -rf "$stage"
fi

# The Release: RPM_RELEASE, else the Debian revision of debian/changelog's top entry when it
# is of this version (the spec's %changelog follows it), else 1.
release=${RPM_RELEASE:-$(sed -n "1s/^tradestore ($version-\([0-9]*\)).*/\1/p" "$here/../debian/changelog")}
release=${release:-1}
args=(--define "_topdir $top" --define "tradestore_version $version"
      --define "tradestore_release $release"
      --define "packager ${RPM_PACKAGER:-TradeStore team <team@tradestore.dev>}")
command -v ccache >/dev/null && args+=(--define "cxx_launcher ccache")
# A plugin subpackage whose folder is not in the source is skipped (--without).
plugin_dirs=$(tar -tzf "$tarball" | sed -n "s|^tradestore-$version/plugins/\([^/]*\)/CMakeLists.txt$|\1|p")
for bcond in $(sed -n 's/^%bcond_without \(.*\)$/\1/p' "$here/tradestore.spec"); do
  if ! grep -qx "${bcond//_/-}" <<<"$plugin_dirs"; then
    echo "build-rpm.sh: plugins/${bcond//_/-} is not in the source: its subpackage is skipped"
    args+=(--without "$bcond")
  fi
done
if [ -f /etc/debian_version ]; then
  args+=(--nodeps --load "$here/macros.debian-host" --define "tradestore_rpm_dir $here")
fi
# CCACHE_BASEDIR: cache hits across clones in other folders.
CCACHE_BASEDIR="$top/BUILD" rpmbuild -bb "${args[@]}" "$here/tradestore.spec"

rm -f "$out"/*.rpm
find "$top/RPMS" -name '*.rpm' -exec mv -t "$out" {} +
rm -rf "$top/BUILD" "$top/BUILDROOT"
ls -l "$out"/*.rpm
