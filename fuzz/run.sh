#!/usr/bin/env bash
# Runs every libFuzzer harness built in a fuzz build for a set time, one after the other, and
# prints the executions of each. Fails when a harness finds a crash, a leak, a timeout or an
# out-of-memory input (libFuzzer then saves the input under <build>/fuzz-runs/<name>/).
# Usage: fuzz/run.sh <build-dir> <seconds-per-harness> [<harness name>...]
# Each run starts from a fresh copy of fuzz/corpus/<name>/ in the build folder, so new inputs
# never land in the checked-in seeds.
set -euo pipefail
build="${1:?build dir}"
seconds="${2:?seconds per harness}"
shift 2
source_dir="$(cd "$(dirname "$0")" && pwd)"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for binary in "$build"/fuzz/*_fuzz; do
    [ -x "$binary" ] && names+=("$(basename "$binary" _fuzz)")
  done
fi
[ ${#names[@]} -gt 0 ] || { echo "no harnesses in $build/fuzz" >&2; exit 1; }

export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
summary=()
failed=0
for name in "${names[@]}"; do
  binary="$build/fuzz/${name}_fuzz"
  work="$build/fuzz-runs/$name"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "$source_dir/corpus/$name" ] && cp "$source_dir/corpus/$name"/. "$work/corpus/" -R
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$work/artifacts/")
  [ -f "$source_dir/$name.dict" ] && options+=(-dict="$source_dir/$name.dict")
  echo "::: fuzzing $name for ${seconds} s: ${binary} ${options[*]} $work/corpus"
  status=0
  "$binary" "${options[@]}" "$work/corpus" >"$work/log" 2>&1 || status=$?

  # libFuzzer's final statistics; the last "#N DONE" line when they are missing.
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  [ -n "$executions" ] ||
    executions="$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$work/log" | tail -1)"
  rate="$(sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p' "$work/log" | tail -1)"
  corpus="$(find "$work/corpus" -type f | wc -l)"
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    failed=1
    result="FAILED (exit $status): $(ls "$work/artifacts" | tr '\n' ' ')"
    grep -E 'ERROR|SUMMARY|invariant broken|runtime error|#[0-9]+ ' "$work/log" | head -40 >&2 || true
    echo "full log: $work/log; reproduce: $binary <artifact>" >&2
  fi
  summary+=("$(printf '%-14s %12s executions  %7s exec/s  %5s corpus files  %s' \
    "$name" "${executions:-?}" "${rate:-?}" "$corpus" "$result")")
done

echo "::: fuzzing summary (${seconds} s each)"
printf '%s\n' "${summary[@]}"
exit "$failed"
