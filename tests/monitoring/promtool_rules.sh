#!/usr/bin/env bash
# The alert rules of etc/monitoring/: `promtool check rules`, then every unit test file of
# etc/monitoring/tests/ (`promtool test rules`). Without promtool it skips (exit 77), or
# fails when CI=true.
#   tests/monitoring/promtool_rules.sh <etc/monitoring dir>
set -euo pipefail
dir=${1:?usage: promtool_rules.sh <etc/monitoring dir>}
if ! command -v promtool >/dev/null; then
  echo "promtool is not installed (scripts/install-deps.sh test installs Debian's prometheus)" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi
promtool check rules "$dir"/*.yml
tests=("$dir"/tests/*.yml)
promtool test rules "${tests[@]}"
