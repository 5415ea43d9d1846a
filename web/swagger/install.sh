#!/usr/bin/env bash
# Installs the npm packages pinned by a package-lock.json with `npm ci` into a cache outside
# the clone (one folder per lock-file hash, so it is done once per pin) and prints the
# installed folder. Used for GET /docs's assets (swagger-ui-dist) and the browser test's
# playwright-core. Nothing is fetched at run time; the build never needs this.
#
# Usage: web/swagger/install.sh [PACKAGE_DIR [PACKAGE_NAME [LINK]]]
#   PACKAGE_DIR   folder with package.json and package-lock.json (default: this folder)
#   PACKAGE_NAME  the package whose folder to print (default: swagger-ui-dist)
#   LINK          also make LINK a symlink to that folder (e.g. in a build directory)
# Exit 0 and print the folder; exit 1 when npm is missing or the install fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
package_dir="$(cd "${1:-$here}" && pwd)"
package_name="${2:-swagger-ui-dist}"
link="${3:-}"

command -v npm >/dev/null || { echo "install.sh: npm is not installed" >&2; exit 1; }
hash="$(cat "$package_dir/package.json" "$package_dir/package-lock.json" | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tradestore/npm/$(basename "$package_dir")-$hash"
target="$cache/node_modules/$package_name"

if [ ! -f "$cache/.installed" ]; then
  rm -rf "$cache.tmp"
  mkdir -p "$cache.tmp"
  cp "$package_dir/package.json" "$package_dir/package-lock.json" "$cache.tmp/"
  # --ignore-scripts: no install script runs (swagger-ui-dist pulls a telemetry one).
  (cd "$cache.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$cache.tmp/.installed"
  rm -rf "$cache"
  mv "$cache.tmp" "$cache"
fi
[ -d "$target" ] || { echo "install.sh: $target is missing after npm ci" >&2; exit 1; }
if [ -n "$link" ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn "$target" "$link"
fi
echo "$target"
