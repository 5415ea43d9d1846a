# Finding (and, on Debian 12, installing) a Go that can build FerretDB v1.24.2, which needs
# Go 1.24 or newer. Sourced by scripts/install-deps.sh and scripts/ferretdb-build.sh; defines
# functions only.
#
# A Go of 1.21..1.23 will do too: since Go 1.21 `go` switches to a newer toolchain when
# GOTOOLCHAIN names one (it fetches golang.org/toolchain through the Go module proxy), so
# ferretdb-build.sh sets GOTOOLCHAIN=$GO_TOOLCHAIN_FOR_OLDER_GO for such a Go. Debian 12's
# newest Go is bookworm-backports' golang-1.23-go (/usr/lib/go-1.23/bin/go).
#
# Overridable for tests: GO (use exactly this Go), TRADESTORE_GO_CANDIDATES (glob patterns of
# Go binaries to consider besides `go` on PATH), TRADESTORE_OS_RELEASE, TRADESTORE_APT_DIR,
# TRADESTORE_DEPS_DRY_RUN=1 (print the commands that would change the system, run none).

GO_MINIMUM_MINOR=24
GO_SWITCHING_MINOR=21
GO_TOOLCHAIN_FOR_OLDER_GO=go1.24.6
GO_BACKPORTS_PACKAGE=golang-1.23-go

# go_minor <go binary>: its minor version (26 for go1.26.8), or nothing.
go_minor() {
  "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p'
}

# go_candidates: every Go binary worth asking, one a line.
go_candidates() {
  if [ -n "${GO:-}" ]; then
    echo "$GO"
    return
  fi
  command -v go 2>/dev/null || true
  local pattern path
  for pattern in ${TRADESTORE_GO_CANDIDATES:-/usr/local/go/bin/go /usr/lib/go-1.*/bin/go}; do
    for path in $pattern; do
      [ -x "$path" ] && echo "$path"
    done
  done
  return 0
}

# best_go: "<path> <minor>" of the newest Go found; nothing when there is none.
best_go() {
  local best="" best_minor=-1 candidate minor
  while read -r candidate; do
    [ -n "$candidate" ] || continue
    minor=$(go_minor "$candidate")
    [ -n "$minor" ] || continue
    if [ "$minor" -gt "$best_minor" ]; then
      best=$candidate
      best_minor=$minor
    fi
  done < <(go_candidates)
  if [ -n "$best" ]; then echo "$best $best_minor"; fi
  return 0
}

# go_toolchain_for <minor>: what GOTOOLCHAIN that Go needs for FerretDB: nothing (it is new
# enough), $GO_TOOLCHAIN_FOR_OLDER_GO, or "unusable" (too old to switch toolchains).
go_toolchain_for() {
  if [ "$1" -ge "$GO_MINIMUM_MINOR" ]; then
    return 0
  elif [ "$1" -ge "$GO_SWITCHING_MINOR" ]; then
    echo "$GO_TOOLCHAIN_FOR_OLDER_GO"
  else
    echo unusable
  fi
}

# Runs a command that changes the system (as root: sudo when not root), or prints it.
as_root_run() {
  if [ "${TRADESTORE_DEPS_DRY_RUN:-}" = 1 ]; then
    echo "would run: $*"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    sudo "$@"
  else
    "$@"
  fi
}

# ensure_go: makes sure some Go can build FerretDB, installing one when none can. On Debian 12
# (bookworm): golang-1.23-go from bookworm-backports, adding that source only when no apt
# source names it yet. Elsewhere: the distribution's golang-go. Silent when a Go will do.
ensure_go() {
  local found minor
  found=$(best_go)
  if [ -n "$found" ]; then
    minor=${found##* }
    [ "$(go_toolchain_for "$minor")" != unusable ] && return 0
  fi
  local codename
  codename=$(. "${TRADESTORE_OS_RELEASE:-/etc/os-release}" && echo "${VERSION_CODENAME:-}")
  export DEBIAN_FRONTEND=noninteractive
  if [ "$codename" != bookworm ]; then
    echo "go: none new enough; installing $codename's golang-go"
    as_root_run apt-get install -y -qq --no-install-recommends golang-go
    return
  fi
  local apt_dir=${TRADESTORE_APT_DIR:-/etc/apt}
  if ! grep -rqs '^[^#]*bookworm-backports' "$apt_dir/sources.list" "$apt_dir/sources.list.d"; then
    echo "go: adding bookworm-backports to $apt_dir/sources.list.d/bookworm-backports.list"
    if [ "${TRADESTORE_DEPS_DRY_RUN:-}" = 1 ]; then
      echo "would write: deb http://deb.debian.org/debian bookworm-backports main"
    else
      echo "deb http://deb.debian.org/debian bookworm-backports main" |
        as_root_run tee "$apt_dir/sources.list.d/bookworm-backports.list" >/dev/null
    fi
  fi
  echo "go: installing $GO_BACKPORTS_PACKAGE from bookworm-backports" \
    "(FerretDB builds with GOTOOLCHAIN=$GO_TOOLCHAIN_FOR_OLDER_GO)"
  as_root_run apt-get update -qq
  as_root_run apt-get install -y -qq --no-install-recommends -t bookworm-backports \
    "$GO_BACKPORTS_PACKAGE"
}
