#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, and only those missing.
# Usage: scripts/install-deps.sh [build|test|run]
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libpoco-dev libboost-dev libboost-filesystem-dev libsqlite3-dev
  rapidjson-dev libhowardhinnant-date-dev tzdata
)
case "${1:-build}" in
  test) packages+=(libgtest-dev libgmock-dev libbenchmark-dev curl python3) ;;
  run | build) packages+=(libgtest-dev libgmock-dev libbenchmark-dev) ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
