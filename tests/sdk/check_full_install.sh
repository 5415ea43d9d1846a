#!/usr/bin/env bash
# A full install (daemon, plugins, SDK) ships no header but the SDK's: include/ is exactly
# sdk/include and the contract suites' sdk/contract/include. Set by tests/sdk/CMakeLists.txt: CMAKE, SOURCE_DIR, BUILD_DIR, WORK_DIR.
set -euo pipefail

[[ "$WORK_DIR" == */sdk-full-install ]] || { echo "FAIL: unexpected WORK_DIR '$WORK_DIR'" >&2; exit 1; }
rm -rf "$WORK_DIR"
"$CMAKE" --install "$BUILD_DIR" --prefix "$WORK_DIR"
expected=$(mktemp -d)
trap 'rm -rf "$expected"' EXIT
cp -r "$SOURCE_DIR/sdk/include/." "$SOURCE_DIR/sdk/contract/include/." "$expected"
diff -r "$expected" "$WORK_DIR/include" ||
    { echo "FAIL: a full install's include/ differs from sdk/include + sdk/contract/include" >&2; exit 1; }
echo "include/ holds exactly the SDK's and the contract suites' headers"
