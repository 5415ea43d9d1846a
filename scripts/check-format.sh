#!/usr/bin/env bash
# The C++ files git tracks against .clang-format, with Debian 12's clang-format 14: lists the
# files that are not formatted and fails (`make check-format`, the first stage of .ci/run);
# with --fix formats them in place (`make format`).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-14}
command -v "$clang_format" >/dev/null ||
  { echo "check-format: no $clang_format (scripts/install-deps.sh format installs it)" >&2; exit 1; }
mapfile -d '' files < <(git ls-files -z -- '*.cpp' '*.h' '*.hpp' '*.cc')

if [ "${1:-}" = --fix ]; then
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 -P 2 "$clang_format" -i
  exit 0
fi

rc=0
report=$(printf '%s\0' "${files[@]}" |
  xargs -0 -n 50 -P 2 "$clang_format" --dry-run -Werror 2>&1) || rc=$?
mapfile -t unformatted < <(sed -n \
  's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$report" | sort -u)
if [ "${#unformatted[@]}" -gt 0 ]; then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files are not formatted" \
    "($clang_format; make format fixes them):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then  # clang-format failed for another reason: show what it said
  echo "$report" >&2
  exit "$rc"
fi
echo "check-format: ${#files[@]} files formatted ($clang_format)"
