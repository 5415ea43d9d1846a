#!/usr/bin/env bash
# CTest fixture: installs the pinned npm packages (swagger-ui-dist for /docs, playwright-core
# for the browser test) with `npm ci` into the cache and links them under DIR. Without npm (or
# the registry) it skips (exit 0), unless CI=true, where that fails.
# Usage: tests/api/install_npm_assets.sh DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$1"
if ! command -v npm >/dev/null; then
  echo "npm is not installed: /docs assets and the browser test are skipped"
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
status=0
"$root/web/swagger/install.sh" "$root/web/swagger" swagger-ui-dist "$dir/swagger-ui-dist" || status=1
"$root/web/swagger/install.sh" "$root/tests/browser" playwright-core "$dir/playwright-core" || status=1
if [ "$status" -ne 0 ]; then
  echo "npm ci failed: the tests that need these packages skip"
  [ "${CI:-}" = true ] && exit 1
fi
exit 0
