# Shared by packaging/build.sh and packaging/tests/run.sh (sourced, from the repository root).

# The upstream version: the CMake project version.
tradestore_version() {
  sed -n 's/^project(TradeStore VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt
}

# stage_source DEST: the source tree as a release would have it: git's tracked and untracked
# files that are not ignored (so build/, var/ and caches stay out), without debian/.
stage_source() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf - | tar -xf - -C "$dest"
  else
    tar --exclude=./build --exclude=./var --exclude=./.cache --exclude=./.git -cf - . |
      tar -xf - -C "$dest"
  fi
}

# plugin_in_source SRC PLUGIN: whether SRC has the plugin folder plugins/PLUGIN
plugin_in_source() {
  [ -f "$1/plugins/$2/CMakeLists.txt" ]
}

# deb_profiles SRC: the build profiles (comma-separated) that skip the plugin packages whose
# plugin folder SRC does not build (Build-Profiles: <!pkg.tradestore.no-<folder>>).
deb_profiles() {
  local plugin profiles=()
  for plugin in $(sed -n 's/^Build-Profiles: <!pkg\.tradestore\.no-\(.*\)>$/\1/p' \
      "$1/debian/control"); do
    plugin_in_source "$1" "$plugin" || profiles+=("pkg.tradestore.no-$plugin")
  done
  (IFS=,; echo "${profiles[*]}")
}

# set_deb_version DEBIAN_DIR VERSION MESSAGE: adds a debian/changelog entry for VERSION
# unless the top entry already has it.
set_deb_version() {
  local dir=$1 new=$2 message=$3 current maintainer distribution
  current=$(dpkg-parsechangelog -l "$dir/changelog" -S Version)
  [ "$current" = "$new" ] && return 0
  maintainer=$(dpkg-parsechangelog -l "$dir/changelog" -S Maintainer)
  distribution=$(dpkg-parsechangelog -l "$dir/changelog" -S Distribution)
  {
    printf 'tradestore (%s) %s; urgency=medium\n\n  * %s\n\n -- %s  %s\n\n' \
      "$new" "$distribution" "$message" "$maintainer" "$(date -R)"
    cat "$dir/changelog"
  } >"$dir/changelog.new"
  mv "$dir/changelog.new" "$dir/changelog"
  echo "::: package: debian/changelog: $current -> $new"
}

# run_dpkg_buildpackage SRC LOG ARGS...: dpkg-buildpackage in SRC (ccache as the compiler
# launcher when there is one), its output in LOG, the log's tail on failure.
run_dpkg_buildpackage() {
  local src=$1 logfile=$2 launcher=""
  shift 2
  command -v ccache >/dev/null && launcher=ccache
  # CCACHE_BASEDIR: cache hits across clones in other folders.
  if ! (cd "$src" && TRADESTORE_CXX_LAUNCHER=$launcher CCACHE_BASEDIR=$(cd "$src" && pwd) \
      dpkg-buildpackage "$@") \
      >"$logfile" 2>&1; then
    tail -n 80 "$logfile"
    echo "dpkg-buildpackage failed; the whole log is $logfile" >&2
    return 1
  fi
}

# The files GET /docs serves (plugins/rest-source/api/docs_assets.cpp) and the notices that go
# with them, from npm's swagger-ui-dist.
swagger_ui_assets="swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js
  favicon-32x32.png favicon-16x16.png"
swagger_ui_notices="NOTICE package.json swagger-ui-bundle.js.LICENSE.txt
  swagger-ui-standalone-preset.js.LICENSE.txt"

# stage_swagger_ui SRC: swagger-ui-dist as web/swagger/package-lock.json pins it, installed by
# web/swagger/install.sh (`npm ci`, which checks every file against the lock's integrity hash;
# cached outside the clone), copied into SRC/web/swagger/swagger-ui-dist, where both
# packagings take tradestore-docs from. Nothing of it is in the repository.
stage_swagger_ui() {
  local dest=$1/web/swagger/swagger-ui-dist from f
  from=$(web/swagger/install.sh) || { echo "stage_swagger_ui: npm ci failed" >&2; return 1; }
  rm -rf "$dest"
  mkdir -p "$dest"
  for f in $swagger_ui_assets $swagger_ui_notices; do cp "$from/$f" "$dest/"; done
}
